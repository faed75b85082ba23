//! Prediction and evaluation: probabilities, classes, loss, accuracy, confusion matrix.

use std::fmt;

use crate::backend::entered;
use crate::error::{Error, Result};
use crate::layer::{batch_shape, Scratch};
use crate::{Float, Loss, Network, Tensor};

/// The figures of a network on a labelled set.
#[derive(Clone, Debug, PartialEq)]
pub struct Evaluation {
    /// Mean loss (without the L2 term).
    pub loss: f64,
    /// Fraction of correct predictions (classification losses).
    pub accuracy: Option<f64>,
    /// Actual × predicted counts (single-label classification with at most
    /// 4096 classes).
    pub confusion: Option<ConfusionMatrix>,
}

/// Above this many classes `evaluate` gives no confusion matrix (it would hold classes² counts).
const MAX_CONFUSION_CLASSES: usize = 4096;

/// `counts[actual][predicted]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfusionMatrix {
    classes: usize,
    counts: Vec<u64>,
}

impl ConfusionMatrix {
    /// An empty matrix for `classes` classes.
    pub fn new(classes: usize) -> Self {
        ConfusionMatrix {
            classes,
            counts: vec![0; classes * classes],
        }
    }

    /// Counts one example.
    pub fn add(&mut self, actual: usize, predicted: usize) {
        self.counts[actual * self.classes + predicted] += 1;
    }

    /// The number of classes.
    pub fn classes(&self) -> usize {
        self.classes
    }

    /// How many examples of class `actual` were predicted as `predicted`.
    pub fn count(&self, actual: usize, predicted: usize) -> u64 {
        self.counts[actual * self.classes + predicted]
    }

    /// Of the examples predicted as `class`, the fraction that are (NaN if none was).
    pub fn precision(&self, class: usize) -> f64 {
        let predicted: u64 = (0..self.classes).map(|a| self.count(a, class)).sum();
        self.count(class, class) as f64 / predicted as f64
    }

    /// Of the examples of `class`, the fraction predicted as such (NaN if there is none).
    pub fn recall(&self, class: usize) -> f64 {
        let actual: u64 = (0..self.classes).map(|p| self.count(class, p)).sum();
        self.count(class, class) as f64 / actual as f64
    }

    /// The fraction on the diagonal.
    pub fn accuracy(&self) -> f64 {
        let diag: u64 = (0..self.classes).map(|c| self.count(c, c)).sum();
        diag as f64 / self.counts.iter().sum::<u64>() as f64
    }
}

impl fmt::Display for ConfusionMatrix {
    /// Rows are actual classes, columns predicted ones.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "actual\\pred")?;
        for p in 0..self.classes {
            write!(f, " {p:>7}")?;
        }
        for a in 0..self.classes {
            write!(f, "\n{a:>11}")?;
            for p in 0..self.classes {
                write!(f, " {:>7}", self.count(a, p))?;
            }
        }
        Ok(())
    }
}

fn argmax<T: Float>(row: &[T]) -> usize {
    let mut best = 0;
    for (i, &v) in row.iter().enumerate() {
        if v > row[best] {
            best = i;
        }
    }
    best
}

/// The class of each example, from logits (`z > 0` ⇔ `σ(z) > 0.5` for one output), or `None`
/// for regression and multi-label outputs.
fn classes_of<T: Float>(loss: Loss, logits: &Tensor<T>) -> Option<Vec<usize>> {
    let k = logits.row_len();
    match loss {
        Loss::BinaryCrossEntropy if k == 1 => Some(
            logits
                .data()
                .iter()
                .map(|&z| usize::from(z > T::ZERO))
                .collect(),
        ),
        Loss::CategoricalCrossEntropy => {
            Some((0..logits.rows()).map(|i| argmax(logits.row(i))).collect())
        }
        _ => None,
    }
}

/// Correct predictions and predictions made, comparing logits with prepared targets.
/// Binary cross-entropy with several outputs counts each output (multi-label).
pub(crate) fn count_correct<T: Float>(
    loss: Loss,
    logits: &Tensor<T>,
    y: &Tensor<T>,
) -> Option<(usize, usize)> {
    let half = T::from_f64(0.5);
    match loss {
        Loss::BinaryCrossEntropy => {
            let c = logits
                .data()
                .iter()
                .zip(y.data())
                .filter(|&(&z, &t)| (z > T::ZERO) == (t > half))
                .count();
            Some((c, y.len()))
        }
        Loss::CategoricalCrossEntropy => {
            let c = (0..y.rows())
                .filter(|&i| argmax(logits.row(i)) == argmax(y.row(i)))
                .count();
            Some((c, y.rows()))
        }
        Loss::MeanSquaredError => None,
    }
}

/// Examples per forward pass in prediction and evaluation: larger sets go through in chunks
/// of this many, so the layers' buffers stay the size of a chunk (a convolutional network
/// evaluated on 4000 images at once would otherwise hold every activation of all of them).
pub const EVAL_CHUNK: usize = 32;

/// The most values all the layers' outputs of one chunk may hold: networks with large
/// activations (convolutions over large images) go through in chunks of fewer examples.
const EVAL_VALUES: usize = 1 << 19;

/// What one pass over a labelled set gathered.
struct Pass {
    /// The mean cost.
    cost: f64,
    /// Correct predictions and predictions made (classification losses).
    correct: Option<(usize, usize)>,
    /// The predicted class of each example, if asked for.
    classes: Option<Vec<usize>>,
}

/// The memory of one inference pass, owned by the caller so that the network is only read.
#[derive(Default)]
struct Buffers<T> {
    /// Each layer's output (the last: the logits). One buffer per layer keeps each at its
    /// size from chunk to chunk, so nothing is cleared or reallocated after the first.
    outputs: Vec<Tensor<T>>,
    /// What layers borrow (convolution columns, pooling indices).
    scratch: Scratch<T>,
    /// Where the loss writes `∂J/∂logits` (unused).
    d_logits: Tensor<T>,
}

impl<T: Float> Network<T> {
    /// Examples per chunk of inference: [`EVAL_CHUNK`], or fewer when their activations would
    /// hold more than [`EVAL_VALUES`] values.
    fn eval_chunk(&self) -> usize {
        let per_example: usize = self
            .layers
            .iter()
            .map(|l| l.output_shape().iter().product::<usize>())
            .sum();
        (EVAL_VALUES / per_example.max(1)).clamp(1, EVAL_CHUNK)
    }

    /// The logits of the batch `x` in evaluation mode, into the last of `b.outputs`.
    fn infer_into(&self, x: &Tensor<T>, b: &mut Buffers<T>) -> Result<()> {
        self.check_batch("forward", x)?;
        b.outputs.resize_with(self.layers.len(), Tensor::default);
        for (i, layer) in self.layers.iter().enumerate() {
            let (done, rest) = b.outputs.split_at_mut(i);
            let input = if i == 0 { x } else { &done[i - 1] };
            layer.infer(&*self.backend, input, &mut rest[0], &mut b.scratch)?;
        }
        Ok(())
    }

    /// Runs the network over `x` in evaluation mode, in chunks of at most [`EVAL_CHUNK`]
    /// examples (see [`eval_chunk`](Network::eval_chunk)), and
    /// calls `each(logits, rows, sink)` after each chunk, in order (`sink` is scratch space for
    /// a loss's gradient).
    ///
    /// A pass of more than one chunk runs on the backend's threads
    /// ([`Backend::enter`](crate::Backend::enter)); a small one (a single prediction, say) on
    /// the caller's, sparing the hand-over and leaving threads that share the network free to
    /// run at once.
    fn in_chunks(
        &self,
        x: &Tensor<T>,
        each: impl FnMut(&Tensor<T>, std::ops::Range<usize>, &mut Tensor<T>) -> Result<()> + Send,
    ) -> Result<()> {
        let size = self.eval_chunk();
        if x.rows() <= size {
            return self.in_chunks_here(x, size, each);
        }
        entered(&*self.backend, || self.in_chunks_here(x, size, each))
    }

    /// [`in_chunks`](Network::in_chunks) on the calling thread, in chunks of `size`.
    fn in_chunks_here(
        &self,
        x: &Tensor<T>,
        size: usize,
        mut each: impl FnMut(&Tensor<T>, std::ops::Range<usize>, &mut Tensor<T>) -> Result<()>,
    ) -> Result<()> {
        let m = x.rows();
        let mut b = Buffers::default();
        if m <= size {
            self.infer_into(x, &mut b)?;
            let logits = b.outputs.last().expect("a network has layers");
            return each(logits, 0..m, &mut b.d_logits);
        }
        let mut chunk = Tensor::default();
        for start in (0..m).step_by(size) {
            let end = (start + size).min(m);
            x.copy_rows_into(start..end, &mut chunk);
            self.infer_into(&chunk, &mut b)?;
            let logits = b.outputs.last().expect("a network has layers");
            each(logits, start..end, &mut b.d_logits)?;
        }
        Ok(())
    }

    /// The network's outputs for `x`: probabilities for the cross-entropy losses (`σ(z)`,
    /// `softmax(z)`), values for mean squared error. Evaluation mode (no dropout); the network
    /// is only read, so threads may share it.
    pub fn predict_proba(&self, x: &Tensor<T>) -> Result<Tensor<T>> {
        let mut part = Tensor::default();
        let mut values = Vec::new();
        self.in_chunks(x, |logits, _, _| {
            self.loss.apply_output(&*self.backend, logits, &mut part);
            values.extend_from_slice(part.data());
            Ok(())
        })?;
        let last = self.layers.last().expect("a network has layers");
        Tensor::from_vec(&batch_shape(x.rows(), last.output_shape()), values)
    }

    /// The predicted class of each example: `σ(z) > 0.5` with one output, the arg-max of the
    /// softmax otherwise.
    pub fn predict(&self, x: &Tensor<T>) -> Result<Vec<usize>> {
        let mut classes = Vec::with_capacity(x.rows());
        self.in_chunks(x, |logits, _, _| {
            let part = classes_of(self.loss, logits).ok_or_else(|| {
                Error::Config(format!(
                    "predict gives classes, but a {:?} network with {} outputs has none: use predict_proba",
                    self.loss,
                    self.outputs()
                ))
            })?;
            classes.extend(part);
            Ok(())
        })?;
        Ok(classes)
    }

    /// Mean loss and, for classification, accuracy and the confusion matrix on `(x, y)`.
    pub fn evaluate(&self, x: &Tensor<T>, y: &Tensor<T>) -> Result<Evaluation> {
        if x.rows() != y.rows() {
            return Err(Error::shape(
                "Network.evaluate",
                format!("x has {} examples but y has {}", x.rows(), y.rows()),
            ));
        }
        let y = self.loss.prepare_targets(y, self.outputs())?;
        let classes = self.outputs().max(2);
        let pass = self.pass(x, &y, classes <= MAX_CONFUSION_CLASSES)?;
        let confusion = pass.classes.map(|predicted| {
            let mut cm = ConfusionMatrix::new(classes);
            for (i, p) in predicted.into_iter().enumerate() {
                let actual = if self.outputs() == 1 {
                    usize::from(y.data()[i] > T::from_f64(0.5))
                } else {
                    argmax(y.row(i))
                };
                cm.add(actual, p);
            }
            cm
        });
        Ok(Evaluation {
            loss: pass.cost,
            accuracy: accuracy(pass.correct),
            confusion,
        })
    }

    /// Mean loss and accuracy on prepared targets, in evaluation mode.
    pub(crate) fn cost_and_accuracy(
        &self,
        x: &Tensor<T>,
        y: &Tensor<T>,
    ) -> Result<(f64, Option<f64>)> {
        let pass = self.pass(x, y, false)?;
        Ok((pass.cost, accuracy(pass.correct)))
    }

    /// One pass over `(x, y)` (prepared targets), chunk by chunk: the cost of the whole set
    /// (each chunk's mean weighted by its size), correct predictions, and the classes if
    /// `want_classes` (and the loss gives classes).
    fn pass(&self, x: &Tensor<T>, y: &Tensor<T>, want_classes: bool) -> Result<Pass> {
        let m = x.rows();
        let mut y_chunk = Tensor::default();
        let mut rows = Vec::new();
        let (mut weighted_cost, mut correct, mut counted, mut any_count) = (0.0, 0, 0, false);
        let mut classes: Option<Vec<usize>> = want_classes.then(Vec::new);
        let loss = self.loss;
        self.in_chunks(x, |logits, range, sink| {
            let n = range.len();
            let y_part = if n == m {
                y
            } else {
                rows.clear();
                rows.extend(range);
                y.gather_rows_into(&rows, &mut y_chunk);
                &y_chunk
            };
            let cost = loss.cost_and_grad(&*self.backend, logits, y_part, sink)?;
            weighted_cost += if n == m { cost } else { cost * n as f64 };
            if let Some((c, k)) = count_correct(loss, logits, y_part) {
                correct += c;
                counted += k;
                any_count = true;
            }
            if let Some(all) = classes.as_mut() {
                match classes_of(loss, logits) {
                    Some(part) => all.extend(part),
                    None => classes = None,
                }
            }
            Ok(())
        })?;
        let cost = if m <= self.eval_chunk() {
            weighted_cost
        } else {
            weighted_cost / m as f64
        };
        Ok(Pass {
            cost,
            correct: any_count.then_some((correct, counted)),
            classes,
        })
    }
}

fn accuracy(correct: Option<(usize, usize)>) -> Option<f64> {
    correct.map(|(c, n)| c as f64 / n.max(1) as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn precision_and_recall() {
        let mut cm = ConfusionMatrix::new(2);
        for (a, p) in [(1, 1), (1, 1), (1, 0), (0, 0), (0, 1)] {
            cm.add(a, p);
        }
        assert_eq!(cm.count(1, 1), 2);
        assert!((cm.precision(1) - 2.0 / 3.0).abs() < 1e-12);
        assert!((cm.recall(1) - 2.0 / 3.0).abs() < 1e-12);
        assert!((cm.accuracy() - 0.6).abs() < 1e-12);
        assert!(cm.to_string().contains("actual\\pred"));
    }
}
