//! Every layer and loss passes gradient checking in f64: back-propagation agrees with centred
//! finite differences to a relative error below 1e-7.

mod common;

use nn_core::layer::{Layer, Mode};
use nn_core::persist::LayerRecord;
use nn_core::{
    Activation, Backend, GradCheck, Init, Loss, Network, NetworkBuilder, Reference, Rng, Tensor,
};

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
        assert!(
            t.relative_error < TOLERANCE,
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
        "identity" => b.activation(Activation::Identity),
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

/// A layer computing `2x` whose backward wrongly passes the gradient through unscaled.
struct WrongDouble {
    shape: Vec<usize>,
    out: Tensor<f64>,
    dx: Tensor<f64>,
}

impl Layer<f64> for WrongDouble {
    fn name(&self) -> String {
        "WrongDouble".into()
    }
    fn kind(&self) -> &'static str {
        "wrong_double"
    }
    fn input_shape(&self) -> &[usize] {
        &self.shape
    }
    fn output_shape(&self) -> &[usize] {
        &self.shape
    }
    fn forward(
        &mut self,
        backend: &dyn Backend<f64>,
        x: &Tensor<f64>,
        _: Mode<'_>,
    ) -> nn_core::Result<()> {
        self.out = Tensor::zeros(x.shape());
        backend.axpy(2.0, x.data(), self.out.data_mut());
        Ok(())
    }
    fn output(&self) -> &Tensor<f64> {
        &self.out
    }
    fn backward(
        &mut self,
        _: &dyn Backend<f64>,
        _: &Tensor<f64>,
        d: &Tensor<f64>,
        _: bool,
    ) -> nn_core::Result<()> {
        self.dx = d.clone(); // should be 2·d
        Ok(())
    }
    fn input_grad(&self) -> &Tensor<f64> {
        &self.dx
    }
    fn record(&self) -> LayerRecord {
        LayerRecord {
            kind: self.kind().into(),
            config: Vec::new(),
            params: Vec::new(),
        }
    }
}

#[test]
fn gradient_check_catches_a_wrong_backward() {
    let (x, y) = data(6, 4, 1, 6);
    let y = Tensor::from_vec(&[6, 1], y.data().iter().map(|v| v.round()).collect()).unwrap();
    let mut net = hidden("tanh")
        .layer(|shape, _, _| {
            Ok(Box::new(WrongDouble {
                shape: shape.to_vec(),
                out: Tensor::zeros(&[0]),
                dx: Tensor::zeros(&[0]),
            }))
        })
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
