//! Golden tests against PyTorch's own numbers: the fixtures of `data/torch/`, written by
//! `data/torch/make_fixtures.py` (run by hand; these tests need no Python). Each test feeds
//! our layer, loss or optimiser PyTorch's inputs and parameters and compares what comes out by
//! the rule of `golden/mod.rs`. The core layers, losses, optimisers and an MLP trained for 3
//! steps here; convolution, pooling, flatten and a CNN in nn-conv's `torch_golden`.

mod golden;

use golden::{build, check_layer, check_state, key, Fixture, F32_RTOL, F64_RTOL};
use nn_core::layer::{
    BatchNormConfig, DenseConfig, Dropout, IdentityConfig, Layer, LayerSpec, LeakyReluConfig, Mode,
    ParamMut, ReluConfig, SigmoidConfig, SoftmaxConfig, TanhConfig,
};
use nn_core::optim::OptimizerState;
use nn_core::{torch, FitConfig, Float, Loss, Network, Optimizer, Reference, Rng, Tensor};

fn setting(f: &Fixture, name: &str) -> f64 {
    f.settings()[name].as_f64().unwrap()
}

fn dense<T: Float>(file: &str, rtol: f64) {
    let mut f = Fixture::open(file, rtol);
    let mut layer = build::<T>(DenseConfig::new(3), &[5]);
    check_layer(
        &mut f,
        &Reference,
        ("", &["weight", "bias"]),
        &mut *layer,
        Mode::Eval,
    );
    f.report();
}

#[test]
fn dense_is_nn_linear() {
    dense::<f64>("dense.safetensors", F64_RTOL);
    dense::<f32>("dense_f32.safetensors", F32_RTOL);
}

#[test]
fn activations_are_torchs() {
    let mut f = Fixture::open("activations.safetensors", F64_RTOL);
    let slope = setting(&f, "leaky_relu_slope");
    let cases: [(&str, LayerSpec); 5] = [
        ("relu", ReluConfig {}.into()),
        ("leaky_relu", LeakyReluConfig { slope }.into()),
        ("tanh", TanhConfig {}.into()),
        ("sigmoid", SigmoidConfig {}.into()),
        ("identity", IdentityConfig {}.into()),
    ];
    for (name, spec) in cases {
        let mut layer = build::<f64>(spec, &[7]);
        check_layer(&mut f, &Reference, (name, &[]), &mut *layer, Mode::Eval);
    }
    f.report();
}

#[test]
fn softmax_is_nn_softmax() {
    let mut f = Fixture::open("softmax.safetensors", F64_RTOL);
    let mut layer = build::<f64>(SoftmaxConfig {}, &[5]);
    check_layer(&mut f, &Reference, ("", &[]), &mut *layer, Mode::Eval);
    f.report();
}

#[test]
fn dropout_with_torchs_mask_is_f_dropout() {
    let mut f = Fixture::open("dropout.safetensors", F64_RTOL);
    let rate = setting(&f, "rate");
    let (x, keep) = (f.tensor::<f64>("x"), f.tensor::<f64>("keep"));
    let dropped = keep.data().iter().filter(|&&k| k == 0.0).count();
    assert!(
        dropped > 0 && dropped < keep.len(),
        "a mask that drops some"
    );
    let mut layer = Dropout::<f64>::with_rate(rate, &x.shape()[1..]).unwrap();
    layer.forward_with_mask(&Reference, &x, &keep).unwrap();
    f.check("out", layer.output(), "out");
    layer
        .backward(&Reference, &x, &f.tensor("d_out"), true)
        .unwrap();
    f.check("d_x", layer.input_grad(), "d_x");
    f.report();
}

/// One batch norm case: running statistics set, a training or evaluation step, and the
/// running statistics after it.
fn batch_norm_case(f: &mut Fixture, prefix: &str, train: bool) {
    let x = f.tensor::<f64>(&key(prefix, "x"));
    let mut layer = build::<f64>(BatchNormConfig::default(), &x.shape()[1..]);
    let mut stats = [
        f.tensor::<f64>(&key(prefix, "running_mean")),
        f.tensor(&key(prefix, "running_var")),
    ]
    .into_iter();
    layer.visit_buffers(&mut |b| b.data_mut().copy_from_slice(stats.next().unwrap().data()));
    let mut rng = Rng::seed(0);
    let mode = if train {
        Mode::Train(&mut rng)
    } else {
        Mode::Eval
    };
    check_layer(
        f,
        &Reference,
        (prefix, &["weight", "bias"]),
        &mut *layer,
        mode,
    );
    let after = [layer.buffers()[0].clone(), layer.buffers()[1].clone()];
    f.check(
        &format!("{prefix} running mean"),
        &after[0],
        &key(prefix, "new_running_mean"),
    );
    f.check(
        &format!("{prefix} running var"),
        &after[1],
        &key(prefix, "new_running_var"),
    );
}

#[test]
fn batch_norm_is_batchnorm1d_and_2d_in_training() {
    let mut f = Fixture::open("batch_norm.safetensors", F64_RTOL);
    let ours = BatchNormConfig::default();
    assert_eq!(setting(&f, "momentum"), ours.momentum);
    assert_eq!(setting(&f, "epsilon"), ours.epsilon);
    batch_norm_case(&mut f, "bn1d_train", true);
    batch_norm_case(&mut f, "bn2d_train", true);
    f.report();
}

#[test]
fn batch_norm_is_batchnorm1d_and_2d_in_evaluation() {
    let mut f = Fixture::open("batch_norm.safetensors", F64_RTOL);
    batch_norm_case(&mut f, "bn1d_eval", false);
    batch_norm_case(&mut f, "bn2d_eval", false);
    f.report();
}

#[test]
fn losses_are_torchs_cost_and_gradient() {
    let mut f = Fixture::open("losses.safetensors", F64_RTOL);
    let cases = [
        ("bce", Loss::BinaryCrossEntropy),
        ("ce", Loss::CategoricalCrossEntropy),
        ("mse", Loss::MeanSquaredError),
    ];
    for (name, loss) in cases {
        let z = f.tensor::<f64>(&key(name, "z"));
        let y = loss
            .prepare_targets(&f.tensor(&key(name, "y")), z.row_len())
            .unwrap();
        let mut dz = Tensor::default();
        let cost = loss.cost_and_grad(&Reference, &z, &y, &mut dz).unwrap();
        let torch_cost = f.tensor::<f64>(&key(name, "cost")).data()[0];
        f.check_values(&format!("{name} cost"), &[cost], &[torch_cost]);
        f.check(&format!("{name} dz"), &dz, &key(name, "dz"));
    }
    f.report();
}

/// Our optimiser `name` from the fixture's settings: the fields of `variant`.
fn optimizer(f: &Fixture, name: &str, variant: &str) -> Optimizer {
    let fields = f.settings()["optimizers"][name].clone();
    assert!(fields.is_object(), "no settings for {name}");
    serde_json::from_value(serde_json::json!({ variant: fields })).unwrap()
}

/// Three steps of optimiser `name` on a weight (decayed by AdamW) and a bias (not decayed)
/// with PyTorch's gradients, each step's values compared.
fn optimizer_steps(f: &mut Fixture, name: &str, variant: &str) {
    let opt = optimizer(f, name, variant);
    let tensor = |f: &Fixture, p: &str, what: &str| f.tensor::<f64>(&format!("{name}.{p}.{what}"));
    let (mut w, mut b) = (tensor(f, "weight", "0"), tensor(f, "bias", "0"));
    let mut state = OptimizerState::new(opt, &[w.len(), b.len()]);
    for step in 1..=3 {
        let mut gw = tensor(f, "weight", &format!("grad.{step}"));
        let mut gb = tensor(f, "bias", &format!("grad.{step}"));
        let params = vec![
            ParamMut {
                name: "W",
                value: &mut w,
                grad: &mut gw,
                decay: true,
            },
            ParamMut {
                name: "b",
                value: &mut b,
                grad: &mut gb,
                decay: false,
            },
        ];
        state.apply(&Reference, opt.lr(), params).unwrap();
        f.check(
            &format!("{name} step {step} W"),
            &w,
            &format!("{name}.weight.{step}"),
        );
        f.check(
            &format!("{name} step {step} b"),
            &b,
            &format!("{name}.bias.{step}"),
        );
    }
}

#[test]
fn optimisers_update_as_torchs() {
    let mut f = Fixture::open("optimizers.safetensors", F64_RTOL);
    let cases = [
        ("gd", "GradientDescent"),
        ("momentum", "Momentum"),
        ("nesterov", "Nesterov"),
        ("rmsprop", "RmsProp"),
        ("adam", "Adam"),
        ("adamw", "AdamW"),
    ];
    for (name, variant) in cases {
        optimizer_steps(&mut f, name, variant);
    }
    f.report();
}

/// The MLP of the fixture `file` from PyTorch's initial weights, trained by 3 full-batch
/// steps of `run` (`adam` or `gd`), against PyTorch's weights after the same steps.
fn mlp<T: Float>(file: &str, rtol: f64, run: &str) {
    let mut f = Fixture::open(file, rtol);
    let lr = f.settings()["lr"][run].as_f64().unwrap();
    let opt = match run {
        "adam" => Optimizer::adam(lr),
        _ => Optimizer::gradient_descent(lr),
    };
    let mut net = Network::<T>::builder(&[5])
        .dense(8)
        .relu()
        .dense(4)
        .relu()
        .dense(3)
        .loss(Loss::CategoricalCrossEntropy)
        .build(Reference, &mut Rng::seed(0))
        .unwrap();
    let initial = f.sub("init.");
    torch::import(&mut net, &initial).unwrap();
    let imported = torch::export(&net).unwrap().state;
    check_state(&mut f, "imported", (&imported, &initial), &[]);
    let (x, y) = (f.tensor::<T>("x"), f.tensor::<T>("y"));
    let config = FitConfig::new(opt).epochs(3);
    let history = net.fit(&x, &y, &config, &mut Rng::seed(0)).unwrap();
    assert_eq!(
        history.step_costs.len(),
        3,
        "full batch: one step per epoch"
    );
    let expected = f.sub(&format!("{run}."));
    let label = format!("{run} after 3 steps");
    let trained = torch::export(&net).unwrap().state;
    check_state(&mut f, &label, (&trained, &expected), &[]);
    f.report();
}

#[test]
fn an_mlp_trains_as_in_pytorch() {
    mlp::<f64>("mlp.safetensors", F64_RTOL, "adam");
    mlp::<f64>("mlp.safetensors", F64_RTOL, "gd");
    mlp::<f32>("mlp_f32.safetensors", F32_RTOL, "adam");
    mlp::<f32>("mlp_f32.safetensors", F32_RTOL, "gd");
}
