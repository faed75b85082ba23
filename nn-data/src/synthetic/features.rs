//! The playground's input features of a 2-D point: `x₁`, `x₂`, `x₁²`, `x₂²`, `x₁x₂`, `sin x₁`,
//! `sin x₂`. A network over points takes the chosen features in the order given; a saved
//! model's [`Preparation`](crate::model::Preparation) names them, so that whoever opens it
//! expands points the same way.

use nn_core::Tensor;
use serde::{Deserialize, Serialize};

use crate::DataError;

/// One input feature computed from a point `(x₁, x₂)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PointFeature {
    /// `x₁`.
    X1,
    /// `x₂`.
    X2,
    /// `x₁²`.
    X1Squared,
    /// `x₂²`.
    X2Squared,
    /// `x₁·x₂`.
    X1X2,
    /// `sin x₁`.
    SinX1,
    /// `sin x₂`.
    SinX2,
}

impl PointFeature {
    /// All seven, in the playground's order.
    pub const ALL: [PointFeature; 7] = [
        PointFeature::X1,
        PointFeature::X2,
        PointFeature::X1Squared,
        PointFeature::X2Squared,
        PointFeature::X1X2,
        PointFeature::SinX1,
        PointFeature::SinX2,
    ];

    /// The name used on the command line, in URLs and in model files: `x1`, `x2`,
    /// `x1_squared`, `x2_squared`, `x1_x2`, `sin_x1`, `sin_x2`.
    pub fn name(self) -> &'static str {
        match self {
            PointFeature::X1 => "x1",
            PointFeature::X2 => "x2",
            PointFeature::X1Squared => "x1_squared",
            PointFeature::X2Squared => "x2_squared",
            PointFeature::X1X2 => "x1_x2",
            PointFeature::SinX1 => "sin_x1",
            PointFeature::SinX2 => "sin_x2",
        }
    }

    /// The feature named `name` (see [`PointFeature::name`]).
    pub fn parse(name: &str) -> Option<PointFeature> {
        PointFeature::ALL.into_iter().find(|f| f.name() == name)
    }

    /// Its value at `(x1, x2)`.
    pub fn value(self, x1: f32, x2: f32) -> f32 {
        match self {
            PointFeature::X1 => x1,
            PointFeature::X2 => x2,
            PointFeature::X1Squared => x1 * x1,
            PointFeature::X2Squared => x2 * x2,
            PointFeature::X1X2 => x1 * x2,
            PointFeature::SinX1 => x1.sin(),
            PointFeature::SinX2 => x2.sin(),
        }
    }
}

/// The `(m, k)` features of `(m, 2)` points, one column per entry of `features`.
///
/// # Errors
///
/// [`DataError::Invalid`] unless `points` is `(m, 2)` and `features` is non-empty without
/// repeats.
pub fn expand_points(
    points: &Tensor<f32>,
    features: &[PointFeature],
) -> Result<Tensor<f32>, DataError> {
    check_features(features).map_err(|message| DataError::Invalid { message })?;
    if points.shape().len() != 2 || points.shape()[1] != 2 {
        return Err(DataError::Invalid {
            message: format!(
                "point features need (m, 2) points, got {}",
                nn_core::shape_str(points.shape())
            ),
        });
    }
    let values = points
        .data()
        .chunks_exact(2)
        .flat_map(|p| features.iter().map(move |f| f.value(p[0], p[1])))
        .collect();
    Ok(Tensor::from_vec(&[points.rows(), features.len()], values).expect("k values per point"))
}

/// An error unless `features` is non-empty and names each feature at most once.
pub fn check_features(features: &[PointFeature]) -> Result<(), String> {
    if features.is_empty() {
        return Err("a network over points needs at least one input feature".into());
    }
    for (i, f) in features.iter().enumerate() {
        if features[..i].contains(f) {
            return Err(format!("the feature {} is named twice", f.name()));
        }
    }
    Ok(())
}
