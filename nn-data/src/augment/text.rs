//! The text form of an augmentation, for a command-line flag: parsing (`FromStr`) and
//! printing (`Display`, which round-trips). The grammar is in the module documentation of
//! [`augment`](super).

use std::fmt;
use std::str::FromStr;

use super::{Augmentation, Border, Pad, Step};
use crate::DataError;

/// What an error lists as the valid forms.
const VALID: &str = "valid steps: flip[:P], crop:PAD[:BORDER], affine:S:T[:BORDER], \
     jitter:B[:C], default; or none alone (P in [0, 1]; PAD pixels such as 4 or a percentage \
     of the side such as 12.5%; BORDER zero, reflect or edge; S in [0, 1); T, B, C in [0, 1])";

impl fmt::Display for Border {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Border::Zero => "zero",
            Border::Reflect => "reflect",
            Border::Edge => "edge",
        })
    }
}

impl fmt::Display for Pad {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Pad::Pixels(p) => write!(f, "{p}"),
            Pad::Percent(p) => write!(f, "{p}%"),
        }
    }
}

/// `:BORDER`, or nothing for the default [`Border::Zero`].
struct BorderSuffix(Border);

impl fmt::Display for BorderSuffix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Border::Zero => Ok(()),
            b => write!(f, ":{b}"),
        }
    }
}

/// The step's text form, with defaults left out: `flip`, `crop:4:reflect`, `jitter:0.2`.
impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Step::Flip { p: 0.5 } => f.write_str("flip"),
            Step::Flip { p } => write!(f, "flip:{p}"),
            Step::Crop { padding, border } => write!(f, "crop:{padding}{}", BorderSuffix(border)),
            Step::Affine {
                scale,
                translate,
                border,
            } => write!(f, "affine:{scale}:{translate}{}", BorderSuffix(border)),
            Step::Jitter {
                brightness,
                contrast,
            } if brightness == contrast => write!(f, "jitter:{brightness}"),
            Step::Jitter {
                brightness,
                contrast,
            } => write!(f, "jitter:{brightness}:{contrast}"),
        }
    }
}

/// The text form: the steps separated by commas, or `none`. Parsing it gives the same
/// augmentation back.
impl fmt::Display for Augmentation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.steps.is_empty() {
            return f.write_str("none");
        }
        for (i, step) in self.steps.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            write!(f, "{step}")?;
        }
        Ok(())
    }
}

/// A number, or what is wrong with `text` as the parameter `name`.
fn number(name: &str, text: &str) -> Result<f64, String> {
    text.parse()
        .map_err(|_| format!("{name} \"{text}\" is not a number"))
}

/// A border name.
fn border(text: Option<&str>) -> Result<Border, String> {
    match text {
        None | Some("zero") => Ok(Border::Zero),
        Some("reflect") => Ok(Border::Reflect),
        Some("edge") => Ok(Border::Edge),
        Some(other) => Err(format!(
            "the border \"{other}\" is not one of zero, reflect, edge"
        )),
    }
}

/// A padding: whole pixels, or a percentage.
fn pad(text: &str) -> Result<Pad, String> {
    if let Some(p) = text.strip_suffix('%') {
        return Ok(Pad::Percent(number("the padding percentage", p)?));
    }
    text.parse().map(Pad::Pixels).map_err(|_| {
        format!(
            "the padding \"{text}\" is not a whole number of pixels or a percentage (such as 4 \
             or 12.5%)"
        )
    })
}

/// One step from its name and the parameters after it.
fn step(name: &str, args: &[&str]) -> Result<Step, String> {
    let wrong = |usage: &str| format!("{name} takes {usage} but was given {}", args.len());
    let s = match (name, args) {
        ("flip", []) => Step::Flip { p: 0.5 },
        ("flip", [p]) => Step::Flip {
            p: number("the probability", p)?,
        },
        ("flip", _) => return Err(wrong("at most one parameter (flip[:P])")),
        ("crop", [p, rest @ ..]) if rest.len() <= 1 => Step::Crop {
            padding: pad(p)?,
            border: border(rest.first().copied())?,
        },
        ("crop", _) => return Err(wrong("one or two parameters (crop:PAD[:BORDER])")),
        ("affine", [s, t, rest @ ..]) if rest.len() <= 1 => Step::Affine {
            scale: number("the scale range", s)?,
            translate: number("the translation", t)?,
            border: border(rest.first().copied())?,
        },
        ("affine", _) => return Err(wrong("two or three parameters (affine:S:T[:BORDER])")),
        ("jitter", [b]) => {
            let b = number("the brightness range", b)?;
            Step::Jitter {
                brightness: b,
                contrast: b,
            }
        }
        ("jitter", [b, c]) => Step::Jitter {
            brightness: number("the brightness range", b)?,
            contrast: number("the contrast range", c)?,
        },
        ("jitter", _) => return Err(wrong("one or two parameters (jitter:B[:C])")),
        _ => return Err(format!("unknown step \"{name}\"")),
    };
    s.check()?;
    Ok(s)
}

/// Parses the text form: `none`, or steps separated by commas (spaces around them allowed),
/// where `default` stands for [`Augmentation::default_for_images`]'s steps.
///
/// # Errors
///
/// [`DataError::Invalid`] naming the bad item and listing the valid forms, e.g.
/// `augmentation "flip,crop:x": bad step "crop:x": the padding "x" is not a whole number of
/// pixels or a percentage (such as 4 or 12.5%); valid steps: …`.
impl FromStr for Augmentation {
    type Err = DataError;

    fn from_str(text: &str) -> Result<Self, DataError> {
        let invalid = |message: String| DataError::Invalid {
            message: format!("augmentation \"{text}\": {message}; {VALID}"),
        };
        let spec = text.trim();
        if spec.is_empty() {
            return Err(invalid("empty (give none for no augmentation)".into()));
        }
        if spec == "none" {
            return Ok(Augmentation::none());
        }
        let mut steps = Vec::new();
        for item in spec.split(',').map(str::trim) {
            match item {
                "default" => steps.extend(Augmentation::default_for_images().steps),
                "none" => return Err(invalid("none cannot be combined with steps".into())),
                "" => {
                    return Err(invalid(
                        "an empty step (two commas, or a comma at an end)".into(),
                    ))
                }
                _ => {
                    let mut parts = item.split(':');
                    let name = parts.next().unwrap_or_default();
                    let args: Vec<&str> = parts.collect();
                    let s = step(name, &args)
                        .map_err(|e| invalid(format!("bad step \"{item}\": {e}")))?;
                    steps.push(s);
                }
            }
        }
        Ok(Augmentation { steps })
    }
}
