//! Saving and loading: a reloaded network predicts identically and resumes training exactly;
//! damaged or hostile files give errors.

mod common;

use nn_core::layer::LayerRegistry;
use nn_core::persist::MAGIC;
use nn_core::{Decay, Error, FitConfig, Init, Loss, Network, Optimizer, Reference, Rng, Tensor};

fn trained(rng: &mut Rng) -> (Network<f32>, Tensor<f32>, Tensor<f32>) {
    let (x, y) = common::xor::<f32>(120, rng);
    let y = Tensor::from_vec(&[120], y.data().iter().map(|&v| v * 2.0).collect()).unwrap(); // classes 0 and 2
    let mut net = Network::builder(&[2])
        .init(Init::He)
        .dense(150)
        .relu()
        .dropout(0.9)
        .dense(3)
        .loss(Loss::CategoricalCrossEntropy)
        .build(Reference, rng)
        .unwrap();
    net.fit(
        &x,
        &y,
        &FitConfig::new(Optimizer::adam(0.01))
            .epochs(3)
            .batch_size(32),
        rng,
    )
    .unwrap();
    (net, x, y)
}

#[test]
fn a_reloaded_network_predicts_identically() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("xor.nn");
    let (net, x, y) = trained(&mut Rng::seed(1));
    net.save(&path).unwrap();
    let back = Network::<f32>::load(&path, Reference).unwrap();
    assert_eq!(
        back.predict_proba(&x).unwrap(),
        net.predict_proba(&x).unwrap()
    );
    assert_eq!(back.summary(), net.summary());
    assert_eq!(back.training_summary(), net.training_summary());
    assert_eq!(
        back.evaluate(&x, &y).unwrap(),
        net.evaluate(&x, &y).unwrap()
    );
    // Only the model is left in the folder: the temporary file was renamed.
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);

    // An f32 model loads as f64 too, with the same values.
    let wide = Network::<f64>::load(&path, Reference).unwrap();
    let p64 = wide.predict_proba(&x.cast()).unwrap();
    let p32 = net.predict_proba(&x).unwrap();
    for (a, b) in p64.data().iter().zip(p32.data()) {
        assert!((a - *b as f64).abs() < 1e-5);
    }
}

#[test]
fn training_resumes_exactly_after_save_and_load() {
    // Six epochs in one run equal three, save, load, three more: Adam's moments and step
    // count, and the epoch of the learning-rate decay, all come back from the file.
    let build = |rng: &mut Rng| {
        Network::<f32>::builder(&[2])
            .init(Init::He)
            .dense(16)
            .relu()
            .dropout(0.9)
            .dense(1)
            .build(Reference, rng)
            .unwrap()
    };
    let config = |epochs| {
        FitConfig::new(Optimizer::adam(0.02))
            .epochs(epochs)
            .batch_size(32)
            .decay(Decay::Step {
                every: 2,
                factor: 0.5,
            })
    };
    let (x, y) = common::xor::<f32>(120, &mut Rng::seed(20));

    let mut rng = Rng::seed(2);
    let mut straight = build(&mut rng);
    let whole = straight.fit(&x, &y, &config(6), &mut rng).unwrap();

    let mut rng = Rng::seed(2);
    let mut first = build(&mut rng);
    first.fit(&x, &y, &config(3), &mut rng).unwrap();
    let bytes = first.to_bytes().unwrap();
    let mut resumed =
        Network::<f32>::from_bytes(&bytes, "mem", Reference, &LayerRegistry::core()).unwrap();
    assert_eq!(resumed.optimizer_state().unwrap().step(), 12);
    assert_eq!(resumed.optimizer_state().unwrap().epochs(), 3);
    let second = resumed.fit(&x, &y, &config(3), &mut rng).unwrap();

    let lrs: Vec<f64> = second.epochs.iter().map(|e| e.lr).collect();
    assert_eq!(
        lrs,
        whole.epochs[3..].iter().map(|e| e.lr).collect::<Vec<_>>()
    );
    assert_eq!(second.step_costs, whole.step_costs[12..]);
    assert_eq!(resumed.parameters(), straight.parameters());
    assert_eq!(resumed.training_summary().unwrap().steps, 24);
}

#[test]
fn truncated_and_bit_flipped_files_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("m.nn");
    let (net, _, _) = trained(&mut Rng::seed(3));
    let good = net.to_bytes().unwrap();
    for cut in [0, 5, 24, good.len() / 2, good.len() - 1] {
        std::fs::write(&path, &good[..cut]).unwrap();
        let e = Network::<f32>::load(&path, Reference)
            .err()
            .expect("truncated file loaded");
        assert!(matches!(e, Error::Format { .. }), "{e}");
        assert!(e.to_string().contains("m.nn"), "{e}");
    }
    let mut rng = Rng::seed(4);
    for _ in 0..200 {
        let mut bad = good.clone();
        let bit = rng.permutation(good.len() * 8)[0];
        bad[bit / 8] ^= 1 << (bit % 8);
        std::fs::write(&path, &bad).unwrap();
        assert!(
            Network::<f32>::load(&path, Reference).is_err(),
            "bit {bit} flipped went unnoticed"
        );
    }
    std::fs::write(&path, b"hello world, not a model at all").unwrap();
    let e = Network::<f32>::load(&path, Reference)
        .err()
        .unwrap()
        .to_string();
    assert!(e.contains("wrong magic bytes"), "{e}");
    let e = Network::<f32>::load(dir.path().join("missing.nn"), Reference)
        .err()
        .unwrap()
        .to_string();
    assert!(e.contains("missing.nn"), "{e}");
}

/// Rewrites the header so that the (edited) payload passes the length and checksum checks.
fn reseal(mut file: Vec<u8>) -> Vec<u8> {
    let body = file[24..].to_vec();
    file[12..16].copy_from_slice(&crc32fast::hash(&body).to_le_bytes());
    file[16..24].copy_from_slice(&(body.len() as u64).to_le_bytes());
    file
}

#[test]
fn a_file_claiming_a_2_pow_40_element_tensor_is_refused() {
    let (net, _, _) = trained(&mut Rng::seed(5));
    let good = net.to_bytes().unwrap();
    assert_eq!(&good[..8], MAGIC);
    // The first weight tensor holds 150×2 = 300 floats: ParamData::F32 (tag 0), then the
    // varint length 300 = [251, 44, 1]. Claim 2^40 elements instead ([253, u64]).
    let at = good
        .windows(4)
        .position(|w| w == [0, 251, 44, 1])
        .expect("W's length prefix");
    let mut bad = good[..at + 1].to_vec();
    bad.push(253);
    bad.extend_from_slice(&(1u64 << 40).to_le_bytes());
    bad.extend_from_slice(&good[at + 4..]);
    let e = Network::<f32>::from_bytes(&reseal(bad), "huge.nn", Reference, &LayerRegistry::core())
        .err()
        .unwrap();
    assert!(e.to_string().starts_with("huge.nn: corrupt model"), "{e}");

    // A header claiming a 2^40-byte payload is refused before reading it.
    let mut bad = good.clone();
    bad[16..24].copy_from_slice(&(1u64 << 40).to_le_bytes());
    let e = Network::<f32>::from_bytes(&bad, "huge.nn", Reference, &LayerRegistry::core())
        .err()
        .unwrap();
    assert!(e.to_string().contains("limit"), "{e}");

    // A newer format version is refused with advice.
    let mut bad = good;
    bad[8] = 9;
    let e = Network::<f32>::from_bytes(&bad, "new.nn", Reference, &LayerRegistry::core())
        .err()
        .unwrap();
    assert!(e.to_string().contains("format version 9"), "{e}");
}

#[test]
fn saving_over_a_model_replaces_it_whole() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("m.nn");
    let (a, x, _) = trained(&mut Rng::seed(6));
    let (b, _, _) = trained(&mut Rng::seed(7));
    a.save(&path).unwrap();
    b.save(&path).unwrap();
    let back = Network::<f32>::load(&path, Reference).unwrap();
    assert_eq!(
        back.predict_proba(&x).unwrap(),
        b.predict_proba(&x).unwrap()
    );
    // Saving into a folder that does not exist fails with the path, and leaves nothing.
    let e = a
        .save(dir.path().join("no/such/dir/m.nn"))
        .unwrap_err()
        .to_string();
    assert!(e.contains("no/such/dir"), "{e}");
}
