//! CSV tables with a header row: every column but one is a numeric feature, one column holds
//! the label (a class name or number, or a real target).
//!
//! The file must be a regular file of at most [`MAX_CSV_BYTES`].
//!
//! ```no_run
//! use nn_data::table::{Csv, Label};
//!
//! let data = Csv::new(Label::Class("species".into())).read("iris.csv")?;
//! println!("{} examples, {} features, classes {:?}", data.len(), data.features(), data.class_names());
//! # Ok::<(), nn_data::DataError>(())
//! ```

use std::collections::HashMap;
use std::fs::File;
use std::io::{Read, Take};
use std::path::Path;

use nn_core::Tensor;

use crate::file::open_regular;
use crate::{DataError, Dataset};

/// The largest CSV file read: 256 MiB. Text numbers take 2 to 10 bytes each and become 4-byte
/// `f32`s, so a table at the limit takes at most about 1 GiB in memory (features, plus one
/// class index a row); larger tables are better split or stored in a binary format.
pub const MAX_CSV_BYTES: u64 = 256 << 20;

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
    /// The file must be a regular file of at most [`MAX_CSV_BYTES`], checked before it is
    /// read (and it is read through `take`, in case it grows meanwhile).
    ///
    /// # Errors
    ///
    /// [`DataError::Io`] if it cannot be read; [`DataError::NotFile`] for a folder, a device
    /// or a FIFO; [`DataError::TooLarge`] above [`MAX_CSV_BYTES`]; [`DataError::Row`] naming
    /// the line (and column) for an empty file, a header without the label column, a row of the
    /// wrong width, an empty or non-numeric feature, a non-numeric real target, or bad UTF-8.
    pub fn read(&self, path: impl AsRef<Path>) -> Result<Dataset, DataError> {
        let path = path.as_ref();
        let mut reader = self.open(path)?;
        let header = read_header(path, &mut reader, self.delimiter)?;
        let label = self.label_column(path, &header)?;
        let mut rows = Rows::new(label);
        for record in reader.records() {
            let record = record.map_err(|e| csv_error(path, e))?;
            rows.push(path, &header, &record)?;
        }
        if reader.get_ref().limit() == 0 {
            // More than MAX_CSV_BYTES were there to read: the file grew after the check.
            return Err(too_large(path, MAX_CSV_BYTES + 1));
        }
        rows.into_dataset(path, header.len() - 1)
    }

    /// A CSV reader of the regular file at `path`, refused above [`MAX_CSV_BYTES`].
    fn open(&self, path: &Path) -> Result<csv::Reader<Take<File>>, DataError> {
        let (file, size) = open_regular(path)?;
        if size > MAX_CSV_BYTES {
            return Err(too_large(path, size));
        }
        Ok(csv::ReaderBuilder::new()
            .delimiter(self.delimiter)
            .has_headers(true)
            .flexible(false)
            .from_reader(file.take(MAX_CSV_BYTES + 1)))
    }

    /// Where the label is in `header`.
    fn label_column(&self, path: &Path, header: &[String]) -> Result<LabelColumn, DataError> {
        let (name, real) = match &self.label {
            Label::LastClass => {
                return Ok(LabelColumn {
                    index: header.len() - 1,
                    real: false,
                })
            }
            Label::Class(name) => (name, false),
            Label::Real(name) => (name, true),
        };
        let index = header.iter().position(|h| h == name).ok_or_else(|| {
            row_error(
                path,
                1,
                format!(
                    "no column \"{name}\" in the header (columns: {})",
                    header.join(", ")
                ),
            )
        })?;
        Ok(LabelColumn { index, real })
    }
}

/// What the size error of this module suggests.
const CSV_HINT: &str = "the limit is nn_data::table::MAX_CSV_BYTES: \
     split the table into several files";

fn too_large(path: &Path, bytes: u64) -> DataError {
    DataError::TooLarge {
        path: path.to_path_buf(),
        name: "the file".into(),
        bytes,
        limit: MAX_CSV_BYTES,
        hint: CSV_HINT,
    }
}

fn row_error(path: &Path, line: u64, message: String) -> DataError {
    DataError::Row {
        path: path.to_path_buf(),
        line,
        message,
    }
}

/// The header's column names (trimmed); it must have at least two.
fn read_header(
    path: &Path,
    reader: &mut csv::Reader<Take<File>>,
    delimiter: u8,
) -> Result<Vec<String>, DataError> {
    let header: Vec<String> = reader
        .headers()
        .map_err(|e| csv_error(path, e))?
        .iter()
        .map(|h| h.trim().to_string())
        .collect();
    if header.is_empty() || header.iter().all(String::is_empty) {
        return Err(row_error(
            path,
            1,
            "the file is empty: a header row was expected".into(),
        ));
    }
    if header.len() < 2 {
        return Err(row_error(
            path,
            1,
            format!(
                "the header has one column, \"{}\"; a table needs features and a label (is '{}' the right delimiter?)",
                header[0],
                char::from(delimiter)
            ),
        ));
    }
    Ok(header)
}

/// The label's column and whether it holds real targets.
#[derive(Clone, Copy)]
struct LabelColumn {
    index: usize,
    real: bool,
}

/// The rows read so far: features row-major, and the labels as real targets or as indices of
/// class names in order of first appearance (one name kept per class, not one per row).
struct Rows {
    label: LabelColumn,
    features: Vec<f32>,
    targets: Vec<f32>,
    class_of_row: Vec<usize>,
    names: Vec<String>,
    index_of_name: HashMap<String, usize>,
}

impl Rows {
    fn new(label: LabelColumn) -> Self {
        Rows {
            label,
            features: Vec::new(),
            targets: Vec::new(),
            class_of_row: Vec::new(),
            names: Vec::new(),
            index_of_name: HashMap::new(),
        }
    }

    /// Parses one record (its width was checked by the csv reader).
    fn push(
        &mut self,
        path: &Path,
        header: &[String],
        record: &csv::StringRecord,
    ) -> Result<(), DataError> {
        let line = record.position().map_or(0, |p| p.line());
        let not_a_number = |what: &str, column: usize, field: &str| {
            row_error(
                path,
                line,
                format!("{what} \"{}\" is \"{field}\", not a number", header[column]),
            )
        };
        for (column, field) in record.iter().enumerate() {
            let field = field.trim();
            if column != self.label.index {
                let value =
                    parse_number(field).ok_or_else(|| not_a_number("feature", column, field))?;
                self.features.push(value);
            } else if self.label.real {
                let value =
                    parse_number(field).ok_or_else(|| not_a_number("target", column, field))?;
                self.targets.push(value);
            } else if field.is_empty() {
                return Err(row_error(
                    path,
                    line,
                    format!("label \"{}\" is empty", header[column]),
                ));
            } else {
                self.push_class(field);
            }
        }
        Ok(())
    }

    fn push_class(&mut self, name: &str) {
        let index = match self.index_of_name.get(name) {
            Some(&index) => index,
            None => {
                let index = self.names.len();
                self.names.push(name.to_string());
                self.index_of_name.insert(name.to_string(), index);
                index
            }
        };
        self.class_of_row.push(index);
    }

    /// The data set: `(m, n)` features, real targets or class indices. Classes are sorted
    /// by name, numerically if every name is an integer.
    fn into_dataset(self, path: &Path, n: usize) -> Result<Dataset, DataError> {
        let m = if self.label.real {
            self.targets.len()
        } else {
            self.class_of_row.len()
        };
        if m == 0 {
            return Err(row_error(path, 2, "no data rows after the header".into()));
        }
        let x = Tensor::from_vec(&[m, n], self.features).expect("n features per row");
        if self.label.real {
            let y = Tensor::from_vec(&[m, 1], self.targets).expect("one target per row");
            return Dataset::with_real_targets(x, y);
        }
        let (classes, new_index) = sorted_classes(self.names);
        let labels = self.class_of_row.iter().map(|&c| new_index[c]).collect();
        Dataset::with_classes(x, labels, classes)
    }
}

/// The class names sorted (numerically if they are all integers, else as text), and for each
/// name in its original order, its position in the sorted list.
fn sorted_classes(names: Vec<String>) -> (Vec<String>, Vec<usize>) {
    let mut order: Vec<usize> = (0..names.len()).collect();
    order.sort_by(|&a, &b| names[a].cmp(&names[b]));
    let numbers: Option<Vec<i64>> = names.iter().map(|c| c.parse::<i64>().ok()).collect();
    if let Some(numbers) = numbers {
        // Stable: names of equal value ("1", "01") stay in text order.
        order.sort_by_key(|&i| numbers[i]);
    }
    let mut new_index = vec![0; names.len()];
    for (sorted, &original) in order.iter().enumerate() {
        new_index[original] = sorted;
    }
    let mut names: Vec<Option<String>> = names.into_iter().map(Some).collect();
    let classes = order
        .iter()
        .map(|&i| names[i].take().expect("each name once"))
        .collect();
    (classes, new_index)
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
