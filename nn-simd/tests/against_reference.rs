//! `Simd` against `Reference`: every kernel on random inputs and awkward shapes, in f32 and f64,
//! with the tolerance stated at each check; results independent of the thread count.

use nn_core::backend::prelude::*;
use nn_core::backend::{AdamStep, ChannelCoefficients};
use nn_core::{Activation, Backend, Float, Init, Network, Reference, Rng, Transpose};
use nn_simd::Simd;
use proptest::prelude::*;

fn random<T: Float>(n: usize, rng: &mut Rng) -> Vec<T> {
    (0..n).map(|_| rng.normal()).collect()
}

/// `C` of `gemm` in f64 from the same inputs, and `Σ|a||b|` per entry (the scale rounding
/// errors are relative to).
#[allow(clippy::too_many_arguments)]
fn gemm_f64(
    ta: Transpose,
    tb: Transpose,
    m: usize,
    n: usize,
    k: usize,
    alpha: f64,
    a: &[f64],
    b: &[f64],
    beta: f64,
    c: &[f64],
) -> (Vec<f64>, Vec<f64>) {
    let mut out = c.to_vec();
    Reference.gemm(
        &Gemm {
            trans_a: ta,
            trans_b: tb,
            m,
            n,
            k,
            alpha,
            beta,
        },
        a,
        b,
        &mut out,
    );
    let abs = |v: &[f64]| v.iter().map(|x| x.abs()).collect::<Vec<_>>();
    let mut scale = vec![0.0; m * n];
    Reference.gemm(
        &Gemm {
            trans_a: ta,
            trans_b: tb,
            m,
            n,
            k,
            alpha: alpha.abs(),
            beta: 0.0,
        },
        &abs(a),
        &abs(b),
        &mut scale,
    );
    for (s, c) in scale.iter_mut().zip(c) {
        *s += (beta * c).abs();
    }
    (out, scale)
}

/// The tolerance of f64 products: the f64 reference rounds as much as Simd does, each within
/// (k + 2)·u·Σ|a||b| of the exact product (u = 2⁻⁵³ ≈ 1.1e-16), so they may differ by twice
/// that (a random case once differed by 1.002 times u·(k + 2)·Σ|a||b|).
const F64_GEMM_TOL: f64 = 2.3e-16;

/// Checks Simd's gemm in `T` against the f64 product: |error| ≤ tol·(k + 2)·Σ|a||b| + tiny.
#[allow(clippy::too_many_arguments)]
fn check_gemm<T: Float>(
    ta: Transpose,
    tb: Transpose,
    m: usize,
    n: usize,
    k: usize,
    alpha: f64,
    beta: f64,
    seed: u64,
    tol: f64,
) where
    Simd: Backend<T>,
{
    let mut rng = Rng::seed(seed);
    let (a, b, c) = (
        random::<T>(m * k, &mut rng),
        random::<T>(k * n, &mut rng),
        random::<T>(m * n, &mut rng),
    );
    let wide = |v: &[T]| v.iter().map(|x| x.to_f64()).collect::<Vec<_>>();
    let (want, scale) = gemm_f64(
        ta,
        tb,
        m,
        n,
        k,
        alpha,
        &wide(&a),
        &wide(&b),
        beta,
        &wide(&c),
    );
    let mut got = c.clone();
    Simd::new().gemm(
        &Gemm {
            trans_a: ta,
            trans_b: tb,
            m,
            n,
            k,
            alpha: T::from_f64(alpha),
            beta: T::from_f64(beta),
        },
        &a,
        &b,
        &mut got,
    );
    for i in 0..m * n {
        let err = (got[i].to_f64() - want[i]).abs();
        let bound = tol * (k as f64 + 2.0) * scale[i] + 1e-30;
        assert!(
            err <= bound,
            "{} {ta:?}{tb:?} {m}×{n}×{k} α={alpha} β={beta}: C[{i}] off by {err:e} > {bound:e}",
            T::NAME
        );
    }
}

const TRANSPOSES: [(Transpose, Transpose); 4] = [
    (Transpose::No, Transpose::No),
    (Transpose::No, Transpose::Yes),
    (Transpose::Yes, Transpose::No),
    (Transpose::Yes, Transpose::Yes),
];

#[test]
fn gemm_on_awkward_shapes() {
    let sizes = [1, 7, 63, 64, 65];
    for (i, &(ta, tb)) in TRANSPOSES.iter().enumerate() {
        for &m in &sizes {
            for &n in &sizes {
                for &k in &[1, 7, 65] {
                    // f32: unit roundoff 6e-8; f64: 1.1e-16.
                    check_gemm::<f32>(
                        ta,
                        tb,
                        m,
                        n,
                        k,
                        1.0,
                        0.0,
                        (i * 1000 + m * 100 + n * 10 + k) as u64,
                        6e-8,
                    );
                    check_gemm::<f64>(
                        ta,
                        tb,
                        m,
                        n,
                        k,
                        -0.5,
                        2.0,
                        (m * 100 + n * 10 + k) as u64,
                        F64_GEMM_TOL,
                    );
                }
            }
        }
    }
}

#[test]
fn gemm_on_shapes_that_split_across_threads() {
    // Skinny shapes of the `deep` workload (scaled down in k) and a square one above the
    // splitting threshold.
    for (i, &(ta, tb)) in TRANSPOSES.iter().enumerate() {
        check_gemm::<f32>(ta, tb, 150, 20, 2000, 1.0, 0.0, i as u64, 6e-8);
        // The `deep` forward shape: the inner dimension is split, partial sums added in order.
        check_gemm::<f32>(ta, tb, 150, 20, 12288, 1.0, 0.5, i as u64, 6e-8);
        check_gemm::<f32>(ta, tb, 20, 2000, 150, 1.0, 1.0, i as u64, 6e-8);
        check_gemm::<f32>(ta, tb, 200, 130, 70, 0.7, 0.3, i as u64, 6e-8);
        check_gemm::<f64>(ta, tb, 129, 257, 65, 1.0, 0.0, i as u64, F64_GEMM_TOL);
    }
}

#[test]
fn gemm_on_matrix_vector_shapes() {
    // The `logistic` workload's `Z = X·w` (m×1) and `dw = dZᵀ·X` (1×n) and their neighbours,
    // which go through the matrix–vector kernels (four rows at a time, then the rest).
    for (i, &(ta, tb)) in TRANSPOSES.iter().enumerate() {
        for &long in &[1, 7, 63, 65, 4099, 12288] {
            for &short in &[1, 3, 4, 5, 150] {
                for (alpha, beta) in [(1.0, 0.0), (-0.7, 0.5)] {
                    let seed = (i * 100_000 + long * 10 + short) as u64;
                    check_gemm::<f32>(ta, tb, short, 1, long, alpha, beta, seed, 6e-8);
                    check_gemm::<f32>(ta, tb, 1, long, short, alpha, beta, seed, 6e-8);
                    check_gemm::<f64>(ta, tb, short, 1, long, alpha, beta, seed, F64_GEMM_TOL);
                    check_gemm::<f64>(ta, tb, 1, long, short, alpha, beta, seed, F64_GEMM_TOL);
                }
            }
        }
    }
}

#[test]
fn gemm_on_short_side_shapes() {
    // A·Bᵀ with few columns and a long k (the first layer's forward pass) …
    for (i, &(m, n, k)) in [
        (1, 1, 256),
        (5, 6, 257),
        (17, 7, 1000),
        (63, 32, 300),
        (4, 13, 4099),
        (150, 20, 12288),
    ]
    .iter()
    .enumerate()
    {
        for beta in [0.0, 0.5] {
            check_gemm::<f32>(
                Transpose::No,
                Transpose::Yes,
                m,
                n,
                k,
                1.3,
                beta,
                i as u64,
                6e-8,
            );
            check_gemm::<f64>(
                Transpose::No,
                Transpose::Yes,
                m,
                n,
                k,
                -0.7,
                beta,
                i as u64,
                F64_GEMM_TOL,
            );
        }
    }
    // … and Aᵀ·B with few rows and a short k (its weight gradient).
    for (i, &(m, n, k)) in [
        (1, 256, 1),
        (8, 257, 7),
        (9, 1025, 150),
        (32, 3000, 64),
        (20, 12288, 150),
        (3, 300, 1024),
    ]
    .iter()
    .enumerate()
    {
        for beta in [0.0, 0.5] {
            check_gemm::<f32>(
                Transpose::Yes,
                Transpose::No,
                m,
                n,
                k,
                0.9,
                beta,
                i as u64,
                6e-8,
            );
            check_gemm::<f64>(
                Transpose::Yes,
                Transpose::No,
                m,
                n,
                k,
                1.0,
                beta,
                i as u64,
                F64_GEMM_TOL,
            );
        }
    }
}

#[test]
fn gemm_with_empty_dimensions() {
    let mut c = vec![f32::NAN; 6];
    Simd::new().gemm(
        &Gemm {
            trans_a: Transpose::No,
            trans_b: Transpose::No,
            m: 2,
            n: 3,
            k: 0,
            alpha: 1.0,
            beta: 0.0,
        },
        &[],
        &[],
        &mut c,
    );
    assert_eq!(
        c,
        vec![0.0; 6],
        "an empty sum is zero, and β = 0 ignores NaN"
    );
    let mut c: Vec<f64> = vec![];
    Simd::new().gemm(
        &Gemm {
            trans_a: Transpose::Yes,
            trans_b: Transpose::No,
            m: 0,
            n: 0,
            k: 5,
            alpha: 1.0,
            beta: 0.0,
        },
        &[],
        &[],
        &mut c,
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    #[test]
    fn gemm_matches_the_reference(m in 1usize..90, n in 1usize..90, k in 0usize..90, t in 0usize..4, alpha in -2.0f64..2.0, beta in prop::sample::select(vec![0.0, 1.0, -0.5]), seed in 0u64..1000) {
        let (ta, tb) = TRANSPOSES[t];
        check_gemm::<f32>(ta, tb, m, n, k, alpha, beta, seed, 6e-8);
        check_gemm::<f64>(ta, tb, m, n, k, alpha, beta, seed, F64_GEMM_TOL);
    }
}

#[test]
fn gemm_is_bit_identical_with_1_2_and_4_threads() {
    let mut rng = Rng::seed(3);
    // A square-ish product split by rows and columns, and a skinny one split along k.
    for (m, n, k) in [
        (300, 170, 400),
        (150, 20, 12288),
        (20, 12288, 150),
        (150, 1, 12288),
        (1, 12288, 150),
    ] {
        let (a, b) = (
            random::<f32>(m * k, &mut rng),
            random::<f32>(k * n, &mut rng),
        );
        let run = |threads| {
            let mut c = vec![1f32; m * n];
            Simd::with_threads(threads).unwrap().gemm(
                &Gemm {
                    trans_a: Transpose::No,
                    trans_b: Transpose::Yes,
                    m,
                    n,
                    k,
                    alpha: 1.0,
                    beta: 0.5,
                },
                &a,
                &b[..],
                &mut c,
            );
            c
        };
        let one = run(1);
        assert_eq!(one, run(2), "{m}×{n}×{k}");
        assert_eq!(one, run(4), "{m}×{n}×{k}");
    }
}

/// `|got − want| ≤ tol·(1 + |want|)`: the SIMD kernels use their own `exp` (≤ 2 ulp) and fused
/// multiply-adds, so they round differently from the reference's scalar code.
fn close<T: Float>(what: &str, got: &[T], want: &[T], tol: f64) {
    assert_eq!(got.len(), want.len());
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        let (g, w) = (g.to_f64(), w.to_f64());
        assert!(
            (g - w).abs() <= tol * (1.0 + w.abs()),
            "{what}[{i}]: {g} vs {w}"
        );
    }
}

/// A kernel run on one backend, writing its output and returning its sum (0 if none).
type Kernel<'a, T> = dyn Fn(&dyn Backend<T>, &mut [T]) -> f64 + 'a;

fn check_elementwise<T: Float>(n: usize, cols: usize, tol: f64)
where
    Simd: Backend<T>,
    Reference: Backend<T>,
{
    let mut rng = Rng::seed(n as u64);
    let (s, r) = (Simd::new(), Reference);
    // Sums: f32 vectors accumulate in f32 lanes (the reference in f64): √n·ε is typical,
    // 1e-5 relative leaves room; f64 sums agree to 1e-13.
    let sum_tol = if T::NAME == "f32" { 1e-5 } else { 1e-13 };
    let z = random::<T>(n, &mut rng);
    let y: Vec<T> = (0..n).map(|_| rng.uniform(0.0, 1.0)).collect();
    let da = random::<T>(n, &mut rng);
    let acts = [
        Activation::Sigmoid,
        Activation::Tanh,
        Activation::Relu,
        Activation::LeakyRelu { slope: 0.1 },
        Activation::Identity,
    ];
    for g in acts {
        let (mut a1, mut a2) = (vec![T::ZERO; n], vec![T::ZERO; n]);
        s.activate(g, &z, &mut a1);
        r.activate(g, &z, &mut a2);
        close(&format!("{g:?}"), &a1, &a2, tol);
        let (mut d1, mut d2) = (vec![T::ZERO; n], vec![T::ZERO; n]);
        s.activate_backward(g, &z, &a2, &da, &mut d1);
        r.activate_backward(g, &z, &a2, &da, &mut d2);
        close(&format!("{g:?}'"), &d1, &d2, tol);
    }
    let pair = |f: &Kernel<'_, T>, what: &str| {
        let (mut o1, mut o2) = (vec![T::ZERO; n], vec![T::ZERO; n]);
        let (c1, c2) = (f(&s, &mut o1), f(&r, &mut o2));
        close(what, &o1, &o2, tol);
        assert!(
            (c1 - c2).abs() <= sum_tol * (1.0 + c2.abs()),
            "{what} sum: {c1} vs {c2}"
        );
    };
    let half = T::from_f64(0.5);
    pair(&|b, o| b.bce_with_logits(&z, &y, half, o), "bce");
    pair(&|b, o| b.squared_error(&z, &y, half, o), "mse");
    pair(
        &|b, o| {
            b.mul(&z, &y, o);
            0.0
        },
        "mul",
    );
    pair(
        &|b, o| {
            o.copy_from_slice(&y);
            b.axpy(half, &z, o);
            b.sum_squares(o)
        },
        "axpy + sum_squares",
    );
    if n > 0 && n.is_multiple_of(cols) {
        let mut one_hot = vec![T::ZERO; n];
        for row in 0..n / cols {
            one_hot[row * cols + row % cols] = T::ONE;
        }
        pair(
            &|b, o| b.softmax_cross_entropy(&z, &one_hot, cols, half, o),
            "softmax ce",
        );
        pair(
            &|b, o| {
                b.softmax_rows(&z, cols, o);
                0.0
            },
            "softmax",
        );
        pair(
            &|b, o| {
                b.softmax_backward_rows(&y, &da, cols, o);
                0.0
            },
            "softmax backward",
        );
        pair(
            &|b, o| {
                o.copy_from_slice(&z);
                b.add_row_vector(o, &y[..cols]);
                0.0
            },
            "bias add",
        );
        let mut sums = vec![T::ZERO; cols];
        s.sum_rows(&z, half, &mut sums);
        // Against the exact sum (in f64): the kernel adds four rows pairwise, then the groups in
        // order, so it is within (rows/4 + 3)·u·Σ|x| of it (u the unit roundoff, from `tol`).
        let (rows, u) = (n / cols, tol / 4.0);
        for (j, got) in sums.iter().enumerate() {
            let column = z
                .iter()
                .skip(j)
                .step_by(cols)
                .map(|v| v.to_f64() * half.to_f64());
            let (exact, size) = column.fold((0.0, 0.0), |(e, a), v| (e + v, a + v.abs()));
            let bound = (rows / 4 + 3) as f64 * u * size + tol * exact.abs();
            assert!(
                (got.to_f64() - exact).abs() <= bound,
                "sum_rows[{j}] of {rows} rows: {} vs exact {exact}",
                got.to_f64()
            );
        }
    }
    let step = AdamStep {
        lr: T::from_f64(0.01),
        beta1: T::from_f64(0.9),
        beta2: T::from_f64(0.999),
        epsilon: T::from_f64(1e-8),
        t: 3,
        decay: T::from_f64(0.999),
    };
    let (mut m1, mut v1, mut w1) = (y.clone(), y.clone(), z.clone());
    let (mut m2, mut v2, mut w2) = (y.clone(), y.clone(), z.clone());
    s.adam_step(step, &da, &mut m1, &mut v1, &mut w1);
    r.adam_step(step, &da, &mut m2, &mut v2, &mut w2);
    close("adam w", &w1, &w2, tol);
    close("adam v", &v1, &v2, tol);
    let (mut v1, mut w1, mut v2, mut w2) = (y.clone(), z.clone(), y.clone(), z.clone());
    s.momentum_step(half, half, &da, &mut v1, &mut w1);
    r.momentum_step(half, half, &da, &mut v2, &mut w2);
    close("momentum", &w1, &w2, tol);
    let (mut v1, mut w1, mut v2, mut w2) = (y.clone(), z.clone(), y.clone(), z.clone());
    s.nesterov_step(half, half, &da, &mut v1, &mut w1);
    r.nesterov_step(half, half, &da, &mut v2, &mut w2);
    close("nesterov v", &v1, &v2, tol);
    close("nesterov w", &w1, &w2, tol);
    // s is an average of squares: non-negative.
    let (mut s1, mut s2) = (y.clone(), y.clone());
    s.rmsprop_step(half, half, half, &da, &mut s1, &mut w1);
    r.rmsprop_step(half, half, half, &da, &mut s2, &mut w2);
    close("rmsprop", &w1, &w2, tol);
}

#[test]
fn element_wise_kernels_match_the_reference() {
    // Sizes 1…1000 run in one piece; 65 × 1009 and 100 000 are cut into parallel chunks.
    for (n, cols) in [
        (1, 1),
        (7, 7),
        (63, 9),
        (64, 8),
        (65, 13),
        (1000, 10),
        (65 * 1009, 1009),
        (100_000, 10),
    ] {
        check_elementwise::<f32>(n, cols, 4e-7);
        check_elementwise::<f64>(n, cols, 8e-16);
    }
    check_elementwise::<f32>(0, 1, 0.0);
}

fn train<B: Backend<f32> + 'static>(backend: B) -> (Vec<Vec<f32>>, f64) {
    let mut rng = Rng::seed(9);
    let m = 512;
    let x: Vec<f32> = (0..m * 20).map(|_| rng.normal()).collect();
    let y: Vec<f32> = (0..m)
        .map(|i| {
            if x[i * 20] * x[i * 20 + 1] > 0.0 {
                1.0
            } else {
                0.0
            }
        })
        .collect();
    let x = nn_core::Tensor::from_vec(&[m, 20], x).unwrap();
    let y = nn_core::Tensor::from_vec(&[m, 1], y).unwrap();
    let mut net = Network::builder(&[20])
        .init(Init::He)
        .dense(256)
        .relu()
        .dropout(0.9)
        .dense(64)
        .tanh()
        .dense(1)
        .build(backend, &mut rng)
        .unwrap();
    let config = nn_core::FitConfig::new(nn_core::Optimizer::adam(0.005))
        .epochs(15)
        .batch_size(128);
    net.fit(&x, &y, &config, &mut rng).unwrap();
    let acc = net.evaluate(&x, &y).unwrap().accuracy.unwrap();
    (
        net.parameters().iter().map(|p| p.data().to_vec()).collect(),
        acc,
    )
}

#[test]
fn training_gives_identical_weights_with_1_2_and_4_threads() {
    let (one, acc) = train(Simd::with_threads(1).unwrap());
    assert_eq!(one, train(Simd::with_threads(2).unwrap()).0);
    assert_eq!(one, train(Simd::with_threads(4).unwrap()).0);
    // And the same accuracy as the reference backend (the products round differently).
    let (_, reference_acc) = train(Reference);
    assert!(
        acc > 0.9 && (acc - reference_acc).abs() <= 0.02,
        "simd {acc} reference {reference_acc}"
    );
}

/// Batch norm's kernels on both backends for `rows × channels`, and the same bits whatever the
/// number of threads.
fn check_normalization<T: Float>(rows: usize, channels: usize, tol: f64)
where
    Simd: Backend<T>,
    Reference: Backend<T>,
{
    let mut rng = Rng::seed((rows * 31 + channels) as u64);
    let n = rows * channels;
    // An offset mean, so that centring matters.
    let x: Vec<T> = (0..n)
        .map(|i| T::from_f64(3.0 + (i % 5) as f64) + rng.normal())
        .collect();
    let dy = random::<T>(n, &mut rng);
    let k: Vec<Vec<T>> = (0..3).map(|_| random::<T>(channels, &mut rng)).collect();
    let moments = |b: &dyn Backend<T>| {
        let (mut mean, mut var) = (vec![0.0; channels], vec![0.0; channels]);
        b.channel_moments(&x, &mut mean, &mut var);
        let (mut sd, mut sdx) = (vec![0.0; channels], vec![0.0; channels]);
        b.channel_grad_sums(&dy, &x, &mean, &mut sd, &mut sdx);
        let mut y = vec![T::ZERO; n];
        b.channel_affine(&x, &k[0], &k[1], &mut y);
        let mut dx = vec![T::ZERO; n];
        let coeffs = ChannelCoefficients {
            k_dy: &k[0],
            k_x: &k[1],
            k_0: &k[2],
        };
        b.channel_combine(&dy, &x, coeffs, &mut dx);
        (mean, var, sd, sdx, y, dx)
    };
    let (s, r) = (moments(&Simd::new()), moments(&Reference));
    let what = |k: &str| format!("{k} {rows}×{channels} {}", T::NAME);
    let sum_tol = if T::NAME == "f32" { 2e-5 } else { 1e-12 };
    close(&what("mean"), &s.0, &r.0, sum_tol);
    close(&what("var"), &s.1, &r.1, sum_tol);
    // Sums of products of unit-sized values: tolerance relative to √rows.
    let scale = (rows as f64).sqrt().max(1.0);
    close(&what("Σdy"), &s.2, &r.2, sum_tol * scale);
    close(&what("Σdy·(x−μ)"), &s.3, &r.3, sum_tol * scale);
    // Fused multiply-adds of terms up to |x|·|k| ≈ 30 whose sum may cancel: the rounding
    // is relative to the terms, not to the result.
    close(&what("affine"), &s.4, &r.4, 32.0 * tol);
    close(&what("combine"), &s.5, &r.5, 32.0 * tol);
    for threads in [1, 2, 4] {
        let t = moments(&Simd::with_threads(threads).unwrap());
        assert!(
            t == s,
            "{}: differs with {threads} threads",
            what("kernels")
        );
    }
}

#[test]
fn normalization_kernels_match_the_reference() {
    for (rows, channels) in [
        (1, 1),
        (7, 3),
        (63, 64),
        (64, 7),
        (65, 65),
        (1000, 16),
        (4096, 32),
        (20_000, 3),
        (0, 4),
    ] {
        check_normalization::<f32>(rows, channels, 4e-7);
        check_normalization::<f64>(rows, channels, 8e-16);
    }
}

fn train_batch_norm<B: Backend<f32> + 'static>(backend: B) -> (Vec<Vec<f32>>, f64) {
    let mut rng = Rng::seed(4);
    let m = 400;
    let x: Vec<f32> = (0..m * 12)
        .map(|_| 5.0 + 3.0 * rng.normal::<f32>())
        .collect();
    let y: Vec<f32> = (0..m)
        .map(|i| f32::from(u8::from((x[i * 12] - 5.0) * (x[i * 12 + 1] - 5.0) > 0.0)))
        .collect();
    let x = nn_core::Tensor::from_vec(&[m, 12], x).unwrap();
    let y = nn_core::Tensor::from_vec(&[m, 1], y).unwrap();
    let mut net = Network::builder(&[12])
        .init(Init::He)
        .dense(64)
        .batch_norm()
        .relu()
        .dense(32)
        .batch_norm()
        .relu()
        .dense(1)
        .build(backend, &mut rng)
        .unwrap();
    let config = nn_core::FitConfig::new(nn_core::Optimizer::adam(0.01))
        .epochs(30)
        .batch_size(50);
    net.fit(&x, &y, &config, &mut rng).unwrap();
    let acc = net.evaluate(&x, &y).unwrap().accuracy.unwrap();
    let state = net
        .layers()
        .iter()
        .flat_map(|l| l.params().into_iter().chain(l.buffers()));
    (state.map(|p| p.data().to_vec()).collect(), acc)
}

#[test]
fn batch_norm_trains_alike_on_both_backends_and_any_thread_count() {
    let (one, acc) = train_batch_norm(Simd::with_threads(1).unwrap());
    assert_eq!(one, train_batch_norm(Simd::with_threads(2).unwrap()).0);
    assert_eq!(one, train_batch_norm(Simd::with_threads(4).unwrap()).0);
    let (_, reference_acc) = train_batch_norm(Reference);
    assert!(
        acc > 0.9 && (acc - reference_acc).abs() <= 0.03,
        "simd {acc} reference {reference_acc}"
    );
}

#[test]
fn enter_runs_the_work_once_on_the_backends_own_threads() {
    let on = |backend: &dyn Backend<f32>| {
        let mut seen = Vec::new();
        backend.enter(&mut || {
            seen.push((rayon::current_thread_index(), rayon::current_num_threads()))
        });
        assert_eq!(seen.len(), 1, "{}: the work runs once", backend.name());
        seen[0]
    };
    // Its own pool of 3: a worker of that pool (the kernels' parallel loops then see 3 threads).
    let (index, threads) = on(&Simd::with_threads(3).unwrap());
    assert!(index.is_some() && threads == 3, "{index:?} of {threads}");
    // The global pool: one of its workers.
    assert!(on(&Simd::new()).0.is_some());
    // The reference backend: the caller's thread, not a worker.
    assert_eq!(on(&Reference).0, None);
}
