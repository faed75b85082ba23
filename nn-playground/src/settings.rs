//! The playground's settings and their URL form: the TensorFlow playground's hash keys
//! (`activation=tanh&batchSize=10&dataset=circle&…`) plus ours (`optimizer`, `loss`,
//! `classes`), so that a link reproduces an exercise exactly.

use nn_data::synthetic::{Playground, PlaygroundRegression, PointFeature, MAX_PLAYGROUND_CLASSES};
use serde::{Deserialize, Serialize};

/// The most hidden layers, as in the original.
pub const MAX_HIDDEN_LAYERS: usize = 6;
/// The most neurons in a hidden layer, as in the original.
pub const MAX_NEURONS: usize = 8;
/// The learning rates the page offers (the original's list).
pub const LEARNING_RATES: [f64; 11] = [
    0.00001, 0.0001, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0,
];
/// The regularisation rates the page offers (the original's list).
pub const REGULARIZATION_RATES: [f64; 10] =
    [0.0, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0];

/// Classification or regression.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Problem {
    /// Points of classes; the output's sign (or its largest entry) is the class.
    Classification,
    /// Points with a real target in `[−1, 1]`.
    Regression,
}

/// The hidden layers' activation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Activation {
    /// `max(0, z)`.
    Relu,
    /// `tanh z`.
    Tanh,
    /// `σ(z) = 1 / (1 + e^−z)`.
    Sigmoid,
    /// `z`.
    Linear,
}

/// The weight penalty.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Regularization {
    /// None.
    None,
    /// `rate·Σ|W|`: every step moves each weight by `lr·rate` toward 0.
    L1,
    /// `rate/2·Σ‖W‖²`: every step shrinks each weight by `lr·rate·W`.
    L2,
}

/// The update rule (beyond the original, which has only gradient descent).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OptimizerKind {
    /// Mini-batch gradient descent (the original's).
    Sgd,
    /// Gradient descent with momentum, `v = βv + (1 − β)dW`, β = 0.9.
    Momentum,
    /// Adam, β₁ = 0.9, β₂ = 0.999.
    Adam,
}

/// The loss of classification (regression always uses the squared error).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LossKind {
    /// The original's: a tanh output against labels ±1, `½(ŷ − y)²` averaged.
    Square,
    /// Cross-entropy: a sigmoid output for two classes, softmax for more.
    CrossEntropy,
}

/// Everything that defines a playground exercise.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Settings {
    /// Classification or regression.
    pub problem: Problem,
    /// The classification set.
    pub dataset: Playground,
    /// The regression set.
    pub reg_dataset: PlaygroundRegression,
    /// Classes of the classification set, 2 to 8 (more than 2: not the XOR set).
    pub classes: usize,
    /// Noise in percent, 0 to 50 (the data's noise is a hundredth of it).
    pub noise: u32,
    /// Percent of the points used for training, 10 to 90.
    pub perc_train_data: u32,
    /// Points per step, 1 to 30.
    pub batch_size: usize,
    /// The input features, in [`PointFeature::ALL`]'s order, at least one.
    pub features: Vec<PointFeature>,
    /// Neurons per hidden layer: up to 6 layers of 1 to 8.
    pub network_shape: Vec<usize>,
    /// The hidden layers' activation.
    pub activation: Activation,
    /// The weight penalty.
    pub regularization: Regularization,
    /// Its rate.
    pub regularization_rate: f64,
    /// The learning rate, in `(0, 10]`.
    pub learning_rate: f64,
    /// The update rule.
    pub optimizer: OptimizerKind,
    /// The loss of classification.
    pub loss: LossKind,
    /// The seed of the data and of the initial weights.
    pub seed: u64,
    /// Whether the page draws the test points.
    pub show_test_data: bool,
    /// Whether the page draws the output as its sign only.
    pub discretize: bool,
}

impl Default for Settings {
    /// The original's opening state: circle, noise 0, 50 % training, batch 10, x₁ and x₂,
    /// hidden layers 4 and 2, tanh, no regularisation, learning rate 0.03.
    fn default() -> Self {
        Settings {
            problem: Problem::Classification,
            dataset: Playground::Circle,
            reg_dataset: PlaygroundRegression::Plane,
            classes: 2,
            noise: 0,
            perc_train_data: 50,
            batch_size: 10,
            features: vec![PointFeature::X1, PointFeature::X2],
            network_shape: vec![4, 2],
            activation: Activation::Tanh,
            regularization: Regularization::None,
            regularization_rate: 0.0,
            learning_rate: 0.03,
            optimizer: OptimizerKind::Sgd,
            loss: LossKind::Square,
            seed: 1,
            show_test_data: false,
            discretize: false,
        }
    }
}

/// The original's URL keys of the seven features, in [`PointFeature::ALL`]'s order.
const FEATURE_KEYS: [(&str, PointFeature); 7] = [
    ("x", PointFeature::X1),
    ("y", PointFeature::X2),
    ("xSquared", PointFeature::X1Squared),
    ("ySquared", PointFeature::X2Squared),
    ("xTimesY", PointFeature::X1X2),
    ("sinX", PointFeature::SinX1),
    ("sinY", PointFeature::SinX2),
];

/// Keys of the original's URL that change only its page (tutorials, hidden controls): read
/// without complaint and ignored.
const IGNORED_KEYS: [&str; 6] = [
    "collectStats",
    "tutorial",
    "hideText",
    "initZero",
    "stepButton",
    "percTrainData_hide",
];

impl Settings {
    /// The settings of a URL's hash or query (with or without its leading `#` or `?`): the
    /// defaults, changed by each `key=value`. Keys of the original's page that change only
    /// its looks (`tutorial`, `hideText`, …, and any `*_hide`) are ignored.
    ///
    /// # Errors
    ///
    /// The key and what is wrong with its value, or an unknown key, or a combination that
    /// cannot be played (see [`Settings::validate`]).
    pub fn from_query(query: &str) -> Result<Settings, String> {
        let mut s = Settings::default();
        let query = query.trim_start_matches(['#', '?']);
        let mut features = None;
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            let value = &percent_decoded(value);
            if let Some(&(_, f)) = FEATURE_KEYS.iter().find(|(k, _)| *k == key) {
                let on = parse_bool(key, value)?;
                let list = features.get_or_insert_with(|| s.features.clone());
                list.retain(|&g| g != f);
                if on {
                    list.push(f);
                }
                continue;
            }
            if IGNORED_KEYS.contains(&key) || key.ends_with("_hide") {
                continue;
            }
            if key == "cosX" || key == "cosY" {
                // The original keeps two features it never shows: off, as its links have them.
                if parse_bool(key, value)? {
                    return Err(format!("{key}: the cosine features are not offered (neither does the original's page show them)"));
                }
                continue;
            }
            s.set(key, value)?;
        }
        if let Some(mut list) = features {
            list.sort_by_key(|f| PointFeature::ALL.iter().position(|g| g == f));
            s.features = list;
        }
        s.validate()?;
        Ok(s)
    }

    /// Sets one key of the URL form.
    fn set(&mut self, key: &str, value: &str) -> Result<(), String> {
        match key {
            "problem" => self.problem = parse_name(key, value, &PROBLEMS)?,
            "dataset" => self.dataset = parse_name(key, value, &DATASETS)?,
            "regDataset" => self.reg_dataset = parse_name(key, value, &REG_DATASETS)?,
            "classes" => self.classes = parse_number(key, value)?,
            "noise" => self.noise = parse_number(key, value)?,
            "percTrainData" => self.perc_train_data = parse_number(key, value)?,
            "batchSize" => self.batch_size = parse_number(key, value)?,
            "networkShape" => self.network_shape = parse_shape(value)?,
            "activation" => self.activation = parse_name(key, value, &ACTIVATIONS)?,
            "regularization" => self.regularization = parse_name(key, value, &REGULARIZATIONS)?,
            "regularizationRate" => self.regularization_rate = parse_number(key, value)?,
            "learningRate" => self.learning_rate = parse_number(key, value)?,
            "optimizer" => self.optimizer = parse_name(key, value, &OPTIMIZERS)?,
            "loss" => self.loss = parse_name(key, value, &LOSSES)?,
            "seed" => self.seed = parse_seed(value),
            "showTestData" => self.show_test_data = parse_bool(key, value)?,
            "discretize" => self.discretize = parse_bool(key, value)?,
            _ => return Err(format!("unknown setting `{key}`")),
        }
        Ok(())
    }

    /// The URL form: every key, in a fixed order, so equal settings give equal strings.
    pub fn to_query(&self) -> String {
        let shape: Vec<String> = self.network_shape.iter().map(usize::to_string).collect();
        let mut parts = vec![
            format!("problem={}", name_of(self.problem, &PROBLEMS)),
            format!("dataset={}", name_of(self.dataset, &DATASETS)),
            format!("regDataset={}", name_of(self.reg_dataset, &REG_DATASETS)),
            format!("classes={}", self.classes),
            format!("noise={}", self.noise),
            format!("percTrainData={}", self.perc_train_data),
            format!("batchSize={}", self.batch_size),
            format!("networkShape={}", shape.join(",")),
            format!("activation={}", name_of(self.activation, &ACTIVATIONS)),
            format!(
                "regularization={}",
                name_of(self.regularization, &REGULARIZATIONS)
            ),
            format!("regularizationRate={}", self.regularization_rate),
            format!("learningRate={}", self.learning_rate),
            format!("optimizer={}", name_of(self.optimizer, &OPTIMIZERS)),
            format!("loss={}", name_of(self.loss, &LOSSES)),
            format!("seed={}", self.seed),
            format!("showTestData={}", self.show_test_data),
            format!("discretize={}", self.discretize),
        ];
        for (key, f) in FEATURE_KEYS {
            parts.push(format!("{key}={}", self.features.contains(&f)));
        }
        parts.join("&")
    }

    /// Refuses settings the playground cannot play, saying which and what is allowed.
    ///
    /// # Errors
    ///
    /// The first setting out of its range.
    pub fn validate(&self) -> Result<(), String> {
        let range = |name: &str, v: f64, lo: f64, hi: f64| {
            if v >= lo && v <= hi {
                Ok(())
            } else {
                Err(format!("{name} must be from {lo} to {hi}, got {v}"))
            }
        };
        range("noise", self.noise.into(), 0.0, 50.0)?;
        range("percTrainData", self.perc_train_data.into(), 10.0, 90.0)?;
        range("batchSize", self.batch_size as f64, 1.0, 30.0)?;
        let max_classes = MAX_PLAYGROUND_CLASSES as f64;
        range("classes", self.classes as f64, 2.0, max_classes)?;
        if self.problem == Problem::Classification
            && self.classes > 2
            && self.dataset == Playground::Xor
        {
            return Err("the xor set has two classes: choose circle, gauss or spiral".into());
        }
        if !(self.learning_rate > 0.0 && self.learning_rate <= 10.0) {
            return Err(format!(
                "learningRate must be above 0 and at most 10, got {}",
                self.learning_rate
            ));
        }
        range("regularizationRate", self.regularization_rate, 0.0, 10.0)?;
        if self.network_shape.len() > MAX_HIDDEN_LAYERS {
            return Err(format!(
                "networkShape has {} hidden layers: at most {MAX_HIDDEN_LAYERS}",
                self.network_shape.len()
            ));
        }
        if let Some(n) = self
            .network_shape
            .iter()
            .find(|&&n| !(1..=MAX_NEURONS).contains(&n))
        {
            return Err(format!(
                "networkShape: a hidden layer of {n} neurons; each has 1 to {MAX_NEURONS}"
            ));
        }
        nn_data::synthetic::check_features(&self.features)
            .map_err(|e| format!("features: {e} (turn at least one of x, y, … on)"))
    }

    /// Whether the network's outputs are classes.
    pub fn is_classification(&self) -> bool {
        self.problem == Problem::Classification
    }

    /// Points generated: 500 for classification, 1200 for regression (as in the original).
    pub fn points(&self) -> usize {
        match self.problem {
            Problem::Classification => 500,
            Problem::Regression => 1200,
        }
    }
}

/// `value` with `%XX` escapes (a browser writes `,` as `%2C`) decoded; a malformed escape
/// stays as it is, and is then refused as a bad value.
fn percent_decoded(value: &str) -> String {
    let bytes = value.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok());
        match (bytes[i], hex.and_then(|h| u8::from_str_radix(h, 16).ok())) {
            (b'%', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// A seed: an integer as it is; anything else (the original writes `0.35035`) hashed to one
/// (64-bit FNV-1a of its bytes), so that every link has its own, always the same.
fn parse_seed(value: &str) -> u64 {
    value.parse().unwrap_or_else(|_| {
        value.bytes().fold(0xcbf2_9ce4_8422_2325, |h: u64, b| {
            (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
        })
    })
}

fn parse_bool(key: &str, value: &str) -> Result<bool, String> {
    match value {
        "true" | "1" | "" => Ok(true),
        "false" | "0" => Ok(false),
        _ => Err(format!("{key}={value}: expected true or false")),
    }
}

fn parse_number<N: std::str::FromStr>(key: &str, value: &str) -> Result<N, String> {
    value
        .parse()
        .map_err(|_| format!("{key}={value}: not a number of the right kind"))
}

fn parse_shape(value: &str) -> Result<Vec<usize>, String> {
    if value.is_empty() {
        return Ok(Vec::new());
    }
    value
        .split(',')
        .map(|n| parse_number("networkShape", n))
        .collect()
}

/// Parses `value` as the variant of `table` named so, or says which names there are.
fn parse_name<T: Copy>(key: &str, value: &str, table: &[(&str, T)]) -> Result<T, String> {
    table
        .iter()
        .find(|(name, _)| *name == value)
        .map(|&(_, v)| v)
        .ok_or_else(|| {
            let names: Vec<&str> = table.iter().map(|(n, _)| *n).collect();
            format!("{key}={value}: expected one of {}", names.join(", "))
        })
}

fn name_of<T: Copy + PartialEq>(value: T, table: &[(&'static str, T)]) -> &'static str {
    table
        .iter()
        .find(|(_, v)| *v == value)
        .map(|(n, _)| *n)
        .expect("every variant is in its table")
}

const PROBLEMS: [(&str, Problem); 2] = [
    ("classification", Problem::Classification),
    ("regression", Problem::Regression),
];
const DATASETS: [(&str, Playground); 4] = [
    ("circle", Playground::Circle),
    ("xor", Playground::Xor),
    ("gauss", Playground::Gaussian),
    ("spiral", Playground::Spiral),
];
const REG_DATASETS: [(&str, PlaygroundRegression); 2] = [
    ("reg-plane", PlaygroundRegression::Plane),
    ("reg-gauss", PlaygroundRegression::MultiGaussian),
];
const ACTIVATIONS: [(&str, Activation); 4] = [
    ("relu", Activation::Relu),
    ("tanh", Activation::Tanh),
    ("sigmoid", Activation::Sigmoid),
    ("linear", Activation::Linear),
];
const REGULARIZATIONS: [(&str, Regularization); 3] = [
    ("none", Regularization::None),
    ("L1", Regularization::L1),
    ("L2", Regularization::L2),
];
const OPTIMIZERS: [(&str, OptimizerKind); 3] = [
    ("sgd", OptimizerKind::Sgd),
    ("momentum", OptimizerKind::Momentum),
    ("adam", OptimizerKind::Adam),
];
const LOSSES: [(&str, LossKind); 2] = [
    ("square", LossKind::Square),
    ("cross_entropy", LossKind::CrossEntropy),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_url_form_round_trips() {
        let mut s = Settings::default();
        assert_eq!(Settings::from_query(&s.to_query()).unwrap(), s);
        s.problem = Problem::Regression;
        s.reg_dataset = PlaygroundRegression::MultiGaussian;
        s.features = vec![PointFeature::X1Squared, PointFeature::SinX2];
        s.network_shape = vec![];
        s.learning_rate = 0.00001;
        s.regularization = Regularization::L1;
        s.regularization_rate = 0.003;
        s.optimizer = OptimizerKind::Adam;
        s.seed = 123456789;
        s.discretize = true;
        assert_eq!(Settings::from_query(&s.to_query()).unwrap(), s);
    }

    #[test]
    fn an_original_playground_link_reads() {
        let q = "#activation=relu&batchSize=3&dataset=xor&regDataset=reg-plane&learningRate=0.1\
                 &regularizationRate=0&noise=50&networkShape=1&seed=7&showTestData=true\
                 &discretize=false&percTrainData=50&x=true&y=true&xTimesY=true&xSquared=false\
                 &ySquared=false&cosX=false&sinX=false&cosY=false&sinY=false&collectStats=false\
                 &problem=classification&initZero=false&hideText=false";
        let s = Settings::from_query(q).unwrap();
        assert_eq!(s.activation, Activation::Relu);
        assert_eq!(s.dataset, Playground::Xor);
        assert_eq!((s.noise, s.batch_size, s.seed), (50, 3, 7));
        let fractional = Settings::from_query(&q.replace("seed=7", "seed=0.35035")).unwrap();
        assert_eq!(fractional.seed, parse_seed("0.35035"));
        assert_ne!(fractional.seed, parse_seed("0.35036"));
        let err = Settings::from_query(&q.replace("cosX=false", "cosX=true")).unwrap_err();
        assert!(
            err.starts_with("cosX: the cosine features are not offered"),
            "{err}"
        );
        assert_eq!(s.network_shape, [1]);
        assert_eq!(
            s.features,
            [PointFeature::X1, PointFeature::X2, PointFeature::X1X2]
        );
        assert!(s.show_test_data);
        let s = Settings::from_query("networkShape=4%2C2%2c1").unwrap();
        assert_eq!(s.network_shape, [4, 2, 1]);
        assert!(Settings::from_query("networkShape=4%2").is_err());
    }

    #[test]
    fn bad_values_name_the_key_and_the_choices() {
        let e = |q: &str| Settings::from_query(q).unwrap_err();
        assert_eq!(
            e("activation=softplus"),
            "activation=softplus: expected one of relu, tanh, sigmoid, linear"
        );
        assert_eq!(e("noise=60"), "noise must be from 0 to 50, got 60");
        assert_eq!(
            e("batchSize=x"),
            "batchSize=x: not a number of the right kind"
        );
        assert!(e("networkShape=4,9").contains("1 to 8"));
        assert!(e("networkShape=1,1,1,1,1,1,1").contains("at most 6"));
        assert!(e("x=false&y=false").starts_with("features:"));
        assert!(e("classes=3&dataset=xor").contains("two classes"));
        assert!(e("learningRate=0").contains("above 0"));
        assert!(e("learningRate=NaN").contains("above 0"));
    }
}
