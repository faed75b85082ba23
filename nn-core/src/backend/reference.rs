//! `Reference`: every kernel as the plain loop a student writes first (the families' default
//! bodies). Slow, obviously right, and the oracle for faster backends.

use super::{
    Backend, ConvAlgorithm, Elementwise, Losses, Normalization, Products, Updates, Window, Windows,
};
use crate::Float;

/// The plain-loop backend: overrides nothing.
#[derive(Clone, Copy, Debug, Default)]
pub struct Reference;

impl<T: Float> Products<T> for Reference {}
impl<T: Float> Elementwise<T> for Reference {}
impl<T: Float> Losses<T> for Reference {}
impl<T: Float> Normalization<T> for Reference {}
impl<T: Float> Updates<T> for Reference {}
impl<T: Float> Windows<T> for Reference {}

impl<T: Float> Backend<T> for Reference {
    fn name(&self) -> &'static str {
        "reference"
    }
}

/// [`Reference`], but convolving with the direct loops instead of image-to-column: the plain
/// version of the other algorithm, to test and compare the two.
#[derive(Clone, Copy, Debug, Default)]
pub struct DirectReference;

impl<T: Float> Products<T> for DirectReference {}
impl<T: Float> Elementwise<T> for DirectReference {}
impl<T: Float> Losses<T> for DirectReference {}
impl<T: Float> Normalization<T> for DirectReference {}
impl<T: Float> Updates<T> for DirectReference {}
impl<T: Float> Windows<T> for DirectReference {
    fn conv_algorithm(&self, _g: &Window, _filters: usize) -> ConvAlgorithm {
        ConvAlgorithm::Direct
    }
}

impl<T: Float> Backend<T> for DirectReference {
    fn name(&self) -> &'static str {
        "reference-direct"
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backend::{Activation, AdamStep};

    #[test]
    fn relu_propagates_nan() {
        let mut a = [0.0f32; 3];
        Elementwise::<f32>::activate(&Reference, Activation::Relu, &[f32::NAN, -1.0, 2.0], &mut a);
        assert!(a[0].is_nan());
        assert_eq!(&a[1..], &[0.0, 2.0]);
    }

    // One update from zero state, computed by hand.
    const G: [f64; 3] = [0.5, -2.0, 0.0];

    #[test]
    fn momentum_first_step() {
        let (mut v, mut w) = ([0.0; 3], [1.0; 3]);
        Reference.momentum_step(0.1, 0.9, &G, &mut v, &mut w);
        // v = 0.1·g; w = 1 − 0.1·v
        assert_eq!(v, [0.05, -0.2, 0.0].map(|x: f64| x * (1.0 - 0.9) / 0.1));
        for i in 0..3 {
            assert!((w[i] - (1.0 - 0.1 * 0.1 * G[i])).abs() < 1e-15);
        }
    }

    #[test]
    fn rmsprop_first_step() {
        let (mut s, mut w) = ([0.0; 3], [1.0; 3]);
        Reference.rmsprop_step(0.01, 0.9, 1e-8, &G, &mut s, &mut w);
        for i in 0..3 {
            let s_i = 0.1 * G[i] * G[i];
            assert!((s[i] - s_i).abs() < 1e-15);
            assert!((w[i] - (1.0 - 0.01 * G[i] / (s_i.sqrt() + 1e-8))).abs() < 1e-12);
        }
        // ε sits outside the square root: with g = 0 nothing moves.
        assert_eq!(w[2], 1.0);
    }

    #[test]
    fn nesterov_and_adamw_steps_by_hand() {
        // v = 0.9·0 + g = g; w = 1 − 0.1·(g + 0.9·g) = 1 − 0.19·g.
        let (mut v, mut w) = ([0.0; 3], [1.0; 3]);
        Reference.nesterov_step(0.1, 0.9, &G, &mut v, &mut w);
        assert_eq!(v, G);
        for (w, g) in w.iter().zip(G) {
            assert!((w - (1.0 - 0.19 * g)).abs() < 1e-15, "{w}");
        }
        // AdamW's first step: w·(1 − lr·λ) − lr·sign(g) for g ≠ 0; w·(1 − lr·λ) for g = 0.
        let (mut m, mut v, mut w) = ([0.0; 3], [0.0; 3], [1.0; 3]);
        let step = AdamStep {
            lr: 0.1,
            beta1: 0.9,
            beta2: 0.999,
            epsilon: 1e-8,
            t: 1,
            decay: 1.0 - 0.1 * 0.5,
        };
        Reference.adam_step(step, &G, &mut m, &mut v, &mut w);
        assert!(
            (w[0] - 0.85).abs() < 1e-7 && (w[1] - 1.05).abs() < 1e-7,
            "{w:?}"
        );
        assert_eq!(w[2], 0.95);
    }

    #[test]
    fn adam_first_and_second_steps() {
        let (mut m, mut v, mut w) = ([0.0; 3], [0.0; 3], [1.0; 3]);
        let p = |t| AdamStep {
            lr: 0.1,
            beta1: 0.9,
            beta2: 0.999,
            epsilon: 1e-8,
            t,
            decay: 1.0,
        };
        Reference.adam_step(p(1), &G, &mut m, &mut v, &mut w);
        // With bias correction the first step is lr·g/(|g| + ε) ≈ lr·sign(g).
        assert!(
            (w[0] - 0.9).abs() < 1e-7 && (w[1] - 1.1).abs() < 1e-7 && w[2] == 1.0,
            "{w:?}"
        );
        Reference.adam_step(p(2), &G, &mut m, &mut v, &mut w);
        // Same gradient again: m̂ = g, v̂ = g², so again lr·sign(g).
        assert!(
            (w[0] - 0.8).abs() < 1e-7 && (w[1] - 1.2).abs() < 1e-7,
            "{w:?}"
        );
    }
}
