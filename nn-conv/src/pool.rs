//! Pooling: a `k_h × k_w` window slides over each channel of the volume with a stride and keeps
//! the largest value (`MaxPool2d`) or the mean (`AvgPool2d`); channels stay separate, so the
//! output is `(m, out_h, out_w, c)`. No parameters. The backward pass sends each output's
//! gradient to the input that was the maximum, or spreads it evenly over the window.

use std::fmt;
use std::marker::PhantomData;

use nn_core::backend::Window;
use nn_core::layer::{check_grad, check_input, Layer, LayerConfig, LayerSpec, Mode, Scratch};
use nn_core::torch::{Features, TorchModule};
use nn_core::{Backend, Float, Init, Result, Rng, Tensor};
use serde::{Deserialize, Serialize};

use crate::size::{maybe_one_or_two, one_or_two};
use crate::volume;

/// What a pooling layer keeps of each window.
pub trait PoolKind: Clone + fmt::Debug + PartialEq + Send + Sync + 'static {
    /// `"MaxPool2d"` or `"AvgPool2d"`.
    const NAME: &'static str;
    /// The kind in model descriptions (`type = "max_pool"`).
    const KIND: &'static str;
    /// Whether the forward pass records where each maximum was.
    const RECORDS_ARGMAX: bool;
}

/// Keep the largest value of each window.
#[derive(Clone, Debug, PartialEq)]
pub struct Max;
/// Keep the mean of each window.
#[derive(Clone, Debug, PartialEq)]
pub struct Avg;

impl PoolKind for Max {
    const NAME: &'static str = "MaxPool2d";
    const KIND: &'static str = "max_pool";
    const RECORDS_ARGMAX: bool = true;
}

impl PoolKind for Avg {
    const NAME: &'static str = "AvgPool2d";
    const KIND: &'static str = "avg_pool";
    const RECORDS_ARGMAX: bool = false;
}

/// Max pooling: the largest value of each channel in each window.
pub type MaxPool2d<T> = Pool2d<T, Max>;
/// Average pooling: the mean of each channel in each window.
pub type AvgPool2d<T> = Pool2d<T, Avg>;

/// A pooling layer's description: a `size` window moved by `stride` (default: the window).
/// In a TOML model description: `type = "max_pool"` (or `"avg_pool"`), `size = 2` (or
/// `[h, w]`), optional `stride`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, bound = "")]
pub struct PoolConfig<K: PoolKind> {
    /// Window height and width.
    #[serde(deserialize_with = "one_or_two")]
    pub size: [usize; 2],
    /// Vertical and horizontal step (default: the window, PyTorch's default).
    #[serde(
        default,
        deserialize_with = "maybe_one_or_two",
        skip_serializing_if = "Option::is_none"
    )]
    pub stride: Option<[usize; 2]>,
    #[serde(skip)]
    kind: PhantomData<K>,
}

/// Max pooling's description.
pub type MaxPoolConfig = PoolConfig<Max>;
/// Average pooling's description.
pub type AvgPoolConfig = PoolConfig<Avg>;

impl<K: PoolKind> PoolConfig<K> {
    /// A `k × k` window at stride `k` (PyTorch's `MaxPool2d(k)`).
    pub fn new(k: usize) -> Self {
        Self::with([k, k], [k, k])
    }

    /// Any window and stride (h, w).
    pub fn with(size: [usize; 2], stride: [usize; 2]) -> Self {
        PoolConfig {
            size,
            stride: Some(stride),
            kind: PhantomData,
        }
    }

    /// The stride, the window's size unless given.
    pub fn step(&self) -> [usize; 2] {
        self.stride.unwrap_or(self.size)
    }
}

impl<K: PoolKind> fmt::Display for PoolConfig<K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ([kh, kw], [sh, sw]) = (self.size, self.step());
        write!(f, "{}({kh}×{kw} stride {sh}×{sw})", K::NAME)
    }
}

impl<K: PoolKind> LayerConfig for PoolConfig<K> {
    const KIND: &'static str = K::KIND;

    fn output_shape(&self, input: &[usize]) -> Result<Vec<usize>> {
        let input = volume(K::NAME, input)?;
        let w = Window::new(0, input, self.size, self.step(), [0; 4])?;
        Ok(vec![w.out_h, w.out_w, input[2]])
    }

    fn torch(&self, _input: &[usize]) -> Option<TorchModule> {
        let ([kh, kw], [sh, sw]) = (self.size, self.step());
        let code = format!(
            "nn.{}(kernel_size=({kh}, {kw}), stride=({sh}, {sw}))",
            K::NAME
        );
        Some(TorchModule::new(code).features(Features::Replaces))
    }

    fn build<T: Float>(
        &self,
        input: &[usize],
        _init: Init,
        _rng: &mut Rng,
    ) -> Result<Box<dyn Layer<T>>> {
        let input = volume(K::NAME, input)?;
        Ok(Box::new(Pool2d::<T, K>::new(
            input,
            self.size,
            self.step(),
        )?))
    }
}

/// A pooling layer over `(m, h, w, c)` volumes (see [`MaxPool2d`] and [`AvgPool2d`]).
pub struct Pool2d<T, K> {
    input: [usize; 3],
    output: [usize; 3],
    size: [usize; 2],
    stride: [usize; 2],
    window: Window,
    y: Tensor<T>,
    arg: Vec<u32>,
    dx: Tensor<T>,
    kind: PhantomData<K>,
}

impl<T: Float, K: PoolKind> Pool2d<T, K> {
    /// A `window` (h, w) moving by `stride` (h, w) over inputs of `[h, w, c]`; PyTorch's
    /// `MaxPool2d(2)` is `window [2, 2]`, `stride [2, 2]`. Windows that would run past the
    /// bottom or right edge are dropped (as PyTorch and Keras do by default).
    ///
    /// # Errors
    ///
    /// [`nn_core::Error::Config`] for zero sizes or a window larger than the input.
    pub fn new(input: [usize; 3], window: [usize; 2], stride: [usize; 2]) -> Result<Self> {
        let w = Window::new(0, input, window, stride, [0; 4])?;
        Ok(Pool2d {
            input,
            output: [w.out_h, w.out_w, input[2]],
            size: window,
            stride,
            window: w,
            y: Tensor::zeros(&[0, w.out_h, w.out_w, input[2]]),
            arg: Vec::new(),
            dx: Tensor::zeros(&[0, input[0], input[1], input[2]]),
            kind: PhantomData,
        })
    }

    /// The output of `x` into `y`, with `arg` for the positions of maxima.
    fn compute(
        &self,
        backend: &dyn Backend<T>,
        x: &Tensor<T>,
        y: &mut Tensor<T>,
        arg: &mut Vec<u32>,
    ) -> Result<()> {
        check_input(|| format!("{}.forward", self.name()), &self.input, x)?;
        let g = self.window.with_batch(x.rows());
        let [oh, ow, c] = self.output;
        y.resize(&[x.rows(), oh, ow, c]);
        if K::RECORDS_ARGMAX {
            arg.resize(y.len(), 0);
            backend.max_pool(&g, x.data(), y.data_mut(), arg);
        } else {
            backend.avg_pool(&g, x.data(), y.data_mut());
        }
        Ok(())
    }
}

impl<T: Float, K: PoolKind> Layer<T> for Pool2d<T, K> {
    fn name(&self) -> String {
        let [kh, kw] = self.size;
        let [sh, sw] = self.stride;
        format!("{}({kh}×{kw} stride {sh}×{sw})", K::NAME)
    }

    fn spec(&self) -> LayerSpec {
        PoolConfig::<K>::with(self.size, self.stride).into()
    }

    fn kind(&self) -> &'static str {
        K::KIND
    }

    fn input_shape(&self) -> &[usize] {
        &self.input
    }

    fn output_shape(&self) -> &[usize] {
        &self.output
    }

    fn forward(&mut self, backend: &dyn Backend<T>, x: &Tensor<T>, _mode: Mode<'_>) -> Result<()> {
        let (mut y, mut arg) = (std::mem::take(&mut self.y), std::mem::take(&mut self.arg));
        let done = self.compute(backend, x, &mut y, &mut arg);
        (self.y, self.arg) = (y, arg);
        done
    }

    fn infer(
        &self,
        backend: &dyn Backend<T>,
        x: &Tensor<T>,
        y: &mut Tensor<T>,
        scratch: &mut Scratch<T>,
    ) -> Result<()> {
        self.compute(backend, x, y, &mut scratch.indices)
    }

    fn output(&self) -> &Tensor<T> {
        &self.y
    }

    fn backward(
        &mut self,
        backend: &dyn Backend<T>,
        x: &Tensor<T>,
        dy: &Tensor<T>,
        need_input_grad: bool,
    ) -> Result<()> {
        let op = || format!("{}.backward", self.name());
        check_input(op, &self.input, x)?;
        check_grad(op, x, &self.y, dy)?;
        if need_input_grad {
            let g = self.window.with_batch(x.rows());
            self.dx.resize(x.shape());
            if K::RECORDS_ARGMAX {
                backend.max_pool_backward(&g, dy.data(), &self.arg, self.dx.data_mut());
            } else {
                backend.avg_pool_backward(&g, dy.data(), self.dx.data_mut());
            }
        }
        Ok(())
    }

    fn input_grad(&self) -> &Tensor<T> {
        &self.dx
    }

    fn release_buffers(&mut self) {
        self.y = Default::default();
        self.arg = Default::default();
        self.dx = Default::default();
    }

    fn replicate(&self) -> Option<Box<dyn Layer<T>>> {
        Self::new(self.input, self.size, self.stride)
            .ok()
            .map(|l| Box::new(l) as Box<dyn Layer<T>>)
    }

    fn work_per_example(&self) -> usize {
        self.output.iter().product::<usize>() * self.size[0] * self.size[1]
    }
}
