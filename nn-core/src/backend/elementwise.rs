//! Element-wise kernels: activations and their derivatives, the bias add and column sums of a
//! dense layer, softmax rows, products, `axpy`, sums of squares. Each default body is the plain
//! loop, also public as a function so that a faster backend can run it per chunk.

use super::Activation;
use crate::Float;

/// The element-wise family.
pub trait Elementwise<T: Float> {
    /// Adds `bias` (length `n`) to every row of `z` (`(rows, n)`): the `+ b` of `Z = A·Wᵀ + b`.
    fn add_row_vector(&self, z: &mut [T], bias: &[T]) {
        add_row_vector(z, bias)
    }

    /// `out[j] = scale · Σᵢ x[i, j]` for `x` of shape `(rows, out.len())`: `db = (1/m)·Σ dZ`.
    fn sum_rows(&self, x: &[T], scale: T, out: &mut [T]) {
        sum_rows(x, scale, out)
    }

    /// `a = g(z)` element-wise.
    fn activate(&self, g: Activation, z: &[T], a: &mut [T]) {
        activate(g, z, a)
    }

    /// `dz = da ⊙ g'(z)`, given `z` and `a = g(z)` (whichever the derivative is cheaper from).
    fn activate_backward(&self, g: Activation, z: &[T], a: &[T], da: &[T], dz: &mut [T]) {
        activate_backward(g, z, a, da, dz)
    }

    /// Softmax of each row of `z` (rows of length `cols`), computed stably (max subtracted).
    fn softmax_rows(&self, z: &[T], cols: usize, a: &mut [T]) {
        softmax_rows(z, cols, a)
    }

    /// The softmax Jacobian applied to `da`, row by row: `dz = a ⊙ (da − Σⱼ da·a)`.
    fn softmax_backward_rows(&self, a: &[T], da: &[T], cols: usize, dz: &mut [T]) {
        softmax_backward_rows(a, da, cols, dz)
    }

    /// `out = x ⊙ y` element-wise.
    fn mul(&self, x: &[T], y: &[T], out: &mut [T]) {
        for i in 0..out.len() {
            out[i] = x[i] * y[i];
        }
    }

    /// `y += α·x`.
    fn axpy(&self, alpha: T, x: &[T], y: &mut [T]) {
        for (y, &x) in y.iter_mut().zip(x) {
            *y += alpha * x;
        }
    }

    /// `Σ x²`, accumulated in `f64`.
    fn sum_squares(&self, x: &[T]) -> f64 {
        x.iter().map(|v| v.to_f64() * v.to_f64()).sum()
    }
}

/// `σ(z) = 1 / (1 + e⁻ᶻ)`, never overflowing (`e^−|z| ≤ 1`).
#[inline]
pub fn sigmoid<T: Float>(z: T) -> T {
    let e = (-z.abs()).exp();
    if z >= T::ZERO {
        T::ONE / (T::ONE + e)
    } else {
        e / (T::ONE + e)
    }
}

/// `g(z)` for one value.
#[inline]
pub fn activation<T: Float>(g: Activation, z: T) -> T {
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

/// `g'(z)` for one value, given `a = g(z)`.
#[inline]
pub fn derivative<T: Float>(g: Activation, z: T, a: T) -> T {
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

/// The loop of [`Elementwise::add_row_vector`].
pub fn add_row_vector<T: Float>(z: &mut [T], bias: &[T]) {
    for row in z.chunks_exact_mut(bias.len().max(1)) {
        for (x, &b) in row.iter_mut().zip(bias) {
            *x += b;
        }
    }
}

/// The loop of [`Elementwise::sum_rows`].
pub fn sum_rows<T: Float>(x: &[T], scale: T, out: &mut [T]) {
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

/// The loop of [`Elementwise::activate`].
pub fn activate<T: Float>(g: Activation, z: &[T], a: &mut [T]) {
    for (a, &z) in a.iter_mut().zip(z) {
        *a = activation(g, z);
    }
}

/// The loop of [`Elementwise::activate_backward`].
pub fn activate_backward<T: Float>(g: Activation, z: &[T], a: &[T], da: &[T], dz: &mut [T]) {
    for i in 0..dz.len() {
        dz[i] = da[i] * derivative(g, z[i], a[i]);
    }
}

/// The loop of [`Elementwise::softmax_rows`].
pub fn softmax_rows<T: Float>(z: &[T], cols: usize, a: &mut [T]) {
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

/// The loop of [`Elementwise::softmax_backward_rows`].
pub fn softmax_backward_rows<T: Float>(a: &[T], da: &[T], cols: usize, dz: &mut [T]) {
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
