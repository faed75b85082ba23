//! The SIMD kernels: one monomorphised type per operation (a `match` inside the vector loop is
//! many times slower), each looping over full vectors and finishing with a partial one.

use pulp::{Simd, WithSimd};

use crate::lanes::Lanes;

/// `y = f(x)` element by element.
pub(crate) trait Unary<T: Lanes>: Copy {
    fn apply<S: Simd>(self, s: S, x: T::V<S>) -> T::V<S>;
}

/// `out = f(a, b, c)` element by element.
pub(crate) trait Ternary<T: Lanes>: Copy {
    fn apply<S: Simd>(self, s: S, a: T::V<S>, b: T::V<S>, c: T::V<S>) -> T::V<S>;
}

/// Runs a [`Unary`] over a slice.
pub(crate) struct Map<'a, T, O> {
    pub op: O,
    pub x: &'a [T],
    pub y: &'a mut [T],
}

impl<T: Lanes, O: Unary<T>> WithSimd for Map<'_, T, O> {
    type Output = ();
    #[inline(always)]
    fn with_simd<S: Simd>(self, s: S) {
        let (xs, x_tail) = T::vsplit::<S>(self.x);
        let (ys, y_tail) = T::vsplit_mut::<S>(self.y);
        for (y, &x) in ys.iter_mut().zip(xs) {
            *y = self.op.apply(s, x);
        }
        if !x_tail.is_empty() {
            T::vstore_tail(s, y_tail, self.op.apply(s, T::vload_tail(s, x_tail)));
        }
    }
}

/// Runs a [`Ternary`] over slices.
pub(crate) struct Map3<'a, T, O> {
    pub op: O,
    pub a: &'a [T],
    pub b: &'a [T],
    pub c: &'a [T],
    pub out: &'a mut [T],
}

impl<T: Lanes, O: Ternary<T>> WithSimd for Map3<'_, T, O> {
    type Output = ();
    #[inline(always)]
    fn with_simd<S: Simd>(self, s: S) {
        let (a, a_tail) = T::vsplit::<S>(self.a);
        let (b, b_tail) = T::vsplit::<S>(self.b);
        let (c, c_tail) = T::vsplit::<S>(self.c);
        let (out, out_tail) = T::vsplit_mut::<S>(self.out);
        for (((o, &a), &b), &c) in out.iter_mut().zip(a).zip(b).zip(c) {
            *o = self.op.apply(s, a, b, c);
        }
        if !out_tail.is_empty() {
            let v = self.op.apply(
                s,
                T::vload_tail(s, a_tail),
                T::vload_tail(s, b_tail),
                T::vload_tail(s, c_tail),
            );
            T::vstore_tail(s, out_tail, v);
        }
    }
}

// ---- activations ----

#[derive(Clone, Copy)]
pub(crate) struct Sigmoid;
impl<T: Lanes> Unary<T> for Sigmoid {
    /// With `e = e^−|x|` (never overflows): `1/(1 + e)` for `x ≥ 0`, `e/(1 + e)` for `x < 0`,
    /// so results down to the subnormals are right and nothing cancels.
    #[inline(always)]
    fn apply<S: Simd>(self, s: S, x: T::V<S>) -> T::V<S> {
        let one = T::vsplat(s, T::ONE);
        let e = T::vexp(s, T::vsub(s, T::vsplat(s, T::ZERO), T::vabs(s, x)));
        let numerator = T::vselect(s, T::vlt(s, x, T::vsplat(s, T::ZERO)), e, one);
        T::vdiv(s, numerator, T::vadd(s, one, e))
    }
}

#[derive(Clone, Copy)]
pub(crate) struct Tanh;
impl<T: Lanes> Unary<T> for Tanh {
    #[inline(always)]
    fn apply<S: Simd>(self, s: S, x: T::V<S>) -> T::V<S> {
        T::vtanh(s, x)
    }
}

#[derive(Clone, Copy)]
pub(crate) struct Exp;
impl<T: Lanes> Unary<T> for Exp {
    #[inline(always)]
    fn apply<S: Simd>(self, s: S, x: T::V<S>) -> T::V<S> {
        T::vexp(s, x)
    }
}

#[derive(Clone, Copy)]
pub(crate) struct Relu;
impl<T: Lanes> Unary<T> for Relu {
    /// `max(0, x)` with x last, so NaN propagates.
    #[inline(always)]
    fn apply<S: Simd>(self, s: S, x: T::V<S>) -> T::V<S> {
        T::vmax(s, T::vsplat(s, T::ZERO), x)
    }
}

#[derive(Clone, Copy)]
pub(crate) struct LeakyRelu<T>(pub T);
impl<T: Lanes> Unary<T> for LeakyRelu<T> {
    /// `x` if `x > 0` else `slope·x`.
    #[inline(always)]
    fn apply<S: Simd>(self, s: S, x: T::V<S>) -> T::V<S> {
        let scaled = T::vmul(s, T::vsplat(s, self.0), x);
        T::vselect(s, T::vgt(s, x, T::vsplat(s, T::ZERO)), x, scaled)
    }
}

// ---- activation derivatives: (z, a, da) → dz ----

#[derive(Clone, Copy)]
pub(crate) struct SigmoidBack;
impl<T: Lanes> Ternary<T> for SigmoidBack {
    /// `da·a(1 − a)`
    #[inline(always)]
    fn apply<S: Simd>(self, s: S, _z: T::V<S>, a: T::V<S>, da: T::V<S>) -> T::V<S> {
        T::vmul(s, da, T::vmul(s, a, T::vsub(s, T::vsplat(s, T::ONE), a)))
    }
}

#[derive(Clone, Copy)]
pub(crate) struct TanhBack;
impl<T: Lanes> Ternary<T> for TanhBack {
    /// `da·(1 − a²)`
    #[inline(always)]
    fn apply<S: Simd>(self, s: S, _z: T::V<S>, a: T::V<S>, da: T::V<S>) -> T::V<S> {
        T::vmul(s, da, T::vsub(s, T::vsplat(s, T::ONE), T::vmul(s, a, a)))
    }
}

#[derive(Clone, Copy)]
pub(crate) struct LeakyReluBack<T>(pub T);
impl<T: Lanes> Ternary<T> for LeakyReluBack<T> {
    /// `da` if `z > 0` else `slope·da` (slope 0: ReLU)
    #[inline(always)]
    fn apply<S: Simd>(self, s: S, z: T::V<S>, _a: T::V<S>, da: T::V<S>) -> T::V<S> {
        let scaled = T::vmul(s, T::vsplat(s, self.0), da);
        T::vselect(s, T::vgt(s, z, T::vsplat(s, T::ZERO)), da, scaled)
    }
}

#[derive(Clone, Copy)]
pub(crate) struct Product;
impl<T: Lanes> Ternary<T> for Product {
    /// `a·b` (the third input is unused)
    #[inline(always)]
    fn apply<S: Simd>(self, s: S, a: T::V<S>, b: T::V<S>, _c: T::V<S>) -> T::V<S> {
        T::vmul(s, a, b)
    }
}

// ---- in place and reductions ----

/// `y += α·x`.
pub(crate) struct Axpy<'a, T> {
    pub alpha: T,
    pub x: &'a [T],
    pub y: &'a mut [T],
}

impl<T: Lanes> WithSimd for Axpy<'_, T> {
    type Output = ();
    #[inline(always)]
    fn with_simd<S: Simd>(self, s: S) {
        let alpha = T::vsplat(s, self.alpha);
        let (xs, x_tail) = T::vsplit::<S>(self.x);
        let (ys, y_tail) = T::vsplit_mut::<S>(self.y);
        for (y, &x) in ys.iter_mut().zip(xs) {
            *y = T::vfma(s, alpha, x, *y);
        }
        if !x_tail.is_empty() {
            let v = T::vfma(s, alpha, T::vload_tail(s, x_tail), T::vload_tail(s, y_tail));
            T::vstore_tail(s, y_tail, v);
        }
    }
}

/// `Σ x²`, with four accumulators.
pub(crate) struct SumSquares<'a, T>(pub &'a [T]);

impl<T: Lanes> WithSimd for SumSquares<'_, T> {
    type Output = T;
    #[inline(always)]
    fn with_simd<S: Simd>(self, s: S) -> T {
        let (xs, tail) = T::vsplit::<S>(self.0);
        let zero = T::vsplat(s, T::ZERO);
        let mut acc = [zero; 4];
        let mut quads = xs.chunks_exact(4);
        for q in &mut quads {
            for i in 0..4 {
                acc[i] = T::vfma(s, q[i], q[i], acc[i]);
            }
        }
        for &x in quads.remainder() {
            acc[0] = T::vfma(s, x, x, acc[0]);
        }
        let t = T::vload_tail(s, tail);
        acc[1] = T::vfma(s, t, t, acc[1]);
        T::vsum(
            s,
            T::vadd(s, T::vadd(s, acc[0], acc[1]), T::vadd(s, acc[2], acc[3])),
        )
    }
}

/// `out[j] (+)= Σ_rows x[i, j]` over a block of columns: `out += row` for each row, vectorised
/// along the row.
pub(crate) struct AddRows<'a, T> {
    pub x: &'a [T],
    pub cols: usize,
    pub first: usize,
    pub out: &'a mut [T],
}

impl<T: Lanes> WithSimd for AddRows<'_, T> {
    type Output = ();
    /// Four rows at a time, added pairwise before they reach the sums (`o += (r₀ + r₁) +
    /// (r₂ + r₃)`), so that narrow rows (a convolution's 8 or 16 filters) are not one long
    /// chain of dependent additions; the sums of a tail narrower than a vector stay in a
    /// register. The order depends only on the shape.
    #[inline(always)]
    fn with_simd<S: Simd>(self, s: S) {
        let (width, first, cols) = (self.out.len(), self.first, self.cols.max(1));
        let (outs, out_tail) = T::vsplit_mut::<S>(self.out);
        let mut tail = T::vload_tail(s, out_tail);
        let piece = |row| columns::<T, S>(row, first, width);
        let mut quads = self.x.chunks_exact(4 * cols);
        for quad in &mut quads {
            let rows: [_; 4] = std::array::from_fn(|k| piece(&quad[k * cols..(k + 1) * cols]));
            for (v, o) in outs.iter_mut().enumerate() {
                let pair = |a: usize, b: usize| T::vadd(s, rows[a].0[v], rows[b].0[v]);
                *o = T::vadd(s, *o, T::vadd(s, pair(0, 1), pair(2, 3)));
            }
            if !out_tail.is_empty() {
                let t = |k: usize| T::vload_tail(s, rows[k].1);
                let sum = T::vadd(s, T::vadd(s, t(0), t(1)), T::vadd(s, t(2), t(3)));
                tail = T::vadd(s, tail, sum);
            }
        }
        for row in quads.remainder().chunks_exact(cols) {
            let (rs, r_tail) = piece(row);
            for (o, &r) in outs.iter_mut().zip(rs) {
                *o = T::vadd(s, *o, r);
            }
            if !out_tail.is_empty() {
                tail = T::vadd(s, tail, T::vload_tail(s, r_tail));
            }
        }
        if !out_tail.is_empty() {
            T::vstore_tail(s, out_tail, tail);
        }
    }
}

/// The columns `first..first + width` of `row`, as whole vectors and a tail.
#[inline(always)]
fn columns<T: Lanes, S: Simd>(row: &[T], first: usize, width: usize) -> (&[T::V<S>], &[T]) {
    T::vsplit::<S>(&row[first..first + width])
}

/// Adds `bias` to every row of `z`.
pub(crate) struct AddBias<'a, T> {
    pub z: &'a mut [T],
    pub bias: &'a [T],
}

impl<T: Lanes> WithSimd for AddBias<'_, T> {
    type Output = ();
    #[inline(always)]
    fn with_simd<S: Simd>(self, s: S) {
        let n = self.bias.len();
        let (bs, b_tail) = T::vsplit::<S>(self.bias);
        for row in self.z.chunks_exact_mut(n) {
            let (zs, z_tail) = T::vsplit_mut::<S>(row);
            for (z, &b) in zs.iter_mut().zip(bs) {
                *z = T::vadd(s, *z, b);
            }
            if !z_tail.is_empty() {
                let v = T::vadd(s, T::vload_tail(s, z_tail), T::vload_tail(s, b_tail));
                T::vstore_tail(s, z_tail, v);
            }
        }
    }
}

/// Softmax of each row: `e^{z − max} / Σ e^{z − max}`.
pub(crate) struct SoftmaxRows<'a, T> {
    pub z: &'a [T],
    pub cols: usize,
    pub a: &'a mut [T],
}

impl<T: Lanes> WithSimd for SoftmaxRows<'_, T> {
    type Output = ();
    #[inline(always)]
    fn with_simd<S: Simd>(self, s: S) {
        for (zr, ar) in self
            .z
            .chunks_exact(self.cols)
            .zip(self.a.chunks_exact_mut(self.cols))
        {
            let max = zr.iter().fold(zr[0], |m, &v| {
                if v > m || v.partial_cmp(&v).is_none() {
                    v
                } else {
                    m
                }
            });
            let max_v = T::vsplat(s, max);
            let (zs, z_tail) = T::vsplit::<S>(zr);
            let (as_, a_tail) = T::vsplit_mut::<S>(ar);
            let mut sum = T::vsplat(s, T::ZERO);
            for (a, &z) in as_.iter_mut().zip(zs) {
                *a = T::vexp(s, T::vsub(s, z, max_v));
                sum = T::vadd(s, sum, *a);
            }
            let mut total = T::vsum(s, sum);
            if !z_tail.is_empty() {
                let e = T::vexp(s, T::vsub(s, T::vload_tail(s, z_tail), max_v));
                T::vstore_tail(s, a_tail, e);
                total += a_tail.iter().copied().sum::<T>();
            }
            let inv = T::vsplat(s, T::ONE / total);
            let (as_, a_tail) = T::vsplit_mut::<S>(ar);
            for a in as_.iter_mut() {
                *a = T::vmul(s, *a, inv);
            }
            if !a_tail.is_empty() {
                T::vstore_tail(s, a_tail, T::vmul(s, T::vload_tail(s, a_tail), inv));
            }
        }
    }
}

// ---- optimiser updates ----

/// An optimiser rule with one state tensor: `(g, state, w) → (state, w)`.
pub(crate) trait Update<T: Lanes>: Copy {
    fn apply<S: Simd>(self, s: S, g: T::V<S>, state: T::V<S>, w: T::V<S>) -> (T::V<S>, T::V<S>);
}

/// Runs an [`Update`] over a parameter tensor, its gradient and its state.
pub(crate) struct StateUpdate<'a, T, O> {
    pub rule: O,
    pub g: &'a [T],
    pub state: &'a mut [T],
    pub w: &'a mut [T],
}

impl<T: Lanes, O: Update<T>> WithSimd for StateUpdate<'_, T, O> {
    type Output = ();
    #[inline(always)]
    fn with_simd<S: Simd>(self, s: S) {
        let (gs, g_tail) = T::vsplit::<S>(self.g);
        let (ss, s_tail) = T::vsplit_mut::<S>(self.state);
        let (ws, w_tail) = T::vsplit_mut::<S>(self.w);
        for ((st, w), &g) in ss.iter_mut().zip(ws.iter_mut()).zip(gs) {
            (*st, *w) = self.rule.apply(s, g, *st, *w);
        }
        if !g_tail.is_empty() {
            let (st, w) = self.rule.apply(
                s,
                T::vload_tail(s, g_tail),
                T::vload_tail(s, s_tail),
                T::vload_tail(s, w_tail),
            );
            T::vstore_tail(s, s_tail, st);
            T::vstore_tail(s, w_tail, w);
        }
    }
}

/// `v = β·v + (1 − β)·g; w −= lr·v`.
#[derive(Clone, Copy)]
pub(crate) struct Momentum<T> {
    pub lr: T,
    pub beta: T,
}

impl<T: Lanes> Update<T> for Momentum<T> {
    #[inline(always)]
    fn apply<S: Simd>(self, s: S, g: T::V<S>, v: T::V<S>, w: T::V<S>) -> (T::V<S>, T::V<S>) {
        let v = T::vfma(
            s,
            T::vsplat(s, self.beta),
            v,
            T::vmul(s, T::vsplat(s, T::ONE - self.beta), g),
        );
        (v, T::vfma(s, T::vsplat(s, -self.lr), v, w))
    }
}

/// Nesterov momentum, PyTorch's form: `v = μ·v + g; w −= lr·(g + μ·v)`.
#[derive(Clone, Copy)]
pub(crate) struct Nesterov<T> {
    pub lr: T,
    pub mu: T,
}

impl<T: Lanes> Update<T> for Nesterov<T> {
    #[inline(always)]
    fn apply<S: Simd>(self, s: S, g: T::V<S>, v: T::V<S>, w: T::V<S>) -> (T::V<S>, T::V<S>) {
        let mu = T::vsplat(s, self.mu);
        let v = T::vfma(s, mu, v, g);
        let step = T::vfma(s, mu, v, g);
        (v, T::vfma(s, T::vsplat(s, -self.lr), step, w))
    }
}

/// `s = β·s + (1 − β)·g²; w −= lr·g / (√s + ε)`.
#[derive(Clone, Copy)]
pub(crate) struct RmsProp<T> {
    pub lr: T,
    pub beta: T,
    pub epsilon: T,
}

impl<T: Lanes> Update<T> for RmsProp<T> {
    #[inline(always)]
    fn apply<S: Simd>(self, s: S, g: T::V<S>, sq: T::V<S>, w: T::V<S>) -> (T::V<S>, T::V<S>) {
        // No closures here: a closure does not inherit the SIMD target features, so the
        // vector operations inside it would be calls rather than instructions.
        let sq = T::vfma(
            s,
            T::vsplat(s, self.beta),
            sq,
            T::vmul(s, T::vsplat(s, T::ONE - self.beta), T::vmul(s, g, g)),
        );
        let delta = T::vdiv(
            s,
            T::vmul(s, T::vsplat(s, self.lr), g),
            T::vadd(s, T::vsqrt(s, sq), T::vsplat(s, self.epsilon)),
        );
        (sq, T::vsub(s, w, delta))
    }
}

/// Adam's constants as vectors.
struct AdamConstants<V> {
    b1: V,
    b1c: V,
    b2: V,
    b2c: V,
    lr: V,
    eps: V,
    c1: V,
    c2: V,
    decay: V,
}

/// One vector of Adam's update: `(m, v, w)` after the step.
#[inline(always)]
fn adam_step<T: Lanes, S: Simd>(
    s: S,
    k: &AdamConstants<T::V<S>>,
    g: T::V<S>,
    m: T::V<S>,
    v: T::V<S>,
    w: T::V<S>,
) -> (T::V<S>, T::V<S>, T::V<S>) {
    let m = T::vfma(s, k.b1, m, T::vmul(s, k.b1c, g));
    let v = T::vfma(s, k.b2, v, T::vmul(s, k.b2c, T::vmul(s, g, g)));
    let m_hat = T::vdiv(s, m, k.c1);
    let v_hat = T::vdiv(s, v, k.c2);
    let update = T::vdiv(
        s,
        T::vmul(s, k.lr, m_hat),
        T::vadd(s, T::vsqrt(s, v_hat), k.eps),
    );
    (m, v, T::vsub(s, T::vmul(s, w, k.decay), update))
}

/// Adam with bias correction; `c1 = 1 − β₁ᵗ`, `c2 = 1 − β₂ᵗ`.
pub(crate) struct Adam<'a, T> {
    pub lr: T,
    pub beta1: T,
    pub beta2: T,
    pub epsilon: T,
    pub c1: T,
    pub c2: T,
    pub decay: T,
    pub g: &'a [T],
    pub m: &'a mut [T],
    pub v: &'a mut [T],
    pub w: &'a mut [T],
}

impl<T: Lanes> WithSimd for Adam<'_, T> {
    type Output = ();
    #[inline(always)]
    fn with_simd<S: Simd>(self, s: S) {
        let k = AdamConstants {
            b1: T::vsplat(s, self.beta1),
            b1c: T::vsplat(s, T::ONE - self.beta1),
            b2: T::vsplat(s, self.beta2),
            b2c: T::vsplat(s, T::ONE - self.beta2),
            lr: T::vsplat(s, self.lr),
            eps: T::vsplat(s, self.epsilon),
            c1: T::vsplat(s, self.c1),
            c2: T::vsplat(s, self.c2),
            decay: T::vsplat(s, self.decay),
        };
        // A function, not a closure: a closure does not inherit the SIMD target features, and
        // its vector operations became calls (half of the `mlp` workload's time in `perf`).
        let (gs, g_tail) = T::vsplit::<S>(self.g);
        let (ms, m_tail) = T::vsplit_mut::<S>(self.m);
        let (vs, v_tail) = T::vsplit_mut::<S>(self.v);
        let (ws, w_tail) = T::vsplit_mut::<S>(self.w);
        for (((m, v), w), &g) in ms.iter_mut().zip(vs.iter_mut()).zip(ws.iter_mut()).zip(gs) {
            (*m, *v, *w) = adam_step::<T, S>(s, &k, g, *m, *v, *w);
        }
        if !g_tail.is_empty() {
            let (m, v, w) = adam_step::<T, S>(
                s,
                &k,
                T::vload_tail(s, g_tail),
                T::vload_tail(s, m_tail),
                T::vload_tail(s, v_tail),
                T::vload_tail(s, w_tail),
            );
            T::vstore_tail(s, m_tail, m);
            T::vstore_tail(s, v_tail, v);
            T::vstore_tail(s, w_tail, w);
        }
    }
}
