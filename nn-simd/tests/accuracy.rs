//! The accuracy of the SIMD `exp`, sigmoid and tanh, measured over a dense sweep of the f32
//! range against f64 references, in units in the last place; and their special values.

use nn_core::backend::prelude::*;
use nn_core::Activation;
use nn_simd::Simd;

/// Distance in representable f32 values (0 when equal, both NaN counts as equal).
fn ulps(a: f32, b: f32) -> u32 {
    if a == b || (a.is_nan() && b.is_nan()) {
        return 0;
    }
    // Map the bits to a monotonic integer line: negative floats count down from -0.
    let key = |x: f32| {
        let i = x.to_bits() as i32 as i64;
        if i < 0 {
            i32::MIN as i64 - i
        } else {
            i
        }
    };
    (key(a) - key(b)).unsigned_abs().min(u32::MAX as u64) as u32
}

/// Every 37th f32 in [lo, hi] (about 50 million values for the whole range).
fn sweep(lo: f32, hi: f32) -> Vec<f32> {
    let mut xs = Vec::new();
    let mut push_range = |from: u32, to: u32, negative: bool| {
        for bits in (from..=to).step_by(37) {
            let x = f32::from_bits(bits);
            xs.push(if negative { -x } else { x });
        }
    };
    if lo < 0.0 {
        push_range(0, (-lo).to_bits(), true);
    }
    if hi > 0.0 {
        push_range(0, hi.to_bits(), false);
    }
    xs
}

/// The worst error of `f` against `reference` (computed in f64, then rounded), as ulps, and
/// where; values below `floor` in magnitude (subnormal results) are compared absolutely.
fn worst(xs: &[f32], got: &[f32], reference: impl Fn(f64) -> f64) -> (u32, f32) {
    let mut worst = (0, 0.0);
    for (&x, &g) in xs.iter().zip(got) {
        let want = reference(x as f64) as f32;
        let e = if want.abs() < f32::MIN_POSITIVE {
            ((g - want).abs() / f32::from_bits(1)) as u32
        } else {
            ulps(g, want)
        };
        if e > worst.0 {
            worst = (e, x);
        }
    }
    worst
}

#[test]
fn exp_is_within_2_ulp_over_its_whole_range() {
    let xs = sweep(-104.0, 88.72);
    let mut y = vec![0.0; xs.len()];
    Simd::new().exp_f32(&xs, &mut y);
    let (e, at) = worst(&xs, &y, f64::exp);
    println!("exp: {} values, max error {e} ulp at x = {at}", xs.len());
    assert!(e <= 2, "exp: {e} ulp at {at}");
}

#[test]
fn sigmoid_and_tanh_are_within_2_ulp() {
    let xs = sweep(-120.0, 120.0);
    let mut y = vec![0.0; xs.len()];
    let simd = Simd::new();
    simd.activate(Activation::Sigmoid, &xs, &mut y);
    let (e, at) = worst(&xs, &y, |x| 1.0 / (1.0 + (-x).exp()));
    println!(
        "sigmoid: {} values, max error {e} ulp at x = {at}",
        xs.len()
    );
    assert!(e <= 2, "sigmoid: {e} ulp at {at}");
    simd.activate(Activation::Tanh, &xs, &mut y);
    let (e, at) = worst(&xs, &y, f64::tanh);
    println!("tanh: {} values, max error {e} ulp at x = {at}", xs.len());
    assert!(e <= 2, "tanh: {e} ulp at {at}");
}

#[test]
fn special_values() {
    let simd = Simd::new();
    let xs = [
        f32::INFINITY,
        f32::NEG_INFINITY,
        f32::NAN,
        0.0,
        -0.0,
        88.72,
        88.73,
        1e30,
        -1e30,
        -103.0,
        -104.0,
        f32::MIN_POSITIVE,
    ];
    let mut y = [0.0; 12];
    simd.exp_f32(&xs, &mut y);
    assert_eq!((y[0], y[1]), (f32::INFINITY, 0.0));
    assert!(y[2].is_nan());
    assert_eq!((y[3], y[4]), (1.0, 1.0));
    assert!(y[5].is_finite() && y[5] > 3.3e38, "e^88.72 = {}", y[5]);
    assert_eq!((y[6], y[7], y[8]), (f32::INFINITY, f32::INFINITY, 0.0));
    assert!(
        y[9] > 0.0 && y[9] < f32::MIN_POSITIVE,
        "e^-103 is subnormal: {}",
        y[9]
    );
    assert_eq!(y[11], 1.0);

    simd.activate(Activation::Sigmoid, &xs, &mut y);
    assert_eq!((y[0], y[1], y[3]), (1.0, 0.0, 0.5));
    assert!(y[2].is_nan());
    simd.activate(Activation::Tanh, &xs, &mut y);
    assert_eq!((y[0], y[1], y[3], y[7], y[8]), (1.0, -1.0, 0.0, 1.0, -1.0));
    assert!(y[2].is_nan());
    assert!(y[4] == 0.0 && y[4].is_sign_negative(), "tanh(-0) = -0");
    // tanh stays accurate near 0 (no 2σ(2x) − 1 cancellation).
    let small = [1e-3f32, -2e-5, 1e-30];
    let mut t = [0.0; 3];
    simd.activate(Activation::Tanh, &small, &mut t);
    for (x, t) in small.iter().zip(t) {
        assert!(ulps(t, (*x as f64).tanh() as f32) <= 1, "tanh({x}) = {t}");
    }
    simd.activate(Activation::Relu, &xs, &mut y);
    assert!(y[2].is_nan(), "ReLU propagates NaN");

    let mut d = [0.0f64; 4];
    simd.exp_f64(&[0.0, 1.0, 709.78, -745.2], &mut d);
    assert_eq!(d[0], 1.0);
    assert!((d[1] - std::f64::consts::E).abs() <= 2.0 * f64::EPSILON * d[1]);
    assert!(d[2].is_finite() && d[2] > 1.7e308);
    assert_eq!(d[3], 0.0);
}

#[test]
fn f64_exp_and_tanh_are_within_2_ulp_on_a_sweep() {
    let xs: Vec<f64> = (0..2_000_001)
        .map(|i| -745.0 + 1454.7 * i as f64 / 2e6)
        .collect();
    let mut y = vec![0.0; xs.len()];
    Simd::new().exp_f64(&xs, &mut y);
    let rel = xs
        .iter()
        .zip(&y)
        .map(|(x, y)| {
            if x.exp() >= f64::MIN_POSITIVE {
                ((y - x.exp()) / x.exp()).abs()
            } else {
                0.0
            }
        })
        .fold(0.0, f64::max);
    println!("f64 exp: max relative error {rel:e}");
    assert!(rel <= 2.0 * f64::EPSILON, "{rel:e}");
    let xs: Vec<f64> = (0..2_000_001)
        .map(|i| -20.0 + 40.0 * i as f64 / 2e6)
        .collect();
    Simd::new().activate(Activation::Tanh, &xs, &mut y);
    let rel = xs
        .iter()
        .zip(&y)
        .map(|(x, y)| {
            if *x != 0.0 {
                ((y - x.tanh()) / x.tanh()).abs()
            } else {
                0.0
            }
        })
        .fold(0.0, f64::max);
    println!("f64 tanh: max relative error {rel:e}");
    assert!(rel <= 2.0 * f64::EPSILON, "{rel:e}");
}
