//! `nn gradcheck`: back-propagation of a preset against centred finite differences, in f64.

use anyhow::{bail, Result};
use clap::Args;
use nn_conv::{ConvLayers, Padding};
use nn_core::{GradCheck, Init, Loss, Network, Reference, Rng};
use nn_data::images::{Color, ImageOptions};

use crate::data::{load, DataOptions, Source};
use crate::model::Preset;

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

pub fn run(a: GradcheckArgs) -> Result<()> {
    let preset = Preset::parse(&a.model)?;
    let source = Source::parse(&a.data)?;
    let mut rng = Rng::seed(3);
    let options = DataOptions {
        source: source.clone(),
        test: None,
        split: 0.25,
        images: ImageOptions::new().size(a.size, a.size).color(Color::Rgb),
        points: a.examples.max(2),
        noise: 0.1,
        progress: false,
    };
    let mut data = load(&source, &options, &mut rng)?;
    if source.is_images() {
        data.scale(1.0 / 255.0);
    }
    let take: Vec<usize> = (0..data.len().min(a.examples.max(1))).collect();
    let data = data.subset(&take);
    let shape: Vec<usize> = if preset.flat() {
        vec![data.features()]
    } else {
        data.example_shape().to_vec()
    };
    let mut full = vec![data.len()];
    full.extend_from_slice(&shape);
    let x = data.x().cast::<f64>().reshape(&full)?;
    let y = data.y().cast::<f64>();
    // The same architecture as the f32 preset, in f64 (Xavier init: He's larger weights
    // saturate nothing here, but Xavier keeps ReLU kinks away from the check's ±ε).
    let classes = data.classes().max(2);
    let mut b = Network::<f64>::builder(&shape).init(Init::XavierNormal);
    match &preset {
        Preset::File(_, file) => {
            if !file.flat() && shape.len() != 3 {
                bail!("this model needs images; use --data faces, shapes or an image folder");
            }
            b = file.builder(&shape);
        }
        Preset::Logistic => {}
        Preset::Mlp(sizes) => {
            for &n in sizes {
                b = b.dense(n).tanh();
            }
        }
        Preset::Cnn => {
            if shape.len() != 3 {
                bail!("the cnn model needs images; use --data faces, shapes or an image folder");
            }
            b = b
                .conv2d(4, 3, Padding::uniform(1))
                .tanh()
                .max_pool(2)
                .conv2d(4, 3, Padding::uniform(1))
                .tanh()
                .max_pool(2)
                .flatten();
        }
    }
    let b = if classes == 2 {
        b.dense(1).loss(Loss::BinaryCrossEntropy)
    } else {
        b.dense(classes).loss(Loss::CategoricalCrossEntropy)
    };
    let mut net = b
        .build(Reference, &mut rng)
        .map_err(|e| preset.explain(e))?;
    let report = net.gradient_check(
        &x,
        &y,
        &GradCheck {
            epsilon: a.epsilon,
            l2: 0.0,
            max_entries: Some(a.entries),
        },
        &rng,
    )?;
    println!(
        "{:<48} {:<2} {:>7} {:>14}",
        "layer", "", "entries", "relative error"
    );
    for t in &report.tensors {
        println!(
            "{:<48} {:<2} {:>7} {:>14.2e}",
            t.layer_name, t.param, t.checked, t.relative_error
        );
    }
    let worst = report.max_relative_error();
    if worst.is_nan() || worst >= a.tolerance {
        bail!(
            "gradient check failed: worst relative error {worst:.2e} (tolerance {:.0e})",
            a.tolerance
        );
    }
    println!("worst relative error {worst:.2e} < {:.0e}: back-propagation agrees with finite differences", a.tolerance);
    Ok(())
}
