//! # nn-simd
//!
//! `Simd`, the fast CPU backend: a drop-in replacement for `nn_core::Reference` (change one
//! value) whose results agree with it within stated tolerances and are bit-identical whatever
//! the number of threads.
//!
//! - Matrix multiply: `faer`, cut into a fixed partition of output blocks computed in parallel
//!   by `rayon` (see `gemm.rs` in the source).
//! - Element-wise kernels (activations and their derivatives, `exp`, softmax rows, bias add,
//!   column sums, products, `axpy`, sums of squares, the momentum, RMSprop and Adam updates):
//!   written once with `pulp` for `f32` and `f64`, dispatched at run time to the best
//!   instruction set (AVX2+FMA here), and run over fixed-size chunks in parallel. `exp`, and
//!   with it sigmoid, tanh and softmax, is a polynomial of ours, accurate to 2 ulp (see
//!   `lanes.rs`).
//! - Loss kernels and the softmax Jacobian run the reference loop per chunk: they only ever see
//!   the output layer, `m × classes` values, a negligible share of a step.
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
mod chunks;
mod gemm;
mod gemv;
mod kernels;
mod lanes;
mod normalization;
mod ops;
mod windows;

use std::sync::Arc;

use rayon::iter::{IntoParallelIterator, ParallelIterator};

use nn_core::backend::{
    elementwise, losses, AdamStep, ChannelCoefficients, ConvAlgorithm, Elementwise, Gemm, Losses,
    Normalization, Products, Updates, Window, Windows,
};
use nn_core::{Activation, Backend};

/// The fast CPU backend. Threads come from rayon: the global pool (which honours
/// `RAYON_NUM_THREADS`) or a pool of its own from [`Simd::with_threads`].
#[derive(Clone)]
pub struct Simd {
    pool: Option<Arc<rayon::ThreadPool>>,
    arch: pulp::Arch,
    conv: Option<ConvAlgorithm>,
}

impl Default for Simd {
    fn default() -> Self {
        Simd::new()
    }
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
        Simd {
            pool: None,
            arch: pulp::Arch::new(),
            conv: None,
        }
    }

    /// The backend on a pool of its own with `threads` threads (at least 1).
    pub fn with_threads(threads: usize) -> Result<Self, rayon::ThreadPoolBuildError> {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads.max(1))
            .build()?;
        Ok(Simd {
            pool: Some(Arc::new(pool)),
            arch: pulp::Arch::new(),
            conv: None,
        })
    }

    /// The same backend, always convolving with `algorithm` instead of choosing by the
    /// number of channels (to compare the two, or to test both).
    pub fn with_conv_algorithm(mut self, algorithm: ConvAlgorithm) -> Self {
        self.conv = Some(algorithm);
        self
    }

    /// The number of threads kernels may use.
    pub fn threads(&self) -> usize {
        self.pool
            .as_ref()
            .map_or_else(rayon::current_num_threads, |p| p.current_num_threads())
    }

    /// `y = eˣ` element-wise, in `f32`: within 2 ulp of the correctly rounded result over the
    /// whole range (measured in the tests), +∞ above `ln(f32::MAX)`, 0 below `ln(2⁻¹⁵⁰)`, NaN
    /// for NaN.
    pub fn exp_f32(&self, x: &[f32], y: &mut [f32]) {
        self.run(x.len() > chunks::CHUNK, || ops::exp(self.arch, x, y))
    }

    /// `y = eˣ` element-wise, in `f64`.
    pub fn exp_f64(&self, x: &[f64], y: &mut [f64]) {
        self.run(x.len() > chunks::CHUNK, || ops::exp(self.arch, x, y))
    }

    /// Runs `work` on a thread of this backend's pool; there, every kernel's `install` is a
    /// plain call, and its parallel loops start on a worker instead of waking one and sleeping
    /// until it is done. For [`Simd::new`], on a worker of rayon's global pool, or inline when
    /// the caller already is a worker of some pool (where `Simd::new`'s kernels run too).
    fn enter_pool(&self, work: &mut (dyn FnMut() + Send)) {
        match &self.pool {
            Some(pool) => pool.install(work),
            None => rayon::scope(|_| work()),
        }
    }

    /// Runs `work` in this backend's pool when it is `parallel` (large enough to be split);
    /// small work runs on the caller's thread, sparing the hand-over to the pool.
    fn run<R: Send>(&self, parallel: bool, work: impl FnOnce() -> R + Send) -> R {
        match &self.pool {
            Some(pool) if parallel => pool.install(work),
            _ => work(),
        }
    }
}

/// Inputs with at most this many channels are convolved directly (each input value times its
/// row of the transposed filters) rather than through the column matrix, which would be
/// `k_h·k_w` times larger than the input: measured on this backend's kernels with the `cnn`
/// and `cnn-rgb` workloads (see the README's convolution section).
const DIRECT_MAX_CHANNELS: usize = 4;

macro_rules! impl_backend {
    ($t:ty) => {
        impl Backend<$t> for Simd {
            fn name(&self) -> &'static str {
                "simd"
            }

            fn workers(&self) -> usize {
                self.threads()
            }

            fn run_jobs(&self, jobs: usize, job: &(dyn Fn(usize) + Sync)) {
                self.run(jobs > 1, || (0..jobs).into_par_iter().for_each(job))
            }

            fn enter(&self, work: &mut (dyn FnMut() + Send)) {
                self.enter_pool(work)
            }
        }

        impl Products<$t> for Simd {
            fn gemm(&self, g: &Gemm<$t>, a: &[$t], b: &[$t], c: &mut [$t]) {
                self.run(gemm::splits(g.m, g.n, g.k), || gemm::gemm(g, a, b, c))
            }
        }

        impl Elementwise<$t> for Simd {
            fn add_row_vector(&self, z: &mut [$t], bias: &[$t]) {
                self.run(z.len() > chunks::CHUNK, || {
                    ops::add_row_vector(self.arch, z, bias)
                })
            }

            fn sum_rows(&self, x: &[$t], scale: $t, out: &mut [$t]) {
                self.run(x.len() > chunks::CHUNK, || {
                    ops::sum_rows(self.arch, x, scale, out)
                })
            }

            fn activate(&self, g: Activation, z: &[$t], a: &mut [$t]) {
                self.run(z.len() > chunks::CHUNK, || {
                    ops::activate(self.arch, g, z, a)
                })
            }

            fn activate_backward(
                &self,
                g: Activation,
                z: &[$t],
                a: &[$t],
                da: &[$t],
                dz: &mut [$t],
            ) {
                self.run(dz.len() > chunks::CHUNK, || {
                    ops::activate_backward(self.arch, g, z, a, da, dz)
                })
            }

            fn softmax_rows(&self, z: &[$t], cols: usize, a: &mut [$t]) {
                self.run(z.len() > chunks::CHUNK, || {
                    ops::softmax_rows(self.arch, z, cols, a)
                })
            }

            fn softmax_backward_rows(&self, a: &[$t], da: &[$t], cols: usize, dz: &mut [$t]) {
                self.run(dz.len() > chunks::CHUNK, || {
                    chunks::rows_map2(a, da, dz, cols, |a, da, dz| {
                        elementwise::softmax_backward_rows(a, da, cols, dz)
                    })
                })
            }

            fn mul(&self, x: &[$t], y: &[$t], out: &mut [$t]) {
                self.run(out.len() > chunks::CHUNK, || ops::mul(self.arch, x, y, out))
            }

            fn axpy(&self, alpha: $t, x: &[$t], y: &mut [$t]) {
                self.run(y.len() > chunks::CHUNK, || {
                    ops::axpy(self.arch, alpha, x, y)
                })
            }

            fn sum_squares(&self, x: &[$t]) -> f64 {
                self.run(x.len() > chunks::CHUNK, || ops::sum_squares(self.arch, x))
            }
        }

        impl Losses<$t> for Simd {
            fn bce_with_logits(&self, z: &[$t], y: &[$t], scale: $t, dz: &mut [$t]) -> f64 {
                self.run(dz.len() > chunks::CHUNK, || {
                    chunks::map2_sum(z, y, dz, 1, |z, y, dz| {
                        losses::bce_with_logits(z, y, scale, dz)
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
                self.run(dz.len() > chunks::CHUNK, || {
                    chunks::map2_sum(z, y, dz, cols, |z, y, dz| {
                        losses::softmax_cross_entropy(z, y, cols, scale, dz)
                    })
                })
            }

            fn squared_error(&self, y_hat: &[$t], y: &[$t], scale: $t, d: &mut [$t]) -> f64 {
                self.run(d.len() > chunks::CHUNK, || {
                    chunks::map2_sum(y_hat, y, d, 1, |y_hat, y, d| {
                        losses::squared_error(y_hat, y, scale, d)
                    })
                })
            }
        }

        impl Normalization<$t> for Simd {
            fn channel_moments(&self, x: &[$t], mean: &mut [f64], var: &mut [f64]) {
                self.run(x.len() > chunks::CHUNK, || {
                    normalization::channel_moments(self.arch, x, mean, var)
                })
            }

            fn channel_affine(&self, x: &[$t], scale: &[$t], shift: &[$t], y: &mut [$t]) {
                self.run(x.len() > chunks::CHUNK, || {
                    normalization::channel_affine(self.arch, x, scale, shift, y)
                })
            }

            fn channel_grad_sums(
                &self,
                dy: &[$t],
                x: &[$t],
                mean: &[f64],
                sum_dy: &mut [f64],
                sum_dy_xc: &mut [f64],
            ) {
                self.run(x.len() > chunks::CHUNK, || {
                    normalization::channel_grad_sums(self.arch, dy, x, mean, sum_dy, sum_dy_xc)
                })
            }

            fn channel_combine(
                &self,
                dy: &[$t],
                x: &[$t],
                k: ChannelCoefficients<'_, $t>,
                dx: &mut [$t],
            ) {
                self.run(x.len() > chunks::CHUNK, || {
                    normalization::channel_combine(self.arch, dy, x, k, dx)
                })
            }
        }

        impl Updates<$t> for Simd {
            fn momentum_step(&self, lr: $t, beta: $t, g: &[$t], v: &mut [$t], w: &mut [$t]) {
                self.run(w.len() > chunks::CHUNK, || {
                    ops::momentum(self.arch, lr, beta, g, v, w)
                })
            }

            fn nesterov_step(&self, lr: $t, mu: $t, g: &[$t], v: &mut [$t], w: &mut [$t]) {
                self.run(w.len() > chunks::CHUNK, || {
                    ops::nesterov(self.arch, lr, mu, g, v, w)
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
                self.run(w.len() > chunks::CHUNK, || {
                    ops::rmsprop(self.arch, lr, beta, epsilon, g, s, w)
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
                self.run(w.len() > chunks::CHUNK, || {
                    ops::adam(self.arch, p, g, m, v, w)
                })
            }
        }

        impl Windows<$t> for Simd {
            fn im2col(&self, g: &Window, x: &[$t], cols: &mut [$t]) {
                self.run(windows::large(g, g.patch_len()), || {
                    windows::im2col(g, x, cols)
                })
            }

            fn col2im(&self, g: &Window, cols: &[$t], dx: &mut [$t]) {
                self.run(windows::large(g, g.patch_len()), || {
                    windows::col2im(g, cols, dx)
                })
            }

            fn max_pool(&self, g: &Window, x: &[$t], y: &mut [$t], arg: &mut [u32]) {
                self.run(windows::large(g, g.channels), || {
                    if g.pad_top == 0 && g.pad_left == 0 {
                        windows::max_pool_fast(self.arch, g, x, y, arg)
                    } else {
                        windows::max_pool(g, x, y, arg)
                    }
                })
            }

            fn max_pool_backward(&self, g: &Window, dy: &[$t], arg: &[u32], dx: &mut [$t]) {
                self.run(windows::large(g, g.channels), || {
                    windows::max_pool_backward(g, dy, arg, dx)
                })
            }

            fn avg_pool(&self, g: &Window, x: &[$t], y: &mut [$t]) {
                self.run(windows::large(g, g.channels), || windows::avg_pool(g, x, y))
            }

            fn avg_pool_backward(&self, g: &Window, dy: &[$t], dx: &mut [$t]) {
                self.run(windows::large(g, g.channels), || {
                    windows::avg_pool_backward(g, dy, dx)
                })
            }

            fn conv_direct(&self, g: &Window, x: &[$t], w_t: &[$t], bias: &[$t], z: &mut [$t]) {
                self.run(windows::large(g, bias.len()), || {
                    windows::conv_direct(self.arch, g, x, w_t, bias, z)
                })
            }

            fn conv_direct_weight_grad(&self, g: &Window, x: &[$t], dz: &[$t], dw_t: &mut [$t]) {
                self.run(windows::large(g, g.patch_len()), || {
                    windows::conv_direct_weight_grad(self.arch, g, x, dz, dw_t)
                })
            }

            fn conv_algorithm(&self, g: &Window, _filters: usize) -> ConvAlgorithm {
                if let Some(pinned) = self.conv {
                    pinned
                } else if g.channels <= DIRECT_MAX_CHANNELS {
                    ConvAlgorithm::Direct
                } else {
                    ConvAlgorithm::Columns
                }
            }
        }
    };
}

impl_backend!(f32);
impl_backend!(f64);
