//! `Dropout`: inverted dropout. In training each unit is kept with probability `keep_prob` and
//! scaled by `1/keep_prob` (so evaluation needs no rescaling): `A = X ⊙ D` with
//! `D = [u < keep_prob] / keep_prob`; backward is `dX = dA ⊙ D`. In evaluation it passes its
//! input through.

use serde::{Deserialize, Serialize};

use super::{check_grad, check_input, Layer, Mode};
use crate::error::{Error, Result};
use crate::persist::{decode_config, encode_config, LayerRecord};
use crate::{Backend, Float, Tensor};

#[derive(Serialize, Deserialize)]
struct DropoutConfig {
    keep_prob: f64,
    shape: Vec<usize>,
}

/// Inverted dropout over examples of any shape.
pub struct Dropout<T> {
    keep_prob: f64,
    shape: Vec<usize>,
    mask: Tensor<T>, // (m, shape…): 0 or 1/keep_prob; all ones after an evaluation forward
    a: Tensor<T>,
    dx: Tensor<T>,
}

impl<T: Float> Dropout<T> {
    /// Keeps each unit with probability `keep_prob ∈ (0, 1]`.
    pub fn new(keep_prob: f64, shape: &[usize]) -> Result<Self> {
        if !(keep_prob > 0.0 && keep_prob <= 1.0) {
            return Err(Error::Config(format!(
                "Dropout keep_prob must be in (0, 1], got {keep_prob}"
            )));
        }
        Ok(Dropout {
            keep_prob,
            shape: shape.to_vec(),
            mask: Tensor::zeros(&[0]),
            a: Tensor::zeros(&[0]),
            dx: Tensor::zeros(&[0]),
        })
    }

    /// Rebuilds a layer from its record in a model file.
    pub fn load(record: &LayerRecord) -> Result<Box<dyn Layer<T>>, String> {
        let c: DropoutConfig = decode_config(&record.config)?;
        Ok(Box::new(
            Self::new(c.keep_prob, &c.shape).map_err(|e| e.to_string())?,
        ))
    }
}

impl<T: Float> Layer<T> for Dropout<T> {
    fn name(&self) -> String {
        format!("Dropout(keep {})", self.keep_prob)
    }

    fn kind(&self) -> &'static str {
        "dropout"
    }

    fn input_shape(&self) -> &[usize] {
        &self.shape
    }

    fn output_shape(&self) -> &[usize] {
        &self.shape
    }

    fn forward(&mut self, backend: &dyn Backend<T>, x: &Tensor<T>, mode: Mode<'_>) -> Result<()> {
        check_input(|| format!("{}.forward", self.name()), &self.shape, x)?;
        self.mask.resize(x.shape());
        self.a.resize(x.shape());
        match mode {
            Mode::Train(rng) => rng.fill_keep_mask(self.keep_prob, self.mask.data_mut()),
            Mode::Eval => self.mask.data_mut().fill(T::ONE),
        }
        // a = x ⊙ d
        backend.mul(x.data(), self.mask.data(), self.a.data_mut());
        Ok(())
    }

    fn output(&self) -> &Tensor<T> {
        &self.a
    }

    fn backward(
        &mut self,
        backend: &dyn Backend<T>,
        x: &Tensor<T>,
        da: &Tensor<T>,
        need_input_grad: bool,
    ) -> Result<()> {
        let op = || format!("{}.backward", self.name());
        check_input(op, &self.shape, x)?;
        check_grad(op, x, &self.a, da)?;
        if need_input_grad {
            self.dx.resize(x.shape());
            // dx = da ⊙ d
            backend.mul(da.data(), self.mask.data(), self.dx.data_mut());
        }
        Ok(())
    }

    fn input_grad(&self) -> &Tensor<T> {
        &self.dx
    }

    fn record(&self) -> LayerRecord {
        LayerRecord {
            kind: self.kind().to_string(),
            config: encode_config(&DropoutConfig {
                keep_prob: self.keep_prob,
                shape: self.shape.clone(),
            }),
            params: Vec::new(),
        }
    }
}
