//! Data parallelism inside a training step: a mini-batch cut into parts that run at once.
//!
//! A mini-batch of `m` examples is cut into `P` parts of consecutive rows. `P` depends only on
//! `m` and the network ([`part_count`]), never on the number of threads. The backend's workers
//! (as many as it has threads, at most `P`) each hold a copy of the layers; worker `j` runs parts
//! `j, j + W, j + 2W, …` (the last of them first), each forward, cost and backward on its own
//! rows, with `dZ` scaled by the whole batch's `1/m`. Each part's gradient is kept (in the
//! worker's layers for its last part, in a slot for the others) and the network's gradient is
//! their sum in part order, `((g₀ + g₁) + g₂) + …`: the same bits whatever the number of threads.
//!
//! Worker 0's layers are the network's own, lent for the step (swapped in and out, not
//! copied). The others are built once per
//! `fit` by [`Layer::replicate`] and receive the weights at the start of every split step.
//! Networks with a layer that cannot be replicated (batch norm, dropout) train on whole
//! mini-batches, as do batches too small to be worth splitting.

use super::evaluate::count_correct;
use super::{backward_layers, forward_layers};
use std::panic::{self, AssertUnwindSafe};
use std::sync::{Mutex, PoisonError};

use crate::error::Result;
use crate::layer::{Layer, Mode};
use crate::{Backend, Float, Loss, Network, Rng, Tensor};

/// The most parts a mini-batch is cut into.
const MAX_PARTS: usize = 16;
/// The least multiply–adds of a part's forward pass: below this, a part's fixed costs (copying
/// its rows, the calls into the kernels) are not paid back by running it beside another.
const PART_WORK: usize = 1 << 21;
/// The least examples in a part.
const MIN_PART_ROWS: usize = 8;
/// The least multiply–adds of a part's forward pass per parameter: each extra part costs a
/// copy of the weights and an addition of its gradient, and must be worth it.
const WORK_PER_PARAMETER: usize = 256;

/// The number of parts a mini-batch of `m` examples is cut into, for a network doing
/// `work` multiply–adds per example's forward pass with `params` parameters: a power of two
/// (so that 2 or 4 threads share them evenly), 1 when splitting would not pay.
pub(super) fn part_count(m: usize, work: usize, params: usize) -> usize {
    let total = m.saturating_mul(work);
    let parts = (total / PART_WORK)
        .min(m / MIN_PART_ROWS)
        .min(total / WORK_PER_PARAMETER.saturating_mul(params.max(1)))
        .clamp(1, MAX_PARTS);
    1 << parts.ilog2()
}

/// The rows of part `k` of `parts` in a batch of `m`.
fn part_rows(m: usize, parts: usize, k: usize) -> std::ops::Range<usize> {
    k * m / parts..(k + 1) * m / parts
}

/// What one part contributed: its summed cost and its correct predictions.
#[derive(Clone, Copy, Default)]
struct PartResult {
    cost: f64,
    correct: Option<(usize, usize)>,
}

/// One worker: a copy of the layers and the buffers of the parts it runs.
struct Worker<T: Float> {
    layers: Vec<Box<dyn Layer<T>>>,
    x: Tensor<T>,
    y: Tensor<T>,
    d_logits: Tensor<T>,
    /// The gradients of this worker's parts but its last, flattened in parameter order.
    slots: Vec<Vec<T>>,
    /// This worker's parts' results, in the order of its parts.
    results: Vec<PartResult>,
    rng: Option<Rng>,
    /// How its last run ended.
    done: Result<()>,
}

impl<T: Float> Default for Worker<T> {
    fn default() -> Self {
        Worker {
            layers: Vec::new(),
            x: Tensor::default(),
            y: Tensor::default(),
            d_logits: Tensor::default(),
            slots: Vec::new(),
            results: Vec::new(),
            rng: None,
            done: Ok(()),
        }
    }
}

/// What the batch gives every worker.
struct Batch<'a, T> {
    x: &'a Tensor<T>,
    y: &'a Tensor<T>,
    loss: Loss,
    parts: usize,
    workers: usize,
}

impl<T: Float> Worker<T> {
    /// Runs parts `j, j + W, …` of the batch, the last first.
    fn run(&mut self, backend: &dyn Backend<T>, batch: &Batch<'_, T>, j: usize) -> Result<()> {
        let m = batch.x.rows();
        let mine = (j..batch.parts).step_by(batch.workers).len();
        // Only grown: a smaller last batch keeps the slots of the larger ones.
        if self.slots.len() < mine {
            self.slots.resize_with(mine, Vec::new);
        }
        self.results.resize(mine, PartResult::default());
        // Replicable layers draw nothing; the generator only satisfies the training mode.
        let rng = self.rng.get_or_insert_with(|| Rng::seed(0));
        for local in (0..mine).rev() {
            let k = j + local * batch.workers;
            let rows = part_rows(m, batch.parts, k);
            batch.x.copy_rows_into(rows.clone(), &mut self.x);
            batch.y.copy_rows_into(rows, &mut self.y);
            forward_layers(backend, &mut self.layers, &self.x, Mode::Train(rng))?;
            let z = self.layers.last().expect("a network has layers").output();
            let cost =
                batch
                    .loss
                    .summed_cost_and_grad(backend, z, &self.y, &mut self.d_logits, m)?;
            let correct = count_correct(batch.loss, z, &self.y);
            backward_layers(backend, &mut self.layers, &self.x, &self.d_logits)?;
            if local > 0 {
                let slot = &mut self.slots[local];
                slot.clear();
                for layer in &mut self.layers {
                    layer.visit_params(&mut |p| slot.extend_from_slice(p.grad.data()));
                }
            }
            self.results[local] = PartResult { cost, correct };
        }
        Ok(())
    }
}

/// The workers of one `fit`, built when a mini-batch is first split.
#[derive(Default)]
pub(super) struct Parts<T: Float> {
    /// Whether every layer replicates; `None` until first asked.
    replicable: Option<bool>,
    /// The network's multiply–adds per example and its parameter count, once asked.
    sizes: Option<(usize, usize)>,
    /// The workers; worker 0 holds the network's own layers during a split step. Each job
    /// locks only its own worker, so the locks are never contended.
    workers: Vec<Mutex<Worker<T>>>,
}

impl<T: Float> Parts<T> {
    /// Worker `j`, for the step's bookkeeping after the jobs ran.
    fn worker(&mut self, j: usize) -> &mut Worker<T> {
        self.workers[j]
            .get_mut()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

impl<T: Float> Network<T> {
    /// The number of parts `fit` cuts a mini-batch of `m` examples into.
    fn parts_for(&mut self, m: usize) -> usize {
        let layers = &self.layers;
        let (work, params) = *self.parts.sizes.get_or_insert_with(|| {
            let work = layers.iter().map(|l| l.work_per_example()).sum();
            let params = layers.iter().flat_map(|l| l.params()).map(Tensor::len);
            (work, params.sum())
        });
        let p = part_count(m, work, params);
        if p == 1 {
            return 1;
        }
        let replicable = *self
            .parts
            .replicable
            .get_or_insert_with(|| layers.iter().all(|l| l.replicate().is_some()));
        if replicable {
            p
        } else {
            1
        }
    }

    /// Forward, cost and backward of the mini-batch `(x, y)` (prepared targets), in parts when
    /// it is worth it: leaves the gradients in the layers and returns the mean data cost and
    /// the correct predictions.
    pub(super) fn batch_gradients(
        &mut self,
        x: &Tensor<T>,
        y: &Tensor<T>,
        rng: &mut Rng,
    ) -> Result<(f64, Option<(usize, usize)>)> {
        let parts = self.parts_for(x.rows());
        if parts == 1 {
            self.forward(x, Mode::Train(rng))?;
            let cost = self.data_cost(y)?;
            let correct = count_correct(self.loss, self.logits(), y);
            self.backward(x)?;
            return Ok((cost, correct));
        }
        self.check_batch("forward", x)?;
        let workers = self.backend.workers().clamp(1, parts);
        self.prepare_workers(workers);
        let batch = Batch {
            x,
            y,
            loss: self.loss,
            parts,
            workers,
        };
        std::mem::swap(&mut self.layers, &mut self.parts.worker(0).layers);
        let backend = &*self.backend;
        let pool = &self.parts.workers;
        // A panicking job must not leave the network without its layers.
        let ran = panic::catch_unwind(AssertUnwindSafe(|| {
            backend.run_jobs(workers, &|j| {
                let mut worker = pool[j].lock().unwrap_or_else(PoisonError::into_inner);
                worker.done = worker.run(backend, &batch, j);
            })
        }));
        std::mem::swap(&mut self.layers, &mut self.parts.worker(0).layers);
        if let Err(payload) = ran {
            panic::resume_unwind(payload);
        }
        for j in 0..workers {
            std::mem::replace(&mut self.parts.worker(j).done, Ok(()))?;
        }
        self.add_part_gradients(&batch);
        Ok(self.part_results(&batch))
    }

    /// Workers 0 … `workers − 1`, built if missing; those but worker 0 get the network's
    /// weights.
    fn prepare_workers(&mut self, workers: usize) {
        if self.parts.workers.is_empty() {
            self.parts.workers.push(Mutex::new(Worker::default()));
        }
        while self.parts.workers.len() < workers {
            let layers: Option<Vec<_>> = self.layers.iter().map(|l| l.replicate()).collect();
            let layers = layers.expect("checked replicable by parts_for");
            self.parts.workers.push(Mutex::new(Worker {
                layers,
                ..Worker::default()
            }));
        }
        for j in 1..workers {
            let worker = self.parts.workers[j]
                .get_mut()
                .unwrap_or_else(PoisonError::into_inner);
            for (own, copy) in self.layers.iter_mut().zip(&mut worker.layers) {
                copy_layer_weights(own.as_mut(), copy.as_mut());
            }
        }
    }

    /// Adds parts 1 … P − 1's gradients, in order, to part 0's in the network's layers.
    fn add_part_gradients(&mut self, batch: &Batch<'_, T>) {
        let backend = &*self.backend;
        for k in 1..batch.parts {
            let (j, local) = (k % batch.workers, k / batch.workers);
            let worker = self.parts.workers[j]
                .get_mut()
                .unwrap_or_else(PoisonError::into_inner);
            if local == 0 {
                for (own, copy) in self.layers.iter_mut().zip(&mut worker.layers) {
                    add_layer_gradients(backend, own.as_mut(), copy.as_mut());
                }
            } else {
                let mut grads = worker.slots[local].as_slice();
                for layer in &mut self.layers {
                    layer.visit_params(&mut |p| {
                        let (mine, rest) = grads.split_at(p.grad.len());
                        backend.axpy(T::ONE, mine, p.grad.data_mut());
                        grads = rest;
                    });
                }
            }
        }
    }

    /// The mean cost over the batch and the correct predictions, summed in part order.
    fn part_results(&mut self, batch: &Batch<'_, T>) -> (f64, Option<(usize, usize)>) {
        let mut cost = 0.0;
        let mut correct: Option<(usize, usize)> = None;
        for k in 0..batch.parts {
            let (j, local) = (k % batch.workers, k / batch.workers);
            let r = self.parts.worker(j).results[local];
            cost += r.cost;
            if let Some((c, n)) = r.correct {
                let (tc, tn) = correct.get_or_insert((0, 0));
                *tc += c;
                *tn += n;
            }
        }
        (cost / batch.x.rows() as f64, correct)
    }

    /// Drops the workers (when `fit` returns).
    pub(super) fn release_parts(&mut self) {
        self.parts = Parts::default();
    }
}

/// `copy`'s parameters `= own`'s (lent mutably only to be visited).
fn copy_layer_weights<T: Float>(own: &mut dyn Layer<T>, copy: &mut dyn Layer<T>) {
    let mut i = 0;
    copy.visit_params(&mut |theirs| {
        let mut j = 0;
        own.visit_params(&mut |mine| {
            if j == i {
                theirs.value.data_mut().copy_from_slice(mine.value.data());
            }
            j += 1;
        });
        i += 1;
    });
}

/// `own`'s gradients `+= other`'s, parameter by parameter.
fn add_layer_gradients<T: Float>(
    backend: &dyn Backend<T>,
    own: &mut dyn Layer<T>,
    other: &mut dyn Layer<T>,
) {
    let mut i = 0;
    other.visit_params(&mut |theirs| {
        let mut j = 0;
        own.visit_params(&mut |mine| {
            if j == i {
                backend.axpy(T::ONE, theirs.grad.data(), mine.grad.data_mut());
            }
            j += 1;
        });
        i += 1;
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Reference;

    /// Every gradient of `net`, flattened in parameter order.
    fn gradients(net: &mut Network<f64>) -> Vec<f64> {
        let mut all = Vec::new();
        net.visit_params(&mut |p| all.extend_from_slice(p.grad.data()));
        all
    }

    #[test]
    fn parts_give_the_whole_batch_gradient() {
        let mut rng = Rng::seed(3);
        let m = 1100;
        let x: Vec<f64> = (0..m * 100).map(|_| rng.normal()).collect();
        let y: Vec<f64> = (0..m).map(|i| f64::from(x[i * 100] > 0.0)).collect();
        let x = Tensor::from_vec(&[m, 100], x).unwrap();
        let y = Tensor::from_vec(&[m, 1], y).unwrap();
        let mut net = Network::builder(&[100])
            .dense(100)
            .relu()
            .dense(1)
            .build(Reference, &mut rng)
            .unwrap();
        assert_eq!(net.parts_for(m), 4);
        let (cost, correct) = net.batch_gradients(&x, &y, &mut rng).unwrap();
        let split = gradients(&mut net);
        net.forward(&x, Mode::Train(&mut rng)).unwrap();
        let whole_cost = net.data_cost(&y).unwrap();
        let whole_correct = count_correct(net.loss, net.logits(), &y);
        net.backward(&x).unwrap();
        let whole = gradients(&mut net);
        assert!(
            (cost - whole_cost).abs() <= 1e-14 * whole_cost,
            "{cost} {whole_cost}"
        );
        assert_eq!(correct, whole_correct);
        let scale = whole.iter().fold(0f64, |a, g| a.max(g.abs()));
        for (i, (a, b)) in split.iter().zip(&whole).enumerate() {
            assert!((a - b).abs() <= 1e-13 * scale, "gradient {i}: {a} vs {b}");
        }
        // A batch too small to split takes the whole-batch path.
        assert_eq!(net.parts_for(16), 1);
    }

    /// Drops the last example of every batch.
    struct DropsOne;

    impl crate::Augment<f64> for DropsOne {
        fn augment(&self, batch: &mut Tensor<f64>, _rng: &mut Rng) -> Result<()> {
            let m = batch.rows();
            *batch = batch.clone().gather_rows(&(0..m - 1).collect::<Vec<_>>());
            Ok(())
        }
    }

    #[test]
    fn an_augmentation_that_changes_the_batch_size_is_an_error() {
        let mut rng = Rng::seed(4);
        let x = Tensor::from_vec(&[8, 2], (0..16).map(f64::from).collect()).unwrap();
        let y = Tensor::from_vec(&[8, 1], vec![0.0, 1.0, 0.0, 1.0, 0.0, 1.0, 0.0, 1.0]).unwrap();
        let mut net = Network::builder(&[2])
            .dense(1)
            .build(Reference, &mut rng)
            .unwrap();
        let set = crate::TrainingSet::new(&x, &y).augment(&DropsOne);
        let config = crate::FitConfig::new(crate::Optimizer::gradient_descent(0.1)).epochs(1);
        let err = net.train_on(set, &config, &mut rng, &mut ()).unwrap_err();
        assert!(err.to_string().contains("8 examples into 7"), "{err}");
    }

    #[test]
    fn part_counts_depend_on_the_batch_and_the_work() {
        // Dense networks do about one multiply–add per parameter and example: split only
        // batches of over 512.
        assert_eq!(part_count(64, 109_000, 109_000), 1);
        assert_eq!(part_count(1100, 109_000, 109_000), 4);
        // Convolutions: much work for few parameters, parts of at least 8 rows.
        assert_eq!(part_count(32, 2_100_000, 9_600), 4);
        assert_eq!(part_count(64, 300_000, 9_100), 8);
        // Too little work, too few rows, or weights as large as the work: one part.
        assert_eq!(part_count(150, 12_288, 12_289), 1);
        assert_eq!(part_count(3, 1 << 30, 10), 1);
        assert_eq!(part_count(0, 1 << 30, 10), 1);
        assert_eq!(part_count(100_000, 1 << 30, 10), MAX_PARTS);
        assert_eq!(part_rows(10, 4, 0), 0..2);
        assert_eq!(part_rows(10, 4, 3), 7..10);
    }
}
