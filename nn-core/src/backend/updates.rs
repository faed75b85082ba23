//! Optimiser updates: one step of momentum, Nesterov momentum, RMSprop, Adam or AdamW over a parameter tensor, its
//! gradient and the optimiser's state.

use crate::Float;

/// The scalars of one Adam update.
#[derive(Clone, Copy, Debug)]
pub struct AdamStep<T> {
    /// Learning rate.
    pub lr: T,
    /// Decay of the first moment (0.9).
    pub beta1: T,
    /// Decay of the second moment (0.999).
    pub beta2: T,
    /// Added to `√v̂` (1e-8).
    pub epsilon: T,
    /// The 1-based step number, for the bias correction.
    pub t: u64,
    /// AdamW's decoupled weight decay: `w` is multiplied by this, `1 − lr·λ`, before the
    /// step (1 for Adam).
    pub decay: T,
}

/// The optimiser-update family.
pub trait Updates<T: Float> {
    /// Gradient descent with momentum: `v = β·v + (1 − β)·g; w −= lr·v`.
    fn momentum_step(&self, lr: T, beta: T, g: &[T], v: &mut [T], w: &mut [T]) {
        for i in 0..w.len() {
            v[i] = beta * v[i] + (T::ONE - beta) * g[i];
            w[i] -= lr * v[i];
        }
    }

    /// RMSprop: `s = β·s + (1 − β)·g²; w −= lr·g / (√s + ε)`.
    fn rmsprop_step(&self, lr: T, beta: T, epsilon: T, g: &[T], s: &mut [T], w: &mut [T]) {
        for i in 0..w.len() {
            s[i] = beta * s[i] + (T::ONE - beta) * g[i] * g[i];
            w[i] -= lr * g[i] / (s[i].sqrt() + epsilon);
        }
    }

    /// SGD with Nesterov momentum, in PyTorch's form: `v = μ·v + g; w −= lr·(g + μ·v)`.
    fn nesterov_step(&self, lr: T, mu: T, g: &[T], v: &mut [T], w: &mut [T]) {
        for i in 0..w.len() {
            v[i] = mu * v[i] + g[i];
            w[i] -= lr * (g[i] + mu * v[i]);
        }
    }

    /// Adam at step `t` (1-based): `m = β₁m + (1 − β₁)g; v = β₂v + (1 − β₂)g²;
    /// w = decay·w − lr·m̂ / (√v̂ + ε)` with the bias corrections `m̂ = m/(1 − β₁ᵗ)`,
    /// `v̂ = v/(1 − β₂ᵗ)` (`decay = 1 − lr·λ` for AdamW, 1 for Adam).
    fn adam_step(&self, p: AdamStep<T>, g: &[T], m: &mut [T], v: &mut [T], w: &mut [T]) {
        let t = p.t.clamp(1, i32::MAX as u64) as i32;
        let c1 = T::ONE - p.beta1.powi(t);
        let c2 = T::ONE - p.beta2.powi(t);
        for i in 0..w.len() {
            m[i] = p.beta1 * m[i] + (T::ONE - p.beta1) * g[i];
            v[i] = p.beta2 * v[i] + (T::ONE - p.beta2) * g[i] * g[i];
            let m_hat = m[i] / c1;
            let v_hat = v[i] / c2;
            w[i] = w[i] * p.decay - p.lr * m_hat / (v_hat.sqrt() + p.epsilon);
        }
    }
}
