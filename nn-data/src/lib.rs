//! # nn-data
//!
//! Data sets for `nn-core` networks, as batch-first tensors: an image batch is an
//! `(m, h, w, c)` volume exactly as the files store pixels, flattened to `(m, h·w·c)` in the
//! same order (the course's `X.reshape(m, -1)`), labels an `(m, 1)` column.
//!
//! What is here:
//!
//! - [`course_h5`]: the course's HDF5 files (`train_set_x`, `train_set_y`, `list_classes`),
//!   read with a pure-Rust reader, e.g. `data/faces_h5/train_faces.h5`.
//!
//! Image folders, MNIST IDX files, CSV and synthetic sets are still to come (issue #4).
//!
//! Every loader returns a [`DataError`] whose message starts with the file and says what is
//! wrong in the file's terms, e.g.
//! `data/x.h5: no dataset "train_set_x" (found: list_classes, test_set_x, test_set_y)`.
//! Files are treated as untrusted input: a corrupt or hostile file gives an error, never a
//! panic or a huge allocation.

#![warn(missing_docs)]

pub mod course_h5;
mod error;

pub use error::DataError;
