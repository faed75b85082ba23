//! The transformations of one image, with every random choice given explicitly: what
//! [`Augmentation`](super::Augmentation) applies after drawing its parameters, and what tests
//! call with known offsets, factors and shifts.
//!
//! An image is a row-major `(h, w, c)` slice, channels last, as one example of an `(m, h, w, c)`
//! batch; `hwc` is `[h, w, c]`.

use nn_core::{shape_str, Error, Float, Result};

use super::Border;

/// The number of values of an `(h, w, c)` image, or an error naming `op` if `len` differs.
fn check_len(op: &str, hwc: [usize; 3], len: usize, what: &str) -> Result<usize> {
    let n = hwc.iter().product::<usize>();
    if len != n {
        return Err(Error::shape(
            op,
            format!(
                "{what} holds {len} values but an image {} holds {n}",
                shape_str(&hwc)
            ),
        ));
    }
    Ok(n)
}

/// Mirrors `image` left to right in place: pixel `(y, x)` becomes pixel `(y, w − 1 − x)`,
/// channels unchanged (torchvision's `hflip`).
///
/// # Errors
///
/// [`Error::Shape`] if `image` does not hold `h·w·c` values.
pub fn flip<T: Float>(image: &mut [T], hwc: [usize; 3]) -> Result<()> {
    let n = check_len("flip", hwc, image.len(), "the image")?;
    let [_, w, c] = hwc;
    if n == 0 {
        return Ok(());
    }
    for row in image.chunks_exact_mut(w * c) {
        for x in 0..w / 2 {
            let (left, right) = row.split_at_mut((w - 1 - x) * c);
            left[x * c..(x + 1) * c].swap_with_slice(&mut right[..c]);
        }
    }
    Ok(())
}

/// Pads `image` by `padding = (ph, pw)` pixels on each side (top and bottom `ph`, left and right
/// `pw`), filled as `border` says, and writes the `h × w` window at `offset = (dy, dx)` of the
/// padded image to `out`:
///
/// `out[y, x] = image[y + dy − ph, x + dx − pw]` (outside the image: `border`'s rule),
///
/// with `dy` in `0..=2·ph` and `dx` in `0..=2·pw`; `(dy, dx) = (ph, pw)` is the identity. This
/// is torchvision's `RandomCrop(size, padding, padding_mode)` with its offset chosen.
///
/// # Errors
///
/// [`Error::Shape`] if `image` or `out` does not hold `h·w·c` values, if a padding is not less
/// than its side, or if an offset is more than twice its padding.
pub fn crop<T: Float>(
    image: &[T],
    hwc: [usize; 3],
    padding: (usize, usize),
    border: Border,
    offset: (usize, usize),
    out: &mut [T],
) -> Result<()> {
    check_len("crop", hwc, image.len(), "the image")?;
    check_len("crop", hwc, out.len(), "the output")?;
    let [h, w, c] = hwc;
    let ((ph, pw), (dy, dx)) = (padding, offset);
    if (ph > 0 && ph >= h) || (pw > 0 && pw >= w) {
        return Err(Error::shape(
            "crop",
            format!("a padding of {ph}×{pw} pixels must be less than the image's {h}×{w}"),
        ));
    }
    if dy > 2 * ph || dx > 2 * pw {
        return Err(Error::shape(
            "crop",
            format!(
                "the offset ({dy}, {dx}) is outside the padded image: with a padding of \
                 {ph}×{pw} it must be at most ({}, {})",
                2 * ph,
                2 * pw
            ),
        ));
    }
    for y in 0..h {
        let sy = border.source(y as isize + dy as isize - ph as isize, h);
        for x in 0..w {
            let sx = border.source(x as isize + dx as isize - pw as isize, w);
            let dst = &mut out[(y * w + x) * c..(y * w + x + 1) * c];
            match (sy, sx) {
                (Some(sy), Some(sx)) => {
                    dst.copy_from_slice(&image[(sy * w + sx) * c..(sy * w + sx + 1) * c]);
                }
                _ => dst.fill(T::ZERO),
            }
        }
    }
    Ok(())
}

/// The two pixels of an axis of `n` pixels that bilinear sampling at coordinate `s` reads, each
/// with its weight (`None`: outside the image with [`Border::Zero`]).
fn taps(s: f64, n: usize, border: Border) -> [(Option<usize>, f64); 2] {
    let floor = s.floor();
    // Finite unless the coordinate overflowed (an absurdly small scale): then the nearest tap.
    let frac = Some(s - floor).filter(|f| f.is_finite()).unwrap_or(0.0);
    // Saturating: a coordinate far outside the image is still outside it.
    let i = floor as isize;
    [
        (border.source(i, n), 1.0 - frac),
        (border.source(i.saturating_add(1), n), frac),
    ]
}

/// Scales `image` by `scale` about its centre and shifts it by `shift = (ty, tx)` pixels (down
/// and right for positive values), sampling bilinearly, and writes the result to `out`. With
/// pixel centres at integer coordinates and the centre `(cy, cx) = ((h − 1)/2, (w − 1)/2)`,
///
/// `out[y, x] = image(cy + (y − cy)/scale − ty, cx + (x − cx)/scale − tx)`,
///
/// where `image(u, v)` interpolates the four pixels around `(u, v)` and reads a pixel outside
/// the image as `border` says (with [`Border::Zero`] it contributes 0). `scale` 1 and shift
/// `(0, 0)` is the identity, exactly. Like torchvision's `affine` without rotation or shear,
/// except that the shift is not rounded to whole pixels.
///
/// # Errors
///
/// [`Error::Shape`] if `image` or `out` does not hold `h·w·c` values; [`Error::Config`] if
/// `scale` is not positive and finite or a shift is not finite.
pub fn affine<T: Float>(
    image: &[T],
    hwc: [usize; 3],
    scale: f64,
    shift: (f64, f64),
    border: Border,
    out: &mut [T],
) -> Result<()> {
    check_len("affine", hwc, image.len(), "the image")?;
    check_len("affine", hwc, out.len(), "the output")?;
    if !(scale.is_finite() && scale > 0.0 && shift.0.is_finite() && shift.1.is_finite()) {
        return Err(Error::Config(format!(
            "affine: the scale must be positive and the shift finite, not {scale} and \
             ({}, {})",
            shift.0, shift.1
        )));
    }
    let [h, w, c] = hwc;
    let (cy, cx) = ((h as f64 - 1.0) / 2.0, (w as f64 - 1.0) / 2.0);
    for y in 0..h {
        let rows = taps(cy + (y as f64 - cy) / scale - shift.0, h, border);
        for x in 0..w {
            let cols = taps(cx + (x as f64 - cx) / scale - shift.1, w, border);
            let dst = &mut out[(y * w + x) * c..(y * w + x + 1) * c];
            for (k, d) in dst.iter_mut().enumerate() {
                let mut v = 0.0;
                for &(sy, wy) in &rows {
                    for &(sx, wx) in &cols {
                        // Zero weights skipped: the identity copies exactly, even next to a
                        // non-finite value.
                        if let (Some(sy), Some(sx), true) = (sy, sx, wy * wx != 0.0) {
                            v += wy * wx * image[(sy * w + sx) * c + k].to_f64();
                        }
                    }
                }
                *d = T::from_f64(v);
            }
        }
    }
    Ok(())
}

/// Multiplies the brightness of `image` by `brightness`, then its contrast by `contrast`
/// around its mean, in place:
///
/// `x ← brightness · x`, then `x ← contrast · x + (1 − contrast) · μ`,
///
/// where `μ` is the mean of all the image's values (every pixel and channel) after the first
/// step. A factor of 1 leaves the image exactly as it was. On images scaled to `[0, 1]` these
/// are torchvision's `adjust_brightness` and `adjust_contrast`, except that the result is not
/// clamped to `[0, 1]` and the contrast is taken around the mean of all channels rather than of
/// the luma.
pub fn jitter<T: Float>(image: &mut [T], brightness: f64, contrast: f64) {
    if brightness != 1.0 {
        let b = T::from_f64(brightness);
        image.iter_mut().for_each(|x| *x *= b);
    }
    if contrast != 1.0 && !image.is_empty() {
        let mean = image.iter().map(|x| x.to_f64()).sum::<f64>() / image.len() as f64;
        let (k, shift) = (T::from_f64(contrast), T::from_f64((1.0 - contrast) * mean));
        image.iter_mut().for_each(|x| *x = k * *x + shift);
    }
}
