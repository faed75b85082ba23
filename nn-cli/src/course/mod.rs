//! `nn course NAME`: the course's experiments, each printing the course's published figure
//! beside ours and writing its figures as PNG.

mod convolution;
mod gradient_checking;
mod images;
mod initialization;
mod optimization;
mod planar;
mod regularization;

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use clap::{Args, ValueEnum};
use nn_core::{FitConfig, Network, Tensor};
use nn_data::Dataset;

use crate::plot;

/// Options of `nn course`.
#[derive(Args, Debug)]
pub struct CourseArgs {
    /// The experiment.
    #[arg(value_enum)]
    experiment: Experiment,
    /// Where the figures (PNG) go.
    #[arg(long, default_value = "course-figures")]
    out: PathBuf,
    /// The course's training file (`train_catvnoncat.h5`; its test file is found beside it)
    /// for `logistic` and `deep` (default: `data/faces_h5/train_faces.h5`, laid out the same).
    #[arg(long)]
    data: Option<PathBuf>,
    /// The seed of the data and the initial weights.
    #[arg(long, default_value_t = 1)]
    seed: u64,
}

/// The experiments.
#[derive(Clone, Copy, Debug, ValueEnum)]
enum Experiment {
    /// Logistic regression with a neural-network mindset: train and test accuracy, and the
    /// cost curves of three learning rates.
    Logistic,
    /// Planar data with one hidden layer: logistic regression against a tanh network on the
    /// course's flower, and the hidden-size sweep.
    Planar,
    /// The deep network application: `[n, 7, 1]` and `[n, 20, 7, 5, 1]` over 5 seeds.
    Deep,
    /// Initialisation on the course's circles: zeros, large random (×10), He.
    Initialization,
    /// Regularisation: none, L2 (λ = 0.7) and dropout (keep 0.86) on a noisy 2-D set.
    Regularization,
    /// Gradient checking: back-propagation against finite differences, and a planted bug
    /// caught.
    GradientChecking,
    /// Convolution step by step: a single step, a padded strided forward pass and its
    /// backward pass, max and average pooling and theirs, against plain loops.
    Convolution,
    /// Optimisation methods on the moons: mini-batch gradient descent, momentum, Adam.
    Optimization,
}

/// Runs one experiment.
pub fn run(a: CourseArgs) -> Result<()> {
    std::fs::create_dir_all(&a.out).with_context(|| format!("--out {}", a.out.display()))?;
    match a.experiment {
        Experiment::Logistic => images::run_logistic(&a.out, a.data.as_deref()),
        Experiment::Deep => images::run_deep(&a.out, a.data.as_deref(), a.seed),
        Experiment::Planar => planar::run(&a.out, a.seed),
        Experiment::Initialization => initialization::run(&a.out, a.seed),
        Experiment::Optimization => optimization::run(&a.out, a.seed),
        Experiment::Regularization => regularization::run(&a.out, a.seed),
        Experiment::Convolution => convolution::run(a.seed),
        Experiment::GradientChecking => gradient_checking::run(a.seed),
    }
}

/// Rows of "what | course | ours", printed as a Markdown table.
pub struct Table {
    rows: Vec<[String; 3]>,
}

impl Table {
    fn new() -> Self {
        Table { rows: Vec::new() }
    }

    /// A row: what was measured, the course's figure, ours.
    fn row(&mut self, what: impl Into<String>, course: impl Into<String>, ours: impl Into<String>) {
        self.rows.push([what.into(), course.into(), ours.into()]);
    }

    fn print(&self) {
        println!("| experiment | course | ours |\n| --- | --- | --- |");
        for [what, course, ours] in &self.rows {
            println!("| {what} | {course} | {ours} |");
        }
    }
}

/// Percent with one decimal.
fn percent(fraction: f64) -> String {
    format!("{:.1} %", 100.0 * fraction)
}

/// The accuracy of `net` on `data` (its points and labels), as `Network::evaluate` counts it.
fn accuracy(net: &Network<f32>, data: &Dataset) -> Result<f64> {
    let accuracy = net.evaluate(data.x(), &data.y())?.accuracy;
    Ok(accuracy.expect("a classifier"))
}

/// Writes the figures of a comparison: `<stem>-costs.png`, the cost curve of each run (every
/// `every`-th point), and `<stem>-boundaries.png`, their decision boundaries over `data`.
fn comparison_figures(
    out: &Path,
    stem: &str,
    (title, x_desc, every): (&str, &str, usize),
    runs: &[(&str, Vec<f64>, Network<f32>)],
    data: &Dataset,
) -> Result<()> {
    let curves: Vec<Vec<f64>> = runs.iter().map(|r| self::every(&r.1, every)).collect();
    let series: Vec<(&str, &[f64])> = runs
        .iter()
        .zip(&curves)
        .map(|(r, c)| (r.0, c.as_slice()))
        .collect();
    let costs = figure(out, &format!("{stem}-costs.png"));
    plot::cost_curves(&costs, title, x_desc, every, &series)?;
    let panels: Vec<(&str, &Network<f32>)> = runs.iter().map(|r| (r.0, &r.2)).collect();
    let labels = data.labels().expect("a classification set");
    let boundaries = figure(out, &format!("{stem}-boundaries.png"));
    plot::boundary_grid(&boundaries, &panels, data.x(), labels, 3)
}

/// Trains `net` on `data` with `config`; the cost of every epoch.
fn train(
    net: &mut Network<f32>,
    data: &Dataset,
    config: &FitConfig,
    seed: u64,
) -> Result<Vec<f64>> {
    let y: Tensor<f32> = data.y();
    let history = net.fit(data.x(), &y, config, &mut nn_core::Rng::seed(seed))?;
    Ok(history.epochs.iter().map(|e| e.cost).collect())
}

/// Every `every`-th entry of `costs` (for cost curves of thousands of points).
fn every(costs: &[f64], every: usize) -> Vec<f64> {
    costs.iter().step_by(every.max(1)).copied().collect()
}

/// The path of a figure, printed.
fn figure(out: &Path, name: &str) -> PathBuf {
    let path = out.join(name);
    println!("figure: {}", path.display());
    path
}
