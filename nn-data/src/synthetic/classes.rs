//! The playground's sets with more than two classes (an extension of ours; the playground has
//! two): `k` rings, `k` Gaussian blobs or a spiral of `k` arms, in `[-6, 6]²`.

use nn_core::{Rng, Tensor};

use super::Playground;
use crate::{DataError, Dataset};

/// The most classes a multi-class playground set has.
pub const MAX_PLAYGROUND_CLASSES: usize = 8;

/// `n` points of `kind` in `k` classes (2 to [`MAX_PLAYGROUND_CLASSES`]) with `noise` (clamped
/// to `[0, 0.5]`), `n / k` per class (the first classes get one more where it does not divide):
/// - `Circle`: `k` rings of equal width out to radius 5; the label is the ring of the noisy
///   point, as the two-class circle decides by position.
/// - `Gaussian`: `k` blobs centred on a circle of radius 3.5, at angles `2πj/k`.
/// - `Spiral`: `k` interleaved arms, arm `j` turned by `2πj/k`.
///
/// With `k = 2` this is *not* [`playground`](super::playground) (whose circle has a gap and
/// whose blobs sit at (±2, ±2)): use that one for the playground's own two-class sets.
/// Classes are named `"class 0"`, `"class 1"`, ….
///
/// # Errors
///
/// [`DataError::Invalid`] for `Xor` (two classes by definition) or `k` outside 2 to 8.
pub fn playground_classes(
    kind: Playground,
    k: usize,
    n: usize,
    noise: f64,
    rng: &mut Rng,
) -> Result<Dataset, DataError> {
    let invalid = |message: String| Err(DataError::Invalid { message });
    if !(2..=MAX_PLAYGROUND_CLASSES).contains(&k) {
        return invalid(format!(
            "{k} classes: a playground set has 2 to {MAX_PLAYGROUND_CLASSES}"
        ));
    }
    if kind == Playground::Xor {
        return invalid("the xor set has two classes; use circle, gaussian or spiral".into());
    }
    let noise = noise.clamp(0.0, 0.5);
    let mut points = Vec::with_capacity(2 * n);
    let mut labels = Vec::with_capacity(n);
    for i in 0..n {
        let class = i * k / n.max(1);
        let (x, y, label) = point(kind, k, class, noise, rng);
        points.extend([x as f32, y as f32]);
        labels.push(label);
    }
    let x = Tensor::from_vec(&[n, 2], points).expect("two coordinates per point");
    let names = (0..k).map(|c| format!("class {c}")).collect();
    Dataset::with_classes(x, labels, names)
}

/// One point drawn for `class` of `k`, and its label.
fn point(kind: Playground, k: usize, class: usize, noise: f64, rng: &mut Rng) -> (f64, f64, usize) {
    let tau = 2.0 * std::f64::consts::PI;
    let turn = tau * class as f64 / k as f64;
    match kind {
        Playground::Circle => {
            let width = 5.0 / k as f64;
            let r: f64 = rng.uniform(class as f64 * width, (class + 1) as f64 * width);
            let angle: f64 = rng.uniform(0.0, tau);
            let x = r * angle.sin() + rng.uniform::<f64>(-5.0, 5.0) * noise;
            let y = r * angle.cos() + rng.uniform::<f64>(-5.0, 5.0) * noise;
            let ring = (x.hypot(y) / width) as usize;
            (x, y, ring.min(k - 1))
        }
        Playground::Gaussian => {
            let std = (0.5 + noise / 0.5 * 3.5).sqrt() * 0.6;
            let x = 3.5 * turn.cos() + std * rng.normal::<f64>();
            let y = 3.5 * turn.sin() + std * rng.normal::<f64>();
            (x, y, class)
        }
        Playground::Spiral | Playground::Xor => {
            let s: f64 = rng.uniform(0.0, 1.0);
            let r = s * 5.0;
            let t = 1.75 * s * tau + turn;
            let x = r * t.sin() + rng.uniform::<f64>(-1.0, 1.0) * noise;
            let y = r * t.cos() + rng.uniform::<f64>(-1.0, 1.0) * noise;
            (x, y, class)
        }
    }
}
