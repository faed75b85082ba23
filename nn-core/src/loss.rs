//! Losses. Each takes the network's last output as *logits* (pre-activation) and fuses the
//! output function with the loss, so that for sigmoid+BCE and softmax+CE `dZ = (A − Y)/m`
//! exactly and no `log(0)` is ever taken. The cost is the mean over the batch.

use serde::{Deserialize, Serialize};

use crate::error::{shape_str, Error, Result};
use crate::{Activation, Backend, Float, Tensor};

/// The training objective and, with it, the output function applied by `predict_proba`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Loss {
    /// `J = −(1/m) Σ [y·ln σ(z) + (1 − y)·ln(1 − σ(z))]`; output `σ(z)`. Targets in `[0, 1]`,
    /// shape `(m, k)` (or `(m,)` with one output).
    BinaryCrossEntropy,
    /// `J = −(1/m) Σ Σⱼ yⱼ·ln softmax(z)ⱼ`; output `softmax(z)`. Targets are class indices
    /// `(m,)` / `(m, 1)` or one-hot rows `(m, K)`.
    CategoricalCrossEntropy,
    /// `J = (1/m) Σ ½(ŷ − y)²`; output `ŷ = z`. Targets of the output's shape.
    MeanSquaredError,
}

impl Loss {
    /// The function that turns logits into the network's output.
    pub(crate) fn apply_output<T: Float>(
        self,
        backend: &dyn Backend<T>,
        z: &Tensor<T>,
        out: &mut Tensor<T>,
    ) {
        out.resize(z.shape());
        match self {
            Loss::BinaryCrossEntropy => {
                backend.activate(Activation::Sigmoid, z.data(), out.data_mut())
            }
            Loss::CategoricalCrossEntropy => {
                backend.softmax_rows(z.data(), z.row_len(), out.data_mut())
            }
            Loss::MeanSquaredError => out.data_mut().copy_from_slice(z.data()),
        }
    }

    /// Checks targets `y` for a network with `outputs` outputs and returns them as `(m, outputs)`
    /// (class indices become one-hot rows).
    pub fn prepare_targets<T: Float>(self, y: &Tensor<T>, outputs: usize) -> Result<Tensor<T>> {
        let m = y.rows();
        let bad_shape = || {
            Error::Labels(format!(
                "{self:?} with {outputs} output(s) needs targets of shape ({m}, {outputs}){}, got {}",
                match self {
                    Loss::CategoricalCrossEntropy => format!(" or class indices ({m},)"),
                    _ if outputs == 1 => format!(" or ({m},)"),
                    _ => String::new(),
                },
                shape_str(y.shape())
            ))
        };
        if y.shape().is_empty() || y.shape().len() > 2 {
            return Err(bad_shape());
        }
        let cols = y.row_len();
        if let Some(i) = y.data().iter().position(|v| !v.is_finite()) {
            return Err(Error::Labels(format!(
                "target at row {} is {}",
                i / cols.max(1),
                y.data()[i]
            )));
        }
        match self {
            Loss::CategoricalCrossEntropy if cols == 1 && outputs > 1 => {
                let mut one_hot = Tensor::zeros(&[m, outputs]);
                for (i, &c) in y.data().iter().enumerate() {
                    let k = c.to_f64();
                    if k < 0.0 || k.fract() != 0.0 || k >= outputs as f64 {
                        return Err(Error::Labels(format!(
                            "row {i}: class {k} is not an integer in 0..{outputs}"
                        )));
                    }
                    one_hot.data_mut()[i * outputs + k as usize] = T::ONE;
                }
                Ok(one_hot)
            }
            _ if cols != outputs => Err(bad_shape()),
            Loss::CategoricalCrossEntropy => {
                for i in 0..m {
                    let row = y.row(i);
                    let sum: f64 = row.iter().map(|v| v.to_f64()).sum();
                    if row.iter().any(|&v| v < T::ZERO) || (sum - 1.0).abs() > 1e-4 {
                        return Err(Error::Labels(format!(
                            "row {i}: a target distribution must be non-negative and sum to 1 (sum {sum})"
                        )));
                    }
                }
                Ok(y.clone().reshape(&[m, outputs])?)
            }
            Loss::BinaryCrossEntropy => {
                if let Some(i) = y.data().iter().position(|&v| v < T::ZERO || v > T::ONE) {
                    return Err(Error::Labels(format!(
                        "row {}: binary cross-entropy needs targets in [0, 1], got {}",
                        i / outputs,
                        y.data()[i]
                    )));
                }
                Ok(y.clone().reshape(&[m, outputs])?)
            }
            Loss::MeanSquaredError => Ok(y.clone().reshape(&[m, outputs])?),
        }
    }

    /// The mean cost of logits `z` against targets `y` prepared by
    /// [`prepare_targets`](Loss::prepare_targets) (both `(m, k)`), and `dz = ∂J/∂z` written
    /// into `dz` (resized to `z`'s shape): what a training step starts its backward pass from.
    ///
    /// ```
    /// use nn_core::{Loss, Reference, Tensor};
    /// let z = Tensor::from_vec(&[2, 1], vec![0.0f64, 0.0])?;
    /// let y = Tensor::from_vec(&[2, 1], vec![1.0, 0.0])?;
    /// let mut dz = Tensor::default();
    /// let cost = Loss::BinaryCrossEntropy.cost_and_grad(&Reference, &z, &y, &mut dz)?;
    /// assert!((cost - std::f64::consts::LN_2).abs() < 1e-15);
    /// assert_eq!(dz.data(), &[-0.25, 0.25]); // (σ(z) − y)/m
    /// # Ok::<(), nn_core::Error>(())
    /// ```
    ///
    /// # Errors
    ///
    /// [`Error::Shape`] if `z` and `y` do not have the same rows and number of values.
    pub fn cost_and_grad<T: Float>(
        self,
        backend: &dyn Backend<T>,
        z: &Tensor<T>,
        y: &Tensor<T>,
        dz: &mut Tensor<T>,
    ) -> Result<f64> {
        let m = z.rows();
        let total = self.summed_cost_and_grad(backend, z, y, dz, m)?;
        Ok(if m == 0 { 0.0 } else { total / m as f64 })
    }

    /// The cost of logits `z` against targets `y` summed over their rows, and `dz` as the
    /// gradient of the mean over a batch of `batch` examples of which these rows are a part:
    /// what one part of a mini-batch contributes (see [`cost_and_grad`](Loss::cost_and_grad)).
    pub(crate) fn summed_cost_and_grad<T: Float>(
        self,
        backend: &dyn Backend<T>,
        z: &Tensor<T>,
        y: &Tensor<T>,
        dz: &mut Tensor<T>,
        batch: usize,
    ) -> Result<f64> {
        if z.len() != y.len() || z.rows() != y.rows() {
            return Err(Error::shape(
                format!("{self:?}"),
                format!(
                    "output {} does not match targets {}",
                    shape_str(z.shape()),
                    shape_str(y.shape())
                ),
            ));
        }
        dz.resize(z.shape());
        let scale = T::from_f64(1.0 / batch.max(1) as f64);
        let total = match self {
            Loss::BinaryCrossEntropy => {
                backend.bce_with_logits(z.data(), y.data(), scale, dz.data_mut())
            }
            Loss::CategoricalCrossEntropy => {
                backend.softmax_cross_entropy(z.data(), y.data(), z.row_len(), scale, dz.data_mut())
            }
            Loss::MeanSquaredError => {
                backend.squared_error(z.data(), y.data(), scale, dz.data_mut())
            }
        };
        Ok(total)
    }

    /// Whether the loss classifies (its outputs are probabilities).
    pub fn is_classification(self) -> bool {
        !matches!(self, Loss::MeanSquaredError)
    }
}
