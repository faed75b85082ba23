//! Seeded synthetic sets: the TensorFlow playground's four 2-D classification sets (and our
//! versions of three of them with more classes), its two regression sets, and RGB
//! images of simple shapes for convolution demos. Same seed, same data, on every machine.
//!
//! The playground sets follow its generators (`dataset.ts`): points in `[-6, 6]²`, class 1
//! ("positive") and 0; `noise` in `[0, 0.5]` as on its slider (0.1 is a little noise, 0.5 a
//! lot). Split them with [`Dataset::split`] for the playground's train/test ratio.

use nn_core::{Rng, Tensor};

use crate::Dataset;

mod classes;
pub mod course;
mod features;
mod regression;

pub use classes::{playground_classes, MAX_PLAYGROUND_CLASSES};
pub use features::{check_features, expand_points, PointFeature};
pub use regression::{playground_regression, PlaygroundRegression};

/// The playground's data sets.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum Playground {
    /// A disc of class 1 (radius 2.5) inside a ring of class 0 (radius 3.5 to 5).
    Circle,
    /// Class 1 in the first and third quadrants, 0 in the others.
    Xor,
    /// Two Gaussian blobs, class 1 around (2, 2), class 0 around (−2, −2).
    Gaussian,
    /// Two interleaved spirals.
    Spiral,
}

impl Playground {
    /// All four, in the playground's order.
    pub const ALL: [Playground; 4] = [
        Playground::Circle,
        Playground::Xor,
        Playground::Gaussian,
        Playground::Spiral,
    ];

    /// `"circle"`, `"xor"`, `"gaussian"`, `"spiral"`.
    pub fn name(self) -> &'static str {
        match self {
            Playground::Circle => "circle",
            Playground::Xor => "xor",
            Playground::Gaussian => "gaussian",
            Playground::Spiral => "spiral",
        }
    }
}

/// `n` points of the playground set `kind` with `noise` (clamped to `[0, 0.5]`): `(n, 2)`
/// coordinates, classes `["negative", "positive"]`. Half the points are drawn from each
/// class's region; for `Circle` and `Xor` the label is then decided by the noisy point's
/// position, as in the playground, so noise moves a few points across.
pub fn playground(kind: Playground, n: usize, noise: f64, rng: &mut Rng) -> Dataset {
    let noise = noise.clamp(0.0, 0.5);
    let mut points = Vec::with_capacity(2 * n);
    let mut labels = Vec::with_capacity(n);
    let mut push = |x: f64, y: f64, positive: bool| {
        points.push(x as f32);
        points.push(y as f32);
        labels.push(usize::from(positive));
    };
    let uniform = |rng: &mut Rng, a: f64, b: f64| -> f64 { rng.uniform(a, b) };
    match kind {
        Playground::Circle => {
            let radius = 5.0;
            for i in 0..n {
                // Positives inside 0.5·radius, negatives in the ring 0.7–1·radius.
                let (low, high) = if i < n / 2 { (0.0, 0.5) } else { (0.7, 1.0) };
                let r = uniform(rng, low * radius, high * radius);
                let angle = uniform(rng, 0.0, 2.0 * std::f64::consts::PI);
                let x = r * angle.sin() + uniform(rng, -radius, radius) * noise;
                let y = r * angle.cos() + uniform(rng, -radius, radius) * noise;
                push(x, y, x.hypot(y) < radius * 0.5);
            }
        }
        Playground::Xor => {
            let padding = 0.3;
            for _ in 0..n {
                let mut x = uniform(rng, -5.0, 5.0);
                x += if x > 0.0 { padding } else { -padding };
                let mut y = uniform(rng, -5.0, 5.0);
                y += if y > 0.0 { padding } else { -padding };
                let x = x + uniform(rng, -5.0, 5.0) * noise;
                let y = y + uniform(rng, -5.0, 5.0) * noise;
                push(x, y, x * y >= 0.0);
            }
        }
        Playground::Gaussian => {
            // The playground maps noise 0–0.5 to a variance of 0.5–4.
            let std = (0.5 + noise / 0.5 * 3.5).sqrt();
            for i in 0..n {
                let positive = i < n / 2;
                let c = if positive { 2.0 } else { -2.0 };
                let x = c + std * rng.normal::<f64>();
                let y = c + std * rng.normal::<f64>();
                push(x, y, positive);
            }
        }
        Playground::Spiral => {
            let half = n / 2;
            for i in 0..n {
                let (positive, j, count) = if i < half {
                    (true, i, half)
                } else {
                    (false, i - half, n - half)
                };
                let delta = if positive { 0.0 } else { std::f64::consts::PI };
                let r = j as f64 / count as f64 * 5.0;
                let t = 1.75 * j as f64 / count as f64 * 2.0 * std::f64::consts::PI + delta;
                let x = r * t.sin() + uniform(rng, -1.0, 1.0) * noise;
                let y = r * t.cos() + uniform(rng, -1.0, 1.0) * noise;
                push(x, y, positive);
            }
        }
    }
    let x = Tensor::from_vec(&[n, 2], points).expect("two coordinates per point");
    Dataset::with_classes(x, labels, vec!["negative".into(), "positive".into()])
        .expect("labels are 0 or 1")
}

/// The classes of [`shapes`].
pub const SHAPE_CLASSES: [&str; 3] = ["circle", "square", "triangle"];

/// `n` RGB images of `size × size` pixels, each one filled shape (a circle, a square or an
/// upward triangle, in turn) of a random colour, size and position on a random darker or
/// lighter background, with pixel noise: `(n, size, size, 3)`, values 0–255, classes
/// [`SHAPE_CLASSES`]. A shape spans 30–70 % of the image.
pub fn shapes(n: usize, size: usize, rng: &mut Rng) -> Dataset {
    let mut pixels = Vec::with_capacity(n * size * size * 3);
    let mut labels = Vec::with_capacity(n);
    let s = size as f64;
    for i in 0..n {
        let class = i % SHAPE_CLASSES.len();
        let colour: [f64; 3] = std::array::from_fn(|_| rng.uniform(0.0, 255.0));
        // The background differs from the shape by at least 80 in brightness.
        let brightness = colour.iter().sum::<f64>() / 3.0;
        let background: [f64; 3] = std::array::from_fn(|_| {
            if brightness > 127.0 {
                rng.uniform(0.0, (brightness - 80.0).max(0.0))
            } else {
                rng.uniform((brightness + 80.0).min(255.0), 255.0)
            }
        });
        let half = rng.uniform::<f64>(0.15, 0.35) * s;
        let cx = rng.uniform::<f64>(half, s - half);
        let cy = rng.uniform::<f64>(half, s - half);
        for row in 0..size {
            for col in 0..size {
                // The pixel's centre, relative to the shape's.
                let (dx, dy) = (col as f64 + 0.5 - cx, row as f64 + 0.5 - cy);
                let inside = match class {
                    0 => dx * dx + dy * dy <= half * half,
                    1 => dx.abs() <= half && dy.abs() <= half,
                    // Apex at the top, base at the bottom: |dx| grows with dy.
                    _ => dy.abs() <= half && dx.abs() <= (dy + half) / 2.0,
                };
                let base = if inside { &colour } else { &background };
                for c in base {
                    let v = c + 12.0 * rng.normal::<f64>();
                    pixels.push(v.clamp(0.0, 255.0).round() as f32);
                }
            }
        }
        labels.push(class);
    }
    let x = Tensor::from_vec(&[n, size, size, 3], pixels).expect("size²·3 values per image");
    Dataset::with_classes(
        x,
        labels,
        SHAPE_CLASSES.iter().map(|s| s.to_string()).collect(),
    )
    .expect("labels are below 3")
}
