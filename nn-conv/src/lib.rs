//! # nn-conv
//!
//! Convolution and pooling over `(m, h, w, c)` image volumes. Not written yet: it is issue #5.
//! Until then this crate exports nothing, so that nothing pretends to work.
