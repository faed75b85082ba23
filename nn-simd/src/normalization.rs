//! Batch norm's kernels: per-channel sums over blocks of whole rows (vectorised along the row,
//! accumulated in the element type within a block, then added in `f64` in block order, so the
//! result does not depend on the number of threads), and per-channel affine maps over chunks
//! of whole rows.

use nn_core::backend::ChannelCoefficients;
use pulp::{Arch, Simd, WithSimd};
use rayon::prelude::*;

use crate::chunks::{self, CHUNK};
use crate::lanes::Lanes;

/// Rows per block of a channel reduction: about [`CHUNK`] elements, at least one row.
fn block_rows(channels: usize) -> usize {
    (CHUNK / channels.max(1)).max(1)
}

/// `out[c] = Σ over blocks of f(block rows of a, of b, per-block partial sums in T)` added in
/// block order in `f64`.
fn channel_sums<T: Lanes>(
    a: &[T],
    b: &[T],
    channels: usize,
    out: &mut [f64],
    f: impl Fn(&[T], &[T], &mut [T]) + Sync,
) {
    out.fill(0.0);
    if channels == 0 || a.is_empty() {
        return;
    }
    let size = block_rows(channels) * channels;
    let partial = |(a, b): (&[T], &[T])| {
        let mut acc = vec![T::ZERO; channels];
        f(a, b, &mut acc);
        acc
    };
    let blocks: Vec<Vec<T>> = if a.len() <= size {
        vec![partial((a, b))]
    } else {
        a.par_chunks(size)
            .zip(b.par_chunks(size))
            .map(partial)
            .collect()
    };
    for block in blocks {
        for (o, v) in out.iter_mut().zip(block) {
            *o += v.to_f64();
        }
    }
}

/// `out += Σ_rows (a − centre_a·mean) ⊙ (x − mean)`, or `out += Σ_rows a` without `x`.
struct AddChannelProducts<'a, T> {
    a: &'a [T],
    x: Option<&'a [T]>,
    mean: &'a [T],
    centre_a: bool,
    out: &'a mut [T],
}

impl<T: Lanes> WithSimd for AddChannelProducts<'_, T> {
    type Output = ();
    #[inline(always)]
    fn with_simd<S: Simd>(self, s: S) {
        let c = self.out.len();
        let (ms, m_tail) = T::vsplit::<S>(self.mean);
        let (os, o_tail) = T::vsplit_mut::<S>(self.out);
        let zero = T::vsplat(s, T::ZERO);
        for (r, ar) in self.a.chunks_exact(c).enumerate() {
            let (av, a_tail) = T::vsplit::<S>(ar);
            let term = |a: T::V<S>, x: Option<T::V<S>>, m: T::V<S>| match x {
                None => a,
                Some(x) => {
                    let a = if self.centre_a { T::vsub(s, a, m) } else { a };
                    T::vmul(s, a, T::vsub(s, x, m))
                }
            };
            let xr = self.x.map(|x| &x[r * c..(r + 1) * c]);
            let xv = xr.map(|x| T::vsplit::<S>(x));
            for i in 0..av.len() {
                let x = xv.map(|(v, _)| v[i]);
                let m = ms.get(i).copied().unwrap_or(zero);
                os[i] = T::vadd(s, os[i], term(av[i], x, m));
            }
            if !a_tail.is_empty() {
                let x = xv.map(|(_, t)| T::vload_tail(s, t));
                let m = if m_tail.is_empty() {
                    zero
                } else {
                    T::vload_tail(s, m_tail)
                };
                let v = term(T::vload_tail(s, a_tail), x, m);
                T::vstore_tail(s, o_tail, T::vadd(s, T::vload_tail(s, o_tail), v));
            }
        }
    }
}

/// `y = x·k1 + (k0 or dy·k_dy + …)`: `y[r, c] = x[r, c]·k_x[c] + k_0[c] (+ dy[r, c]·k_dy[c])`.
struct ChannelMap<'a, T> {
    x: &'a [T],
    k_x: &'a [T],
    k_0: &'a [T],
    dy: Option<(&'a [T], &'a [T])>,
    y: &'a mut [T],
}

impl<T: Lanes> WithSimd for ChannelMap<'_, T> {
    type Output = ();
    #[inline(always)]
    fn with_simd<S: Simd>(self, s: S) {
        let c = self.k_x.len();
        let (kx, kx_tail) = T::vsplit::<S>(self.k_x);
        let (k0, k0_tail) = T::vsplit::<S>(self.k_0);
        let kdy = self.dy.map(|(_, k)| T::vsplit::<S>(k));
        for (r, (xr, yr)) in self
            .x
            .chunks_exact(c)
            .zip(self.y.chunks_exact_mut(c))
            .enumerate()
        {
            let (xv, x_tail) = T::vsplit::<S>(xr);
            let dyv = self
                .dy
                .map(|(dy, _)| T::vsplit::<S>(&dy[r * c..(r + 1) * c]));
            let (yv, y_tail) = T::vsplit_mut::<S>(yr);
            for i in 0..xv.len() {
                let mut v = T::vfma(s, xv[i], kx[i], k0[i]);
                if let (Some((d, _)), Some((k, _))) = (dyv, kdy) {
                    v = T::vfma(s, d[i], k[i], v);
                }
                yv[i] = v;
            }
            if !x_tail.is_empty() {
                let load = |t: &[T]| T::vload_tail(s, t);
                let mut v = T::vfma(s, load(x_tail), load(kx_tail), load(k0_tail));
                if let (Some((_, d)), Some((_, k))) = (dyv, kdy) {
                    v = T::vfma(s, load(d), load(k), v);
                }
                T::vstore_tail(s, y_tail, v);
            }
        }
    }
}

/// `out[c] = Σᵣ a[r, c]`, in `f64`.
fn channel_totals<T: Lanes>(arch: Arch, a: &[T], out: &mut [f64]) {
    let c = out.len();
    channel_sums(a, a, c, out, |a, _, out| {
        arch.dispatch(AddChannelProducts {
            a,
            x: None,
            mean: &[],
            centre_a: false,
            out,
        })
    });
}

/// [`nn_core::backend::Normalization::channel_moments`].
pub(crate) fn channel_moments<T: Lanes>(arch: Arch, x: &[T], mean: &mut [f64], var: &mut [f64]) {
    let c = mean.len();
    let rows = (x.len() / c.max(1)).max(1) as f64;
    channel_totals(arch, x, mean);
    mean.iter_mut().for_each(|m| *m /= rows);
    let mean_t: Vec<T> = mean.iter().map(|&m| T::from_f64(m)).collect();
    let squares = |a: &[T], x: &[T], out: &mut [T]| {
        arch.dispatch(AddChannelProducts {
            a,
            x: Some(x),
            mean: &mean_t,
            centre_a: true,
            out,
        })
    };
    channel_sums(x, x, c, var, squares);
    // The mean in T differs from the f64 mean by δ; Σ(x − μ_T)² = Σ(x − μ)² + N·δ².
    for (v, (&m, &mt)) in var.iter_mut().zip(mean.iter().zip(&mean_t)) {
        let d = mt.to_f64() - m;
        *v = (*v / rows - d * d).max(0.0);
    }
}

/// [`nn_core::backend::Normalization::channel_grad_sums`].
pub(crate) fn channel_grad_sums<T: Lanes>(
    arch: Arch,
    dy: &[T],
    x: &[T],
    mean: &[f64],
    sum_dy: &mut [f64],
    sum_dy_xc: &mut [f64],
) {
    let c = mean.len();
    channel_totals(arch, dy, sum_dy);
    let mean_t: Vec<T> = mean.iter().map(|&m| T::from_f64(m)).collect();
    let products = |a: &[T], x: &[T], out: &mut [T]| {
        arch.dispatch(AddChannelProducts {
            a,
            x: Some(x),
            mean: &mean_t,
            centre_a: false,
            out,
        })
    };
    channel_sums(dy, x, c, sum_dy_xc, products);
    // Σ dy·(x − μ_T) = Σ dy·(x − μ) − δ·Σ dy.
    for (s, ((&m, &mt), &sd)) in sum_dy_xc
        .iter_mut()
        .zip(mean.iter().zip(&mean_t).zip(sum_dy.iter()))
    {
        *s += (mt.to_f64() - m) * sd;
    }
}

/// [`nn_core::backend::Normalization::channel_affine`].
pub(crate) fn channel_affine<T: Lanes>(arch: Arch, x: &[T], scale: &[T], shift: &[T], y: &mut [T]) {
    if scale.is_empty() {
        return;
    }
    chunks::rows_map1(x, y, scale.len(), |x, y| {
        arch.dispatch(ChannelMap {
            x,
            k_x: scale,
            k_0: shift,
            dy: None,
            y,
        })
    })
}

/// [`nn_core::backend::Normalization::channel_combine`].
pub(crate) fn channel_combine<T: Lanes>(
    arch: Arch,
    dy: &[T],
    x: &[T],
    k: ChannelCoefficients<'_, T>,
    dx: &mut [T],
) {
    if k.k_dy.is_empty() {
        return;
    }
    chunks::rows_map2(dy, x, dx, k.k_dy.len(), |dy, x, dx| {
        arch.dispatch(ChannelMap {
            x,
            k_x: k.k_x,
            k_0: k.k_0,
            dy: Some((dy, k.k_dy)),
            y: dx,
        })
    })
}
