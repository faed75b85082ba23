//! Saving and loading whole networks: architecture, parameters, optimiser state and how the
//! network was trained, in the format of [`crate::persist`].

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::TrainingSummary;
use crate::error::{Error, Result};
use crate::layer::LayerRegistry;
use crate::optim::{Optimizer, OptimizerState};
use crate::persist::{self, LayerRecord, ParamData};
use crate::{Backend, Float, Loss, Network};

#[derive(Serialize, Deserialize)]
struct OptimizerRecord {
    optimizer: Optimizer,
    step: u64,
    slots: Vec<ParamData>,
}

/// Everything a model file holds.
#[derive(Serialize, Deserialize)]
struct ModelFile {
    element: String,
    input_shape: Vec<usize>,
    loss: Loss,
    layers: Vec<LayerRecord>,
    optimizer: Option<OptimizerRecord>,
    training: Option<TrainingSummary>,
}

impl<T: Float> Network<T> {
    /// The model file's bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        persist::to_bytes(&ModelFile {
            element: T::NAME.to_string(),
            input_shape: self.input_shape.clone(),
            loss: self.loss,
            layers: self.layers.iter().map(|l| l.record()).collect(),
            optimizer: self.optimizer.as_ref().map(|s| OptimizerRecord {
                optimizer: s.optimizer,
                step: s.step,
                slots: s.slots.iter().map(|v| T::to_param_data(v)).collect(),
            }),
            training: self.training.clone(),
        })
    }

    /// Saves the network to `path` (written to a temporary file, then renamed into place).
    pub fn save(&self, path: impl AsRef<Path>) -> Result<()> {
        persist::write_atomically(path.as_ref(), &self.to_bytes())
    }

    /// Loads a network of `nn-core`'s layers saved by [`save`](Network::save).
    pub fn load(path: impl AsRef<Path>, backend: impl Backend<T> + 'static) -> Result<Self> {
        Self::load_with(path, backend, &LayerRegistry::core())
    }

    /// Loads a network whose layers `registry` knows (e.g. with convolution layers).
    pub fn load_with(
        path: impl AsRef<Path>,
        backend: impl Backend<T> + 'static,
        registry: &LayerRegistry<T>,
    ) -> Result<Self> {
        let path = path.as_ref();
        Self::from_bytes(&persist::read_file(path)?, path, backend, registry)
    }

    /// Rebuilds a network from a model file's bytes; `path` names the source in errors.
    pub fn from_bytes(
        bytes: &[u8],
        path: &Path,
        backend: impl Backend<T> + 'static,
        registry: &LayerRegistry<T>,
    ) -> Result<Self> {
        let err = |message: String| Error::Format {
            path: path.to_path_buf(),
            message,
        };
        let file: ModelFile = persist::from_bytes(bytes, path)?;
        let mut layers = Vec::with_capacity(file.layers.len());
        for (i, record) in file.layers.iter().enumerate() {
            layers.push(
                registry
                    .load(record)
                    .map_err(|e| err(format!("layer {i} ({}): {e}", record.kind)))?,
            );
        }
        let mut net = Network::from_layers(backend, &file.input_shape, layers, file.loss)
            .map_err(|e| err(e.to_string()))?;
        if let Some(o) = file.optimizer {
            let slots: Vec<Vec<T>> = o.slots.iter().map(T::from_param_data).collect();
            let state = OptimizerState {
                optimizer: o.optimizer,
                step: o.step,
                slots,
            };
            if !state.fits(&o.optimizer, &net.param_sizes()) {
                return Err(err("optimiser state does not match the parameters".into()));
            }
            net.optimizer = Some(state);
        }
        net.training = file.training;
        Ok(net)
    }
}
