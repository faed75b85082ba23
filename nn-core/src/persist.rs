//! Model files: the architecture, the parameters and (for resuming) the optimiser state, encoded
//! with serde + bincode 2 behind a header:
//!
//! ```text
//! magic "NNRSMODL" (8 bytes) | format version u32 LE | CRC-32 of payload u32 LE |
//! payload length u64 LE | payload (bincode, standard config)
//! ```
//!
//! The payload holds the element type, the input shape, the loss, each layer's description
//! and parameters ([`LayerRecord`]), the optimiser state, how the network was trained, and
//! named [`Section`]s that other crates add (nn-data's preparation of inputs).
//!
//! Decoding is bounded: the payload may not exceed [`MAX_MODEL_BYTES`], bincode runs with that
//! limit, and every length is checked against the bytes that are really there, so a truncated,
//! bit-flipped or hostile file gives an error, never an abort or a huge allocation. Writes go to
//! a temporary file in the same folder that is then renamed over the target, so a crash never
//! leaves a half-written model. bincode is used in this module only.

use std::fmt;
use std::io::{Read, Write};
use std::marker::PhantomData;
use std::path::Path;

use serde::de::{DeserializeOwned, Deserializer, Error as _, SeqAccess, Visitor};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// The first bytes of every model file.
pub const MAGIC: &[u8; 8] = b"NNRSMODL";
/// The format version this build writes and the only one it reads (version 1, of nn-core
/// 0.1, stored layer configurations in another encoding).
pub const FORMAT_VERSION: u32 = 2;
/// The first bytes of the container the `nn` command wrote before it used this format.
const OLD_CLI_MAGIC: &[u8; 8] = b"NNCLI\0\0\x01";
/// The largest payload read (1 GiB): a bigger claim is refused before anything is allocated.
pub const MAX_MODEL_BYTES: u64 = 1 << 30;
const HEADER_LEN: usize = 8 + 4 + 4 + 8;

/// Parameters as stored, in the element type of the network that saved them.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum ParamData {
    /// Single precision.
    F32(Vec<f32>),
    /// Double precision.
    F64(Vec<f64>),
}

impl ParamData {
    /// The number of values.
    pub fn len(&self) -> usize {
        match self {
            ParamData::F32(v) => v.len(),
            ParamData::F64(v) => v.len(),
        }
    }

    /// `true` when there is no value.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// One layer as stored: its description (the [`LayerSpec`](crate::layer::LayerSpec) in JSON
/// form, `{"type": "dense", "units": 20}`, so the same text a user writes in a TOML/JSON model
/// description) and its parameter tensors.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LayerRecord {
    /// The layer's description as JSON text (at most 1 MiB).
    #[serde(deserialize_with = "bounded::<_, _, { 1 << 20 }>")]
    pub spec: Vec<u8>,
    /// The parameter tensors in `visit_params` order (at most 64).
    #[serde(deserialize_with = "bounded::<_, _, 64>")]
    pub params: Vec<ParamData>,
}

/// A named, opaque part of a model file written by another crate (nn-data's preparation of
/// inputs): covered by the file's checksum and size limit, and ignored by readers that do not
/// know its name.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Section {
    /// What it holds, e.g. `"preparation"`.
    pub name: String,
    /// Its bytes, in whatever encoding its owner chose (at most 64 MiB).
    #[serde(deserialize_with = "bounded::<_, _, { 64 << 20 }>")]
    pub bytes: Vec<u8>,
}

type Limited = bincode::config::Configuration<
    bincode::config::LittleEndian,
    bincode::config::Varint,
    bincode::config::Limit<{ MAX_MODEL_BYTES as usize }>,
>;

fn config() -> Limited {
    bincode::config::standard().with_limit::<{ MAX_MODEL_BYTES as usize }>()
}

/// Wraps `payload` (a serde value) in the header and returns the file's bytes.
pub(crate) fn to_bytes<P: Serialize>(payload: &P) -> Result<Vec<u8>, String> {
    let body = bincode::serde::encode_to_vec(payload, config())
        .map_err(|e| format!("cannot encode the model: {e}"))?;
    if body.len() as u64 > MAX_MODEL_BYTES {
        return Err(format!(
            "the model needs {} bytes, more than the {MAX_MODEL_BYTES}-byte limit that loading enforces",
            body.len()
        ));
    }
    let mut out = Vec::with_capacity(HEADER_LEN + body.len());
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
    out.extend_from_slice(&crc32fast::hash(&body).to_le_bytes());
    out.extend_from_slice(&(body.len() as u64).to_le_bytes());
    out.extend_from_slice(&body);
    Ok(out)
}

/// Deserialises a sequence of at most `N` items. bincode's serde path checks its byte limit
/// against the input, not against memory: a 3-byte record can become a 72-byte struct. Every
/// collection of a model file whose items are larger in memory than on disk is bounded with
/// this, so no file can make loading allocate much more than its own size.
pub(crate) fn bounded<'de, D, T, const N: usize>(d: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    struct Bounded<T, const N: usize>(PhantomData<T>);
    impl<'de, T: Deserialize<'de>, const N: usize> Visitor<'de> for Bounded<T, N> {
        type Value = Vec<T>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            write!(f, "a sequence of at most {N} items")
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<T>, A::Error> {
            if let Some(n) = seq.size_hint().filter(|&n| n > N) {
                return Err(A::Error::invalid_length(n, &self));
            }
            let mut items = Vec::new();
            while let Some(item) = seq.next_element()? {
                if items.len() == N {
                    return Err(A::Error::invalid_length(N + 1, &self));
                }
                items.push(item);
            }
            Ok(items)
        }
    }
    d.deserialize_seq(Bounded::<T, N>(PhantomData))
}

/// The payload length a file's header claims, after checking the magic, the version and the
/// size limit; `path` names the file in errors.
fn check_header(header: &[u8], path: &Path) -> Result<u64> {
    let err = |message: String| Error::Format {
        path: path.to_path_buf(),
        message,
    };
    if header.len() >= 8 && &header[..8] == OLD_CLI_MAGIC {
        return Err(err(
            "a model saved by an earlier `nn` (its own container, before the one model format): \
             train it again with this version (`nn train … --save`)"
                .into(),
        ));
    }
    if header.len() >= 8 && &header[..8] != MAGIC {
        return Err(err(
            "not a model saved by `nn train --save` or `Network::save` (wrong magic bytes)".into(),
        ));
    }
    if header.len() < HEADER_LEN {
        return Err(err(format!(
            "truncated: {} bytes is shorter than the {HEADER_LEN}-byte header",
            header.len()
        )));
    }
    let version = u32::from_le_bytes(header[8..12].try_into().expect("4 bytes"));
    let len = u64::from_le_bytes(header[16..24].try_into().expect("8 bytes"));
    if version == 1 {
        return Err(err(
            "format version 1 (nn-core 0.1) stored layers in an encoding this build no longer \
             reads: train the model again with this version"
                .into(),
        ));
    }
    if version == 0 || version > FORMAT_VERSION {
        return Err(err(format!(
            "format version {version}, but this build reads version {FORMAT_VERSION} (upgrade nn-core)"
        )));
    }
    if len > MAX_MODEL_BYTES {
        return Err(err(format!(
            "claims a {len}-byte payload, more than the {MAX_MODEL_BYTES}-byte limit"
        )));
    }
    Ok(len)
}

/// Checks the header and decodes the payload of a file's bytes; `path` names it in errors.
pub(crate) fn from_bytes<P: DeserializeOwned>(bytes: &[u8], path: &Path) -> Result<P> {
    let err = |message: String| Error::Format {
        path: path.to_path_buf(),
        message,
    };
    let len = check_header(&bytes[..bytes.len().min(HEADER_LEN)], path)?;
    let crc = u32::from_le_bytes(bytes[12..16].try_into().expect("4 bytes"));
    let body = &bytes[HEADER_LEN..];
    if body.len() as u64 != len {
        return Err(err(format!(
            "truncated or padded: the header says {len} payload bytes, the file has {}",
            body.len()
        )));
    }
    if crc32fast::hash(body) != crc {
        return Err(err(
            "corrupt: checksum mismatch (the file was damaged after it was written)".into(),
        ));
    }
    match bincode::serde::decode_from_slice::<P, _>(body, config()) {
        Ok((p, used)) if used == body.len() => Ok(p),
        Ok((_, used)) => Err(err(format!(
            "{} unexpected bytes after the model",
            body.len() - used
        ))),
        Err(e) => Err(err(format!("corrupt model: {e}"))),
    }
}

/// Opens `path` for reading if it is a regular file (checked before opening, since opening a
/// FIFO would wait for a writer, and again after, since the path may have changed in between);
/// `what` says what such a file is, for the error.
fn open_regular(path: &Path, what: &str) -> Result<std::fs::File> {
    let io = |source| Error::Io {
        path: path.to_path_buf(),
        source,
    };
    let not_regular = || Error::Format {
        path: path.to_path_buf(),
        message: format!("not a regular file ({what})"),
    };
    if !std::fs::metadata(path).map_err(io)?.is_file() {
        return Err(not_regular());
    }
    let file = std::fs::File::open(path).map_err(io)?;
    if !file.metadata().map_err(io)?.is_file() {
        return Err(not_regular());
    }
    Ok(file)
}

/// Reads a model file: refuses what is not a regular file, reads and checks the 24-byte
/// header before anything else, then reads at most the payload it announces. `/dev/zero`, a
/// FIFO or a large file of something else cost a few bytes of reading, not memory.
pub(crate) fn read_file(path: &Path) -> Result<Vec<u8>> {
    let io = |source| Error::Io {
        path: path.to_path_buf(),
        source,
    };
    let file = open_regular(path, "a model is a file written by `save`")?;
    let mut bytes = Vec::with_capacity(HEADER_LEN);
    let mut reader = file.take(HEADER_LEN as u64);
    reader.read_to_end(&mut bytes).map_err(io)?;
    let len = check_header(&bytes, path)?;
    // At most one byte more than announced, to tell a padded file from a good one.
    let mut file = reader.into_inner();
    (&mut file)
        .take(len + 1)
        .read_to_end(&mut bytes)
        .map_err(io)?;
    Ok(bytes)
}

/// Reads a whole regular file of at most `limit` bytes (its size checked before reading, and
/// no more than `limit` bytes read if it grows meanwhile).
pub(crate) fn read_regular_file(path: &Path, limit: u64) -> Result<Vec<u8>> {
    let io = |source| Error::Io {
        path: path.to_path_buf(),
        source,
    };
    let file = open_regular(path, "a folder, a device or a pipe cannot hold tensors")?;
    let size = file.metadata().map_err(io)?.len();
    let too_large = |size: u64| Error::Format {
        path: path.to_path_buf(),
        message: format!("{size} bytes, more than the {limit}-byte limit"),
    };
    if size > limit {
        return Err(too_large(size));
    }
    let mut bytes = Vec::with_capacity(size as usize);
    file.take(limit + 1).read_to_end(&mut bytes).map_err(io)?;
    if bytes.len() as u64 > limit {
        return Err(too_large(bytes.len() as u64));
    }
    Ok(bytes)
}

/// Writes `bytes` to a temporary file beside `path`, flushes it to disk and renames it over
/// `path`: readers see the old file or the new one, never a mix.
pub fn write_atomically(path: impl AsRef<Path>, bytes: &[u8]) -> Result<()> {
    let path = path.as_ref();
    let io = |source| Error::Io {
        path: path.to_path_buf(),
        source,
    };
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let mut builder = tempfile::Builder::new();
    builder.prefix(".nn-save-");
    // The temporary file is private (0600) by default; the saved file gets the permissions a
    // plain `File::create` would give (0666 less the umask), or keeps those of the file it
    // replaces.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let permissions = std::fs::metadata(path)
            .map(|m| m.permissions())
            .unwrap_or_else(|_| std::fs::Permissions::from_mode(0o666));
        builder.permissions(permissions);
    }
    let mut tmp = builder.tempfile_in(dir).map_err(io)?;
    tmp.write_all(bytes).map_err(io)?;
    tmp.as_file().sync_all().map_err(io)?;
    tmp.persist(path).map_err(|e| io(e.error))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Serialize, Deserialize, PartialEq, Debug)]
    struct Payload {
        name: String,
        values: ParamData,
    }

    fn sample() -> Vec<u8> {
        to_bytes(&Payload {
            name: "x".into(),
            values: ParamData::F32(vec![1.0, 2.0, 3.0]),
        })
        .unwrap()
    }

    #[cfg(unix)]
    #[test]
    fn saved_files_get_ordinary_permissions_or_keep_the_old_ones() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        let plain = dir.path().join("plain");
        std::fs::write(&plain, b"x").unwrap();
        let saved = dir.path().join("saved");
        write_atomically(&saved, b"x").unwrap();
        assert_eq!(
            mode(&saved),
            mode(&plain),
            "a new file is created as File::create would"
        );
        std::fs::set_permissions(&saved, std::fs::Permissions::from_mode(0o640)).unwrap();
        write_atomically(&saved, b"y").unwrap();
        assert_eq!(mode(&saved), 0o640, "a replaced file keeps its permissions");
        assert_eq!(std::fs::read(&saved).unwrap(), b"y");
    }

    #[test]
    fn round_trip() {
        let p: Payload = from_bytes(&sample(), Path::new("m.nn")).unwrap();
        assert_eq!(p.values, ParamData::F32(vec![1.0, 2.0, 3.0]));
    }

    #[test]
    fn damage_is_detected() {
        let good = sample();
        for cut in [0, 7, 20, good.len() - 1] {
            let e = from_bytes::<Payload>(&good[..cut], Path::new("m.nn"))
                .unwrap_err()
                .to_string();
            assert!(e.starts_with("m.nn: "), "{e}");
        }
        for bit in 0..good.len() * 8 {
            let mut bad = good.clone();
            bad[bit / 8] ^= 1 << (bit % 8);
            assert!(
                from_bytes::<Payload>(&bad, Path::new("m.nn")).is_err(),
                "bit {bit} flipped went unnoticed"
            );
        }
    }

    #[test]
    fn huge_length_claims_are_refused_without_allocating() {
        // A payload whose vector claims 2^40 elements, with a valid header and checksum.
        let mut body = bincode::serde::encode_to_vec("x", config()).unwrap();
        body.push(0); // ParamData::F32
        body.push(253); // varint u64 follows
        body.extend_from_slice(&(1u64 << 40).to_le_bytes());
        body.extend_from_slice(&[0; 16]);
        let mut file = Vec::new();
        file.extend_from_slice(MAGIC);
        file.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
        file.extend_from_slice(&crc32fast::hash(&body).to_le_bytes());
        file.extend_from_slice(&(body.len() as u64).to_le_bytes());
        file.extend_from_slice(&body);
        let e = from_bytes::<Payload>(&file, Path::new("m.nn"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("corrupt model"), "{e}");
    }
}
