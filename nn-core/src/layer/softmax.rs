//! `Softmax`: `aⱼ = e^{zⱼ} / Σₖ e^{zₖ}` over each example; backward applies the Jacobian,
//! `dz = a ⊙ (da − Σⱼ daⱼ·aⱼ)`.
//!
//! With categorical cross-entropy, do not end the network with this layer: the loss takes
//! logits and fuses softmax with it, so that `dZ = A − Y` exactly.

use serde::{Deserialize, Serialize};

use super::{check_grad, check_input, Layer, Mode};
use crate::error::Result;
use crate::persist::{decode_config, encode_config, LayerRecord};
use crate::{Backend, Float, Tensor};

#[derive(Serialize, Deserialize)]
struct SoftmaxConfig {
    n: usize,
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

    /// Rebuilds a layer from its record in a model file.
    pub fn load(record: &LayerRecord) -> Result<Box<dyn Layer<T>>, String> {
        let c: SoftmaxConfig = decode_config(&record.config)?;
        Ok(Box::new(Self::new(c.n)))
    }
}

impl<T: Float> Layer<T> for Softmax<T> {
    fn name(&self) -> String {
        format!("Softmax({})", self.n[0])
    }

    fn kind(&self) -> &'static str {
        "softmax"
    }

    fn input_shape(&self) -> &[usize] {
        &self.n
    }

    fn output_shape(&self) -> &[usize] {
        &self.n
    }

    fn forward(&mut self, backend: &dyn Backend<T>, z: &Tensor<T>, _mode: Mode<'_>) -> Result<()> {
        check_input(|| format!("{}.forward", self.name()), &self.n, z)?;
        self.a.resize(z.shape());
        backend.softmax_rows(z.data(), self.n[0], self.a.data_mut());
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

    fn record(&self) -> LayerRecord {
        LayerRecord {
            kind: self.kind().to_string(),
            config: encode_config(&SoftmaxConfig { n: self.n[0] }),
            params: Vec::new(),
        }
    }
}
