//! Random augmentation of image batches for training: horizontal flips, crops of a padded
//! image, small scalings and shifts, and brightness/contrast jitter, as torchvision's
//! `RandomHorizontalFlip`, `RandomCrop`, `RandomAffine` and `ColorJitter` do them.
//!
//! An [`Augmentation`] is a list of [`Step`]s, applied in order to each image of an
//! `(m, h, w, c)` batch (channels last, values as prepared: scaled to `[0, 1]` or
//! standardised). It implements [`nn_core::Augment`], so `Network::train_on` applies it to
//! each training mini-batch:
//!
//! ```
//! use nn_core::{Augment, Rng, Tensor};
//! use nn_data::Augmentation;
//!
//! let augment: Augmentation = "flip,crop:1:reflect".parse()?;
//! assert_eq!(augment.to_string(), "flip,crop:1:reflect");
//! let mut batch = Tensor::<f32>::from_vec(&[2, 4, 4, 1], (0..32).map(|v| v as f32).collect())?;
//! augment.augment(&mut batch, &mut Rng::seed(1))?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Every random number comes from the caller's [`Rng`], drawn image by image in batch
//! order and, for each image, step by step in list order, a fixed number of draws per step
//! (see [`Step`]): the same seed gives the same batches, whatever the number of threads. The
//! transformations themselves are the functions [`flip`], [`crop`], [`affine`] and [`jitter`],
//! which take the drawn values as arguments.
//!
//! The text form (for a command-line flag, and [`Display`](std::fmt::Display), which
//! round-trips) is a comma-separated list of steps, or `none`, or `default`:
//!
//! | step | meaning | e.g. |
//! | --- | --- | --- |
//! | `flip[:P]` | [`Step::Flip`] with probability `P` (0.5) | `flip`, `flip:0.3` |
//! | `crop:PAD[:BORDER]` | [`Step::Crop`]: `PAD` pixels, or a percentage of the side, per side | `crop:4`, `crop:12.5%:reflect` |
//! | `affine:S:T[:BORDER]` | [`Step::Affine`]: scale in `[1 − S, 1 + S]`, shift up to `T`·side | `affine:0.1:0.1:edge` |
//! | `jitter:B[:C]` | [`Step::Jitter`]: brightness in `[1 − B, 1 + B]`, contrast in `[1 − C, 1 + C]` (`C` = `B`) | `jitter:0.2`, `jitter:0:0.3` |
//! | `default` | [`Augmentation::default_for_images`]'s steps | `default,jitter:0.1` |
//! | `none` (alone) | no augmentation | `none` |
//!
//! `BORDER` is `zero` (the default), `reflect` or `edge` ([`Border`]).

mod ops;
mod text;

pub use ops::{affine, crop, flip, jitter};

use nn_core::{shape_str, Augment, Error, Float, Rng, Tensor};
use serde::{Deserialize, Serialize};

use crate::DataError;

/// What a pixel outside the image reads as, when a crop pads the image or an affine step
/// samples beyond its edge.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Border {
    /// 0 in every channel: black on `[0, 1]` data, the training set's mean on standardised
    /// data (torchvision's `constant` padding with fill 0).
    #[default]
    Zero,
    /// The image mirrored at its edge, without repeating the edge pixel: `… 2 1 | 0 1 2 …`
    /// (torchvision's and NumPy's `reflect`).
    Reflect,
    /// The edge pixel repeated: `… 0 0 | 0 1 2 …` (torchvision's and NumPy's `edge`).
    Edge,
}

impl Border {
    /// The pixel that position `i` of an axis of `n` pixels reads: `i` itself inside `0..n`;
    /// outside, `None` for [`Border::Zero`], the mirrored position for [`Border::Reflect`]
    /// (repeatedly, however far out `i` is), the nearest end for [`Border::Edge`]. `None` for
    /// an empty axis.
    pub fn source(self, i: isize, n: usize) -> Option<usize> {
        let n = isize::try_from(n).ok().filter(|&n| n > 0)?;
        if (0..n).contains(&i) {
            return Some(i as usize);
        }
        match self {
            Border::Zero => None,
            Border::Edge => Some(i.clamp(0, n - 1) as usize),
            Border::Reflect if n == 1 => Some(0),
            Border::Reflect => {
                let period = 2 * (n - 1);
                let m = i.rem_euclid(period);
                Some(if m < n { m } else { period - m } as usize)
            }
        }
    }
}

/// How much a crop pads each side of the image.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Pad {
    /// This many pixels on every side (torchvision's `padding`).
    Pixels(usize),
    /// This percentage of the side: `round(h · p / 100)` pixels above and below,
    /// `round(w · p / 100)` left and right (so one description suits every image size).
    Percent(f64),
}

impl Pad {
    /// The pixels this padding adds on each end of a side of `side` pixels.
    pub fn pixels(self, side: usize) -> usize {
        match self {
            Pad::Pixels(p) => p,
            Pad::Percent(p) => (side as f64 * p / 100.0).round() as usize,
        }
    }
}

/// One transformation of an [`Augmentation`], with the range its random parameters are drawn
/// from. Each draw is one `rng.uniform(low, high)`; an index in `0..n` is
/// `⌊n · rng.uniform(0, 1)⌋`. A step makes the same draws whatever it draws (a flip with
/// `p = 1` still draws).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Step {
    /// Mirrors the image left to right ([`flip`]) with probability `p`: draws `u` in `[0, 1)`
    /// and flips if `u < p`. torchvision's `RandomHorizontalFlip(p)`.
    Flip {
        /// The probability of a flip, in `[0, 1]`.
        p: f64,
    },
    /// Pads each side by `padding` and crops back to `h × w` at a random offset ([`crop`]):
    /// draws the row offset in `0..=2·ph`, then the column offset in `0..=2·pw`.
    /// torchvision's `RandomCrop((h, w), padding, padding_mode=…)`.
    Crop {
        /// The padding of each side; less than the side, checked on each batch.
        padding: Pad,
        /// What the padding holds.
        border: Border,
    },
    /// Scales about the centre and shifts, sampling bilinearly ([`affine`]): draws the scale in
    /// `[1 − scale, 1 + scale]`, then the row shift in `[−translate·h, translate·h]`, then the
    /// column shift in `[−translate·w, translate·w]` (pixels). torchvision's
    /// `RandomAffine(0, translate=(t, t), scale=(1 − s, 1 + s))` with bilinear interpolation.
    Affine {
        /// The largest relative change of size, in `[0, 1)`.
        scale: f64,
        /// The largest shift, as a fraction of the side, in `[0, 1]`.
        translate: f64,
        /// What is sampled beyond the edges.
        border: Border,
    },
    /// Brightness, then contrast ([`jitter`]): draws the brightness factor in
    /// `[1 − brightness, 1 + brightness]`, then the contrast factor in
    /// `[1 − contrast, 1 + contrast]`, and sets `x ← b·x`, then `x ← c·x + (1 − c)·μ` with `μ`
    /// the image's mean. On `[0, 1]` data this is torchvision's
    /// `ColorJitter(brightness, contrast)` (in a fixed order, not clamped). On standardised
    /// data, where 0 is the training set's mean, the brightness factor scales each value's
    /// distance from that mean; use `brightness` 0 if only contrast should change. Factors 0
    /// leave the image exactly as it was.
    Jitter {
        /// The largest relative change of brightness, in `[0, 1]`.
        brightness: f64,
        /// The largest relative change of contrast, in `[0, 1]`.
        contrast: f64,
    },
}

/// `value` in `low..=high` (or `low..high` if `open`), else what is wrong with it.
fn in_range(name: &str, value: f64, low: f64, high: f64, open: bool) -> Result<(), String> {
    let inside = value >= low && (value < high || (!open && value == high));
    if inside {
        return Ok(());
    }
    let close = if open { ')' } else { ']' };
    Err(format!("{name} {value} is not in [{low}, {high}{close}"))
}

impl Step {
    /// Checks the step's parameters against their ranges (not against an image's size, which
    /// only a batch knows); the message says which parameter is wrong.
    fn check(&self) -> Result<(), String> {
        match *self {
            Step::Flip { p } => in_range("the probability", p, 0.0, 1.0, false),
            Step::Crop { padding, .. } => match padding {
                Pad::Pixels(_) => Ok(()),
                Pad::Percent(p) => in_range("the padding percentage", p, 0.0, 100.0, true),
            },
            Step::Affine {
                scale, translate, ..
            } => {
                in_range("the scale range", scale, 0.0, 1.0, true)?;
                in_range("the translation", translate, 0.0, 1.0, false)
            }
            Step::Jitter {
                brightness,
                contrast,
            } => {
                in_range("the brightness range", brightness, 0.0, 1.0, false)?;
                in_range("the contrast range", contrast, 0.0, 1.0, false)
            }
        }
    }

    /// Checks that the step can transform `h × w` images.
    fn check_size(&self, h: usize, w: usize) -> Result<(), Error> {
        if let Step::Crop { padding, .. } = *self {
            let (ph, pw) = (padding.pixels(h), padding.pixels(w));
            if ph >= h || pw >= w {
                return Err(Error::shape(
                    "Augmentation",
                    format!(
                        "{self} pads the images by {ph}×{pw} pixels, but they are {h}×{w}: the \
                         padding must be less than the height and the width"
                    ),
                ));
            }
        }
        Ok(())
    }

    /// Draws this step's parameters for one image from `rng` and applies it; `scratch` holds
    /// one image.
    fn apply<T: Float>(
        &self,
        image: &mut [T],
        hwc: [usize; 3],
        rng: &mut Rng,
        scratch: &mut [T],
    ) -> Result<(), Error> {
        let [h, w, _] = hwc;
        match *self {
            Step::Flip { p } => {
                if rng.uniform::<f64>(0.0, 1.0) < p {
                    flip(image, hwc)?;
                }
            }
            Step::Crop { padding, border } => {
                let (ph, pw) = (padding.pixels(h), padding.pixels(w));
                let dy = draw_index(rng, 2 * ph + 1);
                let dx = draw_index(rng, 2 * pw + 1);
                crop(image, hwc, (ph, pw), border, (dy, dx), scratch)?;
                image.copy_from_slice(scratch);
            }
            Step::Affine {
                scale,
                translate,
                border,
            } => {
                let s = rng.uniform(1.0 - scale, 1.0 + scale);
                let (th, tw) = (translate * h as f64, translate * w as f64);
                let ty = rng.uniform(-th, th);
                let tx = rng.uniform(-tw, tw);
                affine(image, hwc, s, (ty, tx), border, scratch)?;
                image.copy_from_slice(scratch);
            }
            Step::Jitter {
                brightness,
                contrast,
            } => {
                let b = rng.uniform(1.0 - brightness, 1.0 + brightness);
                let c = rng.uniform(1.0 - contrast, 1.0 + contrast);
                jitter(image, b, c);
            }
        }
        Ok(())
    }
}

/// An index in `0..n` (`n ≥ 1`), from one uniform draw.
fn draw_index(rng: &mut Rng, n: usize) -> usize {
    let u: f64 = rng.uniform(0.0, 1.0);
    ((u * n as f64) as usize).min(n - 1)
}

/// A random augmentation of image batches: [`Step`]s applied in order to each image, drawn
/// from the caller's [`Rng`] (see the [module documentation](self) for the order of the draws
/// and the text form). Build one with [`Augmentation::none`] or
/// [`Augmentation::default_for_images`] and the chained steps, or parse its text form; it
/// saves through serde as `{"steps": [...]}`, checked when read.
///
/// ```
/// use nn_data::augment::{Border, Pad};
/// use nn_data::Augmentation;
///
/// let a = Augmentation::none().flip(0.5).crop(Pad::Pixels(4), Border::Reflect).jitter(0.1, 0.1);
/// assert_eq!(a.to_string(), "flip,crop:4:reflect,jitter:0.1");
/// assert_eq!("flip,crop:4:reflect,jitter:0.1".parse::<Augmentation>()?, a);
/// # Ok::<(), nn_data::DataError>(())
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "Unchecked")]
pub struct Augmentation {
    /// The steps, in the order they are applied.
    pub steps: Vec<Step>,
}

/// An augmentation as read, before [`Augmentation::validate`].
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Unchecked {
    steps: Vec<Step>,
}

impl TryFrom<Unchecked> for Augmentation {
    type Error = DataError;
    fn try_from(u: Unchecked) -> Result<Self, DataError> {
        let a = Augmentation { steps: u.steps };
        a.validate()?;
        Ok(a)
    }
}

impl Augmentation {
    /// No steps: batches are left as they are (text form `none`).
    pub fn none() -> Self {
        Augmentation { steps: Vec::new() }
    }

    /// A sensible default for small images (text form `default`, shown as
    /// `flip,crop:12.5%:reflect`): a horizontal flip with probability 0.5, then a crop of the
    /// image padded by 1/8 of its side with reflected pixels — torchvision's usual CIFAR-10
    /// recipe (`RandomCrop(32, padding=4)`, `RandomHorizontalFlip()`) for any size, reflecting
    /// rather than padding with zeros so that no black border appears. No jitter (the
    /// course's photos vary in lighting already; add `jitter:0.1` if yours do not). Not for
    /// images whose class changes when mirrored, such as digits or text: use `crop:12.5%`
    /// alone there.
    pub fn default_for_images() -> Self {
        Augmentation::none()
            .flip(0.5)
            .crop(Pad::Percent(12.5), Border::Reflect)
    }

    /// Whether there are no steps.
    pub fn is_none(&self) -> bool {
        self.steps.is_empty()
    }

    /// Adds `step` at the end.
    pub fn step(mut self, step: Step) -> Self {
        self.steps.push(step);
        self
    }

    /// Adds `other`'s steps at the end.
    pub fn then(mut self, other: Augmentation) -> Self {
        self.steps.extend(other.steps);
        self
    }

    /// Adds a horizontal flip with probability `p` ([`Step::Flip`]).
    pub fn flip(self, p: f64) -> Self {
        self.step(Step::Flip { p })
    }

    /// Adds a crop of the image padded by `padding` ([`Step::Crop`]).
    pub fn crop(self, padding: Pad, border: Border) -> Self {
        self.step(Step::Crop { padding, border })
    }

    /// Adds a random scaling in `[1 − scale, 1 + scale]` and shift of up to `translate` times
    /// the side ([`Step::Affine`]).
    pub fn affine(self, scale: f64, translate: f64, border: Border) -> Self {
        self.step(Step::Affine {
            scale,
            translate,
            border,
        })
    }

    /// Adds brightness and contrast jitter ([`Step::Jitter`]).
    pub fn jitter(self, brightness: f64, contrast: f64) -> Self {
        self.step(Step::Jitter {
            brightness,
            contrast,
        })
    }

    /// Checks every step's parameters against their ranges (probabilities in `[0, 1]`, …).
    /// Parsing and deserialising check this; [`Augment::augment`] checks it too, since the
    /// steps are public.
    ///
    /// # Errors
    ///
    /// [`DataError::Invalid`] naming the step and the parameter, e.g.
    /// `augmentation step 1 (flip:2): the probability 2 is not in [0, 1]`.
    pub fn validate(&self) -> Result<(), DataError> {
        for (i, step) in self.steps.iter().enumerate() {
            step.check().map_err(|problem| DataError::Invalid {
                message: format!("augmentation step {} ({step}): {problem}", i + 1),
            })?;
        }
        Ok(())
    }

    /// The `[h, w, c]` of the images of `shape`, if the steps can transform them.
    fn check_batch(&self, shape: &[usize]) -> Result<[usize; 3], Error> {
        let &[_, h, w, c] = shape else {
            return Err(Error::shape(
                "Augmentation",
                format!(
                    "the batch {} is not a batch of images (m, h, w, c)",
                    shape_str(shape)
                ),
            ));
        };
        if h == 0 || w == 0 || c == 0 {
            return Err(Error::shape(
                "Augmentation",
                format!("the images of the batch {} are empty", shape_str(shape)),
            ));
        }
        for step in &self.steps {
            step.check_size(h, w)?;
        }
        Ok([h, w, c])
    }
}

/// Applies the steps to each image of an `(m, h, w, c)` batch in place, drawing from `rng`
/// image by image, step by step.
///
/// # Errors
///
/// [`Error::Config`] if a step's parameters are out of range ([`Augmentation::validate`]);
/// [`Error::Shape`] if the batch is not 4-D, its images are empty, or a crop's padding is not
/// less than the height or width. The batch is checked before anything is drawn or changed.
impl<T: Float> Augment<T> for Augmentation {
    fn augment(&self, batch: &mut Tensor<T>, rng: &mut Rng) -> nn_core::Result<()> {
        self.validate().map_err(|e| Error::Config(e.to_string()))?;
        let hwc = self.check_batch(batch.shape())?;
        if self.steps.is_empty() {
            return Ok(());
        }
        let n = hwc.iter().product::<usize>();
        let resamples = |s: &Step| matches!(s, Step::Crop { .. } | Step::Affine { .. });
        let mut scratch = if self.steps.iter().any(resamples) {
            vec![T::ZERO; n]
        } else {
            Vec::new()
        };
        for image in batch.data_mut().chunks_exact_mut(n) {
            for step in &self.steps {
                step.apply(image, hwc, rng, &mut scratch)?;
            }
        }
        Ok(())
    }
}
