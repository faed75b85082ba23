//! `nn eval`, `nn predict` and `nn info`: using a saved model.

use std::path::PathBuf;

use anyhow::{bail, Result};
use clap::Args;
use nn_core::Rng;
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
    /// Image files, any size or format the model's preparation can read (PNG, JPEG, BMP).
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
    let (meta, mut net) = model::load(&a.model, a.compute.backend()?)?;
    let source = Source::parse(&a.data)?;
    let images = meta.prepare.images.unwrap_or_default();
    let options = DataOptions {
        source: source.clone(),
        test: None,
        split: 0.25,
        images,
        points: 400,
        noise: 0.1,
        progress: true,
    };
    let mut data: Dataset = match &source {
        Source::Mnist(dir) => nn_data::idx::mnist(dir)?
            .into_iter()
            .nth(1)
            .expect("two splits"),
        _ => load(&source, &options, &mut Rng::seed(2))?,
    };
    if data.class_names() != meta.prepare.classes.as_slice() {
        bail!(
            "{}: the data's classes {:?} are not the model's {:?}",
            a.data,
            data.class_names(),
            meta.prepare.classes
        );
    }
    meta.prepare.apply(&mut data)?;
    let x = meta.prepare.tensor(&data)?;
    let e = net.evaluate(&x, &data.y())?;
    let classes = &meta.prepare.classes;
    if a.output.json {
        let per_class: Vec<_> = e.confusion.iter().flat_map(|c| {
            classes.iter().enumerate().map(move |(k, name)| json!({"class": name, "precision": c.precision(k), "recall": c.recall(k)}))
        }).collect();
        println!(
            "{}",
            json!({"examples": data.len(), "loss": e.loss, "accuracy": e.accuracy, "classes": per_class})
        );
        return Ok(());
    }
    println!(
        "{} examples: loss {:.4}, accuracy {:.1} %",
        data.len(),
        e.loss,
        100.0 * e.accuracy.unwrap_or(f64::NAN)
    );
    if let Some(c) = &e.confusion {
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
    Ok(())
}

pub fn predict(a: PredictArgs) -> Result<()> {
    let (meta, mut net) = model::load(&a.model, a.compute.backend()?)?;
    let Some(options) = meta.prepare.images else {
        bail!(
            "{}: this model takes rows of features, not images",
            a.model.display()
        );
    };
    for path in &a.images {
        let x = options.load_image(path)?;
        let mut one = Dataset::with_classes(x, vec![0], vec!["?".into()])?;
        meta.prepare.apply(&mut one)?;
        let p = net.predict_proba(&meta.prepare.tensor(&one)?)?;
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
            .expect("at least one class");
        let name = &meta.prepare.classes[class];
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
    let (meta, net) = model::load(&a.model, std::sync::Arc::new(nn_core::Reference))?;
    let p = &meta.prepare;
    println!(
        "model {} ({} parameters)",
        meta.model,
        net.parameter_count()
    );
    println!("{}", net.summary().trim_end());
    match &p.images {
        Some(i) => println!(
            "input: {}×{} {:?} images, pixels × {:.5}{}",
            i.width,
            i.height,
            i.color,
            p.scale,
            if p.standardizer.is_some() {
                ", standardised"
            } else {
                ""
            }
        ),
        None => println!(
            "input: {} features{}",
            p.example_shape.iter().product::<usize>(),
            if p.standardizer.is_some() {
                ", standardised"
            } else {
                ""
            }
        ),
    }
    println!("classes: {}", p.classes.join(", "));
    let t = &meta.trained;
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
    Ok(())
}
