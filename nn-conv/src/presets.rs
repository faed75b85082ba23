//! The named architectures (`logistic`, `mlp:20,7,5`, `cnn`, `cnn-small`) of the `nn` command
//! and the benchmarks, defined once: the hidden layers as descriptions, and an output [`Head`]
//! that fits the classes.
//!
//! ```
//! use nn_conv::presets::{Head, Preset};
//! use nn_core::{Reference, Rng};
//! let preset: Preset = "mlp:20,7,5".parse()?;
//! let net = preset
//!     .builder::<f32>(&[12288], Head::Binary, None)
//!     .build(Reference, &mut Rng::seed(1))?;
//! assert_eq!(net.layers().len(), 7); // three dense + ReLU pairs, one output unit
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::fmt;
use std::str::FromStr;

use nn_core::layer::{BatchNormConfig, DenseConfig, DropoutConfig, LayerSpec, ReluConfig};
use nn_core::{Float, Init, Loss, Network, NetworkBuilder};

use crate::{AvgPoolConfig, Conv2dConfig, FlattenConfig, MaxPoolConfig, Padding};

/// The batch norm momentum of `cnn`: 0.2 rather than PyTorch's 0.1, so that the running
/// statistics catch up within short runs (with 0.1, 8 epochs of the 150 built-in faces left
/// them far enough behind the weights that evaluation fell to 58 %; 0.2 gives 98 %, and the
/// same 73–77 % on hymenoptera).
pub const BN_MOMENTUM: f64 = 0.2;

/// A named architecture.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Preset {
    /// Logistic (or softmax) regression on flat examples: no hidden layer, zero weights.
    Logistic,
    /// Dense hidden layers of these sizes, each followed by ReLU; He initialisation.
    Mlp(Vec<usize>),
    /// The default for images, chosen by measurement (see the README's experiment table):
    /// three blocks of 3×3 convolution (16, 32, 64 filters, one pixel of zero padding), batch
    /// norm (momentum [`BN_MOMENTUM`]), ReLU and 2×2 max pooling, then global average pooling, flatten and dropout 0.3;
    /// He initialisation.
    Cnn,
    /// The benchmarks' small CNN (`cnn` before batch norm): two blocks of 3×3 convolution (8,
    /// then 16 filters), ReLU and 2×2 max pooling, then flatten; He initialisation.
    SmallCnn,
}

/// The output layer and the loss, fitted to the classes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Head {
    /// One unit, sigmoid fused into binary cross-entropy (the course's choice for two classes).
    Binary,
    /// One unit per class, softmax fused into categorical cross-entropy.
    Categorical(usize),
}

impl Head {
    /// `Binary` for two classes, else `Categorical`.
    pub fn for_classes(classes: usize) -> Self {
        if classes == 2 {
            Head::Binary
        } else {
            Head::Categorical(classes)
        }
    }

    /// Adds the output layer and sets the loss.
    pub fn apply<T: Float>(self, b: NetworkBuilder<T>) -> NetworkBuilder<T> {
        match self {
            Head::Binary => b.dense(1).loss(Loss::BinaryCrossEntropy),
            Head::Categorical(k) => b.dense(k).loss(Loss::CategoricalCrossEntropy),
        }
    }
}

impl Preset {
    /// Whether the network takes flat examples (no convolution).
    pub fn flat(&self) -> bool {
        !matches!(self, Preset::Cnn | Preset::SmallCnn)
    }

    /// The initialiser the preset uses.
    pub fn init(&self) -> Init {
        match self {
            Preset::Logistic => Init::Zeros,
            Preset::Mlp(_) | Preset::Cnn | Preset::SmallCnn => Init::He,
        }
    }

    /// The hidden layers for examples of `input`, with dropout of `dropout` (the probability
    /// of dropping a unit) after each dense hidden layer or after the convolution blocks
    /// (`cnn` drops 0.3 unless `dropout` says otherwise; 0 removes it).
    pub fn hidden(&self, input: &[usize], dropout: Option<f64>) -> Vec<LayerSpec> {
        let drop = |default: Option<f64>| {
            dropout
                .or(default)
                .filter(|&rate| rate > 0.0)
                .map(|rate| LayerSpec::from(DropoutConfig::new(rate)))
        };
        let conv = |filters| LayerSpec::from(Conv2dConfig::new(filters, 3, Padding::uniform(1)));
        match self {
            Preset::Logistic => Vec::new(),
            Preset::Mlp(sizes) => sizes
                .iter()
                .flat_map(|&n| {
                    [DenseConfig::new(n).into(), ReluConfig {}.into()]
                        .into_iter()
                        .chain(drop(None))
                })
                .collect(),
            Preset::SmallCnn => {
                let block = |filters| {
                    [
                        conv(filters),
                        ReluConfig {}.into(),
                        MaxPoolConfig::new(2).into(),
                    ]
                };
                let mut layers: Vec<LayerSpec> = block(8).into_iter().chain(block(16)).collect();
                layers.push(FlattenConfig {}.into());
                layers.extend(drop(None));
                layers
            }
            Preset::Cnn => {
                let block = |filters| {
                    [
                        conv(filters),
                        BatchNormConfig {
                            momentum: BN_MOMENTUM,
                            ..BatchNormConfig::default()
                        }
                        .into(),
                        ReluConfig {}.into(),
                        MaxPoolConfig::new(2).into(),
                    ]
                };
                let mut layers: Vec<LayerSpec> = [16, 32, 64].into_iter().flat_map(block).collect();
                // Global average pooling over what the three poolings leave (h/8 × w/8).
                let side = |d: usize| input.get(d).map_or(1, |&n| (n / 8).max(1));
                let global = [side(0), side(1)];
                layers.push(AvgPoolConfig::with(global, global).into());
                layers.push(FlattenConfig {}.into());
                layers.extend(drop(Some(0.3)));
                layers
            }
        }
    }

    /// The whole network for examples of `input`: the hidden layers, then `head`; the
    /// preset's initialiser unless `init` names another (the course's deep network uses
    /// `Init::LeCunNormal`).
    pub fn builder<T: Float>(
        &self,
        input: &[usize],
        head: Head,
        init: Option<Init>,
    ) -> NetworkBuilder<T> {
        let b = Network::<T>::builder(input)
            .init(init.unwrap_or(self.init()))
            .layers(self.hidden(input, None));
        head.apply(b)
    }
}

impl fmt::Display for Preset {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Preset::Logistic => write!(f, "logistic"),
            Preset::Cnn => write!(f, "cnn"),
            Preset::SmallCnn => write!(f, "cnn-small"),
            Preset::Mlp(sizes) => {
                let sizes: Vec<String> = sizes.iter().map(usize::to_string).collect();
                write!(f, "mlp:{}", sizes.join(","))
            }
        }
    }
}

impl FromStr for Preset {
    type Err = String;

    /// `logistic`, `mlp:20,7,5` (or `mlp` for `mlp:64,32`), `cnn`, `cnn-small`.
    fn from_str(text: &str) -> Result<Self, String> {
        match text {
            "logistic" => Ok(Preset::Logistic),
            "cnn" => Ok(Preset::Cnn),
            "cnn-small" => Ok(Preset::SmallCnn),
            "mlp" => Ok(Preset::Mlp(vec![64, 32])),
            _ => {
                let Some(sizes) = text.strip_prefix("mlp:") else {
                    return Err(format!(
                        "unknown model {text:?}: use logistic, mlp:20,7,5, cnn, cnn-small or a model file (.toml, .json)"
                    ));
                };
                sizes
                    .split(',')
                    .map(|s| s.trim().parse::<usize>().ok().filter(|&n| n > 0))
                    .collect::<Option<Vec<_>>>()
                    .map(Preset::Mlp)
                    .ok_or_else(|| {
                        format!("{text:?}: hidden sizes must be positive integers, e.g. mlp:20,7,5")
                    })
            }
        }
    }
}
