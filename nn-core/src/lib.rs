//! # nn-core
//!
//! The algorithms of an introductory deep-learning course as a library: tensors, backends,
//! layers with explicit forward and backward passes, losses, initialisers, optimisers, the
//! training loop, gradient checking, and model files.
//!
//! Conventions (see the workspace README): batch first, so `m` examples of `n` features are a
//! `(m, n)` [`Tensor`]; dense weights keep the course's shape `W: (n_out, n_in)`, so the
//! course's `Z = W·A + b` reads `Z = A·Wᵀ + b` here; losses take logits and fuse the output
//! function, so `dZ = A − Y`; every random choice comes from the caller's seeded [`Rng`].
//!
//! Logistic regression as a neural network, trained by batch gradient descent:
//!
//! ```
//! use nn_core::{FitConfig, Init, Loss, Network, Optimizer, Reference, Rng, Tensor};
//! // Four points, labelled by whether x₀ + x₁ > 1.
//! let x = Tensor::from_rows(&[vec![0.0f32, 0.0], vec![1.0, 1.0], vec![0.2, 0.3], vec![0.9, 0.8]])?;
//! let y = Tensor::from_vec(&[4, 1], vec![0.0, 1.0, 0.0, 1.0])?;
//! let mut rng = Rng::seed(0);
//! let mut net = Network::builder(&[2])
//!     .dense_init(1, Init::Zeros)
//!     .loss(Loss::BinaryCrossEntropy)
//!     .build(Reference, &mut rng)?;
//! net.fit(&x, &y, &FitConfig::new(Optimizer::gradient_descent(1.0)).iterations(500), &mut rng)?;
//! assert_eq!(net.predict(&x)?, vec![0, 1, 0, 1]);
//! # Ok::<(), nn_core::Error>(())
//! ```
pub mod backend;
mod error;
mod float;
mod init;
pub mod layer;
mod loss;
mod network;
pub mod optim;
pub mod persist;
mod rng;
mod tensor;
pub mod torch;

pub use backend::{Activation, Backend, IntoBackend, Reference, Transpose};
pub use error::{shape_str, Error, Result};
pub use float::Float;
pub use init::Init;
pub use loss::Loss;
pub use network::*;
pub use optim::{Decay, Optimizer};
pub use rng::Rng;
pub use tensor::Tensor;
