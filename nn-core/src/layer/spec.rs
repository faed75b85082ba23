//! Layer descriptions. Each layer kind has one public config type implementing
//! [`LayerConfig`]: its fields (with serde defaults), its validation, its `Display`, and how
//! it builds the layer. That one type is what [`NetworkBuilder`](crate::NetworkBuilder)
//! takes, what a model file stores and what the `nn` command's TOML/JSON model files parse.
//! A [`LayerSpec`] holds any of them; its text form is a JSON object whose `"type"` is the
//! kind's [`KIND`](LayerConfig::KIND), e.g. `{"type": "dense", "units": 20}`.

use std::any::Any;
use std::fmt;

use serde::de::DeserializeOwned;
use serde::Serialize;

use super::Layer;
use crate::error::{Error, Result};
use crate::torch::TorchModule;
use crate::{Float, Init, Rng};

/// The description of one layer kind.
pub trait LayerConfig:
    Clone + fmt::Debug + fmt::Display + PartialEq + Serialize + DeserializeOwned + Send + Sync + 'static
{
    /// The kind's name in model files (`type = "dense"`); unique among registered kinds.
    const KIND: &'static str;

    /// Checks what does not depend on the input (a positive unit count, a rate in `[0, 1)`).
    fn validate(&self) -> Result<()> {
        Ok(())
    }

    /// The shape of one output example for input examples of `input`, or why this layer
    /// cannot take them.
    fn output_shape(&self, input: &[usize]) -> Result<Vec<usize>>;

    /// The shapes of the stored tensors for inputs of `input`: the parameters in
    /// `visit_params` order, then the buffers (running statistics) in `visit_buffers` order.
    fn param_shapes(&self, _input: &[usize]) -> Vec<Vec<usize>> {
        Vec::new()
    }

    /// This layer as a module of PyTorch's `nn.Sequential` for examples of `input` (what
    /// [`crate::torch`] exports and imports), or `None` if PyTorch has no equivalent.
    fn torch(&self, _input: &[usize]) -> Option<TorchModule> {
        None
    }

    /// The layer for examples of `input`; weights drawn by the config's own initialiser if it
    /// names one, else by `init`.
    fn build<T: Float>(
        &self,
        input: &[usize],
        init: Init,
        rng: &mut Rng,
    ) -> Result<Box<dyn Layer<T>>>;
}

/// [`LayerConfig`] without its type: what a [`LayerSpec`] holds. Implemented for every
/// `LayerConfig`; nothing else needs to implement it.
pub trait DynLayerConfig: fmt::Debug + fmt::Display + Send + Sync + 'static {
    /// [`LayerConfig::KIND`].
    fn kind(&self) -> &'static str;
    /// [`LayerConfig::validate`].
    fn validate(&self) -> Result<()>;
    /// [`LayerConfig::output_shape`].
    fn output_shape(&self, input: &[usize]) -> Result<Vec<usize>>;
    /// [`LayerConfig::param_shapes`].
    fn param_shapes(&self, input: &[usize]) -> Vec<Vec<usize>>;
    /// [`LayerConfig::torch`].
    fn torch(&self, input: &[usize]) -> Option<TorchModule>;
    /// [`LayerConfig::build`] in `f32`.
    fn build_f32(&self, input: &[usize], init: Init, rng: &mut Rng) -> Result<Box<dyn Layer<f32>>>;
    /// [`LayerConfig::build`] in `f64`.
    fn build_f64(&self, input: &[usize], init: Init, rng: &mut Rng) -> Result<Box<dyn Layer<f64>>>;
    /// The fields as JSON (without `"type"`).
    fn fields(&self) -> serde_json::Value;
    /// A boxed copy.
    fn clone_box(&self) -> Box<dyn DynLayerConfig>;
    /// The config as `Any`, to get the concrete type back.
    fn as_any(&self) -> &dyn Any;
}

impl<C: LayerConfig> DynLayerConfig for C {
    fn kind(&self) -> &'static str {
        C::KIND
    }
    fn validate(&self) -> Result<()> {
        LayerConfig::validate(self)
    }
    fn output_shape(&self, input: &[usize]) -> Result<Vec<usize>> {
        LayerConfig::output_shape(self, input)
    }
    fn param_shapes(&self, input: &[usize]) -> Vec<Vec<usize>> {
        LayerConfig::param_shapes(self, input)
    }
    fn torch(&self, input: &[usize]) -> Option<TorchModule> {
        LayerConfig::torch(self, input)
    }
    fn build_f32(&self, input: &[usize], init: Init, rng: &mut Rng) -> Result<Box<dyn Layer<f32>>> {
        self.build::<f32>(input, init, rng)
    }
    fn build_f64(&self, input: &[usize], init: Init, rng: &mut Rng) -> Result<Box<dyn Layer<f64>>> {
        self.build::<f64>(input, init, rng)
    }
    fn fields(&self) -> serde_json::Value {
        match serde_json::to_value(self) {
            Ok(serde_json::Value::Null) | Err(_) => serde_json::Value::Object(Default::default()),
            Ok(v) => v,
        }
    }
    fn clone_box(&self) -> Box<dyn DynLayerConfig> {
        Box::new(self.clone())
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// The most parameters one layer may have (2²⁸, 1 GiB of `f32`): a description asking for
/// more (in a model file or a TOML model description) is refused before anything is allocated.
pub const MAX_LAYER_PARAMETERS: usize = 1 << 28;

/// Any layer's description: a [`LayerConfig`] of a registered kind.
///
/// ```
/// use nn_core::layer::{DenseConfig, LayerSpec};
/// let spec = LayerSpec::from(DenseConfig::new(20));
/// assert_eq!(spec.kind(), "dense");
/// assert_eq!(spec.to_json().to_string(), r#"{"type":"dense","units":20}"#);
/// assert_eq!(spec.get::<DenseConfig>().map(|d| d.units), Some(20));
/// ```
pub struct LayerSpec(Box<dyn DynLayerConfig>);

impl LayerSpec {
    /// The kind, [`LayerConfig::KIND`] of the config inside.
    pub fn kind(&self) -> &'static str {
        self.0.kind()
    }

    /// The config, if it is a `C`.
    pub fn get<C: LayerConfig>(&self) -> Option<&C> {
        self.0.as_any().downcast_ref()
    }

    /// Whether the config is a `C`.
    pub fn is<C: LayerConfig>(&self) -> bool {
        self.get::<C>().is_some()
    }

    /// The config, untyped.
    pub fn config(&self) -> &dyn DynLayerConfig {
        &*self.0
    }

    /// The JSON form: the fields and `"type"`.
    pub fn to_json(&self) -> serde_json::Value {
        let mut object = serde_json::Map::new();
        object.insert("type".into(), self.kind().into());
        if let serde_json::Value::Object(fields) = self.0.fields() {
            object.extend(fields);
        }
        serde_json::Value::Object(object)
    }

    /// Builds the layer for examples of `input`: the description validated, the shape
    /// checked and the parameters counted (at most [`MAX_LAYER_PARAMETERS`]) before anything
    /// is allocated.
    pub fn build<T: Float>(
        &self,
        input: &[usize],
        init: Init,
        rng: &mut Rng,
    ) -> Result<Box<dyn Layer<T>>> {
        self.0.validate()?;
        self.0.output_shape(input)?;
        let count = self
            .0
            .param_shapes(input)
            .iter()
            .try_fold(0usize, |total, shape| {
                let n = shape.iter().try_fold(1usize, |n, &d| n.checked_mul(d))?;
                total.checked_add(n)
            });
        if count.is_none_or(|n| n > MAX_LAYER_PARAMETERS) {
            return Err(Error::Config(format!(
                "{} over examples of {input:?} would have more than {MAX_LAYER_PARAMETERS} \
                 parameters",
                self.0
            )));
        }
        T::build_layer(&*self.0, input, init, rng)
    }
}

impl<C: LayerConfig> From<C> for LayerSpec {
    fn from(c: C) -> Self {
        LayerSpec(Box::new(c))
    }
}

impl Clone for LayerSpec {
    fn clone(&self) -> Self {
        LayerSpec(self.0.clone_box())
    }
}

impl PartialEq for LayerSpec {
    fn eq(&self, other: &Self) -> bool {
        self.to_json() == other.to_json()
    }
}

impl fmt::Debug for LayerSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

impl fmt::Display for LayerSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl Serialize for LayerSpec {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        self.to_json().serialize(s)
    }
}

/// A configuration error for a layer that needs flat examples, e.g. `Dense(4) needs flat
/// examples, but the previous layer gives shape [16, 16, 8]: add a Flatten layer first`.
pub fn needs_flat(layer: &dyn fmt::Display, input: &[usize]) -> Error {
    Error::Config(format!(
        "{layer} needs flat examples, but the previous layer gives shape {input:?}: add a \
         Flatten layer first"
    ))
}
