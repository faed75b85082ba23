//! `NetworkBuilder`: a network in a few lines, with shapes inferred layer by layer.

use crate::error::{Error, Result};
use crate::layer::{
    BatchNormConfig, DenseConfig, DropoutConfig, Layer, LayerSpec, LeakyReluConfig, ReluConfig,
    SigmoidConfig, SoftmaxConfig, TanhConfig,
};
use crate::{Float, Init, IntoBackend, Loss, Network, Rng};

/// Collects layer descriptions, then [`build`](NetworkBuilder::build)s them with a backend and
/// a generator.
///
/// ```
/// use nn_core::{Init, Loss, Network, Reference, Rng};
/// // The course's [12288, 20, 7, 5, 1] network.
/// let net = Network::<f32>::builder(&[12288])
///     .init(Init::LeCunNormal)
///     .dense(20).relu()
///     .dense(7).relu()
///     .dense(5).relu()
///     .dense(1)
///     .loss(Loss::BinaryCrossEntropy)
///     .build(Reference, &mut Rng::seed(1))?;
/// assert_eq!(net.parameter_count(), 12288 * 20 + 20 + 20 * 7 + 7 + 7 * 5 + 5 + 5 + 1);
/// # Ok::<(), nn_core::Error>(())
/// ```
pub struct NetworkBuilder<T: Float> {
    input_shape: Vec<usize>,
    init: Init,
    loss: Loss,
    layers: Vec<(LayerSpec, Init)>,
    element: std::marker::PhantomData<T>,
}

impl<T: Float> NetworkBuilder<T> {
    /// A network taking examples of `input_shape`. Defaults: Xavier-uniform weights,
    /// binary cross-entropy.
    pub fn new(input_shape: &[usize]) -> Self {
        NetworkBuilder {
            input_shape: input_shape.to_vec(),
            init: Init::XavierUniform,
            loss: Loss::BinaryCrossEntropy,
            layers: Vec::new(),
            element: std::marker::PhantomData,
        }
    }

    /// The initialiser of the layers added after this call (unless a layer's config names
    /// its own).
    pub fn init(mut self, init: Init) -> Self {
        self.init = init;
        self
    }

    /// Adds any layer by its description: a config of this crate (`DenseConfig::new(20)`),
    /// of another (`nn_conv::Conv2dConfig`), or a [`LayerSpec`] read from a file.
    pub fn layer(mut self, spec: impl Into<LayerSpec>) -> Self {
        self.layers.push((spec.into(), self.init));
        self
    }

    /// Adds every layer of `specs`, in order.
    pub fn layers(self, specs: impl IntoIterator<Item = LayerSpec>) -> Self {
        specs.into_iter().fold(self, |b, s| b.layer(s))
    }

    /// A fully connected layer of `n` units (`Z = A·Wᵀ + b`) over flat examples.
    pub fn dense(self, n: usize) -> Self {
        self.layer(DenseConfig::new(n))
    }

    /// A fully connected layer with its own initialiser.
    pub fn dense_init(self, n: usize, init: Init) -> Self {
        self.layer(DenseConfig::with_init(n, init))
    }

    /// `max(0, z)`.
    pub fn relu(self) -> Self {
        self.layer(ReluConfig {})
    }

    /// `z if z > 0 else slope·z`.
    pub fn leaky_relu(self, slope: f64) -> Self {
        self.layer(LeakyReluConfig { slope })
    }

    /// `tanh(z)`.
    pub fn tanh(self) -> Self {
        self.layer(TanhConfig {})
    }

    /// `σ(z)` (not as the last layer with binary cross-entropy, which applies it itself).
    pub fn sigmoid(self) -> Self {
        self.layer(SigmoidConfig {})
    }

    /// Softmax over flat examples (not as the last layer with categorical cross-entropy).
    pub fn softmax(self) -> Self {
        self.layer(SoftmaxConfig {})
    }

    /// Inverted dropout keeping each unit with probability `keep_prob` (the course's
    /// notation; the layer's config stores `rate = 1 − keep_prob`).
    pub fn dropout(self, keep_prob: f64) -> Self {
        self.layer(DropoutConfig::keep(keep_prob))
    }

    /// Batch normalisation over the last axis (features or channels), PyTorch's defaults
    /// (momentum 0.1, ε = 1e-5).
    pub fn batch_norm(self) -> Self {
        self.layer(BatchNormConfig::default())
    }

    /// The loss (and with it the output function).
    pub fn loss(mut self, loss: Loss) -> Self {
        self.loss = loss;
        self
    }

    /// Creates the layers, drawing initial weights from `rng`, and checks the whole:
    /// shapes chain, the loss suits the output, and no hidden layer starts symmetric.
    pub fn build(self, backend: impl IntoBackend<T>, rng: &mut Rng) -> Result<Network<T>> {
        super::example_size(&self.input_shape)?;
        let mut shape = self.input_shape.clone();
        let mut layers = Vec::with_capacity(self.layers.len());
        for (i, (spec, init)) in self.layers.iter().enumerate() {
            let in_layer = |e| match e {
                Error::Config(message) => Error::Config(format!("layer {i}: {message}")),
                other => other,
            };
            let out = spec.config().output_shape(&shape).map_err(in_layer)?;
            super::example_size(&out)?;
            let layer = spec.build::<T>(&shape, *init, rng).map_err(in_layer)?;
            shape = out;
            layers.push(layer);
        }
        refuse_symmetric_hidden_layers(&layers)?;
        Network::from_layers(backend, &self.input_shape, layers, self.loss)
    }
}

/// A hidden layer whose weights are all equal (e.g. zeros) gives every unit the same output and
/// the same gradient, so its units can never become different: refuse it.
fn refuse_symmetric_hidden_layers<T: Float>(layers: &[Box<dyn Layer<T>>]) -> Result<()> {
    let with_params: Vec<usize> = (0..layers.len())
        .filter(|&i| {
            layers[i]
                .params()
                .first()
                .is_some_and(|w| w.shape().len() > 1)
        })
        .collect();
    for &i in with_params.iter().rev().skip(1) {
        let w = layers[i].params()[0];
        let units = w.shape().first().copied().unwrap_or(0);
        if units > 1 && !w.data().is_empty() && w.data().windows(2).all(|p| p[0] == p[1]) {
            return Err(Error::Config(format!(
                "hidden layer {i} ({}) starts with all weights equal to {}: its {units} units would \
                 compute the same thing and receive the same gradient forever (symmetry is never \
                 broken). Initialise hidden layers randomly (Init::He, Init::XavierUniform, …); \
                 zeros are fine only for the output layer, as in logistic regression",
                layers[i].name(),
                w.data()[0]
            )));
        }
    }
    Ok(())
}
