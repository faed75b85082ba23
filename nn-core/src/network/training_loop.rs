//! The training loop of `fit`: epochs of shuffled mini-batches, each step forward, cost,
//! backward, divergence check and update; after each epoch the validation cost, the stopping
//! rules and early stopping's bookkeeping.

use std::borrow::Cow;

use super::fit::{
    Control, EarlyStopping, EpochRecord, FitConfig, History, Observer, StepInfo, StopReason,
};
use super::{Augment, EpochHook};
use crate::backend::entered;
use crate::error::{Error, Result};
use crate::optim::OptimizerState;
use crate::{Float, Network, Rng, Tensor};

/// The examples of a run and how they are cut into mini-batches.
struct Batches<'a, T: Float> {
    x: &'a Tensor<T>,
    y: &'a Tensor<T>,
    augment: Option<&'a dyn Augment<T>>,
    /// Examples per step.
    size: usize,
    /// Steps per epoch.
    count: usize,
    /// This epoch's order of the examples.
    order: Vec<usize>,
    /// The current mini-batch, reused from step to step.
    xb: Tensor<T>,
    yb: Tensor<T>,
}

impl<'a, T: Float> Batches<'a, T> {
    fn new(
        (x, y, augment): (&'a Tensor<T>, &'a Tensor<T>, Option<&'a dyn Augment<T>>),
        size: Option<usize>,
    ) -> Self {
        let m = x.rows();
        let size = size.unwrap_or(m).min(m);
        Batches {
            x,
            y,
            augment,
            size,
            count: m.div_ceil(size.max(1)),
            order: (0..m).collect(),
            xb: Tensor::zeros(&[0]),
            yb: Tensor::zeros(&[0]),
        }
    }

    /// A new order, from the identity each time, so that an epoch's order depends only on the
    /// generator's state: a resumed run shuffles as an uninterrupted one.
    fn shuffle(&mut self, rng: &mut Rng) {
        if self.size < self.x.rows() {
            self.order.iter_mut().enumerate().for_each(|(i, o)| *o = i);
            rng.shuffle(&mut self.order);
        }
    }

    /// Mini-batch `b` of this epoch, augmented if the run augments (drawing from `rng`).
    fn get(&mut self, b: usize, rng: &mut Rng) -> Result<(&Tensor<T>, &Tensor<T>)> {
        let m = self.x.rows();
        if self.size == m && self.augment.is_none() {
            return Ok((self.x, self.y));
        }
        let rows = &self.order[b * self.size..((b + 1) * self.size).min(m)];
        self.x.gather_rows_into(rows, &mut self.xb);
        self.y.gather_rows_into(rows, &mut self.yb);
        if let Some(augment) = self.augment {
            augment.augment(&mut self.xb, rng)?;
            if self.xb.rows() != rows.len() {
                return Err(Error::shape(
                    "Network.fit (augmentation)",
                    format!(
                        "the augmentation turned a mini-batch of {} examples into {}; it must \
                         keep the examples and their order",
                        rows.len(),
                        self.xb.rows()
                    ),
                ));
            }
        }
        Ok((&self.xb, &self.yb))
    }
}

/// The validation examples and their prepared targets, if any.
type Validation<'a, T> = Option<&'a (Cow<'a, Tensor<T>>, Tensor<T>)>;

/// What the steps of one epoch gathered.
#[derive(Default)]
struct Tally {
    cost_sum: f64,
    seen: usize,
    correct: usize,
    counted: usize,
    grad_norm: f64,
    /// The learning rate of the last step.
    lr: f64,
    stop: Option<StopReason>,
}

/// Early stopping's bookkeeping: the best validation cost so far, its epoch, the weights then
/// (if they are to be restored), and the epochs since.
struct BestSoFar<T> {
    best: Option<(f64, usize, Vec<Vec<T>>)>,
    since: usize,
}

impl<T: Float> BestSoFar<T> {
    /// Records epoch `epoch`'s validation cost; the stopping reason once patience runs out.
    fn observe(
        &mut self,
        net: &Network<T>,
        es: EarlyStopping,
        cost: f64,
        epoch: usize,
    ) -> Option<StopReason> {
        if self
            .best
            .as_ref()
            .is_none_or(|(b, _, _)| cost < b - es.min_delta)
        {
            let snapshot = if es.restore_best {
                net.state().iter().map(|p| p.data().to_vec()).collect()
            } else {
                Vec::new()
            };
            self.best = Some((cost, epoch, snapshot));
            self.since = 0;
            return None;
        }
        self.since += 1;
        (self.since >= es.patience).then(|| StopReason::EarlyStopping {
            best_epoch: self.best.as_ref().map_or(epoch, |b| b.1),
        })
    }

    /// Like Keras's restore_best_weights, when early stopping ended the run, and also when
    /// the observer did (Ctrl-C): the best weights so far are what an interrupted run keeps.
    fn restore(self, net: &mut Network<T>, es: EarlyStopping, history: &History) {
        let Some((_, best_epoch, snapshot)) = self.best else {
            return;
        };
        let stopped_early = matches!(
            history.stop,
            StopReason::EarlyStopping { .. } | StopReason::Observer
        );
        if stopped_early && es.restore_best && best_epoch + 1 != history.epochs.len() {
            let mut saved = snapshot.into_iter();
            net.visit_state(&mut |t| {
                if let Some(v) = saved.next() {
                    t.data_mut().copy_from_slice(&v);
                }
            });
        }
    }
}

/// An error unless `value` is finite.
fn finite(value: f64, quantity: &'static str, step: u64) -> Result<()> {
    if value.is_finite() {
        Ok(())
    } else {
        Err(Error::Diverged {
            step,
            quantity,
            value,
        })
    }
}

impl<T: Float> Network<T> {
    /// The epochs of `fit` on prepared `(x, y)`, with the validation set `val` if any.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn train(
        &mut self,
        data: (&Tensor<T>, &Tensor<T>, Option<&dyn Augment<T>>),
        (val, after_epoch): (Validation<'_, T>, Option<&dyn EpochHook<T>>),
        config: &FitConfig,
        rng: &mut Rng,
        observer: &mut dyn Observer,
        state: &mut OptimizerState<T>,
    ) -> Result<History> {
        let mut batches = Batches::new(data, config.batch_size);
        let mut history = History {
            step_costs: Vec::new(),
            epochs: Vec::new(),
            stop: StopReason::Completed,
        };
        let mut steps = 0u64;
        let mut best = BestSoFar {
            best: None,
            since: 0,
        };
        // Decay continues from the epochs this optimiser state has already seen (a resumed run).
        let first_epoch = usize::try_from(state.epochs).unwrap_or(usize::MAX);
        for epoch in 0..config.epochs {
            if config.shuffle {
                batches.shuffle(rng);
            }
            let run = (config, first_epoch.saturating_add(epoch), epoch);
            let tally = self.epoch(
                &mut batches,
                run,
                &mut steps,
                rng,
                observer,
                state,
                &mut history,
            )?;
            // A stopping rule that fired inside the epoch cut it short: it is not counted as
            // a whole epoch (the schedule, and the hook, see only whole ones).
            let whole = tally.stop.is_none();
            let mut stop = tally.stop;
            let (val_cost, val_accuracy) = self.validate(val, steps)?;
            let record = EpochRecord {
                epoch,
                steps,
                cost: tally.cost_sum / tally.seen.max(1) as f64,
                accuracy: (tally.counted > 0).then(|| tally.correct as f64 / tally.counted as f64),
                val_cost,
                val_accuracy,
                lr: tally.lr,
                grad_norm: tally.grad_norm,
            };
            if observer.on_epoch(&record) == Control::Stop {
                stop = stop.or(Some(StopReason::Observer));
            }
            if let (Some(tol), Some(prev)) = (config.min_cost_change, history.epochs.last()) {
                let change = (record.cost - prev.cost).abs();
                if change <= tol {
                    stop = stop.or(Some(StopReason::CostChange(change)));
                }
            }
            if let (Some(es), Some(vc)) = (config.early_stopping, val_cost) {
                stop = stop.or(best.observe(self, es, vc, epoch));
            }
            history.epochs.push(record);
            if whole {
                state.epochs = state.epochs.saturating_add(1);
                if let Some(hook) = after_epoch {
                    self.call_hook(hook, &record, rng, state)?;
                }
            }
            if let Some(reason) = stop {
                history.stop = reason;
                break;
            }
        }
        if let Some(es) = config.early_stopping {
            best.restore(self, es, &history);
        }
        Ok(history)
    }

    /// Runs the epoch hook with the network as a saved one is: with its optimiser state, lent
    /// to the network for the call (moved, not copied).
    fn call_hook(
        &mut self,
        hook: &dyn EpochHook<T>,
        record: &EpochRecord,
        rng: &Rng,
        state: &mut OptimizerState<T>,
    ) -> Result<()> {
        let empty = OptimizerState::new(state.optimizer, &[]);
        self.optimizer = Some(std::mem::replace(state, empty));
        let done = hook.after_epoch(self, record, rng);
        *state = self.optimizer.take().expect("lent above");
        done
    }

    /// The cost and accuracy on the validation set, if there is one.
    fn validate(
        &self,
        val: Option<&(Cow<'_, Tensor<T>>, Tensor<T>)>,
        steps: u64,
    ) -> Result<(Option<f64>, Option<f64>)> {
        let Some((xv, yv)) = val else {
            return Ok((None, None));
        };
        let (c, a) = self.cost_and_accuracy(xv, yv)?;
        finite(c, "validation cost", steps)?;
        Ok((Some(c), a))
    }

    /// The steps of one epoch, until the data run out or a stopping rule fires.
    #[allow(clippy::too_many_arguments)]
    fn epoch(
        &mut self,
        batches: &mut Batches<'_, T>,
        (config, schedule_epoch, epoch): (&FitConfig, usize, usize),
        steps: &mut u64,
        rng: &mut Rng,
        observer: &mut dyn Observer,
        state: &mut OptimizerState<T>,
        history: &mut History,
    ) -> Result<Tally> {
        let mut tally = Tally {
            grad_norm: f64::NAN,
            ..Tally::default()
        };
        for b in 0..batches.count {
            // The fraction of the epoch done once this step is: a warm-up's first step is not 0.
            let done = (b + 1) as f64 / batches.count as f64;
            let lr = config
                .decay
                .lr_at(config.optimizer.lr(), schedule_epoch, done);
            tally.lr = lr;
            let (bx, by) = batches.get(b, rng)?;
            *steps += 1;
            let cost = self.step(bx, by, config, lr, rng, state, &mut tally, *steps)?;
            tally.cost_sum += cost * bx.rows() as f64;
            tally.seen += bx.rows();
            history.step_costs.push(cost);
            let info = StepInfo {
                epoch,
                batch: b,
                batches: batches.count,
                step: *steps,
                cost,
                grad_norm: tally.grad_norm,
                lr,
            };
            if observer.on_step(&info) == Control::Stop {
                tally.stop = Some(StopReason::Observer);
            } else if config
                .min_grad_norm
                .is_some_and(|eps| tally.grad_norm <= eps)
            {
                tally.stop = Some(StopReason::GradientNorm(tally.grad_norm));
            } else if config.max_steps.is_some_and(|n| *steps >= n) {
                tally.stop = Some(StopReason::MaxSteps);
            }
            if tally.stop.is_some() {
                break;
            }
        }
        Ok(tally)
    }

    /// One optimisation step on the mini-batch `(bx, by)`: forward, cost (with L2 and L1),
    /// backward (in parts when the batch is worth splitting), divergence check, update.
    /// Returns the cost. The step runs on the backend's threads ([`Backend::enter`](crate::Backend::enter)).
    #[allow(clippy::too_many_arguments)]
    fn step(
        &mut self,
        bx: &Tensor<T>,
        by: &Tensor<T>,
        config: &FitConfig,
        lr: f64,
        rng: &mut Rng,
        state: &mut OptimizerState<T>,
        tally: &mut Tally,
        step: u64,
    ) -> Result<f64> {
        let backend = self.backend.clone();
        entered(&*backend, || {
            let (data_cost, correct) = self.batch_gradients(bx, by, rng)?;
            if let Some((c, n)) = correct {
                tally.correct += c;
                tally.counted += n;
            }
            let cost = data_cost + self.penalty(config.l2, config.l1, bx.rows(), true);
            let mut sum_sq = 0.0;
            self.visit_params(&mut |p| sum_sq += backend.sum_squares(p.grad.data()));
            tally.grad_norm = sum_sq.sqrt();
            finite(cost, "cost", step)?;
            finite(tally.grad_norm, "gradient norm", step)?;
            state.begin_step(config.optimizer);
            let mut index = 0;
            self.visit_params(&mut |p| {
                state.update(&*backend, index, lr, p);
                index += 1;
            });
            Ok(cost)
        })
    }
}
