//! Model descriptions (`--model net.toml` or `--model net.json`): any stack of the library's
//! layers, each written as its kind's config type (nn-core's and nn-conv's `…Config`) with a
//! `type`. The file lists the layers from the input on; `nn` adds the output layer that fits
//! the data (one sigmoid unit for two classes, a softmax over the classes otherwise).
//!
//! ```toml
//! init = "he"
//! [[layer]]
//! type = "conv2d"
//! filters = 8
//! kernel = 3
//! padding = "same"
//! [[layer]]
//! type = "relu"
//! [[layer]]
//! type = "max_pool"
//! size = 2
//! [[layer]]
//! type = "flatten"
//! [[layer]]
//! type = "dense"
//! units = 32
//! ```

use std::path::Path;

use anyhow::{anyhow, bail, Context, Result};
use nn_core::layer::{LayerRegistry, LayerSpec};
use nn_core::Init;
use serde::Deserialize;
use serde_json::Value;

/// A model description: an initialiser and the layers before the output layer; or, for
/// `nn import`, a whole network (its `input` shape, every layer up to the logits, its class
/// names and input scaling).
#[derive(Clone, Debug, PartialEq)]
pub struct ModelFile {
    /// How weights are drawn, for layers without their own `init` (default `he`).
    pub init: Option<Init>,
    /// The layers, from the input on.
    pub layers: Vec<LayerSpec>,
    /// For `nn import`: the shape of one example, `[h, w, c]` or `[n]`.
    pub input: Option<Vec<usize>>,
    /// For `nn import`: the class names, by label.
    pub classes: Option<Vec<String>>,
    /// For `nn import`: what every input value is multiplied by (default 1/255 for images).
    pub scale: Option<f32>,
    /// For `nn import`: the mean subtracted after scaling, per channel (torchvision's
    /// `Normalize`) or per feature.
    pub mean: Option<Vec<f32>>,
    /// For `nn import`: the standard deviation divided by after that, likewise.
    pub std: Option<Vec<f32>>,
}

/// The file as written, before its layers are decoded by kind.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Text {
    #[serde(default)]
    init: Option<Init>,
    /// `[[layer]]` tables in TOML, a `layers` list in JSON.
    #[serde(rename = "layer", alias = "layers", default)]
    layers: Vec<Value>,
    #[serde(default)]
    input: Option<Vec<usize>>,
    #[serde(default)]
    classes: Option<Vec<String>>,
    #[serde(default)]
    scale: Option<f32>,
    #[serde(default)]
    mean: Option<Vec<f32>>,
    #[serde(default)]
    std: Option<Vec<f32>>,
}

/// The largest description read (1 MiB): far more than any stack of layers needs.
pub const MAX_BYTES: u64 = 1 << 20;

impl ModelFile {
    /// Reads a `.toml` or `.json` model description; errors name the file and, for syntax
    /// errors and layers of `[[layer]]` tables, the line.
    pub fn read(path: &Path) -> Result<ModelFile> {
        let text = read_text(path)?;
        let json = path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("json"));
        Self::parse(&text, json, path)
    }

    /// Parses the text of a model description, JSON if `json`, else TOML; `path` names it in
    /// errors. Every layer is decoded and checked by its kind's config type, but not yet
    /// against an input shape (building the network does that).
    pub fn parse(text: &str, json: bool, path: &Path) -> Result<ModelFile> {
        if text.len() as u64 > MAX_BYTES {
            bail!(
                "{}: larger than {MAX_BYTES} bytes, which no model description needs",
                path.display()
            );
        }
        let raw: Text = if json {
            serde_json::from_str(text).map_err(|e| anyhow!("{}: {e}", path.display()))?
        } else {
            toml::from_str(text).map_err(|e| toml_error(path, text, e))?
        };
        if raw.layers.is_empty() {
            bail!(
                "{}: no layers; list them as [[layer]] tables (TOML) or a \"layers\" list (JSON), \
                 or use a preset (logistic, mlp:20,7,5, cnn)",
                path.display()
            );
        }
        let registry = nn_conv::registry();
        let layers = raw
            .layers
            .into_iter()
            .enumerate()
            .map(|(i, value)| decode_layer(&registry, i, value, path, text, json))
            .collect::<Result<_>>()?;
        Ok(ModelFile {
            init: raw.init,
            layers,
            input: raw.input,
            classes: raw.classes,
            scale: raw.scale,
            mean: raw.mean,
            std: raw.std,
        })
    }

    /// Whether the file describes a whole network for `nn import` (it has `input`, `classes`,
    /// `scale`, `mean` or `std`).
    pub fn is_whole_network(&self) -> bool {
        self.input.is_some()
            || self.classes.is_some()
            || self.scale.is_some()
            || self.mean.is_some()
            || self.std.is_some()
    }

    /// Whether the network takes flattened examples: its layers accept rows of features
    /// (a layer that needs image volumes, such as a convolution, refuses them).
    pub fn flat(&self) -> bool {
        self.layers
            .iter()
            .try_fold(vec![1], |shape, l| l.config().output_shape(&shape))
            .is_ok()
    }
}

/// The file's text, refusing what is not a regular file or larger than [`MAX_BYTES`].
fn read_text(path: &Path) -> Result<String> {
    use std::io::Read;
    let context = || format!("{}: cannot read the model file", path.display());
    // Checked before opening (a FIFO would block the open) and again after.
    if !std::fs::metadata(path).with_context(context)?.is_file() {
        bail!("{}: not a regular file", path.display());
    }
    let file = std::fs::File::open(path).with_context(context)?;
    if !file.metadata().with_context(context)?.is_file() {
        bail!("{}: not a regular file", path.display());
    }
    let mut text = String::new();
    file.take(MAX_BYTES + 1)
        .read_to_string(&mut text)
        .with_context(context)?;
    if text.len() as u64 > MAX_BYTES {
        bail!(
            "{}: larger than {MAX_BYTES} bytes, which no model description needs",
            path.display()
        );
    }
    Ok(text)
}

/// Layer `i` as its kind's config; errors name the layer's `type` line in a TOML file.
fn decode_layer(
    registry: &LayerRegistry,
    i: usize,
    value: Value,
    path: &Path,
    text: &str,
    json: bool,
) -> Result<LayerSpec> {
    let kind = value
        .get("type")
        .and_then(Value::as_str)
        .unwrap_or("?")
        .to_string();
    let known = registry.knows(&kind);
    registry.from_json(value).map_err(|message| {
        let line = (!json).then(|| layer_line(text, i, !known)).flatten();
        match line {
            Some(line) if !known => anyhow!("{} at line {line}: {message}", path.display()),
            Some(line) => anyhow!(
                "{} at line {line}: layer {i} ({kind}): {message}",
                path.display()
            ),
            None => anyhow!("{}: layer {i} ({kind}): {message}", path.display()),
        }
    })
}

/// The line (1-based) of the `i`-th `[[layer]]` table, or of its `type` key if `at_type`.
fn layer_line(text: &str, i: usize, at_type: bool) -> Option<usize> {
    let lines: Vec<&str> = text.lines().collect();
    let header = lines
        .iter()
        .enumerate()
        .filter(|(_, l)| l.trim().replace(' ', "") == "[[layer]]")
        .nth(i)?
        .0;
    if !at_type {
        return Some(header + 1);
    }
    let end = lines[header + 1..]
        .iter()
        .position(|l| l.trim_start().starts_with('['))
        .map_or(lines.len(), |n| header + 1 + n);
    (header + 1..end)
        .find(|&n| lines[n].trim_start().starts_with("type"))
        .map(|n| n + 1)
}

/// A TOML syntax or field error with the line it is on.
fn toml_error(path: &Path, text: &str, e: toml::de::Error) -> anyhow::Error {
    let at = e
        .span()
        .map(|span| {
            let line = text[..span.start.min(text.len())].lines().count().max(1);
            format!(" at line {line}")
        })
        .unwrap_or_default();
    anyhow!("{}{at}: {}", path.display(), e.message().trim())
}
