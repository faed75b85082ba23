//! Convolution step by step (the course's week 1 of convolutional networks): a single step, a
//! padded strided forward pass, its backward pass, max and average pooling and theirs, with
//! the course's shapes, each checked against the plain loops of the course's definitions.

use anyhow::Result;
use nn_conv::{AvgPool2d, Conv2d, Conv2dConfig, MaxPool2d, Padding};
use nn_core::layer::{Layer, Mode};
use nn_core::{Reference, Rng, Tensor};

use super::Table;

fn random(shape: &[usize], rng: &mut Rng) -> Tensor<f64> {
    let n = shape.iter().product();
    Tensor::from_vec(shape, (0..n).map(|_| rng.normal::<f64>()).collect()).expect("sizes agree")
}

fn mean(t: &Tensor<f64>) -> f64 {
    t.data().iter().sum::<f64>() / t.len().max(1) as f64
}

/// The largest `|a − b|`; infinite when the lengths differ, NaN when any entry is NaN, so a
/// missing or broken output never reads as agreement.
fn max_diff(a: &[f64], b: &[f64]) -> f64 {
    if a.len() != b.len() {
        return f64::INFINITY;
    }
    a.iter().zip(b).fold(0.0, |m, (x, y)| {
        let d = (x - y).abs();
        if d.is_nan() || d > m {
            d
        } else {
            m
        }
    })
}

fn shape(t: &Tensor<f64>) -> String {
    nn_core::shape_str(t.shape())
}

/// The value at `(i, h, w, c)` of an `(m, H, W, C)` volume, 0 outside (zero padding).
fn at(t: &Tensor<f64>, i: usize, h: isize, w: isize, c: usize) -> f64 {
    let s = t.shape();
    if h < 0 || w < 0 || h as usize >= s[1] || w as usize >= s[2] {
        return 0.0;
    }
    t.data()[((i * s[1] + h as usize) * s[2] + w as usize) * s[3] + c]
}

/// The course's `conv_forward` as loops: `Z[i, h, w, f] = Σ A_pad[i, h·s + a, w·s + b, c]·W[f,
/// a, b, c] + b[f]`.
fn conv_loops(
    x: &Tensor<f64>,
    w: &Tensor<f64>,
    b: &Tensor<f64>,
    pad: usize,
    stride: usize,
) -> Vec<f64> {
    let (m, hh, ww) = (x.shape()[0], x.shape()[1], x.shape()[2]);
    let (f, k, c) = (w.shape()[0], w.shape()[1], w.shape()[3]);
    let out = |n: usize| (n + 2 * pad - k) / stride + 1;
    let mut z = Vec::new();
    for i in 0..m {
        for h in 0..out(hh) {
            for v in 0..out(ww) {
                for g in 0..f {
                    let mut sum = b.data()[g];
                    for (a, bb, ch) in (0..k)
                        .flat_map(|a| (0..k).flat_map(move |bb| (0..c).map(move |ch| (a, bb, ch))))
                    {
                        let (row, col) = (
                            (h * stride + a) as isize - pad as isize,
                            (v * stride + bb) as isize - pad as isize,
                        );
                        sum += at(x, i, row, col, ch) * w.data()[((g * k + a) * k + bb) * c + ch];
                    }
                    z.push(sum);
                }
            }
        }
    }
    z
}

/// The course's `conv_backward` as loops: `dW[f, a, b, c] = Σ dZ[i, h, w, f]·A_pad[i, h·s + a,
/// w·s + b, c]`, and `dA_pad[i, h·s + a, w·s + b, c] += W[f, a, b, c]·dZ[i, h, w, f]` with the
/// padding cropped off.
fn conv_backward_loops(
    x: &Tensor<f64>,
    w: &Tensor<f64>,
    dz: &Tensor<f64>,
    pad: usize,
    stride: usize,
) -> (Vec<f64>, Vec<f64>) {
    let s = x.shape();
    let (f, k, c) = (w.shape()[0], w.shape()[1], w.shape()[3]);
    let o = dz.shape();
    let (mut da, mut dw) = (vec![0.0; x.len()], vec![0.0; w.len()]);
    for (i, h, v, g) in (0..o[0]).flat_map(|i| {
        (0..o[1]).flat_map(move |h| (0..o[2]).flat_map(move |v| (0..f).map(move |g| (i, h, v, g))))
    }) {
        let grad = dz.data()[((i * o[1] + h) * o[2] + v) * o[3] + g];
        for (a, bb, ch) in
            (0..k).flat_map(|a| (0..k).flat_map(move |bb| (0..c).map(move |ch| (a, bb, ch))))
        {
            let (row, col) = (
                (h * stride + a) as isize - pad as isize,
                (v * stride + bb) as isize - pad as isize,
            );
            let wi = ((g * k + a) * k + bb) * c + ch;
            dw[wi] += grad * at(x, i, row, col, ch);
            if row >= 0 && col >= 0 && (row as usize) < s[1] && (col as usize) < s[2] {
                da[((i * s[1] + row as usize) * s[2] + col as usize) * s[3] + ch] +=
                    grad * w.data()[wi];
            }
        }
    }
    (da, dw)
}

/// Pooling forward as loops (`max`: the largest, else the mean of each `k × k` window).
fn pool_loops(x: &Tensor<f64>, k: usize, stride: usize, max: bool) -> Vec<f64> {
    let s = x.shape();
    let out = |n: usize| (n - k) / stride + 1;
    let mut y = Vec::new();
    for i in 0..s[0] {
        for h in 0..out(s[1]) {
            for w in 0..out(s[2]) {
                for c in 0..s[3] {
                    let values = (0..k * k).map(|j| {
                        at(
                            x,
                            i,
                            (h * stride + j / k) as isize,
                            (w * stride + j % k) as isize,
                            c,
                        )
                    });
                    y.push(if max {
                        values.fold(f64::MIN, f64::max)
                    } else {
                        values.sum::<f64>() / (k * k) as f64
                    });
                }
            }
        }
    }
    y
}

/// Pooling backward as loops: each window's gradient to its maximum, or spread evenly over it
/// (the course's `distribute_value`). On a tie the first maximum takes it, as our layer (and
/// PyTorch) do; the course's mask (`x == max`) would give it to every tied one. The random
/// inputs here have no ties.
fn pool_backward_loops(
    x: &Tensor<f64>,
    dy: &Tensor<f64>,
    k: usize,
    stride: usize,
    max: bool,
) -> Vec<f64> {
    let s = x.shape();
    let o = dy.shape();
    let mut dx = vec![0.0; x.len()];
    for i in 0..o[0] {
        for h in 0..o[1] {
            for w in 0..o[2] {
                for c in 0..o[3] {
                    let g = dy.data()[((i * o[1] + h) * o[2] + w) * o[3] + c];
                    let cells: Vec<(usize, usize)> = (0..k * k)
                        .map(|j| (h * stride + j / k, w * stride + j % k))
                        .collect();
                    let index = |(r, q): (usize, usize)| ((i * s[1] + r) * s[2] + q) * s[3] + c;
                    if max {
                        let best = cells.iter().copied().fold(cells[0], |b, p| {
                            if x.data()[index(p)] > x.data()[index(b)] {
                                p
                            } else {
                                b
                            }
                        });
                        dx[index(best)] += g;
                    } else {
                        for &p in &cells {
                            dx[index(p)] += g / (k * k) as f64;
                        }
                    }
                }
            }
        }
    }
    dx
}

/// Runs the experiment.
pub fn run(seed: u64) -> Result<()> {
    let mut rng = Rng::seed(seed);
    let mut table = Table::new();
    single_step(&mut rng, &mut table)?;
    convolution(&mut rng, &mut table)?;
    pooling(&mut rng, &mut table)?;
    table.print();
    Ok(())
}

/// `conv_single_step`: one 4×4×3 slice, one filter.
fn single_step(rng: &mut Rng, table: &mut Table) -> Result<()> {
    let slice = random(&[1, 4, 4, 3], rng);
    let w = random(&[1, 4, 4, 3], rng);
    let b = random(&[1], rng);
    let by_hand: f64 = slice
        .data()
        .iter()
        .zip(w.data())
        .map(|(a, w)| a * w)
        .sum::<f64>()
        + b.data()[0];
    let mut step = Conv2d::from_params([4, 4, 3], Conv2dConfig::new(1, 4, Padding::Valid), w, b)?;
    step.forward(&Reference, &slice, Mode::Eval)?;
    let z = step.output().data()[0];
    println!("conv_single_step: a_slice_prev (4, 4, 3), W (4, 4, 3), b (1, 1, 1): Z = {z:.6} (Σ a·W + b = {by_hand:.6})");
    table.row(
        "conv_single_step: Z − (Σ a·W + b)",
        "(its own NumPy draws)",
        format!("{:.1e}", (z - by_hand).abs()),
    );

    Ok(())
}

/// `conv_forward`: A_prev (2, 5, 7, 4), W (3, 3, 4, 8) [ours (8, 3, 3, 4)], pad 1, stride 2;
/// then `conv_backward` of `dZ = Z`, as the course does.
fn convolution(rng: &mut Rng, table: &mut Table) -> Result<()> {
    let x = random(&[2, 5, 7, 4], rng);
    let (w, b) = (random(&[8, 3, 3, 4], rng), random(&[8], rng));
    let config = Conv2dConfig::new(8, 3, Padding::uniform(1)).stride(2, 2);
    let mut conv = Conv2d::from_params([5, 7, 4], config, w.clone(), b.clone())?;
    conv.forward(&Reference, &x, Mode::Eval)?;
    let zt = conv.output().clone();
    let loops = conv_loops(&x, &w, &b, 1, 2);
    println!("conv_forward: A_prev {}, W (3, 3, 4, 8), pad 1, stride 2: Z {} (course: (2, 3, 4, 8)), mean {:.6}", shape(&x), shape(&zt), mean(&zt));
    table.row("conv_forward, Z's shape", "(2, 3, 4, 8)", shape(&zt));
    table.row(
        "conv_forward: Z against the loops (largest difference)",
        "—",
        format!("{:.1e}", max_diff(zt.data(), &loops)),
    );

    conv.backward(&Reference, &x, &zt, true)?;
    let da = conv.input_grad().clone();
    let mut grads = Vec::new();
    conv.visit_params(&mut |p| grads.push(p.grad.clone()));
    let db_sum: Vec<f64> = (0..8)
        .map(|g| zt.data().iter().skip(g).step_by(8).sum())
        .collect();
    println!(
        "conv_backward: dA_prev {} mean {:.6}, dW {} mean {:.6}, db {} mean {:.6}",
        shape(&da),
        mean(&da),
        shape(&grads[0]),
        mean(&grads[0]),
        shape(&grads[1]),
        mean(&grads[1])
    );
    let (da_loops, dw_loops) = conv_backward_loops(&x, &w, &zt, 1, 2);
    table.row(
        "conv_backward: dA_prev / dW / db against the loops (largest difference)",
        "—",
        format!(
            "{:.1e} / {:.1e} / {:.1e}",
            max_diff(da.data(), &da_loops),
            max_diff(grads[0].data(), &dw_loops),
            max_diff(grads[1].data(), &db_sum)
        ),
    );

    Ok(())
}

/// Pooling: forward on A_prev (2, 5, 5, 3), f = 3, stride 1; backward on A_prev (5, 5, 3, 2),
/// f = 2, stride 1.
fn pooling(rng: &mut Rng, table: &mut Table) -> Result<()> {
    let x = random(&[2, 5, 5, 3], rng);
    let mut maxp = MaxPool2d::<f64>::new([5, 5, 3], [3, 3], [1, 1])?;
    let mut avgp = AvgPool2d::<f64>::new([5, 5, 3], [3, 3], [1, 1])?;
    maxp.forward(&Reference, &x, Mode::Eval)?;
    avgp.forward(&Reference, &x, Mode::Eval)?;
    println!("pool_forward: A_prev {}, f 3, stride 1: A {} (course: (2, 3, 3, 3)); max mean {:.6}, average mean {:.6}", shape(&x), shape(maxp.output()), mean(maxp.output()), mean(avgp.output()));
    table.row(
        "pool_forward max / average against the loops",
        "—",
        format!(
            "{:.1e} / {:.1e}",
            max_diff(maxp.output().data(), &pool_loops(&x, 3, 1, true)),
            max_diff(avgp.output().data(), &pool_loops(&x, 3, 1, false))
        ),
    );
    let x = random(&[5, 5, 3, 2], rng);
    let dy = random(&[5, 4, 2, 2], rng);
    let mut results = Vec::new();
    for max in [true, false] {
        let (dx, name) = if max {
            let mut p = MaxPool2d::<f64>::new([5, 3, 2], [2, 2], [1, 1])?;
            p.forward(&Reference, &x, Mode::Eval)?;
            p.backward(&Reference, &x, &dy, true)?;
            (p.input_grad().clone(), "max")
        } else {
            let mut p = AvgPool2d::<f64>::new([5, 3, 2], [2, 2], [1, 1])?;
            p.forward(&Reference, &x, Mode::Eval)?;
            p.backward(&Reference, &x, &dy, true)?;
            (p.input_grad().clone(), "average")
        };
        println!("pool_backward ({name}): dA {} mean {:.6}, dA_prev {} (course: (5, 5, 3, 2)) mean {:.6}", shape(&dy), mean(&dy), shape(&dx), mean(&dx));
        results.push(max_diff(
            dx.data(),
            &pool_backward_loops(&x, &dy, 2, 1, max),
        ));
    }
    table.row(
        "pool_backward max / average against the loops",
        "—",
        format!("{:.1e} / {:.1e}", results[0], results[1]),
    );
    Ok(())
}
