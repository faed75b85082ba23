//! Convolution and pooling kernels: the plain loops of `nn_core::backend::window`, run over
//! groups of whole images in parallel. Each image is computed the same way whatever the
//! grouping, so results do not depend on the number of threads.

use nn_core::backend::{window, Window};
use nn_core::Float;
use pulp::{Simd, WithSimd};
use rayon::prelude::*;

use crate::chunks::CHUNK;
use crate::gemm::{give_back_scratch, take_scratch, Scratch};

/// Runs `$fixed::<T, F>` for the common filter counts, `$plain` otherwise.
macro_rules! by_filters {
    ($f:expr, $fixed:ident, $plain:path, $($arg:expr),*) => {
        match $f {
            4 => $fixed::<T, 4>($($arg),*),
            8 => $fixed::<T, 8>($($arg),*),
            16 => $fixed::<T, 16>($($arg),*),
            32 => $fixed::<T, 32>($($arg),*),
            _ => $plain($($arg),*),
        }
    };
}

/// Images per task: enough that a task writes about [`CHUNK`] values.
fn images_per_task(per_image: usize) -> usize {
    (CHUNK / per_image.max(1)).max(1)
}

/// Whether the work is worth threads.
pub(crate) fn large(g: &Window, per_position: usize) -> bool {
    g.batch * g.positions() * per_position > CHUNK
}

/// `f(window over k images, their input, their output)` for groups of images of `input`
/// (`image_len` values each) and `output` (`out_len` each).
fn per_image<T: Float, U: Send>(
    g: &Window,
    input: &[T],
    output: &mut [U],
    out_len: usize,
    f: impl Fn(&Window, &[T], &mut [U]) + Sync,
) {
    let n = images_per_task(out_len);
    let (image_len, out_len) = (g.image_len().max(1), out_len.max(1));
    input
        .par_chunks(n * image_len)
        .zip(output.par_chunks_mut(n * out_len))
        .for_each(|(x, y)| f(&g.with_batch(x.len() / image_len), x, y));
}

pub(crate) fn im2col<T: Float>(g: &Window, x: &[T], cols: &mut [T]) {
    g.check(x.len(), g.patch_len(), cols.len());
    per_image(g, x, cols, g.positions() * g.patch_len(), window::im2col);
}

pub(crate) fn col2im<T: Float>(g: &Window, cols: &[T], dx: &mut [T]) {
    g.check(dx.len(), g.patch_len(), cols.len());
    let n = images_per_task(g.positions() * g.patch_len());
    let (image_len, per) = (g.image_len().max(1), (g.positions() * g.patch_len()).max(1));
    cols.par_chunks(n * per)
        .zip(dx.par_chunks_mut(n * image_len))
        .for_each(|(c, d)| window::col2im(&g.with_batch(d.len() / image_len), c, d));
}

pub(crate) fn max_pool<T: Float>(g: &Window, x: &[T], y: &mut [T], arg: &mut [u32]) {
    g.check(x.len(), g.channels, y.len());
    assert_eq!(arg.len(), y.len(), "max_pool: one position per output");
    let out = (g.positions() * g.channels).max(1);
    let n = images_per_task(out);
    let image_len = g.image_len().max(1);
    x.par_chunks(n * image_len)
        .zip(y.par_chunks_mut(n * out))
        .zip(arg.par_chunks_mut(n * out))
        .for_each(|((x, y), a)| window::max_pool(&g.with_batch(x.len() / image_len), x, y, a));
}

pub(crate) fn max_pool_backward<T: Float>(g: &Window, dy: &[T], arg: &[u32], dx: &mut [T]) {
    g.check(dx.len(), g.channels, dy.len());
    let out = (g.positions() * g.channels).max(1);
    let n = images_per_task(g.image_len());
    let image_len = g.image_len().max(1);
    dy.par_chunks(n * out)
        .zip(arg.par_chunks(n * out))
        .zip(dx.par_chunks_mut(n * image_len))
        .for_each(|((dy, a), dx)| {
            window::max_pool_backward(&g.with_batch(dx.len() / image_len), dy, a, dx)
        });
}

pub(crate) fn avg_pool<T: Float>(g: &Window, x: &[T], y: &mut [T]) {
    g.check(x.len(), g.channels, y.len());
    per_image(g, x, y, g.positions() * g.channels, window::avg_pool);
}

pub(crate) fn avg_pool_backward<T: Float>(g: &Window, dy: &[T], dx: &mut [T]) {
    g.check(dx.len(), g.channels, dy.len());
    let out = (g.positions() * g.channels).max(1);
    let n = images_per_task(g.image_len());
    let image_len = g.image_len().max(1);
    dy.par_chunks(n * out)
        .zip(dx.par_chunks_mut(n * image_len))
        .for_each(|(dy, dx)| {
            window::avg_pool_backward(&g.with_batch(dx.len() / image_len), dy, dx)
        });
}

/// Images per group of the weight gradient's partial sums: fixed, so that the sum's order
/// (groups added in order) does not depend on the number of threads.
const GROUP: usize = 4;

pub(crate) fn conv_direct<T: Float>(
    arch: pulp::Arch,
    g: &Window,
    x: &[T],
    w_t: &[T],
    bias: &[T],
    z: &mut [T],
) {
    let f = bias.len();
    g.check(x.len(), f, z.len());
    per_image(g, x, z, g.positions() * f, |g, x, z| {
        // Compiled for the best instruction set (AVX-512 here), so the loops over the F
        // filters vectorise.
        run_op(arch, ConvDirect { g, x, w_t, bias, z })
    });
}

pub(crate) fn conv_direct_weight_grad<T: Scratch>(
    arch: pulp::Arch,
    g: &Window,
    x: &[T],
    dz: &[T],
    dw_t: &mut [T],
) {
    let k = dw_t.len();
    let f = k / g.patch_len().max(1);
    g.check(x.len(), f, dz.len());
    let groups = g.batch.div_ceil(GROUP);
    if groups <= 1 {
        return run_op(arch, ConvWeightGrad { g, x, dz, dw_t, f });
    }
    let mut partial = take_scratch::<T>(groups * k);
    let (image_len, out) = (g.image_len().max(1), (g.positions() * f).max(1));
    partial
        .par_chunks_mut(k)
        .zip(x.par_chunks(GROUP * image_len))
        .zip(dz.par_chunks(GROUP * out))
        .for_each(|((p, x), dz)| {
            let g = g.with_batch(x.len() / image_len);
            run_op(
                arch,
                ConvWeightGrad {
                    g: &g,
                    x,
                    dz,
                    dw_t: p,
                    f,
                },
            )
        });
    dw_t.copy_from_slice(&partial[..k]);
    for p in partial[k..].chunks_exact(k) {
        for (d, &v) in dw_t.iter_mut().zip(p) {
            *d += v;
        }
    }
    give_back_scratch(partial);
}

/// Max pooling without padding, channels innermost so that each window element is compared
/// with the running maxima of all channels at once (vectorised); same results, ties and NaN
/// rule as `window::max_pool` (the first maximum wins; a NaN wins and stays).
pub(crate) fn max_pool_fast<T: Float>(
    arch: pulp::Arch,
    g: &Window,
    x: &[T],
    y: &mut [T],
    arg: &mut [u32],
) {
    g.check(x.len(), g.channels, y.len());
    assert_eq!(arg.len(), y.len(), "max_pool: one position per output");
    assert!(
        g.pad_top == 0 && g.pad_left == 0,
        "max_pool_fast: no padding"
    );
    let out = (g.positions() * g.channels).max(1);
    let n = images_per_task(out);
    let image_len = g.image_len().max(1);
    x.par_chunks(n * image_len)
        .zip(y.par_chunks_mut(n * out))
        .zip(arg.par_chunks_mut(n * out))
        .for_each(|((x, y), a)| {
            let g = g.with_batch(x.len() / image_len);
            run_op(
                arch,
                MaxPool {
                    g: &g,
                    x,
                    y,
                    arg: a,
                },
            )
        });
}

/// The largest window [`max_pool_fixed`] handles (elements); larger ones take the plain loop.
const MAX_POOL_WINDOW: usize = 64;

/// Max pooling of whole images with `C` channels known at compile time (so the per-channel
/// loops become vector selects; a run-time count of 8 would leave them scalar under AVX-512).
/// Each lane keeps the running maximum and the number of the window element it came from
/// (the same number in every lane of a step, so the select is one vector blend); the
/// element's offset in the image is looked up once per output.
#[inline(always)]
#[allow(clippy::eq_op)] // `v != v` is the NaN test, and it vectorises.
fn max_pool_fixed<T: Float, const C: usize>(g: &Window, x: &[T], y: &mut [T], arg: &mut [u32]) {
    let window = g.kernel_h * g.kernel_w;
    if window > MAX_POOL_WINDOW {
        return window::max_pool(g, x, y, arg);
    }
    // Offset of window element e from the window's first pixel.
    let mut offsets = [0u32; MAX_POOL_WINDOW];
    for (e, o) in offsets.iter_mut().enumerate().take(window) {
        *o = (((e / g.kernel_w) * g.width + e % g.kernel_w) * C) as u32;
    }
    let (image_len, out) = (g.image_len().max(1), (g.positions() * C).max(1));
    for ((image, y), arg) in x
        .chunks_exact(image_len)
        .zip(y.chunks_exact_mut(out))
        .zip(arg.chunks_exact_mut(out))
    {
        for (i, (y, arg)) in y
            .chunks_exact_mut(g.out_w * C)
            .zip(arg.chunks_exact_mut(g.out_w * C))
            .enumerate()
        {
            for (j, (y, arg)) in y
                .chunks_exact_mut(C)
                .zip(arg.chunks_exact_mut(C))
                .enumerate()
            {
                let first = (i * g.stride_h * g.width + j * g.stride_w) * C;
                let mut best: [T; C] = image[first..first + C].try_into().expect("C values");
                let mut from = [0u32; C];
                for (e, &offset) in offsets.iter().enumerate().take(window).skip(1) {
                    let a = first + offset as usize;
                    let src: &[T; C] = image[a..a + C].try_into().expect("C values");
                    for ch in 0..C {
                        let (v, b) = (src[ch], best[ch]);
                        // Branch-free selects: vectorised, no mispredictions.
                        let take = (v > b) | ((v != v) & (b == b));
                        best[ch] = if take { v } else { b };
                        from[ch] = if take { e as u32 } else { from[ch] };
                    }
                }
                y.copy_from_slice(&best);
                for ch in 0..C {
                    arg[ch] = first as u32 + offsets[from[ch] as usize] + ch as u32;
                }
            }
        }
    }
}

/// The top-left input pixel of the window at output `(i, j)`, if the whole window lies inside
/// the image (no padding under it): then its `k_h` rows are contiguous runs of `k_w·c` values.
#[inline(always)]
fn interior(g: &Window, i: usize, j: usize) -> Option<(usize, usize)> {
    let r = (i * g.stride_h).checked_sub(g.pad_top)?;
    let q = (j * g.stride_w).checked_sub(g.pad_left)?;
    (r + g.kernel_h <= g.height && q + g.kernel_w <= g.width).then_some((r, q))
}

/// For each `(patch value, its row of F weights)` of the window at output `(i, j)`: the
/// interior fast path walks `k_h` contiguous runs; border windows skip the padding.
#[inline(always)]
fn for_patch<T: Float, const F: usize>(
    g: &Window,
    image: &[T],
    i: usize,
    j: usize,
    mut f: impl FnMut(T, usize),
) {
    let (c, run) = (g.channels, g.kernel_w * g.channels);
    if let Some((r, q)) = interior(g, i, j) {
        for ki in 0..g.kernel_h {
            let at = (r + ki) * g.width * c + q * c;
            for (k, &v) in image[at..at + run].iter().enumerate() {
                f(v, (ki * run + k) * F);
            }
        }
        return;
    }
    for ki in 0..g.kernel_h {
        let Some(r) = (i * g.stride_h + ki)
            .checked_sub(g.pad_top)
            .filter(|&r| r < g.height)
        else {
            continue;
        };
        for kj in 0..g.kernel_w {
            let Some(q) = (j * g.stride_w + kj)
                .checked_sub(g.pad_left)
                .filter(|&q| q < g.width)
            else {
                continue;
            };
            let at = (r * g.width + q) * c;
            for (ci, &v) in image[at..at + c].iter().enumerate() {
                f(v, ((ki * g.kernel_w + kj) * c + ci) * F);
            }
        }
    }
}

/// `P` neighbouring interior positions `(i, j…j + P − 1)` of one image at once: each filter
/// row is loaded once for the `P`, and the `P` sums are independent FMA chains (one chain alone
/// waits on the FMA latency at every step). Each position's sum is formed in the same order
/// whatever `P`, so results do not depend on how positions are grouped.
#[inline(always)]
fn conv_positions<T: Float, const F: usize, const P: usize>(
    g: &Window,
    image: &[T],
    w_t: &[T],
    bias: [T; F],
    (r, q): (usize, usize),
    rows: &mut std::slice::ChunksExactMut<'_, T>,
) {
    let (c, run) = (g.channels, g.kernel_w * g.channels);
    let step = g.stride_w * c;
    let mut acc = [bias; P];
    for ki in 0..g.kernel_h {
        let at = ((r + ki) * g.width + q) * c;
        let weights = &w_t[ki * run * F..(ki + 1) * run * F];
        for (k, w) in weights.chunks_exact(F).enumerate() {
            let w: &[T; F] = w.try_into().expect("F weights");
            let v: [T; P] = std::array::from_fn(|p| image[at + p * step + k]);
            for p in 0..P {
                for f in 0..F {
                    acc[p][f] = v[p].mul_add(w[f], acc[p][f]);
                }
            }
        }
    }
    for a in acc {
        rows.next()
            .expect("one row per position")
            .copy_from_slice(&a);
    }
}

/// The top-left input pixel of position `(i, j)`'s window, if positions `(i, j…j + p − 1)`
/// all have their whole window inside the image.
#[inline(always)]
fn interior_run(g: &Window, i: usize, j: usize, p: usize) -> Option<(usize, usize)> {
    if j + p > g.out_w {
        return None;
    }
    interior(g, i, j + p - 1)?;
    interior(g, i, j)
}

/// `window::conv_direct` with the number of filters `F` known at compile time, so that the
/// loops over the filters become vector FMAs, and a check-free path for interior windows,
/// eight positions at a time where the accumulators fit in registers (up to 8 filters), else
/// four.
#[inline(always)]
fn conv_direct_fixed<T: Float, const F: usize>(
    g: &Window,
    x: &[T],
    w_t: &[T],
    bias: &[T],
    z: &mut [T],
) {
    let bias: [T; F] = bias.try_into().expect("F biases");
    let mut rows = z.chunks_exact_mut(F);
    for image in x.chunks_exact(g.image_len().max(1)) {
        for i in 0..g.out_h {
            // Border positions (under the padding) one at a time, runs of interior ones
            // together.
            let mut j = 0;
            while j < g.out_w {
                if let Some(at) = interior_run(g, i, j, 8).filter(|_| F <= 8) {
                    conv_positions::<T, F, 8>(g, image, w_t, bias, at, &mut rows);
                    j += 8;
                    continue;
                }
                if let Some(at) = interior_run(g, i, j, 4) {
                    conv_positions::<T, F, 4>(g, image, w_t, bias, at, &mut rows);
                    j += 4;
                    continue;
                }
                let mut acc = bias;
                for_patch::<T, F>(g, image, i, j, |v, at| {
                    let w: &[T; F] = w_t[at..at + F].try_into().expect("F weights");
                    for f in 0..F {
                        acc[f] = v.mul_add(w[f], acc[f]);
                    }
                });
                rows.next()
                    .expect("one row per position")
                    .copy_from_slice(&acc);
                j += 1;
            }
        }
    }
}

/// `window::conv_direct_weight_grad` with `F` known at compile time: one position at a time,
/// each patch value adding its row of `F` gradients (interior windows as `k_h` contiguous
/// runs). The rows of different patch values are independent, so their FMAs overlap; taking
/// four positions at once (each gradient row loaded and stored once for the four, but four
/// dependent FMAs on it) measured 12–18 % slower on whole `cnn` and `cnn-rgb` runs.
#[inline(always)]
fn conv_direct_weight_grad_fixed<T: Float, const F: usize>(
    g: &Window,
    x: &[T],
    dz: &[T],
    dw_t: &mut [T],
) {
    dw_t.fill(T::ZERO);
    let mut rows = dz.chunks_exact(F);
    for image in x.chunks_exact(g.image_len().max(1)) {
        for i in 0..g.out_h {
            for j in 0..g.out_w {
                let d: [T; F] = rows
                    .next()
                    .expect("one row per position")
                    .try_into()
                    .expect("F");
                for_patch::<T, F>(g, image, i, j, |v, at| {
                    let w: &mut [T; F] = (&mut dw_t[at..at + F]).try_into().expect("F weights");
                    for f in 0..F {
                        w[f] = v.mul_add(d[f], w[f]);
                    }
                });
            }
        }
    }
}

// The kernels as pulp operations: `with_simd` is compiled inside pulp's function for the
// detected instruction set (AVX-512 here) and inlines the loops above, so that the
// compiler vectorises them with that instruction set. (A closure passed to `dispatch` is
// not reliably inlined, and its loops then stay at the baseline, SSE2.)

struct ConvDirect<'a, T> {
    g: &'a Window,
    x: &'a [T],
    w_t: &'a [T],
    bias: &'a [T],
    z: &'a mut [T],
}

impl<T: Float> WithSimd for ConvDirect<'_, T> {
    type Output = ();

    #[inline(always)]
    fn with_simd<S: Simd>(self, _: S) {
        let ConvDirect { g, x, w_t, bias, z } = self;
        by_filters!(
            bias.len(),
            conv_direct_fixed,
            window::conv_direct,
            g,
            x,
            w_t,
            bias,
            z
        )
    }
}

struct ConvWeightGrad<'a, T> {
    g: &'a Window,
    x: &'a [T],
    dz: &'a [T],
    dw_t: &'a mut [T],
    f: usize,
}

impl<T: Float> WithSimd for ConvWeightGrad<'_, T> {
    type Output = ();

    #[inline(always)]
    fn with_simd<S: Simd>(self, _: S) {
        let ConvWeightGrad { g, x, dz, dw_t, f } = self;
        by_filters!(
            f,
            conv_direct_weight_grad_fixed,
            window::conv_direct_weight_grad,
            g,
            x,
            dz,
            dw_t
        )
    }
}

struct MaxPool<'a, T> {
    g: &'a Window,
    x: &'a [T],
    y: &'a mut [T],
    arg: &'a mut [u32],
}

impl<T: Float> WithSimd for MaxPool<'_, T> {
    type Output = ();

    #[inline(always)]
    fn with_simd<S: Simd>(self, _: S) {
        let MaxPool { g, x, y, arg } = self;
        match g.channels {
            1 => max_pool_fixed::<T, 1>(g, x, y, arg),
            3 => max_pool_fixed::<T, 3>(g, x, y, arg),
            4 => max_pool_fixed::<T, 4>(g, x, y, arg),
            8 => max_pool_fixed::<T, 8>(g, x, y, arg),
            16 => max_pool_fixed::<T, 16>(g, x, y, arg),
            32 => max_pool_fixed::<T, 32>(g, x, y, arg),
            _ => window::max_pool(g, x, y, arg),
        }
    }
}

/// Runs `op` compiled for AVX2+FMA where the processor has it, else for the best instruction
/// set found: these kernels' rows of 8 (filters, channels) fill a 256-bit vector, and
/// measured, the same loops compiled for AVX-512 ran up to 1.8× slower.
fn run_op<Op: WithSimd>(arch: pulp::Arch, op: Op) -> Op::Output {
    #[cfg(target_arch = "x86_64")]
    if let Some(v3) = pulp::x86::V3::try_new() {
        return Simd::vectorize(v3, op);
    }
    arch.dispatch(op)
}
