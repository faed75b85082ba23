//! The named architectures (`logistic`, `mlp:20,7,5`, `cnn`) of the `nn` command and the
//! benchmarks, defined once: the hidden layers as descriptions, and an output [`Head`] that
//! fits the classes.
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

use nn_core::layer::{DenseConfig, DropoutConfig, LayerSpec, ReluConfig};
use nn_core::{Float, Init, Loss, Network, NetworkBuilder};

use crate::{Conv2dConfig, FlattenConfig, MaxPoolConfig, Padding};

/// A named architecture.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Preset {
    /// Logistic (or softmax) regression on flat examples: no hidden layer, zero weights.
    Logistic,
    /// Dense hidden layers of these sizes, each followed by ReLU; He initialisation.
    Mlp(Vec<usize>),
    /// Two blocks of 3×3 convolution (8, then 16 filters, one pixel of zero padding), ReLU
    /// and 2×2 max pooling, then flatten; He initialisation.
    Cnn,
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
        !matches!(self, Preset::Cnn)
    }

    /// The initialiser the preset uses.
    pub fn init(&self) -> Init {
        match self {
            Preset::Logistic => Init::Zeros,
            Preset::Mlp(_) | Preset::Cnn => Init::He,
        }
    }

    /// The hidden layers, with dropout of `dropout` (the probability of dropping a unit)
    /// after each dense hidden layer or after the convolution blocks.
    pub fn hidden(&self, dropout: Option<f64>) -> Vec<LayerSpec> {
        let drop = || dropout.map(|rate| LayerSpec::from(DropoutConfig::new(rate)));
        match self {
            Preset::Logistic => Vec::new(),
            Preset::Mlp(sizes) => sizes
                .iter()
                .flat_map(|&n| {
                    [DenseConfig::new(n).into(), ReluConfig {}.into()]
                        .into_iter()
                        .chain(drop())
                })
                .collect(),
            Preset::Cnn => {
                let block = |filters| -> [LayerSpec; 3] {
                    [
                        Conv2dConfig::new(filters, 3, Padding::uniform(1)).into(),
                        ReluConfig {}.into(),
                        MaxPoolConfig::new(2).into(),
                    ]
                };
                let mut layers: Vec<LayerSpec> = block(8).into_iter().chain(block(16)).collect();
                layers.push(FlattenConfig {}.into());
                layers.extend(drop());
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
            .layers(self.hidden(None));
        head.apply(b)
    }
}

impl fmt::Display for Preset {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Preset::Logistic => write!(f, "logistic"),
            Preset::Cnn => write!(f, "cnn"),
            Preset::Mlp(sizes) => {
                let sizes: Vec<String> = sizes.iter().map(usize::to_string).collect();
                write!(f, "mlp:{}", sizes.join(","))
            }
        }
    }
}

impl FromStr for Preset {
    type Err = String;

    /// `logistic`, `mlp:20,7,5` (or `mlp` for `mlp:64,32`), `cnn`.
    fn from_str(text: &str) -> Result<Self, String> {
        match text {
            "logistic" => Ok(Preset::Logistic),
            "cnn" => Ok(Preset::Cnn),
            "mlp" => Ok(Preset::Mlp(vec![64, 32])),
            _ => {
                let Some(sizes) = text.strip_prefix("mlp:") else {
                    return Err(format!(
                        "unknown model {text:?}: use logistic, mlp:20,7,5, cnn or a model file (.toml, .json)"
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
