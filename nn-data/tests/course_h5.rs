//! The course HDF5 reader on the repository's `data/faces_h5` files, checked against figures
//! computed with h5py, and on bad files.
//!
//! Reference figures (h5py 3, numpy):
//!
//! ```python
//! import h5py, numpy as np
//! f = h5py.File("data/faces_h5/train_faces.h5"); x = f["train_set_x"][()]; y = f["train_set_y"][()]
//! int(x[0].astype(np.int64).sum()), int(x.astype(np.int64).sum()), int(y.sum()), np.bincount(y)
//! # (1294482, 178077027, 78, [72, 78]); x[0, 10, 40] == [131]*3, x[0, 40, 10] == [125]*3
//! # test_faces.h5: (470358, 58275552, 22, [28, 22])
//! ```

use std::path::{Path, PathBuf};

use nn_data::course_h5::{self, CourseSet};
use nn_data::DataError;

fn faces(name: &str) -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../data/faces_h5/")).join(name)
}

fn bad_sets() -> PathBuf {
    PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/bad_sets.h5"
    ))
}

fn pixel_sum(pixels: &[u8]) -> u64 {
    pixels.iter().map(|&p| u64::from(p)).sum()
}

fn count(set: &CourseSet, label: i64) -> usize {
    set.labels.iter().filter(|&&l| l == label).count()
}

/// The pixel at `(i, row, col, channel)`.
fn pixel(set: &CourseSet, i: usize, row: usize, col: usize, channel: usize) -> u8 {
    let [_, h, w, c] = set.shape;
    set.images[((i * h + row) * w + col) * c + channel]
}

#[test]
fn train_faces_match_h5py() {
    let set = course_h5::read_train(faces("train_faces.h5")).unwrap();
    assert_eq!(set.shape, [150, 64, 64, 3]);
    assert_eq!(set.images.len(), 150 * 64 * 64 * 3);
    assert_eq!(set.len(), 150);
    assert_eq!(set.classes, ["non-face", "face"]);
    assert_eq!(set.labels.len(), 150);
    assert_eq!((count(&set, 0), count(&set, 1)), (72, 78));
    assert_eq!(set.labels.iter().sum::<i64>(), 78);
    assert_eq!(set.labels[..10], [1, 1, 1, 0, 0, 1, 1, 1, 0, 1]);
    assert_eq!(pixel_sum(&set.images[..64 * 64 * 3]), 1_294_482);
    assert_eq!(pixel_sum(&set.images), 178_077_027);
    // Rows before columns: (h, w, c) order, as stored.
    assert_eq!(pixel(&set, 0, 10, 40, 0), 131);
    assert_eq!(pixel(&set, 0, 40, 10, 0), 125);
}

#[test]
fn test_faces_match_h5py() {
    let set = course_h5::read_test(faces("test_faces.h5")).unwrap();
    assert_eq!(set.shape, [50, 64, 64, 3]);
    assert_eq!(set.images.len(), 50 * 64 * 64 * 3);
    assert_eq!(set.classes, ["non-face", "face"]);
    assert_eq!((count(&set, 0), count(&set, 1)), (28, 22));
    assert_eq!(set.labels.iter().sum::<i64>(), 22);
    assert_eq!(pixel_sum(&set.images[..64 * 64 * 3]), 470_358);
    assert_eq!(pixel_sum(&set.images), 58_275_552);
    assert_eq!(pixel(&set, 0, 10, 40, 0), 5);
    assert_eq!(pixel(&set, 0, 40, 10, 0), 60);
}

#[test]
fn tensors_keep_the_order_and_scale_by_255() {
    let set = course_h5::read(faces("train_faces.h5"), "train").unwrap();

    let volumes = set.volumes();
    assert_eq!(volumes.shape(), [150, 64, 64, 3]);
    let flat = set.flattened();
    assert_eq!(flat.shape(), [150, 12288]);
    // Flattening is a reshape: the same buffer as the volume.
    assert_eq!(flat.data(), volumes.data());
    assert_eq!(flat.row(0)[(10 * 64 + 40) * 3], 131.0 / 255.0);
    assert_eq!(flat.row(0)[(40 * 64 + 10) * 3], 125.0 / 255.0);
    let first: f64 = flat.row(0).iter().map(|&v| f64::from(v)).sum();
    assert!((first - 1_294_482.0 / 255.0).abs() < 1e-2, "{first}");
    assert!(flat.data().iter().all(|&v| (0.0..=1.0).contains(&v)));

    let y = set.label_tensor();
    assert_eq!(y.shape(), [150, 1]);
    assert_eq!(y.data().iter().sum::<f32>(), 78.0);
    assert_eq!(y.data()[..4], [1.0, 1.0, 1.0, 0.0]);
}

#[test]
fn chunked_gzip_pixels_and_int32_row_labels() {
    // make_bad_sets.py: the one valid set, random pixels (channels differ), labels (1, 4) int32.
    let set = course_h5::read(bad_sets(), "row").unwrap();
    assert_eq!(set.shape, [4, 5, 6, 3]);
    assert_eq!(set.labels, [1, 0, 1, 1]);
    assert_eq!(pixel_sum(&set.images[..5 * 6 * 3]), 11_475);
    assert_eq!(pixel_sum(&set.images), 44_529);
    assert_eq!(pixel(&set, 1, 2, 3, 0), 196);
    assert_eq!(pixel(&set, 3, 4, 5, 2), 99);
}

/// The message of `result`'s error, checking that it starts with the file.
fn message(result: Result<CourseSet, DataError>, path: &Path) -> String {
    let err = result.expect_err("the read should fail");
    let msg = err.to_string();
    let prefix = format!("{}: ", path.display());
    assert!(
        msg.starts_with(&prefix),
        "{msg:?} does not start with {prefix:?}"
    );
    msg
}

#[test]
fn missing_file_names_the_file() {
    let path = faces("no_such_file.h5");
    let err = course_h5::read_train(&path).unwrap_err();
    assert!(
        matches!(&err, DataError::Io { source, .. } if source.kind() == std::io::ErrorKind::NotFound)
    );
    message(Err(err), &path);
}

#[test]
fn not_hdf5_names_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("faces.h5");
    std::fs::write(&path, "label,pixels\n1,0 0 0\n0,255 255 255\n").unwrap();
    let msg = message(course_h5::read_train(&path), &path);
    assert!(
        msg.ends_with("not an HDF5 file (no HDF5 signature)"),
        "{msg}"
    );

    std::fs::write(&path, b"").unwrap();
    let msg = message(course_h5::read_train(&path), &path);
    assert!(msg.contains("not an HDF5 file"), "{msg}");

    // A folder is not a file either.
    message(course_h5::read_train(dir.path()), dir.path());
}

#[test]
fn train_reader_on_the_test_file_lists_what_is_there() {
    let path = faces("test_faces.h5");
    let msg = message(course_h5::read_train(&path), &path);
    assert_eq!(
        msg,
        format!(
            "{}: no dataset \"train_set_x\" (found: list_classes, test_set_x, test_set_y)",
            path.display()
        )
    );
}

#[test]
fn bad_sets_are_refused_with_their_reason() {
    let path = bad_sets();
    let p = path.display();
    let cases = [
        (
            "shape",
            format!("{p}: shape_set_x has shape (3, 64, 64) but a (m, h, w, c) image batch was expected"),
        ),
        ("count", format!("{p}: 3 images but 2 labels")),
        (
            "label",
            format!("{p}: label_set_y[2] is 5 but there are 2 classes (labels must be in 0..2)"),
        ),
        (
            "negative",
            format!("{p}: negative_set_y[1] is -1 but there are 2 classes (labels must be in 0..2)"),
        ),
        (
            "float",
            format!("{p}: float_set_x holds float64 but uint8 pixels were expected"),
        ),
        (
            "nothing",
            format!(
                "{p}: no dataset \"nothing_set_x\" (found: count_set_x, count_set_y, float_set_x, \
                 float_set_y, label_set_x, label_set_y, list_classes, negative_set_x, \
                 negative_set_y, row_set_x, row_set_y, shape_set_x, shape_set_y)"
            ),
        ),
    ];
    for (prefix, expected) in cases {
        assert_eq!(message(course_h5::read(&path, prefix), &path), expected);
    }
}

/// Tiny files claiming huge datasets they do not store (`tests/data/make_hostile_sets.py`):
/// each is refused from its metadata, before anything is allocated for it.
#[test]
fn claims_beyond_the_file_are_refused_before_reading() {
    let data = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data"));
    let hostile = data.join("hostile_sets.h5");
    let zero = message(course_h5::read(&hostile, "zero"), &hostile);
    assert!(zero.contains("with no dimension of 0"), "{zero}");
    let claim = message(course_h5::read(&hostile, "claim"), &hostile);
    assert!(
        claim.contains("claim_set_x [16777216, 1, 1, 1] of a 4640-byte file")
            && claim.contains("MAX_PIXELS_PER_BYTE"),
        "{claim}"
    );
    let many = data.join("many_classes.h5");
    let classes = message(course_h5::read_train(&many), &many);
    assert!(classes.contains("MAX_CLASS_NAMES"), "{classes}");
}

/// Truncated and bit-flipped copies of a real file: each read is an error naming the file or a
/// set that keeps the documented invariants; never a panic.
#[test]
fn corrupt_copies_never_panic() {
    let original = std::fs::read(faces("test_faces.h5")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("corrupt.h5");
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let len = original.len() as u64;
    for case in 0..120 {
        let mut bytes = original.clone();
        if case % 3 == 0 {
            bytes.truncate((next() % len) as usize);
        } else {
            // Metadata lives in the first few KiB; flip there, sometimes anywhere.
            let span = if case % 3 == 1 { 4096 } else { len };
            for _ in 0..1 + next() % 8 {
                let at = (next() % span) as usize;
                bytes[at] ^= 1 << (next() % 8);
            }
        }
        std::fs::write(&path, &bytes).unwrap();
        match course_h5::read_test(&path) {
            Ok(set) => {
                assert_eq!(set.images.len(), set.shape.iter().product::<usize>());
                assert_eq!(set.labels.len(), set.shape[0]);
                let classes = set.classes.len() as i64;
                assert!(set.labels.iter().all(|l| (0..classes).contains(l)));
            }
            Err(err) => {
                let msg = err.to_string();
                assert!(
                    msg.starts_with(&format!("{}: ", path.display())),
                    "case {case}: {msg}"
                );
            }
        }
    }
}
