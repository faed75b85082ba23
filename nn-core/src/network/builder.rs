//! `NetworkBuilder`: a network in a few lines, with shapes inferred layer by layer.

use crate::error::{Error, Result};
use crate::layer::{ActivationLayer, Dense, Dropout, Layer, Softmax};
use crate::{Activation, Backend, Float, Init, Loss, Network, Rng};

type MakeLayer<T> = Box<dyn FnOnce(&[usize], Init, &mut Rng) -> Result<Box<dyn Layer<T>>>>;

/// Collects layers, then [`build`](NetworkBuilder::build)s them with a backend and a generator.
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
    layers: Vec<MakeLayer<T>>,
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
        }
    }

    /// The initialiser of the layers added after this call.
    pub fn init(mut self, init: Init) -> Self {
        self.init = init;
        self
    }

    /// Adds any layer: `make` receives the shape of one input example, the current initialiser
    /// and the generator. This is how other crates' layers (convolution, pooling) join.
    pub fn layer(
        mut self,
        make: impl FnOnce(&[usize], Init, &mut Rng) -> Result<Box<dyn Layer<T>>> + 'static,
    ) -> Self {
        let init = self.init;
        self.layers
            .push(Box::new(move |shape, _, rng| make(shape, init, rng)));
        self
    }

    /// A fully connected layer of `n` units (`Z = A·Wᵀ + b`) over flat examples.
    pub fn dense(self, n: usize) -> Self {
        self.layer(move |shape, init, rng| match shape {
            &[n_in] => Ok(Box::new(Dense::new(n_in, n, init, rng)) as Box<dyn Layer<T>>),
            _ => Err(Error::Config(format!(
                "Dense({n}) needs flat examples, but the previous layer gives shape {shape:?}: add a Flatten layer first"
            ))),
        })
    }

    /// A fully connected layer with its own initialiser.
    pub fn dense_init(self, n: usize, init: Init) -> Self {
        let previous = self.init;
        self.init(init).dense(n).init(previous)
    }

    /// An element-wise activation.
    pub fn activation(self, g: Activation) -> Self {
        self.layer(move |shape, _, _| {
            Ok(Box::new(ActivationLayer::new(g, shape)) as Box<dyn Layer<T>>)
        })
    }

    /// `max(0, z)`.
    pub fn relu(self) -> Self {
        self.activation(Activation::Relu)
    }

    /// `z if z > 0 else slope·z`.
    pub fn leaky_relu(self, slope: f64) -> Self {
        self.activation(Activation::LeakyRelu { slope })
    }

    /// `tanh(z)`.
    pub fn tanh(self) -> Self {
        self.activation(Activation::Tanh)
    }

    /// `σ(z)` (not as the last layer with binary cross-entropy, which applies it itself).
    pub fn sigmoid(self) -> Self {
        self.activation(Activation::Sigmoid)
    }

    /// Softmax over flat examples (not as the last layer with categorical cross-entropy).
    pub fn softmax(self) -> Self {
        self.layer(|shape, _, _| match shape {
            &[n] => Ok(Box::new(Softmax::new(n)) as Box<dyn Layer<T>>),
            _ => Err(Error::Config(format!(
                "Softmax needs flat examples, got shape {shape:?}"
            ))),
        })
    }

    /// Inverted dropout keeping each unit with probability `keep_prob`.
    pub fn dropout(self, keep_prob: f64) -> Self {
        self.layer(move |shape, _, _| {
            Ok(Box::new(Dropout::new(keep_prob, shape)?) as Box<dyn Layer<T>>)
        })
    }

    /// The loss (and with it the output function).
    pub fn loss(mut self, loss: Loss) -> Self {
        self.loss = loss;
        self
    }

    /// Creates the layers, drawing initial weights from `rng`, and checks the whole:
    /// shapes chain, the loss suits the output, and no hidden layer starts symmetric.
    pub fn build(self, backend: impl Backend<T> + 'static, rng: &mut Rng) -> Result<Network<T>> {
        let mut shape = self.input_shape.clone();
        let mut layers = Vec::with_capacity(self.layers.len());
        for (i, make) in self.layers.into_iter().enumerate() {
            let layer = make(&shape, self.init, rng).map_err(|e| match e {
                Error::Config(message) => Error::Config(format!("layer {i}: {message}")),
                other => other,
            })?;
            shape = layer.output_shape().to_vec();
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
        .filter(|&i| !layers[i].params().is_empty())
        .collect();
    for &i in with_params.iter().rev().skip(1) {
        let w = layers[i].params()[0];
        let units = w.shape().first().copied().unwrap_or(0);
        if units > 1 && w.data().windows(2).all(|p| p[0] == p[1]) {
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
