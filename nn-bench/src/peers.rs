//! The peers of `WORKLOADS.md`: this crate's PyTorch and NumPy scripts (`nn-bench/peers/`),
//! run with a Python that has `torch` and `numpy`, and their printed results read back.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::Workload;

/// A peer implementation of the workloads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Peer {
    /// `torch_peer.py`: every workload.
    PyTorch,
    /// `course_numpy.py`: the course's NumPy code, for `logistic` and `deep`.
    NumPy,
}

impl Peer {
    /// The name used in reports.
    pub fn name(self) -> &'static str {
        match self {
            Peer::PyTorch => "pytorch",
            Peer::NumPy => "numpy",
        }
    }

    /// Whether the peer has a version of `workload`.
    pub fn runs(self, workload: Workload) -> bool {
        match self {
            Peer::PyTorch => true,
            Peer::NumPy => matches!(workload, Workload::Logistic | Workload::Deep),
        }
    }

    /// The Python module the peer needs.
    fn module(self) -> &'static str {
        match self {
            Peer::PyTorch => "torch",
            Peer::NumPy => "numpy",
        }
    }

    /// Whether `python` can import what the peer needs (and `h5py`, which loads the data).
    pub fn available(self, python: &Path) -> bool {
        Command::new(python)
            .args(["-c", &format!("import {}, h5py", self.module())])
            .output()
            .is_ok_and(|o| o.status.success())
    }

    /// The command that runs `workload` on `threads` threads with the data in `data`.
    pub fn command(
        self,
        python: &Path,
        workload: Workload,
        threads: usize,
        data: &Path,
    ) -> Command {
        let mut command = Command::new(python);
        let threads_text = threads.to_string();
        match self {
            Peer::PyTorch => command
                .arg(scripts().join("torch_peer.py"))
                .args([workload.name(), &threads_text]),
            Peer::NumPy => command
                .arg(scripts().join("course_numpy.py"))
                .arg(workload.name()),
        };
        command
            .env("NN_DATA", data)
            .env("OMP_NUM_THREADS", &threads_text)
            .env("OPENBLAS_NUM_THREADS", &threads_text)
            .env("MKL_NUM_THREADS", &threads_text);
        command
    }
}

/// The folder of the peers' scripts.
pub fn scripts() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("peers")
}

/// The figures a run printed: `seconds=S train_acc=A test_acc=A` anywhere on its last line
/// that has them (our runner's and the peers' scripts' format).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Printed {
    /// Seconds.
    pub seconds: f64,
    /// Training accuracy, 0 to 1.
    pub train_accuracy: f64,
    /// Test accuracy, 0 to 1.
    pub test_accuracy: f64,
}

/// Reads [`Printed`] figures from a run's output.
pub fn parse(output: &str) -> Option<Printed> {
    output.lines().rev().find_map(|line| {
        let field = |name: &str| -> Option<f64> {
            line.split_whitespace()
                .find_map(|w| w.strip_prefix(name)?.strip_prefix('='))?
                .parse()
                .ok()
        };
        Some(Printed {
            seconds: field("seconds")?,
            train_accuracy: field("train_acc")?,
            test_accuracy: field("test_acc")?,
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_both_formats() {
        let ours =
            "workload=deep backend=simd threads=2 seconds=3.010 train_acc=0.987 test_acc=0.920\n";
        assert_eq!(
            parse(ours),
            Some(Printed {
                seconds: 3.01,
                train_accuracy: 0.987,
                test_accuracy: 0.92
            })
        );
        let torch = "noise\ncnn threads=2 train_acc=0.930 test_acc=0.924 seconds=2.506\n";
        assert_eq!(parse(torch).unwrap().seconds, 2.506);
        assert_eq!(parse("seconds=1 train_acc=x test_acc=1"), None);
        assert_eq!(parse(""), None);
    }
}
