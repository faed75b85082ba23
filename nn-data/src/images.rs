//! Image files: folders with one sub-folder per class (like torchvision's `ImageFolder` and
//! Keras's `image_dataset_from_directory`), and single images for prediction, with the same
//! preprocessing: decoded by the `image` crate (PNG, JPEG, BMP, GIF (its first frame), WebP,
//! TIFF; the format is read from the
//! file's content, not its name), resized to a chosen size (64×64 by default, bilinear),
//! as RGB or grayscale, pixel values 0–255 in `(h, w, c)` order.
//!
//! Image files are untrusted input: each must be a regular file of at most [`MAX_FILE_BYTES`],
//! and its header must claim at most [`MAX_IMAGE_SIDE`] pixels a side and [`MAX_IMAGE_BYTES`]
//! decoded, checked before any pixel is decoded.
//!
//! ```no_run
//! use nn_data::images::{Color, ImageOptions};
//!
//! let options = ImageOptions::new().size(64, 64).color(Color::Rgb);
//! let loaded = options.load_folder("data/faces")?;
//! let mut data = loaded.dataset; // (200, 64, 64, 3), classes ["face", "nonface"]
//! data.scale(1.0 / 255.0);
//! let one = options.load_image("data/faces/face/000.png")?; // (1, 64, 64, 3)
//! # Ok::<(), nn_data::DataError>(())
//! ```

use std::fs;
use std::io::{Cursor, Read};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use image::imageops::FilterType;
use image::{DynamicImage, ImageDecoder, ImageError, ImageFormat, ImageReader, Limits};
use nn_core::Tensor;
use rayon::prelude::*;

use crate::error::human_bytes;
use crate::file::open_regular;
use crate::{DataError, Dataset};

/// The largest image file read: 256 MiB, the size of an uncompressed 8192×8192 RGBA image
/// (the largest [`MAX_IMAGE_SIDE`] and [`MAX_IMAGE_BYTES`] allow), so no image that could be
/// decoded is refused for its file size.
pub const MAX_FILE_BYTES: u64 = 256 << 20;

/// The largest width or height decoded, and the largest target size of [`ImageOptions::size`]:
/// 8192 pixels. Photos from cameras and phones are below it (a 48-megapixel photo is
/// 8000×6000); training images are resized to a few hundred pixels at most. A header that
/// claims more is refused before anything is decoded.
pub const MAX_IMAGE_SIDE: u32 = 8192;

/// The largest decoded image, in bytes (the decoder's output buffer, e.g. `w·h·4` for 8-bit
/// RGBA): 256 MiB, an 8192×8192 RGBA image. Images of a folder are decoded in parallel, one per
/// thread, so the peak is about this times the number of threads.
pub const MAX_IMAGE_BYTES: u64 = 256 << 20;

/// What the size errors of this module suggest.
const FILE_HINT: &str = "the limit is nn_data::images::MAX_FILE_BYTES: \
     re-encode or resize the image first";
const DECODED_HINT: &str = "the limit is nn_data::images::MAX_IMAGE_BYTES: \
     resize the image or convert it to 8 bits per channel first";

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
    /// The format is guessed from the content (PNG, JPEG, BMP, GIF, WebP, TIFF), and the header's size is
    /// checked against [`MAX_IMAGE_SIDE`] and [`MAX_IMAGE_BYTES`] before anything is decoded;
    /// the decoder itself runs with the same [`image::Limits`].
    ///
    /// # Errors
    ///
    /// [`DataError::Image`] if the bytes are not an image of a supported format or are
    /// truncated; [`DataError::ImageSide`] for a side above [`MAX_IMAGE_SIDE`];
    /// [`DataError::TooLarge`] for a decoded size above [`MAX_IMAGE_BYTES`];
    /// [`DataError::Invalid`] for a target size of zero or above [`MAX_IMAGE_SIDE`].
    pub fn decode(&self, bytes: &[u8], path: impl AsRef<Path>) -> Result<Vec<u8>, DataError> {
        let path = path.as_ref();
        self.check_target_size()?;
        check_header(bytes, path)?;
        let mut reader = guess_format(bytes, path)?;
        reader.limits(decoder_limits());
        let image = reader.decode().map_err(|e| decode_error(path, e))?;
        Ok(self.resize_and_convert(image))
    }

    /// The target size must be 1..=[`MAX_IMAGE_SIDE`] pixels a side.
    fn check_target_size(&self) -> Result<(), DataError> {
        let side = 1..=MAX_IMAGE_SIDE;
        if side.contains(&self.width) && side.contains(&self.height) {
            return Ok(());
        }
        Err(DataError::Invalid {
            message: format!(
                "images cannot be resized to {}×{}: each side must be 1 to {MAX_IMAGE_SIDE} \
                 pixels (nn_data::images::MAX_IMAGE_SIDE)",
                self.width, self.height
            ),
        })
    }

    /// Resizes (bilinear) unless already at the target size, then converts to RGB or gray.
    fn resize_and_convert(&self, image: DynamicImage) -> Vec<u8> {
        let image = if image.width() == self.width && image.height() == self.height {
            image
        } else {
            image.resize_exact(self.width, self.height, FilterType::Triangle)
        };
        match self.color {
            Color::Rgb => image.to_rgb8().into_raw(),
            Color::Gray => image.to_luma8().into_raw(),
        }
    }

    /// Reads and decodes one image file (see [`ImageOptions::decode`]).
    ///
    /// # Errors
    ///
    /// [`DataError::Io`] if the file cannot be read, [`DataError::NotFile`] for a folder, a
    /// device or a FIFO, [`DataError::TooLarge`] above [`MAX_FILE_BYTES`] (checked before
    /// reading), else as [`ImageOptions::decode`].
    pub fn read(&self, path: impl AsRef<Path>) -> Result<Vec<u8>, DataError> {
        let path = path.as_ref();
        let bytes = read_image_file(path)?;
        self.decode(&bytes, path)
    }

    /// One image, preprocessed as in training, as a batch of one: `(1, h, w, c)`, values
    /// 0–255 (scale it as the training data was).
    ///
    /// # Errors
    ///
    /// As [`ImageOptions::read`].
    pub fn load_image(&self, path: impl AsRef<Path>) -> Result<Tensor<f32>, DataError> {
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
    /// (also after skipping unreadable ones); [`DataError::Invalid`] for a bad target size;
    /// the first unreadable image's error (as [`ImageOptions::read`]: a FIFO or device among
    /// the images is a [`DataError::NotFile`], an oversized image a [`DataError::ImageSide`]
    /// or [`DataError::TooLarge`]) unless [`ImageOptions::skip_unreadable`].
    pub fn load_folder(&self, dir: impl AsRef<Path>) -> Result<Loaded, DataError> {
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
        dir: impl AsRef<Path>,
        progress: &(dyn Fn(usize, usize) + Sync),
    ) -> Result<Loaded, DataError> {
        let dir = dir.as_ref();
        self.check_target_size()?;
        let (class_names, files) = class_files(dir)?;
        let done = AtomicUsize::new(0);
        let decoded: Vec<Result<Vec<u8>, DataError>> = files
            .par_iter()
            .map(|(path, _)| {
                let result = self.read(path);
                progress(done.fetch_add(1, Ordering::Relaxed) + 1, files.len());
                result
            })
            .collect();
        let Gathered {
            pixels,
            labels,
            skipped,
        } = self.gather(files, decoded)?;
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

    /// The decoded images' pixels as `f32` (one buffer, reserved once; each image's bytes are
    /// freed as soon as they are copied), their labels, and the files skipped (or the first
    /// error, unless [`ImageOptions::skip_unreadable`]).
    fn gather(
        &self,
        files: ClassFiles,
        decoded: Vec<Result<Vec<u8>, DataError>>,
    ) -> Result<Gathered, DataError> {
        let [h, w, c] = self.example_shape();
        let readable = decoded.iter().filter(|d| d.is_ok()).count();
        let mut pixels = Vec::with_capacity(readable * h * w * c);
        let mut labels = Vec::with_capacity(readable);
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
        Ok(Gathered {
            pixels,
            labels,
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
            .map(|(name, bytes, _)| self.decode(bytes, name))
            .collect();
        let [h, w, c] = self.example_shape();
        let mut pixels = Vec::with_capacity(images.len() * h * w * c);
        for image in decoded? {
            pixels.extend(image.into_iter().map(f32::from));
        }
        let x = Tensor::from_vec(&[images.len(), h, w, c], pixels).expect("m·h·w·c pixels");
        Dataset::with_classes(x, images.iter().map(|i| i.2).collect(), class_names)
    }
}

/// What [`ImageOptions::gather`] collects from the decoded files of a folder.
struct Gathered {
    /// The readable images' pixels, one after the other, as `f32`.
    pixels: Vec<f32>,
    /// Their class indices.
    labels: Vec<usize>,
    /// The unreadable files (with [`ImageOptions::skip_unreadable`]).
    skipped: Vec<Skipped>,
}

/// Reads an image file whole, after checking that it is a regular file of at most
/// [`MAX_FILE_BYTES`] (and reading through `take`, in case it grows meanwhile).
fn read_image_file(path: &Path) -> Result<Vec<u8>, DataError> {
    let (file, size) = open_regular(path)?;
    let too_large = |bytes| DataError::TooLarge {
        path: path.to_path_buf(),
        name: "the image file".into(),
        bytes,
        limit: MAX_FILE_BYTES,
        hint: FILE_HINT,
    };
    if size > MAX_FILE_BYTES {
        return Err(too_large(size));
    }
    let mut bytes = Vec::with_capacity(size as usize);
    file.take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|source| DataError::Io {
            path: path.to_path_buf(),
            source,
        })?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(too_large(bytes.len() as u64));
    }
    Ok(bytes)
}

/// A reader of `bytes` whose format is guessed from their first bytes (not from a name), if
/// it is one of those read.
fn guess_format<'a>(
    bytes: &'a [u8],
    path: &Path,
) -> Result<ImageReader<Cursor<&'a [u8]>>, DataError> {
    let reader = ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|e| DataError::Image {
            path: path.to_path_buf(),
            message: e.to_string(),
        })?;
    let message = match reader.format() {
        Some(
            ImageFormat::Png
            | ImageFormat::Jpeg
            | ImageFormat::Bmp
            | ImageFormat::Gif
            | ImageFormat::WebP
            | ImageFormat::Tiff,
        ) => return Ok(reader),
        Some(other) => format!(
            "a {} file: only {READ_FORMATS} are read",
            format!("{other:?}").to_uppercase()
        ),
        None => format!("not a {} file", READ_FORMATS.replace(" and ", " or ")),
    };
    Err(DataError::Image {
        path: path.to_path_buf(),
        message,
    })
}

/// The formats read, for messages.
const READ_FORMATS: &str = "PNG, JPEG, BMP, GIF, WebP and TIFF";

/// The limits the decoder runs with: [`MAX_IMAGE_SIDE`] a side, [`MAX_IMAGE_BYTES`] allocated.
fn decoder_limits() -> Limits {
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_IMAGE_SIDE);
    limits.max_image_height = Some(MAX_IMAGE_SIDE);
    limits.max_alloc = Some(MAX_IMAGE_BYTES);
    limits
}

/// Reads only the header (no pixel data) and checks the claimed size against
/// [`MAX_IMAGE_SIDE`] and [`MAX_IMAGE_BYTES`], so that the error can say what the image
/// claims.
fn check_header(bytes: &[u8], path: &Path) -> Result<(), DataError> {
    let mut reader = guess_format(bytes, path)?;
    // No side limit here, so that the decoder reports the claimed size instead of refusing.
    let mut limits = Limits::default();
    limits.max_alloc = Some(MAX_IMAGE_BYTES);
    reader.limits(limits);
    let decoder = reader.into_decoder().map_err(|e| decode_error(path, e))?;
    let (width, height) = decoder.dimensions();
    if width > MAX_IMAGE_SIDE || height > MAX_IMAGE_SIDE {
        return Err(DataError::ImageSide {
            path: path.to_path_buf(),
            width,
            height,
            limit: MAX_IMAGE_SIDE,
        });
    }
    let bytes = decoder.total_bytes();
    if bytes > MAX_IMAGE_BYTES {
        return Err(DataError::TooLarge {
            path: path.to_path_buf(),
            name: format!(
                "the decoded {width}×{height} {:?} image",
                decoder.color_type()
            ),
            bytes,
            limit: MAX_IMAGE_BYTES,
            hint: DECODED_HINT,
        });
    }
    Ok(())
}

/// The decoder's error, with the limits spelled out if it was one of them.
fn decode_error(path: &Path, error: ImageError) -> DataError {
    let message = match error {
        ImageError::Limits(e) => format!(
            "{e}: the limits are {MAX_IMAGE_SIDE} pixels a side (nn_data::images::MAX_IMAGE_SIDE) \
             and {} decoded (nn_data::images::MAX_IMAGE_BYTES); resize the image first",
            human_bytes(MAX_IMAGE_BYTES)
        ),
        other => other.to_string(),
    };
    DataError::Image {
        path: path.to_path_buf(),
        message,
    }
}

/// Image files with their class index.
type ClassFiles = Vec<(PathBuf, usize)>;

/// The class names (the sub-folders of `dir`, sorted) and every file below them with its
/// class, checking the layout: no files beside the class folders, no empty class.
fn class_files(dir: &Path) -> Result<(Vec<String>, ClassFiles), DataError> {
    let mut class_names = Vec::new();
    let mut files: ClassFiles = Vec::new();
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
    Ok((class_names, files))
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
