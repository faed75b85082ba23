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
use nn_data::{course_h5, idx, DataError, Dataset};

/// A workload of `WORKLOADS.md`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Workload {
    /// Logistic regression on `faces_h5`: zero init, full-batch gradient descent, lr 0.005,
    /// 2000 iterations.
    Logistic,
    /// `[12288, 20, 7, 5, 1]`, ReLU, `W ~ N(0,1)/√n_in`: full-batch gradient descent, lr 0.0075,
    /// 2500 iterations.
    Deep,
    /// `[784, 128, 64, 10]`, ReLU, softmax on `mnist5k`: Adam lr 1e-3, batch 64, shuffled,
    /// 10 epochs.
    Mlp,
}

impl Workload {
    /// The name used in reports.
    pub fn name(self) -> &'static str {
        match self {
            Workload::Logistic => "logistic",
            Workload::Deep => "deep",
            Workload::Mlp => "mlp",
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

/// A workload's data: training and test examples flattened to `(m, n_x)` with pixels in
/// `[0, 1]`, labels as an `(m, 1)` column of class indices.
pub struct Data {
    /// Training examples.
    pub x: Tensor<f32>,
    /// Training labels.
    pub y: Tensor<f32>,
    /// Test examples.
    pub x_test: Tensor<f32>,
    /// Test labels.
    pub y_test: Tensor<f32>,
}

impl Data {
    fn from_sets(mut train: Dataset, mut test: Dataset) -> Data {
        train.scale(1.0 / 255.0);
        test.scale(1.0 / 255.0);
        Data {
            y: train.y(),
            x: train.into_flattened(),
            y_test: test.y(),
            x_test: test.into_flattened(),
        }
    }
}

/// Loads the data of `workload` from the folder `data` (the repository's `data/`):
/// `faces_h5/` for `logistic` and `deep`, `mnist5k/` for `mlp`.
///
/// # Errors
///
/// The loader's error, naming the file.
pub fn load(workload: Workload, data: &Path) -> Result<Data, DataError> {
    match workload {
        Workload::Logistic | Workload::Deep => {
            let train = course_h5::read_train(&data.join("faces_h5/train_faces.h5"))?;
            let test = course_h5::read_test(&data.join("faces_h5/test_faces.h5"))?;
            Ok(Data::from_sets(train.into(), test.into()))
        }
        Workload::Mlp => {
            let [train, test] = idx::mnist(&data.join("mnist5k"))?;
            Ok(Data::from_sets(train, test))
        }
    }
}

/// Trains `workload` on `data` with `backend` and times the training (the data is already in
/// memory).
///
/// # Errors
///
/// A training error from `nn-core` (none is expected on these workloads).
pub fn run(
    workload: Workload,
    data: &Data,
    backend: Arc<dyn Backend<f32>>,
) -> Result<WorkloadResult, nn_core::Error> {
    let mut rng = Rng::seed(1);
    let (builder, config) = match workload {
        Workload::Logistic => (
            Network::builder(&[12288])
                .dense_init(1, Init::Zeros)
                .loss(Loss::BinaryCrossEntropy),
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
                .dense(1)
                .loss(Loss::BinaryCrossEntropy),
            FitConfig::new(Optimizer::gradient_descent(0.0075)).iterations(2500),
        ),
        Workload::Mlp => (
            Network::builder(&[784])
                .init(Init::He)
                .dense(128)
                .relu()
                .dense(64)
                .relu()
                .dense(10)
                // Softmax is fused into the loss (the network outputs logits).
                .loss(Loss::CategoricalCrossEntropy),
            FitConfig::new(Optimizer::adam(1e-3))
                .epochs(10)
                .batch_size(64),
        ),
    };
    let mut net = builder.build(backend, &mut rng)?;
    let started = Instant::now();
    net.fit(&data.x, &data.y, &config, &mut rng)?;
    let seconds = started.elapsed().as_secs_f64();
    let accuracy =
        |net: &mut Network<f32>, x, y| net.evaluate(x, y).map(|e| e.accuracy.unwrap_or(f64::NAN));
    Ok(WorkloadResult {
        seconds,
        train_accuracy: accuracy(&mut net, &data.x, &data.y)?,
        test_accuracy: accuracy(&mut net, &data.x_test, &data.y_test)?,
    })
}
