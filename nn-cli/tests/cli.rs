//! The `nn` binary, run as a user runs it: every command on every kind of data, then bad
//! arguments and bad files, each a one-line error and a failing exit code.

use std::path::{Path, PathBuf};

use assert_cmd::Command;

fn nn() -> Command {
    Command::cargo_bin("nn").expect("the nn binary")
}

fn repo(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(path)
}

fn stdout(cmd: &mut Command) -> String {
    let out = cmd.output().expect("runs");
    assert!(
        out.status.success(),
        "failed: {}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("UTF-8")
}

/// The error of a failing command: exactly one line on stderr, starting with `nn: `.
fn error(cmd: &mut Command) -> String {
    let out = cmd.output().expect("runs");
    assert!(
        !out.status.success(),
        "should fail: {}",
        String::from_utf8_lossy(&out.stdout)
    );
    let err = String::from_utf8(out.stderr).expect("UTF-8");
    assert_eq!(err.lines().count(), 1, "one line: {err}");
    assert!(err.starts_with("nn: "), "{err}");
    err
}

/// The test accuracy printed by `nn train`, in percent.
fn test_accuracy(out: &str) -> f64 {
    let line = out
        .lines()
        .find(|l| l.contains("test accuracy"))
        .expect("a result line");
    let after = line.split("test accuracy ").nth(1).expect("a number");
    after
        .split(' ')
        .next()
        .expect("a number")
        .parse()
        .expect("a number")
}

#[test]
fn train_on_the_built_in_faces_then_evaluate_predict_and_inspect() {
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("faces.nn");
    let out = stdout(
        nn().args(["train", "--epochs", "8", "--threads", "2", "--save"])
            .arg(&model),
    );
    assert!(
        out.contains("150 training and 50 test examples of [64, 64, 3]"),
        "{out}"
    );
    assert!(out.contains("     8 "), "a line per epoch: {out}");
    assert!(test_accuracy(&out) >= 90.0, "{out}");
    // Evaluate on the image folder of the same photos (classes in the same order).
    let folder = dir.path().join("photos");
    for (class, src) in [("non-face", "nonface/100.png"), ("face", "face/000.png")] {
        std::fs::create_dir_all(folder.join(class)).unwrap();
        std::fs::copy(
            repo("nn-data/builtin/faces").join(src),
            folder.join(class).join("1.png"),
        )
        .unwrap();
    }
    // Folders sort as ["face", "non-face"]: the model's classes differ, which is an error.
    let e = error(nn().arg("eval").arg(&model).arg("--data").arg(&folder));
    assert!(e.contains("are not the model's"), "{e}");
    // Predict a PNG and a JPEG of another size.
    let jpeg = dir.path().join("face.jpg");
    image::open(repo("nn-data/builtin/faces/face/001.png"))
        .unwrap()
        .resize_exact(100, 80, image::imageops::FilterType::Triangle)
        .to_rgb8()
        .save(&jpeg)
        .unwrap();
    let out = stdout(
        nn().arg("predict")
            .arg(&model)
            .arg(repo("nn-data/builtin/faces/face/000.png"))
            .arg(&jpeg),
    );
    assert_eq!(out.lines().count(), 2, "{out}");
    assert!(out.lines().all(|l| l.contains("face (")), "{out}");
    let out = stdout(nn().arg("info").arg(&model));
    assert!(out.contains("Conv2d(64×64×3"), "{out}");
    assert!(out.contains("classes: non-face, face"), "{out}");
    assert!(out.contains("trained: 8 epochs"), "{out}");
}

#[test]
fn train_on_an_image_folder_and_evaluate_it() {
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("folder.nn");
    let folder = repo("nn-data/builtin/faces");
    let out = stdout(
        nn().args(["train", "--data"])
            .arg(&folder)
            .args([
                "--size", "16", "--gray", "--model", "mlp:16", "--epochs", "30", "--quiet",
                "--save",
            ])
            .arg(&model),
    );
    assert!(test_accuracy(&out) >= 80.0, "{out}");
    let out = stdout(nn().arg("eval").arg(&model).arg("--data").arg(&folder));
    assert!(out.contains("200 examples"), "{out}");
    assert!(out.contains("confusion matrix"), "{out}");
    assert!(out.contains("nonface"), "{out}");
}

#[test]
fn train_on_the_course_hdf5_files_and_on_mnist() {
    let out = stdout(
        nn().args(["train", "--data"])
            .arg(repo("data/faces_h5/train_faces.h5"))
            .args([
                "--model",
                "logistic",
                "--optimizer",
                "gd",
                "--lr",
                "0.005",
                "--batch",
                "0",
                "--epochs",
                "300",
                "--quiet",
            ]),
    );
    assert!(test_accuracy(&out) >= 90.0, "{out}");
    let out = stdout(
        nn().args(["train", "--data"])
            .arg(repo("data/mnist5k"))
            .args([
                "--model", "mlp:64", "--epochs", "2", "--batch", "64", "--json",
            ]),
    );
    let lines: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON"))
        .collect();
    assert_eq!(lines.len(), 3, "two epochs and a result: {out}");
    assert_eq!(lines[1]["epoch"], 2);
    assert!(lines[2]["test_accuracy"].as_f64().unwrap() > 0.85, "{out}");
}

#[test]
fn two_d_sets_and_gradient_checks() {
    let out = stdout(nn().args([
        "train", "--data", "xor", "--noise", "0", "--epochs", "150", "--quiet",
    ]));
    assert!(test_accuracy(&out) >= 90.0, "{out}");
    // Plots: both PNGs decode, at their size, and hold a picture (many colours), not a blank.
    let dir = tempfile::tempdir().unwrap();
    let plots = dir.path().join("plots");
    stdout(
        nn().args([
            "train",
            "--data",
            "spiral",
            "--model",
            "mlp:16,16",
            "--optimizer",
            "adam",
            "--lr",
            "0.01",
            "--epochs",
            "40",
            "--quiet",
            "--plot",
        ])
        .arg(&plots),
    );
    for name in ["cost.png", "boundary.png"] {
        let picture = image::open(plots.join(name))
            .unwrap_or_else(|e| panic!("{name}: {e}"))
            .to_rgb8();
        assert_eq!(picture.dimensions(), (800, 600), "{name}");
        let colours: std::collections::HashSet<[u8; 3]> = picture.pixels().map(|p| p.0).collect();
        assert!(
            colours.len() >= 20,
            "{name}: only {} colours",
            colours.len()
        );
        let white = picture.pixels().filter(|p| p.0 == [255, 255, 255]).count();
        assert!(white < 800 * 600 * 95 / 100, "{name}: {white} white pixels");
    }
    // The boundary is drawn only for points in the plane.
    let plots = dir.path().join("image-plots");
    stdout(
        nn().args([
            "train", "--data", "shapes", "--size", "8", "--points", "30", "--model", "logistic",
            "--epochs", "2", "--quiet", "--plot",
        ])
        .arg(&plots),
    );
    assert!(plots.join("cost.png").is_file());
    assert!(!plots.join("boundary.png").exists());
    let out = stdout(nn().args(["gradcheck"]));
    assert!(out.contains("back-propagation agrees"), "{out}");
    let out = stdout(nn().args([
        "gradcheck",
        "--model",
        "cnn",
        "--data",
        "shapes",
        "--size",
        "8",
        "--examples",
        "3",
    ]));
    assert!(out.contains("Conv2d"), "{out}");
}

#[test]
fn bad_arguments_and_files_are_one_line_errors() {
    let dir = tempfile::tempdir().unwrap();
    let e = error(nn().args(["train", "--data", "/no/such/folder"]));
    assert!(
        e.contains("/no/such/folder: not a folder, an .h5 file or a built-in set"),
        "{e}"
    );
    let e = error(nn().args(["train", "--model", "transformer"]));
    assert!(e.contains("unknown model \"transformer\""), "{e}");
    let e = error(nn().args(["train", "--model", "mlp:4,x"]));
    assert!(e.contains("hidden sizes must be positive integers"), "{e}");
    let e = error(nn().args(["train", "--split", "1.5"]));
    assert!(e.contains("--split must be between 0 and 1"), "{e}");
    let e = error(nn().args(["train", "--data", "xor", "--model", "cnn"]));
    assert!(e.contains("the cnn model needs images"), "{e}");
    let e = error(nn().args(["eval", "/no/model.nn", "--data", "xor"]));
    assert!(e.contains("/no/model.nn: cannot read the model"), "{e}");
    let junk = dir.path().join("junk.nn");
    std::fs::write(&junk, b"not a model").unwrap();
    let e = error(nn().arg("info").arg(&junk));
    assert!(
        e.contains("junk.nn: not a model saved by `nn train --save`"),
        "{e}"
    );
    // A model, then an image that is not one.
    let model = dir.path().join("m.nn");
    stdout(
        nn().args([
            "train", "--data", "shapes", "--size", "8", "--points", "30", "--model", "logistic",
            "--epochs", "1", "--quiet", "--save",
        ])
        .arg(&model),
    );
    let text = dir.path().join("notes.png");
    std::fs::write(&text, b"hello").unwrap();
    let e = error(nn().arg("predict").arg(&model).arg(&text));
    assert!(e.contains("notes.png: cannot decode the image"), "{e}");
    // Unknown flags: clap's usage error, exit code 2.
    let out = nn().args(["train", "--bogus"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
}
