//! Saving and loading whole networks: architecture, parameters, optimiser state and how the
//! network was trained, in the format of [`crate::persist`].

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::TrainingSummary;
use crate::error::{Error, Result};
use crate::layer::LayerRegistry;
use crate::optim::{Optimizer, OptimizerState};
use crate::persist::{self, LayerRecord, ParamData};
use crate::{Backend, Float, Loss, Network};

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
}

impl<T: Float> Network<T> {
    /// The model file's bytes; an error if the model is larger than loading accepts.
    pub fn to_bytes(&self) -> Result<Vec<u8>> {
        let file = ModelFile {
            element: T::NAME.to_string(),
            input_shape: self.input_shape.clone(),
            loss: self.loss,
            layers: self.layers.iter().map(|l| l.record()).collect(),
            optimizer: self.optimizer.as_ref().map(|s| OptimizerRecord {
                optimizer: s.optimizer,
                step: s.step,
                epochs: s.epochs,
                slots: s.slots.iter().map(|v| T::to_param_data(v)).collect(),
            }),
            training: self.training.clone(),
        };
        persist::to_bytes(&file).map_err(Error::Config)
    }

    /// Saves the network to `path` (written to a temporary file, then renamed into place).
    pub fn save(&self, path: impl AsRef<Path>) -> Result<()> {
        persist::write_atomically(path.as_ref(), &self.to_bytes()?)
    }

    /// Loads a network of `nn-core`'s layers saved by [`save`](Network::save).
    pub fn load(path: impl AsRef<Path>, backend: impl Backend<T> + 'static) -> Result<Self> {
        Self::load_with(path, backend, &LayerRegistry::core())
    }

    /// Loads a network whose layers `registry` knows (e.g. with convolution layers).
    pub fn load_with(
        path: impl AsRef<Path>,
        backend: impl Backend<T> + 'static,
        registry: &LayerRegistry<T>,
    ) -> Result<Self> {
        let path = path.as_ref();
        Self::from_bytes(&persist::read_file(path)?, path, backend, registry)
    }

    /// Rebuilds a network from a model file's bytes; `path` names the source in errors.
    pub fn from_bytes(
        bytes: &[u8],
        path: &Path,
        backend: impl Backend<T> + 'static,
        registry: &LayerRegistry<T>,
    ) -> Result<Self> {
        let err = |message: String| Error::Format {
            path: path.to_path_buf(),
            message,
        };
        let file: ModelFile = persist::from_bytes(bytes, path)?;
        let mut layers = Vec::with_capacity(file.layers.len());
        for (i, record) in file.layers.iter().enumerate() {
            layers.push(
                registry
                    .load(record)
                    .map_err(|e| err(format!("layer {i} ({}): {e}", record.kind)))?,
            );
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
        Ok(net)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::persist::encode_config;
    use crate::{Activation, FitConfig, Reference, Rng, Tensor};

    /// A dense record claiming `n_in → n_out` and holding `weights` weights and one bias.
    fn dense(n_in: usize, n_out: usize, weights: usize) -> LayerRecord {
        #[derive(Serialize)]
        struct DenseConfig {
            n_in: usize,
            n_out: usize,
        }
        LayerRecord {
            kind: "dense".into(),
            config: encode_config(&DenseConfig { n_in, n_out }),
            params: vec![
                ParamData::F32(vec![0.5; weights]),
                ParamData::F32(vec![0.0; 1]),
            ],
        }
    }

    fn file(layers: Vec<LayerRecord>, optimizer: Option<OptimizerRecord>) -> Vec<u8> {
        persist::to_bytes(&ModelFile {
            element: "f32".into(),
            input_shape: vec![2],
            loss: Loss::BinaryCrossEntropy,
            layers,
            optimizer,
            training: None,
        })
        .unwrap()
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
        assert!(load(&file(vec![dense(2, 1, 2)], None)).is_ok());
    }

    #[test]
    fn a_layer_whose_config_disagrees_with_its_parameters_is_refused() {
        let e = message(&file(vec![dense(2, 1, 3)], None));
        assert!(
            e.starts_with("hostile.nn: layer 0 (dense): Dense(2→1) needs 1×2 weights"),
            "{e}"
        );
        let e = message(&file(vec![dense(1 << 40, 1 << 40, 2)], None));
        assert!(e.contains("needs"), "{e}");
    }

    #[test]
    fn layers_that_do_not_chain_are_refused() {
        let mut first = dense(2, 3, 6);
        first.params[1] = ParamData::F32(vec![0.0; 3]);
        let e = message(&file(vec![first, dense(4, 1, 4)], None));
        assert!(e.contains("layer 1 (Dense(4→1)): takes examples of shape (4,) but the previous layer gives (3,)"), "{e}");
    }

    #[test]
    fn overflowing_shapes_are_refused() {
        #[derive(Serialize)]
        struct ActivationConfig {
            activation: Activation,
            shape: Vec<usize>,
        }
        let huge = LayerRecord {
            kind: "activation".into(),
            config: encode_config(&ActivationConfig {
                activation: Activation::Relu,
                shape: vec![1 << 32, 1 << 32],
            }),
            params: Vec::new(),
        };
        let e = message(&file(vec![dense(2, 1, 2), huge], None));
        assert!(e.contains("too large"), "{e}");
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
        let e = message(&file(vec![dense(2, 1, 2)], Some(record)));
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
        let mut net = load(&file(vec![dense(2, 1, 2)], Some(record))).unwrap();
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
            kind: String::new(),
            config: Vec::new(),
            params: Vec::new(),
        };
        let e = message(&file(vec![empty; 65537], None));
        assert!(e.contains("at most 65536"), "{e}");
    }
}
