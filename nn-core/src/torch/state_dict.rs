//! [`StateDict`]: named tensors as PyTorch's `state_dict()` holds them, read from and written
//! to the safetensors format (through the `safetensors` crate, which validates every offset).
//!
//! Reading is a function of bytes ([`StateDict::from_bytes`]), so it can be fuzzed, and it is
//! bounded: the header is at most [`MAX_HEADER_BYTES`], every tensor's bytes must lie inside
//! the file, contiguous, and match its shape × dtype, a name may appear once, and the integer
//! tensors together may hold at most [`MAX_INTEGERS`] values (state dicts keep only counters in
//! integers), so what is decoded is at most twice the file's size (F16/BF16 widened to F32)
//! plus 512 KiB.

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;

use safetensors::tensor::{Dtype, TensorInfo, View};
use serde::de::{Deserializer, IgnoredAny, MapAccess, Visitor};

use crate::error::{shape_str, Error, Result};
use crate::persist::write_atomically;
use crate::Float;

/// The largest safetensors header read: 16 MiB of JSON, far more than the names and shapes of
/// any network's tensors need (the format's own limit is 100 MB).
pub const MAX_HEADER_BYTES: usize = 16 << 20;

/// The largest safetensors file read from disk (4 GiB): a state dict of 2³⁰ `f32` values.
pub const MAX_FILE_BYTES: u64 = 4 << 30;

/// The most values the integer tensors of a file may hold together (they are widened to `i64`,
/// up to 8 times their size): PyTorch's state dicts of weights hold integers only in counters
/// such as batch norm's scalar `num_batches_tracked`.
pub const MAX_INTEGERS: usize = 1 << 16;

/// A tensor's values, in the precision the file stores them (F16/BF16 widened to F32, every
/// integer type to I64).
#[derive(Clone, Debug, PartialEq)]
pub enum Values {
    /// `f32` values (also F16 and BF16 files, converted exactly).
    F32(Vec<f32>),
    /// `f64` values.
    F64(Vec<f64>),
    /// Integers (PyTorch's `num_batches_tracked`), any integer or boolean type.
    I64(Vec<i64>),
}

impl From<crate::persist::ParamData> for Values {
    fn from(data: crate::persist::ParamData) -> Self {
        match data {
            crate::persist::ParamData::F32(v) => Values::F32(v),
            crate::persist::ParamData::F64(v) => Values::F64(v),
        }
    }
}

impl Values {
    /// The number of values.
    pub fn len(&self) -> usize {
        match self {
            Values::F32(v) => v.len(),
            Values::F64(v) => v.len(),
            Values::I64(v) => v.len(),
        }
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The values as `T`, if they are floating-point.
    pub fn floats<T: Float>(&self) -> Option<Vec<T>> {
        match self {
            Values::F32(v) => Some(v.iter().map(|&x| T::from_f64(f64::from(x))).collect()),
            Values::F64(v) => Some(v.iter().map(|&x| T::from_f64(x)).collect()),
            Values::I64(_) => None,
        }
    }

    /// `F32`, `F64` or `I64`.
    pub fn dtype_name(&self) -> &'static str {
        match self {
            Values::F32(_) => "F32",
            Values::F64(_) => "F64",
            Values::I64(_) => "I64",
        }
    }

    fn dtype(&self) -> Dtype {
        match self {
            Values::F32(_) => Dtype::F32,
            Values::F64(_) => Dtype::F64,
            Values::I64(_) => Dtype::I64,
        }
    }

    fn le_bytes(&self) -> Vec<u8> {
        match self {
            Values::F32(v) => v.iter().flat_map(|x| x.to_le_bytes()).collect(),
            Values::F64(v) => v.iter().flat_map(|x| x.to_le_bytes()).collect(),
            Values::I64(v) => v.iter().flat_map(|x| x.to_le_bytes()).collect(),
        }
    }
}

/// One named tensor of a [`StateDict`].
#[derive(Clone, Debug, PartialEq)]
pub struct NamedTensor {
    /// Its name, e.g. `0.weight`.
    pub name: String,
    /// Its shape (row-major, as PyTorch's contiguous tensors).
    pub shape: Vec<usize>,
    /// Its values.
    pub values: Values,
    /// The dtype the file stored (`F16` for values widened to `F32`).
    pub stored: String,
}

/// Named tensors in a fixed order, with the file's string metadata: a PyTorch state dict.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct StateDict {
    tensors: Vec<NamedTensor>,
    metadata: BTreeMap<String, String>,
}

/// Why bytes are not a safetensors file we can use.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SafetensorsError(pub String);

impl fmt::Display for SafetensorsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for SafetensorsError {}

fn bad(message: impl Into<String>) -> SafetensorsError {
    SafetensorsError(message.into())
}

impl StateDict {
    /// No tensors.
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends a tensor; refuses a name already present and values that do not fill `shape`.
    pub fn push(&mut self, name: impl Into<String>, shape: &[usize], values: Values) -> Result<()> {
        let name = name.into();
        let count = shape.iter().try_fold(1usize, |n, &d| n.checked_mul(d));
        if count != Some(values.len()) {
            return Err(Error::shape(
                format!("tensor {name}"),
                format!("{} values do not fill {}", values.len(), shape_str(shape)),
            ));
        }
        if self.get(&name).is_some() {
            return Err(Error::Config(format!(
                "tensor {name} is already in the state dict"
            )));
        }
        let stored = values.dtype_name().to_string();
        self.tensors.push(NamedTensor {
            name,
            shape: shape.to_vec(),
            values,
            stored,
        });
        Ok(())
    }

    /// The tensor named `name`.
    pub fn get(&self, name: &str) -> Option<&NamedTensor> {
        self.tensors.iter().find(|t| t.name == name)
    }

    /// The tensors, in order (a file's tensors in the order of their bytes).
    pub fn tensors(&self) -> &[NamedTensor] {
        &self.tensors
    }

    /// The number of tensors.
    pub fn len(&self) -> usize {
        self.tensors.len()
    }

    /// Whether there are no tensors.
    pub fn is_empty(&self) -> bool {
        self.tensors.is_empty()
    }

    /// The file's `__metadata__` strings.
    pub fn metadata(&self) -> &BTreeMap<String, String> {
        &self.metadata
    }

    /// Sets one `__metadata__` string.
    pub fn set_metadata(&mut self, key: impl Into<String>, value: impl Into<String>) {
        self.metadata.insert(key.into(), value.into());
    }

    /// The safetensors bytes of these tensors (safetensors orders them by dtype, then name).
    pub fn to_bytes(&self) -> Result<Vec<u8>> {
        let views: Vec<(&str, Raw)> = self
            .tensors
            .iter()
            .map(|t| {
                let raw = Raw {
                    dtype: t.values.dtype(),
                    shape: t.shape.clone(),
                    bytes: t.values.le_bytes(),
                };
                (t.name.as_str(), raw)
            })
            .collect();
        let metadata =
            (!self.metadata.is_empty()).then(|| self.metadata.clone().into_iter().collect());
        safetensors::serialize(views, metadata)
            .map_err(|e| Error::Config(format!("cannot write safetensors: {e}")))
    }

    /// Writes the tensors to `path` atomically (a temporary file, then a rename).
    pub fn save(&self, path: impl AsRef<Path>) -> Result<()> {
        write_atomically(path, &self.to_bytes()?)
    }

    /// Reads a safetensors file (a regular file of at most [`MAX_FILE_BYTES`]); errors name it.
    pub fn read(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let bytes = crate::persist::read_regular_file(path, MAX_FILE_BYTES)?;
        Self::from_bytes(&bytes).map_err(|e| Error::Format {
            path: path.to_path_buf(),
            message: format!("not a safetensors file we can read: {e}"),
        })
    }

    /// Decodes safetensors bytes: the header (at most [`MAX_HEADER_BYTES`], each name once),
    /// then every tensor, checked by the `safetensors` crate to lie inside the bytes,
    /// contiguous, with as many bytes as its shape × dtype; integer tensors of at most
    /// [`MAX_INTEGERS`] values in all.
    pub fn from_bytes(bytes: &[u8]) -> std::result::Result<Self, SafetensorsError> {
        let header = header_text(bytes)?;
        refuse_duplicate_names(header)?;
        let (n, metadata) =
            safetensors::SafeTensors::read_metadata(bytes).map_err(|e| bad(e.to_string()))?;
        let data = &bytes[8 + n..];
        let mut dict = StateDict::new();
        if let Some(m) = metadata.metadata() {
            dict.metadata = m.clone().into_iter().collect();
        }
        let mut integers = 0;
        for name in metadata.offset_keys() {
            let info = metadata.info(&name).expect("a name of this header");
            let tensor = decode_tensor(name, info, data, &mut integers)?;
            dict.tensors.push(tensor);
        }
        Ok(dict)
    }
}

/// The header's JSON text, after checking its length prefix.
fn header_text(bytes: &[u8]) -> std::result::Result<&str, SafetensorsError> {
    let prefix: [u8; 8] = bytes
        .get(..8)
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| {
            bad(format!(
                "{} bytes, shorter than the 8-byte header length",
                bytes.len()
            ))
        })?;
    let n = u64::from_le_bytes(prefix);
    // What `torch.save` writes (a zip of pickles, or a bare pickle) starts with bytes that,
    // read as a header length, are far too large.
    let pickle =
        bytes.starts_with(b"PK\x03\x04") || (bytes[0] == 0x80 && (2..=5).contains(&bytes[1]));
    if n > MAX_HEADER_BYTES as u64 && pickle {
        return Err(bad(
            "a PyTorch pickle (what torch.save writes), not safetensors: save the state dict \
             with safetensors.torch.save_file(net.state_dict(), path)",
        ));
    }
    if n > MAX_HEADER_BYTES as u64 {
        return Err(bad(format!(
            "a header of {n} bytes, more than the {MAX_HEADER_BYTES} any state dict needs"
        )));
    }
    let end = 8 + n as usize;
    let header = bytes.get(8..end).ok_or_else(|| {
        bad(format!(
            "the header claims {n} bytes but the file has {} after the length",
            bytes.len() - 8
        ))
    })?;
    std::str::from_utf8(header).map_err(|e| bad(format!("the header is not UTF-8: {e}")))
}

/// Refuses a header naming a tensor (or `__metadata__`) twice, which JSON parsers would
/// silently resolve to the last one.
fn refuse_duplicate_names(header: &str) -> std::result::Result<(), SafetensorsError> {
    struct Names;
    impl<'de> Visitor<'de> for Names {
        type Value = Option<String>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a JSON object of tensors")
        }
        fn visit_map<A: MapAccess<'de>>(
            self,
            mut map: A,
        ) -> std::result::Result<Self::Value, A::Error> {
            let mut seen = std::collections::HashSet::new();
            while let Some(key) = map.next_key::<String>()? {
                map.next_value::<IgnoredAny>()?;
                if !seen.insert(key.clone()) {
                    return Ok(Some(key));
                }
            }
            Ok(None)
        }
    }
    let mut de = serde_json::Deserializer::from_str(header);
    match de.deserialize_map(Names) {
        Ok(None) => Ok(()),
        Ok(Some(name)) => Err(bad(format!("the header names tensor {name:?} twice"))),
        Err(e) => Err(bad(format!(
            "the header is not a JSON object of tensors: {e}"
        ))),
    }
}

/// One tensor's values from the data section (offsets already validated); `integers` counts
/// the integer values decoded so far.
fn decode_tensor(
    name: String,
    info: &TensorInfo,
    data: &[u8],
    integers: &mut usize,
) -> std::result::Result<NamedTensor, SafetensorsError> {
    let (start, end) = info.data_offsets;
    let bytes = &data[start..end];
    let integer = matches!(
        info.dtype,
        Dtype::BOOL
            | Dtype::U8
            | Dtype::I8
            | Dtype::I16
            | Dtype::U16
            | Dtype::I32
            | Dtype::U32
            | Dtype::I64
            | Dtype::U64
    );
    if integer {
        *integers += bytes.len() * 8 / info.dtype.bitsize();
        if *integers > MAX_INTEGERS {
            return Err(bad(format!(
                "tensor {name} brings the integer values to {integers}; a state dict of \
                 weights keeps integers only in counters (at most {MAX_INTEGERS} are read)"
            )));
        }
    }
    let values = match info.dtype {
        Dtype::F32 => Values::F32(words(bytes, f32::from_le_bytes)),
        Dtype::F64 => Values::F64(words(bytes, f64::from_le_bytes)),
        Dtype::F16 => Values::F32(words(bytes, |b| half::f16::from_le_bytes(b).to_f32())),
        Dtype::BF16 => Values::F32(words(bytes, |b| half::bf16::from_le_bytes(b).to_f32())),
        Dtype::I64 => Values::I64(words(bytes, i64::from_le_bytes)),
        Dtype::I32 => Values::I64(words(bytes, |b| i64::from(i32::from_le_bytes(b)))),
        Dtype::I16 => Values::I64(words(bytes, |b| i64::from(i16::from_le_bytes(b)))),
        Dtype::I8 => Values::I64(words(bytes, |b: [u8; 1]| i64::from(b[0] as i8))),
        Dtype::U8 | Dtype::BOOL => Values::I64(words(bytes, |b: [u8; 1]| i64::from(b[0]))),
        Dtype::U16 => Values::I64(words(bytes, |b| i64::from(u16::from_le_bytes(b)))),
        Dtype::U32 => Values::I64(words(bytes, |b| i64::from(u32::from_le_bytes(b)))),
        Dtype::U64 => {
            let values = words(bytes, u64::from_le_bytes);
            match values.iter().map(|&v| i64::try_from(v)).collect() {
                Ok(values) => Values::I64(values),
                Err(_) => return Err(bad(format!("tensor {name} holds a U64 of 2⁶³ or more"))),
            }
        }
        other => {
            return Err(bad(format!(
                "tensor {name} is {other:?}; F32, F64, F16, BF16, integers and booleans are read"
            )))
        }
    };
    Ok(NamedTensor {
        name,
        shape: info.shape.clone(),
        values,
        stored: format!("{:?}", info.dtype),
    })
}

/// The little-endian words of `bytes` (whose length the header check made a multiple of N).
fn words<const N: usize, V>(bytes: &[u8], word: impl Fn([u8; N]) -> V) -> Vec<V> {
    bytes
        .chunks_exact(N)
        .map(|c| word(c.try_into().expect("N bytes")))
        .collect()
}

/// A tensor's bytes for `safetensors::serialize`.
struct Raw {
    dtype: Dtype,
    shape: Vec<usize>,
    bytes: Vec<u8>,
}

impl View for Raw {
    fn dtype(&self) -> Dtype {
        self.dtype
    }
    fn shape(&self) -> &[usize] {
        &self.shape
    }
    fn data(&self) -> std::borrow::Cow<'_, [u8]> {
        (&self.bytes[..]).into()
    }
    fn data_len(&self) -> usize {
        self.bytes.len()
    }
}
