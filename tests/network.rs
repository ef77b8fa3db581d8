//! SocketBox and waiting stdin (R19), end to end on all three paths: a bundle's native
//! code, its Pulley fallback and `nyash run`. Servers and clients on loopback only: Nyash
//! servers hit by real clients (std's `TcpStream`), a Nyash client against a server
//! written here, and stdin fed slowly through a pipe. Every wait is bounded, and a child
//! that outlives its test is killed.

mod support;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, ChildStdout, Command, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use support::*;

/// How long any one step may take before the test gives up (generous: CI is busy).
const STEP: Duration = Duration::from_secs(30);

/// The three ways a program runs.
const PATHS: [&str; 3] = ["native", "wasm", "nyash run"];

/// A program, bundled once, and the command that runs it on each path.
struct Program {
    dir: TempDir,
    src: String,
    app: String,
}

impl Program {
    fn new(name: &str, source: &str) -> Program {
        let dir = TempDir::new(name);
        let src = write(&dir, &format!("{name}.nyash"), source);
        let app = dir.path(name);
        nyash_ok(&["bundle", &src, "-o", &app]);
        Program { dir, src, app }
    }

    fn command(&self, path: &str) -> Command {
        let mut cmd = if path.starts_with("nyash run") {
            let mut c = Command::new(env!("CARGO_BIN_EXE_nyash"));
            c.arg("run");
            if path.ends_with("--check-memory") {
                c.arg("--check-memory");
            }
            c.arg(&self.src).env("XDG_CACHE_HOME", test_cache_home());
            c
        } else {
            let mut c = Command::new(&self.app);
            c.env("NYASH_EXEC", path);
            c
        };
        cmd.env_remove("NYASH_TRACE")
            .env("NO_COLOR", "1")
            .current_dir(self.dir.root());
        cmd
    }

    /// Starts the program with piped stdin and stdout.
    fn start(&self, path: &str) -> Running {
        let mut child = self
            .command(path)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("starting the program");
        let lines = lines_of(child.stdout.take().unwrap());
        Running {
            child: Some(child),
            lines,
        }
    }

    /// Runs the program to its end with no stdin.
    fn run(&self, path: &str) -> Output {
        let child = self
            .command(path)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("starting the program");
        finish(child)
    }
}

/// Waits for a child, killing it after [`STEP`].
fn finish(child: Child) -> Output {
    let id = child.id();
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        let _ = tx.send(child.wait_with_output());
    });
    match rx.recv_timeout(STEP) {
        Ok(out) => {
            let out = out.unwrap();
            Output {
                stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
                stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
                status: out.status.code().unwrap_or(-1),
            }
        }
        Err(_) => {
            let _ = Command::new("kill").arg("-9").arg(id.to_string()).status();
            panic!("the program did not finish within {STEP:?}");
        }
    }
}

/// A line reader on a thread, so that reading can time out.
fn lines_of(out: ChildStdout) -> mpsc::Receiver<String> {
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        for line in BufReader::new(out).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}

/// A program started by a test.
struct Running {
    child: Option<Child>,
    lines: mpsc::Receiver<String>,
}

impl Running {
    /// The next line the program prints.
    fn line(&self) -> String {
        self.lines
            .recv_timeout(STEP)
            .expect("the program printed no line in time")
    }

    /// Waits for the end, with what it printed from now on.
    fn finish(mut self) -> (Vec<String>, Output) {
        let mut child = self.child.take().unwrap();
        drop(child.stdin.take());
        let rest: Vec<String> = {
            let deadline = Instant::now() + STEP;
            let mut v = Vec::new();
            while let Ok(l) = self
                .lines
                .recv_timeout(deadline.saturating_duration_since(Instant::now()))
            {
                v.push(l);
            }
            v
        };
        let out = finish(child);
        (rest, out)
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Some(child) = &mut self.child {
            let _ = child.kill();
        }
    }
}

fn connect(port: u16) -> TcpStream {
    let s = TcpStream::connect(("127.0.0.1", port)).expect("connecting to the Nyash server");
    s.set_read_timeout(Some(STEP)).unwrap();
    s
}

fn read_line(r: &mut BufReader<TcpStream>) -> String {
    let mut line = String::new();
    r.read_line(&mut line).expect("reading a reply");
    line
}

/// An echo server: one task per connection, each answering lines until `bye`; it stops
/// after serving `clients` connections.
const ECHO_SERVER: &str = r#"
static box Echo {
  serve(conn) {
    loop(true) {
      local line = conn.readLine()
      if line == null { break }
      if line == "bye" {
        conn.write("bye\n")
        break
      }
      conn.write("echo: " + line + "\n")
    }
    conn.close()
    return 1
  }
}
static box Main {
  main(args) {
    local clients = args.get(0).toInteger()
    local server = new SocketBox()
    server.bind("127.0.0.1", 0)
    print("listening on " + server.localPort())
    local done = new ArrayBox()
    local i = 0
    loop(i < clients) {
      local conn = server.accept()
      nowait f = Echo.serve(conn)
      done.push(f)
      i = i + 1
    }
    local total = 0
    local j = 0
    loop(j < done.length()) {
      total = total + await done.get(j)
      j = j + 1
    }
    print("served " + total)
  }
}
"#;

fn port_from(line: &str) -> u16 {
    line.strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("not a start-up line: {line:?}"))
        .parse()
        .unwrap()
}

#[test]
fn an_echo_server_serves_two_clients_at_once_on_every_path() {
    let program = Program::new("echo", ECHO_SERVER);
    for path in PATHS {
        let cmd_args = program.start_with_args(path, &["2"]);
        let port = port_from(&cmd_args.line());
        // The slow client connects first and says nothing for a while…
        let slow = connect(port);
        let mut slow_reader = BufReader::new(slow.try_clone().unwrap());
        // …and the fast one is answered meanwhile: its connection is its own task.
        let fast = connect(port);
        let mut fast_reader = BufReader::new(fast.try_clone().unwrap());
        let start = Instant::now();
        (&fast).write_all(b"hello\r\n").unwrap();
        assert_eq!(read_line(&mut fast_reader), "echo: hello\n", "{path}");
        (&fast).write_all("grüße ✓\n".as_bytes()).unwrap();
        assert_eq!(read_line(&mut fast_reader), "echo: grüße ✓\n", "{path}");
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "{path}: the fast client waited for the slow one"
        );
        (&fast).write_all(b"bye\n").unwrap();
        assert_eq!(read_line(&mut fast_reader), "bye\n", "{path}");
        // Now the slow one, in two pieces of one line.
        (&slow).write_all(b"sl").unwrap();
        thread::sleep(Duration::from_millis(100));
        (&slow).write_all(b"ow\n").unwrap();
        assert_eq!(read_line(&mut slow_reader), "echo: slow\n", "{path}");
        drop(slow);
        drop(slow_reader);
        let (rest, out) = cmd_args.finish();
        assert_eq!(rest, ["served 2"], "{path}: {out:?}");
        assert_eq!(out.status, 0, "{path}: {out:?}");
        assert_eq!(out.stderr, "", "{path}");
        drop(fast);
        let _ = fast_reader.read_to_string(&mut String::new());
    }
}

impl Program {
    fn start_with_args(&self, path: &str, args: &[&str]) -> Running {
        let mut cmd = self.command(path);
        cmd.args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().expect("starting the program");
        let lines = lines_of(child.stdout.take().unwrap());
        Running {
            child: Some(child),
            lines,
        }
    }
}

#[test]
fn a_nyash_client_talks_to_a_server_written_here() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    // Answers each connection's lines upper-cased, slowly, then closes after `end`.
    let server = thread::spawn(move || {
        for conn in listener.incoming().take(PATHS.len()) {
            let conn = conn.unwrap();
            conn.set_read_timeout(Some(STEP)).unwrap();
            let mut reader = BufReader::new(conn.try_clone().unwrap());
            let mut w = conn;
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 {
                    break;
                }
                if line.trim() == "end" {
                    w.write_all(b"partial").unwrap();
                    break;
                }
                thread::sleep(Duration::from_millis(20));
                w.write_all(line.to_uppercase().as_bytes()).unwrap();
            }
        }
    });
    let source = format!(
        r#"
local s = new SocketBox()
print(s)
s.connect("localhost", "{port}")
print(s.isConnected())
print(s.remotePort() == {port})
s.write("one\n")
print(s.readLine())
s.write("two\n")
print(s.readLine())
s.write("end\n")
print(s.read())
print(s.read())
print(s.isConnected())
s.close()
try {{ s.read() }} catch (e) {{ print(e.getMessage()) }}
"#
    );
    let program = Program::new("client", &source);
    for path in PATHS {
        let out = program.run(path);
        assert_eq!(out.status, 0, "{path}: {out:?}");
        let lines: Vec<&str> = out.stdout.lines().collect();
        assert!(
            lines[0].starts_with("SocketBox(id: ") && lines[0].ends_with(", status: Disconnected)"),
            "{path}: {lines:?}"
        );
        assert_eq!(
            &lines[1..],
            [
                "true",
                "true",
                "ONE",
                "TWO",
                "partial",
                "null",
                "false",
                "Socket is closed"
            ],
            "{path}: {out:?}"
        );
    }
    server.join().unwrap();
}

#[test]
fn socket_errors_are_catchable_and_say_what_failed() {
    // A port nobody listens on: bind one, note it, let it go.
    let free = TcpListener::bind("127.0.0.1:0").unwrap();
    let closed_port = free.local_addr().unwrap().port();
    drop(free);
    let taken = TcpListener::bind("127.0.0.1:0").unwrap();
    let taken_port = taken.local_addr().unwrap().port();
    let source = format!(
        r#"
local s = new SocketBox()
try {{ s.connect("127.0.0.1", {closed_port}) }} catch (e) {{ print(e.getMessage()) }}
local b = new SocketBox()
try {{ b.bind("127.0.0.1", {taken_port}) }} catch (e) {{ print(e.getMessage()) }}
try {{ new SocketBox().bind("127.0.0.1", 70000) }} catch (e) {{ print(e.getMessage()) }}
try {{ new SocketBox().read() }} catch (e) {{ print(e.getMessage()) }}
try {{ new SocketBox().accept() }} catch (e) {{ print(e.getMessage()) }}
try {{ new SocketBox().connect("no-such-host.invalid", 80) }} catch (e) {{ print(e.getMessage()) }}
local server = new SocketBox()
server.bind("127.0.0.1", 0)
print(server.isServer())
print(server.acceptTimeout(50))
print("end")
"#
    );
    let program = Program::new("errors", &source);
    for path in PATHS {
        let out = program.run(path);
        assert_eq!(out.status, 0, "{path}: {out:?}");
        assert_eq!(
            out.stdout,
            format!(
                "Cannot connect to 127.0.0.1:{closed_port}: connection refused\n\
                 Cannot bind 127.0.0.1:{taken_port}: address already in use\n\
                 Invalid port: 70000\n\
                 read() needs a connected socket\n\
                 accept() needs a bound socket\n\
                 Cannot connect to no-such-host.invalid:80: host not found\n\
                 true\n\
                 null\n\
                 end\n"
            ),
            "{path}: {out:?}"
        );
    }
    drop(taken);
}

#[test]
fn read_line_on_stdin_waits_only_for_its_task() {
    // A timer task ticks while the main program waits for stdin lines that come slowly.
    let source = r#"
static box Ticker {
  run(n) {
    local t = new TimeBox()
    local i = 0
    loop(i < n) {
      t.sleep(40)
      print("tick")
      i = i + 1
    }
    return i
  }
}
local console = new ConsoleBox()
nowait ticks = Ticker.run(25)
print("ready")
loop(true) {
  local line = console.readLine()
  if line == null { break }
  print("line: " + line)
}
print("ticks: " + await ticks)
"#;
    let program = Program::new("stdin", source);
    for path in PATHS {
        let mut running = program.start(path);
        assert_eq!(running.line(), "ready", "{path}");
        let mut stdin = running.child.as_mut().unwrap().stdin.take().unwrap();
        stdin.write_all(b"first\n").unwrap();
        stdin.flush().unwrap();
        // Ticks may come first; then the line, then more ticks while the program waits
        // for the next line, which is not written until one is seen.
        let mut seen = Vec::new();
        loop {
            let l = running.line();
            let tick_after_line = l == "tick" && seen.iter().any(|s| s == "line: first");
            seen.push(l);
            if tick_after_line {
                break;
            }
        }
        stdin.write_all(b"second\r\nthird").unwrap();
        drop(stdin);
        let (rest, out) = running.finish();
        seen.extend(rest);
        assert_eq!(out.status, 0, "{path}: {out:?}");
        let lines: Vec<&str> = seen
            .iter()
            .map(String::as_str)
            .filter(|l| *l != "tick")
            .collect();
        assert_eq!(
            lines,
            ["line: first", "line: second", "line: third", "ticks: 25"],
            "{path}: {seen:?}"
        );
        assert_eq!(seen.iter().filter(|l| *l == "tick").count(), 25, "{path}");
    }
}

#[test]
fn only_programs_with_network_boxes_import_the_network_calls() {
    let dir = TempDir::new("imports");
    let plain = write(&dir, "plain.nyash", "print(\"hi\")\n");
    let net = write(
        &dir,
        "net.nyash",
        "local s = new SocketBox()\nprint(s.isServer())\n",
    );
    for (src, wants) in [(&plain, false), (&net, true)] {
        let wasm = dir.path("out.wasm");
        nyash_ok(&["build", src, "-o", &wasm]);
        let bytes = std::fs::read(&wasm).unwrap();
        let mut modules = Vec::new();
        for payload in wasmparser::Parser::new(0).parse_all(&bytes) {
            if let wasmparser::Payload::ImportSection(r) = payload.unwrap() {
                for imp in r.into_imports() {
                    modules.push(imp.unwrap().module.to_string());
                }
            }
        }
        assert!(modules.iter().any(|m| m == "wasi_snapshot_preview1"));
        assert_eq!(
            modules.iter().any(|m| m == "nyash_net"),
            wants,
            "{src}: {modules:?}"
        );
        assert!(
            modules
                .iter()
                .all(|m| m == "wasi_snapshot_preview1" || m == "nyash_net"),
            "{modules:?}"
        );
    }
}

/// The real HTTP peers (Python's http.client and http.server): `tests/fixtures/http_peer.py`.
fn http_peer() -> Command {
    let mut c = Command::new("python3");
    c.arg(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../tests/fixtures/http_peer.py"
    ));
    c
}

/// An HTTP server with one route of each kind `http_peer.py client` checks; `/stop` stops
/// it, and then it says so.
const HTTP_SERVER: &str = r#"
box Api {
  init { hits }
  birth() { me.hits = 0 }
  home(req) {
    me.hits = me.hits + 1
    return "<h1>home " + me.hits + "</h1>"
  }
  echo(req) {
    local r = new HTTPResponseBox()
    r.setStatus(201)
    r.setHeader("X-Method", req.getMethod())
    r.setContentType("text/plain")
    r.setBody(req.getMethod() + " " + req.getPath() + " " + req.getQuery("name") + " " + req.getHeader("x-thing") + " " + req.getContentLength() + " " + req.getBody())
    return r
  }
  slow(req) {
    new TimeBox().sleep(300)
    return "slow done"
  }
  json(req) {
    local m = new MapBox()
    m.set("ok", true)
    m.set("path", req.getPath())
    return m
  }
  boom(req) { return 1 / 0 }
  nothing() { }
}

box Stopper {
  init { server }
  birth(s) { me.server = s }
  handle(req) {
    me.server.stop()
    return "bye"
  }
}

static box Main {
  main() {
    local api = new Api()
    local server = new HTTPServerBox()
    server.bind("127.0.0.1", 0)
    server.setTimeout(1)
    server.get("/", api.home)
    server.route("/echo", "POST", api.echo)
    server.put("/echo", new MethodBox(api, "echo"))
    server.get("/slow", api.slow)
    server.get("/json", api.json)
    server.get("/boom", api.boom)
    server.delete("/nothing", api.nothing)
    server.route("/stop", new Stopper(server))
    print("listening on " + server.localPort())
    server.start()
    print("stopped: " + server)
  }
}
"#;

#[test]
fn an_http_server_answers_a_real_client_on_every_path() {
    let program = Program::new("http_server", HTTP_SERVER);
    // Also with the runtime that stops at a double free or a use after free.
    for path in PATHS.into_iter().chain(["nyash run --check-memory"]) {
        let server = program.start(path);
        let port = port_from(&server.line());
        let client = http_peer()
            .args(["client", &port.to_string()])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("starting python3");
        let checks = finish(client);
        assert_eq!(checks.status, 0, "{path}: {checks:?}");
        assert_eq!(checks.stdout.lines().count(), 10, "{path}: {checks:?}");
        let (rest, out) = server.finish();
        assert_eq!(
            rest,
            ["stopped: HTTPServer(id: 1, running: false, routes: 8, connections: 0)"],
            "{path}: {out:?}"
        );
        assert_eq!(out.status, 0, "{path}: {out:?}");
        // The handler that threw is reported with its trace and request; nothing else.
        assert!(
            out.stderr
                .starts_with("Error: Division by zero\n  at http_server.nyash:"),
            "{path}: {}",
            out.stderr
        );
        assert!(
            out.stderr.ends_with("  while handling GET /boom\n"),
            "{path}: {}",
            out.stderr
        );
        assert_eq!(
            out.stderr.matches("Error").count(),
            1,
            "{path}: {}",
            out.stderr
        );
    }
}

#[test]
fn the_nyash_http_client_fetches_from_a_python_server_on_every_path() {
    let mut peer = http_peer()
        .arg("server")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("starting python3");
    let lines = lines_of(peer.stdout.take().unwrap());
    let first = lines
        .recv_timeout(STEP)
        .expect("the Python server did not start");
    let port = port_from(&first);
    let program = Program::new(
        "http_client",
        r#"
static box Main {
  main(args) {
    local base = "http://127.0.0.1:" + args.get(0)
    local c = new HTTPClientBox()
    local r = c.get(base + "/hello?x=1")
    print(r.getStatus() + " " + r.getHeader("x-served-by") + " " + r.getBody())
    print(c.post(base + "/p", "text body").getBody())
    local m = new MapBox()
    m.set("k", "v")
    print(c.put(base + "/p", m).getBody())
    print(c.get(base + "/chunked").getBody())
    print(c.get(base + "/missing"))
    r = c.request("HEAD", base + "/h", null)
    print(r.getStatus() + " [" + r.getBody() + "]")
    local h = new MapBox()
    h.set("X-Test", "yes")
    local o = new MapBox()
    o.set("headers", h)
    print(c.request("DELETE", base + "/d", o).getBody())
    nowait a = c.get(base + "/one")
    nowait b = new HttpClientBox().get(base + "/two")
    print((await a).getBody() + " | " + (await b).getBody())
    try { c.get("https://example.com/") } catch (e) { print(e.getMessage()) }
    try { c.get("http://127.0.0.1:1/") } catch (e) { print(e.getMessage()) }
    try { c.get("gopher://x/") } catch (e) { print(e.getMessage()) }
  }
}
"#,
    );
    let host = format!("host=127.0.0.1:{port} conn=close");
    let want = [
        format!("200 python GET /hello?x=1 {host} x=None"),
        "POST type=text/plain; charset=utf-8 body=text body".to_string(),
        "PUT type=application/json body={\"k\":\"v\"}".to_string(),
        "hello chunks".to_string(),
        "HTTPResponse(404 Not Found - 4 bytes)".to_string(),
        "200 []".to_string(),
        format!("DELETE /d {host} x=yes"),
        format!("GET /one {host} x=None | GET /two {host} x=None"),
        "TLS is not supported: https://example.com/".to_string(),
        "Cannot GET http://127.0.0.1:1/: connection refused".to_string(),
        "Invalid URL: gopher://x/ (expected http://host[:port]/path)".to_string(),
    ];
    for path in PATHS {
        let mut cmd = program.command(path);
        let child = cmd
            .arg(port.to_string())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let out = finish(child);
        assert_eq!(out.status, 0, "{path}: {out:?}");
        let got: Vec<&str> = out.stdout.lines().collect();
        assert_eq!(got, want, "{path}");
    }
    drop(peer.stdin.take());
    let _ = peer.wait();
}

#[test]
fn the_http_server_example_serves_its_routes() {
    let src = concat!(env!("CARGO_MANIFEST_DIR"), "/../examples/http-server.nyash");
    let mut child = Command::new(env!("CARGO_BIN_EXE_nyash"))
        .args(["run", src, "0"])
        .env("XDG_CACHE_HOME", test_cache_home())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let lines = lines_of(child.stdout.take().unwrap());
    let server = Running {
        child: Some(child),
        lines,
    };
    let first = server.line();
    let port: u16 = first
        .strip_prefix("listening on http://127.0.0.1:")
        .and_then(|s| s.strip_suffix('/'))
        .unwrap_or_else(|| panic!("not a start-up line: {first:?}"))
        .parse()
        .unwrap();
    let ask = |request: &str| {
        let mut s = connect(port);
        s.write_all(request.as_bytes()).unwrap();
        let mut reply = String::new();
        s.read_to_string(&mut reply).unwrap();
        reply
    };
    let hello = ask("GET /hello?name=Ada HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    assert!(hello.starts_with("HTTP/1.1 200 OK\r\n"), "{hello}");
    assert!(hello.ends_with("\r\n\r\nHello, Ada!\n"), "{hello}");
    let double =
        ask("POST /double HTTP/1.1\r\nContent-Length: 9\r\nConnection: close\r\n\r\n{\"n\": 21}");
    assert!(double.contains("application/json"), "{double}");
    assert!(double.ends_with("{\"double\":42}"), "{double}");
}
