//! Pooling: a `k_h × k_w` window slides over each channel of the volume with a stride and keeps
//! the largest value (`MaxPool2d`) or the mean (`AvgPool2d`); channels stay separate, so the
//! output is `(m, out_h, out_w, c)`. No parameters. The backward pass sends each output's
//! gradient to the input that was the maximum, or spreads it evenly over the window.

use std::marker::PhantomData;

use nn_core::backend::Window;
use nn_core::layer::{check_grad, check_input, Layer, Mode};
use nn_core::persist::{decode_config, encode_config, LayerRecord};
use nn_core::{Backend, Float, Result, Tensor};
use serde::{Deserialize, Serialize};

/// What a pooling layer keeps of each window.
pub trait PoolKind: Send + Sync + 'static {
    /// `"MaxPool2d"` or `"AvgPool2d"`.
    const NAME: &'static str;
    /// The key in model files.
    const KIND: &'static str;
    /// Whether the forward pass records where each maximum was.
    const RECORDS_ARGMAX: bool;
}

/// Keep the largest value of each window.
pub struct Max;
/// Keep the mean of each window.
pub struct Avg;

impl PoolKind for Max {
    const NAME: &'static str = "MaxPool2d";
    const KIND: &'static str = "max_pool2d";
    const RECORDS_ARGMAX: bool = true;
}

impl PoolKind for Avg {
    const NAME: &'static str = "AvgPool2d";
    const KIND: &'static str = "avg_pool2d";
    const RECORDS_ARGMAX: bool = false;
}

/// Max pooling: the largest value of each channel in each window.
pub type MaxPool2d<T> = Pool2d<T, Max>;
/// Average pooling: the mean of each channel in each window.
pub type AvgPool2d<T> = Pool2d<T, Avg>;

#[derive(Serialize, Deserialize)]
struct PoolConfig {
    input: [usize; 3],
    window: [usize; 2],
    stride: [usize; 2],
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

    /// Rebuilds a layer from its record in a model file.
    pub fn load(record: &LayerRecord) -> std::result::Result<Box<dyn Layer<T>>, String> {
        let c: PoolConfig = decode_config(&record.config)?;
        if !record.params.is_empty() {
            return Err(format!(
                "{} has no parameters, the file has {} tensors",
                K::NAME,
                record.params.len()
            ));
        }
        Ok(Box::new(
            Self::new(c.input, c.window, c.stride).map_err(|e| e.to_string())?,
        ))
    }
}

impl<T: Float, K: PoolKind> Layer<T> for Pool2d<T, K> {
    fn name(&self) -> String {
        let [kh, kw] = self.size;
        let [sh, sw] = self.stride;
        format!("{}({kh}×{kw} stride {sh}×{sw})", K::NAME)
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
        check_input(|| format!("{}.forward", self.name()), &self.input, x)?;
        let g = self.window.with_batch(x.rows());
        let [oh, ow, c] = self.output;
        self.y.resize(&[x.rows(), oh, ow, c]);
        if K::RECORDS_ARGMAX {
            self.arg.resize(self.y.len(), 0);
            backend.max_pool(&g, x.data(), self.y.data_mut(), &mut self.arg);
        } else {
            backend.avg_pool(&g, x.data(), self.y.data_mut());
        }
        Ok(())
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

    fn record(&self) -> LayerRecord {
        LayerRecord {
            kind: K::KIND.to_string(),
            config: encode_config(&PoolConfig {
                input: self.input,
                window: self.size,
                stride: self.stride,
            }),
            params: Vec::new(),
        }
    }
}
