//! End-to-end tests of `--allow-read` and `--allow-write` on every path: a
//! bundle's native code, its Pulley fallback (`NYASH_EXEC=wasm`) and
//! `nyash run` with the same flags, for the Rust WASI probe
//! (`tests/fixtures/probe/`) and a Nyash program.

mod support;

use std::fs;

use support::{fixture, nyash, nyash_ok, on_every_path, on_every_path_then, write, TempDir};

#[test]
fn the_probe_reads_and_writes_only_where_the_flags_allow() {
    let dir = TempDir::new("allow-probe");
    fs::create_dir_all(dir.path("data/sub")).unwrap();
    fs::create_dir(dir.path("out")).unwrap();
    fs::write(dir.path("data/in.txt"), "hello").unwrap();
    fs::write(dir.path("data/sub/deep.txt"), "deep").unwrap();
    fs::write(dir.path("secret.txt"), "secret").unwrap();
    std::os::unix::fs::symlink("../secret.txt", dir.path("data/link")).unwrap();
    std::os::unix::fs::symlink("sub", dir.path("data/inside")).unwrap();
    let root = dir.root().canonicalize().unwrap();
    let root = root.display();
    let probe = fixture("probe.wasm");
    let flags = ["--allow-read=data", "--allow-write=out"];

    let reads = on_every_path(
        &dir,
        &probe,
        &flags,
        &[
            "cat",
            "data/in.txt",
            "data/inside/deep.txt",
            "data/sub/../in.txt",
            "secret.txt",
            "data/../secret.txt",
            "data/link",
        ],
    );
    for (stdout, stderr) in &reads {
        assert_eq!(
            stdout,
            "data/in.txt: \"hello\"\ndata/inside/deep.txt: \"deep\"\ndata/sub/../in.txt: \"hello\"\n\
             secret.txt: PermissionDenied\ndata/../secret.txt: PermissionDenied\ndata/link: PermissionDenied\n"
        );
        assert_eq!(
            stderr,
            &format!(
                "nyash: refused to read `{root}/secret.txt`: this bundle may read files only below `data`, `out` (set by `nyash bundle --allow-read`)\n\
                 nyash: refused to read `{root}/secret.txt`: this bundle may read files only below `data`, `out` (set by `nyash bundle --allow-read`)\n\
                 nyash: refused to read `{root}/data/link`: a symlink below `data` leads outside it (set by `nyash bundle --allow-read`)\n"
            )
        );
    }

    for (i, (stdout, stderr)) in on_every_path(&dir, &probe, &flags, &["mutate", "data/in.txt"])
        .iter()
        .enumerate()
    {
        assert_eq!(
            stdout,
            "write: PermissionDenied\nappend: PermissionDenied\nremove: PermissionDenied\nrename: PermissionDenied\nmkdir: PermissionDenied\n",
            "path {i}"
        );
        assert!(
            stderr.starts_with(&format!("nyash: refused to write `{root}/data/in.txt`: this bundle may write files only below `out` (set by `nyash bundle --allow-write`)\n")),
            "{stderr}"
        );
    }
    assert_eq!(
        fs::read_to_string(dir.path("data/in.txt")).unwrap(),
        "hello"
    );

    let reset = || fs::remove_dir(dir.path("out/new.txt.d")).unwrap();
    for (stdout, stderr) in
        on_every_path_then(&dir, &probe, &flags, &["mutate", "out/new.txt"], &reset)
    {
        assert_eq!(
            stdout,
            "write: DONE\nappend: DONE\nremove: DONE\nrename: NotFound\nmkdir: DONE\n"
        );
        assert_eq!(stderr, "");
    }
}

#[test]
fn a_nyash_program_keeps_the_host_layout_within_the_allowed_paths() {
    let root = TempDir::new("allow-nyash");
    fs::create_dir_all(root.path("allowed")).unwrap();
    fs::create_dir_all(root.path("out")).unwrap();
    fs::create_dir_all(root.path("work")).unwrap();
    fs::write(root.path("allowed/a.txt"), "alpha").unwrap();
    fs::write(root.path("other.txt"), "other").unwrap();
    fs::write(root.path("work/local.txt"), "local").unwrap();
    let abs = root.root().canonicalize().unwrap().display().to_string();
    let work = TempDir::at(&root.path("work"));
    let program = write(
        &work,
        "prog.nyash",
        &format!(
            r#"print(new FileBox("../allowed/a.txt").read())
print(new FileBox("{abs}/allowed/a.txt").read())
try {{ new FileBox("{abs}/other.txt").read() }} catch (e) {{ print(e.getMessage()) }}
try {{ new FileBox("local.txt").read() }} catch (e) {{ print(e.getMessage()) }}
try {{ new FileBox("../allowed/a.txt").write("x") }} catch (e) {{ print(e.getMessage()) }}
new FileBox("{abs}/out/c.txt").write("written")
print(new FileBox("../out/c.txt").read())
"#
        ),
    );
    let write_flag = format!("--allow-write={abs}/out");
    let flags = ["--allow-read=../allowed", write_flag.as_str()];
    let reset = || fs::remove_file(root.path("out/c.txt")).unwrap();
    for (stdout, stderr) in on_every_path_then(&work, &program, &flags, &[], &reset) {
        assert_eq!(
            stdout,
            format!(
                "alpha\nalpha\nCannot read '{abs}/other.txt': permission denied\n\
                 Cannot read 'local.txt': permission denied\n\
                 Cannot write '../allowed/a.txt': permission denied\nwritten\n"
            )
        );
        let allowed = format!("`../allowed`, `{abs}/out`");
        assert_eq!(
            stderr,
            format!(
                "nyash: refused to read `{abs}/other.txt`: this bundle may read files only below {allowed} (set by `nyash bundle --allow-read`)\n\
                 nyash: refused to read `{abs}/work/local.txt`: this bundle may read files only below {allowed} (set by `nyash bundle --allow-read`)\n\
                 nyash: refused to write `{abs}/allowed/a.txt`: this bundle may write files only below `{abs}/out` (set by `nyash bundle --allow-write`)\n"
            )
        );
    }
    std::mem::forget(work);
}

#[test]
fn the_flags_without_paths_allow_everywhere() {
    let dir = TempDir::new("allow-all");
    fs::write(dir.path("f.txt"), "12345").unwrap();
    let probe = fixture("probe.wasm");
    for (stdout, stderr) in on_every_path(&dir, &probe, &["--allow-read"], &["mutate", "f.txt"]) {
        assert!(stdout.starts_with("write: PermissionDenied\n"), "{stdout}");
        assert!(
            stderr
                .contains("this bundle may not write files (set by `nyash bundle --allow-write`)"),
            "{stderr}"
        );
    }
    for (stdout, stderr) in on_every_path(&dir, &probe, &["--allow-read"], &["read", "f.txt"]) {
        assert_eq!(stdout, "f.txt: 5 bytes\n");
        assert_eq!(stderr, "");
    }
    let reset = || fs::remove_dir(dir.path("g.txt.d")).unwrap();
    for (stdout, _) in on_every_path_then(
        &dir,
        &probe,
        &["--allow-write"],
        &["mutate", "g.txt"],
        &reset,
    ) {
        assert_eq!(
            stdout,
            "write: DONE\nappend: DONE\nremove: DONE\nrename: NotFound\nmkdir: DONE\n"
        );
    }
}

#[test]
fn inspect_shows_the_allowed_paths() {
    let dir = TempDir::new("allow-inspect");
    let app = dir.path("app");
    let probe = fixture("probe.wasm");
    nyash_ok(&[
        "bundle",
        &probe,
        "-o",
        &app,
        "--allow-read=data,/etc/hosts",
        "--allow-write=out",
    ]);
    let text = nyash_ok(&["inspect", &app]).stdout;
    assert!(
        text.contains("  files      the working directory as `.`, and the host file system from it; reading below `data`, `/etc/hosts`, `out`, writing below `out` (--allow-read, --allow-write)\n"),
        "{text}"
    );
    let doc: serde_json::Value =
        serde_json::from_str(&nyash_ok(&["inspect", "--json", &app]).stdout).unwrap();
    assert_eq!(
        doc["allow"],
        serde_json::json!([
            {"path": "data", "write": false},
            {"path": "/etc/hosts", "write": false},
            {"path": "out", "write": true},
        ])
    );
}

#[test]
fn bad_allow_flags_get_one_clear_message_and_write_nothing() {
    let dir = TempDir::new("allow-bad");
    let probe = fixture("probe.wasm");
    let app = dir.path("app");
    let cases: [(&[&str], &str); 4] = [
        (
            &["--allow-read=a,,b"],
            "error: `--allow-read=a,,b` contains an empty path\nhint: separate paths with commas",
        ),
        (&["--allow-read=a", "--dir", "a::/"], "cannot be used with"),
        (&["--deny-fs", "--allow-write"], "cannot be used with"),
        (&["--allow-read", "data"], "error:"),
    ];
    for (flags, message) in cases {
        let mut args = vec!["bundle", probe.as_str(), "-o", app.as_str()];
        args.extend(flags);
        let out = nyash(&args);
        assert_ne!(out.status, 0, "{flags:?}");
        assert!(out.stderr.contains(message), "{flags:?}: {}", out.stderr);
        assert!(!out.stderr.contains("panicked"), "{}", out.stderr);
        assert!(
            !std::path::Path::new(&app).exists(),
            "{flags:?} wrote {app}"
        );
        let mut run = vec!["run"];
        run.extend(flags);
        run.extend([probe.as_str(), "hello"]);
        let out = nyash(&run);
        assert_ne!(out.status, 0, "run {flags:?}");
        assert!(
            out.stderr.contains(message),
            "run {flags:?}: {}",
            out.stderr
        );
    }
}
