//! `nn playground` (the page) and `nn train --playground` (the same exercise without it).

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use clap::Args;
use nn_playground::{ServeOptions, Session, Settings};

use crate::Output;

/// Options of `nn playground`.
#[derive(Args, Debug)]
pub struct PlaygroundArgs {
    /// The port on 127.0.0.1 (0: any free port; the address is printed).
    #[arg(long, default_value_t = 7070)]
    port: u16,
    /// Open the page in the default browser.
    #[arg(long)]
    open: bool,
    /// The folder the page's "save" writes models into.
    #[arg(long, default_value = ".")]
    folder: PathBuf,
    /// The exercise to start with, as the settings of a page's address (after its `#`).
    #[arg(long, value_name = "SETTINGS", default_value = "")]
    settings: String,
}

/// Serves the page until the process is stopped.
pub fn serve(a: PlaygroundArgs) -> Result<()> {
    let settings =
        Settings::from_query(&a.settings).map_err(|e| anyhow::anyhow!("--settings: {e}"))?;
    if !a.folder.is_dir() {
        bail!("--folder {}: not a folder", a.folder.display());
    }
    let options = ServeOptions {
        port: a.port,
        folder: a.folder.clone(),
        settings,
    };
    let open = a.open;
    nn_playground::serve(options, |address| {
        let url = format!("http://{address}/");
        println!("nn playground: {url} (Ctrl-C stops it)");
        if open {
            if let Err(e) = open::that_detached(&url) {
                eprintln!("nn playground: could not open a browser ({e}); open {url} by hand");
            }
        }
    })
    .with_context(|| format!("serving on 127.0.0.1:{}", a.port))
}

/// Trains the exercise of `settings` for `epochs` (default 100) as the page would, printing
/// the losses every 10 epochs and at the end (or JSON lines), and saves it.
pub fn train(
    settings: &str,
    epochs: Option<usize>,
    save: Option<&Path>,
    output: &Output,
) -> Result<()> {
    let settings =
        Settings::from_query(settings).map_err(|e| anyhow::anyhow!("--playground: {e}"))?;
    let mut session = Session::new(settings).map_err(anyhow::Error::msg)?;
    let epochs = epochs.unwrap_or(100);
    let print = |r: &nn_playground::Record| {
        if output.json {
            println!("{}", serde_json::to_string(r).expect("a record serialises"));
        } else if !output.quiet {
            println!(
                "epoch {:>5}  train loss {:.3}  test loss {:.3}",
                r.epoch, r.train_loss, r.test_loss
            );
        }
    };
    print(&session.history()[0]);
    for epoch in 1..=epochs {
        let record = *session.step().map_err(anyhow::Error::msg)?;
        if epoch % 10 == 0 || epoch == epochs {
            print(&record);
        }
    }
    let last = session.history().last().expect("a record at least");
    if output.quiet && !output.json {
        println!(
            "epoch {}  train loss {:.3}  test loss {:.3}",
            last.epoch, last.train_loss, last.test_loss
        );
    }
    if let Some(path) = save {
        nn_data::model::save(path, session.network(), &session.preparation(), &[])?;
        if !output.quiet && !output.json {
            println!("saved {}", path.display());
        }
    }
    Ok(())
}
