//! Image folders, single images and the built-in photos, on the repository's face/non-face
//! PNGs (`nn-data/builtin/faces`: 100 `face/000…099.png`, 100 `nonface/100…199.png`, 25×25
//! grayscale), checked against figures computed with an independent PNG decoder (Python's
//! zlib, unfiltering by hand): face/000.png sums to 65 844, face/099.png to 58 747,
//! nonface/100.png to 28 948, all 200 to 12 021 236; face/000.png's first row starts
//! 74, 84, 97, 128, 122.

use std::fs;
use std::path::{Path, PathBuf};

use nn_data::builtin;
use nn_data::images::{Color, ImageOptions};
use nn_data::DataError;

fn faces_dir() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/builtin/faces"))
}

fn sum(values: &[f32]) -> f64 {
    values.iter().map(|&v| f64::from(v)).sum()
}

fn native() -> ImageOptions {
    ImageOptions::new().size(25, 25).color(Color::Gray)
}

#[test]
fn folder_at_native_size_matches_the_png_figures() {
    let loaded = native().load_folder(faces_dir()).unwrap();
    assert!(loaded.skipped.is_empty());
    let data = loaded.dataset;
    assert_eq!(data.x().shape(), &[200, 25, 25, 1]);
    assert_eq!(data.class_names(), ["face", "nonface"]);
    assert_eq!(data.class_counts(), vec![100, 100]);
    let image = |i: usize| &data.x().data()[i * 625..(i + 1) * 625];
    assert_eq!(sum(image(0)), 65_844.0);
    assert_eq!(&image(0)[..5], &[74.0, 84.0, 97.0, 128.0, 122.0]);
    assert_eq!(sum(image(99)), 58_747.0);
    assert_eq!(sum(image(100)), 28_948.0);
    assert_eq!(sum(data.x().data()), 12_021_236.0);
    assert_eq!(&data.labels().unwrap()[98..102], &[0, 0, 1, 1]);
}

#[test]
fn loading_a_folder_reports_each_file_once_and_ends_at_the_total() {
    use std::sync::Mutex;
    let seen = Mutex::new(Vec::new());
    let loaded = native()
        .load_folder_with_progress(faces_dir(), &|done, total| {
            seen.lock().unwrap().push((done, total))
        })
        .unwrap();
    assert_eq!(loaded.dataset.len(), 200);
    let mut seen = seen.into_inner().unwrap();
    seen.sort_unstable();
    let expected: Vec<(usize, usize)> = (1..=200).map(|d| (d, 200)).collect();
    assert_eq!(seen, expected);
}

#[test]
fn folder_resized_to_rgb_keeps_the_picture() {
    let data = ImageOptions::new()
        .load_folder(faces_dir())
        .unwrap()
        .dataset;
    assert_eq!(data.x().shape(), &[200, 64, 64, 3]);
    assert_eq!(data.features(), 12288);
    let pixels = data.x().data();
    // Grayscale sources: the three channels are equal.
    assert!(pixels.chunks_exact(3).all(|p| p[0] == p[1] && p[1] == p[2]));
    // Bilinear resizing keeps the mean brightness within a grey level.
    let mean64 = sum(pixels) / pixels.len() as f64;
    let mean25 = 12_021_236.0 / (200.0 * 625.0);
    assert!((mean64 - mean25).abs() < 1.0, "{mean64} vs {mean25}");
    // Flattening keeps (h, w, c) order: row 0 of the flat tensor is image 0 as stored.
    assert_eq!(data.flattened().row(0), &pixels[..12288]);
}

#[test]
fn builtin_faces_are_the_folder_with_classes_in_course_order() {
    let builtin = builtin::faces(&native()).unwrap();
    assert_eq!(builtin.class_names(), ["non-face", "face"]);
    assert_eq!(builtin.class_counts(), vec![100, 100]);
    assert_eq!(sum(builtin.x().data()), 12_021_236.0);
    let folder = native().load_folder(faces_dir()).unwrap().dataset;
    // Built-in: non-faces (folder label 1) first, then faces (folder label 0).
    assert_eq!(builtin.x().row(0), folder.x().row(100));
    assert_eq!(builtin.x().row(100), folder.x().row(0));
    assert_eq!(builtin.labels().unwrap()[0], 0);
    assert_eq!(builtin.labels().unwrap()[100], 1);
    let rgb = builtin::faces(&ImageOptions::new()).unwrap();
    assert_eq!(rgb.x().shape(), &[200, 64, 64, 3]);
}

#[test]
fn single_images_png_and_jpeg_of_any_size_are_preprocessed_as_in_training() {
    let dir = tempfile::tempdir().unwrap();
    let options = ImageOptions::new();
    let png = faces_dir().join("face/000.png");
    let from_png = options.load_image(&png).unwrap();
    assert_eq!(from_png.shape(), &[1, 64, 64, 3]);
    // Same as in the folder.
    let folder = options.load_folder(faces_dir()).unwrap().dataset;
    assert_eq!(from_png.data(), folder.x().row(0));
    // A JPEG of another size (40×30, colour), with a misleading extension.
    let jpeg = dir.path().join("photo.png");
    let img = image::RgbImage::from_fn(40, 30, |x, y| {
        image::Rgb([(x * 6) as u8, (y * 8) as u8, 128])
    });
    img.save_with_format(&jpeg, image::ImageFormat::Jpeg)
        .unwrap();
    let t = options.load_image(&jpeg).unwrap();
    assert_eq!(t.shape(), &[1, 64, 64, 3]);
    // The blue channel stays near 128 (JPEG is lossy), red grows left to right.
    let px = |row: usize, col: usize, c: usize| t.data()[(row * 64 + col) * 3 + c];
    assert!((px(32, 32, 2) - 128.0).abs() < 8.0);
    assert!(px(32, 60, 0) > px(32, 3, 0) + 150.0);
    let gray = ImageOptions::new()
        .size(10, 20)
        .color(Color::Gray)
        .load_image(&jpeg)
        .unwrap();
    assert_eq!(gray.shape(), &[1, 20, 10, 1]);
}

/// A folder `root/{class}/{file}` from `(class, file, bytes)`.
fn make_folder(files: &[(&str, &str, Vec<u8>)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (class, name, bytes) in files {
        let class_dir = dir.path().join(class);
        fs::create_dir_all(&class_dir).unwrap();
        fs::write(class_dir.join(name), bytes).unwrap();
    }
    dir
}

fn face_png() -> Vec<u8> {
    fs::read(faces_dir().join("face/000.png")).unwrap()
}

fn message(e: DataError) -> String {
    e.to_string()
}

#[test]
fn bad_folders_and_images_give_errors_naming_the_file() {
    let options = ImageOptions::new();
    // Missing folder.
    let e = message(
        options
            .load_folder(Path::new("/no/such/folder"))
            .unwrap_err(),
    );
    assert!(e.starts_with("/no/such/folder: "), "{e}");
    // No class folders.
    let empty = tempfile::tempdir().unwrap();
    let e = message(options.load_folder(empty.path()).unwrap_err());
    assert!(e.contains("no class sub-folders"), "{e}");
    // An empty class.
    let dir = make_folder(&[("cat", "1.png", face_png())]);
    fs::create_dir(dir.path().join("dog")).unwrap();
    let e = message(options.load_folder(dir.path()).unwrap_err());
    assert!(e.ends_with("dog: this class folder has no images"), "{e}");
    // A file beside the class folders.
    let dir = make_folder(&[("cat", "1.png", face_png())]);
    fs::write(dir.path().join("loose.png"), face_png()).unwrap();
    let e = message(options.load_folder(dir.path()).unwrap_err());
    assert!(e.contains("\"loose.png\" is a file"), "{e}");
    // A truncated PNG and a text file that claims to be one.
    let png = face_png();
    let dir = make_folder(&[
        ("cat", "1.png", png.clone()),
        ("cat", "2.png", png[..png.len() / 2].to_vec()),
        ("dog", "3.png", png.clone()),
        ("dog", "notes.png", b"not an image at all".to_vec()),
    ]);
    let e = message(options.load_folder(dir.path()).unwrap_err());
    assert!(e.contains("cat/2.png: cannot decode the image"), "{e}");
    let e = message(
        options
            .load_image(dir.path().join("dog/notes.png"))
            .unwrap_err(),
    );
    assert!(
        e.contains(
            "dog/notes.png: cannot decode the image (not a PNG, JPEG, BMP, GIF, WebP or TIFF file)"
        ),
        "{e}"
    );
    // Skipping reports both and keeps the rest.
    let loaded = options
        .skip_unreadable(true)
        .load_folder(dir.path())
        .unwrap();
    assert_eq!(loaded.dataset.len(), 2);
    let skipped: Vec<String> = loaded
        .skipped
        .iter()
        .map(|s| s.path.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    assert_eq!(skipped, ["2.png", "notes.png"]);
    // A class whose every image is unreadable is still an error.
    let dir = make_folder(&[
        ("cat", "1.png", face_png()),
        ("dog", "2.png", b"junk".to_vec()),
    ]);
    let e = message(
        options
            .skip_unreadable(true)
            .load_folder(dir.path())
            .unwrap_err(),
    );
    assert!(
        e.ends_with("dog: none of this class's images could be read"),
        "{e}"
    );
    // A missing single image; a zero size.
    let e = message(options.load_image(Path::new("/no/such.png")).unwrap_err());
    assert!(e.starts_with("/no/such.png: "), "{e}");
    let e = message(
        ImageOptions::new()
            .size(0, 5)
            .load_image(faces_dir().join("face/000.png"))
            .unwrap_err(),
    );
    assert!(e.contains("cannot be resized to 0×5"), "{e}");
}

#[test]
fn hidden_files_are_ignored_and_nested_folders_are_read() {
    let dir = make_folder(&[
        ("cat", "1.png", face_png()),
        ("cat/more", "2.png", face_png()),
        ("dog", "3.png", face_png()),
        ("dog", ".DS_Store", b"junk".to_vec()),
    ]);
    fs::write(dir.path().join(".hidden"), b"junk").unwrap();
    let data = native().load_folder(dir.path()).unwrap().dataset;
    assert_eq!(data.class_counts(), vec![2, 1]);
}
