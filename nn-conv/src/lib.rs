//! # nn-conv
//!
//! Convolutional networks over image volumes `(m, h, w, c)`, channels last as the course and
//! the image files lay them out: [`Conv2d`], [`MaxPool2d`], [`AvgPool2d`] and [`Flatten`],
//! layers of `nn-core` that go in the same network as dense layers and train on any backend
//! (convolution and pooling are operations of the backend's window family, which chooses how
//! to compute them). This crate does not depend on `nn-simd`; pass `Simd` to `build` for speed.
//!
//! ```
//! use nn_conv::{ConvLayers, Padding};
//! use nn_core::{Init, Loss, Network, Reference, Rng};
//!
//! let mut rng = Rng::seed(0);
//! // conv 3×3 3→8 "same", ReLU, max-pool 2; flatten; dense 2 (logits for softmax + CE).
//! let net = Network::<f32>::builder(&[64, 64, 3])
//!     .init(Init::He)
//!     .conv2d(8, 3, Padding::Same)
//!     .relu()
//!     .max_pool(2)
//!     .flatten()
//!     .dense(2)
//!     .loss(Loss::CategoricalCrossEntropy)
//!     .build(Reference, &mut rng)?;
//! assert_eq!(net.parameter_count(), 3 * 3 * 3 * 8 + 8 + 32 * 32 * 8 * 2 + 2);
//! # Ok::<(), nn_core::Error>(())
//! ```
//!
//! Model files of networks with these layers load with [`registry`] (the core layers and
//! these): `Network::load_with(path, backend, &nn_conv::registry())`. The [`presets`] are the
//! named architectures of the `nn` command and the benchmarks (`logistic`, `mlp:…`, `cnn`).

mod conv2d;
mod flatten;
mod pool;
pub mod presets;
mod size;

pub use conv2d::{Conv2d, Conv2dConfig, Padding};
pub use flatten::{Flatten, FlattenConfig};
pub use pool::{
    Avg, AvgPool2d, AvgPoolConfig, Max, MaxPool2d, MaxPoolConfig, Pool2d, PoolConfig, PoolKind,
};

use nn_core::layer::LayerRegistry;
use nn_core::{Error, Float, NetworkBuilder};

/// Adds this crate's layer kinds to `registry`.
pub fn register(registry: &mut LayerRegistry) {
    registry.register::<Conv2dConfig>();
    registry.register::<MaxPoolConfig>();
    registry.register::<AvgPoolConfig>();
    registry.register::<FlattenConfig>();
}

/// The core layer kinds and this crate's, for loading model files and model descriptions.
pub fn registry() -> LayerRegistry {
    let mut r = LayerRegistry::core();
    register(&mut r);
    r
}

/// The volume `[h, w, c]` a layer receives, or a configuration error naming the layer.
fn volume(layer: &str, shape: &[usize]) -> nn_core::Result<[usize; 3]> {
    match shape {
        &[h, w, c] => Ok([h, w, c]),
        _ => Err(Error::Config(format!(
            "{layer} needs (h, w, c) image volumes, but the previous layer gives shape {shape:?}"
        ))),
    }
}

/// Convolution layers for [`NetworkBuilder`]: `use nn_conv::ConvLayers;` then
/// `builder.conv2d(…).relu().max_pool(2).flatten().dense(…)`.
pub trait ConvLayers: Sized {
    /// `filters` square `k × k` filters at stride 1 with `padding`, weights from the
    /// builder's initialiser (He or Xavier by fan-in `k·k·c`).
    fn conv2d(self, filters: usize, k: usize, padding: Padding) -> Self {
        self.conv2d_with(Conv2dConfig::new(filters, k, padding))
    }

    /// A convolution of any kernel, stride and padding.
    fn conv2d_with(self, config: Conv2dConfig) -> Self;

    /// Max pooling with a `k × k` window at stride `k` (PyTorch's `MaxPool2d(k)`).
    fn max_pool(self, k: usize) -> Self {
        self.max_pool_with([k, k], [k, k])
    }

    /// Max pooling with any window and stride (h, w).
    fn max_pool_with(self, window: [usize; 2], stride: [usize; 2]) -> Self;

    /// Average pooling with a `k × k` window at stride `k`.
    fn avg_pool(self, k: usize) -> Self {
        self.avg_pool_with([k, k], [k, k])
    }

    /// Average pooling with any window and stride (h, w).
    fn avg_pool_with(self, window: [usize; 2], stride: [usize; 2]) -> Self;

    /// Flattens `(h, w, c)` volumes to rows, keeping that order.
    fn flatten(self) -> Self;
}

impl<T: Float> ConvLayers for NetworkBuilder<T> {
    fn conv2d_with(self, config: Conv2dConfig) -> Self {
        self.layer(config)
    }

    fn max_pool_with(self, window: [usize; 2], stride: [usize; 2]) -> Self {
        self.layer(MaxPoolConfig::with(window, stride))
    }

    fn avg_pool_with(self, window: [usize; 2], stride: [usize; 2]) -> Self {
        self.layer(AvgPoolConfig::with(window, stride))
    }

    fn flatten(self) -> Self {
        self.layer(FlattenConfig {})
    }
}
