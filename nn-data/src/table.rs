//! CSV tables with a header row: every column but one is a numeric feature, one column holds
//! the label (a class name or number, or a real target).
//!
//! ```no_run
//! use std::path::Path;
//! use nn_data::table::{Csv, Label};
//!
//! let data = Csv::new(Label::Class("species".into())).read(Path::new("iris.csv"))?;
//! println!("{} examples, {} features, classes {:?}", data.len(), data.features(), data.class_names());
//! # Ok::<(), nn_data::DataError>(())
//! ```

use std::path::Path;

use nn_core::Tensor;

use crate::{DataError, Dataset};

/// Which column holds the label, and what kind of label it is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Label {
    /// The column of this name holds class labels (any text; classes are the distinct values,
    /// sorted, numerically if they are all integers).
    Class(String),
    /// The column of this name holds a real target (regression).
    Real(String),
    /// The last column holds class labels.
    LastClass,
}

/// How to read a CSV file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Csv {
    /// The label column.
    pub label: Label,
    /// The field separator (`b','` by default).
    pub delimiter: u8,
}

impl Csv {
    /// Comma-separated, with the given label column.
    pub fn new(label: Label) -> Self {
        Csv {
            label,
            delimiter: b',',
        }
    }

    /// Another field separator, e.g. `b';'` or `b'\t'`.
    pub fn delimiter(mut self, delimiter: u8) -> Self {
        self.delimiter = delimiter;
        self
    }

    /// Reads the file into `(m, n)` features and its labels.
    ///
    /// # Errors
    ///
    /// [`DataError::Io`] if it cannot be read; [`DataError::Row`] naming the line (and column)
    /// for an empty file, a header without the label column, a row of the wrong width, an
    /// empty or non-numeric feature, a non-numeric real target, or bad UTF-8.
    pub fn read(&self, path: &Path) -> Result<Dataset, DataError> {
        let row_error = |line: u64, message: String| DataError::Row {
            path: path.to_path_buf(),
            line,
            message,
        };
        let mut reader = csv::ReaderBuilder::new()
            .delimiter(self.delimiter)
            .has_headers(true)
            .flexible(false)
            .from_path(path)
            .map_err(|e| csv_error(path, e))?;
        let header: Vec<String> = reader
            .headers()
            .map_err(|e| csv_error(path, e))?
            .iter()
            .map(|h| h.trim().to_string())
            .collect();
        if header.is_empty() || header.iter().all(String::is_empty) {
            return Err(row_error(
                1,
                "the file is empty: a header row was expected".into(),
            ));
        }
        if header.len() < 2 {
            return Err(row_error(
                1,
                format!(
                    "the header has one column, \"{}\"; a table needs features and a label (is '{}' the right delimiter?)",
                    header[0],
                    char::from(self.delimiter)
                ),
            ));
        }
        let (label_column, real) = match &self.label {
            Label::LastClass => (header.len() - 1, false),
            Label::Class(name) | Label::Real(name) => (
                header.iter().position(|h| h == name).ok_or_else(|| {
                    row_error(
                        1,
                        format!(
                            "no column \"{name}\" in the header (columns: {})",
                            header.join(", ")
                        ),
                    )
                })?,
                matches!(self.label, Label::Real(_)),
            ),
        };
        let n = header.len() - 1;
        let mut features = Vec::new();
        let mut labels: Vec<String> = Vec::new();
        let mut targets: Vec<f32> = Vec::new();
        for record in reader.records() {
            let record = record.map_err(|e| csv_error(path, e))?;
            let line = record.position().map_or(0, |p| p.line());
            for (column, field) in record.iter().enumerate() {
                let field = field.trim();
                if column == label_column {
                    if real {
                        targets.push(parse_number(field).ok_or_else(|| {
                            row_error(
                                line,
                                format!(
                                    "target \"{}\" is \"{field}\", not a number",
                                    header[column]
                                ),
                            )
                        })?);
                    } else if field.is_empty() {
                        return Err(row_error(
                            line,
                            format!("label \"{}\" is empty", header[column]),
                        ));
                    } else {
                        labels.push(field.to_string());
                    }
                } else {
                    features.push(parse_number(field).ok_or_else(|| {
                        row_error(
                            line,
                            format!(
                                "feature \"{}\" is \"{field}\", not a number",
                                header[column]
                            ),
                        )
                    })?);
                }
            }
        }
        let m = if real { targets.len() } else { labels.len() };
        if m == 0 {
            return Err(row_error(2, "no data rows after the header".into()));
        }
        let x = Tensor::from_vec(&[m, n], features).expect("n features per row");
        if real {
            let y = Tensor::from_vec(&[m, 1], targets).expect("one target per row");
            return Dataset::with_real_targets(x, y);
        }
        let mut classes: Vec<String> = labels.clone();
        classes.sort();
        classes.dedup();
        if classes.iter().all(|c| c.parse::<i64>().is_ok()) {
            classes.sort_by_key(|c| c.parse::<i64>().expect("checked"));
        }
        let index: Vec<usize> = labels
            .iter()
            .map(|l| {
                classes
                    .iter()
                    .position(|c| c == l)
                    .expect("every label is a class")
            })
            .collect();
        Dataset::with_classes(x, index, classes)
    }
}

/// A finite number, or `None`.
fn parse_number(field: &str) -> Option<f32> {
    field.parse::<f32>().ok().filter(|v| v.is_finite())
}

/// The csv crate's errors in our terms: the line for malformed rows.
fn csv_error(path: &Path, e: csv::Error) -> DataError {
    let line = e.position().map_or(0, |p| p.line());
    match e.into_kind() {
        csv::ErrorKind::Io(source) => DataError::Io {
            path: path.to_path_buf(),
            source,
        },
        csv::ErrorKind::UnequalLengths {
            expected_len,
            len,
            pos,
            ..
        } => DataError::Row {
            path: path.to_path_buf(),
            line: pos.map_or(line, |p| p.line()),
            message: format!("{len} fields, but the header has {expected_len}"),
        },
        csv::ErrorKind::Utf8 { pos, err } => DataError::Row {
            path: path.to_path_buf(),
            line: pos.map_or(line, |p| p.line()),
            message: format!("not UTF-8 text ({err})"),
        },
        other => DataError::Row {
            path: path.to_path_buf(),
            line,
            message: format!("{other:?}"),
        },
    }
}
