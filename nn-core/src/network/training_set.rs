//! What `fit` trains on: the examples, their targets, optional validation data, and an optional
//! augmentation applied to each training mini-batch.

use super::EpochRecord;
use crate::error::Result;
use crate::{Float, Network, Rng, Tensor};

/// A random transformation of training mini-batches (flips, crops, colour jitter, …), applied
/// after the batch is gathered and before the forward pass, never in evaluation.
///
/// It draws only from `rng` (the caller's generator, the one `fit` shuffles with), so the same
/// seed gives the same augmented batches whatever the number of threads. nn-data's
/// `Augmentation` implements it for image batches `(m, h, w, c)`.
pub trait Augment<T: Float>: Send + Sync {
    /// Transforms `batch` (`(m, input_shape…)`) in place.
    fn augment(&self, batch: &mut Tensor<T>, rng: &mut Rng) -> Result<()>;
}

/// Called after each epoch with the network as it then is (parameters, running statistics,
/// and the optimiser's state) and the generator's state: what a checkpoint needs to resume the
/// run exactly. An error ends training with that error.
pub trait EpochHook<T: Float> {
    /// After epoch `record.epoch`.
    fn after_epoch(&self, net: &Network<T>, record: &EpochRecord, rng: &Rng) -> Result<()>;
}

/// The data of one `fit`: `x` (`(m, input_shape…)`) and targets `y` (see [`crate::Loss`]),
/// with optional validation data and augmentation. Built by [`TrainingSet::new`] and chained
/// settings; see [`Network::train_on`](crate::Network::train_on).
#[derive(Clone, Copy)]
pub struct TrainingSet<'a, T: Float> {
    /// The training examples.
    pub x: &'a Tensor<T>,
    /// Their targets.
    pub y: &'a Tensor<T>,
    /// Validation examples and targets, evaluated after each epoch.
    pub validation: Option<(&'a Tensor<T>, &'a Tensor<T>)>,
    /// Applied to each training mini-batch.
    pub augment: Option<&'a dyn Augment<T>>,
    /// Called after each epoch.
    pub after_epoch: Option<&'a dyn EpochHook<T>>,
}

impl<'a, T: Float> TrainingSet<'a, T> {
    /// Examples `x` and targets `y`, no validation data, no augmentation.
    pub fn new(x: &'a Tensor<T>, y: &'a Tensor<T>) -> Self {
        TrainingSet {
            x,
            y,
            validation: None,
            augment: None,
            after_epoch: None,
        }
    }

    /// Validates on `(x, y)` after each epoch.
    pub fn validation(mut self, x: &'a Tensor<T>, y: &'a Tensor<T>) -> Self {
        self.validation = Some((x, y));
        self
    }

    /// Calls `hook` after each epoch (checkpoints).
    pub fn after_epoch(mut self, hook: &'a dyn EpochHook<T>) -> Self {
        self.after_epoch = Some(hook);
        self
    }

    /// Augments each training mini-batch with `augment`.
    pub fn augment(mut self, augment: &'a dyn Augment<T>) -> Self {
        self.augment = Some(augment);
        self
    }
}
