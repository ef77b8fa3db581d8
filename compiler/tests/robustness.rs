//! Bad input never crashes the front end, and the pretty-printer round-trips.
//!
//! The random and mutation tests run a bounded number of cases with a fixed seed on every
//! `cargo test`, so CI catches regressions without the fuzzer (see `fuzz/`).

use std::path::Path;
use std::time::Instant;

use nyash_compiler::ast::Module;
use nyash_compiler::diagnostics::DiagnosticSink;
use nyash_compiler::format::tree_shape;
use nyash_compiler::parser::parse;
use nyash_compiler::pretty::print_module;
use nyash_compiler::source::FileId;
use nyash_compiler::{load_program, Checked, MemoryLoader};
use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};

/// Programs covering every construct of the grammar, including the superset forms.
const CORPUS: &[&str] = &[
    "x = 1 y = 2.5 z = \"s\\n\\\"q\\\" \\\\ \\x\" print(x + y * z - (x - y) / 3 % 2)\n",
    "a = true and not false or null == null\nb = 1 < 2 == (3 >= 4)\nc = \"a\" >> d\nd = -(-x)\n",
    "local a = 1, b = 2\nlocal c, d = 3\nlocal e\noutbox o = 4\noutbox p, q\nglobal G = 5\n",
    "if a { print(1) } else if b { print(2) } else { print(3) }\nif c\n{\n  x = 1\n}\nelse\n{\n  x = 2\n}\n",
    "loop(i < 10) { i = i + 1 if i == 5 { continue } if i == 8 { break } }\nloop { break }\n",
    "try { throw new ErrorBox(\"x\") } catch (Error e) { print(e) } catch (e) { print(e) } finally { print(0) }\n",
    "function f(a, b) { return a + b }\nfn g(a b) { return }\nfunction h() {\n  return\n}\nstatic function M.k(x) { return x }\n",
    "box A from B, C interface I {\n  init { x, weak y }\n  z w\n  public { p }\n  private { q }\n  birth(a) { me.x = a from B.birth(a) }\n  override go(n) { return from C.go(n) }\n  fini() { }\n}\n",
    "box P { init(a) { } }\nbox Q { pack(a, b) { } }\nbox R { R(a) { } }\nbox S<T, U> { }\nx = new S<IntegerBox, StringBox>()\n",
    "static box Main {\n  init { count }\n  static { me.count = 0 }\n  main(args) {\n    me.count = me.count + 1\n    print(me.count.toString())\n  }\n}\n",
    "interface box Shape {\n  area()\n  scale(f)\n}\nusing nyashstd\ninclude \"other.nyash\"\n",
    "nowait f = compute(1, 2)\nr = await f\nnew Foo()\n\"s\".length()\n(x)\nawait f\n5.toString()\nfrom A.m()\n",
    "o.a.b.c = f(g(h(1), 2), 3)\nme.x = this.y\nx = a.b(c).d(e).f\n",
    "x = 1 +\n  2 *\n  3\nf(1,\n  2,\n)\ny = (1\n  + 2)\n",
];

fn parse_text(text: &str) -> (Module, DiagnosticSink) {
    let mut sink = DiagnosticSink::new();
    let module = parse(text, FileId(0), &mut sink);
    (module, sink)
}

fn assert_round_trip(text: &str) {
    let (module, sink) = parse_text(text);
    if sink.error_count() > 0 {
        return;
    }
    let printed = print_module(&module);
    let (reparsed, sink2) = parse_text(&printed);
    assert_eq!(
        sink2.error_count(),
        0,
        "printed program does not parse:\n{printed}"
    );
    assert_eq!(
        tree_shape(&module),
        tree_shape(&reparsed),
        "round trip changed the tree:\n{printed}"
    );
    assert_eq!(
        print_module(&reparsed),
        printed,
        "printing is not idempotent"
    );
}

fn check_bytes(bytes: &[u8]) -> Checked {
    let loader = MemoryLoader::single("main.nyash", bytes.to_vec());
    load_program(Path::new("main.nyash"), &loader)
}

#[test]
fn corpus_parses_without_errors() {
    for src in CORPUS {
        let (_, sink) = parse_text(src);
        assert_eq!(sink.error_count(), 0, "{src}\n{:?}", sink.items());
    }
}

#[test]
fn corpus_round_trips() {
    for src in CORPUS {
        assert_round_trip(src);
    }
}

/// Mutations of corpus programs: delete, duplicate or insert a fragment.
fn mutate(src: &str, ops: &[(u8, usize, usize)]) -> Vec<u8> {
    const FRAGMENTS: &[&str] = &[
        "(", ")", "{", "}", "\n", " ", "=", "+", "-", "!", "[", "]", ",", ".", "\"", "'", "#",
        "box", "from", "me", "new", "if", "else", "loop", "local", "return", "break", "static",
        "birth", "init", "override", "catch", "x", "1", "1.5", "+=", "++", ";", ":", "\u{ff}",
        "名",
    ];
    let mut bytes = src.as_bytes().to_vec();
    for &(op, a, b) in ops {
        let len = bytes.len().max(1);
        let at = a % len;
        match op % 3 {
            0 => {
                let end = (at + b % 8).min(bytes.len());
                bytes.drain(at.min(bytes.len())..end);
            }
            1 => {
                let end = (at + b % 16).min(bytes.len());
                let piece = bytes[at.min(bytes.len())..end].to_vec();
                bytes.splice(at.min(bytes.len())..at.min(bytes.len()), piece);
            }
            _ => {
                let f = FRAGMENTS[b % FRAGMENTS.len()].as_bytes();
                let at = at.min(bytes.len());
                bytes.splice(at..at, f.iter().copied());
            }
        }
    }
    bytes
}

fn runner(cases: u32) -> TestRunner {
    let config = Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    };
    TestRunner::new_with_rng(config, TestRng::from_seed(RngAlgorithm::ChaCha, &[7; 32]))
}

fn check_invariants(bytes: &[u8]) {
    let checked = check_bytes(bytes);
    // A valid program always comes with a resolved program, an invalid one never.
    assert_eq!(checked.is_ok(), checked.program.is_some());
    assert_eq!(checked.error_count > 0, !checked.is_ok());
    if let Ok(text) = std::str::from_utf8(bytes) {
        assert_round_trip(text);
    }
}

#[test]
fn random_bytes_never_crash() {
    runner(300)
        .run(&proptest::collection::vec(any::<u8>(), 0..400), |bytes| {
            check_invariants(&bytes);
            Ok(())
        })
        .expect("random bytes");
}

#[test]
fn random_token_soup_never_crashes() {
    let token = prop::sample::select(vec![
        "box ",
        "A ",
        "from ",
        "B ",
        "{",
        "}",
        "(",
        ")",
        "\n",
        "x ",
        "= ",
        "1 ",
        "+ ",
        "me",
        ".",
        "f",
        "birth",
        "init ",
        "local ",
        "if ",
        "loop",
        "else ",
        "return ",
        "new ",
        ",",
        "\"s\" ",
        "static ",
        "function ",
        "override ",
        "try ",
        "catch ",
        "(e)",
        "throw ",
        "print",
        "not ",
        "and ",
        "-",
        "*",
        "include \"x\"",
        "continue ",
        "break ",
    ]);
    runner(300)
        .run(&proptest::collection::vec(token, 0..80), |tokens| {
            check_invariants(tokens.concat().as_bytes());
            Ok(())
        })
        .expect("token soup");
}

#[test]
fn mutated_programs_never_crash() {
    let strategy = (
        0..CORPUS.len(),
        proptest::collection::vec((any::<u8>(), any::<usize>(), any::<usize>()), 1..6),
    );
    runner(400)
        .run(&strategy, |(i, ops)| {
            check_invariants(&mutate(CORPUS[i], &ops));
            Ok(())
        })
        .expect("mutations");
}

#[test]
fn deep_nesting_is_reported_not_overflowed() {
    for src in [
        format!("x = {}1{}", "(".repeat(100_000), ")".repeat(100_000)),
        "(".repeat(100_000),
        format!("x = {}", "not ".repeat(100_000)),
        "if a {\n".repeat(50_000),
        "box A {\n m() {\n".repeat(20_000),
        format!("x = {}", "f(".repeat(100_000)),
        format!("x = {}", "[".repeat(100_000)),
    ] {
        let checked = check_bytes(src.as_bytes());
        assert!(!checked.is_ok());
        assert!(checked
            .diagnostics
            .iter()
            .any(|d| d.code.as_str() == "E0110"));
    }
}

/// Found by `fuzz/`'s parse_and_resolve target: the printer wrote each inner negation as
/// `-(…)`, doubling the nesting, so 101 minus signs printed as a program over `MAX_DEPTH`.
#[test]
fn nested_negations_round_trip_near_the_depth_limit() {
    for n in [2, 101, 150] {
        assert_round_trip(&format!("print({}1)\n", "-".repeat(n)));
    }
}

#[test]
fn invalid_utf8_names_the_offset() {
    let checked = check_bytes(b"print(1)\n\xc3\x28 = 2\n");
    assert!(!checked.is_ok());
    assert_eq!(checked.diagnostics[0].code.as_str(), "E0001");
    assert!(checked.diagnostics[0]
        .message
        .contains("byte 9 (line 2, column 1)"));
}

#[test]
fn empty_and_whitespace_files_are_valid() {
    for src in ["", "\n\n", "# only a comment", "  ;;  "] {
        assert!(check_bytes(src.as_bytes()).is_ok(), "{src:?}");
    }
}

#[test]
fn large_file_is_fast_enough() {
    // 50 MB in release builds; debug builds check a tenth of it to keep `cargo test` quick.
    let target = if cfg!(debug_assertions) {
        5 << 20
    } else {
        50 << 20
    };
    let unit = "x = x + 1\nif x > 3 { print(\"big\") }\n";
    let mut src = String::from("x = 0\n");
    while src.len() < target {
        src.push_str(unit);
    }
    let start = Instant::now();
    let checked = check_bytes(src.as_bytes());
    assert!(checked.is_ok());
    let limit = if cfg!(debug_assertions) { 30.0 } else { 5.0 };
    assert!(
        start.elapsed().as_secs_f64() < limit,
        "took {:?}",
        start.elapsed()
    );

    // A large file full of errors stays bounded too.
    let garbage = "$ % ) ]\n".repeat(target / 8);
    let checked = check_bytes(garbage.as_bytes());
    assert!(!checked.is_ok());
    assert!(checked.diagnostics.len() <= nyash_compiler::diagnostics::MAX_STORED);
}
