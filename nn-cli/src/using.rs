//! `nn eval`, `nn predict` and `nn info`: using a saved model.

use std::path::PathBuf;

use anyhow::{bail, Context, Result};
use clap::Args;
use nn_core::{Evaluation, Rng};
use nn_data::Dataset;
use serde_json::json;

use crate::data::{load, DataOptions, Source};
use crate::model;
use crate::{Compute, ModelPath, Output};

/// Options of `nn eval`.
#[derive(Args, Debug)]
pub struct EvalArgs {
    /// The saved model.
    model: ModelPath,
    /// The data to evaluate on (same kinds as `nn train --data`; for a course .h5 file or an
    /// MNIST folder, its test split).
    #[arg(long)]
    data: String,
    #[command(flatten)]
    compute: Compute,
    #[command(flatten)]
    output: Output,
}

/// Options of `nn predict`.
#[derive(Args, Debug)]
pub struct PredictArgs {
    /// The saved model.
    model: ModelPath,
    /// Image files, any size, in a format the model's preparation can read (PNG, JPEG, BMP,
    /// GIF, WebP, TIFF).
    #[arg(required = true)]
    images: Vec<PathBuf>,
    #[command(flatten)]
    compute: Compute,
    #[command(flatten)]
    output: Output,
}

/// Options of `nn info`.
#[derive(Args, Debug)]
pub struct InfoArgs {
    /// The saved model.
    model: ModelPath,
}

pub fn eval(a: EvalArgs) -> Result<()> {
    let (trained, _) = model::load(&a.model, a.compute.backend()?)?;
    let prepare = &trained.preparation;
    let source = Source::parse(&a.data)?;
    let options = DataOptions {
        source: source.clone(),
        test: None,
        split: 0.25,
        images: prepare.images.unwrap_or_default(),
        points: 400,
        noise: 0.1,
        progress: true,
    };
    let mut data: Dataset = match &source {
        Source::Mnist(dir) => {
            let [_, test] = nn_data::idx::mnist(dir)?;
            test
        }
        _ => load(&source, &options, &mut Rng::seed(2))?,
    };
    if data.class_names() != prepare.classes.as_slice() {
        bail!(
            "{}: the data's classes {:?} are not the model's {:?}",
            a.data,
            data.class_names(),
            prepare.classes
        );
    }
    prepare.apply(&mut data)?;
    let x = prepare.tensor(&data)?;
    let e = trained.network.evaluate(&x, &data.y())?;
    if a.output.json {
        print_evaluation_json(&e, data.len(), &prepare.classes);
    } else {
        print_evaluation(&e, data.len(), &prepare.classes);
    }
    Ok(())
}

/// The evaluation as one JSON object.
fn print_evaluation_json(e: &Evaluation, examples: usize, classes: &[String]) {
    let per_class: Vec<_> = e
        .confusion
        .iter()
        .flat_map(|c| {
            classes.iter().enumerate().map(move |(k, name)| {
                json!({"class": name, "precision": c.precision(k), "recall": c.recall(k)})
            })
        })
        .collect();
    println!(
        "{}",
        json!({"examples": examples, "loss": e.loss, "accuracy": e.accuracy, "classes": per_class})
    );
}

/// The evaluation as text: loss and accuracy, precision and recall per class, the confusion
/// matrix.
fn print_evaluation(e: &Evaluation, examples: usize, classes: &[String]) {
    println!(
        "{examples} examples: loss {:.4}, accuracy {:.1} %",
        e.loss,
        100.0 * e.accuracy.unwrap_or(f64::NAN)
    );
    let Some(c) = &e.confusion else { return };
    let width = classes.iter().map(|c| c.len()).max().unwrap_or(5).max(9);
    println!("{:>width$} {:>9} {:>9}", "class", "precision", "recall");
    for (k, name) in classes.iter().enumerate() {
        println!(
            "{name:>width$} {:>8.1}% {:>8.1}%",
            100.0 * c.precision(k),
            100.0 * c.recall(k)
        );
    }
    println!("confusion matrix (rows: actual, columns: predicted):");
    print!("{:>width$}", "");
    for name in classes {
        print!(" {name:>width$}");
    }
    println!();
    for (k, name) in classes.iter().enumerate() {
        print!("{name:>width$}");
        for p in 0..classes.len() {
            print!(" {:>width$}", c.count(k, p));
        }
        println!();
    }
}

pub fn predict(a: PredictArgs) -> Result<()> {
    let (trained, _) = model::load(&a.model, a.compute.backend()?)?;
    let prepare = &trained.preparation;
    if prepare.images.is_none() {
        bail!(
            "{}: this model takes rows of features, not images",
            a.model.display()
        );
    }
    for path in &a.images {
        let p = trained.network.predict_proba(&prepare.image(path)?)?;
        // One sigmoid output: the probability of class 1; else one probability per class.
        let probs: Vec<f64> = if p.row_len() == 1 {
            vec![1.0 - f64::from(p.data()[0]), f64::from(p.data()[0])]
        } else {
            p.data().iter().map(|&v| f64::from(v)).collect()
        };
        let (class, prob) = probs
            .iter()
            .enumerate()
            .max_by(|a, b| a.1.total_cmp(b.1))
            .map(|(k, &p)| (k, p))
            .context("the model gives no probabilities")?;
        // The preparation was checked against the network when the file was read: one name
        // per probability.
        let name = prepare
            .classes
            .get(class)
            .context("the model has fewer class names than outputs")?;
        if a.output.json {
            println!(
                "{}",
                json!({"image": path, "class": name, "probability": prob})
            );
        } else {
            println!("{}: {name} ({:.1} %)", path.display(), 100.0 * prob);
        }
    }
    Ok(())
}

pub fn info(a: InfoArgs) -> Result<()> {
    let (trained, run) = model::load(&a.model, std::sync::Arc::new(nn_core::Reference))?;
    let (p, net) = (&trained.preparation, &trained.network);
    let name = run.as_ref().map_or("(saved by the library)", |r| &r.model);
    println!("model {name} ({} parameters)", net.parameter_count());
    println!("{}", net.summary().trim_end());
    let standardised = if p.standardizer.is_some() {
        ", standardised"
    } else {
        ""
    };
    match &p.images {
        Some(i) => println!(
            "input: {}×{} {:?} images, pixels × {:.5}{standardised}",
            i.width, i.height, i.color, p.scale
        ),
        None => println!(
            "input: {} features{standardised}",
            p.example_shape.iter().product::<usize>()
        ),
    }
    println!("classes: {}", p.classes.join(", "));
    if let Some(t) = &run {
        println!(
            "trained: {} epochs in {:.2} s ({}), final cost {:.4}, train accuracy {:.1} %, test accuracy {:.1} %",
            t.epochs,
            t.seconds,
            t.stop,
            t.cost,
            100.0 * t.train_accuracy,
            100.0 * t.test_accuracy
        );
        println!("command: {}", t.command);
    }
    Ok(())
}
