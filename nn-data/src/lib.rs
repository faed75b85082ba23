//! # nn-data
//!
//! Data sets for `nn-core` networks, as batch-first tensors, in one call each:
//!
//! | source | function | examples |
//! | --- | --- | --- |
//! | a folder with one sub-folder of images per class (PNG, JPEG, BMP, GIF, WebP, TIFF) | [`ImageOptions::load_folder`](images::ImageOptions::load_folder) | `(m, h, w, c)`, resized (64×64 RGB by default) |
//! | one image, preprocessed the same way (for prediction) | [`ImageOptions::load_image`](images::ImageOptions::load_image) | `(1, h, w, c)` |
//! | the course's HDF5 files | [`course_h5::read_train`] / [`course_h5::read_test`], then `Dataset::from` | `(m, 64, 64, 3)` |
//! | MNIST IDX files, gzipped or not | [`idx::mnist`], [`idx::read_pair`] | `(m, 28, 28, 1)` |
//! | CSV with a header and a label column; rows to predict, without labels | [`table::Csv::read`]; [`table::Csv::read_features`] | `(m, n)` |
//! | the TensorFlow playground's 2-D sets (classification, with more classes, regression); RGB shape images | [`synthetic::playground`], [`synthetic::playground_classes`], [`synthetic::playground_regression`]; [`synthetic::shapes`] | `(m, 2)`; `(m, s, s, 3)` |
//! | built-in face/non-face photos (no files needed) | [`builtin::faces`] | `(200, 64, 64, 3)` |
//!
//! Each gives a [`Dataset`]: examples (pixel values as stored, 0–255), targets (class indices
//! or real values) and class names, with scaling ([`Dataset::scale`], [`Standardizer`]),
//! stratified splits, shuffled mini-batches, one-hot labels, and the tensors `nn-core` trains
//! on: [`Dataset::flattened`] is the course's `X.reshape(m, -1)` (the `(h, w, c)` order kept),
//! [`Dataset::x`] the volumes, [`Dataset::y`] the `(m, 1)` class-index column.
//!
//! ```
//! use nn_core::Rng;
//! use nn_data::{builtin, images::ImageOptions};
//!
//! let mut rng = Rng::seed(1);
//! let mut faces = builtin::faces(&ImageOptions::new())?;
//! faces.scale(1.0 / 255.0);
//! let (train, test) = faces.split(0.75, &mut rng)?; // stratified: 75 + 75, 25 + 25
//! let (x, y) = (train.flattened(), train.y()); // (150, 12288), (150, 1)
//! assert_eq!((x.shape(), y.shape()), (&[150, 12288][..], &[150, 1][..]));
//! assert_eq!(test.class_counts(), vec![25, 25]);
//! # Ok::<(), nn_data::DataError>(())
//! ```
//!
//! Every loader returns a [`DataError`] whose message starts with the file (and line, for
//! text) and says what is wrong in the file's terms, e.g.
//! `data/x.h5: no dataset "train_set_x" (found: list_classes, test_set_x, test_set_y)`.
//! Files are treated as untrusted input: a corrupt or hostile file gives an error, never a
//! panic or a huge allocation. Every loader refuses a path that is not a regular file (a
//! folder, `/dev/zero`, a FIFO: [`DataError::NotFile`]) before reading it, checks the format's
//! signature first, and checks the sizes a file claims against a documented limit before
//! allocating: [`idx::MAX_IDX_BYTES`], [`course_h5::MAX_DATASET_BYTES`],
//! [`images::MAX_FILE_BYTES`], [`images::MAX_IMAGE_SIDE`], [`images::MAX_IMAGE_BYTES`],
//! [`table::MAX_CSV_BYTES`]. Paths are `impl AsRef<Path>`: `&str`, `String`, `&Path` and
//! `PathBuf` all work.
//!
//! For training, an [`Augmentation`] ([`augment`]) flips, crops, rescales and jitters image
//! batches `(m, h, w, c)` as torchvision's transforms do, drawing from the caller's `Rng`;
//! it implements `nn_core::Augment`, so `Network::train_on` applies it to each mini-batch,
//! and its text form (`"flip,crop:4:reflect"`, `"default"`, `"none"`) suits a command-line flag.

pub mod augment;
pub mod builtin;
pub mod course_h5;
mod dataset;
mod error;
mod file;
pub mod idx;
pub mod images;
pub mod model;
pub mod synthetic;
pub mod table;
pub mod torch;

pub use augment::Augmentation;
pub use dataset::{Batches, Dataset, Standardizer, Targets};
pub use error::DataError;
