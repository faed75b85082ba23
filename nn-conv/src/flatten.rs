//! `Flatten`: `(m, h, w, c)` volumes to `(m, h·w·c)` rows, keeping the `(h, w, c)` order (the
//! course's `X.reshape(m, -1)`), so that dense layers can follow convolutions.

use nn_core::layer::{check_grad, check_input, Layer, Mode};
use nn_core::persist::{decode_config, encode_config, LayerRecord};
use nn_core::{Backend, Error, Float, Result, Tensor};
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize)]
struct FlattenConfig {
    input: Vec<usize>,
}

/// Flattens each example; the backward pass restores the shape. No parameters.
pub struct Flatten<T> {
    input: Vec<usize>,
    output: [usize; 1],
    y: Tensor<T>,
    dx: Tensor<T>,
}

impl<T: Float> Flatten<T> {
    /// Flattens examples of `input` (any shape).
    ///
    /// # Errors
    ///
    /// [`Error::Config`] if the size overflows.
    pub fn new(input: &[usize]) -> Result<Self> {
        let n = input
            .iter()
            .try_fold(1usize, |a, &d| a.checked_mul(d))
            .ok_or_else(|| Error::Config(format!("Flatten: {input:?} overflows")))?;
        Ok(Flatten {
            input: input.to_vec(),
            output: [n],
            y: Tensor::zeros(&[0, n]),
            dx: Tensor::zeros(&[0]),
        })
    }

    /// Rebuilds a layer from its record in a model file.
    pub fn load(record: &LayerRecord) -> std::result::Result<Box<dyn Layer<T>>, String> {
        let c: FlattenConfig = decode_config(&record.config)?;
        if !record.params.is_empty() {
            return Err(format!(
                "Flatten has no parameters, the file has {} tensors",
                record.params.len()
            ));
        }
        Ok(Box::new(Self::new(&c.input).map_err(|e| e.to_string())?))
    }
}

impl<T: Float> Layer<T> for Flatten<T> {
    fn name(&self) -> String {
        format!("Flatten({:?} → {})", self.input, self.output[0])
    }

    fn kind(&self) -> &'static str {
        "flatten"
    }

    fn input_shape(&self) -> &[usize] {
        &self.input
    }

    fn output_shape(&self) -> &[usize] {
        &self.output
    }

    fn forward(&mut self, _backend: &dyn Backend<T>, x: &Tensor<T>, _mode: Mode<'_>) -> Result<()> {
        check_input(|| format!("{}.forward", self.name()), &self.input, x)?;
        self.y.resize(&[x.rows(), self.output[0]]);
        self.y.data_mut().copy_from_slice(x.data());
        Ok(())
    }

    fn output(&self) -> &Tensor<T> {
        &self.y
    }

    fn backward(
        &mut self,
        _backend: &dyn Backend<T>,
        x: &Tensor<T>,
        dy: &Tensor<T>,
        need_input_grad: bool,
    ) -> Result<()> {
        let op = || format!("{}.backward", self.name());
        check_grad(op, x, &self.y, dy)?;
        if need_input_grad {
            self.dx.resize(x.shape());
            self.dx.data_mut().copy_from_slice(dy.data());
        }
        Ok(())
    }

    fn input_grad(&self) -> &Tensor<T> {
        &self.dx
    }

    fn record(&self) -> LayerRecord {
        LayerRecord {
            kind: "flatten".to_string(),
            config: encode_config(&FlattenConfig {
                input: self.input.clone(),
            }),
            params: Vec::new(),
        }
    }
}
