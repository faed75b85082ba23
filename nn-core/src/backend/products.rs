//! Products: `C = α·op(A)·op(B) + β·C`, described by a [`Gemm`].

use super::Transpose;
use crate::Float;

/// One matrix product `C = α·op(A)·op(B) + β·C`: `op(A)` is `(m, k)`, `op(B)` is `(k, n)`,
/// `C` is `(m, n)`, all row-major. `A` is stored `(m, k)` or, transposed, `(k, m)`; likewise
/// `B`. With `β = 0` the old contents of `C` are ignored (even NaN).
///
/// ```
/// use nn_core::backend::Gemm;
/// // dW (n_out, n_in) = dZᵀ (n_out, m) · A (m, n_in)
/// let (m, n_in, n_out) = (4, 3, 2);
/// let g = Gemm::<f32>::new(n_out, n_in, m).trans_a();
/// assert_eq!((g.m, g.n, g.k), (2, 3, 4));
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Gemm<T> {
    /// Rows of `C` and of `op(A)`.
    pub m: usize,
    /// Columns of `C` and of `op(B)`.
    pub n: usize,
    /// The shared dimension.
    pub k: usize,
    /// Whether `A` is stored transposed, `(k, m)`.
    pub trans_a: Transpose,
    /// Whether `B` is stored transposed, `(n, k)`.
    pub trans_b: Transpose,
    /// The factor of the product.
    pub alpha: T,
    /// The factor of the old `C` (0: overwrite).
    pub beta: T,
}

impl<T: Float> Gemm<T> {
    /// `C = A·B` with `C` of `(m, n)` and the shared dimension `k`; nothing transposed,
    /// `α = 1`, `β = 0`.
    pub fn new(m: usize, n: usize, k: usize) -> Self {
        Gemm {
            m,
            n,
            k,
            trans_a: Transpose::No,
            trans_b: Transpose::No,
            alpha: T::ONE,
            beta: T::ZERO,
        }
    }

    /// `A` is stored `(k, m)`: the product uses `Aᵀ`.
    pub fn trans_a(mut self) -> Self {
        self.trans_a = Transpose::Yes;
        self
    }

    /// `B` is stored `(n, k)`: the product uses `Bᵀ`.
    pub fn trans_b(mut self) -> Self {
        self.trans_b = Transpose::Yes;
        self
    }

    /// Scales the product by `alpha`.
    pub fn alpha(mut self, alpha: T) -> Self {
        self.alpha = alpha;
        self
    }

    /// Adds `beta·C` (the old contents) instead of overwriting `C`.
    pub fn beta(mut self, beta: T) -> Self {
        self.beta = beta;
        self
    }

    /// Panics unless `A`, `B` and `C` hold `m×k`, `k×n` and `m×n` elements: a wrong length is
    /// a bug in the caller (layers check shapes and return errors before they call a kernel),
    /// so every backend checks it the same way.
    pub fn check_lengths(&self, a: usize, b: usize, c: usize) {
        let (m, n, k) = (self.m, self.n, self.k);
        assert_eq!(a, m * k, "gemm: A has {a} elements, not {m}×{k}");
        assert_eq!(b, k * n, "gemm: B has {b} elements, not {k}×{n}");
        assert_eq!(c, m * n, "gemm: C has {c} elements, not {m}×{n}");
    }
}

/// The product family.
pub trait Products<T: Float> {
    /// `C = α·op(A)·op(B) + β·C` as `g` describes it. The default is the triple loop.
    fn gemm(&self, g: &Gemm<T>, a: &[T], b: &[T], c: &mut [T]) {
        gemm(g, a, b, c)
    }
}

/// The triple loop of [`Products::gemm`].
pub fn gemm<T: Float>(g: &Gemm<T>, a: &[T], b: &[T], c: &mut [T]) {
    g.check_lengths(a.len(), b.len(), c.len());
    let (m, n, k) = (g.m, g.n, g.k);
    let at = |i: usize, p: usize| match g.trans_a {
        Transpose::No => a[i * k + p],
        Transpose::Yes => a[p * m + i],
    };
    let bt = |p: usize, j: usize| match g.trans_b {
        Transpose::No => b[p * n + j],
        Transpose::Yes => b[j * k + p],
    };
    for i in 0..m {
        for j in 0..n {
            let mut acc = T::ZERO;
            for p in 0..k {
                acc += at(i, p) * bt(p, j);
            }
            let old = if g.beta == T::ZERO {
                T::ZERO
            } else {
                g.beta * c[i * n + j]
            };
            c[i * n + j] = g.alpha * acc + old;
        }
    }
}
