//! # nn-data
//!
//! Data sets: image folders, the course's HDF5 files, MNIST IDX, CSV, synthetic sets. Not
//! written yet: it is issue #4. Until then this crate exports nothing, so that nothing pretends
//! to work.
