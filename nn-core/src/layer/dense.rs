//! `Dense`: the fully connected layer `Z = A·Wᵀ + b`.
//!
//! The course writes it column-wise, `Z = W·A + b` with `A` of shape `(n_in, m)`. Here batches
//! are rows, so `A` is `(m, n_in)` and the same product reads `Z = A·Wᵀ + b`; `W` keeps the
//! course's shape `(n_out, n_in)` and `b` is `(n_out)`.

use serde::{Deserialize, Serialize};

use super::{check_grad, check_input, Layer, Mode, ParamMut};
use crate::backend::Transpose::{No, Yes};
use crate::error::{shape_str, Error, Result};
use crate::persist::{decode_config, encode_config, LayerRecord};
use crate::{Backend, Float, Init, Rng, Tensor};

#[derive(Serialize, Deserialize)]
struct DenseConfig {
    n_in: usize,
    n_out: usize,
}

/// A fully connected layer with `n_out` units, each seeing all `n_in` inputs.
pub struct Dense<T> {
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
        Self::with_params(w, Tensor::zeros(&[n_out]))
    }

    /// A layer with the given weights `W` `(n_out, n_in)` and biases `b` `(n_out)`.
    pub fn from_params(w: Tensor<T>, b: Tensor<T>) -> Result<Self> {
        match (w.shape(), b.shape()) {
            (&[n_out, _], &[n_b]) if n_out == n_b => Ok(Self::with_params(w, b)),
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

    fn with_params(w: Tensor<T>, b: Tensor<T>) -> Self {
        let (n_out, n_in) = (w.shape()[0], w.shape()[1]);
        Dense {
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

    /// Rebuilds a layer from its record in a model file.
    pub fn load(record: &LayerRecord) -> Result<Box<dyn Layer<T>>, String> {
        let c: DenseConfig = decode_config(&record.config)?;
        let [w, b] = record.params.as_slice() else {
            return Err(format!(
                "Dense needs 2 parameter tensors, the file has {}",
                record.params.len()
            ));
        };
        let (w, b) = (T::from_param_data(w), T::from_param_data(b));
        if Some(w.len()) != c.n_out.checked_mul(c.n_in) || b.len() != c.n_out {
            return Err(format!(
                "Dense({}→{}) needs {}×{} weights and {} biases, the file has {} and {}",
                c.n_in,
                c.n_out,
                c.n_out,
                c.n_in,
                c.n_out,
                w.len(),
                b.len()
            ));
        }
        let w = Tensor::from_vec(&[c.n_out, c.n_in], w).map_err(|e| e.to_string())?;
        let b = Tensor::from_vec(&[c.n_out], b).map_err(|e| e.to_string())?;
        Ok(Box::new(Self::with_params(w, b)))
    }
}

impl<T: Float> Layer<T> for Dense<T> {
    fn name(&self) -> String {
        format!("Dense({}→{})", self.n_in[0], self.n_out[0])
    }

    fn kind(&self) -> &'static str {
        "dense"
    }

    fn input_shape(&self) -> &[usize] {
        &self.n_in
    }

    fn output_shape(&self) -> &[usize] {
        &self.n_out
    }

    fn forward(&mut self, backend: &dyn Backend<T>, a: &Tensor<T>, _mode: Mode<'_>) -> Result<()> {
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
        self.z.resize(&[m, self.n_out[0]]);
        // z (m, n_out) = a (m, n_in) · Wᵀ (n_in, n_out) + b
        backend.gemm(
            No,
            Yes,
            m,
            n_out,
            n_in,
            T::ONE,
            a.data(),
            self.w.data(),
            T::ZERO,
            self.z.data_mut(),
        );
        backend.add_row_vector(self.z.data_mut(), self.b.data());
        Ok(())
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
        backend.gemm(
            Yes,
            No,
            n_out,
            n_in,
            m,
            T::ONE,
            dz.data(),
            a.data(),
            T::ZERO,
            self.dw.data_mut(),
        );
        // db (n_out) = Σ_rows dz
        backend.sum_rows(dz.data(), T::ONE, self.db.data_mut());
        if need_input_grad {
            // dA (m, n_in) = dz (m, n_out) · W (n_out, n_in)
            self.da.resize(&[m, n_in]);
            backend.gemm(
                No,
                No,
                m,
                n_in,
                n_out,
                T::ONE,
                dz.data(),
                self.w.data(),
                T::ZERO,
                self.da.data_mut(),
            );
        }
        Ok(())
    }

    fn input_grad(&self) -> &Tensor<T> {
        &self.da
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

    fn record(&self) -> LayerRecord {
        LayerRecord {
            kind: self.kind().to_string(),
            config: encode_config(&DenseConfig {
                n_in: self.n_in[0],
                n_out: self.n_out[0],
            }),
            params: vec![
                T::to_param_data(self.w.data()),
                T::to_param_data(self.b.data()),
            ],
        }
    }
}
