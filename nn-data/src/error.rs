//! The error type of the loaders. Every message starts with the file, then says what is wrong
//! in the file's own terms (dataset names, shapes, counts), e.g.
//! `data/x.h5: no dataset "train_set_x" (found: list_classes, test_set_x, test_set_y)`.

use std::path::PathBuf;

/// Every loader of `nn-data` returns this.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DataError {
    /// The file could not be opened or read (missing, unreadable, …).
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The operating system's error.
        source: std::io::Error,
    },
    /// The path names something other than a regular file (a folder, a device such as
    /// `/dev/zero`, a FIFO, a socket): refused before anything is read from it.
    #[error("{}: {found}, not a regular file; give the path of a data file", path.display())]
    NotFile {
        /// The path.
        path: PathBuf,
        /// What it is, with its article: `"a directory"`, `"a character device"`, ….
        found: &'static str,
    },
    /// The file is not in the expected format at all (e.g. no HDF5 signature).
    #[error("{}: not {format} file ({reason})", path.display())]
    NotFormat {
        /// The file.
        path: PathBuf,
        /// The expected format, with its article: `"an HDF5"`.
        format: &'static str,
        /// What was found instead.
        reason: String,
    },
    /// The file is of the right format but corrupt, truncated or uses a feature the reader does
    /// not support.
    #[error("{}: {message}", path.display())]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// What could not be read, naming the dataset when there is one.
        message: String,
    },
    /// A dataset the loader needs is not in the file.
    #[error("{}: no dataset \"{name}\" (found: {})", path.display(), found_list(found))]
    MissingDataset {
        /// The file.
        path: PathBuf,
        /// The dataset that was looked for.
        name: String,
        /// What the file holds at that level (groups end with `/`).
        found: Vec<String>,
    },
    /// A dataset has the wrong number of dimensions.
    #[error("{}: {name} has shape {} but {expected} was expected", path.display(), shape_list(shape))]
    Shape {
        /// The file.
        path: PathBuf,
        /// The dataset.
        name: String,
        /// Its shape in the file.
        shape: Vec<u64>,
        /// What was expected, e.g. `"a (m, h, w, c) image batch"`.
        expected: &'static str,
    },
    /// A dataset holds the wrong element type.
    #[error("{}: {name} holds {found} but {expected} were expected", path.display())]
    Type {
        /// The file.
        path: PathBuf,
        /// The dataset.
        name: String,
        /// The element type in the file, e.g. `"float64"`.
        found: String,
        /// The element type expected, e.g. `"uint8 pixels"`.
        expected: &'static str,
    },
    /// The numbers of examples and labels differ.
    #[error("{}: {examples} images but {labels} labels", path.display())]
    Count {
        /// The file.
        path: PathBuf,
        /// The number of examples (images).
        examples: u64,
        /// The number of labels.
        labels: u64,
    },
    /// A label is not the index of one of the classes.
    #[error(
        "{}: {name}[{index}] is {label} but there are {classes} classes (labels must be in 0..{classes})",
        path.display()
    )]
    Label {
        /// The file.
        path: PathBuf,
        /// The label dataset.
        name: String,
        /// The position of the first bad label.
        index: usize,
        /// Its value.
        label: i128,
        /// The number of classes.
        classes: usize,
    },
    /// A dataset or file is larger than the loader accepts (protects against files that claim
    /// huge extents, and against decompression bombs).
    #[error(
        "{}: {name} would take {bytes} bytes, more than the limit of {limit} bytes ({}); {hint}",
        path.display(),
        human_bytes(*limit)
    )]
    TooLarge {
        /// The file.
        path: PathBuf,
        /// The dataset (or `"the file"`, `"the decoded image"`, …).
        name: String,
        /// Its size, as claimed by the file (saturated at `u64::MAX`).
        bytes: u64,
        /// The limit.
        limit: u64,
        /// Which constant holds the limit and what to do, e.g. `"the limit is
        /// nn_data::idx::MAX_IDX_BYTES: split the data into several files"`.
        hint: &'static str,
    },
    /// An image claims a width or height above
    /// [`MAX_IMAGE_SIDE`](crate::images::MAX_IMAGE_SIDE): refused before it is decoded.
    #[error(
        "{}: the image is {width}×{height} pixels, more than the limit of {limit} pixels per side \
         (nn_data::images::MAX_IMAGE_SIDE); resize it to at most {limit}×{limit} first",
        path.display()
    )]
    ImageSide {
        /// The image file.
        path: PathBuf,
        /// Its width, as its header claims.
        width: u32,
        /// Its height, as its header claims.
        height: u32,
        /// The limit, [`MAX_IMAGE_SIDE`](crate::images::MAX_IMAGE_SIDE).
        limit: u32,
    },
    /// A line of a text file (CSV) is wrong: the wrong number of fields, a value that is not
    /// a number, a missing label.
    #[error("{}, line {line}: {message}", path.display())]
    Row {
        /// The file.
        path: PathBuf,
        /// The line, counting from 1 (the header is line 1).
        line: u64,
        /// What is wrong, naming the column.
        message: String,
    },
    /// An image folder is not laid out as one sub-folder of images per class.
    #[error("{}: {message}", path.display())]
    Folder {
        /// The folder.
        path: PathBuf,
        /// What is wrong and what was expected.
        message: String,
    },
    /// An image file could not be decoded (not an image, truncated, an unsupported format).
    #[error("{}: cannot decode the image ({message})", path.display())]
    Image {
        /// The image file.
        path: PathBuf,
        /// The decoder's explanation.
        message: String,
    },
    /// Data built in memory does not fit together (no file involved): labels and examples of
    /// different counts, a split fraction out of range, …
    #[error("{message}")]
    Invalid {
        /// What is wrong.
        message: String,
    },
}

/// `a, b, c`, or `nothing` for an empty list.
fn found_list(found: &[String]) -> String {
    if found.is_empty() {
        "nothing".to_string()
    } else {
        found.join(", ")
    }
}

/// `1 GiB`, `256 MiB`, `12 KiB`, `100 bytes`: the unit that gives a whole number, if any.
pub(crate) fn human_bytes(bytes: u64) -> String {
    for (unit, shift) in [("GiB", 30), ("MiB", 20), ("KiB", 10)] {
        if bytes >= 1 << shift && bytes.is_multiple_of(1 << shift) {
            return format!("{} {unit}", bytes >> shift);
        }
    }
    format!("{bytes} bytes")
}

/// `(3, 64, 64)`, or `()` for a scalar.
fn shape_list(shape: &[u64]) -> String {
    let dims: Vec<String> = shape.iter().map(u64::to_string).collect();
    if dims.len() == 1 {
        format!("({},)", dims.join(""))
    } else {
        format!("({})", dims.join(", "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_name_the_file() {
        let path = PathBuf::from("data/x.h5");
        let e = DataError::MissingDataset {
            path: path.clone(),
            name: "train_set_x".into(),
            found: vec!["a".into(), "b".into()],
        };
        assert_eq!(
            e.to_string(),
            r#"data/x.h5: no dataset "train_set_x" (found: a, b)"#
        );
        let e = DataError::Shape {
            path: path.clone(),
            name: "train_set_x".into(),
            shape: vec![3, 64, 64],
            expected: "a (m, h, w, c) image batch",
        };
        assert_eq!(
            e.to_string(),
            "data/x.h5: train_set_x has shape (3, 64, 64) but a (m, h, w, c) image batch was \
             expected"
        );
        let e = DataError::Count {
            path: path.clone(),
            examples: 209,
            labels: 208,
        };
        assert_eq!(e.to_string(), "data/x.h5: 209 images but 208 labels");
        let e = DataError::Label {
            path,
            name: "train_set_y".into(),
            index: 17,
            label: 5,
            classes: 2,
        };
        assert_eq!(
            e.to_string(),
            "data/x.h5: train_set_y[17] is 5 but there are 2 classes (labels must be in 0..2)"
        );
        assert_eq!(shape_list(&[7]), "(7,)");
        assert_eq!(shape_list(&[]), "()");
    }

    #[test]
    fn limit_and_file_kind_messages_say_what_to_do() {
        let e = DataError::TooLarge {
            path: PathBuf::from("x.idx"),
            name: "the IDX data".into(),
            bytes: 1 << 31,
            limit: 1 << 30,
            hint: "the limit is nn_data::idx::MAX_IDX_BYTES: split the data into several files",
        };
        assert_eq!(
            e.to_string(),
            "x.idx: the IDX data would take 2147483648 bytes, more than the limit of 1073741824 \
             bytes (1 GiB); the limit is nn_data::idx::MAX_IDX_BYTES: split the data into several \
             files"
        );
        let e = DataError::NotFile {
            path: PathBuf::from("/dev/zero"),
            found: "a character device",
        };
        assert_eq!(
            e.to_string(),
            "/dev/zero: a character device, not a regular file; give the path of a data file"
        );
        assert_eq!(human_bytes(256 << 20), "256 MiB");
        assert_eq!(human_bytes(1000), "1000 bytes");
    }
}
