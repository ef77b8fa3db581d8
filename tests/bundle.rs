//! End-to-end tests of `nyash bundle` and the executables it produces.
//!
//! Every test runs the real `nyash` binary and the real bundles, and checks
//! what a user would see: stdout, stderr, exit status, files.

mod support;

use std::fs;

use nyash_runtime::engine::WASMTIME_VERSION;
use nyash_runtime::payload::SectionKind;

use support::*;

#[test]
fn hello_wat_bundles_and_runs() {
    let dir = TempDir::new("hello");
    let app = dir.path("hello");
    bundle_example("hello.wat", &app, &[]);
    let out = run(&app, &[], &[]);
    assert_eq!(out.stdout, "Hello, world!\n");
    assert_eq!(out.status, 0);
    assert_eq!(out.stderr, "");
}

#[test]
fn hello_bundle_is_small() {
    let dir = TempDir::new("size");
    let app = dir.path("hello");
    bundle_example("hello.wat", &app, &[]);
    let size = fs::metadata(&app).unwrap().len();
    // The issue's budget for a hello bundle is 1.5 MB.
    assert!(size <= 1_500_000, "hello bundle is {size} bytes");
}

#[test]
fn arguments_reach_the_program_untouched() {
    let probe = probe_bundle();
    let out = run(&probe, &["args", "a b", "--help", "-x", "ünï"], &[]);
    assert_eq!(
        out.stdout,
        "arg[1]=args\narg[2]=a b\narg[3]=--help\narg[4]=-x\narg[5]=ünï\n"
    );
    assert_eq!(out.status, 0);
}

#[test]
fn environment_reaches_the_program() {
    let probe = probe_bundle();
    let out = run(
        &probe,
        &["env", "NYASH_TEST_VALUE", "NYASH_TEST_UNSET"],
        &[("NYASH_TEST_VALUE", "forty two")],
    );
    assert_eq!(
        out.stdout,
        "NYASH_TEST_VALUE=forty two\nNYASH_TEST_UNSET is unset\n"
    );
}

#[test]
fn stdin_and_stderr_round_trip() {
    let probe = probe_bundle();
    let out = run_with_stdin(&probe, &["stdin"], "hello\nwörld\n");
    assert_eq!(out.stdout, "read 13 bytes\nHELLO\nWÖRLD\n");
    let out = run(&probe, &["stderr"], &[]);
    assert_eq!(out.stdout, "to stdout\n");
    assert_eq!(out.stderr, "to stderr\n");
}

#[test]
fn exit_status_passes_through() {
    let probe = probe_bundle();
    for status in [0, 3, 42, 255] {
        let out = run(&probe, &["exit", &status.to_string()], &[]);
        assert_eq!(out.status, status, "{out:?}");
        assert_eq!(out.stdout, format!("exiting with {status}\n"));
    }
}

#[test]
fn program_reads_and_writes_files_in_the_working_directory() {
    let probe = probe_bundle();
    for exec in ["native", "wasm"] {
        let dir = TempDir::new(&format!("files-{exec}"));
        let out = run_in(&dir, &probe, &["files"], &[("NYASH_EXEC", exec)]);
        assert_eq!(
            out.stdout,
            "first line\nsecond line\nsize 23\nwork contains [\"sub\"]\nmoved file exists: true\ndone\n",
            "{exec}: {out:?}"
        );
        assert_eq!(
            fs::read_to_string(dir.path("work/result.txt")).unwrap(),
            "kept\n"
        );
    }
}

/// With `--dir .::.` the program gets the working directory and nothing
/// above it (the default policy reaches above it, like a native program:
/// tests/wasi_host.rs).
#[test]
fn paths_cannot_escape_a_mapped_working_directory() {
    let outer = TempDir::new("escape");
    let probe = outer.path("probe");
    nyash_ok(&[
        "bundle",
        &fixture("probe.wasm"),
        "-o",
        &probe,
        "--dir",
        ".::.",
    ]);
    fs::write(outer.path("secret.txt"), "secret").unwrap();
    let inner = outer.path("inner");
    fs::create_dir(&inner).unwrap();
    #[cfg(unix)]
    std::os::unix::fs::symlink(outer.path("secret.txt"), format!("{inner}/link")).unwrap();
    let dir = TempDir::at(&inner);
    let out = run_in(
        &dir,
        &probe,
        &["escape", "../secret.txt", "link", "sub/../../secret.txt"],
        &[],
    );
    assert!(!out.stdout.contains("escaped"), "{}", out.stdout);
    assert_eq!(out.stdout.matches("refused").count(), 6, "{}", out.stdout);
    assert_eq!(
        fs::read_to_string(outer.path("secret.txt")).unwrap(),
        "secret"
    );
    std::mem::forget(dir);
}

#[test]
fn clock_sleep_and_random_work() {
    let probe = probe_bundle();
    let out = run(&probe, &["clock"], &[]);
    assert_eq!(
        out.stdout,
        "slept at least 30 ms: true\nwall clock after 2020: true\n"
    );
    let out = run(&probe, &["random"], &[]);
    assert_eq!(out.stdout, "random seeds differ: true\n");
}

#[test]
fn fallback_gives_identical_output_and_trace_names_the_path() {
    let probe = probe_bundle();
    let args = ["args", "x", "y"];
    let native = run(
        &probe,
        &args,
        &[("NYASH_EXEC", "native"), ("NYASH_TRACE", "1")],
    );
    let wasm = run(
        &probe,
        &args,
        &[("NYASH_EXEC", "wasm"), ("NYASH_TRACE", "1")],
    );
    let auto = run(&probe, &args, &[]);
    assert_eq!(native.stdout, auto.stdout);
    assert_eq!(wasm.stdout, auto.stdout);
    assert_eq!((native.status, wasm.status), (0, 0));
    assert!(
        native.stderr.contains("running native x86_64"),
        "{}",
        native.stderr
    );
    assert!(
        wasm.stderr.contains("running pulley pulley64"),
        "{}",
        wasm.stderr
    );
    // Without NYASH_TRACE the launcher says nothing.
    assert_eq!(auto.stderr, "");
}

#[test]
fn traps_print_a_readable_message_on_both_paths() {
    let probe = probe_bundle();
    for exec in ["native", "wasm"] {
        let env = [("NYASH_EXEC", exec), ("RUST_BACKTRACE", "0")];
        let out = run(&probe, &["divide", "0"], &env);
        assert_eq!(out.status, 1, "{exec}");
        assert!(
            out.stderr.ends_with(
                "error: the program crashed: unreachable code reached (the program aborted)\n"
            ),
            "{exec}: {}",
            out.stderr
        );
        // The probe's recursion keeps a value in its own stack in linear memory (1 MiB, as
        // Rust's wasm32 targets lay it out), which runs out long before the engine's 64 MiB
        // of WebAssembly stack: the module then reads below address 0.
        let out = run(&probe, &["recurse"], &env);
        assert_eq!(out.status, 1);
        assert_eq!(
            out.stderr,
            "error: the program crashed: out-of-bounds memory access\n"
        );
        assert_no_backtrace(&out.stderr);
    }
}

/// A program that keeps its output in a buffer of its own (as compiled Nyash does) and
/// offers `nyash_flush`: after a trap the host writes that output before the error.
const BUFFERED_THEN_TRAPS: &str = r#"(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 0) "\10\00\00\00\0e\00\00\00")
  (data (i32.const 16) "line 1\nline 2\n")
  (func (export "nyash_flush")
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8))))
  (func (export "_start") unreachable))
"#;

#[test]
fn a_trap_keeps_the_output_the_program_buffered_on_every_path() {
    let dir = TempDir::new("trap-flush");
    let src = write(&dir, "buffered.wat", BUFFERED_THEN_TRAPS);
    let app = dir.path("buffered");
    nyash_ok(&["bundle", &src, "-o", &app]);
    let crashed = "error: the program crashed: unreachable code reached (the program aborted)\n";
    for exec in ["native", "wasm"] {
        let out = run(&app, &[], &[("NYASH_EXEC", exec)]);
        assert_eq!(
            (out.stdout.as_str(), out.stderr.as_str(), out.status),
            ("line 1\nline 2\n", crashed, 1),
            "{exec}"
        );
    }
    let out = nyash(&["run", &src]);
    assert_eq!(
        (out.stdout.as_str(), out.stderr.as_str(), out.status),
        ("line 1\nline 2\n", crashed, 1),
        "nyash run"
    );
}

#[test]
fn foreign_native_targets_only_still_run_through_the_fallback() {
    let dir = TempDir::new("foreign");
    let app = hello_on_host_launcher_with(
        &dir,
        &["aarch64-unknown-linux-gnu", "x86_64-pc-windows-msvc"],
    );
    let out = run(&app, &[], &[("NYASH_TRACE", "1")]);
    assert_eq!(out.stdout, "Hello, world!\n");
    assert!(
        out.stderr.contains("no native code for this host"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("using the portable fallback"),
        "{}",
        out.stderr
    );

    // Forcing native where nothing loads is a clear error, not a crash.
    let out = run(&app, &[], &[("NYASH_EXEC", "native")]);
    assert_eq!(out.status, 125);
    assert!(
        out.stderr.starts_with(
            "error: NYASH_EXEC=native, but no native code in this bundle runs on this host"
        ),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("hint: unset NYASH_EXEC"),
        "{}",
        out.stderr
    );
}

#[test]
fn a_native_artifact_for_the_wrong_architecture_is_rejected_with_a_reason() {
    // Relabel the aarch64 artifact as x86_64 code: the launcher must reject it
    // through wasmtime's own check and fall back, never run it.
    let dir = TempDir::new("relabel");
    let app = hello_on_host_launcher_with(&dir, &["aarch64-unknown-linux-gnu"]);
    let relabelled = dir.path("relabelled");
    rewrite_bundle(&app, &relabelled, |sections| {
        for s in sections.iter_mut() {
            if s.target == "aarch64-unknown-linux-gnu" {
                s.target = "x86_64-unknown-linux-gnu".into();
            }
        }
    });
    let out = run(&relabelled, &[], &[("NYASH_TRACE", "1")]);
    assert_eq!(out.stdout, "Hello, world!\n");
    assert!(
        out.stderr
            .contains("was rejected: Module was compiled for architecture 'aarch64'"),
        "{}",
        out.stderr
    );
}

#[test]
fn no_runnable_artifact_is_a_clear_error() {
    let dir = TempDir::new("norun");
    let app = hello_on_host_launcher_with(&dir, &["aarch64-unknown-linux-gnu"]);
    let stripped = dir.path("nofallback");
    rewrite_bundle(&app, &stripped, |sections| {
        sections.retain(|s| s.kind != nyash_runtime::payload::SectionKind::Pulley)
    });
    let out = run(&stripped, &[], &[]);
    assert_eq!(out.status, 125);
    assert!(
        out.stderr
            .starts_with("error: no code in this bundle can run on this host"),
        "{}",
        out.stderr
    );
    assert!(out
        .stderr
        .contains("hint: rebuild it with `nyash bundle --target"));
}

/// The launcher checks the section it loads, and only that one: a flipped byte in it is
/// reported before any of it is decompressed or run, while one in a section it does not
/// load changes nothing. `nyash inspect` checks every section.
#[test]
fn a_flipped_byte_in_any_section_is_reported_as_corruption() {
    let dir = TempDir::new("flip");
    let app = dir.path("app");
    bundle_example("hello.wat", &app, &[]);
    let bytes = fs::read(&app).unwrap();
    let (payload_at, index) = read_index(&bytes);
    assert_eq!(index.sections.len(), 3);
    for (i, s) in index.sections.iter().enumerate() {
        let mut damaged = bytes.clone();
        let at = payload_at + s.offset as usize + s.stored_len as usize / 2;
        damaged[at] ^= 0x40;
        let path = dir.path(&format!("flipped-{i}"));
        write_exe(&path, &damaged);
        for exec in ["auto", "native", "wasm"] {
            let out = run(&path, &[], &[("NYASH_EXEC", exec)]);
            let loaded = match s.kind {
                nyash_runtime::payload::SectionKind::Native => exec != "wasm",
                nyash_runtime::payload::SectionKind::Pulley => exec == "wasm",
                _ => false,
            };
            if !loaded {
                assert_eq!(out.status, 0, "section {i}, {exec}: {out:?}");
                assert_eq!(out.stdout, "Hello, world!\n");
                continue;
            }
            assert_eq!(out.status, 125, "section {i}, {exec}: {out:?}");
            assert_eq!(out.stdout, "");
            assert!(
                out.stderr.contains(&format!(
                    "the file is corrupt: section {i} ({}) does not match its SHA-256 checksum",
                    s.describe()
                )),
                "{}",
                out.stderr
            );
            assert!(out.stderr.contains("hint: the file is damaged"));
            assert_no_backtrace(&out.stderr);
        }
        // `nyash inspect` reports it too, and fails.
        let out = nyash(&["inspect", &path]);
        assert_eq!(out.status, 1);
        assert!(out.stdout.contains("CORRUPT"), "{}", out.stdout);
    }
}

#[test]
fn truncated_files_give_a_clean_error() {
    let dir = TempDir::new("truncate");
    let app = dir.path("app");
    bundle_example("hello.wat", &app, &[]);
    let bytes = fs::read(&app).unwrap();
    let (payload_at, _) = read_index(&bytes);
    for keep in [
        bytes.len() - 30,
        bytes.len() - 200,
        payload_at + 100,
        payload_at + 1,
        payload_at,
        payload_at - 1000,
        1000,
        10,
        0,
    ] {
        let path = dir.path(&format!("cut-{keep}"));
        write_exe(&path, &bytes[..keep]);
        let out = run(&path, &[], &[]);
        assert_ne!(out.status, 0, "kept {keep} bytes");
        assert_no_backtrace(&out.stderr);
        if keep > payload_at {
            assert_eq!(out.status, 125);
            assert!(
                out.stderr.contains("the file is truncated"),
                "{keep}: {}",
                out.stderr
            );
        }
    }
}

#[test]
fn another_payload_format_version_is_named() {
    let dir = TempDir::new("version");
    let app = dir.path("app");
    bundle_example("hello.wat", &app, &[]);
    let mut bytes = fs::read(&app).unwrap();
    let loc = nyash_runtime::payload::locate(&bytes[..]).unwrap();
    let trailer = (loc.offset + loc.len) as usize - 64;
    assert_eq!(&bytes[trailer..trailer + 8], b"NYASHPLD");
    bytes[trailer + 8..trailer + 12].copy_from_slice(&7u32.to_le_bytes());
    let path = dir.path("v7");
    write_exe(&path, &bytes);
    let out = run(&path, &[], &[]);
    assert_eq!(out.status, 125);
    assert!(
        out.stderr
            .contains("payload format version 7, but this reader supports only versions 1 to 4"),
        "{}",
        out.stderr
    );
}

#[test]
fn the_bare_stub_says_no_program_is_bundled() {
    let dir = TempDir::new("bare");
    let app = dir.path("app");
    bundle_example("hello.wat", &app, &[]);
    let bytes = fs::read(&app).unwrap();
    let (payload_at, _) = read_index(&bytes);
    // The stub as embedded: everything before the payload, with its
    // original section table (the payload added a new one after itself).
    let stub = dir.path("stub");
    write_exe(&stub, &support::bare_stub(&bytes[..payload_at]));
    let out = run(&stub, &["anything"], &[]);
    assert_eq!(out.status, 125);
    assert!(
        out.stderr
            .starts_with("error: no program is bundled in this executable"),
        "{}",
        out.stderr
    );
}

#[test]
fn stripped_bundles_still_run() {
    if !have("strip") {
        eprintln!("SKIPPED: `strip` (binutils) is not installed");
        return;
    }
    let dir = TempDir::new("strip");
    let app = dir.path("app");
    bundle_example("hello.wat", &app, &[]);
    let status = std::process::Command::new("strip")
        .arg(&app)
        .status()
        .unwrap();
    assert!(status.success());
    let out = run(&app, &[], &[("NYASH_TRACE", "1")]);
    assert_eq!(out.stdout, "Hello, world!\n");
    assert!(
        out.stderr.contains("found through the ELF section table"),
        "{}",
        out.stderr
    );
}

#[test]
fn bundling_twice_gives_identical_bytes() {
    let a = TempDir::new("repro-a");
    let b = TempDir::new("repro-b");
    // Different directories and output names must not matter either.
    nyash_ok(&["bundle", &example("hello.wat"), "-o", &a.path("one")]);
    nyash_ok(&[
        "bundle",
        &example("hello.wat"),
        "-o",
        &b.path("two"),
        "--target",
        "aarch64-unknown-linux-gnu",
    ]);
    nyash_ok(&[
        "bundle",
        &example("hello.wat"),
        "-o",
        &a.path("three"),
        "--target",
        "aarch64-unknown-linux-gnu",
    ]);
    let one = fs::read(a.path("one")).unwrap();
    assert_eq!(
        fs::read(b.path("two")).unwrap(),
        fs::read(a.path("three")).unwrap()
    );
    nyash_ok(&["bundle", &example("hello.wat"), "-o", &b.path("one")]);
    assert_eq!(one, fs::read(b.path("one")).unwrap());
}

#[test]
fn inspect_lists_every_section() {
    let dir = TempDir::new("inspect");
    let app = dir.path("app");
    bundle_example(
        "hello.wat",
        &app,
        &[
            "--target",
            "x86_64-unknown-linux-musl",
            "--target",
            "aarch64-apple-darwin",
        ],
    );
    let out = nyash_ok(&["inspect", &app]);
    let engine = format!("wasmtime {WASMTIME_VERSION}");
    for needle in [
        "payload format 4",
        "  env        nothing baked\n  host env   every variable, less NYASH_EXEC and NYASH_TRACE\n  args       nothing baked\n  locked     no: NYASH_EXEC and NYASH_TRACE are obeyed\n",
        "toolchain  nyash 0.1.0",
        &engine,
        "wasm    wasm32-wasip1",
        "native  x86_64-unknown-linux-musl    baseline  zstd",
        "native  aarch64-apple-darwin",
        "pulley  pulley64",
    ] {
        assert!(
            out.stdout.contains(needle),
            "missing {needle:?} in\n{}",
            out.stdout
        );
    }
    let json = nyash_ok(&["inspect", "--json", &app]);
    let doc: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(
        doc["format_version"],
        nyash_runtime::payload::FORMAT_VERSION
    );
    assert_eq!(doc["engine"], engine.as_str());
    assert_eq!(doc["deny_fs"], false);
    assert_eq!(doc["dirs"], serde_json::json!([]));
    assert_eq!(doc["env"], serde_json::json!([]));
    assert_eq!(doc["args"], serde_json::json!([]));
    assert_eq!(doc["env_allow"], serde_json::Value::Null);
    assert_eq!(doc["lock"], false);
    let sections = doc["sections"].as_array().unwrap();
    let kinds: Vec<&str> = sections
        .iter()
        .map(|s| s["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["wasm", "native", "native", "pulley"]);
    for s in sections {
        assert_eq!(s["sha256"].as_str().unwrap().len(), 64);
        assert!(s["raw_size"].as_u64().unwrap() > 0);
        assert_eq!(s["checksum_ok"], true);
    }
    assert_eq!(sections[2]["target"], "aarch64-apple-darwin");
}

#[test]
fn target_all_embeds_every_supported_target() {
    let dir = TempDir::new("all");
    let app = dir.path("app");
    bundle_example("hello.wat", &app, &["--target", "all"]);
    let json = nyash_ok(&["inspect", "--json", &app]);
    let doc: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    let natives: Vec<&str> = doc["sections"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["kind"] == "native")
        .map(|s| s["target"].as_str().unwrap())
        .collect();
    assert_eq!(natives, all_targets());
    assert_eq!(run(&app, &[], &[]).stdout, "Hello, world!\n");
}

/// What `--target all` compiles for: every native target but riscv64, which
/// Cranelift 48 cannot compile a Nyash program's runtime for.
fn all_targets() -> Vec<&'static str> {
    nyash_runtime::targets::NATIVE_TARGETS
        .iter()
        .copied()
        .filter(|t| *t != "riscv64gc-unknown-linux-gnu")
        .collect()
}

#[test]
fn target_all_bundles_a_nyash_program_and_its_native_code_runs() {
    let dir = TempDir::new("all-nyash");
    let app = dir.path("app");
    let out = nyash_ok(&[
        "bundle",
        &example("hello.nyash"),
        "-o",
        &app,
        "--target",
        "all",
    ]);
    assert!(
        out.stderr
            .contains("note: --target all leaves out riscv64gc-unknown-linux-gnu: "),
        "{}",
        out.stderr
    );
    let json = nyash_ok(&["inspect", "--json", &app]);
    let doc: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    let natives: Vec<&str> = doc["sections"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["kind"] == "native")
        .map(|s| s["target"].as_str().unwrap())
        .collect();
    assert_eq!(natives, all_targets());
    for path in ["native", "wasm"] {
        let ran = run(&app, &["Ada", "Grace"], &[("NYASH_EXEC", path)]);
        assert_eq!(ran.status, 0, "{path}: {}", ran.stderr);
        assert_eq!(ran.stdout, "Hello, Ada!\nHello, Grace!\n", "{path}");
    }
}

#[test]
fn riscv64_on_its_own_still_explains_the_compiler_crash() {
    let dir = TempDir::new("riscv64");
    let host = host_stub_target();
    let out = nyash(&[
        "bundle",
        &example("hello.nyash"),
        "-o",
        &dir.path("app"),
        "--platform",
        &host,
        "--target",
        "riscv64gc-unknown-linux-gnu",
    ]);
    assert_eq!(out.status, 1);
    assert!(
        out.stderr
            .contains("compiling native code for riscv64gc-unknown-linux-gnu failed"),
        "{}",
        out.stderr
    );
    assert_no_backtrace(&out.stderr);
}

#[test]
fn bad_input_gets_one_clear_message() {
    let dir = TempDir::new("bad");
    let cases: Vec<(Vec<String>, &str)> = vec![
        (
            vec!["bundle".into(), dir.path("missing.wasm"), "-o".into(), dir.path("o")],
            "error: cannot read the input file",
        ),
        (
            vec!["bundle".into(), write(&dir, "bad.wat", "(module (func (result i32) (i64.const 1)))"), "-o".into(), dir.path("o")],
            "is not a valid WebAssembly module: ",
        ),
        (
            vec!["bundle".into(), write(&dir, "syntax.wat", "(module (func $f (i32.add))"), "-o".into(), dir.path("o")],
            "is not valid WebAssembly text",
        ),
        (
            vec!["bundle".into(), write(&dir, "junk.wasm", "\u{1}\u{2}junk"), "-o".into(), dir.path("o")],
            "is not a valid WebAssembly module",
        ),
        (
            vec!["bundle".into(), example("hello.wat"), "-o".into(), dir.path("o"), "--target".into(), "sparc-sun-solaris".into()],
            "error: unknown target `sparc-sun-solaris`\nhint: valid targets: all, x86_64-unknown-linux-gnu, aarch64-unknown-linux-gnu",
        ),
        (
            vec!["bundle".into(), example("hello.wat"), "-o".into(), "/proc/nyash-cannot-write-here/app".into()],
            "error: cannot write the output to /proc/nyash-cannot-write-here/app",
        ),
        (
            vec!["bundle".into(), example("hello.wat"), "-o".into(), dir.path("")],
            "it is a directory",
        ),
        (
            vec!["bundle".into(), write(&dir, "env.wat", r#"(module (import "env" "print" (func)) (memory (export "memory") 1) (func (export "_start")))"#), "-o".into(), dir.path("o")],
            "imports `env.print`, which the nyash runtime does not provide",
        ),
        (
            vec!["bundle".into(), write(&dir, "badsig.wat", r#"(module (import "wasi_snapshot_preview1" "fd_write" (func (param i32))) (memory (export "memory") 1) (func (export "_start")))"#), "-o".into(), dir.path("o")],
            "imports `wasi_snapshot_preview1.fd_write` with the wrong type",
        ),
        (
            vec!["bundle".into(), write(&dir, "lib.wat", "(module (func (export \"f\")))"), "-o".into(), dir.path("o")],
            "has no `_start` function: it is not a WASI command module",
        ),
        (
            vec!["bundle".into(), example("hello.wat"), "-o".into(), dir.path("o"), "--stub".into(), example("hello.wat")],
            "is not a nyash launcher stub",
        ),
        (
            vec!["inspect".into(), example("hello.wat")],
            "is not a nyash bundle",
        ),
    ];
    for (args, expected) in cases {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = nyash(&args);
        assert_eq!(out.status, 1, "{args:?}: {out:?}");
        assert!(
            out.stderr.starts_with("error: "),
            "{args:?}: {}",
            out.stderr
        );
        assert!(
            out.stderr.contains(expected),
            "{args:?}: expected {expected:?} in\n{}",
            out.stderr
        );
        assert_no_backtrace(&out.stderr);
        assert!(
            !std::path::Path::new(&dir.path("o")).exists(),
            "{args:?} left an output file"
        );
    }
    // Nothing half-written was left behind in the output directory.
    let leftovers: Vec<_> = fs::read_dir(dir.path(""))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.contains("partial"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn a_failed_bundle_keeps_the_previous_output() {
    let dir = TempDir::new("keep");
    let app = dir.path("app");
    bundle_example("hello.wat", &app, &[]);
    let before = fs::read(&app).unwrap();
    let bad = write(&dir, "bad.wat", "(module (func (result i32)))");
    let out = nyash(&["bundle", &bad, "-o", &app]);
    assert_eq!(out.status, 1);
    assert_eq!(fs::read(&app).unwrap(), before);
}

#[test]
fn invalid_nyash_exec_is_an_error() {
    let dir = TempDir::new("exec");
    let app = dir.path("app");
    bundle_example("hello.wat", &app, &[]);
    let out = run(&app, &[], &[("NYASH_EXEC", "jit")]);
    assert_eq!(out.status, 125);
    assert_eq!(
        out.stderr,
        "error: NYASH_EXEC is `jit`, but it must be `native`, `wasm` or `auto`\n"
    );
}

#[test]
fn targets_lists_stubs_and_native_targets() {
    let out = nyash_ok(&["targets"]);
    assert!(out.stdout.contains("(default)"), "{}", out.stdout);
    assert!(out.stdout.contains("aarch64-apple-darwin"));
    assert!(out
        .stdout
        .contains("  riscv64gc-unknown-linux-gnu  (not in --target all; "));
}

#[test]
fn nyash_bundles_do_not_depend_on_the_path_given() {
    // Source locations compiled into the program name files relative to the
    // entry file, so absolute and relative invocations give the same bytes.
    let dir = TempDir::new("nyash-paths");
    let absolute = dir.path("abs");
    bundle_example("hello.nyash", &absolute, &[]);
    let examples = std::path::Path::new(&example("hello.nyash"))
        .parent()
        .unwrap()
        .to_path_buf();
    let relative = dir.path("rel");
    let status = std::process::Command::new(env!("CARGO_BIN_EXE_nyash"))
        .env("XDG_CACHE_HOME", test_cache_home())
        .args(["bundle", "hello.nyash", "-o", &relative])
        .current_dir(&examples)
        .output()
        .unwrap();
    assert!(status.status.success(), "{status:?}");
    assert_eq!(fs::read(&absolute).unwrap(), fs::read(&relative).unwrap());
}

/// A custom section `name` holding `data`, as the binary format writes it.
fn custom_section(name: &str, data: &[u8]) -> Vec<u8> {
    fn leb(mut n: usize, out: &mut Vec<u8>) {
        loop {
            let byte = (n & 0x7f) as u8;
            n >>= 7;
            if n == 0 {
                out.push(byte);
                return;
            }
            out.push(byte | 0x80);
        }
    }
    let mut body = Vec::new();
    leb(name.len(), &mut body);
    body.extend_from_slice(name.as_bytes());
    body.extend_from_slice(data);
    let mut out = vec![0];
    leb(body.len(), &mut out);
    out.extend(body);
    out
}

#[test]
fn debug_information_is_left_out_of_the_bundle() {
    let dir = TempDir::new("dwarf");
    // The probe with 300 KB of DWARF-named sections and a name section behind its code.
    let mut wasm = fs::read(fixture("probe.wasm")).unwrap();
    let plain_len = wasm.len();
    let noise: Vec<u8> = (0..150_000u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8)
        .collect();
    wasm.extend(custom_section(".debug_info", &noise));
    wasm.extend(custom_section("name", &[]));
    wasm.extend(custom_section(".debug_line", &noise));
    let input = dir.path("probe-debug.wasm");
    fs::write(&input, &wasm).unwrap();
    let app = dir.path("app");
    nyash_ok(&["bundle", &input, "-o", &app]);
    let bytes = fs::read(&app).unwrap();
    let (offset, index) = read_index(&bytes);
    let payload = &bytes[offset..];
    let wasm_at = index
        .sections
        .iter()
        .position(|s| s.kind == SectionKind::Wasm)
        .unwrap();
    let section = &index.sections[wasm_at];
    let stored = &payload[section.offset as usize..][..section.stored_len as usize];
    let module = zstd::decode_all(stored).unwrap();
    // The name section stays (traps name their functions); both DWARF sections go.
    assert_eq!(module.len(), plain_len + custom_section("name", &[]).len());
    assert!(!module.windows(7).any(|w| w == b".debug_"));
    for exec in ["native", "wasm"] {
        let out = run(&app, &["args", "x"], &[("NYASH_EXEC", exec)]);
        assert_eq!(out.stdout, "arg[1]=args\narg[2]=x\n", "{exec}: {out:?}");
    }
}
