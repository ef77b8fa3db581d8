//! Programs that fail at run time, end to end through real bundles: endless recursion,
//! memory running out and a trap in the middle of the output each end with a clear error
//! on stderr (located in the Nyash source where the language gives a location), a non-zero
//! status and the output printed before it, on native code and on Pulley alike, without a
//! launcher panic or backtrace. Structures nested a million levels deep are freed without
//! overflowing the stack, and compared with `==` likewise, on all three paths. And one bundle launched 100 times at once runs
//! correctly every time.

mod support;

use std::process::{Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use support::{assert_no_backtrace, nyash, nyash_ok, run, write, Output, TempDir};

const PATHS: [&str; 2] = ["native", "wasm"];

/// Runs that fill the 2 GiB the guest may use take turns, so the tests of this file, which
/// run in parallel, never hold more than one such memory at a time.
static BIG_MEMORY: Mutex<()> = Mutex::new(());

/// Bundles `source` as `<name>.nyash` once and runs it on both paths.
fn on_both(name: &str, source: &str) -> Vec<(&'static str, Output)> {
    let dir = TempDir::new(name);
    let src = write(&dir, &format!("{name}.nyash"), source);
    let app = dir.path(name);
    nyash_ok(&["bundle", &src, "-o", &app]);
    PATHS
        .iter()
        .map(|&exec| (exec, run(&app, &[], &[("NYASH_EXEC", exec)])))
        .collect()
}

#[test]
fn endless_recursion_is_a_located_error_after_the_earlier_output() {
    let source = "function down(n) {
  return down(n + 1)
}
print(\"before\")
down(0)
print(\"after\")
";
    for (exec, out) in on_both("recurse", source) {
        assert_eq!(out.status, 1, "{exec}: {out:?}");
        assert_eq!(out.stdout, "before\n", "{exec}");
        let mut lines = out.stderr.lines();
        assert_eq!(
            lines.next(),
            Some("Error: stack overflow (recursion too deep)"),
            "{exec}: {}",
            out.stderr
        );
        assert_eq!(
            lines.next(),
            Some("  at recurse.nyash:2:10 in down"),
            "{exec}"
        );
        assert_eq!(
            out.stderr.lines().last(),
            Some("  at recurse.nyash:5:1"),
            "{exec}"
        );
        assert_no_backtrace(&out.stderr);
    }
}

#[test]
fn running_out_of_memory_is_an_error_after_the_earlier_output() {
    // Each string is 1 MiB, so the 2 GiB are full after about 2,000 of them.
    let source = "print(\"before\")
local s = \"0123456789abcdef\"
local i = 0
loop(i < 16) {
  s = s + s
  i = i + 1
}
print(s.length())
local a = new ArrayBox()
loop(true) {
  a.push(s + a.length())
}
";
    let _turn = BIG_MEMORY.lock().unwrap_or_else(|e| e.into_inner());
    for (exec, out) in on_both("oom", source) {
        assert_eq!(out.status, 1, "{exec}: {out:?}");
        assert_eq!(out.stdout, "before\n1048576\n", "{exec}");
        // The allocator gives no location: it fails inside the runtime, not at a Nyash
        // expression it could name.
        assert_eq!(out.stderr, "Error: out of memory\n", "{exec}");
        assert_no_backtrace(&out.stderr);
    }
}

#[test]
fn a_string_past_the_guest_size_limit_stops_the_program() {
    // Doubling a 1 GiB string asks for 2 GiB, more than one wasm32 allocation may hold
    // (`isize::MAX`): running out of memory, like the test above, not an internal error.
    let source = "print(\"before\")
local s = \"0123456789abcdef\"
loop(true) {
  s = s + s
}
";
    let _turn = BIG_MEMORY.lock().unwrap_or_else(|e| e.into_inner());
    for (exec, out) in on_both("doubling", source) {
        assert_eq!(out.status, 1, "{exec}: {out:?}");
        assert_eq!(out.stdout, "before\n", "{exec}");
        assert_eq!(out.stderr, "Error: out of memory\n", "{exec}");
        assert_no_backtrace(&out.stderr);
    }
}

/// Bundles `source` as `<name>.nyash`, runs the bundle on both paths and runs the source
/// with `nyash run`.
fn on_all_three(name: &str, source: &str) -> Vec<(&'static str, Output)> {
    let mut outs = on_both(name, source);
    let dir = TempDir::new(&format!("{name}-run"));
    let src = write(&dir, &format!("{name}.nyash"), source);
    outs.push(("nyash run", nyash(&["run", &src])));
    outs
}

/// A function that builds `n` arrays, each holding the one before.
const NEST: &str = "function nest(n) {
  local a = new ArrayBox()
  local i = 0
  loop(i < n) {
    local b = new ArrayBox()
    b.push(a)
    a = b
    i = i + 1
  }
  return a
}
";

#[test]
fn a_trap_in_the_middle_of_the_output_keeps_what_was_printed() {
    // A module that keeps its output in a buffer, as the Nyash runtime does, and hits
    // `unreachable` before writing it: a real trap, after which the launcher still calls the
    // module's `nyash_flush`, so the buffered lines come out before the error. (Nyash
    // programs used to reach this through the recursive freeing of deeply nested arrays,
    // which no longer recurses; see the next test.)
    let source = r#"(module
  (import "wasi_snapshot_preview1" "fd_write"
    (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 64) "line 0\nline 1\nline 2\n")
  (global $buffered (mut i32) (i32.const 0))
  (func (export "nyash_flush")
    (i32.store (i32.const 0) (i32.const 64))
    (i32.store (i32.const 4) (global.get $buffered))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))
    (global.set $buffered (i32.const 0)))
  (func $print_line
    (global.set $buffered (i32.add (global.get $buffered) (i32.const 7))))
  (func (export "_start")
    (call $print_line)
    (call $print_line)
    (call $print_line)
    unreachable))
"#;
    let dir = TempDir::new("trap");
    let src = write(&dir, "trap.wat", source);
    let app = dir.path("trap");
    nyash_ok(&["bundle", &src, "-o", &app]);
    for exec in PATHS {
        let out = run(&app, &[], &[("NYASH_EXEC", exec)]);
        assert_eq!(out.status, 1, "{exec}: {out:?}");
        assert_eq!(out.stdout, "line 0\nline 1\nline 2\n", "{exec}");
        assert_eq!(
            out.stderr,
            "error: the program crashed: unreachable code reached (the program aborted)\n",
            "{exec}"
        );
        assert_no_backtrace(&out.stderr);
    }
}

#[test]
fn a_million_nested_arrays_maps_and_instances_are_freed_without_recursion() {
    // Freeing used to recurse once per nesting level and overflowed the stack here. Each
    // structure is freed when `a` is reassigned; the `fini` of every node of the instance
    // chain still runs, outermost first, as the recursion ran them.
    let source = format!(
        "{NEST}box Node {{
  init {{ next, id }}
  birth(next, id) {{
    me.next = next
    me.id = id
  }}
  fini() {{
    if me.id % 250000 == 0 {{
      print(\"fini \" + me.id)
    }}
  }}
}}
local a = nest(1000000)
print(a.length())
a = null
print(\"arrays freed\")
local m = new MapBox()
local i = 0
loop(i < 1000000) {{
  local outer = new MapBox()
  outer.set(\"inner\", m)
  m = outer
  i = i + 1
}}
m = null
print(\"maps freed\")
local n = null
i = 1
loop(i <= 1000000) {{
  n = new Node(n, i)
  i = i + 1
}}
n = null
print(\"instances freed\")
"
    );
    for (exec, out) in on_all_three("deep", &source) {
        assert_eq!(
            out.stdout,
            "1\narrays freed\nmaps freed\nfini 1000000\nfini 750000\nfini 500000\n\
             fini 250000\ninstances freed\n",
            "{exec}: {}",
            out.stderr
        );
        assert_eq!(out.status, 0, "{exec}: {out:?}");
        assert_eq!(out.stderr, "", "{exec}");
    }
}

#[test]
fn arrays_nested_a_million_deep_compare_without_recursion() {
    // `==` on nested arrays used to recurse once per level and overflowed the runtime's
    // stack, losing the earlier output.
    let source = format!(
        "{NEST}print(\"start\")
local a = nest(1000000)
local b = nest(1000000)
print(a == b)
b.get(0).push(1)
print(a == b)
print(a != b)
"
    );
    for (exec, out) in on_all_three("deep-equal", &source) {
        assert_eq!(
            out.stdout, "start\ntrue\nfalse\ntrue\n",
            "{exec}: {}",
            out.stderr
        );
        assert_eq!(out.status, 0, "{exec}: {out:?}");
    }
}

/// Starts `cmd`, retrying while the file is busy: another test thread's fork can briefly
/// hold a just-written executable open.
fn spawn(cmd: &mut Command) -> std::process::Child {
    for _ in 0..50 {
        match cmd.spawn() {
            Ok(child) => return child,
            Err(e) if e.raw_os_error() == Some(26) => std::thread::sleep(Duration::from_millis(20)),
            Err(e) => panic!("launching the bundle: {e}"),
        }
    }
    panic!("the executable stayed busy");
}

#[test]
fn a_hundred_launches_of_one_bundle_at_once_all_succeed() {
    let dir = TempDir::new("hundred");
    let app = dir.path("hello");
    nyash_ok(&[
        "bundle",
        &support::example("hello.nyash"),
        "-o",
        app.as_str(),
    ]);
    for exec in PATHS {
        let children: Vec<_> = (0..100)
            .map(|i| {
                let mut cmd = Command::new(&app);
                cmd.arg(format!("copy {i}"))
                    .env("NYASH_EXEC", exec)
                    .env_remove("NYASH_TRACE")
                    .stdin(Stdio::null())
                    .stdout(Stdio::piped())
                    .stderr(Stdio::piped());
                spawn(&mut cmd)
            })
            .collect();
        let started = Instant::now();
        for (i, child) in children.into_iter().enumerate() {
            let out = child.wait_with_output().unwrap();
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert!(out.status.success(), "{exec} copy {i}: {stderr}");
            assert_eq!(
                String::from_utf8_lossy(&out.stdout),
                format!("Hello, copy {i}!\n"),
                "{exec} copy {i}"
            );
            assert_eq!(stderr, "", "{exec} copy {i}");
        }
        // Robustness, not speed: a generous bound that only a hang would pass.
        assert!(
            started.elapsed() < Duration::from_secs(300),
            "{exec}: 100 launches took {:?}",
            started.elapsed()
        );
    }
}
