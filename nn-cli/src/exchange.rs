//! `nn export` and `nn import`: models to and from PyTorch, through safetensors state dicts
//! (nn-core's `torch` module) and a generated `model.py` (nn-data's `torch` module).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{bail, Context, Result};
use clap::Args;
use nn_core::layer::LayerSpec;
use nn_core::torch::StateDict;
use nn_core::{Init, Loss, Network, Reference, Rng};
use nn_data::images::{Color, ImageOptions};
use nn_data::model::{Preparation, MAX_PREPARED_SIDE};
use nn_data::Standardizer;

use crate::model::{self, Run};
use crate::model_file::ModelFile;
use crate::ModelPath;

/// Options of `nn export`.
#[derive(Args, Debug)]
pub struct ExportArgs {
    /// The saved model.
    model: ModelPath,
    /// The folder to write `model.safetensors` and `model.py` into (created if missing).
    dir: PathBuf,
}

/// Options of `nn import`.
#[derive(Args, Debug)]
pub struct ImportArgs {
    /// A PyTorch state dict saved as safetensors (`model.save(net, path)` of an exported
    /// `model.py`, or `safetensors.torch.save_file(net.state_dict(), path)`).
    state: PathBuf,
    /// The network's layers: a model saved by nn (its layers, classes and preparation are
    /// kept, its weights replaced), or a TOML/JSON description of the whole network with
    /// `input`, `classes` and every layer up to the logits.
    #[arg(long, value_name = "MODEL.nn|SPEC.toml")]
    model: PathBuf,
    /// Where to save the imported model.
    #[arg(long, value_name = "MODEL")]
    save: PathBuf,
}

/// `nn export`: the model's state dict and `model.py` for PyTorch.
pub fn export(a: ExportArgs) -> Result<()> {
    let (trained, run) = model::load(&a.model, Arc::new(Reference))?;
    let features = run.and_then(|r| r.table).map(|t| t.features);
    let title = a.model.file_name().map_or_else(
        || a.model.display().to_string(),
        |n| n.to_string_lossy().into(),
    );
    let [state, python] = nn_data::torch::export(
        &a.dir,
        &trained.network,
        &trained.preparation,
        &title,
        features.as_deref(),
    )
    .with_context(|| format!("{}: cannot export", a.model.display()))?;
    let tensors = StateDict::read(&state)?.len();
    println!(
        "wrote {} ({tensors} tensors) and {}",
        state.display(),
        python.display()
    );
    println!(
        "use it:  cd {} && python -c \"import model; net = model.build(); print(net)\"",
        a.dir.display()
    );
    Ok(())
}

/// `nn import`: a network of the described layers with the state dict's tensors, saved.
pub fn import(a: ImportArgs) -> Result<()> {
    let state = StateDict::read(&a.state)?;
    let is_description = a
        .model
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("toml") || e.eq_ignore_ascii_case("json"));
    let (mut network, preparation, mut run) = if is_description {
        from_description(&a.model)?
    } else {
        let (trained, run) = model::load(&a.model, Arc::new(Reference))?;
        let run = Run {
            table: run.and_then(|r| r.table),
            ..Run::default()
        };
        (trained.network, trained.preparation, run)
    };
    nn_core::torch::import(&mut network, &state)
        .map_err(|e| anyhow::anyhow!("{}: {e}", a.state.display()))?;
    run.model = a.model.display().to_string();
    run.command = std::env::args().collect::<Vec<_>>().join(" ");
    run.stop = "imported".into();
    run.imported = Some(a.state.display().to_string());
    (run.cost, run.train_accuracy, run.test_accuracy) = (f64::NAN, f64::NAN, f64::NAN);
    model::save(&a.save, &network, &preparation, &run)?;
    println!(
        "imported {} tensors into {} layers; saved {}",
        state.len(),
        network.layers().len(),
        a.save.display()
    );
    Ok(())
}

/// The network and preparation of a whole-network description (`input`, `classes`, layers
/// up to the logits); one output is a binary classifier, more a softmax classifier.
fn from_description(path: &Path) -> Result<(Network<f32>, Preparation, Run)> {
    let file = ModelFile::read(path)?;
    let Some(input) = file.input.clone() else {
        bail!(
            "{}: `nn import` needs the whole network: add `input = [h, w, c]` (or `[n]` for \
             features) and list every layer up to the logits",
            path.display()
        );
    };
    if input.is_empty() || input.contains(&0) {
        bail!(
            "{}: input {input:?} has no values; give the shape of one example, [h, w, c] or [n]",
            path.display()
        );
    }
    let network = build(path, &file, &input)?;
    let outputs = network.outputs();
    // One sigmoid output classifies two classes; more outputs, one class each.
    let expected = if outputs == 1 { 2 } else { outputs };
    let classes = file
        .classes
        .clone()
        .unwrap_or_else(|| (0..expected).map(|c| c.to_string()).collect());
    if classes.len() != expected {
        bail!(
            "{}: {} class names for a network of {outputs} output(s), which classifies {expected}",
            path.display(),
            classes.len()
        );
    }
    let mut preparation = preparation(path, &input, classes, file.scale)?;
    preparation.standardizer = standardizer(path, &file, &input)?;
    Ok((network, preparation, Run::default()))
}

/// The network of the description's layers for examples of `input` (weights to be replaced).
fn build(path: &Path, file: &ModelFile, input: &[usize]) -> Result<Network<f32>> {
    let mut shape = input.to_vec();
    for layer in &file.layers {
        shape = layer
            .config()
            .output_shape(&shape)
            .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    }
    let loss = if shape.iter().product::<usize>() == 1 {
        Loss::BinaryCrossEntropy
    } else {
        Loss::CategoricalCrossEntropy
    };
    let layers: Vec<LayerSpec> = file.layers.clone();
    Network::<f32>::builder(input)
        .init(Init::He)
        .layers(layers)
        .loss(loss)
        .build(Reference, &mut Rng::seed(0))
        .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))
}

/// The description's `mean` and `std`, per channel (the last axis; repeated over the pixels)
/// or per feature, as a standardiser of every feature.
fn standardizer(path: &Path, file: &ModelFile, input: &[usize]) -> Result<Option<Standardizer>> {
    let (mean, std) = match (&file.mean, &file.std) {
        (None, None) => return Ok(None),
        (Some(mean), Some(std)) => (mean, std),
        _ => bail!("{}: give both `mean` and `std`, or neither", path.display()),
    };
    let features: usize = input.iter().product();
    let channels = input.last().copied().unwrap_or(0);
    let per_feature = |values: &[f32], name: &str| -> Result<Vec<f32>> {
        let is_std = name == "std";
        if values
            .iter()
            .any(|&v| !v.is_finite() || (is_std && v <= 0.0))
        {
            let positive = if is_std { " and positive" } else { "" };
            bail!(
                "{}: every value of `{name}` must be finite{positive}",
                path.display()
            );
        }
        match values.len() {
            n if n == features => Ok(values.to_vec()),
            n if n == channels => Ok(values.iter().copied().cycle().take(features).collect()),
            n => bail!(
                "{}: {n} values of `{name}`, but the input has {channels} channels and {features} features",
                path.display()
            ),
        }
    };
    Ok(Some(Standardizer {
        mean: per_feature(mean, "mean")?,
        std: per_feature(std, "std")?,
    }))
}

/// Images of `[h, w, c]` (c = 1: gray, 3: RGB) scaled by 1/255 unless `scale` says otherwise,
/// or rows of `[n]` features, unscaled unless it does.
fn preparation(
    path: &Path,
    input: &[usize],
    classes: Vec<String>,
    scale: Option<f32>,
) -> Result<Preparation> {
    let mut preparation = match *input {
        [n] => Preparation::features(n, classes),
        [h, w, c @ (1 | 3)] => {
            let color = if c == 1 { Color::Gray } else { Color::Rgb };
            let side = |n: usize| u32::try_from(n).ok().filter(|&s| s <= MAX_PREPARED_SIDE);
            let (Some(height), Some(width)) = (side(h), side(w)) else {
                bail!(
                    "{}: images of {h}×{w} have a side above {MAX_PREPARED_SIDE} pixels",
                    path.display()
                );
            };
            Preparation {
                images: Some(ImageOptions::new().size(width, height).color(color)),
                scale: 1.0 / 255.0,
                standardizer: None,
                classes,
                example_shape: input.to_vec(),
                point_features: None,
            }
        }
        _ => bail!(
            "{}: input {input:?} is neither [n] features nor [h, w, c] images of 1 or 3 channels",
            path.display()
        ),
    };
    if let Some(scale) = scale {
        preparation.scale = scale;
    }
    Ok(preparation)
}
