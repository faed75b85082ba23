//! `nn`: train, evaluate and use classifiers of images and CSV tables (and the course's 2-D
//! experiments) without writing Rust. `nn train` alone trains a small CNN on the built-in face/non-face photos.

mod checkpoint;
mod course;
mod data;
mod exchange;
mod gradcheck;
mod model;
mod playground;
use nn_cli::model_file;
mod plot;
mod predict;
mod schedule;
mod table;
mod train;
mod using;

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Result;
use clap::{Args, Parser, Subcommand, ValueEnum};
use nn_core::{Backend, Reference};
use nn_simd::Simd;

/// Train, evaluate and use classifiers of images, CSV tables and 2-D points.
#[derive(Parser)]
#[command(
    name = "nn",
    version,
    about,
    after_help = "Examples:\n  nn train                                  # a CNN on the built-in faces\n  nn train --data xor --model mlp:8 --save xor.nn\n  nn train --data iris.csv --label species --save iris.nn\n  nn train --data data/mnist5k --model cnn --epochs 3 --save mnist.nn\n  nn eval mnist.nn --data data/mnist5k\n  nn predict faces.nn photo.jpg\n  nn info faces.nn\n  nn export faces.nn faces-torch/          # model.safetensors + model.py for PyTorch\n  nn import tuned.safetensors --model faces.nn --save tuned.nn\n  nn playground --open                      # the TensorFlow playground, trained by nn\n  nn course planar                          # a lecture's experiment, course | ours"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Trains a model and prints train and test accuracy.
    #[command(
        after_help = "Examples:\n  nn train\n  nn train --data data/faces_h5/train_faces.h5 --model mlp:20,7,5 --epochs 100 --save faces.nn\n  nn train --data iris.csv --label species --split 0.2 --save iris.nn\n  nn train --data my_photos/ --size 32 --gray --split 0.2 --save photos.nn\n  nn train --data spiral --noise 0.1 --model mlp:16,16 --optimizer adam --lr 0.01"
    )]
    Train(Box<train::TrainArgs>),
    /// Evaluates a saved model on a data set: loss, accuracy, per-class precision and recall,
    /// confusion matrix.
    #[command(
        after_help = "Examples:\n  nn eval faces.nn --data data/faces_h5/test_faces.h5\n  nn eval iris.nn --data iris_test.csv --label species"
    )]
    Eval(using::EvalArgs),
    /// Predicts the class of images (named, or every image below folders) or of each row of a
    /// CSV table with a saved model.
    #[command(
        after_help = "Examples:\n  nn predict faces.nn photo.png other.jpg\n  nn predict faces.nn photos/ --top 2 --csv > predictions.csv\n  nn predict iris.nn new_flowers.csv"
    )]
    Predict(predict::PredictArgs),
    /// Checks back-propagation against finite differences for a model preset (in f64).
    #[command(after_help = "Example:\n  nn gradcheck --model cnn --data shapes --size 12")]
    Gradcheck(gradcheck::GradcheckArgs),
    /// Writes a saved model for PyTorch: its state dict (model.safetensors) and model.py,
    /// whose build() returns the nn.Sequential with those weights.
    #[command(
        after_help = "Example:\n  nn export faces.nn faces-torch/\n  cd faces-torch && python -c \"import model; net = model.build(); print(model.predict_proba(net, model.prepare(['cat.jpg'])))\""
    )]
    Export(exchange::ExportArgs),
    /// Builds a model from a PyTorch state dict saved as safetensors, for the layers of a
    /// saved model (fine-tuned after `nn export`) or of a TOML/JSON description.
    #[command(
        after_help = "Examples:\n  nn import tuned.safetensors --model faces.nn --save tuned.nn\n  nn import state.safetensors --model net.toml --save net.nn"
    )]
    Import(exchange::ImportArgs),
    /// Shows a saved model: architecture, parameters, how it was trained.
    #[command(after_help = "Example:\n  nn info faces.nn")]
    Info(using::InfoArgs),
    /// Serves the TensorFlow playground, trained by this library, on a local page: data sets,
    /// features, layers, activations, regularisation, live losses and heat maps.
    #[command(
        after_help = "Examples:\n  nn playground --open\n  nn playground --port 8080 --folder models/ --settings 'dataset=xor&noise=50&networkShape=1'"
    )]
    Playground(playground::PlaygroundArgs),
    /// Runs one of the course's experiments, printing the course's figures beside ours and
    /// writing its plots as PNG.
    #[command(
        after_help = "Examples:\n  nn course planar\n  nn course initialization --out figures/\n  nn course optimization"
    )]
    Course(course::CourseArgs),
}

/// The computing backend and its threads.
#[derive(Args, Clone, Debug)]
pub struct Compute {
    /// The backend: simd (fast) or reference (plain loops).
    #[arg(long, value_enum, default_value = "simd")]
    backend: BackendName,
    /// Threads (default: all cores, or RAYON_NUM_THREADS).
    #[arg(long)]
    threads: Option<usize>,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum BackendName {
    Simd,
    Reference,
}

impl Compute {
    fn backend(&self) -> Result<Arc<dyn Backend<f32>>> {
        Ok(match self.backend {
            BackendName::Reference => Arc::new(Reference),
            BackendName::Simd => match self.threads {
                Some(n) => Arc::new(Simd::with_threads(n)?),
                None => Arc::new(Simd::new()),
            },
        })
    }
}

/// How output is printed.
#[derive(Args, Clone, Debug)]
pub struct Output {
    /// Print only the final results.
    #[arg(long, short)]
    quiet: bool,
    /// Print JSON lines instead of text (training: one object per epoch and one for the
    /// result; prediction: one per image or row).
    #[arg(long)]
    json: bool,
}

/// A model file argument.
pub type ModelPath = PathBuf;

fn main() -> ExitCode {
    // `nn predict … | head` ends quietly when the reader goes, as other Unix tools do, rather
    // than panicking on the next print (Rust ignores SIGPIPE by default).
    #[cfg(unix)]
    // SAFETY: setting a signal's disposition to the default before any thread starts.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Train(a) => train::run(*a),
        Command::Eval(a) => using::eval(a),
        Command::Predict(a) => predict::predict(a),
        Command::Gradcheck(a) => gradcheck::run(a),
        Command::Info(a) => using::info(a),
        Command::Playground(a) => playground::serve(a),
        Command::Course(a) => course::run(a),
        Command::Export(a) => exchange::export(a),
        Command::Import(a) => exchange::import(a),
    };
    report_peak_memory();
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("nn: {}", one_line(&e));
            ExitCode::FAILURE
        }
    }
}

/// With `NN_PEAK_RSS_FILE` set, writes the process's peak resident memory (`VmHWM` of
/// `/proc/self/status`, in kB) to that file: the hostile-file tests read it, since the peak
/// that `wait4` reports for a child includes its parent's memory from before `exec`.
fn report_peak_memory() {
    let Some(path) = std::env::var_os("NN_PEAK_RSS_FILE") else {
        return;
    };
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    if let Some(line) = status.lines().find(|l| l.starts_with("VmHWM:")) {
        let _ = std::fs::write(path, line);
    }
}

/// The error and its causes on one line, leaving out a cause whose text the line already
/// holds (library errors often print their source too).
fn one_line(e: &anyhow::Error) -> String {
    let mut line = String::new();
    for cause in e.chain() {
        let text = cause.to_string();
        if line.contains(&text) {
            continue;
        }
        if !line.is_empty() {
            line.push_str(": ");
        }
        line.push_str(&text);
    }
    line.replace('\n', " ")
}
