//! Batch normalisation: hand-worked batch statistics, running statistics and evaluation;
//! saved and loaded networks evaluate identically; bad settings are errors.

use nn_core::layer::{BatchNormConfig, LayerConfig, LayerRegistry, Mode};
use nn_core::{FitConfig, Init, Loss, Network, Optimizer, Reference, Rng, Tensor};

fn batch() -> Tensor<f64> {
    Tensor::from_rows(&[
        vec![1.0, 10.0],
        vec![2.0, 20.0],
        vec![3.0, 30.0],
        vec![4.0, 40.0],
    ])
    .unwrap()
}

#[test]
fn training_normalises_each_channel_and_moves_the_running_statistics() {
    let mut rng = Rng::seed(0);
    let mut bn = BatchNormConfig::default()
        .build::<f64>(&[2], Init::Zeros, &mut rng)
        .unwrap();
    bn.forward(&Reference, &batch(), Mode::Train(&mut rng))
        .unwrap();
    // μ = (2.5, 25), σ² = (1.25, 125): x̂ = (x − μ)/√(σ² + 1e-5).
    for (i, row) in bn.output().data().chunks(2).enumerate() {
        for (c, &y) in row.iter().enumerate() {
            let (mu, var) = [(2.5, 1.25), (25.0, 125.0)][c];
            let x = batch().data()[i * 2 + c];
            assert!((y - (x - mu) / (var + 1e-5f64).sqrt()).abs() < 1e-14);
        }
    }
    // Running: 0.9·(0, 1) + 0.1·(μ, σ²·4/3).
    let buffers: Vec<Vec<f64>> = bn.buffers().iter().map(|b| b.data().to_vec()).collect();
    let want = [
        [0.25, 2.5],
        [0.9 + 0.1 * 5.0 / 3.0, 0.9 + 0.1 * 500.0 / 3.0],
    ];
    for (got, want) in buffers.iter().zip(want) {
        for (g, w) in got.iter().zip(want) {
            assert!((g - w).abs() < 1e-12, "{g} vs {w}");
        }
    }
    // Evaluation uses them: y = (x − μ_run)/√(σ²_run + ε).
    let mut out = Tensor::zeros(&[0]);
    bn.infer(&Reference, &batch(), &mut out, &mut Default::default())
        .unwrap();
    let y0 = (1.0 - 0.25) / (want[1][0] + 1e-5f64).sqrt();
    assert!((out.data()[0] - y0).abs() < 1e-14);
    bn.forward(&Reference, &batch(), Mode::Eval).unwrap();
    assert_eq!(bn.output().data(), out.data());
    // One value per channel has no variance: the running statistics stay as they are.
    let before: Vec<Vec<f64>> = bn.buffers().iter().map(|b| b.data().to_vec()).collect();
    let one = Tensor::from_rows(&[vec![5.0, 6.0]]).unwrap();
    bn.forward(&Reference, &one, Mode::Train(&mut rng)).unwrap();
    let after: Vec<Vec<f64>> = bn.buffers().iter().map(|b| b.data().to_vec()).collect();
    assert_eq!(before, after);
}

#[test]
fn a_gradient_check_leaves_the_running_statistics_alone() {
    let mut rng = Rng::seed(2);
    let mut net = Network::<f64>::builder(&[2])
        .init(Init::He)
        .dense(3)
        .batch_norm()
        .tanh()
        .dense(1)
        .loss(Loss::BinaryCrossEntropy)
        .build(Reference, &mut rng)
        .unwrap();
    let y = Tensor::from_vec(&[4, 1], vec![0.0, 1.0, 0.0, 1.0]).unwrap();
    let config = FitConfig::new(Optimizer::adam(0.01)).epochs(3);
    net.fit(&batch(), &y, &config, &mut rng).unwrap();
    let stats = |n: &Network<f64>| -> Vec<f64> {
        n.layers()[1]
            .buffers()
            .iter()
            .flat_map(|b| b.data().to_vec())
            .collect()
    };
    let before = stats(&net);
    let report = net
        .gradient_check(&batch(), &y, &nn_core::GradCheck::default(), &rng)
        .unwrap();
    assert!(!report.tensors.is_empty());
    assert_eq!(stats(&net), before);
}

fn blobs(m: usize, rng: &mut Rng) -> (Tensor<f32>, Tensor<f32>) {
    let x: Vec<f32> = (0..m * 6)
        .map(|_| 10.0 + 4.0 * rng.normal::<f32>())
        .collect();
    let y: Vec<f32> = (0..m)
        .map(|i| f32::from(u8::from(x[i * 6] > 10.0)))
        .collect();
    (
        Tensor::from_vec(&[m, 6], x).unwrap(),
        Tensor::from_vec(&[m], y).unwrap(),
    )
}

#[test]
fn a_saved_network_with_batch_norm_evaluates_identically() {
    let mut rng = Rng::seed(7);
    let (x, y) = blobs(200, &mut rng);
    let mut net = Network::<f32>::builder(&[6])
        .init(Init::He)
        .dense(16)
        .batch_norm()
        .relu()
        .dense(2)
        .loss(Loss::CategoricalCrossEntropy)
        .build(Reference, &mut rng)
        .unwrap();
    let config = FitConfig::new(Optimizer::adam(0.01))
        .epochs(20)
        .batch_size(32);
    net.fit(&x, &y, &config, &mut rng).unwrap();
    let accuracy = net.evaluate(&x, &y).unwrap().accuracy.unwrap();
    assert!(accuracy > 0.95, "accuracy {accuracy}");
    let before = net.predict_proba(&x).unwrap();
    let copy = Network::<f32>::from_bytes(
        &net.to_bytes().unwrap(),
        "memory",
        Reference,
        &LayerRegistry::core(),
    )
    .unwrap();
    assert_eq!(copy.predict_proba(&x).unwrap().data(), before.data());
    assert!(net.summary().contains("BatchNorm(16)"), "{}", net.summary());
    assert!(
        net.summary().contains("32 running statistics"),
        "{}",
        net.summary()
    );
}

#[test]
fn descriptions_and_bad_settings() {
    let registry = LayerRegistry::core();
    let spec = registry
        .from_json(serde_json::json!({"type": "batch_norm"}))
        .unwrap();
    assert_eq!(spec.to_json()["momentum"], 0.1);
    let bad = registry.from_json(serde_json::json!({"type": "batch_norm", "momentum": 0.0}));
    assert!(bad.unwrap_err().contains("momentum must be in (0, 1]"));
    let bad = BatchNormConfig {
        epsilon: -1.0,
        ..Default::default()
    };
    assert!(bad.validate().unwrap_err().to_string().contains("epsilon"));
    assert!(BatchNormConfig::default().output_shape(&[]).is_err());
}
