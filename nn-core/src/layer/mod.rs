//! Layers with explicit forward and backward passes, and their descriptions.
//!
//! A layer owns its parameters, their gradients, its output and the gradient it sends back to
//! its input, and reuses these buffers from step to step. The network hands each layer its input
//! again in `backward`, so nothing is copied to be cached. Inference ([`Layer::infer`]) writes
//! into buffers the caller owns, so a trained network can serve several threads. Every inner
//! loop is a [`Backend`] kernel.
//!
//! Each kind is described once, by a [`LayerConfig`] type in the kind's own file
//! ([`DenseConfig`], [`ReluConfig`], …); [`LayerRegistry::core`] lists them.

mod activation;
mod batch_norm;
mod dense;
mod dropout;
mod registry;
mod softmax;
mod spec;

pub use activation::{
    ActivationLayer, IdentityConfig, LeakyReluConfig, ReluConfig, SigmoidConfig, TanhConfig,
};
pub use batch_norm::{BatchNorm, BatchNormConfig};
pub use dense::{Dense, DenseConfig};
pub use dropout::{Dropout, DropoutConfig};
pub use registry::LayerRegistry;
pub use softmax::{Softmax, SoftmaxConfig};
pub use spec::{needs_flat, DynLayerConfig, LayerConfig, LayerSpec, MAX_LAYER_PARAMETERS};

use crate::backend::ConvWorkspace;
use crate::error::{shape_str, Error, Result};
use crate::{Backend, Float, Rng, Tensor};

/// Training (dropout active, drawing from the caller's generator) or evaluation.
pub enum Mode<'a> {
    /// Training: random layers draw from this generator.
    Train(&'a mut Rng),
    /// Evaluation: deterministic, dropout off.
    Eval,
}

impl Mode<'_> {
    /// The same mode, for one more layer.
    pub fn reborrow(&mut self) -> Mode<'_> {
        match self {
            Mode::Train(rng) => Mode::Train(rng),
            Mode::Eval => Mode::Eval,
        }
    }
}

/// A parameter tensor and its gradient, lent to an optimiser or a gradient check.
pub struct ParamMut<'a, T> {
    /// `"W"`, `"b"`, …
    pub name: &'static str,
    /// The values.
    pub value: &'a mut Tensor<T>,
    /// `∂J/∂value`, as left by the last `backward`.
    pub grad: &'a mut Tensor<T>,
    /// Whether L2 regularisation applies (weights: yes; biases: no).
    pub decay: bool,
}

/// Memory an inference pass lends to the layers it runs (see [`Layer::infer`]).
#[derive(Default)]
pub struct Scratch<T> {
    /// For convolutions.
    pub conv: ConvWorkspace<T>,
    /// For the positions of maxima in max pooling.
    pub indices: Vec<u32>,
}

/// One layer of a network. Shapes are per example (no batch dimension).
pub trait Layer<T: Float>: Send + Sync {
    /// The description this layer was built from (what a model file stores).
    fn spec(&self) -> LayerSpec;

    /// The kind: [`LayerConfig::KIND`] of its config type.
    fn kind(&self) -> &'static str {
        self.spec().kind()
    }

    /// A readable name, by default its description's `Display`; layers with sizes say them,
    /// e.g. `Dense(12288→20)`.
    fn name(&self) -> String {
        self.spec().to_string()
    }

    /// The shape of one input example.
    fn input_shape(&self) -> &[usize];

    /// The shape of one output example.
    fn output_shape(&self) -> &[usize];

    /// Computes the output of `input` (`(m, input_shape…)`) into the layer's output buffer,
    /// keeping what `backward` needs.
    fn forward(
        &mut self,
        backend: &dyn Backend<T>,
        input: &Tensor<T>,
        mode: Mode<'_>,
    ) -> Result<()>;

    /// Inference: the evaluation-mode output of `input` into `output`, without changing the
    /// layer; `scratch` lends whatever memory the computation needs.
    fn infer(
        &self,
        backend: &dyn Backend<T>,
        input: &Tensor<T>,
        output: &mut Tensor<T>,
        scratch: &mut Scratch<T>,
    ) -> Result<()>;

    /// The output of the last `forward`.
    fn output(&self) -> &Tensor<T>;

    /// Given the same `input` as the last `forward` and `d_output = ∂J/∂output`, writes the
    /// parameter gradients (replacing the previous ones) and, if `need_input_grad`,
    /// `∂J/∂input` into [`input_grad`](Layer::input_grad).
    fn backward(
        &mut self,
        backend: &dyn Backend<T>,
        input: &Tensor<T>,
        d_output: &Tensor<T>,
        need_input_grad: bool,
    ) -> Result<()>;

    /// `∂J/∂input` from the last `backward`.
    fn input_grad(&self) -> &Tensor<T>;

    /// Frees what `forward` keeps for `backward` (outputs, input gradients, scratch); the next
    /// `forward` allocates it again. `fit` calls it when it returns, so that a trained network
    /// holds its parameters and little else while it serves predictions.
    fn release_buffers(&mut self) {}

    /// Lends each parameter and its gradient, in a fixed order.
    fn visit_params(&mut self, _visit: &mut dyn FnMut(ParamMut<'_, T>)) {}

    /// The parameter tensors, in the order of `visit_params`.
    fn params(&self) -> Vec<&Tensor<T>> {
        Vec::new()
    }

    /// State that is saved with the parameters but not trained (PyTorch's buffers: batch
    /// norm's running mean and variance), in a fixed order.
    fn buffers(&self) -> Vec<&Tensor<T>> {
        Vec::new()
    }

    /// Lends each buffer, in the order of [`buffers`](Layer::buffers) (to load or restore it).
    fn visit_buffers(&mut self, _visit: &mut dyn FnMut(&mut Tensor<T>)) {}

    /// A layer computing the same function with the same parameters and empty buffers, for
    /// another part of a mini-batch: `fit` splits a large enough mini-batch into parts that
    /// run at once and adds their gradients in a fixed order. `None` (the default) for layers
    /// whose training pass mixes the examples of a batch (batch norm) or draws random numbers
    /// (dropout): a network holding one trains on whole mini-batches.
    fn replicate(&self) -> Option<Box<dyn Layer<T>>> {
        None
    }

    /// The multiply–adds of one example's forward pass (by default one per output value),
    /// from which `fit` decides how many parts a mini-batch is worth splitting into.
    fn work_per_example(&self) -> usize {
        self.output_shape().iter().product()
    }
}

/// The batch shape `(m, shape…)` for `m` examples of `shape`.
pub fn batch_shape(m: usize, shape: &[usize]) -> Vec<usize> {
    let mut s = Vec::with_capacity(shape.len() + 1);
    s.push(m);
    s.extend_from_slice(shape);
    s
}

/// Resizes `out` to `m` examples of `shape` without allocating once it has been that large.
pub fn resize_batch<T: Float>(out: &mut Tensor<T>, m: usize, shape: &[usize]) {
    let same = out.shape().first() == Some(&m) && out.shape()[1..] == *shape;
    if !same {
        out.resize(&batch_shape(m, shape));
    }
}

/// Checks that `input` is a batch of examples of shape `expected`; `op` names the operation
/// (built only on error, so the hot path allocates nothing).
pub fn check_input<T: Float>(
    op: impl FnOnce() -> String,
    expected: &[usize],
    input: &Tensor<T>,
) -> Result<()> {
    let shape = input.shape();
    if shape.is_empty() || shape[1..] != *expected {
        let want = batch_shape(shape.first().copied().unwrap_or(0), expected);
        return Err(Error::shape(
            op(),
            format!(
                "input {} does not match the expected {}",
                shape_str(shape),
                shape_str(&want)
            ),
        ));
    }
    Ok(())
}

/// Checks that `d_output` has the shape of the output of the last forward pass, and that
/// `input` is a batch of as many examples.
pub fn check_grad<T: Float>(
    op: impl FnOnce() -> String,
    input: &Tensor<T>,
    output: &Tensor<T>,
    d_output: &Tensor<T>,
) -> Result<()> {
    if input.rows() != output.rows() {
        return Err(Error::shape(
            op(),
            format!(
                "input {} is not the batch of the last forward pass, whose output is {}",
                shape_str(input.shape()),
                shape_str(output.shape())
            ),
        ));
    }
    if output.shape() != d_output.shape() {
        return Err(Error::shape(
            op(),
            format!(
                "gradient {} does not match the output {}",
                shape_str(d_output.shape()),
                shape_str(output.shape())
            ),
        ));
    }
    Ok(())
}
