//! `Reference`: every kernel as the plain loop a student writes first. Slow, obviously right,
//! and the oracle for faster backends.

use super::{window, Activation, AdamStep, Backend, Transpose, Window};
use crate::Float;

/// The plain-loop backend.
#[derive(Clone, Copy, Debug, Default)]
pub struct Reference;

#[inline]
fn sigmoid<T: Float>(z: T) -> T {
    // Never overflows: e^−|z| ≤ 1.
    let e = (-z.abs()).exp();
    if z >= T::ZERO {
        T::ONE / (T::ONE + e)
    } else {
        e / (T::ONE + e)
    }
}

#[inline]
fn activation<T: Float>(g: Activation, z: T) -> T {
    match g {
        Activation::Sigmoid => sigmoid(z),
        Activation::Tanh => z.tanh(),
        // Not `z.max(0)`: that turns NaN into 0 and hides divergence.
        Activation::Relu => {
            if z < T::ZERO {
                T::ZERO
            } else {
                z
            }
        }
        Activation::LeakyRelu { slope } => {
            if z > T::ZERO {
                z
            } else {
                T::from_f64(slope) * z
            }
        }
        Activation::Identity => z,
    }
}

#[inline]
fn derivative<T: Float>(g: Activation, z: T, a: T) -> T {
    match g {
        Activation::Sigmoid => a * (T::ONE - a),
        Activation::Tanh => T::ONE - a * a,
        Activation::Relu => {
            if z > T::ZERO {
                T::ONE
            } else {
                T::ZERO
            }
        }
        Activation::LeakyRelu { slope } => {
            if z > T::ZERO {
                T::ONE
            } else {
                T::from_f64(slope)
            }
        }
        Activation::Identity => T::ONE,
    }
}

impl<T: Float> Backend<T> for Reference {
    fn name(&self) -> &'static str {
        "reference"
    }

    fn gemm(
        &self,
        trans_a: Transpose,
        trans_b: Transpose,
        m: usize,
        n: usize,
        k: usize,
        alpha: T,
        a: &[T],
        b: &[T],
        beta: T,
        c: &mut [T],
    ) {
        super::check_gemm_lengths(m, n, k, a.len(), b.len(), c.len());
        let at = |i: usize, p: usize| match trans_a {
            Transpose::No => a[i * k + p],
            Transpose::Yes => a[p * m + i],
        };
        let bt = |p: usize, j: usize| match trans_b {
            Transpose::No => b[p * n + j],
            Transpose::Yes => b[j * k + p],
        };
        for i in 0..m {
            for j in 0..n {
                let mut acc = T::ZERO;
                for p in 0..k {
                    acc += at(i, p) * bt(p, j);
                }
                let old = if beta == T::ZERO {
                    T::ZERO
                } else {
                    beta * c[i * n + j]
                };
                c[i * n + j] = alpha * acc + old;
            }
        }
    }

    fn add_row_vector(&self, z: &mut [T], bias: &[T]) {
        for row in z.chunks_exact_mut(bias.len().max(1)) {
            for (x, &b) in row.iter_mut().zip(bias) {
                *x += b;
            }
        }
    }

    fn sum_rows(&self, x: &[T], scale: T, out: &mut [T]) {
        out.fill(T::ZERO);
        for row in x.chunks_exact(out.len().max(1)) {
            for (o, &v) in out.iter_mut().zip(row) {
                *o += v;
            }
        }
        for o in out.iter_mut() {
            *o *= scale;
        }
    }

    fn activate(&self, g: Activation, z: &[T], a: &mut [T]) {
        for (a, &z) in a.iter_mut().zip(z) {
            *a = activation(g, z);
        }
    }

    fn activate_backward(&self, g: Activation, z: &[T], a: &[T], da: &[T], dz: &mut [T]) {
        for i in 0..dz.len() {
            dz[i] = da[i] * derivative(g, z[i], a[i]);
        }
    }

    fn softmax_rows(&self, z: &[T], cols: usize, a: &mut [T]) {
        for (zr, ar) in z
            .chunks_exact(cols.max(1))
            .zip(a.chunks_exact_mut(cols.max(1)))
        {
            let max = zr.iter().fold(zr[0], |m, &x| m.max(x));
            let mut sum = T::ZERO;
            for (a, &z) in ar.iter_mut().zip(zr) {
                *a = (z - max).exp();
                sum += *a;
            }
            for a in ar.iter_mut() {
                *a /= sum;
            }
        }
    }

    fn softmax_backward_rows(&self, a: &[T], da: &[T], cols: usize, dz: &mut [T]) {
        let c = cols.max(1);
        for ((ar, dar), dzr) in a
            .chunks_exact(c)
            .zip(da.chunks_exact(c))
            .zip(dz.chunks_exact_mut(c))
        {
            let dot: T = ar.iter().zip(dar).map(|(&a, &d)| a * d).sum();
            for j in 0..c {
                dzr[j] = ar[j] * (dar[j] - dot);
            }
        }
    }

    fn mul(&self, x: &[T], y: &[T], out: &mut [T]) {
        for i in 0..out.len() {
            out[i] = x[i] * y[i];
        }
    }

    fn axpy(&self, alpha: T, x: &[T], y: &mut [T]) {
        for (y, &x) in y.iter_mut().zip(x) {
            *y += alpha * x;
        }
    }

    fn sum_squares(&self, x: &[T]) -> f64 {
        x.iter().map(|v| v.to_f64() * v.to_f64()).sum()
    }

    fn bce_with_logits(&self, z: &[T], y: &[T], scale: T, dz: &mut [T]) -> f64 {
        let mut cost = 0.0;
        for i in 0..z.len() {
            let (zi, yi) = (z[i].to_f64(), y[i].to_f64());
            cost += zi.max(0.0) - zi * yi + (-zi.abs()).exp().ln_1p();
            dz[i] = scale * (sigmoid(z[i]) - y[i]);
        }
        cost
    }

    fn softmax_cross_entropy(&self, z: &[T], y: &[T], cols: usize, scale: T, dz: &mut [T]) -> f64 {
        let c = cols.max(1);
        let mut cost = 0.0;
        for ((zr, yr), dzr) in z
            .chunks_exact(c)
            .zip(y.chunks_exact(c))
            .zip(dz.chunks_exact_mut(c))
        {
            let max = zr.iter().fold(zr[0], |m, &x| m.max(x));
            let sum: f64 = zr.iter().map(|&x| (x - max).to_f64().exp()).sum();
            let log_sum_exp = max.to_f64() + sum.ln();
            for j in 0..c {
                cost += yr[j].to_f64() * (log_sum_exp - zr[j].to_f64());
                let p = (zr[j].to_f64() - log_sum_exp).exp();
                dzr[j] = scale * (T::from_f64(p) - yr[j]);
            }
        }
        cost
    }

    fn squared_error(&self, y_hat: &[T], y: &[T], scale: T, d: &mut [T]) -> f64 {
        let mut cost = 0.0;
        for i in 0..y.len() {
            let e = y_hat[i] - y[i];
            cost += 0.5 * e.to_f64() * e.to_f64();
            d[i] = scale * e;
        }
        cost
    }

    fn momentum_step(&self, lr: T, beta: T, g: &[T], v: &mut [T], w: &mut [T]) {
        for i in 0..w.len() {
            v[i] = beta * v[i] + (T::ONE - beta) * g[i];
            w[i] -= lr * v[i];
        }
    }

    fn rmsprop_step(&self, lr: T, beta: T, epsilon: T, g: &[T], s: &mut [T], w: &mut [T]) {
        for i in 0..w.len() {
            s[i] = beta * s[i] + (T::ONE - beta) * g[i] * g[i];
            w[i] -= lr * g[i] / (s[i].sqrt() + epsilon);
        }
    }

    fn adam_step(&self, p: AdamStep<T>, g: &[T], m: &mut [T], v: &mut [T], w: &mut [T]) {
        let t = p.t.clamp(1, i32::MAX as u64) as i32;
        let c1 = T::ONE - p.beta1.powi(t);
        let c2 = T::ONE - p.beta2.powi(t);
        for i in 0..w.len() {
            m[i] = p.beta1 * m[i] + (T::ONE - p.beta1) * g[i];
            v[i] = p.beta2 * v[i] + (T::ONE - p.beta2) * g[i] * g[i];
            let m_hat = m[i] / c1;
            let v_hat = v[i] / c2;
            w[i] -= p.lr * m_hat / (v_hat.sqrt() + p.epsilon);
        }
    }

    fn im2col(&self, g: &Window, x: &[T], cols: &mut [T]) {
        window::im2col(g, x, cols)
    }

    fn col2im(&self, g: &Window, cols: &[T], dx: &mut [T]) {
        window::col2im(g, cols, dx)
    }

    fn max_pool(&self, g: &Window, x: &[T], y: &mut [T], arg: &mut [u32]) {
        window::max_pool(g, x, y, arg)
    }

    fn max_pool_backward(&self, g: &Window, dy: &[T], arg: &[u32], dx: &mut [T]) {
        window::max_pool_backward(g, dy, arg, dx)
    }

    fn avg_pool(&self, g: &Window, x: &[T], y: &mut [T]) {
        window::avg_pool(g, x, y)
    }

    fn avg_pool_backward(&self, g: &Window, dy: &[T], dx: &mut [T]) {
        window::avg_pool_backward(g, dy, dx)
    }

    fn conv_direct(&self, g: &Window, x: &[T], w_t: &[T], bias: &[T], z: &mut [T]) {
        window::conv_direct(g, x, w_t, bias, z)
    }

    fn conv_direct_weight_grad(&self, g: &Window, x: &[T], dz: &[T], dw_t: &mut [T]) {
        window::conv_direct_weight_grad(g, x, dz, dw_t)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relu_propagates_nan() {
        let mut a = [0.0f32; 3];
        Backend::<f32>::activate(&Reference, Activation::Relu, &[f32::NAN, -1.0, 2.0], &mut a);
        assert!(a[0].is_nan());
        assert_eq!(&a[1..], &[0.0, 2.0]);
    }

    // One update from zero state, computed by hand.
    const G: [f64; 3] = [0.5, -2.0, 0.0];

    #[test]
    fn momentum_first_step() {
        let (mut v, mut w) = ([0.0; 3], [1.0; 3]);
        Reference.momentum_step(0.1, 0.9, &G, &mut v, &mut w);
        // v = 0.1·g; w = 1 − 0.1·v
        assert_eq!(v, [0.05, -0.2, 0.0].map(|x: f64| x * (1.0 - 0.9) / 0.1));
        for i in 0..3 {
            assert!((w[i] - (1.0 - 0.1 * 0.1 * G[i])).abs() < 1e-15);
        }
    }

    #[test]
    fn rmsprop_first_step() {
        let (mut s, mut w) = ([0.0; 3], [1.0; 3]);
        Reference.rmsprop_step(0.01, 0.9, 1e-8, &G, &mut s, &mut w);
        for i in 0..3 {
            let s_i = 0.1 * G[i] * G[i];
            assert!((s[i] - s_i).abs() < 1e-15);
            assert!((w[i] - (1.0 - 0.01 * G[i] / (s_i.sqrt() + 1e-8))).abs() < 1e-12);
        }
        // ε sits outside the square root: with g = 0 nothing moves.
        assert_eq!(w[2], 1.0);
    }

    #[test]
    fn adam_first_and_second_steps() {
        let (mut m, mut v, mut w) = ([0.0; 3], [0.0; 3], [1.0; 3]);
        let p = |t| AdamStep {
            lr: 0.1,
            beta1: 0.9,
            beta2: 0.999,
            epsilon: 1e-8,
            t,
        };
        Reference.adam_step(p(1), &G, &mut m, &mut v, &mut w);
        // With bias correction the first step is lr·g/(|g| + ε) ≈ lr·sign(g).
        assert!(
            (w[0] - 0.9).abs() < 1e-7 && (w[1] - 1.1).abs() < 1e-7 && w[2] == 1.0,
            "{w:?}"
        );
        Reference.adam_step(p(2), &G, &mut m, &mut v, &mut w);
        // Same gradient again: m̂ = g, v̂ = g², so again lr·sign(g).
        assert!(
            (w[0] - 0.8).abs() < 1e-7 && (w[1] - 1.2).abs() < 1e-7,
            "{w:?}"
        );
    }
}
