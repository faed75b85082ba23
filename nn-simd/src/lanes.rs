//! `Lanes`: the vector operations the kernels need, for `f32` and `f64` alike, on top of pulp's
//! per-type methods; with `exp` and `tanh`, which pulp lacks.
//!
//! `exp` is Cephes-style: `n = round(x·log₂e)` by adding and subtracting 1.5·2^(p−1), the
//! Cody–Waite reduction `r = x − n·C₁ − n·C₂` (C₁ exact, so the first product is exact), a
//! polynomial (f32: degree 5) or rational (f64: Padé 2/3) approximation of `eʳ` on
//! |r| ≤ ln2/2, and `2ⁿ` built in the exponent bits. Where `n` leaves the normal exponent range
//! (results near the largest float, or subnormal) one extra exact power of two is applied, so
//! the whole range is correct: overflow gives +∞, underflow 0, NaN stays NaN.
//!
//! `tanh`: a polynomial (f32) or rational (f64) in `x²` for |x| < 0.625, where `1 − 2/(e^{2x}+1)`
//! would cancel, and `1 − 2/(e^{2|x|} + 1)` with the sign restored elsewhere.

use nn_core::Float;
use pulp::Simd;

/// Vector operations on lanes of `Self`.
pub(crate) trait Lanes: Float {
    type V<S: Simd>: Copy;
    type M<S: Simd>: Copy;
    fn vsplat<S: Simd>(s: S, x: Self) -> Self::V<S>;
    fn vadd<S: Simd>(s: S, a: Self::V<S>, b: Self::V<S>) -> Self::V<S>;
    fn vsub<S: Simd>(s: S, a: Self::V<S>, b: Self::V<S>) -> Self::V<S>;
    fn vmul<S: Simd>(s: S, a: Self::V<S>, b: Self::V<S>) -> Self::V<S>;
    fn vdiv<S: Simd>(s: S, a: Self::V<S>, b: Self::V<S>) -> Self::V<S>;
    /// `a·b + c`, fused.
    fn vfma<S: Simd>(s: S, a: Self::V<S>, b: Self::V<S>, c: Self::V<S>) -> Self::V<S>;
    /// `max(a, b)`; if either is NaN, `b` (x86 `maxps` semantics: put the NaN-carrier last).
    fn vmax<S: Simd>(s: S, a: Self::V<S>, b: Self::V<S>) -> Self::V<S>;
    fn vsqrt<S: Simd>(s: S, a: Self::V<S>) -> Self::V<S>;
    fn vabs<S: Simd>(s: S, a: Self::V<S>) -> Self::V<S>;
    fn vlt<S: Simd>(s: S, a: Self::V<S>, b: Self::V<S>) -> Self::M<S>;
    fn vgt<S: Simd>(s: S, a: Self::V<S>, b: Self::V<S>) -> Self::M<S>;
    /// `a == a`: false exactly for NaN lanes.
    fn vis_number<S: Simd>(s: S, a: Self::V<S>) -> Self::M<S>;
    fn vselect<S: Simd>(s: S, m: Self::M<S>, yes: Self::V<S>, no: Self::V<S>) -> Self::V<S>;
    fn vsplit<S: Simd>(x: &[Self]) -> (&[Self::V<S>], &[Self]);
    fn vsplit_mut<S: Simd>(x: &mut [Self]) -> (&mut [Self::V<S>], &mut [Self]);
    /// Loads a short tail; missing lanes are zero.
    fn vload_tail<S: Simd>(s: S, x: &[Self]) -> Self::V<S>;
    fn vstore_tail<S: Simd>(s: S, x: &mut [Self], v: Self::V<S>);
    fn vsum<S: Simd>(s: S, v: Self::V<S>) -> Self;
    /// `eˣ` (see the module docs).
    fn vexp<S: Simd>(s: S, x: Self::V<S>) -> Self::V<S>;
    /// `tanh x` (see the module docs).
    fn vtanh<S: Simd>(s: S, x: Self::V<S>) -> Self::V<S>;
}

/// `c[0]·xⁿ + … + c[n]` by Horner's rule with fused multiply-adds.
#[inline(always)]
fn horner<T: Lanes, S: Simd>(s: S, x: T::V<S>, c: &[f64]) -> T::V<S> {
    let mut p = T::vsplat(s, T::from_f64(c[0]));
    for &k in &c[1..] {
        p = T::vfma(s, p, x, T::vsplat(s, T::from_f64(k)));
    }
    p
}

/// `tanh` from `exp` for |x| ≥ 0.625 and a small-argument form `small(x, x²)` below.
#[inline(always)]
fn tanh_with<T: Lanes, S: Simd>(
    s: S,
    x: T::V<S>,
    small: impl Fn(T::V<S>, T::V<S>) -> T::V<S>,
) -> T::V<S> {
    let (one, two) = (T::vsplat(s, T::ONE), T::vsplat(s, T::from_f64(2.0)));
    let ax = T::vabs(s, x);
    // 1 − 2/(e^{2|x|} + 1): e^{2|x|} = ∞ gives exactly 1.
    let big = T::vsub(
        s,
        one,
        T::vdiv(s, two, T::vadd(s, T::vexp(s, T::vadd(s, ax, ax)), one)),
    );
    let big = T::vselect(
        s,
        T::vlt(s, x, T::vsplat(s, T::ZERO)),
        T::vsub(s, T::vsplat(s, T::ZERO), big),
        big,
    );
    let z = T::vmul(s, x, x);
    let near_zero = T::vlt(s, ax, T::vsplat(s, T::from_f64(0.625)));
    let r = T::vselect(s, near_zero, small(x, z), big);
    T::vselect(s, T::vis_number(s, x), r, x)
}

macro_rules! lanes {
    ($t:ident, $v:ident, $m:ident, $u:ident,
     $splat:ident, $add:ident, $sub:ident, $mul:ident, $div:ident, $fma:ident, $max:ident, $min:ident,
     $sqrt:ident, $abs:ident, $lt:ident, $gt:ident, $eq:ident, $select:ident, $as_simd:ident, $as_mut_simd:ident,
     $pload:ident, $pstore:ident, $rsum:ident,
     $to_bits:ident) => {
        impl Lanes for $t {
            type V<S: Simd> = S::$v;
            type M<S: Simd> = S::$m;
            #[inline(always)]
            fn vsplat<S: Simd>(s: S, x: Self) -> S::$v {
                s.$splat(x)
            }
            #[inline(always)]
            fn vadd<S: Simd>(s: S, a: S::$v, b: S::$v) -> S::$v {
                s.$add(a, b)
            }
            #[inline(always)]
            fn vsub<S: Simd>(s: S, a: S::$v, b: S::$v) -> S::$v {
                s.$sub(a, b)
            }
            #[inline(always)]
            fn vmul<S: Simd>(s: S, a: S::$v, b: S::$v) -> S::$v {
                s.$mul(a, b)
            }
            #[inline(always)]
            fn vdiv<S: Simd>(s: S, a: S::$v, b: S::$v) -> S::$v {
                s.$div(a, b)
            }
            #[inline(always)]
            fn vfma<S: Simd>(s: S, a: S::$v, b: S::$v, c: S::$v) -> S::$v {
                s.$fma(a, b, c)
            }
            #[inline(always)]
            fn vmax<S: Simd>(s: S, a: S::$v, b: S::$v) -> S::$v {
                s.$max(a, b)
            }
            #[inline(always)]
            fn vsqrt<S: Simd>(s: S, a: S::$v) -> S::$v {
                s.$sqrt(a)
            }
            #[inline(always)]
            fn vabs<S: Simd>(s: S, a: S::$v) -> S::$v {
                s.$abs(a)
            }
            #[inline(always)]
            fn vlt<S: Simd>(s: S, a: S::$v, b: S::$v) -> S::$m {
                s.$lt(a, b)
            }
            #[inline(always)]
            fn vgt<S: Simd>(s: S, a: S::$v, b: S::$v) -> S::$m {
                s.$gt(a, b)
            }
            #[inline(always)]
            fn vis_number<S: Simd>(s: S, a: S::$v) -> S::$m {
                s.$eq(a, a)
            }
            #[inline(always)]
            fn vselect<S: Simd>(s: S, m: S::$m, yes: S::$v, no: S::$v) -> S::$v {
                s.$select(m, yes, no)
            }
            #[inline(always)]
            fn vsplit<S: Simd>(x: &[Self]) -> (&[S::$v], &[Self]) {
                S::$as_simd(x)
            }
            #[inline(always)]
            fn vsplit_mut<S: Simd>(x: &mut [Self]) -> (&mut [S::$v], &mut [Self]) {
                S::$as_mut_simd(x)
            }
            #[inline(always)]
            fn vload_tail<S: Simd>(s: S, x: &[Self]) -> S::$v {
                s.$pload(x)
            }
            #[inline(always)]
            fn vstore_tail<S: Simd>(s: S, x: &mut [Self], v: S::$v) {
                s.$pstore(x, v)
            }
            #[inline(always)]
            fn vsum<S: Simd>(s: S, v: S::$v) -> Self {
                s.$rsum(v)
            }

            #[inline(always)]
            fn vexp<S: Simd>(s: S, x: S::$v) -> S::$v {
                let c = exp_constants::$t::C;
                let k = |v: f64| s.$splat(v as $t);
                // Clamp so that n stays in range (x last: maxps/minps return their second
                // operand when one is NaN, so NaN flows through). Past `highest` the result
                // overflows to +∞ by itself, below `lowest` it rounds to 0.
                let xc = s.$min(k(c.highest), s.$max(k(c.lowest), x));
                let t = s.$fma(xc, k(std::f64::consts::LOG2_E), k(c.magic));
                let n = s.$sub(t, k(c.magic));
                let r = s.$fma(n, k(-c.c1), xc);
                let r = s.$fma(n, k(-c.c2), r);
                let er = exp_constants::$t::reduced(s, r);
                // 2ⁿ in the exponent bits, with n moved into the normal range by `shift` and
                // the difference applied as an exact factor.
                let too_big = s.$gt(n, k(c.max_exponent));
                let too_small = s.$lt(n, k(c.min_exponent));
                let shift = s.$select(
                    too_big,
                    k(-1.0),
                    s.$select(too_small, k(c.subnormal_shift), k(0.0)),
                );
                let factor = s.$select(
                    too_big,
                    k(2.0),
                    s.$select(too_small, k(c.subnormal_factor), k(1.0)),
                );
                let nt = s.$add(t, shift); // still magic + integer: shifting n shifts the bits
                let y = s.$mul(
                    s.$mul(er, exp_constants::$t::pow2(s, s.$to_bits(nt))),
                    factor,
                );
                // Explicitly, for instruction sets whose max/min drop NaN.
                s.$select(s.$eq(x, x), y, x)
            }

            #[inline(always)]
            fn vtanh<S: Simd>(s: S, x: S::$v) -> S::$v {
                tanh_with::<$t, S>(s, x, |x, z| exp_constants::$t::tanh_small(s, x, z))
            }
        }
    };
}

/// The constants of `exp` for one element type.
struct ExpConstants {
    magic: f64,
    c1: f64,
    c2: f64,
    lowest: f64,
    highest: f64,
    max_exponent: f64,
    min_exponent: f64,
    subnormal_shift: f64,
    subnormal_factor: f64,
}

// The Cephes constants are kept digit for digit as published.
#[allow(
    non_camel_case_types,
    non_upper_case_globals,
    clippy::excessive_precision
)]
mod exp_constants {
    use super::{horner, ExpConstants};
    use pulp::Simd;

    pub(super) struct f32;
    impl f32 {
        pub(super) const C: ExpConstants = ExpConstants {
            magic: 12582912.0, // 1.5·2²³
            c1: 0.693359375,
            c2: -2.121_944_4e-4,
            lowest: -104.0, // e⁻¹⁰⁴ < 2⁻¹⁵⁰: rounds to 0
            highest: 88.8,  // e^88.8 > f32::MAX: overflows to +∞
            max_exponent: 127.0,
            min_exponent: -125.0,
            subnormal_shift: 24.0,
            subnormal_factor: 5.960_464_477_539_063e-8, // 2⁻²⁴
        };
        /// 2ⁿ from the bits of `magic + n`: their low bits hold n, so `(bits + 127) << 23`
        /// is n's biased exponent in place (the magic's own bits shift out).
        #[inline(always)]
        pub(super) fn pow2<S: Simd>(s: S, bits: S::u32s) -> S::f32s {
            s.transmute_f32s_u32s(
                s.wrapping_dyn_shl_u32s(s.add_u32s(bits, s.splat_u32s(127)), s.splat_u32s(23)),
            )
        }

        /// eʳ on |r| ≤ ln2/2: Cephes `expf`'s polynomial.
        #[inline(always)]
        pub(super) fn reduced<S: Simd>(s: S, r: S::f32s) -> S::f32s {
            let p = horner::<core::primitive::f32, S>(
                s,
                r,
                &[
                    1.987_569_15e-4,
                    1.398_199_950_7e-3,
                    8.333_451_907_3e-3,
                    4.166_579_589_4e-2,
                    1.666_666_545_9e-1,
                    5.000_000_120_1e-1,
                ],
            );
            s.add_f32s(s.mul_add_e_f32s(p, s.mul_f32s(r, r), r), s.splat_f32s(1.0))
        }

        /// tanh on |x| < 0.625: Cephes `tanhf`, `x·(1 + z·P(z))`.
        #[inline(always)]
        pub(super) fn tanh_small<S: Simd>(s: S, x: S::f32s, z: S::f32s) -> S::f32s {
            let p = horner::<core::primitive::f32, S>(
                s,
                z,
                &[
                    -5.704_988_727_45e-3,
                    2.063_908_879_54e-2,
                    -5.373_971_555_31e-2,
                    1.333_144_220_36e-1,
                    -3.333_328_194_22e-1,
                ],
            );
            // x·(1 + z·P) rather than x + x·z·P: keeps the sign of −0.
            s.mul_f32s(x, s.mul_add_e_f32s(p, z, s.splat_f32s(1.0)))
        }
    }

    pub(super) struct f64;
    impl f64 {
        pub(super) const C: ExpConstants = ExpConstants {
            magic: 6755399441055744.0, // 1.5·2⁵²
            c1: 6.931_457_519_531_25e-1,
            c2: 1.428_606_820_309_417_232_12e-6,
            lowest: -746.0, // rounds to 0
            highest: 710.0, // overflows to +∞
            max_exponent: 1023.0,
            min_exponent: -1021.0,
            subnormal_shift: 54.0,
            subnormal_factor: 5.551_115_123_125_783e-17, // 2⁻⁵⁴
        };
        /// 2ⁿ from the bits of `magic + n` (multiplying by 2⁵² shifts: pulp has no 64-bit
        /// variable shift).
        #[inline(always)]
        pub(super) fn pow2<S: Simd>(s: S, bits: S::u64s) -> S::f64s {
            s.transmute_f64s_u64s(
                s.mul_u64s(s.add_u64s(bits, s.splat_u64s(1023)), s.splat_u64s(1 << 52)),
            )
        }

        /// eʳ on |r| ≤ ln2/2: Cephes `exp`'s Padé form `1 + 2·rP(r²)/(Q(r²) − rP(r²))`.
        #[inline(always)]
        pub(super) fn reduced<S: Simd>(s: S, r: S::f64s) -> S::f64s {
            let z = s.mul_f64s(r, r);
            let p = s.mul_f64s(
                r,
                horner::<core::primitive::f64, S>(
                    s,
                    z,
                    &[
                        1.261_771_930_748_105_908_78e-4,
                        3.029_944_077_074_419_613e-2,
                        9.999_999_999_999_999_999_1e-1,
                    ],
                ),
            );
            let q = horner::<core::primitive::f64, S>(
                s,
                z,
                &[
                    3.001_985_051_386_644_550_42e-6,
                    2.524_483_403_496_841_041_92e-3,
                    2.272_655_482_081_550_287_66e-1,
                    2.0,
                ],
            );
            let two = s.splat_f64s(2.0);
            s.mul_add_e_f64s(two, s.div_f64s(p, s.sub_f64s(q, p)), s.splat_f64s(1.0))
        }

        /// tanh on |x| < 0.625: Cephes `tanh`, `x·(1 + z·P(z)/Q(z))`.
        #[inline(always)]
        pub(super) fn tanh_small<S: Simd>(s: S, x: S::f64s, z: S::f64s) -> S::f64s {
            let p = horner::<core::primitive::f64, S>(
                s,
                z,
                &[
                    -9.643_991_794_250_522_386_28e-1,
                    -9.928_772_310_019_185_865_64e1,
                    -1.614_687_684_417_084_479_52e3,
                ],
            );
            let q = horner::<core::primitive::f64, S>(
                s,
                z,
                &[
                    1.0,
                    1.128_116_784_916_329_314_02e2,
                    2.235_488_390_601_004_485_83e3,
                    4.844_063_053_251_254_860_48e3,
                ],
            );
            s.mul_f64s(x, s.mul_add_e_f64s(s.div_f64s(p, q), z, s.splat_f64s(1.0)))
        }
    }
}

lanes!(
    f32,
    f32s,
    m32s,
    u32s,
    splat_f32s,
    add_f32s,
    sub_f32s,
    mul_f32s,
    div_f32s,
    mul_add_e_f32s,
    max_f32s,
    min_f32s,
    sqrt_f32s,
    abs_f32s,
    less_than_f32s,
    greater_than_f32s,
    equal_f32s,
    select_f32s,
    as_simd_f32s,
    as_mut_simd_f32s,
    partial_load_f32s,
    partial_store_f32s,
    reduce_sum_f32s,
    transmute_u32s_f32s
);
lanes!(
    f64,
    f64s,
    m64s,
    u64s,
    splat_f64s,
    add_f64s,
    sub_f64s,
    mul_f64s,
    div_f64s,
    mul_add_e_f64s,
    max_f64s,
    min_f64s,
    sqrt_f64s,
    abs_f64s,
    less_than_f64s,
    greater_than_f64s,
    equal_f64s,
    select_f64s,
    as_simd_f64s,
    as_mut_simd_f64s,
    partial_load_f64s,
    partial_store_f64s,
    reduce_sum_f64s,
    transmute_u64s_f64s
);
