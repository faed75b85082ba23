//! Convolution and pooling benchmarks on the shapes of the `cnn` (mnist5k, batch 64,
//! 28×28×1) and `cnn-rgb` (faces_h5, batch 32, 64×64×3) workloads: `Conv2d` forward and
//! backward (both blocks, each method), `MaxPool2d` and ReLU for comparison, on `Simd` with
//! 1 thread and all threads, and `Reference`.
//!
//! `cargo bench -p nn-bench --bench conv`

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use nn_conv::{Conv2d, Conv2dConfig, MaxPool2d, Padding};
use nn_core::backend::{ConvAlgorithm, DirectReference};
use nn_core::layer::{ActivationLayer, Layer, Mode};
use nn_core::{Activation, Backend, Init, Reference, Rng, Tensor};
use nn_simd::Simd;

fn backends() -> Vec<(String, Box<dyn Backend<f32>>)> {
    backends_with(None)
}

/// The backends, with the convolution algorithm pinned if `algorithm` is given.
fn backends_with(algorithm: Option<ConvAlgorithm>) -> Vec<(String, Box<dyn Backend<f32>>)> {
    let pin = |s: Simd| match algorithm {
        Some(a) => s.with_conv_algorithm(a),
        None => s,
    };
    let all = pin(Simd::new());
    let threads = all.threads();
    let reference: Box<dyn Backend<f32>> = match algorithm {
        Some(ConvAlgorithm::Direct) => Box::new(DirectReference),
        _ => Box::new(Reference),
    };
    vec![
        (
            "simd-1t".to_string(),
            Box::new(pin(Simd::with_threads(1).expect("a thread pool"))) as Box<dyn Backend<f32>>,
        ),
        (format!("simd-{threads}t"), Box::new(all)),
        ("reference".to_string(), reference),
    ]
}

/// `(name, batch, input [h, w, c], filters)` of each convolution of the two workloads.
const SHAPES: [(&str, usize, [usize; 3], usize); 4] = [
    ("cnn-conv1", 64, [28, 28, 1], 8),
    ("cnn-conv2", 64, [14, 14, 8], 16),
    ("rgb-conv1", 32, [64, 64, 3], 8),
    ("rgb-conv2", 32, [32, 32, 8], 16),
];

fn input(batch: usize, [h, w, c]: [usize; 3], rng: &mut Rng) -> Tensor<f32> {
    let n = batch * h * w * c;
    Tensor::from_vec(
        &[batch, h, w, c],
        (0..n).map(|_| rng.uniform(0.0, 1.0)).collect(),
    )
    .expect("shape")
}

fn conv(c: &mut Criterion) {
    let mut group = c.benchmark_group("conv2d");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(1))
        .warm_up_time(Duration::from_millis(300));
    let mut rng = Rng::seed(1);
    for (name, batch, shape, filters) in SHAPES {
        let x = input(batch, shape, &mut rng);
        let [h, w, ch] = shape;
        // Multiply-adds of one forward pass, as FLOPs.
        group.throughput(Throughput::Elements(
            (2 * batch * h * w * 9 * ch * filters) as u64,
        ));
        for method in [ConvAlgorithm::Columns, ConvAlgorithm::Direct] {
            let config = Conv2dConfig::new(filters, 3, Padding::uniform(1));
            let mut layer = Conv2d::new(shape, config, Init::He, &mut rng).expect("valid");
            for (backend_name, backend) in backends_with(Some(method)) {
                if backend_name == "reference" && name.starts_with("rgb") {
                    continue; // tens of seconds
                }
                let id = format!("{name}-{method:?}-{backend_name}");
                group.bench_function(BenchmarkId::new("forward", &id), |b| {
                    b.iter(|| {
                        layer
                            .forward(&*backend, black_box(&x), Mode::Eval)
                            .expect("ok")
                    })
                });
                let dz = layer.output().clone();
                // Backward with the input gradient (as for every layer but the first).
                group.bench_function(BenchmarkId::new("backward", &id), |b| {
                    b.iter(|| {
                        layer
                            .backward(&*backend, &x, black_box(&dz), true)
                            .expect("ok")
                    })
                });
            }
        }
    }
    group.finish();
}

fn pool_and_relu(c: &mut Criterion) {
    let mut group = c.benchmark_group("pool-relu");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(1))
        .warm_up_time(Duration::from_millis(300));
    let mut rng = Rng::seed(2);
    for (name, batch, [h, w, _], filters) in SHAPES {
        let shape = [h, w, filters];
        let x = input(batch, shape, &mut rng);
        group.throughput(Throughput::Elements(x.len() as u64));
        let mut pool = MaxPool2d::new(shape, [2, 2], [2, 2]).expect("valid");
        let mut relu = ActivationLayer::new(Activation::Relu, &shape);
        for (backend_name, backend) in backends() {
            let id = format!("{name}-out-{backend_name}");
            group.bench_function(BenchmarkId::new("maxpool-forward", &id), |b| {
                b.iter(|| {
                    pool.forward(&*backend, black_box(&x), Mode::Eval)
                        .expect("ok")
                })
            });
            let dy = pool.output().clone();
            group.bench_function(BenchmarkId::new("maxpool-backward", &id), |b| {
                b.iter(|| {
                    pool.backward(&*backend, &x, black_box(&dy), true)
                        .expect("ok")
                })
            });
            group.bench_function(BenchmarkId::new("relu-forward", &id), |b| {
                b.iter(|| {
                    relu.forward(&*backend, black_box(&x), Mode::Eval)
                        .expect("ok")
                })
            });
        }
    }
    group.finish();
}

criterion_group!(benches, conv, pool_and_relu);
criterion_main!(benches);
