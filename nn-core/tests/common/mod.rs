//! Small synthetic problems shared by the integration tests.
#![allow(dead_code)]

use nn_core::{Float, Rng, Tensor};

/// `m` points uniform in [−1, 1]² with `label(x0, x1)`; points closer than `margin` to the
/// boundary are redrawn.
pub fn points<T: Float>(
    m: usize,
    rng: &mut Rng,
    label: impl Fn(f64, f64) -> Option<bool>,
) -> (Tensor<T>, Tensor<T>) {
    let (mut x, mut y) = (Vec::new(), Vec::new());
    while y.len() < m {
        let (a, b) = (rng.uniform::<f64>(-1.0, 1.0), rng.uniform::<f64>(-1.0, 1.0));
        if let Some(l) = label(a, b) {
            x.extend([T::from_f64(a), T::from_f64(b)]);
            y.push(if l { T::ONE } else { T::ZERO });
        }
    }
    (
        Tensor::from_vec(&[m, 2], x).unwrap(),
        Tensor::from_vec(&[m, 1], y).unwrap(),
    )
}

/// Linearly separable: above or below the line x0 + x1 = 0.2, with a margin of 0.1.
pub fn separable<T: Float>(m: usize, rng: &mut Rng) -> (Tensor<T>, Tensor<T>) {
    points(m, rng, |a, b| {
        ((a + b - 0.2).abs() > 0.1).then_some(a + b > 0.2)
    })
}

/// XOR: label 1 in the first and third quadrants, with a margin of 0.1 from both axes.
pub fn xor<T: Float>(m: usize, rng: &mut Rng) -> (Tensor<T>, Tensor<T>) {
    points(m, rng, |a, b| {
        (a.abs() > 0.1 && b.abs() > 0.1).then_some(a * b > 0.0)
    })
}

/// `m × n` standard normal values.
pub fn normal<T: Float>(m: usize, n: usize, rng: &mut Rng) -> Tensor<T> {
    Tensor::from_vec(&[m, n], (0..m * n).map(|_| rng.normal()).collect()).unwrap()
}

/// The fraction of equal entries.
pub fn accuracy(predicted: &[usize], y: &Tensor<impl Float>) -> f64 {
    let hits = predicted
        .iter()
        .zip(y.data())
        .filter(|&(&p, &t)| p as f64 == t.to_f64())
        .count();
    hits as f64 / predicted.len() as f64
}
