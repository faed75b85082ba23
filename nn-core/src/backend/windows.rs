//! The window family: convolution and pooling over `(m, h, w, c)` volumes, described by one
//! [`Window`] geometry. A layer asks for a convolution ([`Windows::conv2d_forward`],
//! [`Windows::conv2d_backward`]) and the backend decides how to compute it
//! ([`Windows::conv_algorithm`]): by default image-to-column and one product, which any
//! backend with a fast product already speeds up; a backend may pick the direct loops (or,
//! later, fused kernels) where it has measured them faster.

use super::window::{self, Window};
use super::{Elementwise, Gemm, Products};
use crate::Float;

/// How a convolution is computed; the results agree to rounding.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConvAlgorithm {
    /// Image-to-column, then `Z = cols · Wᵀ + b` as one product.
    Columns,
    /// Each input value times its row of the transposed filters, without the column matrix
    /// (which for few channels is `k_h·k_w` times larger than the input).
    Direct,
}

/// Scratch memory of a convolution, owned by the caller (a layer keeps one for training; an
/// inference pass brings its own) so that kernels allocate nothing per step. What it holds
/// between calls is the backend's business, except that [`Windows::conv2d_backward`] may use
/// what [`Windows::conv2d_forward`] left for the same input.
#[derive(Clone, Debug, Default)]
pub struct ConvWorkspace<T> {
    /// The column matrix `(m·out_h·out_w, k_h·k_w·c)` of the last forward pass.
    pub cols: Vec<T>,
    /// Its gradient.
    pub dcols: Vec<T>,
    /// The filters transposed to `(k_h·k_w·c, F)`, for the direct algorithm.
    pub filters_t: Vec<T>,
    /// Their gradient.
    pub dfilters_t: Vec<T>,
}

/// Where [`Windows::conv2d_backward`] writes: `dW` `(F, k_h, k_w, c)` and `db` `(F)`
/// (overwritten), and `dX` `(m, h, w, c)` if asked for.
pub struct ConvGrads<'a, T> {
    /// `∂J/∂W`.
    pub dw: &'a mut [T],
    /// `∂J/∂b`.
    pub db: &'a mut [T],
    /// `∂J/∂X`, if the input needs it.
    pub dx: Option<&'a mut [T]>,
}

/// Sets `v` to `len` values, reusing its memory (no allocation once it has been that large).
fn sized<T: Float>(v: &mut Vec<T>, len: usize) -> &mut [T] {
    v.resize(len, T::ZERO);
    v
}

/// `out` (`cols × rows`) = `a` (`rows × cols`) transposed.
fn transpose<T: Float>(a: &[T], rows: usize, cols: usize, out: &mut [T]) {
    for (r, row) in a.chunks_exact(cols.max(1)).enumerate().take(rows) {
        for (c, &v) in row.iter().enumerate() {
            out[c * rows + r] = v;
        }
    }
}

/// The window family. Every default is the plain loop of [`window`], except the convolution
/// operations, whose defaults combine this backend's own kernels.
pub trait Windows<T: Float>: Products<T> + Elementwise<T> {
    /// Image-to-column (see [`window::im2col`]): `cols` is `(m·out_h·out_w, k_h·k_w·c)`.
    fn im2col(&self, g: &Window, x: &[T], cols: &mut [T]) {
        window::im2col(g, x, cols)
    }

    /// The adjoint of `im2col` (see [`window::col2im`]): overwrites `dx`.
    fn col2im(&self, g: &Window, cols: &[T], dx: &mut [T]) {
        window::col2im(g, cols, dx)
    }

    /// Max pooling (see [`window::max_pool`]), recording where each maximum was.
    fn max_pool(&self, g: &Window, x: &[T], y: &mut [T], arg: &mut [u32]) {
        window::max_pool(g, x, y, arg)
    }

    /// The backward pass of max pooling: overwrites `dx`.
    fn max_pool_backward(&self, g: &Window, dy: &[T], arg: &[u32], dx: &mut [T]) {
        window::max_pool_backward(g, dy, arg, dx)
    }

    /// Average pooling (see [`window::avg_pool`]).
    fn avg_pool(&self, g: &Window, x: &[T], y: &mut [T]) {
        window::avg_pool(g, x, y)
    }

    /// The backward pass of average pooling: overwrites `dx`.
    fn avg_pool_backward(&self, g: &Window, dy: &[T], dx: &mut [T]) {
        window::avg_pool_backward(g, dy, dx)
    }

    /// Direct convolution (see [`window::conv_direct`]): `z` is `(m·out_h·out_w, F)`, `w_t`
    /// the filters as `(k_h·k_w·c, F)`.
    fn conv_direct(&self, g: &Window, x: &[T], w_t: &[T], bias: &[T], z: &mut [T]) {
        window::conv_direct(g, x, w_t, bias, z)
    }

    /// Its weight gradient (see [`window::conv_direct_weight_grad`]): overwrites `dw_t`.
    fn conv_direct_weight_grad(&self, g: &Window, x: &[T], dz: &[T], dw_t: &mut [T]) {
        window::conv_direct_weight_grad(g, x, dz, dw_t)
    }

    /// The algorithm [`conv2d_forward`](Windows::conv2d_forward) and
    /// [`conv2d_backward`](Windows::conv2d_backward) use for `filters` filters over `g`. A
    /// function of the geometry only, so forward and backward always agree.
    fn conv_algorithm(&self, _g: &Window, _filters: usize) -> ConvAlgorithm {
        ConvAlgorithm::Columns
    }

    /// A convolution: `z` (`(m, out_h, out_w, F)`) `= x ⋆ W + b` for `x` `(m, h, w, c)`,
    /// filters `w` `(F, k_h, k_w, c)` and biases `b` `(F)`.
    fn conv2d_forward(
        &self,
        g: &Window,
        x: &[T],
        w: &[T],
        b: &[T],
        z: &mut [T],
        ws: &mut ConvWorkspace<T>,
    ) {
        let (f, k) = (b.len(), g.patch_len());
        let rows = g.batch * g.positions();
        match self.conv_algorithm(g, f) {
            ConvAlgorithm::Direct => {
                let w_t = sized(&mut ws.filters_t, k * f);
                transpose(w, f, k, w_t);
                self.conv_direct(g, x, w_t, b, z);
            }
            ConvAlgorithm::Columns => {
                let cols = sized(&mut ws.cols, rows * k);
                self.im2col(g, x, cols);
                // Z (m·out_h·out_w, F) = cols (…, k_h·k_w·c) · Wᵀ (k_h·k_w·c, F) + b
                self.gemm(&Gemm::new(rows, f, k).trans_b(), cols, w, z);
                self.add_row_vector(z, b);
            }
        }
    }

    /// The backward pass of [`conv2d_forward`](Windows::conv2d_forward) on the same `x`:
    /// `dW = dZᵀ · cols`, `db = Σ dZ`, and `dX = col2im(dZ · W)` (each input pixel collects
    /// the gradient of every patch that covered it).
    fn conv2d_backward(
        &self,
        g: &Window,
        x: &[T],
        w: &[T],
        dz: &[T],
        grads: ConvGrads<'_, T>,
        ws: &mut ConvWorkspace<T>,
    ) {
        let (f, k) = (grads.db.len(), g.patch_len());
        let rows = g.batch * g.positions();
        match self.conv_algorithm(g, f) {
            ConvAlgorithm::Direct => {
                // dWᵀ (k_h·k_w·c, F) = Σ over positions of patchᵀ · dZ_row
                let dw_t = sized(&mut ws.dfilters_t, k * f);
                self.conv_direct_weight_grad(g, x, dz, dw_t);
                transpose(dw_t, k, f, grads.dw);
            }
            ConvAlgorithm::Columns => {
                if ws.cols.len() != rows * k {
                    // Not left by a forward pass of this batch: gather the patches again.
                    let cols = sized(&mut ws.cols, rows * k);
                    self.im2col(g, x, cols);
                }
                // dW (F, k_h·k_w·c) = dZᵀ (F, rows) · cols (rows, k_h·k_w·c)
                self.gemm(&Gemm::new(f, k, rows).trans_a(), dz, &ws.cols, grads.dw);
            }
        }
        // db = Σ over every position of every example of dZ
        self.sum_rows(dz, T::ONE, grads.db);
        if let Some(dx) = grads.dx {
            // dcols (rows, k_h·k_w·c) = dZ (rows, F) · W (F, k_h·k_w·c); dX = col2im(dcols)
            let dcols = sized(&mut ws.dcols, rows * k);
            self.gemm(&Gemm::new(rows, k, f), dz, w, dcols);
            self.col2im(g, dcols, dx);
        }
    }
}
