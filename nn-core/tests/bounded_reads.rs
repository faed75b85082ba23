//! Opening a model file reads only what the header announces: what is not a regular file is
//! refused before reading, what does not start with the magic bytes is refused after 24 bytes,
//! and files of earlier formats get an error saying what to do. This binary counts allocations,
//! so a loader that read a whole large file into memory would fail here.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

use nn_core::persist::MAGIC;
use nn_core::{Network, Reference};

struct Counting;
static LARGEST: AtomicUsize = AtomicUsize::new(0);

// SAFETY: forwards to the system allocator, only recording the largest request.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LARGEST.fetch_max(layout.size(), Ordering::Relaxed);
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

fn load_error(path: &std::path::Path) -> String {
    Network::<f32>::load(path, Reference)
        .err()
        .expect("not a model")
        .to_string()
}

#[cfg(unix)]
#[test]
fn devices_and_folders_are_refused_before_reading() {
    let e = load_error(std::path::Path::new("/dev/zero"));
    assert!(e.contains("/dev/zero: not a regular file"), "{e}");
    let dir = tempfile::tempdir().unwrap();
    let e = load_error(dir.path());
    assert!(e.contains("not a regular file"), "{e}");
}

#[test]
fn a_large_file_of_something_else_is_refused_after_its_header() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("video.nn");
    // 64 MB of bytes that are not a model.
    std::fs::write(&path, vec![7u8; 64 << 20]).unwrap();
    LARGEST.store(0, Ordering::Relaxed);
    let e = load_error(&path);
    let largest = LARGEST.load(Ordering::Relaxed);
    assert!(e.contains("wrong magic bytes"), "{e}");
    assert!(largest < 1 << 20, "an allocation of {largest} bytes");
    // A valid header claiming more than the limit is refused without reading on.
    let mut header = MAGIC.to_vec();
    header.extend_from_slice(&2u32.to_le_bytes());
    header.extend_from_slice(&0u32.to_le_bytes());
    header.extend_from_slice(&(1u64 << 40).to_le_bytes());
    std::fs::write(&path, &header).unwrap();
    assert!(load_error(&path).contains("more than the"));
}

#[test]
fn earlier_formats_say_what_to_do() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("old.nn");
    let mut old_cli = b"NNCLI\0\0\x01".to_vec();
    old_cli.extend_from_slice(&[0; 32]);
    std::fs::write(&path, &old_cli).unwrap();
    let e = load_error(&path);
    assert!(
        e.contains("an earlier `nn`") && e.contains("train it again"),
        "{e}"
    );
    let mut v1 = MAGIC.to_vec();
    v1.extend_from_slice(&1u32.to_le_bytes());
    v1.extend_from_slice(&[0; 12]);
    std::fs::write(&path, &v1).unwrap();
    let e = load_error(&path);
    assert!(e.contains("format version 1"), "{e}");
}
