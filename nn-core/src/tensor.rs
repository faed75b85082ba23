//! `Tensor`: a shape and a contiguous row-major buffer. Batch first: `m` examples of `n`
//! features are `(m, n)`; an image batch is `(m, h, w, c)`.

use crate::error::{shape_str, Error, Result};
use crate::Float;

/// A shape and a contiguous row-major buffer of `shape.iter().product()` elements.
#[derive(Clone, Debug, PartialEq)]
pub struct Tensor<T> {
    shape: Vec<usize>,
    data: Vec<T>,
}

/// A placeholder holding no memory (no shape, no elements): a buffer that is resized before
/// use, or taken out of a layer while it is refilled. Not a tensor to compute with.
impl<T> Default for Tensor<T> {
    fn default() -> Self {
        Tensor {
            shape: Vec::new(),
            data: Vec::new(),
        }
    }
}

impl<T: Float> Tensor<T> {
    /// A tensor of zeros.
    pub fn zeros(shape: &[usize]) -> Self {
        Tensor {
            shape: shape.to_vec(),
            data: vec![T::ZERO; shape.iter().product()],
        }
    }

    /// A tensor holding `data` in row-major order; the length must match the shape.
    pub fn from_vec(shape: &[usize], data: Vec<T>) -> Result<Self> {
        let n: usize = shape.iter().product();
        if n != data.len() {
            return Err(Error::shape(
                "Tensor::from_vec",
                format!(
                    "shape {} holds {n} elements but {} were given",
                    shape_str(shape),
                    data.len()
                ),
            ));
        }
        Ok(Tensor {
            shape: shape.to_vec(),
            data,
        })
    }

    /// A `(rows, cols)` tensor from rows of equal length.
    pub fn from_rows(rows: &[Vec<T>]) -> Result<Self> {
        let cols = rows.first().map_or(0, Vec::len);
        if let Some((i, r)) = rows.iter().enumerate().find(|(_, r)| r.len() != cols) {
            return Err(Error::shape(
                "Tensor::from_rows",
                format!("row {i} has {} values but row 0 has {cols}", r.len()),
            ));
        }
        Tensor::from_vec(&[rows.len(), cols], rows.concat())
    }

    /// The shape, batch dimension first.
    pub fn shape(&self) -> &[usize] {
        &self.shape
    }

    /// The elements in row-major order.
    pub fn data(&self) -> &[T] {
        &self.data
    }

    /// The elements in row-major order, mutably.
    pub fn data_mut(&mut self) -> &mut [T] {
        &mut self.data
    }

    /// Gives up the buffer.
    pub fn into_vec(self) -> Vec<T> {
        self.data
    }

    /// The number of elements.
    pub fn len(&self) -> usize {
        self.data.len()
    }

    /// `true` when the tensor holds no element.
    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }

    /// The first dimension: the number of examples of a batch (1 for a scalar).
    pub fn rows(&self) -> usize {
        self.shape.first().copied().unwrap_or(1)
    }

    /// The number of elements per example: the product of all dimensions but the first.
    pub fn row_len(&self) -> usize {
        self.shape.iter().skip(1).product()
    }

    /// Row `i` of a batch, flattened.
    pub fn row(&self, i: usize) -> &[T] {
        let n = self.row_len();
        &self.data[i * n..(i + 1) * n]
    }

    /// The same elements under another shape with the same number of elements
    /// (`(m, 64, 64, 3)` → `(m, 12288)` keeps the `(h, w, c)` order of the course's
    /// `reshape(m, -1)`).
    pub fn reshape(mut self, shape: &[usize]) -> Result<Self> {
        let n: usize = shape.iter().product();
        if n != self.data.len() {
            return Err(Error::shape(
                "Tensor::reshape",
                format!(
                    "cannot view {} ({} elements) as {}",
                    shape_str(&self.shape),
                    self.data.len(),
                    shape_str(shape)
                ),
            ));
        }
        self.shape = shape.to_vec();
        Ok(self)
    }

    /// Gives the tensor `shape`, reusing its allocation; new elements are zero, kept ones keep
    /// their old values (callers overwrite them). Used for buffers reused between steps.
    pub fn resize(&mut self, shape: &[usize]) {
        if self.shape != shape {
            self.shape.clear();
            self.shape.extend_from_slice(shape);
            self.data.resize(shape.iter().product(), T::ZERO);
        }
    }

    /// Copies the rows `indices` (in that order) into `out`, reusing its allocation.
    pub fn gather_rows_into(&self, indices: &[usize], out: &mut Tensor<T>) {
        let n = self.row_len();
        self.shape_rows(indices.len(), out);
        for (dst, &i) in out.data.chunks_exact_mut(n.max(1)).zip(indices) {
            dst.copy_from_slice(self.row(i));
        }
    }

    /// Copies the consecutive rows `rows` into `out`, reusing its allocation.
    ///
    /// # Panics
    ///
    /// If `rows` runs past the last row.
    pub fn copy_rows_into(&self, rows: std::ops::Range<usize>, out: &mut Tensor<T>) {
        let n = self.row_len();
        self.shape_rows(rows.len(), out);
        out.data
            .copy_from_slice(&self.data[rows.start * n..rows.end * n]);
    }

    /// Gives `out` the shape of `count` of this tensor's rows, reusing its allocation.
    fn shape_rows(&self, count: usize, out: &mut Tensor<T>) {
        let tail = self.shape.get(1..).unwrap_or(&[]);
        if out.shape.first() != Some(&count) || out.shape[1..] != *tail {
            out.shape.clear();
            out.shape.push(count);
            out.shape.extend_from_slice(tail);
        }
        out.data.resize(count * self.row_len(), T::ZERO);
    }

    /// The rows `indices` (in that order) as a new tensor.
    pub fn gather_rows(&self, indices: &[usize]) -> Tensor<T> {
        let mut out = Tensor::zeros(&[]);
        self.gather_rows_into(indices, &mut out);
        out
    }

    /// The same values in another element type.
    pub fn cast<U: Float>(&self) -> Tensor<U> {
        Tensor {
            shape: self.shape.clone(),
            data: self.data.iter().map(|x| U::from_f64(x.to_f64())).collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn from_vec_checks_length() {
        let e = Tensor::<f32>::from_vec(&[2, 3], vec![0.0; 5]).unwrap_err();
        assert_eq!(
            e.to_string(),
            "Tensor::from_vec: shape (2, 3) holds 6 elements but 5 were given"
        );
    }

    #[test]
    fn reshape_keeps_order() {
        let t = Tensor::from_vec(&[2, 2, 1, 3], (0..12).map(|x| x as f32).collect()).unwrap();
        let f = t.reshape(&[2, 6]).unwrap();
        assert_eq!(f.row(1), &[6.0, 7.0, 8.0, 9.0, 10.0, 11.0]);
        assert!(f.reshape(&[5, 2]).is_err());
    }

    #[test]
    fn gather_rows_picks_in_order() {
        let t = Tensor::from_rows(&[vec![1.0f64, 2.0], vec![3.0, 4.0], vec![5.0, 6.0]]).unwrap();
        let g = t.gather_rows(&[2, 0]);
        assert_eq!(g.shape(), &[2, 2]);
        assert_eq!(g.data(), &[5.0, 6.0, 1.0, 2.0]);
        let empty = t.gather_rows(&[]);
        assert_eq!(empty.shape(), &[0, 2]);
    }

    #[test]
    fn ragged_rows_are_refused() {
        let e = Tensor::from_rows(&[vec![1.0f32, 2.0], vec![3.0]]).unwrap_err();
        assert!(e.to_string().contains("row 1 has 1 values but row 0 has 2"));
    }
}
