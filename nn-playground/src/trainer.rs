//! The trainer: the thread that owns a [`Session`], answers the page's commands (the JSON
//! protocol) and publishes frames while it plays.

use std::path::{Path, PathBuf};
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::Deserialize;
use serde_json::{json, Value};
use tokio::sync::{oneshot, watch};

use crate::frame::Frame;
use crate::session::Session;
use crate::settings::Settings;

/// The time between frames while playing: 20 frames a second.
pub const FRAME_INTERVAL: Duration = Duration::from_millis(50);
/// The original's pace: one epoch per animation frame, about 60 a second.
pub const ORIGINAL_EPOCHS_PER_SECOND: f64 = 60.0;
/// The slowest pace the page may ask for, in epochs per second.
pub const MIN_PACE: f64 = 0.1;
/// The fastest pace with a limit (`null` is no limit).
pub const MAX_PACE: f64 = 10_000.0;
/// The longest name of a saved model.
pub const MAX_NAME: usize = 64;

/// A command of the page, as JSON: `{"cmd": "step"}`, `{"cmd": "settings", "query": "…"}`, …
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(tag = "cmd", rename_all = "snake_case", deny_unknown_fields)]
pub enum Command {
    /// New settings in their URL form ([`Settings::from_query`]).
    Settings {
        /// The URL's hash.
        query: String,
    },
    /// Starts the exercise of a link afresh (the page's address when it loads), paused.
    Open {
        /// The URL's hash.
        query: String,
    },
    /// Train continuously.
    Play,
    /// Stop training.
    Pause,
    /// Train one epoch.
    Step,
    /// Back to the initial weights and epoch 0.
    Reset,
    /// New data: the next seed.
    Regenerate,
    /// Epochs per second while playing; `null` is as fast as it goes.
    Speed {
        /// The pace, or none.
        epochs_per_second: Option<f64>,
    },
    /// Sets a weight (`from`: the neuron of layer `layer`) or a bias (`from` null).
    Weight {
        /// The layer of links, 0 from the inputs.
        layer: usize,
        /// The neuron of the next layer.
        to: usize,
        /// The neuron of layer `layer`, or none for the bias.
        from: Option<usize>,
        /// The new value.
        value: f32,
    },
    /// Checks back-propagation of the current network against finite differences.
    GradientCheck,
    /// Saves the network as `<name>.nn` in the served folder.
    Save {
        /// Letters, digits, `-`, `_` and `.`; `.nn` is added.
        name: String,
        /// Replace a model of that name.
        #[serde(default)]
        overwrite: bool,
    },
}

/// A command and where its answer goes.
pub struct Request {
    /// The command.
    pub command: Command,
    /// The answer: a JSON object, or an error for the user.
    pub reply: oneshot::Sender<Result<Value, String>>,
}

/// The session and how it is being played.
pub struct Trainer {
    session: Session,
    playing: bool,
    epochs_per_second: Option<f64>,
    folder: PathBuf,
    data_version: u64,
    message: Option<String>,
}

impl Trainer {
    /// A trainer of `settings` that saves models into `folder`, paused at epoch 0.
    ///
    /// # Errors
    ///
    /// Settings out of range.
    pub fn new(settings: Settings, folder: &Path) -> Result<Trainer, String> {
        Ok(Trainer {
            session: Session::new(settings)?,
            playing: false,
            epochs_per_second: Some(ORIGINAL_EPOCHS_PER_SECOND),
            folder: folder.to_path_buf(),
            data_version: 1,
            message: None,
        })
    }

    /// The session.
    pub fn session(&self) -> &Session {
        &self.session
    }

    /// Whether it is playing.
    pub fn playing(&self) -> bool {
        self.playing
    }

    /// Carries out `command`; the answer is a JSON object for the page.
    ///
    /// # Errors
    ///
    /// What was wrong, for the user (bad settings, no such link, a file that exists, …).
    pub fn handle(&mut self, command: Command) -> Result<Value, String> {
        match command {
            Command::Settings { query } => {
                let settings = Settings::from_query(&query)?;
                if self.session.change(settings)? {
                    // Started again, as the original's reset: paused, with its data drawn
                    // again (the page fetches them anew).
                    self.playing = false;
                    self.data_version += 1;
                }
            }
            Command::Open { query } => {
                self.session = Session::new(Settings::from_query(&query)?)?;
                self.playing = false;
                self.data_version += 1;
            }
            Command::Play => self.playing = true,
            Command::Pause => self.playing = false,
            Command::Step => {
                self.playing = false;
                self.train_one()?;
            }
            Command::Reset => {
                self.playing = false;
                self.session.reset();
            }
            Command::Regenerate => {
                let mut settings = self.session.settings().clone();
                settings.seed = settings.seed.wrapping_add(1);
                self.session = Session::new(settings)?;
                self.data_version += 1;
            }
            Command::Speed { epochs_per_second } => {
                if epochs_per_second.is_some_and(|v| !(MIN_PACE..=MAX_PACE).contains(&v)) {
                    return Err(format!(
                        "epochs per second must be from {MIN_PACE} to {MAX_PACE}, or null for \
                         no limit"
                    ));
                }
                self.epochs_per_second = epochs_per_second;
            }
            Command::Weight {
                layer,
                to,
                from,
                value,
            } => self.session.set_weight(layer, to, from, value)?,
            Command::GradientCheck => return self.gradient_check(),
            Command::Save { name, overwrite } => return self.save(&name, overwrite),
        }
        Ok(self.state())
    }

    /// Runs `work`, with a panic (a bug: none is known) turned into an error for the page, so
    /// that the trainer goes on serving; the session is then started again, paused.
    fn guarded<R>(
        &mut self,
        work: impl FnOnce(&mut Trainer) -> Result<R, String>,
    ) -> Result<R, String> {
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| work(self)));
        result.unwrap_or_else(|_| {
            self.playing = false;
            if let Ok(fresh) = Session::new(self.session.settings().clone()) {
                self.session = fresh;
            }
            Err("internal error: the exercise was started again (please report it)".into())
        })
    }

    /// Trains one epoch; a failure pauses and is kept as the message.
    fn train_one(&mut self) -> Result<(), String> {
        match self.session.step() {
            Ok(_) => {
                self.message = None;
                Ok(())
            }
            Err(e) => {
                self.playing = false;
                self.message = Some(e.clone());
                Err(e)
            }
        }
    }

    /// The gradient check: a tensor passes when its relative error is below
    /// [`GRADIENT_TOLERANCE`], or when every difference is below [`nn_core::VANISHING`] (the
    /// rounding of centred differences: a trained network's tiny gradients, say 1e-5, then
    /// have relative errors above 1e-7 from rounding alone).
    fn gradient_check(&self) -> Result<Value, String> {
        let report = self.session.gradient_check()?;
        let worst = report.max_relative_error();
        let tensors: Vec<Value> = report
            .tensors
            .iter()
            .map(|t| {
                json!({"layer": t.layer, "name": t.layer_name, "param": t.param,
                       "relative_error": t.relative_error, "max_abs_diff": t.max_abs_diff,
                       "passed": tensor_passes(t)})
            })
            .collect();
        let largest_diff = (report.tensors.iter()).fold(0.0f64, |m, t| m.max(t.max_abs_diff));
        let passed = report.tensors.iter().all(tensor_passes);
        Ok(
            json!({"max_relative_error": worst, "max_abs_diff": largest_diff,
                  "passed": passed, "tensors": tensors}),
        )
    }

    /// Saves the network with its preparation as `<name>.nn` in the folder.
    fn save(&self, name: &str, overwrite: bool) -> Result<Value, String> {
        let file = model_file_name(name)?;
        let path = self.folder.join(&file);
        if path.exists() && !overwrite {
            return Err(format!(
                "{} exists: choose another name, or replace it",
                path.display()
            ));
        }
        nn_data::model::save(
            &path,
            self.session.network(),
            &self.session.preparation(),
            &[],
        )
        .map_err(|e| e.to_string())?;
        Ok(json!({"path": path.display().to_string(), "file": file}))
    }

    /// What the page shows beside the pictures: the settings, whether it plays, the epoch.
    pub fn state(&self) -> Value {
        let s = self.session.settings();
        json!({
            "query": s.to_query(),
            "settings": s,
            "playing": self.playing,
            "epochs_per_second": self.epochs_per_second,
            "epoch": self.session.epoch(),
            "data_version": self.data_version,
            "classes": self.session.classes(),
            "message": self.message,
            "train_command": train_command(s, self.session.epoch()),
            "edited": self.session.edited(),
        })
    }

    /// A frame and the state, as the JSON of one server-sent event (written from the frame
    /// itself, so that its f32 values keep their short form).
    pub fn frame_json(&self) -> String {
        #[derive(serde::Serialize)]
        struct Message<'a> {
            state: Value,
            frame: Option<&'a Frame>,
            error: Option<String>,
        }
        let frame = Frame::of(&self.session);
        let message = Message {
            state: self.state(),
            frame: frame.as_ref().ok(),
            error: frame.as_ref().err().cloned(),
        };
        serde_json::to_string(&message).expect("a frame serialises")
    }

    /// The points, as JSON: `[x₁, x₂, label]` for training and test.
    pub fn data_json(&self) -> String {
        let rows = |part: &crate::session::Part| -> Vec<[f32; 3]> {
            (part.points.data().chunks_exact(2))
                .zip(&part.labels)
                .map(|(p, &l)| [p[0], p[1], l])
                .collect()
        };
        json!({
            "data_version": self.data_version,
            "train": rows(self.session.train()),
            "test": rows(self.session.test()),
        })
        .to_string()
    }

    /// Answers requests until every sender is gone, training while playing and publishing
    /// a frame after each command and every [`FRAME_INTERVAL`] of play.
    pub fn run(
        mut self,
        requests: Receiver<Request>,
        frames: watch::Sender<Arc<String>>,
        data: watch::Sender<Arc<String>>,
    ) {
        let mut last_frame = Instant::now();
        let mut next_epoch = Instant::now();
        loop {
            let wait = if self.playing {
                next_epoch.saturating_duration_since(Instant::now())
            } else {
                FRAME_INTERVAL * 20
            };
            match requests.recv_timeout(wait) {
                Ok(request) => {
                    let version = self.data_version;
                    let answer = self.guarded(|t| t.handle(request.command));
                    let _ = request.reply.send(answer);
                    if self.data_version != version {
                        data.send_replace(Arc::new(self.data_json()));
                    }
                    frames.send_replace(Arc::new(self.frame_json()));
                    last_frame = Instant::now();
                    next_epoch = Instant::now();
                    continue;
                }
                Err(RecvTimeoutError::Disconnected) => return,
                Err(RecvTimeoutError::Timeout) => {}
            }
            if !self.playing {
                continue;
            }
            let failed = self.guarded(Trainer::train_one).is_err();
            if let Some(rate) = self.epochs_per_second {
                next_epoch += Duration::from_secs_f64(1.0 / rate);
                next_epoch = next_epoch.max(Instant::now() - FRAME_INTERVAL);
            }
            if failed || last_frame.elapsed() >= FRAME_INTERVAL {
                frames.send_replace(Arc::new(self.frame_json()));
                last_frame = Instant::now();
            }
        }
    }
}

/// The relative error below which a tensor's gradient passes the check, as in the course.
pub const GRADIENT_TOLERANCE: f64 = 1e-7;

/// Whether one tensor passes the check (see [`Trainer::handle`]'s gradient check).
pub fn tensor_passes(t: &nn_core::TensorCheck) -> bool {
    t.relative_error < GRADIENT_TOLERANCE || t.max_abs_diff < nn_core::VANISHING
}

/// `name.nn`, if `name` is a plain file name (letters, digits, `-`, `_`, `.`, not starting
/// with a dot, at most [`MAX_NAME`]); `.nn` is added unless it is there.
///
/// # Errors
///
/// What is wrong with the name.
pub fn model_file_name(name: &str) -> Result<String, String> {
    let stem = name.strip_suffix(".nn").unwrap_or(name);
    let allowed = |c: char| c.is_ascii_alphanumeric() || "-_.".contains(c);
    if stem.is_empty()
        || stem.len() > MAX_NAME
        || stem.starts_with('.')
        || !stem.chars().all(allowed)
    {
        return Err(format!(
            "`{name}` is not a model name: use 1 to {MAX_NAME} letters, digits, '-', '_' or '.', \
             not starting with '.'"
        ));
    }
    Ok(format!("{stem}.nn"))
}

/// The `nn train` command that trains the same network on the same data for `epochs` (100
/// before any).
pub fn train_command(s: &Settings, epochs: usize) -> String {
    let epochs = if epochs == 0 { 100 } else { epochs };
    format!("nn train --playground '{}' --epochs {epochs}", s.to_query())
}
