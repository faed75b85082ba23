//! CSV tables (`--data table.csv --label COLUMN`): which column is the label, and whether a
//! table's columns fit a model, checked from the header before any row is read. The rows
//! themselves are read by nn-data's `Csv` (bounded reads, errors naming the file and line).

use std::path::Path;

use anyhow::{bail, Result};
use nn_data::table::{Csv, Label};
use serde::{Deserialize, Serialize};

/// The columns of the table a model was trained on (saved in the record of the run), so that
/// `nn eval` and `nn predict` find the label and check the features by name.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Columns {
    /// The label column.
    pub label: String,
    /// The feature columns, in order.
    pub features: Vec<String>,
}

/// The header's columns, as a list for messages.
fn list(columns: &[String]) -> String {
    columns.join(", ")
}

/// The error of a label that is not a column of the header (as nn-data words it).
fn no_column(path: &Path, label: &str, header: &[String]) -> anyhow::Error {
    anyhow::anyhow!(
        "{}, line 1: no column \"{label}\" in the header (columns: {})",
        path.display(),
        list(header)
    )
}

/// The columns of a table to train on: `label` is required and must be in the header.
pub fn for_training(path: &Path, label: Option<&str>) -> Result<Columns> {
    let header = Csv::new(Label::None).columns(path)?;
    let Some(label) = label else {
        bail!(
            "{}: name the label column with --label (columns: {})",
            path.display(),
            list(&header)
        );
    };
    if !header.iter().any(|h| h == label) {
        return Err(no_column(path, label, &header));
    }
    if header.len() < 2 {
        bail!(
            "{}, line 1: the label \"{label}\" is the only column; a table needs features too",
            path.display()
        );
    }
    let features = header.into_iter().filter(|h| h != label).collect();
    Ok(Columns {
        label: label.to_string(),
        features,
    })
}

/// What a saved model knows of the tables it takes.
#[derive(Clone, Copy, Debug)]
pub struct Expected<'a> {
    /// The number of features of the network's input.
    pub features: usize,
    /// The columns of its training table, if it was trained on one by `nn train`.
    pub columns: Option<&'a Columns>,
}

/// Which column of the table at `path` is the label, to be left out of the features for a
/// model that takes `expected`: `label` if given (it must be a column), else the model's
/// own label column where the table has it, else none (`required`: an error). The other
/// columns must be as many as the model's features and, if the model knows the names it
/// was trained on, those names in that order.
pub fn for_model(
    path: &Path,
    label: Option<&str>,
    expected: Expected,
    required: bool,
) -> Result<Option<String>> {
    let header = Csv::new(Label::None).columns(path)?;
    let label = match label {
        Some(l) if !header.iter().any(|h| h == l) => return Err(no_column(path, l, &header)),
        Some(l) => Some(l.to_string()),
        None => expected
            .columns
            .map(|c| c.label.clone())
            .filter(|l| header.contains(l)),
    };
    if required && label.is_none() {
        bail!(
            "{}: name the label column with --label (columns: {})",
            path.display(),
            list(&header)
        );
    }
    let features: Vec<String> = header
        .iter()
        .filter(|h| Some(*h) != label.as_ref())
        .cloned()
        .collect();
    let n = expected.features;
    if features.len() != n {
        if label.is_none() && header.len() == n + 1 {
            bail!(
                "{}, line 1: {} columns, but the model takes {n} features: name the label \
                 column to leave out with --label (columns: {})",
                path.display(),
                header.len(),
                list(&header)
            );
        }
        let besides = label.map_or(String::new(), |l| format!(" besides the label \"{l}\""));
        bail!(
            "{}, line 1: {} feature column{}{besides} ({}), but the model takes {n}",
            path.display(),
            features.len(),
            if features.len() == 1 { "" } else { "s" },
            list(&features)
        );
    }
    if let Some(trained) = expected.columns.filter(|c| c.features != features) {
        bail!(
            "{}, line 1: the feature columns are {}, but the model was trained on {} (in this \
             order)",
            path.display(),
            list(&features),
            list(&trained.features)
        );
    }
    Ok(label)
}
