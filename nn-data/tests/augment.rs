//! Image augmentation: exact pixels of each transformation on hand-made images, the order of
//! the random draws, determinism, the checks, the text form and serde, and training with it.

use nn_conv::ConvLayers;
use nn_core::{
    Augment, Error, FitConfig, Float, Loss, Network, Optimizer, Reference, Rng, Tensor, TrainingSet,
};
use nn_data::augment::{affine, crop, flip, jitter, Border, Pad, Step};
use nn_data::Augmentation;

/// A 3×4 image of 2 channels: channel 0 of pixel `(y, x)` is `10·(y + 1) + x + 1` (11 … 34),
/// channel 1 is that plus 100.
const HWC: [usize; 3] = [3, 4, 2];

fn image<T: Float>() -> Vec<T> {
    let mut v = Vec::new();
    for y in 0..3 {
        for x in 0..4 {
            let p = (10 * (y + 1) + x + 1) as f64;
            v.extend([T::from_f64(p), T::from_f64(p + 100.0)]);
        }
    }
    v
}

/// An image of 2 channels from the rows of channel 0 (channel 1: +100, except zeros).
fn expected<T: Float>(rows: [[u32; 4]; 3]) -> Vec<T> {
    rows.iter()
        .flatten()
        .flat_map(|&p| {
            let q = if p == 0 { 0 } else { p + 100 };
            [T::from_f64(p.into()), T::from_f64(q.into())]
        })
        .collect()
}

fn crop_of<T: Float>(border: Border, offset: (usize, usize)) -> Vec<T> {
    let mut out = vec![T::ZERO; 24];
    crop(&image::<T>(), HWC, (1, 1), border, offset, &mut out).unwrap();
    out
}

fn check_flip_and_crop<T: Float>() {
    let mut im = image::<T>();
    flip(&mut im, HWC).unwrap();
    assert_eq!(
        im,
        expected([[14, 13, 12, 11], [24, 23, 22, 21], [34, 33, 32, 31]])
    );

    // Padded by one pixel, the window at the top left, at the centre (the identity), at the
    // bottom right.
    let zero = expected([[0, 0, 0, 0], [0, 11, 12, 13], [0, 21, 22, 23]]);
    assert_eq!(crop_of::<T>(Border::Zero, (0, 0)), zero);
    for b in [Border::Zero, Border::Reflect, Border::Edge] {
        assert_eq!(crop_of::<T>(b, (1, 1)), image::<T>());
    }
    let reflect = expected([[22, 21, 22, 23], [12, 11, 12, 13], [22, 21, 22, 23]]);
    assert_eq!(crop_of::<T>(Border::Reflect, (0, 0)), reflect);
    let reflect = expected([[22, 23, 24, 23], [32, 33, 34, 33], [22, 23, 24, 23]]);
    assert_eq!(crop_of::<T>(Border::Reflect, (2, 2)), reflect);
    let edge = expected([[11, 11, 12, 13], [11, 11, 12, 13], [21, 21, 22, 23]]);
    assert_eq!(crop_of::<T>(Border::Edge, (0, 0)), edge);
    let zero = expected([[22, 23, 24, 0], [32, 33, 34, 0], [0, 0, 0, 0]]);
    assert_eq!(crop_of::<T>(Border::Zero, (2, 2)), zero);

    // The same through an augmentation whose flip always happens.
    let mut batch = Tensor::from_vec(&[1, 3, 4, 2], image::<T>()).unwrap();
    Augmentation::none()
        .flip(1.0)
        .augment(&mut batch, &mut Rng::seed(0))
        .unwrap();
    assert_eq!(
        batch.data(),
        expected::<T>([[14, 13, 12, 11], [24, 23, 22, 21], [34, 33, 32, 31]])
    );
}

#[test]
fn flip_and_crop_give_exact_pixels() {
    check_flip_and_crop::<f32>();
    check_flip_and_crop::<f64>();
}

#[test]
fn borders_map_positions_like_numpy_pad() {
    let reflect: Vec<_> = (-4..=6)
        .map(|i| Border::Reflect.source(i, 3).unwrap())
        .collect();
    assert_eq!(reflect, [0, 1, 2, 1, 0, 1, 2, 1, 0, 1, 2]);
    let edge: Vec<_> = (-2..=4)
        .map(|i| Border::Edge.source(i, 3).unwrap())
        .collect();
    assert_eq!(edge, [0, 0, 0, 1, 2, 2, 2]);
    let zero: Vec<_> = (-1..=3).map(|i| Border::Zero.source(i, 3)).collect();
    assert_eq!(zero, [None, Some(0), Some(1), Some(2), None]);
    assert_eq!(Border::Reflect.source(-7, 1), Some(0));
    assert_eq!(Border::Edge.source(0, 0), None);
    assert_eq!(
        Border::Reflect.source(isize::MIN, 5).map(|i| i < 5),
        Some(true)
    );
}

fn check_affine<T: Float>() {
    let row = |v: &[f64]| v.iter().map(|&x| T::from_f64(x)).collect::<Vec<T>>();
    let im = row(&[10.0, 20.0, 30.0, 40.0]);
    let hwc = [1, 4, 1];
    let mut out = vec![T::ZERO; 4];
    let mut run = |scale, shift, border| {
        affine(&im, hwc, scale, shift, border, &mut out).unwrap();
        out.clone()
    };
    assert_eq!(run(1.0, (0.0, 0.0), Border::Zero), im);
    assert_eq!(
        run(1.0, (0.0, 1.0), Border::Zero),
        row(&[0.0, 10.0, 20.0, 30.0])
    );
    assert_eq!(
        run(1.0, (0.0, 0.5), Border::Zero),
        row(&[5.0, 15.0, 25.0, 35.0])
    );
    assert_eq!(
        run(1.0, (0.0, 0.5), Border::Edge),
        row(&[10.0, 15.0, 25.0, 35.0])
    );
    assert_eq!(
        run(1.0, (0.0, -1.0), Border::Reflect),
        row(&[20.0, 30.0, 40.0, 30.0])
    );
    // Twice as large about the centre 1.5: pixel x reads 1.5 + (x − 1.5)/2.
    assert_eq!(
        run(2.0, (0.0, 0.0), Border::Zero),
        row(&[17.5, 22.5, 27.5, 32.5])
    );
    // Half as large: pixel 0 reads −1.5, half of pixel −2 (edge: 10) and half of −1 (10).
    assert_eq!(
        run(0.5, (0.0, 0.0), Border::Edge),
        row(&[10.0, 15.0, 35.0, 40.0])
    );
    // Rows shift too, on the 3×4×2 image: down by one.
    let mut out = vec![T::ZERO; 24];
    affine(&image::<T>(), HWC, 1.0, (1.0, 0.0), Border::Zero, &mut out).unwrap();
    assert_eq!(
        out,
        expected([[0, 0, 0, 0], [11, 12, 13, 14], [21, 22, 23, 24]])
    );
}

#[test]
fn affine_samples_bilinearly() {
    check_affine::<f32>();
    check_affine::<f64>();
}

fn check_jitter<T: Float>() {
    let v = |x: &[f64]| x.iter().map(|&x| T::from_f64(x)).collect::<Vec<T>>();
    let mut im = v(&[1.0, 2.0, 3.0, 6.0]);
    jitter(&mut im, 2.0, 1.0);
    assert_eq!(im, v(&[2.0, 4.0, 6.0, 12.0]));
    // Mean 6: half the contrast.
    jitter(&mut im, 1.0, 0.5);
    assert_eq!(im, v(&[4.0, 5.0, 6.0, 9.0]));
    // Negative (standardised) values are neither clamped nor shifted to [0, 1].
    let mut im = v(&[-1.5, 0.5]);
    jitter(&mut im, 1.0, 0.0);
    assert_eq!(im, v(&[-0.5, -0.5]));
    let mut im = v(&[-0.0, f64::MAX, 1e-30]);
    let before = im.clone();
    jitter(&mut im, 1.0, 1.0);
    assert_eq!(
        im.iter().map(|x| x.to_f64().to_bits()).collect::<Vec<_>>(),
        before
            .iter()
            .map(|x| x.to_f64().to_bits())
            .collect::<Vec<_>>()
    );
}

#[test]
fn jitter_scales_brightness_and_contrast() {
    check_jitter::<f32>();
    check_jitter::<f64>();
}

/// A batch of `m` random `h × w × c` images with values in `[-1, 2)`.
fn random_batch<T: Float>(shape: [usize; 4], seed: u64) -> Tensor<T> {
    let mut rng = Rng::seed(seed);
    let n = shape.iter().product();
    Tensor::from_vec(&shape, (0..n).map(|_| rng.uniform(-1.0, 2.0)).collect()).unwrap()
}

fn bits<T: Float>(t: &Tensor<T>) -> Vec<u64> {
    t.data().iter().map(|x| x.to_f64().to_bits()).collect()
}

/// Every random step with all of its draws, replayed by hand from the documented order.
fn check_draw_order<T: Float>() {
    let aug: Augmentation = "flip:0.5,crop:1:reflect,affine:0.2:0.1:edge,jitter:0.3:0.2"
        .parse()
        .unwrap();
    let original = random_batch::<T>([3, 5, 6, 2], 9);
    let mut batch = original.clone();
    aug.augment(&mut batch, &mut Rng::seed(42)).unwrap();

    let mut rng = Rng::seed(42);
    let index = |rng: &mut Rng, n: usize| (rng.uniform::<f64>(0.0, 1.0) * n as f64) as usize;
    let hwc = [5, 6, 2];
    let mut out = vec![T::ZERO; 60];
    for i in 0..3 {
        let mut im = original.row(i).to_vec();
        if rng.uniform::<f64>(0.0, 1.0) < 0.5 {
            flip(&mut im, hwc).unwrap();
        }
        let (dy, dx) = (index(&mut rng, 3), index(&mut rng, 3));
        crop(&im, hwc, (1, 1), Border::Reflect, (dy, dx), &mut out).unwrap();
        // The ranges computed as the step computes them, so that they round alike.
        let s = rng.uniform(1.0 - 0.2, 1.0 + 0.2);
        let (th, tw) = (0.1 * 5.0, 0.1 * 6.0);
        let (ty, tx) = (rng.uniform(-th, th), rng.uniform(-tw, tw));
        affine(&out, hwc, s, (ty, tx), Border::Edge, &mut im).unwrap();
        let (b, c) = (
            rng.uniform(1.0 - 0.3, 1.0 + 0.3),
            rng.uniform(1.0 - 0.2, 1.0 + 0.2),
        );
        jitter(&mut im, b, c);
        assert_eq!(batch.row(i), &im[..], "image {i}");
    }
    // The generator was left where the augmentation left it.
    let mut after = Rng::seed(42);
    aug.augment(&mut original.clone(), &mut after).unwrap();
    assert_eq!(after, rng);
}

#[test]
fn draws_follow_the_documented_order() {
    check_draw_order::<f32>();
    check_draw_order::<f64>();
}

fn check_determinism<T: Float>() {
    let aug = Augmentation::default_for_images()
        .affine(0.1, 0.1, Border::Zero)
        .jitter(0.2, 0.2);
    let original = random_batch::<T>([4, 8, 8, 3], 1);
    let run = |seed| {
        let mut b = original.clone();
        aug.augment(&mut b, &mut Rng::seed(seed)).unwrap();
        b
    };
    assert_eq!(bits(&run(7)), bits(&run(7)));
    assert_ne!(bits(&run(7)), bits(&run(8)));
    assert_ne!(bits(&run(7)), bits(&original));
}

#[test]
fn same_seed_same_batch() {
    check_determinism::<f32>();
    check_determinism::<f64>();
}

fn check_identity<T: Float>() {
    let original = random_batch::<T>([3, 4, 5, 2], 3);
    for text in [
        "none",
        "jitter:0",
        "affine:0:0",
        "crop:0",
        "flip:0",
        "crop:0%:reflect",
    ] {
        let aug: Augmentation = text.parse().unwrap();
        let mut b = original.clone();
        aug.augment(&mut b, &mut Rng::seed(5)).unwrap();
        assert_eq!(bits(&b), bits(&original), "{text}");
    }
}

#[test]
fn zero_ranges_are_the_identity() {
    check_identity::<f32>();
    check_identity::<f64>();
}

#[test]
fn bad_batches_and_steps_are_errors_and_change_nothing() {
    let mut rng = Rng::seed(0);
    let aug = Augmentation::default_for_images();
    let mut flat = Tensor::<f32>::zeros(&[2, 12]);
    let e = aug.augment(&mut flat, &mut rng).unwrap_err();
    assert!(matches!(e, Error::Shape { .. }));
    assert_eq!(
        e.to_string(),
        "Augmentation: the batch (2, 12) is not a batch of images (m, h, w, c)"
    );

    let original = random_batch::<f64>([2, 3, 8, 1], 0);
    let mut b = original.clone();
    let e = Augmentation::none()
        .flip(1.0)
        .crop(Pad::Pixels(3), Border::Reflect)
        .augment(&mut b, &mut rng)
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "Augmentation: crop:3:reflect pads the images by 3×3 pixels, but they are 3×8: the \
         padding must be less than the height and the width"
    );
    assert_eq!(b, original);
    let before = rng.clone();
    let e = Augmentation::none()
        .flip(2.0)
        .augment(&mut b, &mut rng)
        .unwrap_err();
    assert!(matches!(e, Error::Config(_)));
    assert!(
        e.to_string()
            .contains("augmentation step 1 (flip:2): the probability 2 is not in [0, 1]"),
        "{e}"
    );
    assert_eq!((&b, &rng), (&original, &before));

    let e = aug.augment(&mut Tensor::<f32>::zeros(&[1, 0, 4, 1]), &mut Rng::seed(0));
    assert!(e.unwrap_err().to_string().contains("are empty"));
    let mut out = vec![0.0f32; 24];
    let e = crop(&image::<f32>(), HWC, (1, 1), Border::Zero, (3, 0), &mut out).unwrap_err();
    assert!(e.to_string().contains("outside the padded image"), "{e}");
    let e = crop(&image::<f32>(), HWC, (3, 1), Border::Zero, (0, 0), &mut out).unwrap_err();
    assert!(e.to_string().contains("must be less than"), "{e}");
    assert!(flip(&mut [0.0f32; 5], HWC).is_err());
    assert!(affine(
        &image::<f32>(),
        HWC,
        0.0,
        (0.0, 0.0),
        Border::Zero,
        &mut out
    )
    .is_err());
    // An empty batch is fine.
    aug.augment(&mut Tensor::<f32>::zeros(&[0, 4, 4, 3]), &mut rng)
        .unwrap();
}

#[test]
fn percent_padding_follows_the_side() {
    assert_eq!(Pad::Percent(12.5).pixels(32), 4);
    assert_eq!(Pad::Percent(12.5).pixels(28), 4);
    assert_eq!(Pad::Percent(12.5).pixels(64), 8);
    assert_eq!(Pad::Percent(12.5).pixels(3), 0);
    assert_eq!(Pad::Pixels(2).pixels(64), 2);
}

#[test]
fn text_form_round_trips() {
    for text in [
        "none",
        "flip",
        "flip:0.3",
        "flip:1",
        "crop:4",
        "crop:12.5%:reflect",
        "crop:2:edge",
        "affine:0.1:0.05",
        "affine:0.1:0.05:edge",
        "jitter:0.2",
        "jitter:0:0.3",
        "flip,crop:4:reflect,affine:0.1:0.1,jitter:0.1:0.2",
    ] {
        let a: Augmentation = text.parse().unwrap();
        assert_eq!(a.to_string(), text);
    }
    let parsed = |t: &str| t.parse::<Augmentation>().unwrap();
    assert_eq!(parsed("default"), Augmentation::default_for_images());
    assert_eq!(parsed("default").to_string(), "flip,crop:12.5%:reflect");
    assert_eq!(parsed(" flip , crop:4:zero ").to_string(), "flip,crop:4");
    assert_eq!(
        parsed("default,jitter:0.1").steps[2],
        Step::Jitter {
            brightness: 0.1,
            contrast: 0.1
        }
    );
    assert!(parsed("none").is_none());

    // Random parameters with all their digits come back bit for bit.
    let mut rng = Rng::seed(11);
    for _ in 0..200 {
        let u = |rng: &mut Rng| rng.uniform::<f64>(0.0, 1.0);
        let a = Augmentation::none()
            .flip(u(&mut rng))
            .crop(Pad::Percent(99.0 * u(&mut rng)), Border::Edge)
            .crop(Pad::Pixels((100.0 * u(&mut rng)) as usize), Border::Zero)
            .affine(u(&mut rng), u(&mut rng), Border::Reflect)
            .jitter(u(&mut rng), u(&mut rng));
        assert_eq!(a.to_string().parse::<Augmentation>().unwrap(), a);
    }
}

#[test]
fn text_errors_name_the_item_and_the_valid_forms() {
    let err = |t: &str| t.parse::<Augmentation>().unwrap_err().to_string();
    let e = err("flip,flop");
    assert!(
        e.starts_with("augmentation \"flip,flop\": bad step \"flop\": unknown step \"flop\"; valid steps: flip[:P], crop:PAD[:BORDER], affine:S:T[:BORDER], jitter:B[:C], default; or none alone"),
        "{e}"
    );
    for (text, message) in [
        ("crop:x", "bad step \"crop:x\": the padding \"x\" is not a whole number of pixels or a percentage (such as 4 or 12.5%)"),
        ("crop:4.5", "the padding \"4.5\" is not a whole number"),
        ("crop:100%", "the padding percentage 100 is not in [0, 100)"),
        ("crop:4:mirror", "the border \"mirror\" is not one of zero, reflect, edge"),
        ("crop", "crop takes one or two parameters (crop:PAD[:BORDER]) but was given 0"),
        ("flip:2", "bad step \"flip:2\": the probability 2 is not in [0, 1]"),
        ("flip:NaN", "the probability NaN is not in [0, 1]"),
        ("flip:a", "the probability \"a\" is not a number"),
        ("flip:0.5:1", "flip takes at most one parameter (flip[:P]) but was given 2"),
        ("affine:0.1", "affine takes two or three parameters (affine:S:T[:BORDER]) but was given 1"),
        ("affine:1:0.1", "the scale range 1 is not in [0, 1)"),
        ("affine:0.1:-0.1", "the translation -0.1 is not in [0, 1]"),
        ("jitter", "jitter takes one or two parameters (jitter:B[:C]) but was given 0"),
        ("jitter:0.1:1.5", "the contrast range 1.5 is not in [0, 1]"),
        ("jitter:inf", "the brightness range inf is not in [0, 1]"),
        ("", "empty (give none for no augmentation)"),
        ("none,flip", "none cannot be combined with steps"),
        ("flip,,crop:4", "an empty step"),
        ("Flip", "unknown step \"Flip\""),
    ] {
        let e = err(text);
        assert!(e.contains(message), "{text}: {e}");
        assert!(e.starts_with(&format!("augmentation \"{text}\": ")), "{e}");
        assert!(e.contains("valid steps: "), "{e}");
    }
}

#[test]
fn serde_keeps_the_steps_and_checks_them() {
    let a = Augmentation::default_for_images().affine(0.1, 0.2, Border::Edge);
    let json = serde_json::to_string(&a).unwrap();
    assert_eq!(
        json,
        r#"{"steps":[{"flip":{"p":0.5}},{"crop":{"padding":{"percent":12.5},"border":"reflect"}},{"affine":{"scale":0.1,"translate":0.2,"border":"edge"}}]}"#
    );
    assert_eq!(serde_json::from_str::<Augmentation>(&json).unwrap(), a);
    let e = serde_json::from_str::<Augmentation>(r#"{"steps":[{"flip":{"p":2.0}}]}"#)
        .unwrap_err()
        .to_string();
    assert!(e.contains("the probability 2 is not in [0, 1]"), "{e}");
    let e = serde_json::from_str::<Augmentation>(r#"{"steps":[{"flip":{"p":0.5,"q":1}}]}"#);
    assert!(e.is_err());
    let e = serde_json::from_str::<Augmentation>(r#"{"steps":[],"extra":1}"#);
    assert!(e.is_err());
}

/// 2 classes of 8×8×1 images, mirror-symmetric so that flips keep the class: the top half
/// bright (class 1) or the bottom half, plus noise.
fn top_or_bottom<T: Float>(m: usize, rng: &mut Rng) -> (Tensor<T>, Tensor<T>) {
    let (mut x, mut y) = (Vec::new(), Vec::new());
    for i in 0..m {
        let class = i % 2;
        for r in 0..8 {
            let bright = (r < 4) == (class == 1);
            for _ in 0..8 {
                x.push(T::from_f64(
                    f64::from(u8::from(bright)) + rng.uniform::<f64>(-0.2, 0.2),
                ));
            }
        }
        y.push(T::from_f64(class as f64));
    }
    let x = Tensor::from_vec(&[m, 8, 8, 1], x).unwrap();
    (x, Tensor::from_vec(&[m, 1], y).unwrap())
}

fn train<T: Float>(aug: Option<&Augmentation>, seed: u64) -> (Vec<Vec<u64>>, f64) {
    let mut rng = Rng::seed(seed);
    let (x, y) = top_or_bottom::<T>(32, &mut rng);
    let mut net = Network::<T>::builder(&[8, 8, 1])
        .flatten()
        .dense(1)
        .loss(Loss::BinaryCrossEntropy)
        .build(Reference, &mut rng)
        .unwrap();
    let mut set = TrainingSet::new(&x, &y);
    if let Some(a) = aug {
        set = set.augment(a);
    }
    let config = FitConfig::new(Optimizer::gradient_descent(0.1))
        .epochs(5)
        .batch_size(8);
    let history = net.train_on(set, &config, &mut rng, &mut ()).unwrap();
    let weights = net.parameters().iter().map(|p| bits(p)).collect();
    (weights, history.final_cost())
}

fn check_training<T: Float>() {
    let aug = Augmentation::default_for_images().jitter(0.1, 0.1);
    let (a, cost) = train::<T>(Some(&aug), 3);
    assert!(cost.is_finite());
    assert_eq!(a, train::<T>(Some(&aug), 3).0);
    assert_ne!(a, train::<T>(Some(&aug), 4).0);
    assert_ne!(a, train::<T>(None, 3).0);
}

#[test]
fn trains_reproducibly_inside_train_on() {
    check_training::<f32>();
    check_training::<f64>();
}
