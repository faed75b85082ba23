//! Re-ordering tensors between our layouts and PyTorch's: axis permutations, and the order of
//! features flattened from a volume.

/// For each feature of a `(h, w, c)` volume flattened the PyTorch way, channels first (index
/// `(ch·h + y)·w + x`), its index in our flattening, channels last (`(y·w + x)·c + ch`).
///
/// ```
/// // A 1×2 image of 3 channels: PyTorch's features are [r0, r1, g0, g1, b0, b1].
/// assert_eq!(nn_core::torch::channels_first_order(1, 2, 3), [0, 3, 1, 4, 2, 5]);
/// ```
pub fn channels_first_order(h: usize, w: usize, c: usize) -> Vec<usize> {
    let mut order = Vec::with_capacity(h * w * c);
    for ch in 0..c {
        for y in 0..h {
            for x in 0..w {
                order.push((y * w + x) * c + ch);
            }
        }
    }
    order
}

/// The permutation that undoes `p` (`invert(p)[p[j]] = j`); empty stays empty.
pub(crate) fn invert(p: &[usize]) -> Vec<usize> {
    let mut inverse = vec![0; p.len()];
    for (j, &a) in p.iter().enumerate() {
        inverse[a] = j;
    }
    inverse
}

/// `data` of `shape` with its axes re-ordered: the result's axis `j` is axis `axes[j]` of
/// `data` (empty `axes`: unchanged).
pub(crate) fn permute<V: Copy>(data: &[V], shape: &[usize], axes: &[usize]) -> Vec<V> {
    if axes.is_empty() || axes.iter().enumerate().all(|(j, &a)| j == a) {
        return data.to_vec();
    }
    let mut strides = vec![1; shape.len()];
    for a in (0..shape.len().saturating_sub(1)).rev() {
        strides[a] = strides[a + 1] * shape[a + 1];
    }
    let out_shape: Vec<usize> = axes.iter().map(|&a| shape[a]).collect();
    let out_strides: Vec<usize> = axes.iter().map(|&a| strides[a]).collect();
    let mut out = Vec::with_capacity(data.len());
    let mut index = vec![0; out_shape.len()];
    for _ in 0..data.len() {
        let offset: usize = index.iter().zip(&out_strides).map(|(i, s)| i * s).sum();
        out.push(data[offset]);
        // The next index in row-major order of the result.
        for a in (0..index.len()).rev() {
            index[a] += 1;
            if index[a] < out_shape[a] {
                break;
            }
            index[a] = 0;
        }
    }
    out
}

/// `data` of `shape` with the slices along `axis` picked by `order`: slice `i` of the result is
/// slice `order[i]` of `data` (`order` has `shape[axis]` entries).
pub(crate) fn gather_axis<V: Copy>(
    data: &[V],
    shape: &[usize],
    axis: usize,
    order: &[usize],
) -> Vec<V> {
    let inner: usize = shape[axis + 1..].iter().product();
    let n = shape[axis];
    let mut out = Vec::with_capacity(data.len());
    for block in data.chunks_exact((n * inner).max(1)) {
        for &from in order {
            out.extend_from_slice(&block[from * inner..(from + 1) * inner]);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_convolution_weight_goes_channels_first_and_back() {
        // (F, kh, kw, C) = (2, 1, 2, 3) → (F, C, kh, kw).
        let ours: Vec<usize> = (0..12).collect();
        let torch = permute(&ours, &[2, 1, 2, 3], &[0, 3, 1, 2]);
        // Filter 0, channel 0: kernel positions (0,0) and (0,1) are ours[0] and ours[3].
        assert_eq!(&torch[..6], &[0, 3, 1, 4, 2, 5]);
        let back = permute(&torch, &[2, 3, 1, 2], &invert(&[0, 3, 1, 2]));
        assert_eq!(back, ours);
    }

    #[test]
    fn dense_columns_follow_the_flatten_order() {
        // Two units over a 1×2×2 volume: columns re-ordered, rows kept.
        let w = vec![0, 1, 2, 3, 10, 11, 12, 13];
        let order = channels_first_order(1, 2, 2);
        assert_eq!(order, [0, 2, 1, 3]);
        let torch = gather_axis(&w, &[2, 4], 1, &order);
        assert_eq!(torch, [0, 2, 1, 3, 10, 12, 11, 13]);
        assert_eq!(gather_axis(&torch, &[2, 4], 1, &invert(&order)), w);
        // A vector (batch norm's statistics) along axis 0.
        assert_eq!(gather_axis(&[5, 6, 7, 8], &[4], 0, &order), [5, 7, 6, 8]);
    }

    #[test]
    fn empty_tensors_and_no_permutation() {
        assert!(permute::<f32>(&[], &[0, 3], &[1, 0]).is_empty());
        assert!(gather_axis::<f32>(&[], &[0, 2], 1, &[1, 0]).is_empty());
        assert_eq!(permute(&[1, 2, 3], &[3], &[]), [1, 2, 3]);
    }
}
