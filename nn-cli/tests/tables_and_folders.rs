//! `nn` on CSV tables (train, eval, predict rows) and `nn predict` on folders of images
//! (`--top`, `--csv`), run as a user runs them; errors are one line naming the file and line.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

mod common;

use common::{error, nn, repo, stdout};

/// The number after `what ` in the line that has it, e.g. `test accuracy 98.0 %`.
fn number_after(out: &str, what: &str) -> f64 {
    let line = out.lines().find(|l| l.contains(what)).expect("the line");
    let after = line.split(what).nth(1).expect("a number");
    let number = after.trim_start().split(' ').next().expect("a number");
    number.trim_end_matches(',').parse().expect("a number")
}

/// A small generator (xorshift) with normal draws (Box–Muller), so that the tables are the
/// same on every machine without a dependency.
struct Draws(u64);

impl Draws {
    fn uniform(&mut self) -> f64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        ((self.0 >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    }

    fn normal(&mut self) -> f64 {
        let (u, v) = (self.uniform(), self.uniform());
        (-2.0 * u.ln()).sqrt() * (2.0 * std::f64::consts::PI * v).cos()
    }
}

/// The centres of the two blobs.
const SETOSA: [f64; 3] = [1.0, 2.0, 3.0];
const VIRGINICA: [f64; 3] = [3.0, 3.5, 1.0];

/// `rows` flowers of two Gaussian blobs (σ = 0.4), alternating classes, with a `species`
/// column between the features (the label need not be last).
fn blobs(rows: usize, seed: u64) -> String {
    let mut draws = Draws(seed);
    let mut text = String::from("length,width,species,height\n");
    for i in 0..rows {
        let (name, centre) = if i % 2 == 0 {
            ("setosa", SETOSA)
        } else {
            ("virginica", VIRGINICA)
        };
        let v: Vec<f64> = centre.iter().map(|c| c + 0.4 * draws.normal()).collect();
        writeln!(text, "{:.3},{:.3},{name},{:.3}", v[0], v[1], v[2]).unwrap();
    }
    text
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

/// A model trained on a table of blobs, in `dir`.
fn trained_on_blobs(dir: &Path) -> (PathBuf, String) {
    let train = write(dir, "flowers.csv", &blobs(200, 7));
    let model = dir.join("flowers.nn");
    let out = stdout(
        nn().args(["train", "--data"])
            .arg(&train)
            .args(["--label", "species", "--epochs", "100", "--save"])
            .arg(&model),
    );
    (model, out)
}

#[test]
fn a_csv_table_trains_evaluates_and_predicts_rows() {
    let dir = tempfile::tempdir().unwrap();
    let (model, out) = trained_on_blobs(dir.path());
    assert!(
        out.contains(
            "150 training and 50 test examples of [3], classes [\"setosa\", \"virginica\"]"
        ),
        "{out}"
    );
    assert!(
        out.contains("model: mlp:16,8"),
        "the default for tables: {out}"
    );
    assert!(number_after(&out, "test accuracy") >= 95.0, "{out}");
    // Standardised by default, with the statistics and the columns in the model.
    let info = stdout(nn().arg("info").arg(&model));
    assert!(info.contains("input: 3 features, standardised"), "{info}");
    assert!(
        info.contains("table: features length, width, height; label species"),
        "{info}"
    );
    assert!(info.contains("classes: setosa, virginica"), "{info}");
    // Evaluation on another table, with or without --label (the model knows its column).
    let test = write(dir.path(), "test.csv", &blobs(60, 99));
    for label in [&["--label", "species"][..], &[]] {
        let out = stdout(
            nn().arg("eval")
                .arg(&model)
                .arg("--data")
                .arg(&test)
                .args(label),
        );
        assert!(out.starts_with("60 examples: "), "{out}");
        assert!(number_after(&out, "accuracy") >= 95.0, "{out}");
        assert!(out.contains("confusion matrix"), "{out}");
    }
    // Rows to predict, without a label column: one line per row, named by its line.
    let rows = format!(
        "length,width,height\n{},{},{}\n{},{},{}\n",
        SETOSA[0], SETOSA[1], SETOSA[2], VIRGINICA[0], VIRGINICA[1], VIRGINICA[2]
    );
    let rows = write(dir.path(), "new.csv", &rows);
    let out = stdout(nn().arg("predict").arg(&model).arg(&rows));
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 2, "{out}");
    assert!(lines[0].starts_with("line 2: setosa ("), "{out}");
    assert!(lines[1].starts_with("line 3: virginica ("), "{out}");
    assert!(lines.iter().all(|l| l.ends_with(" %)")), "{out}");
    // A table with its label column: left out by itself, or named with --label.
    let all = stdout(nn().arg("predict").arg(&model).arg(&test));
    assert_eq!(all.lines().count(), 60, "{all}");
    assert!(
        all.lines().next().unwrap().starts_with("line 2: setosa"),
        "{all}"
    );
    let named = stdout(
        nn().arg("predict")
            .arg(&model)
            .arg(&test)
            .args(["--label", "species"]),
    );
    assert_eq!(named, all);
    // JSON lines and CSV, with the two most probable classes.
    let out = stdout(
        nn().arg("predict")
            .arg(&model)
            .arg(&rows)
            .args(["--json", "--top", "2"]),
    );
    let first: serde_json::Value = serde_json::from_str(out.lines().next().unwrap()).unwrap();
    assert_eq!(first["line"], 2);
    assert_eq!(first["class"], "setosa");
    assert_eq!(first["top"][1]["class"], "virginica");
    let out = stdout(nn().arg("predict").arg(&model).arg(&rows).arg("--csv"));
    assert!(
        out.starts_with("line,class,probability\n2,setosa,"),
        "{out}"
    );
    // A separate test table, and the raw values with --standardize=false.
    let out = stdout(
        nn().args(["train", "--data"])
            .arg(dir.path().join("flowers.csv"))
            .arg("--test")
            .arg(&test)
            .args(["--label", "species", "--standardize=false", "--quiet"]),
    );
    assert!(number_after(&out, "test accuracy") >= 90.0, "{out}");
}

#[test]
fn table_errors_are_one_line_naming_the_file_line_and_columns() {
    let dir = tempfile::tempdir().unwrap();
    let train = write(dir.path(), "flowers.csv", &blobs(40, 3));
    let e = error(nn().args(["train", "--data"]).arg(&train));
    assert!(
        e.contains("flowers.csv: name the label column with --label (columns: length, width, species, height)"),
        "{e}"
    );
    let e = error(
        nn().args(["train", "--data"])
            .arg(&train)
            .args(["--label", "kind"]),
    );
    assert!(
        e.contains("flowers.csv, line 1: no column \"kind\" in the header (columns: length, width, species, height)"),
        "{e}"
    );
    let bad = write(
        dir.path(),
        "bad.csv",
        "length,width,species,height\n1,2,setosa,3\n1,2,virginica,3\n4,5..6,setosa,6\n",
    );
    let e = error(
        nn().args(["train", "--data"])
            .arg(&bad)
            .args(["--label", "species"]),
    );
    assert!(
        e.contains("bad.csv, line 4: feature \"width\" is \"5..6\", not a number"),
        "{e}"
    );
    let e = error(nn().args(["train", "--data", "xor", "--label", "species"]));
    assert!(
        e.contains("--label names the class column of a CSV table"),
        "{e}"
    );
    let e = error(nn().args(["train", "--data", "none.csv", "--label", "species"]));
    assert!(e.contains("none.csv: no such CSV file"), "{e}");
    let e = error(nn().args(["train", "--data"]).arg(&train).args([
        "--label",
        "species",
        "--augment",
        "default",
    ]));
    assert!(e.contains("the data are not images"), "{e}");
    // A model, then tables that do not fit it.
    let (model, _) = trained_on_blobs(dir.path());
    let predict =
        |table: &Path, args: &[&str]| error(nn().arg("predict").arg(&model).arg(table).args(args));
    let wide = write(dir.path(), "wide.csv", "a,b,c,d,e\n1,2,3,4,5\n");
    let e = predict(&wide, &[]);
    assert!(
        e.contains("wide.csv, line 1: 5 feature columns (a, b, c, d, e), but the model takes 3"),
        "{e}"
    );
    let four = write(dir.path(), "four.csv", "a,b,c,d\n1,2,3,4\n");
    let e = predict(&four, &[]);
    assert!(
        e.contains("four.csv, line 1: 4 columns, but the model takes 3 features: name the label column to leave out with --label (columns: a, b, c, d)"),
        "{e}"
    );
    let e = predict(&four, &["--label", "d"]);
    assert!(
        e.contains("four.csv, line 1: the feature columns are a, b, c, but the model was trained on length, width, height (in this order)"),
        "{e}"
    );
    let e = predict(&four, &["--label", "x"]);
    assert!(e.contains("four.csv, line 1: no column \"x\""), "{e}");
    let short = write(
        dir.path(),
        "short.csv",
        "length,width,height\n1,2,3\n4,5,6\n7,8\n",
    );
    let e = predict(&short, &[]);
    assert!(
        e.contains("short.csv, line 4: 2 fields, but the header has 3"),
        "{e}"
    );
    let e = predict(&repo("nn-data/builtin/faces"), &[]);
    assert!(
        e.contains("builtin/faces: ")
            && e.contains("flowers.nn takes rows of features, not images"),
        "{e}"
    );
    let e = error(
        nn().arg("eval")
            .arg(&model)
            .arg("--data")
            .arg(&four)
            .args(["--label", "d"]),
    );
    assert!(
        e.contains("the model was trained on length, width, height"),
        "{e}"
    );
    let e = error(
        nn().arg("eval")
            .arg(&model)
            .arg("--data")
            .arg(repo("nn-data/builtin/faces")),
    );
    assert!(
        e.contains("flowers.nn takes rows of features, not images"),
        "{e}"
    );
    // An image model refuses tables.
    let e = error(
        nn().arg("eval")
            .arg(repo("data/models/faces-logistic.nn"))
            .arg("--data")
            .arg(&four),
    );
    assert!(e.contains("takes images, not rows of a table"), "{e}");
    let e = error(
        nn().arg("predict")
            .arg(repo("data/models/faces-logistic.nn"))
            .arg(&four),
    );
    assert!(e.contains("four.csv: "), "{e}");
    assert!(e.contains("takes images, not rows of a table"), "{e}");
    let e = error(
        nn().arg("predict")
            .arg(repo("data/models/faces-logistic.nn"))
            .arg(repo("nn-data/builtin/faces"))
            .args(["--label", "d"]),
    );
    assert!(
        e.contains("--label names the label column of a CSV table"),
        "{e}"
    );
}

/// The records of CSV output, parsed by the csv crate.
fn csv_records(text: &str) -> (Vec<String>, Vec<Vec<String>>) {
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let header = reader.headers().unwrap().iter().map(String::from).collect();
    let records = reader
        .records()
        .map(|r| r.unwrap().iter().map(String::from).collect())
        .collect();
    (header, records)
}

/// A folder of images at several depths, with files that are skipped: hidden ones, a text
/// file, a corrupt image (reported), and a name that CSV must quote.
fn photo_folder(dir: &Path) -> PathBuf {
    let photos = dir.join("photos");
    for sub in ["a", ".cache"] {
        std::fs::create_dir_all(photos.join(sub)).unwrap();
    }
    let face = repo("nn-data/builtin/faces/face/000.png");
    for name in [
        "b.png",
        "a/z.PNG",
        "with, \"comma\".png",
        ".hidden.png",
        ".cache/x.png",
    ] {
        std::fs::copy(&face, photos.join(name)).unwrap();
    }
    image::open(repo("nn-data/builtin/faces/nonface/150.png"))
        .unwrap()
        .to_rgb8()
        .save(photos.join("a/y.jpg"))
        .unwrap();
    std::fs::write(photos.join("notes.txt"), "not an image").unwrap();
    std::fs::write(photos.join("broken.png"), "not a PNG").unwrap();
    photos
}

#[test]
fn predict_every_image_below_a_folder_with_top_k_as_csv() {
    let dir = tempfile::tempdir().unwrap();
    let photos = photo_folder(dir.path());
    // Three classes, so that the top two do not add up to one.
    let model = dir.path().join("shapes.nn");
    stdout(
        nn().args([
            "train", "--data", "shapes", "--size", "8", "--points", "60", "--model", "mlp:8",
            "--epochs", "2", "--quiet", "--save",
        ])
        .arg(&model),
    );
    let out = nn()
        .arg("predict")
        .arg(&model)
        .arg(&photos)
        .args(["--top", "2", "--csv"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(
        err,
        format!(
            "nn: skipped {}: cannot decode the image (not a PNG, JPEG, BMP, GIF, WebP or TIFF file)\n",
            photos.join("broken.png").display()
        )
    );
    let (header, records) = csv_records(std::str::from_utf8(&out.stdout).unwrap());
    assert_eq!(
        header,
        ["path", "class1", "probability1", "class2", "probability2"]
    );
    let paths: Vec<String> = ["a/y.jpg", "a/z.PNG", "b.png", "with, \"comma\".png"]
        .iter()
        .map(|p| photos.join(p).display().to_string())
        .collect();
    let found: Vec<&String> = records.iter().map(|r| &r[0]).collect();
    assert_eq!(
        found,
        paths.iter().collect::<Vec<_>>(),
        "sorted, one row each"
    );
    for r in &records {
        let (p1, p2): (f64, f64) = (r[2].parse().unwrap(), r[4].parse().unwrap());
        assert!(p1 >= p2 && p2 >= 0.0, "{r:?}");
        assert!(p1 + p2 <= 1.0 + 1e-6, "{r:?}");
        assert_ne!(r[1], r[3], "two different classes: {r:?}");
        assert!(
            ["circle", "square", "triangle"].contains(&r[1].as_str()),
            "{r:?}"
        );
    }
    // --top above the number of classes shows them all; text and JSON list them in order.
    let out = stdout(
        nn().arg("predict")
            .arg(&model)
            .arg(&photos)
            .args(["--top", "9"]),
    );
    let line = out.lines().next().unwrap();
    assert!(line.starts_with(&format!("{}: ", paths[0])), "{out}");
    assert_eq!(line.matches(" %)").count(), 3, "{out}");
    let out = stdout(
        nn().arg("predict")
            .arg(&model)
            .arg(&photos)
            .args(["--top", "3", "--json"]),
    );
    let first: serde_json::Value = serde_json::from_str(out.lines().next().unwrap()).unwrap();
    assert_eq!(first["image"], paths[0].as_str());
    let top = first["top"].as_array().unwrap();
    assert_eq!(top.len(), 3);
    assert_eq!(top[0]["class"], first["class"]);
    let sum: f64 = top.iter().map(|t| t["probability"].as_f64().unwrap()).sum();
    assert!((sum - 1.0).abs() < 1e-5, "{sum}");
    // A folder without images is an error; so is a named file that cannot be read.
    let empty = dir.path().join("empty");
    std::fs::create_dir_all(empty.join(".git")).unwrap();
    let e = error(nn().arg("predict").arg(&model).arg(&empty));
    assert!(e.contains("empty: no images"), "{e}");
    let e = error(
        nn().arg("predict")
            .arg(&model)
            .arg(photos.join("broken.png")),
    );
    assert!(e.contains("broken.png: cannot decode the image"), "{e}");
    let e = error(
        nn().arg("predict")
            .arg(&model)
            .arg(&photos)
            .args(["--csv", "--json"]),
    );
    assert!(e.contains("give --csv or --json, not both"), "{e}");
}

#[test]
fn a_folder_of_many_images_is_predicted_in_batches_as_file_by_file() {
    // 200 images: four batches; the committed model of the faces (non-face, face).
    let model = repo("data/models/faces-logistic.nn");
    let folder = repo("nn-data/builtin/faces");
    let out = stdout(nn().arg("predict").arg(&model).arg(&folder).arg("--csv"));
    let (header, records) = csv_records(&out);
    assert_eq!(header, ["path", "class", "probability"]);
    assert_eq!(records.len(), 200);
    let paths: Vec<&String> = records.iter().map(|r| &r[0]).collect();
    let mut sorted = paths.clone();
    sorted.sort();
    assert_eq!(paths, sorted);
    assert!(paths[0].ends_with("face/000.png") && paths[199].ends_with("nonface/199.png"));
    // The folder's name is the class: the model knows most of its training photos.
    let right = records
        .iter()
        .filter(|r| r[0].contains("/nonface/") == (r[1] == "non-face"))
        .count();
    assert!(right >= 160, "{right} of 200");
    // The same answers as named files (the last batch holds 200 - 3·64 = 8 images).
    for i in [0, 63, 64, 199] {
        let one = stdout(
            nn().arg("predict")
                .arg(&model)
                .arg(&records[i][0])
                .arg("--csv"),
        );
        let (_, alone) = csv_records(&one);
        assert_eq!(alone[0][1], records[i][1]);
        let (a, b): (f64, f64) = (alone[0][2].parse().unwrap(), records[i][2].parse().unwrap());
        assert!((a - b).abs() < 1e-5, "{a} {b}");
    }
}
