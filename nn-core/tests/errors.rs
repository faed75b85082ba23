//! Bad input gives a clear error naming the operation and the shapes, never a panic.

use nn_core::layer::{Dense, Layer, Mode};
use nn_core::{Error, FitConfig, Init, Loss, Network, Optimizer, Reference, Rng, Tensor};

#[test]
fn a_dense_layer_names_itself_and_both_shapes() {
    let mut dense = Dense::<f32>::new(12288, 20, Init::He, &mut Rng::seed(0));
    let x = Tensor::zeros(&[209, 12287]);
    let e = dense.forward(&Reference, &x, Mode::Eval).unwrap_err();
    assert_eq!(
        e.to_string(),
        "Dense(12288→20).forward: input (209, 12287) does not match weights (20, 12288)"
    );
}

#[test]
fn a_network_checks_its_input_and_targets() {
    let mut rng = Rng::seed(0);
    let mut net = Network::<f32>::builder(&[3])
        .init(Init::He)
        .dense(4)
        .relu()
        .dense(1)
        .build(Reference, &mut rng)
        .unwrap();
    let e = net.predict(&Tensor::zeros(&[5, 2])).unwrap_err();
    assert_eq!(
        e.to_string(),
        "Network.forward: input (5, 2) does not match the network's input (5, 3)"
    );

    let x = Tensor::zeros(&[4, 3]);
    let cfg = FitConfig::new(Optimizer::adam(0.1));
    let e = net
        .fit(&x, &Tensor::zeros(&[3, 1]), &cfg, &mut rng)
        .unwrap_err();
    assert!(
        e.to_string().contains("has 4 examples but y (3, 1) has 3"),
        "{e}"
    );
    let e = net
        .fit(
            &x,
            &Tensor::from_vec(&[4, 1], vec![0.0, 1.0, 2.0, 1.0]).unwrap(),
            &cfg,
            &mut rng,
        )
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "invalid labels: row 2: binary cross-entropy needs targets in [0, 1], got 2"
    );
    let e = net
        .fit(
            &x,
            &Tensor::from_vec(&[4, 1], vec![0.0, f32::NAN, 1.0, 1.0]).unwrap(),
            &cfg,
            &mut rng,
        )
        .unwrap_err();
    assert!(e.to_string().contains("row 1 is NaN"), "{e}");
    let e = net
        .fit(
            &Tensor::zeros(&[0, 3]),
            &Tensor::zeros(&[0, 1]),
            &cfg,
            &mut rng,
        )
        .unwrap_err();
    assert!(e.to_string().contains("no training examples"), "{e}");
}

#[test]
fn class_labels_are_checked() {
    let mut rng = Rng::seed(0);
    let mut net = Network::<f64>::builder(&[2])
        .dense(3)
        .loss(Loss::CategoricalCrossEntropy)
        .build(Reference, &mut rng)
        .unwrap();
    let x = Tensor::zeros(&[3, 2]);
    let cfg = FitConfig::new(Optimizer::adam(0.1));
    let e = net
        .fit(
            &x,
            &Tensor::from_vec(&[3], vec![0.0, 3.0, 1.0]).unwrap(),
            &cfg,
            &mut rng,
        )
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "invalid labels: row 1: class 3 is not an integer in 0..3"
    );
    let e = net
        .fit(
            &x,
            &Tensor::from_vec(&[3], vec![0.0, 1.5, 1.0]).unwrap(),
            &cfg,
            &mut rng,
        )
        .unwrap_err();
    assert!(e.to_string().contains("class 1.5"), "{e}");
    let e = net
        .fit(&x, &Tensor::zeros(&[3, 3]), &cfg, &mut rng)
        .unwrap_err();
    assert!(
        e.to_string()
            .contains("row 0: a target distribution must be non-negative and sum to 1"),
        "{e}"
    );
    let e = net
        .fit(&x, &Tensor::zeros(&[3, 4]), &cfg, &mut rng)
        .unwrap_err();
    assert!(
        e.to_string()
            .contains("needs targets of shape (3, 3) or class indices (3,), got (3, 4)"),
        "{e}"
    );
}

#[test]
fn examples_without_values_are_refused_not_a_panic() {
    // Found by the idx fuzz target: an IDX file of (92, 0, 7936) images decodes to examples of
    // no values, and building a dense network over them indexed an empty weight matrix.
    for shape in [&[0][..], &[4, 0, 3][..]] {
        let e = Network::<f32>::builder(shape)
            .dense(3)
            .relu()
            .dense(1)
            .build(Reference, &mut Rng::seed(0))
            .err()
            .expect("refused");
        assert!(matches!(e, Error::Config(_)), "{e:?}");
        assert!(e.to_string().contains("has no values"), "{e}");
    }
}

#[test]
fn symmetric_hidden_layers_are_refused_but_zero_logistic_regression_is_fine() {
    let mut rng = Rng::seed(0);
    let e = Network::<f32>::builder(&[2])
        .init(Init::Zeros)
        .dense(8)
        .tanh()
        .dense(1)
        .build(Reference, &mut rng)
        .err()
        .unwrap();
    let msg = e.to_string();
    assert!(matches!(e, Error::Config(_)));
    assert!(
        msg.contains("hidden layer 0 (Dense(2→8))") && msg.contains("symmetry is never broken"),
        "{msg}"
    );
    assert!(Network::<f32>::builder(&[2])
        .dense_init(1, Init::Zeros)
        .build(Reference, &mut rng)
        .is_ok());
    assert!(Network::<f32>::builder(&[2])
        .init(Init::He)
        .dense(8)
        .tanh()
        .dense_init(1, Init::Zeros)
        .build(Reference, &mut rng)
        .is_ok());
}

#[test]
fn losses_refuse_an_output_function_they_apply_themselves() {
    let mut rng = Rng::seed(0);
    let e = Network::<f32>::builder(&[2])
        .dense(1)
        .sigmoid()
        .loss(Loss::BinaryCrossEntropy)
        .build(Reference, &mut rng)
        .err()
        .unwrap();
    assert!(
        e.to_string()
            .contains("ends with Sigmoid but BinaryCrossEntropy applies it itself"),
        "{e}"
    );
    let e = Network::<f32>::builder(&[2])
        .dense(3)
        .softmax()
        .loss(Loss::CategoricalCrossEntropy)
        .build(Reference, &mut rng)
        .err()
        .unwrap();
    assert!(e.to_string().contains("ends with Softmax(3)"), "{e}");
    let e = Network::<f32>::builder(&[2])
        .dense(1)
        .loss(Loss::CategoricalCrossEntropy)
        .build(Reference, &mut rng)
        .err()
        .unwrap();
    assert!(e.to_string().contains("at least 2 outputs"), "{e}");
    // Sigmoid outputs with a squared error are a legitimate (if old-fashioned) choice.
    assert!(Network::<f32>::builder(&[2])
        .dense(1)
        .sigmoid()
        .loss(Loss::MeanSquaredError)
        .build(Reference, &mut rng)
        .is_ok());
}

#[test]
fn bad_training_settings_are_refused() {
    let mut rng = Rng::seed(0);
    let mut net = Network::<f32>::builder(&[1])
        .dense(1)
        .build(Reference, &mut rng)
        .unwrap();
    let (x, y) = (Tensor::zeros(&[4, 1]), Tensor::zeros(&[4, 1]));
    for (cfg, words) in [
        (
            FitConfig::new(Optimizer::gradient_descent(-1.0)),
            "learning rate must be positive",
        ),
        (
            FitConfig::new(Optimizer::adam(0.1)).batch_size(0),
            "batch size",
        ),
        (FitConfig::new(Optimizer::adam(0.1)).epochs(0), "at least 1"),
        (
            FitConfig::new(Optimizer::adam(0.1)).validation_split(1.5),
            "validation split",
        ),
        (
            FitConfig::new(Optimizer::adam(0.1)).early_stopping(3),
            "early stopping needs validation",
        ),
        (FitConfig::new(Optimizer::adam(0.1)).l2(-1.0), "L2"),
    ] {
        let e = net.fit(&x, &y, &cfg, &mut rng).unwrap_err().to_string();
        assert!(e.contains(words), "{e}");
    }
    assert!(Network::<f32>::builder(&[2])
        .dropout(0.0)
        .dense(1)
        .build(Reference, &mut rng)
        .is_err());
    let e = Network::<f32>::builder(&[2, 2])
        .dense(1)
        .build(Reference, &mut rng)
        .err()
        .unwrap();
    assert!(e.to_string().contains("add a Flatten layer"), "{e}");
}

#[test]
fn nan_inputs_are_refused_and_a_nan_gradient_stops_training() {
    let mut rng = Rng::seed(0);
    let mut net = Network::<f32>::builder(&[2])
        .init(Init::He)
        .dense(4)
        .relu()
        .dense(1)
        .build(Reference, &mut rng)
        .unwrap();
    let mut x = Tensor::from_vec(&[3, 2], vec![0.0, 1.0, 1.0, 0.0, 1.0, 1.0]).unwrap();
    let y = Tensor::from_vec(&[3, 1], vec![0.0, 1.0, 1.0]).unwrap();
    x.data_mut()[3] = f32::NAN;
    let e = net
        .fit(&x, &y, &FitConfig::new(Optimizer::adam(0.1)), &mut rng)
        .unwrap_err();
    assert_eq!(e.to_string(), "invalid input: x: example 1, value 1 is NaN");
}

#[test]
fn layers_too_large_to_allocate_are_refused_before_they_are_built() {
    use nn_core::layer::MAX_LAYER_PARAMETERS;
    let e = Network::<f32>::builder(&[12288])
        .dense(1 << 26)
        .build(Reference, &mut Rng::seed(0))
        .err()
        .unwrap()
        .to_string();
    assert!(
        e.contains(&format!("more than {MAX_LAYER_PARAMETERS} parameters")),
        "{e}"
    );
    let e = Network::<f32>::builder(&[4])
        .dense(usize::MAX)
        .build(Reference, &mut Rng::seed(0))
        .err()
        .unwrap()
        .to_string();
    assert!(e.contains("parameters") || e.contains("too large"), "{e}");
}

#[test]
fn set_parameter_replaces_one_tensor_and_refuses_bad_values() {
    let mut rng = Rng::seed(3);
    let mut net = Network::<f64>::builder(&[2])
        .dense(3)
        .tanh()
        .dense(1)
        .loss(Loss::MeanSquaredError)
        .build(Reference, &mut rng)
        .unwrap();
    let before: Vec<Vec<f64>> = net.parameters().iter().map(|p| p.data().to_vec()).collect();
    net.set_parameter(2, &[0.25, -0.5, 1.0]).unwrap();
    let after: Vec<Vec<f64>> = net.parameters().iter().map(|p| p.data().to_vec()).collect();
    assert_eq!(after[2], [0.25, -0.5, 1.0]);
    for i in [0, 1, 3] {
        assert_eq!(after[i], before[i], "tensor {i} must stay");
    }
    let err = net.set_parameter(4, &[1.0]).unwrap_err().to_string();
    assert!(err.contains("does not exist") && err.contains('4'), "{err}");
    let err = net.set_parameter(3, &[1.0, 2.0]).unwrap_err().to_string();
    assert!(err.contains("holds 1 values, 2 given"), "{err}");
    let err = net.set_parameter(3, &[f64::NAN]).unwrap_err().to_string();
    assert!(err.contains("not a finite value"), "{err}");
}
