//! # nn-simd
//!
//! The fast CPU backend (matrix multiply through `faer`, SIMD element-wise kernels through
//! `pulp`, threads through `rayon`). Not written yet: it is issue #3. Until then this crate
//! exports nothing, so that nothing pretends to work; use `nn_core::Reference`.
