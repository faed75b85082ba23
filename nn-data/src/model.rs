//! Trained models with their preparation of inputs: how examples were decoded, resized and
//! scaled before the network saw them, saved in the model file (a checksummed section of
//! nn-core's one model format) so that whoever opens the model prepares data the same way.
//!
//! ```
//! use nn_core::{FitConfig, Init, Loss, Network, Optimizer, Reference, Rng};
//! use nn_data::model::{self, Preparation};
//!
//! // Train logistic regression on two 2-D points and save it with its preparation.
//! let x = nn_core::Tensor::from_rows(&[vec![0.0f32, 0.0], vec![1.0, 1.0]])?;
//! let y = nn_core::Tensor::from_vec(&[2, 1], vec![0.0, 1.0])?;
//! let mut net = Network::<f32>::builder(&[2])
//!     .dense_init(1, Init::Zeros)
//!     .loss(Loss::BinaryCrossEntropy)
//!     .build(Reference, &mut Rng::seed(0))?;
//! net.fit(&x, &y, &FitConfig::new(Optimizer::gradient_descent(1.0)).iterations(100), &mut Rng::seed(0))?;
//! let preparation = Preparation::features(2, vec!["no".into(), "yes".into()]);
//! let dir = tempfile::tempdir()?;
//! let path = dir.path().join("points.nn");
//! model::save(&path, &net, &preparation, &[])?;
//!
//! // One call gives the network and its preparation back (nn_conv::registry() also knows
//! // convolution layers, for models trained by `nn train` on images).
//! let trained = model::open(&path, Reference, &nn_core::layer::LayerRegistry::core())?;
//! assert_eq!(trained.preparation.classes, ["no", "yes"]);
//! assert_eq!(trained.network.predict(&x)?, vec![0, 1]);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::path::Path;

use nn_core::layer::LayerRegistry;
use nn_core::persist::Section;
use nn_core::{IntoBackend, Network, Tensor};
use serde::{Deserialize, Serialize};

use crate::images::{Color, ImageOptions};
use crate::synthetic::{check_features, expand_points, PointFeature};
use crate::{DataError, Dataset, Standardizer};

/// The name of the preparation's section in a model file.
pub const SECTION: &str = "preparation";

/// The largest image side a saved preparation may ask for: a classifier's inputs are at most a
/// few hundred pixels, and a description claiming more is refused when the file is read,
/// before any image is resized to it.
pub const MAX_PREPARED_SIDE: u32 = 4096;

/// How examples are prepared before the network sees them.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Preparation {
    /// Images are decoded and resized with these options (`None`: rows of features).
    pub images: Option<ImageOptions>,
    /// Every feature is multiplied by this (1/255 for pixels).
    pub scale: f32,
    /// Then standardised with these statistics of the training data, if any.
    pub standardizer: Option<Standardizer>,
    /// The class names, indexed by label.
    pub classes: Vec<String>,
    /// The shape of one example, as the network takes it.
    pub example_shape: Vec<usize>,
    /// Rows of 2-D points are expanded into these features (the playground's `x₁²`, `sin x₁`,
    /// …) after scaling and before the network sees them; `None`: rows go in as they are.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub point_features: Option<Vec<PointFeature>>,
}

/// A network and how to prepare its inputs, as [`open`] returns them.
pub struct Trained {
    /// The network.
    pub network: Network<f32>,
    /// How its inputs are prepared.
    pub preparation: Preparation,
    /// The file's other sections (e.g. the `nn` command's record of the training run).
    pub sections: Vec<Section>,
}

impl Preparation {
    /// Rows of `features` values, unscaled, with these class names.
    pub fn features(features: usize, classes: Vec<String>) -> Self {
        Preparation {
            images: None,
            scale: 1.0,
            standardizer: None,
            classes,
            example_shape: vec![features],
            point_features: None,
        }
    }

    /// 2-D points expanded into `features` before the network sees them, with these class
    /// names (none for regression).
    pub fn points(features: Vec<PointFeature>, classes: Vec<String>) -> Self {
        Preparation {
            example_shape: vec![features.len()],
            point_features: Some(features),
            ..Preparation::features(2, classes)
        }
    }

    /// Applies the scaling and standardisation to a data set loaded the same way.
    pub fn apply(&self, data: &mut Dataset) -> Result<(), DataError> {
        data.scale(self.scale);
        if let Some(s) = &self.standardizer {
            s.apply(data)?;
        }
        Ok(())
    }

    /// The examples of a prepared data set in the network's shape (2-D points expanded into
    /// the [`point_features`](Preparation::point_features), if any).
    pub fn tensor(&self, data: &Dataset) -> Result<Tensor<f32>, DataError> {
        if let Some(features) = &self.point_features {
            return expand_points(data.x(), features);
        }
        let mut shape = vec![data.len()];
        shape.extend_from_slice(&self.example_shape);
        data.x()
            .clone()
            .reshape(&shape)
            .map_err(|e| DataError::Invalid {
                message: format!("the examples do not fit the model's input: {e}"),
            })
    }

    /// One image file, decoded, resized, scaled and standardised, as a batch of one.
    pub fn image(&self, path: impl AsRef<Path>) -> Result<Tensor<f32>, DataError> {
        let path = path.as_ref();
        let Some(options) = self.images else {
            return Err(DataError::Invalid {
                message: format!(
                    "{}: this model takes rows of features, not images",
                    path.display()
                ),
            });
        };
        let x = options.load_image(path)?;
        let mut one = Dataset::with_classes(x, vec![0], vec!["?".into()])?;
        self.apply(&mut one)?;
        self.tensor(&one)
    }

    /// The section of a model file that holds this preparation.
    pub fn to_section(&self) -> Section {
        Section {
            name: SECTION.into(),
            bytes: serde_json::to_vec(self).expect("a preparation encodes as JSON"),
        }
    }

    /// Decodes a preparation section and checks it against `network`: the example shape is
    /// the network's input, the classes match its outputs, image sides are at most
    /// [`MAX_PREPARED_SIDE`], and the numbers are finite.
    pub fn from_section(bytes: &[u8], network: &Network<f32>) -> Result<Self, String> {
        let p: Preparation = serde_json::from_slice(bytes)
            .map_err(|e| format!("corrupt preparation section: {e}"))?;
        p.check(network)?;
        Ok(p)
    }

    /// Checks that this preparation fits `network` (see [`Preparation::from_section`]).
    pub fn check(&self, network: &Network<f32>) -> Result<(), String> {
        if self.example_shape != network.input_shape() {
            return Err(format!(
                "the preparation makes examples of shape {:?}, the network takes {:?}",
                self.example_shape,
                network.input_shape()
            ));
        }
        let (outputs, classes) = (network.outputs(), self.classes.len());
        if classes != if outputs == 1 { 2 } else { outputs } {
            return Err(format!(
                "{classes} class names for a network with {outputs} outputs (one output is two \
                 classes; otherwise one output per class)"
            ));
        }
        if !self.scale.is_finite() {
            return Err(format!("the scale {} is not a number", self.scale));
        }
        if let Some(features) = &self.point_features {
            check_features(features)?;
            if self.images.is_some() || self.example_shape != [features.len()] {
                return Err(format!(
                    "{} point features for examples of shape {:?}{}",
                    features.len(),
                    self.example_shape,
                    if self.images.is_some() {
                        " from images"
                    } else {
                        ""
                    }
                ));
            }
        }
        if let Some(s) = &self.standardizer {
            let n: usize = self.example_shape.iter().product();
            let finite = s.mean.iter().all(|v| v.is_finite())
                && s.std.iter().all(|v| v.is_finite() && *v > 0.0);
            if s.mean.len() != n || s.std.len() != n || !finite {
                return Err(format!(
                    "the standardiser has {} means and {} deviations (all finite, deviations positive: {finite}) \
                     for {n} features",
                    s.mean.len(),
                    s.std.len()
                ));
            }
        }
        self.images.map_or(Ok(()), |i| self.check_images(i))
    }

    /// Image sides within the limit, and the image's shape that of the examples.
    fn check_images(&self, i: ImageOptions) -> Result<(), String> {
        if i.width == 0
            || i.height == 0
            || i.width > MAX_PREPARED_SIDE
            || i.height > MAX_PREPARED_SIDE
        {
            return Err(format!(
                "images of {}×{} pixels: each side must be 1 to {MAX_PREPARED_SIDE}",
                i.width, i.height
            ));
        }
        let channels = match i.color {
            Color::Gray => 1,
            Color::Rgb => 3,
        };
        let pixels = [i.height as usize, i.width as usize, channels];
        let n: usize = pixels.iter().product();
        if self.example_shape != pixels && self.example_shape != [n] {
            return Err(format!(
                "images of {}×{}×{channels} do not give examples of shape {:?}",
                i.height, i.width, self.example_shape
            ));
        }
        Ok(())
    }
}

/// Saves `network` with its `preparation` (and other `sections`) in nn-core's model format,
/// atomically (a temporary file, then a rename).
pub fn save(
    path: impl AsRef<Path>,
    network: &Network<f32>,
    preparation: &Preparation,
    sections: &[Section],
) -> Result<(), DataError> {
    let path = path.as_ref();
    preparation
        .check(network)
        .map_err(|message| DataError::Invalid {
            message: format!("{}: {message}", path.display()),
        })?;
    let mut all = vec![preparation.to_section()];
    all.extend_from_slice(sections);
    network
        .save_with(path, &all)
        .map_err(|e| model_error(path, e))
}

/// Opens a model saved with a preparation (by [`save`] or `nn train --save`): the network,
/// its preparation (checked against it), and the other sections. `registry` knows the
/// layer kinds (`nn_conv::registry()` for convolutional networks).
pub fn open(
    path: impl AsRef<Path>,
    backend: impl IntoBackend<f32>,
    registry: &LayerRegistry,
) -> Result<Trained, DataError> {
    let path = path.as_ref();
    let (network, sections) =
        Network::open(path, backend, registry).map_err(|e| model_error(path, e))?;
    with_preparation(network, sections, path)
}

/// As [`open`], from the bytes of a model file (`path` names it in errors): the same checks.
///
/// # Errors
///
/// As [`open`], but for the file system's.
pub fn from_bytes(
    bytes: &[u8],
    path: impl AsRef<Path>,
    backend: impl IntoBackend<f32>,
    registry: &LayerRegistry,
) -> Result<Trained, DataError> {
    let path = path.as_ref();
    let (network, sections) = Network::from_bytes_with_sections(bytes, path, backend, registry)
        .map_err(|e| model_error(path, e))?;
    with_preparation(network, sections, path)
}

/// The network with its preparation section decoded and checked against it.
fn with_preparation(
    network: Network<f32>,
    mut sections: Vec<Section>,
    path: &Path,
) -> Result<Trained, DataError> {
    let Some(at) = sections.iter().position(|s| s.name == SECTION) else {
        return Err(DataError::Corrupt {
            path: path.to_path_buf(),
            message: "the model has no preparation of inputs (it was saved by \
                      Network::save, not by nn-data's model::save or `nn train --save`): \
                      load it with Network::load_with"
                .into(),
        });
    };
    let section = sections.remove(at);
    let preparation = Preparation::from_section(&section.bytes, &network).map_err(|message| {
        DataError::Corrupt {
            path: path.to_path_buf(),
            message,
        }
    })?;
    Ok(Trained {
        network,
        preparation,
        sections,
    })
}

/// A model-file error of nn-core as a data error naming the file.
fn model_error(path: &Path, e: nn_core::Error) -> DataError {
    match e {
        nn_core::Error::Io { path, source } => DataError::Io { path, source },
        other => DataError::Corrupt {
            path: path.to_path_buf(),
            message: other
                .to_string()
                .trim_start_matches(&format!("{}: ", path.display()))
                .to_string(),
        },
    }
}
