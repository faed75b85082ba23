//! The compute kernels. Layers, losses and optimisers never loop over data themselves: every
//! inner loop is a method of a [`Backend`], grouped in families:
//!
//! | family | trait | kernels |
//! | --- | --- | --- |
//! | products | [`Products`] | `gemm`, described by a [`Gemm`] (shapes, transposes, α, β) |
//! | element-wise | [`Elementwise`] | activations and derivatives, bias add, column sums, softmax rows, `axpy`, … |
//! | losses | [`Losses`] | cross-entropies from logits, squared error (cost and `dZ`) |
//! | normalisation | [`Normalization`] | per-channel moments, affine maps and gradient sums of batch norm |
//! | optimiser updates | [`Updates`] | momentum, RMSprop, Adam, AdamW |
//! | windows | [`Windows`] | convolution and pooling over one [`Window`] geometry, forward and backward |
//!
//! Every method's default body is the plain reference loop (the course's "for loop"
//! version), so [`Reference`] overrides nothing and a faster backend overrides only what it
//! makes faster; every override is tested against the default. A backend implements the six
//! families and [`Backend`] (its name); a network holds it as `Arc<dyn Backend<T>>` (see
//! [`IntoBackend`]).
//!
//! All matrices are row-major slices. Costs and other reductions are returned as `f64`.
//! Implementations must be deterministic: the same inputs give bit-identical outputs,
//! whatever the number of threads.

pub mod elementwise;
pub mod losses;
pub mod normalization;
pub mod products;
mod reference;
pub mod updates;
pub mod window;
pub mod windows;

pub use elementwise::Elementwise;
pub use losses::Losses;
pub use normalization::{ChannelCoefficients, Normalization};
pub use products::{Gemm, Products};
pub use reference::{DirectReference, Reference};
pub use updates::{AdamStep, Updates};
pub use window::Window;
pub use windows::{ConvAlgorithm, ConvGrads, ConvWorkspace, Windows};

/// The backend trait and its families, for code that calls kernels on a concrete backend
/// (`use nn_core::backend::prelude::*;` then `Simd::new().gemm(…)`).
pub mod prelude {
    pub use super::{
        Backend, Elementwise, Gemm, Losses, Normalization, Products, Updates, Windows,
    };
}

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::Float;

/// Whether a matrix operand of a [`Gemm`] is used as stored or transposed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Transpose {
    /// Use the matrix as stored.
    No,
    /// Use its transpose.
    Yes,
}

/// An element-wise activation function `a = g(z)`.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub enum Activation {
    /// `σ(z) = 1 / (1 + e⁻ᶻ)`; `g'(z) = a(1 − a)`.
    Sigmoid,
    /// `tanh(z)`; `g'(z) = 1 − a²`.
    Tanh,
    /// `max(0, z)`; `g'(z) = 1 if z > 0 else 0`.
    Relu,
    /// `z if z > 0 else slope·z`; `g'(z) = 1 if z > 0 else slope`.
    LeakyRelu {
        /// The slope for negative inputs (0.01 is usual).
        slope: f64,
    },
    /// `z`; `g'(z) = 1`.
    Identity,
}

/// A complete backend: the six kernel families and a name.
pub trait Backend<T: Float>:
    Products<T> + Elementwise<T> + Losses<T> + Normalization<T> + Updates<T> + Windows<T> + Send + Sync
{
    /// A short name (`"reference"`, `"simd"`).
    fn name(&self) -> &'static str;

    /// How many of [`run_jobs`](Backend::run_jobs)'s jobs may run at once (1 by default).
    fn workers(&self) -> usize {
        1
    }

    /// Runs `job(0)` … `job(jobs − 1)`, possibly several at once on different threads (the
    /// default runs them in order on the caller's thread). Each job writes only what it owns,
    /// so the results do not depend on how many run at once.
    fn run_jobs(&self, jobs: usize, job: &(dyn Fn(usize) + Sync)) {
        (0..jobs).for_each(job);
    }

    /// Runs `work` on one of the backend's own threads, so that the kernels it calls start
    /// there instead of each handing its work over to them and waiting (the default runs it
    /// on the caller's thread). A training step and an inference pass run this way: one
    /// hand-over per step instead of one per kernel. An implementation must call `work`
    /// exactly once before it returns (and let a panic in it propagate).
    fn enter(&self, work: &mut (dyn FnMut() + Send)) {
        work();
    }
}

/// `work()` run by [`Backend::enter`] on `backend`'s threads, with its result.
pub(crate) fn entered<T: Float, R: Send>(
    backend: &dyn Backend<T>,
    work: impl FnOnce() -> R + Send,
) -> R {
    let mut work = Some(work);
    let mut result = None;
    backend.enter(&mut || {
        if let Some(w) = work.take() {
            result = Some(w());
        }
    });
    result.expect("Backend::enter must call its work once")
}

/// A backend value or an already shared one: what [`Network`](crate::Network) and its builder
/// accept, so that `build(Reference, …)` and `build(shared.clone(), …)` (an
/// `Arc<dyn Backend<T>>` chosen at run time) both work.
pub trait IntoBackend<T: Float> {
    /// The backend, shared.
    fn into_backend(self) -> Arc<dyn Backend<T>>;
}

impl<T: Float, B: Backend<T> + 'static> IntoBackend<T> for B {
    fn into_backend(self) -> Arc<dyn Backend<T>> {
        Arc::new(self)
    }
}

// One impl per element type (not generic over `T`, which would overlap the one above).
impl IntoBackend<f32> for Arc<dyn Backend<f32>> {
    fn into_backend(self) -> Arc<dyn Backend<f32>> {
        self
    }
}

impl IntoBackend<f64> for Arc<dyn Backend<f64>> {
    fn into_backend(self) -> Arc<dyn Backend<f64>> {
        self
    }
}
