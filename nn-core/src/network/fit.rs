//! `fit`: mini-batch training with shuffling, learning-rate decay, L2, stopping rules, a
//! validation split, a history, and an observer that sees every step.

use std::borrow::Cow;

use serde::{Deserialize, Serialize};

use super::TrainingSet;
use crate::error::{shape_str, Error, Result};
use crate::optim::{Decay, Optimizer, OptimizerState};
use crate::{Float, Network, Rng, Tensor};

/// Early stopping on the validation cost.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct EarlyStopping {
    /// Epochs without an improvement of more than `min_delta` before stopping.
    pub patience: usize,
    /// The smallest decrease of the validation cost that counts as an improvement.
    pub min_delta: f64,
    /// Whether to put back the weights of the best epoch when early stopping, or the observer
    /// (an interrupted run), ends the run (the optimiser state stays that of the last step).
    pub restore_best: bool,
}

/// How to train. Start from [`FitConfig::new`] and chain the settings.
#[derive(Clone, Debug, PartialEq)]
pub struct FitConfig {
    /// The update rule and its base learning rate.
    pub optimizer: Optimizer,
    /// Learning-rate decay per epoch.
    pub decay: Decay,
    /// The number of passes over the training set.
    pub epochs: usize,
    /// Stop after this many optimisation steps (iterations), whatever the epoch.
    pub max_steps: Option<u64>,
    /// Examples per step; `None` is the whole set (batch gradient descent), `Some(1)` is
    /// stochastic gradient descent.
    pub batch_size: Option<usize>,
    /// Shuffle the examples at the start of each epoch (mini-batches only).
    pub shuffle: bool,
    /// L2 strength λ: the cost gets `λ/(2m)·Σ‖W‖²`, each `dW` gets `(λ/m)·W`, with `m` the
    /// batch size (as in the course's full-batch code): with mini-batches the same λ decays the
    /// weights `m_set/m_batch` times more per epoch.
    pub l2: f64,
    /// L1 strength λ₁: the cost gets `(λ₁/m)·Σ|W|`, each `dW` gets `(λ₁/m)·sign(W)` (0 where
    /// `W = 0`), with `m` the batch size as for [`l2`](FitConfig::l2). It pushes every weight
    /// toward zero by the same amount, so weights the data do not need end up near zero (the
    /// TensorFlow playground's L1).
    pub l1: f64,
    /// Stop when the gradient norm `‖dw‖` falls to this or below.
    pub min_grad_norm: Option<f64>,
    /// Stop when the epoch cost changes by this or less.
    pub min_cost_change: Option<f64>,
    /// Stop when the validation cost stops improving.
    pub early_stopping: Option<EarlyStopping>,
    /// Hold out this fraction of the training set (chosen with the generator) for validation.
    /// The split is drawn at each `fit`; to resume on the same split, pass validation data.
    pub validation_split: Option<f64>,
}

impl FitConfig {
    /// One epoch of full-batch training with `optimizer`, nothing else.
    pub fn new(optimizer: Optimizer) -> Self {
        FitConfig {
            optimizer,
            decay: Decay::Constant,
            epochs: 1,
            max_steps: None,
            batch_size: None,
            shuffle: true,
            l2: 0.0,
            l1: 0.0,
            min_grad_norm: None,
            min_cost_change: None,
            early_stopping: None,
            validation_split: None,
        }
    }
    /// Passes over the training set.
    pub fn epochs(mut self, epochs: usize) -> Self {
        self.epochs = epochs;
        self
    }
    /// Exactly `n` optimisation steps, however many epochs that takes (the course's
    /// "num_iterations").
    pub fn iterations(mut self, n: u64) -> Self {
        self.max_steps = Some(n);
        self.epochs = usize::MAX;
        self
    }
    /// Examples per step.
    pub fn batch_size(mut self, n: usize) -> Self {
        self.batch_size = Some(n);
        self
    }
    /// Whether to shuffle each epoch.
    pub fn shuffle(mut self, shuffle: bool) -> Self {
        self.shuffle = shuffle;
        self
    }
    /// Learning-rate decay.
    pub fn decay(mut self, decay: Decay) -> Self {
        self.decay = decay;
        self
    }
    /// L2 regularisation strength λ.
    pub fn l2(mut self, lambda: f64) -> Self {
        self.l2 = lambda;
        self
    }
    /// L1 regularisation strength λ₁ (see [`FitConfig::l1`]).
    pub fn l1(mut self, lambda: f64) -> Self {
        self.l1 = lambda;
        self
    }
    /// Stop when `‖dw‖ ≤ epsilon`.
    pub fn min_grad_norm(mut self, epsilon: f64) -> Self {
        self.min_grad_norm = Some(epsilon);
        self
    }
    /// Stop when the epoch cost changes by `tolerance` or less.
    pub fn min_cost_change(mut self, tolerance: f64) -> Self {
        self.min_cost_change = Some(tolerance);
        self
    }
    /// Early stopping with `patience` epochs, keeping the best weights.
    pub fn early_stopping(mut self, patience: usize) -> Self {
        self.early_stopping = Some(EarlyStopping {
            patience,
            min_delta: 0.0,
            restore_best: true,
        });
        self
    }
    /// Hold out `fraction` of the training set for validation.
    pub fn validation_split(mut self, fraction: f64) -> Self {
        self.validation_split = Some(fraction);
        self
    }

    /// Refuses settings that cannot train, saying which.
    pub fn validate(&self) -> Result<()> {
        self.optimizer.validate()?;
        self.decay.validate()?;
        let bad = |s: String| Err(Error::Config(s));
        if self.epochs == 0 || self.max_steps == Some(0) {
            return bad("epochs and iterations must be at least 1".into());
        }
        if self.batch_size == Some(0) {
            return bad("batch size must be at least 1".into());
        }
        if !(self.l2 >= 0.0 && self.l2.is_finite()) {
            return bad(format!("L2 strength must be ≥ 0, got {}", self.l2));
        }
        if !(self.l1 >= 0.0 && self.l1.is_finite()) {
            return bad(format!("L1 strength must be ≥ 0, got {}", self.l1));
        }
        if let Some(f) = self.validation_split {
            if !(f > 0.0 && f < 1.0) {
                return bad(format!("validation split must be in (0, 1), got {f}"));
            }
        }
        let non_negative = |x: Option<f64>| x.is_none_or(|v| v >= 0.0 && v.is_finite());
        if !non_negative(self.min_grad_norm)
            || !non_negative(self.min_cost_change)
            || !non_negative(self.early_stopping.map(|e| e.min_delta))
        {
            return bad("stopping thresholds (gradient norm, cost change, min_delta) must be finite and ≥ 0".into());
        }
        if let Some(es) = self.early_stopping {
            if es.patience == 0 {
                return bad("early stopping needs a patience of at least 1 epoch".into());
            }
        }
        Ok(())
    }
}

/// What the observer may answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Control {
    /// Go on training.
    Continue,
    /// Stop after this step (the network keeps what it has learnt).
    Stop,
}

/// One optimisation step, as the observer sees it.
#[derive(Clone, Copy, Debug)]
pub struct StepInfo {
    /// 0-based epoch.
    pub epoch: usize,
    /// 0-based batch within the epoch.
    pub batch: usize,
    /// Batches per epoch.
    pub batches: usize,
    /// 1-based step count of this `fit`.
    pub step: u64,
    /// The batch cost (with the L2 term).
    pub cost: f64,
    /// `‖dw‖` over all parameters.
    pub grad_norm: f64,
    /// The learning rate used.
    pub lr: f64,
}

/// Sees training as it happens (a progress bar, a log, a Ctrl-C flag).
pub trait Observer {
    /// After each step.
    fn on_step(&mut self, _step: &StepInfo) -> Control {
        Control::Continue
    }
    /// After each epoch.
    fn on_epoch(&mut self, _epoch: &EpochRecord) -> Control {
        Control::Continue
    }
}

/// The observer that watches nothing.
impl Observer for () {}

/// The figures of one epoch.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct EpochRecord {
    /// 0-based epoch.
    pub epoch: usize,
    /// Steps made in this `fit` so far.
    pub steps: u64,
    /// Mean training cost over the epoch's batches (weighted by batch size, with the L2 term).
    pub cost: f64,
    /// Training accuracy over the epoch's batches (classification losses).
    pub accuracy: Option<f64>,
    /// Validation cost after the epoch.
    pub val_cost: Option<f64>,
    /// Validation accuracy after the epoch.
    pub val_accuracy: Option<f64>,
    /// The learning rate of the epoch.
    pub lr: f64,
    /// `‖dw‖` at the epoch's last step.
    pub grad_norm: f64,
}

/// Why training stopped.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub enum StopReason {
    /// All epochs ran.
    Completed,
    /// The step limit was reached.
    MaxSteps,
    /// `‖dw‖` fell to the threshold.
    GradientNorm(f64),
    /// The epoch cost changed by no more than the tolerance.
    CostChange(f64),
    /// The validation cost stopped improving; the best epoch is given.
    EarlyStopping {
        /// The epoch with the lowest validation cost.
        best_epoch: usize,
    },
    /// The observer asked to stop.
    Observer,
}

/// What `fit` saw.
#[derive(Clone, Debug, PartialEq)]
pub struct History {
    /// The cost of every step.
    pub step_costs: Vec<f64>,
    /// Per-epoch figures.
    pub epochs: Vec<EpochRecord>,
    /// Why it stopped.
    pub stop: StopReason,
}

impl History {
    /// The last step's cost.
    pub fn final_cost(&self) -> f64 {
        self.step_costs.last().copied().unwrap_or(f64::NAN)
    }
}

/// How a network was last trained (saved in model files; shown by `nn info`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TrainingSummary {
    /// The optimiser.
    pub optimizer: Optimizer,
    /// The decay.
    pub decay: Decay,
    /// Examples per step.
    pub batch_size: usize,
    /// Training examples (after any validation split).
    pub examples: usize,
    /// L2 strength.
    pub l2: f64,
    /// Epochs run in the last `fit`.
    pub epochs: usize,
    /// Total optimisation steps, over every `fit`.
    pub steps: u64,
    /// The last step's cost.
    pub final_cost: f64,
    /// Why the last `fit` stopped.
    pub stop: StopReason,
}

/// Refuses NaN and infinite values, naming the example and the position in it.
fn check_finite<T: Float>(what: &str, x: &Tensor<T>) -> Result<()> {
    match x.data().iter().position(|v| !v.is_finite()) {
        None => Ok(()),
        Some(i) => {
            let n = x.row_len().max(1);
            Err(Error::Input(format!(
                "{what}: example {}, value {} is {}",
                i / n,
                i % n,
                x.data()[i]
            )))
        }
    }
}

impl<T: Float> Network<T> {
    /// Trains on `x` (`(m, input_shape…)`) and targets `y` (see [`crate::Loss`]) as `config`
    /// says, drawing every random choice from `rng`.
    pub fn fit(
        &mut self,
        x: &Tensor<T>,
        y: &Tensor<T>,
        config: &FitConfig,
        rng: &mut Rng,
    ) -> Result<History> {
        self.fit_with(x, y, None, config, rng, &mut ())
    }

    /// [`fit`](Network::fit) with explicit validation data and an observer.
    pub fn fit_with(
        &mut self,
        x: &Tensor<T>,
        y: &Tensor<T>,
        validation: Option<(&Tensor<T>, &Tensor<T>)>,
        config: &FitConfig,
        rng: &mut Rng,
        observer: &mut dyn Observer,
    ) -> Result<History> {
        let set = TrainingSet {
            validation,
            ..TrainingSet::new(x, y)
        };
        self.train_on(set, config, rng, observer)
    }

    /// Trains on `set` (examples, targets, validation data, augmentation) as `config` says,
    /// drawing every random choice (shuffles, augmentation, dropout) from `rng`; `observer`
    /// sees every step and epoch.
    pub fn train_on(
        &mut self,
        set: TrainingSet<'_, T>,
        config: &FitConfig,
        rng: &mut Rng,
        observer: &mut dyn Observer,
    ) -> Result<History> {
        let TrainingSet {
            x,
            y,
            validation,
            augment,
            after_epoch,
        } = set;
        config.validate()?;
        self.check_batch("fit", x)?;
        if x.rows() != y.rows() {
            return Err(Error::shape(
                "Network.fit",
                format!(
                    "x {} has {} examples but y {} has {}",
                    shape_str(x.shape()),
                    x.rows(),
                    shape_str(y.shape()),
                    y.rows()
                ),
            ));
        }
        if x.rows() == 0 {
            return Err(Error::Config("no training examples".into()));
        }
        check_finite("x", x)?;
        let targets = self.loss.prepare_targets(y, self.outputs())?;
        let (train_x, train_y, val) = self.split_validation(x, targets, validation, config, rng)?;
        if config.early_stopping.is_some() && val.is_none() {
            return Err(Error::Config(
                "early stopping needs validation data or a validation split".into(),
            ));
        }

        let steps_before = self.training.as_ref().map_or(0, |t| t.steps);
        let sizes = self.param_sizes();
        let mut state = match self.optimizer.take() {
            Some(s) if s.fits(&config.optimizer, &sizes) => s,
            _ => OptimizerState::new(config.optimizer, &sizes),
        };
        let result = self.train(
            (&train_x, &train_y, augment),
            (val.as_ref(), after_epoch),
            config,
            rng,
            observer,
            &mut state,
        );
        self.optimizer = Some(state);
        for layer in &mut self.layers {
            layer.release_buffers();
        }
        self.release_parts();
        let history = result?;
        self.training = Some(TrainingSummary {
            optimizer: config.optimizer,
            decay: config.decay,
            batch_size: config
                .batch_size
                .unwrap_or(train_x.rows())
                .min(train_x.rows()),
            examples: train_x.rows(),
            l2: config.l2,
            epochs: history.epochs.len(),
            steps: steps_before + history.step_costs.len() as u64,
            final_cost: history.final_cost(),
            stop: history.stop,
        });
        Ok(history)
    }

    /// The training set and the validation set (prepared targets), as the configuration says.
    #[allow(clippy::type_complexity)]
    fn split_validation<'a>(
        &self,
        x: &'a Tensor<T>,
        y: Tensor<T>,
        validation: Option<(&'a Tensor<T>, &Tensor<T>)>,
        config: &FitConfig,
        rng: &mut Rng,
    ) -> Result<(
        Cow<'a, Tensor<T>>,
        Tensor<T>,
        Option<(Cow<'a, Tensor<T>>, Tensor<T>)>,
    )> {
        match (validation, config.validation_split) {
            (Some(_), Some(_)) => Err(Error::Config(
                "give validation data or a validation split, not both".into(),
            )),
            (Some((xv, yv)), None) => {
                self.check_batch("fit (validation)", xv)?;
                if xv.rows() == 0 {
                    return Err(Error::Config("the validation data has no example".into()));
                }
                check_finite("validation x", xv)?;
                if xv.rows() != yv.rows() {
                    return Err(Error::shape(
                        "Network.fit (validation)",
                        format!("x has {} examples but y has {}", xv.rows(), yv.rows()),
                    ));
                }
                let yv = self.loss.prepare_targets(yv, self.outputs())?;
                Ok((Cow::Borrowed(x), y, Some((Cow::Borrowed(xv), yv))))
            }
            (None, Some(fraction)) => {
                let m = x.rows();
                let n_val = ((m as f64 * fraction).round() as usize).max(1);
                if n_val >= m {
                    return Err(Error::Config(format!(
                        "a validation split of {fraction} leaves no training example out of {m}"
                    )));
                }
                let order = rng.permutation(m);
                let (val, train) = order.split_at(n_val);
                let val = (Cow::Owned(x.gather_rows(val)), y.gather_rows(val));
                Ok((
                    Cow::Owned(x.gather_rows(train)),
                    y.gather_rows(train),
                    Some(val),
                ))
            }
            (None, None) => Ok((Cow::Borrowed(x), y, None)),
        }
    }
}
