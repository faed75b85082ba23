//! `nn train`: loads the data, builds the preset, trains with a live progress bar and a
//! per-epoch table (or JSON lines), prints train and test accuracy, saves the model.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Instant;

use anyhow::{bail, Context, Result};
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use nn_core::{
    Control, Decay, EpochRecord, FitConfig, Observer, Optimizer, Rng, StepInfo, StopReason,
};
use nn_data::images::{Color, ImageOptions};
use serde_json::json;

use crate::data::{load_train_test, DataOptions, Source};
use crate::model::{self, Meta, Preset, Trained};
use crate::plot;
use crate::{Compute, Output};

/// Options of `nn train`.
#[derive(Args, Debug)]
pub struct TrainArgs {
    /// The data: faces (built-in photos), circle, xor, gaussian, spiral, shapes, a folder with
    /// one sub-folder of images per class, an MNIST folder, or the course's train_*.h5 file.
    #[arg(long, default_value = "faces")]
    data: String,
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
    /// images, mlp:16,8 for 2-D sets).
    #[arg(long)]
    model: Option<String>,
    /// The output and loss: auto (one sigmoid unit with binary cross-entropy for two classes,
    /// softmax with categorical cross-entropy otherwise), binary or categorical.
    #[arg(long, default_value = "auto", value_parser = ["auto", "binary", "categorical"])]
    loss: String,
    /// The optimiser: gd, momentum, rmsprop or adam.
    #[arg(long, default_value = "adam")]
    optimizer: String,
    /// β of momentum and RMSprop, β₁ of Adam (default 0.9).
    #[arg(long)]
    beta: Option<f64>,
    /// β₂ of Adam (default 0.999).
    #[arg(long)]
    beta2: Option<f64>,
    /// Learning rate (default: 0.001 for adam and rmsprop, 0.01 otherwise).
    #[arg(long)]
    lr: Option<f64>,
    /// Learning-rate decay per epoch: lr / (1 + decay · epoch).
    #[arg(long)]
    decay: Option<f64>,
    /// Epochs (default: 15 for images, 200 for 2-D sets).
    #[arg(long)]
    epochs: Option<usize>,
    /// Mini-batch size (0: the whole training set).
    #[arg(long, default_value_t = 32)]
    batch: usize,
    /// L2 regularisation strength λ.
    #[arg(long, default_value_t = 0.0)]
    l2: f64,
    /// Dropout probability after each hidden layer (0 to 1).
    #[arg(long)]
    dropout: Option<f64>,
    /// Stop when the validation cost has not improved for this many epochs (a tenth of the
    /// training data is held out for validation) and keep the best weights.
    #[arg(long)]
    early_stopping: Option<usize>,
    /// Standardise features with the training set's mean and deviation (default: pixels are
    /// divided by 255, tables are left as they are).
    #[arg(long)]
    standardize: bool,
    /// The seed of every random choice (initialisation, shuffling, splits).
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Save the trained model here (written atomically).
    #[arg(long)]
    save: Option<PathBuf>,
    /// Write plots into this folder: cost.png (the cost per epoch, training and validation)
    /// and, for 2-D data, boundary.png (the decision boundary over the points).
    #[arg(long)]
    plot: Option<PathBuf>,
    #[command(flatten)]
    compute: Compute,
    #[command(flatten)]
    output: Output,
}

pub fn run(a: TrainArgs) -> Result<()> {
    let source = Source::parse(&a.data)?;
    let images_data = source.is_images();
    let preset = match &a.model {
        Some(m) => Preset::parse(m)?,
        None if images_data => Preset::Cnn,
        None => Preset::Mlp(vec![16, 8]),
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
    let options = DataOptions {
        source,
        test: a.test.clone(),
        split: a.split,
        images: ImageOptions::new()
            .size(a.size, a.size)
            .color(if a.gray { Color::Gray } else { Color::Rgb })
            .skip_unreadable(a.skip_unreadable),
        points: a.points,
        noise: a.noise,
        progress: !a.output.quiet && !a.output.json,
    };
    let mut rng = Rng::seed(a.seed);
    let loading = Instant::now();
    let (train, test, prepare) = load_train_test(&options, preset.flat(), a.standardize, &mut rng)?;
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
    let (x, y) = (prepare.tensor(&train)?, train.y());
    let (x_test, y_test) = (prepare.tensor(&test)?, test.y());
    let backend = a.compute.backend()?;
    let binary = match a.loss.as_str() {
        "binary" if train.classes() != 2 => bail!(
            "--loss binary needs two classes, but the data have {}",
            train.classes()
        ),
        "binary" => true,
        "categorical" => false,
        _ => train.classes() == 2,
    };
    let mut net = preset
        .builder(&prepare.example_shape, train.classes(), binary, a.dropout)?
        .build(backend, &mut rng)
        .map_err(|e| preset.explain(e))?;
    let mut optimizer = match a.optimizer.as_str() {
        "gd" => Optimizer::gradient_descent(a.lr.unwrap_or(0.01)),
        "momentum" => Optimizer::momentum(a.lr.unwrap_or(0.01)),
        "rmsprop" => Optimizer::rmsprop(a.lr.unwrap_or(0.001)),
        "adam" => Optimizer::adam(a.lr.unwrap_or(0.001)),
        other => bail!("unknown optimizer {other:?}: use gd, momentum, rmsprop or adam"),
    };
    match (&mut optimizer, a.beta, a.beta2) {
        (_, None, None) => {}
        (Optimizer::Momentum { beta, .. } | Optimizer::RmsProp { beta, .. }, Some(b), None) => {
            *beta = b
        }
        (Optimizer::Adam { beta1, beta2, .. }, b1, b2) => {
            *beta1 = b1.unwrap_or(*beta1);
            *beta2 = b2.unwrap_or(*beta2);
        }
        _ => bail!(
            "--beta applies to momentum, rmsprop and adam, --beta2 to adam only (the optimizer is {})",
            a.optimizer
        ),
    }
    optimizer.validate()?;
    let epochs = a.epochs.unwrap_or(if images_data { 15 } else { 200 });
    let mut config = FitConfig::new(optimizer)
        .epochs(epochs)
        .batch_size(if a.batch == 0 { train.len() } else { a.batch })
        .l2(a.l2);
    if let Some(d) = a.decay {
        config = config.decay(Decay::InverseTime { rate: d, every: 1 });
    }
    if let Some(patience) = a.early_stopping {
        config = config.early_stopping(patience).validation_split(0.1);
    }
    if !a.output.quiet && !a.output.json {
        println!("model: {preset} ({} parameters)", net.parameter_count());
    }

    // Ctrl-C stops training at the end of the current step; the model is still evaluated
    // and saved.
    let interrupted = Arc::new(AtomicBool::new(false));
    let flag = interrupted.clone();
    // A second handler cannot be installed in one process (tests call `run` once).
    let _ = ctrlc::set_handler(move || flag.store(true, Ordering::SeqCst));
    // The second curve of the plot: the validation set of early stopping, else the test set
    // (evaluated after each epoch; training itself does not change).
    let (monitor, monitored) = match (a.early_stopping, &a.plot) {
        (Some(_), _) => (None, Some("val")),
        (None, Some(_)) => (Some((&x_test, &y_test)), Some("test")),
        (None, None) => (None, None),
    };
    let mut progress = Progress::new(&a.output, epochs, monitored, &interrupted);
    let started = Instant::now();
    let history = net.fit_with(&x, &y, monitor, &config, &mut rng, &mut progress)?;
    let seconds = started.elapsed().as_secs_f64();
    progress.finish();

    let train_eval = net.evaluate(&x, &y)?;
    let test_eval = net.evaluate(&x_test, &y_test)?;
    let (train_acc, test_acc) = (
        train_eval.accuracy.unwrap_or(f64::NAN),
        test_eval.accuracy.unwrap_or(f64::NAN),
    );
    let stop = match history.stop {
        // The only observer that stops a run here is Ctrl-C.
        StopReason::Observer => "Interrupted".to_string(),
        other => format!("{other:?}"),
    };
    if a.output.json {
        println!(
            "{}",
            json!({"result": "trained", "epochs": history.epochs.len(), "seconds": seconds,
                   "train_accuracy": train_acc, "test_accuracy": test_acc,
                   "test_loss": test_eval.loss, "stop": stop})
        );
    } else {
        println!(
            "train accuracy {:.1} %, test accuracy {:.1} % ({} epochs in {:.2} s{})",
            100.0 * train_acc,
            100.0 * test_acc,
            history.epochs.len(),
            seconds,
            if interrupted.load(Ordering::SeqCst) {
                ", interrupted"
            } else {
                ""
            }
        );
    }
    if let Some(dir) = &a.plot {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("{}: cannot create the plot folder", dir.display()))?;
        let costs: Vec<f64> = history.epochs.iter().map(|e| e.cost).collect();
        let validation: Vec<Option<f64>> = history.epochs.iter().map(|e| e.val_cost).collect();
        plot::cost_curve(
            &dir.join("cost.png"),
            &costs,
            &validation,
            if monitored == Some("val") {
                "validation"
            } else {
                "test"
            },
        )?;
        if prepare.example_shape == [2] {
            plot::decision_boundary(
                &dir.join("boundary.png"),
                &mut net,
                &x,
                train.labels().unwrap_or(&[]),
            )?;
        }
        if !a.output.json && !a.output.quiet {
            println!("plots in {}", dir.display());
        }
    }
    if let Some(path) = &a.save {
        let meta = Meta {
            prepare,
            model: a
                .model
                .clone()
                .unwrap_or_else(|| format!("{preset:?}").to_lowercase()),
            trained: Trained {
                command: std::env::args().collect::<Vec<_>>().join(" "),
                epochs: history.epochs.len(),
                stop,
                cost: history.epochs.last().map_or(f64::NAN, |e| e.cost),
                train_accuracy: train_acc,
                test_accuracy: test_acc,
                seconds,
            },
        };
        model::save(path, &meta, &net)
            .with_context(|| format!("{}: cannot save the model", path.display()))?;
        if !a.output.json {
            println!("saved {}", path.display());
        }
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
