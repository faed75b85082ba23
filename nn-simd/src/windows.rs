//! Convolution and pooling kernels: the plain loops of `nn_core::backend::window`, run over
//! groups of whole images in parallel. Each image is computed the same way whatever the
//! grouping, so results do not depend on the number of threads.

use nn_core::backend::{window, Window};
use nn_core::Float;
use rayon::prelude::*;

use crate::chunks::CHUNK;

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
