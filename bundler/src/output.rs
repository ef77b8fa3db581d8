//! Writing output files so that a failure never leaves a half-written file
//! or destroys what was there before.

use std::fs;
use std::io::Write;
use std::path::Path;

use crate::error::{CliError, Result};

/// Writes `bytes` to `path` atomically: into a temporary file in the same
/// directory, then renamed over `path`. With `executable`, the file is made
/// executable (mode 0755 on Unix).
pub fn write_atomically(path: &Path, bytes: &[u8], executable: bool) -> Result<()> {
    if path.is_dir() {
        return Err(CliError::new(format!(
            "cannot write the output to {}: it is a directory",
            path.display()
        ))
        .hint("give a file name with -o, e.g. -o app"));
    }
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let name = path
        .file_name()
        .map_or_else(|| "output".into(), |n| n.to_string_lossy().into_owned());
    let temp = dir.join(format!(".{name}.nyash-partial-{}", std::process::id()));
    let fail = |e: std::io::Error| {
        let _ = fs::remove_file(&temp);
        CliError::new(format!(
            "cannot write the output to {}: {e}",
            path.display()
        ))
        .hint("check that the directory exists and is writable, or choose another path with -o")
    };
    let mut file = fs::File::create(&temp).map_err(fail)?;
    file.write_all(bytes).map_err(fail)?;
    #[cfg(unix)]
    if executable {
        use std::os::unix::fs::PermissionsExt;
        file.set_permissions(fs::Permissions::from_mode(0o755))
            .map_err(fail)?;
    }
    #[cfg(not(unix))]
    let _ = executable;
    file.sync_all().map_err(fail)?;
    drop(file);
    fs::rename(&temp, path).map_err(fail)
}

/// Writes `text` to stdout. A closed pipe (`nyash inspect app | head`) is
/// the reader's choice, not an error: the rest is dropped quietly.
pub fn print_stdout(text: &str) {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {}
        Err(e) => eprintln!("error: cannot write to standard output: {e}"),
    }
}
