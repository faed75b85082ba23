//! `nn train`: loads the data, builds the preset, trains with a live progress bar and a
//! per-epoch table (or JSON lines), prints train and test accuracy, saves the model.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Instant;

use anyhow::{bail, Context, Result};
use clap::{Args, ValueEnum};
use indicatif::{ProgressBar, ProgressStyle};
use nn_conv::presets::{Head, Preset};
use nn_core::{
    Control, Decay, EpochRecord, FitConfig, History, Init, Network, Observer, Optimizer, Rng,
    StepInfo, StopReason, Tensor, TrainingSet,
};
use nn_data::images::{Color, ImageOptions};
use nn_data::model::Preparation;
use nn_data::{Augmentation, Dataset};
use serde_json::json;

use crate::checkpoint;
use crate::data::{load_train_test, DataOptions, Source};
use crate::model::{self, Model, Run};
use crate::table::{self, Columns};
use crate::{plot, schedule};
use crate::{Compute, Output};

/// Options of `nn train`.
#[derive(Args, Debug)]
pub struct TrainArgs {
    /// The data: faces (built-in photos), circle, xor, gaussian, spiral, shapes, a folder with
    /// one sub-folder of images per class, an MNIST folder, the course's train_*.h5 file, or a
    /// CSV table with a header (give its class column with --label; every other column is a
    /// numeric feature).
    #[arg(long, default_value = "faces")]
    data: String,
    /// The column of a CSV table (--data, --test) that holds the classes (names or numbers).
    #[arg(long, value_name = "COLUMN")]
    label: Option<String>,
    /// A separate test set (same kinds as --data); without it, --split of the data is held out
    /// (the course's test_*.h5 beside a train_*.h5 and MNIST's t10k files are found alone).
    #[arg(long)]
    test: Option<PathBuf>,
    /// The fraction of the data held out for testing when there is no test set.
    #[arg(long, default_value_t = 0.25)]
    split: f64,
    /// Image width and height after resizing.
    #[arg(long, default_value_t = 64)]
    size: u32,
    /// Load images as grayscale (default: RGB).
    #[arg(long)]
    gray: bool,
    /// Augmentation of each training mini-batch of images: none, default (flip and a crop
    /// padded by 12.5 %), or steps such as flip,crop:4:reflect,affine:0.1:0.1,jitter:0.2 (see
    /// the README). Default for convolutional models: flip,crop:6.25%:reflect (no flip for
    /// MNIST); none otherwise.
    #[arg(long)]
    augment: Option<String>,
    /// Skip unreadable images (listed) instead of stopping.
    #[arg(long)]
    skip_unreadable: bool,
    /// Points of a 2-D set (or images of the shapes set).
    #[arg(long, default_value_t = 400)]
    points: usize,
    /// Noise of a 2-D set, 0 to 0.5.
    #[arg(long, default_value_t = 0.1)]
    noise: f64,
    /// The model: logistic, mlp:20,7,5 (hidden layer sizes), or cnn (default: cnn for
    /// images, mlp:16,8 for 2-D sets and tables).
    #[arg(long)]
    model: Option<String>,
    /// The output and loss: auto (one sigmoid unit with binary cross-entropy for two classes,
    /// softmax with categorical cross-entropy otherwise), binary or categorical.
    #[arg(long, value_enum, default_value = "auto")]
    loss: LossName,
    /// The optimiser (default: adamw for convolutional models on images, the recipe measured in
    /// the README; adam otherwise).
    #[arg(long, value_enum)]
    optimizer: Option<OptimizerName>,
    /// β of momentum and RMSprop, β₁ of Adam (default 0.9).
    #[arg(long)]
    beta: Option<f64>,
    /// β₂ of Adam and AdamW (default 0.999).
    #[arg(long)]
    beta2: Option<f64>,
    /// AdamW's decoupled weight decay λ (default 0.01): weights shrink by lr·λ each step.
    #[arg(long)]
    weight_decay: Option<f64>,
    /// Learning rate (default: 0.003 for the CNN recipe's adamw; 0.001 for adam, adamw and
    /// rmsprop; 0.01 otherwise).
    #[arg(long)]
    lr: Option<f64>,
    /// Learning-rate decay per epoch: lr / (1 + decay · epoch) (as --schedule inverse:DECAY).
    #[arg(long)]
    decay: Option<f64>,
    /// The learning-rate schedule: constant, step:EVERY:FACTOR, exponential:RATE,
    /// inverse:RATE, cosine, cosine:WARMUP (warm-up epochs, then cosine decay to 0) or
    /// one-cycle (default: cosine:1 for convolutional models on images, constant otherwise).
    #[arg(long)]
    schedule: Option<String>,
    /// Epochs (default: 30 for convolutional models on images, 15 for flat models on images,
    /// 200 for 2-D sets and tables).
    #[arg(long)]
    epochs: Option<usize>,
    /// Mini-batch size (0: the whole training set).
    #[arg(long, default_value_t = 32)]
    batch: usize,
    /// L2 regularisation strength λ.
    #[arg(long, default_value_t = 0.0)]
    l2: f64,
    /// The probability of dropping a unit, after each hidden layer of a preset (0 to 1).
    #[arg(long)]
    dropout: Option<f64>,
    /// The initialiser of a preset's weights: zeros, small_random, lecun_normal (the course's
    /// N(0,1)/√n_in), xavier_normal, xavier_uniform or he (default: zeros for logistic, he
    /// otherwise). A model file names its own.
    #[arg(long, value_parser = parse_init)]
    init: Option<Init>,
    /// Stop when the validation cost has not improved for this many epochs (a tenth of the
    /// training data is held out for validation) and keep the best weights.
    #[arg(long)]
    early_stopping: Option<usize>,
    /// Standardise features with the training set's mean and deviation (saved with the
    /// model). The default for CSV tables; --standardize=false keeps a table's values as they
    /// are. Pixels are divided by 255, and standardised too only with this flag; the 2-D sets
    /// are left as they are.
    #[arg(long, num_args = 0..=1, require_equals = true, default_missing_value = "true",
          value_name = "BOOL")]
    standardize: Option<bool>,
    /// The seed of every random choice (initialisation, shuffling, splits).
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Save the trained model here (written atomically).
    #[arg(long)]
    save: Option<PathBuf>,
    /// Continue training this saved model (from --save or --checkpoint) where it stopped, up
    /// to --epochs in all; give the data and options it was trained with.
    #[arg(long)]
    resume: Option<PathBuf>,
    /// Keep checkpoints in this folder: last.nn after every epoch, best.nn at the lowest
    /// validation cost (training cost without validation), each written atomically.
    #[arg(long)]
    checkpoint: Option<PathBuf>,
    /// Write plots into this folder: cost.png (the cost per epoch, training and validation)
    /// and, for 2-D data, boundary.png (the decision boundary over the points).
    #[arg(long)]
    plot: Option<PathBuf>,
    /// Train a playground exercise instead, given by the settings of its address (after the
    /// `#` of `nn playground`'s page, e.g. 'dataset=xor&noise=50&networkShape=1'): the same
    /// data, network, initial weights and steps as the page, printing the losses the page
    /// shows; --epochs, --save, --quiet and --json apply, the other options do not.
    #[arg(long, value_name = "SETTINGS", conflicts_with_all = ["resume", "checkpoint", "model", "plot"])]
    pub playground: Option<String>,
    #[command(flatten)]
    compute: Compute,
    #[command(flatten)]
    output: Output,
}

/// An initialiser by its name in model descriptions (nn-core's `Init`, through serde).
fn parse_init(name: &str) -> Result<Init, String> {
    serde_json::from_value(serde_json::Value::String(name.to_string())).map_err(|_| {
        format!(
            "unknown initialiser {name:?}: use zeros, small_random, lecun_normal, \
             xavier_normal, xavier_uniform or he"
        )
    })
}

/// `--loss`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum LossName {
    /// Binary for two classes, categorical otherwise.
    Auto,
    /// One sigmoid output with binary cross-entropy (two classes only).
    Binary,
    /// Softmax outputs with categorical cross-entropy, even for two classes.
    Categorical,
}

/// `--optimizer`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum OptimizerName {
    /// Gradient descent.
    Gd,
    /// Gradient descent with momentum.
    Momentum,
    /// RMSprop.
    Rmsprop,
    /// Adam.
    Adam,
    /// Adam with decoupled weight decay (--weight-decay).
    Adamw,
    /// SGD with Nesterov momentum (--beta is the momentum).
    Nesterov,
}

/// What the arguments ask for, checked before any data is loaded.
struct Plan {
    data: DataOptions,
    augment: Augmentation,
    model: Model,
    optimizer: Optimizer,
    decay: Decay,
    epochs: usize,
    /// Whether the features are standardised (`--standardize`, by default for tables).
    standardize: bool,
    /// The columns of a CSV table.
    table: Option<Columns>,
}

impl Plan {
    fn from_args(a: &TrainArgs) -> Result<Plan> {
        let source = Source::parse(&a.data)?;
        let images = source.is_images();
        let table = table_columns(a, &source)?;
        let model = match &a.model {
            Some(m) => Model::parse(m)?,
            None if images => Model::Preset(Preset::Cnn),
            None => Model::Preset(Preset::Mlp(vec![16, 8])),
        };
        if !(0.0..1.0).contains(&a.split) || a.split == 0.0 {
            bail!(
                "--split must be between 0 and 1 (exclusive), got {}",
                a.split
            );
        }
        if let Some(p) = a.dropout {
            if !(0.0..1.0).contains(&p) {
                bail!("--dropout must be in [0, 1), got {p}");
            }
        }
        let data = DataOptions {
            source,
            test: a.test.clone(),
            split: a.split,
            images: ImageOptions::new()
                .size(a.size, a.size)
                .color(if a.gray { Color::Gray } else { Color::Rgb })
                .skip_unreadable(a.skip_unreadable),
            points: a.points,
            noise: a.noise,
            label: a.label.clone(),
            progress: !a.output.quiet && !a.output.json,
        };
        let recipe = Recipe::for_data(&data.source, images && !model.flat());
        let epochs = a.epochs.unwrap_or(recipe.epochs);
        let decay = match (&a.schedule, a.decay) {
            (Some(_), Some(_)) => bail!("give --schedule or --decay, not both"),
            (Some(text), None) => schedule::parse(text, epochs)?,
            (None, Some(rate)) => schedule::parse(&format!("inverse:{rate}"), epochs)?,
            // The recipe's warm-up needs a run longer than it.
            (None, None) if epochs < 2 => schedule::parse("constant", epochs)?,
            (None, None) => schedule::parse(recipe.schedule, epochs)?,
        };
        let augment: Augmentation = a.augment.as_deref().unwrap_or(recipe.augment).parse()?;
        if !augment.is_none() && (!images || model.flat()) {
            bail!(
                "--augment {augment} transforms images, but {} (use --augment none)",
                if images {
                    "this model takes flat vectors"
                } else {
                    "the data are not images"
                }
            );
        }
        Ok(Plan {
            augment,
            standardize: a.standardize.unwrap_or(table.is_some()),
            data,
            model,
            optimizer: optimizer(a, &recipe)?,
            decay,
            epochs,
            table,
        })
    }

    fn fit_config(&self, a: &TrainArgs, examples: usize) -> FitConfig {
        let mut config = FitConfig::new(self.optimizer)
            .epochs(self.epochs)
            .batch_size(if a.batch == 0 { examples } else { a.batch })
            .l2(a.l2)
            .decay(self.decay);
        if let Some(patience) = a.early_stopping {
            config = config.early_stopping(patience).validation_split(0.1);
        }
        config
    }
}

/// The defaults of `nn train` that depend on the data and the model.
struct Recipe {
    optimizer: OptimizerName,
    /// The learning rate of `optimizer` when it is the recipe's.
    lr: f64,
    schedule: &'static str,
    augment: &'static str,
    epochs: usize,
}

impl Recipe {
    /// For a convolutional model on images, the recipe chosen by the experiments in the README
    /// (hymenoptera, the course's faces and MNIST, against PyTorch's recipes): AdamW at 3e-3,
    /// one epoch of warm-up then cosine decay, random flips (not of MNIST's digits, which are
    /// not mirror images) and crops padded by 6.25 % (reflected), 30 epochs. Otherwise Adam at
    /// 1e-3, constant, no augmentation, 15 epochs (flat images) or 200.
    fn for_data(source: &Source, cnn: bool) -> Recipe {
        if cnn {
            Recipe {
                optimizer: OptimizerName::Adamw,
                lr: 0.003,
                schedule: "cosine:1",
                augment: match source {
                    Source::Mnist(_) => "crop:6.25%:reflect",
                    _ => "flip,crop:6.25%:reflect",
                },
                epochs: 30,
            }
        } else {
            Recipe {
                optimizer: OptimizerName::Adam,
                lr: 0.001,
                schedule: "constant",
                augment: "none",
                epochs: if source.is_images() { 15 } else { 200 },
            }
        }
    }
}

/// The columns of a CSV table given as `--data` (with `--label`, which other data refuse),
/// and a CSV `--test` table's, which must be the same.
fn table_columns(a: &TrainArgs, source: &Source) -> Result<Option<Columns>> {
    let Source::Csv(path) = source else {
        if a.label.is_some() {
            bail!(
                "--label names the class column of a CSV table, but --data {} is not one",
                a.data
            );
        }
        return Ok(None);
    };
    let columns = table::for_training(path, a.label.as_deref())?;
    let csv = |t: &&Path| t.extension().is_some_and(|e| e.eq_ignore_ascii_case("csv"));
    if let Some(test) = a.test.as_deref().filter(csv) {
        let other = table::for_training(test, a.label.as_deref())?;
        if other.features != columns.features {
            bail!(
                "{}, line 1: the feature columns are {}, but {}'s are {}",
                test.display(),
                other.features.join(", "),
                path.display(),
                columns.features.join(", ")
            );
        }
    }
    Ok(Some(columns))
}

/// The optimiser of `--optimizer`, `--lr`, `--beta` and `--beta2`, the recipe's by default.
fn optimizer(a: &TrainArgs, recipe: &Recipe) -> Result<Optimizer> {
    let name = a.optimizer.unwrap_or(recipe.optimizer);
    let lr = |default: f64| {
        a.lr.unwrap_or(if name == recipe.optimizer {
            recipe.lr
        } else {
            default
        })
    };
    let mut optimizer = match name {
        OptimizerName::Gd => Optimizer::gradient_descent(lr(0.01)),
        OptimizerName::Momentum => Optimizer::momentum(lr(0.01)),
        OptimizerName::Rmsprop => Optimizer::rmsprop(lr(0.001)),
        OptimizerName::Adam => Optimizer::adam(lr(0.001)),
        OptimizerName::Adamw => Optimizer::adamw(lr(0.001), a.weight_decay.unwrap_or(0.01)),
        OptimizerName::Nesterov => Optimizer::nesterov(lr(0.01)),
    };
    if a.weight_decay.is_some() && name != OptimizerName::Adamw {
        bail!(
            "--weight-decay is AdamW's (--optimizer adamw); for the course's L2 regularisation \
             use --l2"
        );
    }
    match (&mut optimizer, a.beta, a.beta2) {
        (_, None, None) => {}
        (
            Optimizer::Momentum { beta, .. }
            | Optimizer::RmsProp { beta, .. }
            | Optimizer::Nesterov { momentum: beta, .. },
            Some(b),
            None,
        ) => *beta = b,
        (Optimizer::Adam { beta1, beta2, .. } | Optimizer::AdamW { beta1, beta2, .. }, b1, b2) => {
            *beta1 = b1.unwrap_or(*beta1);
            *beta2 = b2.unwrap_or(*beta2);
        }
        _ => bail!(
            "--beta applies to momentum, nesterov, rmsprop, adam and adamw, --beta2 to adam and \
             adamw only (the optimizer is {name:?})"
        ),
    }
    optimizer.validate()?;
    Ok(optimizer)
}

/// The data of a run, prepared, as tensors.
struct Prepared {
    train: Dataset,
    prepare: Preparation,
    x: Tensor<f32>,
    y: Tensor<f32>,
    x_test: Tensor<f32>,
    y_test: Tensor<f32>,
}

fn load_data(a: &TrainArgs, plan: &Plan, rng: &mut Rng) -> Result<Prepared> {
    let loading = Instant::now();
    let (train, test, prepare) =
        load_train_test(&plan.data, plan.model.flat(), plan.standardize, rng)?;
    if !a.output.quiet && !a.output.json {
        println!(
            "data: {} training and {} test examples of {:?}, classes {:?} (loaded in {:.2} s)",
            train.len(),
            test.len(),
            train.example_shape(),
            train.class_names(),
            loading.elapsed().as_secs_f64()
        );
    }
    Ok(Prepared {
        x: prepare.tensor(&train)?,
        y: train.y(),
        x_test: prepare.tensor(&test)?,
        y_test: test.y(),
        train,
        prepare,
    })
}

/// The output head that `--loss` asks for.
fn head(a: &TrainArgs, classes: usize) -> Result<Head> {
    Ok(match a.loss {
        LossName::Binary if classes != 2 => {
            bail!("--loss binary needs two classes, but the data have {classes}")
        }
        LossName::Binary => Head::Binary,
        LossName::Categorical => Head::Categorical(classes),
        LossName::Auto => Head::for_classes(classes),
    })
}

fn build(a: &TrainArgs, plan: &Plan, data: &Prepared, rng: &mut Rng) -> Result<Network<f32>> {
    let head = head(a, data.train.classes())?;
    let net = plan
        .model
        .builder(&data.prepare.example_shape, head, a.dropout, a.init)?
        .build(a.compute.backend()?, rng)
        .map_err(|e| plan.model.explain(e))?;
    if !a.output.quiet && !a.output.json {
        println!(
            "model: {} ({} parameters)",
            plan.model,
            net.parameter_count()
        );
        // The layers with their output shapes and parameter counts (Keras's `summary()`).
        for line in net.summary().lines().skip(1) {
            if !line.starts_with("loss") {
                println!("  {}", line.strip_prefix(' ').unwrap_or(line));
            }
        }
    }
    Ok(net)
}

/// How training went.
struct Outcome {
    history: History,
    /// Epochs trained in all (with those before a resume).
    epochs: usize,
    /// The generator after training, unless it stopped inside an epoch.
    rng: Option<Rng>,
    seconds: f64,
    train_accuracy: f64,
    test_accuracy: f64,
    test_loss: f64,
    stop: String,
    interrupted: bool,
}

/// Trains with the live view; Ctrl-C stops at the end of the current step, and the model is
/// still evaluated and saved.
fn fit(
    a: &TrainArgs,
    plan: &Plan,
    data: &Prepared,
    (net, before, best): (&mut Network<f32>, usize, Option<f64>),
    rng: &mut Rng,
) -> Result<Outcome> {
    if plan.epochs == 0 {
        bail!("--epochs must be at least 1");
    }
    let Some(epochs) = plan.epochs.checked_sub(before).filter(|&n| n > 0) else {
        bail!(
            "the model has already been trained {before} epochs; ask for more with --epochs \
             (the total, e.g. --epochs {})",
            before + plan.epochs.max(1)
        );
    };
    let interrupted = Arc::new(AtomicBool::new(false));
    let flag = interrupted.clone();
    // A second handler cannot be installed in one process (tests call `run` once).
    let _ = ctrlc::set_handler(move || flag.store(true, Ordering::SeqCst));
    // The second curve of the plot: the validation set of early stopping, else the test set
    // (evaluated after each epoch; training itself does not change).
    let (monitor, monitored) = match (a.early_stopping, &a.plot) {
        (Some(_), _) => (None, Some("val")),
        (None, Some(_)) => (Some((&data.x_test, &data.y_test)), Some("test")),
        (None, None) => (None, None),
    };
    let config = plan.fit_config(a, data.train.len()).epochs(epochs);
    let mut progress = Progress::new(&a.output, epochs, monitored, &interrupted);
    let checkpoints = match &a.checkpoint {
        Some(dir) => Some(checkpoint::Checkpoints::new(
            dir,
            &data.prepare,
            Run {
                best_cost: best,
                ..run_record(a, plan)
            },
            before,
            // best.nn by the validation cost of early stopping, never by the test set that
            // --plot follows; else by the training cost.
            a.early_stopping.is_some(),
        )?),
        None => None,
    };
    let started = Instant::now();
    let mut set = TrainingSet::new(&data.x, &data.y);
    set.validation = monitor;
    if !plan.augment.is_none() {
        set = set.augment(&plan.augment);
    }
    if let Some(c) = &checkpoints {
        set = set.after_epoch(c);
    }
    let history = net.train_on(set, &config, rng, &mut progress)?;
    let seconds = started.elapsed().as_secs_f64();
    progress.finish();
    let train_eval = net.evaluate(&data.x, &data.y)?;
    let test_eval = net.evaluate(&data.x_test, &data.y_test)?;
    let stop = match history.stop {
        // The only observer that stops a run here is Ctrl-C.
        StopReason::Observer => "Interrupted".to_string(),
        other => format!("{other:?}"),
    };
    let interrupted = interrupted.load(Ordering::SeqCst);
    Ok(Outcome {
        // Whole epochs: an interrupted one is not counted (the optimiser's count neither).
        epochs: net.optimizer_state().map_or(0, |s| s.epochs() as usize),
        // An interrupted epoch cannot be continued exactly: the checkpoint of the last whole
        // epoch can.
        rng: (!interrupted).then(|| rng.clone()),
        history,
        seconds,
        train_accuracy: train_eval.accuracy.unwrap_or(f64::NAN),
        test_accuracy: test_eval.accuracy.unwrap_or(f64::NAN),
        test_loss: test_eval.loss,
        stop,
        interrupted,
    })
}

fn report(a: &TrainArgs, o: &Outcome) {
    if a.output.json {
        println!(
            "{}",
            json!({"result": "trained", "epochs": o.history.epochs.len(), "seconds": o.seconds,
                   "train_accuracy": o.train_accuracy, "test_accuracy": o.test_accuracy,
                   "test_loss": o.test_loss, "stop": o.stop})
        );
    } else {
        println!(
            "train accuracy {:.1} %, test accuracy {:.1} % ({} epochs in {:.2} s{})",
            100.0 * o.train_accuracy,
            100.0 * o.test_accuracy,
            o.history.epochs.len(),
            o.seconds,
            if o.interrupted { ", interrupted" } else { "" }
        );
    }
}

fn plots(
    a: &TrainArgs,
    dir: &Path,
    data: &Prepared,
    net: &Network<f32>,
    o: &Outcome,
) -> Result<()> {
    std::fs::create_dir_all(dir)
        .with_context(|| format!("{}: cannot create the plot folder", dir.display()))?;
    let costs: Vec<f64> = o.history.epochs.iter().map(|e| e.cost).collect();
    let validation: Vec<Option<f64>> = o.history.epochs.iter().map(|e| e.val_cost).collect();
    let second = if a.early_stopping.is_some() {
        "validation"
    } else {
        "test"
    };
    plot::cost_curve(&dir.join("cost.png"), &costs, &validation, second)?;
    if data.prepare.example_shape == [2] {
        let labels = data.train.labels().unwrap_or(&[]);
        plot::decision_boundary(&dir.join("boundary.png"), net, &data.x, labels)?;
    }
    if !a.output.json && !a.output.quiet {
        println!("plots in {}", dir.display());
    }
    Ok(())
}

/// The record of this run, without its results.
fn run_record(a: &TrainArgs, plan: &Plan) -> Run {
    Run {
        model: a.model.clone().unwrap_or_else(|| plan.model.to_string()),
        command: std::env::args().collect::<Vec<_>>().join(" "),
        table: plan.table.clone(),
        seed: Some(a.seed),
        ..Run::default()
    }
}

fn save(
    a: &TrainArgs,
    path: &Path,
    plan: &Plan,
    data: &Prepared,
    net: &Network<f32>,
    o: &Outcome,
) -> Result<()> {
    let run = Run {
        epochs: o.epochs,
        stop: o.stop.clone(),
        cost: o.history.epochs.last().map_or(f64::NAN, |e| e.cost),
        train_accuracy: o.train_accuracy,
        test_accuracy: o.test_accuracy,
        seconds: o.seconds,
        rng: o.rng.clone(),
        ..run_record(a, plan)
    };
    model::save(path, net, &data.prepare, &run)
        .with_context(|| format!("{}: cannot save the model", path.display()))?;
    if !a.output.json {
        println!("saved {}", path.display());
    }
    Ok(())
}

/// `nn train`: plan from the arguments, load, build, fit, report, plot, save.
pub fn run(a: TrainArgs) -> Result<()> {
    if let Some(settings) = &a.playground {
        return crate::playground::train(settings, a.epochs, a.save.as_deref(), &a.output);
    }
    let plan = Plan::from_args(&a)?;
    let mut rng = Rng::seed(a.seed);
    let data = load_data(&a, &plan, &mut rng)?;
    let (mut net, before, best) = match &a.resume {
        Some(path) => {
            if a.early_stopping.is_some() {
                bail!(
                    "--resume with --early-stopping: the validation split and early stopping's \
                     best epoch are not saved, so the run would not continue exactly; resume \
                     without --early-stopping"
                );
            }
            let expect = checkpoint::Expect {
                prepare: &data.prepare,
                optimizer: plan.optimizer,
                seed: a.seed,
            };
            let resumed = checkpoint::resume(path, &expect, a.compute.backend()?)?;
            if !a.output.quiet && !a.output.json {
                println!(
                    "resuming {} after {} epochs",
                    path.display(),
                    resumed.epochs
                );
            }
            rng = resumed.rng;
            (resumed.net, resumed.epochs, resumed.best_cost)
        }
        None => (build(&a, &plan, &data, &mut rng)?, 0, None),
    };
    let outcome = fit(&a, &plan, &data, (&mut net, before, best), &mut rng)?;
    report(&a, &outcome);
    if let Some(dir) = &a.plot {
        plots(&a, dir, &data, &net, &outcome)?;
    }
    if let Some(path) = &a.save {
        save(&a, path, &plan, &data, &net, &outcome)?;
    }
    Ok(())
}

/// The live view of training: a progress bar with the running cost, a line per epoch (or a
/// JSON object per epoch), and Ctrl-C.
struct Progress<'a> {
    bar: Option<ProgressBar>,
    json: bool,
    quiet: bool,
    /// The name of the set evaluated after each epoch (`val` or `test`), if any.
    monitored: Option<&'static str>,
    /// The training accuracy of the last epoch, shown beside the live cost.
    last_accuracy: Option<f64>,
    interrupted: &'a AtomicBool,
}

impl<'a> Progress<'a> {
    fn new(
        output: &Output,
        epochs: usize,
        monitored: Option<&'static str>,
        interrupted: &'a AtomicBool,
    ) -> Self {
        let show_bar = !output.quiet && !output.json;
        let bar = show_bar.then(|| {
            let bar = ProgressBar::new(epochs as u64);
            bar.set_style(
                ProgressStyle::with_template(
                    "{bar:30} epoch {pos}/{len} {msg} [{elapsed}, eta {eta}]",
                )
                .expect("a valid template"),
            );
            bar
        });
        if show_bar {
            let mut header = format!("{:>6} {:>10} {:>10}", "epoch", "cost", "train acc");
            if let Some(set) = monitored {
                header += &format!(
                    " {:>10} {:>10}",
                    format!("{set} cost"),
                    format!("{set} acc")
                );
            }
            println!("{header} {:>8}", "lr");
        }
        Progress {
            bar,
            json: output.json,
            quiet: output.quiet,
            monitored,
            last_accuracy: None,
            interrupted,
        }
    }

    fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

impl Observer for Progress<'_> {
    fn on_step(&mut self, step: &StepInfo) -> Control {
        if let Some(bar) = &self.bar {
            let mut message = format!("cost {:.4}", step.cost);
            if let Some(a) = self.last_accuracy {
                message += &format!(", accuracy {}", percent(Some(a)));
            }
            bar.set_message(message);
        }
        if self.interrupted.load(Ordering::SeqCst) {
            Control::Stop
        } else {
            Control::Continue
        }
    }

    fn on_epoch(&mut self, e: &EpochRecord) -> Control {
        self.last_accuracy = e.accuracy;
        if self.json {
            println!(
                "{}",
                json!({"epoch": e.epoch + 1, "cost": e.cost, "accuracy": e.accuracy,
                       "val_cost": e.val_cost, "val_accuracy": e.val_accuracy, "lr": e.lr})
            );
        } else if !self.quiet {
            let mut line = format!(
                "{:>6} {:>10.4} {:>10}",
                e.epoch + 1,
                e.cost,
                percent(e.accuracy)
            );
            if self.monitored.is_some() {
                let cost = e.val_cost.map_or("-".to_string(), |c| format!("{c:.4}"));
                line += &format!(" {cost:>10} {:>10}", percent(e.val_accuracy));
            }
            line += &format!(" {:>8.2e}", e.lr);
            match &self.bar {
                // Above the bar on a terminal; plain lines when output is piped (the bar is
                // then hidden, and so would be its printed lines).
                Some(bar) if !bar.is_hidden() => bar.println(line),
                _ => println!("{line}"),
            }
            if let Some(bar) = &self.bar {
                bar.inc(1);
            }
        }
        Control::Continue
    }
}

/// `93.8 %`, or `-` where there is no accuracy.
fn percent(a: Option<f64>) -> String {
    a.map_or("-".to_string(), |a| format!("{:.1} %", 100.0 * a))
}
