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
use nn_core::{Backend, EpochHook, EpochRecord, Network, Optimizer, Rng};
use nn_data::model::Preparation;

use crate::model::{self, Run};

/// Writes `last.nn` after every whole epoch and `best.nn` whenever the validation cost (the
/// training cost without a validation set) is the lowest so far, over a resumed run too.
pub struct Checkpoints<'a> {
    dir: PathBuf,
    prepare: &'a Preparation,
    /// The run record, completed at each epoch.
    run: Run,
    /// Epochs done before this `fit` (a resumed run).
    before: usize,
    /// Whether the epochs' validation cost is a validation set's (not the test set's).
    validated: bool,
    best: Cell<f64>,
}

impl<'a> Checkpoints<'a> {
    /// Checkpoints into `dir` (created if missing), after `before` epochs whose best cost is
    /// `run.best_cost`; `validated` says whether to rank by the validation cost.
    pub fn new(
        dir: &Path,
        prepare: &'a Preparation,
        run: Run,
        before: usize,
        validated: bool,
    ) -> Result<Self> {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("{}: cannot create the checkpoint folder", dir.display()))?;
        Ok(Checkpoints {
            dir: dir.to_path_buf(),
            prepare,
            best: Cell::new(run.best_cost.unwrap_or(f64::INFINITY)),
            run,
            before,
            validated,
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
        let metric = match self.validated {
            true => record.val_cost.unwrap_or(record.cost),
            false => record.cost,
        };
        let improved = metric < self.best.get();
        if improved {
            self.best.set(metric);
        }
        let run = Run {
            epochs: self.before + record.epoch + 1,
            stop: "checkpoint".into(),
            cost: record.cost,
            train_accuracy: record.accuracy.unwrap_or(f64::NAN),
            test_accuracy: f64::NAN,
            rng: Some(rng.clone()),
            best_cost: Some(self.best.get()),
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
        if improved {
            write("best.nn")?;
        }
        Ok(())
    }
}

/// What `--resume` continues from: the network (with its optimiser state), the epochs it has
/// been trained, the generator's state then, and the best cost its checkpoints kept.
pub struct Resumed {
    /// The network.
    pub net: Network<f32>,
    /// Epochs already trained.
    pub epochs: usize,
    /// The generator after those epochs.
    pub rng: Rng,
    /// The lowest cost kept in `best.nn` so far, if checkpointed.
    pub best_cost: Option<f64>,
}

/// What the run being resumed must match.
pub struct Expect<'a> {
    /// The preparation of the data loaded now (example shape, classes, image options).
    pub prepare: &'a Preparation,
    /// The optimiser asked for now.
    pub optimizer: Optimizer,
    /// The seed given now (the train/test split depends on it).
    pub seed: u64,
}

/// Opens a model saved by `nn train --save` or `--checkpoint` to continue training it as
/// `expect` says, refusing what would not continue the same run.
pub fn resume(path: &Path, expect: &Expect<'_>, backend: Arc<dyn Backend<f32>>) -> Result<Resumed> {
    let (trained, run) = model::load(path, backend)?;
    let Some(Run {
        rng: Some(rng),
        epochs,
        seed,
        best_cost,
        ..
    }) = run
    else {
        bail!(
            "{}: this model does not record the state of its training run (saved by another \
             program or an older nn, or interrupted inside an epoch), so it cannot be resumed \
             exactly; resume a --checkpoint of it, or train it again",
            path.display()
        );
    };
    let err = |what: String| {
        anyhow::anyhow!(
            "{}: {what}; resume with the data and options it was trained with",
            path.display()
        )
    };
    let saved = &trained.preparation;
    if saved.example_shape != expect.prepare.example_shape {
        return Err(err(format!(
            "the model takes examples of {:?}, the data are {:?}",
            saved.example_shape, expect.prepare.example_shape
        )));
    }
    if saved.classes != expect.prepare.classes {
        return Err(err(format!(
            "the model's classes are {:?}, the data's {:?}",
            saved.classes, expect.prepare.classes
        )));
    }
    if seed.is_some_and(|s| s != expect.seed) {
        return Err(err(format!(
            "it was trained with --seed {}, not {} (the seed decides the train/test split)",
            seed.unwrap_or_default(),
            expect.seed
        )));
    }
    let Some(state) = trained.network.optimizer_state() else {
        bail!(
            "{}: the model holds no optimiser state to resume",
            path.display()
        );
    };
    let same_kind =
        std::mem::discriminant(&state.optimizer()) == std::mem::discriminant(&expect.optimizer);
    if !same_kind {
        return Err(err(format!(
            "it was trained with {:?}, not {:?}",
            state.optimizer(),
            expect.optimizer
        )));
    }
    Ok(Resumed {
        net: trained.network,
        epochs,
        rng,
        best_cost,
    })
}
