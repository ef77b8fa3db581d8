//! Finding the Nyash files a command works on (`nyash fmt`, `nyash test`): the files named,
//! and the `.nyash` files under the directories named, recursively.

use std::path::{Path, PathBuf};

use crate::error::{CliError, Result};
use crate::source::is_nyash;

/// The files for `paths` (the current directory when empty), sorted and each once. A named
/// file is taken as it is; a directory gives every `.nyash` file below it that `wanted`
/// accepts, skipping hidden directories and `target/`.
pub fn nyash_files(paths: &[PathBuf], wanted: impl Fn(&Path) -> bool) -> Result<Vec<PathBuf>> {
    let default = [PathBuf::from(".")];
    let paths = if paths.is_empty() {
        &default[..]
    } else {
        paths
    };
    let mut out = Vec::new();
    for path in paths {
        let meta = std::fs::metadata(path).map_err(|e| {
            CliError::new(format!("cannot read {}: {e}", path.display()))
                .hint("give a .nyash file or a directory that holds some")
        })?;
        if meta.is_dir() {
            walk(path, &wanted, &mut out)?;
        } else {
            out.push(path.clone());
        }
    }
    out.sort();
    out.dedup();
    Ok(out)
}

fn walk(dir: &Path, wanted: &impl Fn(&Path) -> bool, out: &mut Vec<PathBuf>) -> Result<()> {
    let entries = std::fs::read_dir(dir)
        .map_err(|e| CliError::new(format!("cannot read the directory {}: {e}", dir.display())))?;
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name();
        let name = name.to_string_lossy();
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        if kind.is_dir() {
            if !name.starts_with('.') && name != "target" {
                walk(&path, wanted, out)?;
            }
        } else if is_nyash(&path) && wanted(&path) {
            out.push(clean(&path));
        }
    }
    Ok(())
}

/// `./a/b.nyash` is shown as `a/b.nyash`.
fn clean(path: &Path) -> PathBuf {
    path.strip_prefix(".")
        .map_or_else(|_| path.to_path_buf(), Path::to_path_buf)
}
