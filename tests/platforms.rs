//! End-to-end tests of executables for other platforms, run where they
//! belong: arm64 Linux under qemu-aarch64, Windows under wine, the static
//! musl launcher directly. macOS executables cannot run on Linux; their
//! format and (on arm64) their ad-hoc code signature, which must cover the
//! payload, are checked with an independent verifier
//! (`tests/fixtures/macho_verify.py`) instead.
//!
//! A platform whose launcher is not embedded in this `nyash`, or whose
//! runner is not installed, is skipped with a loud message; with
//! `NYASH_REQUIRE_PLATFORM_TESTS=1` (set by CI) a skip is a failure instead.

mod support;

use std::collections::BTreeMap;
use std::fs;
use std::process::Command;

use sha2::{Digest, Sha256};
use support::*;

/// How to run an executable of one platform on this machine.
struct Runner {
    /// The program that runs it, if it cannot run directly.
    program: Option<String>,
    env: Vec<(String, String)>,
}

fn skip(what: &str) {
    if std::env::var_os("NYASH_REQUIRE_PLATFORM_TESTS").is_some() {
        panic!("platform test required but skipped: {what}");
    }
    eprintln!("\n*** SKIPPED: {what} ***\n");
}

fn embedded_launchers() -> Vec<String> {
    let out = nyash_ok(&["targets"]);
    out.stdout
        .lines()
        .skip(1)
        .take_while(|l| l.starts_with("  ") && !l.contains("not embedded"))
        .filter_map(|l| l.split_whitespace().next().map(str::to_string))
        .collect()
}

/// True when a launcher for `target` is embedded; otherwise reports the
/// skip (`why`), which fails under NYASH_REQUIRE_PLATFORM_TESTS.
fn launcher_embedded(target: &str, why: &str) -> bool {
    let found = embedded_launchers().iter().any(|l| l == target);
    if !found {
        skip(why);
    }
    found
}

/// A wine prefix with the test-only `bcryptprimitives.dll` shim (wine 8
/// lacks it; Rust's std imports `ProcessPrng` from it on Windows 10+).
fn wine_prefix() -> Option<String> {
    static PREFIX: std::sync::OnceLock<Option<String>> = std::sync::OnceLock::new();
    PREFIX
        .get_or_init(|| {
            if !have("wine") || !have("x86_64-w64-mingw32-gcc") {
                return None;
            }
            let prefix = std::env::temp_dir().join(format!("nyash-wine-{}", std::process::id()));
            let system32 = prefix.join("drive_c/windows/system32");
            let init = Command::new("wine")
                .args(["cmd", "/c", "exit"])
                .env("WINEPREFIX", &prefix)
                .env("WINEDEBUG", "-all")
                .output()
                .ok()?;
            if !system32.is_dir() {
                eprintln!("wine prefix set-up failed: {init:?}");
                return None;
            }
            let shim = fixture("wine/bcryptprimitives.c");
            let def = fixture("wine/bcryptprimitives.def");
            let status = Command::new("x86_64-w64-mingw32-gcc")
                .args(["-O2", "-shared", "-o"])
                .arg(system32.join("bcryptprimitives.dll"))
                .args([&shim, &def, "-ladvapi32"])
                .status()
                .ok()?;
            status
                .success()
                .then(|| prefix.to_string_lossy().into_owned())
        })
        .clone()
}

fn runner_for(target: &str) -> Option<Runner> {
    match target {
        "x86_64-unknown-linux-musl" | "x86_64-unknown-linux-gnu" => Some(Runner {
            program: None,
            env: Vec::new(),
        }),
        "aarch64-unknown-linux-gnu" => ["qemu-aarch64-static", "qemu-aarch64"]
            .into_iter()
            .find(|q| have(q))
            .map(|q| Runner {
                program: Some(q.to_string()),
                env: Vec::new(),
            }),
        "x86_64-pc-windows-gnu" => wine_prefix().map(|prefix| Runner {
            program: Some("wine".to_string()),
            env: vec![
                ("WINEPREFIX".to_string(), prefix),
                ("WINEDEBUG".to_string(), "-all".to_string()),
            ],
        }),
        _ => None,
    }
}

/// The wine runner for Windows bundles, when a Windows launcher is embedded and wine
/// works; otherwise reports the skip.
fn windows_runner() -> Option<Runner> {
    if !launcher_embedded(
        "x86_64-pc-windows-gnu",
        "no x86_64-pc-windows-gnu launcher is embedded",
    ) {
        return None;
    }
    let runner = runner_for("x86_64-pc-windows-gnu");
    if runner.is_none() {
        skip("wine is not installed");
    }
    runner
}

fn run_on(runner: &Runner, exe: &str, args: &[&str], env: &[(&str, &str)]) -> Output {
    run_on_in(runner, None, exe, args, env)
}

/// [`run_on`] in directory `dir` (else this process's).
fn run_on_in(
    runner: &Runner,
    dir: Option<&TempDir>,
    exe: &str,
    args: &[&str],
    env: &[(&str, &str)],
) -> Output {
    let mut all_env: Vec<(&str, &str)> = runner
        .env
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    all_env.extend_from_slice(env);
    let (program, full) = match &runner.program {
        None => (exe, args.to_vec()),
        Some(program) => {
            let mut full = vec![exe];
            full.extend_from_slice(args);
            (program.as_str(), full)
        }
    };
    match dir {
        None => run(program, &full, &all_env),
        Some(dir) => run_in(dir, program, &full, &all_env),
    }
}

/// The format and machine of a file, read with goblin.
fn platform_of(bytes: &[u8]) -> (&'static str, &'static str) {
    match goblin::Object::parse(bytes).expect("an executable") {
        goblin::Object::Elf(elf) => (
            "ELF",
            match elf.header.e_machine {
                goblin::elf::header::EM_X86_64 => "x86_64",
                goblin::elf::header::EM_AARCH64 => "aarch64",
                _ => "other",
            },
        ),
        goblin::Object::PE(pe) => (
            "PE",
            match pe.header.coff_header.machine {
                goblin::pe::header::COFF_MACHINE_X86_64 => "x86_64",
                _ => "other",
            },
        ),
        goblin::Object::Mach(goblin::mach::Mach::Binary(m)) => (
            "Mach-O",
            match m.header.cputype {
                goblin::mach::cputype::CPU_TYPE_X86_64 => "x86_64",
                goblin::mach::cputype::CPU_TYPE_ARM64 => "aarch64",
                _ => "other",
            },
        ),
        _ => ("other", "other"),
    }
}

#[test]
fn out_dir_gives_one_checked_executable_per_platform_and_each_runs() {
    let launchers = embedded_launchers();
    for wanted in ["aarch64-unknown-linux-gnu", "x86_64-pc-windows-gnu"] {
        if !launchers.iter().any(|l| l == wanted) {
            skip(&format!(
                "no {wanted} launcher is embedded (run scripts/setup.sh --cross && scripts/build-stubs.sh, then rebuild)"
            ));
        }
    }
    let dir = TempDir::new("dist");
    let dist = dir.path("dist");
    nyash_ok(&[
        "bundle",
        &fixture("probe.wasm"),
        "--target",
        "all",
        "--out-dir",
        &dist,
    ]);

    // One executable per embedded launcher, named by target, plus SHA256SUMS.
    let sums = fs::read_to_string(format!("{dist}/SHA256SUMS")).unwrap();
    let mut listed = BTreeMap::new();
    for line in sums.lines() {
        let (hash, name) = line.split_once("  ").expect("sha256sum format");
        listed.insert(name.to_string(), hash.to_string());
    }
    let mut files: Vec<String> = fs::read_dir(&dist)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n != "SHA256SUMS")
        .collect();
    files.sort();
    let expected: Vec<String> = launchers
        .iter()
        .map(|t| {
            let exe = if t.contains("windows") { ".exe" } else { "" };
            format!("probe-{t}{exe}")
        })
        .collect();
    assert_eq!(files, expected);
    assert_eq!(listed.keys().cloned().collect::<Vec<_>>(), expected);

    for target in &launchers {
        let exe_name = expected
            .iter()
            .find(|n| n.contains(target.as_str()))
            .unwrap();
        let exe = format!("{dist}/{exe_name}");
        let bytes = fs::read(&exe).unwrap();
        let hash: String = Sha256::digest(&bytes)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(listed[exe_name], hash, "{exe_name}");

        // The right format and machine, and native code for its own target.
        let (format, machine) = platform_of(&bytes);
        let (arch, os) = nyash_runtime::targets::platform(target);
        let want_format = match os {
            "windows" => "PE",
            "darwin" => "Mach-O",
            _ => "ELF",
        };
        assert_eq!(format, want_format, "{target}");
        assert_eq!(machine, arch, "{target}");
        let (_, index) = read_index(&bytes);
        let kinds: Vec<String> = index.sections.iter().map(|s| s.describe()).collect();
        assert_eq!(
            kinds,
            [
                "wasm wasm32-wasip1".to_string(),
                format!("native {target}"),
                "pulley pulley64".to_string()
            ]
        );
        assert_eq!(index.stub_target, *target);

        if os == "darwin" {
            if arch == "aarch64" {
                assert_macho_signature_valid(&exe);
            }
            eprintln!("note: {target} executables cannot run on Linux; checked structurally");
            continue;
        }
        let Some(runner) = runner_for(target) else {
            skip(&format!(
                "no way to run {target} executables here (qemu-user-static / wine / mingw missing)"
            ));
            continue;
        };
        let out = run_on(
            &runner,
            &exe,
            &["args", "a b", "-x"],
            &[("NYASH_TRACE", "1")],
        );
        assert_eq!(
            out.stdout, "arg[1]=args\narg[2]=a b\narg[3]=-x\n",
            "{target}: {out:?}"
        );
        assert!(
            out.stderr.contains(&format!("running native {target}")),
            "{target}: {}",
            out.stderr
        );
        let out = run_on(&runner, &exe, &["exit", "7"], &[]);
        assert_eq!(
            (out.status, out.stdout.as_str()),
            (7, "exiting with 7\n"),
            "{target}"
        );
        let out = run_on(
            &runner,
            &exe,
            &["args", "fallback"],
            &[("NYASH_EXEC", "wasm"), ("NYASH_TRACE", "1")],
        );
        assert_eq!(
            out.stdout, "arg[1]=args\narg[2]=fallback\n",
            "{target}: {out:?}"
        );
        assert!(
            out.stderr.contains("running pulley pulley64"),
            "{target}: {}",
            out.stderr
        );
    }

    // Reproducible: a second run gives an identical dist/.
    let again = dir.path("again");
    nyash_ok(&[
        "bundle",
        &fixture("probe.wasm"),
        "--target",
        "all",
        "--out-dir",
        &again,
    ]);
    for name in expected
        .iter()
        .chain(std::iter::once(&"SHA256SUMS".to_string()))
    {
        assert_eq!(
            fs::read(format!("{dist}/{name}")).unwrap(),
            fs::read(format!("{again}/{name}")).unwrap(),
            "{name} differs between two runs"
        );
    }
}

#[test]
fn a_nyash_program_bundled_for_all_targets_runs_natively_wherever_it_can_run_here() {
    let dir = TempDir::new("dist-nyash");
    let dist = dir.path("dist");
    let out = nyash_ok(&[
        "bundle",
        &example("hello.nyash"),
        "--target",
        "all",
        "--out-dir",
        &dist,
    ]);
    assert!(!out.stderr.contains("failed"), "{}", out.stderr);
    for target in embedded_launchers() {
        let exe = if target.contains("windows") {
            ".exe"
        } else {
            ""
        };
        let exe = format!("{dist}/hello-{target}{exe}");
        assert!(fs::metadata(&exe).is_ok(), "{exe}");
        if target.contains("darwin") {
            eprintln!("note: {target} executables cannot run on Linux; checked by the test above");
            continue;
        }
        let Some(runner) = runner_for(&target) else {
            skip(&format!("no way to run {target} executables here"));
            continue;
        };
        let out = run_on(&runner, &exe, &["Ada"], &[("NYASH_EXEC", "native")]);
        assert_eq!(
            (out.status, out.stdout.as_str()),
            (0, "Hello, Ada!\n"),
            "{target}: {}",
            out.stderr
        );
    }
}

/// A program that talks to itself over loopback: a server task and a client task.
const SELF_TALK: &str = r#"static box Peer {
    talk(port) {
        local c = new SocketBox()
        c.connect("127.0.0.1", port)
        c.write("ping\n")
        return c.readLine()
    }
}
try {
    local server = new SocketBox()
    server.bind("127.0.0.1", 0)
    nowait reply = Peer.talk(server.localPort())
    local conn = server.accept()
    conn.write("pong: " + conn.readLine() + "\n")
    print(await reply)
} catch (e) {
    print(e.getMessage())
}
"#;

#[test]
fn sockets_work_on_every_linux_and_windows_launcher() {
    let dir = TempDir::new("dist-net");
    let src = write(&dir, "net.nyash", SELF_TALK);
    let dist = dir.path("dist");
    nyash_ok(&["bundle", &src, "--target", "all", "--out-dir", &dist]);
    for target in embedded_launchers() {
        if target.contains("darwin") {
            continue;
        }
        let exe = if target.contains("windows") {
            format!("{dist}/net-{target}.exe")
        } else {
            format!("{dist}/net-{target}")
        };
        let Some(runner) = runner_for(&target) else {
            skip(&format!("no way to run {target} executables here"));
            continue;
        };
        let want = "pong: ping\n";
        for exec in ["native", "wasm"] {
            let out = run_on(&runner, &exe, &[], &[("NYASH_EXEC", exec)]);
            assert_eq!(
                (out.status, out.stdout.as_str()),
                (0, want),
                "{target} {exec}: {}",
                out.stderr
            );
        }
    }
}

/// The HTTP server example bundled for Windows, run under wine on the native path and
/// Pulley, answers a client on loopback (routes, keep-alive on one connection, a POST body),
/// and a refused connection is reported, not waited on for ever.
#[test]
fn the_http_server_example_serves_from_the_windows_launcher() {
    use std::io::{BufRead, BufReader, Read, Write};
    use std::net::TcpStream;
    use std::process::Stdio;

    let Some(runner) = windows_runner() else {
        return;
    };
    let dir = TempDir::new("http-windows");
    let app = dir.path("server.exe");
    let src = concat!(env!("CARGO_MANIFEST_DIR"), "/../examples/http-server.nyash");
    nyash_ok(&[
        "bundle",
        src,
        "-o",
        &app,
        "--target",
        "x86_64-pc-windows-gnu",
    ]);
    for exec in ["native", "wasm"] {
        let mut child = Command::new(runner.program.as_deref().unwrap())
            .arg(&app)
            .arg("0")
            .envs(runner.env.iter().map(|(k, v)| (k, v)))
            .env("NYASH_EXEC", exec)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let first = lines.next().and_then(Result::ok).unwrap_or_default();
        let port: u16 = first
            .trim_end()
            .strip_prefix("listening on http://127.0.0.1:")
            .and_then(|s| s.strip_suffix('/'))
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| panic!("{exec}: not a start-up line: {first:?}"));
        let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
        s.set_read_timeout(Some(std::time::Duration::from_secs(30)))
            .unwrap();
        // Two requests on one connection, the second a POST that closes it.
        s.write_all(
            b"GET /hello?name=Ada HTTP/1.1\r\nHost: x\r\n\r\n\
              POST /double HTTP/1.1\r\nContent-Length: 9\r\nConnection: close\r\n\r\n{\"n\": 21}",
        )
        .unwrap();
        let mut reply = String::new();
        s.read_to_string(&mut reply).unwrap();
        let _ = child.kill();
        let _ = child.wait();
        assert!(reply.starts_with("HTTP/1.1 200 OK\r\n"), "{exec}: {reply}");
        assert!(
            reply.contains("\r\n\r\nHello, Ada!\nHTTP/1.1 200 OK\r\n"),
            "{exec}: {reply}"
        );
        assert!(reply.ends_with("{\"double\":42}"), "{exec}: {reply}");
    }

    // A port nobody listens on: the connect fails with a catchable error.
    let free = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let closed = free.local_addr().unwrap().port();
    drop(free);
    let src = write(
        &dir,
        "refused.nyash",
        &format!(
            "try {{ new SocketBox().connect(\"127.0.0.1\", {closed}) }} catch (e) {{ print(e.getMessage()) }}\n"
        ),
    );
    let app = dir.path("refused.exe");
    nyash_ok(&[
        "bundle",
        &src,
        "-o",
        &app,
        "--target",
        "x86_64-pc-windows-gnu",
    ]);
    for exec in ["native", "wasm"] {
        let out = run_on(&runner, &app, &[], &[("NYASH_EXEC", exec)]);
        assert_eq!(
            out.stdout,
            format!("Cannot connect to 127.0.0.1:{closed}: connection refused\n"),
            "{exec}: {out:?}"
        );
    }
}

#[test]
fn a_single_target_gives_an_executable_for_that_platform() {
    if !launcher_embedded(
        "aarch64-unknown-linux-gnu",
        "no aarch64-unknown-linux-gnu launcher is embedded",
    ) {
        return;
    }
    let dir = TempDir::new("single");
    let app = dir.path("app");
    bundle_example(
        "hello.wat",
        &app,
        &["--target", "aarch64-unknown-linux-gnu"],
    );
    let bytes = fs::read(&app).unwrap();
    assert_eq!(platform_of(&bytes), ("ELF", "aarch64"));
    let Some(runner) = runner_for("aarch64-unknown-linux-gnu") else {
        skip("qemu-aarch64 is not installed");
        return;
    };
    assert_eq!(run_on(&runner, &app, &[], &[]).stdout, "Hello, world!\n");
}

#[test]
fn missing_launchers_and_wrong_stubs_are_explained() {
    let dir = TempDir::new("nolauncher");
    let out = nyash(&[
        "bundle",
        &example("hello.wat"),
        "-o",
        &dir.path("app"),
        "--target",
        "x86_64-unknown-freebsd",
    ]);
    assert_eq!(out.status, 1);
    assert!(
        out.stderr
            .starts_with("error: no launcher for x86_64-unknown-freebsd is embedded in this nyash"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("hint: embedded launchers: "),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("--stub PATH"), "{}", out.stderr);
    assert!(out.stderr.contains("--platform"), "{}", out.stderr);

    // A stub for another platform than --platform names what it really is.
    let app = dir.path("hello");
    bundle_example("hello.wat", &app, &[]);
    let bytes = fs::read(&app).unwrap();
    let (payload_at, _) = read_index(&bytes);
    let stub = dir.path("stub");
    write_exe(&stub, &bare_stub(&bytes[..payload_at]));
    let host = host_stub_target();
    // The platform asked for is --platform, or else the first --target.
    for flag in ["--platform", "--target"] {
        let out = nyash(&[
            "bundle",
            &example("hello.wat"),
            "-o",
            &dir.path("x"),
            "--stub",
            &stub,
            flag,
            "aarch64-unknown-linux-gnu",
        ]);
        assert_eq!(out.status, 1, "{flag}");
        assert!(
            out.stderr.contains(&format!(
                "is for {host} (ELF x86_64), not for aarch64-unknown-linux-gnu"
            )),
            "{flag}: {}",
            out.stderr
        );
        assert!(out.stderr.contains("or add --platform"), "{}", out.stderr);
    }
    // The same stub without the conflicting flag is accepted.
    nyash_ok(&[
        "bundle",
        &example("hello.wat"),
        "-o",
        &dir.path("y"),
        "--stub",
        &stub,
    ]);
    assert_eq!(run(&dir.path("y"), &[], &[]).stdout, "Hello, world!\n");

    // --out-dir with launcher-choosing flags is refused.
    let out = nyash(&[
        "bundle",
        &example("hello.wat"),
        "--out-dir",
        &dir.path("d"),
        "--platform",
        &host,
    ]);
    assert_eq!(out.status, 1);
    assert!(
        out.stderr.contains("they go with -o, not --out-dir"),
        "{}",
        out.stderr
    );
}

/// Runs the independent Mach-O signature verifier on `exe`.
fn assert_macho_signature_valid(exe: &str) {
    if !have("python3") {
        skip("python3 is needed to verify Mach-O signatures");
        return;
    }
    let out = Command::new("python3")
        .arg(fixture("macho_verify.py"))
        .arg(exe)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && text.starts_with("ok: "),
        "{exe}: {text}"
    );
}

#[test]
fn macos_arm64_bundles_keep_a_valid_signature_over_the_payload() {
    if !launcher_embedded("aarch64-apple-darwin", "no aarch64-apple-darwin launcher is embedded (scripts/build-stubs.sh needs cargo-zigbuild)") {
        return;
    }
    let dir = TempDir::new("macos");
    let app = dir.path("app");
    nyash_ok(&[
        "bundle",
        &fixture("probe.wasm"),
        "-o",
        &app,
        "--target",
        "aarch64-apple-darwin",
    ]);
    assert_macho_signature_valid(&app);
    // The payload is found through LC_CODE_SIGNATURE and is intact.
    let bytes = fs::read(&app).unwrap();
    let (_, index) = read_index(&bytes);
    assert_eq!(index.stub_target, "aarch64-apple-darwin");
    assert_eq!(nyash(&["inspect", &app]).status, 0);

    // A flipped payload byte breaks both the page hash and the section hash.
    let mut damaged = bytes.clone();
    let loc = nyash_runtime::payload::locate(&bytes[..]).unwrap();
    damaged[(loc.offset + loc.len / 2) as usize] ^= 1;
    let path = dir.path("damaged");
    write_exe(&path, &damaged);
    let out = Command::new("python3")
        .arg(fixture("macho_verify.py"))
        .arg(&path)
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).contains("hash mismatch"));
    assert_eq!(nyash(&["inspect", &path]).status, 1);
}

#[test]
fn windows_bundles_still_run_after_authenticode_signing() {
    if !launcher_embedded(
        "x86_64-pc-windows-gnu",
        "no x86_64-pc-windows-gnu launcher is embedded",
    ) {
        return;
    }
    if !have("osslsigncode") || !have("openssl") {
        skip("osslsigncode and openssl are needed to sign a Windows bundle");
        return;
    }
    let Some(runner) = runner_for("x86_64-pc-windows-gnu") else {
        skip("wine is not installed");
        return;
    };
    let dir = TempDir::new("authenticode");
    let app = dir.path("app.exe");
    nyash_ok(&[
        "bundle",
        &fixture("probe.wasm"),
        "-o",
        &app,
        "--target",
        "x86_64-pc-windows-gnu",
    ]);
    let (cert, signed) = authenticode_sign(&dir, &app);
    assert!(fs::metadata(&signed).unwrap().len() > fs::metadata(&app).unwrap().len());

    // The signature holds, and the launcher still finds its payload.
    let verified = Command::new("osslsigncode")
        .args(["verify", "-CAfile", &cert, "-in", &signed])
        .output()
        .unwrap();
    assert!(verified.status.success(), "{verified:?}");
    let out = run_on(&runner, &signed, &["args", "signed"], &[]);
    assert_eq!(out.stdout, "arg[1]=args\narg[2]=signed\n", "{out:?}");
    let out = run_on(&runner, &signed, &["exit", "3"], &[("NYASH_EXEC", "wasm")]);
    assert_eq!(out.status, 3, "{out:?}");
}

/// `--allow-read`/`--allow-write` on the Windows launcher, whose host walks
/// paths instead of resolving them beneath a descriptor: relative paths,
/// `..` and drive-letter paths (wine shows the Unix root as `Z:`), on the
/// native path and Pulley.
#[test]
fn the_allow_flags_hold_on_the_windows_launcher() {
    let Some(runner) = windows_runner() else {
        return;
    };
    let dir = TempDir::new("allow-windows");
    fs::create_dir_all(dir.path("data")).unwrap();
    fs::create_dir_all(dir.path("out")).unwrap();
    fs::write(dir.path("data/in.txt"), "hello").unwrap();
    fs::write(dir.path("secret.txt"), "secret").unwrap();
    let app = dir.path("app.exe");
    nyash_ok(&[
        "bundle",
        &fixture("probe.wasm"),
        "-o",
        &app,
        "--target",
        "x86_64-pc-windows-gnu",
        "--allow-read=data",
        "--allow-write=out",
    ]);
    let unix = dir.root().canonicalize().unwrap();
    let drive = format!("Z:{}", unix.display());
    let shown = drive.replace('/', "\\");
    let in_dir = |args: &[&str], exec: &str| {
        run_on_in(&runner, Some(&dir), &app, args, &[("NYASH_EXEC", exec)])
    };
    let allowed_abs = format!("{drive}/data/in.txt");
    let refused_abs = format!("{drive}/secret.txt");
    for exec in ["native", "wasm"] {
        let out = in_dir(
            &[
                "cat",
                "data/in.txt",
                &allowed_abs,
                "secret.txt",
                "data/../secret.txt",
                &refused_abs,
            ],
            exec,
        );
        assert_eq!(
            out.stdout,
            format!(
                "data/in.txt: \"hello\"\n{allowed_abs}: \"hello\"\nsecret.txt: PermissionDenied\n\
                 data/../secret.txt: PermissionDenied\n{refused_abs}: PermissionDenied\n"
            ),
            "{exec}: {out:?}"
        );
        let refusal = format!(
            "nyash: refused to read `{shown}\\secret.txt`: this bundle may read files only below `data`, `out` (set by `nyash bundle --allow-read`)\n"
        );
        assert_eq!(out.stderr, refusal.repeat(3), "{exec}");

        let out = in_dir(&["mutate", "data/in.txt"], exec);
        assert!(
            out.stdout
                .starts_with("write: PermissionDenied\nappend: PermissionDenied\n"),
            "{exec}: {out:?}"
        );
        let out = in_dir(&["mutate", "out/new.txt"], exec);
        assert!(out.stdout.starts_with("write: DONE\n"), "{exec}: {out:?}");
        assert_eq!(out.stderr, "", "{exec}");
        let _ = fs::remove_dir_all(dir.path("out/new.txt"));
        let _ = fs::remove_file(dir.path("out/new.txt"));
    }
    assert_eq!(
        fs::read_to_string(dir.path("data/in.txt")).unwrap(),
        "hello"
    );
}

/// What `tests/fixtures/windows/pe_resources.py` (Python's `pefile`) reads
/// from a Windows executable, or `None` (reported as a skip) without pefile.
fn pe_resources(exe: &str) -> Option<String> {
    let have_pefile = Command::new("python3")
        .args(["-c", "import pefile"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !have_pefile {
        skip("Python's pefile is needed to read Windows resources (scripts/setup.sh --cross)");
        return None;
    }
    let out = Command::new("python3")
        .arg(fixture("windows/pe_resources.py"))
        .arg(exe)
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    Some(String::from_utf8(out.stdout).unwrap())
}

fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[test]
fn windows_resources_are_written_read_back_and_survive_signing() {
    if !launcher_embedded(
        "x86_64-pc-windows-gnu",
        "no x86_64-pc-windows-gnu launcher is embedded",
    ) {
        return;
    }
    let dir = TempDir::new("winres");
    let app = dir.path("app.exe");
    let flags = [
        "--target",
        "x86_64-pc-windows-gnu",
        "--windows-icon",
        &fixture("windows/app.ico"),
        "--windows-version",
        "1.2.3.4",
        "--windows-product",
        "Probe App",
        "--windows-company",
        "Nyash Tests",
        "--windows-description",
        "The probe",
        "--windows-copyright",
        "© 2026 nobody",
    ];
    let probe = fixture("probe.wasm");
    let mut args = vec!["bundle", probe.as_str(), "-o", app.as_str()];
    args.extend(flags);
    nyash_ok(&args);
    // The same flags give the same bytes.
    let again = dir.path("again.exe");
    args[3] = again.as_str();
    nyash_ok(&args);
    assert!(fs::read(&app).unwrap() == fs::read(&again).unwrap());

    let ico = fs::read(fixture("windows/app.ico")).unwrap();
    let Some(read) = pe_resources(&app) else {
        return;
    };
    assert_eq!(
        read,
        format!(
            "subsystem 3\nfile_version 1.2.3.4\nproduct_version 1.2.3.4\n\
             string CompanyName = Nyash Tests\nstring FileDescription = The probe\n\
             string FileVersion = 1.2.3.4\nstring LegalCopyright = © 2026 nobody\n\
             string ProductName = Probe App\nstring ProductVersion = 1.2.3.4\n\
             icon_group MAINICON images 1\nicon 16 16 {}\n",
            sha256_hex(&ico[22..])
        )
    );

    // `nyash inspect` shows the same, and `--json` gives every field.
    let icon_hash = sha256_hex(&ico[22..]);
    let out = nyash_ok(&["inspect", &app]);
    assert!(
        out.stdout.contains(&format!(
            "  windows    subsystem console, version 1.2.3.4, CompanyName \"Nyash Tests\", FileDescription \"The probe\", LegalCopyright \"© 2026 nobody\", ProductName \"Probe App\", icon {}\n",
            &icon_hash[..16]
        )),
        "{}",
        out.stdout
    );
    let json = nyash_ok(&["inspect", "--json", &app]);
    let doc: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(doc["windows"]["version"], "1.2.3.4");
    assert_eq!(doc["windows"]["subsystem"], "console");
    assert_eq!(doc["windows"]["icon_sha256"], icon_hash.as_str());
    assert_eq!(
        doc["windows"]["strings"][3],
        serde_json::json!({"name": "LegalCopyright", "value": "© 2026 nobody"})
    );

    // A PNG becomes a one-image icon; `gui` sets the subsystem to 2.
    let png_app = dir.path("png.exe");
    let png = fixture("windows/app.png");
    nyash_ok(&[
        "bundle",
        &probe,
        "-o",
        &png_app,
        "--target",
        "x86_64-pc-windows-gnu",
        "--windows-icon",
        &png,
        "--windows-subsystem",
        "gui",
    ]);
    let read = pe_resources(&png_app).unwrap();
    let png_hash = sha256_hex(&fs::read(&png).unwrap());
    assert_eq!(
        read,
        format!("subsystem 2\nicon_group MAINICON images 1\nicon 16 16 {png_hash}\n")
    );

    let Some(runner) = runner_for("x86_64-pc-windows-gnu") else {
        skip("wine is not installed");
        return;
    };
    for exec in ["native", "wasm"] {
        let out = run_on(&runner, &app, &["args", "x"], &[("NYASH_EXEC", exec)]);
        assert_eq!(out.stdout, "arg[1]=args\narg[2]=x\n", "{exec}: {out:?}");
    }
    if !have("osslsigncode") || !have("openssl") {
        skip("osslsigncode and openssl are needed to sign a Windows bundle");
        return;
    }
    let (cert, signed) = authenticode_sign(&dir, &app);
    let verified = Command::new("osslsigncode")
        .args(["verify", "-CAfile", &cert, "-in", &signed])
        .output()
        .unwrap();
    assert!(verified.status.success(), "{verified:?}");
    assert_eq!(pe_resources(&signed).unwrap(), pe_resources(&app).unwrap());
    let out = run_on(&runner, &signed, &["args", "signed"], &[]);
    assert_eq!(out.stdout, "arg[1]=args\narg[2]=signed\n", "{out:?}");
}

#[test]
fn bad_windows_flags_get_one_clear_message_and_write_nothing() {
    let dir = TempDir::new("winbad");
    let out_path = dir.path("never.exe");
    let probe = fixture("probe.wasm");
    let not_icon = write(&dir, "fake.ico", "this is text, not an icon");
    let win = ["--target", "x86_64-pc-windows-gnu"];
    for (flags, message) in [
        (
            vec!["--windows-version", "1.2.3"],
            "error: `--windows-version 1.2.3` is not a Windows version\nhint: give four numbers".to_string(),
        ),
        (
            vec!["--windows-version", "1.2.3.70000"],
            "error: `--windows-version 1.2.3.70000` is not a Windows version\n".to_string(),
        ),
        (
            vec!["--windows-icon", not_icon.as_str()],
            format!("error: {not_icon} is not a usable icon: it is neither an .ico file nor a PNG\nhint: "),
        ),
        (
            vec!["--windows-icon", "/nonexistent/app.ico"],
            "error: cannot read the icon /nonexistent/app.ico: No such file or directory".to_string(),
        ),
    ] {
        let mut args = vec!["bundle", probe.as_str(), "-o", out_path.as_str()];
        args.extend(win);
        args.extend(flags);
        let out = nyash(&args);
        assert_eq!(out.status, 1, "{args:?}: {out:?}");
        assert!(out.stderr.starts_with(&message), "{args:?}: {}", out.stderr);
        assert!(!std::path::Path::new(&out_path).exists());
    }
    let linux = dir.path("linux");
    let out = nyash(&[
        "bundle",
        &probe,
        "-o",
        &linux,
        "--target",
        "x86_64-unknown-linux-musl",
        "--windows-version",
        "1.0.0.0",
    ]);
    assert_eq!(out.status, 1, "{out:?}");
    assert!(
        out.stderr.starts_with("error: the --windows-* flags describe a Windows executable, but this bundle is for x86_64-unknown-linux-musl\n"),
        "{}",
        out.stderr
    );
    assert!(!std::path::Path::new(&linux).exists());
}

#[test]
fn macos_signatures_carry_the_hardened_runtime_entitlements() {
    if !launcher_embedded("aarch64-apple-darwin", "no aarch64-apple-darwin launcher is embedded (scripts/build-stubs.sh needs cargo-zigbuild)") {
        return;
    }
    if !have("python3") {
        skip("python3 is needed to verify Mach-O signatures");
        return;
    }
    let dir = TempDir::new("entitlements");
    let app = dir.path("app");
    nyash_ok(&[
        "bundle",
        &fixture("probe.wasm"),
        "-o",
        &app,
        "--target",
        "aarch64-apple-darwin",
    ]);
    let verify = |keys: &str| {
        let out = Command::new("python3")
            .arg(fixture("macho_verify.py"))
            .args([app.as_str(), "--entitlements", keys])
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let ok = verify(
        "com.apple.security.cs.allow-jit,com.apple.security.cs.allow-unsigned-executable-memory",
    );
    assert!(
        ok.starts_with("ok: ") && ok.contains("7 special slots, blobs in slots [2, 5, 7]"),
        "{ok}"
    );
    // The verifier is not satisfied by any entitlements: a missing key fails.
    let missing = verify("com.apple.security.cs.allow-jit");
    assert!(
        missing.starts_with("FAIL: XML entitlements are"),
        "{missing}"
    );
    // A flipped byte inside the entitlements blob breaks its special slot.
    let mut bytes = fs::read(&app).unwrap();
    let at = bytes.windows(9).rposition(|w| w == b"<key>com.").unwrap();
    bytes[at + 5] ^= 0x20;
    let damaged = dir.path("damaged");
    write_exe(&damaged, &bytes);
    let out = Command::new("python3")
        .arg(fixture("macho_verify.py"))
        .arg(&damaged)
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "FAIL: special slot 5 hash mismatch\n"
    );
}

/// Signs the Windows executable `app` with a fresh self-signed certificate (openssl, then
/// osslsigncode); returns the certificate's path and the signed executable's.
fn authenticode_sign(dir: &TempDir, app: &str) -> (String, String) {
    let (key, cert, signed) = (
        dir.path("key.pem"),
        dir.path("cert.pem"),
        dir.path("signed.exe"),
    );
    let made = Command::new("openssl")
        .args([
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
        ])
        .args(["-subj", "/CN=nyash test", "-keyout", &key, "-out", &cert])
        .output()
        .unwrap();
    assert!(made.status.success(), "{made:?}");
    let signing = Command::new("osslsigncode")
        .args([
            "sign", "-certs", &cert, "-key", &key, "-in", app, "-out", &signed,
        ])
        .output()
        .unwrap();
    assert!(signing.status.success(), "{signing:?}");
    (cert, signed)
}
