//! A sequence of WASI calls with arbitrary arguments, made from the host
//! side against a scratch directory mapped as `/`: the driver behind the
//! `wasi_calls` fuzz target (`fuzz/`) and the seeded test in
//! `random_calls.rs`.
//!
//! What is checked:
//!
//! * no call panics the host (a panic unwinds out of [`run`]);
//! * a call given a pointer or buffer that does not fit in guest memory
//!   returns `FAULT`, or fails earlier on another argument, but never
//!   succeeds (the pointers checked are listed in `POINTERS`);
//! * nothing outside the scratch directory is changed
//!   ([`Scratch::check_untouched`]), and the contents of a file beside it
//!   never reach guest memory.
//!
//! The calls are chosen by [`Choices`]: bytes from the fuzzer ([`Bytes`]) or
//! a seeded generator.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::OnceLock;

use wasmtime::{Engine, Func, Linker, Memory, MemoryType, Store, Val, ValType};

use super::abi::SUCCESS;
use super::{linker, HostState, MODULE};
use crate::policy::{DirGrant, FsPolicy};

/// Paths worth trying, stored in guest memory at `PATHS_AT`.
const PATHS: &[&str] = &[
    "a",
    "a/",
    "b",
    "dir",
    "dir/x",
    "..",
    "../outside.txt",
    "/etc/passwd",
    "dir/../..",
    "out",
    "out/x",
    "loop",
    ".",
    "",
    "dir/../a",
    "a/../../b",
    "\u{0}x",
    "longer-name.txt",
];
const PATHS_AT: u32 = 1024;
/// The guest memory: one page.
const MEMORY_LEN: u64 = 65_536;
/// Functions not called: `poll_oneoff` would sleep for an arbitrary time.
const SKIPPED: &[&str] = &["poll_oneoff"];
/// What the file beside the scratch directory holds; it must never be read.
const SECRET: &[u8] = b"outside the mapping: never read";
/// The program's arguments and environment (one each, so that `args_get`
/// and `environ_get` have something to write).
const ARG: &str = "nyash-fuzz";
const ENV: (&str, &str) = ("K", "v");

/// How many bytes a pointer argument covers.
#[derive(Clone, Copy)]
enum Size {
    /// A fixed number of bytes.
    Fixed(u64),
    /// The argument at this position times a factor (an array or buffer
    /// that the host reads, or writes, in full).
    Arg(usize, u64),
}

/// The pointer arguments of each function, by position, that the host must
/// bounds-check in full. Output buffers the host may fill only partly
/// (`fd_prestat_dir_name`, `fd_readdir`, `path_readlink`) and the iovec
/// buffers inside guest memory are left out.
const POINTERS: &[(&str, &[(usize, Size)])] = &[
    (
        "args_get",
        &[(0, Size::Fixed(4)), (1, Size::Fixed(ARG.len() as u64 + 1))],
    ),
    (
        "args_sizes_get",
        &[(0, Size::Fixed(4)), (1, Size::Fixed(4))],
    ),
    ("clock_res_get", &[(1, Size::Fixed(8))]),
    ("clock_time_get", &[(2, Size::Fixed(8))]),
    ("environ_get", &[(0, Size::Fixed(4)), (1, Size::Fixed(4))]),
    (
        "environ_sizes_get",
        &[(0, Size::Fixed(4)), (1, Size::Fixed(4))],
    ),
    ("fd_fdstat_get", &[(1, Size::Fixed(24))]),
    ("fd_filestat_get", &[(1, Size::Fixed(64))]),
    ("fd_pread", &[(1, Size::Arg(2, 8)), (4, Size::Fixed(4))]),
    ("fd_prestat_get", &[(1, Size::Fixed(8))]),
    ("fd_pwrite", &[(1, Size::Arg(2, 8)), (4, Size::Fixed(4))]),
    ("fd_read", &[(1, Size::Arg(2, 8)), (3, Size::Fixed(4))]),
    ("fd_seek", &[(3, Size::Fixed(8))]),
    ("fd_tell", &[(1, Size::Fixed(8))]),
    ("fd_write", &[(1, Size::Arg(2, 8)), (3, Size::Fixed(4))]),
    ("path_create_directory", &[(1, Size::Arg(2, 1))]),
    (
        "path_filestat_get",
        &[(2, Size::Arg(3, 1)), (4, Size::Fixed(64))],
    ),
    ("path_filestat_set_times", &[(2, Size::Arg(3, 1))]),
    ("path_link", &[(2, Size::Arg(3, 1)), (5, Size::Arg(6, 1))]),
    ("path_open", &[(2, Size::Arg(3, 1)), (8, Size::Fixed(4))]),
    (
        "path_readlink",
        &[(1, Size::Arg(2, 1)), (5, Size::Fixed(4))],
    ),
    ("path_remove_directory", &[(1, Size::Arg(2, 1))]),
    ("path_rename", &[(1, Size::Arg(2, 1)), (4, Size::Arg(5, 1))]),
    (
        "path_symlink",
        &[(0, Size::Arg(1, 1)), (3, Size::Arg(4, 1))],
    ),
    ("path_unlink_file", &[(1, Size::Arg(2, 1))]),
    ("random_get", &[(0, Size::Arg(1, 1))]),
];

/// The most calls one fuzz input makes.
pub const MAX_CALLS: usize = 64;

/// The `wasi_calls` fuzz target: up to [`MAX_CALLS`] calls chosen by `data`
/// against a fresh scratch directory.
pub fn check(data: &[u8]) {
    let scratch = Scratch::new();
    run(&scratch, &mut Bytes(data), MAX_CALLS);
}

/// Where the next choice comes from. `None` ends the sequence.
pub trait Choices {
    /// A number below `n` (`n` > 0).
    fn below(&mut self, n: u64) -> Option<u64>;
    /// Any number.
    fn any(&mut self) -> Option<u64>;
}

/// Choices read from bytes: one byte for a choice among at most 256, two
/// for at most 65,536, eight otherwise; the sequence ends with the bytes.
pub struct Bytes<'a>(pub &'a [u8]);

impl Bytes<'_> {
    fn take(&mut self, n: usize) -> Option<u64> {
        if self.0.is_empty() {
            return None;
        }
        let (head, rest) = self.0.split_at(n.min(self.0.len()));
        self.0 = rest;
        let mut raw = [0u8; 8];
        raw[..head.len()].copy_from_slice(head);
        Some(u64::from_le_bytes(raw))
    }
}

impl Choices for Bytes<'_> {
    fn below(&mut self, n: u64) -> Option<u64> {
        let width = match n {
            0..=256 => 1,
            257..=65_536 => 2,
            _ => 8,
        };
        Some(self.take(width)? % n)
    }

    fn any(&mut self) -> Option<u64> {
        self.take(8)
    }
}

/// A scratch directory, `<base>/scratch`, to map as `/`, with a directory,
/// a symbolic link out of it and one to itself, and a file beside it that
/// no call may change or read. Removed when dropped.
pub struct Scratch {
    base: PathBuf,
    before: Vec<(String, u64)>,
}

impl Scratch {
    /// Makes a fresh scratch directory under the system's temporary
    /// directory.
    pub fn new() -> Scratch {
        static COUNT: AtomicU32 = AtomicU32::new(0);
        let base = std::env::temp_dir().join(format!(
            "nyash-wasi-calls-{}-{}",
            std::process::id(),
            COUNT.fetch_add(1, Ordering::Relaxed)
        ));
        let scratch = base.join("scratch");
        std::fs::create_dir_all(scratch.join("dir")).expect("the scratch directory is made");
        std::fs::write(base.join("outside.txt"), SECRET).expect("the outside file is made");
        #[cfg(unix)]
        {
            std::os::unix::fs::symlink("../outside.txt", scratch.join("out"))
                .expect("a link is made");
            std::os::unix::fs::symlink("loop", scratch.join("loop")).expect("a link is made");
        }
        let before = listing(&base);
        Scratch { base, before }
    }

    /// The directory mapped as `/`.
    pub fn root(&self) -> PathBuf {
        self.base.join("scratch")
    }

    /// Panics if anything outside the scratch directory changed.
    pub fn check_untouched(&self) {
        assert_eq!(
            listing(&self.base),
            self.before,
            "something outside the mapping changed"
        );
        assert_eq!(
            std::fs::read(self.base.join("outside.txt")).expect("the outside file is still there"),
            SECRET,
            "the file outside the mapping changed"
        );
    }
}

impl Default for Scratch {
    fn default() -> Self {
        Scratch::new()
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.base);
    }
}

/// The names directly in `dir` other than the scratch directory, with sizes.
fn listing(dir: &Path) -> Vec<(String, u64)> {
    let mut names: Vec<(String, u64)> = std::fs::read_dir(dir)
        .expect("the base directory is readable")
        .map(|e| e.expect("the base directory is readable"))
        .filter(|e| e.file_name() != "scratch")
        .map(|e| {
            let len = e.metadata().map_or(0, |m| m.len());
            (e.file_name().to_string_lossy().into_owned(), len)
        })
        .collect();
    names.sort();
    names
}

/// The engine and linker, made once per process.
fn host() -> &'static (Engine, Linker<HostState>) {
    static HOST: OnceLock<(Engine, Linker<HostState>)> = OnceLock::new();
    HOST.get_or_init(|| {
        let engine = crate::engine::build(crate::engine::Target::Host).expect("a host engine");
        let linker = linker(&engine);
        (engine, linker)
    })
}

/// Makes up to `max_calls` calls chosen by `choices` against `scratch`
/// mapped as `/`, checking each (see the module docs). Returns the number
/// of calls made.
pub fn run(scratch: &Scratch, choices: &mut impl Choices, max_calls: usize) -> usize {
    let (engine, linker) = host();
    let policy = FsPolicy {
        deny_fs: false,
        dirs: vec![DirGrant {
            host: scratch.root().display().to_string(),
            guest: "/".into(),
            read_only: false,
        }],
        ..FsPolicy::default()
    };
    let host = HostState::new(vec![ARG.into()], vec![(ENV.0.into(), ENV.1.into())])
        .with_policy(&policy)
        .expect("the scratch directory exists");
    let mut store = Store::new(engine, host);
    let memory = Memory::new(&mut store, MemoryType::new(1, Some(1))).expect("one page");
    store.data_mut().memory = Some(memory);

    let mut funcs: Vec<(String, Func)> = linker
        .iter(&mut store)
        .filter(|(m, n, _)| *m == MODULE && !SKIPPED.contains(n))
        .filter_map(|(_, n, e)| e.into_func().map(|f| (n.to_string(), f)))
        .collect();
    // The linker's order changes from run to run; a sequence must not.
    funcs.sort_by(|a, b| a.0.cmp(&b.0));
    // The standard streams go first, so that no call blocks on stdin or
    // writes into the output.
    let (_, close) = funcs
        .iter()
        .find(|(n, _)| n == "fd_close")
        .expect("fd_close is defined");
    for fd in 0..3 {
        let mut out = [Val::I32(0)];
        close
            .call(&mut store, &[Val::I32(fd)], &mut out)
            .expect("fd_close returns");
    }

    let mut made = 0;
    while made < max_calls {
        let Some(pick) = choices.below(funcs.len() as u64) else {
            break;
        };
        let (name, f) = &funcs[pick as usize];
        let Some(args) = arguments(&f.ty(&store), choices) else {
            break;
        };
        // Keep the mapping itself open, so the calls keep reaching files.
        let closes_mapping = matches!(name.as_str(), "fd_close" | "fd_renumber")
            && args.iter().any(|a| matches!(a, Val::I32(3)));
        if closes_mapping {
            continue;
        }
        // Calls may overwrite guest memory, so the paths are written again
        // before each one.
        write_paths(&mut store, memory);
        let mut out = vec![Val::I32(0); f.ty(&store).results().len()];
        let result = f.call(&mut store, &args, &mut out);
        made += 1;
        if std::env::var_os("NYASH_TRACE_RANDOM_CALLS").is_some() {
            eprintln!("{name}{args:?} -> {out:?}");
        }
        // `proc_exit` is the only call that ends in an error, not a number.
        let status = match (result, out.first()) {
            (Ok(()), Some(Val::I32(status))) => Some(*status),
            _ => None,
        };
        if let Some(bad) = bad_pointer(name, &args) {
            assert_ne!(
                status,
                Some(SUCCESS as i32),
                "{name}{args:?} succeeded with argument {bad} outside memory"
            );
        }
        let bytes = memory.data(&store);
        assert!(
            !bytes.windows(SECRET.len()).any(|w| w == SECRET),
            "{name}{args:?} read the file outside the mapping"
        );
    }
    scratch.check_untouched();
    made
}

/// Arguments for a function of type `ty`; `None` when the choices run out.
fn arguments(ty: &wasmtime::FuncType, choices: &mut impl Choices) -> Option<Vec<Val>> {
    let spots = spots();
    let mut pending_len = None;
    let mut args = Vec::new();
    for p in ty.params() {
        let v: i64 = if let Some(len) = pending_len.take() {
            len
        } else {
            match choices.below(9)? {
                // Mostly descriptors that exist: the mapping and what it opened.
                0..=2 => 3 + choices.below(2)? as i64,
                3 => choices.below(12)? as i64,
                4 | 5 => {
                    let (ptr, len) = spots[choices.below(spots.len() as u64)? as usize];
                    pending_len = Some(len);
                    ptr
                }
                6 => choices.below(70_000)? as i64,
                // Just below or past the end of memory.
                7 => MEMORY_LEN as i64 - 16 + choices.below(32)? as i64,
                _ if choices.below(2)? == 0 => -1,
                _ => choices.any()? as i64,
            }
        };
        args.push(match p {
            ValType::I64 => Val::I64(v),
            _ => Val::I32(v as i32),
        });
    }
    Some(args)
}

/// Where each path of [`PATHS`] is stored, and its length.
fn spots() -> &'static [(i64, i64)] {
    static SPOTS: OnceLock<Vec<(i64, i64)>> = OnceLock::new();
    SPOTS.get_or_init(|| {
        let mut at = i64::from(PATHS_AT);
        let mut spots = Vec::new();
        for p in PATHS {
            spots.push((at, p.len() as i64));
            at += p.len() as i64 + 1;
        }
        spots
    })
}

fn write_paths(store: &mut Store<HostState>, memory: Memory) {
    for (p, &(at, _)) in PATHS.iter().zip(spots()) {
        let at = at as usize;
        memory.data_mut(&mut *store)[at..at + p.len()].copy_from_slice(p.as_bytes());
    }
}

/// The position of the first pointer argument of `name` that does not fit
/// in guest memory, if any.
fn bad_pointer(name: &str, args: &[Val]) -> Option<usize> {
    let (_, pointers) = POINTERS.iter().find(|(n, _)| *n == name)?;
    let unsigned = |i: usize| match args.get(i) {
        Some(Val::I32(v)) => u64::from(*v as u32),
        Some(Val::I64(v)) => *v as u64,
        _ => 0,
    };
    pointers.iter().find_map(|&(at, size)| {
        let len = match size {
            Size::Fixed(n) => n,
            Size::Arg(i, factor) => unsigned(i).saturating_mul(factor),
        };
        let fits = unsigned(at)
            .checked_add(len)
            .is_some_and(|end| end <= MEMORY_LEN);
        (len > 0 && !fits).then_some(at)
    })
}
