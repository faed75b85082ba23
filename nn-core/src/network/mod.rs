//! `Network`: an ordered list of layers, a loss, and the backend that runs them.

mod builder;
mod evaluate;
mod fit;
mod gradcheck;
mod parts;
mod save;
mod training_loop;
mod training_set;

pub use builder::NetworkBuilder;
pub use evaluate::{ConfusionMatrix, Evaluation, EVAL_CHUNK};
pub use fit::{
    Control, EarlyStopping, EpochRecord, FitConfig, History, Observer, StepInfo, StopReason,
    TrainingSummary,
};
pub use gradcheck::{GradCheck, GradCheckReport, TensorCheck, VANISHING};
pub use training_set::{Augment, EpochHook, TrainingSet};

use std::sync::Arc;

use crate::error::{shape_str, Error, Result};
use crate::layer::{Layer, LayerConfig, Mode, ParamMut, SigmoidConfig, SoftmaxConfig};
use crate::optim::OptimizerState;
use crate::{Backend, Float, IntoBackend, Loss, Tensor};

/// The largest example a network takes or makes: 2^32 values (a 65536×65536 image).
const MAX_EXAMPLE_SIZE: usize = 1 << 32;

/// The number of values in one example of `shape`, refusing empty examples, sizes no network
/// could use (and products that would overflow).
fn example_size(shape: &[usize]) -> Result<usize> {
    if shape.contains(&0) {
        return Err(Error::Config(format!(
            "an example of shape {} has no values: every dimension must be at least 1",
            shape_str(shape)
        )));
    }
    shape
        .iter()
        .try_fold(1usize, |n, &d| n.checked_mul(d))
        .filter(|&n| n <= MAX_EXAMPLE_SIZE)
        .ok_or_else(|| {
            Error::Config(format!(
                "an example of shape {} is too large (limit {MAX_EXAMPLE_SIZE} values)",
                shape_str(shape)
            ))
        })
}

/// A feed-forward network: layers applied in order, then a loss on the last layer's output
/// (the logits). Build one with [`Network::builder`].
pub struct Network<T: Float> {
    backend: Arc<dyn Backend<T>>,
    input_shape: Vec<usize>,
    layers: Vec<Box<dyn Layer<T>>>,
    loss: Loss,
    optimizer: Option<OptimizerState<T>>,
    training: Option<TrainingSummary>,
    d_logits: Tensor<T>, // (m, outputs): ∂J/∂logits
    /// The workers of steps run in parts, during `fit`.
    parts: parts::Parts<T>,
}

impl<T: Float> Network<T> {
    /// Starts a network whose examples have shape `input_shape` (`[n_x]` for flat features,
    /// `[h, w, c]` for images).
    pub fn builder(input_shape: &[usize]) -> NetworkBuilder<T> {
        NetworkBuilder::new(input_shape)
    }

    /// Assembles a network from layers whose shapes chain; most users want [`Network::builder`].
    pub fn from_layers(
        backend: impl IntoBackend<T>,
        input_shape: &[usize],
        layers: Vec<Box<dyn Layer<T>>>,
        loss: Loss,
    ) -> Result<Self> {
        if layers.is_empty() {
            return Err(Error::Config("a network needs at least one layer".into()));
        }
        let mut shape = input_shape.to_vec();
        example_size(&shape)?;
        for (i, layer) in layers.iter().enumerate() {
            example_size(layer.output_shape())?;
            if layer.input_shape() != shape.as_slice() {
                return Err(Error::shape(
                    format!("layer {i} ({})", layer.name()),
                    format!(
                        "takes examples of shape {} but the previous layer gives {}",
                        shape_str(layer.input_shape()),
                        shape_str(&shape)
                    ),
                ));
            }
            shape = layer.output_shape().to_vec();
        }
        let outputs: usize = shape.iter().product();
        if loss == Loss::CategoricalCrossEntropy && outputs < 2 {
            return Err(Error::Config(format!(
                "categorical cross-entropy needs at least 2 outputs, the network has {outputs}; \
                 for two classes with one output use binary cross-entropy"
            )));
        }
        let last = layers.last().expect("not empty").kind();
        let fused = match loss {
            Loss::BinaryCrossEntropy => last == SigmoidConfig::KIND,
            Loss::CategoricalCrossEntropy => last == SoftmaxConfig::KIND,
            Loss::MeanSquaredError => false,
        };
        if fused {
            return Err(Error::Config(format!(
                "the network ends with {} but {loss:?} applies it itself (from logits, so that \
                 dZ = A − Y exactly): remove the last layer; predict_proba returns probabilities",
                layers.last().expect("not empty").name()
            )));
        }
        Ok(Network {
            backend: backend.into_backend(),
            input_shape: input_shape.to_vec(),
            layers,
            loss,
            optimizer: None,
            training: None,
            d_logits: Tensor::zeros(&[0, outputs]),
            parts: parts::Parts::default(),
        })
    }

    /// The shape of one input example.
    pub fn input_shape(&self) -> &[usize] {
        &self.input_shape
    }

    /// The number of outputs per example.
    pub fn outputs(&self) -> usize {
        self.layers
            .last()
            .map_or(0, |l| l.output_shape().iter().product())
    }

    /// The layers, in order.
    pub fn layers(&self) -> &[Box<dyn Layer<T>>] {
        &self.layers
    }

    /// The loss.
    pub fn loss(&self) -> Loss {
        self.loss
    }

    /// The backend.
    pub fn backend(&self) -> &Arc<dyn Backend<T>> {
        &self.backend
    }

    /// Runs the network on another backend from now on (the parameters stay).
    pub fn set_backend(&mut self, backend: impl IntoBackend<T>) {
        self.backend = backend.into_backend();
    }

    /// The optimiser state, if the network was trained (or loaded after training).
    pub fn optimizer_state(&self) -> Option<&OptimizerState<T>> {
        self.optimizer.as_ref()
    }

    /// Forgets the optimiser state (velocities, step count, decay epoch), so that the next
    /// `fit` starts its optimiser afresh.
    pub fn reset_optimizer(&mut self) {
        self.optimizer = None;
    }

    /// The layers, to change their tensors (crate-internal: shapes must not change).
    pub(crate) fn layers_mut(&mut self) -> &mut [Box<dyn Layer<T>>] {
        &mut self.layers
    }

    /// Forgets how the network was trained (its weights came from elsewhere).
    pub(crate) fn forget_training(&mut self) {
        self.training = None;
    }

    /// How the network was last trained.
    pub fn training_summary(&self) -> Option<&TrainingSummary> {
        self.training.as_ref()
    }

    /// The number of trainable parameters.
    pub fn parameter_count(&self) -> usize {
        self.layers
            .iter()
            .flat_map(|l| l.params())
            .map(Tensor::len)
            .sum()
    }

    /// All parameter tensors, layer by layer.
    pub fn parameters(&self) -> Vec<&Tensor<T>> {
        self.layers.iter().flat_map(|l| l.params()).collect()
    }

    /// Replaces the values of parameter tensor `index` (in the order of
    /// [`parameters`](Network::parameters): each layer's `W` then `b`) with `values`, e.g. a
    /// weight a user edited or an initialisation of their own. The optimiser state stays.
    ///
    /// # Errors
    ///
    /// [`Error::Config`] if there is no tensor `index`, `values` has another length, or a
    /// value is not finite.
    pub fn set_parameter(&mut self, index: usize, values: &[T]) -> Result<()> {
        let count = self.param_sizes().len();
        let Some(&len) = self.param_sizes().get(index) else {
            return Err(Error::Config(format!(
                "parameter tensor {index} does not exist: the network has {count}"
            )));
        };
        if values.len() != len {
            return Err(Error::Config(format!(
                "parameter tensor {index} holds {len} values, {} given",
                values.len()
            )));
        }
        if let Some(v) = values.iter().find(|v| !v.to_f64().is_finite()) {
            return Err(Error::Config(format!(
                "parameter tensor {index}: {} is not a finite value",
                v.to_f64()
            )));
        }
        let mut i = 0;
        self.visit_params(&mut |p| {
            if i == index {
                p.value.data_mut().copy_from_slice(values);
            }
            i += 1;
        });
        Ok(())
    }

    /// A one-line-per-layer description: name, output shape, parameter count.
    pub fn summary(&self) -> String {
        let mut s = format!("input {}\n", shape_str(&self.input_shape));
        let names: Vec<String> = self.layers.iter().map(|l| l.name()).collect();
        let width = names.iter().map(|n| n.chars().count()).max().unwrap_or(0);
        for (i, (l, name)) in self.layers.iter().zip(&names).enumerate() {
            let n: usize = l.params().iter().map(|p| p.len()).sum();
            s += &format!(
                "{i:>3}  {name:<width$} → {:<16} {n:>10} params\n",
                shape_str(l.output_shape())
            );
        }
        s += &format!(
            "loss {:?}; {} parameters",
            self.loss,
            self.parameter_count()
        );
        let buffers: usize = self
            .layers
            .iter()
            .flat_map(|l| l.buffers())
            .map(Tensor::len)
            .sum();
        if buffers > 0 {
            s += &format!(" and {buffers} running statistics");
        }
        s
    }

    /// Every parameter tensor then every buffer (running statistics), layer by layer: what
    /// a snapshot of the network must copy.
    pub(crate) fn state(&self) -> Vec<&Tensor<T>> {
        self.layers
            .iter()
            .flat_map(|l| l.params().into_iter().chain(l.buffers()))
            .collect()
    }

    /// Lends the tensors of [`state`](Network::state), in its order.
    pub(crate) fn visit_state(&mut self, visit: &mut dyn FnMut(&mut Tensor<T>)) {
        for layer in &mut self.layers {
            layer.visit_params(&mut |p| visit(p.value));
            layer.visit_buffers(visit);
        }
    }

    /// Lends every parameter tensor and its gradient, in a fixed order.
    pub(crate) fn visit_params(&mut self, visit: &mut dyn FnMut(ParamMut<'_, T>)) {
        for layer in &mut self.layers {
            layer.visit_params(visit);
        }
    }

    pub(crate) fn param_sizes(&self) -> Vec<usize> {
        self.parameters().iter().map(|p| p.len()).collect()
    }

    /// Checks that `x` is a batch of input examples.
    fn check_batch(&self, op: &str, x: &Tensor<T>) -> Result<()> {
        if x.shape().is_empty() || x.shape()[1..] != *self.input_shape {
            let mut want = vec![x.shape().first().copied().unwrap_or(0)];
            want.extend_from_slice(&self.input_shape);
            return Err(Error::shape(
                format!("Network.{op}"),
                format!(
                    "input {} does not match the network's input {}",
                    shape_str(x.shape()),
                    shape_str(&want)
                ),
            ));
        }
        Ok(())
    }

    /// Runs every layer on `x`; the logits are then `self.logits()`.
    pub(crate) fn forward(&mut self, x: &Tensor<T>, mode: Mode<'_>) -> Result<()> {
        self.check_batch("forward", x)?;
        forward_layers(&*self.backend, &mut self.layers, x, mode)
    }

    /// The last layer's output from the last forward pass: the logits.
    pub(crate) fn logits(&self) -> &Tensor<T> {
        self.layers.last().expect("a network has layers").output()
    }

    /// The mean cost of the last forward pass against prepared targets; fills `∂J/∂logits`.
    pub(crate) fn data_cost(&mut self, y: &Tensor<T>) -> Result<f64> {
        let z = self.layers.last().expect("a network has layers").output();
        self.loss
            .cost_and_grad(&*self.backend, z, y, &mut self.d_logits)
    }

    /// Back-propagates `∂J/∂logits` from the last `data_cost` through every layer.
    pub(crate) fn backward(&mut self, x: &Tensor<T>) -> Result<()> {
        backward_layers(&*self.backend, &mut self.layers, x, &self.d_logits)
    }

    /// The regularisation cost over the weights (not biases) of a batch of `m`:
    /// `λ₂/(2m)·Σ‖W‖² + (λ₁/m)·Σ|W|`, and with `add_grad`, `dW += (λ₂/m)·W + (λ₁/m)·sign(W)`.
    pub(crate) fn penalty(&mut self, l2: f64, l1: f64, m: usize, add_grad: bool) -> f64 {
        self.l2_penalty(l2, m, add_grad) + self.l1_penalty(l1, m, add_grad)
    }

    /// `(λ/m)·Σ|W|` over the weights, and with `add_grad`, `dW += (λ/m)·sign(W)`. A plain
    /// loop: L1 serves small networks (the playground's), where no kernel would pay.
    fn l1_penalty(&mut self, l1: f64, m: usize, add_grad: bool) -> f64 {
        if l1 == 0.0 || m == 0 {
            return 0.0;
        }
        let scale = T::from_f64(l1 / m as f64);
        let mut sum = 0.0;
        self.visit_params(&mut |p| {
            if p.decay {
                sum += p.value.data().iter().map(|w| w.to_f64().abs()).sum::<f64>();
                if add_grad {
                    let grads = p.grad.data_mut().iter_mut();
                    for (g, &w) in grads.zip(p.value.data()) {
                        if w > T::ZERO {
                            *g += scale;
                        } else if w < T::ZERO {
                            *g -= scale;
                        }
                    }
                }
            }
        });
        l1 / m as f64 * sum
    }

    /// `λ/(2m)·Σ‖W‖²` over the weights (not biases), and with `add_grad`, `dW += (λ/m)·W`.
    fn l2_penalty(&mut self, l2: f64, m: usize, add_grad: bool) -> f64 {
        if l2 == 0.0 || m == 0 {
            return 0.0;
        }
        let backend = self.backend.clone();
        let mut sum = 0.0;
        let scale = T::from_f64(l2 / m as f64);
        self.visit_params(&mut |p| {
            if p.decay {
                sum += backend.sum_squares(p.value.data());
                if add_grad {
                    backend.axpy(scale, p.value.data(), p.grad.data_mut());
                }
            }
        });
        l2 / (2.0 * m as f64) * sum
    }
}

/// Runs `layers` in order on `x`.
fn forward_layers<T: Float>(
    backend: &dyn Backend<T>,
    layers: &mut [Box<dyn Layer<T>>],
    x: &Tensor<T>,
    mut mode: Mode<'_>,
) -> Result<()> {
    for i in 0..layers.len() {
        let (done, rest) = layers.split_at_mut(i);
        let input = if i == 0 { x } else { done[i - 1].output() };
        rest[0].forward(backend, input, mode.reborrow())?;
    }
    Ok(())
}

/// Back-propagates `d_logits` through `layers` after their forward pass on `x`; the first
/// layer computes no input gradient.
fn backward_layers<T: Float>(
    backend: &dyn Backend<T>,
    layers: &mut [Box<dyn Layer<T>>],
    x: &Tensor<T>,
    d_logits: &Tensor<T>,
) -> Result<()> {
    let n = layers.len();
    for i in (0..n).rev() {
        let (before, rest) = layers.split_at_mut(i);
        let (layer, after) = rest.split_first_mut().expect("i < n");
        let input = if i == 0 { x } else { before[i - 1].output() };
        let d_out = if i == n - 1 {
            d_logits
        } else {
            after[0].input_grad()
        };
        layer.backward(backend, input, d_out, i > 0)?;
    }
    Ok(())
}
