//! # nn-bench
//!
//! Criterion benchmarks and the comparison report. Not written yet: it is issue #7. Until then
//! this crate exports nothing, so that nothing pretends to work.
