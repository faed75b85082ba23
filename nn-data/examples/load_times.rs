//! How long each loader takes on the repository's data (best of 5 runs):
//! `cargo run --release -p nn-data --example load_times`.

use std::path::{Path, PathBuf};
use std::time::Instant;

use nn_data::images::ImageOptions;
use nn_data::{builtin, course_h5, idx, DataError, Dataset};

fn best_of<F: FnMut() -> Result<Dataset, DataError>>(
    what: &str,
    mut load: F,
) -> Result<(), DataError> {
    let mut best = f64::MAX;
    let mut shape = Vec::new();
    for _ in 0..5 {
        let started = Instant::now();
        let data = load()?;
        best = best.min(started.elapsed().as_secs_f64());
        shape = data.x().shape().to_vec();
    }
    println!("{what:<40} {shape:?}: {:.1} ms", best * 1e3);
    Ok(())
}

fn main() -> Result<(), DataError> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let data = root.join("../data");
    let options = ImageOptions::new();
    println!("{} threads", rayon::current_num_threads());
    best_of("faces/ folder as 64×64×3 (200 PNGs)", || {
        options
            .load_folder(root.join("builtin/faces"))
            .map(|l| l.dataset)
    })?;
    best_of("built-in faces as 64×64×3", || builtin::faces(&options))?;
    best_of("mnist5k train + test (gzipped IDX)", || {
        idx::mnist(data.join("mnist5k")).map(|[train, _test]| train)
    })?;
    best_of("faces_h5 train (HDF5)", || {
        course_h5::read_train(Path::new(&data.join("faces_h5/train_faces.h5"))).map(Dataset::from)
    })?;
    Ok(())
}
