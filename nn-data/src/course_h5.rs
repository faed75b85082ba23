//! The course's HDF5 image files, such as `train_catvnoncat.h5` / `test_catvnoncat.h5` and our
//! `data/faces_h5/train_faces.h5` / `test_faces.h5`.
//!
//! Each file holds one split:
//!
//! | dataset | type | shape |
//! | --- | --- | --- |
//! | `{prefix}_set_x` | uint8 | `(m, h, w, c)`: images, channels last |
//! | `{prefix}_set_y` | any integer (int64 in the course) | `(m,)` (also `(1, m)` or `(m, 1)`): class indices |
//! | `list_classes` | strings (fixed-length bytes in the course) | `(n_classes,)` |
//!
//! where `prefix` is `train` or `test`. [`read`] checks all of it (shapes, types, the number of
//! labels, every label in `0..n_classes`) and returns a [`CourseSet`] whose pixels are in the
//! file's `(m, h, w, c)` order; [`CourseSet::flattened`] gives the course's
//! `X.reshape(m, -1) / 255`.
//!
//! ```no_run
//! let train = nn_data::course_h5::read_train("data/faces_h5/train_faces.h5")?;
//! assert_eq!(train.shape, [150, 64, 64, 3]);
//! let x = train.flattened(); // (150, 12288), in [0, 1]
//! let y = train.label_tensor(); // (150, 1) of 0.0 / 1.0
//! println!("{} examples of {:?}", x.shape()[0], train.classes);
//! # Ok::<(), nn_data::DataError>(())
//! ```
//!
//! The files are read with the pure-Rust `hdf5-reader` crate (no `libhdf5`), through positional
//! reads, never a memory map. Files are treated as untrusted: a path that is not a regular file
//! (a folder, `/dev/zero`, a FIFO) or a file without the HDF5 signature is refused before the
//! reader sees it, a dataset whose decoded size would exceed [`MAX_DATASET_BYTES`] is refused
//! before anything is allocated for it, and a corrupt or hostile file gives a [`DataError`]
//! naming the file, never a panic.

use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use hdf5_reader::group::Group;
use hdf5_reader::{Dataset, Datatype, FileStorage, H5Type, Hdf5File, OpenOptions, StringSize};
use nn_core::Tensor;

use crate::file::open_regular;
use crate::DataError;

/// The largest dataset, in bytes once decoded, that [`read`] accepts: 1 GiB (also the reader's
/// own limit on any one read). The course's training file is 2.5 MB, and a 1 GiB uint8 image
/// set becomes 4 GiB of `f32` in a [`Dataset`](crate::Dataset); the limit only stops files that
/// claim absurd extents.
pub const MAX_DATASET_BYTES: u64 = 1 << 30;

/// The examples of one course HDF5 file: images, labels and class names.
///
/// [`read`] guarantees `images.len() == shape.iter().product()`,
/// `labels.len() == shape[0]` and every label in `0..classes.len()`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CourseSet {
    /// The pixels, in `(m, h, w, c)` row-major order exactly as stored in the file.
    pub images: Vec<u8>,
    /// `[m, h, w, c]`: examples, height, width, channels.
    pub shape: [usize; 4],
    /// One class index per example, in `0..classes.len()`.
    pub labels: Vec<i64>,
    /// The class names, indexed by label (`["non-face", "face"]` for `faces_h5`).
    pub classes: Vec<String>,
}

/// Reads `{prefix}_set_x`, `{prefix}_set_y` and `list_classes` from the HDF5 file at `path`;
/// `prefix` is `"train"` or `"test"` for the course's files.
///
/// Before any data is read, the file must be a regular file with the HDF5 signature
/// (`\x89HDF\r\n\x1a\n` at offset 0, 512, 1024, …), and every dataset's shape, type and
/// decoded size (at most [`MAX_DATASET_BYTES`], and at most [`MAX_PIXELS_PER_BYTE`] pixels per
/// byte of the file) is checked.
///
/// # Errors
///
/// [`DataError`] naming the file if it cannot be read, is not a regular file
/// ([`DataError::NotFile`]), is not HDF5, lacks one of the three datasets, has a dataset of
/// the wrong shape or type or above [`MAX_DATASET_BYTES`], has a different number of images
/// and labels, or has a label outside `0..classes.len()`.
pub fn read(path: impl AsRef<Path>, prefix: &str) -> Result<CourseSet, DataError> {
    let path = path.as_ref();
    let (file, len) = open(path)?;
    decode(&file, len, path, prefix)
}

/// As [`read`], from the bytes of a file (`path` names it in errors): the same checks and
/// limits.
///
/// # Errors
///
/// As [`read`], but for the file system's.
pub fn from_bytes(
    bytes: &[u8],
    path: impl AsRef<Path>,
    prefix: &str,
) -> Result<CourseSet, DataError> {
    let path = path.as_ref();
    check_signature(path, &mut std::io::Cursor::new(bytes), bytes.len() as u64)?;
    let file = Hdf5File::from_bytes_with_options(bytes, read_limit(bytes.len() as u64))
        .map_err(|e| classify(path, None, e))?;
    decode(&file, bytes.len() as u64, path, prefix)
}

/// The most pixels a file may hold per byte of its own: 64 (or [`MIN_PIXEL_CLAIM`], whichever
/// is more). The course's files store pixels uncompressed (about 1 per byte) and deflate makes
/// photos 2 to 3 times smaller; without this, a small file with a compressed or unallocated
/// dataset could make the reader produce 1 GiB of pixels (found by the `course_h5` fuzz target).
pub const MAX_PIXELS_PER_BYTE: u64 = 64;

/// What any file may hold whatever its size: 1 Mi pixels.
pub const MIN_PIXEL_CLAIM: u64 = 1 << 20;

/// An error unless `values` (pixels, or bytes of class names) is within what a file of `len`
/// bytes may hold: [`MAX_PIXELS_PER_BYTE`] per byte, at least [`MIN_PIXEL_CLAIM`].
fn check_claim(path: &Path, name: &str, values: u64, len: u64) -> Result<(), DataError> {
    let allowed = len.saturating_mul(MAX_PIXELS_PER_BYTE).max(MIN_PIXEL_CLAIM);
    if values <= allowed {
        return Ok(());
    }
    Err(DataError::TooLarge {
        path: path.to_path_buf(),
        name: format!("{name} of a {len}-byte file"),
        bytes: values,
        limit: allowed,
        hint: "a course HDF5 file may hold at most nn_data::course_h5::MAX_PIXELS_PER_BYTE \
               values per byte of the file",
    })
}

/// The most class names `list_classes` may hold (the course's files have 2).
pub const MAX_CLASS_NAMES: u64 = 4096;

/// The split `prefix` of an opened file of `len` bytes, its metadata checked before any data is
/// read.
fn decode(file: &Hdf5File, len: u64, path: &Path, prefix: &str) -> Result<CourseSet, DataError> {
    let members = find_members(path, file, prefix)?;
    // Check every dataset's metadata before reading (and allocating for) any data.
    let shape = image_shape(path, &members)?;
    // A corrupt header can claim dimensions whose product overflows: that is "too many" too.
    let pixels = shape
        .iter()
        .try_fold(1u64, |n, &d| n.checked_mul(d))
        .unwrap_or(u64::MAX);
    check_claim(path, &format!("{} {shape:?}", members.x_name), pixels, len)?;
    // No dimension is 0, so there are at most as many labels as pixels: the same bound.
    let m = label_count(path, &members)?;
    if shape[0] != m {
        return Err(DataError::Count {
            path: path.to_path_buf(),
            examples: shape[0],
            labels: m,
        });
    }
    check_class_names(path, &members.classes, len)?;
    read_members(path, &members, shape)
}

/// The three datasets of one split, with the names they have in the file.
struct Members {
    x_name: String,
    x: Dataset,
    y_name: String,
    y: Dataset,
    classes: Dataset,
}

/// Finds `{prefix}_set_x`, `{prefix}_set_y` and `list_classes` in the root group.
fn find_members(path: &Path, file: &Hdf5File, prefix: &str) -> Result<Members, DataError> {
    let root = file.root_group().map_err(|e| classify(path, None, e))?;
    let names = root.member_names().map_err(|e| classify(path, None, e))?;
    let x_name = format!("{prefix}_set_x");
    let y_name = format!("{prefix}_set_y");
    Ok(Members {
        x: member(path, &root, &names, &x_name)?,
        y: member(path, &root, &names, &y_name)?,
        classes: member(path, &root, &names, "list_classes")?,
        x_name,
        y_name,
    })
}

/// The dataset `name` of `root`, or [`DataError::MissingDataset`] listing what is there
/// (`names` is `(groups, datasets)`).
fn member(
    path: &Path,
    root: &Group,
    (groups, datasets): &(Vec<String>, Vec<String>),
    name: &str,
) -> Result<Dataset, DataError> {
    if !datasets.iter().any(|d| d == name) {
        let mut found: Vec<String> = datasets.clone();
        found.extend(groups.iter().map(|g| format!("{g}/")));
        found.sort();
        return Err(DataError::MissingDataset {
            path: path.to_path_buf(),
            name: name.to_string(),
            found,
        });
    }
    root.dataset(name)
        .map_err(|e| classify(path, Some(name), e))
}

/// The images' `(m, h, w, c)`, checking that they are uint8.
fn image_shape(path: &Path, members: &Members) -> Result<[u64; 4], DataError> {
    let (name, x) = (&members.x_name, &members.x);
    let &[m, h, w, c] = x.shape() else {
        return Err(shape_error(
            path,
            name,
            x.shape(),
            "a (m, h, w, c) image batch",
        ));
    };
    if [m, h, w, c].contains(&0) {
        return Err(shape_error(
            path,
            name,
            x.shape(),
            "a (m, h, w, c) image batch with no dimension of 0",
        ));
    }
    if !matches!(
        x.dtype(),
        Datatype::FixedPoint {
            size: 1,
            signed: false,
            ..
        }
    ) {
        return Err(type_error(path, name, x.dtype(), "uint8 pixels"));
    }
    Ok([m, h, w, c])
}

/// The number of labels, from a `(m,)`, `(1, m)` or `(m, 1)` label dataset.
fn label_count(path: &Path, members: &Members) -> Result<u64, DataError> {
    match *members.y.shape() {
        [n] | [1, n] | [n, 1] => Ok(n),
        ref other => Err(shape_error(
            path,
            &members.y_name,
            other,
            "an (m,) vector of labels",
        )),
    }
}

/// `list_classes` must be an `(n,)` list of at most [`MAX_CLASS_NAMES`] strings whose decoded
/// size (the strings and their bytes) is within [`MAX_DATASET_BYTES`] and what a file of `len`
/// bytes may hold (see [`check_claim`]).
fn check_class_names(path: &Path, c: &Dataset, len: u64) -> Result<(), DataError> {
    if c.ndim() != 1 {
        return Err(shape_error(
            path,
            "list_classes",
            c.shape(),
            "an (n,) list of class names",
        ));
    }
    let width = match c.dtype() {
        Datatype::String {
            size: StringSize::Fixed(n),
            ..
        } => u64::from(*n),
        // Variable-length strings: the reader bounds the heap reads; count a reference each.
        Datatype::String { .. }
        | Datatype::VarLen {
            kind: hdf5_reader::VarLenKind::String,
            ..
        } => 16,
        other => return Err(type_error(path, "list_classes", other, "strings")),
    };
    let count = c.shape()[0];
    if count > MAX_CLASS_NAMES {
        return Err(shape_error(
            path,
            "list_classes",
            c.shape(),
            "at most nn_data::course_h5::MAX_CLASS_NAMES (4096) class names",
        ));
    }
    let per_name = width.saturating_add(std::mem::size_of::<String>() as u64);
    let bytes = count.saturating_mul(per_name);
    check_claim(path, "list_classes", bytes, len)?;
    check_size(path, "list_classes", bytes)
}

/// Reads the class names, the labels (checked against them) and the pixels.
fn read_members(path: &Path, members: &Members, shape: [u64; 4]) -> Result<CourseSet, DataError> {
    let classes = members
        .classes
        .read_strings()
        .map_err(|e| classify(path, Some("list_classes"), e))?;
    let raw_labels = read_labels(path, &members.y_name, &members.y, shape[0])?;
    let labels = check_labels(path, &members.y_name, &raw_labels, classes.len())?;
    let images: Vec<u8> = read_numbers(path, &members.x_name, &members.x, &shape)?;
    Ok(CourseSet {
        images,
        shape: to_usize_shape(path, &members.x_name, shape)?,
        labels,
        classes,
    })
}

/// [`read`] with prefix `"train"`: `train_set_x`, `train_set_y`, `list_classes`.
///
/// # Errors
///
/// As [`read`].
pub fn read_train(path: impl AsRef<Path>) -> Result<CourseSet, DataError> {
    read(path, "train")
}

/// [`read`] with prefix `"test"`: `test_set_x`, `test_set_y`, `list_classes`.
///
/// # Errors
///
/// As [`read`].
pub fn read_test(path: impl AsRef<Path>) -> Result<CourseSet, DataError> {
    read(path, "test")
}

impl CourseSet {
    /// The number of examples, `m`.
    pub fn len(&self) -> usize {
        self.shape[0]
    }

    /// Whether the set has no examples.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The images as an `(m, h, w, c)` volume of `pixel / 255`, in `[0, 1]`.
    ///
    /// The tensor always has shape [`CourseSet::shape`]; if the public fields were edited so
    /// that `images` no longer holds `m·h·w·c` pixels, missing pixels are 0 and extra ones are
    /// ignored.
    pub fn volumes(&self) -> Tensor<f32> {
        self.scaled(&self.shape)
    }

    /// The images flattened to `(m, h·w·c)` in the same `(h, w, c)` order, `pixel / 255`: the
    /// course's `X.reshape(m, -1) / 255`, one example per row.
    ///
    /// Same caveat as [`CourseSet::volumes`] about edited fields.
    pub fn flattened(&self) -> Tensor<f32> {
        let [m, h, w, c] = self.shape;
        self.scaled(&[m, h.saturating_mul(w).saturating_mul(c)])
    }

    /// The labels as an `(m, 1)` column of class indices (`0.0`, `1.0`, …), the target shape of
    /// a network with one output and binary cross-entropy.
    pub fn label_tensor(&self) -> Tensor<f32> {
        let mut t = Tensor::zeros(&[self.labels.len(), 1]);
        for (out, &label) in t.data_mut().iter_mut().zip(&self.labels) {
            // Labels are small class indices, exact in f32.
            *out = label as f32;
        }
        t
    }

    /// `images / 255` into a tensor of `shape`.
    fn scaled(&self, shape: &[usize]) -> Tensor<f32> {
        let mut t = Tensor::zeros(shape);
        for (out, &p) in t.data_mut().iter_mut().zip(&self.images) {
            *out = f32::from(p) / 255.0;
        }
        t
    }
}

/// The signature that starts an HDF5 superblock.
const HDF5_SIGNATURE: [u8; 8] = *b"\x89HDF\r\n\x1a\n";

/// What the size errors of this module suggest.
const HDF5_HINT: &str = "the limit is nn_data::course_h5::MAX_DATASET_BYTES: \
     split the set into several files";

/// Opens a regular file that has the HDF5 signature for positional reads, with our read limit.
fn open(path: &Path) -> Result<(Hdf5File, u64), DataError> {
    let (mut file, len) = open_regular(path)?;
    check_signature(path, &mut file, len)?;
    let storage = FileStorage::from_file(file).map_err(|e| classify(path, None, e))?;
    let file = Hdf5File::from_storage_with_options(Arc::new(storage), read_limit(len))
        .map_err(|e| classify(path, None, e))?;
    Ok((file, len))
}

/// The reader's options for a file of `len` bytes: no single read above
/// [`MAX_DATASET_BYTES`], and no chunk larger than the file may hold (see [`check_claim`]), so a
/// small file cannot declare one huge compressed chunk.
fn read_limit(len: u64) -> OpenOptions {
    let chunk = len
        .saturating_mul(MAX_PIXELS_PER_BYTE)
        .clamp(MIN_PIXEL_CLAIM, MAX_DATASET_BYTES);
    OpenOptions::default()
        .with_max_read_bytes(usize::try_from(MAX_DATASET_BYTES).unwrap_or(usize::MAX))
        .with_max_chunk_bytes(usize::try_from(chunk).unwrap_or(usize::MAX))
}

/// Looks for the HDF5 signature where the format allows a superblock: at offset 0, or at 512,
/// 1024, 2048, … after a user block. Reads 8 bytes at each, nothing else.
fn check_signature(path: &Path, file: &mut (impl Read + Seek), len: u64) -> Result<(), DataError> {
    let not_hdf5 = |reason: String| DataError::NotFormat {
        path: path.to_path_buf(),
        format: "an HDF5",
        reason,
    };
    if len < 8 {
        return Err(not_hdf5(format!(
            "{len} bytes, too short for the HDF5 signature"
        )));
    }
    let mut offset = 0u64;
    while offset.checked_add(8).is_some_and(|end| end <= len) {
        let mut bytes = [0u8; 8];
        file.seek(SeekFrom::Start(offset))
            .and_then(|_| file.read_exact(&mut bytes))
            .map_err(|source| DataError::Io {
                path: path.to_path_buf(),
                source,
            })?;
        if bytes == HDF5_SIGNATURE {
            return Ok(());
        }
        offset = if offset == 0 {
            512
        } else {
            offset.saturating_mul(2)
        };
    }
    Err(not_hdf5("no HDF5 signature".to_string()))
}

/// [`DataError::TooLarge`] if `bytes` exceeds [`MAX_DATASET_BYTES`].
fn check_size(path: &Path, name: &str, bytes: u64) -> Result<(), DataError> {
    if bytes > MAX_DATASET_BYTES {
        return Err(DataError::TooLarge {
            path: path.to_path_buf(),
            name: name.to_string(),
            bytes,
            limit: MAX_DATASET_BYTES,
            hint: HDF5_HINT,
        });
    }
    Ok(())
}

/// Turns a reader error into a [`DataError`] naming the file and, if given, the dataset.
fn classify(path: &Path, dataset: Option<&str>, error: hdf5_reader::error::Error) -> DataError {
    // The reader wraps errors in the dataset's name, which our message already gives.
    let error = match error {
        hdf5_reader::error::Error::Context { path: p, source }
            if Some(p.trim_start_matches('/')) == dataset =>
        {
            *source
        }
        other => other,
    };
    match error {
        hdf5_reader::error::Error::Io(source) => DataError::Io {
            path: path.to_path_buf(),
            source,
        },
        hdf5_reader::error::Error::InvalidMagic => DataError::NotFormat {
            path: path.to_path_buf(),
            format: "an HDF5",
            reason: "no HDF5 signature".to_string(),
        },
        other => DataError::Corrupt {
            path: path.to_path_buf(),
            message: match dataset {
                Some(name) => format!("cannot read {name}: {other}"),
                None => format!("cannot read the HDF5 structure: {other}"),
            },
        },
    }
}

/// Reads a label dataset of any integer type, widened to `i128` so that no value is lost
/// before the range check.
fn read_labels(path: &Path, name: &str, y: &Dataset, m: u64) -> Result<Vec<i128>, DataError> {
    let shape = [m];
    match *y.dtype() {
        Datatype::FixedPoint { size, signed, .. } => match (size, signed) {
            (1, true) => read_numbers::<i8>(path, name, y, &shape).map(widen),
            (1, false) => read_numbers::<u8>(path, name, y, &shape).map(widen),
            (2, true) => read_numbers::<i16>(path, name, y, &shape).map(widen),
            (2, false) => read_numbers::<u16>(path, name, y, &shape).map(widen),
            (4, true) => read_numbers::<i32>(path, name, y, &shape).map(widen),
            (4, false) => read_numbers::<u32>(path, name, y, &shape).map(widen),
            (8, true) => read_numbers::<i64>(path, name, y, &shape).map(widen),
            (8, false) => read_numbers::<u64>(path, name, y, &shape).map(widen),
            _ => Err(type_error(path, name, y.dtype(), "integer labels")),
        },
        ref other => Err(type_error(path, name, other, "integer labels")),
    }
}

fn widen<T: Into<i128>>(values: Vec<T>) -> Vec<i128> {
    values.into_iter().map(Into::into).collect()
}

/// Checks that every label is a class index and converts them to `i64`.
fn check_labels(
    path: &Path,
    name: &str,
    raw: &[i128],
    classes: usize,
) -> Result<Vec<i64>, DataError> {
    raw.iter()
        .enumerate()
        .map(|(index, &label)| {
            let error = || DataError::Label {
                path: path.to_path_buf(),
                name: name.to_string(),
                index,
                label,
                classes,
            };
            let in_range = usize::try_from(label).is_ok_and(|l| l < classes);
            if in_range {
                i64::try_from(label).map_err(|_| error())
            } else {
                Err(error())
            }
        })
        .collect()
}

/// Reads a whole numeric dataset of `shape` (its own shape, already checked) as `T`, after
/// checking its size against [`MAX_DATASET_BYTES`].
fn read_numbers<T: H5Type + Copy + Default>(
    path: &Path,
    name: &str,
    dataset: &Dataset,
    shape: &[u64],
) -> Result<Vec<T>, DataError> {
    let elem = u64::try_from(std::mem::size_of::<T>()).unwrap_or(u64::MAX);
    let bytes = shape
        .iter()
        .try_fold(elem, |acc, &d| acc.checked_mul(d))
        .unwrap_or(u64::MAX);
    check_size(path, name, bytes)?;
    let count = shape
        .iter()
        .try_fold(1u64, |acc, &d| acc.checked_mul(d))
        .and_then(|n| usize::try_from(n).ok())
        .ok_or_else(|| DataError::TooLarge {
            path: path.to_path_buf(),
            name: name.to_string(),
            bytes,
            limit: MAX_DATASET_BYTES,
            hint: HDF5_HINT,
        })?;
    let mut values = vec![T::default(); count];
    dataset
        .read_into(&mut values)
        .map_err(|e| classify(path, Some(name), e))?;
    Ok(values)
}

fn to_usize_shape(path: &Path, name: &str, shape: [u64; 4]) -> Result<[usize; 4], DataError> {
    let mut out = [0usize; 4];
    for (o, &d) in out.iter_mut().zip(&shape) {
        *o = usize::try_from(d).map_err(|_| DataError::TooLarge {
            path: path.to_path_buf(),
            name: name.to_string(),
            bytes: u64::MAX,
            limit: MAX_DATASET_BYTES,
            hint: HDF5_HINT,
        })?;
    }
    Ok(out)
}

fn shape_error(path: &Path, name: &str, shape: &[u64], expected: &'static str) -> DataError {
    DataError::Shape {
        path: PathBuf::from(path),
        name: name.to_string(),
        shape: shape.to_vec(),
        expected,
    }
}

fn type_error(path: &Path, name: &str, dtype: &Datatype, expected: &'static str) -> DataError {
    DataError::Type {
        path: PathBuf::from(path),
        name: name.to_string(),
        found: type_name(dtype),
        expected,
    }
}

/// `uint8`, `int64`, `float32`, `fixed-length strings`, … as numpy would say it.
fn type_name(dtype: &Datatype) -> String {
    match dtype {
        Datatype::FixedPoint { size, signed, .. } => {
            format!(
                "{}int{}",
                if *signed { "" } else { "u" },
                u32::from(*size) * 8
            )
        }
        Datatype::FloatingPoint { size, .. } => format!("float{}", u32::from(*size) * 8),
        Datatype::String {
            size: StringSize::Fixed(n),
            ..
        } => format!("fixed-length strings of {n} bytes"),
        Datatype::String { .. } => "variable-length strings".to_string(),
        Datatype::VarLen {
            kind: hdf5_reader::VarLenKind::String,
            ..
        } => "variable-length strings".to_string(),
        Datatype::VarLen { .. } => "variable-length sequences".to_string(),
        Datatype::Compound { .. } => "compound records".to_string(),
        Datatype::Array { base, dims } => format!("arrays {dims:?} of {}", type_name(base)),
        Datatype::Enum { .. } => "enum values".to_string(),
        Datatype::Opaque { .. } => "opaque data".to_string(),
        Datatype::Reference { .. } => "references".to_string(),
        Datatype::Bitfield { .. } => "bitfields".to_string(),
    }
}

impl From<CourseSet> for crate::Dataset {
    /// The images as `(m, h, w, c)` pixel values 0–255 (scale them with
    /// [`Dataset::scale`](crate::Dataset::scale)), the labels as class indices, the class names from `list_classes`.
    fn from(set: CourseSet) -> crate::Dataset {
        let pixels = set.images.iter().map(|&p| f32::from(p)).collect();
        let x = Tensor::from_vec(&set.shape, pixels).expect("read checks m·h·w·c pixels");
        // `read` checks that every label is in 0..classes.
        let labels = set.labels.iter().map(|&l| l as usize).collect();
        crate::Dataset::with_classes(x, labels, set.classes).expect("read checks the labels")
    }
}
