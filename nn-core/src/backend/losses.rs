//! Loss kernels: each returns the summed cost (in `f64`) and writes the gradient of the logits,
//! scaled (by `1/m` for a mean). Output functions are fused, so no `log(0)` is ever taken and
//! `dZ = A − Y` exactly. The plain loops are public functions too, for backends that run them
//! per chunk.

use super::elementwise::sigmoid;
use crate::Float;

/// The loss family.
pub trait Losses<T: Float> {
    /// Binary cross-entropy from logits `z` against targets `y ∈ [0, 1]`:
    /// returns `Σ [max(z,0) − z·y + ln(1 + e^−|z|)]` and writes `dz = scale·(σ(z) − y)`: with
    /// `scale = 1/m`, the course's `dZ = (A − Y)/m`.
    fn bce_with_logits(&self, z: &[T], y: &[T], scale: T, dz: &mut [T]) -> f64 {
        bce_with_logits(z, y, scale, dz)
    }

    /// Categorical cross-entropy from logits: for each row of `z` (length `cols`) and its
    /// target distribution `y` (one-hot), returns `Σ_rows [logsumexp(z) − Σ y·z]` and writes
    /// `dz = scale·(softmax(z) − y)`.
    fn softmax_cross_entropy(&self, z: &[T], y: &[T], cols: usize, scale: T, dz: &mut [T]) -> f64 {
        softmax_cross_entropy(z, y, cols, scale, dz)
    }

    /// Squared error: returns `Σ ½(ŷ − y)²` and writes `dŷ = scale·(ŷ − y)`.
    fn squared_error(&self, y_hat: &[T], y: &[T], scale: T, d: &mut [T]) -> f64 {
        squared_error(y_hat, y, scale, d)
    }
}

/// The loop of [`Losses::bce_with_logits`].
pub fn bce_with_logits<T: Float>(z: &[T], y: &[T], scale: T, dz: &mut [T]) -> f64 {
    let mut cost = 0.0;
    for i in 0..z.len() {
        let (zi, yi) = (z[i].to_f64(), y[i].to_f64());
        cost += zi.max(0.0) - zi * yi + (-zi.abs()).exp().ln_1p();
        dz[i] = scale * (sigmoid(z[i]) - y[i]);
    }
    cost
}

/// The loop of [`Losses::softmax_cross_entropy`].
pub fn softmax_cross_entropy<T: Float>(
    z: &[T],
    y: &[T],
    cols: usize,
    scale: T,
    dz: &mut [T],
) -> f64 {
    let c = cols.max(1);
    let mut cost = 0.0;
    for ((zr, yr), dzr) in z
        .chunks_exact(c)
        .zip(y.chunks_exact(c))
        .zip(dz.chunks_exact_mut(c))
    {
        let max = zr.iter().fold(zr[0], |m, &x| m.max(x));
        let sum: f64 = zr.iter().map(|&x| (x - max).to_f64().exp()).sum();
        let log_sum_exp = max.to_f64() + sum.ln();
        for j in 0..c {
            cost += yr[j].to_f64() * (log_sum_exp - zr[j].to_f64());
            let p = (zr[j].to_f64() - log_sum_exp).exp();
            dzr[j] = scale * (T::from_f64(p) - yr[j]);
        }
    }
    cost
}

/// The loop of [`Losses::squared_error`].
pub fn squared_error<T: Float>(y_hat: &[T], y: &[T], scale: T, d: &mut [T]) -> f64 {
    let mut cost = 0.0;
    for i in 0..y.len() {
        let e = y_hat[i] - y[i];
        cost += 0.5 * e.to_f64() * e.to_f64();
        d[i] = scale * e;
    }
    cost
}
