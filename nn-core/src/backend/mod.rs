//! The compute kernels. Layers, losses and optimisers never loop over data themselves: every
//! inner loop is one of these methods. [`Reference`] implements them with plain loops (the
//! course's "for loop" version) and is the oracle every faster backend is tested against.
//!
//! All matrices are row-major slices. Costs and other reductions are returned as `f64`.

mod reference;
pub mod window;

pub use reference::Reference;
pub use window::Window;

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::Float;

/// Whether a matrix operand of [`Backend::gemm`] is used as stored or transposed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Transpose {
    /// Use the matrix as stored.
    No,
    /// Use its transpose.
    Yes,
}

/// An element-wise activation function `a = g(z)`.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub enum Activation {
    /// `σ(z) = 1 / (1 + e⁻ᶻ)`; `g'(z) = a(1 − a)`.
    Sigmoid,
    /// `tanh(z)`; `g'(z) = 1 − a²`.
    Tanh,
    /// `max(0, z)`; `g'(z) = 1 if z > 0 else 0`.
    Relu,
    /// `z if z > 0 else slope·z`; `g'(z) = 1 if z > 0 else slope`.
    LeakyRelu {
        /// The slope for negative inputs (0.01 is usual).
        slope: f64,
    },
    /// `z`; `g'(z) = 1`.
    Identity,
}

/// The compute kernels of one element type. Implementations must be deterministic: the same
/// inputs give bit-identical outputs, whatever the number of threads.
pub trait Backend<T: Float>: Send + Sync {
    /// A short name (`"reference"`, `"simd"`).
    fn name(&self) -> &'static str;

    /// `C = α·op(A)·op(B) + β·C` where `op(A)` is `(m, k)`, `op(B)` is `(k, n)` and `C` is
    /// `(m, n)`. `A` is stored `(m, k)` or, transposed, `(k, m)`; likewise `B`. With `β = 0`
    /// the old contents of `C` are ignored (even NaN).
    #[allow(clippy::too_many_arguments)]
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
    );

    /// Adds `bias` (length `n`) to every row of `z` (`(rows, n)`): the `+ b` of `Z = A·Wᵀ + b`.
    fn add_row_vector(&self, z: &mut [T], bias: &[T]);

    /// `out[j] = scale · Σᵢ x[i, j]` for `x` of shape `(rows, out.len())`: `db = (1/m)·Σ dZ`.
    fn sum_rows(&self, x: &[T], scale: T, out: &mut [T]);

    /// `a = g(z)` element-wise.
    fn activate(&self, g: Activation, z: &[T], a: &mut [T]);

    /// `dz = da ⊙ g'(z)`, given `z` and `a = g(z)` (whichever the derivative is cheaper from).
    fn activate_backward(&self, g: Activation, z: &[T], a: &[T], da: &[T], dz: &mut [T]);

    /// Softmax of each row of `z` (rows of length `cols`), computed stably (max subtracted).
    fn softmax_rows(&self, z: &[T], cols: usize, a: &mut [T]);

    /// The softmax Jacobian applied to `da`, row by row: `dz = a ⊙ (da − Σⱼ da·a)`.
    fn softmax_backward_rows(&self, a: &[T], da: &[T], cols: usize, dz: &mut [T]);

    /// `out = x ⊙ y` element-wise.
    fn mul(&self, x: &[T], y: &[T], out: &mut [T]);

    /// `y += α·x`.
    fn axpy(&self, alpha: T, x: &[T], y: &mut [T]);

    /// `Σ x²`.
    fn sum_squares(&self, x: &[T]) -> f64;

    /// Binary cross-entropy from logits `z` against targets `y ∈ [0, 1]`:
    /// returns `Σ [max(z,0) − z·y + ln(1 + e^−|z|)]` (no `log(0)` is ever taken) and writes
    /// `dz = scale·(σ(z) − y)`: with `scale = 1/m`, the course's `dZ = (A − Y)/m`.
    fn bce_with_logits(&self, z: &[T], y: &[T], scale: T, dz: &mut [T]) -> f64;

    /// Categorical cross-entropy from logits: for each row of `z` (length `cols`) and its
    /// target distribution `y` (one-hot), returns `Σ_rows [logsumexp(z) − Σ y·z]` and writes
    /// `dz = scale·(softmax(z) − y)`.
    fn softmax_cross_entropy(&self, z: &[T], y: &[T], cols: usize, scale: T, dz: &mut [T]) -> f64;

    /// Squared error: returns `Σ ½(ŷ − y)²` and writes `dŷ = scale·(ŷ − y)`.
    fn squared_error(&self, y_hat: &[T], y: &[T], scale: T, d: &mut [T]) -> f64;

    /// Gradient descent with momentum: `v = β·v + (1 − β)·g; w −= lr·v`.
    fn momentum_step(&self, lr: T, beta: T, g: &[T], v: &mut [T], w: &mut [T]);

    /// RMSprop: `s = β·s + (1 − β)·g²; w −= lr·g / (√s + ε)`.
    #[allow(clippy::too_many_arguments)]
    fn rmsprop_step(&self, lr: T, beta: T, epsilon: T, g: &[T], s: &mut [T], w: &mut [T]);

    /// Adam at step `t` (1-based): `m = β₁m + (1 − β₁)g; v = β₂v + (1 − β₂)g²;
    /// w −= lr·m̂ / (√v̂ + ε)` with the bias corrections `m̂ = m/(1 − β₁ᵗ)`, `v̂ = v/(1 − β₂ᵗ)`.
    #[allow(clippy::too_many_arguments)]
    fn adam_step(&self, p: AdamStep<T>, g: &[T], m: &mut [T], v: &mut [T], w: &mut [T]);

    /// Image-to-column over `(m, h, w, c)` volumes (see [`window::im2col`]): `cols` is
    /// `(m·out_h·out_w, k_h·k_w·c)`.
    fn im2col(&self, g: &Window, x: &[T], cols: &mut [T]);

    /// The adjoint of `im2col` (see [`window::col2im`]): overwrites `dx`.
    fn col2im(&self, g: &Window, cols: &[T], dx: &mut [T]);

    /// Max pooling (see [`window::max_pool`]), recording where each maximum was.
    fn max_pool(&self, g: &Window, x: &[T], y: &mut [T], arg: &mut [u32]);

    /// The backward pass of max pooling: overwrites `dx`.
    fn max_pool_backward(&self, g: &Window, dy: &[T], arg: &[u32], dx: &mut [T]);

    /// Average pooling (see [`window::avg_pool`]).
    fn avg_pool(&self, g: &Window, x: &[T], y: &mut [T]);

    /// The backward pass of average pooling: overwrites `dx`.
    fn avg_pool_backward(&self, g: &Window, dy: &[T], dx: &mut [T]);

    /// Direct convolution for few channels (see [`window::conv_direct`]): `z` is
    /// `(m·out_h·out_w, F)`, `w_t` the filters as `(k_h·k_w·c, F)`.
    fn conv_direct(&self, g: &Window, x: &[T], w_t: &[T], bias: &[T], z: &mut [T]);

    /// Its weight gradient (see [`window::conv_direct_weight_grad`]): overwrites `dw_t`.
    fn conv_direct_weight_grad(&self, g: &Window, x: &[T], dz: &[T], dw_t: &mut [T]);
}

/// Panics unless `A`, `B` and `C` of a [`Backend::gemm`] call hold `m×k`, `k×n` and `m×n`
/// elements: a wrong length is a bug in the caller (layers check shapes and return errors
/// before they call a kernel), so every backend checks it the same way.
pub fn check_gemm_lengths(m: usize, n: usize, k: usize, a: usize, b: usize, c: usize) {
    assert_eq!(a, m * k, "gemm: A has {a} elements, not {m}×{k}");
    assert_eq!(b, k * n, "gemm: B has {b} elements, not {k}×{n}");
    assert_eq!(c, m * n, "gemm: C has {c} elements, not {m}×{n}");
}

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
}

/// A shared backend is a backend, so a backend chosen at run time (`Arc<dyn Backend<T>>`) can
/// be passed wherever a backend value can.
impl<T: Float, B: Backend<T> + ?Sized> Backend<T> for Arc<B> {
    fn name(&self) -> &'static str {
        (**self).name()
    }
    fn gemm(
        &self,
        ta: Transpose,
        tb: Transpose,
        m: usize,
        n: usize,
        k: usize,
        alpha: T,
        a: &[T],
        b: &[T],
        beta: T,
        c: &mut [T],
    ) {
        (**self).gemm(ta, tb, m, n, k, alpha, a, b, beta, c)
    }
    fn add_row_vector(&self, z: &mut [T], bias: &[T]) {
        (**self).add_row_vector(z, bias)
    }
    fn sum_rows(&self, x: &[T], scale: T, out: &mut [T]) {
        (**self).sum_rows(x, scale, out)
    }
    fn activate(&self, g: Activation, z: &[T], a: &mut [T]) {
        (**self).activate(g, z, a)
    }
    fn activate_backward(&self, g: Activation, z: &[T], a: &[T], da: &[T], dz: &mut [T]) {
        (**self).activate_backward(g, z, a, da, dz)
    }
    fn softmax_rows(&self, z: &[T], cols: usize, a: &mut [T]) {
        (**self).softmax_rows(z, cols, a)
    }
    fn softmax_backward_rows(&self, a: &[T], da: &[T], cols: usize, dz: &mut [T]) {
        (**self).softmax_backward_rows(a, da, cols, dz)
    }
    fn mul(&self, x: &[T], y: &[T], out: &mut [T]) {
        (**self).mul(x, y, out)
    }
    fn axpy(&self, alpha: T, x: &[T], y: &mut [T]) {
        (**self).axpy(alpha, x, y)
    }
    fn sum_squares(&self, x: &[T]) -> f64 {
        (**self).sum_squares(x)
    }
    fn bce_with_logits(&self, z: &[T], y: &[T], scale: T, dz: &mut [T]) -> f64 {
        (**self).bce_with_logits(z, y, scale, dz)
    }
    fn softmax_cross_entropy(&self, z: &[T], y: &[T], cols: usize, scale: T, dz: &mut [T]) -> f64 {
        (**self).softmax_cross_entropy(z, y, cols, scale, dz)
    }
    fn squared_error(&self, y_hat: &[T], y: &[T], scale: T, d: &mut [T]) -> f64 {
        (**self).squared_error(y_hat, y, scale, d)
    }
    fn momentum_step(&self, lr: T, beta: T, g: &[T], v: &mut [T], w: &mut [T]) {
        (**self).momentum_step(lr, beta, g, v, w)
    }
    fn rmsprop_step(&self, lr: T, beta: T, epsilon: T, g: &[T], s: &mut [T], w: &mut [T]) {
        (**self).rmsprop_step(lr, beta, epsilon, g, s, w)
    }
    fn adam_step(&self, p: AdamStep<T>, g: &[T], m: &mut [T], v: &mut [T], w: &mut [T]) {
        (**self).adam_step(p, g, m, v, w)
    }
    fn im2col(&self, g: &Window, x: &[T], cols: &mut [T]) {
        (**self).im2col(g, x, cols)
    }
    fn col2im(&self, g: &Window, cols: &[T], dx: &mut [T]) {
        (**self).col2im(g, cols, dx)
    }
    fn max_pool(&self, g: &Window, x: &[T], y: &mut [T], arg: &mut [u32]) {
        (**self).max_pool(g, x, y, arg)
    }
    fn max_pool_backward(&self, g: &Window, dy: &[T], arg: &[u32], dx: &mut [T]) {
        (**self).max_pool_backward(g, dy, arg, dx)
    }
    fn avg_pool(&self, g: &Window, x: &[T], y: &mut [T]) {
        (**self).avg_pool(g, x, y)
    }
    fn avg_pool_backward(&self, g: &Window, dy: &[T], dx: &mut [T]) {
        (**self).avg_pool_backward(g, dy, dx)
    }
    fn conv_direct(&self, g: &Window, x: &[T], w_t: &[T], bias: &[T], z: &mut [T]) {
        (**self).conv_direct(g, x, w_t, bias, z)
    }
    fn conv_direct_weight_grad(&self, g: &Window, x: &[T], dz: &[T], dw_t: &mut [T]) {
        (**self).conv_direct_weight_grad(g, x, dz, dw_t)
    }
}
