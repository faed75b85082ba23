//! GIF (its first frame), WebP and TIFF read as PNG does: the exact pixels of small images
//! encoded here, at their native size; and the hymenoptera set's one GIF, which used to stop
//! a folder load.

use std::io::Cursor;

use image::codecs::gif::GifEncoder;
use image::{Delay, Frame, ImageFormat, Rgb, RgbImage, RgbaImage};
use nn_data::images::{Color, ImageOptions};

/// A 4×3 picture of six colours, each exactly representable in any palette.
fn picture() -> RgbImage {
    let colours = [
        [255, 0, 0],
        [0, 255, 0],
        [0, 0, 255],
        [255, 255, 255],
        [0, 0, 0],
        [255, 255, 0],
    ];
    RgbImage::from_fn(4, 3, |x, y| Rgb(colours[((x + y * 4) % 6) as usize]))
}

fn encoded(image: &RgbImage, format: ImageFormat) -> Vec<u8> {
    let mut bytes = Cursor::new(Vec::new());
    image.write_to(&mut bytes, format).unwrap();
    bytes.into_inner()
}

/// The pixels `nn-data` reads from `bytes`, as RGB at 4×3.
fn read(bytes: &[u8], name: &str) -> Vec<f32> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(name);
    std::fs::write(&path, bytes).unwrap();
    let options = ImageOptions::new().size(4, 3).color(Color::Rgb);
    options.load_image(&path).unwrap().into_vec()
}

fn expected() -> Vec<f32> {
    picture().into_raw().into_iter().map(f32::from).collect()
}

#[test]
fn gif_webp_and_tiff_give_the_exact_pixels() {
    for (format, name) in [
        (ImageFormat::Gif, "a.gif"),
        (ImageFormat::WebP, "a.webp"),
        (ImageFormat::Tiff, "a.tiff"),
        (ImageFormat::Png, "a.png"),
    ] {
        assert_eq!(
            read(&encoded(&picture(), format), name),
            expected(),
            "{format:?}"
        );
    }
}

#[test]
fn an_animated_gif_gives_its_first_frame() {
    let first = image::DynamicImage::ImageRgb8(picture()).to_rgba8();
    let second = RgbaImage::from_pixel(4, 3, image::Rgba([9, 9, 9, 255]));
    let mut bytes = Vec::new();
    {
        let mut encoder = GifEncoder::new(&mut bytes);
        let delay = Delay::from_numer_denom_ms(100, 1);
        encoder
            .encode_frames([
                Frame::from_parts(first, 0, 0, delay),
                Frame::from_parts(second, 0, 0, delay),
            ])
            .unwrap();
    }
    assert_eq!(read(&bytes, "animated.gif"), expected());
}

#[test]
fn the_hymenoptera_gif_reads() {
    // A copy of ../shared/data/hymenoptera/train/ants/imageNotFound.gif (300×300, 89a).
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/imageNotFound.gif");
    let x = ImageOptions::new()
        .size(64, 64)
        .color(Color::Rgb)
        .load_image(path)
        .unwrap();
    assert_eq!(x.shape(), &[1, 64, 64, 3]);
}
