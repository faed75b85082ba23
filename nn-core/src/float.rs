//! The element type: a small sealed trait implemented by `f32` (for speed) and `f64` (for
//! gradient checking and for users who want it).

use std::fmt::{Debug, Display};
use std::iter::Sum;
use std::ops::{Add, AddAssign, Div, DivAssign, Mul, MulAssign, Neg, Sub, SubAssign};

use crate::error::Result;
use crate::layer::{DynLayerConfig, Layer};
use crate::persist::ParamData;
use crate::{Init, Rng};

mod sealed {
    pub trait Sealed {}
    impl Sealed for f32 {}
    impl Sealed for f64 {}
}

/// A floating-point element type: `f32` or `f64`. Sealed: no other type implements it.
pub trait Float:
    sealed::Sealed
    + Copy
    + Send
    + Sync
    + Default
    + Debug
    + Display
    + PartialOrd
    + Add<Output = Self>
    + Sub<Output = Self>
    + Mul<Output = Self>
    + Div<Output = Self>
    + Neg<Output = Self>
    + AddAssign
    + SubAssign
    + MulAssign
    + DivAssign
    + Sum
    + 'static
{
    /// `"f32"` or `"f64"`.
    const NAME: &'static str;
    /// The additive identity.
    const ZERO: Self;
    /// The multiplicative identity.
    const ONE: Self;
    /// Converts from `f64`, rounding to nearest.
    fn from_f64(x: f64) -> Self;
    /// Converts to `f64` exactly.
    fn to_f64(self) -> f64;
    /// `eˣ`.
    fn exp(self) -> Self;
    /// Natural logarithm.
    fn ln(self) -> Self;
    /// `ln(1 + x)`, accurate for small `x`.
    fn ln_1p(self) -> Self;
    /// Hyperbolic tangent.
    fn tanh(self) -> Self;
    /// Square root.
    fn sqrt(self) -> Self;
    /// Absolute value.
    fn abs(self) -> Self;
    /// `self·a + b` with one rounding (an FMA instruction where the code is compiled for
    /// one; a slow software path otherwise, so use it only in code built for FMA).
    fn mul_add(self, a: Self, b: Self) -> Self;
    /// `x^n` for an integer `n`.
    fn powi(self, n: i32) -> Self;
    /// The larger of two numbers (ignores a NaN argument, like `f32::max`).
    fn max(self, other: Self) -> Self;
    /// The smaller of two numbers.
    fn min(self, other: Self) -> Self;
    /// `false` for NaN and ±∞.
    fn is_finite(self) -> bool;
    /// Copies parameters into the element type stored in model files.
    fn to_param_data(values: &[Self]) -> ParamData;
    /// Reads stored parameters, converting from the stored element type if it differs.
    fn from_param_data(data: &ParamData) -> Vec<Self>;
    /// Builds the layer `config` describes, in this element type.
    fn build_layer(
        config: &dyn DynLayerConfig,
        input: &[usize],
        init: Init,
        rng: &mut Rng,
    ) -> Result<Box<dyn Layer<Self>>>;
}

macro_rules! impl_float {
    ($t:ident, $variant:ident, $build:ident) => {
        impl Float for $t {
            const NAME: &'static str = stringify!($t);
            const ZERO: Self = 0.0;
            const ONE: Self = 1.0;
            #[inline]
            fn from_f64(x: f64) -> Self {
                x as $t
            }
            #[inline]
            fn to_f64(self) -> f64 {
                self as f64
            }
            #[inline]
            fn exp(self) -> Self {
                $t::exp(self)
            }
            #[inline]
            fn ln(self) -> Self {
                $t::ln(self)
            }
            #[inline]
            fn ln_1p(self) -> Self {
                $t::ln_1p(self)
            }
            #[inline]
            fn tanh(self) -> Self {
                $t::tanh(self)
            }
            #[inline]
            fn sqrt(self) -> Self {
                $t::sqrt(self)
            }
            #[inline]
            fn abs(self) -> Self {
                $t::abs(self)
            }
            #[inline(always)]
            fn mul_add(self, a: Self, b: Self) -> Self {
                $t::mul_add(self, a, b)
            }
            #[inline]
            fn powi(self, n: i32) -> Self {
                $t::powi(self, n)
            }
            #[inline]
            fn max(self, other: Self) -> Self {
                $t::max(self, other)
            }
            #[inline]
            fn min(self, other: Self) -> Self {
                $t::min(self, other)
            }
            #[inline]
            fn is_finite(self) -> bool {
                $t::is_finite(self)
            }
            fn to_param_data(values: &[Self]) -> ParamData {
                ParamData::$variant(values.to_vec())
            }
            fn from_param_data(data: &ParamData) -> Vec<Self> {
                match data {
                    ParamData::F32(v) => v.iter().map(|&x| x as $t).collect(),
                    ParamData::F64(v) => v.iter().map(|&x| x as $t).collect(),
                }
            }
            fn build_layer(
                config: &dyn DynLayerConfig,
                input: &[usize],
                init: Init,
                rng: &mut Rng,
            ) -> Result<Box<dyn Layer<Self>>> {
                config.$build(input, init, rng)
            }
        }
    };
}

impl_float!(f32, F32, build_f32);
impl_float!(f64, F64, build_f64);
