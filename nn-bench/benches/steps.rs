//! One training step (forward, backward, update) of each workload of `WORKLOADS.md`, on its
//! real data and batch size: `Reference`, and `Simd` on one thread and on all.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use nn_bench::{load, network, Workload};
use nn_core::{Backend, FitConfig, Reference, Rng};
use nn_simd::Simd;

fn backends() -> Vec<(String, Arc<dyn Backend<f32>>)> {
    let all = Simd::new();
    vec![
        (
            "reference".into(),
            Arc::new(Reference) as Arc<dyn Backend<f32>>,
        ),
        (
            "simd-1t".into(),
            Arc::new(Simd::with_threads(1).expect("a thread pool")),
        ),
        (format!("simd-{}t", all.threads()), Arc::new(all)),
    ]
}

fn steps(c: &mut Criterion) {
    let data_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../data");
    let mut group = c.benchmark_group("training-step");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(1))
        .warm_up_time(Duration::from_millis(300));
    for workload in Workload::ALL {
        let data = load(workload, &data_dir).expect("the repository's data");
        for (name, backend) in backends() {
            let mut rng = Rng::seed(1);
            let (mut net, config) = network(workload, backend, &mut rng).expect("a network");
            // One batch of the workload's size (the whole set for full-batch training).
            let batch = config
                .batch_size
                .unwrap_or(data.x.rows())
                .min(data.x.rows());
            let rows: Vec<usize> = (0..batch).collect();
            let (x, y) = (data.x.gather_rows(&rows), data.y.gather_rows(&rows));
            let step = FitConfig::new(config.optimizer).iterations(1);
            let m = batch as u64;
            group.throughput(Throughput::Elements(m));
            group.bench_function(BenchmarkId::new(workload.name(), &name), |b| {
                b.iter(|| net.fit(&x, &y, &step, &mut rng).expect("a step"))
            });
        }
    }
    group.finish();
}

criterion_group!(benches, steps);
criterion_main!(benches);
