//! Convolution numbers worked out by hand, as in the course's `conv_single_step` exercise: a
//! 4×4 filter over a small volume, the filter and the patch multiplied element-wise, summed,
//! plus the bias.
//!
//! The input is one 5×5×2 volume: channel 0 holds `5·i + j` at row `i`, column `j` (0…24),
//! channel 1 holds 1 everywhere.
//!
//! Filter 0 is 1 on channel 0 and −1 on channel 1, bias 0.5: at output `(i, j)` it sums the
//! 4×4 block of `5·r + c`, minus 16, plus 0.5. The block at (0, 0) sums to
//! `4·5·(0+1+2+3) + 4·(0+1+2+3) = 120 + 24 = 144`, so `Z = 144 − 16 + 0.5 = 128.5`; moving right
//! adds 4·4 = 16 (144.5), moving down adds 4·4·5 = 80 (208.5, 224.5).
//!
//! Filter 1 is the diagonal (1 where the filter row equals its column, on channel 0), bias 0:
//! `Σ_k 5·(i+k) + (j+k) = 20·i + 4·j + 36`: 36, 40, 56, 60.
//!
//! With one row and column of zero padding and stride 2, output (0, 0) of filter 0 covers only
//! rows and columns 0…2 of the input: `3·5·(0+1+2) + 3·(0+1+2) = 54` from channel 0, minus 9
//! ones, plus 0.5: 45.5.

use nn_conv::{Conv2d, Conv2dConfig, Padding};
use nn_core::backend::{ConvAlgorithm, DirectReference};
use nn_core::layer::{Layer, Mode};
use nn_core::{Backend, Reference, Tensor};
use nn_simd::Simd;

fn input() -> Tensor<f64> {
    let mut x = Vec::new();
    for i in 0..5 {
        for j in 0..5 {
            x.push((5 * i + j) as f64);
            x.push(1.0);
        }
    }
    Tensor::from_vec(&[1, 5, 5, 2], x).unwrap()
}

fn filters() -> (Tensor<f64>, Tensor<f64>) {
    // W: (F=2, 4, 4, c=2)
    let mut w = Vec::new();
    for f in 0..2 {
        for ki in 0..4 {
            for kj in 0..4 {
                match f {
                    0 => w.extend([1.0, -1.0]),
                    _ => w.extend([if ki == kj { 1.0 } else { 0.0 }, 0.0]),
                }
            }
        }
    }
    (
        Tensor::from_vec(&[2, 4, 4, 2], w).unwrap(),
        Tensor::from_vec(&[2], vec![0.5, 0.0]).unwrap(),
    )
}

fn run(backend: &dyn Backend<f64>, spec: Conv2dConfig) -> Tensor<f64> {
    let (w, b) = filters();
    let mut conv = Conv2d::from_params([5, 5, 2], spec, w, b).unwrap();
    conv.forward(backend, &input(), Mode::Eval).unwrap();
    conv.output().clone()
}

#[test]
fn a_4x4_filter_over_a_5x5x2_volume() {
    // Both algorithms on both backends: (columns, direct) × (Reference, Simd).
    let simd = Simd::new();
    let backends: [&dyn Backend<f64>; 4] = [
        &Reference,
        &DirectReference,
        &simd.clone().with_conv_algorithm(ConvAlgorithm::Columns),
        &simd.with_conv_algorithm(ConvAlgorithm::Direct),
    ];
    for (i, backend) in backends.into_iter().enumerate() {
        let method = ["columns", "direct"][i % 2];
        let z = run(backend, Conv2dConfig::new(2, 4, Padding::Valid));
        assert_eq!(z.shape(), &[1, 2, 2, 2]);
        // (i, j, filter) in channels-last order.
        assert_eq!(
            z.data(),
            &[128.5, 36.0, 144.5, 40.0, 208.5, 56.0, 224.5, 60.0],
            "{} {method}",
            backend.name()
        );
        let z = run(
            backend,
            Conv2dConfig::new(2, 4, Padding::uniform(1)).stride(2, 2),
        );
        assert_eq!(z.shape(), &[1, 2, 2, 2]);
        assert_eq!(z.data()[0], 45.5);
    }
}

#[test]
fn same_padding_keeps_the_size_and_puts_the_extra_row_below() {
    let spec = Conv2dConfig::new(2, 4, Padding::Same);
    let (w, b) = filters();
    let conv = Conv2d::from_params([5, 5, 2], spec, w, b).unwrap();
    assert_eq!(conv.output_shape(), &[5, 5, 2]);
    assert_eq!(conv.padding(), [1, 2, 1, 2]);
    let strided =
        Conv2d::<f64>::from_params([5, 5, 2], spec.stride(2, 2), filters().0, filters().1).unwrap();
    assert_eq!(strided.output_shape(), &[3, 3, 2]);
}
