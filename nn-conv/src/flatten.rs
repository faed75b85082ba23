//! `Flatten`: `(m, h, w, c)` volumes to `(m, h·w·c)` rows, keeping the `(h, w, c)` order (the
//! course's `X.reshape(m, -1)`), so that dense layers can follow convolutions.

use std::fmt;

use nn_core::layer::{check_grad, check_input, Layer, LayerConfig, LayerSpec, Mode, Scratch};
use nn_core::torch::{Features, TorchModule};
use nn_core::{Backend, Error, Float, Init, Result, Rng, Tensor};
use serde::{Deserialize, Serialize};

/// Flattens each example to a row (`type = "flatten"`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FlattenConfig {}

impl fmt::Display for FlattenConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Flatten")
    }
}

/// `h·w·c`, refusing sizes that overflow.
fn flat_len(input: &[usize]) -> Result<usize> {
    input
        .iter()
        .try_fold(1usize, |a, &d| a.checked_mul(d))
        .ok_or_else(|| Error::Config(format!("Flatten: {input:?} overflows")))
}

impl LayerConfig for FlattenConfig {
    const KIND: &'static str = "flatten";

    fn output_shape(&self, input: &[usize]) -> Result<Vec<usize>> {
        Ok(vec![flat_len(input)?])
    }

    /// `nn.Flatten()`, which orders PyTorch's `(c, h, w)` volumes differently from ours (the
    /// next layer's tensors are re-ordered on export and import).
    fn torch(&self, _input: &[usize]) -> Option<TorchModule> {
        Some(TorchModule::new("nn.Flatten()").features(Features::Flattens))
    }

    fn build<T: Float>(
        &self,
        input: &[usize],
        _init: Init,
        _rng: &mut Rng,
    ) -> Result<Box<dyn Layer<T>>> {
        Ok(Box::new(Flatten::new(input)?))
    }
}

/// Flattens each example; the backward pass restores the shape. No parameters.
pub struct Flatten<T> {
    input: Vec<usize>,
    output: [usize; 1],
    y: Tensor<T>,
    dx: Tensor<T>,
}

impl<T: Float> Flatten<T> {
    /// Flattens examples of `input` (any shape).
    ///
    /// # Errors
    ///
    /// [`Error::Config`] if the size overflows.
    pub fn new(input: &[usize]) -> Result<Self> {
        let n = flat_len(input)?;
        Ok(Flatten {
            input: input.to_vec(),
            output: [n],
            y: Tensor::zeros(&[0, n]),
            dx: Tensor::zeros(&[0]),
        })
    }
}

impl<T: Float> Layer<T> for Flatten<T> {
    fn spec(&self) -> LayerSpec {
        FlattenConfig {}.into()
    }

    fn kind(&self) -> &'static str {
        FlattenConfig::KIND
    }

    fn name(&self) -> String {
        format!("Flatten({:?} → {})", self.input, self.output[0])
    }

    fn input_shape(&self) -> &[usize] {
        &self.input
    }

    fn output_shape(&self) -> &[usize] {
        &self.output
    }

    fn forward(&mut self, backend: &dyn Backend<T>, x: &Tensor<T>, _mode: Mode<'_>) -> Result<()> {
        let mut y = std::mem::take(&mut self.y);
        let done = self.infer(backend, x, &mut y, &mut Scratch::default());
        self.y = y;
        done
    }

    fn infer(
        &self,
        _backend: &dyn Backend<T>,
        x: &Tensor<T>,
        y: &mut Tensor<T>,
        _scratch: &mut Scratch<T>,
    ) -> Result<()> {
        check_input(|| format!("{}.forward", self.name()), &self.input, x)?;
        y.resize(&[x.rows(), self.output[0]]);
        y.data_mut().copy_from_slice(x.data());
        Ok(())
    }

    fn output(&self) -> &Tensor<T> {
        &self.y
    }

    fn backward(
        &mut self,
        _backend: &dyn Backend<T>,
        x: &Tensor<T>,
        dy: &Tensor<T>,
        need_input_grad: bool,
    ) -> Result<()> {
        let op = || format!("{}.backward", self.name());
        check_grad(op, x, &self.y, dy)?;
        if need_input_grad {
            self.dx.resize(x.shape());
            self.dx.data_mut().copy_from_slice(dy.data());
        }
        Ok(())
    }

    fn input_grad(&self) -> &Tensor<T> {
        &self.dx
    }

    fn release_buffers(&mut self) {
        self.y = Default::default();
        self.dx = Default::default();
    }

    fn replicate(&self) -> Option<Box<dyn Layer<T>>> {
        Self::new(&self.input)
            .ok()
            .map(|l| Box::new(l) as Box<dyn Layer<T>>)
    }
}
