//! `nn predict`: the classes of images, of every image below folders, or of each row of a CSV
//! table, with a saved model; the K most probable classes, as text, JSON lines or CSV.
//!
//! Images are prepared as in training (the model's preparation), decoded in parallel and
//! predicted in batches of [`BATCH`]. An image named on the command line that cannot be read
//! is an error; one found in a folder is reported (`nn: skipped PATH: reason`) and the others
//! are still predicted.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use nn_core::{Network, Tensor};
use nn_data::model::{Preparation, Trained};
use nn_data::table::{Csv, Label};
use nn_data::{DataError, Dataset};
use rayon::prelude::*;
use serde_json::json;

use crate::model::{self, Run};
use crate::table;
use crate::{Compute, ModelPath, Output};

/// Options of `nn predict`.
#[derive(Args, Debug)]
pub struct PredictArgs {
    /// The saved model.
    model: ModelPath,
    /// What to predict: image files (any size; PNG, JPEG, BMP, GIF, WebP, TIFF), folders
    /// (every image below them, in sorted order; hidden files and other extensions are
    /// skipped), or, for a model trained on rows of features, one CSV table (a prediction
    /// per row).
    #[arg(required = true, value_name = "INPUT")]
    inputs: Vec<PathBuf>,
    /// The label column of a CSV table, left out of the features (by default the model's own
    /// label column, if the table has it).
    #[arg(long, value_name = "COLUMN")]
    label: Option<String>,
    /// Show the K most probable classes of each input, most probable first (at most the
    /// number of classes).
    #[arg(long, value_name = "K", default_value_t = 1,
          value_parser = clap::value_parser!(u32).range(1..))]
    top: u32,
    /// Write CSV to stdout: `path,class,probability` (`line,…` for a table's rows), or with
    /// --top K `path,class1,probability1,…,classK,probabilityK`.
    #[arg(long)]
    csv: bool,
    #[command(flatten)]
    compute: Compute,
    #[command(flatten)]
    output: Output,
}

/// Images decoded and predicted at a time.
pub const BATCH: usize = 64;

/// Image file extensions searched for in folders (compared without case).
const IMAGE_EXTENSIONS: [&str; 8] = ["png", "jpg", "jpeg", "bmp", "gif", "webp", "tif", "tiff"];

/// How deep below a folder images are looked for (a bound against symbolic-link loops).
const MAX_DEPTH: usize = 16;

/// `nn predict`: images (named or found in folders) or the rows of a CSV table.
pub fn predict(a: PredictArgs) -> Result<()> {
    if a.csv && a.output.json {
        bail!("give --csv or --json, not both");
    }
    let (trained, run) = model::load(&a.model, a.compute.backend()?)?;
    let classes = trained.preparation.classes.clone();
    let top = (a.top as usize).min(classes.len());
    if trained.preparation.images.is_none() {
        let mut out = Printer::new(&a, classes, top, Kind::Rows);
        return predict_table(&a, &trained, run.as_ref(), &mut out);
    }
    if a.label.is_some() {
        bail!(
            "--label names the label column of a CSV table, but {} takes images",
            a.model.display()
        );
    }
    if let Some(table) = a.inputs.iter().find(|p| is_csv(p)) {
        bail!(
            "{}: {} takes images, not rows of a table",
            table.display(),
            a.model.display()
        );
    }
    let mut out = Printer::new(&a, classes, top, Kind::Images);
    predict_images(&a, &trained, &mut out)
}

/// The rows of one CSV table, each predicted (all at once: the network evaluates in chunks).
fn predict_table(
    a: &PredictArgs,
    trained: &Trained,
    run: Option<&Run>,
    out: &mut Printer,
) -> Result<()> {
    let prepare = &trained.preparation;
    let [path] = a.inputs.as_slice() else {
        bail!(
            "{}: this model takes rows of features: give one CSV table (got {} inputs)",
            a.model.display(),
            a.inputs.len()
        );
    };
    if !is_csv(path) {
        bail!(
            "{}: {} takes rows of features, not images: give a CSV table (.csv)",
            path.display(),
            a.model.display()
        );
    }
    let expected = table::Expected {
        features: prepare.example_shape.iter().product(),
        columns: run.and_then(|r| r.table.as_ref()),
    };
    let label = table::for_model(path, a.label.as_deref(), expected, false)?;
    let rows = Csv::new(label.map_or(Label::None, Label::Class)).read_features(path)?;
    let m = rows.lines.len();
    let mut data = Dataset::with_classes(rows.x, vec![0; m], vec!["?".into()])?;
    prepare.apply(&mut data)?;
    let p = trained.network.predict_proba(&prepare.tensor(&data)?)?;
    for (i, &line) in rows.lines.iter().enumerate() {
        out.print(&Item::Row(line), &probabilities(p.row(i)))?;
    }
    out.flush()
}

/// Whether `path` names a CSV file (by its extension).
fn is_csv(path: &Path) -> bool {
    path.extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("csv"))
}

/// An image to predict, and whether it was named on the command line (else found in a
/// folder, and skipped if unreadable).
struct Input {
    path: PathBuf,
    named: bool,
}

/// The images named and those found below the folders named, each folder's sorted.
fn image_inputs(inputs: &[PathBuf]) -> Result<Vec<Input>> {
    let mut all = Vec::new();
    for path in inputs {
        if !path.is_dir() {
            all.push(Input {
                path: path.clone(),
                named: true,
            });
            continue;
        }
        let mut found = Vec::new();
        images_below(path, 0, &mut found)?;
        if found.is_empty() {
            bail!(
                "{}: no images (.png, .jpg, .jpeg, .bmp, .gif, .webp, .tif, .tiff) in this \
                 folder or below it",
                path.display()
            );
        }
        // Component by component: a folder's files and sub-folders in name order, depth first.
        found.sort();
        all.extend(found.into_iter().map(|path| Input { path, named: false }));
    }
    Ok(all)
}

/// Every file below `dir` with an image extension, not hidden (names starting with `.`), at
/// most [`MAX_DEPTH`] folders deep. A sub-folder that cannot be listed is reported and
/// skipped.
fn images_below(dir: &Path, depth: usize, found: &mut Vec<PathBuf>) -> Result<()> {
    if depth > MAX_DEPTH {
        bail!(
            "{}: folders nested more than {MAX_DEPTH} deep (a symbolic-link loop?)",
            dir.display()
        );
    }
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if depth > 0 => {
            eprintln!(
                "nn: skipped {}: cannot list the folder ({e})",
                dir.display()
            );
            return Ok(());
        }
        Err(e) => return Err(e).with_context(|| format!("{}: cannot list", dir.display())),
    };
    for entry in entries {
        let entry = entry.with_context(|| format!("{}: cannot list", dir.display()))?;
        if entry.file_name().to_string_lossy().starts_with('.') {
            continue;
        }
        let path = entry.path();
        if path.is_dir() {
            images_below(&path, depth + 1, found)?;
        } else if path
            .extension()
            .is_some_and(|e| IMAGE_EXTENSIONS.iter().any(|x| e.eq_ignore_ascii_case(x)))
        {
            found.push(path);
        }
    }
    Ok(())
}

/// The images, in batches of [`BATCH`]: decoded in parallel, predicted together, printed in
/// order; a progress bar on a terminal for more than one batch.
fn predict_images(a: &PredictArgs, trained: &Trained, out: &mut Printer) -> Result<()> {
    let inputs = image_inputs(&a.inputs)?;
    let bar = if inputs.len() > BATCH && !a.output.quiet {
        ProgressBar::new(inputs.len() as u64)
    } else {
        ProgressBar::hidden()
    };
    bar.set_style(
        ProgressStyle::with_template("{bar:30} {pos}/{len} images [{elapsed}, eta {eta}]")
            .expect("a valid template"),
    );
    let (mut predicted, mut skipped) = (0, 0);
    for batch in inputs.chunks(BATCH) {
        let decoded: Vec<_> = batch
            .par_iter()
            .map(|i| trained.preparation.image(&i.path))
            .collect();
        let mut kept = Vec::with_capacity(batch.len());
        let mut pixels = Vec::new();
        for (input, result) in batch.iter().zip(decoded) {
            match result {
                Ok(x) => {
                    pixels.extend_from_slice(x.data());
                    kept.push(&input.path);
                }
                // A bad size of the preparation is no fault of one image.
                Err(e) if !input.named && !matches!(e, DataError::Invalid { .. }) => {
                    bar.suspend(|| eprintln!("nn: skipped {e}"));
                    skipped += 1;
                }
                Err(e) => return Err(e.into()),
            }
        }
        bar.inc(batch.len() as u64);
        if kept.is_empty() {
            continue;
        }
        let p = predict_batch(&trained.network, &trained.preparation, kept.len(), pixels)?;
        bar.suspend(|| -> Result<()> {
            for (i, path) in kept.iter().enumerate() {
                out.print(&Item::Image(path.as_path()), &probabilities(p.row(i)))?;
            }
            out.flush()
        })?;
        predicted += kept.len();
    }
    bar.finish_and_clear();
    if predicted == 0 {
        bail!("none of the {skipped} images could be read");
    }
    out.flush()
}

/// The probabilities of `count` prepared images, given one after the other in `pixels`.
fn predict_batch(
    network: &Network<f32>,
    prepare: &Preparation,
    count: usize,
    pixels: Vec<f32>,
) -> Result<Tensor<f32>> {
    let mut shape = vec![count];
    shape.extend_from_slice(&prepare.example_shape);
    let x = Tensor::from_vec(&shape, pixels)?;
    Ok(network.predict_proba(&x)?)
}

/// One probability per class from a network's output row: one sigmoid output is the
/// probability of class 1.
fn probabilities(row: &[f32]) -> Vec<f32> {
    match row {
        [p] => vec![1.0 - p, *p],
        _ => row.to_vec(),
    }
}

/// The `k` most probable classes, most probable first (ties in class order).
fn ranked(probabilities: &[f32], k: usize) -> Vec<(usize, f32)> {
    let mut order: Vec<usize> = (0..probabilities.len()).collect();
    order.sort_by(|&a, &b| probabilities[b].total_cmp(&probabilities[a]));
    order
        .into_iter()
        .take(k)
        .map(|c| (c, probabilities[c]))
        .collect()
}

/// What a prediction is of.
enum Item<'a> {
    /// An image file.
    Image(&'a Path),
    /// A table's row, by the line it starts on.
    Row(u64),
}

/// Whether the items are images or rows (the first column of CSV output).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Images,
    Rows,
}

/// Prints predictions as text, JSON lines or CSV.
struct Printer {
    classes: Vec<String>,
    top: usize,
    json: bool,
    csv: Option<csv::Writer<std::io::Stdout>>,
    /// The CSV header, until it is written before the first record.
    header: Option<Vec<String>>,
}

impl Printer {
    /// A printer of the `top` classes of each item; CSV output starts with its header.
    fn new(a: &PredictArgs, classes: Vec<String>, top: usize, kind: Kind) -> Printer {
        let mut header = vec![match kind {
            Kind::Images => "path".to_string(),
            Kind::Rows => "line".to_string(),
        }];
        for k in 1..=top {
            let suffix = if top == 1 {
                String::new()
            } else {
                k.to_string()
            };
            header.push(format!("class{suffix}"));
            header.push(format!("probability{suffix}"));
        }
        Printer {
            classes,
            top,
            json: a.output.json,
            csv: a.csv.then(|| csv::Writer::from_writer(std::io::stdout())),
            header: a.csv.then_some(header),
        }
    }

    /// One item's line: `PATH: CLASS (P %)` or `line N: CLASS (P %)`, more classes after
    /// commas; a JSON object; or a CSV record.
    fn print(&mut self, item: &Item, probabilities: &[f32]) -> Result<()> {
        let best = ranked(probabilities, self.top);
        // The preparation was checked against the network when the file was read: one name
        // per probability.
        let name = |c: usize| {
            self.classes
                .get(c)
                .map(String::as_str)
                .context("the model has fewer class names than outputs")
        };
        let what = match item {
            Item::Image(path) => path.display().to_string(),
            Item::Row(line) => line.to_string(),
        };
        if let Some(w) = &mut self.csv {
            if let Some(header) = self.header.take() {
                w.write_record(&header)?;
            }
            let mut record = vec![what];
            for &(c, p) in &best {
                record.push(name(c)?.to_string());
                record.push(p.to_string());
            }
            w.write_record(&record)?;
        } else if self.json {
            let mut object = match item {
                Item::Image(_) => json!({"image": what}),
                Item::Row(line) => json!({"line": line}),
            };
            object["class"] = json!(name(best[0].0)?);
            object["probability"] = json!(f64::from(best[0].1));
            if self.top > 1 {
                let top: Result<Vec<_>> = best
                    .iter()
                    .map(|&(c, p)| Ok(json!({"class": name(c)?, "probability": f64::from(p)})))
                    .collect();
                object["top"] = json!(top?);
            }
            println!("{object}");
        } else {
            let shown: Result<Vec<String>> = best
                .iter()
                .map(|&(c, p)| Ok(format!("{} ({:.1} %)", name(c)?, 100.0 * p)))
                .collect();
            let what = match item {
                Item::Image(_) => what,
                Item::Row(line) => format!("line {line}"),
            };
            println!("{what}: {}", shown?.join(", "));
        }
        Ok(())
    }

    /// Writes out what is buffered (CSV), so that results appear batch by batch.
    fn flush(&mut self) -> Result<()> {
        match &mut self.csv {
            Some(w) => w.flush()?,
            None => std::io::stdout().flush()?,
        }
        Ok(())
    }
}
