//! Models named on the command line (`--model logistic | mlp:20,7,5 | cnn | net.toml`) and
//! saved models: nn-core's one model file, with nn-data's preparation of inputs and this
//! command's record of the training run as sections.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use nn_conv::presets::{Head, Preset};
use nn_core::layer::LayerSpec;
use nn_core::persist::Section;
use nn_core::{Backend, Float, Init, Network, NetworkBuilder};
use nn_data::model::{Preparation, Trained};
use serde::{Deserialize, Serialize};
use std::sync::Arc;

use crate::model_file::ModelFile;

/// A network architecture named on the command line.
#[derive(Clone, Debug, PartialEq)]
pub enum Model {
    /// One of the library's presets.
    Preset(Preset),
    /// The layers of a model description (TOML or JSON).
    File(PathBuf, ModelFile),
}

impl std::fmt::Display for Model {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Model::Preset(p) => write!(f, "{p}"),
            Model::File(path, _) => write!(f, "{}", path.display()),
        }
    }
}

impl Model {
    /// A preset (`logistic`, `mlp:20,7,5`, `mlp`, `cnn`) or a model description (`.toml`,
    /// `.json`).
    pub fn parse(text: &str) -> Result<Model> {
        let path = Path::new(text);
        let is_file_name = path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("toml") || e.eq_ignore_ascii_case("json"));
        if is_file_name || path.is_file() {
            return Ok(Model::File(path.to_path_buf(), ModelFile::read(path)?));
        }
        Ok(Model::Preset(text.parse().map_err(anyhow::Error::msg)?))
    }

    /// A network-building error, with the model file's name where there is one.
    pub fn explain(&self, e: nn_core::Error) -> anyhow::Error {
        match self {
            Model::File(path, _) => anyhow::anyhow!("{}: {e}", path.display()),
            Model::Preset(_) => e.into(),
        }
    }

    /// Whether the network takes flattened examples.
    pub fn flat(&self) -> bool {
        match self {
            Model::Preset(p) => p.flat(),
            Model::File(_, file) => file.flat(),
        }
    }

    /// The initialiser of layers without their own.
    pub fn init(&self) -> Init {
        match self {
            Model::Preset(p) => p.init(),
            Model::File(_, file) => file.init.unwrap_or(Init::He),
        }
    }

    /// The layers before the output layer, for examples of `shape`; `dropout` (the
    /// probability of dropping a unit) applies to presets only.
    pub fn hidden(&self, shape: &[usize], dropout: Option<f64>) -> Result<Vec<LayerSpec>> {
        match self {
            Model::File(path, file) => {
                if file.is_whole_network() {
                    bail!(
                        "{}: `input`, `classes`, `scale`, `mean` and `std` describe a whole \
                         network for `nn import`; for `nn train` list the layers before the \
                         output layer only",
                        path.display()
                    );
                }
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
                Ok(file.layers.clone())
            }
            Model::Preset(p @ (Preset::Cnn | Preset::SmallCnn)) if shape.len() != 3 => bail!(
                "the {p} model needs images, but the data are rows of {} features",
                shape[0]
            ),
            Model::Preset(p) => Ok(p.hidden(shape, dropout)),
        }
    }

    /// The network for examples of `shape` with the output `head`.
    pub fn builder<T: Float>(
        &self,
        shape: &[usize],
        head: Head,
        dropout: Option<f64>,
        init: Option<Init>,
    ) -> Result<NetworkBuilder<T>> {
        if let (Model::File(path, _), Some(_)) = (self, init) {
            bail!(
                "--init applies to the presets; with {} name the initialiser in the file",
                path.display()
            );
        }
        let b = Network::<T>::builder(shape)
            .init(init.unwrap_or(self.init()))
            .layers(self.hidden(shape, dropout)?);
        Ok(head.apply(b))
    }
}

/// What `nn info` shows of how a model was trained: the `nn-cli` section of the model file.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Run {
    /// The model, as typed.
    pub model: String,
    /// The command line.
    pub command: String,
    /// Epochs run.
    pub epochs: usize,
    /// Why training stopped.
    pub stop: String,
    /// Final training cost.
    #[serde(deserialize_with = "number_or_nan")]
    pub cost: f64,
    /// Training accuracy at the end.
    #[serde(deserialize_with = "number_or_nan")]
    pub train_accuracy: f64,
    /// Test accuracy at the end.
    #[serde(deserialize_with = "number_or_nan")]
    pub test_accuracy: f64,
    /// Seconds of training.
    #[serde(deserialize_with = "number_or_nan")]
    pub seconds: f64,
    /// The generator's state at the end of the run, for `--resume` (absent in older files).
    #[serde(default)]
    pub rng: Option<nn_core::Rng>,
    /// The seed of the run (its train/test split), checked by `--resume`.
    #[serde(default)]
    pub seed: Option<u64>,
    /// The lowest cost `--checkpoint` has kept in `best.nn` so far.
    #[serde(default)]
    pub best_cost: Option<f64>,
    /// The columns of the CSV table trained on (absent for other data and in older files).
    #[serde(default)]
    pub table: Option<crate::table::Columns>,
    /// The PyTorch state dict the weights came from, for a model made by `nn import`.
    #[serde(default)]
    pub imported: Option<String>,
}

/// A number of the run record; JSON writes NaN (no such figure, as a checkpoint's test
/// accuracy) as `null`, read back as NaN.
fn number_or_nan<'de, D: serde::Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
    Ok(Option::<f64>::deserialize(d)?.unwrap_or(f64::NAN))
}

/// The section name of [`Run`].
const RUN_SECTION: &str = "nn-cli";

/// Writes the network, its preparation and the run to `path` in the library's model format,
/// atomically (a temporary file, then a rename).
pub fn save(path: &Path, net: &Network<f32>, prepare: &Preparation, run: &Run) -> Result<()> {
    let section = Section {
        name: RUN_SECTION.into(),
        bytes: serde_json::to_vec(run)?,
    };
    nn_data::model::save(path, net, prepare, &[section])?;
    Ok(())
}

/// Reads a model saved by [`save`] (or by `nn_data::model::save`, without a run).
pub fn load(path: &Path, backend: Arc<dyn Backend<f32>>) -> Result<(Trained, Option<Run>)> {
    let trained = match nn_data::model::open(path, backend, &nn_conv::registry()) {
        Err(nn_data::DataError::Io { source, .. }) => {
            bail!("{}: cannot read the model ({source})", path.display())
        }
        other => other?,
    };
    let run = match trained.sections.iter().find(|s| s.name == RUN_SECTION) {
        Some(s) => Some(
            serde_json::from_slice(&s.bytes)
                .with_context(|| format!("{}: corrupt record of the run", path.display()))?,
        ),
        None => None,
    };
    Ok((trained, run))
}
