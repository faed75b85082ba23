//! `nn export` and `nn import` without Python: what the exported folder holds, and that a
//! model comes back from its state dict with the same predictions, into the layers of the
//! saved model or of a whole-network description.

mod common;

use std::path::Path;

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

#[test]
fn export_then_import_gives_the_same_predictions() {
    let dir = tempfile::tempdir().unwrap();
    let (model, out) = (dir.path().join("a.nn"), dir.path().join("torch"));
    let folder = repo("nn-data/builtin/faces");
    let train = dir.path().join("train.toml");
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
    let python = std::fs::read_to_string(out.join("model.py")).unwrap();
    for line in [
        "PadConv2d(1, 4, kernel_size=(2, 2), stride=(1, 1), pad=(0, 1, 0, 1)),  # 0:",
        "nn.BatchNorm2d(4, eps=1e-5, momentum=0.1),  # 1:",
        "nn.Linear(144, 1),  # 5:",
        r#"CLASSES = ["face","nonface"]"#,
        "INPUT_SHAPE = (12, 12, 1)",
        "IMAGE_SIZE = (12, 12)",
        r#"COLOR = "L""#,
        r#"OUTPUT = "sigmoid""#,
    ] {
        assert!(python.contains(line), "{line:?} not in model.py");
    }
    let state = out.join("model.safetensors");
    let imported = dir.path().join("b.nn");
    stdout(
        nn().arg("import")
            .arg(&state)
            .arg("--model")
            .arg(&model)
            .arg("--save")
            .arg(&imported),
    );
    let before = predictions(&model, &folder);
    assert_eq!(predictions(&imported, &folder), before);
    let info = stdout(nn().arg("info").arg(&imported));
    assert!(
        info.contains("imported from PyTorch's state dict"),
        "{info}"
    );

    // The same layers as a whole-network description, with the output layer.
    let spec = dir.path().join("whole.toml");
    let whole = format!(
        "input = [12, 12, 1]\nclasses = [\"face\", \"nonface\"]\n{SPEC_LAYERS}\
         [[layer]]\ntype = \"dense\"\nunits = 1\n"
    );
    std::fs::write(&spec, whole).unwrap();
    let from_spec = dir.path().join("c.nn");
    stdout(
        nn().arg("import")
            .arg(&state)
            .arg("--model")
            .arg(&spec)
            .arg("--save")
            .arg(&from_spec),
    );
    assert_eq!(predictions(&from_spec, &folder), before);
    // torchvision's Normalize, per channel: the imported model standardises its inputs, and
    // exports the statistics per feature.
    let normalized = format!(
        "mean = [0.5]\nstd = [0.25]\n{}",
        std::fs::read_to_string(&spec).unwrap()
    );
    std::fs::write(&spec, normalized).unwrap();
    stdout(
        nn().arg("import")
            .arg(&state)
            .arg("--model")
            .arg(&spec)
            .arg("--save")
            .arg(&from_spec),
    );
    let info = stdout(nn().arg("info").arg(&from_spec));
    assert!(info.contains("pixels × 0.00392, standardised"), "{info}");
    assert_ne!(predictions(&from_spec, &folder), before);
    stdout(nn().arg("export").arg(&from_spec).arg(&out));
    let python = std::fs::read_to_string(out.join("model.py")).unwrap();
    let mean = python.lines().find(|l| l.starts_with("MEAN = ")).unwrap();
    assert!(
        mean.len() > 144 * 4,
        "144 features of 4 bytes in base64: {mean}"
    );
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
    let e = error(
        nn().arg("import")
            .arg(&state)
            .arg("--model")
            .arg(&spec)
            .arg("--save")
            .arg(&save),
    );
    assert!(e.contains("the network ends with Sigmoid"), "{e}");
    std::fs::write(&spec, text.replace("[[layer]]\ntype = \"sigmoid\"\n", "")).unwrap();
    let e = error(
        nn().arg("import")
            .arg(&state)
            .arg("--model")
            .arg(&spec)
            .arg("--save")
            .arg(&save),
    );
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
    let e = error(
        nn().arg("import")
            .arg(&state)
            .arg("--model")
            .arg(&spec)
            .arg("--save")
            .arg(&save),
    );
    assert!(e.contains("add `input = [h, w, c]`"), "{e}");
    let e = error(
        nn().arg("import")
            .arg(&model)
            .arg("--model")
            .arg(&model)
            .arg("--save")
            .arg(&save),
    );
    assert!(e.contains("xor.nn: not a safetensors file"), "{e}");
    let e = error(
        nn().arg("export")
            .arg(dir.path().join("missing.nn"))
            .arg(&out),
    );
    assert!(e.contains("missing.nn"), "{e}");
}
