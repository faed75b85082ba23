//! The backend's element-wise operations: split into fixed-size chunks (in parallel), each chunk
//! run by the SIMD kernel of its operation, chosen once per chunk, outside the vector loop.

use nn_core::backend::AdamStep;
use nn_core::Activation;
use pulp::Arch;

use crate::chunks;
use crate::kernels::{
    Adam, AddBias, AddRows, Axpy, Exp, LeakyRelu, LeakyReluBack, Map, Map3, Momentum, Nesterov,
    Product, Relu, RmsProp, Sigmoid, SigmoidBack, SoftmaxRows, StateUpdate, SumSquares, Tanh,
    TanhBack,
};
use crate::lanes::Lanes;

pub(crate) fn activate<T: Lanes>(arch: Arch, g: Activation, z: &[T], a: &mut [T]) {
    chunks::map1(z, a, |x, y| match g {
        Activation::Sigmoid => arch.dispatch(Map { op: Sigmoid, x, y }),
        Activation::Tanh => arch.dispatch(Map { op: Tanh, x, y }),
        Activation::Relu => arch.dispatch(Map { op: Relu, x, y }),
        Activation::LeakyRelu { slope } => arch.dispatch(Map {
            op: LeakyRelu(T::from_f64(slope)),
            x,
            y,
        }),
        Activation::Identity => y.copy_from_slice(x),
    })
}

pub(crate) fn activate_backward<T: Lanes>(
    arch: Arch,
    g: Activation,
    z: &[T],
    a: &[T],
    da: &[T],
    dz: &mut [T],
) {
    chunks::map3(z, a, da, dz, |z, a, da, out| match g {
        Activation::Sigmoid => arch.dispatch(Map3 {
            op: SigmoidBack,
            a: z,
            b: a,
            c: da,
            out,
        }),
        Activation::Tanh => arch.dispatch(Map3 {
            op: TanhBack,
            a: z,
            b: a,
            c: da,
            out,
        }),
        Activation::Relu => arch.dispatch(Map3 {
            op: LeakyReluBack(T::ZERO),
            a: z,
            b: a,
            c: da,
            out,
        }),
        Activation::LeakyRelu { slope } => arch.dispatch(Map3 {
            op: LeakyReluBack(T::from_f64(slope)),
            a: z,
            b: a,
            c: da,
            out,
        }),
        Activation::Identity => out.copy_from_slice(da),
    })
}

pub(crate) fn mul<T: Lanes>(arch: Arch, x: &[T], y: &[T], out: &mut [T]) {
    chunks::map2(x, y, out, |a, b, out| {
        arch.dispatch(Map3 {
            op: Product,
            a,
            b,
            c: a,
            out,
        })
    })
}

pub(crate) fn axpy<T: Lanes>(arch: Arch, alpha: T, x: &[T], y: &mut [T]) {
    chunks::map1(x, y, |x, y| arch.dispatch(Axpy { alpha, x, y }))
}

pub(crate) fn sum_squares<T: Lanes>(arch: Arch, x: &[T]) -> f64 {
    chunks::sum(x.len(), |r| arch.dispatch(SumSquares(&x[r])).to_f64())
}

pub(crate) fn add_row_vector<T: Lanes>(arch: Arch, z: &mut [T], bias: &[T]) {
    if bias.is_empty() {
        return;
    }
    chunks::rows_mut(z, bias.len(), |z| arch.dispatch(AddBias { z, bias }))
}

pub(crate) fn sum_rows<T: Lanes>(arch: Arch, x: &[T], scale: T, out: &mut [T]) {
    let cols = out.len();
    chunks::column_blocks(x, out, |first, out| {
        out.fill(T::ZERO);
        arch.dispatch(AddRows {
            x,
            cols,
            first,
            out,
        });
        out.iter_mut().for_each(|o| *o *= scale);
    })
}

pub(crate) fn softmax_rows<T: Lanes>(arch: Arch, z: &[T], cols: usize, a: &mut [T]) {
    if cols == 0 {
        return;
    }
    chunks::rows_map1(z, a, cols, |z, a| arch.dispatch(SoftmaxRows { z, cols, a }))
}

pub(crate) fn momentum<T: Lanes>(arch: Arch, lr: T, beta: T, g: &[T], v: &mut [T], w: &mut [T]) {
    let rule = Momentum { lr, beta };
    chunks::update2(g, v, w, |g, state, w| {
        arch.dispatch(StateUpdate { rule, g, state, w })
    })
}

pub(crate) fn nesterov<T: Lanes>(arch: Arch, lr: T, mu: T, g: &[T], v: &mut [T], w: &mut [T]) {
    let rule = Nesterov { lr, mu };
    chunks::update2(g, v, w, |g, state, w| {
        arch.dispatch(StateUpdate { rule, g, state, w })
    })
}

pub(crate) fn rmsprop<T: Lanes>(
    arch: Arch,
    lr: T,
    beta: T,
    epsilon: T,
    g: &[T],
    s: &mut [T],
    w: &mut [T],
) {
    let rule = RmsProp { lr, beta, epsilon };
    chunks::update2(g, s, w, |g, state, w| {
        arch.dispatch(StateUpdate { rule, g, state, w })
    })
}

pub(crate) fn adam<T: Lanes>(
    arch: Arch,
    p: AdamStep<T>,
    g: &[T],
    m: &mut [T],
    v: &mut [T],
    w: &mut [T],
) {
    // The same bias corrections as the reference: 1 − βᵗ with t clamped to [1, i32::MAX].
    let t = p.t.clamp(1, i32::MAX as u64) as i32;
    let (c1, c2) = (T::ONE - p.beta1.powi(t), T::ONE - p.beta2.powi(t));
    let (lr, beta1, beta2, epsilon, decay) = (p.lr, p.beta1, p.beta2, p.epsilon, p.decay);
    chunks::update3(g, m, v, w, |g, m, v, w| {
        arch.dispatch(Adam {
            lr,
            beta1,
            beta2,
            epsilon,
            c1,
            c2,
            decay,
            g,
            m,
            v,
            w,
        })
    })
}

pub(crate) fn exp<T: Lanes>(arch: Arch, x: &[T], y: &mut [T]) {
    chunks::map1(x, y, |x, y| arch.dispatch(Map { op: Exp, x, y }))
}
