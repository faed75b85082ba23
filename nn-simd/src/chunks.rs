//! Running a kernel over fixed-size chunks in parallel. Chunks are cut by size, never by
//! thread count, and partial sums are added in chunk order, so every result is the same
//! whatever the number of threads.

use std::ops::Range;

use rayon::prelude::*;

/// Elements per chunk: large enough that a task outweighs its scheduling, small enough that
/// two cores share a 100 000-element tensor.
pub(crate) const CHUNK: usize = 1 << 14;

/// Rows of `cols` elements per chunk (at least one row).
fn row_chunk(cols: usize) -> usize {
    (CHUNK / cols.max(1)).max(1) * cols.max(1)
}

/// `f(x, y)` over matching chunks.
pub(crate) fn map1<T: Send + Sync>(x: &[T], y: &mut [T], f: impl Fn(&[T], &mut [T]) + Sync) {
    assert_eq!(
        x.len(),
        y.len(),
        "element-wise kernel: {} inputs for {} outputs",
        x.len(),
        y.len()
    );
    if x.len() <= CHUNK {
        return f(x, y);
    }
    x.par_chunks(CHUNK)
        .zip(y.par_chunks_mut(CHUNK))
        .for_each(|(x, y)| f(x, y));
}

/// `f(x, y, out)` over matching chunks.
pub(crate) fn map2<T: Send + Sync>(
    x: &[T],
    y: &[T],
    out: &mut [T],
    f: impl Fn(&[T], &[T], &mut [T]) + Sync,
) {
    assert!(
        x.len() == out.len() && y.len() == out.len(),
        "element-wise kernel: lengths differ"
    );
    if x.len() <= CHUNK {
        return f(x, y, out);
    }
    (
        x.par_chunks(CHUNK),
        y.par_chunks(CHUNK),
        out.par_chunks_mut(CHUNK),
    )
        .into_par_iter()
        .for_each(|(x, y, o)| f(x, y, o));
}

/// `f(a, b, c, out)` over matching chunks.
pub(crate) fn map3<T: Send + Sync>(
    a: &[T],
    b: &[T],
    c: &[T],
    out: &mut [T],
    f: impl Fn(&[T], &[T], &[T], &mut [T]) + Sync,
) {
    let n = out.len();
    assert!(
        a.len() == n && b.len() == n && c.len() == n,
        "element-wise kernel: lengths differ"
    );
    if n <= CHUNK {
        return f(a, b, c, out);
    }
    (
        a.par_chunks(CHUNK),
        b.par_chunks(CHUNK),
        c.par_chunks(CHUNK),
        out.par_chunks_mut(CHUNK),
    )
        .into_par_iter()
        .for_each(|(a, b, c, o)| f(a, b, c, o));
}

/// An optimiser update with one state tensor: `f(g, s, w)` over matching chunks.
pub(crate) fn update2<T: Send + Sync>(
    g: &[T],
    s: &mut [T],
    w: &mut [T],
    f: impl Fn(&[T], &mut [T], &mut [T]) + Sync,
) {
    assert!(
        g.len() == w.len() && s.len() == w.len(),
        "optimiser update: lengths differ"
    );
    if w.len() <= CHUNK {
        return f(g, s, w);
    }
    (
        g.par_chunks(CHUNK),
        s.par_chunks_mut(CHUNK),
        w.par_chunks_mut(CHUNK),
    )
        .into_par_iter()
        .for_each(|(g, s, w)| f(g, s, w));
}

/// An optimiser update with two state tensors: `f(g, m, v, w)` over matching chunks.
pub(crate) fn update3<T: Send + Sync>(
    g: &[T],
    m: &mut [T],
    v: &mut [T],
    w: &mut [T],
    f: impl Fn(&[T], &mut [T], &mut [T], &mut [T]) + Sync,
) {
    let n = w.len();
    assert!(
        g.len() == n && m.len() == n && v.len() == n,
        "optimiser update: lengths differ"
    );
    if n <= CHUNK {
        return f(g, m, v, w);
    }
    (
        g.par_chunks(CHUNK),
        m.par_chunks_mut(CHUNK),
        v.par_chunks_mut(CHUNK),
        w.par_chunks_mut(CHUNK),
    )
        .into_par_iter()
        .for_each(|(g, m, v, w)| f(g, m, v, w));
}

/// `f(z)` over chunks of whole rows of `cols` elements.
pub(crate) fn rows_mut<T: Send + Sync>(z: &mut [T], cols: usize, f: impl Fn(&mut [T]) + Sync) {
    let size = row_chunk(cols);
    if z.len() <= size {
        return f(z);
    }
    z.par_chunks_mut(size).for_each(&f);
}

/// `f(z, a)` over chunks of whole rows.
pub(crate) fn rows_map1<T: Send + Sync>(
    z: &[T],
    a: &mut [T],
    cols: usize,
    f: impl Fn(&[T], &mut [T]) + Sync,
) {
    assert_eq!(z.len(), a.len(), "row kernel: lengths differ");
    let size = row_chunk(cols);
    if z.len() <= size {
        return f(z, a);
    }
    z.par_chunks(size)
        .zip(a.par_chunks_mut(size))
        .for_each(|(z, a)| f(z, a));
}

/// `f(a, b, out)` over chunks of whole rows.
pub(crate) fn rows_map2<T: Send + Sync>(
    a: &[T],
    b: &[T],
    out: &mut [T],
    cols: usize,
    f: impl Fn(&[T], &[T], &mut [T]) + Sync,
) {
    assert!(
        a.len() == out.len() && b.len() == out.len(),
        "row kernel: lengths differ"
    );
    let size = row_chunk(cols);
    if out.len() <= size {
        return f(a, b, out);
    }
    (
        a.par_chunks(size),
        b.par_chunks(size),
        out.par_chunks_mut(size),
    )
        .into_par_iter()
        .for_each(|(a, b, o)| f(a, b, o));
}

/// `Σ f(chunk)` over chunks of `0..len`, added pairwise in a tree fixed by the number of chunks
/// (so the result does not depend on the number of threads), without allocating.
pub(crate) fn sum(len: usize, f: impl Fn(Range<usize>) -> f64 + Sync) -> f64 {
    fn tree(chunks: Range<usize>, len: usize, f: &(impl Fn(Range<usize>) -> f64 + Sync)) -> f64 {
        if chunks.len() == 1 {
            return f(chunks.start * CHUNK..(chunks.end * CHUNK).min(len));
        }
        let mid = chunks.start + chunks.len() / 2;
        let (low, high) = rayon::join(
            || tree(chunks.start..mid, len, f),
            || tree(mid..chunks.end, len, f),
        );
        low + high
    }
    if len <= CHUNK {
        return f(0..len);
    }
    tree(0..len.div_ceil(CHUNK), len, &f)
}

/// A loss kernel `f(z, y, dz) -> Σ` over chunks of whole rows of `cols`, sums added in order.
pub(crate) fn map2_sum<T: Send + Sync>(
    z: &[T],
    y: &[T],
    dz: &mut [T],
    cols: usize,
    f: impl Fn(&[T], &[T], &mut [T]) -> f64 + Sync,
) -> f64 {
    assert!(
        z.len() == dz.len() && y.len() == dz.len(),
        "loss kernel: lengths differ"
    );
    let size = row_chunk(cols);
    if z.len() <= size {
        return f(z, y, dz);
    }
    let rows = |i: usize| i * size..((i + 1) * size).min(z.len());
    fn tree<T: Send + Sync>(
        chunks: Range<usize>,
        rows: &(impl Fn(usize) -> Range<usize> + Sync),
        z: &[T],
        y: &[T],
        dz: &mut [T],
        f: &(impl Fn(&[T], &[T], &mut [T]) -> f64 + Sync),
    ) -> f64 {
        if chunks.len() == 1 {
            return f(z, y, dz);
        }
        let mid = chunks.start + chunks.len() / 2;
        let at = rows(mid).start - rows(chunks.start).start;
        let ((z0, z1), (y0, y1), (d0, d1)) = (z.split_at(at), y.split_at(at), dz.split_at_mut(at));
        let (low, high) = rayon::join(
            || tree(chunks.start..mid, rows, z0, y0, d0, f),
            || tree(mid..chunks.end, rows, z1, y1, d1, f),
        );
        low + high
    }
    tree(0..z.len().div_ceil(size), &rows, z, y, dz, &f)
}

/// `f(first_column, out_block)` over fixed-width blocks of the columns of `x` (rows of
/// `out.len()`), in parallel when `x` is large. Each column is summed within one block, so the
/// order of additions does not depend on the number of threads.
pub(crate) fn column_blocks<T: Send + Sync>(
    x: &[T],
    out: &mut [T],
    f: impl Fn(usize, &mut [T]) + Sync,
) {
    let cols = out.len();
    if cols == 0 {
        return;
    }
    assert_eq!(
        x.len() % cols,
        0,
        "sum_rows: {} elements are not rows of {cols}",
        x.len()
    );
    let rows = x.len() / cols;
    if x.len() <= CHUNK {
        return f(0, out);
    }
    // Blocks of whole vectors (multiples of 16) holding about CHUNK elements of x.
    let block = ((CHUNK / rows.max(1)).max(16) / 16 * 16).min(cols);
    out.par_chunks_mut(block)
        .enumerate()
        .for_each(|(b, o)| f(b * block, o));
}
