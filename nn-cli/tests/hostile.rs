//! The catalogue of hostile files: each is handed to the `nn` binary in a child process, which
//! must fail with its one-line error within a CPU-time bound (the child's resource usage, from
//! `wait4`) and a peak-memory bound (the child's own `VmHWM`, which it writes to the file named
//! by `NN_PEAK_RSS_FILE`: `wait4`'s peak would include this test process's memory from before
//! `exec`), and must not hang (a wall-clock limit kills it).
//! Truncated and bit-flipped files of every format, 2^40 length prefixes, a gzip bomb, images
//! claiming huge sides, non-regular files, symlink loops, a CSV line of a million columns,
//! HDF5 files with cyclic and deep groups, descriptions that disagree with the network.
#![cfg(target_os = "linux")]

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

mod common;

use common::{nn, repo, stdout};

/// What a child run cost and said.
struct Outcome {
    success: bool,
    stderr: String,
    cpu: Duration,
    peak_rss_mb: f64,
}

/// Runs `nn args…`, killing it after `wall` (a hang), and reads its resource usage.
// The child is reaped by `wait4` (which std's `wait` does not offer), not by `Child::wait`.
#[allow(clippy::zombie_processes)]
fn run(args: &[&str], wall: Duration) -> Outcome {
    let dir = tempfile::tempdir().unwrap();
    let err_path = dir.path().join("stderr");
    let rss_path = dir.path().join("peak-rss");
    let child = Command::new(env!("CARGO_BIN_EXE_nn"))
        .args(args)
        .env("NN_PEAK_RSS_FILE", &rss_path)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(fs::File::create(&err_path).unwrap())
        .spawn()
        .expect("nn runs");
    let pid = child.id() as libc::pid_t;
    let start = Instant::now();
    let (status, usage) = loop {
        let mut status = 0;
        // SAFETY: an all-zero rusage is valid; wait4 only writes into the two locals.
        let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
        // SAFETY: pid is our child's, not yet reaped; the pointers are to live locals.
        let got = unsafe { libc::wait4(pid, &mut status, libc::WNOHANG, &mut usage) };
        if got == pid {
            break (status, usage);
        }
        assert!(got == 0, "wait4 failed");
        if start.elapsed() > wall {
            // SAFETY: signalling our own unreaped child.
            unsafe { libc::kill(pid, libc::SIGKILL) };
            // SAFETY: reaping the killed child; a null status pointer is allowed.
            unsafe { libc::waitpid(pid, std::ptr::null_mut(), 0) };
            panic!("nn {args:?} still running after {wall:?}: a hang");
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let seconds = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1000);
    Outcome {
        success: libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0,
        stderr: fs::read_to_string(&err_path).unwrap(),
        cpu: seconds(usage.ru_utime) + seconds(usage.ru_stime),
        peak_rss_mb: peak_rss_kb(&rss_path) / 1024.0,
    }
}

/// The `VmHWM:  1234 kB` line the child wrote, in kB.
fn peak_rss_kb(path: &Path) -> f64 {
    let line = fs::read_to_string(path).expect("nn wrote its peak memory");
    line.split_whitespace()
        .nth(1)
        .and_then(|kb| kb.parse().ok())
        .unwrap_or_else(|| panic!("not a VmHWM line: {line:?}"))
}

/// The bounds every hostile file is held to unless a case says otherwise: the `nn` binary
/// itself starts in about 10 MB.
const MAX_RSS_MB: f64 = 100.0;
const MAX_CPU: Duration = Duration::from_secs(1);
const MAX_WALL: Duration = Duration::from_secs(30);

/// `nn args…` must fail with one line on stderr containing `expected`, within the bounds.
fn refused(args: &[&str], expected: &str) -> Outcome {
    refused_within(args, expected, MAX_RSS_MB, MAX_CPU)
}

fn refused_within(args: &[&str], expected: &str, rss_mb: f64, cpu: Duration) -> Outcome {
    let out = run(args, MAX_WALL);
    // The figures of the catalogue (`cargo test -p nn-cli --test hostile -- --nocapture`).
    let shown: Vec<&str> = args
        .iter()
        .map(|a| a.rsplit('/').next().unwrap_or(a))
        .collect();
    println!(
        "{:>6.1} MB {:>5} ms CPU  nn {}",
        out.peak_rss_mb,
        out.cpu.as_millis(),
        shown.join(" ")
    );
    assert!(!out.success, "nn {args:?} should fail");
    let err = out.stderr.trim_end();
    assert_eq!(err.lines().count(), 1, "nn {args:?}: one line: {err}");
    assert!(err.starts_with("nn: "), "nn {args:?}: {err}");
    assert!(
        err.contains(expected),
        "nn {args:?}: {err:?} lacks {expected:?}"
    );
    assert!(
        out.peak_rss_mb < rss_mb,
        "nn {args:?}: peak RSS {:.1} MB, bound {rss_mb} MB",
        out.peak_rss_mb
    );
    assert!(
        out.cpu < cpu,
        "nn {args:?}: {:?} CPU, bound {cpu:?}",
        out.cpu
    );
    out
}

fn s(p: &Path) -> &str {
    p.to_str().expect("a UTF-8 path")
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    fs::write(&path, bytes).unwrap();
    path
}

/// A small model of 8×8 RGB images, trained here in a few steps.
fn image_model(dir: &Path) -> PathBuf {
    let model = dir.join("shapes.nn");
    stdout(
        nn().args([
            "train", "--data", "shapes", "--size", "8", "--model", "logistic",
        ])
        .args(["--epochs", "1", "--save"])
        .arg(&model),
    );
    model
}

#[test]
fn damaged_model_files_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let good = fs::read(repo("data/models/faces-logistic.nn")).unwrap();
    let half = write(dir.path(), "half.nn", &good[..good.len() / 2]);
    refused(&["info", s(&half)], "truncated or padded");
    let header = write(dir.path(), "header.nn", &good[..10]);
    refused(&["info", s(&header)], "truncated");
    let mut flipped = good.clone();
    flipped[good.len() / 3] ^= 0x10;
    let flipped = write(dir.path(), "flipped.nn", &flipped);
    refused(&["info", s(&flipped)], "checksum mismatch");
    let mut huge = good[..24].to_vec();
    huge[16..24].copy_from_slice(&(1u64 << 40).to_le_bytes());
    let huge = write(dir.path(), "huge.nn", &huge);
    refused(&["info", s(&huge)], "claims a 1099511627776-byte payload");
}

#[test]
fn non_regular_files_are_refused_without_blocking() {
    let dir = tempfile::tempdir().unwrap();
    refused(&["info", "/dev/zero"], "not a regular file");
    refused(&["info", s(dir.path())], "not a regular file");
    let fifo = dir.path().join("fifo.nn");
    let c_path = std::ffi::CString::new(s(&fifo)).unwrap();
    // SAFETY: a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c_path.as_ptr(), 0o600) }, 0);
    refused(&["info", s(&fifo)], "not a regular file");
    let model = image_model(dir.path());
    refused(&["predict", s(&model), "/dev/zero"], "/dev/zero");
    refused(&["predict", s(&model), s(&fifo)], "not a regular file");
    let csv = dir.path().join("fifo.csv");
    fs::rename(&fifo, &csv).unwrap();
    refused(
        &["train", "--data", s(&csv), "--label", "y"],
        "not a regular file",
    );
}

/// The gzip members of an IDX images file claiming `m` 28×28 images, its pixels all zero:
/// about 1 KB per 1 MiB of pixels.
fn gzip_bomb(m: u32) -> Vec<u8> {
    let gz = |bytes: &[u8]| {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        e.write_all(bytes).unwrap();
        e.finish().unwrap()
    };
    let mut header = vec![0, 0, 8, 3];
    for d in [m, 28, 28] {
        header.extend_from_slice(&d.to_be_bytes());
    }
    let mut out = gz(&header);
    let mut left = u64::from(m) * 784;
    let block = gz(&vec![0u8; 64 << 20]);
    while left >= 64 << 20 {
        out.extend_from_slice(&block);
        left -= 64 << 20;
    }
    out.extend_from_slice(&gz(&vec![0u8; left as usize]));
    out
}

#[test]
fn a_gzip_bomb_in_an_mnist_folder_is_refused_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let mnist = dir.path().join("mnist");
    fs::create_dir(&mnist).unwrap();
    for name in [
        "train-images-idx3-ubyte.gz",
        "train-labels-idx1-ubyte.gz",
        "t10k-labels-idx1-ubyte.gz",
    ] {
        fs::copy(repo("data/mnist5k").join(name), mnist.join(name)).unwrap();
    }
    // The issue's file: a valid header for 1,369,568 images (1 GiB of pixels) in about 1 MB.
    let bomb = gzip_bomb(1_369_568);
    assert!(bomb.len() < 1_100_000, "{} bytes", bomb.len());
    write(&mnist, "t10k-images-idx3-ubyte.gz", &bomb);
    // Training on MNIST trains a model first; evaluating reads only the test split.
    let model = dir.path().join("mnist.nn");
    let small = dir.path().join("small");
    fs::create_dir(&small).unwrap();
    for name in [
        "train-images-idx3-ubyte.gz",
        "train-labels-idx1-ubyte.gz",
        "t10k-images-idx3-ubyte.gz",
        "t10k-labels-idx1-ubyte.gz",
    ] {
        fs::copy(repo("data/mnist5k").join(name), small.join(name)).unwrap();
    }
    stdout(
        nn().args([
            "train",
            "--data",
            s(&small),
            "--model",
            "logistic",
            "--epochs",
            "1",
        ])
        .arg("--save")
        .arg(&model),
    );
    let expected = "may expand at most nn_data::idx::MAX_GZIP_RATIO times";
    refused(&["eval", s(&model), "--data", s(&mnist)], expected);
    // The bomb as the training split: `nn eval` never opens it and evaluates the test split.
    write(&small, "train-images-idx3-ubyte.gz", &bomb);
    let out = run(&["eval", s(&model), "--data", s(&small)], MAX_WALL);
    assert!(
        out.success,
        "nn eval should not read the training split: {}",
        out.stderr
    );
    assert!(
        out.peak_rss_mb < MAX_RSS_MB,
        "peak RSS {:.1} MB",
        out.peak_rss_mb
    );
    refused(
        &["train", "--data", s(&mnist), "--model", "logistic"],
        expected,
    );
}

#[test]
fn damaged_idx_files_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let mnist = dir.path().join("mnist");
    fs::create_dir(&mnist).unwrap();
    let labels = repo("data/mnist5k/train-labels-idx1-ubyte.gz");
    fs::copy(&labels, mnist.join("train-labels-idx1-ubyte.gz")).unwrap();
    let mut header = vec![0, 0, 8, 3];
    for d in [4000u32, 28, 28] {
        header.extend_from_slice(&d.to_be_bytes());
    }
    header.extend_from_slice(&[7; 1000]);
    let images = write(&mnist, "train-images-idx3-ubyte", &header);
    let args = ["train", "--data", s(&mnist), "--model", "logistic"];
    refused(&args, "but the file holds 1000");
    // Dimensions whose product is 2^40 values.
    let mut huge = vec![0, 0, 8, 3];
    for d in [1u32 << 20, 1 << 10, 1 << 10] {
        huge.extend_from_slice(&d.to_be_bytes());
    }
    fs::write(&images, &huge).unwrap();
    refused(&args, "1099511627776");
    // A gzip stream cut in half.
    fs::remove_file(&images).unwrap();
    let gz = fs::read(repo("data/mnist5k/train-images-idx3-ubyte.gz")).unwrap();
    write(&mnist, "train-images-idx3-ubyte.gz", &gz[..gz.len() / 2]);
    refused(&args, "damaged gzip stream");
}

#[test]
fn images_claiming_huge_sides_and_damaged_images_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let model = image_model(dir.path());
    // A PNG whose header claims 16384 × 16384 pixels, with almost no data behind it.
    let big = write(dir.path(), "big.png", &png_header(16384, 16384));
    refused(&["predict", s(&model), s(&big)], "8192");
    // A real PNG, truncated and bit-flipped.
    let mut png = std::io::Cursor::new(Vec::new());
    image::RgbImage::from_pixel(20, 20, image::Rgb([9, 99, 199]))
        .write_to(&mut png, image::ImageFormat::Png)
        .unwrap();
    let png = png.into_inner();
    let cut = write(dir.path(), "cut.png", &png[..png.len() / 2]);
    refused(&["predict", s(&model), s(&cut)], "cut.png");
    let mut flipped = png.clone();
    let at = png.len() - 20;
    flipped[at] ^= 0xff;
    let flipped = write(dir.path(), "flipped.png", &flipped);
    refused(&["predict", s(&model), s(&flipped)], "flipped.png");
}

/// The signature and IHDR chunk of a PNG of `w × h` RGB pixels, and an empty IDAT.
fn png_header(w: u32, h: u32) -> Vec<u8> {
    let chunk = |kind: &[u8], data: &[u8]| {
        let mut c = (data.len() as u32).to_be_bytes().to_vec();
        c.extend_from_slice(kind);
        c.extend_from_slice(data);
        let mut crc = flate2::Crc::new();
        crc.update(kind);
        crc.update(data);
        c.extend_from_slice(&crc.sum().to_be_bytes());
        c
    };
    let mut ihdr = w.to_be_bytes().to_vec();
    ihdr.extend_from_slice(&h.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    out.extend(chunk(b"IHDR", &ihdr));
    out.extend(chunk(b"IDAT", &[]));
    out.extend(chunk(b"IEND", &[]));
    out
}

#[test]
fn image_folders_with_symlink_loops_are_bounded() {
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("photos");
    for class in ["a", "b"] {
        fs::create_dir_all(folder.join(class)).unwrap();
        std::os::unix::fs::symlink("..", folder.join(class).join("up")).unwrap();
        std::os::unix::fs::symlink("loop", folder.join(class).join("loop")).unwrap();
    }
    refused(&["train", "--data", s(&folder)], "photos");
}

#[test]
fn a_csv_line_of_a_million_columns_is_bounded() {
    let dir = tempfile::tempdir().unwrap();
    let mut header = String::with_capacity(8 << 20);
    for i in 0..1_000_000 {
        header.push_str(&format!("c{i},"));
    }
    header.push_str(
        "y
",
    );
    let wide = write(dir.path(), "wide.csv", header.as_bytes());
    refused(
        &["train", "--data", s(&wide), "--label", "y"],
        "the header has 1000001 columns, more than the 65536",
    );
    // A row of a million fields under a header of three.
    let row = "a,b,y\n".to_string() + &"1,".repeat(999_999) + "1\n";
    let ragged = write(dir.path(), "ragged.csv", row.as_bytes());
    refused(&["train", "--data", s(&ragged), "--label", "y"], "line 2");
}

#[test]
fn damaged_csv_tables_are_refused_with_their_line() {
    let dir = tempfile::tempdir().unwrap();
    let good = "a,b,y\n1,2,0\n3,4,1\n5,6,0\n";
    let cut = write(dir.path(), "cut.csv", &good.as_bytes()[..good.len() - 3]);
    refused(&["train", "--data", s(&cut), "--label", "y"], "line 4");
    let mut flipped = good.as_bytes().to_vec();
    flipped[8] = 0xff;
    let flipped = write(dir.path(), "flipped.csv", &flipped);
    refused(&["train", "--data", s(&flipped), "--label", "y"], "line 2");
}

#[test]
fn hdf5_files_with_cyclic_or_deep_groups_and_damaged_ones_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let hostile = repo("nn-cli/tests/hostile");
    let cyclic = hostile.join("cyclic_groups.h5");
    refused(&["train", "--data", s(&cyclic)], "list_classes");
    let deep = hostile.join("deep_groups.h5");
    refused(&["train", "--data", s(&deep)], "train_set_x");
    let good = fs::read(repo("data/faces_h5/test_faces.h5")).unwrap();
    let cut = write(dir.path(), "cut.h5", &good[..good.len() / 2]);
    refused(&["train", "--data", s(&cut)], "cut.h5");
    let mut flipped = good.clone();
    for at in (1000..good.len()).step_by(4099) {
        flipped[at] ^= 0x5a;
    }
    let flipped = write(dir.path(), "flipped.h5", &flipped);
    let out = run(&["train", "--data", s(&flipped), "--epochs", "1"], MAX_WALL);
    // Flipped pixels still decode; flipped metadata must be an error, never a crash.
    assert!(
        out.success || out.stderr.starts_with("nn: "),
        "{}",
        out.stderr
    );
    assert!(out.peak_rss_mb < 200.0, "{:.1} MB", out.peak_rss_mb);
}

#[test]
fn safetensors_with_huge_headers_and_damage_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let model = image_model(dir.path());
    let exported = dir.path().join("exported");
    stdout(nn().args(["export", s(&model), s(&exported)]));
    let good = fs::read(exported.join("model.safetensors")).unwrap();
    let mut huge = (1u64 << 40).to_le_bytes().to_vec();
    huge.extend_from_slice(&good[8..]);
    let huge = write(dir.path(), "huge.safetensors", &huge);
    let save = dir.path().join("out.nn");
    let import = |file: &Path| {
        vec![
            "import".to_string(),
            s(file).into(),
            "--model".into(),
            s(&model).into(),
            "--save".into(),
            s(&save).into(),
        ]
    };
    let args = import(&huge);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    refused(&args, "huge.safetensors");
    let cut = write(dir.path(), "cut.safetensors", &good[..good.len() - 7]);
    let args = import(&cut);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    refused(&args, "cut.safetensors");
    assert!(!save.exists(), "nothing saved from a refused import");
}

#[test]
fn descriptions_that_disagree_with_the_network_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let conv = "[[layer]]\ntype = \"conv2d\"\nfilters = 4\nkernel = 3\n";
    let conv = write(dir.path(), "conv.toml", conv.as_bytes());
    // A convolution over rows of two features.
    refused(
        &["train", "--data", "xor", "--model", s(&conv)],
        "conv.toml",
    );
    let unknown = write(dir.path(), "unknown.toml", b"[[layer]]\ntype = \"lstm\"\n");
    refused(
        &["train", "--data", "xor", "--model", s(&unknown)],
        "line 2",
    );
    let huge = "[[layer]]\ntype = \"dense\"\nunits = 1099511627776\n";
    let huge = write(dir.path(), "huge.toml", huge.as_bytes());
    refused(
        &["train", "--data", "xor", "--model", s(&huge)],
        "huge.toml",
    );
    let cut = write(
        dir.path(),
        "cut.json",
        br#"{"layers": [{"type": "dense", "un"#,
    );
    refused(&["train", "--data", "xor", "--model", s(&cut)], "cut.json");
}
