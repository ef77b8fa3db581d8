//! End-to-end tests of the launch policy (`--env`, `--env-file`, `--arg`,
//! `--env-allow`, `--lock`) through the probe (`tests/fixtures/probe/`) on
//! every path: the bundle's native code, its Pulley fallback
//! (`NYASH_EXEC=wasm`) and `nyash run` with the same flags.

mod support;

use std::fs;
use std::process::{Command, Stdio};

use support::{fixture, nyash, nyash_ok, run_in, write, TempDir};

/// What the program printed on each path, with the bundle made from `flags`
/// and run with `args` and the host variables `env`: `[native, wasm, run]`.
fn on_every_path(
    dir: &TempDir,
    flags: &[&str],
    args: &[&str],
    env: &[(&str, &str)],
) -> [String; 3] {
    let probe = fixture("probe.wasm");
    let app = dir.path("app");
    let mut bundle = vec!["bundle", probe.as_str(), "-o", app.as_str()];
    bundle.extend(flags);
    nyash_ok(&bundle);
    let mut outputs = Vec::new();
    for exec in ["native", "wasm"] {
        let mut vars = env.to_vec();
        vars.push(("NYASH_EXEC", exec));
        let out = run_in(dir, &app, args, &vars);
        assert_eq!(out.status, 0, "{exec}: {out:?}");
        outputs.push(out.stdout);
    }
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_nyash"));
    cmd.arg("run")
        .args(flags)
        .arg(&probe)
        .args(args)
        .current_dir(dir.root())
        .env("XDG_CACHE_HOME", support::test_cache_home())
        .env_remove("NYASH_EXEC")
        .env_remove("NYASH_TRACE")
        .stdin(Stdio::null());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    assert!(out.status.success(), "nyash run: {out:?}");
    outputs.push(String::from_utf8(out.stdout).unwrap());
    outputs.try_into().unwrap()
}

#[test]
fn baked_variables_are_defaults_and_the_allow_list_filters_the_host() {
    let dir = TempDir::new("env");
    let flags = [
        "--env",
        "MODE=baked",
        "--env",
        "FIXED=author",
        "--env",
        "EQUALS=a=b",
        "--env-allow",
        "MODE,KEEP_*",
        "--env-allow",
        "PATH",
    ];
    let names = [
        "env",
        "MODE",
        "FIXED",
        "EQUALS",
        "KEEP_ME",
        "HIDDEN",
        "NYASH_EXEC",
    ];
    let host = [
        ("MODE", "host"),
        ("FIXED", "host"),
        ("KEEP_ME", "kept"),
        ("HIDDEN", "x"),
    ];
    for out in on_every_path(&dir, &flags, &names, &host) {
        assert_eq!(
            out,
            "MODE=host\nFIXED=author\nEQUALS=a=b\nKEEP_ME=kept\nHIDDEN is unset\nNYASH_EXEC is unset\n"
        );
    }
    // Without a host value, the baked default shows.
    for out in on_every_path(&dir, &flags, &["env", "MODE"], &[]) {
        assert_eq!(out, "MODE=baked\n");
    }
    // `--env-allow ""`: no host variable at all, only the baked ones.
    for out in on_every_path(
        &dir,
        &["--env-allow", "", "--env", "ONLY=this"],
        &["env", "ONLY", "HOME", "PATH"],
        &[],
    ) {
        assert_eq!(out, "ONLY=this\nHOME is unset\nPATH is unset\n");
    }
}

#[test]
fn env_files_are_read_by_the_documented_rules() {
    let dir = TempDir::new("env-file");
    let file = write(
        &dir,
        "app.env",
        "# settings\n\nexport GREETING = hello world  # comment\nQUOTED='a # b'\nESCAPED=\"tab\\there\"\nGREETING=again\n",
    );
    let flags = ["--env", "GREETING=flag", "--env-file", &file];
    for out in on_every_path(&dir, &flags, &["env", "GREETING", "QUOTED", "ESCAPED"], &[]) {
        assert_eq!(out, "GREETING=again\nQUOTED=a # b\nESCAPED=tab\there\n");
    }
}

#[test]
fn baked_arguments_come_before_the_users() {
    let dir = TempDir::new("args");
    let flags = ["--arg", "args", "--arg", "two words", "--arg", "--flag"];
    for out in on_every_path(&dir, &flags, &["u1", "-x"], &[]) {
        assert_eq!(
            out,
            "arg[1]=args\narg[2]=two words\narg[3]=--flag\narg[4]=u1\narg[5]=-x\n"
        );
    }
}

/// `NYASH_TRACE` shows which path an unlocked bundle takes; a locked one
/// prints no trace, ignores `NYASH_EXEC` even when it is invalid or asks for
/// native code the bundle lacks, and hides both from the program.
#[test]
fn a_locked_bundle_ignores_the_launcher_variables() {
    let dir = TempDir::new("lock");
    let probe = fixture("probe.wasm");
    let open = dir.path("open");
    let locked = dir.path("locked");
    nyash_ok(&["bundle", &probe, "-o", &open]);
    nyash_ok(&["bundle", &probe, "-o", &locked, "--lock"]);
    let args = ["env", "NYASH_EXEC", "NYASH_TRACE"];
    let hidden = "NYASH_EXEC is unset\nNYASH_TRACE is unset\n";

    let traced = run_in(
        &dir,
        &open,
        &args,
        &[("NYASH_EXEC", "wasm"), ("NYASH_TRACE", "1")],
    );
    assert_eq!(traced.status, 0, "{traced:?}");
    assert!(
        traced.stderr.contains("[nyash] running pulley pulley64"),
        "{}",
        traced.stderr
    );
    assert_eq!(traced.stdout, hidden);
    let traced = run_in(&dir, &open, &args, &[("NYASH_TRACE", "1")]);
    assert!(
        traced.stderr.contains("[nyash] running native x86_64"),
        "{}",
        traced.stderr
    );

    let quiet = run_in(
        &dir,
        &locked,
        &args,
        &[("NYASH_EXEC", "wasm"), ("NYASH_TRACE", "1")],
    );
    assert_eq!((quiet.status, quiet.stderr.as_str()), (0, ""), "{quiet:?}");
    assert_eq!(quiet.stdout, hidden);

    let bad = run_in(&dir, &open, &["hello"], &[("NYASH_EXEC", "fast")]);
    assert_eq!(bad.status, 125, "{bad:?}");
    assert!(
        bad.stderr.starts_with("error: NYASH_EXEC is `fast`"),
        "{}",
        bad.stderr
    );
    let ignored = run_in(&dir, &locked, &["hello"], &[("NYASH_EXEC", "fast")]);
    assert_eq!(ignored.status, 0, "{ignored:?}");
    assert_eq!(ignored.stdout, "Hello from Rust on WASI\n");

    // A bundle without native code for this machine: `NYASH_EXEC=native`
    // fails when obeyed, and the fallback runs when it is ignored.
    let foreign = [
        "--platform",
        "x86_64-unknown-linux-musl",
        "--target",
        "aarch64-unknown-linux-gnu",
    ];
    let open_foreign = dir.path("open-foreign");
    let locked_foreign = dir.path("locked-foreign");
    let mut make = vec!["bundle", probe.as_str(), "-o", open_foreign.as_str()];
    make.extend(foreign);
    nyash_ok(&make);
    make[3] = locked_foreign.as_str();
    make.push("--lock");
    nyash_ok(&make);
    let native = [("NYASH_EXEC", "native")];
    let out = run_in(&dir, &open_foreign, &["hello"], &native);
    assert_eq!(out.status, 125, "{out:?}");
    assert!(
        out.stderr
            .starts_with("error: NYASH_EXEC=native, but no native code"),
        "{}",
        out.stderr
    );
    let out = run_in(&dir, &locked_foreign, &["hello"], &native);
    assert_eq!(
        (out.status, out.stdout.as_str()),
        (0, "Hello from Rust on WASI\n"),
        "{out:?}"
    );
}

#[test]
fn inspect_shows_the_launch_policy() {
    let dir = TempDir::new("inspect");
    let app = dir.path("app");
    nyash_ok(&[
        "bundle",
        &fixture("probe.wasm"),
        "-o",
        &app,
        "--env",
        "MODE=release",
        "--env",
        "GREETING=hello world",
        "--arg",
        "--verbose",
        "--arg",
        "two words",
        "--env-allow",
        "HOME,LC_*",
        "--lock",
    ]);
    let out = nyash_ok(&["inspect", &app]);
    assert!(
        out.stdout.contains(concat!(
            "  env        MODE=release, GREETING=\"hello world\" (defaults: a host value the program may see wins)\n",
            "  host env   only HOME, LC_*\n",
            "  args       --verbose \"two words\" (before the user's)\n",
            "  locked     yes: NYASH_EXEC and NYASH_TRACE are ignored\n",
        )),
        "{}",
        out.stdout
    );
    let json = nyash_ok(&["inspect", "--json", &app]);
    let doc: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(
        doc["format_version"],
        nyash_runtime::payload::FORMAT_VERSION
    );
    assert_eq!(
        doc["env"],
        serde_json::json!([
            {"name": "MODE", "value": "release"},
            {"name": "GREETING", "value": "hello world"},
        ])
    );
    assert_eq!(doc["args"], serde_json::json!(["--verbose", "two words"]));
    assert_eq!(doc["env_allow"], serde_json::json!(["HOME", "LC_*"]));
    assert_eq!(doc["lock"], true);
}

#[test]
fn the_same_flags_give_the_same_bytes() {
    let dir = TempDir::new("same");
    let env_file = write(&dir, "a.env", "B=2\nA=1\n");
    let mut bytes = Vec::new();
    for name in ["one", "two"] {
        let app = dir.path(name);
        nyash_ok(&[
            "bundle",
            &fixture("probe.wasm"),
            "-o",
            &app,
            "--env-file",
            &env_file,
            "--env",
            "C=3",
            "--arg",
            "x",
            "--env-allow",
            "HOME",
            "--lock",
        ]);
        // Another timestamp on the env file changes nothing.
        fs::write(&env_file, "B=2\nA=1\n").unwrap();
        bytes.push(fs::read(&app).unwrap());
    }
    assert!(bytes[0] == bytes[1], "the two bundles differ");
}

#[test]
fn bad_launch_flags_get_one_clear_message_and_write_nothing() {
    let dir = TempDir::new("bad");
    let probe = fixture("probe.wasm");
    let out_path = dir.path("never");
    let bad_line = write(&dir, "bad.env", "# fine\nA=1\nthis line is wrong\n");
    let bad_quote = write(&dir, "quote.env", "A='open\n");
    let not_utf8 = dir.path("latin1.env");
    fs::write(&not_utf8, b"A=1\nB=caf\xe9\n").unwrap();
    let missing = dir.path("missing.env");
    let cases: Vec<(Vec<&str>, String)> = vec![
        (
            vec!["--env", "NOEQUALS"],
            "error: `--env NOEQUALS` has no `=`; the form is KEY=VALUE\nhint: write `--env KEY=VALUE`".into(),
        ),
        (
            vec!["--env", "=value"],
            "error: `--env =value`: the variable name is empty\n".into(),
        ),
        (
            vec!["--env-file", &bad_line],
            format!("error: {bad_line}:3: the line has no `=`; each line is KEY=VALUE\nhint: each line is KEY=VALUE"),
        ),
        (
            vec!["--env-file", &bad_quote],
            format!("error: {bad_quote}:1: the value's opening ' is not closed on this line\n"),
        ),
        (
            vec!["--env-file", &not_utf8],
            format!("error: {not_utf8}:2: the env file is not UTF-8 text\n"),
        ),
        (
            vec!["--env-file", &missing],
            format!("error: cannot read the env file {missing}: No such file or directory"),
        ),
        (
            vec!["--env", "NYASH_EXEC=wasm"],
            "error: `NYASH_EXEC` is the launcher's own variable, which a program never sees; it cannot be baked\nhint: use --lock".into(),
        ),
        (
            vec!["--env-allow", "A*B"],
            "error: `--env-allow A*B`: `A*B` has a `*` that is not at its end\n".into(),
        ),
        (
            vec!["--env-allow", "A=B"],
            "error: `--env-allow A=B`: `A=B`: a variable name cannot contain `=`\n".into(),
        ),
    ];
    for (flags, message) in &cases {
        for command in ["bundle", "run"] {
            let mut args: Vec<&str> = if command == "bundle" {
                vec!["bundle", &probe, "-o", &out_path]
            } else {
                vec!["run"]
            };
            args.extend(flags);
            if command == "run" {
                args.extend([probe.as_str(), "hello"]);
            }
            let out = nyash(&args);
            assert_eq!(out.status, 1, "{args:?}: {out:?}");
            assert!(
                out.stderr.starts_with(message.as_str()),
                "{args:?}: {}",
                out.stderr
            );
            assert!(!out.stderr.contains("panicked"), "{}", out.stderr);
            assert_eq!(out.stdout, "", "{args:?}");
        }
        assert!(!std::path::Path::new(&out_path).exists(), "{flags:?}");
    }
}
