//! `ActivationLayer`: an element-wise activation `A = g(Z)` (sigmoid, tanh, ReLU, leaky ReLU,
//! identity); backward is `dZ = dA ⊙ g'(Z)`. Each function is its own layer kind, described
//! by its own config type (`type = "relu"`, `type = "leaky_relu"` with a `slope`, …).

use std::fmt;

use serde::{Deserialize, Serialize};

use super::{check_grad, check_input, Layer, LayerConfig, LayerSpec, Mode, Scratch};
use crate::error::{Error, Result};
use crate::torch::TorchModule;
use crate::{Activation, Backend, Float, Init, Rng, Tensor};

/// The config types of the activations without parameters: each names its function.
macro_rules! plain_activation {
    ($(#[$doc:meta])* $config:ident, $kind:literal, $g:expr, $name:literal, $torch:literal) => {
        $(#[$doc])*
        #[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
        #[serde(deny_unknown_fields)]
        pub struct $config {}

        impl fmt::Display for $config {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str($name)
            }
        }

        impl LayerConfig for $config {
            const KIND: &'static str = $kind;

            fn output_shape(&self, input: &[usize]) -> Result<Vec<usize>> {
                Ok(input.to_vec())
            }

            fn torch(&self, _input: &[usize]) -> Option<TorchModule> {
                Some(TorchModule::new($torch))
            }

            fn build<T: Float>(
                &self,
                input: &[usize],
                _init: Init,
                _rng: &mut Rng,
            ) -> Result<Box<dyn Layer<T>>> {
                Ok(Box::new(ActivationLayer::new($g, input)))
            }
        }
    };
}

plain_activation!(
    /// `max(0, z)`; `g'(z) = 1 if z > 0 else 0`.
    ReluConfig, "relu", Activation::Relu, "ReLU", "nn.ReLU()"
);
plain_activation!(
    /// `tanh(z)`; `g'(z) = 1 − a²`.
    TanhConfig, "tanh", Activation::Tanh, "Tanh", "nn.Tanh()"
);
plain_activation!(
    /// `σ(z)`; `g'(z) = a(1 − a)`. Not as the last layer with binary cross-entropy, which
    /// applies it itself.
    SigmoidConfig, "sigmoid", Activation::Sigmoid, "Sigmoid", "nn.Sigmoid()"
);
plain_activation!(
    /// `z`; `g'(z) = 1`.
    IdentityConfig, "identity", Activation::Identity, "Identity", "nn.Identity()"
);

/// `z if z > 0 else slope·z`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LeakyReluConfig {
    /// The slope for negative inputs (default 0.01).
    #[serde(default = "default_slope")]
    pub slope: f64,
}

fn default_slope() -> f64 {
    0.01
}

impl Default for LeakyReluConfig {
    fn default() -> Self {
        LeakyReluConfig {
            slope: default_slope(),
        }
    }
}

impl fmt::Display for LeakyReluConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "LeakyReLU({})", self.slope)
    }
}

impl LayerConfig for LeakyReluConfig {
    const KIND: &'static str = "leaky_relu";

    fn validate(&self) -> Result<()> {
        if !self.slope.is_finite() {
            return Err(Error::Config(format!(
                "LeakyReLU slope must be finite, got {}",
                self.slope
            )));
        }
        Ok(())
    }

    fn output_shape(&self, input: &[usize]) -> Result<Vec<usize>> {
        Ok(input.to_vec())
    }

    fn torch(&self, _input: &[usize]) -> Option<TorchModule> {
        let code = format!("nn.LeakyReLU(negative_slope={:?})", self.slope);
        Some(TorchModule::new(code))
    }

    fn build<T: Float>(
        &self,
        input: &[usize],
        _init: Init,
        _rng: &mut Rng,
    ) -> Result<Box<dyn Layer<T>>> {
        let g = Activation::LeakyRelu { slope: self.slope };
        Ok(Box::new(ActivationLayer::new(g, input)))
    }
}

/// Applies `g` to every element; any input shape.
pub struct ActivationLayer<T> {
    g: Activation,
    shape: Vec<usize>,
    a: Tensor<T>,  // (m, shape…)
    dz: Tensor<T>, // (m, shape…)
}

impl<T: Float> ActivationLayer<T> {
    /// `g` over examples of `shape`.
    pub fn new(g: Activation, shape: &[usize]) -> Self {
        ActivationLayer {
            g,
            shape: shape.to_vec(),
            a: Tensor::zeros(&[0]),
            dz: Tensor::zeros(&[0]),
        }
    }

    /// The activation function.
    pub fn activation(&self) -> Activation {
        self.g
    }

    /// `a = g(z)` into `a`.
    fn compute(&self, backend: &dyn Backend<T>, z: &Tensor<T>, a: &mut Tensor<T>) -> Result<()> {
        check_input(|| format!("{}.forward", self.name()), &self.shape, z)?;
        a.resize(z.shape());
        backend.activate(self.g, z.data(), a.data_mut());
        Ok(())
    }
}

impl<T: Float> Layer<T> for ActivationLayer<T> {
    fn spec(&self) -> LayerSpec {
        match self.g {
            Activation::Sigmoid => SigmoidConfig {}.into(),
            Activation::Tanh => TanhConfig {}.into(),
            Activation::Relu => ReluConfig {}.into(),
            Activation::LeakyRelu { slope } => LeakyReluConfig { slope }.into(),
            Activation::Identity => IdentityConfig {}.into(),
        }
    }

    fn kind(&self) -> &'static str {
        match self.g {
            Activation::Sigmoid => SigmoidConfig::KIND,
            Activation::Tanh => TanhConfig::KIND,
            Activation::Relu => ReluConfig::KIND,
            Activation::LeakyRelu { .. } => LeakyReluConfig::KIND,
            Activation::Identity => IdentityConfig::KIND,
        }
    }

    fn input_shape(&self) -> &[usize] {
        &self.shape
    }

    fn output_shape(&self) -> &[usize] {
        &self.shape
    }

    fn forward(&mut self, backend: &dyn Backend<T>, z: &Tensor<T>, _mode: Mode<'_>) -> Result<()> {
        let mut a = std::mem::take(&mut self.a);
        let done = self.compute(backend, z, &mut a);
        self.a = a;
        done
    }

    fn infer(
        &self,
        backend: &dyn Backend<T>,
        z: &Tensor<T>,
        a: &mut Tensor<T>,
        _scratch: &mut Scratch<T>,
    ) -> Result<()> {
        self.compute(backend, z, a)
    }

    fn output(&self) -> &Tensor<T> {
        &self.a
    }

    fn backward(
        &mut self,
        backend: &dyn Backend<T>,
        z: &Tensor<T>,
        da: &Tensor<T>,
        need_input_grad: bool,
    ) -> Result<()> {
        let op = || format!("{}.backward", self.name());
        check_input(op, &self.shape, z)?;
        check_grad(op, z, &self.a, da)?;
        if need_input_grad {
            self.dz.resize(z.shape());
            // dz = da ⊙ g'(z)
            backend.activate_backward(
                self.g,
                z.data(),
                self.a.data(),
                da.data(),
                self.dz.data_mut(),
            );
        }
        Ok(())
    }

    fn input_grad(&self) -> &Tensor<T> {
        &self.dz
    }

    fn release_buffers(&mut self) {
        self.a = Default::default();
        self.dz = Default::default();
    }

    fn replicate(&self) -> Option<Box<dyn Layer<T>>> {
        Some(Box::new(Self::new(self.g, &self.shape)))
    }
}
