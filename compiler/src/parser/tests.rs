//! Parser unit tests: each case parses source and compares the pretty-printed tree
//! (or the diagnostic codes) with the expected text.

use super::parse;
use crate::diagnostics::{render_to_string, DiagnosticSink};
use crate::pretty::print_module;
use crate::source::{FileId, SourceFile, SourceMap};

fn parse_ok(src: &str) -> String {
    let mut sink = DiagnosticSink::new();
    let module = parse(src, FileId(0), &mut sink);
    if !sink.items().is_empty() {
        let mut map = SourceMap::new();
        map.add(SourceFile::new("t".into(), "t.nyash".into(), src.into()));
        panic!(
            "unexpected diagnostics:\n{}",
            render_to_string(sink.items(), &map)
        );
    }
    print_module(&module)
}

fn codes(src: &str) -> Vec<&'static str> {
    let mut sink = DiagnosticSink::new();
    let _ = parse(src, FileId(0), &mut sink);
    sink.items().iter().map(|d| d.code.as_str()).collect()
}

#[test]
fn statements_need_no_separator() {
    assert_eq!(
        parse_ok("a = 1 b = 2 print(a + b)"),
        "a = 1\nb = 2\nprint(a + b)\n"
    );
}

#[test]
fn semicolons_separate() {
    assert_eq!(parse_ok("a = 1; b = 2;"), "a = 1\nb = 2\n");
}

#[test]
fn precedence() {
    assert_eq!(
        parse_ok("x = 1 + 2 * 3 - (4 - 5)"),
        "x = 1 + 2 * 3 - (4 - 5)\n"
    );
    assert_eq!(
        parse_ok("x = a or b and not c == d"),
        "x = a or b and not c == d\n"
    );
    assert_eq!(parse_ok("x = (a || b) && c"), "x = (a or b) and c\n");
    assert_eq!(parse_ok("x = -(-y)"), "x = - -y\n");
}

#[test]
fn continuation_rules() {
    assert_eq!(parse_ok("x = 1 +\n 2"), "x = 1 + 2\n");
    assert_eq!(parse_ok("f(1,\n 2\n)"), "f(1, 2)\n");
    assert_eq!(parse_ok("f(1 2,)"), "f(1, 2)\n");
    assert_eq!(
        parse_ok("if a\n{\n print(1)\n}\nelse\n{\n print(2)\n}"),
        "if a {\n    print(1)\n} else {\n    print(2)\n}\n"
    );
    assert_eq!(
        parse_ok("try { x = 1 }\ncatch (e) { }\nfinally { }"),
        "try {\n    x = 1\n} catch (e) {\n} finally {\n}\n"
    );
}

#[test]
fn superset_statements() {
    assert_eq!(parse_ok("local a = 1, b = 2"), "local a = 1, b = 2\n");
    assert_eq!(parse_ok("local a, b = 2"), "local a, b = 2\n");
    assert_eq!(parse_ok("outbox x = f()"), "outbox x = f()\n");
    assert_eq!(
        parse_ok("function f() { return }"),
        "function f() {\n    return\n}\n"
    );
    assert_eq!(
        parse_ok("new Foo()\n\"s\".length()\n(x)\nawait f"),
        "new Foo()\n\"s\".length()\nx\nawait f\n"
    );
    assert_eq!(
        parse_ok("loop(i < 3) { continue }"),
        "loop(i < 3) {\n    continue\n}\n"
    );
}

#[test]
fn boxes_and_constructors() {
    let src = "box A from B, C {\n init { x, weak y }\n z\n public { p }\n private { q }\n birth(a) { me.x = a }\n override go(n) { return from B.go(n) }\n}";
    assert_eq!(
        parse_ok(src),
        "box A from B, C {\n    init { x, weak y }\n    z\n    public { p }\n    private { q }\n    birth(a) {\n        me.x = a\n    }\n    override go(n) {\n        return from B.go(n)\n    }\n}\n"
    );
    assert_eq!(
        parse_ok("box P { P(a) { } }"),
        "box P {\n    P(a) {\n    }\n}\n"
    );
    assert_eq!(
        parse_ok("static box Main { init { c } static { me.c = 1 } main(args) { } }"),
        "static box Main {\n    init { c }\n    static {\n        me.c = 1\n    }\n    main(args) {\n    }\n}\n"
    );
}

#[test]
fn habits_are_reported_and_recovered() {
    assert_eq!(codes("x += 1\ny = 2"), ["E0102"]);
    assert_eq!(codes("x++"), ["E0103"]);
    assert_eq!(codes("if !x { }"), ["E0104"]);
    assert_eq!(codes("y = a[1]\na[2] = 3"), ["E0105", "E0105"]);
    assert_eq!(codes("y = [1, 2]"), ["E0106"]);
    assert_eq!(codes("s = 'hi'"), ["E0005"]);
}

#[test]
fn several_errors_in_one_run() {
    assert_eq!(
        codes("x = )\ny = 1\nz = (\nw = 2\nbox A { 1 }\n"),
        ["E0100", "E0100", "E0100"]
    );
}

#[test]
fn deep_nesting_is_one_error() {
    let src = format!("x = {}1{}\ny = 2", "(".repeat(100_000), ")".repeat(100_000));
    assert_eq!(codes(&src), ["E0110"]);
    let src = format!("x = {}1", "-".repeat(100_000));
    assert_eq!(codes(&src), ["E0110"]);
    let src = format!("x = 1{}", " + 1".repeat(100_000));
    assert_eq!(codes(&src), ["E0110"]);
    let src = format!("x = a{}", ".b".repeat(100_000));
    assert_eq!(codes(&src), ["E0110"]);
    let src = "if a {\n".repeat(100_000);
    assert_eq!(codes(&src), ["E0110", "E0112"]);
}
