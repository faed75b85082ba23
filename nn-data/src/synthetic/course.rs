//! The course's own 2-D sets, by the rules of its generators (its `planar_utils` and
//! scikit-learn's `make_circles` and `make_moons`), on our seeded generator: the same shapes and
//! sizes, not the same points as NumPy's generator gives.

use std::f64::consts::PI;

use nn_core::{Rng, Tensor};

use crate::Dataset;

/// Builds a two-class set of `points` (x, y pairs) and labels.
fn two_classes(points: Vec<f32>, labels: Vec<usize>, names: [&str; 2]) -> Dataset {
    let n = labels.len();
    let x = Tensor::from_vec(&[n, 2], points).expect("two coordinates per point");
    Dataset::with_classes(x, labels, names.iter().map(|s| s.to_string()).collect())
        .expect("labels are 0 or 1")
}

/// The course's "flower" (its `load_planar_dataset`): `m` points, half of each class, on the
/// petals of `r = 4 sin 4t`; each class sweeps `t` over its own half turn (`j·3.12` to
/// `(j+1)·3.12`), with `N(0, 0.2²)` noise on `t` and on `r`. Classes `red` (0) and `blue` (1),
/// the colours of the course's plots. The course uses `m = 400`.
pub fn flower(m: usize, rng: &mut Rng) -> Dataset {
    let half = m / 2;
    let mut points = Vec::with_capacity(2 * m);
    let mut labels = Vec::with_capacity(m);
    for j in 0..2 {
        let count = if j == 0 { half } else { m - half };
        for i in 0..count {
            let step = if count > 1 {
                i as f64 / (count - 1) as f64
            } else {
                0.0
            };
            let t = (j as f64 + step) * 3.12 + 0.2 * rng.normal::<f64>();
            let r = 4.0 * (4.0 * t).sin() + 0.2 * rng.normal::<f64>();
            points.extend([(r * t.sin()) as f32, (r * t.cos()) as f32]);
            labels.push(j);
        }
    }
    two_classes(points, labels, ["red", "blue"])
}

/// scikit-learn's `make_circles(n, noise, factor)`: half the points (rounded down) evenly on
/// the unit circle (class `outer`, 0), the rest evenly on a circle of radius `factor`
/// (`inner`, 1), each coordinate then moved by `N(0, noise²)`; in a random order. The course's
/// initialisation experiment uses `n = 300` (training) and `100` (test), `noise = 0.05`, the
/// default `factor = 0.8`.
pub fn circles(n: usize, noise: f64, factor: f64, rng: &mut Rng) -> Dataset {
    let outer = n / 2;
    let mut rows: Vec<(f64, f64, usize)> = Vec::with_capacity(n);
    for i in 0..outer {
        let a = 2.0 * PI * i as f64 / outer as f64;
        rows.push((a.cos(), a.sin(), 0));
    }
    let inner = n - outer;
    for i in 0..inner {
        let a = 2.0 * PI * i as f64 / inner as f64;
        rows.push((factor * a.cos(), factor * a.sin(), 1));
    }
    noisy_and_shuffled(rows, noise, rng, ["outer", "inner"])
}

/// scikit-learn's `make_moons(n, noise)`: half the points (rounded down) on the upper half
/// circle `(cos t, sin t)`, `t ∈ [0, π]` (class 0), the rest on the lower one
/// `(1 − cos t, 0.5 − sin t)` (class 1), each coordinate then moved by `N(0, noise²)`; in a
/// random order. The course's optimisation experiment uses `n = 300`, `noise = 0.2`.
pub fn moons(n: usize, noise: f64, rng: &mut Rng) -> Dataset {
    let upper = n / 2;
    let lower = n - upper;
    let at = |i: usize, count: usize| {
        if count > 1 {
            PI * i as f64 / (count - 1) as f64
        } else {
            0.0
        }
    };
    let mut rows: Vec<(f64, f64, usize)> = Vec::with_capacity(n);
    for i in 0..upper {
        let t = at(i, upper);
        rows.push((t.cos(), t.sin(), 0));
    }
    for i in 0..lower {
        let t = at(i, lower);
        rows.push((1.0 - t.cos(), 0.5 - t.sin(), 1));
    }
    noisy_and_shuffled(rows, noise, rng, ["upper", "lower"])
}

/// Adds `N(0, noise²)` to each coordinate, then shuffles the rows.
fn noisy_and_shuffled(
    mut rows: Vec<(f64, f64, usize)>,
    noise: f64,
    rng: &mut Rng,
    names: [&str; 2],
) -> Dataset {
    for row in &mut rows {
        row.0 += noise * rng.normal::<f64>();
        row.1 += noise * rng.normal::<f64>();
    }
    rng.shuffle(&mut rows);
    let points = rows.iter().flat_map(|r| [r.0 as f32, r.1 as f32]).collect();
    let labels = rows.iter().map(|r| r.2).collect();
    two_classes(points, labels, names)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sets_have_the_courses_shapes() {
        let mut rng = Rng::seed(1);
        let f = flower(400, &mut rng);
        assert_eq!((f.len(), f.class_counts()), (400, vec![200, 200]));
        // Every petal point is within the flower's radius 4 (plus a little noise).
        assert!(f.x().data().chunks(2).all(|p| p[0].hypot(p[1]) < 5.2));
        let c = circles(300, 0.0, 0.8, &mut rng);
        assert_eq!(c.class_counts(), [150, 150]);
        // Evenly spaced without the end point (scikit-learn's `endpoint=False`): no point twice.
        let mut outer: Vec<(i64, i64)> = (c.x().data().chunks(2).zip(c.labels().unwrap()))
            .filter(|(_, &l)| l == 0)
            .map(|(p, _)| ((p[0] * 1e5).round() as i64, (p[1] * 1e5).round() as i64))
            .collect();
        outer.sort_unstable();
        outer.dedup();
        assert_eq!(outer.len(), 150);
        for (p, &l) in c.x().data().chunks(2).zip(c.labels().unwrap()) {
            let r = p[0].hypot(p[1]);
            assert!((r - if l == 0 { 1.0 } else { 0.8 }).abs() < 1e-6, "{r} {l}");
        }
        let m = moons(301, 0.0, &mut rng);
        assert_eq!(m.class_counts(), [150, 151]);
        for (p, &l) in m.x().data().chunks(2).zip(m.labels().unwrap()) {
            let (cx, cy) = if l == 0 { (0.0, 0.0) } else { (1.0, 0.5) };
            assert!(((p[0] - cx).hypot(p[1] - cy) - 1.0).abs() < 1e-6);
        }
        let a = moons(50, 0.2, &mut Rng::seed(3));
        let b = moons(50, 0.2, &mut Rng::seed(3));
        assert_eq!(a.x().data(), b.x().data(), "seeded");
    }
}
