//! Runs the workloads of `WORKLOADS.md` end to end (data loaded before the clock starts) and
//! prints one line per run:
//! `workload=NAME backend=B threads=T seconds=S train_acc=A test_acc=A`.
//!
//! `cargo run --release -p nn-bench --bin workloads -- logistic deep --threads 1 --repeat 3`

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Instant;

use clap::{Parser, ValueEnum};
use nn_bench::{load, run, Workload};
use nn_core::{Backend, Reference};
use nn_simd::Simd;

#[derive(Clone, Copy, Debug, ValueEnum)]
enum BackendName {
    Simd,
    Reference,
}

/// Runs the benchmark workloads and prints their times and accuracies.
#[derive(Parser)]
struct Args {
    /// Workloads to run.
    #[arg(required = true)]
    workloads: Vec<Workload>,
    /// The backend.
    #[arg(long, value_enum, default_value = "simd")]
    backend: BackendName,
    /// Threads for the simd backend (default: all cores).
    #[arg(long)]
    threads: Option<usize>,
    /// Runs of each workload; each is printed.
    #[arg(long, default_value_t = 1)]
    repeat: usize,
    /// The data folder (default: the repository's `data/`, or `$NN_DATA`).
    #[arg(long)]
    data: Option<PathBuf>,
}

fn main() -> ExitCode {
    let args = Args::parse();
    let data = args
        .data
        .or_else(|| std::env::var_os("NN_DATA").map(PathBuf::from))
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../data"));
    let backend: Arc<dyn Backend<f32>> = match args.backend {
        BackendName::Reference => Arc::new(Reference),
        BackendName::Simd => match args
            .threads
            .map(Simd::with_threads)
            .unwrap_or_else(|| Ok(Simd::new()))
        {
            Ok(simd) => Arc::new(simd),
            Err(e) => {
                eprintln!("workloads: cannot start the thread pool: {e}");
                return ExitCode::FAILURE;
            }
        },
    };
    let threads = match args.backend {
        BackendName::Reference => 1,
        BackendName::Simd => args.threads.unwrap_or_else(rayon_threads),
    };
    let name = backend.name();
    for workload in &args.workloads {
        let loaded = match load(*workload, &data) {
            Ok(loaded) => loaded,
            Err(e) => {
                eprintln!("workloads: {}: {e}", workload.name());
                return ExitCode::FAILURE;
            }
        };
        for _ in 0..args.repeat {
            let started = Instant::now();
            match run(*workload, &loaded, backend.clone()) {
                Ok(result) => println!(
                    "workload={} backend={name} threads={threads} seconds={:.3} train_acc={:.3} test_acc={:.3}",
                    workload.name(),
                    result.seconds,
                    result.train_accuracy,
                    result.test_accuracy
                ),
                Err(e) => {
                    eprintln!("workloads: {}: {e} (after {:.1} s)", workload.name(), started.elapsed().as_secs_f64());
                    return ExitCode::FAILURE;
                }
            }
        }
    }
    ExitCode::SUCCESS
}

/// The size of rayon's global pool (what `Simd::new()` uses).
fn rayon_threads() -> usize {
    Simd::new().threads()
}
