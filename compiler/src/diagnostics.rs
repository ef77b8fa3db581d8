//! Diagnostics as data, and the one place that renders them.
//!
//! Every phase reports problems as [`Diagnostic`] values: a stable [`Code`], one plain
//! sentence, a primary [`Span`] with an optional label, secondary labels, and an optional
//! hint. [`render`] turns them into text with `codespan-reporting`; the caller picks colour.
//!
//! Codes are declared once, in the table below, together with their severity and their
//! documentation, so the enum, the code string and the level cannot drift apart.

use std::fmt::Write as _;

use codespan_reporting::diagnostic as cs;
use codespan_reporting::files::{self, Files};
use codespan_reporting::term;
use codespan_reporting::term::termcolor::{NoColor, WriteColor};

use crate::source::{FileId, SourceMap, Span};

/// How bad a diagnostic is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    /// The program is still valid.
    Warning,
    /// The program is rejected.
    Error,
}

macro_rules! diagnostic_codes {
    ($( $(#[doc = $doc:literal])* $name:ident = $code:literal, $sev:ident; )*) => {
        /// Every diagnostic the front end can report. The string form (`E0001`) is stable.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Code {
            $( $(#[doc = $doc])* $name, )*
        }

        impl Code {
            /// All codes, in table order.
            pub const ALL: &'static [Code] = &[$(Code::$name),*];

            /// The stable code string, e.g. `E0001`.
            pub fn as_str(self) -> &'static str {
                match self { $(Code::$name => $code,)* }
            }

            /// Whether this code is an error or a warning.
            pub fn severity(self) -> Severity {
                match self { $(Code::$name => Severity::$sev,)* }
            }

            /// The documentation of the code (its doc comment).
            pub fn description(self) -> &'static str {
                match self { $(Code::$name => concat!($($doc, "\n"),*),)* }
            }
        }
    };
}

diagnostic_codes! {
    /// The file is not valid UTF-8.
    InvalidUtf8 = "E0001", Error;
    /// A character that cannot start any token.
    UnexpectedChar = "E0002", Error;
    /// A string literal without its closing quote.
    UnterminatedString = "E0003", Error;
    /// A number literal that does not fit an Int (i64) or a finite Float.
    NumberTooLarge = "E0004", Error;
    /// A string written with single quotes.
    SingleQuotes = "E0005", Error;
    /// A `/* … */` block comment.
    BlockComment = "E0006", Error;
    /// A file that cannot be read (missing, unreadable, or too large).
    FileUnreadable = "E0007", Error;
    /// A token that does not fit the grammar at this place.
    UnexpectedToken = "E0100", Error;
    /// Something that cannot start a statement (often a continued line).
    InvalidStatementStart = "E0101", Error;
    /// A compound assignment such as `+=`.
    CompoundAssignment = "E0102", Error;
    /// An increment or decrement such as `++`.
    IncrementOperator = "E0103", Error;
    /// `!` used for negation.
    BangNot = "E0104", Error;
    /// Indexing with `a[i]`.
    IndexOperator = "E0105", Error;
    /// An array literal `[1, 2]`.
    ArrayLiteral = "E0106", Error;
    /// An assignment to something that is not a variable or a field.
    InvalidAssignTarget = "E0107", Error;
    /// `from P(…)` without a method name.
    FromWithoutMethod = "E0108", Error;
    /// `new X` without an argument list.
    NewWithoutParens = "E0109", Error;
    /// Nesting deeper than the parser's limit.
    NestingTooDeep = "E0110", Error;
    /// `print` with other than one argument.
    PrintArity = "E0111", Error;
    /// The file ends inside a construct.
    UnexpectedEof = "E0112", Error;
    /// A type annotation such as `x: Int`.
    TypeAnnotation = "E0113", Error;
    /// `function` written before a method inside a box.
    FunctionInBox = "E0114", Error;
    /// `box A : B` or `box A extends B` instead of `box A from B`.
    WrongDelegationSyntax = "E0115", Error;
    /// A declaration keyword from another language (`class`, `let`, `var`, `const`, `while`, `for`).
    ForeignKeyword = "E0116", Error;
    /// `override` written before a constructor.
    OverrideConstructor = "E0117", Error;
    /// A member that is not allowed in this kind of box (constructor in a static box, `static { }` in an ordinary box).
    MisplacedMember = "E0118", Error;
    /// The reserved word `singleton`.
    ReservedWord = "E0119", Error;
    /// `using` with a namespace other than `nyashstd`.
    UnknownNamespace = "E0120", Error;
    /// A keyword where a name is expected.
    KeywordAsName = "E0121", Error;
    /// `=` where a condition expects `==`.
    AssignInCondition = "E0122", Error;
    /// `else`, `catch` or `finally` with nothing to attach to.
    DanglingClause = "E0123", Error;
    /// A `loop` condition without parentheses, or an empty one.
    LoopCondition = "E0124", Error;
    /// A name that is read but never defined.
    UndefinedVariable = "E0200", Error;
    /// A call of a function that does not exist.
    UndefinedFunction = "E0201", Error;
    /// `new X` (or `from X`) where no box `X` exists.
    UnknownBox = "E0202", Error;
    /// A box with more than one constructor.
    DuplicateConstructor = "E0203", Error;
    /// `new X(…)` with the wrong number of arguments for X's constructor.
    ConstructorArity = "E0204", Error;
    /// A field that the box does not declare.
    UndeclaredField = "E0205", Error;
    /// `from P.m()` in a box that does not delegate to `P`.
    NotAParent = "E0206", Error;
    /// `from` outside a method.
    FromOutsideMethod = "E0207", Error;
    /// `me` outside a method.
    MeOutsideMethod = "E0208", Error;
    /// `from P.m()` where `P` has no method `m`.
    UnknownParentMethod = "E0209", Error;
    /// A delegation cycle, such as `box A from B` with `box B from A`.
    DelegationCycle = "E0210", Error;
    /// Two boxes with the same name.
    DuplicateBox = "E0211", Error;
    /// Two global functions (or two `static function A.f`) with the same name.
    DuplicateFunction = "E0212", Error;
    /// Two methods with the same name in one box.
    DuplicateMethod = "E0213", Error;
    /// A call with the wrong number of arguments.
    CallArity = "E0214", Error;
    /// Files that include each other.
    IncludeCycle = "E0215", Error;
    /// A method that neither the box, its parents nor its children define.
    UnknownMethod = "E0216", Error;
    /// `break` or `continue` outside a loop.
    OutsideLoop = "E0217", Error;
    /// `return` outside a function or method.
    ReturnOutsideFunction = "E0218", Error;
    /// `main` of `static box Main` with more than one parameter.
    MainParams = "E0219", Error;
    /// A parameter name used twice.
    DuplicateParam = "E0220", Error;
    /// A box delegating to an interface or to itself, or an unusable parent.
    InvalidParent = "E0221", Error;
    /// `override` on a method that replaces nothing.
    NothingToOverride = "W0001", Warning;
    /// A method that replaces a parent's method without `override`.
    MissingOverride = "W0002", Warning;
    /// A builtin box has no such method.
    UnknownBuiltinMethod = "W0003", Warning;
    /// A user box named like a builtin box (the builtin wins).
    ShadowsBuiltin = "W0004", Warning;
    /// A field declared twice in one box.
    DuplicateField = "W0005", Warning;
    /// A method named `constructor` or `__init__`, which is not a constructor.
    NotAConstructor = "W0006", Warning;
    /// `static function f()` without a box name.
    StaticFunctionWithoutBox = "W0007", Warning;
    /// `catch (T e)` where T can never match.
    CatchNeverMatches = "W0008", Warning;
}

/// A secondary label: a span with a short text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Label {
    /// Where.
    pub span: Span,
    /// What to say there.
    pub message: String,
}

/// One problem found in the program.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// The stable code; also decides the severity.
    pub code: Code,
    /// One plain sentence saying what is wrong.
    pub message: String,
    /// The main place, if the problem has one.
    pub span: Option<Span>,
    /// Text shown under the main span (may be empty).
    pub label: String,
    /// Other places worth showing.
    pub secondary: Vec<Label>,
    /// What to do about it, when there is something useful to say.
    pub hint: Option<String>,
}

impl Diagnostic {
    /// A diagnostic at `span`.
    pub fn new(code: Code, span: Span, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            code,
            message: message.into(),
            span: Some(span),
            label: String::new(),
            secondary: Vec::new(),
            hint: None,
        }
    }

    /// A diagnostic without a position (e.g. an unreadable entry file).
    pub fn without_span(code: Code, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            code,
            message: message.into(),
            span: None,
            label: String::new(),
            secondary: Vec::new(),
            hint: None,
        }
    }

    /// Sets the text under the main span.
    pub fn label(mut self, label: impl Into<String>) -> Diagnostic {
        self.label = label.into();
        self
    }

    /// Adds a hint.
    pub fn hint(mut self, hint: impl Into<String>) -> Diagnostic {
        self.hint = Some(hint.into());
        self
    }

    /// Adds a hint when there is one.
    pub fn maybe_hint(mut self, hint: Option<String>) -> Diagnostic {
        if hint.is_some() {
            self.hint = hint;
        }
        self
    }

    /// Adds a secondary label.
    pub fn with_secondary(mut self, span: Span, message: impl Into<String>) -> Diagnostic {
        self.secondary.push(Label {
            span,
            message: message.into(),
        });
        self
    }

    /// The severity, taken from the code.
    pub fn severity(&self) -> Severity {
        self.code.severity()
    }

    /// `true` for errors.
    pub fn is_error(&self) -> bool {
        self.severity() == Severity::Error
    }
}

/// How many diagnostics a [`DiagnosticSink`] keeps; further ones are only counted.
pub const MAX_STORED: usize = 1000;

/// How many diagnostics [`render`] prints before summarising the rest.
pub const MAX_RENDERED: usize = 100;

/// Collects diagnostics, keeping at most [`MAX_STORED`] of them and counting the rest.
#[derive(Debug, Clone, Default)]
pub struct DiagnosticSink {
    items: Vec<Diagnostic>,
    dropped: usize,
    errors: usize,
    warnings: usize,
}

impl DiagnosticSink {
    /// An empty sink.
    pub fn new() -> DiagnosticSink {
        DiagnosticSink::default()
    }

    /// Records a diagnostic.
    pub fn push(&mut self, diagnostic: Diagnostic) {
        match diagnostic.severity() {
            Severity::Error => self.errors += 1,
            Severity::Warning => self.warnings += 1,
        }
        if self.items.len() < MAX_STORED {
            self.items.push(diagnostic);
        } else {
            self.dropped += 1;
        }
    }

    /// Number of errors reported (stored or not).
    pub fn error_count(&self) -> usize {
        self.errors
    }

    /// Number of warnings reported (stored or not).
    pub fn warning_count(&self) -> usize {
        self.warnings
    }

    /// Diagnostics reported but not stored.
    pub fn dropped(&self) -> usize {
        self.dropped
    }

    /// The stored diagnostics, in the order reported.
    pub fn items(&self) -> &[Diagnostic] {
        &self.items
    }

    /// Sorts the stored diagnostics by file and position (stable for equal positions).
    pub fn sort(&mut self) {
        self.items
            .sort_by_key(|d| d.span.map(|s| (s.file, s.start)));
    }
}

/// Adapter that lets codespan-reporting read a [`SourceMap`].
struct CodespanFiles<'a>(&'a SourceMap);

impl<'a> Files<'a> for CodespanFiles<'a> {
    type FileId = FileId;
    type Name = &'a str;
    type Source = &'a str;

    fn name(&'a self, id: FileId) -> Result<&'a str, files::Error> {
        self.check(id)?;
        Ok(self.0.get(id).name.as_str())
    }

    fn source(&'a self, id: FileId) -> Result<&'a str, files::Error> {
        self.check(id)?;
        Ok(self.0.get(id).text.as_str())
    }

    fn line_index(&'a self, id: FileId, byte_index: usize) -> Result<usize, files::Error> {
        self.check(id)?;
        Ok(self.0.get(id).line_index(byte_index as u32))
    }

    fn line_range(
        &'a self,
        id: FileId,
        line_index: usize,
    ) -> Result<std::ops::Range<usize>, files::Error> {
        self.check(id)?;
        let file = self.0.get(id);
        let starts = file.line_starts();
        let start = *starts.get(line_index).ok_or(files::Error::LineTooLarge {
            given: line_index,
            max: starts.len().saturating_sub(1),
        })? as usize;
        let end = starts
            .get(line_index + 1)
            .map_or(file.text.len(), |&s| s as usize);
        Ok(start..end)
    }
}

impl CodespanFiles<'_> {
    fn check(&self, id: FileId) -> Result<(), files::Error> {
        if (id.0 as usize) < self.0.files().len() {
            Ok(())
        } else {
            Err(files::Error::FileMissing)
        }
    }
}

fn to_codespan(d: &Diagnostic, sources: &SourceMap) -> cs::Diagnostic<FileId> {
    let base = match d.severity() {
        Severity::Error => cs::Diagnostic::error(),
        Severity::Warning => cs::Diagnostic::warning(),
    };
    let clamp = |span: Span| {
        let len = sources.get(span.file).text.len();
        let start = (span.start as usize).min(len);
        let end = (span.end as usize).clamp(start, len);
        start..end
    };
    let mut labels = Vec::new();
    if let Some(span) = d.span {
        if (span.file.0 as usize) < sources.files().len() {
            labels.push(cs::Label::primary(span.file, clamp(span)).with_message(&d.label));
        }
    }
    for l in &d.secondary {
        if (l.span.file.0 as usize) < sources.files().len() {
            labels.push(cs::Label::secondary(l.span.file, clamp(l.span)).with_message(&l.message));
        }
    }
    let mut notes = Vec::new();
    if let Some(hint) = &d.hint {
        notes.push(format!("hint: {hint}"));
    }
    base.with_code(d.code.as_str())
        .with_message(&d.message)
        .with_labels(labels)
        .with_notes(notes)
}

/// Renders diagnostics (at most [`MAX_RENDERED`], then "and N more") followed by a summary
/// line, to any terminal writer. Colour is decided by the writer.
pub fn render(
    diagnostics: &[Diagnostic],
    extra_dropped: usize,
    sources: &SourceMap,
    out: &mut dyn WriteColor,
) -> std::io::Result<()> {
    let config = term::Config::default();
    let files = CodespanFiles(sources);
    for d in diagnostics.iter().take(MAX_RENDERED) {
        term::emit(out, &config, &files, &to_codespan(d, sources))
            .map_err(|e| std::io::Error::other(e.to_string()))?;
    }
    let hidden = diagnostics.len().saturating_sub(MAX_RENDERED) + extra_dropped;
    if hidden > 0 {
        writeln!(out, "... and {hidden} more diagnostics not shown")?;
    }
    Ok(())
}

/// Renders diagnostics without colour into a string (used by tests and snapshots).
pub fn render_to_string(diagnostics: &[Diagnostic], sources: &SourceMap) -> String {
    let mut buffer = NoColor::new(Vec::new());
    let _ = render(diagnostics, 0, sources, &mut buffer);
    String::from_utf8_lossy(&buffer.into_inner()).into_owned()
}

/// A one-line summary such as `error: 2 errors and 1 warning emitted`, or empty when clean.
pub fn summary(errors: usize, warnings: usize) -> String {
    let plural = |n: usize, word: &str| {
        if n == 1 {
            format!("1 {word}")
        } else {
            format!("{n} {word}s")
        }
    };
    let mut s = String::new();
    match (errors, warnings) {
        (0, 0) => {}
        (0, w) => {
            let _ = write!(s, "{} emitted", plural(w, "warning"));
        }
        (e, 0) => {
            let _ = write!(s, "{} emitted", plural(e, "error"));
        }
        (e, w) => {
            let _ = write!(
                s,
                "{} and {} emitted",
                plural(e, "error"),
                plural(w, "warning")
            );
        }
    }
    s
}

/// The Levenshtein distance between two strings, in characters.
pub fn edit_distance(a: &str, b: &str) -> usize {
    let b_chars: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b_chars.len()).collect();
    let mut cur = vec![0; b_chars.len() + 1];
    for (i, ca) in a.chars().enumerate() {
        cur[0] = i + 1;
        for (j, &cb) in b_chars.iter().enumerate() {
            let cost = usize::from(ca != cb);
            cur[j + 1] = (prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b_chars.len()]
}

/// The closest candidate to `name`, if one is close enough to be a likely typo.
pub fn suggest<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let limit = match name.chars().count() {
        0..=1 => return None,
        2..=4 => 1,
        5..=7 => 2,
        _ => 3,
    };
    candidates
        .into_iter()
        .filter(|c| *c != name)
        .map(|c| (edit_distance(&name.to_lowercase(), &c.to_lowercase()), c))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, c)| (*d, *c))
        .map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_and_well_formed() {
        let mut seen = std::collections::HashSet::new();
        for code in Code::ALL {
            let s = code.as_str();
            assert!(seen.insert(s), "duplicate code {s}");
            assert_eq!(s.len(), 5);
            let expected = if code.severity() == Severity::Error {
                'E'
            } else {
                'W'
            };
            assert!(s.starts_with(expected), "{s} has the wrong letter");
            assert!(!code.description().trim().is_empty());
        }
    }

    #[test]
    fn edit_distance_basics() {
        assert_eq!(edit_distance("toUpper", "toUpper"), 0);
        assert_eq!(edit_distance("toupper", "toUpper"), 1);
        assert_eq!(edit_distance("lenght", "length"), 2);
        assert_eq!(suggest("lenght", ["length", "get"]), Some("length"));
        assert_eq!(suggest("xyz", ["length", "get"]), None);
    }

    #[test]
    fn summary_text() {
        assert_eq!(summary(0, 0), "");
        assert_eq!(summary(1, 0), "1 error emitted");
        assert_eq!(summary(2, 1), "2 errors and 1 warning emitted");
    }
}
