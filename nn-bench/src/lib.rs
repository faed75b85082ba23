//! # nn-bench
//!
//! Benchmarks of this workspace: `cargo bench -p nn-bench` runs the criterion benchmarks in
//! `benches/` (matrix multiply, activations; `Simd` against `Reference`, 1 thread and all), and
//! the `workloads` binary runs the workloads of `WORKLOADS.md` end to end. The comparison
//! report with PyTorch is issue #7.

use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use nn_core::{Backend, FitConfig, Init, Loss, Network, Optimizer, Rng, Tensor};
use nn_data::course_h5;

/// A workload of `WORKLOADS.md`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Workload {
    /// Logistic regression on `faces_h5`: zero init, full-batch gradient descent, lr 0.005,
    /// 2000 iterations.
    Logistic,
    /// `[12288, 20, 7, 5, 1]`, ReLU, `W ~ N(0,1)/√n_in`: full-batch gradient descent, lr 0.0075,
    /// 2500 iterations.
    Deep,
}

impl Workload {
    /// The name used in reports.
    pub fn name(self) -> &'static str {
        match self {
            Workload::Logistic => "logistic",
            Workload::Deep => "deep",
        }
    }
}

/// What one run measured.
#[derive(Clone, Copy, Debug)]
pub struct WorkloadResult {
    /// Seconds of training (data already in memory).
    pub seconds: f64,
    /// Accuracy on the training set after training.
    pub train_accuracy: f64,
    /// Accuracy on the test set.
    pub test_accuracy: f64,
}

/// The `faces_h5` set, flattened to `(m, 12288)` with pixels in [0, 1], labels `(m, 1)`.
fn faces(data: &Path) -> Result<[Tensor<f32>; 4], Box<dyn std::error::Error>> {
    let train = course_h5::read_train(&data.join("faces_h5/train_faces.h5"))?;
    let test = course_h5::read_test(&data.join("faces_h5/test_faces.h5"))?;
    Ok([
        train.flattened(),
        train.label_tensor(),
        test.flattened(),
        test.label_tensor(),
    ])
}

/// Loads the data of `workload` from `data`, trains on `backend` and times the training.
pub fn run_workload(
    workload: Workload,
    data: &Path,
    backend: Arc<dyn Backend<f32>>,
) -> Result<WorkloadResult, Box<dyn std::error::Error>> {
    let [x, y, x_test, y_test] = faces(data)?;
    let mut rng = Rng::seed(1);
    let (builder, config) = match workload {
        Workload::Logistic => (
            Network::builder(&[12288]).dense_init(1, Init::Zeros),
            FitConfig::new(Optimizer::gradient_descent(0.005)).iterations(2000),
        ),
        Workload::Deep => (
            Network::builder(&[12288])
                .init(Init::LeCunNormal)
                .dense(20)
                .relu()
                .dense(7)
                .relu()
                .dense(5)
                .relu()
                .dense(1),
            FitConfig::new(Optimizer::gradient_descent(0.0075)).iterations(2500),
        ),
    };
    let mut net = builder
        .loss(Loss::BinaryCrossEntropy)
        .build(backend, &mut rng)?;
    let started = Instant::now();
    net.fit(&x, &y, &config, &mut rng)?;
    let seconds = started.elapsed().as_secs_f64();
    let accuracy =
        |net: &mut Network<f32>, x, y| net.evaluate(x, y).map(|e| e.accuracy.unwrap_or(f64::NAN));
    Ok(WorkloadResult {
        seconds,
        train_accuracy: accuracy(&mut net, &x, &y)?,
        test_accuracy: accuracy(&mut net, &x_test, &y_test)?,
    })
}
