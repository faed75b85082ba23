//! Saving and loading whole networks: architecture (each layer's description), parameters,
//! optimiser state, how the network was trained, and other crates' sections, in the format of
//! [`crate::persist`].

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::TrainingSummary;
use crate::error::{shape_str, Error, Result};
use crate::layer::{Layer, LayerRegistry};
use crate::optim::{Optimizer, OptimizerState};
use crate::persist::{self, LayerRecord, ParamData, Section};
use crate::{Float, Init, IntoBackend, Loss, Network, Rng};

#[derive(Serialize, Deserialize)]
struct OptimizerRecord {
    optimizer: Optimizer,
    step: u64,
    epochs: u64,
    #[serde(deserialize_with = "persist::bounded::<_, _, { 1 << 20 }>")]
    slots: Vec<ParamData>,
}

/// Everything a model file holds.
#[derive(Serialize, Deserialize)]
struct ModelFile {
    element: String,
    #[serde(deserialize_with = "persist::bounded::<_, _, 32>")]
    input_shape: Vec<usize>,
    loss: Loss,
    #[serde(deserialize_with = "persist::bounded::<_, _, 65536>")]
    layers: Vec<LayerRecord>,
    optimizer: Option<OptimizerRecord>,
    training: Option<TrainingSummary>,
    #[serde(deserialize_with = "persist::bounded::<_, _, 64>")]
    sections: Vec<Section>,
}

/// Rebuilds one layer for examples of `input` from its record: the description is decoded
/// by `registry`, the parameter shapes it implies are checked against the stored tensors
/// before anything of that size is allocated, then the layer is built and the parameters
/// copied in.
fn layer_from_record<T: Float>(
    record: &LayerRecord,
    input: &[usize],
    registry: &LayerRegistry,
) -> Result<Box<dyn Layer<T>>, String> {
    let json: serde_json::Value = serde_json::from_slice(&record.spec)
        .map_err(|e| format!("the layer description is not JSON: {e}"))?;
    if let Some(kind) = json.get("type").and_then(|k| k.as_str()) {
        if !registry.knows(kind) {
            let known: Vec<&str> = registry.kinds().collect();
            return Err(format!(
                "unknown layer kind {kind:?} (known: {}); a layer from another crate needs that \
                 crate's kinds registered (nn_conv::registry() for convolutions)",
                known.join(", ")
            ));
        }
    }
    let spec = registry.from_json(json)?;
    let config = spec.config();
    let out = config.output_shape(input).map_err(|e| e.to_string())?;
    super::example_size(&out).map_err(|e| e.to_string())?;
    let shapes = config.param_shapes(input);
    if shapes.len() != record.params.len() {
        return Err(format!(
            "{spec} needs {} parameter tensors, the file has {}",
            shapes.len(),
            record.params.len()
        ));
    }
    for (i, (shape, stored)) in shapes.iter().zip(&record.params).enumerate() {
        let values = shape.iter().try_fold(1usize, |n, &d| n.checked_mul(d));
        if values != Some(stored.len()) {
            return Err(format!(
                "{spec} over {} needs parameter {i} of shape {}, the file has {} values",
                shape_str(input),
                shape_str(shape),
                stored.len()
            ));
        }
    }
    let mut layer = spec
        .build::<T>(input, Init::Zeros, &mut Rng::seed(0))
        .map_err(|e| e.to_string())?;
    let mut stored = record.params.iter();
    let mut copy = |value: &mut crate::Tensor<T>| {
        let values = T::from_param_data(stored.next().expect("counted above"));
        value.data_mut().copy_from_slice(&values);
    };
    layer.visit_params(&mut |p| copy(p.value));
    layer.visit_buffers(&mut |b| copy(b));
    Ok(layer)
}

impl<T: Float> Network<T> {
    /// The model file's bytes; an error if the model is larger than loading accepts.
    pub fn to_bytes(&self) -> Result<Vec<u8>> {
        self.to_bytes_with(&[])
    }

    /// The model file's bytes with other crates' `sections` (such as nn-data's preparation of
    /// inputs).
    pub fn to_bytes_with(&self, sections: &[Section]) -> Result<Vec<u8>> {
        let file = ModelFile {
            element: T::NAME.to_string(),
            input_shape: self.input_shape.clone(),
            loss: self.loss,
            layers: self.layers.iter().map(|l| record_of(&**l)).collect(),
            optimizer: self.optimizer.as_ref().map(|s| OptimizerRecord {
                optimizer: s.optimizer,
                step: s.step,
                epochs: s.epochs,
                slots: s.slots.iter().map(|v| T::to_param_data(v)).collect(),
            }),
            training: self.training.clone(),
            sections: sections.to_vec(),
        };
        persist::to_bytes(&file).map_err(Error::Config)
    }

    /// Saves the network to `path` (written to a temporary file, then renamed into place).
    pub fn save(&self, path: impl AsRef<Path>) -> Result<()> {
        persist::write_atomically(path.as_ref(), &self.to_bytes()?)
    }

    /// Saves the network with other crates' `sections`.
    pub fn save_with(&self, path: impl AsRef<Path>, sections: &[Section]) -> Result<()> {
        persist::write_atomically(path.as_ref(), &self.to_bytes_with(sections)?)
    }

    /// Loads a network of `nn-core`'s layers saved by [`save`](Network::save).
    pub fn load(path: impl AsRef<Path>, backend: impl IntoBackend<T>) -> Result<Self> {
        Self::load_with(path, backend, &LayerRegistry::core())
    }

    /// Loads a network whose layers `registry` knows (e.g. with convolution layers).
    pub fn load_with(
        path: impl AsRef<Path>,
        backend: impl IntoBackend<T>,
        registry: &LayerRegistry,
    ) -> Result<Self> {
        Ok(Self::open(path, backend, registry)?.0)
    }

    /// Loads a network and the sections saved with it.
    pub fn open(
        path: impl AsRef<Path>,
        backend: impl IntoBackend<T>,
        registry: &LayerRegistry,
    ) -> Result<(Self, Vec<Section>)> {
        let path = path.as_ref();
        Self::from_bytes_with_sections(&persist::read_file(path)?, path, backend, registry)
    }

    /// Rebuilds a network from a model file's bytes; `path` names the source in errors.
    pub fn from_bytes(
        bytes: &[u8],
        path: impl AsRef<Path>,
        backend: impl IntoBackend<T>,
        registry: &LayerRegistry,
    ) -> Result<Self> {
        Ok(Self::from_bytes_with_sections(bytes, path, backend, registry)?.0)
    }

    /// Rebuilds a network and its sections from a model file's bytes.
    pub fn from_bytes_with_sections(
        bytes: &[u8],
        path: impl AsRef<Path>,
        backend: impl IntoBackend<T>,
        registry: &LayerRegistry,
    ) -> Result<(Self, Vec<Section>)> {
        let path = path.as_ref();
        let err = |message: String| Error::Format {
            path: path.to_path_buf(),
            message,
        };
        let file: ModelFile = persist::from_bytes(bytes, path)?;
        if file.element != "f32" && file.element != "f64" {
            return Err(err(format!(
                "parameters of element type {:?}, not f32 or f64",
                file.element
            )));
        }
        super::example_size(&file.input_shape).map_err(|e| err(e.to_string()))?;
        let mut layers: Vec<Box<dyn Layer<T>>> = Vec::with_capacity(file.layers.len().min(64));
        let mut shape = file.input_shape.clone();
        for (i, record) in file.layers.iter().enumerate() {
            let layer = layer_from_record::<T>(record, &shape, registry)
                .map_err(|e| err(format!("layer {i}: {e}")))?;
            shape = layer.output_shape().to_vec();
            layers.push(layer);
        }
        let mut net = Network::from_layers(backend, &file.input_shape, layers, file.loss)
            .map_err(|e| err(e.to_string()))?;
        if let Some(o) = file.optimizer {
            let slots: Vec<Vec<T>> = o.slots.iter().map(T::from_param_data).collect();
            let state = OptimizerState {
                optimizer: o.optimizer,
                step: o.step,
                epochs: o.epochs,
                slots,
            };
            if !state.fits(&o.optimizer, &net.param_sizes()) {
                return Err(err("optimiser state does not match the parameters".into()));
            }
            net.optimizer = Some(state);
        }
        net.training = file.training;
        Ok((net, file.sections))
    }
}

/// What a model file stores of a layer: its description, its parameters, then its buffers.
fn record_of<T: Float>(layer: &dyn Layer<T>) -> LayerRecord {
    LayerRecord {
        spec: layer.spec().to_json().to_string().into_bytes(),
        params: layer
            .params()
            .into_iter()
            .chain(layer.buffers())
            .map(|p| T::to_param_data(p.data()))
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{FitConfig, Reference, Rng, Tensor};

    /// A dense record of `units` units holding `weights` weights and `units` biases.
    fn dense(units: usize, weights: usize) -> LayerRecord {
        LayerRecord {
            spec: format!(r#"{{"type":"dense","units":{units}}}"#).into_bytes(),
            params: vec![
                ParamData::F32(vec![0.5; weights]),
                ParamData::F32(vec![0.0; units.min(4)]),
            ],
        }
    }

    fn file_for(
        input_shape: Vec<usize>,
        layers: Vec<LayerRecord>,
        optimizer: Option<OptimizerRecord>,
    ) -> Vec<u8> {
        persist::to_bytes(&ModelFile {
            element: "f32".into(),
            input_shape,
            loss: Loss::BinaryCrossEntropy,
            layers,
            optimizer,
            training: None,
            sections: Vec::new(),
        })
        .unwrap()
    }

    fn file(layers: Vec<LayerRecord>, optimizer: Option<OptimizerRecord>) -> Vec<u8> {
        file_for(vec![2], layers, optimizer)
    }

    fn load(bytes: &[u8]) -> Result<Network<f32>> {
        Network::from_bytes(
            bytes,
            Path::new("hostile.nn"),
            Reference,
            &LayerRegistry::core(),
        )
    }

    fn message(bytes: &[u8]) -> String {
        load(bytes)
            .err()
            .expect("a hostile file loaded")
            .to_string()
    }

    #[test]
    fn a_well_formed_file_loads() {
        assert!(load(&file(vec![dense(1, 2)], None)).is_ok());
    }

    #[test]
    fn a_layer_whose_config_disagrees_with_its_parameters_is_refused() {
        let e = message(&file(vec![dense(1, 3)], None));
        assert!(
            e.starts_with(
                "hostile.nn: layer 0: Dense(1) over (2,) needs parameter 0 of shape (1, 2), the \
                 file has 3 values"
            ),
            "{e}"
        );
        let e = message(&file(vec![dense(1 << 31, 2)], None));
        assert!(e.contains("needs"), "{e}");
    }

    #[test]
    fn layers_whose_parameters_do_not_chain_are_refused() {
        // The second layer's weights were made for 4 inputs, but the first gives 3.
        let mut first = dense(3, 6);
        first.params[1] = ParamData::F32(vec![0.0; 3]);
        let e = message(&file(vec![first, dense(1, 4)], None));
        assert!(
            e.contains("layer 1: Dense(1) over (3,) needs parameter 0 of shape (1, 3)"),
            "{e}"
        );
    }

    #[test]
    fn overflowing_shapes_are_refused() {
        let relu = LayerRecord {
            spec: br#"{"type":"relu"}"#.to_vec(),
            params: Vec::new(),
        };
        let e = message(&file_for(vec![1 << 32, 1 << 32], vec![relu], None));
        assert!(e.contains("too large"), "{e}");
    }

    #[test]
    fn unknown_kinds_and_bad_descriptions_are_refused() {
        let record = |spec: &str| LayerRecord {
            spec: spec.as_bytes().to_vec(),
            params: Vec::new(),
        };
        let e = message(&file(vec![record(r#"{"type":"conv9d"}"#)], None));
        assert!(e.contains("layer 0: unknown layer kind \"conv9d\""), "{e}");
        let e = message(&file(vec![record(r#"{"type":"dropout","rate":7}"#)], None));
        assert!(e.contains("rate must be in [0, 1)"), "{e}");
        let e = message(&file(vec![record("not json")], None));
        assert!(e.contains("not JSON"), "{e}");
    }

    #[test]
    fn optimiser_state_must_match_the_parameters() {
        let slots = vec![ParamData::F32(vec![0.0; 2]), ParamData::F32(vec![0.0; 5])];
        let record = OptimizerRecord {
            optimizer: Optimizer::momentum(0.1),
            step: 3,
            epochs: 3,
            slots,
        };
        let e = message(&file(vec![dense(1, 2)], Some(record)));
        assert!(e.contains("optimiser state does not match"), "{e}");
    }

    #[test]
    fn a_saturated_step_count_trains_without_overflow() {
        // Adam keeps two slots per tensor: W (2 values) then b (1 value).
        let slots = [2, 2, 1, 1].map(|n| ParamData::F32(vec![0.0; n])).to_vec();
        let record = OptimizerRecord {
            optimizer: Optimizer::adam(0.1),
            step: u64::MAX,
            epochs: u64::MAX,
            slots,
        };
        let mut net = load(&file(vec![dense(1, 2)], Some(record))).unwrap();
        let x = Tensor::from_vec(&[2, 2], vec![1.0, 0.0, 0.0, 1.0]).unwrap();
        let y = Tensor::from_vec(&[2, 1], vec![1.0, 0.0]).unwrap();
        net.fit(
            &x,
            &y,
            &FitConfig::new(Optimizer::adam(0.1)).epochs(3),
            &mut Rng::seed(0),
        )
        .unwrap();
        assert!(net
            .parameters()
            .iter()
            .all(|p| p.data().iter().all(|v| v.is_finite())));
    }

    #[test]
    fn too_many_layers_are_refused_before_they_are_allocated() {
        let empty = LayerRecord {
            spec: Vec::new(),
            params: Vec::new(),
        };
        let e = message(&file(vec![empty; 65537], None));
        assert!(e.contains("at most 65536"), "{e}");
    }
}
