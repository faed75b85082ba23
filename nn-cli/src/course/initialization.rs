//! Initialisation (the course's week 5, first assignment): a `[2, 10, 5, 1]` ReLU network on
//! two noisy concentric circles, started from zeros, from large random weights (`N(0,1)·10`)
//! and with He's `N(0,1)·√(2/n_in)`; gradient descent at 0.01 for 15000 iterations.

use std::path::Path;

use anyhow::Result;
use nn_core::{FitConfig, Init, Loss, Network, Optimizer, Rng};
use nn_data::synthetic::course::circles;
use nn_simd::Simd;

use super::{accuracy, comparison_figures, percent, train, Table};

/// How the weights start.
#[derive(Clone, Copy)]
enum Start {
    Zeros,
    Large,
    He,
}

/// The network, its weights as `start` says and its biases 0 (as the course's).
fn network(start: Start, seed: u64) -> Result<Network<f32>> {
    let mut rng = Rng::seed(seed);
    let mut net = Network::builder(&[2])
        .init(Init::He)
        .dense(10)
        .relu()
        .dense(5)
        .relu()
        .dense(1)
        .loss(Loss::BinaryCrossEntropy)
        .build(Simd::new(), &mut rng)?;
    let shapes: Vec<(usize, bool)> = (net.parameters().iter())
        .map(|p| (p.len(), p.shape().len() == 2))
        .collect();
    for (i, (len, is_weight)) in shapes.into_iter().enumerate() {
        let values: Vec<f32> = match (start, is_weight) {
            (_, false) | (Start::Zeros, true) => vec![0.0; len],
            (Start::Large, true) => (0..len).map(|_| 10.0 * rng.normal::<f32>()).collect(),
            (Start::He, true) => net.parameters()[i].data().to_vec(),
        };
        net.set_parameter(i, &values)?;
    }
    Ok(net)
}

/// Runs the experiment.
pub fn run(out: &Path, seed: u64) -> Result<()> {
    let train_set = circles(300, 0.05, 0.8, &mut Rng::seed(seed));
    let test_set = circles(100, 0.05, 0.8, &mut Rng::seed(seed + 1000));
    let config = FitConfig::new(Optimizer::gradient_descent(0.01)).iterations(15_000);
    let mut table = Table::new();
    let mut compared = Vec::new();
    let starts = [
        ("zeros", Start::Zeros, "50 % / 50 %"),
        ("large random (×10)", Start::Large, "83 % / 86 %"),
        ("He", Start::He, "99.3 % / 96 %"),
    ];
    for (name, start, course) in starts {
        let mut net = network(start, seed)?;
        let costs = train(&mut net, &train_set, &config, seed)?;
        let ours = format!(
            "{} / {}",
            percent(accuracy(&net, &train_set)?),
            percent(accuracy(&net, &test_set)?)
        );
        table.row(format!("{name}: train / test accuracy"), course, ours);
        compared.push((name, costs, net));
    }
    let figures = ("cost, gradient descent 0.01", "iteration", 100);
    comparison_figures(out, "initialization", figures, &compared, &train_set)?;
    table.print();
    Ok(())
}
