//! `Conv2d`: filters sliding over an image volume, one feature map per filter.
//!
//! The course's picture: a `k_h × k_w × c` filter (here `W[f]`, one of `F`) slides over the
//! zero-padded `h × w × c` input with a stride; at each position the filter and the patch under
//! it are multiplied element-wise and summed, plus the filter's bias `b[f]`, giving one pixel of
//! feature map `f`. Stacking the `F` maps gives an `out_h × out_w × F` volume (channels last).
//!
//! The layer says what to compute; the backend's window family decides how
//! ([`Windows::conv2d_forward`](nn_core::backend::Windows::conv2d_forward)): by default as the
//! course suggests vectorising it, image-to-column (every patch a row of `cols`,
//! `(m·out_h·out_w, k_h·k_w·c)`) and one product `Z = cols · Wᵀ + b`, with `W` flattened to
//! `(F, k_h·k_w·c)`; backward `dW = dZᵀ · cols`, `db = Σ dZ`, `dcols = dZ · W`, and `dX` = the
//! adjoint of image-to-column applied to `dcols`. A backend may convolve directly instead
//! (`nn-simd` does for few channels, where it measured that faster).

use std::fmt;

use nn_core::backend::{ConvGrads, ConvWorkspace, Window};
use nn_core::layer::{
    check_grad, check_input, Layer, LayerConfig, LayerSpec, Mode, ParamMut, Scratch,
};
use nn_core::torch::{Features, TorchModule, TorchTensor};
use nn_core::{shape_str, Backend, Error, Float, Init, Result, Rng, Tensor};
use serde::{Deserialize, Serialize};

use crate::size::{one_or_two, ones};
use crate::volume;

/// How the input is padded with zeros. In model descriptions: `"valid"`, `"same"`, a number
/// (`1`: one row and column of zeros on each side) or `{top, bottom, left, right}`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Padding {
    /// No padding: the output shrinks by `k − 1` (at stride 1).
    #[default]
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
                    ((out.max(1) - 1).saturating_mul(s).saturating_add(k)).saturating_sub(n)
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

/// A convolution's description: `filters` filters of `kernel`, moved by `stride`, over the
/// input padded by `padding`. How it is computed is the backend's choice.
///
/// In a TOML model description: `type = "conv2d"`, `filters = 8`, `kernel = 3` (or `[3, 5]`),
/// `stride = 1` (the default), `padding = "same"` (default `"valid"`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Conv2dConfig {
    /// Number of filters, `F` (output channels).
    pub filters: usize,
    /// Filter height and width.
    #[serde(deserialize_with = "one_or_two")]
    pub kernel: [usize; 2],
    /// Vertical and horizontal step.
    #[serde(default = "ones", deserialize_with = "one_or_two")]
    pub stride: [usize; 2],
    /// Zero padding.
    #[serde(default)]
    pub padding: Padding,
    /// This layer's initialiser (default: the builder's), with fan-in `k_h·k_w·c`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub init: Option<Init>,
}

impl Conv2dConfig {
    /// `filters` square `k × k` filters at stride 1, with `padding`.
    pub fn new(filters: usize, k: usize, padding: Padding) -> Self {
        Conv2dConfig {
            filters,
            kernel: [k, k],
            stride: [1, 1],
            padding,
            init: None,
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

    /// The geometry over inputs of `input` (one example).
    pub fn window(&self, input: [usize; 3]) -> Result<Window> {
        if self.filters == 0 {
            return Err(Error::Config("Conv2d needs at least one filter".into()));
        }
        let pad = self
            .padding
            .resolve([input[0], input[1]], self.kernel, self.stride);
        Window::new(0, input, self.kernel, self.stride, pad)
    }
}

impl fmt::Display for Conv2dConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ([kh, kw], [sh, sw]) = (self.kernel, self.stride);
        write!(
            f,
            "Conv2d({} filters {kh}×{kw} stride {sh}×{sw}, {:?})",
            self.filters, self.padding
        )
    }
}

impl LayerConfig for Conv2dConfig {
    const KIND: &'static str = "conv2d";

    fn output_shape(&self, input: &[usize]) -> Result<Vec<usize>> {
        let g = self.window(volume("Conv2d", input)?)?;
        Ok(vec![g.out_h, g.out_w, self.filters])
    }

    fn param_shapes(&self, input: &[usize]) -> Vec<Vec<usize>> {
        let [kh, kw] = self.kernel;
        match input {
            &[_, _, c] => vec![vec![self.filters, kh, kw, c], vec![self.filters]],
            _ => Vec::new(),
        }
    }

    /// `nn.Conv2d`, weights `(F, C, k_h, k_w)`; with unequal padding on opposite sides
    /// (`"same"` with an even kernel), the generated `model.py`'s `PadConv2d`, a `Conv2d`
    /// that pads first (same tensor names).
    fn torch(&self, input: &[usize]) -> Option<TorchModule> {
        let &[h, w, c] = input else { return None };
        let ([kh, kw], [sh, sw]) = (self.kernel, self.stride);
        let [top, bottom, left, right] = self.padding.resolve([h, w], self.kernel, self.stride);
        let shape = format!(
            "{c}, {}, kernel_size=({kh}, {kw}), stride=({sh}, {sw})",
            self.filters
        );
        let code = if top == bottom && left == right {
            format!("nn.Conv2d({shape}, padding=({top}, {left}))")
        } else {
            format!("PadConv2d({shape}, pad=({left}, {right}, {top}, {bottom}))")
        };
        let module = TorchModule::new(code)
            .tensor(TorchTensor::param("weight", 0).axes(&[0, 3, 1, 2]))
            .tensor(TorchTensor::param("bias", 1))
            .features(Features::Replaces);
        Some(module)
    }

    fn build<T: Float>(
        &self,
        input: &[usize],
        init: Init,
        rng: &mut Rng,
    ) -> Result<Box<dyn Layer<T>>> {
        let init = self.init.unwrap_or(init);
        Ok(Box::new(Conv2d::new(
            volume("Conv2d", input)?,
            *self,
            init,
            rng,
        )?))
    }
}

/// A 2-D convolution over `(m, h, w, c)` volumes with `F` filters of `k_h × k_w × c` and a bias
/// per filter; output `(m, out_h, out_w, F)`.
pub struct Conv2d<T> {
    input: [usize; 3],
    output: [usize; 3],
    config: Conv2dConfig,
    window: Window,
    w: Tensor<T>,  // (F, k_h, k_w, c)
    b: Tensor<T>,  // (F)
    dw: Tensor<T>, // (F, k_h, k_w, c)
    db: Tensor<T>, // (F)
    z: Tensor<T>,  // (m, out_h, out_w, F)
    dx: Tensor<T>, // (m, h, w, c)
    workspace: ConvWorkspace<T>,
}

impl<T: Float> Conv2d<T> {
    /// A convolution of `config` over inputs of `input` = `[h, w, c]`, weights drawn by
    /// `init` with fan-in `k_h·k_w·c` (and fan-out `k_h·k_w·F`), zero biases.
    ///
    /// # Errors
    ///
    /// [`Error::Config`] for zero sizes, a kernel larger than the padded input, or padding
    /// as large as the kernel.
    pub fn new(input: [usize; 3], config: Conv2dConfig, init: Init, rng: &mut Rng) -> Result<Self> {
        let mut layer = Self::with_params(input, config, None)?;
        let [kh, kw] = config.kernel;
        let fan_in = kh * kw * input[2];
        init.fill(fan_in, kh * kw * config.filters, rng, layer.w.data_mut());
        layer.config.init = Some(init);
        Ok(layer)
    }

    fn with_params(
        input: [usize; 3],
        config: Conv2dConfig,
        params: Option<(Tensor<T>, Tensor<T>)>,
    ) -> Result<Self> {
        let window = config.window(input)?;
        let [kh, kw] = config.kernel;
        let f = config.filters;
        let (w, b) =
            params.unwrap_or_else(|| (Tensor::zeros(&[f, kh, kw, input[2]]), Tensor::zeros(&[f])));
        Ok(Conv2d {
            input,
            output: [window.out_h, window.out_w, f],
            config,
            window,
            dw: Tensor::zeros(w.shape()),
            db: Tensor::zeros(b.shape()),
            w,
            b,
            z: Tensor::zeros(&[0, window.out_h, window.out_w, f]),
            dx: Tensor::zeros(&[0, input[0], input[1], input[2]]),
            workspace: ConvWorkspace::default(),
        })
    }

    /// A convolution with the given filters `W` (`(F, k_h, k_w, c)`) and biases `b` (`(F)`).
    ///
    /// # Errors
    ///
    /// [`Error::Shape`] if `W` and `b` do not match `config` and `input`; else as
    /// [`Conv2d::new`].
    pub fn from_params(
        input: [usize; 3],
        config: Conv2dConfig,
        w: Tensor<T>,
        b: Tensor<T>,
    ) -> Result<Self> {
        let [kh, kw] = config.kernel;
        let want = [config.filters, kh, kw, input[2]];
        if w.shape() != want || b.shape() != [config.filters] {
            return Err(Error::shape(
                "Conv2d::from_params",
                format!(
                    "filters {} and biases {} must be {} and ({},)",
                    shape_str(w.shape()),
                    shape_str(b.shape()),
                    shape_str(&want),
                    config.filters
                ),
            ));
        }
        Self::with_params(input, config, Some((w, b)))
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
        let c = &self.config;
        c.padding
            .resolve([self.input[0], self.input[1]], c.kernel, c.stride)
    }

    /// `Z = X ⋆ W + b` into `z`, with `workspace` for the backend.
    fn compute(
        &self,
        backend: &dyn Backend<T>,
        x: &Tensor<T>,
        z: &mut Tensor<T>,
        workspace: &mut ConvWorkspace<T>,
    ) -> Result<()> {
        check_input(|| format!("{}.forward", self.name()), &self.input, x)?;
        let m = x.rows();
        let [oh, ow, f] = self.output;
        z.resize(&[m, oh, ow, f]);
        let g = self.window.with_batch(m);
        backend.conv2d_forward(
            &g,
            x.data(),
            self.w.data(),
            self.b.data(),
            z.data_mut(),
            workspace,
        );
        Ok(())
    }
}

impl<T: Float> Layer<T> for Conv2d<T> {
    fn spec(&self) -> LayerSpec {
        self.config.into()
    }

    fn kind(&self) -> &'static str {
        Conv2dConfig::KIND
    }

    fn name(&self) -> String {
        let [h, w, c] = self.input;
        let ([kh, kw], [sh, sw]) = (self.config.kernel, self.config.stride);
        let [oh, ow, f] = self.output;
        format!("Conv2d({h}×{w}×{c} → {oh}×{ow}×{f}, {kh}×{kw} stride {sh}×{sw})")
    }

    fn input_shape(&self) -> &[usize] {
        &self.input
    }

    fn output_shape(&self) -> &[usize] {
        &self.output
    }

    fn forward(&mut self, backend: &dyn Backend<T>, x: &Tensor<T>, _mode: Mode<'_>) -> Result<()> {
        let (mut z, mut workspace) = (
            std::mem::take(&mut self.z),
            std::mem::take(&mut self.workspace),
        );
        let done = self.compute(backend, x, &mut z, &mut workspace);
        (self.z, self.workspace) = (z, workspace);
        done
    }

    fn infer(
        &self,
        backend: &dyn Backend<T>,
        x: &Tensor<T>,
        z: &mut Tensor<T>,
        scratch: &mut Scratch<T>,
    ) -> Result<()> {
        self.compute(backend, x, z, &mut scratch.conv)
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
        if need_input_grad {
            self.dx.resize(x.shape());
        }
        let grads = ConvGrads {
            dw: self.dw.data_mut(),
            db: self.db.data_mut(),
            dx: need_input_grad.then(|| self.dx.data_mut()),
        };
        backend.conv2d_backward(
            &g,
            x.data(),
            self.w.data(),
            dz.data(),
            grads,
            &mut self.workspace,
        );
        Ok(())
    }

    fn input_grad(&self) -> &Tensor<T> {
        &self.dx
    }

    fn release_buffers(&mut self) {
        self.z = Default::default();
        self.dx = Default::default();
        self.workspace = Default::default();
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

    fn replicate(&self) -> Option<Box<dyn Layer<T>>> {
        let params = Some((self.w.clone(), self.b.clone()));
        let layer = Self::with_params(self.input, self.config, params);
        // The geometry was accepted when this layer was built.
        layer.ok().map(|l| Box::new(l) as Box<dyn Layer<T>>)
    }

    fn work_per_example(&self) -> usize {
        self.window.positions() * self.w.len()
    }
}
