//! Matrix–vector products, the `logistic` workload's `Z = X·w` and `dw = dZᵀ·X`: bound by
//! streaming the matrix once, which a general product's packing does not help. Four rows of the
//! matrix go through at once, so each vector load serves four FMAs (`Z = X·w`) or each load
//! and store of the output serves four rows (`dw = dZᵀ·X`).

use faer::{Accum, MatMut, MatRef};
use pulp::{Arch, Simd, WithSimd};

use crate::kernels::Axpy;
use crate::lanes::Lanes;

/// `[Σ r₀ₚ·xₚ, …, Σ r₃ₚ·xₚ]`.
struct Dots4<'a, T> {
    rows: [&'a [T]; 4],
    x: &'a [T],
}

impl<T: Lanes> WithSimd for Dots4<'_, T> {
    type Output = [T; 4];
    #[inline(always)]
    fn with_simd<S: Simd>(self, s: S) -> [T; 4] {
        let (x, x_tail) = T::vsplit::<S>(self.x);
        let rows = self.rows.map(|r| T::vsplit::<S>(r));
        let zero = T::vsplat(s, T::ZERO);
        let mut acc = [zero; 4];
        for (p, &xv) in x.iter().enumerate() {
            for (a, (r, _)) in acc.iter_mut().zip(&rows) {
                *a = T::vfma(s, r[p], xv, *a);
            }
        }
        let xt = T::vload_tail(s, x_tail);
        let mut out = [T::ZERO; 4];
        for ((o, a), (_, tail)) in out.iter_mut().zip(acc).zip(&rows) {
            *o = T::vsum(s, T::vfma(s, T::vload_tail(s, tail), xt, a));
        }
        out
    }
}

/// `y += Σ αⱼ·rowⱼ` over four rows.
struct Axpy4<'a, T> {
    alphas: [T; 4],
    rows: [&'a [T]; 4],
    y: &'a mut [T],
}

impl<T: Lanes> WithSimd for Axpy4<'_, T> {
    type Output = ();
    #[inline(always)]
    fn with_simd<S: Simd>(self, s: S) {
        let alphas = self.alphas.map(|a| T::vsplat(s, a));
        let rows = self.rows.map(|r| T::vsplit::<S>(r));
        let (y, y_tail) = T::vsplit_mut::<S>(self.y);
        for (p, yv) in y.iter_mut().enumerate() {
            let mut v = *yv;
            for (a, (r, _)) in alphas.iter().zip(&rows) {
                v = T::vfma(s, *a, r[p], v);
            }
            *yv = v;
        }
        if !y_tail.is_empty() {
            let mut v = T::vload_tail(s, y_tail);
            for (a, (_, tail)) in alphas.iter().zip(&rows) {
                v = T::vfma(s, *a, T::vload_tail(s, tail), v);
            }
            T::vstore_tail(s, y_tail, v);
        }
    }
}

/// Row `i` of `m` when its entries are contiguous.
///
/// # Safety
///
/// `m.col_stride() == 1` and `i < m.nrows()`.
unsafe fn row<'a, T>(m: MatRef<'a, T>, i: usize) -> &'a [T] {
    // SAFETY: row i starts i·row_stride elements in and, with a column stride of 1, holds
    // ncols contiguous elements of the matrix (the caller's contract).
    unsafe { std::slice::from_raw_parts(m.as_ptr().offset(i as isize * m.row_stride()), m.ncols()) }
}

/// Computes `C = α·A·B` (or adds it) if it is a matrix–vector product whose matrix has
/// contiguous rows and whose vectors are contiguous; returns whether it did. Rows are taken
/// four at a time in a fixed order, so results do not depend on threads.
pub(crate) fn try_gemv<T: Lanes + faer::traits::ComplexField>(
    arch: Arch,
    mut c: MatMut<'_, T>,
    accum: Accum,
    a: MatRef<'_, T>,
    b: MatRef<'_, T>,
    alpha: T,
) -> bool {
    let (m, n, k) = (c.nrows(), c.ncols(), a.ncols());
    if k == 0 || m == 0 || n == 0 {
        return false;
    }
    if n == 1 && a.col_stride() == 1 && (k == 1 || b.row_stride() == 1) {
        // c[i] = α·⟨A row i, b⟩.
        // SAFETY: b is k×1 with unit row stride (or a single entry).
        let x = unsafe { std::slice::from_raw_parts(b.as_ptr(), k) };
        let mut i = 0;
        while i < m {
            let take = (m - i).min(4);
            // SAFETY: A's rows are contiguous; indices below m (short groups repeat a row).
            let rows: [&[T]; 4] = std::array::from_fn(|j| unsafe { row(a, i + j.min(take - 1)) });
            let dots = arch.dispatch(Dots4 { rows, x });
            for (j, &d) in dots.iter().enumerate().take(take) {
                let v = alpha * d;
                let slot = c.as_mut().get_mut(i + j, 0);
                *slot = match accum {
                    Accum::Replace => v,
                    Accum::Add => *slot + v,
                };
            }
            i += take;
        }
        true
    } else if m == 1 && c.col_stride() == 1 && b.col_stride() == 1 {
        // c[0, :] = α·Σ_p a[0, p]·(B row p).
        // SAFETY: C is 1×n with unit column stride.
        let y = unsafe { std::slice::from_raw_parts_mut(c.as_ptr_mut(), n) };
        if accum == Accum::Replace {
            y.fill(T::ZERO);
        }
        let mut p = 0;
        while p + 4 <= k {
            let alphas = std::array::from_fn(|j| alpha * *a.get(0, p + j));
            // SAFETY: B's rows are contiguous; indices below k.
            let rows: [&[T]; 4] = std::array::from_fn(|j| unsafe { row(b, p + j) });
            arch.dispatch(Axpy4 {
                alphas,
                rows,
                y: &mut *y,
            });
            p += 4;
        }
        for p in p..k {
            // SAFETY: as above.
            let x = unsafe { row(b, p) };
            arch.dispatch(Axpy {
                alpha: alpha * *a.get(0, p),
                x,
                y: &mut *y,
            });
        }
        true
    } else {
        false
    }
}
