//! Gradient checking (the course's week 5, third assignment): back-propagation of a
//! `[4, 5, 3, 1]` ReLU network against centred differences, then with the course's planted
//! bug (`dW2` doubled, `db1` quadrupled), which the check must catch.

use anyhow::Result;
use nn_core::layer::{ActivationLayer, Dense, Layer, LayerSpec, Mode, ParamMut, Scratch};
use nn_core::{Activation, Backend, GradCheck, Init, Loss, Network, Reference, Rng, Tensor};

use super::Table;

/// A dense layer whose backward pass scales one of its gradients: the course's planted bug.
struct Planted {
    inner: Dense<f64>,
    param: &'static str,
    factor: f64,
}

impl Layer<f64> for Planted {
    fn spec(&self) -> LayerSpec {
        self.inner.spec()
    }
    fn name(&self) -> String {
        self.inner.name()
    }
    fn input_shape(&self) -> &[usize] {
        self.inner.input_shape()
    }
    fn output_shape(&self) -> &[usize] {
        self.inner.output_shape()
    }
    fn forward(
        &mut self,
        b: &dyn Backend<f64>,
        x: &Tensor<f64>,
        mode: Mode<'_>,
    ) -> nn_core::Result<()> {
        self.inner.forward(b, x, mode)
    }
    fn infer(
        &self,
        b: &dyn Backend<f64>,
        x: &Tensor<f64>,
        out: &mut Tensor<f64>,
        scratch: &mut Scratch<f64>,
    ) -> nn_core::Result<()> {
        self.inner.infer(b, x, out, scratch)
    }
    fn output(&self) -> &Tensor<f64> {
        self.inner.output()
    }
    fn backward(
        &mut self,
        b: &dyn Backend<f64>,
        x: &Tensor<f64>,
        d_out: &Tensor<f64>,
        need_input_grad: bool,
    ) -> nn_core::Result<()> {
        self.inner.backward(b, x, d_out, need_input_grad)?;
        let (param, factor) = (self.param, self.factor);
        self.inner.visit_params(&mut |p: ParamMut<'_, f64>| {
            if p.name == param {
                p.grad.data_mut().iter_mut().for_each(|g| *g *= factor);
            }
        });
        Ok(())
    }
    fn input_grad(&self) -> &Tensor<f64> {
        self.inner.input_grad()
    }
    fn visit_params(&mut self, visit: &mut dyn FnMut(ParamMut<'_, f64>)) {
        self.inner.visit_params(visit)
    }
    fn params(&self) -> Vec<&Tensor<f64>> {
        self.inner.params()
    }
}

/// The course's network on `x` (`(3, 4)`): with `bugs`, layer 1's `b` gradient ×4 and layer
/// 2's `W` gradient ×2.
fn network(bugs: bool, rng: &mut Rng) -> Result<Network<f64>> {
    let dense = |n_in, n_out, rng: &mut Rng| Dense::<f64>::new(n_in, n_out, Init::He, rng);
    let relu =
        |n| Box::new(ActivationLayer::<f64>::new(Activation::Relu, &[n])) as Box<dyn Layer<f64>>;
    let (d1, d2, d3) = (dense(4, 5, rng), dense(5, 3, rng), dense(3, 1, rng));
    let layers: Vec<Box<dyn Layer<f64>>> = if bugs {
        vec![
            Box::new(Planted {
                inner: d1,
                param: "b",
                factor: 4.0,
            }),
            relu(5),
            Box::new(Planted {
                inner: d2,
                param: "W",
                factor: 2.0,
            }),
            relu(3),
            Box::new(d3),
        ]
    } else {
        vec![Box::new(d1), relu(5), Box::new(d2), relu(3), Box::new(d3)]
    };
    Ok(Network::from_layers(
        Reference,
        &[4],
        layers,
        Loss::BinaryCrossEntropy,
    )?)
}

/// Runs the experiment.
pub fn run(seed: u64) -> Result<()> {
    let mut rng = Rng::seed(seed);
    let x: Vec<f64> = (0..12).map(|_| rng.normal::<f64>()).collect();
    let x = Tensor::from_vec(&[3, 4], x)?;
    let y = Tensor::from_vec(&[3, 1], vec![1.0, 0.0, 1.0])?;
    let mut table = Table::new();
    for (bugs, course) in [(false, "< 1e-7: correct"), (true, "0.285: a mistake")] {
        let mut net = network(bugs, &mut Rng::seed(seed + 1))?;
        let report = net.gradient_check(&x, &y, &GradCheck::default(), &rng)?;
        for t in &report.tensors {
            println!(
                "{} layer {} ({}) {}: relative error {:.3e}",
                if bugs { "planted bug:" } else { "correct:    " },
                t.layer,
                t.layer_name,
                t.param,
                t.relative_error
            );
        }
        let worst = report.max_relative_error();
        let verdict = if worst < 1e-7 { "correct" } else { "a mistake" };
        let what = if bugs {
            "with the planted bug (dW2 ×2, db1 ×4): the worst tensor"
        } else {
            "back-propagation of [4, 5, 3, 1], f64: the worst tensor"
        };
        table.row(what, course, format!("{worst:.3e}: {verdict}"));
    }
    table.print();
    println!(
        "(the course reports one relative difference over all parameters; ours is per tensor: \
         a gradient ×2 is 1/3 off, ×4 is 3/5)"
    );
    Ok(())
}
