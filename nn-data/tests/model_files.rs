//! Models saved with their preparation of inputs: one call opens the network and the
//! preparation, which is checked against the network when the file is read, so a hostile
//! description is an error at load time.

use nn_core::layer::LayerRegistry;
use nn_core::persist::Section;
use nn_core::{Init, Loss, Network, Reference, Rng};
use nn_data::images::{Color, ImageOptions};
use nn_data::model::{self, Preparation, MAX_PREPARED_SIDE};

fn network(inputs: usize, outputs: usize) -> Network<f32> {
    let loss = if outputs == 1 {
        Loss::BinaryCrossEntropy
    } else {
        Loss::CategoricalCrossEntropy
    };
    Network::<f32>::builder(&[inputs])
        .init(Init::He)
        .dense(outputs)
        .loss(loss)
        .build(Reference, &mut Rng::seed(1))
        .unwrap()
}

fn images(width: u32, height: u32) -> Preparation {
    Preparation {
        images: Some(ImageOptions::new().size(width, height).color(Color::Gray)),
        scale: 1.0 / 255.0,
        standardizer: None,
        classes: vec!["a".into(), "b".into()],
        example_shape: vec![(width * height) as usize],
        point_features: None,
    }
}

/// Writes `preparation` beside `net` without the check `model::save` makes, as a hostile
/// file would.
fn write_raw(path: &std::path::Path, net: &Network<f32>, preparation: &Preparation) {
    let section = Section {
        name: model::SECTION.into(),
        bytes: serde_json::to_vec(preparation).unwrap(),
    };
    net.save_with(path, &[section]).unwrap();
}

fn open_error(path: &std::path::Path) -> String {
    model::open(path, Reference, &LayerRegistry::core())
        .err()
        .expect("a hostile model opened")
        .to_string()
}

#[test]
fn a_model_opens_with_its_preparation_in_one_call() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("m.nn");
    let net = network(12, 1);
    let prepared = images(4, 3);
    let run = Section {
        name: "notes".into(),
        bytes: b"kept".to_vec(),
    };
    model::save(&path, &net, &prepared, std::slice::from_ref(&run)).unwrap();
    let trained = model::open(&path, Reference, &LayerRegistry::core()).unwrap();
    assert_eq!(trained.preparation, prepared);
    assert_eq!(trained.sections, vec![run]);
    assert_eq!(trained.network.parameters(), net.parameters());
    // A plain Network::load still opens it (sections are skipped).
    assert!(Network::<f32>::load(&path, Reference).is_ok());
}

#[test]
fn hostile_preparations_are_refused_when_the_file_is_read() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("hostile.nn");
    let net = network(12, 1);
    // No class names for a network with outputs.
    let mut p = images(4, 3);
    p.classes.clear();
    write_raw(&path, &net, &p);
    let e = open_error(&path);
    assert!(
        e.contains("0 class names for a network with 1 outputs"),
        "{e}"
    );
    // One class name for one output (two are needed: the output is P(class 1)).
    let mut p = images(4, 3);
    p.classes.truncate(1);
    write_raw(&path, &net, &p);
    let e = open_error(&path);
    assert!(
        e.contains("1 class names for a network with 1 outputs"),
        "{e}"
    );
    // A deviation of zero would divide by zero.
    let mut p = images(4, 3);
    p.standardizer = Some(nn_data::Standardizer {
        mean: vec![0.0; 12],
        std: vec![0.0; 12],
    });
    write_raw(&path, &net, &p);
    assert!(open_error(&path).contains("deviations positive: false"));
    // Huge images that the network's input does not even match.
    let mut p = images(60000, 60000);
    p.example_shape = vec![12];
    write_raw(&path, &net, &p);
    let e = open_error(&path);
    assert!(e.contains("images of 60000×60000 pixels"), "{e}");
    assert!(e.contains(&MAX_PREPARED_SIDE.to_string()), "{e}");
    // An example shape that is not the network's input.
    let mut p = images(4, 3);
    p.example_shape = vec![13];
    write_raw(&path, &net, &p);
    assert!(open_error(&path).contains("the network takes [12]"));
    // A standardiser of the wrong length, and a scale that is not a number.
    let mut p = images(4, 3);
    p.standardizer = Some(nn_data::Standardizer {
        mean: vec![0.0; 5],
        std: vec![1.0; 5],
    });
    write_raw(&path, &net, &p);
    assert!(open_error(&path).contains("standardiser has 5 means"));
    // (JSON has no NaN: serde_json writes null, which does not read back as a number.)
    let mut p = images(4, 3);
    p.scale = f32::NAN;
    write_raw(&path, &net, &p);
    assert!(open_error(&path).contains("corrupt preparation section"));
    let e = model::save(&path, &net, &p, &[]).unwrap_err().to_string();
    assert!(e.contains("is not a number"), "{e}");
    // Not JSON at all.
    let junk = Section {
        name: model::SECTION.into(),
        bytes: b"\xff\x00".to_vec(),
    };
    net.save_with(&path, &[junk]).unwrap();
    assert!(open_error(&path).contains("corrupt preparation section"));
}

#[test]
fn a_model_without_a_preparation_says_how_to_open_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("plain.nn");
    network(3, 2).save(&path).unwrap();
    let e = open_error(&path);
    assert!(e.contains("no preparation of inputs"), "{e}");
    // And saving refuses a preparation that does not fit.
    let e = model::save(&path, &network(3, 2), &images(4, 3), &[])
        .unwrap_err()
        .to_string();
    assert!(e.contains("the network takes [3]"), "{e}");
}
