//! Where the examples come from (`--data`) and how they are prepared, the same way for
//! training, evaluation and prediction (the preparation is saved with the model).

use std::path::{Path, PathBuf};

use anyhow::{bail, Result};
use indicatif::{ProgressBar, ProgressStyle};
use nn_core::Rng;
use nn_data::images::{Color, ImageOptions};
use nn_data::model::Preparation;
use nn_data::synthetic::{self, Playground};
use nn_data::table::{Csv, Label};
use nn_data::{builtin, course_h5, idx, Dataset, Standardizer};

/// A data source named on the command line.
#[derive(Clone, Debug, PartialEq)]
pub enum Source {
    /// The built-in face/non-face photos.
    Faces,
    /// A TensorFlow-playground 2-D set.
    Playground(Playground),
    /// RGB images of shapes.
    Shapes,
    /// A folder of class sub-folders of images.
    Folder(PathBuf),
    /// A folder holding MNIST's four IDX files.
    Mnist(PathBuf),
    /// The course's HDF5 file (training split; `test_…` beside it is the test split).
    CourseH5(PathBuf),
    /// A CSV table with a header: numeric features and a label column (`--label`).
    Csv(PathBuf),
}

impl Source {
    /// `faces`, `circle`, `xor`, `gaussian`, `spiral`, `shapes`, a `.h5` file, a `.csv`
    /// file, an MNIST folder or an image folder.
    pub fn parse(text: &str) -> Result<Source> {
        if let Some(p) = Playground::ALL.iter().find(|p| p.name() == text) {
            return Ok(Source::Playground(*p));
        }
        match text {
            "faces" => return Ok(Source::Faces),
            "shapes" => return Ok(Source::Shapes),
            _ => {}
        }
        let path = PathBuf::from(text);
        if path.extension().is_some_and(|e| e == "h5") {
            check_file(&path, "HDF5")?;
            return Ok(Source::CourseH5(path));
        }
        if path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("csv"))
        {
            check_file(&path, "CSV")?;
            return Ok(Source::Csv(path));
        }
        if !path.is_dir() {
            bail!(
                "{text}: not a folder, an .h5 or .csv file or a built-in set (faces, circle, xor, gaussian, spiral, shapes)"
            );
        }
        let mnist = ["train-images-idx3-ubyte", "train-images-idx3-ubyte.gz"]
            .iter()
            .any(|n| path.join(n).is_file());
        Ok(if mnist {
            Source::Mnist(path)
        } else {
            Source::Folder(path)
        })
    }

    /// Whether the examples are images (so the image options apply).
    pub fn is_images(&self) -> bool {
        !matches!(self, Source::Playground(_) | Source::Csv(_))
    }
}

/// An error unless `path` is a regular file: "no such … file", or what else it is (a FIFO or
/// a device is refused here, before anything opens it and blocks).
fn check_file(path: &Path, format: &str) -> Result<()> {
    match std::fs::metadata(path) {
        Ok(m) if m.is_file() => Ok(()),
        Ok(_) => bail!("{}: not a regular file", path.display()),
        Err(_) => bail!("{}: no such {format} file", path.display()),
    }
}

/// Options of the data on the command line.
#[derive(Clone, Debug)]
pub struct DataOptions {
    pub source: Source,
    pub test: Option<PathBuf>,
    pub split: f64,
    pub images: ImageOptions,
    pub points: usize,
    pub noise: f64,
    /// The label column of CSV tables.
    pub label: Option<String>,
    /// Show a progress bar while image folders load (on a terminal only).
    pub progress: bool,
}

/// Training and test sets (the test set from `--test`, the course's test file, MNIST's, or
/// `split` of the data), with the preparation fitted on the training set.
pub fn load_train_test(
    o: &DataOptions,
    flat: bool,
    standardize: bool,
    rng: &mut Rng,
) -> Result<(Dataset, Dataset, Preparation)> {
    let images = o.source.is_images().then_some(o.images);
    let (train, test) = match (&o.source, &o.test) {
        (Source::Mnist(dir), None) => {
            let [train, test] = idx::mnist(dir)?;
            (train, test)
        }
        (Source::CourseH5(path), None) => {
            let train: Dataset = course_h5::read_train(path)?.into();
            let test_path = sibling_test_file(path);
            match test_path {
                Some(t) => (train, course_h5::read_test(&t)?.into()),
                None => train.split(1.0 - o.split, rng)?,
            }
        }
        (source, Some(test)) => (
            load(source, o, rng)?,
            load(&Source::parse(&test.to_string_lossy())?, o, rng)?,
        ),
        (source, None) => load(source, o, rng)?.split(1.0 - o.split, rng)?,
    };
    if train.example_shape() != test.example_shape() {
        bail!(
            "the test examples have shape {:?} but the training examples {:?}",
            test.example_shape(),
            train.example_shape()
        );
    }
    let mut prepare = Preparation {
        images: images.map(|mut i| {
            // HDF5 and MNIST images keep their stored size and channels.
            if matches!(o.source, Source::CourseH5(_) | Source::Mnist(_)) {
                let s = train.example_shape();
                i.height = s[0] as u32;
                i.width = s[1] as u32;
                i.color = if s[2] == 1 { Color::Gray } else { Color::Rgb };
            }
            i
        }),
        scale: if images.is_some() { 1.0 / 255.0 } else { 1.0 },
        standardizer: None,
        classes: train.class_names().to_vec(),
        example_shape: if flat {
            vec![train.features()]
        } else {
            train.example_shape().to_vec()
        },
        point_features: None,
    };
    let (mut train, mut test) = (train, test);
    train.scale(prepare.scale);
    if standardize {
        prepare.standardizer = Some(Standardizer::fit(&train)?);
        prepare
            .standardizer
            .as_ref()
            .expect("set")
            .apply(&mut train)?;
    }
    test.scale(prepare.scale);
    if let Some(s) = &prepare.standardizer {
        s.apply(&mut test)?;
    }
    if test.class_names() != train.class_names() {
        bail!(
            "the test set has {} classes ({:?}) but the training set {} ({:?})",
            test.classes(),
            test.class_names(),
            train.classes(),
            train.class_names()
        );
    }
    Ok((train, test, prepare))
}

/// One source as a data set, unprepared.
pub fn load(source: &Source, o: &DataOptions, rng: &mut Rng) -> Result<Dataset> {
    Ok(match source {
        Source::Faces => builtin::faces(&o.images)?,
        Source::Playground(kind) => synthetic::playground(*kind, o.points, o.noise, rng),
        Source::Shapes => synthetic::shapes(o.points, o.images.width as usize, rng),
        Source::Folder(dir) => {
            let bar = if o.progress {
                ProgressBar::new(0)
            } else {
                ProgressBar::hidden()
            };
            bar.set_style(
                ProgressStyle::with_template(
                    "{bar:30} loading {pos}/{len} images [{elapsed}, eta {eta}]",
                )
                .expect("a valid template"),
            );
            let loaded = o.images.load_folder_with_progress(dir, &|_, total| {
                bar.set_length(total as u64);
                bar.inc(1);
            });
            bar.finish_and_clear();
            let loaded = loaded?;
            for s in &loaded.skipped {
                eprintln!("nn: skipped {}", s.error);
            }
            loaded.dataset
        }
        Source::Mnist(dir) => idx::mnist_split(dir, idx::Split::Train)?,
        Source::Csv(path) => {
            // The label is required and must be a column (the message lists them).
            let columns = crate::table::for_training(path, o.label.as_deref())?;
            Csv::new(Label::Class(columns.label)).read(path)?
        }
        Source::CourseH5(path) => {
            // A test file (test_set_x) or a training file.
            // Whichever split it holds; if neither reads, both reasons are told.
            match course_h5::read(path, "test") {
                Ok(set) => set.into(),
                Err(test) => course_h5::read_train(path)
                    .map_err(|train| anyhow::anyhow!("{train} (and as a test file: {test})"))?
                    .into(),
            }
        }
    })
}

/// `test_x.h5` beside `train_x.h5`, if it exists.
fn sibling_test_file(train: &Path) -> Option<PathBuf> {
    let name = train.file_name()?.to_string_lossy();
    let test = name.strip_prefix("train")?;
    let path = train.with_file_name(format!("test{test}"));
    path.is_file().then_some(path)
}
