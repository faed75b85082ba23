//! `Conv2d`: filters sliding over an image volume, one feature map per filter.
//!
//! The course's picture: a `k_h × k_w × c` filter (here `W[f]`, one of `F`) slides over the
//! zero-padded `h × w × c` input with a stride; at each position the filter and the patch under
//! it are multiplied element-wise and summed, plus the filter's bias `b[f]`, giving one pixel of
//! feature map `f`. Stacking the `F` maps gives an `out_h × out_w × F` volume (channels last).
//!
//! Computed as the course suggests vectorising it: image-to-column gathers every patch as a row
//! of `cols` (`(m·out_h·out_w, k_h·k_w·c)`), so all positions and filters are one product,
//! `Z = cols · Wᵀ + b`, with `W` flattened to `(F, k_h·k_w·c)`. Backward:
//! `dW = dZᵀ · cols`, `db = Σ dZ`, `dcols = dZ · W`, and `dX` = the adjoint of
//! image-to-column applied to `dcols` (each input pixel collects the gradient of every patch
//! that covered it).

use nn_core::backend::Transpose::{No, Yes};
use nn_core::backend::Window;
use nn_core::layer::{Layer, Mode, ParamMut};
use nn_core::persist::{decode_config, encode_config, LayerRecord};
use nn_core::{shape_str, Backend, Error, Float, Init, Result, Rng, Tensor};
use serde::{Deserialize, Serialize};

use nn_core::layer::{check_grad, check_input};

/// How the input is padded with zeros.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Padding {
    /// No padding: the output shrinks by `k − 1` (at stride 1).
    Valid,
    /// Enough padding that `out = ⌈in / stride⌉` (the output keeps the input's size at stride
    /// 1); an odd total puts the extra row/column at the bottom/right, as TensorFlow does.
    Same,
    /// Explicit rows and columns of zeros.
    Explicit {
        /// Rows above.
        top: usize,
        /// Rows below.
        bottom: usize,
        /// Columns to the left.
        left: usize,
        /// Columns to the right.
        right: usize,
    },
}

impl Padding {
    /// `p` zeros on every side (PyTorch's `padding=p`).
    pub fn uniform(p: usize) -> Self {
        Padding::Explicit {
            top: p,
            bottom: p,
            left: p,
            right: p,
        }
    }

    /// `[top, bottom, left, right]` for this input, kernel and stride.
    pub fn resolve(self, input: [usize; 2], kernel: [usize; 2], stride: [usize; 2]) -> [usize; 4] {
        match self {
            Padding::Valid => [0; 4],
            Padding::Explicit {
                top,
                bottom,
                left,
                right,
            } => [top, bottom, left, right],
            Padding::Same => {
                let total = |n: usize, k: usize, s: usize| {
                    let out = n.div_ceil(s.max(1));
                    ((out.max(1) - 1) * s + k).saturating_sub(n)
                };
                let (th, tw) = (
                    total(input[0], kernel[0], stride[0]),
                    total(input[1], kernel[1], stride[1]),
                );
                [th / 2, th - th / 2, tw / 2, tw - tw / 2]
            }
        }
    }
}

/// How a convolution is computed (the results agree to rounding).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum ConvMethod {
    /// Direct for inputs of at most 4 channels, columns otherwise (measured on the `cnn` and
    /// `cnn-rgb` workloads: see the README).
    #[default]
    Auto,
    /// Image-to-column and one matrix product.
    Columns,
    /// Each input value times its row of the transposed filters, without the column matrix
    /// (which for few channels is `k_h·k_w` times larger than the input).
    Direct,
}

/// The shape of a convolution: what a model file stores besides the parameters.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Conv2dSpec {
    /// Number of filters, `F` (output channels).
    pub filters: usize,
    /// Filter height and width.
    pub kernel: [usize; 2],
    /// Vertical and horizontal step.
    pub stride: [usize; 2],
    /// Zero padding.
    pub padding: Padding,
    /// How it is computed.
    pub method: ConvMethod,
}

impl Conv2dSpec {
    /// `filters` square `k × k` filters at stride 1, with `padding`.
    pub fn new(filters: usize, k: usize, padding: Padding) -> Self {
        Conv2dSpec {
            filters,
            kernel: [k, k],
            stride: [1, 1],
            padding,
            method: ConvMethod::Auto,
        }
    }

    /// Another kernel size (height, width).
    pub fn kernel(mut self, h: usize, w: usize) -> Self {
        self.kernel = [h, w];
        self
    }

    /// Another stride (vertical, horizontal).
    pub fn stride(mut self, h: usize, w: usize) -> Self {
        self.stride = [h, w];
        self
    }

    /// Another method.
    pub fn method(mut self, method: ConvMethod) -> Self {
        self.method = method;
        self
    }
}

/// Inputs with at most this many channels are convolved directly (each input value times its
/// row of the transposed filters) rather than through the column matrix, which would be
/// `k_h·k_w` times larger than the input.
const DIRECT_MAX_CHANNELS: usize = 4;

/// `out` (`cols × rows`) = `a` (`rows × cols`) transposed: the filters' layout for the
/// direct method (a few hundred values per step).
fn transpose<T: Float>(a: &[T], rows: usize, cols: usize, out: &mut [T]) {
    for (r, row) in a.chunks_exact(cols.max(1)).enumerate().take(rows) {
        for (c, &v) in row.iter().enumerate() {
            out[c * rows + r] = v;
        }
    }
}

#[derive(Serialize, Deserialize)]
struct Conv2dConfig {
    input: [usize; 3],
    spec: Conv2dSpec,
}

/// A 2-D convolution over `(m, h, w, c)` volumes with `F` filters of `k_h × k_w × c` and a bias
/// per filter; output `(m, out_h, out_w, F)`.
pub struct Conv2d<T> {
    input: [usize; 3],
    output: [usize; 3],
    spec: Conv2dSpec,
    window: Window,
    w: Tensor<T>,  // (F, k_h, k_w, c)
    b: Tensor<T>,  // (F)
    dw: Tensor<T>, // (F, k_h, k_w, c)
    db: Tensor<T>, // (F)
    direct: bool,
    w_t: Tensor<T>,   // (k_h·k_w·c, F), for the direct method
    dw_t: Tensor<T>,  // (k_h·k_w·c, F)
    cols: Tensor<T>,  // (m·out_h·out_w, k_h·k_w·c)
    z: Tensor<T>,     // (m, out_h, out_w, F)
    dcols: Tensor<T>, // (m·out_h·out_w, k_h·k_w·c)
    dx: Tensor<T>,    // (m, h, w, c)
}

impl<T: Float> Conv2d<T> {
    /// A convolution of `spec` over inputs of `input` = `[h, w, c]`, weights drawn by `init`
    /// with fan-in `k_h·k_w·c` (and fan-out `k_h·k_w·F`), zero biases.
    ///
    /// # Errors
    ///
    /// [`Error::Config`] for zero sizes, a kernel larger than the padded input, or padding
    /// as large as the kernel.
    pub fn new(input: [usize; 3], spec: Conv2dSpec, init: Init, rng: &mut Rng) -> Result<Self> {
        let mut layer = Self::with_params(input, spec, None)?;
        let [kh, kw] = spec.kernel;
        let fan_in = kh * kw * input[2];
        init.fill(fan_in, kh * kw * spec.filters, rng, layer.w.data_mut());
        Ok(layer)
    }

    fn with_params(
        input: [usize; 3],
        spec: Conv2dSpec,
        params: Option<(Tensor<T>, Tensor<T>)>,
    ) -> Result<Self> {
        if spec.filters == 0 {
            return Err(Error::Config("Conv2d needs at least one filter".into()));
        }
        let pad = spec
            .padding
            .resolve([input[0], input[1]], spec.kernel, spec.stride);
        let window = Window::new(0, input, spec.kernel, spec.stride, pad)?;
        let [kh, kw] = spec.kernel;
        let shape = [spec.filters, kh, kw, input[2]];
        let (w, b) =
            params.unwrap_or_else(|| (Tensor::zeros(&shape), Tensor::zeros(&[spec.filters])));
        let k = window.patch_len();
        let direct = match spec.method {
            ConvMethod::Direct => true,
            ConvMethod::Columns => false,
            ConvMethod::Auto => input[2] <= DIRECT_MAX_CHANNELS,
        };
        Ok(Conv2d {
            direct,
            w_t: Tensor::zeros(&[k, spec.filters]),
            dw_t: Tensor::zeros(&[k, spec.filters]),
            input,
            output: [window.out_h, window.out_w, spec.filters],
            spec,
            window,
            dw: Tensor::zeros(w.shape()),
            db: Tensor::zeros(b.shape()),
            w,
            b,
            cols: Tensor::zeros(&[0, k]),
            z: Tensor::zeros(&[0, window.out_h, window.out_w, spec.filters]),
            dcols: Tensor::zeros(&[0, k]),
            dx: Tensor::zeros(&[0, input[0], input[1], input[2]]),
        })
    }

    /// A convolution with the given filters `W` (`(F, k_h, k_w, c)`) and biases `b` (`(F)`).
    ///
    /// # Errors
    ///
    /// [`Error::Shape`] if `W` and `b` do not match `spec` and `input`; else as [`Conv2d::new`].
    pub fn from_params(
        input: [usize; 3],
        spec: Conv2dSpec,
        w: Tensor<T>,
        b: Tensor<T>,
    ) -> Result<Self> {
        let [kh, kw] = spec.kernel;
        let want = [spec.filters, kh, kw, input[2]];
        if w.shape() != want || b.shape() != [spec.filters] {
            return Err(Error::shape(
                "Conv2d::from_params",
                format!(
                    "filters {} and biases {} must be {} and ({},)",
                    shape_str(w.shape()),
                    shape_str(b.shape()),
                    shape_str(&want),
                    spec.filters
                ),
            ));
        }
        Self::with_params(input, spec, Some((w, b)))
    }

    /// The filters `W`, `(F, k_h, k_w, c)`.
    pub fn weights(&self) -> &Tensor<T> {
        &self.w
    }

    /// The biases `b`, `(F)`.
    pub fn bias(&self) -> &Tensor<T> {
        &self.b
    }

    /// The padding resolved to `[top, bottom, left, right]`.
    pub fn padding(&self) -> [usize; 4] {
        self.spec.padding.resolve(
            [self.input[0], self.input[1]],
            self.spec.kernel,
            self.spec.stride,
        )
    }

    /// Rebuilds a layer from its record in a model file.
    pub fn load(record: &LayerRecord) -> std::result::Result<Box<dyn Layer<T>>, String> {
        let c: Conv2dConfig = decode_config(&record.config)?;
        let [w, b] = record.params.as_slice() else {
            return Err(format!(
                "Conv2d needs 2 parameter tensors, the file has {}",
                record.params.len()
            ));
        };
        let (w, b) = (T::from_param_data(w), T::from_param_data(b));
        let [kh, kw] = c.spec.kernel;
        let shape = [c.spec.filters, kh, kw, c.input[2]];
        let expected = shape
            .iter()
            .try_fold(1usize, |a, &d| a.checked_mul(d))
            .ok_or("Conv2d: the filter shape overflows")?;
        if w.len() != expected || b.len() != c.spec.filters {
            return Err(format!(
                "Conv2d needs {} filter values and {} biases, the file has {} and {}",
                expected,
                c.spec.filters,
                w.len(),
                b.len()
            ));
        }
        let w = Tensor::from_vec(&shape, w).map_err(|e| e.to_string())?;
        let b = Tensor::from_vec(&[c.spec.filters], b).map_err(|e| e.to_string())?;
        Ok(Box::new(
            Self::from_params(c.input, c.spec, w, b).map_err(|e| e.to_string())?,
        ))
    }
}

impl<T: Float> Layer<T> for Conv2d<T> {
    fn name(&self) -> String {
        let [h, w, c] = self.input;
        let [kh, kw] = self.spec.kernel;
        let [sh, sw] = self.spec.stride;
        let [oh, ow, f] = self.output;
        format!("Conv2d({h}×{w}×{c} → {oh}×{ow}×{f}, {kh}×{kw} stride {sh}×{sw})")
    }

    fn kind(&self) -> &'static str {
        "conv2d"
    }

    fn input_shape(&self) -> &[usize] {
        &self.input
    }

    fn output_shape(&self) -> &[usize] {
        &self.output
    }

    fn forward(&mut self, backend: &dyn Backend<T>, x: &Tensor<T>, _mode: Mode<'_>) -> Result<()> {
        check_input(|| format!("{}.forward", self.name()), &self.input, x)?;
        let m = x.rows();
        let g = self.window.with_batch(m);
        let (rows, k, f) = (m * g.positions(), g.patch_len(), self.spec.filters);
        let [oh, ow, _] = self.output;
        self.z.resize(&[m, oh, ow, f]);
        if self.direct {
            transpose(self.w.data(), f, k, self.w_t.data_mut());
            backend.conv_direct(
                &g,
                x.data(),
                self.w_t.data(),
                self.b.data(),
                self.z.data_mut(),
            );
            return Ok(());
        }
        self.cols.resize(&[rows, k]);
        backend.im2col(&g, x.data(), self.cols.data_mut());
        // Z (m·out_h·out_w, F) = cols (…, k_h·k_w·c) · Wᵀ (k_h·k_w·c, F) + b
        backend.gemm(
            No,
            Yes,
            rows,
            f,
            k,
            T::ONE,
            self.cols.data(),
            self.w.data(),
            T::ZERO,
            self.z.data_mut(),
        );
        backend.add_row_vector(self.z.data_mut(), self.b.data());
        Ok(())
    }

    fn output(&self) -> &Tensor<T> {
        &self.z
    }

    fn backward(
        &mut self,
        backend: &dyn Backend<T>,
        x: &Tensor<T>,
        dz: &Tensor<T>,
        need_input_grad: bool,
    ) -> Result<()> {
        let op = || format!("{}.backward", self.name());
        check_input(op, &self.input, x)?;
        check_grad(op, x, &self.z, dz)?;
        let g = self.window.with_batch(x.rows());
        let (rows, k, f) = (x.rows() * g.positions(), g.patch_len(), self.spec.filters);
        if self.direct {
            // dWᵀ (k_h·k_w·c, F) = Σ over positions of patchᵀ · dZ_row
            backend.conv_direct_weight_grad(&g, x.data(), dz.data(), self.dw_t.data_mut());
            transpose(self.dw_t.data(), k, f, self.dw.data_mut());
        } else {
            // dW (F, k_h·k_w·c) = dZᵀ (F, rows) · cols (rows, k_h·k_w·c)
            backend.gemm(
                Yes,
                No,
                f,
                k,
                rows,
                T::ONE,
                dz.data(),
                self.cols.data(),
                T::ZERO,
                self.dw.data_mut(),
            );
        }
        // db = Σ over every position of every example of dZ
        backend.sum_rows(dz.data(), T::ONE, self.db.data_mut());
        if need_input_grad {
            // dcols (rows, k_h·k_w·c) = dZ (rows, F) · W (F, k_h·k_w·c); dX = col2im(dcols)
            self.dcols.resize(&[rows, k]);
            backend.gemm(
                No,
                No,
                rows,
                k,
                f,
                T::ONE,
                dz.data(),
                self.w.data(),
                T::ZERO,
                self.dcols.data_mut(),
            );
            self.dx.resize(x.shape());
            backend.col2im(&g, self.dcols.data(), self.dx.data_mut());
        }
        Ok(())
    }

    fn input_grad(&self) -> &Tensor<T> {
        &self.dx
    }

    fn visit_params(&mut self, visit: &mut dyn FnMut(ParamMut<'_, T>)) {
        visit(ParamMut {
            name: "W",
            value: &mut self.w,
            grad: &mut self.dw,
            decay: true,
        });
        visit(ParamMut {
            name: "b",
            value: &mut self.b,
            grad: &mut self.db,
            decay: false,
        });
    }

    fn params(&self) -> Vec<&Tensor<T>> {
        vec![&self.w, &self.b]
    }

    fn record(&self) -> LayerRecord {
        LayerRecord {
            kind: self.kind().to_string(),
            config: encode_config(&Conv2dConfig {
                input: self.input,
                spec: self.spec,
            }),
            params: vec![
                T::to_param_data(self.w.data()),
                T::to_param_data(self.b.data()),
            ],
        }
    }
}
