//! `nyash fmt`: one canonical layout for Nyash source.
//!
//! The formatter works on the token stream, not on the tree, so that it can keep everything a
//! reader put there: every comment (with [`crate::trivia`]), and the line breaks, as `gofmt`
//! does. It decides only the whitespace *within* lines and at their start:
//!
//! * indentation: four spaces per open `{`, `(` or `[` (one level per line that opens
//!   something, however many brackets it opens), plus one level for a line that continues a
//!   statement after a binary operator, `=`, `,` or `.`;
//! * spacing: one space around binary operators, after `,` and `;`, and between words; none
//!   inside brackets, before `,` `;` `.` `)`, after `.` and unary `-`, before the `(` of a call,
//!   `print(…)`, `loop(…)` or a constructor, nor around the `<…>` of generic boxes; one space
//!   before a trailing comment;
//! * blank lines: runs of blank lines become one; none at the start or end of the file, after a
//!   line that opens a block or before a line that closes one; the file ends with one newline;
//!   trailing whitespace goes and `\r\n` becomes `\n` (outside strings).
//!
//! Token texts are never changed (`&&` stays `&&`, `this` stays `this`). [`format_source`]
//! checks its own output before returning it: it must parse to the same tree, spans aside, and
//! keep the same comments, or the formatter reports [`FormatError::WouldChangeProgram`] and the
//! caller keeps the file as it was. A file with syntax errors is never formatted.

use crate::ast::Module;
use crate::diagnostics::{Diagnostic, DiagnosticSink};
use crate::lexer::lex;
use crate::parser::parse;
use crate::source::FileId;
use crate::token::{Token, TokenKind};
use crate::trivia::comment_in;

/// Why a text was not formatted.
#[derive(Debug)]
pub enum FormatError {
    /// The text does not parse; these are its diagnostics (in file `FileId(0)`).
    Syntax(Vec<Diagnostic>),
    /// The formatted text would not parse to the same program or would lose a comment: a bug
    /// in the formatter. The input should be left as it is.
    WouldChangeProgram,
}

/// Formats a whole file. Returns the canonical text, which is `text` itself when it is already
/// formatted. Formatting is idempotent: formatting the result again gives the same text.
pub fn format_source(text: &str) -> Result<String, FormatError> {
    let mut sink = DiagnosticSink::new();
    let module = parse(text, FileId(0), &mut sink);
    if sink.error_count() > 0 {
        return Err(FormatError::Syntax(sink.items().to_vec()));
    }
    let tokens = lex(text, FileId(0), &mut DiagnosticSink::new());
    let out = Layout::new(text, &tokens).render();
    let mut again = DiagnosticSink::new();
    let reparsed = parse(&out, FileId(0), &mut again);
    if again.error_count() > 0
        || tree_shape(&module) != tree_shape(&reparsed)
        || comments(text) != comments(&out)
    {
        return Err(FormatError::WouldChangeProgram);
    }
    Ok(out)
}

/// The tree's `Debug` text without its spans (`@file:start..end`): equal for two modules
/// exactly when they are the same program written with different layout.
pub fn tree_shape(module: &Module) -> String {
    let text = format!("{module:?}");
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '@' {
            while chars
                .peek()
                .is_some_and(|c| c.is_ascii_digit() || *c == ':' || *c == '.')
            {
                let _ = chars.next();
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// Every comment of a text, in order.
pub fn comments(text: &str) -> Vec<String> {
    let tokens = lex(text, FileId(0), &mut DiagnosticSink::new());
    let mut prev_end = 0usize;
    let mut out = Vec::new();
    for t in &tokens {
        if let Some(c) = text.get(prev_end..t.start as usize).and_then(comment_in) {
            out.push(c.to_string());
        }
        prev_end = t.end as usize;
    }
    out
}

/// One source line: its tokens and the comment that ends it.
struct Line<'a> {
    tokens: std::ops::Range<usize>,
    comment: Option<&'a str>,
}

/// What the formatter knows about each token beyond its kind.
#[derive(Clone, Copy, Default)]
struct Role {
    /// A `-` or `!` that applies to the operand after it.
    unary: bool,
    /// The `<` or `>` around the type parameters of a generic box.
    generic: bool,
    /// A word right after `.`: a member name, even when it is a keyword.
    member: bool,
}

struct Layout<'a> {
    text: &'a str,
    tokens: &'a [Token],
    roles: Vec<Role>,
    lines: Vec<Line<'a>>,
}

fn is_opener(kind: TokenKind) -> bool {
    matches!(
        kind,
        TokenKind::LBrace | TokenKind::LParen | TokenKind::LBracket
    )
}

fn is_closer(kind: TokenKind) -> bool {
    matches!(
        kind,
        TokenKind::RBrace | TokenKind::RParen | TokenKind::RBracket
    )
}

/// Tokens after which a `-` is binary: those that can end an operand.
fn ends_operand(kind: TokenKind) -> bool {
    use TokenKind::*;
    matches!(
        kind,
        Ident | Int | Float | Str | SingleQuotedStr | RParen | RBracket | Me | True | False | Null
    )
}

/// Binary operators and the other tokens after which a statement goes on on the next line.
fn continues_line(kind: TokenKind) -> bool {
    use TokenKind::*;
    matches!(
        kind,
        Plus | Minus
            | Star
            | Slash
            | Percent
            | Assign
            | EqEq
            | NotEq
            | Lt
            | Le
            | Gt
            | Ge
            | Shr
            | And
            | Or
            | Comma
            | Dot
    )
}

impl<'a> Layout<'a> {
    fn new(text: &'a str, tokens: &'a [Token]) -> Layout<'a> {
        let mut layout = Layout {
            text,
            tokens,
            roles: vec![Role::default(); tokens.len()],
            lines: Vec::new(),
        };
        layout.find_roles();
        layout.split_lines();
        layout
    }

    fn kind(&self, i: usize) -> TokenKind {
        self.tokens.get(i).map_or(TokenKind::Eof, |t| t.kind)
    }

    fn token_text(&self, i: usize) -> &'a str {
        let t = self.tokens[i];
        &self.text[t.start as usize..t.end as usize]
    }

    fn find_roles(&mut self) {
        use TokenKind::*;
        // Inside parentheses the parser skips newlines, so the token before a `-` is the last
        // one that is not a newline; outside them a `-` at the start of a line is unary.
        let mut parens = 0u32;
        let mut prev: Option<TokenKind> = None;
        let mut generic_depth = 0u32;
        for i in 0..self.tokens.len() {
            let kind = self.kind(i);
            match kind {
                Minus | Bang => {
                    self.roles[i].unary = !prev.is_some_and(ends_operand);
                }
                Lt if i >= 2
                    && self.kind(i - 1) == Ident
                    && matches!(self.kind(i - 2), Box | New) =>
                {
                    self.roles[i].generic = true;
                    generic_depth += 1;
                }
                Gt if generic_depth > 0 => {
                    self.roles[i].generic = true;
                    generic_depth -= 1;
                }
                _ => {}
            }
            if i > 0 && self.kind(i - 1) == Dot {
                self.roles[i].member = true;
            }
            match kind {
                LParen | LBracket => parens += 1,
                RParen | RBracket => parens = parens.saturating_sub(1),
                _ => {}
            }
            if kind != Newline || parens == 0 {
                prev = Some(kind);
            }
        }
    }

    fn split_lines(&mut self) {
        let mut start = 0;
        let mut prev_end = 0usize;
        for i in 0..self.tokens.len() {
            let t = self.tokens[i];
            let gap = self.text.get(prev_end..t.start as usize).unwrap_or("");
            prev_end = t.end as usize;
            if matches!(t.kind, TokenKind::Newline | TokenKind::Eof) {
                self.lines.push(Line {
                    tokens: start..i,
                    comment: comment_in(gap),
                });
                start = i + 1;
            }
        }
    }

    /// Whether one space separates tokens `a` and `b` (`b == a + 1`) on one line.
    fn space_between(&self, a: usize, b: usize) -> bool {
        use TokenKind::*;
        let (ka, kb) = (self.kind(a), self.kind(b));
        let (ra, rb) = (self.roles[a], self.roles[b]);
        if matches!(kb, RParen | RBracket | Comma | Dot | Semicolon | Colon) {
            return false;
        }
        if matches!(ka, LParen | LBracket | Dot) || ra.unary {
            return false;
        }
        if rb.generic || (ra.generic && ka == Lt) {
            return false;
        }
        if ra.generic && ka == Gt {
            return kb != LParen;
        }
        if kb == LParen {
            let callee = ka == Ident
                || (ra.member && ka.is_keyword())
                || matches!(ka, Print | Loop | Birth | Init | Pack);
            return !callee;
        }
        if kb == LBracket {
            return !ends_operand(ka);
        }
        true
    }

    fn render(&self) -> String {
        let mut out = String::with_capacity(self.text.len() + self.text.len() / 8);
        // Open brackets, each with the indentation of the line that opened it.
        let mut open: Vec<(TokenKind, usize)> = Vec::new();
        let mut pending_blank = false;
        let mut after_opener = true;
        let mut continues = false;
        for line in &self.lines {
            let range = line.tokens.clone();
            if range.is_empty() && line.comment.is_none() {
                pending_blank = true;
                continue;
            }
            let first = (!range.is_empty()).then(|| self.kind(range.start));
            let base = open.last().map_or(0, |&(_, indent)| indent + 1);
            // The parser ignores line breaks inside `( … )`, so nothing continues there.
            let inside_parens = open.last().is_some_and(|&(k, _)| k != TokenKind::LBrace);
            let indent = match first {
                Some(k) if is_closer(k) => open.last().map_or(0, |&(_, indent)| indent),
                Some(TokenKind::LBrace) => base,
                Some(_) if continues && !inside_parens => base + 1,
                _ => base,
            };
            if pending_blank && !after_opener && !first.is_some_and(is_closer) {
                out.push('\n');
            }
            pending_blank = false;
            for _ in 0..indent {
                out.push_str("    ");
            }
            // A bracket opened after this line closed one from an earlier line belongs to
            // that earlier line: `f(a,⏎b) {` indents the block from the line with `f(`.
            let mut effective = indent;
            for i in range.clone() {
                if i > range.start && self.space_between(i - 1, i) {
                    out.push(' ');
                }
                out.push_str(self.token_text(i));
                let k = self.kind(i);
                if is_opener(k) {
                    open.push((k, effective));
                } else if is_closer(k) {
                    if let Some((_, opened)) = open.pop() {
                        effective = effective.min(opened);
                    }
                }
            }
            if let Some(comment) = line.comment {
                if !range.is_empty() {
                    out.push(' ');
                }
                out.push_str(comment);
            }
            out.push('\n');
            if let Some(last) = range.clone().last() {
                after_opener = is_opener(self.kind(last));
                continues = continues_line(self.kind(last)) && !self.roles[last].generic;
            } else {
                after_opener = false;
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fmt(text: &str) -> String {
        match format_source(text) {
            Ok(out) => out,
            Err(e) => panic!("{e:?} for {text:?}"),
        }
    }

    #[test]
    fn indents_blocks_and_spaces_operators() {
        assert_eq!(
            fmt("box A{\nf(a,b){\nreturn a+-b\n}\n}\n"),
            "box A {\n    f(a, b) {\n        return a + -b\n    }\n}\n"
        );
    }

    #[test]
    fn keeps_comments_and_one_blank_line() {
        assert_eq!(
            fmt("\n\n// head\nx = 1   // one\n\n\n\ny = 2 # two\n\n"),
            "// head\nx = 1 // one\n\ny = 2 # two\n"
        );
    }

    #[test]
    fn syntax_errors_are_not_formatted() {
        assert!(matches!(
            format_source("x = = 1\n"),
            Err(FormatError::Syntax(_))
        ));
    }
}
