//! Expressions: precedence climbing over the levels of Part 2 §3.1.

use super::{PResult, Parser};
use crate::ast::{BinaryOp, Expr, ExprKind, Ident, UnaryOp};
use crate::diagnostics::{Code, Diagnostic};
use crate::token::{Token, TokenKind};

/// Unescapes the body of a string literal: `\n \t \r \\ \"` (and `\'` in single quotes);
/// any other `\c` stays as written.
pub(crate) fn unescape(body: &str) -> String {
    let mut out = String::with_capacity(body.len());
    let mut chars = body.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            Some('r') => out.push('\r'),
            Some('\\') => out.push('\\'),
            Some('"') => out.push('"'),
            Some(other) => {
                out.push('\\');
                out.push(other);
            }
            None => out.push('\\'),
        }
    }
    out
}

fn binary_op(kind: TokenKind) -> Option<BinaryOp> {
    Some(match kind {
        TokenKind::Or => BinaryOp::Or,
        TokenKind::And => BinaryOp::And,
        TokenKind::EqEq => BinaryOp::Eq,
        TokenKind::NotEq => BinaryOp::Ne,
        TokenKind::Lt => BinaryOp::Lt,
        TokenKind::Le => BinaryOp::Le,
        TokenKind::Gt => BinaryOp::Gt,
        TokenKind::Ge => BinaryOp::Ge,
        TokenKind::Plus => BinaryOp::Add,
        TokenKind::Minus => BinaryOp::Sub,
        TokenKind::Shr => BinaryOp::Arrow,
        TokenKind::Star => BinaryOp::Mul,
        TokenKind::Slash => BinaryOp::Div,
        TokenKind::Percent => BinaryOp::Rem,
        _ => return None,
    })
}

fn ends_statement(kind: TokenKind) -> bool {
    matches!(
        kind,
        TokenKind::Newline | TokenKind::Semicolon | TokenKind::RBrace | TokenKind::Eof
    )
}

impl Parser<'_, '_> {
    /// Parses a full expression.
    pub(crate) fn expr(&mut self) -> PResult<Expr> {
        self.binary(1)
    }

    /// `true` when the current token and the next are an adjacent `++` or `--` that ends
    /// the statement.
    pub(crate) fn at_increment(&mut self) -> bool {
        let t = self.tok();
        if !matches!(t.kind, TokenKind::Plus | TokenKind::Minus) {
            return false;
        }
        let next = self.raw_token(1);
        next.kind == t.kind && next.start == t.end && ends_statement(self.raw_kind(2))
    }

    fn binary(&mut self, min_prec: u8) -> PResult<Expr> {
        let saved = self.depth;
        let mut lhs = self.unary()?;
        loop {
            let t = self.tok();
            let Some(op) = binary_op(t.kind) else { break };
            if op.precedence() < min_prec || self.at_increment() {
                break;
            }
            self.bump();
            self.skip_newlines();
            self.deepen(self.span(t))?;
            let rhs = self.binary(op.precedence() + 1)?;
            let span = lhs.span.to(rhs.span);
            lhs = Expr {
                kind: ExprKind::Binary {
                    op,
                    lhs: Box::new(lhs),
                    rhs: Box::new(rhs),
                },
                span,
            };
        }
        self.depth = saved;
        Ok(lhs)
    }

    fn unary(&mut self) -> PResult<Expr> {
        let t = self.tok();
        let op = match t.kind {
            TokenKind::Minus => UnaryOp::Neg,
            TokenKind::Not => UnaryOp::Not,
            TokenKind::Await => UnaryOp::Await,
            TokenKind::Bang => {
                self.report(
                    Diagnostic::new(
                        Code::BangNot,
                        self.span(t),
                        "Nyash writes negation as `not`, not `!`",
                    )
                    .label("`!` is not an operator")
                    .hint("write `not x`"),
                );
                UnaryOp::Not
            }
            _ => return self.postfix(),
        };
        self.bump();
        let operand = self.nested(|p| p.unary())?;
        let span = self.span(t).to(operand.span);
        Ok(Expr {
            kind: ExprKind::Unary {
                op,
                operand: Box::new(operand),
            },
            span,
        })
    }

    fn postfix(&mut self) -> PResult<Expr> {
        let saved = self.depth;
        let mut e = self.primary()?;
        loop {
            let t = self.tok();
            match t.kind {
                TokenKind::Dot => {
                    self.bump();
                    self.deepen(self.span(t))?;
                    let name = self.member_name()?;
                    if self.raw_kind(0) == TokenKind::LParen || self.at(TokenKind::LParen) {
                        let args = self.args()?;
                        let span = self.span_from(e.span.start);
                        e = Expr {
                            kind: ExprKind::MethodCall {
                                recv: Box::new(e),
                                method: name,
                                args,
                            },
                            span,
                        };
                    } else {
                        let span = self.span_from(e.span.start);
                        e = Expr {
                            kind: ExprKind::Field {
                                recv: Box::new(e),
                                name,
                            },
                            span,
                        };
                    }
                }
                TokenKind::LBracket => {
                    self.deepen(self.span(t))?;
                    e = self.index_habit(e, t)?;
                }
                _ => break,
            }
        }
        self.depth = saved;
        Ok(e)
    }

    /// `a[i]` (reported) is parsed as `a.get(i)`, and `a[i] = v` as `a.set(i, v)`.
    fn index_habit(&mut self, recv: Expr, open: Token) -> PResult<Expr> {
        self.bump();
        self.newline_insensitive += 1;
        let index = self.nested(|p| p.expr())?;
        self.newline_insensitive -= 1;
        self.expect(TokenKind::RBracket, "`]`")?;
        let bracket_span = self.span_from(open.start);
        let recv_text = self.text.get(recv.span.range()).unwrap_or("a").to_string();
        let index_text = self.text.get(index.span.range()).unwrap_or("i").to_string();
        let method_span = bracket_span;
        if self.raw_kind(0) == TokenKind::Assign {
            self.bump();
            self.skip_newlines();
            let value = self.expr()?;
            self.report(
                Diagnostic::new(
                    Code::IndexOperator,
                    bracket_span,
                    "Nyash has no index operator",
                )
                .label("indexing is not supported")
                .hint(format!("write `{recv_text}.set({index_text}, value)`")),
            );
            let span = recv.span.to(value.span);
            return Ok(Expr {
                kind: ExprKind::MethodCall {
                    recv: Box::new(recv),
                    method: Ident {
                        name: "set".into(),
                        span: method_span,
                    },
                    args: vec![index, value],
                },
                span,
            });
        }
        self.report(
            Diagnostic::new(
                Code::IndexOperator,
                bracket_span,
                "Nyash has no index operator",
            )
            .label("indexing is not supported")
            .hint(format!("write `{recv_text}.get({index_text})`")),
        );
        let span = recv.span.to(bracket_span);
        Ok(Expr {
            kind: ExprKind::MethodCall {
                recv: Box::new(recv),
                method: Ident {
                    name: "get".into(),
                    span: method_span,
                },
                args: vec![index],
            },
            span,
        })
    }

    /// The name after `.`: any identifier or keyword.
    fn member_name(&mut self) -> PResult<Ident> {
        let t = self.tok();
        if t.kind == TokenKind::Ident || t.kind.is_keyword() {
            self.bump();
            Ok(Ident {
                name: self.text_of(t).to_string(),
                span: self.span(t),
            })
        } else {
            Err(self.unexpected("a field or method name after `.`"))
        }
    }

    /// An identifier where a name is required; keywords get a dedicated message.
    pub(crate) fn ident(&mut self, what: &str) -> PResult<Ident> {
        let t = self.tok();
        if t.kind == TokenKind::Ident {
            self.bump();
            return Ok(Ident {
                name: self.text_of(t).to_string(),
                span: self.span(t),
            });
        }
        if t.kind.is_keyword() {
            let word = self.text_of(t).to_string();
            return Err(self.fail(
                Diagnostic::new(
                    Code::KeywordAsName,
                    self.span(t),
                    format!("`{word}` is a keyword and cannot be used as {what}"),
                )
                .label("reserved word")
                .hint(format!("choose another name, such as `{word}_`")),
            ));
        }
        Err(self.unexpected(what))
    }

    /// `( args )` with optional commas; newlines inside are ignored.
    pub(crate) fn args(&mut self) -> PResult<Vec<Expr>> {
        let open = self.expect(TokenKind::LParen, "`(`")?;
        self.nested(|p| {
            p.newline_insensitive += 1;
            let mut args = Vec::new();
            loop {
                match p.peek() {
                    TokenKind::RParen => break,
                    TokenKind::Eof => {
                        let t = p.tok();
                        return Err(p.fail(
                            Diagnostic::new(
                                Code::UnexpectedEof,
                                p.span(t),
                                "the file ends inside this argument list",
                            )
                            .label("expected `)`")
                            .with_secondary(p.span(open), "the list starts here"),
                        ));
                    }
                    TokenKind::Comma => {
                        return Err(p.unexpected("an argument"));
                    }
                    TokenKind::Assign
                    | TokenKind::RBrace
                    | TokenKind::LBrace
                    | TokenKind::Semicolon
                    | TokenKind::Local
                    | TokenKind::Return
                    | TokenKind::If
                    | TokenKind::Loop
                    | TokenKind::Box
                    | TokenKind::Function
                    | TokenKind::Print => {
                        let t = p.tok();
                        let found = p.found(t);
                        return Err(p.fail(
                            Diagnostic::new(
                                Code::UnexpectedToken,
                                p.span(open),
                                "this `(` is never closed",
                            )
                            .label("unclosed `(`")
                            .with_secondary(p.span(t), format!("expected `)` before {found}")),
                        ));
                    }
                    _ => {}
                }
                args.push(p.expr()?);
                p.eat(TokenKind::Comma);
            }
            p.newline_insensitive -= 1;
            p.bump();
            Ok(args)
        })
    }

    fn literal(&mut self, t: Token, kind: ExprKind) -> Expr {
        self.bump();
        Expr {
            kind,
            span: self.span(t),
        }
    }

    fn primary(&mut self) -> PResult<Expr> {
        let t = self.tok();
        match t.kind {
            TokenKind::Int => {
                let value = self.text_of(t).parse::<i64>().unwrap_or(0);
                Ok(self.literal(t, ExprKind::Int(value)))
            }
            TokenKind::Float => {
                let value = self
                    .text_of(t)
                    .parse::<f64>()
                    .ok()
                    .filter(|v| v.is_finite())
                    .unwrap_or(0.0);
                Ok(self.literal(t, ExprKind::Float(value)))
            }
            TokenKind::Str | TokenKind::SingleQuotedStr => {
                let raw = self.text_of(t);
                let body = raw.get(1..raw.len().saturating_sub(1)).unwrap_or("");
                // An unterminated string has no closing quote to strip.
                let closed = raw.len() >= 2 && raw.ends_with(['"', '\'']);
                let body = if closed {
                    body
                } else {
                    raw.get(1..).unwrap_or("")
                };
                let value = unescape(body);
                Ok(self.literal(t, ExprKind::Str(value)))
            }
            TokenKind::True => Ok(self.literal(t, ExprKind::Bool(true))),
            TokenKind::False => Ok(self.literal(t, ExprKind::Bool(false))),
            TokenKind::Null => Ok(self.literal(t, ExprKind::Null)),
            TokenKind::Me => Ok(self.literal(t, ExprKind::Me)),
            TokenKind::Ident => {
                let name = self.ident("a name")?;
                if self.raw_kind(0) == TokenKind::LParen {
                    let args = self.args()?;
                    return Ok(Expr {
                        span: self.span_from(t.start),
                        kind: ExprKind::Call { callee: name, args },
                    });
                }
                Ok(Expr {
                    span: name.span,
                    kind: ExprKind::Var(name),
                })
            }
            TokenKind::LParen => {
                self.bump();
                self.nested(|p| {
                    p.newline_insensitive += 1;
                    let inner = p.expr()?;
                    if !p.at(TokenKind::RParen) {
                        return Err(p.unexpected("`)`"));
                    }
                    p.newline_insensitive -= 1;
                    p.bump();
                    // Parentheses are not kept; the span covers them for diagnostics.
                    Ok(Expr {
                        kind: inner.kind,
                        span: p.span_from(t.start),
                    })
                })
            }
            TokenKind::New => self.new_expr(),
            TokenKind::From => self.parse_from_call(),
            TokenKind::LBracket => self.array_habit(),
            TokenKind::Print => Err(self.fail(
                Diagnostic::new(
                    Code::UnexpectedToken,
                    self.span(t),
                    "`print` is a statement and has no value",
                )
                .label("used as a value")
                .hint("call `print(…)` on its own line"),
            )),
            _ => Err(self.unexpected("an expression")),
        }
    }

    /// `[a, b]` (reported) is parsed as `new ArrayBox()`.
    fn array_habit(&mut self) -> PResult<Expr> {
        let open = self.bump();
        self.nested(|p| {
            p.newline_insensitive += 1;
            while !matches!(p.peek(), TokenKind::RBracket | TokenKind::Eof) {
                p.expr()?;
                p.eat(TokenKind::Comma);
            }
            p.newline_insensitive -= 1;
            p.expect(TokenKind::RBracket, "`]`")?;
            Ok(())
        })?;
        let span = self.span_from(open.start);
        self.report(
            Diagnostic::new(Code::ArrayLiteral, span, "Nyash has no array literals")
                .label("array literal")
                .hint("create the array with `new ArrayBox()` and add elements with `push(…)`"),
        );
        Ok(Expr {
            kind: ExprKind::New {
                class: Ident {
                    name: "ArrayBox".into(),
                    span,
                },
                type_args: Vec::new(),
                args: Vec::new(),
            },
            span,
        })
    }

    fn new_expr(&mut self) -> PResult<Expr> {
        let start = self.bump();
        let class = self.ident("a box name after `new`")?;
        let mut type_args = Vec::new();
        if self.raw_kind(0) == TokenKind::Lt {
            self.bump();
            loop {
                type_args.push(self.ident("a type name")?);
                if !self.eat(TokenKind::Comma) {
                    break;
                }
            }
            self.expect(TokenKind::Gt, "`>`")?;
        }
        let args = if self.raw_kind(0) == TokenKind::LParen {
            self.args()?
        } else {
            let name = class.name.clone();
            self.report(
                Diagnostic::new(
                    Code::NewWithoutParens,
                    class.span,
                    "`new` needs an argument list",
                )
                .label("no `(…)` after the box name")
                .hint(format!("write `new {name}()`")),
            );
            Vec::new()
        };
        Ok(Expr {
            kind: ExprKind::New {
                class,
                type_args,
                args,
            },
            span: self.span_from(start.start),
        })
    }

    fn parse_from_call(&mut self) -> PResult<Expr> {
        let start = self.bump();
        let parent = self.ident("a parent box name after `from`")?;
        if self.raw_kind(0) == TokenKind::LParen {
            let args = self.args()?;
            let span = self.span_from(start.start);
            let parent_name = parent.name.clone();
            self.report(
                Diagnostic::new(
                    Code::FromWithoutMethod,
                    span,
                    "`from` must name the parent's method",
                )
                .label("no method after the parent name")
                .hint(format!(
                    "to run the parent's constructor, write `from {parent_name}.birth(…)`"
                )),
            );
            return Ok(Expr {
                kind: ExprKind::FromCall {
                    method: Ident {
                        name: "birth".into(),
                        span: parent.span,
                    },
                    parent,
                    args,
                },
                span,
            });
        }
        if !self.at(TokenKind::Dot) {
            return Err(self.unexpected("`.` and a method name after the parent box"));
        }
        self.bump();
        let method = self.member_name()?;
        if self.raw_kind(0) != TokenKind::LParen {
            return Err(self.unexpected("`(` after the parent's method name"));
        }
        let args = self.args()?;
        Ok(Expr {
            kind: ExprKind::FromCall {
                parent,
                method,
                args,
            },
            span: self.span_from(start.start),
        })
    }
}
