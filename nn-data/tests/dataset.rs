//! `Dataset` operations (splits, batches, scaling, one-hot) and the synthetic sets.

use nn_core::{Rng, Tensor};
use nn_data::synthetic::{playground, shapes, Playground, SHAPE_CLASSES};
use nn_data::{course_h5, Dataset, Standardizer};

fn classes(labels: Vec<usize>, n_classes: usize) -> Dataset {
    let m = labels.len();
    let x = Tensor::from_vec(&[m, 2], (0..2 * m).map(|v| v as f32).collect()).unwrap();
    Dataset::with_classes(x, labels, (0..n_classes).map(|c| format!("c{c}")).collect()).unwrap()
}

#[test]
fn splits_are_stratified_disjoint_and_complete() {
    // 70 of class 0, 30 of class 1.
    let data = classes((0..100).map(|i| usize::from(i >= 70)).collect(), 2);
    let mut rng = Rng::seed(4);
    let (a, b) = data.split(0.8, &mut rng).unwrap();
    assert_eq!(a.class_counts(), vec![56, 24]);
    assert_eq!(b.class_counts(), vec![14, 6]);
    // Every example exactly once (feature 0 is 2·index).
    let mut seen: Vec<usize> = a
        .x()
        .data()
        .iter()
        .chain(b.x().data())
        .step_by(2)
        .map(|&v| v as usize / 2)
        .collect();
    seen.sort();
    assert_eq!(seen, (0..100).collect::<Vec<_>>());
    // Labels travel with their examples.
    for part in [&a, &b] {
        for (row, &label) in part.labels().unwrap().iter().enumerate() {
            let index = part.x().row(row)[0] as usize / 2;
            assert_eq!(label, usize::from(index >= 70));
        }
    }
    let [train, val, test] = data.split3(0.1, 0.2, &mut rng).unwrap();
    assert_eq!((train.len(), val.len(), test.len()), (70, 10, 20));
    assert_eq!(test.class_counts(), vec![14, 6]);
    // Same seed, same split.
    let again = data.split(0.8, &mut Rng::seed(4)).unwrap();
    assert_eq!(again.0, a);
    // Bad fractions and empty parts.
    for f in [0.0, 1.0, -0.5, f64::NAN] {
        assert!(data.split(f, &mut rng).is_err());
    }
    let tiny = classes(vec![0], 1);
    let e = tiny.split(0.5, &mut rng).unwrap_err().to_string();
    assert!(e.contains("one part would be empty"), "{e}");
    assert!(data.split3(0.5, 0.5, &mut rng).is_err());
}

#[test]
fn batches_cover_every_example_once() {
    let data = classes((0..103).map(|i| i % 3).collect(), 3);
    let mut rng = Rng::seed(1);
    let batches: Vec<Dataset> = data.batches(10, Some(&mut rng)).collect();
    assert_eq!(batches.len(), 11);
    assert_eq!(batches[10].len(), 3);
    let mut seen: Vec<usize> = batches
        .iter()
        .flat_map(|b| {
            b.x()
                .data()
                .iter()
                .step_by(2)
                .map(|&v| v as usize / 2)
                .collect::<Vec<_>>()
        })
        .collect();
    assert_ne!(seen[..10], (0..10).collect::<Vec<_>>()[..], "shuffled");
    seen.sort();
    assert_eq!(seen, (0..103).collect::<Vec<_>>());
    let in_order: Vec<Dataset> = data.batches(50, None).collect();
    assert_eq!(in_order[0].x().row(0), data.x().row(0));
    assert_eq!(data.batches(50, None).len(), 3);
}

#[test]
fn one_hot_y_scaling_and_standardisation() {
    let data = classes(vec![2, 0, 1], 3);
    assert_eq!(data.y().data(), &[2.0, 0.0, 1.0]);
    assert_eq!(
        data.one_hot().unwrap().data(),
        &[0.0, 0.0, 1.0, 1.0, 0.0, 0.0, 0.0, 1.0, 0.0]
    );
    let mut scaled = data.clone();
    scaled.scale(0.5);
    assert_eq!(scaled.x().data(), &[0.0, 0.5, 1.0, 1.5, 2.0, 2.5]);
    // Fitted on training data, applied to both; a constant feature is centred only.
    let x = Tensor::from_vec(&[4, 2], vec![1.0, 5.0, 2.0, 5.0, 3.0, 5.0, 4.0, 5.0]).unwrap();
    let mut train =
        Dataset::with_classes(x, vec![0, 1, 0, 1], vec!["a".into(), "b".into()]).unwrap();
    let s = Standardizer::fit(&train).unwrap();
    assert_eq!(s.mean, vec![2.5, 5.0]);
    assert_eq!(s.std[1], 1.0);
    s.apply(&mut train).unwrap();
    let col0: Vec<f32> = train.x().data().iter().step_by(2).copied().collect();
    let mean: f32 = col0.iter().sum::<f32>() / 4.0;
    let var: f32 = col0.iter().map(|v| (v - mean) * (v - mean)).sum::<f32>() / 4.0;
    assert!(mean.abs() < 1e-6 && (var - 1.0).abs() < 1e-5);
    assert!(train
        .x()
        .data()
        .iter()
        .skip(1)
        .step_by(2)
        .all(|&v| v == 0.0));
    let mut test = Dataset::with_classes(
        Tensor::from_vec(&[1, 2], vec![2.5, 6.0]).unwrap(),
        vec![0],
        vec!["a".into()],
    )
    .unwrap();
    s.apply(&mut test).unwrap();
    assert_eq!(test.x().data(), &[0.0, 1.0]);
    let mut wrong = classes(vec![0], 1);
    wrong = Dataset::with_classes(
        Tensor::from_vec(&[1, 3], vec![0.0; 3]).unwrap(),
        vec![0],
        wrong.class_names().to_vec(),
    )
    .unwrap();
    assert!(s
        .apply(&mut wrong)
        .unwrap_err()
        .to_string()
        .contains("fitted on 2 features, the data has 3"));
}

#[test]
fn in_memory_errors() {
    let x = Tensor::from_vec(&[2, 1], vec![0.0, 1.0]).unwrap();
    let e = Dataset::with_classes(x.clone(), vec![0], vec!["a".into()])
        .unwrap_err()
        .to_string();
    assert_eq!(e, "2 examples (2, 1) but 1 labels");
    let e = Dataset::with_classes(x.clone(), vec![0, 3], vec!["a".into(), "b".into()])
        .unwrap_err()
        .to_string();
    assert_eq!(e, "label 1 is 3 but there are 2 classes");
    let e = Dataset::with_real_targets(x, Tensor::zeros(&[3, 1]))
        .unwrap_err()
        .to_string();
    assert_eq!(e, "2 examples (2, 1) but 3 target rows");
}

#[test]
fn course_h5_becomes_a_dataset() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../data/faces_h5/train_faces.h5"
    );
    let set = course_h5::read_train(std::path::Path::new(path)).unwrap();
    let flat = set.flattened();
    let mut data = Dataset::from(set);
    assert_eq!(data.x().shape(), &[150, 64, 64, 3]);
    assert_eq!(data.class_names(), ["non-face", "face"]);
    assert_eq!(data.class_counts(), vec![72, 78]);
    data.scale(1.0 / 255.0);
    let ours = data.into_flattened();
    assert_eq!(ours.shape(), flat.shape());
    // p·(1/255) and p/255 differ by at most one rounding.
    let worst = ours
        .data()
        .iter()
        .zip(flat.data())
        .map(|(a, b)| (a - b).abs())
        .fold(0f32, f32::max);
    assert!(worst <= 6e-8, "{worst}");
}

#[test]
fn playground_sets_are_seeded_and_labelled_as_in_the_playground() {
    for kind in Playground::ALL {
        let a = playground(kind, 301, 0.2, &mut Rng::seed(7));
        assert_eq!(a, playground(kind, 301, 0.2, &mut Rng::seed(7)), "{kind:?}");
        assert_ne!(a, playground(kind, 301, 0.2, &mut Rng::seed(8)), "{kind:?}");
        assert_eq!(a.x().shape(), &[301, 2]);
        let counts = a.class_counts();
        assert!(counts[0].abs_diff(counts[1]) < 60, "{kind:?} {counts:?}");
        assert!(a.x().data().iter().all(|v| v.abs() < 12.0), "{kind:?}");
    }
    // Without noise the labels follow the rule exactly.
    let rule = |kind, f: fn(f32, f32) -> bool| {
        let d = playground(kind, 400, 0.0, &mut Rng::seed(1));
        for (i, &label) in d.labels().unwrap().iter().enumerate() {
            let p = d.x().row(i);
            assert_eq!(label == 1, f(p[0], p[1]), "{kind:?} point {p:?}");
        }
    };
    rule(Playground::Circle, |x, y| x.hypot(y) < 2.5);
    rule(Playground::Xor, |x, y| x * y >= 0.0);
    rule(Playground::Gaussian, |x, y| x + y > 0.0);
    // The two spirals wind around the origin in opposite phase: point j of one is point j of
    // the other turned by half a turn.
    let s = playground(Playground::Spiral, 200, 0.0, &mut Rng::seed(1));
    for j in 0..100 {
        let (p, q) = (s.x().row(j), s.x().row(100 + j));
        assert!((p[0] + q[0]).abs() < 1e-5 && (p[1] + q[1]).abs() < 1e-5);
    }
}

#[test]
fn shape_images_are_balanced_and_seeded() {
    let d = shapes(30, 32, &mut Rng::seed(3));
    assert_eq!(d.x().shape(), &[30, 32, 32, 3]);
    assert_eq!(d.class_names(), SHAPE_CLASSES);
    assert_eq!(d.class_counts(), vec![10, 10, 10]);
    assert!(d
        .x()
        .data()
        .iter()
        .all(|&v| (0.0..=255.0).contains(&v) && v.fract() == 0.0));
    assert_eq!(d, shapes(30, 32, &mut Rng::seed(3)));
    // The shape stands out: each image has a clear two-level histogram (some pixels far from
    // the image's mean in both directions is not required, but the spread is large).
    for i in 0..30 {
        let img = d.x().row(i);
        let mean = img.iter().sum::<f32>() / img.len() as f32;
        let spread = img.iter().map(|v| (v - mean).abs()).sum::<f32>() / img.len() as f32;
        assert!(spread > 15.0, "image {i}: mean absolute deviation {spread}");
    }
}
