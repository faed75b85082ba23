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
//! // Rows to predict: the features only, with the line each row is on (a "species" column,
//! // if the file has one, is left out; `Label::None` reads every column as a feature).
//! let rows = Csv::new(Label::Class("species".into())).read_features("new.csv")?;
//! println!("{} rows of {:?}, the first on line {}", rows.lines.len(), rows.columns, rows.lines[0]);
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

/// The most columns a table may have: 65,536 (MNIST as a table has 785). The header's names
/// are kept while the rows are read, so a header of a million one-letter names would cost far
/// more memory than its few megabytes on disk.
pub const MAX_CSV_COLUMNS: usize = 1 << 16;

/// The most distinct classes a label column may hold: 65,536. Each new class name is kept twice
/// (the list and its index), so a column of ten-byte rows all of different names would cost
/// about 20 times the file.
pub const MAX_CSV_CLASSES: usize = 1 << 16;

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
    /// No column holds labels: every column is a feature. Only for rows to predict
    /// ([`Csv::read_features`]); [`Csv::read`] refuses it.
    None,
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
    /// wrong width, an empty or non-numeric feature, a non-numeric real target, or bad UTF-8;
    /// [`DataError::Invalid`] for [`Label::None`] (there is nothing to learn without labels).
    pub fn read(&self, path: impl AsRef<Path>) -> Result<Dataset, DataError> {
        let path = path.as_ref();
        self.refuse_no_label(path)?;
        self.dataset_from(self.open(path)?, path)
    }

    /// As [`Csv::read`], from the bytes of a file (`path` names it in errors): the same
    /// checks, the same limit.
    ///
    /// # Errors
    ///
    /// As [`Csv::read`], but for the file system's.
    pub fn from_bytes(&self, bytes: &[u8], path: impl AsRef<Path>) -> Result<Dataset, DataError> {
        let path = path.as_ref();
        self.refuse_no_label(path)?;
        self.dataset_from(self.bytes_reader(bytes, path)?, path)
    }

    /// [`DataError::Invalid`] for [`Label::None`]: a table of examples needs labels.
    fn refuse_no_label(&self, path: &Path) -> Result<(), DataError> {
        if self.label != Label::None {
            return Ok(());
        }
        Err(DataError::Invalid {
            message: format!(
                "{}: a table of examples needs a label column (Label::None is for \
                 Csv::read_features)",
                path.display()
            ),
        })
    }

    /// The header and rows of `reader` as a data set.
    fn dataset_from<R: Read>(
        &self,
        mut reader: csv::Reader<Take<R>>,
        path: &Path,
    ) -> Result<Dataset, DataError> {
        let header = read_header(path, &mut reader, self.delimiter, 2)?;
        let label = self.label_column(path, &header)?;
        let mut rows = Rows::new(label, false);
        rows.read_all(path, &header, reader)?;
        rows.into_dataset(path, header.len() - 1)
    }

    /// Reads rows of features only, as for prediction: every column is a feature except the
    /// label column, which is left out unread (the file may also lack it, unless the label
    /// is [`Label::LastClass`]; [`Label::None`] reads every column). Each row keeps the line
    /// of the file it starts on, so that results can name it.
    ///
    /// The file is checked and read within [`MAX_CSV_BYTES`] as by [`Csv::read`].
    ///
    /// # Errors
    ///
    /// As [`Csv::read`], except that a named label column may be missing and a header of one
    /// column is a table of one feature.
    pub fn read_features(&self, path: impl AsRef<Path>) -> Result<Features, DataError> {
        let path = path.as_ref();
        self.features_from(self.open(path)?, path)
    }

    /// As [`Csv::read_features`], from the bytes of a file (`path` names it in errors).
    ///
    /// # Errors
    ///
    /// As [`Csv::read_features`], but for the file system's.
    pub fn features_from_bytes(
        &self,
        bytes: &[u8],
        path: impl AsRef<Path>,
    ) -> Result<Features, DataError> {
        let path = path.as_ref();
        self.features_from(self.bytes_reader(bytes, path)?, path)
    }

    /// The header and rows of `reader` as rows of features.
    fn features_from<R: Read>(
        &self,
        mut reader: csv::Reader<Take<R>>,
        path: &Path,
    ) -> Result<Features, DataError> {
        let minimum = if self.label == Label::LastClass { 2 } else { 1 };
        let header = read_header(path, &mut reader, self.delimiter, minimum)?;
        let label = match &self.label {
            Label::Class(name) | Label::Real(name) if !header.contains(name) => None,
            _ => self.label_column(path, &header)?,
        }
        .map(|l| LabelColumn {
            kind: Kind::Ignored,
            ..l
        });
        let columns: Vec<String> = header
            .iter()
            .enumerate()
            .filter(|&(i, _)| label.is_none_or(|l| l.index != i))
            .map(|(_, name)| name.clone())
            .collect();
        if columns.is_empty() {
            return Err(row_error(
                path,
                1,
                format!("no feature columns besides the label \"{}\"", header[0]),
            ));
        }
        let mut rows = Rows::new(label, true);
        rows.read_all(path, &header, reader)?;
        rows.into_features(path, columns)
    }

    /// The header's column names (trimmed), without reading the rows: to check a table
    /// before reading it, or to list its columns.
    ///
    /// # Errors
    ///
    /// As [`Csv::read`] for the file and its first line (an empty file is an error).
    pub fn columns(&self, path: impl AsRef<Path>) -> Result<Vec<String>, DataError> {
        let path = path.as_ref();
        let mut reader = self.open(path)?;
        read_header(path, &mut reader, self.delimiter, 1)
    }

    /// A CSV reader of the regular file at `path`, refused above [`MAX_CSV_BYTES`].
    fn open(&self, path: &Path) -> Result<csv::Reader<Take<File>>, DataError> {
        let (file, size) = open_regular(path)?;
        if size > MAX_CSV_BYTES {
            return Err(too_large(path, size));
        }
        Ok(self.reader(file))
    }

    /// A CSV reader of `bytes`, refused above [`MAX_CSV_BYTES`].
    fn bytes_reader<'b>(
        &self,
        bytes: &'b [u8],
        path: &Path,
    ) -> Result<csv::Reader<Take<&'b [u8]>>, DataError> {
        if bytes.len() as u64 > MAX_CSV_BYTES {
            return Err(too_large(path, bytes.len() as u64));
        }
        Ok(self.reader(bytes))
    }

    /// Reads through `take`, in case a file grows after its size was checked.
    fn reader<R: Read>(&self, r: R) -> csv::Reader<Take<R>> {
        csv::ReaderBuilder::new()
            .delimiter(self.delimiter)
            .has_headers(true)
            .flexible(false)
            .from_reader(r.take(MAX_CSV_BYTES + 1))
    }

    /// Where the label is in `header` (`None` for [`Label::None`]).
    fn label_column(
        &self,
        path: &Path,
        header: &[String],
    ) -> Result<Option<LabelColumn>, DataError> {
        let (name, kind) = match &self.label {
            Label::None => return Ok(None),
            Label::LastClass => {
                return Ok(Some(LabelColumn {
                    index: header.len() - 1,
                    kind: Kind::Class,
                }))
            }
            Label::Class(name) => (name, Kind::Class),
            Label::Real(name) => (name, Kind::Real),
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
        Ok(Some(LabelColumn { index, kind }))
    }
}

/// Rows of features without labels, as [`Csv::read_features`] reads them for prediction.
#[derive(Clone, Debug)]
pub struct Features {
    /// The names of the feature columns (the header without the label column), in order.
    pub columns: Vec<String>,
    /// The features, `(m, n)`: one row per record, `n` = `columns.len()`.
    pub x: Tensor<f32>,
    /// The line of the file each row starts on (the header is line 1).
    pub lines: Vec<u64>,
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

/// The header's column names (trimmed); it must have at least `minimum` (1 or 2).
fn read_header<R: Read>(
    path: &Path,
    reader: &mut csv::Reader<Take<R>>,
    delimiter: u8,
    minimum: usize,
) -> Result<Vec<String>, DataError> {
    let record = reader.headers().map_err(|e| csv_error(path, e))?;
    if record.len() > MAX_CSV_COLUMNS {
        return Err(row_error(
            path,
            1,
            format!(
                "the header has {} columns, more than the {MAX_CSV_COLUMNS} a table may have \
                 (nn_data::table::MAX_CSV_COLUMNS); is '{}' the right delimiter?",
                record.len(),
                char::from(delimiter)
            ),
        ));
    }
    let header: Vec<String> = record.iter().map(|h| h.trim().to_string()).collect();
    if header.is_empty() || header.iter().all(String::is_empty) {
        return Err(row_error(
            path,
            1,
            "the file is empty: a header row was expected".into(),
        ));
    }
    if header.len() < minimum {
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

/// The label's column and what it holds.
#[derive(Clone, Copy)]
struct LabelColumn {
    index: usize,
    kind: Kind,
}

/// What a label column holds, and so how it is read.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// Class names.
    Class,
    /// Real targets.
    Real,
    /// Anything: the column is skipped ([`Csv::read_features`]).
    Ignored,
}

/// The rows read so far: features row-major, and the labels as real targets or as indices of
/// class names in order of first appearance (one name kept per class, not one per row), and
/// (for [`Csv::read_features`]) the line of each row.
struct Rows {
    label: Option<LabelColumn>,
    features: Vec<f32>,
    targets: Vec<f32>,
    class_of_row: Vec<usize>,
    names: Vec<String>,
    index_of_name: HashMap<String, usize>,
    /// The line of each row, if kept.
    lines: Option<Vec<u64>>,
}

impl Rows {
    fn new(label: Option<LabelColumn>, keep_lines: bool) -> Self {
        Rows {
            label,
            features: Vec::new(),
            targets: Vec::new(),
            class_of_row: Vec::new(),
            names: Vec::new(),
            index_of_name: HashMap::new(),
            lines: keep_lines.then(Vec::new),
        }
    }

    /// Reads every record after the header, refusing a file that grew past
    /// [`MAX_CSV_BYTES`] after its size was checked.
    fn read_all<R: Read>(
        &mut self,
        path: &Path,
        header: &[String],
        mut reader: csv::Reader<Take<R>>,
    ) -> Result<(), DataError> {
        for record in reader.records() {
            let record = record.map_err(|e| csv_error(path, e))?;
            self.push(path, header, &record)?;
        }
        if reader.get_ref().limit() == 0 {
            // More than MAX_CSV_BYTES were there to read: the file grew after the check.
            return Err(too_large(path, MAX_CSV_BYTES + 1));
        }
        Ok(())
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
            match self.label.filter(|l| l.index == column).map(|l| l.kind) {
                None => {
                    let value = parse_number(field)
                        .ok_or_else(|| not_a_number("feature", column, field))?;
                    self.features.push(value);
                }
                Some(Kind::Ignored) => {}
                Some(Kind::Real) => {
                    let value =
                        parse_number(field).ok_or_else(|| not_a_number("target", column, field))?;
                    self.targets.push(value);
                }
                Some(Kind::Class) if field.is_empty() => {
                    return Err(row_error(
                        path,
                        line,
                        format!("label \"{}\" is empty", header[column]),
                    ));
                }
                Some(Kind::Class) => self
                    .push_class(field)
                    .map_err(|m| row_error(path, line, m))?,
            }
        }
        if let Some(lines) = &mut self.lines {
            lines.push(line);
        }
        Ok(())
    }

    fn push_class(&mut self, name: &str) -> Result<(), String> {
        let index = match self.index_of_name.get(name) {
            Some(&index) => index,
            None => {
                let index = self.names.len();
                if index == MAX_CSV_CLASSES {
                    return Err(format!(
                        "label \"{name}\" would be class {} of the label column, more than the \
                         {MAX_CSV_CLASSES} (nn_data::table::MAX_CSV_CLASSES) a table may have \
                         (a regression target? read it as Label::Real)",
                        index + 1
                    ));
                }
                self.names.push(name.to_string());
                self.index_of_name.insert(name.to_string(), index);
                index
            }
        };
        self.class_of_row.push(index);
        Ok(())
    }

    /// The data set: `(m, n)` features, real targets or class indices. Classes are sorted
    /// by name, numerically if every name is an integer.
    fn into_dataset(self, path: &Path, n: usize) -> Result<Dataset, DataError> {
        let real = self.label.is_some_and(|l| l.kind == Kind::Real);
        let m = if real {
            self.targets.len()
        } else {
            self.class_of_row.len()
        };
        if m == 0 {
            return Err(no_rows(path));
        }
        let x = Tensor::from_vec(&[m, n], self.features).expect("n features per row");
        if real {
            let y = Tensor::from_vec(&[m, 1], self.targets).expect("one target per row");
            return Dataset::with_real_targets(x, y);
        }
        let (classes, new_index) = sorted_classes(self.names);
        let labels = self.class_of_row.iter().map(|&c| new_index[c]).collect();
        Dataset::with_classes(x, labels, classes)
    }

    /// The rows of features, `(m, columns.len())`, with their lines.
    fn into_features(self, path: &Path, columns: Vec<String>) -> Result<Features, DataError> {
        let lines = self.lines.expect("lines kept for features");
        if lines.is_empty() {
            return Err(no_rows(path));
        }
        let x = Tensor::from_vec(&[lines.len(), columns.len()], self.features)
            .expect("n features per row");
        Ok(Features { columns, x, lines })
    }
}

fn no_rows(path: &Path) -> DataError {
    row_error(path, 2, "no data rows after the header".into())
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
