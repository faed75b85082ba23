//! Inference takes `&self`: one trained network serves several threads, each getting exactly
//! the answers one thread gets.

use nn_core::{FitConfig, Init, Loss, Network, Optimizer, Reference, Rng, Tensor};

fn assert_sync<T: Sync + Send>() {}

#[test]
fn four_threads_predict_from_one_network() {
    assert_sync::<Network<f32>>();
    let mut rng = Rng::seed(4);
    let x = Tensor::from_vec(&[200, 3], (0..600).map(|_| rng.normal()).collect()).unwrap();
    let labels: Vec<f32> = x
        .data()
        .chunks(3)
        .map(|r| f32::from(r[0] + r[1] > r[2]))
        .collect();
    let y = Tensor::from_vec(&[200, 1], labels).unwrap();
    let mut net = Network::<f32>::builder(&[3])
        .init(Init::He)
        .dense(8)
        .relu()
        .dropout(0.9)
        .dense(1)
        .loss(Loss::BinaryCrossEntropy)
        .build(Reference, &mut rng)
        .unwrap();
    net.fit(
        &x,
        &y,
        &FitConfig::new(Optimizer::adam(0.01))
            .epochs(20)
            .batch_size(32),
        &mut rng,
    )
    .unwrap();
    let alone = (
        net.predict_proba(&x).unwrap(),
        net.evaluate(&x, &y).unwrap(),
    );
    let net = &net;
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..4)
            .map(|_| {
                s.spawn(|| {
                    (
                        net.predict_proba(&x).unwrap(),
                        net.evaluate(&x, &y).unwrap(),
                    )
                })
            })
            .collect();
        for h in handles {
            assert_eq!(h.join().unwrap(), alone);
        }
    });
}
