//! Runs every committed seed (`fuzz/seeds/<target>/`) and every input that once made a target
//! fail (`fuzz/regressions/<target>/`) through the fuzz targets' code, on stable Rust: a
//! decoder that regresses fails here, in CI, without a fuzzer.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use nn_fuzz::TARGETS;

/// The committed inputs of `target` under `fuzz/<kind>/`, sorted (none if the folder is absent).
fn inputs(kind: &str, target: &str) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../fuzz")
        .join(kind)
        .join(target);
    let Ok(entries) = fs::read_dir(&dir) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = entries
        .map(|e| e.expect("a readable folder").path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    files
}

#[test]
fn every_target_has_seeds() {
    for (name, _) in TARGETS {
        assert!(!inputs("seeds", name).is_empty(), "no seeds for {name}");
    }
}

#[test]
fn seeds_and_regressions_replay_without_failing() {
    let mut slow = Vec::new();
    for (name, run) in TARGETS {
        for kind in ["seeds", "regressions"] {
            for path in inputs(kind, name) {
                let bytes = fs::read(&path).expect("a readable input");
                let start = Instant::now();
                let decoded = run(&bytes);
                // Seeds are valid files: each must decode, or the target tests nothing.
                assert!(
                    decoded || kind != "seeds",
                    "{} did not decode",
                    path.display()
                );
                if start.elapsed() > Duration::from_secs(2) {
                    slow.push(format!("{}: {:?}", path.display(), start.elapsed()));
                }
            }
        }
    }
    assert!(slow.is_empty(), "inputs that took over 2 s: {slow:?}");
}

#[test]
fn the_payload_target_wraps_a_valid_header() {
    // A real model's payload, wrapped, decodes as the model did: the target reaches past the
    // checksum.
    let file = fs::read(inputs("seeds", "model_file")[0].as_path()).expect("a seed model");
    assert_eq!(nn_fuzz::with_header(&file[24..]), file);
}
