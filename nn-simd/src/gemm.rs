//! Matrix multiply through faer, split into a fixed partition of output blocks.
//!
//! faer's own parallel product may divide the work by thread count; to keep results
//! bit-identical whatever the number of threads, the product is instead cut recursively in
//! halves until a block is small (see [`blocks`]), and each block is one sequential faer
//! product. The partition depends on the shape only; rayon merely decides which thread
//! computes which block, and partial sums over `k` are added in a fixed order.

use std::cell::RefCell;
use std::thread::LocalKey;

use faer::linalg::matmul::matmul;
use faer::traits::ComplexField;
use faer::{Accum, MatMut, MatRef, Par};
use nn_core::backend::Gemm;
use nn_core::{Float, Transpose};
use pulp::Arch;

use crate::gemv;
use crate::lanes::Lanes;

/// Rows and columns are cut at multiples of this.
const BLOCK: usize = 64;
/// No block of less than this many multiply-adds is split: threads would cost more than they
/// save, and faer packs its operands once per block.
const MIN_SPLIT_WORK: usize = 1 << 23;
/// Nor is a block split below this share of the whole product: about 16 blocks in all, enough
/// to balance up to 8 threads, few enough that each is a large, efficient faer product.
const MAX_BLOCKS: usize = 16;
/// The inner dimension is only halved from this length up (halves of at least 2048).
const MIN_K_SPLIT: usize = 4096;

/// A product with at most this many rows or columns (a matrix–vector product, such as the
/// `logistic` workload's `150×12288` by `12288×1`) is bound by reading its long operand, not by
/// arithmetic, so it is split from [`MIN_SHORT_SPLIT_WORK`] up and each core streams a share:
/// measured 1.7× faster on two threads, 5–10 % slower on one (the cost of the split).
const SHORT_SIDE: usize = 4;
const MIN_SHORT_SPLIT_WORK: usize = 1 << 20;

/// The smallest block of this shape that is split further.
fn min_split_work(m: usize, n: usize) -> usize {
    if m.min(n) <= SHORT_SIDE {
        MIN_SHORT_SPLIT_WORK
    } else {
        MIN_SPLIT_WORK
    }
}

/// Whether a product of this shape is split at all (and so may use threads).
pub(crate) fn splits(m: usize, n: usize, k: usize) -> bool {
    m.saturating_mul(n).saturating_mul(k) >= min_split_work(m, n)
}

/// Element types with per-thread buffers for the second half of a split inner dimension, so
/// that after the first training step a product allocates nothing.
pub(crate) trait Scratch: Float {
    fn buffers() -> &'static LocalKey<RefCell<Vec<Vec<Self>>>>;
}

thread_local! {
    static F32_BUFFERS: RefCell<Vec<Vec<f32>>> = const { RefCell::new(Vec::new()) };
    static F64_BUFFERS: RefCell<Vec<Vec<f64>>> = const { RefCell::new(Vec::new()) };
}

impl Scratch for f32 {
    fn buffers() -> &'static LocalKey<RefCell<Vec<Vec<f32>>>> {
        &F32_BUFFERS
    }
}

impl Scratch for f64 {
    fn buffers() -> &'static LocalKey<RefCell<Vec<Vec<f64>>>> {
        &F64_BUFFERS
    }
}

/// A buffer of `len` zeros from this thread's pool (one is kept per level of nesting).
pub(crate) fn take_scratch<T: Scratch>(len: usize) -> Vec<T> {
    let mut buffer = T::buffers()
        .with_borrow_mut(|pool| pool.pop())
        .unwrap_or_default();
    buffer.clear();
    buffer.resize(len, T::ZERO);
    buffer
}

pub(crate) fn give_back_scratch<T: Scratch>(buffer: Vec<T>) {
    T::buffers().with_borrow_mut(|pool| pool.push(buffer));
}

/// `C = α·op(A)·op(B) + β·C` on row-major slices (see `nn_core::backend::Products::gemm`).
pub(crate) fn gemm<T: Scratch + ComplexField + Lanes + Float>(
    g: &Gemm<T>,
    a: &[T],
    b: &[T],
    c: &mut [T],
) {
    g.check_lengths(a.len(), b.len(), c.len());
    let (trans_a, trans_b, m, n, k, alpha, beta) =
        (g.trans_a, g.trans_b, g.m, g.n, g.k, g.alpha, g.beta);
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
    let min_work = (m.saturating_mul(n).saturating_mul(k) / MAX_BLOCKS).max(min_split_work(m, n));
    blocks(c, accum, a, b, alpha, min_work);
}

/// Where to cut `len` in two: about half, at a multiple of `unit`.
fn cut(len: usize, unit: usize) -> usize {
    (len / 2).div_ceil(unit) * unit
}

/// Computes one block of `C`: directly when small, else as two halves, in parallel. Rows or
/// columns of `C` are halved while they are long; a short, wide product (the `deep` workload's
/// `150×20` output over `k = 12288`) halves `k` instead, the second half into a buffer that is
/// then added, so the sum's order is fixed by the shape.
fn blocks<T: Scratch + ComplexField + Lanes>(
    c: MatMut<'_, T>,
    accum: Accum,
    a: MatRef<'_, T>,
    b: MatRef<'_, T>,
    alpha: T,
    min_work: usize,
) {
    let (m, n, k) = (c.nrows(), c.ncols(), a.ncols());
    let work = m.saturating_mul(n).saturating_mul(k);
    let long = m.max(n);
    if work < min_work {
        leaf(c, accum, a, b, alpha);
    } else if long >= 4 * BLOCK || (k < MIN_K_SPLIT && long >= 2 * BLOCK) {
        if m >= n {
            let at = cut(m, BLOCK);
            let (c0, c1) = c.split_at_row_mut(at);
            let (a0, a1) = a.split_at_row(at);
            rayon::join(
                || blocks(c0, accum, a0, b, alpha, min_work),
                || blocks(c1, accum, a1, b, alpha, min_work),
            );
        } else {
            let at = cut(n, BLOCK);
            let (c0, c1) = c.split_at_col_mut(at);
            let (b0, b1) = b.split_at_col(at);
            rayon::join(
                || blocks(c0, accum, a, b0, alpha, min_work),
                || blocks(c1, accum, a, b1, alpha, min_work),
            );
        }
    } else if k >= MIN_K_SPLIT {
        let at = cut(k, 256);
        let (a0, a1) = a.split_at_col(at);
        let (b0, b1) = b.split_at_row(at);
        let mut buffer = take_scratch::<T>(m * n);
        let mut second = MatMut::from_column_major_slice_mut(&mut buffer, m, n);
        let mut c = c;
        rayon::join(
            || blocks(c.as_mut(), accum, a0, b0, alpha, min_work),
            || blocks(second.as_mut(), Accum::Replace, a1, b1, alpha, min_work),
        );
        c += second.as_ref();
        give_back_scratch(buffer);
    } else {
        leaf(c, accum, a, b, alpha);
    }
}

/// One block on this thread: our matrix–vector kernels where they apply, else faer.
fn leaf<T: Scratch + ComplexField + Lanes>(
    c: MatMut<'_, T>,
    accum: Accum,
    a: MatRef<'_, T>,
    b: MatRef<'_, T>,
    alpha: T,
) {
    let mut c = c;
    if !gemv::try_gemv(Arch::new(), c.as_mut(), accum, a, b, alpha) {
        matmul(c, accum, a, b, alpha, Par::Seq);
    }
}
