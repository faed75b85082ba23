//! Models that travel to and from PyTorch: a network's parameters and running statistics as
//! the state dict of the `nn.Sequential` with the same layers ([`export`]), and a network's
//! tensors set from such a state dict ([`import`]), through the safetensors format
//! ([`StateDict`]).
//!
//! Each layer kind says once, in [`LayerConfig::torch`](crate::layer::LayerConfig::torch),
//! what PyTorch module it is and how its tensors map: names (`weight`, `bias`,
//! `running_mean`, …), axis order (a convolution's `(F, k_h, k_w, C)` is PyTorch's
//! `(F, C, k_h, k_w)`), and which axis counts flat input features. The one thing no single
//! layer knows is the order of features after a `Flatten`: we flatten `(h, w, c)` volumes
//! channels last, PyTorch flattens `(c, h, w)`, so the first layer after a flatten that has
//! per-feature tensors (a dense layer's weight columns, a batch norm's vectors) has them
//! re-ordered here ([`channels_first_order`]).
//!
//! ```
//! use nn_core::{torch, Loss, Network, Reference, Rng};
//! let net = Network::<f32>::builder(&[4])
//!     .dense(3)
//!     .relu()
//!     .dense(2)
//!     .loss(Loss::CategoricalCrossEntropy)
//!     .build(Reference, &mut Rng::seed(0))?;
//! let exported = torch::export(&net)?;
//! assert_eq!(exported.modules, ["nn.Linear(4, 3)", "nn.ReLU()", "nn.Linear(3, 2)"]);
//! let names: Vec<&str> = exported.state.tensors().iter().map(|t| t.name.as_str()).collect();
//! assert_eq!(names, ["0.weight", "0.bias", "2.weight", "2.bias"]);
//!
//! // And back: the same tensors into a freshly built network of the same layers.
//! let mut other = Network::<f32>::builder(&[4])
//!     .dense(3)
//!     .relu()
//!     .dense(2)
//!     .loss(Loss::CategoricalCrossEntropy)
//!     .build(Reference, &mut Rng::seed(1))?;
//! torch::import(&mut other, &exported.state)?;
//! assert_eq!(other.parameters(), net.parameters());
//! # Ok::<(), nn_core::Error>(())
//! ```

mod layout;
mod state_dict;

pub use layout::channels_first_order;
pub use state_dict::{
    NamedTensor, SafetensorsError, StateDict, Values, MAX_FILE_BYTES, MAX_HEADER_BYTES,
    MAX_INTEGERS,
};

use crate::error::{shape_str, Error, Result};
use crate::layer::Layer;
use crate::{Float, Network, Tensor};
use layout::{gather_axis, invert, permute};

/// How one layer appears in PyTorch: its module in an `nn.Sequential` and its tensors.
#[derive(Clone, Debug, PartialEq)]
pub struct TorchModule {
    /// The module's constructor in Python, with `torch.nn` imported as `nn`, e.g.
    /// `nn.Linear(12288, 20)`.
    pub code: String,
    /// Its tensors, in the order of its `state_dict()`.
    pub tensors: Vec<TorchTensor>,
    /// What the layer does to the order of flat features.
    pub features: Features,
}

impl TorchModule {
    /// A module without tensors that keeps the order of features (an activation).
    pub fn new(code: impl Into<String>) -> Self {
        TorchModule {
            code: code.into(),
            tensors: Vec::new(),
            features: Features::Keeps,
        }
    }

    /// With one more tensor.
    pub fn tensor(mut self, tensor: TorchTensor) -> Self {
        self.tensors.push(tensor);
        self
    }

    /// With this effect on the order of features.
    pub fn features(mut self, features: Features) -> Self {
        self.features = features;
        self
    }
}

/// What a layer does to the order of flat features (see the [module](self) docs).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Features {
    /// Its outputs are its inputs' features, in the same order (activations, dropout, batch
    /// norm, softmax).
    Keeps,
    /// Its outputs are new features, ordered alike on both sides (dense, convolution, pooling).
    Replaces,
    /// It flattens `(h, w, c)` volumes, in our order `(h, w, c)` and PyTorch's `(c, h, w)`.
    Flattens,
}

/// One tensor of a PyTorch module and where it is in our layer.
#[derive(Clone, Debug, PartialEq)]
pub struct TorchTensor {
    /// Its name in the module, e.g. `weight`.
    pub name: &'static str,
    /// Where its values are in our layer.
    pub source: Source,
    /// PyTorch's axis `j` is our axis `axes[j]` (empty: the same order).
    pub axes: Vec<usize>,
    /// The axis (PyTorch's) indexed by the layer's flat input features, if any.
    pub feature_axis: Option<usize>,
}

impl TorchTensor {
    /// Our `k`-th parameter (in `visit_params` order), axes alike.
    pub fn param(name: &'static str, k: usize) -> Self {
        Self::of(name, Source::Param(k))
    }

    /// Our `k`-th buffer (in `visit_buffers` order), axes alike.
    pub fn buffer(name: &'static str, k: usize) -> Self {
        Self::of(name, Source::Buffer(k))
    }

    /// A count we do not keep (batch norm's `num_batches_tracked`).
    pub fn batch_count(name: &'static str) -> Self {
        Self::of(name, Source::BatchCount)
    }

    fn of(name: &'static str, source: Source) -> Self {
        TorchTensor {
            name,
            source,
            axes: Vec::new(),
            feature_axis: None,
        }
    }

    /// With PyTorch's axis `j` being our axis `axes[j]`.
    pub fn axes(mut self, axes: &[usize]) -> Self {
        self.axes = axes.to_vec();
        self
    }

    /// With PyTorch's axis `axis` indexed by the layer's input features.
    pub fn feature_axis(mut self, axis: usize) -> Self {
        self.feature_axis = Some(axis);
        self
    }
}

/// Where a [`TorchTensor`]'s values are in our layer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source {
    /// The layer's `k`-th parameter.
    Param(usize),
    /// The layer's `k`-th buffer.
    Buffer(usize),
    /// PyTorch's count of training batches (an `int64` scalar): exported as the optimiser's
    /// step count, ignored on import (it only matters to `momentum=None`).
    BatchCount,
}

/// A network as PyTorch sees it: the modules of its `nn.Sequential` and their state dict.
#[derive(Clone, Debug, PartialEq)]
pub struct Exported {
    /// Each layer's module constructor, in order (`nn.Sequential(*modules)`).
    pub modules: Vec<String>,
    /// The tensors, named `{index}.{name}` as `nn.Sequential` names them.
    pub state: StateDict,
}

/// One layer's place in the PyTorch network.
struct Planned {
    module: TorchModule,
    /// Our `(h, w, c)` volume whose flattening the layer's input features are, if it is not
    /// PyTorch's order.
    flattened: Option<[usize; 3]>,
}

/// The PyTorch module of every layer of `net`, with the flatten order each one sees.
fn plan<T: Float>(net: &Network<T>) -> Result<Vec<Planned>> {
    let mut flattened: Option<[usize; 3]> = None;
    let mut planned = Vec::with_capacity(net.layers().len());
    for (i, layer) in net.layers().iter().enumerate() {
        let input = layer.input_shape();
        let module = layer.spec().config().torch(input).ok_or_else(|| {
            Error::Config(format!(
                "layer {i} ({}) has no PyTorch equivalent to export or import",
                layer.name()
            ))
        })?;
        let next = match module.features {
            Features::Keeps => flattened,
            Features::Replaces => None,
            Features::Flattens => match *input {
                // A volume of one pixel or one channel flattens alike on both sides.
                [h, w, c] if h * w > 1 && c > 1 => Some([h, w, c]),
                [_, _, _] => None,
                // Flattening flat features changes nothing.
                _ => flattened,
            },
        };
        planned.push(Planned { module, flattened });
        flattened = next;
    }
    if let Some([h, w, c]) = flattened {
        return Err(Error::Config(format!(
            "the network ends with features flattened from ({h}, {w}, {c}) volumes, which \
             PyTorch orders (c, h, w): end it with a dense layer to export or import it"
        )));
    }
    let output = net.layers().last().map_or(&[][..], |l| l.output_shape());
    if output.len() != 1 {
        return Err(Error::Config(format!(
            "the network ends with examples of shape {output:?}, which PyTorch lays out \
             channels first: end it with a flatten (and a dense layer) to export or import it"
        )));
    }
    Ok(planned)
}

/// The values of one of our tensors, or `None` for [`Source::BatchCount`]; an error if the
/// layer's mapping names a tensor the layer does not have (a bug of that mapping). Reads
/// through `params()` and `buffers()`, whose order is `visit_params`'s and `visit_buffers`'s
/// (the [`Layer`] contract), through which [`import`] writes.
fn our_tensor<T: Float>(layer: &dyn Layer<T>, source: Source) -> Result<Option<&Tensor<T>>> {
    let (found, k, what) = match source {
        Source::Param(k) => (layer.params().get(k).copied(), k, "parameter"),
        Source::Buffer(k) => (layer.buffers().get(k).copied(), k, "buffer"),
        Source::BatchCount => return Ok(None),
    };
    match found {
        Some(tensor) => Ok(Some(tensor)),
        None => Err(Error::Config(format!(
            "{}'s PyTorch mapping names its {what} {k}, which it does not have",
            layer.name()
        ))),
    }
}

/// The shape of `ours` with PyTorch's axis order.
fn torch_shape(ours: &[usize], axes: &[usize]) -> Vec<usize> {
    if axes.is_empty() {
        ours.to_vec()
    } else {
        axes.iter().map(|&a| ours[a]).collect()
    }
}

/// `net`'s layers as PyTorch modules and its parameters and running statistics as their
/// state dict, in `T`'s precision (F32 or F64); batch norm's `num_batches_tracked` is the
/// optimiser's step count.
pub fn export<T: Float>(net: &Network<T>) -> Result<Exported> {
    let steps = net.optimizer_state().map_or(0, |s| s.step()) as i64;
    let mut state = StateDict::new();
    let mut modules = Vec::new();
    for (i, (layer, planned)) in net.layers().iter().zip(plan(net)?).enumerate() {
        for t in &planned.module.tensors {
            let name = format!("{i}.{}", t.name);
            let Some(ours) = our_tensor(&**layer, t.source)? else {
                state.push(name, &[], Values::I64(vec![steps]))?;
                continue;
            };
            let shape = torch_shape(ours.shape(), &t.axes);
            let mut values = permute(ours.data(), ours.shape(), &t.axes);
            if let (Some(axis), Some([h, w, c])) = (t.feature_axis, planned.flattened) {
                values = gather_axis(&values, &shape, axis, &channels_first_order(h, w, c));
            }
            state.push(name, &shape, T::to_param_data(&values).into())?;
        }
        modules.push(planned.module.code);
    }
    Ok(Exported { modules, state })
}

/// Sets `net`'s parameters and running statistics from a PyTorch state dict of the
/// `nn.Sequential` with the same layers (as [`export`] names them). Every tensor is checked
/// before anything is changed: its name, shape, that it holds finite floating-point values
/// (F32 and F64 as they are, F16 and BF16 widened); the error lists every missing,
/// mismatched and unexpected tensor. The optimiser state is forgotten, since its velocities
/// belong to the old weights.
pub fn import<T: Float>(net: &mut Network<T>, state: &StateDict) -> Result<()> {
    let planned = plan(net)?;
    let mut problems = Vec::new();
    let mut expected = std::collections::HashSet::new();
    let mut loads: Vec<(usize, Source, Vec<T>)> = Vec::new();
    for (i, (layer, planned)) in net.layers().iter().zip(&planned).enumerate() {
        for t in &planned.module.tensors {
            let name = format!("{i}.{}", t.name);
            expected.insert(name.clone());
            let found = state.get(&name);
            let Some(ours) = our_tensor(&**layer, t.source)? else {
                if let Some(found) = found.filter(|f| !matches!(f.values, Values::I64(_))) {
                    problems.push(format!("{name}: {}, expected integers", found.stored));
                }
                continue;
            };
            let shape = torch_shape(ours.shape(), &t.axes);
            match found.map(|f| checked_values::<T>(f, &shape)) {
                None => problems.push(format!("missing {name} {}", shape_str(&shape))),
                Some(Err(problem)) => problems.push(problem),
                Some(Ok(mut values)) => {
                    if let (Some(axis), Some([h, w, c])) = (t.feature_axis, planned.flattened) {
                        let order = invert(&channels_first_order(h, w, c));
                        values = gather_axis(&values, &shape, axis, &order);
                    }
                    loads.push((i, t.source, permute(&values, &shape, &invert(&t.axes))));
                }
            }
        }
    }
    for t in state
        .tensors()
        .iter()
        .filter(|t| !expected.contains(&t.name))
    {
        problems.push(format!("unexpected {} {}", t.name, shape_str(&t.shape)));
    }
    if !problems.is_empty() {
        let more = problems.len().saturating_sub(MAX_PROBLEMS_LISTED);
        problems.truncate(MAX_PROBLEMS_LISTED);
        if more > 0 {
            problems.push(format!("and {more} more"));
        }
        return Err(Error::Input(format!(
            "the state dict does not fit this network ({} layers): {}",
            net.layers().len(),
            problems.join("; ")
        )));
    }
    net.set_tensors(loads);
    Ok(())
}

/// The most problems an import error lists (a hostile file may name a million tensors).
const MAX_PROBLEMS_LISTED: usize = 20;

/// The values of `found` as `T`, if they are finite floats of `shape`.
fn checked_values<T: Float>(found: &NamedTensor, shape: &[usize]) -> Result<Vec<T>, String> {
    let name = &found.name;
    if found.shape != shape {
        return Err(format!(
            "{name}: expected {}, found {}",
            shape_str(shape),
            shape_str(&found.shape)
        ));
    }
    let values = found
        .values
        .floats::<T>()
        .ok_or_else(|| format!("{name}: {}, expected floating-point values", found.stored))?;
    if let Some(i) = values.iter().position(|v| !v.is_finite()) {
        let stored = match &found.values {
            Values::F64(v) if v[i].is_finite() => format!("{}, too large for {}", v[i], T::NAME),
            _ => values[i].to_string(),
        };
        return Err(format!("{name}: value {i} is {stored}"));
    }
    Ok(values)
}

impl<T: Float> Network<T> {
    /// Replaces tensors by `(layer, source, values in our layout)`, all already checked to
    /// fit, and forgets the optimiser state and training summary, which described the old
    /// weights.
    fn set_tensors(&mut self, loads: Vec<(usize, Source, Vec<T>)>) {
        for (i, source, values) in loads {
            let layer = &mut self.layers_mut()[i];
            let mut k = 0;
            let put = |t: &mut Tensor<T>| t.data_mut().copy_from_slice(&values);
            match source {
                Source::Param(want) => layer.visit_params(&mut |p| {
                    if k == want {
                        put(p.value);
                    }
                    k += 1;
                }),
                Source::Buffer(want) => layer.visit_buffers(&mut |b| {
                    if k == want {
                        put(b);
                    }
                    k += 1;
                }),
                Source::BatchCount => {}
            }
        }
        self.reset_optimizer();
        self.forget_training();
    }
}
