//! `Softmax`: `aⱼ = e^{zⱼ} / Σₖ e^{zₖ}` over each example; backward applies the Jacobian,
//! `dz = a ⊙ (da − Σⱼ daⱼ·aⱼ)`.
//!
//! With categorical cross-entropy, do not end the network with this layer: the loss takes
//! logits and fuses softmax with it, so that `dZ = A − Y` exactly.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::{check_grad, check_input, Layer, LayerConfig, LayerSpec, Mode, Scratch};
use crate::error::{Error, Result};
use crate::torch::TorchModule;
use crate::{Backend, Float, Init, Rng, Tensor};

/// Softmax over the features of each (flat) example.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SoftmaxConfig {}

impl fmt::Display for SoftmaxConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Softmax")
    }
}

impl LayerConfig for SoftmaxConfig {
    const KIND: &'static str = "softmax";

    fn output_shape(&self, input: &[usize]) -> Result<Vec<usize>> {
        match input {
            [_] => Ok(input.to_vec()),
            _ => Err(Error::Config(format!(
                "Softmax needs flat examples, got shape {input:?}"
            ))),
        }
    }

    fn torch(&self, _input: &[usize]) -> Option<TorchModule> {
        Some(TorchModule::new("nn.Softmax(dim=1)"))
    }

    fn build<T: Float>(
        &self,
        input: &[usize],
        _init: Init,
        _rng: &mut Rng,
    ) -> Result<Box<dyn Layer<T>>> {
        self.output_shape(input)?;
        Ok(Box::new(Softmax::new(input[0])))
    }
}

/// Softmax over the `n` features of each example.
pub struct Softmax<T> {
    n: [usize; 1],
    a: Tensor<T>,  // (m, n)
    dz: Tensor<T>, // (m, n)
}

impl<T: Float> Softmax<T> {
    /// Softmax over `n` features.
    pub fn new(n: usize) -> Self {
        Softmax {
            n: [n],
            a: Tensor::zeros(&[0, n]),
            dz: Tensor::zeros(&[0, n]),
        }
    }

    fn compute(&self, backend: &dyn Backend<T>, z: &Tensor<T>, a: &mut Tensor<T>) -> Result<()> {
        check_input(|| format!("{}.forward", self.name()), &self.n, z)?;
        a.resize(z.shape());
        backend.softmax_rows(z.data(), self.n[0], a.data_mut());
        Ok(())
    }
}

impl<T: Float> Layer<T> for Softmax<T> {
    fn spec(&self) -> LayerSpec {
        SoftmaxConfig {}.into()
    }

    fn kind(&self) -> &'static str {
        SoftmaxConfig::KIND
    }

    fn name(&self) -> String {
        format!("Softmax({})", self.n[0])
    }

    fn input_shape(&self) -> &[usize] {
        &self.n
    }

    fn output_shape(&self) -> &[usize] {
        &self.n
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
        check_input(op, &self.n, z)?;
        check_grad(op, z, &self.a, da)?;
        if need_input_grad {
            self.dz.resize(z.shape());
            backend.softmax_backward_rows(self.a.data(), da.data(), self.n[0], self.dz.data_mut());
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
        Some(Box::new(Self::new(self.n[0])))
    }
}
