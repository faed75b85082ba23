//! Optimisers and learning-rate decay. Batch, mini-batch and stochastic gradient descent are the
//! same optimiser with different batch sizes (see `FitConfig::batch_size`).

use serde::{Deserialize, Serialize};

use crate::backend::AdamStep;
use crate::error::{Error, Result};
use crate::layer::ParamMut;
use crate::{Backend, Float};

/// The update rule `W ← W − α·(something of dW)`.
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
            | Optimizer::RmsProp { lr, .. }
            | Optimizer::Adam { lr, .. } => lr,
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
                Optimizer::RmsProp { beta, epsilon, .. } => beta_ok(beta) && epsilon > 0.0,
                Optimizer::Adam {
                    beta1,
                    beta2,
                    epsilon,
                    ..
                } => beta_ok(beta1) && beta_ok(beta2) && epsilon > 0.0,
            };
        if ok {
            Ok(())
        } else {
            Err(Error::Config(format!(
                "{self:?}: the learning rate must be positive and finite, each β in [0, 1), ε positive"
            )))
        }
    }

    /// How many state tensors the optimiser keeps per parameter tensor.
    fn slots_per_param(&self) -> usize {
        match self {
            Optimizer::GradientDescent { .. } => 0,
            Optimizer::Momentum { .. } | Optimizer::RmsProp { .. } => 1,
            Optimizer::Adam { .. } => 2,
        }
    }
}

/// Learning-rate decay, applied per epoch: `α_epoch = f(α₀, epoch)` (epoch counted from 0).
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
}

impl Decay {
    /// The learning rate at `epoch`.
    pub fn lr(&self, lr0: f64, epoch: usize) -> f64 {
        match *self {
            Decay::Constant => lr0,
            Decay::Step { every, factor } => lr0 * factor.powi((epoch / every.max(1)) as i32),
            Decay::Exponential { rate } => lr0 * rate.powi(epoch as i32),
            Decay::InverseTime { rate, every } => {
                lr0 / (1.0 + rate * (epoch / every.max(1)) as f64)
            }
        }
    }

    /// Refuses parameters that make no sense (a zero interval, a non-positive factor).
    pub fn validate(&self) -> Result<()> {
        let ok = match *self {
            Decay::Constant => true,
            Decay::Step { every, factor } => every > 0 && factor > 0.0 && factor <= 1.0,
            Decay::Exponential { rate } => rate > 0.0 && rate <= 1.0,
            Decay::InverseTime { rate, every } => every > 0 && rate >= 0.0 && rate.is_finite(),
        };
        if ok {
            Ok(())
        } else {
            Err(Error::Config(format!(
                "{self:?}: intervals must be ≥ 1 and factors in (0, 1]"
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
            Optimizer::Adam {
                beta1,
                beta2,
                epsilon,
                ..
            } => {
                let (m, v) = self.slots[2 * index..2 * index + 2].split_at_mut(1);
                let step = AdamStep {
                    lr: lr_t,
                    beta1: T::from_f64(beta1),
                    beta2: T::from_f64(beta2),
                    epsilon: T::from_f64(epsilon),
                    t: self.step,
                };
                backend.adam_step(step, g, &mut m[0], &mut v[0], w)
            }
        }
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
    fn bad_hyper_parameters_are_refused() {
        assert!(Optimizer::adam(1e-3).validate().is_ok());
        assert!(Optimizer::gradient_descent(0.0).validate().is_err());
        assert!(Optimizer::gradient_descent(f64::NAN).validate().is_err());
        assert!(Optimizer::Momentum { lr: 0.1, beta: 1.0 }
            .validate()
            .is_err());
    }
}
