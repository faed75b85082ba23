//! Model files (`--model net.toml` or `--model net.json`): any stack of the library's layers.
//! The file lists the layers from the input on; `nn` adds the output layer that fits the data
//! (one sigmoid unit for two classes, a softmax over the classes otherwise), as for presets.
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
use nn_conv::{Conv2dSpec, ConvLayers, Padding};
use nn_core::{Activation, Float, Init, Network, NetworkBuilder};
use serde::{Deserialize, Serialize};

/// A model file: an initialiser and the layers before the output layer.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelFile {
    /// How weights are drawn, for layers without their own `init` (default `he`).
    #[serde(default)]
    pub init: Option<InitName>,
    /// The layers, from the input on (`[[layer]]` tables in TOML, a `layers` list in JSON).
    #[serde(rename = "layer", alias = "layers", default)]
    pub layers: Vec<LayerSpec>,
}

/// An initialiser by name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InitName {
    /// All zeros (refused for hidden layers).
    Zeros,
    /// `N(0, 1)·0.01`.
    SmallRandom,
    /// `N(0, 1)·√(1/fan_in)`.
    LecunNormal,
    /// `N(0, 1)·√(2/(fan_in + fan_out))`.
    XavierNormal,
    /// `U(−r, r)`, `r = √(6/(fan_in + fan_out))`.
    XavierUniform,
    /// `N(0, 1)·√(2/fan_in)`.
    He,
}

impl From<InitName> for Init {
    fn from(name: InitName) -> Init {
        match name {
            InitName::Zeros => Init::Zeros,
            InitName::SmallRandom => Init::SmallRandom,
            InitName::LecunNormal => Init::LeCunNormal,
            InitName::XavierNormal => Init::XavierNormal,
            InitName::XavierUniform => Init::XavierUniform,
            InitName::He => Init::He,
        }
    }
}

/// One layer of a model file, named by its `type`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum LayerSpec {
    /// `Z = A·Wᵀ + b` with `units` outputs.
    Dense {
        /// Output units.
        units: usize,
        /// This layer's initialiser.
        #[serde(default)]
        init: Option<InitName>,
    },
    /// `max(0, z)`.
    Relu,
    /// `z if z > 0 else slope·z`.
    LeakyRelu {
        /// Slope for negative inputs.
        #[serde(default = "default_slope")]
        slope: f64,
    },
    /// `tanh(z)`.
    Tanh,
    /// `σ(z)`.
    Sigmoid,
    /// Inverted dropout, dropping each unit with probability `rate` while training.
    Dropout {
        /// The probability of dropping a unit, in `[0, 1)`.
        rate: f64,
    },
    /// A 2-D convolution over image volumes.
    Conv2d {
        /// Filters (output channels).
        filters: usize,
        /// Filter size: `3` or `[3, 5]` (height, width).
        kernel: Pair,
        /// Step: `1` (default) or `[h, w]`.
        #[serde(default = "one")]
        stride: Pair,
        /// `"valid"` (default), `"same"` or a number of zero rows and columns on each side.
        #[serde(default)]
        padding: PaddingSpec,
    },
    /// Max pooling.
    MaxPool {
        /// Window: `2` or `[h, w]`.
        size: Pair,
        /// Step (default: the window).
        #[serde(default)]
        stride: Option<Pair>,
    },
    /// Average pooling.
    AvgPool {
        /// Window: `2` or `[h, w]`.
        size: Pair,
        /// Step (default: the window).
        #[serde(default)]
        stride: Option<Pair>,
    },
    /// Volumes to rows.
    Flatten,
}

fn default_slope() -> f64 {
    0.01
}

fn one() -> Pair {
    Pair::One(1)
}

/// A size given once for both dimensions or as `[height, width]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Pair {
    /// The same for height and width.
    One(usize),
    /// Height, width.
    Two([usize; 2]),
}

impl Pair {
    fn get(self) -> [usize; 2] {
        match self {
            Pair::One(n) => [n, n],
            Pair::Two(p) => p,
        }
    }
}

/// Zero padding of a convolution.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum PaddingSpec {
    /// `"valid"` or `"same"`.
    Named(PaddingName),
    /// Rows and columns of zeros on each side.
    Amount(usize),
    /// No padding.
    #[default]
    #[serde(skip)]
    None,
}

/// Named paddings.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PaddingName {
    /// No padding.
    Valid,
    /// The output keeps the input's size at stride 1.
    Same,
}

impl PaddingSpec {
    fn get(self) -> Padding {
        match self {
            PaddingSpec::Named(PaddingName::Same) => Padding::Same,
            PaddingSpec::Named(PaddingName::Valid) | PaddingSpec::None => Padding::Valid,
            PaddingSpec::Amount(n) => Padding::uniform(n),
        }
    }
}

impl ModelFile {
    /// Reads a `.toml` or `.json` model file; errors name the file and, for syntax and field
    /// errors, the line.
    pub fn read(path: &Path) -> Result<ModelFile> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("{}: cannot read the model file", path.display()))?;
        let json = path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("json"));
        let file: ModelFile = if json {
            serde_json::from_str(&text).map_err(|e| anyhow!("{}: {e}", path.display()))?
        } else {
            toml::from_str(&text).map_err(|e| {
                let at = e
                    .span()
                    .map(|span| {
                        let line = text[..span.start.min(text.len())].lines().count().max(1);
                        format!(" at line {line}")
                    })
                    .unwrap_or_default();
                anyhow!("{}{at}: {}", path.display(), e.message().trim())
            })?
        };
        if file.layers.is_empty() {
            bail!(
                "{}: no layers; list them as [[layer]] tables (TOML) or a \"layers\" list (JSON), \
                 or use a preset (logistic, mlp:20,7,5, cnn)",
                path.display()
            );
        }
        for (i, layer) in file.layers.iter().enumerate() {
            if let LayerSpec::Dropout { rate } = layer {
                if !(0.0..1.0).contains(rate) {
                    bail!(
                        "{}: layer {i} (dropout): rate must be in [0, 1), got {rate}",
                        path.display()
                    );
                }
            }
        }
        Ok(file)
    }

    /// Whether the network takes flattened examples (no convolution or pooling layer).
    pub fn flat(&self) -> bool {
        !self.layers.iter().any(|l| {
            matches!(
                l,
                LayerSpec::Conv2d { .. } | LayerSpec::MaxPool { .. } | LayerSpec::AvgPool { .. }
            )
        })
    }

    /// The layers added to a builder for examples of `shape`.
    pub fn builder<T: Float>(&self, shape: &[usize]) -> NetworkBuilder<T> {
        let mut b = Network::<T>::builder(shape).init(self.init.map_or(Init::He, Init::from));
        for layer in &self.layers {
            b = match *layer {
                LayerSpec::Dense { units, init: None } => b.dense(units),
                LayerSpec::Dense {
                    units,
                    init: Some(init),
                } => b.dense_init(units, init.into()),
                LayerSpec::Relu => b.relu(),
                LayerSpec::LeakyRelu { slope } => b.leaky_relu(slope),
                LayerSpec::Tanh => b.tanh(),
                LayerSpec::Sigmoid => b.activation(Activation::Sigmoid),
                LayerSpec::Dropout { rate } => b.dropout(1.0 - rate),
                LayerSpec::Conv2d {
                    filters,
                    kernel,
                    stride,
                    padding,
                } => b.conv2d_spec({
                    let ([kh, kw], [sh, sw]) = (kernel.get(), stride.get());
                    Conv2dSpec::new(filters, 1, padding.get())
                        .kernel(kh, kw)
                        .stride(sh, sw)
                }),
                LayerSpec::MaxPool { size, stride } => {
                    b.max_pool_with(size.get(), stride.unwrap_or(size).get())
                }
                LayerSpec::AvgPool { size, stride } => {
                    b.avg_pool_with(size.get(), stride.unwrap_or(size).get())
                }
                LayerSpec::Flatten => b.flatten(),
            };
        }
        b
    }
}
