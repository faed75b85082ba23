//! MNIST IDX files and CSV tables.
//!
//! MNIST figures from Python's gzip and struct on `data/mnist5k`: train (4000, 28, 28), labels
//! per class [400, 391, 404, 413, 399, 406, 392, 409, 390, 396], first image's pixel sum 39 108
//! (label 1), all pixels 105 149 918; test (1000, 28, 28), [100, 109, 96, 87, 101, 94, 108, 91,
//! 110, 104], first 22 963 (label 7), all 26 117 184.

use std::fs;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use nn_data::idx;
use nn_data::table::{Csv, Label};
use nn_data::{DataError, Targets};

fn mnist_dir() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../data/mnist5k"))
}

fn sum(values: &[f32]) -> f64 {
    values.iter().map(|&v| f64::from(v)).sum()
}

#[test]
fn mnist_matches_the_python_figures() {
    let [train, test] = idx::mnist(mnist_dir()).unwrap();
    assert_eq!(train.x().shape(), &[4000, 28, 28, 1]);
    assert_eq!(
        train.class_counts(),
        vec![400, 391, 404, 413, 399, 406, 392, 409, 390, 396]
    );
    assert_eq!(sum(train.x().row(0)), 39_108.0);
    assert_eq!(train.labels().unwrap()[0], 1);
    assert_eq!(sum(train.x().data()), 105_149_918.0);
    assert_eq!(test.x().shape(), &[1000, 28, 28, 1]);
    assert_eq!(
        test.class_counts(),
        vec![100, 109, 96, 87, 101, 94, 108, 91, 110, 104]
    );
    assert_eq!(sum(test.x().row(0)), 22_963.0);
    assert_eq!(test.labels().unwrap()[0], 7);
    assert_eq!(sum(test.x().data()), 26_117_184.0);
    assert_eq!(test.class_names()[7], "7");
    assert_eq!(train.flattened().shape(), &[4000, 784]);
}

fn gunzip(path: &Path) -> Vec<u8> {
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(fs::File::open(path).unwrap())
        .read_to_end(&mut out)
        .unwrap();
    out
}

#[test]
fn uncompressed_idx_files_read_the_same() {
    let dir = tempfile::tempdir().unwrap();
    for name in [
        "train-images-idx3-ubyte",
        "train-labels-idx1-ubyte",
        "t10k-images-idx3-ubyte",
        "t10k-labels-idx1-ubyte",
    ] {
        let raw = gunzip(&mnist_dir().join(format!("{name}.gz")));
        fs::write(dir.path().join(name), raw).unwrap();
    }
    let [train, _] = idx::mnist(dir.path()).unwrap();
    let [train_gz, _] = idx::mnist(mnist_dir()).unwrap();
    assert_eq!(train, train_gz);
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    fs::write(&path, bytes).unwrap();
    path
}

fn idx_bytes(type_code: u8, dims: &[u32], values: usize) -> Vec<u8> {
    let mut b = vec![0, 0, type_code, dims.len() as u8];
    for d in dims {
        b.extend_from_slice(&d.to_be_bytes());
    }
    b.extend(std::iter::repeat_n(3u8, values));
    b
}

fn err(r: Result<idx::Idx, DataError>) -> String {
    r.unwrap_err().to_string()
}

#[test]
fn bad_idx_files_give_errors_naming_the_file() {
    let d = tempfile::tempdir().unwrap();
    let dir = d.path();
    let p = write(dir, "magic", b"\x89PNG\r\n\x1a\n....");
    assert!(err(idx::read(&p)).ends_with(
        "magic: not an IDX file (it starts with [89, 50, 4e, 47], not 00 00 <type> <dimensions>)"
    ));
    let p = write(dir, "short", &idx_bytes(8, &[10, 2], 19));
    assert!(err(idx::read(&p))
        .ends_with("short: the header says [10, 2] (20 values) but the file holds 19"));
    let p = write(dir, "long", &idx_bytes(8, &[10, 2], 21));
    assert!(err(idx::read(&p))
        .ends_with("long: the header says [10, 2] (20 values) but the file holds more"));
    let p = write(dir, "float", &idx_bytes(0x0d, &[4], 16));
    assert!(
        err(idx::read(&p)).contains("float: the IDX data holds type code 0x0d but unsigned bytes")
    );
    let p = write(dir, "huge", &idx_bytes(8, &[u32::MAX, u32::MAX, 4], 0));
    assert!(err(idx::read(&p)).contains("more than the limit"));
    let p = write(dir, "header", &[0, 0, 8, 3, 0, 0]);
    assert!(err(idx::read(&p)).ends_with("header: the header ends before dimension 1 of 3"));
    let p = write(dir, "empty", b"");
    assert!(err(idx::read(&p)).contains("empty: not an IDX file"));
    // A damaged gzip stream.
    let mut gz = Vec::new();
    {
        let mut enc = flate2::write::GzEncoder::new(&mut gz, flate2::Compression::default());
        enc.write_all(&idx_bytes(8, &[100, 28, 28], 78400)).unwrap();
    }
    let half = gz.len() / 2;
    let p = write(dir, "cut.gz", &gz[..half]);
    let e = err(idx::read(&p));
    assert!(e.contains("cut.gz: "), "{e}");
    let p = write(dir, "ok.gz", &gz);
    assert_eq!(idx::read(&p).unwrap().dims, vec![100, 28, 28]);
    // Images and labels that disagree; a label out of range; a missing file.
    let images = write(dir, "images", &idx_bytes(8, &[3, 2, 2], 12));
    let labels = write(dir, "labels", &idx_bytes(8, &[4], 4));
    let e = idx::read_pair(&images, &labels, 10)
        .unwrap_err()
        .to_string();
    assert!(e.ends_with("labels: 3 images but 4 labels"), "{e}");
    let mut bad_label = idx_bytes(8, &[3], 0);
    bad_label.extend_from_slice(&[1, 12, 3]);
    let labels = write(dir, "labels2", &bad_label);
    let e = idx::read_pair(&images, &labels, 10)
        .unwrap_err()
        .to_string();
    assert!(
        e.ends_with("labels2: labels[1] is 12 but there are 10 classes (labels must be in 0..10)"),
        "{e}"
    );
    let e = idx::read_pair(&labels, &labels, 10)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains(
            "labels2: the IDX data has shape (3,) but (m, height, width) images was expected"
        ),
        "{e}"
    );
    let e = idx::mnist(dir).unwrap_err().to_string();
    assert!(
        e.contains("no train-images-idx3-ubyte or train-images-idx3-ubyte.gz"),
        "{e}"
    );
}

#[test]
fn csv_with_class_names_numbers_and_real_targets() {
    let d = tempfile::tempdir().unwrap();
    let p = write(d.path(), "iris.csv", b"sepal,petal, species\n5.1,1.4,setosa\n7.0,4.7,versicolor\n6.3, 6.0 ,virginica\n4.9,1.4,setosa\n");
    let data = Csv::new(Label::Class("species".into())).read(&p).unwrap();
    assert_eq!(data.x().shape(), &[4, 2]);
    assert_eq!(data.x().data(), &[5.1, 1.4, 7.0, 4.7, 6.3, 6.0, 4.9, 1.4]);
    assert_eq!(data.class_names(), ["setosa", "versicolor", "virginica"]);
    assert_eq!(data.labels().unwrap(), &[0, 1, 2, 0]);
    // Integer classes sort numerically; the label may be any column.
    let p = write(d.path(), "digits.csv", b"label;a;b\n10;1;2\n9;3;4\n2;5;6\n");
    let data = Csv::new(Label::Class("label".into()))
        .delimiter(b';')
        .read(&p)
        .unwrap();
    assert_eq!(data.class_names(), ["2", "9", "10"]);
    assert_eq!(data.labels().unwrap(), &[2, 1, 0]);
    assert_eq!(data.x().data(), &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
    let data = Csv::new(Label::LastClass).read(&p).unwrap_err();
    assert!(
        data.to_string().contains("\"label;a;b\""),
        "one column: {data}"
    );
    // Real targets.
    let p = write(
        d.path(),
        "houses.csv",
        b"rooms,area,price\n3,70,2.5e5\n4,95,3.1e5\n",
    );
    let data = Csv::new(Label::Real("price".into())).read(&p).unwrap();
    match data.targets() {
        Targets::Real(y) => assert_eq!(y.data(), &[2.5e5, 3.1e5]),
        other => panic!("{other:?}"),
    }
    assert_eq!(data.y().shape(), &[2, 1]);
}

fn csv_err(label: Label, text: &[u8]) -> String {
    let d = tempfile::tempdir().unwrap();
    let p = write(d.path(), "t.csv", text);
    Csv::new(label).read(&p).unwrap_err().to_string()
}

#[test]
fn bad_csv_gives_errors_naming_the_file_and_line() {
    let class = || Label::Class("y".into());
    let e = csv_err(class(), b"a,b,y\n1,2,x\n3,4\n");
    assert!(
        e.ends_with("t.csv, line 3: 2 fields, but the header has 3"),
        "{e}"
    );
    let e = csv_err(class(), b"a,b,y\n1,2,x\n3,oops,x\n");
    assert!(
        e.ends_with("t.csv, line 3: feature \"b\" is \"oops\", not a number"),
        "{e}"
    );
    let e = csv_err(class(), b"a,b,y\n1,,x\n");
    assert!(
        e.ends_with("t.csv, line 2: feature \"b\" is \"\", not a number"),
        "{e}"
    );
    let e = csv_err(class(), b"a,b,y\n1,2,\n");
    assert!(e.ends_with("t.csv, line 2: label \"y\" is empty"), "{e}");
    let e = csv_err(Label::Real("y".into()), b"a,y\n1,big\n");
    assert!(
        e.ends_with("t.csv, line 2: target \"y\" is \"big\", not a number"),
        "{e}"
    );
    let e = csv_err(Label::Class("label".into()), b"a,b,y\n1,2,3\n");
    assert!(
        e.ends_with("t.csv, line 1: no column \"label\" in the header (columns: a, b, y)"),
        "{e}"
    );
    let e = csv_err(class(), b"");
    assert!(e.contains("t.csv, line 1: the file is empty"), "{e}");
    let e = csv_err(class(), b"a,b,y\n");
    assert!(
        e.ends_with("t.csv, line 2: no data rows after the header"),
        "{e}"
    );
    let e = csv_err(class(), b"a,b,y\n1,2,\xff\xfe\n");
    assert!(e.contains("t.csv, line 2: not UTF-8"), "{e}");
    let e = Csv::new(class())
        .read(Path::new("/no/such.csv"))
        .unwrap_err()
        .to_string();
    assert!(e.starts_with("/no/such.csv: "), "{e}");
}

#[test]
fn rows_to_predict_leave_out_the_label_column_and_keep_their_lines() {
    let d = tempfile::tempdir().unwrap();
    // A quoted field over two lines: the next row starts on line 5.
    let text = b"sepal, species ,petal\n5.1,setosa,1.4\n7.0,versicolor,4.7\n6.3,\"virgi\nnica\",6.0\n4.9,,1.4\n";
    let p = write(d.path(), "rows.csv", text);
    let species = Csv::new(Label::Class("species".into()));
    let rows = species.read_features(&p).unwrap();
    assert_eq!(rows.columns, ["sepal", "petal"]);
    assert_eq!(rows.x.shape(), &[4, 2]);
    assert_eq!(rows.x.data(), &[5.1, 1.4, 7.0, 4.7, 6.3, 6.0, 4.9, 1.4]);
    assert_eq!(rows.lines, [2, 3, 4, 6]);
    // The label column may be missing; Label::None reads every column.
    let p = write(d.path(), "bare.csv", b"sepal,petal\n5.1,1.4\n7.0,4.7\n");
    let rows = species.read_features(&p).unwrap();
    assert_eq!(rows.columns, ["sepal", "petal"]);
    assert_eq!(rows.lines, [2, 3]);
    let none = Csv::new(Label::None).read_features(&p).unwrap();
    assert_eq!((none.columns, none.x.data()), (rows.columns, rows.x.data()));
    let p = write(d.path(), "one.csv", b"x\n1\n2.5\n");
    let rows = Csv::new(Label::None).read_features(&p).unwrap();
    assert_eq!(
        (rows.x.shape(), rows.x.data()),
        (&[2, 1][..], &[1.0, 2.5][..])
    );
    // LastClass leaves out the last column; a real target's column is left out unread too.
    let p = write(d.path(), "t.csv", b"a;b;price\n1;2;n/a\n");
    let rows = Csv::new(Label::Real("price".into()))
        .delimiter(b';')
        .read_features(&p)
        .unwrap();
    assert_eq!(rows.x.data(), &[1.0, 2.0]);
    let rows = Csv::new(Label::LastClass)
        .delimiter(b';')
        .read_features(&p)
        .unwrap();
    assert_eq!(rows.columns, ["a", "b"]);
    // The header alone.
    assert_eq!(species.columns(&p).unwrap(), ["a;b;price"]);
    assert_eq!(
        species.delimiter(b';').columns(&p).unwrap(),
        ["a", "b", "price"]
    );
}

#[test]
fn bad_rows_to_predict_give_errors_naming_the_file_and_line() {
    let d = tempfile::tempdir().unwrap();
    let features = |label: Label, text: &[u8]| {
        let p = write(d.path(), "p.csv", text);
        Csv::new(label).read_features(&p).unwrap_err().to_string()
    };
    let e = features(Label::None, b"a,b\n1,2\n3,4,5\n");
    assert!(
        e.ends_with("p.csv, line 3: 3 fields, but the header has 2"),
        "{e}"
    );
    let e = features(Label::Class("y".into()), b"a,y,b\n1,x,2\n3,x,oops\n");
    assert!(
        e.ends_with("p.csv, line 3: feature \"b\" is \"oops\", not a number"),
        "{e}"
    );
    let e = features(Label::Class("y".into()), b"y\nx\n");
    assert!(
        e.ends_with("p.csv, line 1: no feature columns besides the label \"y\""),
        "{e}"
    );
    let e = features(Label::None, b"a,b\n");
    assert!(
        e.ends_with("p.csv, line 2: no data rows after the header"),
        "{e}"
    );
    let e = features(Label::None, b"");
    assert!(e.contains("p.csv, line 1: the file is empty"), "{e}");
    let e = features(Label::LastClass, b"a\n1\n");
    assert!(
        e.contains("p.csv, line 1: the header has one column"),
        "{e}"
    );
    // A table of examples needs its labels.
    let p = write(d.path(), "q.csv", b"a,b\n1,2\n");
    let e = Csv::new(Label::None).read(&p).unwrap_err();
    assert!(matches!(e, DataError::Invalid { .. }), "{e:?}");
    assert!(e.to_string().contains("needs a label column"), "{e}");
    let e = Csv::new(Label::None).columns(d.path()).unwrap_err();
    assert!(matches!(e, DataError::NotFile { .. }), "{e:?}");
}

#[test]
fn a_label_column_of_too_many_classes_is_refused_at_its_line() {
    let limit = nn_data::table::MAX_CSV_CLASSES;
    let mut text = String::from("x,label\n");
    for i in 0..=limit {
        text.push_str(&format!("0,c{i}\n"));
    }
    let csv = Csv::new(Label::Class("label".into()));
    let err = csv
        .from_bytes(text.as_bytes(), "many.csv")
        .unwrap_err()
        .to_string();
    let line = limit + 2;
    assert!(
        err.starts_with(&format!("many.csv, line {line}:")) && err.contains("MAX_CSV_CLASSES"),
        "{err}"
    );
    // One class fewer reads.
    let fewer: String = text
        .lines()
        .take(limit + 1)
        .map(|l| format!("{l}\n"))
        .collect();
    assert_eq!(
        csv.from_bytes(fewer.as_bytes(), "fewer.csv")
            .unwrap()
            .classes(),
        limit
    );
}
