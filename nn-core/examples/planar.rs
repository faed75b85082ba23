//! The course's first experiments on 2-D data: logistic regression draws a straight line, so it
//! separates a linearly separable set but not XOR; a network with one hidden tanh layer of 8
//! units learns both. Then the hidden network is gradient-checked in f64, saved and reloaded.
//!
//! `cargo run --release -p nn-core --example planar`

use nn_core::{FitConfig, GradCheck, Init, Loss, Network, Optimizer, Reference, Rng, Tensor};

/// Labels a point of the plane.
type Label = fn(f64, f64) -> bool;

/// `m` points uniform in [−1, 1]², labelled by `label`.
fn points(m: usize, rng: &mut Rng, label: Label) -> (Tensor<f32>, Tensor<f32>) {
    let (mut x, mut y) = (Vec::with_capacity(2 * m), Vec::with_capacity(m));
    for _ in 0..m {
        let (a, b) = (rng.uniform::<f64>(-1.0, 1.0), rng.uniform::<f64>(-1.0, 1.0));
        x.extend([a as f32, b as f32]);
        y.push(if label(a, b) { 1.0 } else { 0.0 });
    }
    (
        Tensor::from_vec(&[m, 2], x).unwrap(),
        Tensor::from_vec(&[m, 1], y).unwrap(),
    )
}

fn main() -> nn_core::Result<()> {
    let mut rng = Rng::seed(1);
    let sets: [(&str, Label); 2] = [
        ("separable", |a, b| a + b > 0.2),
        ("xor", |a, b| a * b > 0.0),
    ];
    let config = FitConfig::new(Optimizer::adam(0.05))
        .epochs(300)
        .batch_size(50);
    println!(
        "{:<10} {:<28} {:>9} {:>9}",
        "data", "model", "train acc", "test acc"
    );
    for (name, label) in sets {
        let (x, y) = points(400, &mut rng, label);
        let (xt, yt) = points(400, &mut rng, label);
        let models = [
            (
                "logistic regression",
                Network::builder(&[2]).dense_init(1, Init::Zeros),
            ),
            (
                "[2, 8, 1] tanh network",
                Network::builder(&[2])
                    .init(Init::XavierNormal)
                    .dense(8)
                    .tanh()
                    .dense(1),
            ),
        ];
        for (model, builder) in models {
            let mut net = builder
                .loss(Loss::BinaryCrossEntropy)
                .build(Reference, &mut rng)?;
            net.fit(&x, &y, &config, &mut rng)?;
            let train = net.evaluate(&x, &y)?.accuracy.unwrap_or(f64::NAN);
            let test = net.evaluate(&xt, &yt)?.accuracy.unwrap_or(f64::NAN);
            println!(
                "{name:<10} {model:<28} {:>8.1}% {:>8.1}%",
                100.0 * train,
                100.0 * test
            );
        }
    }

    // Back-propagation against finite differences, in f64.
    let (x, y) = points(20, &mut rng, |a, b| a * b > 0.0);
    let mut net = Network::<f64>::builder(&[2])
        .init(Init::XavierNormal)
        .dense(8)
        .tanh()
        .dense(1)
        .build(Reference, &mut rng)?;
    let report = net.gradient_check(&x.cast(), &y.cast(), &GradCheck::default(), &rng)?;
    for t in &report.tensors {
        println!(
            "gradient check {:<12} {}: relative error {:.1e}",
            t.layer_name, t.param, t.relative_error
        );
    }

    let path = std::env::temp_dir().join("planar-xor.nn");
    net.save(&path)?;
    let back = Network::<f64>::load(&path, Reference)?;
    let same = back.predict_proba(&x.cast())? == net.predict_proba(&x.cast())?;
    println!(
        "saved to {} and reloaded: predictions identical = {same}",
        path.display()
    );
    Ok(())
}
