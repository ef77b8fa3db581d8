//! End-to-end tests of `--allow-net` and `--deny-net` on every path: a
//! bundle's native code, its Pulley fallback (`NYASH_EXEC=wasm`) and
//! `nyash run` with the same flags. A Nyash program connects to a listener of
//! the test's by address and by name, and listens itself; loopback only.

mod support;

use std::net::TcpListener;

use support::{nyash, nyash_ok, on_every_path, write, TempDir};

/// The program's lines and the launcher's refusals on stderr, under `flags`,
/// the same on every path.
fn under(flags: &[&str], port: u16) -> (String, String) {
    let dir = TempDir::new("net-policy");
    let source = format!(
        r#"
local a = new SocketBox()
try {{ a.connect("127.0.0.1", {port}) print("127.0.0.1: connected") }} catch (e) {{ print(e.getMessage()) }}
local b = new SocketBox()
try {{ b.connect("localhost", {port}) print("localhost: connected") }} catch (e) {{ print(e.getMessage()) }}
local c = new SocketBox()
try {{ c.bind("127.0.0.1", 0) print("bound") }} catch (e) {{ print(e.getMessage()) }}
"#
    );
    let program = write(&dir, "net.nyash", &source);
    let [native, wasm, run] = on_every_path(&dir, &program, flags, &[]);
    assert_eq!(native, wasm, "{flags:?}: the Pulley fallback differs");
    assert_eq!(native, run, "{flags:?}: nyash run differs");
    native
}

#[test]
fn the_network_flags_decide_which_hosts_a_program_reaches() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let refused = |host: &str| format!("Cannot connect to {host}:{port}: permission denied\n");
    let ok = "127.0.0.1: connected\nlocalhost: connected\nbound\n";

    // The default and the bare --allow-net: like a native program.
    for flags in [&[][..], &["--allow-net"]] {
        assert_eq!(
            under(flags, port),
            (ok.to_string(), String::new()),
            "{flags:?}"
        );
    }

    let (out, err) = under(&["--deny-net"], port);
    assert_eq!(
        out,
        format!(
            "{}{}Cannot bind 127.0.0.1:0: permission denied\n",
            refused("127.0.0.1"),
            refused("localhost")
        )
    );
    let why = "this bundle may not use the network (set by `nyash bundle --deny-net`)";
    assert_eq!(
        err,
        format!(
            "nyash: refused to connect to `127.0.0.1:{port}`: {why}\n\
             nyash: refused to connect to `localhost:{port}`: {why}\n\
             nyash: refused to listen on `127.0.0.1:0`: {why}\n"
        )
    );

    // An address is not its name: allowing 127.0.0.1 does not allow localhost.
    let (out, err) = under(&["--allow-net=127.0.0.1"], port);
    assert_eq!(
        out,
        format!("127.0.0.1: connected\n{}bound\n", refused("localhost"))
    );
    assert_eq!(
        err,
        format!("nyash: refused to connect to `localhost:{port}`: this bundle may use the network only for `127.0.0.1` (set by `nyash bundle --allow-net`)\n")
    );

    // A port narrows a host; commas and repeated flags add hosts.
    let allow = format!("--allow-net=LOCALHOST:{port},[::1]");
    let (out, _) = under(&[&allow, "--allow-net=example.invalid"], port);
    assert_eq!(
        out,
        format!(
            "{}localhost: connected\nCannot bind 127.0.0.1:0: permission denied\n",
            refused("127.0.0.1")
        )
    );

    // --deny-net wins over --allow-net, for the port it names only.
    let deny = format!("--deny-net=127.0.0.1:{port}");
    let (out, err) = under(&["--allow-net", &deny], port);
    assert_eq!(
        out,
        format!("{}localhost: connected\nbound\n", refused("127.0.0.1"))
    );
    assert!(
        err.contains(&format!(
            "`127.0.0.1:{port}` is denied (set by `nyash bundle --deny-net`)"
        )),
        "{err}"
    );
    drop(listener);
}

#[test]
fn inspect_shows_the_network_policy() {
    let dir = TempDir::new("net-inspect");
    let program = write(&dir, "p.nyash", "print(1)\n");
    let app = dir.path("app");
    let doc = |flags: &[&str]| {
        let mut args = vec!["bundle", program.as_str(), "-o", app.as_str()];
        args.extend(flags);
        nyash_ok(&args);
        let text = nyash_ok(&["inspect", &app]).stdout;
        let json: serde_json::Value =
            serde_json::from_str(&nyash_ok(&["inspect", "--json", &app]).stdout).unwrap();
        let line = text
            .lines()
            .find(|l| l.starts_with("  network"))
            .unwrap_or_default()
            .to_string();
        (line, json["network"].clone())
    };
    assert_eq!(
        doc(&[]),
        (
            "  network    any host (the default)".to_string(),
            serde_json::json!({"allow": null, "deny": [], "deny_all": false})
        )
    );
    assert_eq!(
        doc(&["--allow-net=localhost:8080,[::1]", "--deny-net=localhost:8080"]),
        (
            "  network    only `localhost:8080`, `[::1]` except `localhost:8080` (--allow-net, --deny-net)".to_string(),
            serde_json::json!({"allow": ["localhost:8080", "[::1]"], "deny": ["localhost:8080"], "deny_all": false})
        )
    );
    assert_eq!(
        doc(&["--deny-net"]),
        (
            "  network    none (--deny-net)".to_string(),
            serde_json::json!({"allow": null, "deny": [], "deny_all": true})
        )
    );
}

#[test]
fn bad_network_flags_get_one_clear_message_and_write_nothing() {
    let dir = TempDir::new("net-bad");
    let program = write(&dir, "p.nyash", "print(1)\n");
    let app = dir.path("app");
    let cases: [(&str, &str); 5] = [
        (
            "--allow-net=",
            "error: `--allow-net=`: the host is empty\nhint: write hosts as",
        ),
        ("--allow-net=a,,b", "the host is empty"),
        (
            "--deny-net=host:99999",
            "`99999` is not a port (1 to 65535)",
        ),
        ("--allow-net=[::1", "needs its closing `]`"),
        ("--allow-net=::1", "write an IPv6 address in brackets"),
    ];
    for (flag, message) in cases {
        let out = nyash(&["bundle", &program, "-o", &app, flag]);
        assert_ne!(out.status, 0, "{flag}");
        assert!(out.stderr.contains(message), "{flag}: {}", out.stderr);
        assert!(!out.stderr.contains("panicked"), "{}", out.stderr);
        assert!(!std::path::Path::new(&app).exists(), "{flag} wrote {app}");
        let out = nyash(&["run", flag, &program]);
        assert_ne!(out.status, 0, "run {flag}");
        assert!(out.stderr.contains(message), "run {flag}: {}", out.stderr);
        assert_eq!(out.stdout, "", "run {flag} ran the program");
    }
}
