//! Lists the built-in face/non-face photos (`builtin/faces/{nonface,face}/*.png`) so that
//! `builtin.rs` embeds them with `include_bytes!`.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::{env, fs};

fn main() {
    let manifest = PathBuf::from(env::var("CARGO_MANIFEST_DIR").expect("set by cargo"));
    let root = manifest.join("builtin").join("faces");
    println!("cargo:rerun-if-changed={}", root.display());
    let mut out = String::from(
        "/// The built-in photos: `(name, PNG bytes, class)`, class 0 non-face, 1 face.\n\
         pub(crate) static FACES: &[(&str, &[u8], usize)] = &[\n",
    );
    for (class, folder) in [(0, "nonface"), (1, "face")] {
        let dir = root.join(folder);
        let mut names: Vec<String> = fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            .map(|e| {
                e.expect("a readable entry")
                    .file_name()
                    .to_string_lossy()
                    .into_owned()
            })
            .filter(|n| n.ends_with(".png"))
            .collect();
        names.sort();
        for name in names {
            let path = dir.join(&name);
            writeln!(
                out,
                "    (\"faces/{folder}/{name}\", include_bytes!({:?}), {class}),",
                path.display().to_string()
            )
            .expect("writing to a String");
        }
    }
    out.push_str("];\n");
    let dest = Path::new(&env::var("OUT_DIR").expect("set by cargo")).join("builtin_faces.rs");
    fs::write(&dest, out).unwrap_or_else(|e| panic!("{}: {e}", dest.display()));
}
