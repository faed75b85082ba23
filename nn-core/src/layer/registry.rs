//! `LayerRegistry`: the layer kinds a program knows, by [`LayerConfig::KIND`], so that a
//! description read from a file (a model file, a TOML/JSON model description) becomes the
//! right config type again. [`LayerRegistry::core`] knows nn-core's kinds; other crates add
//! theirs (`nn_conv::register`).

use std::collections::BTreeMap;

use serde_json::Value;

use super::{
    BatchNormConfig, DenseConfig, DropoutConfig, IdentityConfig, LayerConfig, LayerSpec,
    LeakyReluConfig, ReluConfig, SigmoidConfig, SoftmaxConfig, TanhConfig,
};

type Decode = fn(Value) -> Result<LayerSpec, String>;

/// Decoders of layer descriptions, by kind.
#[derive(Clone)]
pub struct LayerRegistry {
    decoders: BTreeMap<&'static str, Decode>,
}

fn decode<C: LayerConfig>(fields: Value) -> Result<LayerSpec, String> {
    let c: C = serde_json::from_value(fields).map_err(|e| e.to_string())?;
    c.validate().map_err(|e| match e {
        crate::Error::Config(m) => m,
        other => other.to_string(),
    })?;
    Ok(LayerSpec::from(c))
}

impl LayerRegistry {
    /// No kinds at all.
    pub fn empty() -> Self {
        LayerRegistry {
            decoders: BTreeMap::new(),
        }
    }

    /// The kinds of `nn-core`: dense, the activations, softmax, dropout, batch norm.
    pub fn core() -> Self {
        let mut r = Self::empty();
        r.register::<DenseConfig>();
        r.register::<ReluConfig>();
        r.register::<LeakyReluConfig>();
        r.register::<TanhConfig>();
        r.register::<SigmoidConfig>();
        r.register::<IdentityConfig>();
        r.register::<SoftmaxConfig>();
        r.register::<DropoutConfig>();
        r.register::<BatchNormConfig>();
        r
    }

    /// Adds (or replaces) the kind `C`.
    pub fn register<C: LayerConfig>(&mut self) {
        self.decoders.insert(C::KIND, decode::<C>);
    }

    /// Whether `kind` is registered.
    pub fn knows(&self, kind: &str) -> bool {
        self.decoders.contains_key(kind)
    }

    /// The known kinds, sorted.
    pub fn kinds(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.decoders.keys().copied()
    }

    /// The description of kind `kind` from its fields (a JSON object without `"type"`); the
    /// error says what is wrong (serde's words for unknown or missing fields).
    pub fn decode(&self, kind: &str, fields: Value) -> Result<LayerSpec, String> {
        match self.decoders.get(kind) {
            Some(decode) => decode(fields),
            None => Err(format!(
                "unknown variant `{kind}`, expected one of {}",
                self.kinds()
                    .map(|k| format!("`{k}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
        }
    }

    /// The description in JSON form: an object with `"type"` and the fields.
    pub fn from_json(&self, value: Value) -> Result<LayerSpec, String> {
        let Value::Object(mut fields) = value else {
            return Err(format!("a layer is a table with a \"type\", not {value}"));
        };
        let kind = match fields.remove("type") {
            Some(Value::String(kind)) => kind,
            Some(other) => return Err(format!("the layer type must be a string, not {other}")),
            None => return Err("missing field `type`".into()),
        };
        self.decode(&kind, Value::Object(fields))
    }
}
