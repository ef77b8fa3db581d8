//! `--watch`: `nyash run --watch` runs the program again when the main file and then an
//! included file change, and a save that does not compile shows its diagnostic and keeps the
//! last good run; files under `--include` are inputs too, for `run` and `bundle`.

mod support;

use std::io::{BufRead, BufReader, Read};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use support::*;

fn main_v(n: u32) -> String {
    format!("include \"lib.nyash\"\nprint(\"main v{n} \" + Lib.v())\n")
}

fn lib_v(n: u32) -> String {
    format!("static box Lib {{\n    v() {{ return \"lib v{n}\" }}\n}}\n")
}

#[test]
fn run_watch_reruns_on_changes_and_keeps_the_last_good_run() {
    let dir = TempDir::new("watch");
    let _ = write(&dir, "main.nyash", &main_v(1));
    let _ = write(&dir, "lib.nyash", &lib_v(1));
    let (mut child, rx) = spawn_lines(&dir, &["run", "--watch", "main.nyash"]);
    let stderr_text = Arc::new(Mutex::new(String::new()));
    let sink = Arc::clone(&stderr_text);
    let mut stderr = child.stderr.take().unwrap();
    std::thread::spawn(move || {
        let mut buf = [0u8; 4096];
        while let Ok(n) = stderr.read(&mut buf) {
            if n == 0 {
                break;
            }
            sink.lock()
                .unwrap()
                .push_str(&String::from_utf8_lossy(&buf[..n]));
        }
    });
    let next = |what: &str| {
        rx.recv_timeout(Duration::from_secs(30))
            .unwrap_or_else(|_| {
                panic!("no output {what}; stderr:\n{}", stderr_text.lock().unwrap())
            })
    };
    // Waits until the watcher is idle again, so that a save is not lost in its start-up.
    let settle = || std::thread::sleep(Duration::from_millis(700));

    assert_eq!(next("at first"), "main v1 lib v1");
    settle();
    let _ = write(&dir, "main.nyash", &main_v(2));
    assert_eq!(next("after editing main.nyash"), "main v2 lib v1");
    settle();
    let _ = write(&dir, "lib.nyash", &lib_v(2));
    assert_eq!(next("after editing lib.nyash"), "main v2 lib v2");
    settle();
    let _ = write(
        &dir,
        "main.nyash",
        "include \"lib.nyash\"\nprint(\"main v3\" +)\n",
    );
    std::thread::sleep(Duration::from_secs(2));
    assert!(
        rx.try_recv().is_err(),
        "a version that does not compile ran"
    );
    {
        let text = stderr_text.lock().unwrap();
        assert!(text.contains("error[E0100]"), "{text}");
        assert!(text.contains("main.nyash:2:18"), "{text}");
        assert!(text.contains("the last good run goes on"), "{text}");
    }
    let _ = write(&dir, "main.nyash", &main_v(4));
    assert_eq!(next("after fixing main.nyash"), "main v4 lib v2");
    let _ = child.kill();
    let _ = child.wait();
    assert!(rx.try_recv().is_err(), "one run per change");
}

/// Starts `nyash ARGS` in `dir` and gives its stdout lines as they come; its stderr is
/// piped for the caller to take.
fn spawn_lines(dir: &TempDir, args: &[&str]) -> (std::process::Child, mpsc::Receiver<String>) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_nyash"))
        .env("XDG_CACHE_HOME", test_cache_home())
        .args(args)
        .current_dir(dir.root())
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("starting nyash --watch");
    let (tx, rx) = mpsc::channel();
    let stdout = child.stdout.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            let _ = tx.send(line);
        }
    });
    (child, rx)
}

#[test]
fn watch_reruns_when_a_file_under_include_changes_or_appears() {
    let dir = TempDir::new("watch-include");
    std::fs::create_dir_all(dir.root().join("assets/deep")).unwrap();
    let _ = write(&dir, "assets/deep/msg.txt", "one");
    let _ = write(
        &dir,
        "main.nyash",
        "print(new FileBox(\"/app/assets/deep/msg.txt\").read() + \" \" + new FileBox(\"/app/assets/new.txt\").exists())\n",
    );
    let (mut child, rx) = spawn_lines(
        &dir,
        &["run", "--watch", "--include", "assets", "main.nyash"],
    );
    let next = |what: &str| {
        rx.recv_timeout(Duration::from_secs(30))
            .unwrap_or_else(|_| panic!("no output {what}"))
    };
    let settle = || std::thread::sleep(Duration::from_millis(700));
    assert_eq!(next("at first"), "one false");
    settle();
    let _ = write(&dir, "assets/deep/msg.txt", "two");
    assert_eq!(next("after editing an included file"), "two false");
    settle();
    let _ = write(&dir, "assets/new.txt", "");
    assert_eq!(next("after adding a file"), "two true");
    let _ = child.kill();
    let _ = child.wait();

    // `bundle --watch` embeds the new contents: bundle, change, wait for the new bundle.
    let app = dir.path("app");
    let (mut child, _rx) = spawn_lines(
        &dir,
        &[
            "bundle",
            "--watch",
            "--include",
            "assets",
            "main.nyash",
            "-o",
            "app",
        ],
    );
    let run_app = || run_in(&dir, &app, &[], &[]).stdout;
    let until = |want: &str| {
        let deadline = std::time::Instant::now() + Duration::from_secs(60);
        loop {
            if std::path::Path::new(&app).exists() && run_app() == want {
                return;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "the bundle never printed {want:?}"
            );
            std::thread::sleep(Duration::from_millis(200));
        }
    };
    until("two true\n");
    settle();
    let _ = write(&dir, "assets/deep/msg.txt", "three");
    until("three true\n");
    let _ = child.kill();
    let _ = child.wait();
}
