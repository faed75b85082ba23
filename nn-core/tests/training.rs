//! Networks learn what they should: logistic regression separates a separable set but not XOR,
//! a small tanh network learns XOR, a regression net fits a noisy line, every optimiser lowers
//! the cost, the stopping rules stop, and the same seed gives the same weights.

mod common;

use nn_core::{
    Control, Decay, EpochRecord, Error, FitConfig, Init, Loss, Network, Observer, Optimizer,
    Reference, Rng, StepInfo, StopReason, Tensor,
};

fn logistic(rng: &mut Rng) -> Network<f32> {
    Network::builder(&[2])
        .dense_init(1, Init::Zeros)
        .loss(Loss::BinaryCrossEntropy)
        .build(Reference, rng)
        .unwrap()
}

fn tanh_net(rng: &mut Rng) -> Network<f32> {
    Network::builder(&[2])
        .init(Init::XavierNormal)
        .dense(8)
        .tanh()
        .dense(1)
        .loss(Loss::BinaryCrossEntropy)
        .build(Reference, rng)
        .unwrap()
}

#[test]
fn logistic_regression_separates_a_linearly_separable_set() {
    let mut rng = Rng::seed(1);
    let (x, y) = common::separable::<f32>(200, &mut rng);
    let mut net = logistic(&mut rng);
    let history = net
        .fit(
            &x,
            &y,
            &FitConfig::new(Optimizer::gradient_descent(1.0)).iterations(2000),
            &mut rng,
        )
        .unwrap();
    assert_eq!(history.step_costs.len(), 2000);
    assert!(history.final_cost() < history.step_costs[0] / 4.0);
    assert_eq!(common::accuracy(&net.predict(&x).unwrap(), &y), 1.0);
}

#[test]
fn a_tanh_network_learns_xor_where_a_single_neuron_cannot() {
    let mut rng = Rng::seed(2);
    let (x, y) = common::xor::<f32>(200, &mut rng);
    let config = FitConfig::new(Optimizer::adam(0.05))
        .epochs(300)
        .batch_size(50);

    let mut single = logistic(&mut rng);
    single.fit(&x, &y, &config, &mut rng).unwrap();
    let single_acc = common::accuracy(&single.predict(&x).unwrap(), &y);
    assert!(
        single_acc < 0.8,
        "one neuron cannot draw XOR, yet got {single_acc}"
    );

    let mut net = tanh_net(&mut rng);
    net.fit(&x, &y, &config, &mut rng).unwrap();
    assert_eq!(common::accuracy(&net.predict(&x).unwrap(), &y), 1.0);
    let (xt, yt) = common::xor::<f32>(200, &mut rng);
    assert_eq!(
        common::accuracy(&net.predict(&xt).unwrap(), &yt),
        1.0,
        "new XOR points"
    );
}

#[test]
fn a_regression_net_fits_a_noisy_linear_target() {
    // y = 3·x0 − 2·x1 + 0.5 + noise, noise ~ N(0, 0.1²).
    let mut rng = Rng::seed(3);
    let x = common::normal::<f64>(500, 2, &mut rng);
    let y: Vec<f64> = (0..500)
        .map(|i| 3.0 * x.row(i)[0] - 2.0 * x.row(i)[1] + 0.5 + 0.1 * rng.normal::<f64>())
        .collect();
    let y = Tensor::from_vec(&[500, 1], y).unwrap();
    let mut net = Network::builder(&[2])
        .dense_init(1, Init::Zeros)
        .loss(Loss::MeanSquaredError)
        .build(Reference, &mut rng)
        .unwrap();
    net.fit(
        &x,
        &y,
        &FitConfig::new(Optimizer::gradient_descent(0.1)).iterations(500),
        &mut rng,
    )
    .unwrap();
    let params = net.parameters();
    let (w, b) = (params[0].data(), params[1].data()[0]);
    assert!(
        (w[0] - 3.0).abs() < 0.03 && (w[1] + 2.0).abs() < 0.03 && (b - 0.5).abs() < 0.03,
        "w {w:?} b {b}"
    );
    // The remaining cost is the noise's: ½·0.1² = 0.005.
    let eval = net.evaluate(&x, &y).unwrap();
    assert!((eval.loss - 0.005).abs() < 0.0015, "{}", eval.loss);
    assert!(eval.accuracy.is_none() && eval.confusion.is_none());
    let out = net.predict_proba(&x).unwrap();
    assert_eq!(out.shape(), &[500, 1]);
    assert!(net.predict(&x).is_err(), "a regression net has no classes");
}

#[test]
fn every_optimiser_and_batch_size_lowers_the_cost() {
    let mut rng = Rng::seed(4);
    let (x, y) = common::xor::<f32>(128, &mut rng);
    let optimisers = [
        Optimizer::gradient_descent(0.5),
        Optimizer::momentum(0.5),
        Optimizer::rmsprop(0.01),
        Optimizer::adam(0.01),
        Optimizer::nesterov(0.2),
        Optimizer::adamw(0.01, 0.01),
    ];
    for optimizer in optimisers {
        for batch in [1, 16, 128] {
            let mut net = tanh_net(&mut Rng::seed(9));
            let before = net.evaluate(&x, &y).unwrap().loss;
            net.fit(
                &x,
                &y,
                &FitConfig::new(optimizer).iterations(1000).batch_size(batch),
                &mut rng,
            )
            .unwrap();
            let after = net.evaluate(&x, &y).unwrap().loss;
            assert!(
                after < 0.8 * before,
                "{optimizer:?} batch {batch}: {before} → {after}"
            );
        }
    }
}

#[test]
fn learning_rate_decay_is_applied_per_epoch() {
    let mut rng = Rng::seed(5);
    let (x, y) = common::separable::<f32>(64, &mut rng);
    let mut net = logistic(&mut rng);
    let decay = Decay::InverseTime {
        rate: 1.0,
        every: 2,
    };
    let h = net
        .fit(
            &x,
            &y,
            &FitConfig::new(Optimizer::gradient_descent(0.6))
                .epochs(6)
                .batch_size(16)
                .decay(decay),
            &mut rng,
        )
        .unwrap();
    let lrs: Vec<f64> = h.epochs.iter().map(|e| e.lr).collect();
    for (lr, want) in lrs.iter().zip([0.6, 0.6, 0.3, 0.3, 0.2, 0.2]) {
        assert!((lr - want).abs() < 1e-15, "{lrs:?}");
    }
    assert_eq!(h.step_costs.len(), 6 * 4);
}

#[test]
fn schedules_change_the_rate_at_every_step() {
    let mut rng = Rng::seed(5);
    let (x, y) = common::separable::<f32>(64, &mut rng);
    let mut net = logistic(&mut rng);
    let decay = Decay::Cosine {
        warmup: 1.0,
        epochs: 4,
        min_factor: 0.0,
    };
    let mut lrs = Vec::new();
    struct Rates<'a>(&'a mut Vec<f64>);
    impl Observer for Rates<'_> {
        fn on_step(&mut self, s: &StepInfo) -> Control {
            self.0.push(s.lr);
            Control::Continue
        }
    }
    let config = FitConfig::new(Optimizer::adam(0.1))
        .epochs(4)
        .batch_size(16)
        .decay(decay);
    net.fit_with(&x, &y, None, &config, &mut rng, &mut Rates(&mut lrs))
        .unwrap();
    // Four steps per epoch: warm-up 0.025, 0.05, 0.075, 0.1, then the cosine down to 0.
    for (lr, want) in lrs.iter().zip([0.025, 0.05, 0.075, 0.1]) {
        assert!((lr - want).abs() < 1e-15, "{lrs:?}");
    }
    assert!(lrs[4..].windows(2).all(|w| w[1] < w[0]), "{lrs:?}");
    assert!(lrs[15].abs() < 1e-15, "{lrs:?}");
}

#[test]
fn adamw_decays_weights_that_adam_leaves_alone() {
    // Zero inputs: the weights' gradient is zero, so Adam keeps them and AdamW shrinks them by
    // (1 − α·λ) per step; the output is the bias alone, and the bias (not decayed) takes the
    // same steps under both.
    let rng = Rng::seed(6);
    let x = Tensor::<f32>::zeros(&[4, 2]);
    let y = Tensor::from_vec(&[4, 1], vec![1.0, 1.0, 1.0, 0.0]).unwrap();
    let neuron = || {
        Network::<f32>::builder(&[2])
            .dense_init(1, Init::XavierNormal)
            .loss(Loss::BinaryCrossEntropy)
            .build(Reference, &mut Rng::seed(1))
            .unwrap()
    };
    let weights = |optimizer| {
        let mut net = neuron();
        let config = FitConfig::new(optimizer).iterations(10);
        net.fit(&x, &y, &config, &mut rng.clone()).unwrap();
        net.parameters()
            .iter()
            .map(|p| p.data().to_vec())
            .collect::<Vec<_>>()
    };
    let adam = weights(Optimizer::adam(0.1));
    let adamw = weights(Optimizer::adamw(0.1, 0.5));
    let start = neuron().parameters()[0].data()[1];
    assert!(start != 0.0);
    assert_eq!(adam[0][1], start);
    let shrunk = start * 0.95f32.powi(10);
    assert!(
        (adamw[0][1] - shrunk).abs() < 1e-6,
        "{} vs {shrunk}",
        adamw[0][1]
    );
    // The bias moved by the same Adam steps in both.
    assert_eq!(adam[1], adamw[1]);
}

#[test]
fn l1_moves_each_weight_by_a_fixed_step_toward_zero() {
    // Zero inputs give the weights no data gradient: plain gradient descent with L1 then moves
    // each weight by exactly α·λ₁/m per step toward zero, whatever its size, and no bias.
    let x = Tensor::<f64>::zeros(&[4, 2]);
    let y = Tensor::from_vec(&[4, 1], vec![1.0, 1.0, 1.0, 0.0]).unwrap();
    let mut net = Network::<f64>::builder(&[2])
        .dense_init(1, Init::XavierNormal)
        .loss(Loss::BinaryCrossEntropy)
        .build(Reference, &mut Rng::seed(1))
        .unwrap();
    let before = net.parameters()[0].data().to_vec();
    let bias_before = net.parameters()[1].data()[0];
    let (lr, l1, steps) = (0.1, 0.2, 3);
    let config = FitConfig::new(Optimizer::GradientDescent { lr })
        .l1(l1)
        .iterations(steps);
    net.fit(&x, &y, &config, &mut Rng::seed(2)).unwrap();
    let step = lr * l1 / 4.0;
    for (w0, w) in before.iter().zip(net.parameters()[0].data()) {
        assert!(
            w0.abs() > 3.0 * step,
            "the test needs weights away from zero"
        );
        let expected = w0 - w0.signum() * step * steps as f64;
        assert!((w - expected).abs() < 1e-12, "{w} vs {expected}");
    }
    assert_ne!(
        net.parameters()[1].data()[0],
        bias_before,
        "the bias learns"
    );
    assert!(FitConfig::new(Optimizer::adam(0.1))
        .l1(-1.0)
        .validate()
        .is_err());
}

#[test]
fn stopping_rules() {
    let mut rng = Rng::seed(6);
    let (x, y) = common::separable::<f64>(100, &mut rng);

    // Gradient norm: logistic regression on separable data keeps a shrinking gradient.
    let mut net = Network::builder(&[2])
        .dense_init(1, Init::Zeros)
        .build(Reference, &mut rng)
        .unwrap();
    let h = net
        .fit(
            &x,
            &y,
            &FitConfig::new(Optimizer::gradient_descent(1.0))
                .iterations(100_000)
                .min_grad_norm(0.05),
            &mut rng,
        )
        .unwrap();
    let StopReason::GradientNorm(norm) = h.stop else {
        panic!("{:?}", h.stop)
    };
    assert!(norm <= 0.05 && h.step_costs.len() < 100_000);

    // Cost change.
    let mut net = Network::builder(&[2])
        .dense_init(1, Init::Zeros)
        .build(Reference, &mut rng)
        .unwrap();
    let h = net
        .fit(
            &x,
            &y,
            &FitConfig::new(Optimizer::gradient_descent(1.0))
                .epochs(100_000)
                .min_cost_change(1e-5),
            &mut rng,
        )
        .unwrap();
    assert!(
        matches!(h.stop, StopReason::CostChange(c) if c <= 1e-5),
        "{:?}",
        h.stop
    );
    let n = h.epochs.len();
    assert!((h.epochs[n - 1].cost - h.epochs[n - 2].cost).abs() <= 1e-5);

    // Max steps, across epochs.
    let mut net = Network::builder(&[2])
        .dense_init(1, Init::Zeros)
        .build(Reference, &mut rng)
        .unwrap();
    let h = net
        .fit(
            &x,
            &y,
            &FitConfig::new(Optimizer::gradient_descent(0.1))
                .iterations(37)
                .batch_size(10),
            &mut rng,
        )
        .unwrap();
    assert_eq!(
        (h.stop, h.step_costs.len(), h.epochs.len()),
        (StopReason::MaxSteps, 37, 4)
    );
}

/// 60 separable points with every fourth label flipped, and a wide ReLU net that memorises
/// them: its validation cost turns up after a while.
fn memorising_net(rng: &mut Rng) -> (Tensor<f64>, Tensor<f64>, Network<f64>) {
    let (x, mut y) = common::separable::<f64>(60, rng);
    for i in (0..60).step_by(4) {
        y.data_mut()[i] = 1.0 - y.data()[i]; // label noise
    }
    let net = Network::builder(&[2])
        .init(Init::He)
        .dense(64)
        .relu()
        .dense(64)
        .relu()
        .dense(1)
        .build(Reference, rng)
        .unwrap();
    (x, y, net)
}

#[test]
fn early_stopping_keeps_the_best_weights() {
    // A wide net memorises 40 noisy points; the validation cost turns up and training stops.
    let mut rng = Rng::seed(7);
    let (x, y, mut net) = memorising_net(&mut rng);
    let config = FitConfig::new(Optimizer::adam(0.01))
        .epochs(2000)
        .batch_size(8)
        .validation_split(0.3)
        .early_stopping(20);
    let h = net.fit(&x, &y, &config, &mut rng).unwrap();
    let StopReason::EarlyStopping { best_epoch } = h.stop else {
        panic!("did not stop early: {:?}", h.stop)
    };
    assert_eq!(h.epochs.len(), best_epoch + 21);
    let best = h.epochs[best_epoch].val_cost.unwrap();
    assert!(h.epochs.iter().all(|e| e.val_cost.unwrap() >= best));
    assert!(h.epochs.last().unwrap().val_cost.unwrap() > best);
    assert!(h
        .epochs
        .iter()
        .all(|e| e.accuracy.is_some() && e.val_accuracy.is_some()));
    // The weights put back are the best epoch's: re-evaluating the validation set gives its cost.
    let mut split_rng = Rng::seed(7);
    let _ = memorising_net(&mut split_rng);
    let order = split_rng.permutation(60);
    let val = &order[..18];
    let eval = net
        .evaluate(&x.gather_rows(val), &y.gather_rows(val))
        .unwrap();
    assert!(
        (eval.loss - best).abs() < 1e-12,
        "{} vs best {best}",
        eval.loss
    );
}

/// Stops at the end of epoch `.0` (0-based), as Ctrl-C does in `nn train`.
struct StopAtEpoch(usize);

impl Observer for StopAtEpoch {
    fn on_epoch(&mut self, e: &EpochRecord) -> Control {
        if e.epoch >= self.0 {
            Control::Stop
        } else {
            Control::Continue
        }
    }
}

#[test]
fn an_interrupted_run_with_early_stopping_keeps_the_best_weights_so_far() {
    let mut rng = Rng::seed(7);
    let (x, y, mut net) = memorising_net(&mut rng);
    let (train, val): (Vec<usize>, Vec<usize>) = (0..60).partition(|i| i % 3 != 0);
    let (xv, yv) = (x.gather_rows(&val), y.gather_rows(&val));
    // Patience never runs out: only the observer stops the run, after overfitting began.
    let config = FitConfig::new(Optimizer::adam(0.01))
        .epochs(2000)
        .batch_size(8)
        .early_stopping(100_000);
    let h = net
        .fit_with(
            &x.gather_rows(&train),
            &y.gather_rows(&train),
            Some((&xv, &yv)),
            &config,
            &mut rng,
            &mut StopAtEpoch(300),
        )
        .unwrap();
    assert_eq!(h.stop, StopReason::Observer);
    assert_eq!(h.epochs.len(), 301);
    let costs: Vec<f64> = h.epochs.iter().map(|e| e.val_cost.unwrap()).collect();
    let best = costs.iter().copied().fold(f64::INFINITY, f64::min);
    assert!(
        *costs.last().unwrap() > best,
        "the last epoch is not the best"
    );
    let eval = net.evaluate(&xv, &yv).unwrap();
    assert!(
        (eval.loss - best).abs() < 1e-12,
        "{} vs best {best}",
        eval.loss
    );
}

struct StopAfter(u64, Vec<u64>);

impl Observer for StopAfter {
    fn on_step(&mut self, s: &StepInfo) -> Control {
        self.1.push(s.step);
        if s.step >= self.0 {
            Control::Stop
        } else {
            Control::Continue
        }
    }
    fn on_epoch(&mut self, _: &EpochRecord) -> Control {
        Control::Continue
    }
}

#[test]
fn the_observer_sees_every_step_and_can_stop() {
    let mut rng = Rng::seed(8);
    let (x, y) = common::separable::<f32>(50, &mut rng);
    let mut net = logistic(&mut rng);
    let mut obs = StopAfter(12, Vec::new());
    let h = net
        .fit_with(
            &x,
            &y,
            None,
            &FitConfig::new(Optimizer::adam(0.1))
                .epochs(100)
                .batch_size(10),
            &mut rng,
            &mut obs,
        )
        .unwrap();
    assert_eq!(h.stop, StopReason::Observer);
    assert_eq!(obs.1, (1..=12).collect::<Vec<_>>());
    assert_eq!(net.training_summary().unwrap().steps, 12);
}

#[test]
fn divergence_stops_with_the_step() {
    let mut rng = Rng::seed(9);
    let x = Tensor::from_vec(&[4, 1], vec![1e3f32, -2e3, 3e3, 4e3]).unwrap();
    let y = Tensor::from_vec(&[4, 1], vec![1.0f32, 2.0, 3.0, 4.0]).unwrap();
    let mut net = Network::builder(&[1])
        .dense_init(1, Init::Zeros)
        .loss(Loss::MeanSquaredError)
        .build(Reference, &mut rng)
        .unwrap();
    let e = net
        .fit(
            &x,
            &y,
            &FitConfig::new(Optimizer::gradient_descent(10.0)).iterations(1000),
            &mut rng,
        )
        .unwrap_err();
    let Error::Diverged {
        step,
        quantity,
        value: cost,
    } = e
    else {
        panic!("{e}")
    };
    assert!(
        step > 1 && step < 1000 && !cost.is_finite() && quantity == "cost",
        "step {step}: {quantity} {cost}"
    );
    assert!(e
        .to_string()
        .starts_with(&format!("training diverged at step {step}")));
}

fn trained_weights(seed: u64) -> Vec<Vec<f32>> {
    let mut rng = Rng::seed(seed);
    let (x, y) = common::xor::<f32>(100, &mut rng);
    let mut net = Network::builder(&[2])
        .init(Init::He)
        .dense(8)
        .relu()
        .dropout(0.8)
        .dense(1)
        .build(Reference, &mut rng)
        .unwrap();
    net.fit(
        &x,
        &y,
        &FitConfig::new(Optimizer::adam(0.01))
            .epochs(5)
            .batch_size(16)
            .validation_split(0.2),
        &mut rng,
    )
    .unwrap();
    net.parameters().iter().map(|p| p.data().to_vec()).collect()
}

#[test]
fn the_same_seed_gives_bit_identical_weights() {
    let a = trained_weights(42);
    assert_eq!(a, trained_weights(42));
    assert_ne!(a, trained_weights(43));
}

#[test]
fn a_run_continued_by_a_second_fit_equals_one_fit() {
    // The optimiser's state and its epoch count carry the schedule (a warm-up and cosine over
    // the whole run) and Adam's moments into the second fit; the generator carries the shuffles
    // and dropout masks.
    let (x, y) = common::xor::<f32>(96, &mut Rng::seed(2));
    let net = || {
        Network::<f32>::builder(&[2])
            .init(Init::He)
            .dense(8)
            .batch_norm()
            .relu()
            .dropout(0.8)
            .dense(1)
            .loss(Loss::BinaryCrossEntropy)
            .build(Reference, &mut Rng::seed(3))
            .unwrap()
    };
    let config = FitConfig::new(Optimizer::adamw(0.01, 0.1))
        .batch_size(16)
        .decay(Decay::Cosine {
            warmup: 1.0,
            epochs: 4,
            min_factor: 0.0,
        });
    let state = |n: &Network<f32>| -> Vec<Vec<f32>> {
        let layers = n.layers().iter();
        layers
            .flat_map(|l| l.params().into_iter().chain(l.buffers()))
            .map(|t| t.data().to_vec())
            .collect()
    };
    let (mut once, mut rng) = (net(), Rng::seed(4));
    once.fit(&x, &y, &config.clone().epochs(4), &mut rng)
        .unwrap();
    let (mut twice, mut rng) = (net(), Rng::seed(4));
    twice
        .fit(&x, &y, &config.clone().epochs(2), &mut rng)
        .unwrap();
    let saved = twice.to_bytes().unwrap();
    let mut twice = Network::<f32>::from_bytes(
        &saved,
        "memory",
        Reference,
        &nn_core::layer::LayerRegistry::core(),
    )
    .unwrap();
    let h = twice.fit(&x, &y, &config.epochs(2), &mut rng).unwrap();
    assert!(
        h.epochs[1].lr.abs() < 1e-9,
        "the cosine ends at 0: {}",
        h.epochs[1].lr
    );
    assert_eq!(state(&once), state(&twice));
}
