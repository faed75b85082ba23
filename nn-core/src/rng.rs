//! The one seeded, portable random generator that every random choice of the library draws
//! from: initialisation, shuffling, dropout masks, validation splits, synthetic data.
//!
//! The caller owns it and passes it in, so the same seed, data and configuration give
//! bit-identical results run after run. PCG-64 itself is defined bit for bit; normal samples
//! (`rand_distr`'s ziggurat) and training use the platform's `exp`, `ln` and `tanh`, so identity
//! across operating systems or CPU architectures, or across `rand` versions other than the
//! locked ones, is not promised.

use rand::seq::SliceRandom;
use rand::{RngExt, SeedableRng, TryRng};
use rand_distr::{Distribution, StandardNormal};

use crate::Float;

/// A seeded PCG-64 generator. It implements [`rand::Rng`], so any `rand` API accepts it too.
/// Its state serialises (serde), so a saved run can continue its random sequence exactly.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Rng(rand_pcg::Pcg64Mcg);

impl Rng {
    /// A generator whose whole sequence is fixed by `seed`.
    pub fn seed(seed: u64) -> Self {
        Rng(rand_pcg::Pcg64Mcg::seed_from_u64(seed))
    }

    /// A sample of the standard normal distribution `N(0, 1)`.
    pub fn normal<T: Float>(&mut self) -> T {
        let x: f64 = StandardNormal.sample(&mut self.0);
        T::from_f64(x)
    }

    /// A sample of the uniform distribution on `[low, high)`.
    pub fn uniform<T: Float>(&mut self, low: f64, high: f64) -> T {
        let u: f64 = self.0.random();
        T::from_f64(low + (high - low) * u)
    }

    /// Shuffles `items` in place (Fisher–Yates).
    pub fn shuffle<X>(&mut self, items: &mut [X]) {
        items.shuffle(&mut self.0);
    }

    /// `0, 1, …, n − 1` in a random order.
    pub fn permutation(&mut self, n: usize) -> Vec<usize> {
        let mut order: Vec<usize> = (0..n).collect();
        self.shuffle(&mut order);
        order
    }
}

impl Rng {
    /// Fills a dropout mask: each entry is `1/keep_prob` with probability `keep_prob`, else 0.
    pub fn fill_keep_mask<T: Float>(&mut self, keep_prob: f64, mask: &mut [T]) {
        let kept = T::from_f64(1.0 / keep_prob);
        for d in mask.iter_mut() {
            let u: f64 = self.0.random();
            *d = if u < keep_prob { kept } else { T::ZERO };
        }
    }
}

impl TryRng for Rng {
    type Error = core::convert::Infallible;
    fn try_next_u32(&mut self) -> Result<u32, Self::Error> {
        self.0.try_next_u32()
    }
    fn try_next_u64(&mut self) -> Result<u64, Self::Error> {
        self.0.try_next_u64()
    }
    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Self::Error> {
        self.0.try_fill_bytes(dst)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_sequence() {
        let (mut a, mut b) = (Rng::seed(7), Rng::seed(7));
        let xa: Vec<f32> = (0..100).map(|_| a.normal()).collect();
        let xb: Vec<f32> = (0..100).map(|_| b.normal()).collect();
        assert_eq!(xa, xb);
        assert_ne!(Rng::seed(8).normal::<f64>(), Rng::seed(7).normal::<f64>());
    }

    #[test]
    fn normal_has_unit_variance() {
        let mut r = Rng::seed(1);
        let n = 20_000;
        let xs: Vec<f64> = (0..n).map(|_| r.normal()).collect();
        let mean = xs.iter().sum::<f64>() / n as f64;
        let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n as f64;
        assert!(mean.abs() < 0.03, "mean {mean}");
        assert!((var - 1.0).abs() < 0.05, "variance {var}");
    }

    #[test]
    fn permutation_is_a_permutation() {
        let mut p = Rng::seed(3).permutation(50);
        assert_ne!(p, (0..50).collect::<Vec<_>>());
        p.sort();
        assert_eq!(p, (0..50).collect::<Vec<_>>());
    }
}
