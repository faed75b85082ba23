//! The `nn` binary, run as a user runs it: every command on every kind of data, then bad
//! arguments and bad files, each a one-line error and a failing exit code.

use std::path::Path;

mod common;

use common::{error, nn, repo, stdout};

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
    // Loss and optimiser settings: a softmax over two classes, momentum with its own β.
    let model = dir.path().join("softmax.nn");
    stdout(
        nn().args([
            "train",
            "--data",
            "xor",
            "--loss",
            "categorical",
            "--optimizer",
            "momentum",
            "--beta",
            "0.8",
            "--epochs",
            "5",
            "--quiet",
            "--save",
        ])
        .arg(&model),
    );
    let info = stdout(nn().arg("info").arg(&model));
    assert!(
        info.contains("Dense(8→2)") && info.contains("CategoricalCrossEntropy"),
        "{info}"
    );
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
        e.contains("/no/such/folder: not a folder, an .h5 or .csv file or a built-in set"),
        "{e}"
    );
    let e = error(nn().args(["train", "--model", "transformer"]));
    assert!(e.contains("unknown model \"transformer\""), "{e}");
    let e = error(nn().args(["train", "--model", "mlp:4,x"]));
    assert!(e.contains("hidden sizes must be positive integers"), "{e}");
    let e = error(nn().args(["train", "--split", "1.5"]));
    assert!(e.contains("--split must be between 0 and 1"), "{e}");
    let e = error(nn().args(["train", "--data", "shapes", "--loss", "binary"]));
    assert!(
        e.contains("--loss binary needs two classes, but the data have 3"),
        "{e}"
    );
    let e = error(nn().args([
        "train",
        "--data",
        "xor",
        "--optimizer",
        "gd",
        "--beta",
        "0.5",
    ]));
    assert!(
        e.contains("--beta applies to momentum, nesterov, rmsprop, adam and adamw"),
        "{e}"
    );
    let e = error(nn().args(["train", "--data", "xor", "--beta", "1.5"]));
    assert!(e.contains("each β in [0, 1)"), "{e}");
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
    let e = error(nn().arg("predict").arg(&model).arg("/no/such/photo.jpg"));
    assert!(e.contains("/no/such/photo.jpg: "), "{e}");
    assert_eq!(e.matches("No such file").count(), 1, "said once: {e}");
    let text = dir.path().join("notes.png");
    std::fs::write(&text, b"hello").unwrap();
    let e = error(nn().arg("predict").arg(&model).arg(&text));
    assert!(e.contains("notes.png: cannot decode the image"), "{e}");
    // Unknown flags: clap's usage error, exit code 2.
    let out = nn().args(["train", "--bogus"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[cfg(unix)]
#[test]
fn ctrl_c_stops_training_and_still_saves_the_model() {
    use std::io::{BufRead, BufReader};
    use std::process::Stdio;
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("stopped.nn");
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("nn"))
        .args([
            "train",
            "--data",
            "spiral",
            "--model",
            "mlp:16,16",
            "--epochs",
            "10000000",
            "--json",
            "--save",
        ])
        .arg(&model)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    // Training has started (the handler is installed before the first epoch): interrupt it.
    let first = lines.next().unwrap().unwrap();
    assert!(first.contains("\"epoch\":1,"), "{first}");
    let kill = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    let rest: Vec<String> = lines.map(Result::unwrap).collect();
    let status = child.wait().unwrap();
    assert!(status.success(), "{status:?}");
    let result = rest
        .iter()
        .find(|l| l.contains("\"result\":\"trained\""))
        .expect("a result line");
    assert!(result.contains("Interrupted"), "{result}");
    let epochs: usize = serde_json::from_str::<serde_json::Value>(result).unwrap()["epochs"]
        .as_u64()
        .unwrap() as usize;
    assert!(epochs < 10_000_000, "stopped early: {epochs}");
    // The model was saved, whole, and is usable.
    let out = stdout(nn().arg("info").arg(&model));
    assert!(out.contains("Interrupted"), "{out}");
    stdout(nn().arg("eval").arg(&model).args(["--data", "spiral"]));
}

#[test]
fn model_files_in_toml_and_json_build_any_stack() {
    let dir = tempfile::tempdir().unwrap();
    let toml = dir.path().join("small-cnn.toml");
    std::fs::write(
        &toml,
        "init = \"he\"\n\
         [[layer]]\ntype = \"conv2d\"\nfilters = 4\nkernel = 3\npadding = \"same\"\n\
         [[layer]]\ntype = \"relu\"\n\
         [[layer]]\ntype = \"avg_pool\"\nsize = 2\n\
         [[layer]]\ntype = \"flatten\"\n\
         [[layer]]\ntype = \"dense\"\nunits = 8\n\
         [[layer]]\ntype = \"tanh\"\n\
         [[layer]]\ntype = \"dropout\"\nrate = 0.1\n",
    )
    .unwrap();
    let model = dir.path().join("cnn.nn");
    let out = stdout(
        nn().args([
            "train", "--data", "shapes", "--size", "8", "--points", "90", "--epochs", "3",
        ])
        .arg("--model")
        .arg(&toml)
        .arg("--save")
        .arg(&model),
    );
    assert!(out.contains("small-cnn.toml (659 parameters)"), "{out}");
    let info = stdout(nn().arg("info").arg(&model));
    for layer in [
        "Conv2d(8×8×3 → 8×8×4",
        "AvgPool2d(2×2",
        "Dense(64→8)",
        "Tanh",
        "Dropout(keep 0.9)",
        "Dense(8→3)",
    ] {
        assert!(info.contains(layer), "{layer} in {info}");
    }
    // The same file, gradient-checked as written.
    let out = stdout(
        nn().args([
            "gradcheck",
            "--data",
            "shapes",
            "--size",
            "8",
            "--examples",
            "3",
            "--model",
        ])
        .arg(&toml),
    );
    assert!(out.contains("AvgPool2d") || out.contains("Conv2d"), "{out}");

    let json = dir.path().join("mlp.json");
    std::fs::write(
        &json,
        r#"{"init": "xavier_uniform", "layers": [
             {"type": "dense", "units": 12}, {"type": "leaky_relu", "slope": 0.05},
             {"type": "dense", "units": 6, "init": "he"}, {"type": "relu"}]}"#,
    )
    .unwrap();
    let out = stdout(
        nn().args([
            "train",
            "--data",
            "circle",
            "--epochs",
            "300",
            "--optimizer",
            "adam",
            "--lr",
            "0.01",
            "--quiet",
            "--model",
        ])
        .arg(&json),
    );
    assert!(test_accuracy(&out) >= 85.0, "{out}");

    // Mistakes name the file and, where the parser knows it, the line.
    let bad = |name: &str, text: &str| {
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        error(nn().args(["train", "--data", "xor", "--model"]).arg(&path))
    };
    let e = bad(
        "typo.toml",
        "[[layer]]\ntype = \"dense\"\nunits = 4\n[[layer]]\ntype = \"conv\"\n",
    );
    assert!(
        e.contains("typo.toml at line 5: unknown variant `conv`"),
        "{e}"
    );
    let e = bad("field.toml", "[[layer]]\ntype = \"dense\"\nunit = 4\n");
    assert!(
        e.contains("field.toml") && e.contains("unknown field `unit`"),
        "{e}"
    );
    let e = bad(
        "broken.json",
        "{\"layers\": [{\"type\": \"dense\", \"units\": 4},\n]}",
    );
    assert!(e.contains("broken.json: ") && e.contains("line 2"), "{e}");
    let e = bad("empty.toml", "init = \"he\"\n");
    assert!(e.contains("empty.toml: no layers"), "{e}");
    let e = bad("rate.toml", "[[layer]]\ntype = \"dropout\"\nrate = 1.5\n");
    assert!(
        e.contains("layer 0 (dropout): rate must be in [0, 1)"),
        "{e}"
    );
    let e = error(
        nn().args([
            "train", "--data", "shapes", "--size", "8", "--points", "30", "--model",
        ])
        .arg(dir.path().join("needsflat.toml")),
    );
    assert!(
        e.contains("needsflat.toml: cannot read the model file"),
        "{e}"
    );
    std::fs::write(
        dir.path().join("needsflat.toml"),
        "[[layer]]\ntype = \"conv2d\"\nfilters = 2\nkernel = 3\n[[layer]]\ntype = \"dense\"\nunits = 4\n",
    )
    .unwrap();
    let e = error(
        nn().args([
            "train", "--data", "shapes", "--size", "8", "--points", "30", "--model",
        ])
        .arg(dir.path().join("needsflat.toml")),
    );
    assert!(
        e.contains("needsflat.toml: ") && e.contains("layer 1: Dense(4) needs flat examples"),
        "{e}"
    );
}

#[test]
fn models_of_the_nn_command_are_library_model_files() {
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("faces.nn");
    stdout(
        nn().args([
            "train", "--data", "shapes", "--size", "8", "--points", "30", "--model", "cnn",
            "--epochs", "1", "--quiet", "--save",
        ])
        .arg(&model),
    );
    // The library opens what `nn train --save` wrote, with its preparation.
    let trained = nn_data::model::open(&model, nn_core::Reference, &nn_conv::registry()).unwrap();
    assert_eq!(trained.preparation.classes.len(), 3);
    assert_eq!(trained.network.input_shape(), &[8, 8, 3]);
    // Devices and large files that are not models fail at once, with one line.
    #[cfg(unix)]
    {
        let started = std::time::Instant::now();
        let e = error(nn().args(["info", "/dev/zero"]));
        assert!(e.contains("/dev/zero: not a regular file"), "{e}");
        assert!(started.elapsed().as_secs() < 10);
    }
    let big = dir.path().join("big.bin");
    std::fs::write(&big, vec![1u8; 32 << 20]).unwrap();
    let e = error(nn().arg("info").arg(&big));
    assert!(e.contains("wrong magic bytes"), "{e}");
}

#[test]
fn presets_take_an_initialiser_and_folders_read_gifs() {
    let out = stdout(nn().args([
        "train",
        "--data",
        "xor",
        "--model",
        "mlp:8",
        "--init",
        "lecun_normal",
        "--epochs",
        "5",
        "--quiet",
    ]));
    assert!(out.contains("test accuracy"), "{out}");
    // The flag reaches the layers: zeros in a hidden layer are refused as symmetric.
    let e = error(nn().args([
        "train", "--data", "xor", "--model", "mlp:8", "--init", "zeros",
    ]));
    assert!(e.contains("starts with all weights equal to 0"), "{e}");
    let bad = nn()
        .args(["train", "--data", "xor", "--init", "gaussian"])
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("unknown initialiser \"gaussian\""));
    // A folder with a GIF among its JPEGs and PNGs (as the hymenoptera set has) loads without
    // --skip-unreadable.
    let dir = tempfile::tempdir().unwrap();
    for (class, file) in [
        ("a", "x.gif"),
        ("a", "y.png"),
        ("b", "z.png"),
        ("b", "w.png"),
    ] {
        std::fs::create_dir_all(dir.path().join(class)).unwrap();
        let source = if file.ends_with(".gif") {
            repo("nn-data/tests/data/imageNotFound.gif")
        } else {
            repo("nn-data/builtin/faces/face/000.png")
        };
        std::fs::copy(source, dir.path().join(class).join(file)).unwrap();
    }
    let out = stdout(
        nn().args([
            "train", "--model", "logistic", "--size", "8", "--epochs", "1", "--quiet", "--split",
            "0.5", "--data",
        ])
        .arg(dir.path()),
    );
    assert!(out.contains("train accuracy"), "{out}");
}

/// The parameters and running statistics of a saved model.
fn state(path: &Path) -> Vec<Vec<f32>> {
    let trained = nn_data::model::open(path, nn_core::Reference, &nn_conv::registry()).unwrap();
    trained
        .network
        .layers()
        .iter()
        .flat_map(|l| l.params().into_iter().chain(l.buffers()))
        .map(|t| t.data().to_vec())
        .collect()
}

#[test]
fn a_resumed_run_equals_an_uninterrupted_one() {
    let dir = tempfile::tempdir().unwrap();
    let path = |name: &str| dir.path().join(name);
    // Shuffles, augmentation, dropout, Adam's moments and the schedule's epoch must all
    // continue where they stopped. (A schedule over the whole run, such as cosine, differs
    // between a 2-epoch and a 4-epoch run; its continuation is tested in nn-core.)
    let train = |epochs: &str| {
        let mut cmd = nn();
        cmd.args([
            "train",
            "--data",
            "shapes",
            "--size",
            "12",
            "--points",
            "60",
            "--model",
            "cnn",
            "--dropout",
            "0.2",
            "--augment",
            "flip,crop:2:reflect",
            "--schedule",
            "step:1:0.7",
            "--batch",
            "16",
            "--quiet",
            "--epochs",
            epochs,
        ]);
        cmd
    };
    stdout(train("4").arg("--save").arg(path("full.nn")));
    stdout(
        train("2")
            .arg("--save")
            .arg(path("half.nn"))
            .arg("--checkpoint")
            .arg(path("checkpoints")),
    );
    stdout(
        train("4")
            .arg("--resume")
            .arg(path("half.nn"))
            .arg("--save")
            .arg(path("resumed.nn")),
    );
    let same = |a: &str, b: &str| state(&path(a)) == state(&path(b));
    assert!(same("full.nn", "resumed.nn"), "resumed ≠ uninterrupted");
    // The checkpoint of the last epoch resumes the same way.
    assert!(path("checkpoints/best.nn").is_file());
    stdout(
        train("4")
            .arg("--resume")
            .arg(path("checkpoints/last.nn"))
            .arg("--save")
            .arg(path("from-checkpoint.nn")),
    );
    assert!(
        same("full.nn", "from-checkpoint.nn"),
        "from checkpoint ≠ uninterrupted"
    );
    // Another seed (another split), early stopping (its state is not saved), nothing left
    // to do, and a model without a record, are errors.
    let e = error(
        train("4")
            .args(["--seed", "7", "--resume"])
            .arg(path("half.nn")),
    );
    assert!(
        e.contains("not 7 (the seed decides the train/test split)"),
        "{e}"
    );
    let e = error(
        train("4")
            .args(["--early-stopping", "2", "--resume"])
            .arg(path("half.nn")),
    );
    assert!(e.contains("--resume with --early-stopping"), "{e}");
    let e = error(
        train("4")
            .args(["--optimizer", "adam", "--resume"])
            .arg(path("half.nn")),
    );
    assert!(e.contains("it was trained with AdamW"), "{e}");
    let e = error(train("2").arg("--resume").arg(path("half.nn")));
    assert!(e.contains("already been trained 2 epochs"), "{e}");
    let e = error(
        train("4")
            .arg("--resume")
            .arg(repo("data/models/faces-logistic.nn")),
    );
    assert!(e.contains("cannot be resumed exactly"), "{e}");
}

#[test]
fn optimisers_schedules_and_augmentation_flags() {
    let out = stdout(nn().args([
        "train",
        "--data",
        "shapes",
        "--size",
        "12",
        "--points",
        "60",
        "--model",
        "cnn",
        "--optimizer",
        "adamw",
        "--weight-decay",
        "0.05",
        "--schedule",
        "one-cycle",
        "--augment",
        "default,jitter:0.1",
        "--epochs",
        "3",
    ]));
    assert!(out.contains("test accuracy"), "{out}");
    let e = error(nn().args(["train", "--data", "xor", "--weight-decay", "0.1"]));
    assert!(e.contains("--weight-decay is AdamW's"), "{e}");
    let e = error(nn().args(["train", "--data", "xor", "--augment", "flip"]));
    assert!(e.contains("the data are not images"), "{e}");
    let e = error(nn().args(["train", "--data", "shapes", "--augment", "spin"]));
    assert!(e.contains("valid steps"), "{e}");
    let e = error(nn().args([
        "train",
        "--data",
        "xor",
        "--schedule",
        "cosine",
        "--decay",
        "0.1",
    ]));
    assert!(e.contains("not both"), "{e}");
    let out = stdout(nn().args([
        "train",
        "--data",
        "xor",
        "--model",
        "mlp:8",
        "--optimizer",
        "nesterov",
        "--schedule",
        "step:50:0.5",
        "--epochs",
        "100",
    ]));
    assert!(test_accuracy(&out) > 80.0, "{out}");
}

#[test]
fn the_default_recipe_gives_the_same_weights_on_1_and_2_threads() {
    // Batch norm's channel sums, the products, augmentation and dropout: split by fixed sizes
    // and drawn in a fixed order, so the thread count changes nothing.
    let dir = tempfile::tempdir().unwrap();
    let train = |threads: &str, name: &str| {
        stdout(
            nn().args([
                "train",
                "--data",
                "shapes",
                "--size",
                "16",
                "--points",
                "64",
                "--epochs",
                "3",
                "--quiet",
                "--threads",
                threads,
                "--save",
            ])
            .arg(dir.path().join(name)),
        );
    };
    train("1", "one.nn");
    train("2", "two.nn");
    let same = state(&dir.path().join("one.nn")) == state(&dir.path().join("two.nn"));
    assert!(same, "1 and 2 threads gave different weights");
}
