//! What one test file holds, and the program that runs it.
//!
//! A `NAME_test.nyash` beside `NAME_test.stdout` is a golden-file test: the program itself is
//! run. Otherwise its tests are the methods named `test…` without parameters of its boxes
//! (static boxes, and boxes that `new X()` can make) and its functions named `test…`. They are
//! run through a generated entry file that includes the test file and the `Assert` box
//! ([`ASSERT_SOURCE`]) and whose `Main.main(args)` calls the test named by `args.get(0)`:
//! one program per file, compiled once, and one fresh instance of it per test.

use std::path::{Path, PathBuf};

use codespan_reporting::term::termcolor::NoColor;
use nyash_compiler::ast::{Member, Module, StmtKind};
use nyash_compiler::diagnostics::DiagnosticSink;
use nyash_compiler::parser::parse;
use nyash_compiler::source::{normalize_path, FileId, SourceFile, SourceLoader};
use nyash_compiler::{compile_checked, load_program, CompileFailure};

use crate::report::report;

/// The name of the generated entry file of assertion tests (it never exists on disk).
pub const ENTRY_NAME: &str = "__nyash_test_main__.nyash";
/// The name of the file holding the `Assert` box (it never exists on disk).
pub const ASSERT_NAME: &str = "__nyash_assert__.nyash";

/// The `Assert` box every assertion test can use. A failed assertion throws an ErrorBox whose
/// message says what was expected and what came instead; the uncaught error's trace gives the
/// line of the test that made it.
pub const ASSERT_SOURCE: &str = r#"// Assertions for `nyash test`.
static box Assert {
    show(value) {
        if isType(value, "String") {
            return "\"" + value + "\""
        }
        return "" + value
    }
    equals(actual, expected) {
        if not (actual == expected) {
            throw new ErrorBox("assertion failed: expected " + Assert.show(expected) + ", got " + Assert.show(actual))
        }
    }
    notEquals(actual, unexpected) {
        if actual == unexpected {
            throw new ErrorBox("assertion failed: expected anything but " + Assert.show(unexpected))
        }
    }
    isTrue(value) {
        if not value {
            throw new ErrorBox("assertion failed: expected a true value, got " + Assert.show(value))
        }
    }
    isFalse(value) {
        if value {
            throw new ErrorBox("assertion failed: expected a false value, got " + Assert.show(value))
        }
    }
    fail(message) {
        throw new ErrorBox("failed: " + message)
    }
}
"#;

/// One assertion test: how it is named and called.
#[derive(Debug, Clone)]
pub struct Case {
    /// `Box.testName` or `testName` (a function).
    pub name: String,
    /// The Nyash statement that runs it.
    call: String,
    /// 1-based line of its declaration.
    pub line: usize,
}

/// What a test file holds.
pub enum Plan {
    /// A golden-file test: run the program, compare with the files beside it.
    Golden,
    /// Assertion tests (none when the file does not parse: compiling it reports why).
    Cases(Vec<Case>),
    /// No golden file and no test methods or functions.
    Empty,
    /// Tests that cannot be run, and why.
    Invalid(String),
}

/// Reads what `text` (the test file's source) declares. `golden` tells whether a `.stdout`
/// file is beside it.
pub fn plan(text: &str, golden: bool) -> Plan {
    if golden {
        return Plan::Golden;
    }
    let mut sink = DiagnosticSink::new();
    let module = parse(text, FileId(0), &mut sink);
    if sink.error_count() > 0 {
        // Compiling it reports the errors as a failed test.
        return Plan::Cases(Vec::new());
    }
    let cases = cases(&module, text);
    if cases.is_empty() {
        return Plan::Empty;
    }
    if declares(&module, "Main") {
        return Plan::Invalid(
            "declares `static box Main`, which the test runner provides for assertion tests".into(),
        );
    }
    Plan::Cases(cases)
}

fn declares(module: &Module, name: &str) -> bool {
    module
        .stmts
        .iter()
        .any(|s| matches!(&s.kind, StmtKind::Box(b) if b.name.name == name))
}

fn cases(module: &Module, text: &str) -> Vec<Case> {
    let file = SourceFile::new(PathBuf::new(), String::new(), text.to_string());
    let is_test = |name: &str| name.starts_with("test");
    let mut out = Vec::new();
    for stmt in &module.stmts {
        match &stmt.kind {
            StmtKind::Function(f) if is_test(&f.name.name) && f.params.is_empty() => {
                out.push(Case {
                    name: f.name.name.clone(),
                    call: format!("{}()", f.name.name),
                    line: file.line_col(f.name.span.start).0,
                });
            }
            StmtKind::Box(b) => {
                let constructible = b.is_static
                    || b.members.iter().all(|m| match m {
                        Member::Constructor { func, .. } => func.params.is_empty(),
                        _ => true,
                    });
                if !constructible || !b.type_params.is_empty() {
                    continue;
                }
                for m in &b.members {
                    let Member::Method { func, .. } = m else {
                        continue;
                    };
                    if !is_test(&func.name.name) || !func.params.is_empty() {
                        continue;
                    }
                    let receiver = if b.is_static {
                        b.name.name.clone()
                    } else {
                        format!("new {}()", b.name.name)
                    };
                    out.push(Case {
                        name: format!("{}.{}", b.name.name, func.name.name),
                        call: format!("{receiver}.{}()", func.name.name),
                        line: file.line_col(func.name.span.start).0,
                    });
                }
            }
            _ => {}
        }
    }
    out
}

/// The generated entry file for the assertion tests of `file_name`.
pub fn entry_source(file_name: &str, cases: &[Case], with_assert: bool) -> String {
    let mut s = format!("include \"{}\"\n", file_name.replace('\\', "/"));
    if with_assert {
        s += &format!("include \"{ASSERT_NAME}\"\n");
    }
    s += "static box Main {\n    main(args) {\n        local test = args.get(0)\n";
    for c in cases {
        s += &format!(
            "        if test == \"{}\" {{\n            {}\n        }}\n",
            c.name, c.call
        );
    }
    s += "    }\n}\n";
    s
}

/// Reads files relative to a test file's directory, and serves the generated files from
/// memory. Names in diagnostics and traces are relative to that directory, as when the
/// program is run from there.
pub struct TestLoader {
    base: PathBuf,
    generated: Vec<(PathBuf, String)>,
}

impl TestLoader {
    /// A loader for the directory `base` (made absolute here).
    pub fn new(base: &Path) -> TestLoader {
        let base = std::fs::canonicalize(base).unwrap_or_else(|_| base.to_path_buf());
        TestLoader {
            base,
            generated: Vec::new(),
        }
    }

    /// Serves `text` as the file `name` of the base directory.
    pub fn add(&mut self, name: &str, text: String) {
        self.generated
            .push((normalize_path(&self.base.join(name)), text));
    }

    fn generated(&self, full: &Path) -> Option<&String> {
        self.generated
            .iter()
            .find(|(p, _)| p == full)
            .map(|(_, text)| text)
    }
}

impl SourceLoader for TestLoader {
    fn read(&self, path: &Path) -> Result<Vec<u8>, String> {
        let full = normalize_path(&self.base.join(path));
        if let Some(text) = self.generated(&full) {
            return Ok(text.clone().into_bytes());
        }
        std::fs::read(&full).map_err(|e| format!("cannot read `{}`: {e}", path.display()))
    }

    fn canonical(&self, path: &Path) -> PathBuf {
        let full = normalize_path(&self.base.join(path));
        if self.generated(&full).is_some() {
            return full;
        }
        std::fs::canonicalize(&full).unwrap_or(full)
    }
}

/// Compiles the program `entry` of `loader`; on failure, the diagnostics as `nyash check`
/// prints them, naming the program `shown`.
pub fn compile(entry: &str, shown: &str, loader: &TestLoader) -> Result<Vec<u8>, String> {
    let checked = load_program(Path::new(entry), loader);
    compile_checked(checked).map_err(|failure| match failure {
        CompileFailure::Diagnostics(checked) => {
            let mut out = NoColor::new(Vec::new());
            report(&checked, Path::new(shown), &mut out);
            String::from_utf8_lossy(&out.into_inner()).into_owned()
        }
        CompileFailure::Internal(message) => {
            format!("internal compiler error: {message}\nhint: this is a bug in nyash; please report it with the program\n")
        }
    })
}

/// `true` when the module declares a box or function named `Assert`, so the runner's own
/// must not be added.
pub fn has_own_assert(text: &str) -> bool {
    let mut sink = DiagnosticSink::new();
    let module = parse(text, FileId(0), &mut sink);
    declares(&module, "Assert")
}
