//! # nn-bench
//!
//! Benchmarks of this workspace: `cargo bench -p nn-bench` runs the criterion benchmarks in
//! `benches/` (matrix multiply, activations; `Simd` against `Reference`, 1 thread and all).
//! The workload runner and the comparison report with PyTorch are issue #7.
