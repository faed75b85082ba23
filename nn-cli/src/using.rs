//! `nn eval` and `nn info`: using a saved model (`nn predict` is in `predict.rs`).

use anyhow::{bail, Result};
use clap::Args;
use nn_core::{Evaluation, Rng};
use nn_data::table::{Csv, Label};
use nn_data::Dataset;
use serde_json::json;

use crate::data::{load, DataOptions, Source};
use crate::{model, table};
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
    /// The class column of a CSV table (default: the column the model was trained with).
    #[arg(long, value_name = "COLUMN")]
    label: Option<String>,
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

/// `nn eval`: the model's preparation applied to the data, then loss, accuracy, precision
/// and recall per class and the confusion matrix.
pub fn eval(a: EvalArgs) -> Result<()> {
    let (trained, run) = model::load(&a.model, a.compute.backend()?)?;
    let prepare = &trained.preparation;
    let source = Source::parse(&a.data)?;
    if a.label.is_some() && !matches!(source, Source::Csv(_)) {
        bail!(
            "--label names the class column of a CSV table, but --data {} is not one",
            a.data
        );
    }
    match (&prepare.images, &source) {
        (Some(_), Source::Csv(_)) => bail!(
            "{}: {} takes images, not rows of a table",
            a.data,
            a.model.display()
        ),
        (None, s) if s.is_images() => bail!(
            "{}: {} takes rows of features, not images",
            a.data,
            a.model.display()
        ),
        _ => {}
    }
    let options = DataOptions {
        source: source.clone(),
        test: None,
        split: 0.25,
        images: prepare.images.unwrap_or_default(),
        points: 400,
        noise: 0.1,
        label: None,
        progress: true,
    };
    let mut data: Dataset = match &source {
        Source::Mnist(dir) => nn_data::idx::mnist_split(dir, nn_data::idx::Split::Test)?,
        Source::Csv(path) => {
            let expected = table::Expected {
                features: prepare.example_shape.iter().product(),
                columns: run.as_ref().and_then(|r| r.table.as_ref()),
            };
            let label = table::for_model(path, a.label.as_deref(), expected, true)?
                .expect("a label is required");
            Csv::new(Label::Class(label)).read(path)?
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
    let e = match data.labels() {
        // A playground classifier trained by squared error (labels ±1, a model over points):
        // nn-core's evaluate treats that loss as regression.
        Some(labels)
            if trained.network.loss() == nn_core::Loss::MeanSquaredError
                && prepare.point_features.is_some() =>
        {
            let k = prepare.classes.len();
            nn_playground::evaluate_classes(&trained.network, &x, labels, k)
                .map_err(anyhow::Error::msg)?
        }
        _ => trained.network.evaluate(&x, &data.y())?,
    };
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

/// `nn info`: the architecture, the preparation of inputs and the record of the run.
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
    if let Some(t) = run.as_ref().and_then(|r| r.table.as_ref()) {
        println!(
            "table: features {}; label {}",
            t.features.join(", "),
            t.label
        );
    }
    println!("classes: {}", p.classes.join(", "));
    if let Some(imported) = run.as_ref().and_then(|t| t.imported.as_ref()) {
        println!("weights: imported from PyTorch's state dict {imported}");
    } else if let Some(t) = &run {
        println!(
            "trained: {} epochs in {:.2} s ({}), final cost {:.4}, train accuracy {:.1} %, test accuracy {:.1} %",
            t.epochs,
            t.seconds,
            t.stop,
            t.cost,
            100.0 * t.train_accuracy,
            100.0 * t.test_accuracy
        );
    }
    if let Some(t) = &run {
        println!("command: {}", t.command);
    }
    Ok(())
}
