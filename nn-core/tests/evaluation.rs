//! Prediction and evaluation of sets larger than one chunk ([`EVAL_CHUNK`] examples) give
//! what evaluating every example on its own gives.

mod common;

use nn_core::{Init, Loss, Network, Reference, Rng, Tensor, EVAL_CHUNK};

#[test]
fn large_sets_are_evaluated_in_chunks_with_the_same_results() {
    let mut rng = Rng::seed(11);
    let m = 2 * EVAL_CHUNK + 88;
    let x = common::normal::<f64>(m, 5, &mut rng);
    let labels: Vec<f64> = (0..m).map(|i| (i % 3) as f64).collect();
    let y = Tensor::from_vec(&[m, 1], labels).unwrap();
    let net = Network::builder(&[5])
        .init(Init::He)
        .dense(7)
        .tanh()
        .dense(3)
        .loss(Loss::CategoricalCrossEntropy)
        .build(Reference, &mut rng)
        .unwrap();

    let proba = net.predict_proba(&x).unwrap();
    let classes = net.predict(&x).unwrap();
    let all = net.evaluate(&x, &y).unwrap();
    assert_eq!(proba.shape(), &[m, 3]);
    assert_eq!(classes.len(), m);

    // Each example alone.
    let (mut loss, mut correct) = (0.0, 0);
    for (i, &class) in classes.iter().enumerate() {
        let (xi, yi) = (x.gather_rows(&[i]), y.gather_rows(&[i]));
        assert_eq!(
            net.predict_proba(&xi).unwrap().data(),
            proba.row(i),
            "row {i}"
        );
        assert_eq!(net.predict(&xi).unwrap(), [class]);
        let one = net.evaluate(&xi, &yi).unwrap();
        loss += one.loss;
        correct += usize::from(class == i % 3);
    }
    assert!(
        (all.loss - loss / m as f64).abs() < 1e-12,
        "{} vs {}",
        all.loss,
        loss / m as f64
    );
    assert_eq!(all.accuracy, Some(correct as f64 / m as f64));
    let cm = all.confusion.unwrap();
    let counted: u64 = (0..3)
        .flat_map(|a| (0..3).map(move |p| (a, p)))
        .map(|(a, p)| cm.count(a, p))
        .sum();
    assert_eq!(counted, m as u64);
    for (i, &class) in classes.iter().enumerate() {
        assert!(cm.count(i % 3, class) > 0);
    }
}
