//! MNIST's IDX files, gzipped or not (detected from the content, not the name).
//!
//! An IDX file is two zero bytes, a type code (`0x08`: unsigned bytes, the only type MNIST
//! uses and the only one read here), the number of dimensions, each dimension as a big-endian
//! `u32`, then the values. Images are `(m, 28, 28)`, labels `(m,)`. The values must fill the
//! file exactly: a file longer or shorter than its header says is an error.
//!
//! Every file is checked before its values are allocated: it must be a regular file, start
//! with gzip's or IDX's magic, and claim at most [`MAX_IDX_BYTES`] values, which an
//! uncompressed file must hold exactly; a gzipped file may claim at most [`MAX_GZIP_RATIO`]
//! values per compressed byte, and its stream is decompressed only up to its claim.
//!
//! ```no_run
//! let [train, test] = nn_data::idx::mnist("data/mnist5k")?;
//! assert_eq!(train.x().shape(), &[4000, 28, 28, 1]);
//! assert_eq!(test.classes(), 10);
//! # Ok::<(), nn_data::DataError>(())
//! ```

use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};

use flate2::read::MultiGzDecoder;
use nn_core::Tensor;

use crate::file::open_regular;
use crate::{DataError, Dataset};

/// The largest IDX payload read, in values (bytes on disk once decompressed): 1 GiB. All of
/// MNIST is 55 MB and EMNIST's largest split 0.65 GB; as `f32` pixels a payload at the limit
/// takes 4 GiB. A header claiming more is refused before anything is allocated, and so is a
/// gzip stream that decompresses to more than its header claims.
pub const MAX_IDX_BYTES: u64 = 1 << 30;

/// What the size errors of this module suggest.
const IDX_HINT: &str =
    "the limit is nn_data::idx::MAX_IDX_BYTES: split the data into several files";

/// The most a gzipped IDX file may expand: its header may claim at most this many values per
/// compressed byte (or [`MIN_GZIP_CLAIM`], whichever is more). MNIST's files expand 2 to 5
/// times, Fashion-MNIST's 2 to 3; deflate itself allows about 1032, so without this a 1 MB
/// file could make the reader decompress and hold 1 GB. A header claiming more is refused
/// before anything is decompressed; such a file can be read after `gunzip`.
pub const MAX_GZIP_RATIO: u64 = 64;

/// What any gzipped IDX file may claim whatever its size, so that small, very regular files
/// (a few all-zero images) are still read: 1 Mi values.
pub const MIN_GZIP_CLAIM: u64 = 1 << 20;

/// How many bytes are decompressed and converted at a time.
const CHUNK: usize = 64 << 10;

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
/// The file must be a regular file; its first bytes must be gzip's (`1f 8b`) or IDX's
/// (`00 00 <type> <dimensions>`); the values its header claims (the product of the dimensions)
/// must be at most [`MAX_IDX_BYTES`] and, for an uncompressed file, exactly what the file holds,
/// for a gzipped one at most [`MAX_GZIP_RATIO`] per compressed byte (or [`MIN_GZIP_CLAIM`]):
/// all checked before the values are allocated. A gzipped file is decompressed through
/// `take(claimed + 1)`, so a stream longer than its header says (a gzip bomb) is refused as
/// soon as it exceeds the claim.
///
/// # Errors
///
/// [`DataError::Io`] if it cannot be read; [`DataError::NotFile`] for a folder, a device or a
/// FIFO; [`DataError::NotFormat`] if it does not start with an IDX magic number;
/// [`DataError::Type`] for a type other than unsigned bytes; [`DataError::TooLarge`] for
/// dimensions above [`MAX_IDX_BYTES`]; [`DataError::Corrupt`] if the data is shorter or longer
/// than the dimensions say, or the gzip stream is damaged.
pub fn read(path: impl AsRef<Path>) -> Result<Idx, DataError> {
    let (dims, values) = read_as::<u8>(path.as_ref())?;
    Ok(Idx { dims, values })
}

/// As [`read`], from the bytes of a file (`path` names it in errors): the same checks and
/// limits.
///
/// # Errors
///
/// As [`read`], but for the file system's.
pub fn from_bytes(bytes: &[u8], path: impl AsRef<Path>) -> Result<Idx, DataError> {
    let path = path.as_ref();
    let (dims, values) = decode_as::<u8, _>(bytes, bytes.len() as u64, path)?;
    Ok(Idx { dims, values })
}

/// An opened IDX file: its first two bytes (already read to tell gzip from IDX) put back in
/// front of the rest.
type Stream<R> = std::io::Chain<std::io::Take<std::io::Cursor<[u8; 2]>>, R>;

/// Where the values of an opened IDX file come from.
enum Source<R: Read> {
    /// An uncompressed file of this many bytes.
    Plain(Stream<R>, u64),
    /// A gzip stream, from a file of this many (compressed) bytes.
    Gzip(MultiGzDecoder<Stream<R>>, u64),
}

impl<R: Read> Read for Source<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        match self {
            Source::Plain(r, _) => r.read(buf),
            Source::Gzip(r, _) => r.read(buf),
        }
    }
}

/// Reads an IDX file's dimensions and its values converted to `T` as they are read (so that
/// no byte copy of the whole payload is kept beside the converted one).
fn read_as<T: From<u8>>(path: &Path) -> Result<(Vec<usize>, Vec<T>), DataError> {
    let (file, len) = open_regular(path)?;
    decode_as(BufReader::new(file), len, path)
}

/// Decodes the `len` bytes of `reader` as an IDX file, gzipped or not, converting the values
/// to `T` as they are read.
fn decode_as<T: From<u8>, R: Read>(
    reader: R,
    len: u64,
    path: &Path,
) -> Result<(Vec<usize>, Vec<T>), DataError> {
    let mut source = source(reader, len, path)?;
    let (dims, count) = read_header(&mut source, path)?;
    let header_bytes = 4 + 4 * dims.len() as u64;
    match source {
        Source::Plain(_, len) => {
            check_plain_length(path, &dims, count, len.saturating_sub(header_bytes))?
        }
        Source::Gzip(_, len) => check_gzip_claim(path, &dims, count, len)?,
    }
    let values = read_values(&mut source, path, &dims, count)?;
    Ok((dims, values))
}

/// Looks at the first two bytes of `reader` (`len` bytes in all): gzip's magic (`1f 8b`)
/// gives a decompressing source, IDX's (`00 00`) a plain one, anything else is refused.
fn source<R: Read>(mut reader: R, len: u64, path: &Path) -> Result<Source<R>, DataError> {
    let mut magic = [0u8; 2];
    let got = read_up_to(&mut reader, &mut magic, path)?;
    let mut stream = std::io::Cursor::new(magic).take(got as u64).chain(reader);
    if got == 2 && magic == [0x1f, 0x8b] {
        Ok(Source::Gzip(MultiGzDecoder::new(stream), len))
    } else if got == 2 && magic == [0, 0] {
        Ok(Source::Plain(stream, len))
    } else {
        // Show the first four bytes, as the header check does.
        let mut head = [0u8; 4];
        let got = read_up_to(&mut stream, &mut head, path)?;
        Err(not_idx(path, &head[..got]))
    }
}

fn not_idx(path: &Path, head: &[u8]) -> DataError {
    DataError::NotFormat {
        path: path.to_path_buf(),
        format: "an IDX",
        reason: format!("it starts with {head:02x?}, not 00 00 <type> <dimensions>"),
    }
}

/// Reads and checks the header: the magic, the type (unsigned bytes), the dimensions; returns
/// them and the number of values they claim, at most [`MAX_IDX_BYTES`].
fn read_header(r: &mut impl Read, path: &Path) -> Result<(Vec<usize>, u64), DataError> {
    let mut header = [0u8; 4];
    let got = read_up_to(r, &mut header, path)?;
    if got < 4 || header[0] != 0 || header[1] != 0 || header[3] == 0 {
        return Err(not_idx(path, &header[..got]));
    }
    if header[2] != 0x08 {
        return Err(DataError::Type {
            path: path.to_path_buf(),
            name: "the IDX data".into(),
            found: format!("type code 0x{:02x}", header[2]),
            expected: "unsigned bytes (type code 0x08)",
        });
    }
    let mut dims = Vec::with_capacity(usize::from(header[3]));
    for d in 0..header[3] {
        let mut b = [0u8; 4];
        if read_up_to(r, &mut b, path)? < 4 {
            return Err(DataError::Corrupt {
                path: path.to_path_buf(),
                message: format!(
                    "the header ends before dimension {} of {}",
                    d + 1,
                    header[3]
                ),
            });
        }
        dims.push(u32::from_be_bytes(b) as usize);
    }
    let count = dims
        .iter()
        .try_fold(1u64, |acc, &d| acc.checked_mul(d as u64))
        .unwrap_or(u64::MAX);
    if count > MAX_IDX_BYTES {
        return Err(DataError::TooLarge {
            path: path.to_path_buf(),
            name: format!("the IDX data {dims:?}"),
            bytes: count,
            limit: MAX_IDX_BYTES,
            hint: IDX_HINT,
        });
    }
    Ok((dims, count))
}

/// For an uncompressed file: the values present after the header must be exactly the claimed
/// count, checked before anything is allocated for them.
fn check_plain_length(
    path: &Path,
    dims: &[usize],
    count: u64,
    present: u64,
) -> Result<(), DataError> {
    if present < count {
        Err(length_error(path, dims, count, Some(present)))
    } else if present > count {
        Err(length_error(path, dims, count, None))
    } else {
        Ok(())
    }
}

/// For a gzipped file: the claim may be at most [`MAX_GZIP_RATIO`] values per compressed byte
/// (or [`MIN_GZIP_CLAIM`]), checked before anything is decompressed or allocated.
fn check_gzip_claim(path: &Path, dims: &[usize], count: u64, len: u64) -> Result<(), DataError> {
    let allowed = len.saturating_mul(MAX_GZIP_RATIO).max(MIN_GZIP_CLAIM);
    if count <= allowed {
        return Ok(());
    }
    Err(DataError::TooLarge {
        path: path.to_path_buf(),
        name: format!("the IDX data {dims:?} of a {len}-byte gzip file"),
        bytes: count,
        limit: allowed,
        hint: "a gzipped IDX file may expand at most nn_data::idx::MAX_GZIP_RATIO times: \
               if the file is genuine, decompress it (gunzip) and read it uncompressed",
    })
}

/// "the header says … but the file holds `got`" (`None`: more).
fn length_error(path: &Path, dims: &[usize], count: u64, got: Option<u64>) -> DataError {
    let holds = got.map_or_else(|| "more".to_string(), |g| g.to_string());
    DataError::Corrupt {
        path: path.to_path_buf(),
        message: format!("the header says {dims:?} ({count} values) but the file holds {holds}"),
    }
}

/// Reads exactly `count` values (through `take(count + 1)`, so that a longer stream is caught
/// after one extra byte), converting each chunk to `T` as it comes. The count is reserved up
/// front: it was checked against the plain file's length or the gzip file's ratio.
fn read_values<T: From<u8>>(
    r: &mut impl Read,
    path: &Path,
    dims: &[usize],
    count: u64,
) -> Result<Vec<T>, DataError> {
    let mut values: Vec<T> = Vec::with_capacity(usize::try_from(count).unwrap_or(0));
    let mut limited = r.take(count + 1);
    let mut chunk = vec![0u8; CHUNK];
    loop {
        let got = read_up_to(&mut limited, &mut chunk, path)?;
        if got == 0 {
            break;
        }
        if values.len() as u64 + got as u64 > count {
            return Err(length_error(path, dims, count, None));
        }
        values.extend(chunk[..got].iter().map(|&b| T::from(b)));
    }
    if (values.len() as u64) < count {
        return Err(length_error(path, dims, count, Some(values.len() as u64)));
    }
    Ok(values)
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
/// The image pixels are converted to `f32` while they are read, so the peak memory is the
/// tensor (4 bytes a pixel) and one 64 KiB chunk, not a byte copy beside it.
///
/// # Errors
///
/// As [`read`]; [`DataError::Shape`] if the images are not `(m, h, w)` or the labels not
/// `(m,)`; [`DataError::Count`] if their counts differ; [`DataError::Label`] for a label not
/// below `classes`.
pub fn read_pair(
    images: impl AsRef<Path>,
    labels: impl AsRef<Path>,
    classes: usize,
) -> Result<Dataset, DataError> {
    let (images, labels) = (images.as_ref(), labels.as_ref());
    // The pixels are converted to f32 as they are read: no byte copy is kept beside them.
    let (x_dims, pixels) = read_as::<f32>(images)?;
    let (y_dims, y) = read_as::<u8>(labels)?;
    let shape = |path: &Path, dims: &[usize], expected| DataError::Shape {
        path: path.to_path_buf(),
        name: "the IDX data".into(),
        shape: dims.iter().map(|&d| d as u64).collect(),
        expected,
    };
    let &[m, h, w] = x_dims.as_slice() else {
        return Err(shape(images, &x_dims, "(m, height, width) images"));
    };
    let &[n] = y_dims.as_slice() else {
        return Err(shape(labels, &y_dims, "(m,) labels"));
    };
    if n != m {
        return Err(DataError::Count {
            path: labels.to_path_buf(),
            examples: m as u64,
            labels: n as u64,
        });
    }
    if let Some(index) = y.iter().position(|&l| usize::from(l) >= classes) {
        return Err(DataError::Label {
            path: labels.to_path_buf(),
            name: "labels".into(),
            index,
            label: i128::from(y[index]),
            classes,
        });
    }
    let labels_vec: Vec<usize> = y.iter().map(|&l| usize::from(l)).collect();
    let x = Tensor::from_vec(&[m, h, w, 1], pixels).expect("m·h·w values");
    Dataset::with_classes(x, labels_vec, (0..classes).map(|c| c.to_string()).collect())
}

/// MNIST from a folder holding the four files under their usual names
/// (`train-images-idx3-ubyte`, `train-labels-idx1-ubyte`, `t10k-images-idx3-ubyte`,
/// `t10k-labels-idx1-ubyte`, each optionally ending in `.gz`): `[train, test]`, `(m, 28, 28, 1)`
/// pixel values 0–255, classes `"0"`…`"9"`. [`mnist_split`] reads one of the two.
///
/// # Errors
///
/// [`DataError::Folder`] naming the missing file; else as [`read_pair`] (a name that exists
/// but is not a regular file, such as a folder, is a [`DataError::NotFile`]).
pub fn mnist(dir: impl AsRef<Path>) -> Result<[Dataset; 2], DataError> {
    let dir = dir.as_ref();
    Ok([
        mnist_split(dir, Split::Train)?,
        mnist_split(dir, Split::Test)?,
    ])
}

/// One of MNIST's two splits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Split {
    /// `train-images-idx3-ubyte` and `train-labels-idx1-ubyte`.
    Train,
    /// `t10k-images-idx3-ubyte` and `t10k-labels-idx1-ubyte`.
    Test,
}

/// One split of MNIST from a folder as [`mnist`] reads it, without opening the other split's
/// files (evaluating on the test split reads only its 10 000 images).
///
/// # Errors
///
/// As [`mnist`], for this split's two files.
pub fn mnist_split(dir: impl AsRef<Path>, split: Split) -> Result<Dataset, DataError> {
    let dir = dir.as_ref();
    let find = |stem: &str| -> Result<PathBuf, DataError> {
        [stem.to_string(), format!("{stem}.gz")]
            .iter()
            .map(|name| dir.join(name))
            .find(|p| p.metadata().is_ok())
            .ok_or_else(|| DataError::Folder {
                path: dir.to_path_buf(),
                message: format!("no {stem} or {stem}.gz (an MNIST folder holds train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte and t10k-labels-idx1-ubyte)"),
            })
    };
    let prefix = match split {
        Split::Train => "train",
        Split::Test => "t10k",
    };
    read_pair(
        find(&format!("{prefix}-images-idx3-ubyte"))?,
        find(&format!("{prefix}-labels-idx1-ubyte"))?,
        10,
    )
}
