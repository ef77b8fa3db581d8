//! The builtin method table (`abi/src/builtins.rs`) agrees with the runtime: a program calls
//! every listed method of every builtin box under `nyash run --check-memory`, whose runtime
//! stops with "method table check failed" when the table lists a method it does not answer
//! (or when it answers one the table lacks), and `nyash check` warns about none of them.

mod support;

use nyash_compiler::builtins::BUILTIN_BOXES;
use support::*;

/// Nyash code that puts an instance of builtin box `name` in local `x`, or `None` for the
/// boxes that list no methods and those the runtime cannot make. `dir` is a scratch directory for FileBox.
fn instance(name: &str, dir: &TempDir) -> Option<String> {
    Some(match name {
        "StringBox" => "local x = \"abc\"".into(),
        "IntegerBox" => "local x = 5".into(),
        "FloatBox" => "local x = 1.5".into(),
        "BoolBox" => "local x = true".into(),
        "NullBox" => "local x = null".into(),
        "FileBox" => format!("local x = new FileBox({:?})", dir.path("scratch.txt")),
        "JSONBox" => "local x = new JSONBox(\"{}\")".into(),
        "RegexBox" => "local x = new RegexBox(\"a+\")".into(),
        "ResultBox" => "local x = new ResultBox(1)".into(),
        "ErrorBox" => "local x = null\ntry { throw \"boom\" } catch (e) { x = e }".into(),
        "FutureBox" => "nowait x = 1 + 1".into(),
        "MethodBox" => "local x = new MethodBox(\"abc\", \"length\")".into(),
        "ChannelBox" => "local x = \"alice\" >> \"bob\"".into(),
        _ if BUILTIN_BOXES
            .iter()
            .any(|b| b.name == name && b.methods.is_empty()) =>
        {
            return None
        }
        _ => format!("local x = new {name}()"),
    })
}

/// One function per box: make an instance, call each listed method without arguments
/// (a wrong arity is an error the runtime raises for a method it knows), catch everything.
fn program(dir: &TempDir) -> String {
    let mut src = String::new();
    let mut calls = Vec::new();
    for (i, b) in BUILTIN_BOXES.iter().enumerate() {
        let Some(make) = instance(b.name, dir) else {
            continue;
        };
        src.push_str(&format!("function box{i}() {{\n{make}\n"));
        for m in b.methods {
            src.push_str(&format!("try {{ x.{m}() }} catch (e) {{ }}\n"));
        }
        src.push_str(&format!(
            "print(\"{}: {} methods\")\n}}\n",
            b.name,
            b.methods.len()
        ));
        calls.push(format!("box{i}()"));
    }
    // A method no box has: unknown to the table and to the runtime alike.
    src.push_str("try { \"abc\".noSuchMethod() } catch (e) { print(e) }\n");
    src.push_str(&calls.join("\n"));
    src.push_str("\nprint(\"done\")\n");
    src
}

#[test]
fn every_listed_method_is_answered_by_the_runtime() {
    let dir = TempDir::new("method-table");
    let app = write(&dir, "app.nyash", &program(&dir));
    let out = nyash(&["run", "--check-memory", &app]);
    assert!(
        !out.stderr.contains("method table check failed"),
        "{}",
        out.stderr
    );
    assert_eq!(out.status, 0, "{out:?}");
    assert!(out
        .stdout
        .contains("Unknown method 'noSuchMethod' for StringBox"));
    for b in BUILTIN_BOXES
        .iter()
        .filter(|b| instance(b.name, &dir).is_some())
    {
        let line = format!("{}: {} methods", b.name, b.methods.len());
        assert!(
            out.stdout.contains(&line),
            "missing `{line}` in\n{}",
            out.stdout
        );
    }
    assert!(out.stdout.ends_with("done\n"), "{}", out.stdout);
}

#[test]
fn the_resolver_warns_about_no_listed_method() {
    let dir = TempDir::new("method-table-check");
    let app = write(&dir, "app.nyash", &program(&dir));
    let out = nyash(&["check", &app]);
    assert_eq!(out.status, 0, "{out:?}");
    let warnings: Vec<&str> = out.stderr.lines().filter(|l| l.contains("W0003")).collect();
    // The one unknown method is the deliberate one.
    assert_eq!(warnings.len(), 1, "{}", out.stderr);
    assert!(warnings[0].contains("noSuchMethod"), "{}", out.stderr);
}
