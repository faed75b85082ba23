//! `LayerRegistry`: how a model file's layer records become layers again. The core layers are
//! registered by [`LayerRegistry::core`]; other crates (such as `nn-conv`) add theirs.

use std::collections::BTreeMap;

use super::{ActivationLayer, Dense, Dropout, Layer, Softmax};
use crate::persist::LayerRecord;
use crate::Float;

/// Rebuilds one kind of layer from its record; the error says what is wrong with the record.
pub type LayerLoader<T> = fn(&LayerRecord) -> Result<Box<dyn Layer<T>>, String>;

/// Loaders by layer kind.
pub struct LayerRegistry<T> {
    loaders: BTreeMap<String, LayerLoader<T>>,
}

impl<T: Float> LayerRegistry<T> {
    /// The layers of `nn-core`: dense, activation, softmax, dropout.
    pub fn core() -> Self {
        let mut r = LayerRegistry {
            loaders: BTreeMap::new(),
        };
        r.register("dense", Dense::<T>::load);
        r.register("activation", ActivationLayer::<T>::load);
        r.register("softmax", Softmax::<T>::load);
        r.register("dropout", Dropout::<T>::load);
        r
    }

    /// Adds (or replaces) the loader of `kind`.
    pub fn register(&mut self, kind: &str, loader: LayerLoader<T>) {
        self.loaders.insert(kind.to_string(), loader);
    }

    /// Rebuilds a layer from its record.
    pub fn load(&self, record: &LayerRecord) -> Result<Box<dyn Layer<T>>, String> {
        match self.loaders.get(&record.kind) {
            Some(load) => load(record),
            None => Err(format!(
                "unknown layer kind {:?} (known: {}); a layer from another crate needs that \
                 crate's loader registered",
                record.kind,
                self.loaders.keys().cloned().collect::<Vec<_>>().join(", ")
            )),
        }
    }
}
