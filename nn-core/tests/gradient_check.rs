//! Every layer and loss passes gradient checking in f64: back-propagation agrees with centred
//! finite differences to a relative error below 1e-7.

mod common;

use nn_core::layer::{IdentityConfig, Layer, LayerConfig, LayerSpec, Mode, Scratch};
use nn_core::{
    Backend, Float, GradCheck, Init, Loss, Network, NetworkBuilder, Reference, Rng, Tensor,
};
use serde::{Deserialize, Serialize};

const TOLERANCE: f64 = 1e-7;

fn check(
    name: &str,
    builder: NetworkBuilder<f64>,
    x: &Tensor<f64>,
    y: &Tensor<f64>,
    l2: f64,
) -> f64 {
    let mut rng = Rng::seed(11);
    let mut net = builder.build(Reference, &mut rng).unwrap();
    let report = net
        .gradient_check(
            x,
            y,
            &GradCheck {
                l2,
                ..GradCheck::default()
            },
            &Rng::seed(5),
        )
        .unwrap();
    for t in &report.tensors {
        println!(
            "{name:<28} layer {} {:<14} {:<2} {:>4} entries  relative error {:.2e}",
            t.layer, t.layer_name, t.param, t.checked, t.relative_error
        );
        // A bias just before batch norm: zero in theory, both sides next to nothing.
        assert!(
            t.relative_error < TOLERANCE || t.vanishing,
            "{name}: {} {} relative error {:.3e}",
            t.layer_name,
            t.param,
            t.relative_error
        );
        assert!(t.checked > 0);
    }
    report.max_relative_error()
}

fn data(m: usize, n: usize, k: usize, seed: u64) -> (Tensor<f64>, Tensor<f64>) {
    let mut rng = Rng::seed(seed);
    let x = common::normal(m, n, &mut rng);
    let y = Tensor::from_vec(&[m, k], (0..m * k).map(|_| rng.uniform(0.0, 1.0)).collect()).unwrap();
    (x, y)
}

fn hidden(activation: &str) -> NetworkBuilder<f64> {
    let b = Network::<f64>::builder(&[4])
        .init(Init::XavierNormal)
        .dense(5);
    match activation {
        "sigmoid" => b.sigmoid(),
        "tanh" => b.tanh(),
        "relu" => b.relu(),
        "leaky_relu" => b.leaky_relu(0.1),
        "softmax" => b.softmax(),
        "dropout" => b.relu().dropout(0.7),
        "identity" => b.layer(IdentityConfig {}),
        _ => panic!("unknown layer {activation}"),
    }
}

#[test]
fn every_activation_layer_with_binary_cross_entropy() {
    let (x, y) = data(7, 4, 1, 1);
    let y = Tensor::from_vec(&[7, 1], y.data().iter().map(|v| v.round()).collect()).unwrap();
    for a in [
        "identity",
        "sigmoid",
        "tanh",
        "relu",
        "leaky_relu",
        "softmax",
        "dropout",
    ] {
        check(
            a,
            hidden(a).dense(1).loss(Loss::BinaryCrossEntropy),
            &x,
            &y,
            0.0,
        );
    }
}

#[test]
fn categorical_cross_entropy_with_class_indices_and_one_hot() {
    let (x, _) = data(6, 4, 1, 2);
    let classes = Tensor::from_vec(&[6], vec![0.0, 2.0, 1.0, 2.0, 0.0, 1.0]).unwrap();
    check(
        "ce classes",
        hidden("tanh").dense(3).loss(Loss::CategoricalCrossEntropy),
        &x,
        &classes,
        0.0,
    );
    let mut soft = Tensor::zeros(&[6, 3]);
    for (i, row) in soft.data_mut().chunks_mut(3).enumerate() {
        row.copy_from_slice(&[0.2, 0.3, 0.5]);
        row.rotate_left(i % 3);
    }
    check(
        "ce distributions",
        hidden("relu").dense(3).loss(Loss::CategoricalCrossEntropy),
        &x,
        &soft,
        0.0,
    );
}

#[test]
fn mean_squared_error_and_a_softmax_output_layer() {
    let (x, y) = data(5, 4, 3, 3);
    check(
        "mse identity",
        hidden("leaky_relu").dense(3).loss(Loss::MeanSquaredError),
        &x,
        &y,
        0.0,
    );
    check(
        "mse softmax out",
        hidden("sigmoid")
            .dense(3)
            .softmax()
            .loss(Loss::MeanSquaredError),
        &x,
        &y,
        0.0,
    );
}

#[test]
fn l2_regularisation_and_a_deep_stack() {
    let (x, y) = data(8, 4, 1, 4);
    let y = Tensor::from_vec(&[8, 1], y.data().iter().map(|v| v.round()).collect()).unwrap();
    let deep = Network::<f64>::builder(&[4])
        .init(Init::He)
        .dense(6)
        .relu()
        .dense(5)
        .tanh()
        .dropout(0.8)
        .dense(4)
        .sigmoid()
        .dense(1);
    check(
        "deep + L2",
        deep.loss(Loss::BinaryCrossEntropy),
        &x,
        &y,
        0.7,
    );
}

#[test]
fn batch_norm_over_features_in_a_deep_stack() {
    let (x, y) = data(9, 4, 1, 6);
    let y = Tensor::from_vec(&[9, 1], y.data().iter().map(|v| v.round()).collect()).unwrap();
    let net = Network::<f64>::builder(&[4])
        .init(Init::XavierNormal)
        .dense(6)
        .batch_norm()
        .tanh()
        .dense(5)
        .batch_norm()
        .sigmoid()
        .dense(1)
        .batch_norm();
    check(
        "batch norm + L2",
        net.loss(Loss::BinaryCrossEntropy),
        &x,
        &y,
        0.3,
    );
    let classes = Tensor::from_vec(&[9], (0..9).map(|i| (i % 3) as f64).collect()).unwrap();
    let net = Network::<f64>::builder(&[4])
        .init(Init::He)
        .batch_norm()
        .dense(5)
        .tanh()
        .batch_norm()
        .dense(3);
    check(
        "batch norm first, softmax",
        net.loss(Loss::CategoricalCrossEntropy),
        &x,
        &classes,
        0.0,
    );
}

/// A layer computing `2x` whose backward wrongly passes the gradient through unscaled,
/// described like any other layer kind.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
struct WrongDoubleConfig {}

impl std::fmt::Display for WrongDoubleConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("WrongDouble")
    }
}

impl LayerConfig for WrongDoubleConfig {
    const KIND: &'static str = "wrong_double";
    fn output_shape(&self, input: &[usize]) -> nn_core::Result<Vec<usize>> {
        Ok(input.to_vec())
    }
    fn build<T: Float>(
        &self,
        input: &[usize],
        _: Init,
        _: &mut Rng,
    ) -> nn_core::Result<Box<dyn Layer<T>>> {
        Ok(Box::new(WrongDouble {
            shape: input.to_vec(),
            out: Tensor::zeros(&[0]),
            dx: Tensor::zeros(&[0]),
        }))
    }
}

struct WrongDouble<T> {
    shape: Vec<usize>,
    out: Tensor<T>,
    dx: Tensor<T>,
}

impl<T: Float> Layer<T> for WrongDouble<T> {
    fn spec(&self) -> LayerSpec {
        WrongDoubleConfig {}.into()
    }
    fn name(&self) -> String {
        "WrongDouble".into()
    }
    fn kind(&self) -> &'static str {
        WrongDoubleConfig::KIND
    }
    fn input_shape(&self) -> &[usize] {
        &self.shape
    }
    fn output_shape(&self) -> &[usize] {
        &self.shape
    }
    fn forward(
        &mut self,
        backend: &dyn Backend<T>,
        x: &Tensor<T>,
        _: Mode<'_>,
    ) -> nn_core::Result<()> {
        let mut out = std::mem::take(&mut self.out);
        self.infer(backend, x, &mut out, &mut Scratch::default())?;
        self.out = out;
        Ok(())
    }
    fn infer(
        &self,
        backend: &dyn Backend<T>,
        x: &Tensor<T>,
        out: &mut Tensor<T>,
        _: &mut Scratch<T>,
    ) -> nn_core::Result<()> {
        *out = Tensor::zeros(x.shape());
        backend.axpy(T::from_f64(2.0), x.data(), out.data_mut());
        Ok(())
    }
    fn output(&self) -> &Tensor<T> {
        &self.out
    }
    fn backward(
        &mut self,
        _: &dyn Backend<T>,
        _: &Tensor<T>,
        d: &Tensor<T>,
        _: bool,
    ) -> nn_core::Result<()> {
        self.dx = d.clone(); // should be 2·d
        Ok(())
    }
    fn input_grad(&self) -> &Tensor<T> {
        &self.dx
    }
}

#[test]
fn gradient_check_catches_a_wrong_backward() {
    let (x, y) = data(6, 4, 1, 6);
    let y = Tensor::from_vec(&[6, 1], y.data().iter().map(|v| v.round()).collect()).unwrap();
    let mut net = hidden("tanh")
        .layer(WrongDoubleConfig {})
        .dense(1)
        .loss(Loss::BinaryCrossEntropy)
        .build(Reference, &mut Rng::seed(1))
        .unwrap();
    let report = net
        .gradient_check(&x, &y, &GradCheck::default(), &Rng::seed(5))
        .unwrap();
    // The layers after the wrong one are right; the ones before it get half their gradient.
    assert!(
        report.tensors[0].relative_error > 0.3,
        "{:?}",
        report.tensors[0]
    );
    assert!(
        report.tensors[2].relative_error < TOLERANCE,
        "{:?}",
        report.tensors[2]
    );
}

#[test]
fn l1_and_l2_regularisation_together() {
    let (x, y) = data(8, 4, 1, 6);
    let y = Tensor::from_vec(&[8, 1], y.data().iter().map(|v| v.round()).collect()).unwrap();
    let mut net = Network::<f64>::builder(&[4])
        .init(Init::He)
        .dense(5)
        .tanh()
        .dense(1)
        .loss(Loss::BinaryCrossEntropy)
        .build(Reference, &mut Rng::seed(12))
        .unwrap();
    for (l1, l2) in [(0.9, 0.0), (0.4, 0.7)] {
        let settings = GradCheck {
            l1,
            l2,
            ..GradCheck::default()
        };
        let report = net
            .gradient_check(&x, &y, &settings, &Rng::seed(5))
            .unwrap();
        for t in &report.tensors {
            println!(
                "L1 {l1} L2 {l2} layer {} {:<2} relative error {:.2e}",
                t.layer, t.param, t.relative_error
            );
            assert!(t.relative_error < TOLERANCE, "{t:?}");
        }
    }
}
