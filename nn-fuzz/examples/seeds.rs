//! Writes the seed corpora of the fuzz targets to `fuzz/seeds/<target>/`, from the repository's
//! real data (MNIST's images and labels, the course's faces, the PyTorch fixtures) and from small
//! models trained here. Run from the repository's root:
//! `cargo run -p nn-fuzz --example seeds`. The course HDF5 seeds come from
//! `fuzz/seeds/make_h5.py` (h5py), since no Rust crate we use writes HDF5.

use std::fs;
use std::io::Cursor;
use std::path::Path;

use nn_conv::presets::Head;
use nn_conv::{ConvLayers, Padding};
use nn_core::{FitConfig, Network, Optimizer, Reference, Rng};
use nn_data::images::{Color, ImageOptions};
use nn_data::model::Preparation;
use nn_data::synthetic::{self, Playground};
use nn_data::{course_h5, idx, Dataset};

type Error = Box<dyn std::error::Error>;

fn main() -> Result<(), Error> {
    let seeds = Path::new("fuzz/seeds");
    let models = models()?;
    for (i, bytes) in models.iter().enumerate() {
        write(seeds, "model_file", &format!("model{i}.nn"), bytes)?;
        write(seeds, "model_payload", &format!("payload{i}"), &bytes[24..])?;
        let trained = nn_data::model::from_bytes(bytes, "seed", Reference, &nn_conv::registry())?;
        let section = trained.preparation.to_section();
        write(
            seeds,
            "preparation",
            &format!("prep{i}.json"),
            &section.bytes,
        )?;
    }
    let exported = nn_core::torch::export(&small_cnn(2, &mut Rng::seed(1))?)?;
    write(
        seeds,
        "safetensors",
        "small_cnn.safetensors",
        &exported.state.to_bytes()?,
    )?;
    let fixture = fs::read("data/torch/activations.safetensors")?;
    write(seeds, "safetensors", "activations.safetensors", &fixture)?;
    idx_seeds(seeds)?;
    csv_seeds(seeds)?;
    image_seeds(seeds)?;
    description_seeds(seeds)?;
    Ok(())
}

fn write(seeds: &Path, target: &str, name: &str, bytes: &[u8]) -> Result<(), Error> {
    let dir = seeds.join(target);
    fs::create_dir_all(&dir)?;
    fs::write(dir.join(name), bytes)?;
    Ok(())
}

/// The network of the image seeds, over 16×16 RGB.
fn small_cnn(classes: usize, rng: &mut Rng) -> nn_core::Result<Network<f32>> {
    let b = Network::<f32>::builder(&[16, 16, 3])
        .conv2d(4, 3, Padding::Same)
        .relu()
        .max_pool(2)
        .flatten();
    Head::for_classes(classes).apply(b).build(Reference, rng)
}

/// Two model files with their preparation: a dense net trained on XOR points, a CNN trained on
/// 16×16 shapes.
fn models() -> Result<Vec<Vec<u8>>, Error> {
    let mut rng = Rng::seed(7);
    let points = synthetic::playground(Playground::Xor, 64, 0.1, &mut rng);
    let mut dense = Network::<f32>::builder(&[2])
        .dense(4)
        .tanh()
        .dense(1)
        .build(Reference, &mut rng)?;
    fit(&mut dense, &points, &mut rng)?;
    let prep = Preparation::features(2, points.class_names().to_vec());
    let mut files = vec![dense.to_bytes_with(&[prep.to_section()])?];

    let shapes = synthetic::shapes(16, 16, &mut rng);
    let mut cnn = small_cnn(shapes.classes(), &mut rng)?;
    fit(&mut cnn, &shapes, &mut rng)?;
    let prep = Preparation {
        images: Some(ImageOptions::new().size(16, 16).color(Color::Rgb)),
        scale: 1.0 / 255.0,
        standardizer: None,
        classes: shapes.class_names().to_vec(),
        example_shape: vec![16, 16, 3],
        point_features: None,
    };
    files.push(cnn.to_bytes_with(&[prep.to_section()])?);
    Ok(files)
}

fn fit(net: &mut Network<f32>, data: &Dataset, rng: &mut Rng) -> Result<(), Error> {
    let y = if data.classes() > 2 {
        data.one_hot()?
    } else {
        data.y()
    };
    net.fit(
        data.x(),
        &y,
        &FitConfig::new(Optimizer::adam(0.01)).iterations(5),
        rng,
    )?;
    Ok(())
}

/// The first images and labels of MNIST's test split, plain and gzipped.
fn idx_seeds(seeds: &Path) -> Result<(), Error> {
    let images = idx::read("data/mnist5k/t10k-images-idx3-ubyte.gz")?;
    let labels = idx::read("data/mnist5k/t10k-labels-idx1-ubyte.gz")?;
    let few_images = idx_bytes(&[3, 28, 28], &images.values[..3 * 784]);
    let few_labels = idx_bytes(&[10], &labels.values[..10]);
    for (name, bytes) in [("images3", &few_images), ("labels10", &few_labels)] {
        write(seeds, "idx", name, bytes)?;
        write(seeds, "idx", &format!("{name}.gz"), &gzip(bytes)?)?;
        write(seeds, "idx_gzip", name, bytes)?;
    }
    Ok(())
}

fn idx_bytes(dims: &[u32], values: &[u8]) -> Vec<u8> {
    let mut out = vec![0, 0, 0x08, dims.len() as u8];
    for d in dims {
        out.extend_from_slice(&d.to_be_bytes());
    }
    out.extend_from_slice(values);
    out
}

fn gzip(bytes: &[u8]) -> Result<Vec<u8>, Error> {
    use std::io::Write;
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(bytes)?;
    Ok(gz.finish()?)
}

/// Tables of the XOR points: comma-separated with a class column, and quoted text labels.
fn csv_seeds(seeds: &Path) -> Result<(), Error> {
    let points = synthetic::playground(Playground::Xor, 12, 0.1, &mut Rng::seed(3));
    let x = points.x().data();
    let labels = points.labels().ok_or("class labels")?;
    let mut numbers = String::from("x1,x2,class\n");
    let mut named = String::from("\"x 1\",x2,kind\n");
    for (i, label) in labels.iter().enumerate() {
        numbers.push_str(&format!("{},{},{label}\n", x[2 * i], x[2 * i + 1]));
        let name = if *label == 1 {
            "\"same, sign\""
        } else {
            "other"
        };
        named.push_str(&format!("{:.3},{:.3},{name}\n", x[2 * i], x[2 * i + 1]));
    }
    write(seeds, "csv", "xor.csv", numbers.as_bytes())?;
    write(seeds, "csv", "named.csv", named.as_bytes())?;
    Ok(())
}

/// The course's first test face, cropped to 12×12, in every format we read.
fn image_seeds(seeds: &Path) -> Result<(), Error> {
    let faces = course_h5::read_test("data/faces_h5/test_faces.h5")?;
    let [_, h, w, c] = faces.shape;
    let mut crop = Vec::with_capacity(12 * 12 * 3);
    for i in 0..12 {
        let row = (i * h / 12) * w * c;
        for j in 0..12 {
            let at = row + (j * w / 12) * c;
            crop.extend_from_slice(&faces.images[at..at + 3]);
        }
    }
    let rgb = image::RgbImage::from_raw(12, 12, crop).ok_or("12×12×3 pixels")?;
    let formats = [
        ("face.png", image::ImageFormat::Png),
        ("face.jpg", image::ImageFormat::Jpeg),
        ("face.bmp", image::ImageFormat::Bmp),
        ("face.gif", image::ImageFormat::Gif),
        ("face.webp", image::ImageFormat::WebP),
        ("face.tiff", image::ImageFormat::Tiff),
    ];
    for (name, format) in formats {
        let mut bytes = Cursor::new(Vec::new());
        if format == image::ImageFormat::Gif || format == image::ImageFormat::WebP {
            image::DynamicImage::ImageRgb8(rgb.clone())
                .to_rgba8()
                .write_to(&mut bytes, format)?;
        } else {
            rgb.write_to(&mut bytes, format)?;
        }
        write(seeds, "image", name, bytes.get_ref())?;
    }
    let gray = image::DynamicImage::ImageRgb8(rgb).to_luma8();
    let mut bytes = Cursor::new(Vec::new());
    gray.write_to(&mut bytes, image::ImageFormat::Png)?;
    write(seeds, "image", "face-gray.png", bytes.get_ref())?;
    Ok(())
}

/// Model descriptions in TOML and JSON, of every layer kind.
fn description_seeds(seeds: &Path) -> Result<(), Error> {
    let toml = "init = \"he\"\n\n[[layer]]\ntype = \"conv2d\"\nfilters = 4\nkernel = 3\npadding = \"same\"\n\n[[layer]]\ntype = \"relu\"\n\n[[layer]]\ntype = \"max_pool\"\nsize = 2\n\n[[layer]]\ntype = \"flatten\"\n\n[[layer]]\ntype = \"dense\"\nunits = 8\n\n[[layer]]\ntype = \"dropout\"\nrate = 0.2\n";
    let json = r#"{"init": "xavier_uniform", "layers": [{"type": "dense", "units": 6}, {"type": "batch_norm"}, {"type": "leaky_relu", "slope": 0.1}, {"type": "dense", "units": 4}, {"type": "tanh"}]}"#;
    write(seeds, "description", "cnn.toml", toml.as_bytes())?;
    write(seeds, "description", "mlp.json", json.as_bytes())?;
    Ok(())
}
