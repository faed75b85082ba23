//! The TensorFlow playground's two regression sets: points in `[-6, 6]²` with a real target in
//! `[-1, 1]`, the target computed at the point moved by noise (so noise blurs the surface, as
//! in the playground).

use nn_core::{Rng, Tensor};

use crate::Dataset;

/// The playground's regression sets.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum PlaygroundRegression {
    /// A tilted plane: the target rises linearly with `x₁ + x₂`, −1 at (−5, −5), 1 at (5, 5).
    Plane,
    /// Six Gaussian bumps on a 3 × 2 grid, alternately +1 and −1 at their centres, falling to 0
    /// at distance 2.
    MultiGaussian,
}

impl PlaygroundRegression {
    /// Both, in the playground's order.
    pub const ALL: [PlaygroundRegression; 2] = [
        PlaygroundRegression::Plane,
        PlaygroundRegression::MultiGaussian,
    ];

    /// `"plane"`, `"multi-gaussian"`.
    pub fn name(self) -> &'static str {
        match self {
            PlaygroundRegression::Plane => "plane",
            PlaygroundRegression::MultiGaussian => "multi-gaussian",
        }
    }

    /// The noiseless target at `(x, y)`, in `[-1, 1]`.
    pub fn target(self, x: f64, y: f64) -> f64 {
        match self {
            PlaygroundRegression::Plane => ((x + y) / 10.0).clamp(-1.0, 1.0),
            PlaygroundRegression::MultiGaussian => BUMPS
                .iter()
                .map(|&(cx, cy, sign)| {
                    let d = (x - cx).hypot(y - cy);
                    sign * (1.0 - d / 2.0).clamp(0.0, 1.0)
                })
                .fold(
                    0.0,
                    |best: f64, v| if v.abs() > best.abs() { v } else { best },
                ),
        }
    }
}

/// The centres and signs of the multi-Gaussian set's bumps.
const BUMPS: [(f64, f64, f64); 6] = [
    (-4.0, 2.5, 1.0),
    (0.0, 2.5, -1.0),
    (4.0, 2.5, 1.0),
    (-4.0, -2.5, -1.0),
    (0.0, -2.5, 1.0),
    (4.0, -2.5, -1.0),
];

/// `n` points of the regression set `kind`, uniform in `[-6, 6]²`, with `noise` (clamped to
/// `[0, 0.5]`): each target is [`PlaygroundRegression::target`] at the point moved by up to
/// `6·noise` in each coordinate. A data set of `(n, 2)` points and `(n, 1)` real targets.
pub fn playground_regression(
    kind: PlaygroundRegression,
    n: usize,
    noise: f64,
    rng: &mut Rng,
) -> Dataset {
    let noise = noise.clamp(0.0, 0.5);
    let radius = 6.0;
    let mut points = Vec::with_capacity(2 * n);
    let mut targets = Vec::with_capacity(n);
    for _ in 0..n {
        let x: f64 = rng.uniform(-radius, radius);
        let y: f64 = rng.uniform(-radius, radius);
        let dx: f64 = rng.uniform::<f64>(-radius, radius) * noise;
        let dy: f64 = rng.uniform::<f64>(-radius, radius) * noise;
        points.extend([x as f32, y as f32]);
        targets.push(kind.target(x + dx, y + dy) as f32);
    }
    let x = Tensor::from_vec(&[n, 2], points).expect("two coordinates per point");
    let y = Tensor::from_vec(&[n, 1], targets).expect("one target per point");
    Dataset::with_real_targets(x, y).expect("one target row per point")
}
