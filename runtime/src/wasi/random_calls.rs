//! A randomized test of the host: thousands of WASI calls with arbitrary
//! arguments, made from the host side against a scratch directory mapped as
//! `/`, must never panic the host and never touch anything outside it.
//! (A deterministic stand-in for a `wasi_calls` fuzz target: the seed is
//! fixed, so a failure reproduces.)

use std::path::Path;

use wasmtime::{Func, Memory, MemoryType, Store, Val, ValType};

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
/// Functions not called: they would sleep for a random time or end the
/// process's standard streams' use in ways unrelated to the sandbox.
const SKIPPED: &[&str] = &["poll_oneoff"];

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        // xorshift64*
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

#[test]
fn random_calls_never_panic_and_never_leave_the_mapping() {
    let base = std::env::temp_dir().join(format!("nyash-random-calls-{}", std::process::id()));
    let scratch = base.join("scratch");
    std::fs::create_dir_all(scratch.join("dir")).unwrap();
    std::fs::write(base.join("outside.txt"), "untouched").unwrap();
    #[cfg(unix)]
    {
        std::os::unix::fs::symlink("../outside.txt", scratch.join("out")).unwrap();
        std::os::unix::fs::symlink("loop", scratch.join("loop")).unwrap();
    }
    let before = listing(&base);

    let engine = crate::engine::build(crate::engine::Target::Host).unwrap();
    let linker = linker(&engine);
    let policy = FsPolicy {
        deny_fs: false,
        dirs: vec![DirGrant::parse(&format!("{}::/", scratch.display())).unwrap()],
    };
    let host = HostState::new(Vec::new(), Vec::new())
        .with_policy(&policy)
        .unwrap();
    let mut store = Store::new(&engine, host);
    let memory = Memory::new(&mut store, MemoryType::new(1, Some(1))).unwrap();
    store.data_mut().memory = Some(memory);
    // Calls may overwrite guest memory, so the paths are written again
    // before each one.
    let write_paths = |store: &mut Store<HostState>| {
        let mut at = PATHS_AT as usize;
        let mut spots = Vec::new();
        for p in PATHS {
            memory.data_mut(&mut *store)[at..at + p.len()].copy_from_slice(p.as_bytes());
            spots.push((at as i64, p.len() as i64));
            at += p.len() + 1;
        }
        spots
    };
    let spots = write_paths(&mut store);

    let mut funcs: Vec<(String, Func)> = linker
        .iter(&mut store)
        .filter(|(m, n, _)| *m == MODULE && !SKIPPED.contains(n))
        .filter_map(|(_, n, e)| e.into_func().map(|f| (n.to_string(), f)))
        .collect();
    // The linker's order changes from run to run; the seeded sequence must not.
    funcs.sort_by(|a, b| a.0.cmp(&b.0));
    let call = |store: &mut Store<HostState>, name: &str, args: &[Val]| {
        let (_, f) = funcs.iter().find(|(n, _)| n == name).unwrap();
        let mut out = vec![Val::I32(0); f.ty(&*store).results().len()];
        let _ = f.call(store, args, &mut out);
    };
    // The standard streams go first, so that no call blocks on stdin or
    // writes into the test's output.
    for fd in 0..3 {
        call(&mut store, "fd_close", &[Val::I32(fd)]);
    }

    let mut rng = Rng(0x0123_4567_89ab_cdef);
    for _ in 0..20_000 {
        let (name, f) = &funcs[rng.below(funcs.len() as u64) as usize];
        let ty = f.ty(&store);
        let mut pending_len = None;
        let args: Vec<Val> = ty
            .params()
            .map(|p| {
                let v: i64 = if let Some(len) = pending_len.take() {
                    len
                } else {
                    match rng.below(8) {
                        // Mostly descriptors that exist: the mapping and what it opened.
                        0..=2 => 3 + rng.below(2) as i64,
                        3 => rng.below(12) as i64,
                        4 | 5 => {
                            let (ptr, len) = spots[rng.below(spots.len() as u64) as usize];
                            pending_len = Some(len);
                            ptr
                        }
                        6 => rng.below(70_000) as i64,
                        7 if rng.below(2) == 0 => -1,
                        _ => rng.next() as i64,
                    }
                };
                match p {
                    ValType::I64 => Val::I64(v),
                    _ => Val::I32(v as i32),
                }
            })
            .collect();
        // Keep the mapping itself open, so the calls keep reaching files.
        let closes_mapping = matches!(name.as_str(), "fd_close" | "fd_renumber")
            && args.iter().any(|a| matches!(a, Val::I32(3)));
        if closes_mapping {
            continue;
        }
        write_paths(&mut store);
        let mut out = vec![Val::I32(0); ty.results().len()];
        // Errors are `proc_exit` or a trap-free failure; a panic would
        // abort the test.
        let _ = f.call(&mut store, &args, &mut out);
        if std::env::var_os("NYASH_TRACE_RANDOM_CALLS").is_some() {
            eprintln!("{name}{args:?} -> {out:?}");
        }
    }

    // The calls did reach the file system: some of them created entries.
    let made = std::fs::read_dir(&scratch).unwrap().count();
    assert!(made > 3, "only {made} entries in the scratch directory");
    assert_eq!(
        listing(&base),
        before,
        "something outside the mapping changed"
    );
    assert_eq!(
        std::fs::read_to_string(base.join("outside.txt")).unwrap(),
        "untouched"
    );
    std::fs::remove_dir_all(&base).unwrap();
}

/// The names directly in `dir` other than the scratch directory, with sizes.
fn listing(dir: &Path) -> Vec<(String, u64)> {
    let mut names: Vec<(String, u64)> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap())
        .filter(|e| e.file_name() != "scratch")
        .map(|e| {
            (
                e.file_name().to_string_lossy().into_owned(),
                e.metadata().unwrap().len(),
            )
        })
        .collect();
    names.sort();
    names
}
