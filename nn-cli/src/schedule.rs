//! `--schedule`: the learning-rate schedule by name, with the run's epochs filled in.

use anyhow::{bail, Result};
use nn_core::Decay;

/// The schedule `text` names for a run of `epochs` epochs: `constant`, `step:EVERY:FACTOR`,
/// `exponential:RATE`, `inverse:RATE` (the course's `α₀/(1 + rate·epoch)`), `cosine` or
/// `cosine:WARMUP` (linear warm-up epochs, then cosine decay to 0), `one-cycle`.
pub fn parse(text: &str, epochs: usize) -> Result<Decay> {
    let (name, args) = text.split_once(':').unwrap_or((text, ""));
    let values = Values {
        text,
        name,
        numbers: if args.is_empty() {
            Vec::new()
        } else {
            args.split(':').collect()
        },
    };
    let decay = values.decay(epochs)?;
    decay
        .validate()
        .map_err(|e| anyhow::anyhow!("--schedule {text} over {epochs} epochs: {e}"))?;
    Ok(decay)
}

/// The parts of a `--schedule` value.
struct Values<'a> {
    text: &'a str,
    name: &'a str,
    numbers: Vec<&'a str>,
}

impl Values<'_> {
    /// Value `i`, a finite number, described as `what` in errors.
    fn number(&self, i: usize, what: &str) -> Result<f64> {
        let Some(s) = self.numbers.get(i) else {
            bail!(
                "--schedule {}: {} needs {what} (e.g. {})",
                self.text,
                self.name,
                example(self.name)
            )
        };
        s.trim()
            .parse::<f64>()
            .ok()
            .filter(|v| v.is_finite())
            .ok_or_else(|| {
                anyhow::anyhow!("--schedule {}: {what} {s:?} is not a number", self.text)
            })
    }

    /// An error if there are more than `want` values.
    fn at_most(&self, want: usize) -> Result<()> {
        if self.numbers.len() > want {
            bail!(
                "--schedule {}: too many values (e.g. {})",
                self.text,
                example(self.name)
            );
        }
        Ok(())
    }

    /// The schedule, for a run of `epochs`.
    fn decay(&self, epochs: usize) -> Result<Decay> {
        Ok(match self.name {
            "constant" => {
                self.at_most(0)?;
                Decay::Constant
            }
            "step" => {
                self.at_most(2)?;
                let every = self.number(0, "the epochs between drops")?;
                if every < 1.0 || every.fract() != 0.0 {
                    bail!(
                        "--schedule {}: the epochs between drops must be a whole number ≥ 1",
                        self.text
                    );
                }
                Decay::Step {
                    every: every as usize,
                    factor: self.number(1, "the factor of each drop")?,
                }
            }
            "exponential" => {
                self.at_most(1)?;
                Decay::Exponential {
                    rate: self.number(0, "the rate per epoch")?,
                }
            }
            "inverse" => {
                self.at_most(1)?;
                Decay::InverseTime {
                    rate: self.number(0, "the rate")?,
                    every: 1,
                }
            }
            "cosine" => {
                self.at_most(1)?;
                let warmup = match self.numbers.is_empty() {
                    true => 0.0,
                    false => self.number(0, "the warm-up epochs")?,
                };
                Decay::Cosine {
                    warmup,
                    epochs,
                    min_factor: 0.0,
                }
            }
            "one-cycle" => {
                self.at_most(0)?;
                Decay::OneCycle { epochs, peak: 0.3 }
            }
            _ => bail!(
                "--schedule {}: unknown schedule {:?}; use constant, step:EVERY:FACTOR, \
                 exponential:RATE, inverse:RATE, cosine, cosine:WARMUP or one-cycle",
                self.text,
                self.name
            ),
        })
    }
}

fn example(name: &str) -> &'static str {
    match name {
        "step" => "step:10:0.5",
        "exponential" => "exponential:0.95",
        "inverse" => "inverse:0.1",
        _ => "cosine:2",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_values() {
        assert_eq!(parse("constant", 5).unwrap(), Decay::Constant);
        assert_eq!(
            parse("step:10:0.5", 30).unwrap(),
            Decay::Step {
                every: 10,
                factor: 0.5
            }
        );
        assert_eq!(
            parse("cosine:2", 30).unwrap(),
            Decay::Cosine {
                warmup: 2.0,
                epochs: 30,
                min_factor: 0.0
            }
        );
        assert_eq!(
            parse("one-cycle", 8).unwrap(),
            Decay::OneCycle {
                epochs: 8,
                peak: 0.3
            }
        );
        for (bad, says) in [
            ("warm", "unknown schedule"),
            ("step:10", "needs the factor"),
            ("step:0.5:0.5", "whole number"),
            ("cosine:x", "not a number"),
            ("cosine:40", "over 30 epochs"),
            ("constant:1", "too many"),
        ] {
            let e = parse(bad, 30).unwrap_err().to_string();
            assert!(e.contains(says), "{bad}: {e}");
        }
    }
}
