//! Image files: folders with one sub-folder per class (like torchvision's `ImageFolder` and
//! Keras's `image_dataset_from_directory`), and single images for prediction, with the same
//! preprocessing: decoded by the `image` crate (PNG, JPEG, BMP; the format is read from the
//! file's content, not its name), resized to a chosen size (64×64 by default, bilinear),
//! as RGB or grayscale, pixel values 0–255 in `(h, w, c)` order.
//!
//! ```no_run
//! use std::path::Path;
//! use nn_data::images::{Color, ImageOptions};
//!
//! let options = ImageOptions::new().size(64, 64).color(Color::Rgb);
//! let loaded = options.load_folder(Path::new("data/faces"))?;
//! let mut data = loaded.dataset; // (200, 64, 64, 3), classes ["face", "nonface"]
//! data.scale(1.0 / 255.0);
//! let one = options.load_image(Path::new("data/faces/face/000.png"))?; // (1, 64, 64, 3)
//! # Ok::<(), nn_data::DataError>(())
//! ```

use std::fs;
use std::io::Cursor;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use image::imageops::FilterType;
use image::{ImageReader, Limits};
use nn_core::Tensor;
use rayon::prelude::*;

use crate::{DataError, Dataset};

/// The largest image file read: 256 MiB.
pub const MAX_FILE_BYTES: u64 = 256 << 20;
/// The largest width or height decoded, in pixels.
pub const MAX_SIDE: u32 = 16384;

/// The colour channels of loaded images.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub enum Color {
    /// Three channels, red, green, blue.
    #[default]
    Rgb,
    /// One channel, luminance.
    Gray,
}

impl Color {
    /// The number of channels, `c`.
    pub fn channels(self) -> usize {
        match self {
            Color::Rgb => 3,
            Color::Gray => 1,
        }
    }
}

/// How images are read: the size they are resized to, their colour channels, and whether a
/// folder's unreadable files are skipped (and reported) or are an error.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ImageOptions {
    /// Width after resizing, in pixels.
    pub width: u32,
    /// Height after resizing, in pixels.
    pub height: u32,
    /// RGB or grayscale.
    pub color: Color,
    /// Skip files that cannot be decoded (listed in [`Loaded::skipped`]) instead of failing.
    pub skip_unreadable: bool,
}

impl Default for ImageOptions {
    fn default() -> Self {
        ImageOptions::new()
    }
}

/// One file that [`ImageOptions::load_folder`] skipped, and why.
#[derive(Debug)]
pub struct Skipped {
    /// The file.
    pub path: PathBuf,
    /// The error that made it unreadable.
    pub error: DataError,
}

/// What [`ImageOptions::load_folder`] read.
#[derive(Debug)]
pub struct Loaded {
    /// The images, `(m, h, w, c)`, and their classes (the sub-folder names, sorted).
    pub dataset: Dataset,
    /// Files that could not be decoded and were skipped (only with
    /// [`ImageOptions::skip_unreadable`]).
    pub skipped: Vec<Skipped>,
}

impl ImageOptions {
    /// 64×64 RGB, unreadable files are errors.
    pub fn new() -> Self {
        ImageOptions {
            width: 64,
            height: 64,
            color: Color::Rgb,
            skip_unreadable: false,
        }
    }

    /// Resizes every image to `width × height`.
    pub fn size(mut self, width: u32, height: u32) -> Self {
        self.width = width;
        self.height = height;
        self
    }

    /// RGB or grayscale.
    pub fn color(mut self, color: Color) -> Self {
        self.color = color;
        self
    }

    /// Skip (and report) files that cannot be decoded instead of failing.
    pub fn skip_unreadable(mut self, skip: bool) -> Self {
        self.skip_unreadable = skip;
        self
    }

    /// The shape of one loaded image, `[h, w, c]`.
    pub fn example_shape(&self) -> [usize; 3] {
        [
            self.height as usize,
            self.width as usize,
            self.color.channels(),
        ]
    }

    /// Decodes one image from its bytes (`path` names it in errors), resized and converted:
    /// `h·w·c` pixel values in `(h, w, c)` order.
    ///
    /// # Errors
    ///
    /// [`DataError::Image`] if the bytes are not an image of a supported format, are
    /// truncated, or claim a side larger than [`MAX_SIDE`]; [`DataError::Invalid`] for a zero
    /// target size.
    pub fn decode(&self, bytes: &[u8], path: &Path) -> Result<Vec<u8>, DataError> {
        if self.width == 0 || self.height == 0 {
            return Err(DataError::Invalid {
                message: format!("images cannot be resized to {}×{}", self.width, self.height),
            });
        }
        let bad = |message: String| DataError::Image {
            path: path.to_path_buf(),
            message,
        };
        let mut reader = ImageReader::new(Cursor::new(bytes))
            .with_guessed_format()
            .map_err(|e| bad(e.to_string()))?;
        if reader.format().is_none() {
            return Err(bad("not a PNG, JPEG or BMP file".into()));
        }
        let mut limits = Limits::default();
        limits.max_image_width = Some(MAX_SIDE);
        limits.max_image_height = Some(MAX_SIDE);
        reader.limits(limits);
        let image = reader.decode().map_err(|e| bad(e.to_string()))?;
        let image = if image.width() == self.width && image.height() == self.height {
            image
        } else {
            image.resize_exact(self.width, self.height, FilterType::Triangle)
        };
        Ok(match self.color {
            Color::Rgb => image.to_rgb8().into_raw(),
            Color::Gray => image.to_luma8().into_raw(),
        })
    }

    /// Reads and decodes one image file (see [`ImageOptions::decode`]).
    ///
    /// # Errors
    ///
    /// [`DataError::Io`] if the file cannot be read, [`DataError::TooLarge`] above
    /// [`MAX_FILE_BYTES`], else as [`ImageOptions::decode`].
    pub fn read(&self, path: &Path) -> Result<Vec<u8>, DataError> {
        let io = |source| DataError::Io {
            path: path.to_path_buf(),
            source,
        };
        let size = fs::metadata(path).map_err(io)?.len();
        if size > MAX_FILE_BYTES {
            return Err(DataError::TooLarge {
                path: path.to_path_buf(),
                name: "the image file".into(),
                bytes: size,
                limit: MAX_FILE_BYTES,
            });
        }
        let bytes = fs::read(path).map_err(io)?;
        self.decode(&bytes, path)
    }

    /// One image, preprocessed as in training, as a batch of one: `(1, h, w, c)`, values
    /// 0–255 (scale it as the training data was).
    ///
    /// # Errors
    ///
    /// As [`ImageOptions::read`].
    pub fn load_image(&self, path: &Path) -> Result<Tensor<f32>, DataError> {
        let pixels = self.read(path)?;
        let [h, w, c] = self.example_shape();
        let values = pixels.into_iter().map(f32::from).collect();
        Ok(Tensor::from_vec(&[1, h, w, c], values).expect("decode gives h·w·c values"))
    }

    /// Loads a folder with one sub-folder per class (`dir/cat/…`, `dir/dog/…`); classes are
    /// the sub-folder names in sorted order, images are found at any depth below them (in
    /// sorted order) and decoded in parallel. Names starting with `.` are ignored.
    ///
    /// # Errors
    ///
    /// [`DataError::Io`] if `dir` or a sub-folder cannot be read; [`DataError::Folder`] if
    /// `dir` has no class sub-folders, holds files beside them, or a class has no images
    /// (also after skipping unreadable ones); the first unreadable image's error unless
    /// [`ImageOptions::skip_unreadable`].
    pub fn load_folder(&self, dir: &Path) -> Result<Loaded, DataError> {
        self.load_folder_with_progress(dir, &|_, _| {})
    }

    /// [`load_folder`](Self::load_folder), calling `progress(done, total)` as each file is
    /// decoded (from the decoding threads, in any order), e.g. to move a progress bar.
    ///
    /// # Errors
    ///
    /// As [`load_folder`](Self::load_folder).
    pub fn load_folder_with_progress(
        &self,
        dir: &Path,
        progress: &(dyn Fn(usize, usize) + Sync),
    ) -> Result<Loaded, DataError> {
        let mut class_names = Vec::new();
        let mut files: Vec<(PathBuf, usize)> = Vec::new();
        for entry in sorted_entries(dir)? {
            let path = dir.join(&entry);
            if !path.is_dir() {
                return Err(DataError::Folder {
                    path: dir.to_path_buf(),
                    message: format!(
                        "\"{entry}\" is a file; images go in one sub-folder per class (e.g. {})",
                        dir.join("cat").join("1.png").display()
                    ),
                });
            }
            let class = class_names.len();
            let before = files.len();
            collect_files(&path, 0, &mut |file| files.push((file, class)))?;
            if files.len() == before {
                return Err(DataError::Folder {
                    path,
                    message: "this class folder has no images".into(),
                });
            }
            class_names.push(entry);
        }
        if class_names.is_empty() {
            return Err(DataError::Folder {
                path: dir.to_path_buf(),
                message: format!(
                    "no class sub-folders; put the images of each class in a sub-folder (e.g. {})",
                    dir.join("cat").join("1.png").display()
                ),
            });
        }
        let done = AtomicUsize::new(0);
        let decoded: Vec<Result<Vec<u8>, DataError>> = files
            .par_iter()
            .map(|(path, _)| {
                let result = self.read(path);
                progress(done.fetch_add(1, Ordering::Relaxed) + 1, files.len());
                result
            })
            .collect();
        let mut pixels = Vec::new();
        let mut labels = Vec::new();
        let mut skipped = Vec::new();
        for ((path, class), result) in files.into_iter().zip(decoded) {
            match result {
                Ok(p) => {
                    pixels.extend(p.into_iter().map(f32::from));
                    labels.push(class);
                }
                Err(error)
                    if self.skip_unreadable && !matches!(error, DataError::Invalid { .. }) =>
                {
                    skipped.push(Skipped { path, error })
                }
                Err(error) => return Err(error),
            }
        }
        for (class, name) in class_names.iter().enumerate() {
            if !labels.contains(&class) {
                return Err(DataError::Folder {
                    path: dir.join(name),
                    message: "none of this class's images could be read".into(),
                });
            }
        }
        let [h, w, c] = self.example_shape();
        let x = Tensor::from_vec(&[labels.len(), h, w, c], pixels).expect("m·h·w·c pixels");
        Ok(Loaded {
            dataset: Dataset::with_classes(x, labels, class_names)?,
            skipped,
        })
    }

    /// Decodes images given as `(name, bytes, class)` in parallel into a data set (used for
    /// the built-in sets).
    pub(crate) fn decode_all(
        &self,
        images: &[(&str, &[u8], usize)],
        class_names: Vec<String>,
    ) -> Result<Dataset, DataError> {
        let decoded: Result<Vec<Vec<u8>>, DataError> = images
            .par_iter()
            .map(|(name, bytes, _)| self.decode(bytes, Path::new(name)))
            .collect();
        let pixels = decoded?.into_iter().flatten().map(f32::from).collect();
        let [h, w, c] = self.example_shape();
        let x = Tensor::from_vec(&[images.len(), h, w, c], pixels).expect("m·h·w·c pixels");
        Dataset::with_classes(x, images.iter().map(|i| i.2).collect(), class_names)
    }
}

/// The names in `dir`, sorted, without those starting with `.`.
fn sorted_entries(dir: &Path) -> Result<Vec<String>, DataError> {
    let io = |source| DataError::Io {
        path: dir.to_path_buf(),
        source,
    };
    let mut names = Vec::new();
    for entry in fs::read_dir(dir).map_err(io)? {
        let name = entry.map_err(io)?.file_name();
        let name = name.to_string_lossy().into_owned();
        if !name.starts_with('.') {
            names.push(name);
        }
    }
    names.sort();
    Ok(names)
}

/// How deep below a class folder images are looked for (a bound against symbolic-link loops).
const MAX_DEPTH: usize = 16;

/// Every file below `dir`, in sorted order, depth first.
fn collect_files(
    dir: &Path,
    depth: usize,
    found: &mut dyn FnMut(PathBuf),
) -> Result<(), DataError> {
    if depth > MAX_DEPTH {
        return Err(DataError::Folder {
            path: dir.to_path_buf(),
            message: format!("folders nested more than {MAX_DEPTH} deep (a symbolic-link loop?)"),
        });
    }
    for name in sorted_entries(dir)? {
        let path = dir.join(name);
        if path.is_dir() {
            collect_files(&path, depth + 1, found)?;
        } else {
            found(path);
        }
    }
    Ok(())
}
