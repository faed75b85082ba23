//! `Simd` agrees with `Reference` on the convolution and pooling kernels and on whole CNNs;
//! networks with these layers save and load; bad shapes give clear errors.

use nn_conv::{ConvLayers, Padding};
use nn_core::backend::prelude::*;
use nn_core::backend::Window;
use nn_core::{Backend, FitConfig, Init, Loss, Network, Optimizer, Reference, Rng, Tensor};
use nn_simd::Simd;
use proptest::prelude::*;

fn random(n: usize, rng: &mut Rng) -> Vec<f32> {
    (0..n).map(|_| rng.normal()).collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]
    #[test]
    fn window_kernels_are_identical_on_both_backends(
        batch in 0usize..5, h in 1usize..9, w in 1usize..21, c in prop::sample::select(vec![1usize, 2, 3, 4, 8, 16]),
        filters in prop::sample::select(vec![1usize, 3, 4, 8, 16, 32]),
        kh in 1usize..4, kw in 1usize..4, sh in 1usize..3, sw in 1usize..3,
        pad in 0usize..3, seed in 0u64..1000,
    ) {
        let pad = [pad.min(kh - 1), (pad + 1).min(kh - 1), pad.min(kw - 1), 0];
        let Ok(g) = Window::new(batch, [h, w, c], [kh, kw], [sh, sw], pad) else {
            return Ok(()); // a window that does not fit: refused by both
        };
        let mut rng = Rng::seed(seed);
        let simd = Simd::with_threads(2).unwrap();
        let x = random(batch * g.image_len(), &mut rng);
        let cols_len = batch * g.positions() * g.patch_len();
        let (mut a, mut b) = (vec![0f32; cols_len], vec![1f32; cols_len]);
        Reference.im2col(&g, &x, &mut a);
        simd.im2col(&g, &x, &mut b);
        prop_assert_eq!(&a, &b);
        let dcols = random(cols_len, &mut rng);
        let (mut da, mut db) = (vec![0f32; x.len()], vec![1f32; x.len()]);
        Reference.col2im(&g, &dcols, &mut da);
        simd.col2im(&g, &dcols, &mut db);
        prop_assert_eq!(&da, &db);
        // Direct convolution and its weight gradient: same sums, FMA rounding in Simd.
        let w_t = random(g.patch_len() * filters, &mut rng);
        let bias = random(filters, &mut rng);
        let out = batch * g.positions() * filters;
        let (mut za, mut zb) = (vec![0f32; out], vec![1f32; out]);
        Reference.conv_direct(&g, &x, &w_t, &bias, &mut za);
        simd.conv_direct(&g, &x, &w_t, &bias, &mut zb);
        let tol = |a: &[f32], b: &[f32], n: usize| a.iter().zip(b).all(|(a, b)| (a - b).abs() <= 1e-6 * n as f32 * (1.0 + a.abs()));
        prop_assert!(tol(&za, &zb, g.patch_len()));
        let dz = random(out, &mut rng);
        let (mut wa, mut wb) = (vec![0f32; w_t.len()], vec![1f32; w_t.len()]);
        Reference.conv_direct_weight_grad(&g, &x, &dz, &mut wa);
        simd.conv_direct_weight_grad(&g, &x, &dz, &mut wb);
        prop_assert!(tol(&wa, &wb, batch * g.positions() + 1));
        // Pooling has no padding.
        let Ok(p) = Window::new(batch, [h, w, c], [kh, kw], [sh, sw], [0; 4]) else { return Ok(()) };
        let out = batch * p.positions() * c;
        let (mut ya, mut yb) = (vec![0f32; out], vec![1f32; out]);
        let (mut aa, mut ab) = (vec![0u32; out], vec![1u32; out]);
        Reference.max_pool(&p, &x, &mut ya, &mut aa);
        simd.max_pool(&p, &x, &mut yb, &mut ab);
        prop_assert_eq!(&ya, &yb);
        prop_assert_eq!(&aa, &ab);
        let dy = random(out, &mut rng);
        Reference.max_pool_backward(&p, &dy, &aa, &mut da);
        simd.max_pool_backward(&p, &dy, &ab, &mut db);
        prop_assert_eq!(&da, &db);
        Reference.avg_pool(&p, &x, &mut ya);
        simd.avg_pool(&p, &x, &mut yb);
        prop_assert_eq!(&ya, &yb);
        Reference.avg_pool_backward(&p, &dy, &mut da);
        simd.avg_pool_backward(&p, &dy, &mut db);
        prop_assert_eq!(&da, &db);
    }
}

#[test]
fn im2col_lays_out_patches_and_col2im_is_its_adjoint() {
    // <im2col(x), c> = <x, col2im(c)> for random x and c: the definition of the adjoint.
    let g = Window::new(2, [5, 4, 3], [3, 2], [2, 1], [1, 1, 0, 1]).unwrap();
    let mut rng = Rng::seed(2);
    let x: Vec<f64> = (0..2 * g.image_len()).map(|_| rng.normal()).collect();
    let c: Vec<f64> = (0..2 * g.positions() * g.patch_len())
        .map(|_| rng.normal())
        .collect();
    let mut cols = vec![0.0; c.len()];
    Reference.im2col(&g, &x, &mut cols);
    let mut back = vec![0.0; x.len()];
    Reference.col2im(&g, &c, &mut back);
    let lhs: f64 = cols.iter().zip(&c).map(|(a, b)| a * b).sum();
    let rhs: f64 = x.iter().zip(&back).map(|(a, b)| a * b).sum();
    assert!(
        (lhs - rhs).abs() < 1e-10 * lhs.abs().max(1.0),
        "{lhs} vs {rhs}"
    );
    // The first patch: rows −1…1 (the first is padding), columns 0…1.
    assert_eq!(&cols[..6], &[0.0; 6]);
    assert_eq!(&cols[6..9], &x[0..3]);
}

fn cnn(backend: impl Backend<f32> + 'static) -> Network<f32> {
    Network::<f32>::builder(&[12, 10, 3])
        .init(Init::He)
        .conv2d(6, 3, Padding::Same)
        .relu()
        .max_pool(2)
        .conv2d(4, 3, Padding::uniform(1))
        .relu()
        .avg_pool(2)
        .flatten()
        .dense(3)
        .loss(Loss::CategoricalCrossEntropy)
        .build(backend, &mut Rng::seed(4))
        .unwrap()
}

fn data() -> (Tensor<f32>, Tensor<f32>) {
    data_of(40)
}

fn data_of(m: usize) -> (Tensor<f32>, Tensor<f32>) {
    let mut rng = Rng::seed(8);
    let x = Tensor::from_vec(&[m, 12, 10, 3], random(m * 360, &mut rng)).unwrap();
    // The class is which third of the image is brightest.
    let y: Vec<f32> = (0..m)
        .map(|i| {
            let img = x.row(i);
            let band = |b: usize| -> f32 {
                (b * 4..b * 4 + 4)
                    .flat_map(|r| img[r * 30..r * 30 + 30].iter())
                    .sum()
            };
            (0..3).max_by(|&a, &b| band(a).total_cmp(&band(b))).unwrap() as f32
        })
        .collect();
    (x, Tensor::from_vec(&[m, 1], y).unwrap())
}

#[test]
fn a_cnn_trains_the_same_on_both_backends() {
    let (x, y) = data();
    let config = FitConfig::new(Optimizer::adam(0.01))
        .epochs(30)
        .batch_size(8);
    let mut a = cnn(Reference);
    let mut b = cnn(Simd::with_threads(2).unwrap());
    let ha = a.fit(&x, &y, &config, &mut Rng::seed(1)).unwrap();
    let hb = b.fit(&x, &y, &config, &mut Rng::seed(1)).unwrap();
    // The products round differently (faer vs plain loops): costs agree to 1e-3 after
    // 150 steps, accuracies are equal within one example.
    let (ca, cb) = (ha.final_cost(), hb.final_cost());
    assert!(
        (ca - cb).abs() < 1e-3 * ca.abs().max(1e-3) + 1e-4,
        "{ca} vs {cb}"
    );
    let (ea, eb) = (a.evaluate(&x, &y).unwrap(), b.evaluate(&x, &y).unwrap());
    let (aa, ab) = (ea.accuracy.unwrap(), eb.accuracy.unwrap());
    assert!(
        aa > 0.8 && (aa - ab).abs() <= 1.0 / 40.0 + 1e-9,
        "{aa} vs {ab}"
    );
}

#[test]
fn cnns_save_and_load() {
    let (x, _) = data();
    let net = cnn(Reference);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cnn.nn");
    net.save(&path).unwrap();
    let back = Network::<f32>::load_with(&path, Reference, &nn_conv::registry()).unwrap();
    assert_eq!(
        net.predict_proba(&x).unwrap(),
        back.predict_proba(&x).unwrap()
    );
    assert_eq!(net.summary(), back.summary());
    // Without nn-conv's loaders the error says what is missing.
    let e = Network::<f32>::load(&path, Reference)
        .err()
        .unwrap()
        .to_string();
    assert!(e.contains("unknown layer kind \"conv2d\""), "{e}");
}

#[test]
fn bad_shapes_are_errors_naming_the_layer() {
    let e = Network::<f32>::builder(&[784])
        .conv2d(8, 3, Padding::Same)
        .build(Reference, &mut Rng::seed(0))
        .err()
        .unwrap()
        .to_string();
    assert!(
        e.contains(
            "Conv2d needs (h, w, c) image volumes, but the previous layer gives shape [784]"
        ),
        "{e}"
    );
    let e = Network::<f32>::builder(&[4, 4, 1])
        .conv2d(8, 7, Padding::Valid)
        .build(Reference, &mut Rng::seed(0))
        .err()
        .unwrap()
        .to_string();
    assert!(
        e.contains("a 7×7 window does not fit in a 4×4 input"),
        "{e}"
    );
    let e = Network::<f32>::builder(&[8, 8, 3])
        .conv2d(2, 3, Padding::Same)
        .flatten()
        .dense(1)
        .build(Reference, &mut Rng::seed(0))
        .unwrap()
        .predict(&Tensor::zeros(&[2, 8, 8, 1]))
        .err()
        .unwrap()
        .to_string();
    assert!(e.contains("(2, 8, 8, 1)"), "{e}");
}

#[test]
fn threads_share_one_trained_cnn() {
    // Convolutions borrow their scratch memory from each inference pass, so one network
    // serves several threads, each getting exactly the answers of one thread.
    let (x, y) = data();
    let mut net = cnn(Simd::new());
    let config = FitConfig::new(Optimizer::adam(0.01))
        .epochs(2)
        .batch_size(8);
    net.fit(&x, &y, &config, &mut Rng::seed(5)).unwrap();
    let alone = net.predict_proba(&x).unwrap();
    let net = &net;
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..4)
            .map(|_| s.spawn(|| net.predict_proba(&x).unwrap()))
            .collect();
        for h in handles {
            assert_eq!(h.join().unwrap(), alone);
        }
    });
}

#[test]
fn absurd_windows_are_errors_not_panics() {
    // Sizes that overflow the padding or index arithmetic, as a hostile description has them.
    for (kernel, padding) in [
        (usize::MAX, Padding::Same),
        (1 << 40, Padding::Same),
        (3, Padding::uniform(usize::MAX / 2)),
    ] {
        let built = Network::<f32>::builder(&[8, 8, 3])
            .conv2d(1, kernel, padding)
            .flatten()
            .dense(1)
            .build(Reference, &mut Rng::seed(0));
        assert!(built.is_err(), "kernel {kernel} with {padding:?} built");
    }
}

/// Large mini-batches of a CNN are cut into parts that run at once (a fixed number, by the
/// batch): the weights are the same bits with 1, 2 and 4 threads, and close to the
/// reference backend's.
#[test]
fn a_cnn_trained_in_parts_gives_the_same_weights_with_any_thread_count() {
    // About 27 700 multiply–adds per example: batches of 320 go in 4 parts, so that 2 threads
    // run two parts each (one through a slot) and 4 threads one each.
    let (x, y) = data_of(640);
    let config = FitConfig::new(Optimizer::adam(0.01))
        .epochs(4)
        .batch_size(320);
    let train = |backend: Simd| {
        let mut net = cnn(backend);
        let history = net.fit(&x, &y, &config, &mut Rng::seed(1)).unwrap();
        let weights: Vec<Vec<f32>> = net.parameters().iter().map(|p| p.data().to_vec()).collect();
        (weights, history.final_cost())
    };
    let (one, cost) = train(Simd::with_threads(1).unwrap());
    assert_eq!(one, train(Simd::with_threads(2).unwrap()).0);
    assert_eq!(one, train(Simd::with_threads(4).unwrap()).0);
    let mut reference = cnn(Reference);
    let ref_cost = reference
        .fit(&x, &y, &config, &mut Rng::seed(1))
        .unwrap()
        .final_cost();
    assert!(
        (cost - ref_cost).abs() < 1e-4 * ref_cost.abs() + 1e-5,
        "{cost} vs {ref_cost}"
    );
}

/// Max pooling's ties and NaN rule (the first maximum wins; a NaN wins and stays) are the
/// same on both backends, for every channel count the fast kernel is compiled for.
#[test]
fn max_pooling_breaks_ties_and_keeps_nan_alike_on_both_backends() {
    let simd = Simd::with_threads(2).unwrap();
    let mut rng = Rng::seed(7);
    for c in [1usize, 3, 4, 8, 16, 32, 5] {
        // Square and not; strides equal and not; a 9×8 window, larger than the fast kernel's
        // 64 elements, takes the plain loop.
        for (k, s) in [
            ([2, 2], [2, 2]),
            ([3, 3], [1, 1]),
            ([3, 3], [2, 2]),
            ([2, 3], [1, 2]),
            ([9, 8], [1, 1]),
        ] {
            let p = Window::new(3, [9, 17, c], k, s, [0; 4]).unwrap();
            // Few levels, so that windows hold ties; about one value in 12 is NaN.
            let x: Vec<f32> = (0..3 * p.image_len())
                .map(|_| match (rng.uniform::<f32>(0.0, 12.0)) as u32 {
                    0 => f32::NAN,
                    v => (v % 3) as f32,
                })
                .collect();
            let out = 3 * p.positions() * c;
            let (mut ya, mut yb) = (vec![0f32; out], vec![1f32; out]);
            let (mut aa, mut ab) = (vec![0u32; out], vec![1u32; out]);
            Reference.max_pool(&p, &x, &mut ya, &mut aa);
            simd.max_pool(&p, &x, &mut yb, &mut ab);
            assert_eq!(aa, ab, "{c} channels, window {k:?} stride {s:?}");
            let same = ya.iter().zip(&yb).all(|(a, b)| a.to_bits() == b.to_bits());
            assert!(same, "{c} channels, window {k:?} stride {s:?}");
            assert!(ya.iter().any(|v| v.is_nan()), "the data holds NaN maxima");
        }
    }
}

/// The direct convolution gives each position the same bits whether it is computed in a run
/// of 8 or 4 interior positions or alone: each output column of a padded layer against the same
/// column computed from a 3-pixel-wide crop of the input (one position, so never in a run).
#[test]
fn direct_convolution_gives_the_same_bits_in_runs_and_alone() {
    let simd = Simd::with_threads(1).unwrap();
    let mut rng = Rng::seed(11);
    for filters in [4usize, 8, 16] {
        let (h, w, c) = (5, 21, 3);
        let g = Window::new(1, [h, w, c], [3, 3], [1, 1], [1, 1, 1, 1]).unwrap();
        let x = random(g.image_len(), &mut rng);
        let w_t = random(g.patch_len() * filters, &mut rng);
        let bias = random(filters, &mut rng);
        let mut z = vec![0f32; g.positions() * filters];
        simd.conv_direct(&g, &x, &w_t, &bias, &mut z);
        for j in 1..w - 1 {
            let crop: Vec<f32> = (0..h)
                .flat_map(|r| x[(r * w + j - 1) * c..(r * w + j + 2) * c].to_vec())
                .collect();
            let one = Window::new(1, [h, 3, c], [3, 3], [1, 1], [1, 1, 0, 0]).unwrap();
            let mut alone = vec![0f32; h * filters];
            simd.conv_direct(&one, &crop, &w_t, &bias, &mut alone);
            for i in 0..h {
                let full = &z[(i * w + j) * filters..(i * w + j + 1) * filters];
                let single = &alone[i * filters..(i + 1) * filters];
                let same = full
                    .iter()
                    .zip(single)
                    .all(|(a, b)| a.to_bits() == b.to_bits());
                assert!(
                    same,
                    "{filters} filters, position ({i}, {j}): {full:?} vs {single:?}"
                );
            }
        }
    }
}
