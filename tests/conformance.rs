//! The conformance suite: every `tests/conformance/<area>/<name>.nyash` (except `pending/`
//! and `lib/`) is one test per execution path, named `<area>/<name>::<path>`, so
//! `cargo test strings/` runs one area, `cargo test ::pulley` one path, and a failed run
//! lists every program that disagrees.
//!
//! The paths (see [`ExecPath::ALL`]):
//!
//! - `native`: a bundle (`nyash bundle -o`) run on its native path (`NYASH_EXEC=native`);
//! - `pulley`: the same bundle on its forced fallback path (`NYASH_EXEC=wasm`);
//! - `run`: `nyash run`;
//! - `check-memory`: `nyash run --check-memory`, linked with the checking allocator, which
//!   stops at the first double free or use of a freed object, whatever the heap layout
//!   (`guest/src/checked_alloc.rs`);
//! - `wasm`: compiled in this process with `nyash_compiler`, with both runtimes, and
//!   validated with wasmparser, whether or not the compiler was built with debug assertions.
//!
//! Every run must give the expected stdout, stderr and exit status (`<name>.stdout`,
//! `<name>.stderr` (default empty), `<name>.status` (default 0)). As
//! `tests/conformance/README.md` says, each program runs from its own directory with the
//! arguments `one two`. The bundle is built once and shared by `native` and `pulley`.
//!
//! This is a `harness = false` test: [`libtest_mimic`] registers the tests and runs them on
//! one thread per core, with the usual filter, `--exact`, `--list` and `--test-threads`.

mod support;

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};

use libtest_mimic::{Arguments, Failed, Trial};
use nyash_compiler::{compile_checked_with, load_program, FsLoader, GuestRuntime, Options};
use support::TempDir;

/// One way of running a program.
#[derive(Clone, Copy)]
enum ExecPath {
    Native,
    Run,
    CheckMemory,
    Wasm,
    Pulley,
}

impl ExecPath {
    /// Every path, in the order each program's tests are queued: `native` builds the bundle
    /// and `pulley` comes last, so it seldom waits for the bundle.
    const ALL: [ExecPath; 5] = [
        ExecPath::Native,
        ExecPath::Run,
        ExecPath::CheckMemory,
        ExecPath::Wasm,
        ExecPath::Pulley,
    ];

    /// The suffix of the test names.
    fn name(self) -> &'static str {
        match self {
            ExecPath::Native => "native",
            ExecPath::Pulley => "pulley",
            ExecPath::Run => "run",
            ExecPath::CheckMemory => "check-memory",
            ExecPath::Wasm => "wasm",
        }
    }
}

/// What a program must print and how it must end.
struct Expected {
    stdout: String,
    stderr: String,
    status: i32,
}

/// One conformance program, shared by its tests.
struct Program {
    /// `<area>/<name>`, the start of its test names.
    id: String,
    /// The directory it runs from.
    dir: PathBuf,
    /// Its file name, as given to `nyash`.
    file: String,
    /// Where its bundle goes.
    exe: PathBuf,
    /// The bundle, built by whichever bundle test runs first.
    bundle: OnceLock<Result<(), String>>,
    /// How many bundle tests have not finished; the last one removes the bundle.
    bundle_users: AtomicUsize,
    /// Keeps the scratch directory alive while a test may still use it.
    _scratch: Arc<TempDir>,
}

fn programs(dir: &std::path::Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            if p.file_name().is_some_and(|n| n != "pending" && n != "lib") {
                programs(&p, out);
            }
        } else if p.extension().is_some_and(|x| x == "nyash") {
            out.push(p);
        }
    }
}

impl Program {
    fn new(path: &std::path::Path, scratch: &Arc<TempDir>) -> Program {
        let dir = path.parent().unwrap().to_path_buf();
        let file = path.file_name().unwrap().to_str().unwrap().to_string();
        let area = dir.file_name().unwrap().to_str().unwrap();
        let stem = file.trim_end_matches(".nyash");
        Program {
            id: format!("{area}/{stem}"),
            exe: scratch.root().join(format!("{area}-{stem}")),
            dir,
            file,
            bundle: OnceLock::new(),
            bundle_users: AtomicUsize::new(2),
            _scratch: Arc::clone(scratch),
        }
    }

    fn expected(&self) -> Expected {
        let read =
            |ext: &str| std::fs::read_to_string(self.dir.join(&self.file).with_extension(ext)).ok();
        Expected {
            stdout: read("stdout").unwrap_or_default(),
            stderr: read("stderr").unwrap_or_default(),
            status: read("status").map_or(0, |s| s.trim().parse().expect("a status number")),
        }
    }

    /// Runs `program` from this program's directory with `args` and `env`.
    fn run(&self, program: &std::ffi::OsStr, args: &[&str], env: &[(&str, &str)]) -> Outcome {
        let mut cmd = Command::new(program);
        cmd.args(args)
            .current_dir(&self.dir)
            .env_remove("NYASH_TRACE")
            .env_remove("NYASH_EXEC")
            .env("NO_COLOR", "1")
            // The tests' own compilation cache, never the user's.
            .env("XDG_CACHE_HOME", support::test_cache_home())
            .stdin(Stdio::null());
        for (k, v) in env {
            cmd.env(k, v);
        }
        // "Text file busy": another test thread's fork can briefly hold a bundle that was
        // just written open.
        for _ in 0..50 {
            match cmd.output() {
                Ok(out) => {
                    return Outcome {
                        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
                        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
                        status: out.status.code().unwrap_or(-1),
                    }
                }
                Err(e) if e.raw_os_error() == Some(26) => {
                    std::thread::sleep(std::time::Duration::from_millis(20))
                }
                Err(e) => panic!("cannot run {}: {e}", program.to_string_lossy()),
            }
        }
        panic!("{} stayed busy", program.to_string_lossy());
    }

    fn nyash(&self, args: &[&str]) -> Outcome {
        self.run(env!("CARGO_BIN_EXE_nyash").as_ref(), args, &[])
    }

    /// Runs the bundle with `NYASH_EXEC=exec`, building it first if no test has.
    fn run_bundle(&self, exec: &str) -> Result<Outcome, Failed> {
        let built = self.bundle.get_or_init(|| {
            let exe = self.exe.to_str().unwrap();
            let out = self.nyash(&["bundle", &self.file, "-o", exe]);
            (out.status == 0)
                .then_some(())
                .ok_or_else(|| format!("nyash bundle failed: {}", out.stderr))
        });
        let outcome = built.clone().map(|()| {
            self.run(
                self.exe.as_os_str(),
                &["one", "two"],
                &[("NYASH_EXEC", exec)],
            )
        });
        if self.bundle_users.fetch_sub(1, Ordering::SeqCst) == 1 {
            let _ = std::fs::remove_file(&self.exe);
        }
        outcome.map_err(Failed::from)
    }

    /// Compiles the program here with each runtime, and without optimising, and validates
    /// the modules.
    fn compile_and_validate(&self) -> Result<(), Failed> {
        let entry = self.dir.join(&self.file);
        let builds = [
            (GuestRuntime::Standard, true),
            (GuestRuntime::MemoryChecking, true),
            (GuestRuntime::Standard, false),
        ];
        for (runtime, optimize) in builds {
            let options = Options {
                runtime,
                optimize,
                prune: optimize,
            };
            let wasm = compile_checked_with(load_program(&entry, &FsLoader), options)
                .map_err(|e| format!("does not compile ({options:?}): {e}"))?;
            nyash_compiler::codegen::validate(&wasm).map_err(|e| format!("{options:?}: {e}"))?;
        }
        Ok(())
    }

    /// The test of this program on `path`.
    fn check(&self, path: ExecPath) -> Result<(), Failed> {
        let got = match path {
            ExecPath::Native => self.run_bundle("native")?,
            ExecPath::Pulley => self.run_bundle("wasm")?,
            ExecPath::Run => self.nyash(&["run", &self.file, "one", "two"]),
            ExecPath::CheckMemory => {
                self.nyash(&["run", "--check-memory", &self.file, "one", "two"])
            }
            ExecPath::Wasm => return self.compile_and_validate(),
        };
        let want = self.expected();
        if got.stdout == want.stdout && got.stderr == want.stderr && got.status == want.status {
            return Ok(());
        }
        Err(format!(
            "status {} (want {})\n  stdout {:?}\n    want {:?}\n  stderr {:?}\n    want {:?}",
            got.status, want.status, got.stdout, want.stdout, got.stderr, want.stderr
        )
        .into())
    }
}

/// What a run printed and how it ended.
struct Outcome {
    stdout: String,
    stderr: String,
    status: i32,
}

fn main() {
    let args = Arguments::from_args();
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/conformance");
    let mut files = Vec::new();
    programs(&root, &mut files);
    assert!(
        files.len() >= 40,
        "only {} conformance programs found",
        files.len()
    );

    let scratch = Arc::new(TempDir::new("conformance"));
    let mut trials = Vec::new();
    for file in &files {
        let program = Arc::new(Program::new(file, &scratch));
        for path in ExecPath::ALL {
            let program = Arc::clone(&program);
            let name = format!("{}::{}", program.id, path.name());
            trials.push(Trial::test(name, move || program.check(path)));
        }
    }
    let conclusion = libtest_mimic::run(&args, trials);
    // Every test has dropped its program; this removes the scratch directory.
    drop(scratch);
    conclusion.exit()
}
