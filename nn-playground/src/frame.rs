//! What the page draws, computed from a session: the output over `[−6, 6]²`, every neuron's
//! own map, the weights and the losses. Maps are bytes, `0` for −1 and `255` for +1, row 0 at
//! `x₂ = 6`, sent in base64.

use base64::Engine;
use nn_core::layer::Scratch;
use nn_core::Tensor;
use nn_data::synthetic::expand_points;
use serde::Serialize;

use crate::session::{Record, Session};
use crate::settings::{Activation, LossKind, Problem};

/// The side of the output map.
pub const OUTPUT_SIDE: usize = 100;
/// The side of each neuron's map (every fourth point of the output map's grid).
pub const NEURON_SIDE: usize = 25;
/// Half the side of the square drawn: points in `[−DOMAIN, DOMAIN]²`.
pub const DOMAIN: f32 = 6.0;
/// The most points of the loss chart a frame carries (evenly thinned beyond).
pub const MAX_CHART: usize = 200;

/// One picture of the session.
#[derive(Clone, Debug, Serialize)]
pub struct Frame {
    /// Epochs trained.
    pub epoch: usize,
    /// The latest losses.
    pub record: Record,
    /// The loss chart: `[epoch, train loss, test loss]` from the start, at most
    /// [`MAX_CHART`] of them, evenly spaced (in f32: the chart needs no more).
    pub chart: Vec<[f32; 3]>,
    /// The output map ([`OUTPUT_SIDE`]²): the output, or with more than two classes the
    /// confidence of the winning class, `2p − 1`.
    pub output: String,
    /// With more than two classes, the winning class at each point of the output map.
    pub output_classes: Option<String>,
    /// Each neuron's map ([`NEURON_SIDE`]²), layer by layer: the input features (scaled by
    /// their largest magnitude), the hidden layers, the outputs.
    pub neurons: Vec<Vec<String>>,
    /// `weights[l][j][i]`: from neuron `i` of layer `l` to neuron `j` of layer `l + 1`.
    pub weights: Vec<Vec<Vec<f32>>>,
    /// `biases[l][j]`: of neuron `j` of layer `l + 1`.
    pub biases: Vec<Vec<f32>>,
}

impl Frame {
    /// The frame of `session` now.
    ///
    /// # Errors
    ///
    /// A layer failed to run on the grid (a network built from valid settings does not).
    pub fn of(session: &Session) -> Result<Frame, String> {
        let grid = grid_points(OUTPUT_SIDE);
        let layers = layer_outputs(session, &grid)?;
        let last = layers.last().expect("inputs and outputs at least");
        let (output, output_classes) = output_map(last);
        let neurons = layers.iter().map(neuron_maps).collect();
        let (weights, biases) = links(session);
        Ok(Frame {
            epoch: session.epoch(),
            record: *session.history().last().expect("a record at least"),
            chart: chart(session.history()),
            output,
            output_classes,
            neurons,
            weights,
            biases,
        })
    }
}

/// The `(side², 2)` points at the centres of a grid over the square, row by row from the top.
pub fn grid_points(side: usize) -> Tensor<f32> {
    let step = 2.0 * DOMAIN / side as f32;
    let mut values = Vec::with_capacity(2 * side * side);
    for row in 0..side {
        let x2 = DOMAIN - (row as f32 + 0.5) * step;
        for col in 0..side {
            values.extend([-DOMAIN + (col as f32 + 0.5) * step, x2]);
        }
    }
    Tensor::from_vec(&[side * side, 2], values).expect("two values per point")
}

/// Each layer of neurons on the grid, as values in `[−1, 1]` per point: the input features
/// (scaled), each hidden layer after its activation, the outputs as the page shows them
/// (tanh, `2p − 1` of a probability, or the regression's value).
fn layer_outputs(session: &Session, grid: &Tensor<f32>) -> Result<Vec<Tensor<f32>>, String> {
    let s = session.settings();
    let net = session.network();
    let x = expand_points(grid, &s.features).map_err(|e| e.to_string())?;
    let mut scaled = x.clone();
    scale_columns(&mut scaled);
    let mut maps = vec![scaled];
    let mut scratch = Scratch::default();
    let per_hidden = if s.activation == Activation::Linear {
        1
    } else {
        2
    };
    let hidden = per_hidden * s.network_shape.len();
    let mut input = x.clone();
    for (i, layer) in net.layers()[..hidden].iter().enumerate() {
        let mut out = Tensor::zeros(&[0]);
        layer
            .infer(&**net.backend(), &input, &mut out, &mut scratch)
            .map_err(|e| e.to_string())?;
        if (i + 1) % per_hidden == 0 {
            maps.push(out.clone());
        }
        input = out;
    }
    // σ or softmax of the logits for cross-entropy, the tanh layer's or the linear output
    // otherwise; probabilities are shown as 2p − 1.
    let mut out = net.predict_proba(&x).map_err(|e| e.to_string())?;
    if s.problem == Problem::Classification && s.loss == LossKind::CrossEntropy {
        for v in out.data_mut() {
            *v = 2.0 * *v - 1.0;
        }
    }
    maps.push(out);
    Ok(maps)
}

/// Divides each column by its largest magnitude (a constant 0 column stays 0).
fn scale_columns(t: &mut Tensor<f32>) {
    let k = t.shape()[1];
    let mut max = vec![0f32; k];
    for row in t.data().chunks_exact(k) {
        for (m, v) in max.iter_mut().zip(row) {
            *m = m.max(v.abs());
        }
    }
    for row in t.data_mut().chunks_exact_mut(k) {
        for (v, m) in row.iter_mut().zip(&max) {
            if *m > 0.0 {
                *v /= m;
            }
        }
    }
}

/// A value in `[−1, 1]` (clamped) as a byte.
fn byte(v: f32) -> u8 {
    if v.is_nan() {
        return 128;
    }
    ((v.clamp(-1.0, 1.0) + 1.0) * 127.5).round() as u8
}

fn base64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// The output map: one output's values, or the winner's confidence and the winners.
fn output_map(values: &Tensor<f32>) -> (String, Option<String>) {
    let k = values.shape()[1];
    if k == 1 {
        let bytes: Vec<u8> = values.data().iter().map(|&v| byte(v)).collect();
        return (base64(&bytes), None);
    }
    let (mut confidence, mut winners) = (Vec::new(), Vec::new());
    for row in values.data().chunks_exact(k) {
        let best = (0..k).fold(0, |b, i| if row[i] > row[b] { i } else { b });
        confidence.push(byte(row[best]));
        winners.push(best as u8);
    }
    (base64(&confidence), Some(base64(&winners)))
}

/// Each column's values on the coarser grid of the neuron maps.
fn neuron_maps(values: &Tensor<f32>) -> Vec<String> {
    let k = values.shape()[1];
    let stride = OUTPUT_SIDE / NEURON_SIDE;
    (0..k)
        .map(|j| {
            let mut bytes = Vec::with_capacity(NEURON_SIDE * NEURON_SIDE);
            for row in 0..NEURON_SIDE {
                for col in 0..NEURON_SIDE {
                    let at = (row * stride + stride / 2) * OUTPUT_SIDE + col * stride + stride / 2;
                    bytes.push(byte(values.data()[at * k + j]));
                }
            }
            base64(&bytes)
        })
        .collect()
}

/// The weights and biases of each dense layer.
fn links(session: &Session) -> (Vec<Vec<Vec<f32>>>, Vec<Vec<f32>>) {
    let tensors = session.network().parameters();
    let mut weights = Vec::new();
    let mut biases = Vec::new();
    for pair in tensors.chunks_exact(2) {
        let ins = pair[0].shape()[1];
        weights.push(
            pair[0]
                .data()
                .chunks_exact(ins)
                .map(<[f32]>::to_vec)
                .collect(),
        );
        biases.push(pair[1].data().to_vec());
    }
    (weights, biases)
}

/// At most [`MAX_CHART`] points of `history`, evenly spaced, always with the first and the
/// last.
fn chart(history: &[Record]) -> Vec<[f32; 3]> {
    let point = |r: &Record| [r.epoch as f32, r.train_loss as f32, r.test_loss as f32];
    if history.len() <= MAX_CHART {
        return history.iter().map(point).collect();
    }
    let last = history.len() - 1;
    (0..MAX_CHART)
        .map(|i| point(&history[i * last / (MAX_CHART - 1)]))
        .collect()
}
