//! The parser: tokens to [`crate::ast`], never failing.
//!
//! [`parse`] always returns a [`Module`]; problems go to the [`DiagnosticSink`]. Internally
//! each grammar function returns `PResult`, whose error value only means "stop and recover":
//! the diagnostic has already been reported. Statement lists and box bodies catch it and skip
//! to the next statement or member boundary (a newline or `;` outside any braces, or the `}`
//! that closes the enclosing block), so one run reports several independent errors. Common
//! habits from other languages (`x += 1`, `!x`, `a[i]`, `let x`) are reported and then parsed
//! as the Nyash form they stand for, so they do not stop the statement.
//!
//! # Newlines
//!
//! A newline ends a statement, and statements need no other separator (`a = 1 b = 2` is two
//! statements); `;` is accepted as an optional separator. Following rule R1, a newline does
//! not end anything:
//!
//! * anywhere inside `( … )`: parenthesised expressions, argument and parameter lists,
//!   `loop(…)` and `catch (…)`. Inside parentheses newlines are ignored entirely, so
//!   `f(a⏎- b)` is `f(a - b)`, as `f(a - b)` is on one line;
//! * after a binary operator (`x = 1 +⏎2`);
//! * before the `{` of any block or box body (`if c⏎{`);
//! * before `else`, `catch` and `finally`.
//!
//! A line that starts with a binary operator is not joined to the previous line: it is
//! reported (E0101) with a hint to move the operator.
//!
//! # Choices for ambiguous input
//!
//! * Arguments need no commas (`f(1 2)` is `f(1, 2)`), as upstream; so `f(a -b)` is
//!   `f(a - b)`, one argument.
//! * A call is a name directly followed by `(` on the same line; `f⏎(x)` is the statement
//!   `f` followed by the statement `(x)`. Only bare names can be called: `(f)(x)` is two
//!   expressions.
//! * After `.` any word is a member name, keywords included (`console.print(x)`).
//! * `return` takes no value when the next token is a newline, `;`, `}` or the end of file.
//! * `continue` is a statement only when it stands alone (followed by a newline, `;`, `}` or
//!   the end of file); otherwise it is an ordinary name, as upstream.
//! * `x++`/`x--` are recognised only at the end of a statement, so `a--b` still means
//!   `a - (-b)`.
//!
//! # Limits
//!
//! Nesting (parentheses, blocks, prefix operators, and each link of an operator or `.` chain)
//! is limited to [`MAX_DEPTH`]. Deeper input gets one E0110 diagnostic, so neither the parser
//! nor any later walk over the tree can overflow the stack.

mod decl;
mod expr;
mod stmt;

use crate::ast::Module;
use crate::diagnostics::{Code, Diagnostic, DiagnosticSink};
use crate::lexer::lex;
use crate::source::{FileId, Span};
use crate::token::{Token, TokenKind};

/// The deepest nesting the parser accepts.
pub const MAX_DEPTH: u32 = 200;

/// Parses one file. Never fails; problems are reported to `sink`.
pub fn parse(text: &str, file: FileId, sink: &mut DiagnosticSink) -> Module {
    let tokens = lex(text, file, sink);
    // An unterminated string swallows the rest of the file; do not also report that the
    // file ends inside whatever encloses it.
    let eof_reported = sink
        .items()
        .iter()
        .any(|d| d.code == Code::UnterminatedString && d.span.is_some_and(|s| s.file == file));
    let mut parser = Parser {
        text,
        tokens,
        pos: 0,
        prev_end: 0,
        file,
        sink,
        newline_insensitive: 0,
        depth: 0,
        too_deep_reported: false,
        eof_reported,
    };
    let stmts = parser.statement_list(true);
    Module { file, stmts }
}

/// "Stop and recover": the diagnostic has been reported already.
#[derive(Debug)]
pub(crate) struct Recover;

pub(crate) type PResult<T> = Result<T, Recover>;

pub(crate) struct Parser<'a, 's> {
    text: &'a str,
    tokens: Vec<Token>,
    pos: usize,
    prev_end: u32,
    file: FileId,
    sink: &'s mut DiagnosticSink,
    /// Greater than zero inside parentheses, where newlines are skipped.
    newline_insensitive: u32,
    depth: u32,
    too_deep_reported: bool,
    /// Set once "the file ends inside …" has been reported, so that every enclosing
    /// construct does not repeat it.
    eof_reported: bool,
}

impl Parser<'_, '_> {
    // ----- Token access -------------------------------------------------------------------

    fn skip_newlines_if_insensitive(&mut self) {
        if self.newline_insensitive > 0 {
            while self.raw_kind(0) == TokenKind::Newline {
                self.pos += 1;
            }
        }
    }

    /// The kind of the token `n` places ahead, newlines included.
    fn raw_kind(&self, n: usize) -> TokenKind {
        self.tokens
            .get(self.pos + n)
            .map_or(TokenKind::Eof, |t| t.kind)
    }

    /// The current token (skipping newlines inside parentheses).
    fn tok(&mut self) -> Token {
        self.skip_newlines_if_insensitive();
        self.tokens
            .get(self.pos)
            .copied()
            .unwrap_or_else(|| self.eof_token())
    }

    fn eof_token(&self) -> Token {
        let end = self.text.len() as u32;
        Token {
            kind: TokenKind::Eof,
            start: end,
            end,
        }
    }

    /// The kind of the current token.
    fn peek(&mut self) -> TokenKind {
        self.tok().kind
    }

    /// The token after the current one, newlines included.
    fn raw_token(&self, n: usize) -> Token {
        self.tokens
            .get(self.pos + n)
            .copied()
            .unwrap_or_else(|| self.eof_token())
    }

    /// The first token kind that is not a newline, without consuming anything.
    fn peek_past_newlines(&self) -> TokenKind {
        let mut i = self.pos;
        while let Some(t) = self.tokens.get(i) {
            if t.kind != TokenKind::Newline {
                return t.kind;
            }
            i += 1;
        }
        TokenKind::Eof
    }

    fn bump(&mut self) -> Token {
        let t = self.tok();
        if t.kind != TokenKind::Eof {
            self.pos += 1;
        }
        self.prev_end = t.end;
        t
    }

    fn at(&mut self, kind: TokenKind) -> bool {
        self.peek() == kind
    }

    fn eat(&mut self, kind: TokenKind) -> bool {
        if self.at(kind) {
            self.bump();
            true
        } else {
            false
        }
    }

    fn skip_newlines(&mut self) {
        while self.raw_kind(0) == TokenKind::Newline {
            self.pos += 1;
        }
    }

    fn text_of(&self, t: Token) -> &str {
        self.text
            .get(t.start as usize..t.end as usize)
            .unwrap_or("")
    }

    fn span(&self, t: Token) -> Span {
        Span::new(self.file, t.start, t.end)
    }

    /// The span from `start` to the end of the last consumed token.
    fn span_from(&self, start: u32) -> Span {
        Span::new(self.file, start, self.prev_end.max(start))
    }

    // ----- Errors -------------------------------------------------------------------------

    fn report(&mut self, diagnostic: Diagnostic) {
        self.sink.push(diagnostic);
    }

    fn fail(&mut self, diagnostic: Diagnostic) -> Recover {
        if diagnostic.code == Code::UnexpectedEof {
            if self.eof_reported {
                return Recover;
            }
            self.eof_reported = true;
        }
        self.sink.push(diagnostic);
        Recover
    }

    /// Reports "expected `what`, found …" at the current token.
    fn unexpected(&mut self, what: &str) -> Recover {
        let t = self.tok();
        if t.kind == TokenKind::Eof {
            return self.fail(
                Diagnostic::new(
                    Code::UnexpectedEof,
                    self.span(t),
                    format!("the file ends where {what} was expected"),
                )
                .label(format!("expected {what}")),
            );
        }
        if t.kind == TokenKind::Unknown {
            // Already reported by the lexer.
            return Recover;
        }
        let found = self.found(t);
        self.fail(
            Diagnostic::new(
                Code::UnexpectedToken,
                self.span(t),
                format!("expected {what}, found {found}"),
            )
            .label(format!("expected {what}")),
        )
    }

    fn found(&self, t: Token) -> String {
        match t.kind {
            TokenKind::Ident => format!("`{}`", self.text_of(t)),
            k if k.is_keyword() => format!("the keyword `{}`", self.text_of(t)),
            k => k.describe().to_string(),
        }
    }

    fn expect(&mut self, kind: TokenKind, what: &str) -> PResult<Token> {
        if self.at(kind) {
            Ok(self.bump())
        } else {
            Err(self.unexpected(what))
        }
    }

    // ----- Nesting ------------------------------------------------------------------------

    /// Increases the nesting depth by one for the rest of the current construct.
    fn deepen(&mut self, at: Span) -> PResult<()> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            if !self.too_deep_reported {
                self.too_deep_reported = true;
                self.report(
                    Diagnostic::new(
                        Code::NestingTooDeep,
                        at,
                        format!("this is nested more than {MAX_DEPTH} levels deep"),
                    )
                    .label("too deep")
                    .hint("split the expression or block into smaller functions"),
                );
            }
            return Err(Recover);
        }
        Ok(())
    }

    /// Runs `f` one nesting level deeper.
    fn nested<T>(&mut self, f: impl FnOnce(&mut Self) -> PResult<T>) -> PResult<T> {
        let saved = self.depth;
        let at = self.tok();
        let at = self.span(at);
        self.deepen(at)?;
        // Debug builds use about 20 KiB of stack per level; grow the stack instead of
        // relying on the caller's thread having enough.
        let result = stacker::maybe_grow(64 * 1024, 1024 * 1024, || f(self));
        self.depth = saved;
        result
    }

    // ----- Recovery -----------------------------------------------------------------------

    /// Skips to the next statement boundary: past a newline or `;` outside braces, or up to
    /// (not past) the `}` that closes the enclosing block.
    fn synchronize(&mut self) {
        self.newline_insensitive = 0;
        let mut braces = 0u32;
        loop {
            match self.raw_kind(0) {
                TokenKind::Eof => return,
                TokenKind::Newline | TokenKind::Semicolon if braces == 0 => {
                    self.pos += 1;
                    return;
                }
                TokenKind::LBrace => braces += 1,
                TokenKind::RBrace => {
                    if braces == 0 {
                        return;
                    }
                    braces -= 1;
                }
                _ => {}
            }
            self.pos += 1;
        }
    }

    /// Parses statements until `}` (or the end of file at top level).
    fn statement_list(&mut self, top_level: bool) -> Vec<crate::ast::Stmt> {
        let mut stmts = Vec::new();
        loop {
            while matches!(self.raw_kind(0), TokenKind::Newline | TokenKind::Semicolon) {
                self.pos += 1;
            }
            match self.raw_kind(0) {
                TokenKind::Eof => break,
                TokenKind::RBrace if !top_level => break,
                TokenKind::RBrace => {
                    let t = self.bump();
                    self.report(
                        Diagnostic::new(
                            Code::UnexpectedToken,
                            self.span(t),
                            "this `}` does not close anything",
                        )
                        .label("unmatched `}`"),
                    );
                    continue;
                }
                _ => {}
            }
            let saved = (self.depth, self.newline_insensitive, self.pos);
            match self.statement() {
                Ok(stmt) => stmts.push(stmt),
                Err(Recover) => {
                    self.depth = saved.0;
                    self.newline_insensitive = saved.1;
                    if self.pos == saved.2 {
                        self.pos += 1;
                    }
                    self.synchronize();
                }
            }
        }
        stmts
    }

    /// Parses a `{ … }` block of statements; a newline before `{` is allowed.
    fn block(&mut self) -> PResult<crate::ast::Block> {
        self.skip_newlines();
        let open = self.expect(TokenKind::LBrace, "`{`")?;
        self.nested(|p| {
            let stmts = p.statement_list(false);
            if p.raw_kind(0) == TokenKind::RBrace {
                p.bump();
                Ok(crate::ast::Block {
                    stmts,
                    span: p.span_from(open.start),
                })
            } else {
                let eof = p.tok();
                Err(p.fail(
                    Diagnostic::new(
                        Code::UnexpectedEof,
                        p.span(eof),
                        "the file ends before this block is closed",
                    )
                    .label("expected `}`")
                    .with_secondary(p.span(open), "the block starts here"),
                ))
            }
        })
    }
}

#[cfg(test)]
mod tests;
