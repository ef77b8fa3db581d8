//! The formatter (`nyash fmt`): its style (snapshots holding input and output), and its
//! promises checked over every Nyash file of the repository and under random edits: the
//! result parses to the same tree, keeps every comment, and formatting it again changes
//! nothing.

// This test reads the repository's own Nyash files; the core's no-IO rule is for the crate.
#![allow(clippy::disallowed_methods)]

use std::path::{Path, PathBuf};

use nyash_compiler::diagnostics::DiagnosticSink;
use nyash_compiler::format::{comments, format_source, tree_shape, FormatError};
use nyash_compiler::parser::parse;
use nyash_compiler::source::FileId;
use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};

/// Formats `input`, which must parse.
fn fmt(input: &str) -> String {
    match format_source(input) {
        Ok(out) => out,
        Err(e) => panic!("not formatted ({e:?}):\n{input}"),
    }
}

/// A snapshot holding the input and the formatted text.
macro_rules! assert_format {
    ($input:expr) => {{
        let input: &str = $input;
        insta::assert_snapshot!(format!("{input}\n---- formatted ----\n{}", fmt(input)));
    }};
}

#[test]
fn style_of_a_box() {
    assert_format!(
        r#"// A counter.
box Counter from Base{
init{count,step}
  birth( start ){
me.count=start
      from Base.birth()
}


    // Adds one step.
    add(){ me.count=me.count+me.step return me }
  toString() { return "Counter(" + me.count + ")" }   // shown by print
}
"#
    );
}

#[test]
fn style_of_statements() {
    assert_format!(
        r#"static box Main{
main(args){
local i=0
loop(i<10){
if i%2==0{print(-i)}else{print(not true and false)}
i=i+1
}
try{throw new ErrorBox("x")}catch(Error e){print(e.getMessage())}finally{print("done")}
}
}
"#
    );
}

#[test]
fn style_of_continued_lines_and_lists() {
    assert_format!(
        r#"function f(a,
b,
c) {
total = a +
b *
c
return total
}
x = new Holder<IntegerBox>()
nowait fut=f(1,2,3)
print(await fut)
a = 1; b = 2
"#
    );
}

#[test]
fn comments_keep_their_lines() {
    assert_format!(
        "#!/usr/bin/env nyash\n// top\n\n\n\nbox A {\n\n    // inside, first\n    x\n\n    # last\n\n}\nprint(1) // after\n\n\n"
    );
}

#[test]
fn syntax_errors_leave_the_text_alone() {
    match format_source("box A {\n  f( {\n}\n") {
        Err(FormatError::Syntax(diagnostics)) => assert!(!diagnostics.is_empty()),
        other => panic!("expected syntax errors, got {other:?}"),
    }
}

fn nyash_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
    entries.sort();
    for p in entries {
        let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if p.is_dir() {
            if !name.starts_with('.') && name != "target" {
                nyash_files(&p, out);
            }
        } else if name.ends_with(".nyash") {
            out.push(p);
        }
    }
}

fn parses(text: &str) -> bool {
    let mut sink = DiagnosticSink::new();
    let _ = parse(text, FileId(0), &mut sink);
    sink.error_count() == 0
}

fn shape(text: &str) -> String {
    let mut sink = DiagnosticSink::new();
    tree_shape(&parse(text, FileId(0), &mut sink))
}

/// Every `.nyash` file of the repository that parses: the conformance suite, the examples,
/// the benchmarks and the test fixtures.
#[test]
fn every_repository_file_formats_to_the_same_program_and_is_stable() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut files = Vec::new();
    for dir in ["tests", "examples", "bench", "compiler", "docs"] {
        nyash_files(&root.join(dir), &mut files);
    }
    let mut formatted = 0;
    for path in &files {
        let Ok(text) = std::fs::read_to_string(path) else {
            continue;
        };
        if !parses(&text) {
            // Error cases of the suite; `nyash fmt` leaves them alone.
            assert!(matches!(format_source(&text), Err(FormatError::Syntax(_))));
            continue;
        }
        let once = match format_source(&text) {
            Ok(out) => out,
            Err(e) => panic!("{} was not formatted: {e:?}", path.display()),
        };
        assert_eq!(shape(&text), shape(&once), "{} changed", path.display());
        assert_eq!(comments(&text), comments(&once), "{}", path.display());
        assert_eq!(fmt(&once), once, "{} is not stable", path.display());
        formatted += 1;
    }
    assert!(formatted >= 200, "only {formatted} files were formatted");
    eprintln!("{formatted} of {} files formatted and stable", files.len());
}

/// Programs of every construct, into which the property tests put comments and whitespace.
const CORPUS: &[&str] = &[
    "x = 1 y = 2.5\nprint(x + y * 3 - (x - y) / 3 % 2)\n",
    "a = true and not false or null == null\nb = 1 < 2 == (3 >= 4)\nd = -(-x)\n",
    "local a = 1, b = 2\noutbox o = 4\nglobal G = 5\n",
    "if a { print(1) } else if b { print(2) } else { print(3) }\n",
    "loop(i < 10) { i = i + 1\nif i == 5 { continue }\n}\n",
    "try { throw new ErrorBox(\"x\") } catch (Error e) { print(e) } finally { print(0) }\n",
    "function f(a, b) {\nreturn a + b\n}\nstatic function M.k(x) { return x }\n",
    "box A from B {\ninit { x, weak y }\nbirth(a) { me.x = a\nfrom B.birth(a) }\noverride go(n) { return from B.go(n) }\n}\n",
    "static box Main {\nmain(args) {\nnowait f = g(1,\n2)\nprint(await f)\n}\n}\n",
    "x = 1 +\n2 *\n3\nf(1,\n2,\n)\n",
];

/// A corpus program with `comments` put at line ends and on lines of their own, and the
/// whitespace at the start and end of lines changed.
fn mutate(program: &str, edits: &[(u8, u8)]) -> String {
    let lines: Vec<&str> = program.lines().collect();
    let mut out = String::new();
    for (i, line) in lines.iter().enumerate() {
        let (what, n) = edits.get(i).copied().unwrap_or((0, 0));
        let pad = " ".repeat(usize::from(n % 7));
        match what % 5 {
            0 => out += &format!("{pad}{line}\n"),
            1 => out += &format!("{pad}{line}{pad} // note {n}\n"),
            2 => out += &format!("// above {n}\n{pad}{line}\n"),
            3 => out += &format!("{line}   # hash {n}\n\n\n"),
            _ => out += &format!("\t{line}\n{pad}//{pad}\n"),
        }
    }
    out
}

fn runner(cases: u32) -> TestRunner {
    let config = Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    };
    TestRunner::new_with_rng(config, TestRng::from_seed(RngAlgorithm::ChaCha, &[11; 32]))
}

#[test]
fn no_comment_is_lost() {
    let strategy = (
        0..CORPUS.len(),
        proptest::collection::vec((any::<u8>(), any::<u8>()), 0..12),
    );
    runner(400)
        .run(&strategy, |(which, edits)| {
            let text = mutate(CORPUS[which], &edits);
            prop_assume!(parses(&text));
            let out = format_source(&text).map_err(|e| TestCaseError::fail(format!("{e:?}")))?;
            prop_assert_eq!(comments(&text), comments(&out));
            prop_assert_eq!(shape(&text), shape(&out));
            prop_assert_eq!(fmt(&out), out);
            Ok(())
        })
        .unwrap();
}
