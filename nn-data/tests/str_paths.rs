//! Every loader takes its path as `impl AsRef<Path>`: a `&str` literal (as here), a `String`, a
//! `&Path` or a `PathBuf` all compile and read the same data.

use std::path::{Path, PathBuf};

use nn_data::images::{Color, ImageOptions};
use nn_data::table::{Csv, Label};
use nn_data::{course_h5, idx};

const TRAIN_H5: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../data/faces_h5/train_faces.h5"
);
const TEST_H5: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../data/faces_h5/test_faces.h5"
);
const MNIST: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../data/mnist5k");
const TRAIN_IMAGES: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../data/mnist5k/train-images-idx3-ubyte.gz"
);
const TRAIN_LABELS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../data/mnist5k/train-labels-idx1-ubyte.gz"
);
const FACES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/builtin/faces");
const FACE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/builtin/faces/face/000.png");

#[test]
fn course_h5_takes_str_paths() {
    let train = course_h5::read_train(TRAIN_H5).unwrap();
    assert_eq!(train.shape, [150, 64, 64, 3]);
    let test = course_h5::read_test(TEST_H5).unwrap();
    assert_eq!(test.shape, [50, 64, 64, 3]);
    let again = course_h5::read(TRAIN_H5, "train").unwrap();
    assert_eq!(again, train);
    // The other path types give the same set.
    assert_eq!(
        course_h5::read_train(String::from(TRAIN_H5)).unwrap(),
        train
    );
    assert_eq!(course_h5::read_train(Path::new(TRAIN_H5)).unwrap(), train);
    assert_eq!(
        course_h5::read_train(PathBuf::from(TRAIN_H5)).unwrap(),
        train
    );
}

#[test]
fn idx_takes_str_paths() {
    let images = idx::read(TRAIN_IMAGES).unwrap();
    assert_eq!(images.dims, vec![4000, 28, 28]);
    let pair = idx::read_pair(TRAIN_IMAGES, TRAIN_LABELS, 10).unwrap();
    assert_eq!(pair.x().shape(), &[4000, 28, 28, 1]);
    let [train, test] = idx::mnist(MNIST).unwrap();
    assert_eq!(train, pair);
    assert_eq!(test.len(), 1000);
    // Pixels read as f32 while streaming are the bytes of `read`.
    let as_bytes: Vec<f32> = images.values.iter().map(|&p| f32::from(p)).collect();
    assert_eq!(pair.x().data(), &as_bytes[..]);
}

#[test]
fn images_take_str_paths() {
    let options = ImageOptions::new().size(25, 25).color(Color::Gray);
    let pixels = options.read(FACE).unwrap();
    assert_eq!(pixels.len(), 625);
    let bytes = std::fs::read(FACE).unwrap();
    assert_eq!(options.decode(&bytes, "face/000.png").unwrap(), pixels);
    let one = options.load_image(FACE).unwrap();
    assert_eq!(one.shape(), &[1, 25, 25, 1]);
    let loaded = options.load_folder(FACES).unwrap();
    assert_eq!(loaded.dataset.len(), 200);
    let with_progress = options
        .load_folder_with_progress(FACES, &|_, _| {})
        .unwrap();
    assert_eq!(with_progress.dataset, loaded.dataset);
}

#[test]
fn csv_takes_str_paths() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.csv");
    std::fs::write(&path, "a,b,y\n1,2,x\n3,4,z\n").unwrap();
    let path = path.to_str().expect("a UTF-8 temporary path").to_string();
    let data = Csv::new(Label::LastClass).read(path.as_str()).unwrap();
    assert_eq!(data.x().shape(), &[2, 2]);
    assert_eq!(data.class_names(), ["x", "z"]);
    assert_eq!(Csv::new(Label::LastClass).read(path).unwrap(), data);
}
