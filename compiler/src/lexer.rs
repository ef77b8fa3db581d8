//! Turns source text into [`Token`]s.
//!
//! The lexer never fails: a problem is reported to the [`DiagnosticSink`] and lexing goes on,
//! so the parser still sees a useful token stream. Some habits from other languages get their
//! own tokens so that the parser can explain them (`+=`, `!`, `[`, `'…'`).
//! Runs of characters that start no token become one [`TokenKind::Unknown`] token and one
//! diagnostic.

use crate::diagnostics::{Code, Diagnostic, DiagnosticSink};
use crate::source::{FileId, Span};
use crate::token::{Token, TokenKind};

/// Splits `text` into tokens; the last token is always [`TokenKind::Eof`].
pub fn lex(text: &str, file: FileId, sink: &mut DiagnosticSink) -> Vec<Token> {
    let mut lexer = Lexer {
        text,
        bytes: text.as_bytes(),
        pos: 0,
        file,
        tokens: Vec::with_capacity(text.len() / 4 + 1),
        sink,
    };
    lexer.run();
    lexer.tokens
}

struct Lexer<'a, 's> {
    text: &'a str,
    bytes: &'a [u8],
    pos: usize,
    file: FileId,
    tokens: Vec<Token>,
    sink: &'s mut DiagnosticSink,
}

fn is_ident_start(c: char) -> bool {
    c == '_' || c.is_alphabetic()
}

fn is_ident_continue(c: char) -> bool {
    c == '_' || c.is_alphanumeric()
}

impl Lexer<'_, '_> {
    fn span(&self, start: usize, end: usize) -> Span {
        Span::new(self.file, start as u32, end as u32)
    }

    fn push(&mut self, kind: TokenKind, start: usize) {
        self.tokens.push(Token {
            kind,
            start: start as u32,
            end: self.pos as u32,
        });
    }

    fn peek_byte(&self, offset: usize) -> u8 {
        self.bytes.get(self.pos + offset).copied().unwrap_or(0)
    }

    fn current_char(&self) -> Option<char> {
        self.text.get(self.pos..).and_then(|s| s.chars().next())
    }

    fn run(&mut self) {
        while self.pos < self.bytes.len() {
            let start = self.pos;
            let b = self.bytes[self.pos];
            match b {
                b'\n' => {
                    self.pos += 1;
                    self.push(TokenKind::Newline, start);
                }
                b' ' | b'\t' | b'\r' | 0x0b | 0x0c => self.pos += 1,
                b'#' => self.skip_line(),
                b'/' if self.peek_byte(1) == b'/' => self.skip_line(),
                b'/' if self.peek_byte(1) == b'*' => self.block_comment(),
                b'"' => self.string(),
                b'\'' => self.single_quoted(),
                b'0'..=b'9' => self.number(),
                b'a'..=b'z' | b'A'..=b'Z' | b'_' => self.ident(),
                _ if b >= 0x80 => {
                    let c = self.current_char().unwrap_or('\u{fffd}');
                    if c.is_whitespace() && c != '\n' {
                        self.pos += c.len_utf8();
                    } else if is_ident_start(c) {
                        self.ident();
                    } else {
                        self.unknown();
                    }
                }
                _ => self.punct(),
            }
        }
        let end = self.bytes.len();
        self.tokens.push(Token {
            kind: TokenKind::Eof,
            start: end as u32,
            end: end as u32,
        });
    }

    fn skip_line(&mut self) {
        while self.pos < self.bytes.len() && self.bytes[self.pos] != b'\n' {
            self.pos += 1;
        }
    }

    fn block_comment(&mut self) {
        let start = self.pos;
        self.pos += 2;
        while self.pos < self.bytes.len()
            && !(self.bytes[self.pos] == b'*' && self.peek_byte(1) == b'/')
        {
            self.pos += 1;
        }
        self.pos = (self.pos + 2).min(self.bytes.len());
        // Keep the line structure: a newline inside the comment still ends a statement.
        let had_newline = self.text[start..self.pos].contains('\n');
        self.sink.push(
            Diagnostic::new(
                Code::BlockComment,
                self.span(start, (start + 2).min(self.bytes.len())),
                "Nyash has no block comments",
            )
            .label("this starts a block comment")
            .hint("start each comment line with `//` or `#`"),
        );
        if had_newline {
            self.tokens.push(Token {
                kind: TokenKind::Newline,
                start: self.pos as u32,
                end: self.pos as u32,
            });
        }
    }

    fn string(&mut self) {
        let start = self.pos;
        self.pos += 1;
        loop {
            match self.bytes.get(self.pos) {
                None => {
                    self.sink.push(
                        Diagnostic::new(
                            Code::UnterminatedString,
                            self.span(start, start + 1),
                            "this string has no closing quote",
                        )
                        .label("the string starts here")
                        .hint("add a `\"` where the string should end"),
                    );
                    break;
                }
                Some(b'"') => {
                    self.pos += 1;
                    break;
                }
                Some(b'\\') => self.pos = (self.pos + 2).min(self.bytes.len()),
                Some(_) => self.pos += 1,
            }
        }
        self.push(TokenKind::Str, start);
    }

    fn single_quoted(&mut self) {
        let start = self.pos;
        let mut end = start + 1;
        while end < self.bytes.len() && self.bytes[end] != b'\'' && self.bytes[end] != b'\n' {
            end += 1;
        }
        if self.bytes.get(end) == Some(&b'\'') {
            self.pos = end + 1;
            self.sink.push(
                Diagnostic::new(
                    Code::SingleQuotes,
                    self.span(start, self.pos),
                    "strings are written with double quotes",
                )
                .label("single quotes")
                .hint(format!(
                    "write \"{}\"",
                    self.text.get(start + 1..end).unwrap_or("")
                )),
            );
            self.push(TokenKind::SingleQuotedStr, start);
        } else {
            self.unknown();
        }
    }

    fn number(&mut self) {
        let start = self.pos;
        while self.peek_byte(0).is_ascii_digit() {
            self.pos += 1;
        }
        let mut kind = TokenKind::Int;
        if self.peek_byte(0) == b'.' && self.peek_byte(1).is_ascii_digit() {
            self.pos += 1;
            while self.peek_byte(0).is_ascii_digit() {
                self.pos += 1;
            }
            kind = TokenKind::Float;
        }
        let text = &self.text[start..self.pos];
        let fits = match kind {
            TokenKind::Int => text.parse::<i64>().is_ok(),
            _ => text.parse::<f64>().is_ok_and(f64::is_finite),
        };
        if !fits {
            self.sink.push(
                Diagnostic::new(
                    Code::NumberTooLarge,
                    self.span(start, self.pos),
                    "this number is too large",
                )
                .label(if kind == TokenKind::Int {
                    "integers must fit in 64 bits"
                } else {
                    "this float is infinite"
                })
                .hint(if kind == TokenKind::Int {
                    "the largest integer is 9223372036854775807"
                } else {
                    "use a smaller number"
                }),
            );
        }
        self.push(kind, start);
    }

    fn ident(&mut self) {
        let start = self.pos;
        while let Some(c) = self.current_char() {
            if is_ident_continue(c) {
                self.pos += c.len_utf8();
            } else {
                break;
            }
        }
        let kind = TokenKind::keyword(&self.text[start..self.pos]).unwrap_or(TokenKind::Ident);
        self.push(kind, start);
    }

    fn unknown(&mut self) {
        let start = self.pos;
        let first = self.current_char().unwrap_or('\u{fffd}');
        self.pos += first.len_utf8();
        // Merge a run of unknown characters into one diagnostic.
        while let Some(c) = self.current_char() {
            if c.is_whitespace() || c.is_ascii() && "\"'#/(){}[],.:;+-*%=<>!&|".contains(c) {
                break;
            }
            if is_ident_start(c) || c.is_ascii_digit() {
                break;
            }
            self.pos += c.len_utf8();
        }
        let hint = match first {
            '&' => Some("write `and` (or `&&`)".to_string()),
            '|' => Some("write `or` (or `||`)".to_string()),
            '?' => Some("Nyash has no `?:`; use `if … { } else { }`".to_string()),
            '“' | '”' => Some("use straight double quotes `\"`".to_string()),
            '\'' => Some("strings are written with double quotes".to_string()),
            '$' | '@' | '`' | '\\' | '^' | '~' => None,
            _ => None,
        };
        let shown: String = self.text[start..self.pos].chars().take(10).collect();
        let message = if self.text[start..self.pos].chars().count() == 1 {
            format!("unexpected character `{}`", shown.escape_debug())
        } else {
            format!("unexpected characters `{}`", shown.escape_debug())
        };
        self.sink.push(
            Diagnostic::new(Code::UnexpectedChar, self.span(start, self.pos), message)
                .label("no token starts with this")
                .maybe_hint(hint),
        );
        self.push(TokenKind::Unknown, start);
    }

    fn punct(&mut self) {
        use TokenKind::*;
        let start = self.pos;
        let b0 = self.peek_byte(0);
        let b1 = self.peek_byte(1);
        let (kind, len) = match (b0, b1) {
            (b'>', b'>') => (Shr, 2),
            (b'=', b'=') => (EqEq, 2),
            (b'!', b'=') => (NotEq, 2),
            (b'<', b'=') => (Le, 2),
            (b'>', b'=') => (Ge, 2),
            (b'&', b'&') => (And, 2),
            (b'|', b'|') => (Or, 2),
            (b'+', b'=') => (PlusAssign, 2),
            (b'-', b'=') => (MinusAssign, 2),
            (b'*', b'=') => (StarAssign, 2),
            (b'/', b'=') => (SlashAssign, 2),
            (b'%', b'=') => (PercentAssign, 2),
            (b'<', _) => (Lt, 1),
            (b'>', _) => (Gt, 1),
            (b'=', _) => (Assign, 1),
            (b'+', _) => (Plus, 1),
            (b'-', _) => (Minus, 1),
            (b'*', _) => (Star, 1),
            (b'/', _) => (Slash, 1),
            (b'%', _) => (Percent, 1),
            (b'.', _) => (Dot, 1),
            (b'(', _) => (LParen, 1),
            (b')', _) => (RParen, 1),
            (b'{', _) => (LBrace, 1),
            (b'}', _) => (RBrace, 1),
            (b'[', _) => (LBracket, 1),
            (b']', _) => (RBracket, 1),
            (b',', _) => (Comma, 1),
            (b':', _) => (Colon, 1),
            (b';', _) => (Semicolon, 1),
            (b'!', _) => (Bang, 1),
            _ => return self.unknown(),
        };
        self.pos += len;
        self.push(kind, start);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(src: &str) -> Vec<TokenKind> {
        let mut sink = DiagnosticSink::new();
        lex(src, FileId(0), &mut sink)
            .into_iter()
            .map(|t| t.kind)
            .collect()
    }

    #[test]
    fn operators_and_keywords() {
        use TokenKind::*;
        assert_eq!(
            kinds("a >= 1 && not b\n"),
            vec![Ident, Ge, Int, And, Not, Ident, Newline, Eof]
        );
        assert_eq!(
            kinds("5.toString()"),
            vec![Int, Dot, Ident, LParen, RParen, Eof]
        );
        assert_eq!(kinds("1.5 fn this"), vec![Float, Function, Me, Eof]);
    }

    #[test]
    fn comments_are_skipped() {
        use TokenKind::*;
        assert_eq!(kinds("a # c\nb // d"), vec![Ident, Newline, Ident, Eof]);
    }

    #[test]
    fn unicode_identifiers() {
        assert_eq!(
            kinds("名前 = 1"),
            vec![
                TokenKind::Ident,
                TokenKind::Assign,
                TokenKind::Int,
                TokenKind::Eof
            ]
        );
    }

    #[test]
    fn bad_characters_are_reported_once_per_run() {
        let mut sink = DiagnosticSink::new();
        let tokens = lex("a = $$$ b", FileId(0), &mut sink);
        assert_eq!(sink.error_count(), 1);
        assert_eq!(tokens.len(), 5);
    }
}
