//! MNIST's IDX files, gzipped or not (detected from the content, not the name).
//!
//! An IDX file is two zero bytes, a type code (`0x08`: unsigned bytes, the only type MNIST
//! uses and the only one read here), the number of dimensions, each dimension as a big-endian
//! `u32`, then the values. Images are `(m, 28, 28)`, labels `(m,)`. The values must fill the
//! file exactly: a file longer or shorter than its header says is an error.
//!
//! ```no_run
//! use std::path::Path;
//!
//! let [train, test] = nn_data::idx::mnist(Path::new("data/mnist5k"))?;
//! assert_eq!(train.x().shape(), &[4000, 28, 28, 1]);
//! assert_eq!(test.classes(), 10);
//! # Ok::<(), nn_data::DataError>(())
//! ```

use std::fs::File;
use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};

use flate2::read::MultiGzDecoder;
use nn_core::Tensor;

use crate::{DataError, Dataset};

/// The largest IDX payload read: 1 GiB (all of MNIST is 55 MB).
pub const MAX_IDX_BYTES: u64 = 1 << 30;

/// An IDX file of unsigned bytes: its dimensions and values.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Idx {
    /// The dimensions from the header, e.g. `[60000, 28, 28]`.
    pub dims: Vec<usize>,
    /// The values, row-major.
    pub values: Vec<u8>,
}

/// Reads an IDX file of unsigned bytes, gzipped or not.
///
/// # Errors
///
/// [`DataError::Io`] if it cannot be read; [`DataError::NotFormat`] if it does not start with
/// an IDX magic number; [`DataError::Type`] for a type other than unsigned bytes;
/// [`DataError::TooLarge`] for dimensions above [`MAX_IDX_BYTES`]; [`DataError::Corrupt`] if
/// the data is shorter or longer than the dimensions say, or the gzip stream is damaged.
pub fn read(path: &Path) -> Result<Idx, DataError> {
    let file = File::open(path).map_err(|source| DataError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let mut reader = BufReader::new(file);
    let mut magic = [0u8; 2];
    let got = read_up_to(&mut reader, &mut magic, path)?;
    let head = &magic[..got];
    // Put the two bytes back in front of the stream, then decompress if they are gzip's.
    let stream: Box<dyn Read + '_> = if head == [0x1f, 0x8b] {
        Box::new(MultiGzDecoder::new(head.chain(reader)))
    } else {
        Box::new(head.chain(reader))
    };
    parse(stream, path)
}

fn parse(mut r: impl Read, path: &Path) -> Result<Idx, DataError> {
    let corrupt = |message: String| DataError::Corrupt {
        path: path.to_path_buf(),
        message,
    };
    let mut header = [0u8; 4];
    let got = read_up_to(&mut r, &mut header, path)?;
    if got < 4 || header[0] != 0 || header[1] != 0 || header[3] == 0 {
        return Err(DataError::NotFormat {
            path: path.to_path_buf(),
            format: "an IDX",
            reason: format!(
                "it starts with {:02x?}, not 00 00 <type> <dimensions>",
                &header[..got]
            ),
        });
    }
    if header[2] != 0x08 {
        return Err(DataError::Type {
            path: path.to_path_buf(),
            name: "the IDX data".into(),
            found: format!("type code 0x{:02x}", header[2]),
            expected: "unsigned bytes (type code 0x08)",
        });
    }
    let mut dims = Vec::new();
    for d in 0..header[3] {
        let mut b = [0u8; 4];
        if read_up_to(&mut r, &mut b, path)? < 4 {
            return Err(corrupt(format!(
                "the header ends before dimension {} of {}",
                d + 1,
                header[3]
            )));
        }
        dims.push(u32::from_be_bytes(b) as usize);
    }
    let bytes = dims
        .iter()
        .try_fold(1u64, |acc, &d| acc.checked_mul(d as u64))
        .unwrap_or(u64::MAX);
    if bytes > MAX_IDX_BYTES {
        return Err(DataError::TooLarge {
            path: path.to_path_buf(),
            name: format!("the IDX data {dims:?}"),
            bytes,
            limit: MAX_IDX_BYTES,
        });
    }
    let mut values = vec![0u8; bytes as usize];
    let got = read_up_to(&mut r, &mut values, path)?;
    if got < values.len() {
        return Err(corrupt(format!(
            "the header says {dims:?} ({bytes} values) but the file holds {got}"
        )));
    }
    let mut extra = [0u8; 1];
    if read_up_to(&mut r, &mut extra, path)? > 0 {
        return Err(corrupt(format!(
            "the header says {dims:?} ({bytes} values) but the file holds more"
        )));
    }
    Ok(Idx { dims, values })
}

/// Reads until `buf` is full or the stream ends; returns how much was read.
fn read_up_to(r: &mut impl Read, buf: &mut [u8], path: &Path) -> Result<usize, DataError> {
    let mut got = 0;
    while got < buf.len() {
        match r.read(&mut buf[got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e)
                if e.kind() == std::io::ErrorKind::InvalidInput
                    || e.kind() == std::io::ErrorKind::InvalidData
                    || e.kind() == std::io::ErrorKind::UnexpectedEof =>
            {
                return Err(DataError::Corrupt {
                    path: path.to_path_buf(),
                    message: format!("damaged gzip stream ({e})"),
                })
            }
            Err(source) => {
                return Err(DataError::Io {
                    path: path.to_path_buf(),
                    source,
                })
            }
        }
    }
    Ok(got)
}

/// An images file and a labels file as a data set: `(m, h, w, 1)` pixel values 0–255, labels
/// `0..classes` named `"0"`, `"1"`, ….
///
/// # Errors
///
/// As [`read`]; [`DataError::Shape`] if the images are not `(m, h, w)` or the labels not
/// `(m,)`; [`DataError::Count`] if their counts differ; [`DataError::Label`] for a label not
/// below `classes`.
pub fn read_pair(images: &Path, labels: &Path, classes: usize) -> Result<Dataset, DataError> {
    let x = read(images)?;
    let y = read(labels)?;
    let shape = |path: &Path, idx: &Idx, expected| DataError::Shape {
        path: path.to_path_buf(),
        name: "the IDX data".into(),
        shape: idx.dims.iter().map(|&d| d as u64).collect(),
        expected,
    };
    let &[m, h, w] = x.dims.as_slice() else {
        return Err(shape(images, &x, "(m, height, width) images"));
    };
    let &[n] = y.dims.as_slice() else {
        return Err(shape(labels, &y, "(m,) labels"));
    };
    if n != m {
        return Err(DataError::Count {
            path: labels.to_path_buf(),
            examples: m as u64,
            labels: n as u64,
        });
    }
    let labels_vec: Vec<usize> = y.values.iter().map(|&l| l as usize).collect();
    if let Some(index) = labels_vec.iter().position(|&l| l >= classes) {
        return Err(DataError::Label {
            path: labels.to_path_buf(),
            name: "labels".into(),
            index,
            label: labels_vec[index] as i128,
            classes,
        });
    }
    let pixels = x.values.into_iter().map(f32::from).collect();
    let x = Tensor::from_vec(&[m, h, w, 1], pixels).expect("m·h·w values");
    Dataset::with_classes(x, labels_vec, (0..classes).map(|c| c.to_string()).collect())
}

/// MNIST from a folder holding the four files under their usual names
/// (`train-images-idx3-ubyte`, `train-labels-idx1-ubyte`, `t10k-images-idx3-ubyte`,
/// `t10k-labels-idx1-ubyte`, each optionally ending in `.gz`): `[train, test]`, `(m, 28, 28, 1)`
/// pixel values 0–255, classes `"0"`…`"9"`.
///
/// # Errors
///
/// [`DataError::Folder`] naming the missing file; else as [`read_pair`].
pub fn mnist(dir: &Path) -> Result<[Dataset; 2], DataError> {
    let find = |stem: &str| -> Result<PathBuf, DataError> {
        [stem.to_string(), format!("{stem}.gz")]
            .iter()
            .map(|name| dir.join(name))
            .find(|p| p.is_file())
            .ok_or_else(|| DataError::Folder {
                path: dir.to_path_buf(),
                message: format!("no {stem} or {stem}.gz (an MNIST folder holds train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte and t10k-labels-idx1-ubyte)"),
            })
    };
    let train = read_pair(
        &find("train-images-idx3-ubyte")?,
        &find("train-labels-idx1-ubyte")?,
        10,
    )?;
    let test = read_pair(
        &find("t10k-images-idx3-ubyte")?,
        &find("t10k-labels-idx1-ubyte")?,
        10,
    )?;
    Ok([train, test])
}
