//! `nn export` and `nn import` without Python: what the exported folder holds, and that a
//! model comes back from its state dict with the same predictions, into the layers of the
//! saved model or of a whole-network description.

mod common;

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use common::{error, nn, repo, stdout};

const SPEC_LAYERS: &str = r#"
[[layer]]
type = "conv2d"
filters = 4
kernel = 2
padding = "same"
[[layer]]
type = "batch_norm"
[[layer]]
type = "relu"
[[layer]]
type = "max_pool"
size = 2
[[layer]]
type = "flatten"
"#;

/// `nn predict MODEL FOLDER --top 2 --csv`, the probabilities of every image.
fn predictions(model: &Path, folder: &Path) -> String {
    stdout(
        nn().arg("predict")
            .arg(model)
            .arg(folder)
            .args(["--top", "2", "--csv"]),
    )
}

/// The command `nn import STATE --model MODEL --save OUT`.
fn import_command(state: &Path, model: &Path, out: &Path) -> Command {
    let mut command = nn();
    command
        .arg("import")
        .arg(state)
        .arg("--model")
        .arg(model)
        .arg("--save")
        .arg(out);
    command
}

/// `nn import STATE --model MODEL --save OUT`, which must succeed; its output.
fn import(state: &Path, model: &Path, out: &Path) -> String {
    stdout(&mut import_command(state, model, out))
}

/// A model of [`SPEC_LAYERS`] trained 2 epochs on the built-in faces (12×12 gray) in `dir`,
/// exported to `dir/torch`: the model, its state dict, the faces folder.
fn trained_and_exported(dir: &Path) -> (PathBuf, PathBuf, PathBuf) {
    let (model, out) = (dir.join("a.nn"), dir.join("torch"));
    let folder = repo("nn-data/builtin/faces");
    let train = dir.join("train.toml");
    std::fs::write(&train, SPEC_LAYERS).unwrap();
    stdout(
        nn().args(["train", "--data"])
            .arg(&folder)
            .args([
                "--size", "12", "--gray", "--epochs", "2", "--quiet", "--model",
            ])
            .arg(&train)
            .arg("--save")
            .arg(&model),
    );
    let said = stdout(nn().arg("export").arg(&model).arg(&out));
    assert!(said.contains("(9 tensors)"), "{said}");
    (model, out.join("model.safetensors"), folder)
}

/// The layers of [`SPEC_LAYERS`] as a whole-network description with `extra` lines first.
fn whole_network(path: &Path, extra: &str) {
    let text = format!(
        "{extra}input = [12, 12, 1]\nclasses = [\"face\", \"nonface\"]\n{SPEC_LAYERS}\
         [[layer]]\ntype = \"dense\"\nunits = 1\n"
    );
    std::fs::write(path, text).unwrap();
}

#[test]
fn export_then_import_gives_the_same_predictions() {
    let dir = tempfile::tempdir().unwrap();
    let (model, state, folder) = trained_and_exported(dir.path());
    let python = std::fs::read_to_string(dir.path().join("torch/model.py")).unwrap();
    for line in [
        "PadConv2d(1, 4, kernel_size=(2, 2), stride=(1, 1), pad=(0, 1, 0, 1)),  # 0:",
        "nn.BatchNorm2d(4, eps=1e-5, momentum=0.1),  # 1:",
        "nn.Linear(144, 1),  # 5:",
        r#"CLASSES = ["face","nonface"]"#,
        "INPUT_SHAPE = (12, 12, 1)",
        "IMAGE_SIZE = (12, 12)",
        r#"COLOR = "L""#,
        r#"OUTPUT = "sigmoid""#,
        "MEAN = _floats(None)",
    ] {
        assert!(python.contains(line), "{line:?} not in model.py");
    }
    let imported = dir.path().join("b.nn");
    import(&state, &model, &imported);
    let before = predictions(&model, &folder);
    assert_eq!(predictions(&imported, &folder), before);
    let info = stdout(nn().arg("info").arg(&imported));
    assert!(
        info.contains("imported from PyTorch's state dict"),
        "{info}"
    );
    // The same layers as a whole-network description, with the output layer.
    let spec = dir.path().join("whole.toml");
    whole_network(&spec, "");
    let from_spec = dir.path().join("c.nn");
    import(&state, &spec, &from_spec);
    assert_eq!(predictions(&from_spec, &folder), before);
    // nn train refuses a whole-network description.
    let e = error(
        nn().args(["train", "--data"])
            .arg(&folder)
            .args(["--size", "12", "--gray", "--model"])
            .arg(&spec),
    );
    assert!(e.contains("whole network for `nn import`"), "{e}");
}

#[test]
fn mean_and_std_per_channel_standardise_an_imported_model() {
    let dir = tempfile::tempdir().unwrap();
    let (model, state, folder) = trained_and_exported(dir.path());
    // torchvision's Normalize, per channel: the imported model standardises its inputs, and
    // exports the statistics per feature.
    let spec = dir.path().join("normalized.toml");
    whole_network(&spec, "mean = [0.5]\nstd = [0.25]\n");
    let normalized = dir.path().join("n.nn");
    import(&state, &spec, &normalized);
    let info = stdout(nn().arg("info").arg(&normalized));
    assert!(info.contains("pixels × 0.00392, standardised"), "{info}");
    assert_ne!(
        predictions(&normalized, &folder),
        predictions(&model, &folder)
    );
    let out = dir.path().join("again");
    stdout(nn().arg("export").arg(&normalized).arg(&out));
    let python = std::fs::read_to_string(out.join("model.py")).unwrap();
    // Three f32 0.5 (00 00 00 3F) are 16 characters of base64; 144 values are 48 of those.
    let mean = format!("MEAN = _floats(\"{}\")", "AAAAPwAAAD8AAAA/".repeat(48));
    assert!(python.contains(&mean), "the mean is not 144 values of 0.5");
    whole_network(&spec, "mean = [0.5]\nstd = [-1]\n");
    let e = error(&mut import_command(&state, &spec, &out));
    assert!(
        e.contains("every value of `std` must be finite and positive"),
        "{e}"
    );
}

#[test]
fn import_errors_name_the_tensor_and_the_shapes() {
    let dir = tempfile::tempdir().unwrap();
    let (model, out) = (dir.path().join("xor.nn"), dir.path().join("torch"));
    stdout(
        nn().args([
            "train", "--data", "xor", "--model", "mlp:8", "--epochs", "3", "--quiet",
        ])
        .arg("--save")
        .arg(&model),
    );
    stdout(nn().arg("export").arg(&model).arg(&out));
    let state = out.join("model.safetensors");
    let spec = dir.path().join("other.toml");
    let text = "input = [2]\n[[layer]]\ntype = \"dense\"\nunits = 5\n[[layer]]\ntype = \"relu\"\n\
                [[layer]]\ntype = \"dense\"\nunits = 1\n[[layer]]\ntype = \"sigmoid\"\n";
    std::fs::write(&spec, text).unwrap();
    let save = dir.path().join("never.nn");
    let e = error(&mut import_command(&state, &spec, &save));
    assert!(e.contains("the network ends with Sigmoid"), "{e}");
    std::fs::write(&spec, text.replace("[[layer]]\ntype = \"sigmoid\"\n", "")).unwrap();
    let e = error(&mut import_command(&state, &spec, &save));
    for needle in [
        "model.safetensors",
        "0.weight: expected (5, 2), found (8, 2)",
        "0.bias: expected (5,), found (8,)",
        "2.weight: expected (1, 5), found (1, 8)",
    ] {
        assert!(e.contains(needle), "{needle:?} not in {e}");
    }
    assert!(!save.exists(), "nothing is saved from a failed import");
    std::fs::write(&spec, "[[layer]]\ntype = \"dense\"\nunits = 1\n").unwrap();
    let e = error(&mut import_command(&state, &spec, &save));
    assert!(e.contains("add `input = [h, w, c]`"), "{e}");
    let e = error(&mut import_command(&model, &model, &save));
    assert!(e.contains("xor.nn: not a safetensors file"), "{e}");
    let e = error(
        nn().arg("export")
            .arg(dir.path().join("missing.nn"))
            .arg(&out),
    );
    assert!(e.contains("missing.nn"), "{e}");
}
