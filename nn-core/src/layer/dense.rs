//! `Dense`: the fully connected layer `Z = A·Wᵀ + b`.
//!
//! The course writes it column-wise, `Z = W·A + b` with `A` of shape `(n_in, m)`. Here batches
//! are rows, so `A` is `(m, n_in)` and the same product reads `Z = A·Wᵀ + b`; `W` keeps the
//! course's shape `(n_out, n_in)` and `b` is `(n_out)`.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::Scratch;
use super::{check_grad, check_input, needs_flat, Layer, LayerConfig, LayerSpec, Mode, ParamMut};
use crate::backend::Gemm;
use crate::error::{shape_str, Error, Result};
use crate::torch::{Features, TorchModule, TorchTensor};
use crate::{Backend, Float, Init, Rng, Tensor};

/// A fully connected layer of `units` outputs over flat examples.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DenseConfig {
    /// Output units, `n_out`.
    pub units: usize,
    /// This layer's initialiser (default: the builder's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub init: Option<Init>,
}

impl DenseConfig {
    /// `units` outputs, weights drawn by the builder's initialiser.
    pub fn new(units: usize) -> Self {
        DenseConfig { units, init: None }
    }

    /// `units` outputs, weights drawn by `init`.
    pub fn with_init(units: usize, init: Init) -> Self {
        DenseConfig {
            units,
            init: Some(init),
        }
    }
}

impl fmt::Display for DenseConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Dense({})", self.units)
    }
}

impl LayerConfig for DenseConfig {
    const KIND: &'static str = "dense";

    fn validate(&self) -> Result<()> {
        if self.units == 0 {
            return Err(Error::Config("Dense needs at least one unit".into()));
        }
        Ok(())
    }

    fn output_shape(&self, input: &[usize]) -> Result<Vec<usize>> {
        match input {
            [_] => Ok(vec![self.units]),
            _ => Err(needs_flat(self, input)),
        }
    }

    fn param_shapes(&self, input: &[usize]) -> Vec<Vec<usize>> {
        match input {
            &[n_in] => vec![vec![self.units, n_in], vec![self.units]],
            _ => Vec::new(),
        }
    }

    fn torch(&self, input: &[usize]) -> Option<TorchModule> {
        let &[n_in] = input else { return None };
        let module = TorchModule::new(format!("nn.Linear({n_in}, {})", self.units))
            .tensor(TorchTensor::param("weight", 0).feature_axis(1))
            .tensor(TorchTensor::param("bias", 1))
            .features(Features::Replaces);
        Some(module)
    }

    fn build<T: Float>(
        &self,
        input: &[usize],
        init: Init,
        rng: &mut Rng,
    ) -> Result<Box<dyn Layer<T>>> {
        self.output_shape(input)?;
        let init = self.init.unwrap_or(init);
        Ok(Box::new(Dense::new(input[0], self.units, init, rng)))
    }
}

/// A fully connected layer with `n_out` units, each seeing all `n_in` inputs.
pub struct Dense<T> {
    init: Init,
    n_in: [usize; 1],
    n_out: [usize; 1],
    w: Tensor<T>,  // (n_out, n_in)
    b: Tensor<T>,  // (n_out)
    dw: Tensor<T>, // (n_out, n_in)
    db: Tensor<T>, // (n_out)
    z: Tensor<T>,  // (m, n_out)
    da: Tensor<T>, // (m, n_in)
}

impl<T: Float> Dense<T> {
    /// A layer with weights drawn by `init` and zero biases.
    pub fn new(n_in: usize, n_out: usize, init: Init, rng: &mut Rng) -> Self {
        let mut w = Tensor::zeros(&[n_out, n_in]);
        init.fill(n_in, n_out, rng, w.data_mut());
        Self::with_params(w, Tensor::zeros(&[n_out]), init)
    }

    /// A layer with the given weights `W` `(n_out, n_in)` and biases `b` `(n_out)`.
    pub fn from_params(w: Tensor<T>, b: Tensor<T>) -> Result<Self> {
        match (w.shape(), b.shape()) {
            (&[n_out, _], &[n_b]) if n_out == n_b => Ok(Self::with_params(w, b, Init::Zeros)),
            (ws, bs) => Err(Error::shape(
                "Dense::from_params",
                format!(
                    "weights {} and biases {} must be (n_out, n_in) and (n_out,)",
                    shape_str(ws),
                    shape_str(bs)
                ),
            )),
        }
    }

    fn with_params(w: Tensor<T>, b: Tensor<T>, init: Init) -> Self {
        let (n_out, n_in) = (w.shape()[0], w.shape()[1]);
        Dense {
            init,
            n_in: [n_in],
            n_out: [n_out],
            dw: Tensor::zeros(w.shape()),
            db: Tensor::zeros(b.shape()),
            w,
            b,
            z: Tensor::zeros(&[0, n_out]),
            da: Tensor::zeros(&[0, n_in]),
        }
    }

    /// `W`, `(n_out, n_in)`.
    pub fn weights(&self) -> &Tensor<T> {
        &self.w
    }

    /// `b`, `(n_out)`.
    pub fn bias(&self) -> &Tensor<T> {
        &self.b
    }

    /// `Z = A·Wᵀ + b` into `z`.
    fn compute(&self, backend: &dyn Backend<T>, a: &Tensor<T>, z: &mut Tensor<T>) -> Result<()> {
        if a.shape().len() != 2 || a.shape()[1] != self.n_in[0] {
            return Err(Error::shape(
                format!("{}.forward", self.name()),
                format!(
                    "input {} does not match weights {}",
                    shape_str(a.shape()),
                    shape_str(self.w.shape())
                ),
            ));
        }
        let (m, n_in, n_out) = (a.rows(), self.n_in[0], self.n_out[0]);
        z.resize(&[m, n_out]);
        // z (m, n_out) = a (m, n_in) · Wᵀ (n_in, n_out) + b
        let product = Gemm::new(m, n_out, n_in).trans_b();
        backend.gemm(&product, a.data(), self.w.data(), z.data_mut());
        backend.add_row_vector(z.data_mut(), self.b.data());
        Ok(())
    }
}

impl<T: Float> Layer<T> for Dense<T> {
    fn spec(&self) -> LayerSpec {
        DenseConfig::with_init(self.n_out[0], self.init).into()
    }

    fn kind(&self) -> &'static str {
        DenseConfig::KIND
    }

    fn name(&self) -> String {
        format!("Dense({}→{})", self.n_in[0], self.n_out[0])
    }

    fn input_shape(&self) -> &[usize] {
        &self.n_in
    }

    fn output_shape(&self) -> &[usize] {
        &self.n_out
    }

    fn forward(&mut self, backend: &dyn Backend<T>, a: &Tensor<T>, _mode: Mode<'_>) -> Result<()> {
        let mut z = std::mem::take(&mut self.z);
        let done = self.compute(backend, a, &mut z);
        self.z = z;
        done
    }

    fn infer(
        &self,
        backend: &dyn Backend<T>,
        a: &Tensor<T>,
        z: &mut Tensor<T>,
        _scratch: &mut Scratch<T>,
    ) -> Result<()> {
        self.compute(backend, a, z)
    }

    fn output(&self) -> &Tensor<T> {
        &self.z
    }

    fn backward(
        &mut self,
        backend: &dyn Backend<T>,
        a: &Tensor<T>,
        dz: &Tensor<T>,
        need_input_grad: bool,
    ) -> Result<()> {
        let op = || format!("{}.backward", self.name());
        check_input(op, &self.n_in, a)?;
        check_grad(op, a, &self.z, dz)?;
        let (m, n_in, n_out) = (a.rows(), self.n_in[0], self.n_out[0]);
        // dW (n_out, n_in) = dzᵀ (n_out, m) · a (m, n_in); the 1/m is already in dz.
        let weight_grad = Gemm::new(n_out, n_in, m).trans_a();
        backend.gemm(&weight_grad, dz.data(), a.data(), self.dw.data_mut());
        // db (n_out) = Σ_rows dz
        backend.sum_rows(dz.data(), T::ONE, self.db.data_mut());
        if need_input_grad {
            // dA (m, n_in) = dz (m, n_out) · W (n_out, n_in)
            self.da.resize(&[m, n_in]);
            let input_grad = Gemm::new(m, n_in, n_out);
            backend.gemm(&input_grad, dz.data(), self.w.data(), self.da.data_mut());
        }
        Ok(())
    }

    fn input_grad(&self) -> &Tensor<T> {
        &self.da
    }

    fn release_buffers(&mut self) {
        self.z = Default::default();
        self.da = Default::default();
    }

    fn visit_params(&mut self, visit: &mut dyn FnMut(ParamMut<'_, T>)) {
        visit(ParamMut {
            name: "W",
            value: &mut self.w,
            grad: &mut self.dw,
            decay: true,
        });
        visit(ParamMut {
            name: "b",
            value: &mut self.b,
            grad: &mut self.db,
            decay: false,
        });
    }

    fn params(&self) -> Vec<&Tensor<T>> {
        vec![&self.w, &self.b]
    }

    fn replicate(&self) -> Option<Box<dyn Layer<T>>> {
        Some(Box::new(Self::with_params(
            self.w.clone(),
            self.b.clone(),
            self.init,
        )))
    }

    fn work_per_example(&self) -> usize {
        self.w.len()
    }
}
