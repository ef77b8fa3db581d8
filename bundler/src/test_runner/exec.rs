//! Running a compiled test program: once per test, each time in a fresh process.
//!
//! The module is compiled to native code once per test file and written to a private
//! temporary directory; each run is `nyash __run-compiled FILE ARGV…`, which loads that code
//! and runs it as `nyash run` does. A process per run gives every test a fresh program
//! instance, its own captured standard streams and working directory, and a time limit.

use std::ffi::OsString;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use wasmtime::Module;

use crate::error::{CliError, Result};
use crate::module_check::error_chain;
use crate::run;

/// A private directory for compiled test programs, removed when dropped.
pub struct Scratch {
    dir: PathBuf,
    next: usize,
}

impl Scratch {
    /// Creates the directory.
    pub fn new() -> Result<Scratch> {
        let dir = scratch_dir(std::process::id());
        let made = std::fs::create_dir_all(&dir);
        #[cfg(unix)]
        let made = made.and_then(|()| {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700))
        });
        made.map_err(|e| {
            CliError::new(format!(
                "cannot create a temporary directory {}: {e}",
                dir.display()
            ))
            .hint("set TMPDIR to a writable directory")
        })?;
        Ok(Scratch { dir, next: 0 })
    }

    /// Compiles `wasm` for this machine and stores the code; returns its path.
    pub fn precompile(&mut self, wasm: &[u8]) -> std::result::Result<PathBuf, String> {
        let engine = run::host_engine().map_err(|e| e.message)?;
        let module = Module::new(&engine, wasm).map_err(|e| error_chain(&e));
        if let Some(cache) = crate::cache::global() {
            cache.finish();
        }
        let code = module?.serialize().map_err(|e| error_chain(&e))?;
        self.next += 1;
        let path = self.dir.join(format!("{}.cwasm", self.next));
        std::fs::write(&path, code).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        Ok(path)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// What one run did.
pub struct Output {
    /// Everything written to stdout.
    pub stdout: String,
    /// Everything written to stderr.
    pub stderr: String,
    /// The exit status; `None` when it was stopped at the time limit.
    pub status: Option<i32>,
    /// How long it ran.
    pub duration: Duration,
}

/// Runs the compiled program `code` from `dir` with `argv`, feeding it `stdin`.
pub fn run(
    code: &Path,
    dir: &Path,
    argv: &[OsString],
    stdin: &[u8],
    limit: Duration,
) -> Result<Output> {
    let exe = std::env::current_exe()
        .map_err(|e| CliError::new(format!("cannot find the nyash executable: {e}")))?;
    let start = Instant::now();
    let mut child = Command::new(exe)
        .arg("__run-compiled")
        .arg(code)
        .args(argv)
        .current_dir(dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| CliError::new(format!("cannot start a test process: {e}")))?;
    let mut input = child.stdin.take();
    let data = stdin.to_vec();
    let feeder = std::thread::spawn(move || {
        if let Some(mut pipe) = input.take() {
            let _ = pipe.write_all(&data);
        }
    });
    let reader = |pipe: Option<Box<dyn Read + Send>>| {
        std::thread::spawn(move || {
            let mut bytes = Vec::new();
            if let Some(mut pipe) = pipe {
                let _ = pipe.read_to_end(&mut bytes);
            }
            String::from_utf8_lossy(&bytes).into_owned()
        })
    };
    let out = reader(
        child
            .stdout
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    );
    let err = reader(
        child
            .stderr
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    );
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status.code().or(Some(1)),
            Ok(None) if start.elapsed() >= limit => {
                let _ = child.kill();
                let _ = child.wait();
                break None;
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(1)),
            Err(e) => {
                return Err(CliError::new(format!(
                    "cannot wait for a test process: {e}"
                )))
            }
        }
    };
    let duration = start.elapsed();
    let _ = feeder.join();
    Ok(Output {
        stdout: out.join().unwrap_or_default(),
        stderr: err.join().unwrap_or_default(),
        status,
        duration,
    })
}

/// The scratch directory of the `nyash test` with process id `pid`.
fn scratch_dir(pid: u32) -> PathBuf {
    std::env::temp_dir().join(format!("nyash-test-{pid}"))
}

/// `nyash __run-compiled FILE ARGV…`: runs code written by [`Scratch::precompile`] of the
/// parent process; any other file is refused, since native code is trusted as it is.
pub fn run_compiled(code: &Path, argv: Vec<OsString>) -> Result<i32> {
    let refuse = || {
        CliError::new(format!(
            "{} is not a program compiled by the nyash test that started this process",
            code.display()
        ))
        .hint("`nyash __run-compiled` is used by `nyash test`; run that instead")
    };
    let dir = code.parent().unwrap_or(Path::new(""));
    #[cfg(unix)]
    let ours = dir == scratch_dir(std::os::unix::process::parent_id());
    #[cfg(not(unix))]
    let ours = dir.parent() == Some(std::env::temp_dir().as_path())
        && dir
            .file_name()
            .is_some_and(|n| n.to_string_lossy().starts_with("nyash-test-"));
    if !ours {
        return Err(refuse());
    }
    let engine = run::host_engine()?;
    // SAFETY: the file lies in the scratch directory of the parent `nyash test` (checked
    // above), which wrote it with `Scratch::precompile` and the same engine settings into a
    // directory only this user can write, and does not change it while it is loaded.
    let module = unsafe { Module::deserialize_file(&engine, code) }.map_err(|e| {
        CliError::new(format!(
            "cannot load the compiled test program {}: {}",
            code.display(),
            error_chain(&e)
        ))
        .hint("this command is used by `nyash test`; run that instead")
    })?;
    let shown = argv.first().map_or_else(PathBuf::new, PathBuf::from);
    run::execute(&engine, &module, argv, &shown)
}
