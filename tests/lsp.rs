//! `nyash lsp` driven over JSON-RPC, as an editor drives it: a transcript of requests, with
//! the responses and notifications checked.

mod support;

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};

use serde_json::{json, Value};
use support::*;

struct Client {
    child: Child,
    input: ChildStdin,
    output: BufReader<ChildStdout>,
    next_id: i64,
}

impl Client {
    fn start() -> Client {
        let mut child = Command::new(env!("CARGO_BIN_EXE_nyash"))
            .arg("lsp")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("starting nyash lsp");
        let input = child.stdin.take().unwrap();
        let output = BufReader::new(child.stdout.take().unwrap());
        Client {
            child,
            input,
            output,
            next_id: 1,
        }
    }

    fn send(&mut self, message: &Value) {
        let body = message.to_string();
        write!(self.input, "Content-Length: {}\r\n\r\n{body}", body.len()).unwrap();
        self.input.flush().unwrap();
    }

    fn receive(&mut self) -> Value {
        let mut length = 0;
        loop {
            let mut line = String::new();
            assert!(
                self.output.read_line(&mut line).unwrap() > 0,
                "the server closed"
            );
            let line = line.trim_end();
            if line.is_empty() {
                break;
            }
            if let Some(n) = line.strip_prefix("Content-Length: ") {
                length = n.parse().unwrap();
            }
        }
        let mut body = vec![0; length];
        self.output.read_exact(&mut body).unwrap();
        serde_json::from_slice(&body).unwrap()
    }

    fn notify(&mut self, method: &str, params: Value) {
        self.send(&json!({"jsonrpc": "2.0", "method": method, "params": params}));
    }

    /// Sends a request and returns its result; notifications on the way are kept.
    fn request(&mut self, method: &str, params: Value, seen: &mut Vec<Value>) -> Value {
        let id = self.next_id;
        self.next_id += 1;
        self.send(&json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}));
        loop {
            let message = self.receive();
            if message["id"] == id {
                return message["result"].clone();
            }
            seen.push(message);
        }
    }

    /// The next `publishDiagnostics` for `uri`.
    fn diagnostics(&mut self, uri: &str, seen: &mut Vec<Value>) -> Value {
        if let Some(i) = seen.iter().position(|m| {
            m["method"] == "textDocument/publishDiagnostics" && m["params"]["uri"] == uri
        }) {
            return seen.remove(i)["params"]["diagnostics"].clone();
        }
        loop {
            let m = self.receive();
            if m["method"] == "textDocument/publishDiagnostics" && m["params"]["uri"] == uri {
                return m["params"]["diagnostics"].clone();
            }
        }
    }
}

const PROGRAM: &str = r#"box Counter {
    init { count }
    birth() {
        me.count = 0
    }
    add(n) {
        me.count = me.count + n
        return me
    }
}
function twice(x) {
    local result = x * 2
    return result
}
c = new Counter()
c.add(twice(3))
print(c.count)
print(missing)
"#;

#[test]
fn a_session_of_an_editor() {
    let dir = TempDir::new("lsp");
    let path = write(&dir, "app.nyash", PROGRAM);
    let uri = format!("file://{path}");
    let mut client = Client::start();
    let mut seen = Vec::new();
    let init = client.request(
        "initialize",
        json!({"processId": null, "rootUri": null, "capabilities": {}}),
        &mut seen,
    );
    let caps = &init["capabilities"];
    for cap in [
        "definitionProvider",
        "hoverProvider",
        "documentSymbolProvider",
        "documentFormattingProvider",
    ] {
        assert_eq!(caps[cap], true, "{init}");
    }
    client.notify("initialized", json!({}));
    client.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": uri, "languageId": "nyash", "version": 1, "text": PROGRAM}}),
    );

    // Diagnostics: the same code and message as `nyash check`.
    let diagnostics = client.diagnostics(&uri, &mut seen);
    let list = diagnostics.as_array().unwrap();
    assert_eq!(list.len(), 1, "{diagnostics}");
    let check = nyash(&["check", &path]);
    let code = list[0]["code"].as_str().unwrap();
    assert!(
        check.stderr.contains(&format!("[{code}]")),
        "{}\n{diagnostics}",
        check.stderr
    );
    let first_line = list[0]["message"].as_str().unwrap().lines().next().unwrap();
    assert!(
        check.stderr.contains(first_line),
        "{}\n{diagnostics}",
        check.stderr
    );
    assert_eq!(
        list[0]["range"]["start"],
        json!({"line": 17, "character": 6})
    );
    assert_eq!(list[0]["severity"], 1);

    let at = |line: u32, character: u32| json!({"textDocument": {"uri": uri}, "position": {"line": line, "character": character}});
    // Go to definition: a method, a function, a local, a box, a field.
    let def = |client: &mut Client, seen: &mut Vec<Value>, line, character| {
        let r = client.request("textDocument/definition", at(line, character), seen);
        r[0]["range"]["start"].clone()
    };
    assert_eq!(
        def(&mut client, &mut seen, 15, 3),
        json!({"line": 5, "character": 4})
    );
    assert_eq!(
        def(&mut client, &mut seen, 15, 7),
        json!({"line": 10, "character": 9})
    );
    assert_eq!(
        def(&mut client, &mut seen, 12, 12),
        json!({"line": 11, "character": 10})
    );
    assert_eq!(
        def(&mut client, &mut seen, 14, 10),
        json!({"line": 0, "character": 4})
    );
    assert_eq!(
        def(&mut client, &mut seen, 6, 12),
        json!({"line": 1, "character": 11})
    );

    // Hover shows the declaration.
    let hover = client.request("textDocument/hover", at(15, 3), &mut seen);
    let text = hover["contents"]["value"].as_str().unwrap();
    assert!(text.contains("Counter.add(n)"), "{hover}");

    // Document symbols: the box with its members, the function, the global.
    let symbols = client.request(
        "textDocument/documentSymbol",
        json!({"textDocument": {"uri": uri}}),
        &mut seen,
    );
    let names: Vec<&str> = symbols
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Counter", "twice", "c"], "{symbols}");
    let members: Vec<&str> = symbols[0]["children"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(members, ["count", "birth", "add"], "{symbols}");

    // Completion of a box's members after `c.`, while the text has an error.
    let edited = PROGRAM.replace("print(missing)\n", "c.\n");
    client.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": uri, "version": 2}, "contentChanges": [{"text": edited}]}),
    );
    let diagnostics = client.diagnostics(&uri, &mut seen);
    assert!(!diagnostics.as_array().unwrap().is_empty(), "{diagnostics}");
    let items = client.request("textDocument/completion", at(17, 2), &mut seen);
    let mut labels: Vec<&str> = items
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["label"].as_str().unwrap())
        .collect();
    labels.sort();
    assert_eq!(labels, ["add", "count"], "{items}");

    // Formatting through `nyash fmt`: one edit with the formatted text.
    let ugly = "box A{\nf(){return 1}\n}\n";
    client.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": uri, "version": 3}, "contentChanges": [{"text": ugly}]}),
    );
    let _ = client.diagnostics(&uri, &mut seen);
    let edits = client.request(
        "textDocument/formatting",
        json!({"textDocument": {"uri": uri}, "options": {"tabSize": 4, "insertSpaces": true}}),
        &mut seen,
    );
    assert_eq!(
        edits[0]["newText"], "box A {\n    f() { return 1 }\n}\n",
        "{edits}"
    );

    let shutdown = client.request("shutdown", json!(null), &mut seen);
    assert_eq!(shutdown, Value::Null);
    client.notify("exit", json!(null));
    let status = client.child.wait().unwrap();
    assert!(status.success(), "{status:?}");
}

/// `nvim` can be run: needed by the real-client test. Skipped with a note when Neovim is not
/// installed, unless `NYASH_REQUIRE_NVIM=1` (set by CI, whose setup installs it).
fn have_nvim() -> bool {
    let found = have("nvim");
    if !found && std::env::var_os("NYASH_REQUIRE_NVIM").is_some() {
        panic!("NYASH_REQUIRE_NVIM is set but `nvim` cannot be run");
    }
    if !found {
        eprintln!("note: nvim is not installed; skipping the Neovim client test");
    }
    found
}

#[test]
fn headless_neovim_gets_diagnostics_and_a_definition() {
    if !have_nvim() {
        return;
    }
    let dir = TempDir::new("lsp-nvim");
    let path = write(&dir, "app.nyash", PROGRAM);
    let out = dir.path("result.txt");
    let script = fixture("nvim/lsp_client.lua");
    let status = Command::new("nvim")
        .args(["--headless", "--clean", "-c"])
        .arg(format!("luafile {script}"))
        .env("NYASH_BIN", env!("CARGO_BIN_EXE_nyash"))
        .env("NYASH_LSP_FILE", &path)
        .env("NYASH_LSP_OUT", &out)
        .env("HOME", dir.root())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .expect("running nvim");
    assert!(status.success(), "{status:?}");
    let got = std::fs::read_to_string(&out).expect("the client wrote its results");
    let check = nyash(&["check", &path]);
    let lines: Vec<&str> = got.lines().collect();
    assert_eq!(lines.len(), 2, "{got}");
    let diagnostic = lines[0];
    assert!(diagnostic.starts_with("diagnostic 17:6 E"), "{got}");
    let code = diagnostic.split(' ').nth(2).unwrap();
    assert!(
        check.stderr.contains(&format!("[{code}]")),
        "{}\n{got}",
        check.stderr
    );
    assert_eq!(lines[1], "definition 5:4", "{got}");
}
