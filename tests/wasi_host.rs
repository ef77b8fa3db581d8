//! End-to-end tests of the WASI host through real bundles of the probe
//! (`tests/fixtures/probe/`): the file-system policy (`--dir`), directory
//! listings, symlinks, times, terminals and the launcher's own variables.
//! Each test pins a host defect found by running real programs
//! (issue "WASI conformance and hardening") and ran red before its fix.

mod support;

use std::fs;
use std::process::Command;
use std::sync::OnceLock;
use std::time::Instant;

use support::{fixture, nyash, nyash_ok, probe_bundle, run_in, TempDir};

const PATHS: [&str; 2] = ["native", "wasm"];

/// Bundles of the probe: the flags, the directory holding it, its path.
type Bundles = std::sync::Mutex<Vec<(&'static [&'static str], TempDir, String)>>;

/// The probe bundled once with `flags`, cached per flag set.
fn probe_with(flags: &'static [&'static str]) -> String {
    static CACHE: OnceLock<Bundles> = OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    let mut cache = cache.lock().unwrap();
    if let Some((_, _, path)) = cache.iter().find(|(f, _, _)| *f == flags) {
        return path.clone();
    }
    let dir = TempDir::new("probe-dir");
    let app = dir.path("probe");
    let probe = fixture("probe.wasm");
    let mut args = vec!["bundle", probe.as_str(), "-o", app.as_str()];
    args.extend(flags);
    nyash_ok(&args);
    cache.push((flags, dir, app.clone()));
    app
}

fn on_both(dir: &TempDir, exe: &str, args: &[&str]) -> String {
    let mut outputs = Vec::new();
    for exec in PATHS {
        let out = run_in(dir, exe, args, &[("NYASH_EXEC", exec)]);
        assert_eq!(out.status, 0, "{exec} {args:?}: {out:?}");
        outputs.push(out.stdout);
    }
    assert_eq!(
        outputs[0], outputs[1],
        "native and Pulley differ for {args:?}"
    );
    outputs.remove(0)
}

#[test]
fn removing_a_tree_while_listing_it_leaves_nothing_behind() {
    let probe = probe_bundle();
    for exec in PATHS {
        let dir = TempDir::new(&format!("rmtree-{exec}"));
        fs::create_dir(dir.path("big")).unwrap();
        for i in 0..500 {
            fs::write(
                dir.path(&format!("big/entry-with-a-long-name-{i:04}.txt")),
                "x",
            )
            .unwrap();
        }
        let out = run_in(&dir, &probe, &["rmtree", "big"], &[("NYASH_EXEC", exec)]);
        assert_eq!(
            out.stdout, "removed 500 entries while listing, 0 left\n",
            "{exec}: {out:?}"
        );
    }
}

#[test]
fn a_listing_of_10000_entries_is_complete_with_inode_numbers() {
    let probe = probe_bundle();
    let dir = TempDir::new("many");
    fs::create_dir(dir.path("many")).unwrap();
    for i in 0..10_000 {
        fs::write(dir.path(&format!("many/{i:05}")), "").unwrap();
    }
    let started = Instant::now();
    let out = on_both(&dir, &probe, &["list", "many"]);
    eprintln!(
        "two listings of 10,000 entries took {:?}",
        started.elapsed()
    );
    assert_eq!(out, "10000 entries, 0 with inode 0\n");
}

#[test]
fn a_tree_walk_sees_every_file() {
    let probe = probe_bundle();
    let dir = TempDir::new("walk");
    for d in 0..20 {
        for f in 0..25 {
            let path = dir.path(&format!("tree/d{d}/sub/f{f}"));
            fs::create_dir_all(std::path::Path::new(&path).parent().unwrap()).unwrap();
            fs::write(path, "data").unwrap();
        }
    }
    assert_eq!(
        on_both(&dir, &probe, &["walk", "tree"]),
        "500 files in 41 directories\n"
    );
}

#[test]
fn a_dangling_symlink_is_not_found() {
    let probe = probe_bundle();
    let dir = TempDir::new("dangling");
    std::os::unix::fs::symlink("nowhere", dir.path("dangling")).unwrap();
    assert_eq!(
        on_both(&dir, &probe, &["read", "dangling"]),
        "dangling: NotFound\n"
    );
}

#[test]
fn touch_works_on_a_directory() {
    let probe = probe_bundle();
    let dir = TempDir::new("touch");
    fs::create_dir(dir.path("sub")).unwrap();
    let old = filetime_of(&dir.path("sub"));
    std::thread::sleep(std::time::Duration::from_millis(20));
    assert_eq!(
        on_both(&dir, &probe, &["touch", "sub"]),
        "touch sub: errno 0\n"
    );
    assert!(filetime_of(&dir.path("sub")) > old);
}

fn filetime_of(path: &str) -> std::time::SystemTime {
    fs::metadata(path).unwrap().modified().unwrap()
}

#[test]
fn symlinks_are_made_inside_a_mapped_directory_and_cannot_lead_out() {
    let probe = probe_with(&["--dir", "data::/"]);
    let dir = TempDir::new("symlinks");
    fs::create_dir(dir.path("data")).unwrap();
    fs::write(dir.path("data/target.txt"), "inside").unwrap();
    fs::write(dir.path("secret.txt"), "outside").unwrap();
    let make = |exec| {
        run_in(
            &dir,
            &probe,
            &["symlink", "target.txt", "link"],
            &[("NYASH_EXEC", exec)],
        )
    };
    assert_eq!(
        make("native").stdout,
        "symlink link -> target.txt: errno 0\n"
    );
    // The second run finds the link already made by the first.
    assert_eq!(
        make("wasm").stdout,
        "symlink link -> target.txt: errno 20\n"
    );
    assert_eq!(
        fs::read_link(dir.path("data/link")).unwrap().to_str(),
        Some("target.txt")
    );
    assert_eq!(
        on_both(&dir, &probe, &["read", "/link"]),
        "/link: 6 bytes\n"
    );
    // An absolute target is refused; a relative one that climbs out is
    // made, but never followed out.
    let out = on_both(&dir, &probe, &["symlink", "/etc/passwd", "abs"]);
    assert_eq!(out, "symlink abs -> /etc/passwd: errno 76\n");
    run_in(&dir, &probe, &["symlink", "../secret.txt", "up"], &[]);
    assert_eq!(
        fs::read_link(dir.path("data/up")).unwrap().to_str(),
        Some("../secret.txt")
    );
    let out = on_both(&dir, &probe, &["read", "/up"]);
    assert!(!out.contains("bytes"), "{out}");
    let out = on_both(&dir, &probe, &["read", "/../secret.txt"]);
    assert!(!out.contains("bytes"), "{out}");
}

#[test]
fn a_mapped_directory_is_the_only_one_and_can_be_read_only() {
    let probe = probe_with(&["--dir", "data::/::ro"]);
    let dir = TempDir::new("readonly");
    fs::create_dir(dir.path("data")).unwrap();
    fs::write(dir.path("data/file.txt"), "hello").unwrap();
    assert_eq!(
        on_both(&dir, &probe, &["read", "/file.txt"]),
        "/file.txt: 5 bytes\n"
    );
    assert_eq!(
        on_both(&dir, &probe, &["touch", "file.txt"]),
        "touch file.txt: errno 69\n"
    );
    let out = on_both(&dir, &probe, &["symlink", "file.txt", "l"]);
    assert_eq!(out, "symlink l -> file.txt: errno 69\n");
    assert!(!dir.root().join("data/l").exists());
}

#[test]
fn a_missing_mapped_directory_stops_the_launcher_clearly() {
    let probe = probe_with(&["--dir", "data::/"]);
    let dir = TempDir::new("missing-dir");
    let out = run_in(&dir, &probe, &["hello"], &[]);
    assert_eq!(out.status, 125, "{out:?}");
    assert!(out.stderr.starts_with("error: the directory `data`, given to the program as `/` by `--dir`, does not exist here\nhint: the bundle was made with `nyash bundle --dir`"), "{}", out.stderr);
}

#[test]
fn the_default_policy_reaches_above_the_working_directory() {
    let probe = probe_bundle();
    let outer = TempDir::new("above");
    fs::write(outer.path("notes.txt"), "12345").unwrap();
    fs::create_dir(outer.path("inner")).unwrap();
    let inner = TempDir::at(&outer.path("inner"));
    assert_eq!(
        on_both(&inner, &probe, &["read", "../notes.txt"]),
        "../notes.txt: 5 bytes\n"
    );
    std::mem::forget(inner);
}

#[test]
fn the_launcher_variables_are_hidden_from_the_program() {
    let probe = probe_bundle();
    let dir = TempDir::new("hidden");
    let out = run_in(
        &dir,
        &probe,
        &["env", "NYASH_EXEC", "NYASH_TRACE", "OTHER"],
        &[("NYASH_EXEC", "wasm"), ("OTHER", "seen")],
    );
    assert_eq!(
        out.stdout,
        "NYASH_EXEC is unset\nNYASH_TRACE is unset\nOTHER=seen\n"
    );
}

#[test]
fn terminals_are_detected_and_pipes_are_not() {
    let probe = probe_bundle();
    let dir = TempDir::new("tty");
    assert_eq!(
        on_both(&dir, &probe, &["tty"]),
        "stdin false stdout false stderr false\n"
    );
    // A pseudo-terminal on all three streams, through Python's pty module.
    for exec in PATHS {
        let out = Command::new("python3")
            .args([
                "-c",
                "import pty, sys; pty.spawn(sys.argv[1:])",
                &probe,
                "tty",
            ])
            .env("NYASH_EXEC", exec)
            .output()
            .expect("python3 runs");
        let text = String::from_utf8_lossy(&out.stdout);
        assert_eq!(
            text.trim_end(),
            "stdin true stdout true stderr true",
            "{exec}: {out:?}"
        );
    }
}

#[test]
fn bad_dir_flags_get_one_clear_message() {
    let probe = fixture("probe.wasm");
    let dir = TempDir::new("bad-dir");
    let out_path = dir.path("never");
    for (flag, message) in [
        ("a::b::rx", "error: `--dir a::b::rx` ends in `::rx`, but the only access markers are `::ro` and `::rw`\n"),
        ("::/", "error: `--dir ::/` names no host directory\n"),
        ("a::", "error: `--dir a::` gives an empty guest name\n"),
        ("a::b::ro::c", "error: `--dir a::b::ro::c` has 3 `::` separators; the form is HOST[::GUEST[::ro]]\n"),
    ] {
        for command in ["bundle", "run"] {
            let args: Vec<&str> = if command == "bundle" {
                vec!["bundle", &probe, "-o", &out_path, "--dir", flag]
            } else {
                vec!["run", "--dir", flag, &probe, "hello"]
            };
            let out = nyash(&args);
            assert_eq!(out.status, 1, "{args:?}: {out:?}");
            assert!(out.stderr.starts_with(message), "{args:?}: {}", out.stderr);
            assert!(out.stderr.contains("\nhint: write `--dir HOST::GUEST`"), "{}", out.stderr);
            assert!(!out.stderr.contains("panicked"), "{}", out.stderr);
        }
    }
    let out = nyash(&[
        "bundle", &probe, "-o", &out_path, "--dir", "a::/", "--dir", "b::/",
    ]);
    assert_eq!(out.status, 1);
    assert!(
        out.stderr
            .starts_with("error: the guest name `/` is given by two `--dir` mappings\nhint: "),
        "{}",
        out.stderr
    );
    assert!(!std::path::Path::new(&out_path).exists());
}

#[test]
fn nyash_run_takes_the_same_dir_flag() {
    let dir = TempDir::new("run-dir");
    fs::create_dir(dir.path("data")).unwrap();
    fs::write(dir.path("data/file.txt"), "abc").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_nyash"))
        .env("XDG_CACHE_HOME", support::test_cache_home())
        .args([
            "run",
            "--dir",
            "data::/",
            &fixture("probe.wasm"),
            "read",
            "/file.txt",
        ])
        .current_dir(dir.root())
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "/file.txt: 3 bytes\n",
        "{out:?}"
    );
}

#[test]
fn inspect_shows_the_file_system_policy() {
    let probe = probe_with(&["--dir", "data::/::ro"]);
    let out = nyash_ok(&["inspect", "--json", &probe]);
    let doc: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(
        doc["format_version"],
        nyash_runtime::payload::FORMAT_VERSION
    );
    assert_eq!(
        doc["dirs"],
        serde_json::json!([{"host": "data", "guest": "/", "read_only": true}])
    );
    let out = nyash_ok(&["inspect", &probe]);
    assert!(
        out.stdout
            .contains("  files      only data as `/` (read-only)\n"),
        "{}",
        out.stdout
    );
}
