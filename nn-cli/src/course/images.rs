//! The course's image experiments on its HDF5 files (or, by default, on `faces_h5`, laid out
//! the same way): logistic regression with a neural-network mindset (week 2) and the deep
//! network application (week 4).

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use nn_core::{FitConfig, Init, Loss, Network, Optimizer, Rng, Tensor};
use nn_data::course_h5;
use nn_simd::Simd;

use super::{figure, percent, Table};
use crate::plot;

/// Flattened images `/ 255` and their labels, for training and testing.
pub struct Images {
    name: String,
    train: (Tensor<f32>, Tensor<f32>),
    test: (Tensor<f32>, Tensor<f32>),
}

/// The test file beside a training file: `train` in its name becomes `test`, as the course's
/// `train_catvnoncat.h5` and `test_catvnoncat.h5`.
fn test_file(train: &Path) -> Result<PathBuf> {
    let name = train.file_name().and_then(|n| n.to_str()).unwrap_or("");
    anyhow::ensure!(
        name.contains("train"),
        "{}: the training file's name must hold `train` (the test file is found beside it, \
         `train` replaced by `test`)",
        train.display()
    );
    Ok(train.with_file_name(name.replacen("train", "test", 1)))
}

/// Reads the training file (the default: `data/faces_h5/train_faces.h5`) and its test file.
pub fn load(data: Option<&Path>) -> Result<Images> {
    let train_path = data.map_or_else(
        || PathBuf::from("data/faces_h5/train_faces.h5"),
        Path::to_path_buf,
    );
    let test_path = test_file(&train_path)?;
    let hint = "give the course's file with --data path/train_catvnoncat.h5, or run from the \
                repository's root for data/faces_h5";
    let train = course_h5::read_train(&train_path).with_context(|| hint)?;
    let test = course_h5::read_test(&test_path).with_context(|| hint)?;
    Ok(Images {
        name: train_path.display().to_string(),
        train: (train.flattened(), train.label_tensor()),
        test: (test.flattened(), test.label_tensor()),
    })
}

fn accuracy(net: &Network<f32>, (x, y): &(Tensor<f32>, Tensor<f32>)) -> Result<f64> {
    Ok(net.evaluate(x, y)?.accuracy.unwrap_or(f64::NAN))
}

/// Logistic regression, zero weights, full-batch gradient descent.
fn logistic(images: &Images, lr: f64, iterations: u64) -> Result<(Network<f32>, Vec<f64>)> {
    let n = images.train.0.shape()[1];
    let mut net = Network::builder(&[n])
        .dense_init(1, Init::Zeros)
        .loss(Loss::BinaryCrossEntropy)
        .build(Simd::new(), &mut Rng::seed(0))?;
    let config = FitConfig::new(Optimizer::gradient_descent(lr)).iterations(iterations);
    let (x, y) = &images.train;
    let history = net.fit(x, y, &config, &mut Rng::seed(0))?;
    Ok((net, history.epochs.iter().map(|e| e.cost).collect()))
}

/// Week 2: 2000 iterations at 0.005 (train 99.04 %, test 70 % on the course's cats), and the
/// cost curves of 0.01, 0.001 and 0.0001 over 1500 iterations.
pub fn run_logistic(out: &Path, data: Option<&Path>) -> Result<()> {
    let images = load(data)?;
    println!(
        "data: {} ({} training, {} test images)",
        images.name,
        images.train.0.rows(),
        images.test.0.rows()
    );
    let mut table = Table::new();
    let (net, _) = logistic(&images, 0.005, 2000)?;
    let ours = format!(
        "{} / {}",
        percent(accuracy(&net, &images.train)?),
        percent(accuracy(&net, &images.test)?)
    );
    table.row(
        "lr 0.005, 2000 iterations: train / test accuracy (course: its cat files)",
        "99.04 % / 70 %",
        ours,
    );
    let mut curves = Vec::new();
    for lr in [0.01, 0.001, 0.0001] {
        let (net, costs) = logistic(&images, lr, 1500)?;
        let ours = format!(
            "{} / {}",
            percent(accuracy(&net, &images.train)?),
            percent(accuracy(&net, &images.test)?)
        );
        table.row(
            format!("lr {lr}, 1500 iterations: train / test"),
            "(its cost curve)",
            ours,
        );
        curves.push((format!("learning rate {lr}"), super::every(&costs, 10)));
    }
    let series: Vec<(&str, &[f64])> = curves
        .iter()
        .map(|(n, c)| (n.as_str(), c.as_slice()))
        .collect();
    plot::cost_curves(
        &figure(out, "logistic-costs.png"),
        "logistic regression: cost",
        "iteration",
        10,
        &series,
    )?;
    table.print();
    Ok(())
}

/// A deep network of `hidden` ReLU layers with weights from `init`, a sigmoid output.
fn deep(n: usize, hidden: &[usize], init: Init, seed: u64) -> Result<Network<f32>> {
    let mut b = Network::builder(&[n]).init(init);
    for &units in hidden {
        b = b.dense(units).relu();
    }
    Ok(b.dense(1)
        .loss(Loss::BinaryCrossEntropy)
        .build(Simd::new(), &mut Rng::seed(seed))?)
}

/// Week 4: `[n, 7, 1]` from `N(0,1)·0.01` (course: test 72 %) and `[n, 20, 7, 5, 1]` from
/// `N(0,1)/√n` (course: train 98.6 %, test 80 %), gradient descent at 0.0075 for 2500
/// iterations, over 5 seeds.
pub fn run_deep(out: &Path, data: Option<&Path>, seed: u64) -> Result<()> {
    let images = load(data)?;
    let n = images.train.0.shape()[1];
    println!(
        "data: {} ({} training, {} test images)",
        images.name,
        images.train.0.rows(),
        images.test.0.rows()
    );
    let config = FitConfig::new(Optimizer::gradient_descent(0.0075)).iterations(2500);
    let mut table = Table::new();
    let mut curves = Vec::new();
    for (name, hidden, init, course) in [
        // The course's two-layer model starts at N(0,1)·0.01, its L-layer one at N(0,1)/√n.
        ("2-layer [n, 7, 1]", vec![7], Init::SmallRandom, "— / 72 %"),
        (
            "4-layer [n, 20, 7, 5, 1]",
            vec![20, 7, 5],
            Init::LeCunNormal,
            "98.6 % / 80 %",
        ),
    ] {
        let mut results = Vec::new();
        for s in seed..seed + 5 {
            let mut net = deep(n, &hidden, init, s)?;
            let (x, y) = &images.train;
            let history = net.fit(x, y, &config, &mut Rng::seed(s))?;
            if s == seed {
                let costs: Vec<f64> = history.epochs.iter().map(|e| e.cost).collect();
                curves.push((name, super::every(&costs, 25)));
            }
            results.push((
                accuracy(&net, &images.train)?,
                accuracy(&net, &images.test)?,
            ));
        }
        let spread = |f: fn(&(f64, f64)) -> f64| {
            let v: Vec<f64> = results.iter().map(f).collect();
            let (lo, hi) = v
                .iter()
                .fold((f64::MAX, f64::MIN), |(a, b), &x| (a.min(x), b.max(x)));
            format!("{}–{}", percent(lo), percent(hi))
        };
        let ours = format!("{} / {} (5 seeds)", spread(|r| r.0), spread(|r| r.1));
        table.row(format!("{name}: train / test accuracy"), course, ours);
    }
    let series: Vec<(&str, &[f64])> = curves.iter().map(|(n, c)| (*n, c.as_slice())).collect();
    plot::cost_curves(
        &figure(out, "deep-costs.png"),
        "deep networks: cost, GD 0.0075",
        "iteration",
        25,
        &series,
    )?;
    table.print();
    Ok(())
}
