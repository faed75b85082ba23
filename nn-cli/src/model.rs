//! Models named on the command line (`--model logistic | mlp:20,7,5 | cnn | net.toml`) and
//! the saved-model file: the network (nn-core's model file, checksummed) and how to prepare
//! its inputs.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{bail, Context, Result};
use nn_conv::{ConvLayers, Padding};
use nn_core::{Backend, Init, Loss, Network, NetworkBuilder};
use serde::{Deserialize, Serialize};

use crate::data::Prepare;
use crate::model_file::ModelFile;

/// A network architecture named on the command line.
#[derive(Clone, Debug, PartialEq)]
pub enum Preset {
    /// Logistic (softmax) regression on flattened examples.
    Logistic,
    /// Dense hidden layers of these sizes with ReLU.
    Mlp(Vec<usize>),
    /// Two convolution blocks (3×3 conv 8 and 16 filters, ReLU, 2×2 max pool), dense output.
    Cnn,
    /// The layers of a model file (TOML or JSON).
    File(PathBuf, ModelFile),
}

impl std::fmt::Display for Preset {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Preset::Logistic => write!(f, "logistic"),
            Preset::Cnn => write!(f, "cnn"),
            Preset::File(path, _) => write!(f, "{}", path.display()),
            Preset::Mlp(sizes) => {
                let sizes: Vec<String> = sizes.iter().map(usize::to_string).collect();
                write!(f, "mlp:{}", sizes.join(","))
            }
        }
    }
}

impl Preset {
    /// `logistic`, `mlp:20,7,5` (or `mlp` for `mlp:64,32`), `cnn`, or a model file
    /// (`.toml`, `.json`).
    pub fn parse(text: &str) -> Result<Preset> {
        let path = Path::new(text);
        let is_file_name = path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("toml") || e.eq_ignore_ascii_case("json"));
        if is_file_name || path.is_file() {
            return Ok(Preset::File(path.to_path_buf(), ModelFile::read(path)?));
        }
        match text {
            "logistic" => Ok(Preset::Logistic),
            "cnn" => Ok(Preset::Cnn),
            "mlp" => Ok(Preset::Mlp(vec![64, 32])),
            _ => {
                let Some(sizes) = text.strip_prefix("mlp:") else {
                    bail!("unknown model {text:?}: use logistic, mlp:20,7,5, cnn or a model file (.toml, .json)");
                };
                let sizes = sizes
                    .split(',')
                    .map(|s| s.trim().parse::<usize>().ok().filter(|&n| n > 0))
                    .collect::<Option<Vec<_>>>()
                    .with_context(|| {
                        format!("{text:?}: hidden sizes must be positive integers, e.g. mlp:20,7,5")
                    })?;
                Ok(Preset::Mlp(sizes))
            }
        }
    }

    /// A network-building error, with the model file's name where there is one.
    pub fn explain(&self, e: nn_core::Error) -> anyhow::Error {
        match self {
            Preset::File(path, _) => anyhow::anyhow!("{}: {e}", path.display()),
            _ => e.into(),
        }
    }

    /// Whether the network takes flattened examples.
    pub fn flat(&self) -> bool {
        match self {
            Preset::Cnn => false,
            Preset::File(_, file) => file.flat(),
            Preset::Logistic | Preset::Mlp(_) => true,
        }
    }

    /// The network for examples of `shape` and `classes` classes: one sigmoid output with
    /// binary cross-entropy if `binary` (two classes: the course's choice), else softmax
    /// outputs with categorical cross-entropy.
    pub fn builder(
        &self,
        shape: &[usize],
        classes: usize,
        binary: bool,
        dropout: Option<f64>,
    ) -> Result<NetworkBuilder<f32>> {
        let mut b = Network::<f32>::builder(shape);
        match self {
            Preset::File(path, file) => {
                if dropout.is_some() {
                    bail!(
                        "--dropout applies to the presets; with {} put dropout layers in the file",
                        path.display()
                    );
                }
                if !file.flat() && shape.len() != 3 {
                    bail!(
                        "{}: convolution and pooling need images, but the data are rows of {} features",
                        path.display(),
                        shape[0]
                    );
                }
                b = file.builder(shape);
            }
            Preset::Logistic => b = b.init(Init::Zeros),
            Preset::Mlp(sizes) => {
                b = b.init(Init::He);
                for &n in sizes {
                    b = b.dense(n).relu();
                    if let Some(p) = dropout {
                        b = b.dropout(1.0 - p);
                    }
                }
            }
            Preset::Cnn => {
                if shape.len() != 3 {
                    bail!(
                        "the cnn model needs images, but the data are rows of {} features",
                        shape[0]
                    );
                }
                b = b
                    .init(Init::He)
                    .conv2d(8, 3, Padding::uniform(1))
                    .relu()
                    .max_pool(2)
                    .conv2d(16, 3, Padding::uniform(1))
                    .relu()
                    .max_pool(2)
                    .flatten();
                if let Some(p) = dropout {
                    b = b.dropout(1.0 - p);
                }
            }
        }
        Ok(if binary {
            b.dense(1).loss(Loss::BinaryCrossEntropy)
        } else {
            b.dense(classes).loss(Loss::CategoricalCrossEntropy)
        })
    }
}

/// What `nn info` shows of how a model was trained.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Trained {
    /// The command line.
    pub command: String,
    /// Epochs run.
    pub epochs: usize,
    /// Why training stopped.
    pub stop: String,
    /// Final training cost.
    pub cost: f64,
    /// Training and test accuracy at the end.
    pub train_accuracy: f64,
    /// Test accuracy.
    pub test_accuracy: f64,
    /// Seconds of training.
    pub seconds: f64,
}

/// The metadata stored before the network in a saved model.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Meta {
    /// How to prepare inputs.
    pub prepare: Prepare,
    /// The preset, as typed.
    pub model: String,
    /// How it was trained.
    pub trained: Trained,
}

const MAGIC: &[u8; 8] = b"NNCLI\0\0\x01";
const MAX_META: u64 = 64 << 20;

/// Writes `meta` and the network to `path`, atomically (a temporary file, then a rename).
pub fn save(path: &Path, meta: &Meta, net: &Network<f32>) -> Result<()> {
    let meta_json = serde_json::to_vec(meta)?;
    let mut bytes = Vec::with_capacity(16 + meta_json.len());
    bytes.extend_from_slice(MAGIC);
    bytes.extend_from_slice(&(meta_json.len() as u64).to_le_bytes());
    bytes.extend_from_slice(&meta_json);
    bytes.extend_from_slice(&net.to_bytes()?);
    nn_core::persist::write_atomically(path, &bytes)?;
    Ok(())
}

/// Reads a model saved by [`save`].
pub fn load(path: &Path, backend: Arc<dyn Backend<f32>>) -> Result<(Meta, Network<f32>)> {
    let bytes = std::fs::read(path)
        .with_context(|| format!("{}: cannot read the model", path.display()))?;
    if bytes.len() < 16 || &bytes[..8] != MAGIC {
        bail!("{}: not a model saved by `nn train --save`", path.display());
    }
    let len = u64::from_le_bytes(bytes[8..16].try_into().expect("8 bytes"));
    if len > MAX_META || 16 + len as usize > bytes.len() {
        bail!("{}: truncated or corrupt model file", path.display());
    }
    let meta: Meta = serde_json::from_slice(&bytes[16..16 + len as usize])
        .with_context(|| format!("{}: corrupt model description", path.display()))?;
    let net = Network::from_bytes(
        &bytes[16 + len as usize..],
        path,
        backend,
        &nn_conv::registry(),
    )?;
    Ok((meta, net))
}
