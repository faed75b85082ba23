//! Data built into the crate, so that examples and the `nn` command work from a fresh clone
//! with no files: 200 real photos, 100 faces (Labeled Faces in the Wild) and 100 non-faces,
//! 25×25 grayscale PNGs embedded in the library (about 800 KB).

use crate::images::ImageOptions;
use crate::{DataError, Dataset};

include!(concat!(env!("OUT_DIR"), "/builtin_faces.rs"));

/// The class names of [`faces`], indexed by label: 0 is `"non-face"`, 1 is `"face"` (as in
/// the course-style `faces_h5` files).
pub const FACE_CLASSES: [&str; 2] = ["non-face", "face"];

/// The built-in face/non-face photos, decoded and resized as `options` says (64×64 RGB by
/// default, like the course's cat/non-cat set): 200 examples, 100 per class, non-faces first,
/// pixel values 0–255.
///
/// ```
/// use nn_data::{builtin, images::ImageOptions};
///
/// let faces = builtin::faces(&ImageOptions::new())?;
/// assert_eq!(faces.x().shape(), &[200, 64, 64, 3]);
/// assert_eq!(faces.class_counts(), vec![100, 100]);
/// # Ok::<(), nn_data::DataError>(())
/// ```
///
/// # Errors
///
/// [`DataError::Invalid`] for a zero image size.
pub fn faces(options: &ImageOptions) -> Result<Dataset, DataError> {
    options.decode_all(FACES, FACE_CLASSES.iter().map(|s| s.to_string()).collect())
}
