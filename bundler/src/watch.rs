//! `--watch` on `run`, `check`, `test` and `bundle`: the same command again whenever a file it
//! reads changes.
//!
//! The command itself runs as a child process (this executable with the same arguments, less
//! `--watch`), so a program that is still running when a file changes can be stopped and
//! started anew. The files watched are the program, everything it includes and every file
//! under its `--include` paths (for `test`, the test directories), found again after every
//! change, so a new `include` or a new file in an included directory is watched at once. Changes are debounced (`notify-debouncer-mini`), so an editor's save is one re-run.
//! For `run`, a version that does not compile is not started: its errors are shown below the
//! last good run's output, which keeps running, until the next change. The screen is cleared
//! before each run only when stdout is a terminal.

use std::collections::BTreeSet;
use std::ffi::OsString;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::sync::mpsc;
use std::time::Duration;

use notify_debouncer_mini::notify::RecursiveMode;
use notify_debouncer_mini::{new_debouncer, DebounceEventResult};
use nyash_compiler::{load_program, FsLoader};

use crate::error::{CliError, Result};
use crate::report::{diagnostics_stream, report};
use crate::source;

/// What a watched command reads.
pub enum Watched {
    /// One program (`run`, `check`, `bundle`): the file and, for Nyash, its includes, and
    /// the files and directories of `--include`.
    Program(PathBuf, Vec<PathBuf>),
    /// Test files and directories (`test`); empty for the current directory.
    Tests(Vec<PathBuf>),
}

/// Runs the command of this process's arguments (without `--watch`) now and after every
/// change, until interrupted. With `only_if_valid` (`run`), a program that does not compile
/// is not started and the previous run goes on.
pub fn watch(watched: Watched, only_if_valid: bool) -> Result<()> {
    let mut args: Vec<OsString> = std::env::args_os().skip(1).collect();
    if let Some(i) = args.iter().position(|a| a == "--watch") {
        let _ = args.remove(i);
    }
    let exe = std::env::current_exe()
        .map_err(|e| CliError::new(format!("cannot find the nyash executable: {e}")))?;
    let (tx, rx) = mpsc::channel::<DebounceEventResult>();
    let mut debouncer = new_debouncer(Duration::from_millis(200), move |event| {
        let _ = tx.send(event);
    })
    .map_err(|e| {
        CliError::new(format!("cannot watch files for changes: {e}"))
            .hint("run the command without --watch")
    })?;
    let mut watching: BTreeSet<(PathBuf, bool)> = BTreeSet::new();
    let mut child: Option<Child> = None;
    loop {
        let (files, dirs) = inputs(&watched);
        let before = stamps(&files, &dirs);
        let valid = !only_if_valid || program_is_valid(&watched);
        if valid {
            if let Some(mut old) = child.take() {
                let _ = old.kill();
                let _ = old.wait();
            }
            if std::io::stdout().is_terminal() {
                print!("\x1b[2J\x1b[H");
            }
            child = Some(
                Command::new(&exe)
                    .args(&args)
                    .spawn()
                    .map_err(|e| CliError::new(format!("cannot start nyash again: {e}")))?,
            );
        } else {
            eprintln!("watch: this version does not compile; the last good run goes on");
        }
        // Watch every directory that holds an input (editors often save by renaming).
        let wanted: BTreeSet<(PathBuf, bool)> = files
            .iter()
            .filter_map(|f| f.parent().map(|p| (p.to_path_buf(), false)))
            .chain(dirs.iter().map(|(d, _)| (d.clone(), true)))
            .collect();
        for (dir, recursive) in wanted.difference(&watching) {
            let mode = if *recursive {
                RecursiveMode::Recursive
            } else {
                RecursiveMode::NonRecursive
            };
            let _ = debouncer.watcher().watch(dir, mode);
        }
        watching.extend(wanted);
        eprintln!("watch: waiting for a change (Ctrl-C stops)");
        wait_for_change(&rx, &before, &files, &dirs)?;
    }
}

/// Blocks until one of `files`, or a file under `dirs` that [`Dir`] counts, changes. Events only
/// say that something happened in a watched directory (reading a file is an event too, and
/// the command reads its inputs), so what decides is a change in the inputs' size or time of
/// modification, or a file appearing or going.
fn wait_for_change(
    rx: &mpsc::Receiver<DebounceEventResult>,
    before: &Stamps,
    files: &BTreeSet<PathBuf>,
    dirs: &[(PathBuf, Dir)],
) -> Result<()> {
    loop {
        let events = rx
            .recv()
            .map_err(|_| CliError::new("the file watcher stopped"))?;
        let Ok(events) = events else {
            continue;
        };
        let nearby = events.iter().any(|e| {
            let path = canonical(&e.path);
            files.contains(&path) || dirs.iter().any(|(d, _)| path.starts_with(d))
        });
        if nearby && stamps(files, dirs) != *before {
            return Ok(());
        }
    }
}

/// Size and modification time of every input, or `None` for a missing file.
type Stamps = Vec<(PathBuf, Option<(u64, std::time::SystemTime)>)>;

/// Which files under a watched directory are inputs.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Dir {
    /// `nyash test`'s: test files and their expectations, outside hidden and `target`
    /// directories.
    Tests,
    /// An `--include` directory: every file.
    Included,
}

fn stamps(files: &BTreeSet<PathBuf>, dirs: &[(PathBuf, Dir)]) -> Stamps {
    let mut paths: Vec<PathBuf> = files.iter().cloned().collect();
    for (d, kind) in dirs {
        collect_inputs(d, *kind, &mut paths);
    }
    paths.sort();
    paths.dedup();
    paths
        .into_iter()
        .map(|p| {
            let stamp = std::fs::metadata(&p)
                .ok()
                .and_then(|m| Some((m.len(), m.modified().ok()?)));
            (p, stamp)
        })
        .collect()
}

fn collect_inputs(dir: &Path, kind: Dir, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let skipped = kind == Dir::Tests
            && (entry.file_name().to_string_lossy().starts_with('.')
                || entry.file_name() == "target");
        // A symlink to a directory is not descended into (it could loop); one to a file is
        // an input, stamped through the link.
        if entry.file_type().is_ok_and(|t| t.is_dir()) {
            if !skipped {
                collect_inputs(&path, kind, out);
            }
        } else if kind == Dir::Included || is_test_input(&path) {
            out.push(canonical(&path));
        }
    }
}

fn is_test_input(path: &Path) -> bool {
    path.extension().is_some_and(|e| {
        ["nyash", "stdout", "stderr", "status", "stdin", "args"]
            .iter()
            .any(|x| e == *x)
    })
}

fn canonical(path: &Path) -> PathBuf {
    std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf())
}

/// The files and recursive directories a command reads, as canonical paths.
fn inputs(watched: &Watched) -> (BTreeSet<PathBuf>, Vec<(PathBuf, Dir)>) {
    match watched {
        Watched::Program(path, included) => {
            let mut files = BTreeSet::new();
            let mut dirs = Vec::new();
            let _ = files.insert(canonical(path));
            if source::is_nyash(path) {
                let checked = load_program(path, &FsLoader);
                for f in checked.sources.files() {
                    let _ = files.insert(canonical(&f.path));
                }
            }
            add_paths(included, Dir::Included, &mut files, &mut dirs);
            (files, dirs)
        }
        Watched::Tests(paths) => {
            let default = [PathBuf::from(".")];
            let paths = if paths.is_empty() {
                &default[..]
            } else {
                paths
            };
            let mut files = BTreeSet::new();
            let mut dirs = Vec::new();
            add_paths(paths, Dir::Tests, &mut files, &mut dirs);
            (files, dirs)
        }
    }
}

/// Adds each of `paths` as a watched directory of `kind`, or as a file.
fn add_paths(
    paths: &[PathBuf],
    kind: Dir,
    files: &mut BTreeSet<PathBuf>,
    dirs: &mut Vec<(PathBuf, Dir)>,
) {
    for p in paths {
        if p.is_dir() {
            dirs.push((canonical(p), kind));
        } else {
            let _ = files.insert(canonical(p));
        }
    }
}

/// Whether the watched program compiles; if not, its errors are printed.
fn program_is_valid(watched: &Watched) -> bool {
    let Watched::Program(path, _) = watched else {
        return true;
    };
    if !source::is_nyash(path) {
        return true;
    }
    let checked = load_program(path, &FsLoader);
    if !checked.is_ok() {
        report(&checked, path, &mut diagnostics_stream());
    }
    checked.is_ok()
}
