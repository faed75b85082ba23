//! Kernel benchmarks: matrix multiply in GFLOP/s ("Gelem/s" below is 10⁹ floating-point
//! operations per second, counting a multiply-add as two), square n = 64…2048 and the shapes of
//! the `deep` workload's first layer; the `logistic` workload's matrix–vector products against a
//! streaming read, in bytes per second; activations in elements per second. The course's point,
//! "a for loop against a vectorised product", side by side: the three-loop product, the plain
//! `Reference` backend, and `Simd` on 1 thread and on all threads.
//!
//! `cargo bench -p nn-bench --bench kernels`

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use nn_bench::machine;
use nn_core::backend::prelude::*;
use nn_core::{Activation, Backend, Reference, Rng, Transpose};
use nn_simd::Simd;

fn random(n: usize, rng: &mut Rng) -> Vec<f32> {
    (0..n).map(|_| rng.normal()).collect()
}

fn backends() -> Vec<(String, Box<dyn Backend<f32>>)> {
    let all = Simd::new();
    let threads = all.threads();
    vec![
        (
            "simd-1t".to_string(),
            Box::new(Simd::with_threads(1).expect("a thread pool")) as Box<dyn Backend<f32>>,
        ),
        (format!("simd-{threads}t"), Box::new(all)),
    ]
}

fn square_gemm(c: &mut Criterion) {
    let mut group = c.benchmark_group("sgemm");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(2))
        .warm_up_time(Duration::from_millis(500));
    let mut rng = Rng::seed(1);
    for n in [64, 128, 256, 512, 1024, 2048] {
        let (a, b) = (random(n * n, &mut rng), random(n * n, &mut rng));
        let mut out = vec![0.0; n * n];
        group.throughput(Throughput::Elements(2 * (n * n * n) as u64));
        if n <= 256 {
            // The course's starting point: three nested for loops, one dot product per entry.
            group.bench_with_input(BenchmarkId::new("for-loop", n), &n, |bench, &n| {
                bench.iter(|| for_loop_product(n, black_box(&a), black_box(&b), &mut out))
            });
        }
        let mut list = backends();
        if n <= 512 {
            list.push(("reference".into(), Box::new(Reference)));
        }
        for (name, backend) in &list {
            group.bench_with_input(BenchmarkId::new(name, n), &n, |bench, &n| {
                bench.iter(|| {
                    backend.gemm(
                        &Gemm {
                            trans_a: Transpose::No,
                            trans_b: Transpose::No,
                            m: n,
                            n,
                            k: n,
                            alpha: 1.0,
                            beta: 0.0,
                        },
                        black_box(&a),
                        black_box(&b),
                        &mut out,
                    )
                })
            });
        }
    }
    group.finish();
}

/// `C = A·B` for `n × n` row-major matrices as a first program writes it: for each entry, a
/// dot product of a row of `A` and a column of `B`, one multiply-add at a time.
fn for_loop_product(n: usize, a: &[f32], b: &[f32], c: &mut [f32]) {
    for i in 0..n {
        for j in 0..n {
            let mut sum = 0.0;
            for k in 0..n {
                sum += a[i * n + k] * b[k * n + j];
            }
            c[i * n + j] = sum;
        }
    }
}

/// The `deep` workload's first layer on 150 examples of 12288 features with 20 units:
/// forward `Z = A·Wᵀ` (NT), backward `dW = dZᵀ·A` (TN), and `dA = dZ·W` (NN).
fn deep_shapes(c: &mut Criterion) {
    let mut group = c.benchmark_group("deep-layer1");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(2))
        .warm_up_time(Duration::from_millis(500));
    let (m, n_in, n_out) = (150, 12288, 20);
    let mut rng = Rng::seed(2);
    let (a, w, dz) = (
        random(m * n_in, &mut rng),
        random(n_out * n_in, &mut rng),
        random(m * n_out, &mut rng),
    );
    group.throughput(Throughput::Elements(2 * (m * n_in * n_out) as u64));
    let mut list = backends();
    list.push(("reference".into(), Box::new(Reference)));
    for (name, backend) in &list {
        let mut z = vec![0.0; m * n_out];
        group.bench_function(BenchmarkId::new("forward A·Wt", name), |bench| {
            bench.iter(|| {
                backend.gemm(
                    &Gemm {
                        trans_a: Transpose::No,
                        trans_b: Transpose::Yes,
                        m,
                        n: n_out,
                        k: n_in,
                        alpha: 1.0,
                        beta: 0.0,
                    },
                    black_box(&a),
                    black_box(&w),
                    &mut z,
                )
            })
        });
        let mut dw = vec![0.0; n_out * n_in];
        group.bench_function(BenchmarkId::new("dW dZt·A", name), |bench| {
            bench.iter(|| {
                backend.gemm(
                    &Gemm {
                        trans_a: Transpose::Yes,
                        trans_b: Transpose::No,
                        m: n_out,
                        n: n_in,
                        k: m,
                        alpha: 1.0,
                        beta: 0.0,
                    },
                    black_box(&dz),
                    black_box(&a),
                    &mut dw,
                )
            })
        });
        let mut da = vec![0.0; m * n_in];
        group.bench_function(BenchmarkId::new("dA dZ·W", name), |bench| {
            bench.iter(|| {
                backend.gemm(
                    &Gemm {
                        trans_a: Transpose::No,
                        trans_b: Transpose::No,
                        m,
                        n: n_in,
                        k: n_out,
                        alpha: 1.0,
                        beta: 0.0,
                    },
                    black_box(&dz),
                    black_box(&w),
                    &mut da,
                )
            })
        });
    }
    group.finish();
}

/// The `logistic` workload's two matrix–vector products over its `150×12288` f32 examples
/// (7.4 MB, read once each), against a plain streaming read of the same matrix
/// (`sum_squares`, one FMA per value): throughput in bytes of the matrix, so the three are
/// directly comparable GB/s.
fn logistic_stream(c: &mut Criterion) {
    let mut group = c.benchmark_group("logistic-stream");
    group
        .sample_size(20)
        .measurement_time(Duration::from_secs(2))
        .warm_up_time(Duration::from_millis(500));
    let (m, n) = (150, 12288);
    let mut rng = Rng::seed(3);
    let (x, w, dz) = (
        random(m * n, &mut rng),
        random(n, &mut rng),
        random(m, &mut rng),
    );
    group.throughput(Throughput::Bytes((m * n * size_of::<f32>()) as u64));
    let gemm = |trans_a, m, n, k| Gemm {
        trans_a,
        trans_b: Transpose::No,
        m,
        n,
        k,
        alpha: 1.0,
        beta: 0.0,
    };
    for (name, backend) in &backends() {
        group.bench_function(BenchmarkId::new("read (sum of squares)", name), |bench| {
            bench.iter(|| backend.sum_squares(black_box(&x)))
        });
        let mut z = vec![0.0; m];
        group.bench_function(BenchmarkId::new("Z = X·w", name), |bench| {
            bench.iter(|| backend.gemm(&gemm(Transpose::No, m, 1, n), black_box(&x), &w, &mut z))
        });
        let mut dw = vec![0.0; n];
        group.bench_function(BenchmarkId::new("dw = dZt·X", name), |bench| {
            bench.iter(|| backend.gemm(&gemm(Transpose::Yes, 1, n, m), &dz, black_box(&x), &mut dw))
        });
    }
    group.finish();
}

fn activations(c: &mut Criterion) {
    let mut group = c.benchmark_group("activations");
    group
        .sample_size(20)
        .measurement_time(Duration::from_secs(1))
        .warm_up_time(Duration::from_millis(300));
    let n = 1 << 20;
    let z = random(n, &mut Rng::seed(3));
    let mut a = vec![0.0; n];
    group.throughput(Throughput::Elements(n as u64));
    let mut list = backends();
    list.push(("reference".into(), Box::new(Reference)));
    for g in [
        Activation::Relu,
        Activation::LeakyRelu { slope: 0.01 },
        Activation::Sigmoid,
        Activation::Tanh,
    ] {
        for (name, backend) in &list {
            group.bench_function(BenchmarkId::new(format!("{g:?}"), name), |bench| {
                bench.iter(|| backend.activate(g, black_box(&z), &mut a))
            });
        }
    }
    let one = Simd::with_threads(1).expect("a thread pool");
    group.bench_function(BenchmarkId::new("exp", "simd-1t"), |bench| {
        bench.iter(|| one.exp_f32(black_box(&z), &mut a))
    });
    group.bench_function(BenchmarkId::new("exp", "scalar f32::exp"), |bench| {
        bench.iter(|| {
            a.iter_mut()
                .zip(black_box(&z))
                .for_each(|(a, z)| *a = z.exp())
        })
    });
    group.finish();
}

/// 16 independent chains of fused multiply-adds on registers, at the widest vectors the CPU
/// has: the machine's arithmetic peak, against which the other figures are read.
fn fma_peak(c: &mut Criterion) {
    let mut group = c.benchmark_group("fma-peak");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(2))
        .warm_up_time(Duration::from_millis(500));
    let iterations = 1_000_000u64;
    let flops = 32 * machine::f32_lanes() as u64 * iterations;
    group.throughput(Throughput::Elements(flops));
    group.bench_function("1 core", |bench| {
        bench.iter(|| machine::fma_loop(black_box(iterations)))
    });
    let threads = rayon::current_num_threads();
    group.throughput(Throughput::Elements(flops * threads as u64));
    group.bench_function(format!("{threads} cores"), |bench| {
        bench.iter(|| rayon::broadcast(|_| machine::fma_loop(black_box(iterations))))
    });
    group.finish();
}

criterion_group!(
    benches,
    fma_peak,
    square_gemm,
    deep_shapes,
    logistic_stream,
    activations
);
criterion_main!(benches);
