//! Gradient checking: back-propagation against centred finite differences,
//! `∂J/∂θᵢ ≈ (J(θ + εeᵢ) − J(θ − εeᵢ)) / 2ε`, for every parameter tensor of any network.
//! Run it in `f64`: in `f32` the differences drown in rounding.

use crate::layer::{BatchNormConfig, LayerConfig, Mode};
use crate::{Float, Network, Result, Rng, Tensor};

/// Settings of a gradient check.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct GradCheck {
    /// The step ε of the centred differences.
    pub epsilon: f64,
    /// The L2 strength included in the cost.
    pub l2: f64,
    /// The L1 strength included in the cost (its gradient `sign(W)` is checked where no weight
    /// is within ε of 0).
    pub l1: f64,
    /// Check at most this many entries per tensor (evenly spaced); `None` checks all.
    pub max_entries: Option<usize>,
}

impl Default for GradCheck {
    fn default() -> Self {
        GradCheck {
            epsilon: 1e-6,
            l2: 0.0,
            l1: 0.0,
            max_entries: None,
        }
    }
}

/// The largest difference accepted for a gradient that is zero in theory: rounding noise of
/// centred differences in f64 (the cost's rounding over 2ε, about 1e-10 for ε = 1e-6).
pub const VANISHING: f64 = 1e-9;

/// The check of one parameter tensor.
#[derive(Clone, Debug, PartialEq)]
pub struct TensorCheck {
    /// Index of the layer.
    pub layer: usize,
    /// Name of the layer.
    pub layer_name: String,
    /// Name of the parameter (`"W"`, `"b"`).
    pub param: &'static str,
    /// Entries checked.
    pub checked: usize,
    /// `‖g − ĝ‖ / (‖g‖ + ‖ĝ‖)` over the checked entries (0 when both are 0).
    pub relative_error: f64,
    /// The gradient is zero in theory and both sides agree it is (every difference below
    /// [`VANISHING`]): the bias of a layer just before batch norm, whose batch mean is
    /// subtracted. There the relative error compares rounding noise with rounding noise, so it
    /// says nothing.
    pub vanishing: bool,
    /// The largest `|gᵢ − ĝᵢ|`.
    pub max_abs_diff: f64,
}

/// The check of every parameter tensor.
#[derive(Clone, Debug, PartialEq)]
pub struct GradCheckReport {
    /// One entry per parameter tensor, in order.
    pub tensors: Vec<TensorCheck>,
}

impl GradCheckReport {
    /// The worst relative error (NaN if any is NaN: a failed check never reads as a pass).
    pub fn max_relative_error(&self) -> f64 {
        let worst = |w: f64, e: f64| if e.is_nan() || e > w { e } else { w };
        self.tensors
            .iter()
            .map(|t| t.relative_error)
            .fold(0.0, worst)
    }
}

impl<T: Float> Network<T> {
    /// Compares the gradients of back-propagation with finite differences of the cost on
    /// `(x, y)`. Dropout masks are drawn from a copy of `rng` that is the same for every
    /// evaluation, so they stay fixed; batch norm's running statistics are left as they were.
    pub fn gradient_check(
        &mut self,
        x: &Tensor<T>,
        y: &Tensor<T>,
        check: &GradCheck,
        rng: &Rng,
    ) -> Result<GradCheckReport> {
        // The training-mode passes move batch norm's running statistics: put them back.
        let mut buffers = Vec::new();
        for layer in &self.layers {
            buffers.extend(layer.buffers().iter().map(|b| b.data().to_vec()));
        }
        let report = self.check_gradients(x, y, check, rng);
        let mut saved = buffers.into_iter();
        for layer in &mut self.layers {
            layer.visit_buffers(&mut |b| {
                if let Some(v) = saved.next() {
                    b.data_mut().copy_from_slice(&v);
                }
            });
        }
        report
    }

    /// [`gradient_check`](Network::gradient_check) without restoring the buffers.
    fn check_gradients(
        &mut self,
        x: &Tensor<T>,
        y: &Tensor<T>,
        check: &GradCheck,
        rng: &Rng,
    ) -> Result<GradCheckReport> {
        let y = self.loss.prepare_targets(y, self.outputs())?;
        let m = x.rows();

        // Analytic gradients.
        self.forward(x, Mode::Train(&mut rng.clone()))?;
        self.data_cost(&y)?;
        self.backward(x)?;
        self.penalty(check.l2, check.l1, m, true);
        let mut analytic: Vec<Vec<f64>> = Vec::new();
        self.visit_params(&mut |p| {
            analytic.push(p.grad.data().iter().map(|g| g.to_f64()).collect())
        });
        let before_bn: Vec<bool> = (0..self.layers.len())
            .map(|i| {
                let next = self.layers.get(i + 1);
                next.is_some_and(|l| l.kind() == BatchNormConfig::KIND)
            })
            .collect();
        let owners: Vec<(usize, String, Vec<&'static str>)> = self
            .layers
            .iter_mut()
            .enumerate()
            .map(|(i, l)| {
                let mut names = Vec::new();
                l.visit_params(&mut |p| names.push(p.name));
                (i, l.name(), names)
            })
            .collect();

        let mut tensors = Vec::new();
        let mut index = 0;
        for (layer, layer_name, names) in owners {
            for param in names {
                let g = &analytic[index];
                let entries = match check.max_entries {
                    Some(k) if k < g.len() => (0..k).map(|i| i * g.len() / k).collect(),
                    _ => (0..g.len()).collect::<Vec<_>>(),
                };
                let (mut diff2, mut g2, mut n2, mut max_abs) = (0.0, 0.0, 0.0, 0.0f64);
                for &j in &entries {
                    let old = self.param_value(index, j);
                    self.set_param_value(index, j, T::from_f64(old.to_f64() + check.epsilon));
                    let plus = self.cost_at(x, &y, check, rng)?;
                    self.set_param_value(index, j, T::from_f64(old.to_f64() - check.epsilon));
                    let minus = self.cost_at(x, &y, check, rng)?;
                    self.set_param_value(index, j, old);
                    let numeric = (plus - minus) / (2.0 * check.epsilon);
                    diff2 += (g[j] - numeric).powi(2);
                    g2 += g[j] * g[j];
                    n2 += numeric * numeric;
                    max_abs = max_abs.max((g[j] - numeric).abs());
                }
                let denominator = g2.sqrt() + n2.sqrt();
                let relative_error = if denominator == 0.0 {
                    0.0
                } else {
                    diff2.sqrt() / denominator
                };
                tensors.push(TensorCheck {
                    layer,
                    layer_name: layer_name.clone(),
                    param,
                    checked: entries.len(),
                    relative_error,
                    vanishing: before_bn[layer] && param == "b" && max_abs < VANISHING,
                    max_abs_diff: max_abs,
                });
                index += 1;
            }
        }
        Ok(GradCheckReport { tensors })
    }

    fn cost_at(&mut self, x: &Tensor<T>, y: &Tensor<T>, c: &GradCheck, rng: &Rng) -> Result<f64> {
        self.forward(x, Mode::Train(&mut rng.clone()))?;
        Ok(self.data_cost(y)? + self.penalty(c.l2, c.l1, x.rows(), false))
    }

    fn param_value(&mut self, tensor: usize, entry: usize) -> T {
        let mut value = T::ZERO;
        let mut i = 0;
        self.visit_params(&mut |p| {
            if i == tensor {
                value = p.value.data()[entry];
            }
            i += 1;
        });
        value
    }

    fn set_param_value(&mut self, tensor: usize, entry: usize, value: T) {
        let mut i = 0;
        self.visit_params(&mut |p| {
            if i == tensor {
                p.value.data_mut()[entry] = value;
            }
            i += 1;
        });
    }
}
