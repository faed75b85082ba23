//! The machine's limits and a child process's resources: the f32 FMA peak measured by a small
//! loop, the CPU's name, and the time and peak resident memory of a command.

use std::io::Read;
use std::process::{Command, Stdio};
use std::time::Instant;

/// Sixteen independent FMA chains per thread: enough to hide the FMA latency on the
/// dispatched instruction set, so the loop runs at the FMA units' throughput.
struct FmaLoop(u64);

impl pulp::WithSimd for FmaLoop {
    type Output = f32;
    #[inline(always)]
    fn with_simd<S: pulp::Simd>(self, s: S) -> f32 {
        let (x, y) = (s.splat_f32s(0.999_999), s.splat_f32s(1e-7));
        let mut acc = [s.splat_f32s(1.0); 16];
        for _ in 0..self.0 {
            for a in acc.iter_mut() {
                *a = s.mul_add_e_f32s(*a, x, y);
            }
        }
        acc.iter().map(|&a| s.reduce_sum_f32s(a)).sum()
    }
}

/// f32 lanes per vector of the dispatched instruction set.
struct Lanes;

impl pulp::WithSimd for Lanes {
    type Output = usize;
    #[inline(always)]
    fn with_simd<S: pulp::Simd>(self, _: S) -> usize {
        std::mem::size_of::<S::f32s>() / 4
    }
}

/// f32 lanes per vector of the instruction set chosen at run time (16 with AVX-512, 8 with
/// AVX2).
pub fn f32_lanes() -> usize {
    pulp::Arch::new().dispatch(Lanes)
}

/// Runs `iterations` rounds of 16 independent vector FMAs on this thread: `32·f32_lanes()`
/// FLOP per round.
pub fn fma_loop(iterations: u64) -> f32 {
    pulp::Arch::new().dispatch(FmaLoop(iterations))
}

/// The f32 FMA peak of `threads` threads in FLOP/s (the best of five timings of
/// [`fma_loop`] on every thread at once).
pub fn peak_flops(threads: usize) -> f64 {
    let iterations = 20_000_000u64;
    let flops = 32.0 * f32_lanes() as f64 * iterations as f64 * threads as f64;
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .expect("a thread pool");
    let mut best = f64::INFINITY;
    for _ in 0..5 {
        let started = Instant::now();
        let sums = pool.broadcast(|_| fma_loop(std::hint::black_box(iterations)));
        std::hint::black_box(sums);
        best = best.min(started.elapsed().as_secs_f64());
    }
    flops / best
}

/// The CPU's model name (from `/proc/cpuinfo` on Linux) and its logical core count.
pub fn cpu() -> String {
    let name = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|n| n.trim().to_string())
        })
        .unwrap_or_else(|| std::env::consts::ARCH.to_string());
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    format!("{name}, {cores} logical cores")
}

/// What a finished child process printed and used.
#[derive(Clone, Debug)]
pub struct Finished {
    /// Its standard output.
    pub stdout: String,
    /// Its standard error.
    pub stderr: String,
    /// Whether it exited with status 0.
    pub success: bool,
    /// Its peak resident memory in bytes (`ru_maxrss`), where the system reports it.
    pub peak_rss: Option<u64>,
}

/// Runs `command` to the end, capturing its output, and reads its peak resident memory from
/// the kernel's accounting of that one process (`wait4`).
///
/// # Errors
///
/// The command cannot be started or waited for.
pub fn run_measured(command: &mut Command) -> std::io::Result<Finished> {
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()?;
    let (mut stdout, mut stderr) = (String::new(), String::new());
    let mut err_pipe = child.stderr.take().expect("piped");
    let reader = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = err_pipe.read_to_string(&mut text);
        text
    });
    child
        .stdout
        .take()
        .expect("piped")
        .read_to_string(&mut stdout)?;
    stderr.push_str(&reader.join().unwrap_or_default());
    let (success, peak_rss) = wait(child)?;
    Ok(Finished {
        stdout,
        stderr,
        success,
        peak_rss,
    })
}

#[cfg(unix)]
fn wait(child: std::process::Child) -> std::io::Result<(bool, Option<u64>)> {
    let pid = child.id() as libc::pid_t;
    let mut status = 0;
    // SAFETY: `rusage` is plain data that wait4 fills; `pid` is our own child, not yet reaped
    // (the `Child` is never waited on through std).
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let rc = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    if rc < 0 {
        return Err(std::io::Error::last_os_error());
    }
    let success = libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0;
    // Linux reports kilobytes (macOS bytes; this runner is measured on Linux).
    let kib = u64::try_from(usage.ru_maxrss).unwrap_or(0);
    Ok((success, Some(kib * 1024)))
}

#[cfg(not(unix))]
fn wait(mut child: std::process::Child) -> std::io::Result<(bool, Option<u64>)> {
    Ok((child.wait()?.success(), None))
}
