//! The TensorFlow playground on nn-core: the course's first networks, trained live in the
//! browser by our library.
//!
//! - [`Settings`]: an exercise, with the original's URL form (a link reproduces it).
//! - [`Session`]: its data, a network on the fast backend and its training, one epoch per
//!   [`Session::step`].
//! - [`Frame`]: what the page draws (the output over `[−6, 6]²`, each neuron's map, the
//!   weights, the losses).
//! - [`Trainer`]: the session behind the page's JSON [`Command`]s, publishing frames.
//! - [`serve`]: the local web server of `nn playground`.

pub mod frame;
pub mod server;
pub mod session;
pub mod settings;
pub mod trainer;

pub use frame::Frame;
pub use server::{serve, ServeOptions};
pub use session::{evaluate_classes, Record, Session};
pub use settings::Settings;
pub use trainer::{Command, Trainer};
