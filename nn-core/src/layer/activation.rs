//! `ActivationLayer`: an element-wise activation `A = g(Z)` (sigmoid, tanh, ReLU, leaky ReLU,
//! identity); backward is `dZ = dA ⊙ g'(Z)`.

use serde::{Deserialize, Serialize};

use super::{check_grad, check_input, Layer, Mode};
use crate::error::Result;
use crate::persist::{decode_config, encode_config, LayerRecord};
use crate::{Activation, Backend, Float, Tensor};

#[derive(Serialize, Deserialize)]
struct ActivationConfig {
    activation: Activation,
    shape: Vec<usize>,
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

    /// Rebuilds a layer from its record in a model file.
    pub fn load(record: &LayerRecord) -> Result<Box<dyn Layer<T>>, String> {
        let c: ActivationConfig = decode_config(&record.config)?;
        Ok(Box::new(Self::new(c.activation, &c.shape)))
    }
}

impl<T: Float> Layer<T> for ActivationLayer<T> {
    fn name(&self) -> String {
        match self.g {
            Activation::Sigmoid => "Sigmoid".into(),
            Activation::Tanh => "Tanh".into(),
            Activation::Relu => "ReLU".into(),
            Activation::LeakyRelu { slope } => format!("LeakyReLU({slope})"),
            Activation::Identity => "Identity".into(),
        }
    }

    fn kind(&self) -> &'static str {
        "activation"
    }

    fn input_shape(&self) -> &[usize] {
        &self.shape
    }

    fn output_shape(&self) -> &[usize] {
        &self.shape
    }

    fn forward(&mut self, backend: &dyn Backend<T>, z: &Tensor<T>, _mode: Mode<'_>) -> Result<()> {
        check_input(|| format!("{}.forward", self.name()), &self.shape, z)?;
        self.a.resize(z.shape());
        // a = g(z)
        backend.activate(self.g, z.data(), self.a.data_mut());
        Ok(())
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

    fn record(&self) -> LayerRecord {
        LayerRecord {
            kind: self.kind().to_string(),
            config: encode_config(&ActivationConfig {
                activation: self.g,
                shape: self.shape.clone(),
            }),
            params: Vec::new(),
        }
    }
}
