//! Sliding windows over batches of image volumes `(m, h, w, c)`, channels last: the geometry
//! shared by convolution and pooling, and the plain loops of their kernels (image-to-column,
//! its adjoint, max and average pooling), which [`Reference`](super::Reference) runs as they
//! are and faster backends run per image in parallel.
//!
//! The course's picture: a `k_h × k_w × c` filter slides over the (zero-padded) `h × w × c`
//! volume with a stride; each position gives one output pixel. Output `(i, j)` sees the input
//! rows `i·s_h − pad_top …` and columns `j·s_w − pad_left …`.

use crate::error::{Error, Result};
use crate::Float;

/// The geometry of a sliding window over `batch` volumes of `height × width × channels`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Window {
    /// Examples in the batch, `m`.
    pub batch: usize,
    /// Input height.
    pub height: usize,
    /// Input width.
    pub width: usize,
    /// Input channels, `c`.
    pub channels: usize,
    /// Window height.
    pub kernel_h: usize,
    /// Window width.
    pub kernel_w: usize,
    /// Vertical step.
    pub stride_h: usize,
    /// Horizontal step.
    pub stride_w: usize,
    /// Zero rows above the input.
    pub pad_top: usize,
    /// Zero columns left of the input.
    pub pad_left: usize,
    /// Output height: `⌊(height + pad_top + pad_bottom − kernel_h) / stride_h⌋ + 1`.
    pub out_h: usize,
    /// Output width.
    pub out_w: usize,
}

impl Window {
    /// The window `kernel` (h, w) moving by `stride` (h, w) over `batch` volumes `input`
    /// (h, w, c) padded by `pad` (top, bottom, left, right).
    ///
    /// # Errors
    ///
    /// [`Error::Config`] for a zero kernel, stride or channel count, or a kernel larger than
    /// the padded input.
    pub fn new(
        batch: usize,
        input: [usize; 3],
        kernel: [usize; 2],
        stride: [usize; 2],
        pad: [usize; 4],
    ) -> Result<Self> {
        let [height, width, channels] = input;
        let [kernel_h, kernel_w] = kernel;
        let [stride_h, stride_w] = stride;
        let [top, bottom, left, right] = pad;
        if kernel_h == 0 || kernel_w == 0 || stride_h == 0 || stride_w == 0 || channels == 0 {
            return Err(Error::Config(format!(
                "a window needs positive sizes, got kernel {kernel_h}×{kernel_w}, stride \
                 {stride_h}×{stride_w}, {channels} channels"
            )));
        }
        let padded_h = height.saturating_add(top).saturating_add(bottom);
        let padded_w = width.saturating_add(left).saturating_add(right);
        if kernel_h > padded_h || kernel_w > padded_w {
            return Err(Error::Config(format!(
                "a {kernel_h}×{kernel_w} window does not fit in a {height}×{width} input \
                 padded to {padded_h}×{padded_w}"
            )));
        }
        if top >= kernel_h || bottom >= kernel_h || left >= kernel_w || right >= kernel_w {
            return Err(Error::Config(format!(
                "padding ({top}, {bottom}, {left}, {right}) must be smaller than the \
                 {kernel_h}×{kernel_w} window (else some outputs see only padding)"
            )));
        }
        let patch = kernel_h
            .checked_mul(kernel_w)
            .and_then(|n| n.checked_mul(channels));
        let (out_h, out_w) = (
            (padded_h - kernel_h) / stride_h + 1,
            (padded_w - kernel_w) / stride_w + 1,
        );
        if patch.is_none() || out_h.checked_mul(out_w).is_none() {
            return Err(Error::Config(format!(
                "a {kernel_h}×{kernel_w} window over {channels} channels of a {height}×{width} \
                 input is too large to index"
            )));
        }
        Ok(Window {
            batch,
            height,
            width,
            channels,
            kernel_h,
            kernel_w,
            stride_h,
            stride_w,
            pad_top: top,
            pad_left: left,
            out_h,
            out_w,
        })
    }

    /// The same window over a batch of `batch` examples.
    pub fn with_batch(self, batch: usize) -> Self {
        Window { batch, ..self }
    }

    /// Values in one input volume, `h·w·c`.
    pub fn image_len(&self) -> usize {
        self.height * self.width * self.channels
    }

    /// Output positions per example, `out_h·out_w`.
    pub fn positions(&self) -> usize {
        self.out_h * self.out_w
    }

    /// Values in one patch (one row of the column matrix), `k_h·k_w·c`.
    pub fn patch_len(&self) -> usize {
        self.kernel_h * self.kernel_w * self.channels
    }

    /// The input row of window row `ki` at output row `i`, if inside the image.
    #[inline]
    fn row(&self, i: usize, ki: usize) -> Option<usize> {
        (i * self.stride_h + ki)
            .checked_sub(self.pad_top)
            .filter(|&r| r < self.height)
    }

    /// The input column of window column `kj` at output column `j`, if inside the image.
    #[inline]
    fn col(&self, j: usize, kj: usize) -> Option<usize> {
        (j * self.stride_w + kj)
            .checked_sub(self.pad_left)
            .filter(|&c| c < self.width)
    }

    /// Panics unless the slices have the lengths this geometry needs (a caller bug).
    pub fn check(&self, input: usize, per_position: usize, output: usize) {
        assert!(
            input == self.batch * self.image_len()
                && output == self.batch * self.positions() * per_position,
            "window kernel: {} input and {} output values do not fit {self:?}",
            input,
            output
        );
    }
}

/// Image-to-column for the examples of `x` (`(m, h, w, c)`): row `p = (n, i, j)` of `cols`
/// (`(m·out_h·out_w, k_h·k_w·c)`) is the patch under the window at output `(i, j)` of example
/// `n`, in `(k_h, k_w, c)` order, zeros where it overlaps the padding. A convolution is then
/// one product: `Z = cols · Wᵀ`.
pub fn im2col<T: Float>(g: &Window, x: &[T], cols: &mut [T]) {
    g.check(x.len(), g.patch_len(), cols.len());
    let (c, kw) = (g.channels, g.kernel_w);
    let mut rows = cols.chunks_exact_mut(g.patch_len().max(1));
    for image in x.chunks_exact(g.image_len().max(1)).take(g.batch) {
        for i in 0..g.out_h {
            for j in 0..g.out_w {
                let patch = rows.next().expect("one row per position");
                for ki in 0..g.kernel_h {
                    let dst = &mut patch[ki * kw * c..(ki + 1) * kw * c];
                    let Some(r) = g.row(i, ki) else {
                        dst.fill(T::ZERO);
                        continue;
                    };
                    for kj in 0..kw {
                        let d = &mut dst[kj * c..(kj + 1) * c];
                        match g.col(j, kj) {
                            Some(col) => {
                                let at = (r * g.width + col) * c;
                                d.copy_from_slice(&image[at..at + c]);
                            }
                            None => d.fill(T::ZERO),
                        }
                    }
                }
            }
        }
    }
}

/// The adjoint of [`im2col`]: `dx` (`(m, h, w, c)`) is overwritten with the sum, over every
/// patch that covers it, of the matching entries of `cols` (padding entries are dropped).
/// This is how `∂J/∂x` is gathered from `∂J/∂cols = dZ · W`.
pub fn col2im<T: Float>(g: &Window, cols: &[T], dx: &mut [T]) {
    g.check(dx.len(), g.patch_len(), cols.len());
    dx.fill(T::ZERO);
    let (c, kw) = (g.channels, g.kernel_w);
    let mut rows = cols.chunks_exact(g.patch_len().max(1));
    for image in dx.chunks_exact_mut(g.image_len().max(1)).take(g.batch) {
        for i in 0..g.out_h {
            for j in 0..g.out_w {
                let patch = rows.next().expect("one row per position");
                for ki in 0..g.kernel_h {
                    let Some(r) = g.row(i, ki) else { continue };
                    for kj in 0..kw {
                        if let Some(col) = g.col(j, kj) {
                            let at = (r * g.width + col) * c;
                            let src = &patch[(ki * kw + kj) * c..(ki * kw + kj + 1) * c];
                            for (d, &s) in image[at..at + c].iter_mut().zip(src) {
                                *d += s;
                            }
                        }
                    }
                }
            }
        }
    }
}

/// Max pooling: `y` (`(m, out_h, out_w, c)`) is the largest value of each channel under each
/// window; `arg` records where it was (the offset within the example's volume), for the
/// backward pass. A NaN in a window is its maximum (it propagates, as divergence must show).
/// Windows never cover padding (pooling has none).
pub fn max_pool<T: Float>(g: &Window, x: &[T], y: &mut [T], arg: &mut [u32]) {
    g.check(x.len(), g.channels, y.len());
    assert_eq!(arg.len(), y.len(), "max_pool: one position per output");
    let c = g.channels;
    let out = g.positions() * c;
    for ((image, y), arg) in x
        .chunks_exact(g.image_len().max(1))
        .zip(y.chunks_exact_mut(out.max(1)))
        .zip(arg.chunks_exact_mut(out.max(1)))
    {
        for i in 0..g.out_h {
            for j in 0..g.out_w {
                let o = (i * g.out_w + j) * c;
                for ch in 0..c {
                    let (mut best, mut at) = (T::ZERO, usize::MAX);
                    for ki in 0..g.kernel_h {
                        let Some(r) = g.row(i, ki) else { continue };
                        for kj in 0..g.kernel_w {
                            let Some(col) = g.col(j, kj) else { continue };
                            let a = (r * g.width + col) * c + ch;
                            let v = image[a];
                            if at == usize::MAX || v > best || is_nan(v) && !is_nan(best) {
                                best = v;
                                at = a;
                            }
                        }
                    }
                    y[o + ch] = best;
                    arg[o + ch] = at as u32;
                }
            }
        }
    }
}

/// The backward pass of [`max_pool`]: `dx` is overwritten with zeros and each `dy` is added
/// at the position `arg` recorded.
pub fn max_pool_backward<T: Float>(g: &Window, dy: &[T], arg: &[u32], dx: &mut [T]) {
    g.check(dx.len(), g.channels, dy.len());
    dx.fill(T::ZERO);
    let out = g.positions() * g.channels;
    for ((dx, dy), arg) in dx
        .chunks_exact_mut(g.image_len().max(1))
        .zip(dy.chunks_exact(out.max(1)))
        .zip(arg.chunks_exact(out.max(1)))
    {
        for (&d, &a) in dy.iter().zip(arg) {
            dx[a as usize] += d;
        }
    }
}

/// Average pooling: `y` is the mean of each channel under each window (windows never cover
/// padding, so every mean is over `k_h·k_w` values).
pub fn avg_pool<T: Float>(g: &Window, x: &[T], y: &mut [T]) {
    g.check(x.len(), g.channels, y.len());
    let c = g.channels;
    let scale = T::ONE / T::from_f64((g.kernel_h * g.kernel_w) as f64);
    let out = g.positions() * c;
    for (image, y) in x
        .chunks_exact(g.image_len().max(1))
        .zip(y.chunks_exact_mut(out.max(1)))
    {
        y.fill(T::ZERO);
        for i in 0..g.out_h {
            for j in 0..g.out_w {
                let o = &mut y[(i * g.out_w + j) * c..(i * g.out_w + j + 1) * c];
                for ki in 0..g.kernel_h {
                    let Some(r) = g.row(i, ki) else { continue };
                    for kj in 0..g.kernel_w {
                        let Some(col) = g.col(j, kj) else { continue };
                        let a = (r * g.width + col) * c;
                        for (o, &v) in o.iter_mut().zip(&image[a..a + c]) {
                            *o += v;
                        }
                    }
                }
                o.iter_mut().for_each(|v| *v *= scale);
            }
        }
    }
}

/// The backward pass of [`avg_pool`]: each `dy` is spread evenly over its window.
pub fn avg_pool_backward<T: Float>(g: &Window, dy: &[T], dx: &mut [T]) {
    g.check(dx.len(), g.channels, dy.len());
    dx.fill(T::ZERO);
    let c = g.channels;
    let scale = T::ONE / T::from_f64((g.kernel_h * g.kernel_w) as f64);
    let out = g.positions() * c;
    for (dx, dy) in dx
        .chunks_exact_mut(g.image_len().max(1))
        .zip(dy.chunks_exact(out.max(1)))
    {
        for i in 0..g.out_h {
            for j in 0..g.out_w {
                let d = &dy[(i * g.out_w + j) * c..(i * g.out_w + j + 1) * c];
                for ki in 0..g.kernel_h {
                    let Some(r) = g.row(i, ki) else { continue };
                    for kj in 0..g.kernel_w {
                        let Some(col) = g.col(j, kj) else { continue };
                        let a = (r * g.width + col) * c;
                        for (x, &v) in dx[a..a + c].iter_mut().zip(d) {
                            *x += v * scale;
                        }
                    }
                }
            }
        }
    }
}

/// Whether `v` is NaN (neither finite nor infinite).
fn is_nan<T: Float>(v: T) -> bool {
    !v.is_finite() && v.abs() != T::from_f64(f64::INFINITY)
}

/// Direct convolution, for few channels (where the column matrix would be many times larger
/// than the input): `z` (`(m·out_h·out_w, F)`) gets, at each output position, `bias` plus the
/// sum over the window of each input value times its row of `w_t` (`(k_h·k_w·c, F)`: the
/// filters transposed, so the `F` weights of one input value are contiguous).
#[inline]
pub fn conv_direct<T: Float>(g: &Window, x: &[T], w_t: &[T], bias: &[T], z: &mut [T]) {
    let f = bias.len();
    g.check(x.len(), f, z.len());
    assert_eq!(
        w_t.len(),
        g.patch_len() * f,
        "conv_direct: w_t is (k_h·k_w·c, F)"
    );
    let c = g.channels;
    let mut rows = z.chunks_exact_mut(f.max(1));
    for image in x.chunks_exact(g.image_len().max(1)).take(g.batch) {
        for i in 0..g.out_h {
            for j in 0..g.out_w {
                let out = rows.next().expect("one row per position");
                out.copy_from_slice(bias);
                for ki in 0..g.kernel_h {
                    let Some(r) = g.row(i, ki) else { continue };
                    for kj in 0..g.kernel_w {
                        let Some(col) = g.col(j, kj) else { continue };
                        let pixel = &image[(r * g.width + col) * c..][..c];
                        let w = &w_t[(ki * g.kernel_w + kj) * c * f..][..c * f];
                        for (&v, w) in pixel.iter().zip(w.chunks_exact(f)) {
                            for (o, &w) in out.iter_mut().zip(w) {
                                *o += v * w;
                            }
                        }
                    }
                }
            }
        }
    }
}

/// The weight gradient of [`conv_direct`]: `dw_t` (`(k_h·k_w·c, F)`) is overwritten with
/// `Σ_positions patᵀ · dz_row`, the same sum as `dzᵀ · cols` without the column matrix.
#[inline]
pub fn conv_direct_weight_grad<T: Float>(g: &Window, x: &[T], dz: &[T], dw_t: &mut [T]) {
    let f = dw_t.len() / g.patch_len().max(1);
    g.check(x.len(), f, dz.len());
    assert_eq!(
        dw_t.len(),
        g.patch_len() * f,
        "conv_direct_weight_grad: dw_t is (k_h·k_w·c, F)"
    );
    dw_t.fill(T::ZERO);
    let c = g.channels;
    let mut rows = dz.chunks_exact(f.max(1));
    for image in x.chunks_exact(g.image_len().max(1)).take(g.batch) {
        for i in 0..g.out_h {
            for j in 0..g.out_w {
                let d = rows.next().expect("one row per position");
                for ki in 0..g.kernel_h {
                    let Some(r) = g.row(i, ki) else { continue };
                    for kj in 0..g.kernel_w {
                        let Some(col) = g.col(j, kj) else { continue };
                        let pixel = &image[(r * g.width + col) * c..][..c];
                        let w = &mut dw_t[(ki * g.kernel_w + kj) * c * f..][..c * f];
                        for (&v, w) in pixel.iter().zip(w.chunks_exact_mut(f)) {
                            for (w, &d) in w.iter_mut().zip(d) {
                                *w += v * d;
                            }
                        }
                    }
                }
            }
        }
    }
}
