//! Planar data classification with one hidden layer (the course's week 3): the flower, a
//! logistic regression against a tanh network of 4 hidden units, and the hidden-size sweep.
//! The course reports accuracy on the training points, as here.

use std::path::Path;

use anyhow::Result;
use nn_core::{FitConfig, Init, Loss, Network, Optimizer, Rng};
use nn_data::synthetic::course::flower;
use nn_simd::Simd;

use super::{accuracy, figure, percent, train, Table};
use crate::plot;

/// The course's sweep and its accuracies (5000 iterations, learning rate 1.2).
const SWEEP: [(usize, f64); 7] = [
    (1, 67.5),
    (2, 67.25),
    (3, 90.75),
    (4, 90.5),
    (5, 91.25),
    (20, 90.0),
    (50, 90.25),
];

/// `[2, n_h, 1]`: tanh hidden units, a sigmoid output (from logits), weights `N(0,1)·0.01`
/// as the course's `initialize_parameters`, biases 0.
fn tanh_network(hidden: usize, seed: u64) -> Result<Network<f32>> {
    Ok(Network::builder(&[2])
        .init(Init::SmallRandom)
        .dense(hidden)
        .tanh()
        .dense(1)
        .loss(Loss::BinaryCrossEntropy)
        .build(Simd::new(), &mut Rng::seed(seed))?)
}

/// Runs the experiment.
pub fn run(out: &Path, seed: u64) -> Result<()> {
    let data = flower(400, &mut Rng::seed(seed));
    let mut table = Table::new();
    let mut logistic = Network::builder(&[2])
        .dense_init(1, Init::Zeros)
        .loss(Loss::BinaryCrossEntropy)
        .build(Simd::new(), &mut Rng::seed(seed))?;
    let gd = |lr: f64, n: u64| FitConfig::new(Optimizer::gradient_descent(lr)).iterations(n);
    train(&mut logistic, &data, &gd(1.2, 5000), seed)?;
    table.row(
        "logistic regression (course: scikit-learn's LogisticRegressionCV; ours: GD 1.2, 5000 iterations)",
        "47 %",
        percent(accuracy(&logistic, &data)?),
    );
    let mut four = tanh_network(4, seed)?;
    train(&mut four, &data, &gd(1.2, 10_000), seed)?;
    table.row(
        "tanh network, 4 hidden units, GD 1.2, 10000 iterations",
        "90 %",
        percent(accuracy(&four, &data)?),
    );
    let mut sweep = Vec::new();
    for (hidden, course) in SWEEP {
        let mut net = tanh_network(hidden, seed)?;
        train(&mut net, &data, &gd(1.2, 5000), seed)?;
        let title = format!("{hidden} hidden unit{}", if hidden == 1 { "" } else { "s" });
        table.row(
            format!("{title}, 5000 iterations"),
            format!("{course} %"),
            percent(accuracy(&net, &data)?),
        );
        sweep.push((title, net));
    }
    let mut panels: Vec<(&str, &Network<f32>)> = vec![
        ("logistic regression", &logistic),
        ("4 hidden units, 10000 it.", &four),
    ];
    panels.extend(sweep.iter().map(|(t, n)| (t.as_str(), n)));
    let labels = data.labels().expect("classes");
    plot::boundary_grid(
        &figure(out, "planar-boundaries.png"),
        &panels,
        data.x(),
        labels,
        3,
    )?;
    table.print();
    Ok(())
}
