//! The one error type of the library. Messages name the operation and the shapes, the file, or
//! the step, so that a user can act on them without a debugger.

use std::path::PathBuf;

/// Every fallible operation of `nn-core` returns this.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Two shapes that must agree do not, e.g.
    /// `Dense(12288→20).forward: input (209, 12287) does not match weights (20, 12288)`.
    #[error("{op}: {message}")]
    Shape {
        /// The operation, with the layer that ran it.
        op: String,
        /// What disagrees, with both shapes.
        message: String,
    },
    /// A configuration that cannot work (and why).
    #[error("invalid configuration: {0}")]
    Config(String),
    /// Labels or targets that the loss cannot use (e.g. a class index out of range).
    #[error("invalid labels: {0}")]
    Labels(String),
    /// Input data the network cannot use (e.g. NaN features).
    #[error("invalid input: {0}")]
    Input(String),
    /// Training produced a NaN or infinite cost, gradient norm or validation cost.
    #[error(
        "training diverged at step {step}: {quantity} is {value} (lower the learning rate or \
         scale the inputs)"
    )]
    Diverged {
        /// The 1-based optimisation step of this `fit` at which it happened.
        step: u64,
        /// `"cost"`, `"gradient norm"` or `"validation cost"`.
        quantity: &'static str,
        /// The value computed at that step.
        value: f64,
    },
    /// Reading or writing a file failed.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The operating system's error.
        source: std::io::Error,
    },
    /// A model file is not one of ours, is corrupt, truncated, or from a newer version.
    #[error("{}: {message}", path.display())]
    Format {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        message: String,
    },
}

/// `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Formats a shape the way NumPy prints one: `(209, 12288)`, `(5,)`, `()`.
pub fn shape_str(shape: &[usize]) -> String {
    match shape {
        [one] => format!("({one},)"),
        _ => {
            let parts: Vec<String> = shape.iter().map(|d| d.to_string()).collect();
            format!("({})", parts.join(", "))
        }
    }
}

impl Error {
    /// A shape error for operation `op`.
    pub fn shape(op: impl Into<String>, message: impl Into<String>) -> Self {
        Error::Shape {
            op: op.into(),
            message: message.into(),
        }
    }
}
