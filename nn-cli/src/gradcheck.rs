//! `nn gradcheck`: back-propagation of a preset against centred finite differences, in f64.

use anyhow::{bail, Result};
use clap::Args;
use nn_conv::presets::Head;
use nn_core::layer::{LayerSpec, ReluConfig, TanhConfig};
use nn_core::{GradCheck, GradCheckReport, Init, Network, Reference, Rng, Tensor};
use nn_data::images::{Color, ImageOptions};
use nn_data::Dataset;

use crate::data::{load, DataOptions, Source};
use crate::model::Model;

/// Options of `nn gradcheck`.
#[derive(Args, Debug)]
pub struct GradcheckArgs {
    /// The model: logistic, mlp:20,7,5, cnn (checked with tanh in place of ReLU, whose kink
    /// would upset finite differences) or a model file, checked as written.
    #[arg(long, default_value = "mlp:5,3")]
    model: String,
    /// The data (a few examples are used): as `nn train --data`.
    #[arg(long, default_value = "xor")]
    data: String,
    /// Image size for image data (small keeps the check fast).
    #[arg(long, default_value_t = 12)]
    size: u32,
    /// Examples used.
    #[arg(long, default_value_t = 8)]
    examples: usize,
    /// Entries checked per parameter tensor (evenly spaced).
    #[arg(long, default_value_t = 40)]
    entries: usize,
    /// The step ε of the finite differences.
    #[arg(long, default_value_t = 1e-6)]
    epsilon: f64,
    /// Relative error above which the check fails.
    #[arg(long, default_value_t = 1e-7)]
    tolerance: f64,
}

/// A few examples of `--data`, as f64 tensors in the shape `model` takes.
fn examples(a: &GradcheckArgs, model: &Model, rng: &mut Rng) -> Result<(Dataset, Tensor<f64>)> {
    let source = Source::parse(&a.data)?;
    let options = DataOptions {
        source: source.clone(),
        test: None,
        split: 0.25,
        images: ImageOptions::new().size(a.size, a.size).color(Color::Rgb),
        points: a.examples.max(2),
        noise: 0.1,
        label: None,
        progress: false,
    };
    let mut data = load(&source, &options, rng)?;
    if source.is_images() {
        data.scale(1.0 / 255.0);
    }
    let take: Vec<usize> = (0..data.len().min(a.examples.max(1))).collect();
    let data = data.subset(&take);
    let mut shape = vec![data.len()];
    if model.flat() {
        shape.push(data.features());
    } else {
        shape.extend_from_slice(data.example_shape());
    }
    let x = data.x().cast::<f64>().reshape(&shape)?;
    Ok((data, x))
}

/// The layers checked: a model file's as written; a preset's with tanh in place of ReLU
/// (whose kink would upset finite differences).
fn checked_layers(model: &Model, shape: &[usize]) -> Result<Vec<LayerSpec>> {
    if !model.flat() && shape.len() != 3 {
        bail!("this model needs images; use --data faces, shapes or an image folder");
    }
    let layers = model.hidden(shape, None)?;
    if matches!(model, Model::File(..)) {
        return Ok(layers);
    }
    Ok(layers
        .into_iter()
        .map(|l| {
            if l.is::<ReluConfig>() {
                TanhConfig {}.into()
            } else {
                l
            }
        })
        .collect())
}

pub fn run(a: GradcheckArgs) -> Result<()> {
    let model = Model::parse(&a.model)?;
    let mut rng = Rng::seed(3);
    let (data, x) = examples(&a, &model, &mut rng)?;
    let y = data.y().cast::<f64>();
    let shape = x.shape()[1..].to_vec();
    // Xavier init: He's larger weights saturate nothing here, but Xavier keeps the check's
    // ±ε away from any kink.
    let init = match &model {
        Model::File(..) => model.init(),
        Model::Preset(_) => Init::XavierNormal,
    };
    let b = Network::<f64>::builder(&shape)
        .init(init)
        .layers(checked_layers(&model, &shape)?);
    let mut net = Head::for_classes(data.classes().max(2))
        .apply(b)
        .build(Reference, &mut rng)
        .map_err(|e| model.explain(e))?;
    let check = GradCheck {
        epsilon: a.epsilon,
        max_entries: Some(a.entries),
        ..GradCheck::default()
    };
    let report = net.gradient_check(&x, &y, &check, &rng)?;
    print_report(&report, a.tolerance)
}

/// One line per parameter tensor, then the verdict.
fn print_report(report: &GradCheckReport, tolerance: f64) -> Result<()> {
    println!(
        "{:<48} {:<5} {:>7} {:>14}",
        "layer", "", "entries", "relative error"
    );
    let mut worst = 0.0f64;
    for t in &report.tensors {
        if t.vanishing {
            println!(
                "{:<48} {:<5} {:>7} {:>14}  (zero before batch norm: |diff| {:.1e})",
                t.layer_name, t.param, t.checked, "-", t.max_abs_diff
            );
            continue;
        }
        println!(
            "{:<48} {:<5} {:>7} {:>14.2e}",
            t.layer_name, t.param, t.checked, t.relative_error
        );
        worst = if worst.is_nan() || t.relative_error.is_nan() {
            f64::NAN
        } else {
            worst.max(t.relative_error)
        };
    }
    if worst.is_nan() || worst >= tolerance {
        bail!(
            "gradient check failed: worst relative error {worst:.2e} (tolerance {tolerance:.0e})"
        );
    }
    println!("worst relative error {worst:.2e} < {tolerance:.0e}: back-propagation agrees with finite differences");
    Ok(())
}
