//! The playground's regression sets and our multi-class versions of its sets.

use nn_core::Rng;
use nn_data::synthetic::{
    playground_classes, playground_regression, Playground, PlaygroundRegression,
};
use nn_data::Targets;

fn real_targets(d: &nn_data::Dataset) -> Vec<f32> {
    match d.targets() {
        Targets::Real(y) => y.data().to_vec(),
        other => panic!("real targets expected, got {other:?}"),
    }
}

#[test]
fn regression_sets_follow_their_surfaces() {
    for kind in PlaygroundRegression::ALL {
        let d = playground_regression(kind, 300, 0.0, &mut Rng::seed(3));
        assert_eq!(d.x().shape(), &[300, 2]);
        let y = real_targets(&d);
        for (p, &t) in d.x().data().chunks(2).zip(&y) {
            assert!(p.iter().all(|c| c.abs() <= 6.0), "{p:?}");
            // Without noise the target is the surface at the point itself.
            let expected = kind.target(f64::from(p[0]), f64::from(p[1])) as f32;
            assert!(
                (t - expected).abs() < 1e-6,
                "{kind:?} at {p:?}: {t} vs {expected}"
            );
        }
        assert!(y.iter().all(|t| (-1.0..=1.0).contains(t)));
        let again = playground_regression(kind, 300, 0.0, &mut Rng::seed(3));
        assert_eq!(again.x().data(), d.x().data());
        // Noise moves where the target is read, not the point.
        let noisy = playground_regression(kind, 300, 0.5, &mut Rng::seed(3));
        assert_ne!(real_targets(&noisy), y);
    }
    let plane = PlaygroundRegression::Plane;
    assert_eq!(plane.target(5.0, 5.0), 1.0);
    assert_eq!(plane.target(-5.0, -5.0), -1.0);
    assert_eq!(plane.target(2.0, -2.0), 0.0);
    let bumps = PlaygroundRegression::MultiGaussian;
    assert_eq!(bumps.target(-4.0, 2.5), 1.0);
    assert_eq!(bumps.target(0.0, 2.5), -1.0);
    assert_eq!(bumps.target(0.0, 0.0), 0.0);
    assert_eq!(bumps.target(-4.0, 1.5), 0.5);
}

#[test]
fn multi_class_sets_have_their_classes_in_their_places() {
    for kind in [Playground::Circle, Playground::Gaussian, Playground::Spiral] {
        for k in [2, 3, 5, 8] {
            let d = playground_classes(kind, k, 403, 0.0, &mut Rng::seed(9)).unwrap();
            assert_eq!(d.classes(), k);
            let counts = d.class_counts();
            assert_eq!(counts.iter().sum::<usize>(), 403);
            assert!(
                counts.iter().all(|&c| c == 403 / k || c == 403 / k + 1),
                "{counts:?}"
            );
            let labels = d.labels().unwrap();
            for (p, &c) in d.x().data().chunks(2).zip(labels) {
                let (x, y) = (f64::from(p[0]), f64::from(p[1]));
                match kind {
                    // Without noise each ring holds its own class.
                    Playground::Circle => {
                        let width = 5.0 / k as f64;
                        let r = x.hypot(y);
                        assert!(r >= c as f64 * width - 1e-5 && r <= (c + 1) as f64 * width + 1e-5);
                    }
                    _ => assert!(x.abs() < 8.0 && y.abs() < 8.0),
                }
            }
        }
    }
    let err = playground_classes(Playground::Xor, 3, 10, 0.0, &mut Rng::seed(1)).unwrap_err();
    assert!(err.to_string().contains("two classes"), "{err}");
    for k in [0, 1, 9] {
        let err = playground_classes(Playground::Spiral, k, 10, 0.0, &mut Rng::seed(1));
        assert!(err.unwrap_err().to_string().contains("2 to 8"));
    }
}

#[test]
fn point_features_expand_points_and_travel_in_the_preparation() {
    use nn_core::{Loss, Network, Reference, Tensor};
    use nn_data::model::Preparation;
    use nn_data::synthetic::{expand_points, PointFeature};

    let points = Tensor::from_vec(&[2, 2], vec![1.0f32, 2.0, -0.5, 3.0]).unwrap();
    let all = PointFeature::ALL.to_vec();
    let x = expand_points(&points, &all).unwrap();
    assert_eq!(x.shape(), &[2, 7]);
    let expected = [1.0, 2.0, 1.0, 4.0, 2.0, 1f32.sin(), 2f32.sin()];
    assert_eq!(&x.data()[..7], &expected);
    for f in PointFeature::ALL {
        assert_eq!(PointFeature::parse(f.name()), Some(f));
    }
    assert!(expand_points(&points, &[]).is_err());
    let twice = expand_points(&points, &[PointFeature::X1, PointFeature::X1]);
    assert!(twice.unwrap_err().to_string().contains("named twice"));
    let three = Tensor::from_vec(&[1, 3], vec![0.0f32; 3]).unwrap();
    assert!(expand_points(&three, &all).is_err());

    // A model over (x1², x2²) saved with its preparation expands points when it is used.
    let features = vec![PointFeature::X1Squared, PointFeature::X2Squared];
    let prep = Preparation::points(features.clone(), vec!["in".into(), "out".into()]);
    let net = Network::<f32>::builder(&[2])
        .dense(1)
        .loss(Loss::BinaryCrossEntropy)
        .build(Reference, &mut Rng::seed(1))
        .unwrap();
    prep.check(&net).unwrap();
    let json = serde_json::to_string(&prep).unwrap();
    assert!(
        json.contains("\"point_features\":[\"x1_squared\",\"x2_squared\"]"),
        "{json}"
    );
    let back = Preparation::from_section(json.as_bytes(), &net).unwrap();
    assert_eq!(back, prep);
    let set = nn_data::Dataset::with_classes(points, vec![0, 1], prep.classes.clone()).unwrap();
    assert_eq!(back.tensor(&set).unwrap().data(), &[1.0, 4.0, 0.25, 9.0]);
    // Without point features the JSON is what it was before they existed.
    let plain = serde_json::to_string(&Preparation::features(2, prep.classes.clone())).unwrap();
    assert!(!plain.contains("point_features"));
    // Features that do not fit the network are refused when the section is read.
    let wrong = json.replace("\"x2_squared\"", "\"x2_squared\",\"x1\"");
    assert!(Preparation::from_section(wrong.as_bytes(), &net).is_err());
}
