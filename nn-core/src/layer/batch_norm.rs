//! `BatchNorm`: batch normalisation (Ioffe and Szegedy, 2015) over the last axis: per feature
//! after a dense layer (`(m, n)`), per channel after a convolution (`(m, h, w, c)`).
//!
//! Training, over the `N` rows of a batch (`N = m` or `m·h·w`), per channel:
//! `μ = mean(x)`, `σ² = mean((x − μ)²)`, `x̂ = (x − μ)/√(σ² + ε)`, `y = γ·x̂ + β`, and the
//! running statistics move by `momentum`: `μ_run ← (1 − momentum)·μ_run + momentum·μ`,
//! `σ²_run ← (1 − momentum)·σ²_run + momentum·σ²·N/(N − 1)` (PyTorch's convention: the
//! running variance is unbiased). Evaluation uses the running statistics, so it is the affine
//! map `y = x·γ/√(σ²_run + ε) + (β − μ_run·γ/√(σ²_run + ε))`.
//!
//! Backward, with `s = 1/√(σ² + ε)`: `dβ = Σ dy`, `dγ = Σ dy·x̂`, and
//! `dx = γ·s·(dy − Σdy/N − x̂·Σ(dy·x̂)/N)`, computed as `dy·k_dy + x·k_x + k_0` per channel.
//! After an evaluation forward pass it differentiates the evaluation map instead (the
//! statistics are constants there, as in PyTorch's `eval()` mode): `x̂` and `s` are those of
//! the running statistics and `dx = γ·s·dy`.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::{check_grad, check_input, Layer, LayerConfig, LayerSpec, Mode, ParamMut, Scratch};
use crate::backend::ChannelCoefficients;
use crate::error::{Error, Result};
use crate::torch::{TorchModule, TorchTensor};
use crate::{Backend, Float, Init, Rng, Tensor};

fn default_momentum() -> f64 {
    0.1
}

fn default_epsilon() -> f64 {
    1e-5
}

/// Batch normalisation over the last axis, with learnable `γ` (ones) and `β` (zeros).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BatchNormConfig {
    /// How far each training batch moves the running statistics, in `(0, 1]` (PyTorch's
    /// `momentum`, 0.1; Keras's `momentum` is `1 −` this).
    #[serde(default = "default_momentum")]
    pub momentum: f64,
    /// Added to the variance before the square root (1e-5).
    #[serde(default = "default_epsilon")]
    pub epsilon: f64,
}

impl Default for BatchNormConfig {
    fn default() -> Self {
        BatchNormConfig {
            momentum: default_momentum(),
            epsilon: default_epsilon(),
        }
    }
}

impl fmt::Display for BatchNormConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "BatchNorm")
    }
}

impl LayerConfig for BatchNormConfig {
    const KIND: &'static str = "batch_norm";

    fn validate(&self) -> Result<()> {
        if !(self.momentum > 0.0 && self.momentum <= 1.0) {
            return Err(Error::Config(format!(
                "batch norm's momentum must be in (0, 1], got {}",
                self.momentum
            )));
        }
        if !(self.epsilon > 0.0 && self.epsilon.is_finite()) {
            return Err(Error::Config(format!(
                "batch norm's epsilon must be positive, got {}",
                self.epsilon
            )));
        }
        Ok(())
    }

    fn output_shape(&self, input: &[usize]) -> Result<Vec<usize>> {
        match input.last() {
            Some(&c) if c > 0 => Ok(input.to_vec()),
            _ => Err(Error::Config(format!(
                "batch norm needs examples with a last axis of features or channels, got {input:?}"
            ))),
        }
    }

    fn param_shapes(&self, input: &[usize]) -> Vec<Vec<usize>> {
        let c = input.last().copied().unwrap_or(0);
        vec![vec![c]; 4]
    }

    /// `BatchNorm1d` over flat features, `BatchNorm2d` over the channels of `(h, w, c)`
    /// volumes (PyTorch's `(c, h, w)`); none for other shapes, whose last axis PyTorch does
    /// not normalise.
    fn torch(&self, input: &[usize]) -> Option<TorchModule> {
        let (kind, c) = match *input {
            [n] => ("BatchNorm1d", n),
            [_, _, c] => ("BatchNorm2d", c),
            _ => return None,
        };
        let code = format!(
            "nn.{kind}({c}, eps={:?}, momentum={:?})",
            self.epsilon, self.momentum
        );
        let vector = |t: TorchTensor| t.feature_axis(0);
        let module = TorchModule::new(code)
            .tensor(vector(TorchTensor::param("weight", 0)))
            .tensor(vector(TorchTensor::param("bias", 1)))
            .tensor(vector(TorchTensor::buffer("running_mean", 0)))
            .tensor(vector(TorchTensor::buffer("running_var", 1)))
            .tensor(TorchTensor::batch_count("num_batches_tracked"));
        Some(module)
    }

    fn build<T: Float>(
        &self,
        input: &[usize],
        _init: Init,
        _rng: &mut Rng,
    ) -> Result<Box<dyn Layer<T>>> {
        self.validate()?;
        self.output_shape(input)?;
        Ok(Box::new(BatchNorm::new(self.clone(), input)))
    }
}

/// Batch normalisation over the last axis of examples of any shape.
pub struct BatchNorm<T> {
    config: BatchNormConfig,
    shape: Vec<usize>,
    gamma: Tensor<T>, // (c)
    beta: Tensor<T>,  // (c)
    d_gamma: Tensor<T>,
    d_beta: Tensor<T>,
    running_mean: Tensor<T>, // (c)
    running_var: Tensor<T>,  // (c)
    /// The mean and `1/√(σ² + ε)` the last forward pass normalised with (the batch's in
    /// training, the running ones in evaluation), for backward.
    mean: Vec<f64>,
    inv_std: Vec<f64>,
    /// Whether the last forward pass was in training mode (normalised by batch statistics).
    trained: bool,
    /// Scratch of `c` values each: the variance, backward's sums, the affine scale and shift
    /// or backward's coefficients.
    var: Vec<f64>,
    sums: [Vec<f64>; 2],
    coeffs: [Vec<T>; 3],
    y: Tensor<T>,
    dx: Tensor<T>,
}

impl<T: Float> BatchNorm<T> {
    /// A fresh layer: `γ = 1`, `β = 0`, running mean 0 and variance 1.
    pub fn new(config: BatchNormConfig, shape: &[usize]) -> Self {
        let c = shape.last().copied().unwrap_or(0);
        let ones = || Tensor::from_vec(&[c], vec![T::ONE; c]).expect("c values");
        BatchNorm {
            config,
            shape: shape.to_vec(),
            gamma: ones(),
            beta: Tensor::zeros(&[c]),
            d_gamma: Tensor::zeros(&[c]),
            d_beta: Tensor::zeros(&[c]),
            running_mean: Tensor::zeros(&[c]),
            running_var: ones(),
            mean: vec![0.0; c],
            inv_std: vec![0.0; c],
            trained: false,
            var: vec![0.0; c],
            sums: [vec![0.0; c], vec![0.0; c]],
            coeffs: [vec![T::ZERO; c], vec![T::ZERO; c], vec![T::ZERO; c]],
            y: Tensor::zeros(&[0]),
            dx: Tensor::zeros(&[0]),
        }
    }

    fn channels(&self) -> usize {
        self.gamma.len()
    }

    /// The evaluation map's `scale = γ/√(σ²_run + ε)` and `shift = β − μ_run·scale`.
    fn eval_affine(&self, scale: &mut [T], shift: &mut [T]) {
        let eps = self.config.epsilon;
        let (g, b) = (self.gamma.data(), self.beta.data());
        let (mean, var) = (self.running_mean.data(), self.running_var.data());
        for j in 0..scale.len() {
            let s = g[j].to_f64() / (var[j].to_f64() + eps).sqrt();
            scale[j] = T::from_f64(s);
            shift[j] = T::from_f64(b[j].to_f64() - mean[j].to_f64() * s);
        }
    }

    /// Batch statistics of `x`, the running statistics moved, and the training affine map.
    fn train_affine(&mut self, backend: &dyn Backend<T>, x: &Tensor<T>) {
        backend.channel_moments(x.data(), &mut self.mean, &mut self.var);
        let n = x.len() / self.channels().max(1);
        let unbias = if n > 1 {
            n as f64 / (n - 1) as f64
        } else {
            1.0
        };
        let (mom, eps) = (self.config.momentum, self.config.epsilon);
        let c = self.channels();
        let [scale, shift, _] = &mut self.coeffs;
        for j in 0..c {
            let s = 1.0 / (self.var[j] + eps).sqrt();
            self.inv_std[j] = s;
            let g = self.gamma.data()[j].to_f64() * s;
            scale[j] = T::from_f64(g);
            shift[j] = T::from_f64(self.beta.data()[j].to_f64() - self.mean[j] * g);
            if n < 2 {
                // One value per channel has no variance to learn from (PyTorch refuses it):
                // the running statistics stay as they are.
                continue;
            }
            let rm = &mut self.running_mean.data_mut()[j];
            *rm = T::from_f64((1.0 - mom) * rm.to_f64() + mom * self.mean[j]);
            let rv = &mut self.running_var.data_mut()[j];
            *rv = T::from_f64((1.0 - mom) * rv.to_f64() + mom * self.var[j] * unbias);
        }
    }
}

impl<T: Float> Layer<T> for BatchNorm<T> {
    fn spec(&self) -> LayerSpec {
        self.config.clone().into()
    }

    fn kind(&self) -> &'static str {
        BatchNormConfig::KIND
    }

    fn name(&self) -> String {
        format!("BatchNorm({})", self.channels())
    }

    fn input_shape(&self) -> &[usize] {
        &self.shape
    }

    fn output_shape(&self) -> &[usize] {
        &self.shape
    }

    fn forward(&mut self, backend: &dyn Backend<T>, x: &Tensor<T>, mode: Mode<'_>) -> Result<()> {
        check_input(|| format!("{}.forward", self.name()), &self.shape, x)?;
        self.trained = matches!(mode, Mode::Train(_));
        match mode {
            Mode::Train(_) => self.train_affine(backend, x),
            Mode::Eval => {
                let [mut scale, mut shift, k] = std::mem::take(&mut self.coeffs);
                self.eval_affine(&mut scale, &mut shift);
                self.coeffs = [scale, shift, k];
                let eps = self.config.epsilon;
                let (mean, var) = (self.running_mean.data(), self.running_var.data());
                for j in 0..self.mean.len() {
                    self.mean[j] = mean[j].to_f64();
                    self.inv_std[j] = 1.0 / (var[j].to_f64() + eps).sqrt();
                }
            }
        }
        self.y.resize(x.shape());
        backend.channel_affine(
            x.data(),
            &self.coeffs[0],
            &self.coeffs[1],
            self.y.data_mut(),
        );
        Ok(())
    }

    fn infer(
        &self,
        backend: &dyn Backend<T>,
        x: &Tensor<T>,
        y: &mut Tensor<T>,
        _scratch: &mut Scratch<T>,
    ) -> Result<()> {
        check_input(|| format!("{}.infer", self.name()), &self.shape, x)?;
        let c = self.channels();
        let (mut scale, mut shift) = (vec![T::ZERO; c], vec![T::ZERO; c]);
        self.eval_affine(&mut scale, &mut shift);
        y.resize(x.shape());
        backend.channel_affine(x.data(), &scale, &shift, y.data_mut());
        Ok(())
    }

    fn output(&self) -> &Tensor<T> {
        &self.y
    }

    fn backward(
        &mut self,
        backend: &dyn Backend<T>,
        x: &Tensor<T>,
        dy: &Tensor<T>,
        need_input_grad: bool,
    ) -> Result<()> {
        let op = || format!("{}.backward", self.name());
        check_input(op, &self.shape, x)?;
        check_grad(op, x, &self.y, dy)?;
        let c = self.channels();
        let [sum_dy, sum_dy_xc] = &mut self.sums;
        backend.channel_grad_sums(dy.data(), x.data(), &self.mean, sum_dy, sum_dy_xc);
        let n = (x.len() / c.max(1)).max(1) as f64;
        let [k_dy, k_x, k_0] = &mut self.coeffs;
        for j in 0..c {
            let (s, g) = (self.inv_std[j], self.gamma.data()[j].to_f64());
            self.d_beta.data_mut()[j] = T::from_f64(sum_dy[j]);
            self.d_gamma.data_mut()[j] = T::from_f64(sum_dy_xc[j] * s);
            k_dy[j] = T::from_f64(g * s);
            if self.trained {
                let kx = -g * s * s * s * sum_dy_xc[j] / n;
                k_x[j] = T::from_f64(kx);
                k_0[j] = T::from_f64(-g * s * sum_dy[j] / n - kx * self.mean[j]);
            } else {
                // The evaluation map is affine in x: dx = γ·s·dy.
                k_x[j] = T::ZERO;
                k_0[j] = T::ZERO;
            }
        }
        if need_input_grad {
            self.dx.resize(x.shape());
            let k = ChannelCoefficients {
                k_dy: &self.coeffs[0],
                k_x: &self.coeffs[1],
                k_0: &self.coeffs[2],
            };
            backend.channel_combine(dy.data(), x.data(), k, self.dx.data_mut());
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

    fn visit_params(&mut self, visit: &mut dyn FnMut(ParamMut<'_, T>)) {
        visit(ParamMut {
            name: "gamma",
            value: &mut self.gamma,
            grad: &mut self.d_gamma,
            decay: false,
        });
        visit(ParamMut {
            name: "beta",
            value: &mut self.beta,
            grad: &mut self.d_beta,
            decay: false,
        });
    }

    fn params(&self) -> Vec<&Tensor<T>> {
        vec![&self.gamma, &self.beta]
    }

    fn buffers(&self) -> Vec<&Tensor<T>> {
        vec![&self.running_mean, &self.running_var]
    }

    fn visit_buffers(&mut self, visit: &mut dyn FnMut(&mut Tensor<T>)) {
        visit(&mut self.running_mean);
        visit(&mut self.running_var);
    }
}
