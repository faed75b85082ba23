//! How model descriptions write sizes and padding: a size is one number for both dimensions
//! (`kernel = 3`) or `[height, width]`; padding is `"valid"`, `"same"`, a number of zero rows
//! and columns on each side, or `{top, bottom, left, right}`.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::Padding;

#[derive(Deserialize)]
#[serde(untagged)]
enum OneOrTwo {
    One(usize),
    Two([usize; 2]),
}

impl From<OneOrTwo> for [usize; 2] {
    fn from(size: OneOrTwo) -> Self {
        match size {
            OneOrTwo::One(n) => [n, n],
            OneOrTwo::Two(p) => p,
        }
    }
}

/// Reads `3` as `[3, 3]` and `[3, 5]` as it is.
pub(crate) fn one_or_two<'de, D: Deserializer<'de>>(d: D) -> Result<[usize; 2], D::Error> {
    Ok(OneOrTwo::deserialize(d)?.into())
}

/// Like [`one_or_two`], for an optional size.
pub(crate) fn maybe_one_or_two<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<Option<[usize; 2]>, D::Error> {
    Ok(Option::<OneOrTwo>::deserialize(d)?.map(Into::into))
}

pub(crate) fn ones() -> [usize; 2] {
    [1, 1]
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Named {
    Valid,
    Same,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Sides {
    top: usize,
    bottom: usize,
    left: usize,
    right: usize,
}

#[derive(Serialize, Deserialize)]
#[serde(untagged)]
enum PaddingText {
    Named(Named),
    Amount(usize),
    Sides(Sides),
}

impl Serialize for Padding {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match *self {
            Padding::Valid => PaddingText::Named(Named::Valid),
            Padding::Same => PaddingText::Named(Named::Same),
            Padding::Explicit {
                top,
                bottom,
                left,
                right,
            } if top == bottom && top == left && top == right => PaddingText::Amount(top),
            Padding::Explicit {
                top,
                bottom,
                left,
                right,
            } => PaddingText::Sides(Sides {
                top,
                bottom,
                left,
                right,
            }),
        }
        .serialize(s)
    }
}

impl<'de> Deserialize<'de> for Padding {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(match PaddingText::deserialize(d)? {
            PaddingText::Named(Named::Valid) => Padding::Valid,
            PaddingText::Named(Named::Same) => Padding::Same,
            PaddingText::Amount(p) => Padding::uniform(p),
            PaddingText::Sides(s) => Padding::Explicit {
                top: s.top,
                bottom: s.bottom,
                left: s.left,
                right: s.right,
            },
        })
    }
}
