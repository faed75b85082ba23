//! Weight initialisers. Biases always start at zero.

use serde::{Deserialize, Serialize};

use crate::{Float, Rng};

/// How a weight tensor with `fan_in` inputs and `fan_out` outputs per unit is drawn.
///
/// In model descriptions: `"zeros"`, `"small_random"`, `"lecun_normal"`, `"xavier_normal"`,
/// `"xavier_uniform"`, `"he"`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Init {
    /// All zeros. Fine for logistic regression; refused for hidden layers, whose units would
    /// then stay identical forever.
    Zeros,
    /// `N(0, 1)·0.01`: the course's first try.
    SmallRandom,
    /// LeCun normal, `N(0, 1)·√(1/fan_in)`: what the course calls Xavier (and what the `deep`
    /// workload uses).
    #[serde(rename = "lecun_normal")]
    LeCunNormal,
    /// Xavier/Glorot normal, `N(0, 1)·√(2/(fan_in + fan_out))`.
    XavierNormal,
    /// Xavier/Glorot uniform, `U(−r, r)` with `r = √(6/(fan_in + fan_out))` (Keras's default).
    XavierUniform,
    /// He normal, `N(0, 1)·√(2/fan_in)`: for ReLU layers.
    He,
}

impl Init {
    /// Fills `w` with draws from `rng`.
    pub fn fill<T: Float>(self, fan_in: usize, fan_out: usize, rng: &mut Rng, w: &mut [T]) {
        let (fi, fo) = (fan_in.max(1) as f64, fan_out.max(1) as f64);
        let normal = |scale: f64, rng: &mut Rng, w: &mut [T]| {
            for x in w.iter_mut() {
                *x = T::from_f64(rng.normal::<f64>() * scale);
            }
        };
        match self {
            Init::Zeros => w.fill(T::ZERO),
            Init::SmallRandom => normal(0.01, rng, w),
            Init::LeCunNormal => normal((1.0 / fi).sqrt(), rng, w),
            Init::XavierNormal => normal((2.0 / (fi + fo)).sqrt(), rng, w),
            Init::He => normal((2.0 / fi).sqrt(), rng, w),
            Init::XavierUniform => {
                let r = (6.0 / (fi + fo)).sqrt();
                for x in w.iter_mut() {
                    *x = rng.uniform(-r, r);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn std_of(init: Init, fan_in: usize, fan_out: usize) -> f64 {
        let mut w = vec![0f64; 20_000];
        init.fill(fan_in, fan_out, &mut Rng::seed(5), &mut w);
        (w.iter().map(|x| x * x).sum::<f64>() / w.len() as f64).sqrt()
    }

    #[test]
    fn scales_follow_the_formulas() {
        let close = |a: f64, b: f64| (a / b - 1.0).abs() < 0.03;
        assert!(close(std_of(Init::SmallRandom, 100, 10), 0.01));
        assert!(close(std_of(Init::LeCunNormal, 100, 10), 0.1));
        assert!(close(std_of(Init::He, 100, 10), (0.02f64).sqrt()));
        assert!(close(std_of(Init::XavierNormal, 100, 100), 0.1));
        // U(−r, r) has standard deviation r/√3.
        assert!(close(
            std_of(Init::XavierUniform, 100, 200),
            (6.0f64 / 300.0).sqrt() / 3f64.sqrt()
        ));
        assert_eq!(std_of(Init::Zeros, 3, 3), 0.0);
    }
}
