//! # nn-simd
//!
//! `Simd`, the fast CPU backend: a drop-in replacement for `nn_core::Reference` (change one
//! value) whose results agree with it within stated tolerances and are bit-identical whatever
//! the number of threads.
//!
//! - Matrix multiply: `faer`, cut into a fixed partition of output blocks computed in parallel
//!   by `rayon` (see [`gemm`](crate::gemm) in the source).
//! - Element-wise kernels, losses, optimiser updates and reductions: run over fixed-size chunks
//!   in parallel. For now each chunk runs the reference kernel, so these results equal
//!   `Reference`'s exactly; the `pulp` SIMD kernels are the next step of issue #3.
//!
//! ```
//! use nn_core::{FitConfig, Init, Network, Optimizer, Rng, Tensor};
//! use nn_simd::Simd;
//! let mut rng = Rng::seed(0);
//! let mut net = Network::<f32>::builder(&[2]).init(Init::He).dense(8).relu().dense(1).build(Simd::new(), &mut rng)?;
//! let x = Tensor::from_rows(&[vec![0.0, 1.0], vec![1.0, 0.0]])?;
//! let y = Tensor::from_vec(&[2, 1], vec![1.0, 0.0])?;
//! net.fit(&x, &y, &FitConfig::new(Optimizer::adam(0.05)).epochs(50), &mut rng)?;
//! assert_eq!(net.predict(&x)?, vec![1, 0]);
//! # Ok::<(), nn_core::Error>(())
//! ```
#![warn(missing_docs)]

mod chunks;
mod gemm;

use std::sync::Arc;

use nn_core::backend::AdamStep;
use nn_core::{Activation, Backend, Reference, Transpose};

/// The fast CPU backend. Threads come from rayon: the global pool (which honours
/// `RAYON_NUM_THREADS`) or a pool of its own from [`Simd::with_threads`].
#[derive(Clone, Default)]
pub struct Simd {
    pool: Option<Arc<rayon::ThreadPool>>,
}

impl std::fmt::Debug for Simd {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Simd({} threads)", self.threads())
    }
}

impl Simd {
    /// The backend on rayon's global thread pool (`RAYON_NUM_THREADS` threads, else one per
    /// core).
    pub fn new() -> Self {
        Simd { pool: None }
    }

    /// The backend on a pool of its own with `threads` threads (at least 1).
    pub fn with_threads(threads: usize) -> Result<Self, rayon::ThreadPoolBuildError> {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads.max(1))
            .build()?;
        Ok(Simd {
            pool: Some(Arc::new(pool)),
        })
    }

    /// The number of threads kernels may use.
    pub fn threads(&self) -> usize {
        self.pool
            .as_ref()
            .map_or_else(rayon::current_num_threads, |p| p.current_num_threads())
    }

    fn run<R: Send>(&self, work: impl FnOnce() -> R + Send) -> R {
        match &self.pool {
            Some(pool) => pool.install(work),
            None => work(),
        }
    }
}

macro_rules! impl_backend {
    ($t:ty) => {
        impl Backend<$t> for Simd {
            fn name(&self) -> &'static str {
                "simd"
            }

            fn gemm(
                &self,
                trans_a: Transpose,
                trans_b: Transpose,
                m: usize,
                n: usize,
                k: usize,
                alpha: $t,
                a: &[$t],
                b: &[$t],
                beta: $t,
                c: &mut [$t],
            ) {
                self.run(|| gemm::gemm(trans_a, trans_b, m, n, k, alpha, a, b, beta, c))
            }

            fn add_row_vector(&self, z: &mut [$t], bias: &[$t]) {
                self.run(|| chunks::rows_mut(z, bias.len(), |z| Reference.add_row_vector(z, bias)))
            }

            fn sum_rows(&self, x: &[$t], scale: $t, out: &mut [$t]) {
                self.run(|| chunks::sum_rows(x, scale, out))
            }

            fn activate(&self, g: Activation, z: &[$t], a: &mut [$t]) {
                self.run(|| chunks::map1(z, a, |z, a| Reference.activate(g, z, a)))
            }

            fn activate_backward(
                &self,
                g: Activation,
                z: &[$t],
                a: &[$t],
                da: &[$t],
                dz: &mut [$t],
            ) {
                self.run(|| {
                    chunks::map3(z, a, da, dz, |z, a, da, dz| {
                        Reference.activate_backward(g, z, a, da, dz)
                    })
                })
            }

            fn softmax_rows(&self, z: &[$t], cols: usize, a: &mut [$t]) {
                self.run(|| {
                    chunks::rows_map1(z, a, cols, |z, a| Reference.softmax_rows(z, cols, a))
                })
            }

            fn softmax_backward_rows(&self, a: &[$t], da: &[$t], cols: usize, dz: &mut [$t]) {
                self.run(|| {
                    chunks::rows_map2(a, da, dz, cols, |a, da, dz| {
                        Reference.softmax_backward_rows(a, da, cols, dz)
                    })
                })
            }

            fn mul(&self, x: &[$t], y: &[$t], out: &mut [$t]) {
                self.run(|| chunks::map2(x, y, out, |x, y, out| Reference.mul(x, y, out)))
            }

            fn axpy(&self, alpha: $t, x: &[$t], y: &mut [$t]) {
                self.run(|| chunks::map1(x, y, |x, y| Reference.axpy(alpha, x, y)))
            }

            fn sum_squares(&self, x: &[$t]) -> f64 {
                self.run(|| chunks::sum(x.len(), |r| Backend::<$t>::sum_squares(&Reference, &x[r])))
            }

            fn bce_with_logits(&self, z: &[$t], y: &[$t], scale: $t, dz: &mut [$t]) -> f64 {
                self.run(|| {
                    chunks::map2_sum(z, y, dz, 1, |z, y, dz| {
                        Reference.bce_with_logits(z, y, scale, dz)
                    })
                })
            }

            fn softmax_cross_entropy(
                &self,
                z: &[$t],
                y: &[$t],
                cols: usize,
                scale: $t,
                dz: &mut [$t],
            ) -> f64 {
                self.run(|| {
                    chunks::map2_sum(z, y, dz, cols, |z, y, dz| {
                        Reference.softmax_cross_entropy(z, y, cols, scale, dz)
                    })
                })
            }

            fn squared_error(&self, y_hat: &[$t], y: &[$t], scale: $t, d: &mut [$t]) -> f64 {
                self.run(|| {
                    chunks::map2_sum(y_hat, y, d, 1, |y_hat, y, d| {
                        Reference.squared_error(y_hat, y, scale, d)
                    })
                })
            }

            fn momentum_step(&self, lr: $t, beta: $t, g: &[$t], v: &mut [$t], w: &mut [$t]) {
                self.run(|| {
                    chunks::update2(g, v, w, |g, v, w| {
                        Reference.momentum_step(lr, beta, g, v, w)
                    })
                })
            }

            fn rmsprop_step(
                &self,
                lr: $t,
                beta: $t,
                epsilon: $t,
                g: &[$t],
                s: &mut [$t],
                w: &mut [$t],
            ) {
                self.run(|| {
                    chunks::update2(g, s, w, |g, s, w| {
                        Reference.rmsprop_step(lr, beta, epsilon, g, s, w)
                    })
                })
            }

            fn adam_step(
                &self,
                p: AdamStep<$t>,
                g: &[$t],
                m: &mut [$t],
                v: &mut [$t],
                w: &mut [$t],
            ) {
                self.run(|| {
                    chunks::update3(g, m, v, w, |g, m, v, w| Reference.adam_step(p, g, m, v, w))
                })
            }
        }
    };
}

impl_backend!(f32);
impl_backend!(f64);
