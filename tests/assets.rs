//! End-to-end tests of embedded files (`--include`): a Nyash program and the
//! Rust WASI probe read, list and fail to change them under `/app`, through
//! `nyash run`, the bundle's native code and its Pulley fallback, also after
//! the source files are gone; `nyash inspect` lists them; bad `--include`
//! values are clear errors that write nothing; a damaged embedded file is
//! detected when it is opened.

mod support;

use std::fs;

use sha2::{Digest, Sha256};
use support::{fixture, nyash, nyash_ok, read_index, run_in, write_exe, TempDir};

const NYASH_READER: &str = r#"
static box Main {
    main(args) {
        local f = new FileBox("/app/assets/hello.txt")
        print(f.read())
        print(new FileBox("/app/config.json").read())
        print(new FileBox("/app/assets/sub/deep.txt").read())
        print(new FileBox("/app/assets/link.txt").read())
        print(new FileBox("/app/assets/sub/deep.txt").exists())
        print(new FileBox("/app/assets/missing.txt").exists())
        try {
            f.write("changed")
        } catch (e) {
            print("write: " + e.getMessage())
        }
        try {
            new FileBox("/app/new.txt").write("x")
        } catch (e) {
            print("create: " + e.getMessage())
        }
        try {
            f.delete()
        } catch (e) {
            print("delete: " + e.getMessage())
        }
    }
}
"#;

/// What `NYASH_READER` prints on every path.
const NYASH_EXPECTED: &str = "hello from an asset
{\"level\": 3}
deep
hello from an asset
true
false
write: Cannot write '/app/assets/hello.txt': read-only file system
create: Cannot write '/app/new.txt': read-only file system
delete: Cannot delete '/app/assets/hello.txt': read-only file system
";

/// A project directory: `assets/` (with a subdirectory and an inner symlink)
/// and `data/config.json`, plus `app.nyash`.
fn project(name: &str) -> TempDir {
    let dir = TempDir::new(name);
    fs::create_dir_all(dir.path("assets/sub")).unwrap();
    fs::create_dir_all(dir.path("data")).unwrap();
    fs::write(dir.path("assets/hello.txt"), "hello from an asset").unwrap();
    fs::write(dir.path("assets/sub/deep.txt"), "deep").unwrap();
    fs::write(dir.path("data/config.json"), "{\"level\": 3}").unwrap();
    #[cfg(unix)]
    std::os::unix::fs::symlink("hello.txt", dir.path("assets/link.txt")).unwrap();
    fs::write(dir.path("app.nyash"), NYASH_READER).unwrap();
    dir
}

fn includes(dir: &TempDir) -> [String; 4] {
    [
        "--include".into(),
        dir.path("assets"),
        "--include".into(),
        dir.path("data/config.json"),
    ]
}

/// Runs `program` with `args` through `nyash run --include …` and through
/// a bundle (native and Pulley) made with the same flags, the bundle only
/// after the project's files were deleted; asserts all three print the same
/// and returns it.
fn on_every_path(dir: &TempDir, program: &str, args: &[&str]) -> String {
    on_every_path_with(dir, &[], program, args)
}

/// [`on_every_path`] with more flags for `nyash run` and `nyash bundle`.
fn on_every_path_with(dir: &TempDir, flags: &[&str], program: &str, args: &[&str]) -> String {
    let inc = includes(dir);
    let mut inc: Vec<&str> = inc.iter().map(String::as_str).collect();
    inc.extend(flags);
    let mut run_args = vec!["run"];
    run_args.extend(&inc);
    run_args.push(program);
    run_args.extend(args);
    let ran = nyash(&run_args);
    assert_eq!(ran.status, 0, "nyash run: {ran:?}");

    let out_dir = TempDir::new("bundle-out");
    let app = out_dir.path("app");
    let mut bundle_args = vec!["bundle", program, "-o", &app];
    bundle_args.extend(&inc);
    nyash_ok(&bundle_args);
    fs::remove_dir_all(dir.path("assets")).unwrap();
    fs::remove_dir_all(dir.path("data")).unwrap();
    let elsewhere = TempDir::new("elsewhere");
    for exec in ["native", "wasm"] {
        let out = run_in(&elsewhere, &app, args, &[("NYASH_EXEC", exec)]);
        assert_eq!(out.status, 0, "{exec}: {out:?}");
        assert_eq!(out.stdout, ran.stdout, "{exec} differs from nyash run");
        assert_eq!(out.stderr, ran.stderr, "{exec} differs from nyash run");
    }
    ran.stdout
}

#[cfg(unix)]
#[test]
fn a_nyash_program_reads_embedded_files_and_cannot_change_them() {
    let dir = project("nyash-reader");
    let out = on_every_path(&dir, &dir.path("app.nyash"), &[]);
    assert_eq!(out, NYASH_EXPECTED);
}

/// The embedded files belong to the program: `--deny-fs` and `--dir` do not
/// hide them, from FileBox (which hands paths to the first preopen) or from
/// std::fs (which picks the preopen `/app`).
#[cfg(unix)]
#[test]
fn embedded_files_stay_visible_under_deny_fs_and_dir_mappings() {
    let dir = project("deny-fs");
    let out = on_every_path_with(&dir, &["--deny-fs"], &dir.path("app.nyash"), &[]);
    assert_eq!(out, NYASH_EXPECTED);
    let dir = project("dir-map");
    let out = on_every_path_with(&dir, &["--dir", "/tmp::/"], &dir.path("app.nyash"), &[]);
    assert_eq!(out, NYASH_EXPECTED);
    let dir = project("deny-fs-probe");
    let out = on_every_path_with(
        &dir,
        &["--deny-fs"],
        &fixture("probe.wasm"),
        &["cat", "/app/config.json", "/etc/hostname"],
    );
    assert_eq!(
        out,
        "/app/config.json: \"{\\\"level\\\": 3}\"\n/etc/hostname: NotFound\n"
    );
}

#[cfg(unix)]
#[test]
fn the_wasi_probe_reads_embedded_files_through_std_fs() {
    let dir = project("probe-cat");
    let out = on_every_path(
        &dir,
        &fixture("probe.wasm"),
        &[
            "cat",
            "/app/assets/hello.txt",
            "/app/config.json",
            "/app/assets/sub/deep.txt",
            "/app/assets/sub/../link.txt",
            "/app/assets/missing.txt",
            "/app/assets/hello.txt/x",
        ],
    );
    assert_eq!(
        out,
        "/app/assets/hello.txt: \"hello from an asset\"
/app/config.json: \"{\\\"level\\\": 3}\"
/app/assets/sub/deep.txt: \"deep\"
/app/assets/sub/../link.txt: \"hello from an asset\"
/app/assets/missing.txt: NotFound
/app/assets/hello.txt/x: NotADirectory
"
    );
}

#[cfg(unix)]
#[test]
fn the_wasi_probe_lists_and_stats_the_embedded_tree() {
    let dir = project("probe-ls");
    let out = on_every_path(&dir, &fixture("probe.wasm"), &["ls", "/app"]);
    assert_eq!(out, "assets/, config.json 12\n");
    let dir = project("probe-ls-sub");
    let out = on_every_path(&dir, &fixture("probe.wasm"), &["ls", "/app/assets"]);
    assert_eq!(out, "hello.txt 19, link.txt 19, sub/\n");
    // Raw fd_readdir with small buffers: three entries, each with an inode.
    let dir = project("probe-list");
    let out = on_every_path(&dir, &fixture("probe.wasm"), &["list", "/app/assets"]);
    assert_eq!(out, "3 entries, 0 with inode 0\n");
}

#[cfg(unix)]
#[test]
fn the_wasi_probe_cannot_change_embedded_files() {
    let dir = project("probe-mutate");
    let out = on_every_path(
        &dir,
        &fixture("probe.wasm"),
        &["mutate", "/app/assets/hello.txt"],
    );
    assert_eq!(
        out,
        "write: ReadOnlyFilesystem
append: ReadOnlyFilesystem
remove: ReadOnlyFilesystem
rename: ReadOnlyFilesystem
mkdir: ReadOnlyFilesystem
"
    );
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(unix)]
#[test]
fn inspect_lists_each_embedded_file_with_its_guest_path_size_and_hash() {
    let dir = project("inspect");
    let app = dir.path("app");
    let inc = includes(&dir);
    let probe = fixture("probe.wasm");
    let mut args = vec!["bundle", &probe, "-o", &app];
    args.extend(inc.iter().map(String::as_str));
    nyash_ok(&args);
    let json = nyash_ok(&["inspect", "--json", &app]);
    let doc: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    let assets = doc["assets"].as_array().unwrap();
    let paths: Vec<&str> = assets
        .iter()
        .map(|a| a["guest_path"].as_str().unwrap())
        .collect();
    assert_eq!(
        paths,
        [
            "/app/assets",
            "/app/assets/hello.txt",
            "/app/assets/link.txt",
            "/app/assets/sub",
            "/app/assets/sub/deep.txt",
            "/app/config.json",
        ]
    );
    let config = &assets[5];
    let source = fs::read(dir.path("data/config.json")).unwrap();
    assert_eq!(config["kind"], "file");
    assert_eq!(config["size"], source.len());
    assert_eq!(config["sha256"], hex(&Sha256::digest(&source)));
    assert_eq!(config["checksum_ok"], true);
    assert_eq!(assets[0]["kind"], "directory");
    let table = nyash_ok(&["inspect", &app]).stdout;
    assert!(
        table.contains("embedded files: 4 files in 2 directories, 54 bytes"),
        "{table}"
    );
    assert!(
        table.contains(&format!(
            "        12         12  {} ok      /app/config.json",
            &hex(&Sha256::digest(&source))[..16]
        )),
        "{table}"
    );
}

#[cfg(unix)]
#[test]
fn the_same_files_give_the_same_bytes_whatever_their_times_and_creation_order() {
    let make = |name: &str, order: &[&str], mtime: u64| {
        let dir = TempDir::new(name);
        fs::create_dir(dir.path("assets")).unwrap();
        for n in order {
            let path = dir.path(&format!("assets/{n}"));
            fs::write(&path, format!("contents of {n}")).unwrap();
            let t = std::time::UNIX_EPOCH + std::time::Duration::from_secs(mtime);
            fs::File::options()
                .write(true)
                .open(&path)
                .unwrap()
                .set_modified(t)
                .unwrap();
        }
        let app = dir.path("app");
        nyash_ok(&[
            "bundle",
            &fixture("probe.wasm"),
            "-o",
            &app,
            "--include",
            &dir.path("assets"),
        ]);
        (fs::read(&app).unwrap(), dir)
    };
    let (a, _a) = make("repro-a", &["b.txt", "a.txt", "c.txt"], 1_000_000);
    let (b, _b) = make("repro-b", &["c.txt", "a.txt", "b.txt"], 2_000_000_000);
    assert!(a == b, "bundles of the same files differ");
}

#[cfg(unix)]
#[test]
fn bad_includes_are_clear_errors_and_write_nothing() {
    let dir = project("bad");
    let outside = TempDir::new("bad-outside");
    fs::create_dir(outside.path("assets")).unwrap();
    fs::write(outside.path("assets/x"), "x").unwrap();
    let escaping = TempDir::new("bad-escape");
    fs::create_dir(escaping.path("tree")).unwrap();
    std::os::unix::fs::symlink(outside.path("assets/x"), escaping.path("tree/leak")).unwrap();
    let dangling = TempDir::new("bad-dangling");
    fs::create_dir(dangling.path("tree")).unwrap();
    std::os::unix::fs::symlink("nowhere", dangling.path("tree/gone")).unwrap();
    let looping = TempDir::new("bad-loop");
    fs::create_dir(looping.path("tree")).unwrap();
    std::os::unix::fs::symlink(".", looping.path("tree/again")).unwrap();
    let fifo = TempDir::new("bad-fifo");
    fs::create_dir(fifo.path("tree")).unwrap();
    let made = std::process::Command::new("mkfifo")
        .arg(fifo.path("tree/pipe"))
        .status()
        .unwrap();
    assert!(made.success());

    let cases: Vec<(Vec<String>, String)> = vec![
        (
            vec!["--include".into(), dir.path("nope")],
            format!(
                "error: `--include {}`: no such file or directory\nhint: give a file or directory that exists",
                dir.path("nope")
            ),
        ),
        (
            vec![
                "--include".into(),
                dir.path("assets"),
                "--include".into(),
                outside.path("assets"),
            ],
            format!(
                "error: `--include {}` and `--include {}` both put something at /app/assets\n",
                dir.path("assets"),
                outside.path("assets")
            ),
        ),
        (
            vec!["--include".into(), escaping.path("tree")],
            format!(
                "error: {} is a symlink to {}, outside the included directory {}\n",
                escaping.path("tree/leak"),
                outside.path("assets/x"),
                escaping.path("tree")
            ),
        ),
        (
            vec!["--include".into(), dangling.path("tree")],
            format!(
                "error: {} is a symlink that leads nowhere",
                dangling.path("tree/gone")
            ),
        ),
        (
            vec!["--include".into(), looping.path("tree")],
            format!(
                "error: {} is a symlink to a directory that contains it",
                looping.path("tree/again")
            ),
        ),
        (
            vec!["--include".into(), fifo.path("tree")],
            format!(
                "error: {} is neither a file nor a directory",
                fifo.path("tree/pipe")
            ),
        ),
        (
            vec![
                "--include".into(),
                dir.path("data"),
                "--dir".into(),
                "x::/app".into(),
            ],
            "error: `--dir x::/app` maps a directory to `/app`, where the files of `--include` appear\n".into(),
        ),
    ];
    let out_dir = TempDir::new("bad-out");
    for (flags, expected) in cases {
        let app = out_dir.path("app");
        let mut args = vec![
            "bundle".to_string(),
            fixture("probe.wasm"),
            "-o".into(),
            app.clone(),
        ];
        args.extend(flags.iter().cloned());
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = nyash(&args);
        assert_eq!(out.status, 1, "{flags:?}: {out:?}");
        assert!(
            out.stderr.starts_with(&expected),
            "{flags:?}:\n{}",
            out.stderr
        );
        assert!(out.stderr.contains("\nhint: "), "{flags:?}: {}", out.stderr);
        assert!(
            !std::path::Path::new(&app).exists(),
            "{flags:?} wrote {app}"
        );
        assert_eq!(fs::read_dir(out_dir.root()).unwrap().count(), 0);

        let mut args = vec!["run".to_string()];
        args.extend(flags.iter().cloned());
        args.extend([fixture("probe.wasm"), "hello".into()]);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = nyash(&args);
        assert_eq!(out.status, 1, "run {flags:?}: {out:?}");
        assert!(
            out.stderr.starts_with(&expected),
            "run {flags:?}:\n{}",
            out.stderr
        );
        assert_eq!(out.stdout, "", "run {flags:?} ran the program");
    }
}

/// A file that exists but cannot be read stops the bundle before anything is
/// written. The tests run as root, for whom permissions do not make a file
/// unreadable; `/proc/self/mem` is a regular file whose reads fail (`EIO`).
#[cfg(target_os = "linux")]
#[test]
fn an_unreadable_file_stops_the_bundle_before_anything_is_written() {
    let out_dir = TempDir::new("unreadable-out");
    let app = out_dir.path("app");
    let probe = fixture("probe.wasm");
    let out = nyash(&["bundle", &probe, "-o", &app, "--include", "/proc/self/mem"]);
    assert_eq!(out.status, 1, "{out:?}");
    assert!(
        out.stderr
            .starts_with("error: cannot read /proc/self/mem: Input/output error"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr
            .contains("\nhint: make it readable, or leave it out of --include"),
        "{}",
        out.stderr
    );
    assert_eq!(fs::read_dir(out_dir.root()).unwrap().count(), 0);
}

#[cfg(unix)]
#[test]
fn a_damaged_embedded_file_is_detected_when_it_is_opened() {
    let dir = project("damaged");
    let app = dir.path("app");
    let inc = includes(&dir);
    let probe = fixture("probe.wasm");
    let mut args = vec!["bundle", &probe, "-o", &app];
    args.extend(inc.iter().map(String::as_str));
    nyash_ok(&args);
    let mut bytes = fs::read(&app).unwrap();
    let (at, index) = read_index(&bytes);
    let section = &index.sections[index.assets_section().unwrap()];
    let config = index
        .assets
        .iter()
        .find(|e| e.path == "config.json")
        .unwrap();
    let file = config.file.as_ref().unwrap();
    bytes[at + (section.offset + file.offset) as usize + 3] ^= 0x20;
    let damaged = dir.path("damaged");
    write_exe(&damaged, &bytes);

    for exec in ["native", "wasm"] {
        let out = run_in(
            &dir,
            &damaged,
            &["cat", "/app/assets/hello.txt", "/app/config.json"],
            &[("NYASH_EXEC", exec)],
        );
        assert_eq!(out.status, 0, "{exec}: {out:?}");
        assert_eq!(
            out.stdout,
            "/app/assets/hello.txt: \"hello from an asset\"\n/app/config.json: Uncategorized\n",
            "{exec}"
        );
        assert_eq!(
            out.stderr,
            "error: the bundle is damaged: the file is corrupt: the embedded file `/app/config.json` does not match its SHA-256 checksum\nhint: rebuild it with `nyash bundle`, or copy it again\n",
            "{exec}"
        );
    }
    let out = nyash(&["inspect", &damaged]);
    assert_eq!(out.status, 1);
    assert!(
        out.stdout.contains("CORRUPT /app/config.json"),
        "{}",
        out.stdout
    );
    assert!(
        out.stderr
            .starts_with(&format!("error: {damaged} is damaged: ")),
        "{}",
        out.stderr
    );
}
