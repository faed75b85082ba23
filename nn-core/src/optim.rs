//! Optimisers and learning-rate decay. Batch, mini-batch and stochastic gradient descent are the
//! same optimiser with different batch sizes (see `FitConfig::batch_size`).

use serde::{Deserialize, Serialize};

use crate::backend::AdamStep;
use crate::error::{Error, Result};
use crate::layer::ParamMut;
use crate::{Backend, Float};

/// The update rule `W ← W − α·(something of dW)`. Model files store the variant's index: new
/// variants go at the end.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub enum Optimizer {
    /// `W −= α·dW`.
    GradientDescent {
        /// Learning rate α.
        lr: f64,
    },
    /// `v = β·v + (1 − β)·dW; W −= α·v`.
    Momentum {
        /// Learning rate α.
        lr: f64,
        /// Decay β of the velocity (0.9).
        beta: f64,
    },
    /// `s = β·s + (1 − β)·dW²; W −= α·dW / (√s + ε)`.
    RmsProp {
        /// Learning rate α.
        lr: f64,
        /// Decay β of the squared gradients (0.9).
        beta: f64,
        /// ε (1e-8).
        epsilon: f64,
    },
    /// Adam: momentum and RMSprop with bias correction.
    Adam {
        /// Learning rate α.
        lr: f64,
        /// β₁ (0.9).
        beta1: f64,
        /// β₂ (0.999).
        beta2: f64,
        /// ε (1e-8).
        epsilon: f64,
    },
    /// AdamW (Loshchilov and Hutter): Adam with decoupled weight decay, `W ← (1 − α·λ)·W`
    /// before each Adam step, for weights only (not biases, nor batch norm's γ and β).
    AdamW {
        /// Learning rate α.
        lr: f64,
        /// β₁ (0.9).
        beta1: f64,
        /// β₂ (0.999).
        beta2: f64,
        /// ε (1e-8).
        epsilon: f64,
        /// λ (PyTorch's default 0.01).
        weight_decay: f64,
    },
    /// SGD with Nesterov momentum, PyTorch's form: `v = μ·v + dW; W −= α·(dW + μ·v)`.
    Nesterov {
        /// Learning rate α.
        lr: f64,
        /// Momentum μ (0.9).
        momentum: f64,
    },
}

impl Optimizer {
    /// Plain gradient descent.
    pub fn gradient_descent(lr: f64) -> Self {
        Optimizer::GradientDescent { lr }
    }
    /// Momentum with β = 0.9.
    pub fn momentum(lr: f64) -> Self {
        Optimizer::Momentum { lr, beta: 0.9 }
    }
    /// RMSprop with β = 0.9, ε = 1e-8.
    pub fn rmsprop(lr: f64) -> Self {
        Optimizer::RmsProp {
            lr,
            beta: 0.9,
            epsilon: 1e-8,
        }
    }
    /// Nesterov momentum with μ = 0.9.
    pub fn nesterov(lr: f64) -> Self {
        Optimizer::Nesterov { lr, momentum: 0.9 }
    }
    /// AdamW with β₁ = 0.9, β₂ = 0.999, ε = 1e-8 and weight decay λ.
    pub fn adamw(lr: f64, weight_decay: f64) -> Self {
        Optimizer::AdamW {
            lr,
            beta1: 0.9,
            beta2: 0.999,
            epsilon: 1e-8,
            weight_decay,
        }
    }
    /// Adam with β₁ = 0.9, β₂ = 0.999, ε = 1e-8.
    pub fn adam(lr: f64) -> Self {
        Optimizer::Adam {
            lr,
            beta1: 0.9,
            beta2: 0.999,
            epsilon: 1e-8,
        }
    }

    /// The base learning rate α.
    pub fn lr(&self) -> f64 {
        match *self {
            Optimizer::GradientDescent { lr }
            | Optimizer::Momentum { lr, .. }
            | Optimizer::Nesterov { lr, .. }
            | Optimizer::RmsProp { lr, .. }
            | Optimizer::Adam { lr, .. }
            | Optimizer::AdamW { lr, .. } => lr,
        }
    }

    /// Refuses settings that cannot train: α ≤ 0, β outside [0, 1), ε ≤ 0, NaN.
    pub fn validate(&self) -> Result<()> {
        let lr_ok = self.lr() > 0.0 && self.lr().is_finite();
        let beta_ok = |b: f64| (0.0..1.0).contains(&b);
        let ok = lr_ok
            && match *self {
                Optimizer::GradientDescent { .. } => true,
                Optimizer::Momentum { beta, .. } => beta_ok(beta),
                Optimizer::Nesterov { momentum, .. } => beta_ok(momentum),
                Optimizer::RmsProp { beta, epsilon, .. } => beta_ok(beta) && epsilon > 0.0,
                Optimizer::Adam {
                    beta1,
                    beta2,
                    epsilon,
                    ..
                } => beta_ok(beta1) && beta_ok(beta2) && epsilon > 0.0,
                Optimizer::AdamW {
                    beta1,
                    beta2,
                    epsilon,
                    weight_decay,
                    lr,
                } => {
                    beta_ok(beta1)
                        && beta_ok(beta2)
                        && epsilon > 0.0
                        && weight_decay >= 0.0
                        && lr * weight_decay < 1.0
                }
            };
        if ok {
            Ok(())
        } else {
            Err(Error::Config(format!(
                "{self:?}: the learning rate must be positive and finite, each β in [0, 1), ε positive, \
                 weight decay λ ≥ 0 with α·λ < 1"
            )))
        }
    }

    /// How many state tensors the optimiser keeps per parameter tensor.
    fn slots_per_param(&self) -> usize {
        match self {
            Optimizer::GradientDescent { .. } => 0,
            Optimizer::Momentum { .. } | Optimizer::Nesterov { .. } | Optimizer::RmsProp { .. } => {
                1
            }
            Optimizer::Adam { .. } | Optimizer::AdamW { .. } => 2,
        }
    }
}

/// The learning-rate schedule: `α = f(α₀, progress)`, where progress counts epochs from 0
/// (a resumed run continues from the epochs its optimiser state has seen). The first four
/// change the rate once per epoch; warm-up, cosine and one-cycle change it at every step.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize, Default)]
pub enum Decay {
    /// `α = α₀`.
    #[default]
    Constant,
    /// `α = α₀ · factor^⌊epoch / every⌋`.
    Step {
        /// Epochs between drops.
        every: usize,
        /// Multiplier at each drop (0.5).
        factor: f64,
    },
    /// `α = α₀ · rate^epoch` (the course's `0.95^epoch · α₀`).
    Exponential {
        /// Per-epoch multiplier, in (0, 1].
        rate: f64,
    },
    /// `α = α₀ / (1 + rate·⌊epoch / every⌋)` (the course's scheduled decay).
    InverseTime {
        /// Decay rate.
        rate: f64,
        /// Epochs per interval.
        every: usize,
    },
    /// Linear warm-up from 0 to `α₀` over `warmup` epochs, then cosine decay to
    /// `α₀·min_factor` at `epochs`: `α = α_min + (α₀ − α_min)·(1 + cos πt)/2`, `t` the fraction
    /// of the decay done.
    Cosine {
        /// Warm-up epochs (may be 0).
        warmup: f64,
        /// The run's total epochs, warm-up included.
        epochs: usize,
        /// The final rate as a fraction of `α₀` (0).
        min_factor: f64,
    },
    /// Smith's one-cycle policy (as PyTorch's `OneCycleLR`, cosine annealing): from `α₀/25` up
    /// to `α₀` over the first `peak` fraction of `epochs`, then down to `α₀/(25·10⁴)`.
    OneCycle {
        /// The run's total epochs.
        epochs: usize,
        /// The fraction of the run spent rising (0.3).
        peak: f64,
    },
}

/// `from + (to − from)·(1 − cos πt)/2`: a cosine ramp, `from` at `t = 0`, `to` at `t = 1`.
fn cosine_ramp(from: f64, to: f64, t: f64) -> f64 {
    from + (to - from) * (1.0 - (std::f64::consts::PI * t.clamp(0.0, 1.0)).cos()) / 2.0
}

impl Decay {
    /// The learning rate at the start of `epoch`.
    pub fn lr(&self, lr0: f64, epoch: usize) -> f64 {
        self.lr_at(lr0, epoch, 0.0)
    }

    /// The learning rate of the step that brings `epoch` to `fraction` (in `(0, 1]`) done.
    pub fn lr_at(&self, lr0: f64, epoch: usize, fraction: f64) -> f64 {
        let progress = epoch as f64 + fraction;
        match *self {
            Decay::Constant => lr0,
            Decay::Step { every, factor } => lr0 * factor.powi((epoch / every.max(1)) as i32),
            Decay::Exponential { rate } => lr0 * rate.powi(epoch as i32),
            Decay::InverseTime { rate, every } => {
                lr0 / (1.0 + rate * (epoch / every.max(1)) as f64)
            }
            Decay::Cosine {
                warmup,
                epochs,
                min_factor,
            } => {
                if progress < warmup {
                    return lr0 * progress / warmup;
                }
                let t = (progress - warmup) / (epochs as f64 - warmup).max(f64::MIN_POSITIVE);
                cosine_ramp(lr0, lr0 * min_factor, t)
            }
            Decay::OneCycle { epochs, peak } => {
                let t = progress / (epochs.max(1) as f64);
                let start = lr0 / 25.0;
                if t < peak {
                    cosine_ramp(start, lr0, t / peak)
                } else {
                    cosine_ramp(lr0, start / 1e4, (t - peak) / (1.0 - peak))
                }
            }
        }
    }

    /// Refuses parameters that make no sense (a zero interval, a non-positive factor, a
    /// warm-up longer than the run).
    pub fn validate(&self) -> Result<()> {
        let ok = match *self {
            Decay::Constant => true,
            Decay::Step { every, factor } => every > 0 && factor > 0.0 && factor <= 1.0,
            Decay::Exponential { rate } => rate > 0.0 && rate <= 1.0,
            Decay::InverseTime { rate, every } => every > 0 && rate >= 0.0 && rate.is_finite(),
            Decay::Cosine {
                warmup,
                epochs,
                min_factor,
            } => {
                epochs > 0
                    && warmup >= 0.0
                    && warmup < epochs as f64
                    && (0.0..=1.0).contains(&min_factor)
            }
            Decay::OneCycle { epochs, peak } => epochs > 0 && peak > 0.0 && peak < 1.0,
        };
        if ok {
            Ok(())
        } else {
            Err(Error::Config(format!(
                "{self:?}: intervals and runs must be ≥ 1 epoch, factors in (0, 1], a warm-up \
                 shorter than the run, one-cycle's peak in (0, 1)"
            )))
        }
    }
}

/// An optimiser with its per-parameter state (velocities, squared-gradient averages) and step
/// count: saved with the model so that training can resume.
#[derive(Clone, Debug)]
pub struct OptimizerState<T> {
    pub(crate) optimizer: Optimizer,
    pub(crate) step: u64,
    /// Epochs completed with this state: learning-rate decay continues from here on resume.
    pub(crate) epochs: u64,
    pub(crate) slots: Vec<Vec<T>>,
}

impl<T: Float> OptimizerState<T> {
    /// Fresh state for parameter tensors of the given sizes.
    pub fn new(optimizer: Optimizer, param_sizes: &[usize]) -> Self {
        let per = optimizer.slots_per_param();
        let slots = param_sizes
            .iter()
            .flat_map(|&n| std::iter::repeat_n(n, per))
            .map(|n| vec![T::ZERO; n])
            .collect();
        OptimizerState {
            optimizer,
            step: 0,
            epochs: 0,
            slots,
        }
    }

    /// The optimiser.
    pub fn optimizer(&self) -> Optimizer {
        self.optimizer
    }

    /// The number of updates made so far.
    pub fn step(&self) -> u64 {
        self.step
    }

    /// The number of epochs completed with this state (decay continues from it).
    pub fn epochs(&self) -> u64 {
        self.epochs
    }

    /// One optimisation step as `fit` takes it after each backward pass, for parameters and
    /// gradients from anywhere: the step count moves on (Adam's bias correction uses it), then
    /// each of `params` (the tensors this state was made for, in the same order) is updated
    /// from its gradient with learning rate `lr` (which replaces the optimiser's own, as a
    /// schedule does); AdamW decays those whose `decay` is set.
    ///
    /// ```
    /// use nn_core::layer::ParamMut;
    /// use nn_core::optim::OptimizerState;
    /// use nn_core::{Optimizer, Reference, Tensor};
    /// let mut w = Tensor::from_vec(&[2], vec![1.0f64, 2.0])?;
    /// let mut g = Tensor::from_vec(&[2], vec![0.5, -1.0])?;
    /// let mut state = OptimizerState::new(Optimizer::gradient_descent(0.1), &[2]);
    /// let p = ParamMut { name: "W", value: &mut w, grad: &mut g, decay: true };
    /// state.apply(&Reference, 0.1, vec![p])?;
    /// assert_eq!(w.data(), &[0.95, 2.1]);
    /// assert_eq!(state.step(), 1);
    /// # Ok::<(), nn_core::Error>(())
    /// ```
    ///
    /// # Errors
    ///
    /// [`Error::Config`], changing nothing, if the optimiser's settings are invalid (as
    /// [`Optimizer::validate`] says), `lr` is negative or not finite, a gradient's size is not
    /// its tensor's, or, for the optimisers with state per parameter (all but gradient
    /// descent), `params` are not tensors of the sizes this state was made for.
    pub fn apply(
        &mut self,
        backend: &dyn Backend<T>,
        lr: f64,
        params: Vec<ParamMut<'_, T>>,
    ) -> Result<()> {
        self.optimizer.validate()?;
        if !(lr.is_finite() && lr >= 0.0) {
            return Err(Error::Config(format!(
                "the learning rate must be finite and non-negative, got {lr}"
            )));
        }
        let sizes: Vec<usize> = params.iter().map(|p| p.value.len()).collect();
        let grads_fit = params.iter().all(|p| p.grad.len() == p.value.len());
        if !grads_fit || !self.fits(&self.optimizer, &sizes) {
            return Err(Error::Config(format!(
                "{:?}: this optimiser state is not for parameters of sizes {sizes:?} \
                 (or a gradient is not of its parameter's size)",
                self.optimizer
            )));
        }
        self.begin_step(self.optimizer);
        for (index, p) in params.into_iter().enumerate() {
            self.update(backend, index, lr, p);
        }
        Ok(())
    }

    /// Whether this state fits parameter tensors of these sizes.
    pub(crate) fn fits(&self, optimizer: &Optimizer, param_sizes: &[usize]) -> bool {
        let per = optimizer.slots_per_param();
        std::mem::discriminant(&self.optimizer) == std::mem::discriminant(optimizer)
            && self.slots.len() == per * param_sizes.len()
            && self
                .slots
                .iter()
                .enumerate()
                .all(|(i, s)| s.len() == param_sizes[i / per.max(1)])
    }

    /// Starts a step: the hyper-parameters may have changed (e.g. a resumed run), the state not.
    pub(crate) fn begin_step(&mut self, optimizer: Optimizer) {
        self.optimizer = optimizer;
        self.step = self.step.saturating_add(1);
    }

    /// Updates parameter tensor number `index` with learning rate `lr`.
    pub(crate) fn update(
        &mut self,
        backend: &dyn Backend<T>,
        index: usize,
        lr: f64,
        p: ParamMut<'_, T>,
    ) {
        let lr_t = T::from_f64(lr);
        let decays = p.decay;
        let (w, g) = (p.value.data_mut(), p.grad.data());
        match self.optimizer {
            Optimizer::GradientDescent { .. } => backend.axpy(-lr_t, g, w),
            Optimizer::Momentum { beta, .. } => {
                backend.momentum_step(lr_t, T::from_f64(beta), g, &mut self.slots[index], w)
            }
            Optimizer::RmsProp { beta, epsilon, .. } => backend.rmsprop_step(
                lr_t,
                T::from_f64(beta),
                T::from_f64(epsilon),
                g,
                &mut self.slots[index],
                w,
            ),
            Optimizer::Nesterov { momentum, .. } => {
                backend.nesterov_step(lr_t, T::from_f64(momentum), g, &mut self.slots[index], w)
            }
            Optimizer::Adam {
                beta1,
                beta2,
                epsilon,
                ..
            } => self.adam(backend, index, (lr, beta1, beta2, epsilon, 0.0), g, w),
            Optimizer::AdamW {
                beta1,
                beta2,
                epsilon,
                weight_decay,
                ..
            } => {
                let lambda = if decays { weight_decay } else { 0.0 };
                self.adam(backend, index, (lr, beta1, beta2, epsilon, lambda), g, w)
            }
        }
    }
}

impl<T: Float> OptimizerState<T> {
    /// One Adam step of parameter tensor `index` (gradient `g`, values `w`) with
    /// `(lr, β₁, β₂, ε, λ)`: AdamW's decoupled decay when `λ > 0`.
    fn adam(
        &mut self,
        backend: &dyn Backend<T>,
        index: usize,
        (lr, beta1, beta2, epsilon, lambda): (f64, f64, f64, f64, f64),
        g: &[T],
        w: &mut [T],
    ) {
        let (m, v) = self.slots[2 * index..2 * index + 2].split_at_mut(1);
        let step = AdamStep {
            lr: T::from_f64(lr),
            beta1: T::from_f64(beta1),
            beta2: T::from_f64(beta2),
            epsilon: T::from_f64(epsilon),
            t: self.step,
            decay: T::from_f64(1.0 - lr * lambda),
        };
        backend.adam_step(step, g, &mut m[0], &mut v[0], w)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decay_schedules() {
        assert_eq!(Decay::Constant.lr(0.1, 50), 0.1);
        assert!(
            (Decay::Step {
                every: 10,
                factor: 0.5
            }
            .lr(0.1, 25)
                - 0.025)
                .abs()
                < 1e-15
        );
        assert!((Decay::Exponential { rate: 0.95 }.lr(1.0, 2) - 0.9025).abs() < 1e-15);
        assert!(
            (Decay::InverseTime {
                rate: 1.0,
                every: 1000
            }
            .lr(0.1, 2500)
                - 0.1 / 3.0)
                .abs()
                < 1e-15
        );
        assert!(Decay::Step {
            every: 0,
            factor: 0.5
        }
        .validate()
        .is_err());
    }

    #[test]
    fn warm_up_cosine_and_one_cycle() {
        let cos = Decay::Cosine {
            warmup: 2.0,
            epochs: 10,
            min_factor: 0.1,
        };
        assert!((cos.lr_at(1.0, 0, 0.5) - 0.25).abs() < 1e-15);
        assert!((cos.lr_at(1.0, 2, 0.0) - 1.0).abs() < 1e-15);
        // Half-way through the decay: (1 + 0.1)/2.
        assert!((cos.lr_at(1.0, 6, 0.0) - 0.55).abs() < 1e-15);
        assert!((cos.lr_at(1.0, 10, 0.0) - 0.1).abs() < 1e-15);
        let one = Decay::OneCycle {
            epochs: 10,
            peak: 0.3,
        };
        assert!((one.lr_at(1.0, 0, 0.0) - 0.04).abs() < 1e-15);
        assert!((one.lr_at(1.0, 3, 0.0) - 1.0).abs() < 1e-15);
        assert!((one.lr_at(1.0, 10, 0.0) - 0.04e-4).abs() < 1e-15);
        assert!(one.lr_at(1.0, 1, 0.5) < one.lr_at(1.0, 2, 0.0));
        assert!(Decay::Cosine {
            warmup: 10.0,
            epochs: 10,
            min_factor: 0.0
        }
        .validate()
        .is_err());
        assert!(Decay::OneCycle {
            epochs: 5,
            peak: 1.0
        }
        .validate()
        .is_err());
    }

    #[test]
    fn bad_hyper_parameters_are_refused() {
        assert!(Optimizer::adam(1e-3).validate().is_ok());
        assert!(Optimizer::gradient_descent(0.0).validate().is_err());
        assert!(Optimizer::gradient_descent(f64::NAN).validate().is_err());
        assert!(Optimizer::Momentum { lr: 0.1, beta: 1.0 }
            .validate()
            .is_err());
    }
}
