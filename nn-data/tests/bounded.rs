//! Hostile inputs: paths that are not regular files, wrong signatures, headers that claim more
//! than the file holds or more than the limits, decompression bombs, images whose header claims
//! a huge size. Each must give an error naming the file, without a panic, a hang or a large
//! allocation: this test binary counts every allocation and checks that none was large.

use std::alloc::{GlobalAlloc, Layout, System};
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use nn_data::images::{ImageOptions, MAX_FILE_BYTES, MAX_IMAGE_BYTES, MAX_IMAGE_SIDE};
use nn_data::table::{Csv, Label, MAX_CSV_BYTES};
use nn_data::{course_h5, idx, DataError};

/// The system allocator, remembering the largest block ever asked for.
struct Counting;

static LARGEST: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LARGEST.fetch_max(layout.size(), Ordering::Relaxed);
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        LARGEST.fetch_max(layout.size(), Ordering::Relaxed);
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        LARGEST.fetch_max(new_size, Ordering::Relaxed);
        unsafe { System.realloc(ptr, layout, new_size) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Every test here reads only small or refused inputs, so no block above this was ever
/// needed (the loaders' own chunks are 64 KiB).
const SMALL: usize = 16 << 20;

fn assert_no_large_allocation() {
    let largest = LARGEST.load(Ordering::Relaxed);
    assert!(largest < SMALL, "an allocation of {largest} bytes");
}

/// The error's message, checking that it starts with `path`.
fn names<T: std::fmt::Debug>(result: Result<T, DataError>, path: &Path) -> (DataError, String) {
    let error = result.expect_err("the load should fail");
    let message = error.to_string();
    let prefix = format!("{}: ", path.display());
    assert!(
        message.starts_with(&prefix),
        "{message:?} does not start with {prefix:?}"
    );
    (error, message)
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    fs::write(&path, bytes).unwrap();
    path
}

/// Every loader that reads one file, on `path`.
fn every_loader(path: &Path) -> Vec<(&'static str, Result<(), DataError>)> {
    let options = ImageOptions::new();
    vec![
        ("idx::read", idx::read(path).map(drop)),
        ("idx::read_pair", idx::read_pair(path, path, 10).map(drop)),
        (
            "course_h5::read_train",
            course_h5::read_train(path).map(drop),
        ),
        ("course_h5::read", course_h5::read(path, "x").map(drop)),
        ("ImageOptions::read", options.read(path).map(drop)),
        (
            "ImageOptions::load_image",
            options.load_image(path).map(drop),
        ),
        ("Csv::read", Csv::new(Label::LastClass).read(path).map(drop)),
        (
            "Csv::read_features",
            Csv::new(Label::None).read_features(path).map(drop),
        ),
        (
            "Csv::columns",
            Csv::new(Label::None).columns(path).map(drop),
        ),
    ]
}

/// Each loader refuses `path` as `found`, not a regular file, naming it.
fn refused_as(path: &Path, found: &str) {
    for (loader, result) in every_loader(path) {
        let (error, message) = names(result, path);
        assert!(
            matches!(&error, DataError::NotFile { found: f, .. } if *f == found),
            "{loader}: {error:?}"
        );
        assert!(
            message.contains("not a regular file"),
            "{loader}: {message}"
        );
    }
}

#[test]
fn a_directory_is_refused_by_every_loader() {
    let dir = tempfile::tempdir().unwrap();
    refused_as(dir.path(), "a directory");
    // MNIST's file names given to folders: refused as such, not reported missing.
    for name in [
        "train-images-idx3-ubyte",
        "train-labels-idx1-ubyte",
        "t10k-images-idx3-ubyte",
        "t10k-labels-idx1-ubyte",
    ] {
        fs::create_dir(dir.path().join(name)).unwrap();
    }
    let images = dir.path().join("train-images-idx3-ubyte");
    let (error, _) = names(idx::mnist(dir.path()), &images);
    assert!(matches!(error, DataError::NotFile { .. }), "{error:?}");
    assert_no_large_allocation();
}

#[cfg(unix)]
#[test]
fn dev_zero_is_refused_by_every_loader() {
    let zero = Path::new("/dev/zero");
    if zero.exists() {
        refused_as(zero, "a character device");
    }
    assert_no_large_allocation();
}

/// A FIFO whose `open` for reading would block until a writer comes: the loaders must refuse
/// it from its metadata instead of hanging.
#[cfg(unix)]
#[test]
fn a_fifo_is_refused_without_blocking() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("pipe");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .is_ok_and(|s| s.success());
    if !made {
        eprintln!("no mkfifo here: skipped");
        return;
    }
    refused_as(&fifo, "a FIFO (named pipe)");
    // In an image folder too: the FIFO is named, and skipped when asked.
    let class = dir.path().join("folder/cat");
    fs::create_dir_all(&class).unwrap();
    fs::copy(
        concat!(env!("CARGO_MANIFEST_DIR"), "/builtin/faces/face/000.png"),
        class.join("1.png"),
    )
    .unwrap();
    let pipe = class.join("2.png");
    assert!(std::process::Command::new("mkfifo")
        .arg(&pipe)
        .status()
        .unwrap()
        .success());
    let options = ImageOptions::new();
    let (_, message) = names(options.load_folder(dir.path().join("folder")), &pipe);
    assert!(
        message.contains("a FIFO (named pipe), not a regular file"),
        "{message}"
    );
    let loaded = options
        .skip_unreadable(true)
        .load_folder(dir.path().join("folder"))
        .unwrap();
    assert_eq!(loaded.dataset.len(), 1);
    assert_eq!(loaded.skipped[0].path, pipe);
    assert_no_large_allocation();
}

/// A gzip stream of `bytes`.
fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(bytes).unwrap();
    enc.finish().unwrap()
}

#[test]
fn wrong_signatures_are_refused_before_reading_further() {
    let d = tempfile::tempdir().unwrap();
    let dir = d.path();
    // IDX: neither gzip's 1f 8b nor IDX's 00 00; a gzip stream that holds no IDX header.
    let p = write(dir, "zip", b"PK\x03\x04 not an IDX file");
    let (e, m) = names(idx::read(&p), &p);
    assert!(matches!(e, DataError::NotFormat { .. }), "{e:?}");
    assert!(
        m.contains("not an IDX file (it starts with [50, 4b, 03, 04]"),
        "{m}"
    );
    let p = write(dir, "text.gz", &gzip(b"hello, world"));
    let (_, m) = names(idx::read(&p), &p);
    assert!(
        m.contains("not an IDX file (it starts with [68, 65, 6c, 6c]"),
        "{m}"
    );
    let p = write(dir, "one", b"\x00");
    let (_, m) = names(idx::read(&p), &p);
    assert!(m.contains("not an IDX file (it starts with [00]"), "{m}");
    // HDF5: a PNG; the signature after 512 bytes of zeros is looked for (a user block), and
    // what follows it is then the reader's to refuse.
    let p = write(dir, "png.h5", b"\x89PNG\r\n\x1a\n0123456789abcdef");
    let (_, m) = names(course_h5::read_train(&p), &p);
    assert!(m.ends_with("not an HDF5 file (no HDF5 signature)"), "{m}");
    let mut user_block = vec![0u8; 512];
    user_block.extend_from_slice(b"\x89HDF\r\n\x1a\n");
    user_block.extend_from_slice(&[0xff; 64]);
    let p = write(dir, "user_block.h5", &user_block);
    let (e, _) = names(course_h5::read_train(&p), &p);
    assert!(!matches!(e, DataError::NotFormat { .. }), "{e:?}");
    // Images: the format comes from the content, whatever the name says.
    let p = write(
        dir,
        "photo.png",
        b"\x00\x00\x01\x00, an icon, not a PNG at all",
    );
    let (_, m) = names(ImageOptions::new().load_image(&p), &p);
    assert!(
        m.ends_with(
            "cannot decode the image (a ICO file: only PNG, JPEG, BMP, GIF, WebP and TIFF are read)"
        ),
        "{m}"
    );
    let p = write(dir, "notes.jpg", b"just some text");
    let (_, m) = names(ImageOptions::new().load_image(&p), &p);
    assert!(
        m.ends_with("cannot decode the image (not a PNG, JPEG, BMP, GIF, WebP or TIFF file)"),
        "{m}"
    );
    assert_no_large_allocation();
}

/// An IDX header of unsigned bytes with these dimensions, then `values` zero bytes.
fn idx_bytes(dims: &[u32], values: usize) -> Vec<u8> {
    let mut b = vec![0, 0, 8, dims.len() as u8];
    for d in dims {
        b.extend_from_slice(&d.to_be_bytes());
    }
    b.resize(b.len() + values, 0);
    b
}

#[test]
fn idx_claiming_more_than_it_holds_is_refused_before_allocating() {
    let d = tempfile::tempdir().unwrap();
    let dir = d.path();
    // 10⁹ values claimed (within the limit), 10 present: refused from the file's length.
    let p = write(dir, "claims", &idx_bytes(&[1000, 1000, 1000], 10));
    let (e, m) = names(idx::read(&p), &p);
    assert!(matches!(e, DataError::Corrupt { .. }), "{e:?}");
    assert!(
        m.ends_with("the header says [1000, 1000, 1000] (1000000000 values) but the file holds 10"),
        "{m}"
    );
    let labels = write(dir, "labels", &idx_bytes(&[1000], 1000));
    let (_, m) = names(idx::read_pair(&p, &labels, 10), &p);
    assert!(m.contains("but the file holds 10"), "{m}");
    // Above the limit: the product of the dimensions, with checked multiplication.
    for dims in [vec![65536, 65536], vec![u32::MAX, u32::MAX, u32::MAX, 2]] {
        let p = write(dir, "huge", &idx_bytes(&dims, 16));
        let (e, m) = names(idx::read(&p), &p);
        assert!(
            matches!(e, DataError::TooLarge { limit, .. } if limit == idx::MAX_IDX_BYTES),
            "{e:?}"
        );
        assert!(
            m.contains("more than the limit of 1073741824 bytes (1 GiB); the limit is nn_data::idx::MAX_IDX_BYTES"),
            "{m}"
        );
    }
    assert_no_large_allocation();
}

#[test]
fn gzipped_idx_with_huge_claims_and_gzip_bombs_are_refused() {
    let d = tempfile::tempdir().unwrap();
    let dir = d.path();
    // A header claiming 2⁶⁴-ish values, a few bytes on disk.
    let p = write(
        dir,
        "huge.gz",
        &gzip(&idx_bytes(&[u32::MAX, u32::MAX, 4], 100)),
    );
    assert!(fs::metadata(&p).unwrap().len() < 100);
    let (e, m) = names(idx::read(&p), &p);
    assert!(matches!(e, DataError::TooLarge { .. }), "{e:?}");
    assert!(m.contains("nn_data::idx::MAX_IDX_BYTES"), "{m}");
    // 10⁹ values claimed (within MAX_IDX_BYTES) by a file of 141 bytes: more than
    // MAX_GZIP_RATIO values per compressed byte, refused before decompressing.
    let p = write(
        dir,
        "claims.gz",
        &gzip(&idx_bytes(&[1000, 1000, 1000], 100_000)),
    );
    let (e, m) = names(idx::read(&p), &p);
    assert!(matches!(e, DataError::TooLarge { .. }), "{e:?}");
    assert!(m.contains("nn_data::idx::MAX_GZIP_RATIO"), "{m}");
    // 10⁶ values claimed (the least any gzip file may claim), 100 000 present.
    let p = write(
        dir,
        "short.gz",
        &gzip(&idx_bytes(&[100, 100, 100], 100_000)),
    );
    let (_, m) = names(idx::read(&p), &p);
    assert!(
        m.ends_with("(1000000 values) but the file holds 100000"),
        "{m}"
    );
    let labels = write(dir, "labels.gz", &gzip(&idx_bytes(&[100], 100)));
    let (_, m) = names(idx::read_pair(&p, &labels, 10), &p);
    assert!(m.ends_with("but the file holds 100000"), "{m}");
    // A bomb: the header claims 10 values, the stream inflates to 64 MiB of zeros (64 KiB on
    // disk); decompression stops one byte past the claim.
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    enc.write_all(&idx_bytes(&[10], 0)).unwrap();
    let zeros = vec![0u8; 1 << 20];
    for _ in 0..64 {
        enc.write_all(&zeros).unwrap();
    }
    let p = write(dir, "bomb.gz", &enc.finish().unwrap());
    assert!(fs::metadata(&p).unwrap().len() < 1 << 20);
    let (e, m) = names(idx::read(&p), &p);
    assert!(matches!(e, DataError::Corrupt { .. }), "{e:?}");
    assert!(
        m.ends_with("the header says [10] (10 values) but the file holds more"),
        "{m}"
    );
    assert_no_large_allocation();
}

/// A valid 16×16 gray PNG whose IHDR is rewritten to claim `width × height` with this bit
/// depth and colour type (6: RGBA), the chunk's CRC recomputed.
fn png_claiming(width: u32, height: u32, depth: u8, color_type: u8) -> Vec<u8> {
    let mut png = Vec::new();
    image::GrayImage::from_pixel(16, 16, image::Luma([7]))
        .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
        .unwrap();
    // Signature (8), IHDR length (4), "IHDR" (4), width, height, depth, colour type, …, CRC.
    assert_eq!(&png[12..16], b"IHDR");
    png[16..20].copy_from_slice(&width.to_be_bytes());
    png[20..24].copy_from_slice(&height.to_be_bytes());
    png[24] = depth;
    png[25] = color_type;
    let mut crc = flate2::Crc::new();
    crc.update(&png[12..29]);
    png[29..33].copy_from_slice(&crc.sum().to_be_bytes());
    png
}

#[test]
fn images_claiming_huge_sizes_are_refused_before_decoding() {
    let d = tempfile::tempdir().unwrap();
    let options = ImageOptions::new();
    let p = write(d.path(), "huge.png", &png_claiming(16384, 16384, 8, 0));
    let (e, m) = names(options.load_image(&p), &p);
    assert!(
        matches!(e, DataError::ImageSide { width: 16384, height: 16384, limit, .. } if limit == MAX_IMAGE_SIDE),
        "{e:?}"
    );
    assert!(
        m.ends_with(
            "the image is 16384×16384 pixels, more than the limit of 8192 pixels per side \
             (nn_data::images::MAX_IMAGE_SIDE); resize it to at most 8192×8192 first"
        ),
        "{m}"
    );
    // One side is enough; decoding from bytes names the given name.
    let tall = png_claiming(16, 8193, 8, 0);
    let (_, m) = names(options.decode(&tall, "tall.png"), Path::new("tall.png"));
    assert!(m.contains("16×8193 pixels"), "{m}");
    // Within the side limit but 512 MiB decoded (16-bit RGBA): above MAX_IMAGE_BYTES.
    let p = write(d.path(), "deep.png", &png_claiming(8192, 8192, 16, 6));
    let (e, m) = names(options.read(&p), &p);
    assert!(
        matches!(e, DataError::TooLarge { bytes, limit, .. } if bytes == 512 << 20 && limit == MAX_IMAGE_BYTES),
        "{e:?}"
    );
    assert!(m.contains("nn_data::images::MAX_IMAGE_BYTES"), "{m}");
    // In a folder: the error names the file, or the file is skipped.
    let class = d.path().join("folder/cat");
    fs::create_dir_all(&class).unwrap();
    fs::write(class.join("ok.png"), png_claiming(16, 16, 8, 0)).unwrap();
    let huge = write(&class, "huge.png", &png_claiming(16384, 16384, 8, 0));
    let (_, m) = names(options.load_folder(d.path().join("folder")), &huge);
    assert!(m.contains("8192 pixels per side"), "{m}");
    let loaded = options
        .skip_unreadable(true)
        .load_folder(d.path().join("folder"))
        .unwrap();
    assert_eq!(loaded.dataset.len(), 1);
    assert_eq!(loaded.skipped[0].path, huge);
    // The target size is bounded too.
    let e = options
        .size(MAX_IMAGE_SIDE + 1, 4)
        .load_image(class.join("ok.png"))
        .unwrap_err()
        .to_string();
    assert!(e.contains("cannot be resized to 8193×4"), "{e}");
    assert_no_large_allocation();
}

/// Files above the size limits are refused from their length, before any byte is read (the
/// files are sparse: nothing is written).
#[test]
fn oversized_files_are_refused_from_their_length() {
    let d = tempfile::tempdir().unwrap();
    let sparse = |name: &str, len: u64| {
        let path = d.path().join(name);
        fs::File::create(&path).unwrap().set_len(len).unwrap();
        path
    };
    let p = sparse("big.csv", MAX_CSV_BYTES + 1);
    for (e, m) in [
        names(Csv::new(Label::LastClass).read(&p), &p),
        names(Csv::new(Label::None).read_features(&p).map(drop), &p),
        names(Csv::new(Label::None).columns(&p), &p),
    ] {
        assert!(matches!(e, DataError::TooLarge { .. }), "{e:?}");
        assert!(m.contains("nn_data::table::MAX_CSV_BYTES"), "{m}");
    }
    let (e, m) = names(Csv::new(Label::LastClass).read(&p), &p);
    assert!(matches!(e, DataError::TooLarge { .. }), "{e:?}");
    assert!(
        m.ends_with(
            "the file would take 268435457 bytes, more than the limit of 268435456 bytes \
             (256 MiB); the limit is nn_data::table::MAX_CSV_BYTES: split the table into \
             several files"
        ),
        "{m}"
    );
    let p = sparse("big.png", MAX_FILE_BYTES + 1);
    let (_, m) = names(ImageOptions::new().load_image(&p), &p);
    assert!(m.contains("nn_data::images::MAX_FILE_BYTES"), "{m}");
    // At the limits, the files are read (and refused for their content).
    let p = sparse("zeros.csv", 1024);
    let e = Csv::new(Label::LastClass).read(&p).unwrap_err();
    assert!(matches!(e, DataError::Row { line: 1, .. }), "{e:?}");
    assert_no_large_allocation();
}
