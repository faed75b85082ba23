//! # nn-bench
//!
//! Benchmarks of this workspace (see `nn-bench/README.md`): `cargo bench -p nn-bench` runs the
//! criterion benchmarks in `benches/` (products from a for loop to `Simd` on all threads,
//! activations, convolution and pooling, one training step of each workload; `Reference` and
//! `Simd` on 1 thread and all), and the `workloads` binary runs the workloads of
//! `WORKLOADS.md` end to end, each in its own process, optionally alternating with this crate's
//! PyTorch and NumPy scripts (`peers/`) and printing a comparison table.

pub mod machine;
pub mod peers;

use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use nn_conv::presets::{Head, Preset};
use nn_core::{Backend, FitConfig, Init, Network, Optimizer, Rng, Tensor};
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
    /// Conv 3×3 1→8 pad 1, ReLU, max-pool 2; conv 3×3 8→16 pad 1, ReLU, max-pool 2; dense 10;
    /// softmax, on `mnist5k` as `(m, 28, 28, 1)`: Adam lr 1e-3, batch 64, 5 epochs.
    Cnn,
    /// The same blocks (3→8, 8→16) on `faces_h5` as `(m, 64, 64, 3)`, dense 2, softmax:
    /// Adam lr 1e-3, batch 32, 20 epochs.
    CnnRgb,
}

impl Workload {
    /// Every workload, in the order of `WORKLOADS.md`.
    pub const ALL: [Workload; 5] = [
        Workload::Logistic,
        Workload::Deep,
        Workload::Mlp,
        Workload::Cnn,
        Workload::CnnRgb,
    ];

    /// Floating-point operations of the matrix products and convolutions of a whole training
    /// run on `m` training examples (a multiply-add counts 2): per example and step, the forward
    /// product, the weight gradient and, except for the first layer, the input gradient, i.e.
    /// `2·MACs·(3 − [first layer])`. Element-wise work (activations, pooling, the optimiser) is
    /// not counted, so this is a floor of the work done.
    pub fn training_flops(self, m: usize) -> f64 {
        // Multiply-adds per example of each layer with weights, input first.
        let conv = |h: usize, w: usize, c_in: usize, f: usize| (h * w * f * 9 * c_in) as f64;
        let (macs, passes): (Vec<f64>, f64) = match self {
            Workload::Logistic => (vec![12288.0], 2000.0),
            Workload::Deep => (vec![12288.0 * 20.0, 20.0 * 7.0, 7.0 * 5.0, 5.0], 2500.0),
            Workload::Mlp => (vec![784.0 * 128.0, 128.0 * 64.0, 64.0 * 10.0], 10.0),
            Workload::Cnn => (
                vec![conv(28, 28, 1, 8), conv(14, 14, 8, 16), 784.0 * 10.0],
                5.0,
            ),
            Workload::CnnRgb => (
                vec![conv(64, 64, 3, 8), conv(32, 32, 8, 16), 4096.0 * 2.0],
                20.0,
            ),
        };
        let per_example: f64 = macs
            .iter()
            .enumerate()
            .map(|(i, &mac)| 2.0 * mac * if i == 0 { 2.0 } else { 3.0 })
            .sum();
        per_example * m as f64 * passes
    }

    /// The name used in reports.
    pub fn name(self) -> &'static str {
        match self {
            Workload::Logistic => "logistic",
            Workload::Deep => "deep",
            Workload::Mlp => "mlp",
            Workload::Cnn => "cnn",
            Workload::CnnRgb => "cnn-rgb",
        }
    }
}

/// What one run measured.
#[derive(Clone, Copy, Debug)]
pub struct WorkloadResult {
    /// Seconds of training and of the final train and test accuracies (data already in
    /// memory), as the peers' scripts time it.
    pub seconds: f64,
    /// The network's parameter count.
    pub parameters: usize,
    /// Accuracy on the training set after training.
    pub train_accuracy: f64,
    /// Accuracy on the test set.
    pub test_accuracy: f64,
}

/// A workload's data: training and test examples with pixels in `[0, 1]`, flattened to
/// `(m, n_x)` for the dense workloads and as `(m, h, w, c)` volumes for the convolutional
/// ones; labels as an `(m, 1)` column of class indices.
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
    /// Bytes of the examples and labels in memory (training and test).
    pub fn bytes(&self) -> usize {
        4 * (self.x.len() + self.y.len() + self.x_test.len() + self.y_test.len())
    }

    fn from_sets(mut train: Dataset, mut test: Dataset, volumes: bool) -> Data {
        train.scale(1.0 / 255.0);
        test.scale(1.0 / 255.0);
        let (y, y_test) = (train.y(), test.y());
        let x = |d: Dataset| {
            if volumes {
                d.into_x()
            } else {
                d.into_flattened()
            }
        };
        Data {
            y,
            x: x(train),
            y_test,
            x_test: x(test),
        }
    }
}

/// Loads the data of `workload` from the folder `data` (the repository's `data/`):
/// `faces_h5/` for `logistic` and `deep`, `mnist5k/` for `mlp`.
///
/// # Errors
///
/// The loader's error, naming the file.
pub fn load(workload: Workload, data: impl AsRef<Path>) -> Result<Data, DataError> {
    let data = data.as_ref();
    let volumes = matches!(workload, Workload::Cnn | Workload::CnnRgb);
    match workload {
        Workload::Logistic | Workload::Deep | Workload::CnnRgb => {
            let train = course_h5::read_train(data.join("faces_h5/train_faces.h5"))?;
            let test = course_h5::read_test(data.join("faces_h5/test_faces.h5"))?;
            Ok(Data::from_sets(train.into(), test.into(), volumes))
        }
        Workload::Mlp | Workload::Cnn => {
            let [train, test] = idx::mnist(data.join("mnist5k"))?;
            Ok(Data::from_sets(train, test, volumes))
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
    let (mut net, config) = network(workload, backend, &mut rng)?;
    let started = Instant::now();
    net.fit(&data.x, &data.y, &config, &mut rng)?;
    let accuracy =
        |net: &mut Network<f32>, x, y| net.evaluate(x, y).map(|e| e.accuracy.unwrap_or(f64::NAN));
    let train_accuracy = accuracy(&mut net, &data.x, &data.y)?;
    let test_accuracy = accuracy(&mut net, &data.x_test, &data.y_test)?;
    Ok(WorkloadResult {
        seconds: started.elapsed().as_secs_f64(),
        parameters: net.parameter_count(),
        train_accuracy,
        test_accuracy,
    })
}

/// The network of `workload`, initialised from `rng`, and how it is trained.
///
/// # Errors
///
/// A building error from `nn-core` (none is expected).
pub fn network(
    workload: Workload,
    backend: Arc<dyn Backend<f32>>,
    rng: &mut Rng,
) -> Result<(Network<f32>, FitConfig), nn_core::Error> {
    let (builder, config) = match workload {
        Workload::Logistic => (
            Preset::Logistic.builder(&[12288], Head::Binary, None),
            FitConfig::new(Optimizer::gradient_descent(0.005)).iterations(2000),
        ),
        // The course's initialiser, N(0, 1)/√n_in.
        Workload::Deep => (
            Preset::Mlp(vec![20, 7, 5]).builder(&[12288], Head::Binary, Some(Init::LeCunNormal)),
            FitConfig::new(Optimizer::gradient_descent(0.0075)).iterations(2500),
        ),
        // Softmax is fused into the loss (the network outputs logits).
        Workload::Mlp => (
            Preset::Mlp(vec![128, 64]).builder(&[784], Head::Categorical(10), None),
            FitConfig::new(Optimizer::adam(1e-3))
                .epochs(10)
                .batch_size(64),
        ),
        Workload::Cnn | Workload::CnnRgb => {
            let (input, classes, epochs, batch) = match workload {
                Workload::Cnn => ([28, 28, 1], 10, 5, 64),
                _ => ([64, 64, 3], 2, 20, 32),
            };
            (
                Preset::SmallCnn.builder(&input, Head::Categorical(classes), None),
                FitConfig::new(Optimizer::adam(1e-3))
                    .epochs(epochs)
                    .batch_size(batch),
            )
        }
    };
    Ok((builder.build(backend, rng)?, config))
}

/// The README's Rust examples that are complete programs run as doc tests here (the crate
/// that depends on every other); the fragments are marked `ignore`.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
pub struct ReadmeDoctests;
