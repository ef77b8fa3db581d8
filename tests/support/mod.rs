//! Helpers shared by the end-to-end tests: running `nyash` and bundles,
//! temporary directories, and reading or rewriting a bundle's payload.

#![allow(dead_code)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;

use nyash_runtime::payload::{self, Compression, Index, SectionInput, SectionKind};

/// What a process printed and how it ended.
#[derive(Debug)]
pub struct Output {
    pub stdout: String,
    pub stderr: String,
    pub status: i32,
}

fn collect(out: std::process::Output) -> Output {
    Output {
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        status: out.status.code().unwrap_or(-1),
    }
}

/// A directory under the system temp dir, removed when dropped.
pub struct TempDir {
    root: PathBuf,
}

impl TempDir {
    pub fn new(name: &str) -> TempDir {
        static COUNTER: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let root =
            std::env::temp_dir().join(format!("nyash-e2e-{}-{n}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        std::fs::create_dir_all(&root).unwrap();
        TempDir { root }
    }

    /// Wraps an existing directory (not removed by this value's owner's
    /// intent; callers `forget` it when another TempDir owns it).
    pub fn at(path: &str) -> TempDir {
        TempDir {
            root: PathBuf::from(path),
        }
    }

    /// A path inside the directory, as a string for argument lists.
    pub fn path(&self, name: &str) -> String {
        self.root.join(name).to_string_lossy().into_owned()
    }

    pub fn root(&self) -> &Path {
        &self.root
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.root);
    }
}

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// A file in `examples/`.
pub fn example(name: &str) -> String {
    workspace()
        .join("examples")
        .join(name)
        .to_string_lossy()
        .into_owned()
}

/// A file in `tests/fixtures/`.
pub fn fixture(name: &str) -> String {
    workspace()
        .join("tests/fixtures")
        .join(name)
        .to_string_lossy()
        .into_owned()
}

/// Runs `nyash` with `args`.
pub fn nyash(args: &[&str]) -> Output {
    let out = Command::new(env!("CARGO_BIN_EXE_nyash"))
        .args(args)
        .env_remove("NYASH_TRACE")
        .env_remove("NYASH_EXEC")
        .env("NO_COLOR", "1")
        .env("XDG_CACHE_HOME", test_cache_home())
        .stdin(Stdio::null())
        .output()
        .expect("running nyash");
    collect(out)
}

/// The compilation cache the tests' `nyash` runs share, inside the target
/// directory, so no test touches the user's own cache.
pub fn test_cache_home() -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("nyash-cache-home")
}

/// Runs `nyash` and asserts that it succeeded.
pub fn nyash_ok(args: &[&str]) -> Output {
    let out = nyash(args);
    assert_eq!(out.status, 0, "nyash {args:?} failed: {out:?}");
    out
}

fn command(exe: &str, args: &[&str], env: &[(&str, &str)]) -> Command {
    let mut cmd = Command::new(exe);
    cmd.args(args)
        .env_remove("NYASH_TRACE")
        .env_remove("NYASH_EXEC")
        .env_remove("RUST_BACKTRACE");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd
}

/// Runs `cmd`. A file the OS refuses to execute gives status -1 with the
/// OS error as stderr. "Text file busy" is retried: another test thread's
/// fork can briefly hold a just-written executable open.
fn output_of(mut cmd: Command) -> Output {
    for _ in 0..50 {
        match cmd.output() {
            Ok(out) => return collect(out),
            Err(e) if e.raw_os_error() == Some(26) => {
                std::thread::sleep(std::time::Duration::from_millis(20))
            }
            Err(e) => {
                return Output {
                    stdout: String::new(),
                    stderr: e.to_string(),
                    status: -1,
                }
            }
        }
    }
    panic!("the executable stayed busy");
}

/// Runs a bundle with no stdin.
pub fn run(exe: &str, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = command(exe, args, env);
    cmd.stdin(Stdio::null());
    output_of(cmd)
}

/// Runs a bundle in directory `dir`.
pub fn run_in(dir: &TempDir, exe: &str, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = command(exe, args, env);
    cmd.current_dir(dir.root()).stdin(Stdio::null());
    output_of(cmd)
}

/// Runs a bundle with `input` on stdin.
pub fn run_with_stdin(exe: &str, args: &[&str], input: &str) -> Output {
    let mut child = command(exe, args, &[])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("running the bundle");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    collect(child.wait_with_output().unwrap())
}

/// The probe fixture (a Rust program built for wasm32-wasip1), bundled
/// once per test run.
pub fn probe_bundle() -> String {
    static PROBE: OnceLock<(TempDir, String)> = OnceLock::new();
    let (_, path) = PROBE.get_or_init(|| {
        let dir = TempDir::new("probe");
        let app = dir.path("probe");
        nyash_ok(&["bundle", &fixture("probe.wasm"), "-o", &app]);
        (dir, app)
    });
    path.clone()
}

/// Writes a text file into `dir` and returns its path.
pub fn write(dir: &TempDir, name: &str, text: &str) -> String {
    let path = dir.path(name);
    std::fs::write(&path, text).unwrap();
    path
}

/// Writes an executable file.
pub fn write_exe(path: &str, bytes: &[u8]) {
    std::fs::write(path, bytes).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
}

/// The payload offset and decoded index of a bundle.
pub fn read_index(bundle: &[u8]) -> (usize, Index) {
    let loc = payload::locate(bundle).unwrap();
    let bytes = &bundle[loc.offset as usize..][..loc.len as usize];
    (loc.offset as usize, payload::parse(bytes).unwrap())
}

/// A section being rewritten by [`rewrite_bundle`].
pub struct EditableSection {
    pub kind: SectionKind,
    pub target: String,
    pub tier: String,
    pub compression: Compression,
    pub stored: Vec<u8>,
    pub raw_len: u64,
}

/// Decodes the bundle at `src`, lets `edit` change its sections, and writes
/// a valid bundle (correct hashes) with the same stub to `dst`. Tests use it
/// to build bundles the bundler would refuse to make.
pub fn rewrite_bundle(src: &str, dst: &str, edit: impl FnOnce(&mut Vec<EditableSection>)) {
    let bytes = std::fs::read(src).unwrap();
    let (at, index) = read_index(&bytes);
    let payload = &bytes[at..];
    let mut sections: Vec<EditableSection> = index
        .sections
        .iter()
        .map(|s| EditableSection {
            kind: s.kind,
            target: s.target.clone(),
            tier: s.tier.clone(),
            compression: s.compression,
            stored: payload[s.offset as usize..][..s.stored_len as usize].to_vec(),
            raw_len: s.raw_len,
        })
        .collect();
    edit(&mut sections);
    let inputs: Vec<SectionInput> = sections
        .into_iter()
        .map(|s| SectionInput {
            kind: s.kind,
            compression: s.compression,
            target: s.target,
            tier: s.tier,
            stored: s.stored,
            raw_len: s.raw_len,
        })
        .collect();
    let new_payload = payload::encode(
        &index.toolchain,
        &index.engine,
        &index.artifact_version,
        &index.stub_target,
        &inputs,
    );
    write_exe(
        dst,
        &payload::attach(&bare_stub(&bytes[..at]), &new_payload),
    );
}

/// The stub part of a bundle with its section table detached, so it
/// carries no payload.
pub fn bare_stub(stub_part: &[u8]) -> Vec<u8> {
    let mut stub = stub_part.to_vec();
    // e_shoff, e_shnum, e_shstrndx: no section table.
    stub[0x28..0x30].fill(0);
    stub[0x3c..0x40].fill(0);
    stub
}

/// True when `cmd` is on PATH.
pub fn have(cmd: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {cmd}")])
        .output()
        .is_ok_and(|o| o.status.success())
}

/// Fails if `stderr` shows a panic or a backtrace from nyash itself.
pub fn assert_no_backtrace(stderr: &str) {
    for bad in [
        "panicked at",
        "stack backtrace",
        "RUST_BACKTRACE",
        "wasm backtrace",
    ] {
        assert!(!stderr.contains(bad), "unexpected {bad:?} in:\n{stderr}");
    }
}

/// The default launcher of this `nyash` (the platform of `-o` bundles
/// without --target), read from `nyash targets`.
pub fn host_stub_target() -> String {
    let out = nyash_ok(&["targets"]);
    out.stdout
        .lines()
        .find(|l| l.ends_with("(default)"))
        .and_then(|l| l.split_whitespace().next())
        .expect("nyash targets names a default launcher")
        .to_string()
}

/// Bundles `examples/<name>` into `out` with `extra` flags, asserting
/// success; returns `out`.
pub fn bundle_example(name: &str, out: &str, extra: &[&str]) -> String {
    let input = example(name);
    let mut args = vec!["bundle", input.as_str(), "-o", out];
    args.extend_from_slice(extra);
    nyash_ok(&args);
    out.to_string()
}

/// A hello bundle on this machine's launcher that carries native code for
/// `targets` only (foreign ones, typically), written into `dir`.
pub fn hello_on_host_launcher_with(dir: &TempDir, targets: &[&str]) -> String {
    let host = host_stub_target();
    let mut extra = vec!["--platform", host.as_str()];
    for t in targets {
        extra.extend_from_slice(&["--target", t]);
    }
    bundle_example("hello.wat", &dir.path("app"), &extra)
}

/// stdout and stderr of `program` run in `cwd` with `args`, bundled with
/// `flags`, on each path: `[native, wasm, run]` (a bundle's native code, its
/// Pulley fallback, and `nyash run` with the same flags); each must exit 0.
pub fn on_every_path(
    cwd: &TempDir,
    program: &str,
    flags: &[&str],
    args: &[&str],
) -> [(String, String); 3] {
    on_every_path_then(cwd, program, flags, args, &|| {})
}

/// [`on_every_path`], calling `reset` after each run to undo what it wrote.
pub fn on_every_path_then(
    cwd: &TempDir,
    program: &str,
    flags: &[&str],
    args: &[&str],
    reset: &dyn Fn(),
) -> [(String, String); 3] {
    let app = cwd.path("app");
    let mut bundle = vec!["bundle", program, "-o", app.as_str()];
    bundle.extend(flags);
    nyash_ok(&bundle);
    let mut outputs = Vec::new();
    for exec in ["native", "wasm"] {
        let out = run_in(cwd, &app, args, &[("NYASH_EXEC", exec)]);
        assert_eq!(out.status, 0, "{exec}: {out:?}");
        outputs.push((out.stdout, out.stderr));
        reset();
    }
    let out = Command::new(env!("CARGO_BIN_EXE_nyash"))
        .arg("run")
        .args(flags)
        .arg(program)
        .args(args)
        .current_dir(cwd.root())
        .env("XDG_CACHE_HOME", test_cache_home())
        .env_remove("NYASH_EXEC")
        .env_remove("NYASH_TRACE")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(out.status.success(), "nyash run: {out:?}");
    reset();
    outputs.push((
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    ));
    outputs.try_into().unwrap()
}
