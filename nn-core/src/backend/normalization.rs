//! Normalisation kernels: the per-channel statistics and per-channel affine maps of batch
//! normalisation, over rows of `channels` values (a dense layer's `(m, n)` output has `n`
//! channels; a convolution's `(m, h, w, c)` output is `m·h·w` rows of `c` channels).
//!
//! Batch norm is split so that each piece can later sit in a fused kernel's epilogue: in
//! evaluation it is one [`channel_affine`](Normalization::channel_affine) (`y = x·scale + shift`,
//! which folds into a convolution's weights and bias); in training a fused kernel gathers
//! [`channel_moments`](Normalization::channel_moments) as it writes its output, then applies the
//! same affine map; backward is [`channel_grad_sums`](Normalization::channel_grad_sums) then
//! [`channel_combine`](Normalization::channel_combine). Sums are accumulated in `f64`, in a fixed
//! order, so they are deterministic.

use crate::Float;

/// The normalisation family.
pub trait Normalization<T: Float> {
    /// Per channel `c` (`mean.len()` channels): `mean[c] = (1/N)·Σᵣ x[r, c]` and the biased
    /// variance `var[c] = (1/N)·Σᵣ (x[r, c] − mean[c])²` over the `N` rows of `x`.
    fn channel_moments(&self, x: &[T], mean: &mut [f64], var: &mut [f64]) {
        channel_moments(x, mean, var)
    }

    /// `y[r, c] = x[r, c]·scale[c] + shift[c]`.
    fn channel_affine(&self, x: &[T], scale: &[T], shift: &[T], y: &mut [T]) {
        channel_affine(x, scale, shift, y)
    }

    /// Per channel: `sum_dy[c] = Σᵣ dy[r, c]` and `sum_dy_xc[c] = Σᵣ dy[r, c]·(x[r, c] − mean[c])`.
    fn channel_grad_sums(
        &self,
        dy: &[T],
        x: &[T],
        mean: &[f64],
        sum_dy: &mut [f64],
        sum_dy_xc: &mut [f64],
    ) {
        channel_grad_sums(dy, x, mean, sum_dy, sum_dy_xc)
    }

    /// `dx[r, c] = dy[r, c]·k_dy[c] + x[r, c]·k_x[c] + k_0[c]`: batch norm's input gradient, which
    /// is affine in `dy` and `x` once the channel sums are known.
    fn channel_combine(&self, dy: &[T], x: &[T], k: ChannelCoefficients<'_, T>, dx: &mut [T]) {
        channel_combine(dy, x, k, dx)
    }
}

/// The per-channel coefficients of [`Normalization::channel_combine`].
#[derive(Clone, Copy, Debug)]
pub struct ChannelCoefficients<'a, T> {
    /// Multiplies `dy`.
    pub k_dy: &'a [T],
    /// Multiplies `x`.
    pub k_x: &'a [T],
    /// Added.
    pub k_0: &'a [T],
}

/// The loop of [`Normalization::channel_moments`]: two passes (mean, then centred squares),
/// in `f64`.
pub fn channel_moments<T: Float>(x: &[T], mean: &mut [f64], var: &mut [f64]) {
    let c = mean.len().max(1);
    let rows = x.len() / c;
    mean.fill(0.0);
    var.fill(0.0);
    for row in x.chunks_exact(c) {
        for (m, &v) in mean.iter_mut().zip(row) {
            *m += v.to_f64();
        }
    }
    let n = rows.max(1) as f64;
    mean.iter_mut().for_each(|m| *m /= n);
    for row in x.chunks_exact(c) {
        for ((s, &v), &m) in var.iter_mut().zip(row).zip(mean.iter()) {
            let d = v.to_f64() - m;
            *s += d * d;
        }
    }
    var.iter_mut().for_each(|s| *s /= n);
}

/// The loop of [`Normalization::channel_affine`].
pub fn channel_affine<T: Float>(x: &[T], scale: &[T], shift: &[T], y: &mut [T]) {
    let c = scale.len().max(1);
    for (xr, yr) in x.chunks_exact(c).zip(y.chunks_exact_mut(c)) {
        for j in 0..scale.len() {
            yr[j] = xr[j] * scale[j] + shift[j];
        }
    }
}

/// The loop of [`Normalization::channel_grad_sums`].
pub fn channel_grad_sums<T: Float>(
    dy: &[T],
    x: &[T],
    mean: &[f64],
    sum_dy: &mut [f64],
    sum_dy_xc: &mut [f64],
) {
    let c = mean.len().max(1);
    sum_dy.fill(0.0);
    sum_dy_xc.fill(0.0);
    for (dr, xr) in dy.chunks_exact(c).zip(x.chunks_exact(c)) {
        for j in 0..mean.len() {
            let d = dr[j].to_f64();
            sum_dy[j] += d;
            sum_dy_xc[j] += d * (xr[j].to_f64() - mean[j]);
        }
    }
}

/// The loop of [`Normalization::channel_combine`].
pub fn channel_combine<T: Float>(dy: &[T], x: &[T], k: ChannelCoefficients<'_, T>, dx: &mut [T]) {
    let c = k.k_dy.len().max(1);
    for ((dr, xr), out) in dy
        .chunks_exact(c)
        .zip(x.chunks_exact(c))
        .zip(dx.chunks_exact_mut(c))
    {
        for j in 0..k.k_dy.len() {
            out[j] = dr[j] * k.k_dy[j] + xr[j] * k.k_x[j] + k.k_0[j];
        }
    }
}
