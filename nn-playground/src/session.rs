//! A playground session: the data of the settings, a network of nn-core on the fast backend,
//! and its training, one epoch per step, with the losses of every epoch.

use nn_core::{
    ConfusionMatrix, Evaluation, FitConfig, GradCheck, GradCheckReport, Loss, Network,
    NetworkBuilder, Optimizer, Reference, Rng, Tensor,
};
use nn_data::model::Preparation;
use nn_data::synthetic::{self, expand_points};
use nn_data::Dataset;
use nn_simd::Simd;
use serde::Serialize;

use crate::settings::{Activation, LossKind, OptimizerKind, Problem, Regularization, Settings};

/// The initial weights of the original: uniform in `[−0.5, 0.5)`.
pub const INIT_WEIGHT_RANGE: f64 = 0.5;
/// The initial bias of the original.
pub const INIT_BIAS: f32 = 0.1;
/// The most loss records kept: beyond, every other one is dropped (the chart shows 200).
pub const MAX_RECORDS: usize = 4096;
/// Mixed into the seed for the initial weights, so that they do not reuse the data's draws.
const WEIGHT_STREAM: u64 = 0x9E37_79B9_7F4A_7C15;

/// The training or test part of the data.
pub struct Part {
    /// The `(m, 2)` points.
    pub points: Tensor<f32>,
    /// The `(m, k)` input features of the points.
    pub x: Tensor<f32>,
    /// What the network is trained to output: labels ±1 (squared error), 0/1 or one-hot
    /// (cross-entropy), or real targets (regression).
    pub y: Tensor<f32>,
    /// The class of each point, or its target (regression), for drawing.
    pub labels: Vec<f32>,
}

/// The losses after an epoch.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Record {
    /// Epochs trained (0: the initial network).
    pub epoch: usize,
    /// Mean loss on the training points (without the penalty).
    pub train_loss: f64,
    /// Mean loss on the test points.
    pub test_loss: f64,
    /// Fraction of training points classified right (classification only).
    pub train_accuracy: Option<f64>,
    /// Fraction of test points classified right.
    pub test_accuracy: Option<f64>,
}

/// A playground exercise in progress.
pub struct Session {
    settings: Settings,
    classes: Vec<String>,
    train: Part,
    test: Part,
    network: Network<f32>,
    rng: Rng,
    history: Vec<Record>,
    edited: bool,
}

impl Session {
    /// The exercise of `settings` before training: its data (from the seed) and its network
    /// with the original's initial weights (from the seed too).
    ///
    /// # Errors
    ///
    /// Settings out of range ([`Settings::validate`]).
    pub fn new(settings: Settings) -> Result<Session, String> {
        settings.validate()?;
        let mut data_rng = Rng::seed(settings.seed);
        let data = generate(&settings, &mut data_rng)?;
        let classes = data.class_names().to_vec();
        let fraction = f64::from(settings.perc_train_data) / 100.0;
        let (train, test) = data
            .split(fraction, &mut data_rng)
            .map_err(|e| e.to_string())?;
        let train = part(&settings, &train)?;
        let test = part(&settings, &test)?;
        let network = build_network(&settings, train.x.shape()[1], train.y.shape()[1])?;
        let mut session = Session {
            settings,
            classes,
            train,
            test,
            network,
            rng: Rng::seed(0),
            history: Vec::new(),
            edited: false,
        };
        session.reset();
        Ok(session)
    }

    /// The settings.
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// The class names (none for regression).
    pub fn classes(&self) -> &[String] {
        &self.classes
    }

    /// The training points.
    pub fn train(&self) -> &Part {
        &self.train
    }

    /// The test points.
    pub fn test(&self) -> &Part {
        &self.test
    }

    /// The network.
    pub fn network(&self) -> &Network<f32> {
        &self.network
    }

    /// Epochs trained.
    pub fn epoch(&self) -> usize {
        self.history.last().map_or(0, |r| r.epoch)
    }

    /// The losses of the initial network and after every epoch; when [`MAX_RECORDS`] are
    /// kept, every other one is dropped, so older epochs are sampled more sparsely (the first
    /// and the latest are always there).
    pub fn history(&self) -> &[Record] {
        &self.history
    }

    /// Puts back the initial weights (the same, from the seed), forgets the optimiser and
    /// the epochs.
    pub fn reset(&mut self) {
        let mut rng = Rng::seed(self.settings.seed ^ WEIGHT_STREAM);
        let tensors: Vec<(usize, bool)> = (self.network.parameters().iter())
            .map(|p| (p.len(), p.shape().len() == 2))
            .collect();
        for (i, (len, is_weight)) in tensors.into_iter().enumerate() {
            let values: Vec<f32> = if is_weight {
                (0..len)
                    .map(|_| rng.uniform(-INIT_WEIGHT_RANGE, INIT_WEIGHT_RANGE))
                    .collect()
            } else {
                vec![INIT_BIAS; len]
            };
            self.network
                .set_parameter(i, &values)
                .expect("values of the tensor's own size");
        }
        self.network.reset_optimizer();
        self.rng = Rng::seed(self.settings.seed);
        self.history = vec![self.record(0)];
        self.edited = false;
    }

    /// Takes `settings`: the learning rate, the regularisation and the optimiser change the
    /// training from the next step on, as in the original; the drawing options change
    /// nothing here; so do the data set, classes and loss of the problem not chosen; anything
    /// else starts the exercise again. Whether it started again.
    ///
    /// # Errors
    ///
    /// Settings out of range; the session is then unchanged.
    pub fn change(&mut self, settings: Settings) -> Result<bool, String> {
        settings.validate()?;
        let now = &self.settings;
        let mut same = Settings {
            learning_rate: now.learning_rate,
            regularization: now.regularization,
            regularization_rate: now.regularization_rate,
            optimizer: now.optimizer,
            show_test_data: now.show_test_data,
            discretize: now.discretize,
            ..settings.clone()
        };
        match settings.problem {
            Problem::Regression => {
                (same.dataset, same.classes, same.loss) = (now.dataset, now.classes, now.loss);
            }
            Problem::Classification => same.reg_dataset = now.reg_dataset,
        }
        if same != *now {
            *self = Session::new(settings)?;
            return Ok(true);
        }
        let training_changed = settings.learning_rate != now.learning_rate
            || settings.regularization != now.regularization
            || settings.regularization_rate != now.regularization_rate
            || settings.optimizer != now.optimizer;
        if settings.optimizer != now.optimizer {
            self.network.reset_optimizer();
        }
        self.edited |= training_changed && self.epoch() > 0;
        self.settings = settings;
        Ok(false)
    }

    /// Whether training was changed on the way (a learning rate, regularisation or optimiser
    /// changed after the first epoch, or a weight set by hand): the settings alone, as
    /// `nn train --playground` takes them, then no longer give this network.
    pub fn edited(&self) -> bool {
        self.edited
    }

    /// The training of one step: one pass over the training points in their order, an
    /// update every `batchSize` points.
    pub fn fit_config(&self) -> FitConfig {
        let s = &self.settings;
        let lr = s.learning_rate;
        let optimizer = match s.optimizer {
            OptimizerKind::Sgd => Optimizer::gradient_descent(lr),
            OptimizerKind::Momentum => Optimizer::momentum(lr),
            OptimizerKind::Adam => Optimizer::adam(lr),
        };
        // nn-core's penalties are λ/m per batch of m: λ = rate·m moves each weight by
        // lr·rate per update, the original's rule.
        let lambda = s.regularization_rate * s.batch_size as f64;
        let config = FitConfig::new(optimizer)
            .epochs(1)
            .batch_size(s.batch_size)
            .shuffle(false);
        match s.regularization {
            Regularization::None => config,
            Regularization::L1 => config.l1(lambda),
            Regularization::L2 => config.l2(lambda),
        }
    }

    /// Trains one epoch and records the losses.
    ///
    /// # Errors
    ///
    /// Training diverged (a NaN or infinite cost, e.g. at a learning rate of 10); the
    /// network keeps its weights from before the failing update.
    pub fn step(&mut self) -> Result<&Record, String> {
        let config = self.fit_config();
        let result = self
            .network
            .fit(&self.train.x, &self.train.y, &config, &mut self.rng);
        result.map_err(|e| format!("training stopped: {e}"))?;
        let record = self.record(self.epoch() + 1);
        if self.history.len() >= MAX_RECORDS {
            // Every other record from the second on: the first and the spacing stay even.
            let mut i = 0;
            self.history.retain(|_| {
                i += 1;
                i % 2 == 1
            });
        }
        self.history.push(record);
        Ok(self.history.last().expect("just pushed"))
    }

    /// Sets the weight from neuron `from` of layer `layer` to neuron `to` of the next layer
    /// (layer 0 is the inputs), or with `from = None` the bias of neuron `to`.
    ///
    /// # Errors
    ///
    /// No such link, or a value that is not finite.
    pub fn set_weight(
        &mut self,
        layer: usize,
        to: usize,
        from: Option<usize>,
        value: f32,
    ) -> Result<(), String> {
        let tensors = self.network.parameters();
        let Some([w, b]) = tensors.chunks_exact(2).nth(layer).map(|p| [p[0], p[1]]) else {
            return Err(format!("there is no layer of links {layer}"));
        };
        let (outs, ins) = (w.shape()[0], w.shape()[1]);
        let (index, mut values, at) = match from {
            Some(i) if i < ins && to < outs => (2 * layer, w.data().to_vec(), to * ins + i),
            None if to < outs => (2 * layer + 1, b.data().to_vec(), to),
            _ => {
                return Err(format!(
                    "layer {layer} links {ins} neurons to {outs}: no such link"
                ))
            }
        };
        values[at] = value;
        self.network
            .set_parameter(index, &values)
            .map_err(|e| e.to_string())?;
        let epoch = self.epoch();
        *self.history.last_mut().expect("a record at least") = self.record(epoch);
        self.edited = true;
        Ok(())
    }

    /// Checks back-propagation of the current network against finite differences, in f64
    /// on the training points, with the regularisation.
    ///
    /// # Errors
    ///
    /// The network could not be copied to f64 (it always can).
    pub fn gradient_check(&self) -> Result<GradCheckReport, String> {
        let bytes = self.network.to_bytes().map_err(|e| e.to_string())?;
        let registry = nn_core::layer::LayerRegistry::core();
        let mut net = Network::<f64>::from_bytes(&bytes, "playground", Reference, &registry)
            .map_err(|e| e.to_string())?;
        let widen = |t: &Tensor<f32>| {
            let data = t.data().iter().map(|&v| f64::from(v)).collect();
            Tensor::from_vec(t.shape(), data).expect("same shape")
        };
        let m = self.train.x.rows() as f64;
        let lambda = self.settings.regularization_rate * m;
        let check = GradCheck {
            l1: if self.settings.regularization == Regularization::L1 {
                lambda
            } else {
                0.0
            },
            l2: if self.settings.regularization == Regularization::L2 {
                lambda
            } else {
                0.0
            },
            ..GradCheck::default()
        };
        let (x, y) = (widen(&self.train.x), widen(&self.train.y));
        net.gradient_check(&x, &y, &check, &Rng::seed(0))
            .map_err(|e| e.to_string())
    }

    /// How a saved model prepares its inputs: the point features and the class names.
    pub fn preparation(&self) -> Preparation {
        Preparation::points(self.settings.features.clone(), self.classes.clone())
    }

    /// The losses of the network as it is now.
    fn record(&self, epoch: usize) -> Record {
        let (train_loss, train_accuracy) = self.measure(&self.train);
        let (test_loss, test_accuracy) = self.measure(&self.test);
        Record {
            epoch,
            train_loss,
            test_loss,
            train_accuracy,
            test_accuracy,
        }
    }

    /// The mean loss and the accuracy on `part` (NaN if the network cannot run, which a
    /// network built from valid settings always can).
    fn measure(&self, part: &Part) -> (f64, Option<f64>) {
        if !self.settings.is_classification() {
            let e = self.network.evaluate(&part.x, &part.y);
            return (e.map_or(f64::NAN, |e| e.loss), None);
        }
        let labels: Vec<usize> = part.labels.iter().map(|&l| l as usize).collect();
        match evaluate_classes(&self.network, &part.x, &labels, self.classes.len()) {
            Ok(e) => (e.loss, e.accuracy),
            Err(_) => (f64::NAN, None),
        }
    }
}

/// The targets of `labels` for a network with `outputs` outputs and `loss`:
/// ±1 for the squared error (the playground's tanh outputs), 0/1 for cross-entropy; one
/// column for two classes and one output, one-hot rows otherwise.
pub fn class_targets(labels: &[usize], outputs: usize, loss: Loss) -> Tensor<f32> {
    let low = if loss == Loss::MeanSquaredError {
        -1.0
    } else {
        0.0
    };
    let m = labels.len();
    let mut y = vec![low; m * outputs];
    for (i, &l) in labels.iter().enumerate() {
        if outputs == 1 {
            y[i] = if l == 1 { 1.0 } else { low };
        } else if l < outputs {
            y[i * outputs + l] = 1.0;
        }
    }
    Tensor::from_vec(&[m, outputs], y).expect("outputs per point")
}

/// The loss, accuracy and confusion matrix of a classifier of `k` classes on `(x, labels)`,
/// whatever its loss: nn-core's `evaluate` for cross-entropy; for the squared error (which
/// it treats as regression) the class is the output's sign, or its largest entry.
///
/// # Errors
///
/// The network cannot run on `x`, or `labels` has another length.
pub fn evaluate_classes(
    network: &Network<f32>,
    x: &Tensor<f32>,
    labels: &[usize],
    k: usize,
) -> Result<Evaluation, String> {
    let outputs = network.outputs();
    let y = class_targets(labels, outputs, network.loss());
    let evaluation = network.evaluate(x, &y).map_err(|e| e.to_string())?;
    if network.loss() != Loss::MeanSquaredError {
        // Cross-entropy: nn-core counts the classes itself, in the same pass.
        return Ok(evaluation);
    }
    let loss = evaluation.loss;
    let p = network.predict_proba(x).map_err(|e| e.to_string())?;
    let predicted: Vec<usize> = if outputs == 1 {
        p.data().iter().map(|&v| usize::from(v > 0.0)).collect()
    } else {
        (0..p.rows()).map(|i| argmax(p.row(i))).collect()
    };
    let mut confusion = ConfusionMatrix::new(k.max(outputs).max(2));
    for (&actual, &guess) in labels.iter().zip(&predicted) {
        confusion.add(actual, guess);
    }
    Ok(Evaluation {
        loss,
        accuracy: Some(confusion.accuracy()),
        confusion: Some(confusion),
    })
}

fn argmax(row: &[f32]) -> usize {
    (0..row.len()).fold(0, |best, i| if row[i] > row[best] { i } else { best })
}

/// The points of the settings' data set.
fn generate(s: &Settings, rng: &mut Rng) -> Result<Dataset, String> {
    let noise = f64::from(s.noise) / 100.0;
    let n = s.points();
    match s.problem {
        Problem::Regression => Ok(synthetic::playground_regression(
            s.reg_dataset,
            n,
            noise,
            rng,
        )),
        Problem::Classification if s.classes == 2 => {
            Ok(synthetic::playground(s.dataset, n, noise, rng))
        }
        Problem::Classification => {
            synthetic::playground_classes(s.dataset, s.classes, n, noise, rng)
                .map_err(|e| e.to_string())
        }
    }
}

/// The features, targets and labels of a part of the data.
fn part(s: &Settings, data: &Dataset) -> Result<Part, String> {
    let points = data.x().clone();
    let x = expand_points(&points, &s.features).map_err(|e| e.to_string())?;
    let (y, labels) = match data.labels() {
        None => {
            let y = data.y();
            let labels = y.data().to_vec();
            (y, labels)
        }
        Some(labels) => {
            let k = data.classes();
            let outputs = if k == 2 { 1 } else { k };
            let loss = match s.loss {
                LossKind::Square => Loss::MeanSquaredError,
                LossKind::CrossEntropy => Loss::BinaryCrossEntropy,
            };
            let y = class_targets(labels, outputs, loss);
            (y, labels.iter().map(|&l| l as f32).collect())
        }
    };
    Ok(Part {
        points,
        x,
        y,
        labels,
    })
}

/// The network of the settings: dense hidden layers with the activation, then the output
/// (tanh for the squared error of classification, as in the original; logits for
/// cross-entropy; linear for regression).
fn build_network(s: &Settings, inputs: usize, outputs: usize) -> Result<Network<f32>, String> {
    let mut b: NetworkBuilder<f32> = Network::builder(&[inputs]);
    for &units in &s.network_shape {
        b = b.dense(units);
        b = match s.activation {
            Activation::Relu => b.relu(),
            Activation::Tanh => b.tanh(),
            Activation::Sigmoid => b.sigmoid(),
            Activation::Linear => b,
        };
    }
    b = b.dense(outputs);
    let b = match (s.problem, s.loss, outputs) {
        (Problem::Regression, _, _) => b.loss(Loss::MeanSquaredError),
        (_, LossKind::Square, _) => b.tanh().loss(Loss::MeanSquaredError),
        (_, LossKind::CrossEntropy, 1) => b.loss(Loss::BinaryCrossEntropy),
        (_, LossKind::CrossEntropy, _) => b.loss(Loss::CategoricalCrossEntropy),
    };
    // The builder's own initialisation is replaced by the original's in `Session::reset`.
    b.build(Simd::new(), &mut Rng::seed(0))
        .map_err(|e| e.to_string())
}
