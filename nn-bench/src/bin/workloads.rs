//! Runs the workloads of `WORKLOADS.md` end to end (data loaded before the clock starts), each
//! run in its own process so that its peak memory is its own, and prints one line per run:
//! `workload=NAME backend=B threads=T seconds=S train_acc=A test_acc=A parameters=P
//! data_mb=D peak_rss_mb=M`. With `--peers` the PyTorch and NumPy versions run too, alternating
//! with ours, and a Markdown table gives the medians and ratios.
//!
//! `cargo run --release -p nn-bench --bin workloads -- --peers --threads 1,2 --repeat 3`

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::sync::Arc;

use clap::{Parser, ValueEnum};
use nn_bench::machine::{self, run_measured};
use nn_bench::peers::{self, Peer};
use nn_bench::{load, run, Workload};
use nn_core::{Backend, Reference};
use nn_simd::Simd;

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum BackendName {
    Simd,
    Reference,
}

/// Runs the benchmark workloads (all five by default) and prints their times, accuracies and
/// memory; with --peers, also PyTorch's and NumPy's, and a comparison table.
#[derive(Parser)]
struct Args {
    /// Workloads to run (default: all).
    workloads: Vec<Workload>,
    /// Our backend.
    #[arg(long, value_enum, default_value = "simd")]
    backend: BackendName,
    /// Thread counts, e.g. 1,2 (default: all cores).
    #[arg(long, value_delimiter = ',')]
    threads: Vec<usize>,
    /// Rounds: each workload runs this many times per thread count (with --peers the order of
    /// the contestants alternates between rounds).
    #[arg(long, default_value_t = 1)]
    repeat: usize,
    /// The data folder (default: the repository's `data/`, or `$NN_DATA`).
    #[arg(long)]
    data: Option<PathBuf>,
    /// Also run the PyTorch and NumPy versions (nn-bench/peers) and print a comparison table.
    #[arg(long)]
    peers: bool,
    /// The Python with torch, numpy and h5py (default: `$NN_PYTHON`, else `python3`).
    #[arg(long)]
    python: Option<PathBuf>,
    /// Another build of this runner (e.g. of an earlier commit), run as the contestant
    /// "baseline", alternating with this one: a before/after comparison in one run.
    #[arg(long)]
    baseline: Option<PathBuf>,
    /// Runs one workload once in this process (what each child process does).
    #[arg(long, hide = true)]
    single: bool,
}

/// One run's figures.
#[derive(Clone, Debug)]
struct Run {
    seconds: f64,
    train_accuracy: f64,
    test_accuracy: f64,
    peak_rss_mb: Option<f64>,
    /// Ours only: data and parameters in memory.
    data_mb: Option<f64>,
    parameters: Option<usize>,
    examples: Option<usize>,
}

fn main() -> ExitCode {
    let args = Args::parse();
    let data = args
        .data
        .clone()
        .or_else(|| std::env::var_os("NN_DATA").map(PathBuf::from))
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../data"));
    let result = if args.single {
        single(&args, &data)
    } else {
        all(&args, &data)
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("workloads: {e}");
            ExitCode::FAILURE
        }
    }
}

/// The child: one workload, once, in this process.
fn single(args: &Args, data: &Path) -> Result<(), String> {
    let [workload] = args.workloads[..] else {
        return Err("--single takes one workload".into());
    };
    let threads = args.threads.first().copied();
    let backend: Arc<dyn Backend<f32>> = match args.backend {
        BackendName::Reference => Arc::new(Reference),
        BackendName::Simd => match threads {
            Some(t) => Arc::new(Simd::with_threads(t).map_err(|e| e.to_string())?),
            None => Arc::new(Simd::new()),
        },
    };
    let threads = match args.backend {
        BackendName::Reference => 1,
        BackendName::Simd => threads.unwrap_or_else(|| Simd::new().threads()),
    };
    let loaded = load(workload, data).map_err(|e| format!("{}: {e}", workload.name()))?;
    let result =
        run(workload, &loaded, backend.clone()).map_err(|e| format!("{}: {e}", workload.name()))?;
    let data_mb = (loaded.bytes() + 4 * result.parameters) as f64 / 1e6;
    println!(
        "workload={} backend={} threads={threads} seconds={:.3} train_acc={:.3} test_acc={:.3} parameters={} data_mb={data_mb:.1} examples={}",
        workload.name(),
        backend.name(),
        result.seconds,
        result.train_accuracy,
        result.test_accuracy,
        result.parameters,
        loaded.x.rows(),
    );
    Ok(())
}

/// Who runs a workload: this build, another build of this runner, or a peer.
#[derive(Clone, Copy)]
enum Contestant<'a> {
    Ours,
    Baseline(&'a Path),
    Peer(Peer),
}

/// What the parent runs: workloads, thread counts, our backend and the other contestants.
struct Plan<'a> {
    workloads: Vec<Workload>,
    threads: Vec<usize>,
    ours: &'static str,
    python: PathBuf,
    others: Vec<Contestant<'a>>,
}

impl<'a> Plan<'a> {
    fn new(args: &'a Args) -> Plan<'a> {
        let workloads = if args.workloads.is_empty() {
            Workload::ALL.to_vec()
        } else {
            args.workloads.clone()
        };
        let all_cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        let threads = if args.backend == BackendName::Reference {
            vec![1]
        } else if args.threads.is_empty() {
            vec![all_cores]
        } else {
            args.threads.clone()
        };
        let python = args
            .python
            .clone()
            .or_else(|| std::env::var_os("NN_PYTHON").map(PathBuf::from))
            .unwrap_or_else(|| PathBuf::from("python3"));
        let mut others: Vec<Contestant> = args
            .baseline
            .iter()
            .map(|p| Contestant::Baseline(p))
            .collect();
        if args.peers {
            for peer in [Peer::PyTorch, Peer::NumPy] {
                if peer.available(&python) {
                    others.push(Contestant::Peer(peer));
                } else {
                    println!(
                        "note: {} skipped: {} cannot import it (and h5py); pass --python or set NN_PYTHON",
                        peer.name(),
                        python.display()
                    );
                }
            }
        }
        let ours = match args.backend {
            BackendName::Simd => "simd",
            BackendName::Reference => "reference",
        };
        Plan {
            workloads,
            threads,
            ours,
            python,
            others,
        }
    }

    fn name(&self, c: Contestant) -> String {
        match c {
            Contestant::Ours => self.ours.to_string(),
            Contestant::Baseline(_) => "baseline".to_string(),
            Contestant::Peer(p) => p.name().to_string(),
        }
    }

    /// The command that runs `workload` on `t` threads for `c`.
    fn command(
        &self,
        c: Contestant,
        workload: Workload,
        t: usize,
        data: &Path,
    ) -> Result<Command, String> {
        let runner = |exe: &Path| {
            let mut c = Command::new(exe);
            c.args(["--single", workload.name(), "--backend", self.ours])
                .arg("--threads")
                .arg(t.to_string())
                .arg("--data")
                .arg(data);
            c
        };
        Ok(match c {
            Contestant::Ours => runner(&std::env::current_exe().map_err(|e| e.to_string())?),
            Contestant::Baseline(exe) => runner(exe),
            Contestant::Peer(peer) => peer.command(&self.python, workload, t, data),
        })
    }

    /// This round's contestants for `workload`, in an order that alternates between rounds.
    fn contestants(&self, workload: Workload, round: usize) -> Vec<Contestant<'a>> {
        let mut all = vec![Contestant::Ours];
        all.extend(self.others.iter().copied().filter(|c| match c {
            Contestant::Peer(p) => p.runs(workload),
            _ => true,
        }));
        if round % 2 == 1 {
            all.reverse();
        }
        all
    }
}

/// The parent: every run in a child process, alternating with the other contestants; the
/// table.
fn all(args: &Args, data: &Path) -> Result<(), String> {
    let plan = Plan::new(args);
    // The FMA peak before and after the runs; the higher counts (a neighbour on this shared
    // machine can only lower it).
    let peaks_before: BTreeMap<usize, f64> = plan
        .threads
        .iter()
        .map(|&t| (t, machine::peak_flops(t)))
        .collect();
    let mut results: BTreeMap<(usize, usize, String), Vec<Run>> = BTreeMap::new();
    for round in 0..args.repeat.max(1) {
        for (w, &workload) in plan.workloads.iter().enumerate() {
            for &t in &plan.threads {
                for contestant in plan.contestants(workload, round) {
                    let name = plan.name(contestant);
                    let mut command = plan.command(contestant, workload, t, data)?;
                    let run = measure(&mut command, &name, workload, t)?;
                    results.entry((w, t, name)).or_default().push(run);
                }
            }
        }
    }
    if !plan.others.is_empty() || args.repeat > 1 {
        let peaks = plan
            .threads
            .iter()
            .map(|&t| (t, machine::peak_flops(t).max(peaks_before[&t])))
            .collect();
        let others: Vec<String> = plan.others.iter().map(|&c| plan.name(c)).collect();
        print_table(&plan, &others, &results, &peaks);
    }
    Ok(())
}

/// Runs one contestant and prints its line.
fn measure(
    command: &mut Command,
    name: &str,
    workload: Workload,
    threads: usize,
) -> Result<Run, String> {
    let done = run_measured(command).map_err(|e| format!("{name}: cannot start: {e}"))?;
    let printed = peers::parse(&done.stdout)
        .filter(|_| done.success)
        .ok_or_else(|| {
            format!(
                "{name} on {} failed: {}{}",
                workload.name(),
                done.stdout.trim(),
                done.stderr.trim()
            )
        })?;
    let field = |key: &str| {
        done.stdout
            .split_whitespace()
            .find_map(|w| w.strip_prefix(key)?.strip_prefix('='))
            .and_then(|v| v.parse::<f64>().ok())
    };
    let run = Run {
        seconds: printed.seconds,
        train_accuracy: printed.train_accuracy,
        test_accuracy: printed.test_accuracy,
        peak_rss_mb: done.peak_rss.map(|b| b as f64 / 1e6),
        data_mb: field("data_mb"),
        parameters: field("parameters").map(|p| p as usize),
        examples: field("examples").map(|p| p as usize),
    };
    println!(
        "workload={} backend={name} threads={threads} seconds={:.3} train_acc={:.3} test_acc={:.3}{}{}",
        workload.name(),
        run.seconds,
        run.train_accuracy,
        run.test_accuracy,
        run.parameters.map_or(String::new(), |p| format!(" parameters={p}"))
            + &run.examples.map_or(String::new(), |m| format!(" examples={m}"))
            + &run.data_mb.map_or(String::new(), |d| format!(" data_mb={d:.1}")),
        run.peak_rss_mb.map_or(String::new(), |m| format!(" peak_rss_mb={m:.1}")),
    );
    Ok(run)
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    let n = values.len();
    if n == 0 {
        f64::NAN
    } else if n % 2 == 1 {
        values[n / 2]
    } else {
        (values[n / 2 - 1] + values[n / 2]) / 2.0
    }
}

/// The Markdown table of medians: our time, each peer's time and its ratio to ours, our
/// GFLOP/s and its fraction of the FMA peak, peak memory against data plus parameters, and
/// test accuracies.
fn print_table(
    plan: &Plan,
    peers: &[String],
    results: &BTreeMap<(usize, usize, String), Vec<Run>>,
    peaks: &BTreeMap<usize, f64>,
) {
    let (workloads, threads, ours) = (&plan.workloads, &plan.threads, plan.ours);
    println!();
    println!("machine: {}", machine::cpu());
    for (t, p) in peaks {
        println!("f32 FMA peak, {t} thread(s): {:.0} GFLOP/s", p / 1e9);
    }
    println!();
    let mut header = format!("| workload | threads | nn {ours} (s) |");
    let mut rule = "| --- | --- | --- |".to_string();
    for p in peers {
        header += &format!(" {} (s) | {} / nn |", p, p);
        rule += " --- | --- |";
    }
    header += " nn GFLOP/s | of peak | nn peak RSS (MB) | data + params (MB) |";
    rule += " --- | --- | --- | --- |";
    for p in peers {
        header += &format!(" {} peak RSS (MB) |", p);
        rule += " --- |";
    }
    header += " test acc nn |";
    rule += " --- |";
    for p in peers {
        header += &format!(" test acc {} |", p);
        rule += " --- |";
    }
    println!("{header}\n{rule}");
    for (w, workload) in workloads.iter().enumerate() {
        for &t in threads.iter() {
            let runs = |name: &str| results.get(&(w, t, name.to_string()));
            let Some(nn) = runs(ours) else { continue };
            let nn_s = median(nn.iter().map(|r| r.seconds).collect());
            let mut row = format!("| {} | {t} | {nn_s:.2} |", workload.name());
            for p in peers {
                match runs(p) {
                    Some(r) => {
                        let s = median(r.iter().map(|r| r.seconds).collect());
                        row += &format!(" {s:.2} | {:.2}× |", s / nn_s);
                    }
                    None => row += " – | – |",
                }
            }
            let examples = nn.iter().find_map(|r| r.examples).unwrap_or(0);
            let flops = workload.training_flops(examples);
            let gflops = flops / nn_s / 1e9;
            let rss = |r: &[Run]| median(r.iter().filter_map(|r| r.peak_rss_mb).collect());
            let data_mb = nn.iter().find_map(|r| r.data_mb).unwrap_or(f64::NAN);
            row += &format!(
                " {gflops:.1} | {:.0} % | {:.0} | {data_mb:.1} |",
                100.0 * flops / nn_s / peaks[&t],
                rss(nn),
            );
            for p in peers {
                match runs(p) {
                    Some(r) => row += &format!(" {:.0} |", rss(r)),
                    None => row += " – |",
                }
            }
            let acc = |r: &[Run]| median(r.iter().map(|r| r.test_accuracy).collect());
            row += &format!(" {:.1} % |", 100.0 * acc(nn));
            for p in peers {
                match runs(p) {
                    Some(r) => row += &format!(" {:.1} % |", 100.0 * acc(r)),
                    None => row += " – |",
                }
            }
            println!("{row}");
        }
    }
}
