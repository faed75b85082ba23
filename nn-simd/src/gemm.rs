//! Matrix multiply through faer, split into a fixed partition of output blocks.
//!
//! faer's own parallel product may divide the work by thread count; to keep results
//! bit-identical whatever the number of threads, the output `C` is instead cut recursively in
//! halves (along its longer side, at multiples of [`BLOCK`]) until a block is small, and each
//! block is one sequential faer product. The partition depends on the shape only; rayon merely
//! decides which thread computes which block. The `k` dimension is never split, so no
//! reduction is reordered.

use faer::linalg::matmul::matmul;
use faer::traits::ComplexField;
use faer::{Accum, MatMut, MatRef, Par};
use nn_core::{Float, Transpose};

/// Blocks are cut at multiples of this many rows or columns.
const BLOCK: usize = 64;
/// Below this many multiply-adds a block is not split further: threads would cost more than
/// they save.
const MIN_SPLIT_WORK: usize = 1 << 20;

/// `C = α·op(A)·op(B) + β·C` on row-major slices (see `nn_core::Backend::gemm`).
#[allow(clippy::too_many_arguments)]
pub(crate) fn gemm<T: Float + ComplexField>(
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
    assert_eq!(
        a.len(),
        m * k,
        "gemm: A has {} elements, not {m}×{k}",
        a.len()
    );
    assert_eq!(
        b.len(),
        k * n,
        "gemm: B has {} elements, not {k}×{n}",
        b.len()
    );
    assert_eq!(
        c.len(),
        m * n,
        "gemm: C has {} elements, not {m}×{n}",
        c.len()
    );
    let a = match trans_a {
        Transpose::No => MatRef::from_row_major_slice(a, m, k),
        Transpose::Yes => MatRef::from_row_major_slice(a, k, m).transpose(),
    };
    let b = match trans_b {
        Transpose::No => MatRef::from_row_major_slice(b, k, n),
        Transpose::Yes => MatRef::from_row_major_slice(b, n, k).transpose(),
    };
    let accum = if beta == T::ZERO {
        Accum::Replace
    } else {
        if beta != T::ONE {
            c.iter_mut().for_each(|x| *x *= beta);
        }
        Accum::Add
    };
    if k == 0 {
        // faer leaves C alone for an empty sum; the product of nothing is zero.
        if accum == Accum::Replace {
            c.fill(T::ZERO);
        }
        return;
    }
    let c = MatMut::from_row_major_slice_mut(c, m, n);
    blocks(c, accum, a, b, alpha);
}

/// Where to cut `len` in two: about half, at a multiple of [`BLOCK`].
fn cut(len: usize) -> usize {
    (len / 2).div_ceil(BLOCK) * BLOCK
}

fn blocks<T: Float + ComplexField>(
    c: MatMut<'_, T>,
    accum: Accum,
    a: MatRef<'_, T>,
    b: MatRef<'_, T>,
    alpha: T,
) {
    let (m, n, k) = (c.nrows(), c.ncols(), a.ncols());
    let work = m.saturating_mul(n).saturating_mul(k);
    if work < MIN_SPLIT_WORK || (m <= BLOCK && n <= BLOCK) {
        matmul(c, accum, a, b, alpha, Par::Seq);
    } else if m >= n {
        let at = cut(m);
        let (c0, c1) = c.split_at_row_mut(at);
        let (a0, a1) = a.split_at_row(at);
        rayon::join(
            || blocks(c0, accum, a0, b, alpha),
            || blocks(c1, accum, a1, b, alpha),
        );
    } else {
        let at = cut(n);
        let (c0, c1) = c.split_at_col_mut(at);
        let (b0, b1) = b.split_at_col(at);
        rayon::join(
            || blocks(c0, accum, a, b0, alpha),
            || blocks(c1, accum, a, b1, alpha),
        );
    }
}
