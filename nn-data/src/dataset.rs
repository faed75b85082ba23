//! [`Dataset`]: `m` examples of one shape, their targets and class names, with the operations
//! an experiment needs before training: scaling, splits, shuffled mini-batches and the tensors
//! `nn-core` trains on.

use nn_core::{Rng, Tensor};

use crate::DataError;

/// What each example is labelled with.
#[derive(Clone, Debug, PartialEq)]
pub enum Targets {
    /// One class index per example, in `0..class_names.len()` (binary sets have two classes:
    /// 0 and 1).
    Classes(Vec<usize>),
    /// Real-valued targets, an `(m, k)` tensor (regression).
    Real(Tensor<f32>),
}

/// `m` examples, each of shape [`Dataset::example_shape`] (`[h, w, c]` for images, `[n]` for
/// tables), with their targets.
///
/// Examples are stored batch-first as loaded (`(m, h, w, c)` for images, pixel values as in
/// the file, 0–255); [`Dataset::scale`] or [`Standardizer`] bring them to a training range.
/// [`Dataset::flattened`] is the course's `X.reshape(m, -1)`: the `(h, w, c)` order is kept.
///
/// ```
/// use nn_core::Rng;
/// use nn_data::synthetic::{playground, Playground};
///
/// let mut rng = Rng::seed(0);
/// let data = playground(Playground::Xor, 200, 0.1, &mut rng);
/// let (train, test) = data.split(0.8, &mut rng)?;
/// assert_eq!((train.len(), test.len()), (160, 40));
/// assert_eq!(train.flattened().shape(), &[160, 2]);
/// assert_eq!(train.y().shape(), &[160, 1]); // class indices 0 / 1
/// for batch in train.batches(64, Some(&mut rng)) {
///     assert!(batch.len() <= 64);
/// }
/// # Ok::<(), nn_data::DataError>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Dataset {
    x: Tensor<f32>,
    targets: Targets,
    class_names: Vec<String>,
}

impl Dataset {
    /// A data set of the examples `x` (`(m, …)`, batch first) labelled with class indices.
    ///
    /// # Errors
    ///
    /// [`DataError::Invalid`] if `x` has no batch dimension, the number of labels is not `m`,
    /// or a label is not an index into `class_names`.
    pub fn with_classes(
        x: Tensor<f32>,
        labels: Vec<usize>,
        class_names: Vec<String>,
    ) -> Result<Self, DataError> {
        check_rows(&x, labels.len(), "labels")?;
        if let Some((i, &label)) = labels
            .iter()
            .enumerate()
            .find(|(_, &l)| l >= class_names.len())
        {
            return Err(DataError::Invalid {
                message: format!(
                    "label {i} is {label} but there are {} classes",
                    class_names.len()
                ),
            });
        }
        Ok(Dataset {
            x,
            targets: Targets::Classes(labels),
            class_names,
        })
    }

    /// A data set of the examples `x` with real targets `y` (`(m, k)`), for regression.
    ///
    /// # Errors
    ///
    /// [`DataError::Invalid`] if `x` has no batch dimension or `y` is not `(m, k)`.
    pub fn with_real_targets(x: Tensor<f32>, y: Tensor<f32>) -> Result<Self, DataError> {
        if y.shape().len() != 2 {
            return Err(DataError::Invalid {
                message: format!(
                    "targets must be (m, k), got {}",
                    nn_core::shape_str(y.shape())
                ),
            });
        }
        check_rows(&x, y.rows(), "target rows")?;
        Ok(Dataset {
            x,
            targets: Targets::Real(y),
            class_names: Vec::new(),
        })
    }

    /// The number of examples, `m`.
    pub fn len(&self) -> usize {
        self.x.shape()[0]
    }

    /// Whether there are no examples.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The shape of one example: `[h, w, c]` for images, `[n]` for rows of a table.
    pub fn example_shape(&self) -> &[usize] {
        &self.x.shape()[1..]
    }

    /// The number of features of one example, `n_x = h·w·c`.
    pub fn features(&self) -> usize {
        self.x.row_len()
    }

    /// The examples, `(m, …)` as loaded: `(m, h, w, c)` volumes for images.
    pub fn x(&self) -> &Tensor<f32> {
        &self.x
    }

    /// The examples as loaded, without copying.
    pub fn into_x(self) -> Tensor<f32> {
        self.x
    }

    /// The examples, for changing their values in place (not their shape).
    pub fn x_mut(&mut self) -> &mut [f32] {
        self.x.data_mut()
    }

    /// The examples flattened to `(m, n_x)`, keeping the `(h, w, c)` order (the course's
    /// `X.reshape(m, -1)`): a copy. [`Dataset::into_flattened`] avoids it.
    pub fn flattened(&self) -> Tensor<f32> {
        self.x
            .clone()
            .reshape(&[self.len(), self.features()])
            .expect("same element count")
    }

    /// The examples flattened to `(m, n_x)`, without copying.
    pub fn into_flattened(self) -> Tensor<f32> {
        let shape = [self.len(), self.features()];
        self.x.reshape(&shape).expect("same element count")
    }

    /// The targets.
    pub fn targets(&self) -> &Targets {
        &self.targets
    }

    /// The class names, indexed by label; empty for real targets.
    pub fn class_names(&self) -> &[String] {
        &self.class_names
    }

    /// The number of classes (0 for real targets).
    pub fn classes(&self) -> usize {
        self.class_names.len()
    }

    /// The class indices, if the targets are classes.
    pub fn labels(&self) -> Option<&[usize]> {
        match &self.targets {
            Targets::Classes(labels) => Some(labels),
            Targets::Real(_) => None,
        }
    }

    /// How many examples each class has, indexed by label (empty for real targets).
    pub fn class_counts(&self) -> Vec<usize> {
        let mut counts = vec![0; self.classes()];
        for &label in self.labels().unwrap_or(&[]) {
            counts[label] += 1;
        }
        counts
    }

    /// The targets as `nn-core` trains on them: for classes an `(m, 1)` column of class
    /// indices (0/1 for a binary set, the target of binary cross-entropy; `nn-core`'s
    /// categorical cross-entropy takes the same column), for real targets the `(m, k)` tensor.
    pub fn y(&self) -> Tensor<f32> {
        match &self.targets {
            Targets::Classes(labels) => {
                // Class indices are small integers, exact in f32.
                let column = labels.iter().map(|&l| l as f32).collect();
                Tensor::from_vec(&[labels.len(), 1], column).expect("m labels")
            }
            Targets::Real(y) => y.clone(),
        }
    }

    /// The labels as one-hot rows, `(m, classes)`.
    ///
    /// # Errors
    ///
    /// [`DataError::Invalid`] for real targets.
    pub fn one_hot(&self) -> Result<Tensor<f32>, DataError> {
        let labels = self.labels().ok_or_else(|| DataError::Invalid {
            message: "one-hot labels need class targets, not real ones".into(),
        })?;
        let classes = self.classes();
        let mut y = Tensor::zeros(&[labels.len(), classes]);
        for (row, &label) in y.data_mut().chunks_exact_mut(classes.max(1)).zip(labels) {
            row[label] = 1.0;
        }
        Ok(y)
    }

    /// Multiplies every feature by `factor`: `scale(1.0 / 255.0)` brings pixels to `[0, 1]`,
    /// as the course does.
    pub fn scale(&mut self, factor: f32) {
        self.x.data_mut().iter_mut().for_each(|v| *v *= factor);
    }

    /// The examples `indices` (in that order; repeats allowed) as a new data set with the same
    /// class names.
    ///
    /// # Panics
    ///
    /// If an index is not below [`Dataset::len`].
    pub fn subset(&self, indices: &[usize]) -> Dataset {
        let targets = match &self.targets {
            Targets::Classes(labels) => {
                Targets::Classes(indices.iter().map(|&i| labels[i]).collect())
            }
            Targets::Real(y) => Targets::Real(y.gather_rows(indices)),
        };
        Dataset {
            x: self.x.gather_rows(indices),
            targets,
            class_names: self.class_names.clone(),
        }
    }

    /// Puts the examples in a random order drawn from `rng`.
    pub fn shuffle(&mut self, rng: &mut Rng) {
        *self = self.subset(&rng.permutation(self.len()));
    }

    /// Splits into two sets, the first with `fraction` of the examples (rounded), the second
    /// with the rest, both in random order drawn from `rng`. With class targets the split is
    /// stratified: each class is divided in the same proportion (rounded per class), so both
    /// sets keep the class balance.
    ///
    /// # Errors
    ///
    /// [`DataError::Invalid`] if `fraction` is not in `(0, 1)` or either part would be empty.
    pub fn split(&self, fraction: f64, rng: &mut Rng) -> Result<(Dataset, Dataset), DataError> {
        if !(fraction > 0.0 && fraction < 1.0) {
            return Err(DataError::Invalid {
                message: format!("a split fraction must be in (0, 1), got {fraction}"),
            });
        }
        let take = |n: usize| ((n as f64 * fraction).round() as usize).min(n);
        let (mut first, mut second) = (Vec::new(), Vec::new());
        match &self.targets {
            Targets::Classes(labels) => {
                for class in 0..self.classes() {
                    let mut members: Vec<usize> =
                        (0..labels.len()).filter(|&i| labels[i] == class).collect();
                    rng.shuffle(&mut members);
                    let k = take(members.len());
                    first.extend_from_slice(&members[..k]);
                    second.extend_from_slice(&members[k..]);
                }
            }
            Targets::Real(_) => {
                let order = rng.permutation(self.len());
                let k = take(order.len());
                first.extend_from_slice(&order[..k]);
                second.extend_from_slice(&order[k..]);
            }
        }
        if first.is_empty() || second.is_empty() {
            return Err(DataError::Invalid {
                message: format!(
                    "splitting {} examples at {fraction} leaves {} and {}: one part would be empty",
                    self.len(),
                    first.len(),
                    second.len()
                ),
            });
        }
        rng.shuffle(&mut first);
        rng.shuffle(&mut second);
        Ok((self.subset(&first), self.subset(&second)))
    }

    /// Splits into training, validation and test sets holding `1 − validation − test`,
    /// `validation` and `test` of the examples (stratified, as [`Dataset::split`]).
    ///
    /// # Errors
    ///
    /// [`DataError::Invalid`] if a fraction is not in `(0, 1)`, they add up to 1 or more, or a
    /// part would be empty.
    pub fn split3(
        &self,
        validation: f64,
        test: f64,
        rng: &mut Rng,
    ) -> Result<[Dataset; 3], DataError> {
        if !(validation > 0.0 && test > 0.0 && validation + test < 1.0) {
            return Err(DataError::Invalid {
                message: format!(
                    "validation ({validation}) and test ({test}) fractions must be positive and add up to less than 1"
                ),
            });
        }
        let (rest, test_set) = self.split(1.0 - test, rng)?;
        let (train, validation_set) = rest.split(1.0 - validation / (1.0 - test), rng)?;
        Ok([train, validation_set, test_set])
    }

    /// Mini-batches of `size` examples (the last may be smaller), in a random order drawn from
    /// `rng`, or in order without one. Each batch is a [`Dataset`].
    ///
    /// # Panics
    ///
    /// If `size` is 0.
    pub fn batches<'a>(&'a self, size: usize, rng: Option<&mut Rng>) -> Batches<'a> {
        assert!(size > 0, "a mini-batch needs at least one example");
        let order = match rng {
            Some(rng) => rng.permutation(self.len()),
            None => (0..self.len()).collect(),
        };
        Batches {
            data: self,
            order,
            size,
            next: 0,
        }
    }
}

/// The mini-batches of [`Dataset::batches`].
#[derive(Debug)]
pub struct Batches<'a> {
    data: &'a Dataset,
    order: Vec<usize>,
    size: usize,
    next: usize,
}

impl Iterator for Batches<'_> {
    type Item = Dataset;

    fn next(&mut self) -> Option<Dataset> {
        if self.next >= self.order.len() {
            return None;
        }
        let end = (self.next + self.size).min(self.order.len());
        let batch = self.data.subset(&self.order[self.next..end]);
        self.next = end;
        Some(batch)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = (self.order.len() - self.next).div_ceil(self.size);
        (n, Some(n))
    }
}

impl ExactSizeIterator for Batches<'_> {}

/// Checks that `x` is batch-first with `rows` examples.
fn check_rows(x: &Tensor<f32>, rows: usize, what: &str) -> Result<(), DataError> {
    if x.shape().is_empty() {
        return Err(DataError::Invalid {
            message: "examples need a batch dimension, got a scalar".into(),
        });
    }
    if x.shape()[0] != rows {
        return Err(DataError::Invalid {
            message: format!(
                "{} examples {} but {rows} {what}",
                x.shape()[0],
                nn_core::shape_str(x.shape())
            ),
        });
    }
    Ok(())
}

/// Per-feature standardisation, `(x − mean) / std`, with statistics fitted on training data
/// and applied unchanged to validation and test data (and saved with a model, through serde).
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Standardizer {
    /// The mean of each feature over the training examples.
    pub mean: Vec<f32>,
    /// The standard deviation of each feature (population), or 1 where it is 0 (a constant
    /// feature is centred, not divided by zero).
    pub std: Vec<f32>,
}

impl Standardizer {
    /// The per-feature mean and standard deviation of `data`'s examples (computed in f64).
    ///
    /// # Errors
    ///
    /// [`DataError::Invalid`] if `data` is empty.
    pub fn fit(data: &Dataset) -> Result<Self, DataError> {
        if data.is_empty() {
            return Err(DataError::Invalid {
                message: "cannot fit a standardizer on an empty data set".into(),
            });
        }
        let n = data.features();
        let (mut sum, mut sum_sq) = (vec![0.0f64; n], vec![0.0f64; n]);
        for row in data.x.data().chunks_exact(n.max(1)) {
            for ((s, q), &v) in sum.iter_mut().zip(&mut sum_sq).zip(row) {
                *s += f64::from(v);
                *q += f64::from(v) * f64::from(v);
            }
        }
        let m = data.len() as f64;
        let mean: Vec<f64> = sum.iter().map(|s| s / m).collect();
        let std = sum_sq
            .iter()
            .zip(&mean)
            .map(|(q, mu)| {
                let var = (q / m - mu * mu).max(0.0);
                if var > 0.0 {
                    var.sqrt() as f32
                } else {
                    1.0
                }
            })
            .collect();
        Ok(Standardizer {
            mean: mean.iter().map(|&v| v as f32).collect(),
            std,
        })
    }

    /// Replaces every feature `x` of `data` by `(x − mean) / std`.
    ///
    /// # Errors
    ///
    /// [`DataError::Invalid`] if `data` has a different number of features than the data the
    /// statistics were fitted on.
    pub fn apply(&self, data: &mut Dataset) -> Result<(), DataError> {
        let n = data.features();
        if n != self.mean.len() || n != self.std.len() {
            return Err(DataError::Invalid {
                message: format!(
                    "the standardizer was fitted on {} features, the data has {n}",
                    self.mean.len()
                ),
            });
        }
        for row in data.x.data_mut().chunks_exact_mut(n.max(1)) {
            for ((v, mu), s) in row.iter_mut().zip(&self.mean).zip(&self.std) {
                *v = (*v - mu) / s;
            }
        }
        Ok(())
    }
}
