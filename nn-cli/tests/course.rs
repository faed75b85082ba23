//! `nn course`: each experiment runs, writes its figures, and reproduces the course's result
//! in kind (the figures themselves differ: our data are drawn by our generator).

use std::process::Command;

/// Runs `nn course NAME` into a temporary folder: the rows of its table as
/// `(experiment, course, ours)`, and the folder.
fn course(name: &str) -> (Vec<[String; 3]>, tempfile::TempDir) {
    let out = tempfile::tempdir().unwrap();
    let run = Command::new(env!("CARGO_BIN_EXE_nn"))
        .args(["course", name, "--out"])
        .arg(out.path())
        .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&run.stdout).into_owned();
    assert!(
        run.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let rows = stdout
        .lines()
        .filter(|l| {
            l.starts_with("| ") && !l.starts_with("| experiment") && !l.starts_with("| ---")
        })
        .map(|l| {
            let cells: Vec<String> = l
                .trim_matches('|')
                .split(" | ")
                .map(|c| c.trim().to_owned())
                .collect();
            [cells[0].clone(), cells[1].clone(), cells[2].clone()]
        })
        .collect();
    (rows, out)
}

/// The percentages in a cell, in order.
fn percents(cell: &str) -> Vec<f64> {
    cell.split(['%', '–'])
        .filter_map(|part| part.rsplit(' ').find(|w| !w.is_empty())?.parse().ok())
        .collect()
}

fn png_files(dir: &tempfile::TempDir) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn planar_a_hidden_layer_beats_logistic_regression() {
    let (rows, out) = course("planar");
    assert_eq!(rows.len(), 9);
    let logistic = percents(&rows[0][2])[0];
    let four = percents(&rows[1][2])[0];
    assert!(
        logistic < 65.0,
        "a line cannot split the flower: {logistic}"
    );
    assert!(four > 85.0, "4 tanh units: {four}");
    let one = percents(&rows[2][2])[0];
    assert!(one < four, "1 unit {one} < 4 units {four}");
    assert_eq!(png_files(&out), ["planar-boundaries.png"]);
}

#[test]
fn initialization_zeros_learn_nothing_and_he_learns() {
    let (rows, out) = course("initialization");
    let [zeros, large, he] = [0, 1, 2].map(|i| percents(&rows[i][2]));
    assert_eq!(zeros, [50.0, 50.0], "zeros: symmetry is never broken");
    assert!(he[0] > 95.0 && he[1] > 90.0, "He: {he:?}");
    assert!(large[0] < he[0], "large random {large:?} below He {he:?}");
    assert_eq!(
        png_files(&out),
        ["initialization-boundaries.png", "initialization-costs.png"]
    );
}

#[test]
fn optimization_adam_beats_gradient_descent() {
    let (rows, out) = course("optimization");
    let [gd, momentum, adam] = [0, 1, 2].map(|i| percents(&rows[i][2])[0]);
    assert!(
        adam > gd + 5.0 && adam > momentum + 5.0,
        "{gd} {momentum} {adam}"
    );
    assert!(adam > 90.0, "{adam}");
    assert_eq!(
        png_files(&out),
        ["optimization-boundaries.png", "optimization-costs.png"]
    );
}

#[test]
fn gradient_checking_passes_and_catches_the_planted_bug() {
    let (rows, _) = course("gradient-checking");
    assert!(rows[0][2].ends_with(": correct"), "{:?}", rows[0]);
    assert!(rows[1][2].ends_with(": a mistake"), "{:?}", rows[1]);
    let worst: f64 = rows[1][2].split(':').next().unwrap().parse().unwrap();
    assert!((worst - 0.6).abs() < 1e-6, "db ×4 is 3/5 off: {worst}");
}

#[test]
fn convolution_steps_agree_with_the_loops() {
    let (rows, _) = course("convolution");
    assert_eq!(rows.len(), 6, "{rows:?}");
    assert_eq!(rows[1][2], "(2, 3, 4, 8)");
    for row in [&rows[0], &rows[2], &rows[3], &rows[4], &rows[5]] {
        for number in row[2].split(" / ") {
            let v: f64 = number.parse().unwrap_or_else(|_| panic!("{row:?}"));
            assert!(v < 1e-12, "{row:?}");
        }
    }
}

#[test]
fn regularization_and_logistic_regression_run() {
    let (rows, out) = course("regularization");
    assert_eq!(rows.len(), 3);
    let [none, l2, dropout] = [0, 1, 2].map(|i| percents(&rows[i][2]));
    // What the README says of seed 1: L2 fits the training set less closely and the test set
    // better; dropout trains and tests about as well as no regularisation.
    assert!(
        none[0] >= l2[0],
        "L2 fits the training set less closely: {none:?} {l2:?}"
    );
    assert!(l2[1] >= none[1], "and the test set better: {none:?} {l2:?}");
    assert!(dropout[1] > 90.0 && none[1] > 90.0, "{none:?} {dropout:?}");
    assert_eq!(
        png_files(&out),
        ["regularization-boundaries.png", "regularization-costs.png"]
    );
    let (rows, out) = course("logistic");
    let acc = percents(&rows[0][2]);
    assert!(acc[0] > acc[1] && acc[0] > 90.0, "{acc:?}");
    assert_eq!(png_files(&out), ["logistic-costs.png"]);
}
