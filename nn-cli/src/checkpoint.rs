//! `--checkpoint DIR` (the last and the best epoch, each written atomically after every epoch)
//! and `--resume MODEL` (continue a saved run exactly where it stopped).
//!
//! A run resumes exactly when the model file holds the network with its optimiser state (the
//! library saves it) and the run record holds the generator's state after the last epoch: the
//! data are loaded again with the same seed (the same split), and the generator then continues
//! from the saved state, so shuffles, augmentation and dropout draw what an uninterrupted run
//! would have drawn.

use std::cell::Cell;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{bail, Context, Result};
use nn_core::{Backend, EpochHook, EpochRecord, Network, Rng};
use nn_data::model::Preparation;

use crate::model::{self, Run};

/// Writes `last.nn` after every epoch and `best.nn` whenever the validation cost (the
/// training cost without a validation set) is the lowest so far.
pub struct Checkpoints<'a> {
    dir: PathBuf,
    prepare: &'a Preparation,
    /// The run record, completed at each epoch.
    run: Run,
    /// Epochs done before this `fit` (a resumed run).
    before: usize,
    best: Cell<f64>,
}

impl<'a> Checkpoints<'a> {
    /// Checkpoints into `dir` (created if missing).
    pub fn new(dir: &Path, prepare: &'a Preparation, run: Run, before: usize) -> Result<Self> {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("{}: cannot create the checkpoint folder", dir.display()))?;
        Ok(Checkpoints {
            dir: dir.to_path_buf(),
            prepare,
            run,
            before,
            best: Cell::new(f64::INFINITY),
        })
    }
}

impl EpochHook<f32> for Checkpoints<'_> {
    fn after_epoch(
        &self,
        net: &Network<f32>,
        record: &EpochRecord,
        rng: &Rng,
    ) -> nn_core::Result<()> {
        let run = Run {
            epochs: self.before + record.epoch + 1,
            stop: "checkpoint".into(),
            cost: record.cost,
            train_accuracy: record.accuracy.unwrap_or(f64::NAN),
            test_accuracy: f64::NAN,
            rng: Some(rng.clone()),
            ..self.run.clone()
        };
        let write = |name: &str| {
            let path = self.dir.join(name);
            model::save(&path, net, self.prepare, &run).map_err(|e| nn_core::Error::Io {
                path: path.clone(),
                source: std::io::Error::other(format!("cannot write the checkpoint: {e:#}")),
            })
        };
        write("last.nn")?;
        let metric = record.val_cost.unwrap_or(record.cost);
        if metric < self.best.get() {
            self.best.set(metric);
            write("best.nn")?;
        }
        Ok(())
    }
}

/// What `--resume` continues from: the network (with its optimiser state), the epochs it has
/// been trained, and the generator's state then.
pub struct Resumed {
    /// The network.
    pub net: Network<f32>,
    /// Epochs already trained.
    pub epochs: usize,
    /// The generator after those epochs.
    pub rng: Rng,
}

/// Opens a model saved by `nn train --save` or `--checkpoint` to continue training it on
/// examples of `shape`.
pub fn resume(path: &Path, shape: &[usize], backend: Arc<dyn Backend<f32>>) -> Result<Resumed> {
    let (trained, run) = model::load(path, backend)?;
    let Some(Run {
        rng: Some(rng),
        epochs,
        ..
    }) = run
    else {
        bail!(
            "{}: this model does not record the state of its training run (saved by another \
             program or an older nn), so it cannot be resumed exactly; train it again",
            path.display()
        );
    };
    if trained.network.input_shape() != shape {
        bail!(
            "{}: the model takes examples of {:?}, the data are {:?} (resume with the data and \
             options it was trained with)",
            path.display(),
            trained.network.input_shape(),
            shape
        );
    }
    if trained.network.optimizer_state().is_none() {
        bail!(
            "{}: the model holds no optimiser state to resume",
            path.display()
        );
    }
    Ok(Resumed {
        net: trained.network,
        epochs,
        rng,
    })
}
