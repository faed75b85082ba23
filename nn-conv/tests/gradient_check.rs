//! Gradient checks in f64 of every layer of nn-conv, with several strides, paddings, kernel
//! sizes (square and not), channel counts and batch sizes, on non-square inputs: relative error
//! below 1e-7. Each network puts a convolution before the layer under test, so that the layer's
//! input gradient (`dX`) is checked too, through the first convolution's parameter gradients.

use nn_conv::{Conv2dConfig, ConvLayers, Padding};
use nn_core::backend::DirectReference;
use nn_core::{
    Backend, GradCheck, Init, IntoBackend, Loss, Network, NetworkBuilder, Reference, Rng, Tensor,
};

const TOLERANCE: f64 = 1e-7;

fn check(name: &str, builder: NetworkBuilder<f64>, input: [usize; 3], m: usize) {
    check_on(name, builder, input, m, Reference);
}

fn check_on(
    name: &str,
    builder: NetworkBuilder<f64>,
    input: [usize; 3],
    m: usize,
    backend: impl IntoBackend<f64>,
) {
    let mut rng = Rng::seed(21);
    let mut net = builder
        .flatten()
        .dense(3)
        .loss(Loss::CategoricalCrossEntropy)
        .build(backend, &mut rng)
        .unwrap_or_else(|e| panic!("{name}: {e}"));
    let [h, w, c] = input;
    let x = Tensor::from_vec(
        &[m, h, w, c],
        (0..m * h * w * c).map(|_| rng.normal()).collect(),
    )
    .unwrap();
    let y = Tensor::from_vec(&[m, 1], (0..m).map(|i| (i % 3) as f64).collect()).unwrap();
    let report = net
        .gradient_check(&x, &y, &GradCheck::default(), &Rng::seed(5))
        .unwrap();
    for t in &report.tensors {
        println!(
            "{name:<44} {:<46} {:<2} {:>4} entries  relative error {:.2e}",
            t.layer_name, t.param, t.checked, t.relative_error
        );
        // A bias just before batch norm: zero in theory, both sides next to nothing.
        assert!(
            t.relative_error < TOLERANCE || t.vanishing,
            "{name}: {} {} relative error {:.3e}",
            t.layer_name,
            t.param,
            t.relative_error
        );
    }
}

fn builder(input: [usize; 3]) -> NetworkBuilder<f64> {
    Network::<f64>::builder(&input).init(Init::XavierNormal)
}

#[test]
fn conv2d_with_strides_paddings_kernels_channels_and_batches() {
    let cases: [(&str, [usize; 3], Conv2dConfig, usize); 7] = [
        (
            "3×3 valid, 6 channels (Auto: columns), m=2",
            [6, 5, 6],
            Conv2dConfig::new(3, 3, Padding::Valid),
            2,
        ),
        (
            "3×3 same, 2→3 channels, m=2",
            [5, 7, 2],
            Conv2dConfig::new(3, 3, Padding::Same),
            2,
        ),
        (
            "2×3 valid, stride 2×1, m=3",
            [6, 5, 3],
            Conv2dConfig::new(2, 2, Padding::Valid)
                .kernel(2, 3)
                .stride(2, 1),
            3,
        ),
        (
            "4×4 explicit (1,2,0,1), stride 2, m=1",
            [7, 7, 1],
            Conv2dConfig::new(
                2,
                4,
                Padding::Explicit {
                    top: 1,
                    bottom: 2,
                    left: 0,
                    right: 1,
                },
            )
            .stride(2, 2),
            1,
        ),
        (
            "1×1, 2→4 channels, m=2",
            [4, 6, 2],
            Conv2dConfig::new(4, 1, Padding::Valid),
            2,
        ),
        (
            "3×2 same, stride 3×2, m=2",
            [8, 9, 3],
            Conv2dConfig::new(2, 3, Padding::Same)
                .kernel(3, 2)
                .stride(3, 2),
            2,
        ),
        (
            "5×5 same on 3×4, m=4",
            [3, 4, 1],
            Conv2dConfig::new(2, 5, Padding::Same),
            4,
        ),
    ];
    for (name, input, spec, m) in cases {
        // Image-to-column on Reference, the direct loops on DirectReference.
        let backends: [std::sync::Arc<dyn Backend<f64>>; 2] = [
            std::sync::Arc::new(Reference),
            std::sync::Arc::new(DirectReference),
        ];
        for backend in backends {
            // conv under test → tanh → a second conv (checks the first one's dX) → flatten →
            // dense
            let b = builder(input)
                .conv2d_with(spec)
                .tanh()
                .conv2d_with(Conv2dConfig::new(2, 3, Padding::Same));
            let method = backend.name();
            check_on(&format!("{name}, {method}"), b, input, m, backend);
        }
    }
}

#[test]
fn pooling_layers_pass_gradients_back() {
    let input = [7, 6, 2];
    type AddPool = fn(NetworkBuilder<f64>) -> NetworkBuilder<f64>;
    let cases: [(&str, AddPool); 4] = [
        ("max pool 2×2 stride 2", |b| b.max_pool(2)),
        ("max pool 3×2 stride 2×1 (overlapping)", |b| {
            b.max_pool_with([3, 2], [2, 1])
        }),
        ("avg pool 2×2 stride 2", |b| b.avg_pool(2)),
        ("avg pool 3×3 stride 1", |b| {
            b.avg_pool_with([3, 3], [1, 1])
        }),
    ];
    for (name, pool) in cases {
        let b = pool(builder(input).conv2d(3, 3, Padding::Same).relu());
        check(name, b, input, 3);
    }
}

#[test]
fn a_whole_cnn_with_two_blocks() {
    let input = [10, 9, 3];
    let b = builder(input)
        .conv2d(4, 3, Padding::Same)
        .relu()
        .max_pool(2)
        .conv2d(3, 3, Padding::uniform(1))
        .tanh()
        .avg_pool(2);
    check("conv-relu-maxpool-conv-tanh-avgpool", b, input, 3);
}

#[test]
fn batch_norm_per_channel_between_convolutions() {
    let input = [7, 6, 2];
    let b = builder(input)
        .conv2d(3, 3, Padding::Same)
        .batch_norm()
        .tanh()
        .max_pool(2)
        .conv2d(2, 2, Padding::Valid)
        .batch_norm()
        .sigmoid();
    check("conv-bn-tanh-pool-conv-bn-sigmoid", b, input, 3);
}
