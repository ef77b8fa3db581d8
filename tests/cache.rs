//! The compilation cache of `nyash run` and `nyash bundle`: hits give the
//! same results as a compile, damaged entries are ignored, and a cache that
//! is off, unwritable or over its bound never stops a command. Every test
//! has a cache home of its own; timings are in `docs/performance.md`.

mod support;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use support::*;

/// Runs `nyash` with only the cache settings given in `env`.
fn nyash_with(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_nyash"));
    cmd.args(args)
        .env_remove("NYASH_CACHE")
        .env_remove("NYASH_CACHE_MAX_MB")
        .env_remove("XDG_CACHE_HOME")
        .env("NO_COLOR", "1")
        .stdin(Stdio::null());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("running nyash");
    Output {
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        status: out.status.code().unwrap_or(-1),
    }
}

/// `nyash run examples/hello.nyash Ada` with the cache under `home`.
fn run_hello(home: &str, extra_env: &[(&str, &str)]) -> Output {
    let mut env = vec![("XDG_CACHE_HOME", home)];
    env.extend_from_slice(extra_env);
    nyash_with(&["run", &example("hello.nyash"), "Ada"], &env)
}

fn assert_hello(out: &Output) {
    assert_eq!(
        (out.status, out.stdout.as_str()),
        (0, "Hello, Ada!\n"),
        "{}",
        out.stderr
    );
}

/// Every file in the cache under `home`.
fn entries(home: &str) -> Vec<PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for entry in fs::read_dir(dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                walk(&path, out);
            } else {
                out.push(path);
            }
        }
    }
    let mut out = Vec::new();
    walk(Path::new(home), &mut out);
    out.sort();
    out
}

fn kinds(files: &[PathBuf]) -> Vec<String> {
    let mut kinds: Vec<String> = files
        .iter()
        .filter_map(|f| f.parent()?.file_name()?.to_str().map(str::to_string))
        .collect();
    kinds.dedup();
    kinds
}

#[test]
fn a_cache_hit_gives_the_same_output_and_entries_live_under_xdg_cache_home() {
    let dir = TempDir::new("cache-hit");
    let home = dir.path("cache");
    let first = run_hello(&home, &[]);
    assert_hello(&first);
    assert_eq!(first.stderr, "");
    let files = entries(&home);
    assert_eq!(kinds(&files), ["functions", "modules"]);
    assert!(files
        .iter()
        .all(|f| f.starts_with(Path::new(&home).join("nyash"))));
    let second = run_hello(&home, &[]);
    assert_hello(&second);
    assert_eq!(second.stderr, "");
    assert_eq!(entries(&home), files, "a hit writes nothing new");

    // Another program shares the runtime's functions.
    let other = write(
        &dir,
        "other.nyash",
        "static box Main {\n    main() {\n        print(\"other\")\n    }\n}\n",
    );
    let out = nyash_with(&["run", &other], &[("XDG_CACHE_HOME", &home)]);
    assert_eq!(
        (out.status, out.stdout.as_str()),
        (0, "other\n"),
        "{}",
        out.stderr
    );
}

#[test]
fn home_is_used_without_xdg_cache_home() {
    let dir = TempDir::new("cache-home");
    let home = dir.path("home");
    fs::create_dir(&home).unwrap();
    let out = nyash_with(&["run", &example("hello.nyash"), "Ada"], &[("HOME", &home)]);
    assert_hello(&out);
    assert!(!entries(&format!("{home}/.cache/nyash")).is_empty());
}

#[test]
fn damaged_entries_are_ignored_and_rebuilt() {
    let dir = TempDir::new("cache-corrupt");
    let home = dir.path("cache");
    assert_hello(&run_hello(&home, &[]));
    let files = damage_every_entry(&home);
    let out = run_hello(&home, &[]);
    assert_hello(&out);
    assert_eq!(out.stderr, "");
    // Rebuilt: the module is stored again, and the next run loads it
    // without writing anything. (A few functions' keys differ from run to
    // run, so some damaged function entries are never looked at again;
    // eviction removes them in time.)
    let rebuilt = entries(&home);
    assert!(rebuilt.len() >= files.len());
    let module = rebuilt
        .iter()
        .find(|f| f.parent().unwrap().ends_with("modules"))
        .unwrap();
    assert!(fs::metadata(module).unwrap().len() > 46);
    assert_hello(&run_hello(&home, &[]));
    assert_eq!(entries(&home), rebuilt);
}

/// Flips a byte in, truncates or empties each cache file; returns them.
fn damage_every_entry(home: &str) -> Vec<PathBuf> {
    let files = entries(home);
    for (i, file) in files.iter().enumerate() {
        let mut bytes = fs::read(file).unwrap();
        match i % 3 {
            // A flipped byte in the code, a truncated file, an empty file.
            0 => *bytes.last_mut().unwrap() ^= 0x40,
            1 => bytes.truncate(bytes.len() / 2),
            _ => bytes.clear(),
        }
        fs::write(file, bytes).unwrap();
    }
    files
}

#[test]
fn nyash_cache_off_writes_nothing() {
    let dir = TempDir::new("cache-off");
    let home = dir.path("cache");
    let out = run_hello(&home, &[("NYASH_CACHE", "off")]);
    assert_hello(&out);
    assert!(!Path::new(&home).exists());
}

#[test]
fn an_unusable_cache_directory_costs_at_most_one_warning() {
    let dir = TempDir::new("cache-unusable");
    // A file where the directory should be: no directory can be made under
    // it, even by root (for whom permissions would not stop a write).
    let blocked = write(&dir, "not-a-directory", "");
    let out = run_hello(&blocked, &[]);
    assert_hello(&out);
    assert_eq!(out.stderr.lines().count(), 1, "{}", out.stderr);
    assert!(out
        .stderr
        .starts_with("warning: cannot write the compilation cache"));

    // Bundling too; the executable is the same as without the cache.
    let app = dir.path("app");
    let out = nyash_with(
        &["bundle", &example("hello.nyash"), "-o", &app],
        &[("XDG_CACHE_HOME", &blocked)],
    );
    assert_eq!(out.status, 0, "{}", out.stderr);
    assert!(out.stderr.lines().count() <= 2, "{}", out.stderr);
    assert_hello(&run(&app, &["Ada"], &[]));

    // No home at all: no cache, no warning.
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_nyash"));
    cmd.args(["run", &example("hello.nyash"), "Ada"])
        .env_remove("XDG_CACHE_HOME")
        .env_remove("HOME")
        .env_remove("NYASH_CACHE");
    let out = cmd.output().unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout), "Hello, Ada!\n");
    assert_eq!(String::from_utf8_lossy(&out.stderr), "");
}

#[test]
fn the_cache_stays_under_its_bound() {
    let dir = TempDir::new("cache-bound");
    let home = dir.path("cache");
    for _ in 0..2 {
        assert_hello(&run_hello(&home, &[("NYASH_CACHE_MAX_MB", "1")]));
        let total: u64 = entries(&home)
            .iter()
            .map(|f| fs::metadata(f).unwrap().len())
            .sum();
        assert!(total <= 1 << 20, "{total} bytes");
    }
}

#[test]
fn function_packs_are_merged_when_many_have_gathered() {
    let dir = TempDir::new("cache-packs");
    let home = dir.path("cache");
    for i in 0..12 {
        let program = write(
            &dir,
            &format!("p{i}.nyash"),
            &format!("static box Main {{\n    main() {{\n        print({i} * 7)\n    }}\n}}\n"),
        );
        let out = nyash_with(&["run", &program], &[("XDG_CACHE_HOME", &home)]);
        assert_eq!((out.status, out.stdout), (0, format!("{}\n", i * 7)));
    }
    let packs = entries(&home)
        .into_iter()
        .filter(|f| f.parent().unwrap().ends_with("functions"))
        .count();
    assert!((1..=9).contains(&packs), "{packs} packs");
}

#[test]
fn concurrent_runs_share_one_cache() {
    let dir = TempDir::new("cache-concurrent");
    let home = dir.path("cache");
    let runs: Vec<_> = (0..4)
        .map(|_| {
            let home = home.clone();
            std::thread::spawn(move || run_hello(&home, &[]))
        })
        .collect();
    for run in runs {
        assert_hello(&run.join().unwrap());
    }
    assert!(entries(&home).iter().all(|f| !f
        .file_name()
        .unwrap()
        .to_string_lossy()
        .starts_with(".tmp")));
    assert_hello(&run_hello(&home, &[]));
}

#[test]
fn bundles_are_the_same_bytes_with_a_warm_cache_and_without_one() {
    let dir = TempDir::new("cache-bundle");
    let home = dir.path("cache");
    let mut outputs = Vec::new();
    for (name, cache) in [
        ("cold", "on"),
        ("warm", "on"),
        ("damaged", "on"),
        ("none", "off"),
    ] {
        if name == "damaged" {
            damage_every_entry(&home);
        }
        let app = dir.path(name);
        let out = nyash_with(
            &["bundle", &example("hello.nyash"), "-o", &app],
            &[("XDG_CACHE_HOME", &home), ("NYASH_CACHE", cache)],
        );
        assert_eq!(out.status, 0, "{}", out.stderr);
        outputs.push(fs::read(&app).unwrap());
    }
    assert!(outputs.iter().all(|o| *o == outputs[0]));
}
