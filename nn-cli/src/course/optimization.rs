//! Optimisation methods (the course's week 6): a `[2, 5, 2, 1]` ReLU network (He's
//! initialisation) on the moons, mini-batches of 64 at a learning rate of 0.0007 for 10000
//! epochs, with gradient descent, momentum (β = 0.9) and Adam (β₁ = 0.9, β₂ = 0.999), each
//! from 5 initialisations (the median shown, and drawn).

use std::path::Path;

use anyhow::Result;
use nn_core::{FitConfig, Init, Loss, Network, Optimizer, Rng};
use nn_data::synthetic::course::moons;
use nn_simd::Simd;
use rayon::prelude::*;

use super::{accuracy, comparison_figures, percent, train, Table};

/// The `[2, 5, 2, 1]` network, He's initialisation from `seed`.
fn network(seed: u64) -> Result<Network<f32>> {
    Ok(Network::builder(&[2])
        .init(Init::He)
        .dense(5)
        .relu()
        .dense(2)
        .relu()
        .dense(1)
        .loss(Loss::BinaryCrossEntropy)
        .build(Simd::new(), &mut Rng::seed(seed))?)
}

/// How many initialisations each method is trained from: one run is a lottery here (a
/// second layer of 2 ReLU units can start dead, and then nothing learns).
const STARTS: u64 = 5;

/// Runs the experiment.
pub fn run(out: &Path, seed: u64) -> Result<()> {
    let data = moons(300, 0.2, &mut Rng::seed(seed));
    let lr = 0.0007;
    let methods = [
        (
            "mini-batch gradient descent",
            Optimizer::gradient_descent(lr),
            "79.7 %",
        ),
        ("momentum", Optimizer::momentum(lr), "79.7 %"),
        ("Adam", Optimizer::adam(lr), "94 %"),
    ];
    let mut table = Table::new();
    let mut compared = Vec::new();
    for (name, optimizer, course) in methods {
        let config = FitConfig::new(optimizer).epochs(10_000).batch_size(64);
        // The starts are independent (each its own seed): trained side by side.
        let mut runs = (seed..seed + STARTS)
            .into_par_iter()
            .map(|start| {
                let mut net = network(start)?;
                let costs = train(&mut net, &data, &config, start)?;
                Ok((accuracy(&net, &data)?, costs, net))
            })
            .collect::<Result<Vec<_>>>()?;
        runs.sort_by(|a, b| a.0.total_cmp(&b.0));
        let all: Vec<String> = runs.iter().map(|r| percent(r.0)).collect();
        let (median, costs, net) = runs.swap_remove(runs.len() / 2);
        table.row(
            format!("{name}: training accuracy, the median of {STARTS} starts"),
            course,
            format!("{} (all: {})", percent(median), all.join(", ")),
        );
        compared.push((name, costs, net));
    }
    let figures = (
        "cost (the median start), batches of 64, lr 0.0007",
        "epoch",
        100,
    );
    comparison_figures(out, "optimization", figures, &compared, &data)?;
    table.print();
    Ok(())
}
