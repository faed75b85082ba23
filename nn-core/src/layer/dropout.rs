//! `Dropout`: inverted dropout. In training each unit is dropped with probability `rate` (kept
//! with the course's `keep_prob = 1 − rate`) and the kept ones are scaled by `1/keep_prob`, so
//! evaluation needs no rescaling: `A = X ⊙ D` with `D = [u < keep_prob] / keep_prob`; backward
//! is `dX = dA ⊙ D`. In evaluation it passes its input through.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::{check_grad, check_input, Layer, LayerConfig, LayerSpec, Mode, Scratch};
use crate::error::{shape_str, Error, Result};
use crate::torch::TorchModule;
use crate::{Backend, Float, Init, Rng, Tensor};

/// Inverted dropout that drops each unit with probability `rate` while training (PyTorch's
/// `p`, Keras's `rate`; the course's `keep_prob` is `1 − rate`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DropoutConfig {
    /// The probability of dropping a unit, in `[0, 1)`.
    pub rate: f64,
}

impl DropoutConfig {
    /// Drops each unit with probability `rate`.
    pub fn new(rate: f64) -> Self {
        DropoutConfig { rate }
    }

    /// Keeps each unit with probability `keep_prob` (the course's parameter).
    pub fn keep(keep_prob: f64) -> Self {
        DropoutConfig {
            rate: 1.0 - keep_prob,
        }
    }

    /// `1 − rate`.
    pub fn keep_prob(&self) -> f64 {
        1.0 - self.rate
    }
}

impl fmt::Display for DropoutConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Dropout(rate {})", self.rate)
    }
}

impl LayerConfig for DropoutConfig {
    const KIND: &'static str = "dropout";

    fn validate(&self) -> Result<()> {
        if !(0.0..1.0).contains(&self.rate) {
            return Err(Error::Config(format!(
                "rate must be in [0, 1), got {} (the probability of dropping a unit; keep_prob {} is 1 − rate)",
                self.rate,
                self.keep_prob()
            )));
        }
        Ok(())
    }

    fn output_shape(&self, input: &[usize]) -> Result<Vec<usize>> {
        Ok(input.to_vec())
    }

    fn torch(&self, _input: &[usize]) -> Option<TorchModule> {
        Some(TorchModule::new(format!("nn.Dropout(p={:?})", self.rate)))
    }

    fn build<T: Float>(
        &self,
        input: &[usize],
        _init: Init,
        _rng: &mut Rng,
    ) -> Result<Box<dyn Layer<T>>> {
        Ok(Box::new(Dropout::with_rate(self.rate, input)?))
    }
}

/// Inverted dropout over examples of any shape.
pub struct Dropout<T> {
    rate: f64,
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
        Self::with_rate(1.0 - keep_prob, shape)
    }

    /// Drops each unit with probability `rate ∈ [0, 1)`.
    pub fn with_rate(rate: f64, shape: &[usize]) -> Result<Self> {
        DropoutConfig::new(rate).validate()?;
        Ok(Dropout {
            rate,
            shape: shape.to_vec(),
            mask: Tensor::zeros(&[0]),
            a: Tensor::zeros(&[0]),
            dx: Tensor::zeros(&[0]),
        })
    }

    /// A training forward pass with a given mask instead of one drawn from a generator, to
    /// reproduce another library's dropout (PyTorch's `x·mask/(1 − p)`): `keep` has the
    /// input's shape and holds 1 for a kept unit, 0 for a dropped one; the kept units are
    /// scaled by `1/keep_prob`, and the next [`backward`](Layer::backward) uses this mask.
    ///
    /// ```
    /// use nn_core::layer::{Dropout, Layer};
    /// use nn_core::{Reference, Tensor};
    /// let mut drop = Dropout::<f64>::with_rate(0.5, &[3])?;
    /// let x = Tensor::from_vec(&[1, 3], vec![1.0, 2.0, 3.0])?;
    /// let keep = Tensor::from_vec(&[1, 3], vec![1.0, 0.0, 1.0])?;
    /// drop.forward_with_mask(&Reference, &x, &keep)?;
    /// assert_eq!(drop.output().data(), &[2.0, 0.0, 6.0]);
    /// # Ok::<(), nn_core::Error>(())
    /// ```
    ///
    /// # Errors
    ///
    /// [`Error::Shape`] if `x` is not a batch of this layer's examples or `keep` has another
    /// shape; [`Error::Config`] if `keep` holds anything but 0 and 1.
    pub fn forward_with_mask(
        &mut self,
        backend: &dyn Backend<T>,
        x: &Tensor<T>,
        keep: &Tensor<T>,
    ) -> Result<()> {
        let op = || format!("{}.forward_with_mask", self.name());
        check_input(op, &self.shape, x)?;
        if keep.shape() != x.shape() {
            return Err(Error::shape(
                op(),
                format!(
                    "mask {} does not match the input {}",
                    shape_str(keep.shape()),
                    shape_str(x.shape())
                ),
            ));
        }
        if let Some(v) = keep.data().iter().find(|&&v| v != T::ZERO && v != T::ONE) {
            return Err(Error::Config(format!(
                "{}: a keep-mask holds 0 (dropped) or 1 (kept), got {v}",
                op()
            )));
        }
        let kept = T::from_f64(1.0 / (1.0 - self.rate));
        self.mask.resize(x.shape());
        for (d, &k) in self.mask.data_mut().iter_mut().zip(keep.data()) {
            *d = k * kept;
        }
        self.a.resize(x.shape());
        backend.mul(x.data(), self.mask.data(), self.a.data_mut());
        Ok(())
    }
}

impl<T: Float> Layer<T> for Dropout<T> {
    fn spec(&self) -> LayerSpec {
        DropoutConfig::new(self.rate).into()
    }

    fn kind(&self) -> &'static str {
        DropoutConfig::KIND
    }

    fn name(&self) -> String {
        format!("Dropout(keep {})", 1.0 - self.rate)
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
            Mode::Train(rng) => rng.fill_keep_mask(1.0 - self.rate, self.mask.data_mut()),
            Mode::Eval => self.mask.data_mut().fill(T::ONE),
        }
        // a = x ⊙ d
        backend.mul(x.data(), self.mask.data(), self.a.data_mut());
        Ok(())
    }

    fn infer(
        &self,
        _backend: &dyn Backend<T>,
        x: &Tensor<T>,
        a: &mut Tensor<T>,
        _scratch: &mut Scratch<T>,
    ) -> Result<()> {
        check_input(|| format!("{}.forward", self.name()), &self.shape, x)?;
        a.resize(x.shape());
        a.data_mut().copy_from_slice(x.data());
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

    fn release_buffers(&mut self) {
        self.mask = Default::default();
        self.a = Default::default();
        self.dx = Default::default();
    }
}
