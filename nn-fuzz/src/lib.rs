//! The bodies of the fuzz targets (`fuzz/fuzz_targets/*.rs` call these), on stable Rust so that
//! the replay test (`tests/replay.rs`) runs every committed corpus file through the same code
//! in CI, without a fuzzer.
//!
//! Each target decodes untrusted bytes with one of the library's decoders and, when that
//! succeeds, does what a user does next with what decoded: a prediction. A target must never
//! panic, hang or allocate without bound; an `Err` is a correct answer to bad bytes.

use std::path::Path;

use nn_core::persist::{FORMAT_VERSION, MAGIC};
use nn_core::torch::StateDict;
use nn_core::{Network, Reference, Rng, Tensor};
use nn_data::images::ImageOptions;
use nn_data::model::Preparation;
use nn_data::table::{Csv, Label};
use nn_data::{course_h5, idx, Dataset};

/// A fuzz target: a name (its folder under `fuzz/seeds/` and `fuzz/corpus/`) and its body,
/// which says whether the bytes decoded (the replay test expects every seed to).
pub type Target = (&'static str, fn(&[u8]) -> bool);

/// Every target, by name.
pub const TARGETS: &[Target] = &[
    ("model_file", model_file),
    ("model_payload", model_payload),
    ("preparation", preparation),
    ("safetensors", safetensors),
    ("idx", idx_file),
    ("idx_gzip", idx_gzip),
    ("csv", csv_table),
    ("course_h5", course_h5_file),
    ("image", image),
    ("description", description),
];

/// The most values per example a target feeds a decoded network: a prediction on anything
/// larger is skipped (it would be correct but slow, and the fuzzer needs speed).
const MAX_FORWARD_VALUES: usize = 1 << 16;

/// The name errors give the fuzzer's bytes.
const NAME: &str = "fuzz-input";

/// A whole model file (header, checksum, payload, sections), then a prediction.
pub fn model_file(bytes: &[u8]) -> bool {
    let registry = nn_conv::registry();
    match nn_data::model::from_bytes(bytes, NAME, Reference, &registry) {
        Ok(trained) => predict(&trained.network),
        Err(_) => match Network::<f32>::from_bytes(bytes, NAME, Reference, &registry) {
            Ok(net) => predict(&net),
            Err(_) => return false,
        },
    }
    true
}

/// The payload of a model file alone: wrapped in a valid header with its checksum, so that the
/// fuzzer's mutations reach the payload's decoder instead of failing the checksum.
pub fn model_payload(bytes: &[u8]) -> bool {
    model_file(&with_header(bytes))
}

/// `payload` behind the model file's header: magic, version, CRC-32, length.
pub fn with_header(payload: &[u8]) -> Vec<u8> {
    let mut file = Vec::with_capacity(24 + payload.len());
    file.extend_from_slice(MAGIC);
    file.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
    file.extend_from_slice(&crc32_of(payload).to_le_bytes());
    file.extend_from_slice(&(payload.len() as u64).to_le_bytes());
    file.extend_from_slice(payload);
    file
}

fn crc32_of(bytes: &[u8]) -> u32 {
    let mut crc = flate2::Crc::new();
    crc.update(bytes);
    crc.sum()
}

/// The preparation section of a model file, checked against a small network, then applied to
/// a data set of the shape it names.
pub fn preparation(bytes: &[u8]) -> bool {
    let Ok(prep) = serde_json::from_slice::<Preparation>(bytes) else {
        return false;
    };
    // Checked against a network of the shape it names, as loading a model checks it.
    let shape = &prep.example_shape;
    if values_of(shape).is_none_or(|n| n > MAX_FORWARD_VALUES) {
        return true;
    }
    let classes = prep.classes.len();
    let Ok(net) = Network::<f32>::builder(shape)
        .layers(flatten_if_volume(shape))
        .dense(classes.max(1))
        .build(Reference, &mut Rng::seed(1))
    else {
        return true;
    };
    let Ok(prep) = Preparation::from_section(bytes, &net) else {
        return true;
    };
    let mut full = vec![2];
    full.extend_from_slice(shape);
    let x = Tensor::<f32>::zeros(&full);
    let classes = prep.classes.clone();
    if let Ok(mut data) = Dataset::with_classes(x, vec![0, 1], classes) {
        if prep.apply(&mut data).is_ok() {
            if let Ok(x) = prep.tensor(&data) {
                let _ = net.predict_proba(&x);
            }
        }
    }
    true
}

/// A flatten layer for image volumes, nothing for rows of features.
fn flatten_if_volume(shape: &[usize]) -> Vec<nn_core::layer::LayerSpec> {
    if shape.len() == 3 {
        vec![nn_conv::FlattenConfig::default().into()]
    } else {
        Vec::new()
    }
}

/// A safetensors file, imported into a small CNN, then a prediction.
pub fn safetensors(bytes: &[u8]) -> bool {
    let Ok(state) = StateDict::from_bytes(bytes) else {
        return false;
    };
    for tensor in state.tensors() {
        let _ = tensor.values.floats::<f32>();
    }
    let mut net = small_cnn();
    if nn_core::torch::import(&mut net, &state).is_ok() {
        predict(&net);
    }
    true
}

/// An IDX file, plain or gzipped, then a prediction on its images.
pub fn idx_file(bytes: &[u8]) -> bool {
    let Ok(decoded) = idx::from_bytes(bytes, NAME) else {
        return false;
    };
    predict_on_images(&decoded);
    true
}

/// The fuzzer's bytes gzipped, then read as an IDX file: mutations reach the IDX decoder behind
/// the gzip stream (the plain target meets gzip's own checks first).
pub fn idx_gzip(bytes: &[u8]) -> bool {
    use std::io::Write;
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(bytes).expect("writing to memory");
    let gzipped = gz.finish().expect("writing to memory");
    idx_file(&gzipped)
}

/// `(m, h, w)` images as a batch of volumes through a small network.
fn predict_on_images(decoded: &idx::Idx) {
    let &[m, h, w] = decoded.dims.as_slice() else {
        return;
    };
    if m == 0 || h.saturating_mul(w) > MAX_FORWARD_VALUES {
        return;
    }
    let m = m.min(4);
    let values = decoded.values[..m * h * w]
        .iter()
        .map(|&v| f32::from(v))
        .collect();
    let x = Tensor::from_vec(&[m, h * w], values).expect("m·h·w values");
    if let Ok(net) = dense_net(h * w) {
        let _ = net.predict_proba(&x);
    }
}

/// A CSV table with a label column, and as rows to predict, then a prediction.
pub fn csv_table(bytes: &[u8]) -> bool {
    let table = Csv::new(Label::LastClass).from_bytes(bytes, NAME);
    if let Ok(data) = &table {
        predict_rows(data.x());
    }
    if let Ok(rows) = Csv::new(Label::None).features_from_bytes(bytes, NAME) {
        predict_rows(&rows.x);
    }
    table.is_ok()
}

/// Rows of features through a small dense network.
fn predict_rows(x: &Tensor<f32>) {
    let &[_, n] = x.shape() else {
        return;
    };
    if n > MAX_FORWARD_VALUES {
        return;
    }
    if let Ok(net) = dense_net(n) {
        let _ = net.predict_proba(x);
    }
}

/// The course's HDF5 file, both splits, then a prediction on its images.
pub fn course_h5_file(bytes: &[u8]) -> bool {
    let mut decoded = false;
    for prefix in ["train", "test"] {
        if let Ok(set) = course_h5::from_bytes(bytes, NAME, prefix) {
            let data: Dataset = set.into();
            predict_rows(&data.flattened());
            decoded = true;
        }
    }
    decoded
}

/// One image file, decoded and resized to 16×16 RGB, then through a small CNN.
pub fn image(bytes: &[u8]) -> bool {
    let options = ImageOptions::new().size(16, 16);
    let Ok(pixels) = options.decode(bytes, NAME) else {
        return false;
    };
    let [h, w, c] = options.example_shape();
    let values = pixels.into_iter().map(f32::from).collect();
    let x = Tensor::from_vec(&[1, h, w, c], values).expect("h·w·c pixels");
    let _ = small_cnn().predict_proba(&x);
    true
}

/// A model description: JSON if the first byte is `{`, else TOML; then the network it
/// describes for 8×8 RGB images and for rows of 12 features, and a prediction.
pub fn description(bytes: &[u8]) -> bool {
    let Ok(text) = std::str::from_utf8(bytes) else {
        return false;
    };
    let json = text.trim_start().starts_with('{');
    let Ok(file) = nn_cli::model_file::ModelFile::parse(text, json, Path::new(NAME)) else {
        return false;
    };
    for shape in [&[8, 8, 3][..], &[12][..]] {
        let built = Network::<f32>::builder(shape)
            .init(file.init.unwrap_or(nn_core::Init::He))
            .layers(file.layers.clone())
            .dense(1)
            .build(Reference, &mut Rng::seed(1));
        if let Ok(net) = built {
            predict(&net);
        }
    }
    true
}

/// A prediction on two zero examples of the network's input shape, unless an example or a
/// layer's output is larger than [`MAX_FORWARD_VALUES`].
fn predict(net: &Network<f32>) {
    let shape = net.input_shape();
    let largest = net
        .layers()
        .iter()
        .map(|l| values_of(l.output_shape()))
        .chain([values_of(shape)])
        .try_fold(0usize, |most, n| n.map(|n| most.max(n)));
    if largest.is_none_or(|n| n > MAX_FORWARD_VALUES) {
        return;
    }
    let mut full = vec![2];
    full.extend_from_slice(shape);
    let _ = net.predict_proba(&Tensor::zeros(&full));
}

/// The number of values of `shape`, if it fits a `usize`.
fn values_of(shape: &[usize]) -> Option<usize> {
    shape.iter().try_fold(1usize, |n, &d| n.checked_mul(d))
}

/// A convolution, pooling and a dense layer over 16×16 RGB images, one logit.
fn small_cnn() -> Network<f32> {
    use nn_conv::{ConvLayers, Padding};
    Network::<f32>::builder(&[16, 16, 3])
        .conv2d(4, 3, Padding::Same)
        .relu()
        .max_pool(2)
        .flatten()
        .dense(1)
        .build(Reference, &mut Rng::seed(1))
        .expect("a valid network")
}

/// One hidden dense layer over `n` features, one logit (an error for no features: the
/// builder must say so, not panic).
fn dense_net(n: usize) -> nn_core::Result<Network<f32>> {
    Network::<f32>::builder(&[n])
        .dense(3)
        .relu()
        .dense(1)
        .build(Reference, &mut Rng::seed(1))
}
