//! Golden tests against PyTorch's own numbers for this crate's layers: convolution (padding and
//! stride variants), max and average pooling, flatten, and a small CNN trained for 3 steps.
//! The fixtures are in `data/torch/` (written by `data/torch/make_fixtures.py`, run by hand;
//! these tests need no Python), compared by the rule of nn-core's `tests/golden/mod.rs`.
//! Every layer runs on each backend and convolution algorithm.

#[path = "../../nn-core/tests/golden/mod.rs"]
mod golden;

use golden::{build, check_layer, check_state, Fixture, F32_RTOL, F64_RTOL};
use nn_conv::{AvgPoolConfig, Conv2dConfig, ConvLayers, MaxPoolConfig, Padding};
use nn_core::backend::{ConvAlgorithm, DirectReference};
use nn_core::layer::{LayerSpec, Mode};
use nn_core::torch::channels_first_order;
use nn_core::torch::StateDict;
use nn_core::{torch, Backend, FitConfig, Float, Loss, Network, Optimizer, Reference, Rng, Tensor};
use nn_simd::Simd;
use std::sync::Arc;

/// Reference and SIMD, each computing convolutions by columns and directly.
fn backends<T: Float>() -> Vec<Box<dyn Backend<T>>>
where
    Simd: Backend<T>,
{
    vec![
        Box::new(Reference),
        Box::new(DirectReference),
        Box::new(Simd::new().with_conv_algorithm(ConvAlgorithm::Columns)),
        Box::new(Simd::new().with_conv_algorithm(ConvAlgorithm::Direct)),
    ]
}

/// The cases of the script's CONV_CASES, by name: the same filters, kernel, stride and
/// padding ("same" resolved by us, which must agree with the script's explicit zeros).
fn conv_cases() -> Vec<(&'static str, Conv2dConfig)> {
    let explicit = |top, bottom, left, right| Padding::Explicit {
        top,
        bottom,
        left,
        right,
    };
    vec![
        ("valid", Conv2dConfig::new(2, 3, Padding::Valid)),
        ("same_odd", Conv2dConfig::new(2, 3, Padding::Same)),
        ("same_even", Conv2dConfig::new(2, 4, Padding::Same)),
        (
            "stride2_same",
            Conv2dConfig::new(2, 3, Padding::Same).stride(2, 2),
        ),
        ("explicit", Conv2dConfig::new(2, 3, explicit(2, 0, 1, 2))),
        (
            "nonsquare",
            Conv2dConfig::new(3, 2, explicit(1, 1, 0, 0))
                .kernel(2, 3)
                .stride(2, 1),
        ),
        ("channels", Conv2dConfig::new(4, 3, Padding::Same)),
    ]
}

/// Every case of `cases` from `file` on every backend: forward in evaluation mode, backward.
fn layer_cases<T: Float>(file: &str, rtol: f64, cases: &[(&str, LayerSpec)], params: &[&str])
where
    Simd: Backend<T>,
{
    let mut f = Fixture::open(file, rtol);
    for backend in backends::<T>() {
        for (name, spec) in cases {
            let x = f.tensor::<T>(&format!("{name}.x"));
            let mut layer = build::<T>(spec.clone(), &x.shape()[1..]);
            check_layer(&mut f, &*backend, (name, params), &mut *layer, Mode::Eval);
        }
    }
    f.report();
}

#[test]
fn conv2d_is_nn_conv2d() {
    let cases: Vec<(&str, LayerSpec)> = conv_cases()
        .into_iter()
        .map(|(name, c)| (name, c.into()))
        .collect();
    let params = ["weight", "bias"];
    layer_cases::<f64>("conv2d.safetensors", F64_RTOL, &cases, &params);
    layer_cases::<f32>("conv2d_f32.safetensors", F32_RTOL, &cases, &params);
}

#[test]
fn pooling_is_nn_maxpool2d_and_avgpool2d() {
    let cases: Vec<(&str, LayerSpec)> = vec![
        ("max_2", MaxPoolConfig::new(2).into()),
        ("max_3_stride_2", MaxPoolConfig::with([3, 3], [2, 2]).into()),
        (
            "max_2x3_stride_1x2",
            MaxPoolConfig::with([2, 3], [1, 2]).into(),
        ),
        ("avg_2", AvgPoolConfig::new(2).into()),
        ("avg_3_stride_2", AvgPoolConfig::with([3, 3], [2, 2]).into()),
        (
            "avg_2x3_stride_1x2",
            AvgPoolConfig::with([2, 3], [1, 2]).into(),
        ),
    ];
    layer_cases::<f64>("pool.safetensors", F64_RTOL, &cases, &[]);
}

/// `(m, c, h, w)` values in our `(m, h, w, c)` order, or back with `to_nchw`.
fn transpose(t: &Tensor<f64>, [m, c, h, w]: [usize; 4], to_nchw: bool) -> Vec<f64> {
    let mut out = vec![0.0; t.len()];
    for n in 0..m {
        for ch in 0..c {
            for y in 0..h {
                for x in 0..w {
                    let nchw = ((n * c + ch) * h + y) * w + x;
                    let nhwc = ((n * h + y) * w + x) * c + ch;
                    let (to, from) = if to_nchw { (nchw, nhwc) } else { (nhwc, nchw) };
                    out[to] = t.data()[from];
                }
            }
        }
    }
    out
}

#[test]
fn flatten_reordered_channels_first_is_torch_flatten() {
    let mut f = Fixture::open("flatten.safetensors", F64_RTOL);
    let x_nchw = f.tensor::<f64>("x");
    let [m, c, h, w] = <[usize; 4]>::try_from(x_nchw.shape()).unwrap();
    let x = Tensor::from_vec(&[m, h, w, c], transpose(&x_nchw, [m, c, h, w], false)).unwrap();
    let mut layer = build::<f64>(nn_conv::FlattenConfig {}, &[h, w, c]);
    layer.forward(&Reference, &x, Mode::Eval).unwrap();
    // PyTorch's feature j of an example is our feature order[j].
    let order = channels_first_order(h, w, c);
    let n = h * w * c;
    let ours = layer.output().data();
    let reordered: Vec<f64> = (0..m * n).map(|i| ours[i / n * n + order[i % n]]).collect();
    let torch_out = f.tensor::<f64>("out");
    f.check_values("out", &reordered, torch_out.data());
    let d_torch = f.tensor::<f64>("d_out");
    let mut d_out = Tensor::zeros(&[m, n]);
    for i in 0..m * n {
        d_out.data_mut()[i / n * n + order[i % n]] = d_torch.data()[i];
    }
    layer.backward(&Reference, &x, &d_out, true).unwrap();
    let d_x = transpose(layer.input_grad(), [m, c, h, w], true);
    f.check_values("d_x", &d_x, f.tensor::<f64>("d_x").data());
    f.report();
}

/// The conv bias just before batch norm has a zero gradient in theory (the batch mean is
/// subtracted), so each side's gradient is rounding noise (PyTorch's ≈ 7e-17, for weight
/// gradients up to 0.6), which Adam divides by about ε: each step moves it by about
/// `lr·noise/ε` in a direction neither side controls (PyTorch's moved by up to 1.7e-10).
/// Each side must leave it within `steps·lr·NOISE/ε` of where it started, with a noise bound
/// `NOISE` a hundred times the observed one; so the two differ by up to twice that, and so
/// does the running mean of the batch norm after it (an average of batch means that include
/// the bias). Nothing else sees the bias.
const NOISE: f64 = 1e-14;

/// How far the conv bias may move (see [`NOISE`]), checked on both sides; the noise allowed
/// in the tensors it reaches.
fn vanishing_bias([ours, torch, initial]: [&StateDict; 3], lr: f64) -> [(&'static str, f64); 2] {
    let name = "0.bias";
    let bound = 3.0 * lr * NOISE / 1e-8;
    let values = |d: &StateDict| golden::as_f64(&d.get(name).unwrap().values);
    let start = values(initial);
    for (side, v) in [("ours", values(ours)), ("PyTorch's", values(torch))] {
        let moved = v.iter().zip(&start).map(|(a, b)| (a - b).abs());
        // A NaN movement is the worst (f64::max would drop it).
        let moved = moved.fold(0.0, |m: f64, v: f64| {
            if v.is_nan() || m.is_nan() {
                f64::NAN
            } else {
                m.max(v)
            }
        });
        assert!(
            moved <= bound,
            "{side} {name} moved by {moved:e} > {bound:e}"
        );
        println!(
            "{:28} {side} {name} moved by {moved:.1e} (limit {bound:.0e})",
            ""
        );
    }
    [(name, 2.0 * bound), ("1.running_mean", 2.0 * bound)]
}

/// The script's CNN (conv 3×3 "same" 4 filters, batch norm, ReLU, max-pool 2, flatten, batch
/// norm, dense 3) from PyTorch's initial state, 3 full-batch steps of `run` on `backend`,
/// against PyTorch's state after the same steps (weights re-ordered by the flatten, running
/// statistics, step counts).
fn cnn(backend: Arc<dyn Backend<f64>>, run: &str, optimizer: fn(f64) -> Optimizer) {
    let mut f = Fixture::open("cnn.safetensors", F64_RTOL);
    let lr = f.settings()["lr"][run].as_f64().unwrap();
    let mut net = Network::<f64>::builder(&[8, 8, 3])
        .conv2d(4, 3, Padding::Same)
        .batch_norm()
        .relu()
        .max_pool(2)
        .flatten()
        .batch_norm()
        .dense(3)
        .loss(Loss::CategoricalCrossEntropy)
        .build(backend, &mut Rng::seed(0))
        .unwrap();
    let initial = f.sub("init.");
    torch::import(&mut net, &initial).unwrap();
    // Exported at once, the imported state is PyTorch's (step counts 0 on both sides).
    let imported = torch::export(&net).unwrap().state;
    check_state(&mut f, "imported", (&imported, &initial), &[]);
    let (x, y) = (f.tensor::<f64>("x"), f.tensor::<f64>("y"));
    let config = FitConfig::new(optimizer(lr)).epochs(3);
    net.fit(&x, &y, &config, &mut Rng::seed(0)).unwrap();
    let expected = f.sub(&format!("{run}."));
    let trained = torch::export(&net).unwrap().state;
    let label = format!("{run} after 3 steps ({})", net.backend().name());
    let noisy = match run {
        "adam" => vanishing_bias([&trained, &expected, &initial], lr).to_vec(),
        _ => Vec::new(),
    };
    check_state(&mut f, &label, (&trained, &expected), &noisy);
    f.report();
}

#[test]
fn a_cnn_trains_as_in_pytorch() {
    let backends: [Arc<dyn Backend<f64>>; 2] = [Arc::new(Reference), Arc::new(Simd::new())];
    for backend in backends {
        cnn(backend.clone(), "adam", Optimizer::adam);
        cnn(backend, "gd", Optimizer::gradient_descent);
    }
}
