//! Trained models for PyTorch: [`export`] writes a folder with the network's state dict
//! (`model.safetensors`, PyTorch's names and layouts, see [`nn_core::torch`]) and a short
//! generated `model.py` whose `build()` returns the `nn.Sequential` with those weights, whose
//! `prepare(inputs)` applies the model's preparation (size, colour, scaling, standardiser,
//! channels first) and whose `predict_proba(net, x)` applies the output function our losses
//! fuse (sigmoid or softmax), with the class names.
//!
//! ```
//! use nn_core::{Loss, Network, Reference, Rng};
//! use nn_data::model::Preparation;
//! let net = Network::<f32>::builder(&[2])
//!     .dense(3)
//!     .tanh()
//!     .dense(1)
//!     .loss(Loss::BinaryCrossEntropy)
//!     .build(Reference, &mut Rng::seed(0))?;
//! let preparation = Preparation::features(2, vec!["no".into(), "yes".into()]);
//! let dir = tempfile::tempdir()?;
//! let [state, python] = nn_data::torch::export(dir.path(), &net, &preparation, "points", None)?;
//! assert!(state.ends_with("model.safetensors") && python.ends_with("model.py"));
//! let code = std::fs::read_to_string(python)?;
//! assert!(code.contains("nn.Linear(2, 3),  # 0: Dense(2→3)"));
//! assert!(code.contains(r#"CLASSES = ["no","yes"]"#));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::path::{Path, PathBuf};

use base64::Engine;
use nn_core::persist::write_atomically;
use nn_core::{Loss, Network};

use crate::images::Color;
use crate::model::Preparation;
use crate::DataError;

/// The state dict's file name in an exported folder.
pub const STATE_FILE: &str = "model.safetensors";
/// The generated Python module's file name in an exported folder.
pub const PYTHON_FILE: &str = "model.py";

const TEMPLATE: &str = include_str!("model.py");

/// Writes `dir/model.safetensors` and `dir/model.py` (creating `dir`; each file atomically)
/// for `network` and its `preparation`; `title` heads the module's docstring (e.g. the model
/// file's name); `features` names a CSV table's feature columns, in order, if the model reads
/// one (`model.py`'s `FEATURES`). Returns the two paths.
///
/// # Errors
///
/// [`DataError::Invalid`] for a layer with no PyTorch equivalent (named), or a network that
/// ends with flattened volumes; [`DataError::Io`] if the folder or a file cannot be written.
pub fn export(
    dir: &Path,
    network: &Network<f32>,
    preparation: &Preparation,
    title: &str,
    features: Option<&[String]>,
) -> Result<[PathBuf; 2], DataError> {
    let invalid = |e: nn_core::Error| DataError::Invalid {
        message: e.to_string(),
    };
    let mut exported = nn_core::torch::export(network).map_err(invalid)?;
    exported.state.set_metadata("format", "pt");
    exported
        .state
        .set_metadata("classes", json(&preparation.classes));
    std::fs::create_dir_all(dir).map_err(|source| DataError::Io {
        path: dir.to_path_buf(),
        source,
    })?;
    let state = dir.join(STATE_FILE);
    let python = dir.join(PYTHON_FILE);
    let io = |path: &Path, e: nn_core::Error| match e {
        nn_core::Error::Io { source, .. } => DataError::Io {
            path: path.to_path_buf(),
            source,
        },
        other => invalid(other),
    };
    let bytes = exported.state.to_bytes().map_err(invalid)?;
    write_atomically(&state, &bytes).map_err(|e| io(&state, e))?;
    let code = python_module(network, &exported.modules, preparation, title, features);
    write_atomically(&python, code.as_bytes()).map_err(|e| io(&python, e))?;
    Ok([state, python])
}

/// The text of `model.py`: the template with this model's values.
fn python_module(
    network: &Network<f32>,
    modules: &[String],
    preparation: &Preparation,
    title: &str,
    features: Option<&[String]>,
) -> String {
    let layers: Vec<String> = network
        .layers()
        .iter()
        .zip(modules)
        .enumerate()
        .map(|(i, (layer, code))| format!("        {code},  # {i}: {}", layer.name()))
        .collect();
    let (image_size, color) = match preparation.images {
        Some(options) => (
            format!("({}, {})", options.width, options.height),
            match options.color {
                Color::Rgb => "\"RGB\"",
                Color::Gray => "\"L\"",
            },
        ),
        None => ("None".to_string(), "None"),
    };
    let (torch_loss, output) = match network.loss() {
        Loss::BinaryCrossEntropy => ("BCEWithLogitsLoss", "sigmoid"),
        Loss::CategoricalCrossEntropy => ("CrossEntropyLoss", "softmax"),
        Loss::MeanSquaredError => ("MSELoss (nn's cost is half of it)", "identity"),
    };
    let floats = |pick: fn(&crate::Standardizer) -> &Vec<f32>| match &preparation.standardizer {
        Some(s) => format!("\"{}\"", base64_floats(pick(s))),
        None => "None".to_string(),
    };
    let shape = &preparation.example_shape;
    let input_shape = match shape.as_slice() {
        [n] => format!("({n},)"),
        _ => format!("({})", join(shape.iter().map(usize::to_string))),
    };
    // The title goes into a docstring: no backslash or quote can end or escape it.
    let title: String = title
        .chars()
        .map(|c| {
            if matches!(c, '\\' | '"') || c.is_control() {
                '_'
            } else {
                c
            }
        })
        .collect();
    fill(&[
        ("TITLE", format!("{title}: a network trained by nn")),
        ("TORCH_LOSS", torch_loss.to_string()),
        ("CLASSES", json(&preparation.classes)),
        ("INPUT_SHAPE", input_shape),
        ("IMAGE_SIZE", image_size),
        ("COLOR", color.to_string()),
        ("SCALE", format!("{:?}", f64::from(preparation.scale))),
        ("MEAN", floats(|s| &s.mean)),
        ("STD", floats(|s| &s.std)),
        ("OUTPUT", format!("\"{output}\"")),
        ("DTYPE", "torch.float32".to_string()),
        ("MODULES", layers.join("\n")),
        (
            "FEATURES",
            features.map_or_else(|| "None".to_string(), json),
        ),
    ])
}

/// The template with each `{{KEY}}` replaced by its value, in one pass (a value that holds
/// `{{…}}` is not substituted again).
fn fill(values: &[(&str, String)]) -> String {
    let mut out = String::with_capacity(TEMPLATE.len() * 2);
    let mut rest = TEMPLATE;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let end = after.find("}}").expect("the template closes every {{");
        let key = &after[..end];
        let value = values.iter().find(|(k, _)| *k == key);
        out.push_str(&value.expect("the template's keys all have values").1);
        rest = &after[end + 2..];
    }
    out.push_str(rest);
    out
}

/// A JSON list of strings, which is also a Python list literal.
fn json(strings: &[String]) -> String {
    serde_json::to_string(strings).expect("strings serialise")
}

fn join(parts: impl Iterator<Item = String>) -> String {
    parts.collect::<Vec<_>>().join(", ")
}

/// `values` as base64 of their little-endian bytes (what `model.py`'s `_floats` reads).
fn base64_floats(values: &[f32]) -> String {
    let bytes: Vec<u8> = values.iter().flat_map(|v| v.to_le_bytes()).collect();
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_placeholder_is_filled_once_and_the_title_cannot_break_the_docstring() {
        let net = nn_core::Network::<f32>::builder(&[2])
            .dense(1)
            .loss(Loss::BinaryCrossEntropy)
            .build(nn_core::Reference, &mut nn_core::Rng::seed(0))
            .unwrap();
        let modules = nn_core::torch::export(&net).unwrap().modules;
        let classes = vec!["{{CLASSES}}".to_string(), "b".into()];
        let preparation = Preparation::features(2, classes);
        let features = ["x".to_string(), "y".into()];
        let code = python_module(&net, &modules, &preparation, r#"a\b"""c"#, Some(&features));
        assert!(!code.contains("{{TITLE}}") && !code.contains("{{FEATURES}}"));
        assert!(
            code.contains(r#"CLASSES = ["{{CLASSES}}","b"]"#),
            "not substituted twice"
        );
        assert!(code.starts_with(r#""""a_b___c: a network trained by nn"#));
        assert!(code.contains(r#"FEATURES = ["x","y"]"#));
        assert_eq!(code.matches(r#"""""#).count() % 2, 0);
    }
}
