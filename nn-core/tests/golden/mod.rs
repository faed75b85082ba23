//! The golden fixtures of `data/torch/` (PyTorch's numbers, written by
//! `data/torch/make_fixtures.py`) and the one rule our numbers are compared to them by.
//! Shared by nn-core's and nn-conv's `torch_golden` tests (nn-conv includes this file by path).
//!
//! The rule: with `t` PyTorch's value and `scale = max |t|` over the tensor, ours `o` passes if
//!
//! `|o − t| ≤ rtol · (|t| + FLOOR · scale)`.
//!
//! That is a relative error, except for values far below the tensor's magnitude: a value
//! computed as a sum of terms of about that magnitude carries rounding errors of that
//! magnitude times the precision, however small the sum comes out (an output or gradient that
//! cancels to near zero, a weight crossing zero), so below `FLOOR · scale` the error is
//! measured against that floor instead. `FLOOR` is a tenth: the f32 checks show cancelled
//! values at a hundredth of the scale with errors of a few units of rtol there (a 45-term
//! convolution output, a weight Adam moved across zero), and in f64 a tenth still leaves an
//! allowance of `1e-11 · scale`. The scaled error `|o − t| / (|t| + FLOOR · scale)` is what
//! each check reports; its worst value per fixture is printed (`cargo test … -- --nocapture`).
#![allow(dead_code)]

use nn_core::layer::{Layer, LayerSpec, Mode};
use nn_core::torch::{StateDict, Values};
use nn_core::{Backend, Float, Init, Rng, Tensor};

/// The floor of the rule above, as a fraction of the tensor's largest magnitude.
pub const FLOOR: f64 = 0.1;

/// Strict checks in f64: both sides compute the same formulas in double precision.
pub const F64_RTOL: f64 = 1e-10;

/// Checks in f32, the realistic precision of single-precision computations that round in a
/// different order (unit roundoff 6e-8, sums of up to a few hundred terms).
pub const F32_RTOL: f64 = 1e-5;

/// Where the fixtures are, from either crate's manifest directory.
pub const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../data/torch/");

/// One fixture file, the tolerance its checks use and the worst scaled error so far.
pub struct Fixture {
    name: String,
    dict: StateDict,
    rtol: f64,
    worst: (f64, String),
}

/// `prefix.name`, or `name` without a prefix.
pub fn key(prefix: &str, name: &str) -> String {
    if prefix.is_empty() {
        name.to_string()
    } else {
        format!("{prefix}.{name}")
    }
}

impl Fixture {
    /// Reads `data/torch/{file}`; its checks allow `rtol`.
    pub fn open(file: &str, rtol: f64) -> Self {
        let path = format!("{DIR}{file}");
        let dict = StateDict::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
        Fixture {
            name: file.to_string(),
            dict,
            rtol,
            worst: (0.0, String::new()),
        }
    }

    /// The file's tensors and metadata.
    pub fn dict(&self) -> &StateDict {
        &self.dict
    }

    /// The fixture's settings (its one metadata string, a JSON object).
    pub fn settings(&self) -> serde_json::Value {
        serde_json::from_str(&self.dict.metadata()["settings"]).unwrap()
    }

    /// The tensor `name` as `T` (the file's own precision for the strict checks).
    pub fn tensor<T: Float>(&self, name: &str) -> Tensor<T> {
        let t = self
            .dict
            .get(name)
            .unwrap_or_else(|| panic!("{}: no tensor {name}", self.name));
        let values = t
            .values
            .floats::<T>()
            .unwrap_or_else(|| panic!("{}: {name} is not floating-point", self.name));
        Tensor::from_vec(&t.shape, values).unwrap()
    }

    /// The tensors whose names start with `prefix`, named without it (a state dict that the
    /// file holds among others, e.g. `init.` for a network's initial weights).
    pub fn sub(&self, prefix: &str) -> StateDict {
        let mut sub = StateDict::new();
        for t in self.dict.tensors() {
            if let Some(name) = t.name.strip_prefix(prefix) {
                sub.push(name, &t.shape, t.values.clone()).unwrap();
            }
        }
        assert!(
            !sub.is_empty(),
            "{}: no tensor starts with {prefix}",
            self.name
        );
        sub
    }

    /// Compares `ours` with the fixture's tensor `name`.
    pub fn check<T: Float>(&mut self, what: &str, ours: &Tensor<T>, name: &str) {
        let torch: Tensor<T> = self.tensor(name);
        self.check_against(what, ours, &torch);
    }

    /// Compares `ours` with `torch` (same shape) by the rule of the module docs; panics with
    /// the worst entry if it fails.
    pub fn check_against<T: Float>(&mut self, what: &str, ours: &Tensor<T>, torch: &Tensor<T>) {
        let what = format!("{}: {what}", self.name);
        assert_eq!(ours.shape(), torch.shape(), "{what}: shapes");
        let to64 = |t: &Tensor<T>| t.data().iter().map(|v| v.to_f64()).collect::<Vec<_>>();
        self.check_values(&what, &to64(ours), &to64(torch));
    }

    /// [`check_against`](Fixture::check_against) for values as `f64`.
    pub fn check_values(&mut self, what: &str, ours: &[f64], torch: &[f64]) {
        self.check_noisy(what, ours, torch, 0.0);
    }

    /// [`check_values`](Fixture::check_values) for values known to differ by up to `noise`
    /// (absolute) whatever the precision: the rule applies to what exceeds `noise`.
    pub fn check_noisy(&mut self, what: &str, ours: &[f64], torch: &[f64], noise: f64) {
        assert_eq!(ours.len(), torch.len(), "{what}: lengths");
        let scale = torch.iter().fold(0.0f64, |m, v| m.max(v.abs()));
        let (mut worst, mut at) = (0.0f64, 0);
        for (i, (&o, &t)) in ours.iter().zip(torch).enumerate() {
            let allowed = t.abs() + FLOOR * scale;
            // NaN stays NaN here (f64::max would drop it).
            let d = (o - t).abs() - noise;
            let d = if d.is_nan() { f64::NAN } else { d.max(0.0) };
            let e = if d == 0.0 {
                0.0
            } else if allowed > 0.0 {
                d / allowed
            } else {
                f64::INFINITY
            };
            // NaN fails too: it is taken as the worst.
            if e.is_nan() || e > worst {
                (worst, at) = (e, i);
            }
        }
        assert!(
            worst <= self.rtol,
            "{what}: entry {at} is {} where PyTorch has {} (scaled error {worst:.3e} > {:.0e})",
            ours[at],
            torch[at],
            self.rtol
        );
        if worst > self.worst.0 {
            self.worst = (worst, what.to_string());
        }
    }

    /// Prints the worst scaled error of this fixture's checks.
    pub fn report(&self) {
        let (worst, what) = &self.worst;
        println!(
            "{:28} worst scaled error {worst:.2e} (limit {:.0e}) {what}",
            self.name, self.rtol
        );
    }
}

/// `values` as an `f64` vector (integers too: `num_batches_tracked`).
pub fn as_f64(values: &Values) -> Vec<f64> {
    match values {
        Values::I64(v) => v.iter().map(|&i| i as f64).collect(),
        other => other.floats::<f64>().unwrap(),
    }
}

/// Checks our state dict against PyTorch's: the same names, shapes, and values by the rule
/// (integers, batch norm's step counts, exactly); the tensors named in `noisy` may differ by
/// their absolute noise besides (see [`Fixture::check_noisy`]).
pub fn check_state(
    f: &mut Fixture,
    what: &str,
    (ours, torch): (&StateDict, &StateDict),
    noisy: &[(&str, f64)],
) {
    let names = |d: &StateDict| {
        let mut n: Vec<String> = d.tensors().iter().map(|t| t.name.clone()).collect();
        n.sort();
        n
    };
    assert_eq!(names(ours), names(torch), "{what}: tensor names");
    for t in torch.tensors() {
        let o = ours.get(&t.name).unwrap();
        assert_eq!(o.shape, t.shape, "{what}: {} shape", t.name);
        if let Values::I64(expected) = &t.values {
            assert_eq!(as_f64(&o.values), as_f64(&Values::I64(expected.clone())));
        } else {
            let label = format!("{what} {}", t.name);
            let noise = noisy
                .iter()
                .find(|(n, _)| *n == t.name)
                .map_or(0.0, |n| n.1);
            f.check_noisy(&label, &as_f64(&o.values), &as_f64(&t.values), noise);
        }
    }
}

/// The layer `spec` describes for examples of `input` (its parameters are set afterwards).
pub fn build<T: Float>(spec: impl Into<LayerSpec>, input: &[usize]) -> Box<dyn Layer<T>> {
    let spec = spec.into();
    spec.build::<T>(input, Init::XavierUniform, &mut Rng::seed(0))
        .unwrap_or_else(|e| panic!("{spec}: {e}"))
}

/// Sets the layer's parameters, in `visit_params` order.
pub fn set_params<T: Float>(layer: &mut dyn Layer<T>, values: &[Tensor<T>]) {
    let mut k = 0;
    layer.visit_params(&mut |p| {
        assert_eq!(p.value.shape(), values[k].shape(), "parameter {}", p.name);
        p.value.data_mut().copy_from_slice(values[k].data());
        k += 1;
    });
    assert_eq!(k, values.len(), "the layer has {k} parameters");
}

/// The layer's parameter gradients, in `visit_params` order.
pub fn param_grads<T: Float>(layer: &mut dyn Layer<T>) -> Vec<Tensor<T>> {
    let mut grads = Vec::new();
    layer.visit_params(&mut |p| grads.push(p.grad.clone()));
    grads
}

/// The fixture's case `prefix` through `layer`: its parameters `params` (names in the file,
/// e.g. `weight`, with their gradients `d_weight`) set, forward `x` in `mode`, backward
/// `d_out`; `out`, `d_x` and the parameter gradients compared.
pub fn check_layer<T: Float>(
    f: &mut Fixture,
    backend: &dyn Backend<T>,
    (prefix, params): (&str, &[&str]),
    layer: &mut dyn Layer<T>,
    mode: Mode<'_>,
) {
    let values: Vec<Tensor<T>> = params.iter().map(|p| f.tensor(&key(prefix, p))).collect();
    set_params(layer, &values);
    let x = f.tensor(&key(prefix, "x"));
    let d_out = f.tensor(&key(prefix, "d_out"));
    layer.forward(backend, &x, mode).unwrap();
    let case = format!("{prefix} {} ({})", layer.name(), backend.name());
    f.check(&format!("{case} out"), layer.output(), &key(prefix, "out"));
    layer.backward(backend, &x, &d_out, true).unwrap();
    f.check(
        &format!("{case} d_x"),
        layer.input_grad(),
        &key(prefix, "d_x"),
    );
    for (p, grad) in params.iter().zip(param_grads(layer)) {
        let name = key(prefix, &format!("d_{p}"));
        f.check(&format!("{case} d_{p}"), &grad, &name);
    }
}
