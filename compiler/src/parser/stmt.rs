//! Statements.

use super::{PResult, Parser, Recover};
use crate::ast::{BinaryOp, CatchClause, ElseBranch, Expr, ExprKind, Stmt, StmtKind, VarDecl};
use crate::diagnostics::{Code, Diagnostic};
use crate::token::{Token, TokenKind};

impl Parser<'_, '_> {
    /// Parses one statement at the current token.
    pub(crate) fn statement(&mut self) -> PResult<Stmt> {
        let t = self.tok();
        let kind = match t.kind {
            TokenKind::Box => StmtKind::Box(self.box_decl(false, t)?),
            TokenKind::Static => self.static_decl()?,
            TokenKind::Interface => StmtKind::Interface(self.interface_decl()?),
            TokenKind::Function => {
                self.bump();
                StmtKind::Function(self.function_rest(t)?)
            }
            TokenKind::Global => {
                self.bump();
                let name = self.ident("a global's name")?;
                self.expect(TokenKind::Assign, "`=` after the global's name")?;
                self.skip_newlines();
                let value = self.expr()?;
                StmtKind::Global { name, value }
            }
            TokenKind::If => return self.if_stmt(),
            TokenKind::Loop => self.loop_stmt()?,
            TokenKind::Break => {
                self.bump();
                StmtKind::Break
            }
            TokenKind::Return => {
                self.bump();
                if matches!(
                    self.raw_kind(0),
                    TokenKind::Newline | TokenKind::Semicolon | TokenKind::RBrace | TokenKind::Eof
                ) {
                    StmtKind::Return(None)
                } else {
                    StmtKind::Return(Some(self.expr()?))
                }
            }
            TokenKind::Print => self.print_stmt()?,
            TokenKind::Nowait => {
                self.bump();
                let name = self.ident("the variable that receives the future")?;
                self.expect(TokenKind::Assign, "`=` after the variable")?;
                self.skip_newlines();
                let value = self.expr()?;
                StmtKind::Nowait { name, value }
            }
            TokenKind::Include => {
                self.bump();
                let s = self.tok();
                if s.kind != TokenKind::Str {
                    return Err(self.unexpected("a file name in double quotes"));
                }
                let path = match self.expr()?.kind {
                    ExprKind::Str(path) => path,
                    _ => String::new(),
                };
                StmtKind::Include {
                    path,
                    path_span: self.span(s),
                }
            }
            TokenKind::Local => {
                self.bump();
                StmtKind::Local(self.var_decls()?)
            }
            TokenKind::Outbox => {
                self.bump();
                StmtKind::Outbox(self.var_decls()?)
            }
            TokenKind::Try => self.try_stmt()?,
            TokenKind::Throw => {
                self.bump();
                StmtKind::Throw(self.expr()?)
            }
            TokenKind::Using => {
                self.bump();
                let name = self.ident("a namespace name")?;
                if name.name != "nyashstd" {
                    self.report(
                        Diagnostic::new(
                            Code::UnknownNamespace,
                            name.span,
                            format!("there is no namespace `{}`", name.name),
                        )
                        .label("unknown namespace")
                        .hint("the only namespace is `nyashstd`"),
                    );
                }
                StmtKind::Using(name)
            }
            TokenKind::Else | TokenKind::Catch | TokenKind::Finally => {
                let word = self.text_of(t).to_string();
                let owner = if word == "else" { "an `if`" } else { "a `try`" };
                return Err(self.fail(
                    Diagnostic::new(
                        Code::DanglingClause,
                        self.span(t),
                        format!("this `{word}` does not follow {owner}"),
                    )
                    .label(format!("`{word}` without {owner}"))
                    .hint(format!(
                        "`{word}` must come right after the `}}` that closes {owner} block"
                    )),
                ));
            }
            TokenKind::Singleton => {
                return Err(self.fail(
                    Diagnostic::new(
                        Code::ReservedWord,
                        self.span(t),
                        "`singleton` is reserved and has no meaning yet",
                    )
                    .label("reserved word")
                    .hint("for a single shared instance, declare a `static box`"),
                ))
            }
            TokenKind::Ident => {
                if let Some(kind) = self.ident_statement(t)? {
                    kind
                } else {
                    self.expr_or_assign()?
                }
            }
            TokenKind::New
            | TokenKind::Int
            | TokenKind::Float
            | TokenKind::Str
            | TokenKind::SingleQuotedStr
            | TokenKind::True
            | TokenKind::False
            | TokenKind::Null
            | TokenKind::LParen
            | TokenKind::LBracket
            | TokenKind::Await
            | TokenKind::Me
            | TokenKind::From
            | TokenKind::Not
            | TokenKind::Bang => self.expr_or_assign()?,
            TokenKind::Plus | TokenKind::Minus if self.prefix_increment() => {
                let op = self.text_of(t).to_string();
                return Err(self.fail(
                    Diagnostic::new(
                        Code::IncrementOperator,
                        self.span(t).to(self.span(self.raw_token(1))),
                        format!("Nyash has no `{op}{op}` operator"),
                    )
                    .label("not an operator")
                    .hint(if op == "+" {
                        "write `x = x + 1`"
                    } else {
                        "write `x = x - 1`"
                    }),
                ));
            }
            k if is_binary_operator(k) => {
                return Err(self.fail(
                    Diagnostic::new(
                        Code::InvalidStatementStart,
                        self.span(t),
                        format!("a statement cannot start with {}", k.describe()),
                    )
                    .label("unexpected operator")
                    .hint(
                        "to continue an expression on the next line, end the previous line \
                         with the operator",
                    ),
                ))
            }
            TokenKind::Unknown => return Err(Recover),
            _ => {
                let found = self.found(t);
                return Err(self.fail(
                    Diagnostic::new(
                        Code::InvalidStatementStart,
                        self.span(t),
                        format!("expected a statement, found {found}"),
                    )
                    .label("not a statement"),
                ));
            }
        };
        Ok(Stmt {
            kind,
            span: self.span_from(t.start),
        })
    }

    fn prefix_increment(&mut self) -> bool {
        let t = self.tok();
        let next = self.raw_token(1);
        next.kind == t.kind && next.start == t.end
    }

    /// Statements that start with a name but are not expressions: `continue`, and habits
    /// from other languages (`let x`, `class A`, `while (…)`, `x: Int`).
    fn ident_statement(&mut self, t: Token) -> PResult<Option<StmtKind>> {
        let word = self.text_of(t).to_string();
        let next = self.raw_token(1);
        match word.as_str() {
            "continue"
                if matches!(
                    next.kind,
                    TokenKind::Newline | TokenKind::Semicolon | TokenKind::RBrace | TokenKind::Eof
                ) =>
            {
                self.bump();
                Ok(Some(StmtKind::Continue))
            }
            "let" | "var" | "const" if next.kind == TokenKind::Ident => {
                self.report(
                    Diagnostic::new(
                        Code::ForeignKeyword,
                        self.span(t),
                        format!("Nyash has no `{word}`"),
                    )
                    .label("not a keyword in Nyash")
                    .hint("declare local variables with `local`, e.g. `local x = 1`"),
                );
                self.bump();
                Ok(Some(StmtKind::Local(self.var_decls()?)))
            }
            "class" | "struct" if next.kind == TokenKind::Ident => {
                self.report(
                    Diagnostic::new(
                        Code::ForeignKeyword,
                        self.span(t),
                        format!("Nyash has no `{word}`"),
                    )
                    .label("not a keyword in Nyash")
                    .hint("declare a box with `box Name { … }`"),
                );
                Ok(Some(StmtKind::Box(self.box_decl(false, t)?)))
            }
            "while" | "for" if matches!(next.kind, TokenKind::LParen | TokenKind::Ident) => {
                Err(self.fail(
                    Diagnostic::new(
                        Code::ForeignKeyword,
                        self.span(t),
                        format!("Nyash has no `{word}` loop"),
                    )
                    .label("not a keyword in Nyash")
                    .hint("write `loop(condition) { … }`"),
                ))
            }
            _ if next.kind == TokenKind::Colon => {
                let colon = self.span(next);
                Err(self.fail(
                    Diagnostic::new(Code::TypeAnnotation, colon, "Nyash has no type annotations")
                        .label("type annotation")
                        .hint("remove the `:` and the type"),
                ))
            }
            _ => Ok(None),
        }
    }

    /// An expression statement, an assignment, or a compound assignment habit.
    fn expr_or_assign(&mut self) -> PResult<StmtKind> {
        let target = self.expr()?;
        let t = self.tok();
        let op = match t.kind {
            TokenKind::Assign => None,
            TokenKind::PlusAssign => Some(BinaryOp::Add),
            TokenKind::MinusAssign => Some(BinaryOp::Sub),
            TokenKind::StarAssign => Some(BinaryOp::Mul),
            TokenKind::SlashAssign => Some(BinaryOp::Div),
            TokenKind::PercentAssign => Some(BinaryOp::Rem),
            TokenKind::Plus | TokenKind::Minus if self.at_increment() => {
                self.bump();
                let second = self.bump();
                let op_text = self.text_of(t).to_string();
                let target_text = self
                    .text
                    .get(target.span.range())
                    .unwrap_or("x")
                    .to_string();
                self.report(
                    Diagnostic::new(
                        Code::IncrementOperator,
                        self.span(t).to(self.span(second)),
                        format!("Nyash has no `{op_text}{op_text}` operator"),
                    )
                    .label("not an operator")
                    .hint(format!("write `{target_text} = {target_text} {op_text} 1`")),
                );
                self.check_target(&target);
                let one = Expr {
                    kind: ExprKind::Int(1),
                    span: self.span(second),
                };
                let op = if t.kind == TokenKind::Plus {
                    BinaryOp::Add
                } else {
                    BinaryOp::Sub
                };
                return Ok(assign_with(target, op, one));
            }
            _ => return Ok(StmtKind::Expr(target)),
        };
        self.bump();
        self.skip_newlines();
        let value = self.expr()?;
        self.check_target(&target);
        match op {
            None => Ok(StmtKind::Assign { target, value }),
            Some(op) => {
                let target_text = self
                    .text
                    .get(target.span.range())
                    .unwrap_or("x")
                    .to_string();
                let value_text = self.text.get(value.span.range()).unwrap_or("y").to_string();
                self.report(
                    Diagnostic::new(
                        Code::CompoundAssignment,
                        self.span(t),
                        format!("Nyash has no `{}` operator", self.text_of(t)),
                    )
                    .label("compound assignment")
                    .hint(format!(
                        "write `{target_text} = {target_text} {} {value_text}`",
                        op.as_str()
                    )),
                );
                Ok(assign_with(target, op, value))
            }
        }
    }

    fn check_target(&mut self, target: &Expr) {
        match &target.kind {
            ExprKind::Var(_) | ExprKind::Field { .. } => {}
            // `a[i] = v` was already reported and rewritten.
            ExprKind::MethodCall { .. } if self.sink_has_index_error(target) => {}
            ExprKind::Me => self.report(
                Diagnostic::new(
                    Code::InvalidAssignTarget,
                    target.span,
                    "`me` cannot be assigned",
                )
                .label("not a variable"),
            ),
            _ => self.report(
                Diagnostic::new(
                    Code::InvalidAssignTarget,
                    target.span,
                    "only a variable or a field can be assigned",
                )
                .label("cannot assign to this")
                .hint("to compare, write `==`"),
            ),
        }
    }

    fn sink_has_index_error(&self, target: &Expr) -> bool {
        self.sink.items().iter().rev().take(4).any(|d| {
            d.code == Code::IndexOperator
                && d.span
                    .is_some_and(|s| target.span.start <= s.start && s.end <= target.span.end)
        })
    }

    fn print_stmt(&mut self) -> PResult<StmtKind> {
        let t = self.bump();
        if self.raw_kind(0) != TokenKind::LParen {
            return Err(self.unexpected("`(` after `print`"));
        }
        let mut args = self.args()?;
        let span = self.span_from(t.start);
        if args.len() != 1 {
            self.report(
                Diagnostic::new(
                    Code::PrintArity,
                    span,
                    format!("`print` takes exactly one argument, not {}", args.len()),
                )
                .label("wrong number of arguments")
                .hint(if args.is_empty() {
                    "to print an empty line, write `print(\"\")`"
                } else {
                    "join the values with `+`, e.g. `print(a + \" \" + b)`"
                }),
            );
        }
        let first = if args.is_empty() {
            Expr {
                kind: ExprKind::Str(String::new()),
                span,
            }
        } else {
            args.swap_remove(0)
        };
        Ok(StmtKind::Print(first))
    }

    /// `a = 1, b` after `local` or `outbox`.
    fn var_decls(&mut self) -> PResult<Vec<VarDecl>> {
        let mut decls = Vec::new();
        loop {
            let name = self.ident("a variable name")?;
            if self.raw_kind(0) == TokenKind::Colon {
                let colon = self.raw_token(0);
                self.report(
                    Diagnostic::new(
                        Code::TypeAnnotation,
                        self.span(colon),
                        "Nyash has no type annotations",
                    )
                    .label("type annotation")
                    .hint("remove the `:` and the type"),
                );
                self.bump();
                self.ident("a type name")?;
            }
            let init = if self.raw_kind(0) == TokenKind::Assign {
                self.bump();
                self.skip_newlines();
                Some(self.expr()?)
            } else {
                None
            };
            decls.push(VarDecl { name, init });
            if self.raw_kind(0) != TokenKind::Comma {
                break;
            }
            self.bump();
            self.skip_newlines();
        }
        Ok(decls)
    }

    fn condition(&mut self) -> PResult<Expr> {
        let cond = self.expr()?;
        let t = self.tok();
        if t.kind == TokenKind::Assign {
            self.report(
                Diagnostic::new(
                    Code::AssignInCondition,
                    self.span(t),
                    "a condition cannot contain an assignment",
                )
                .label("this assigns")
                .hint("to compare, write `==`"),
            );
            self.bump();
            let rhs = self.expr()?;
            let span = cond.span.to(rhs.span);
            return Ok(Expr {
                kind: ExprKind::Binary {
                    op: BinaryOp::Eq,
                    lhs: Box::new(cond),
                    rhs: Box::new(rhs),
                },
                span,
            });
        }
        Ok(cond)
    }

    fn if_stmt(&mut self) -> PResult<Stmt> {
        let t = self.bump();
        let cond = self.condition()?;
        let then = self.block()?;
        let mut else_ = None;
        if self.peek_past_newlines() == TokenKind::Else {
            self.skip_newlines();
            self.bump();
            if self.peek_past_newlines() == TokenKind::If {
                self.skip_newlines();
                let nested = self.nested(|p| p.if_stmt())?;
                else_ = Some(ElseBranch::If(Box::new(nested)));
            } else {
                else_ = Some(ElseBranch::Block(self.block()?));
            }
        }
        Ok(Stmt {
            kind: StmtKind::If { cond, then, else_ },
            span: self.span_from(t.start),
        })
    }

    fn loop_stmt(&mut self) -> PResult<StmtKind> {
        let t = self.bump();
        let cond = match self.raw_kind(0) {
            TokenKind::LParen if self.raw_kind(1) == TokenKind::RParen => {
                let open = self.bump();
                let close = self.bump();
                self.report(
                    Diagnostic::new(
                        Code::LoopCondition,
                        self.span(open).to(self.span(close)),
                        "the loop condition is empty",
                    )
                    .label("empty condition")
                    .hint("for an endless loop, write `loop { … }` and leave it with `break`"),
                );
                None
            }
            TokenKind::LParen => {
                self.bump();
                let cond = self.nested(|p| {
                    p.newline_insensitive += 1;
                    let cond = p.condition()?;
                    if !p.at(TokenKind::RParen) {
                        return Err(p.unexpected("`)` after the loop condition"));
                    }
                    p.newline_insensitive -= 1;
                    p.bump();
                    Ok(cond)
                })?;
                Some(cond)
            }
            TokenKind::LBrace | TokenKind::Newline => None,
            _ => {
                let cond = self.condition()?;
                self.report(
                    Diagnostic::new(
                        Code::LoopCondition,
                        cond.span,
                        "a loop condition must be in parentheses",
                    )
                    .label("no parentheses")
                    .hint(format!(
                        "write `loop({}) {{ … }}`",
                        self.text.get(cond.span.range()).unwrap_or("condition")
                    )),
                );
                let _ = t;
                Some(cond)
            }
        };
        let body = self.block()?;
        Ok(StmtKind::Loop { cond, body })
    }

    fn try_stmt(&mut self) -> PResult<StmtKind> {
        self.bump();
        let body = self.block()?;
        let mut catches = Vec::new();
        while self.peek_past_newlines() == TokenKind::Catch {
            self.skip_newlines();
            let c = self.bump();
            if self.peek() != TokenKind::LParen {
                return Err(self.unexpected("`(` and the exception variable after `catch`"));
            }
            self.bump();
            self.newline_insensitive += 1;
            let first = self.ident("the exception variable")?;
            let (ty, var) = if self.at(TokenKind::Ident) {
                let var = self.ident("the exception variable")?;
                (Some(first), var)
            } else {
                (None, first)
            };
            if !self.at(TokenKind::RParen) {
                return Err(self.unexpected("`)`"));
            }
            self.newline_insensitive -= 1;
            self.bump();
            let handler = self.block()?;
            catches.push(CatchClause {
                ty,
                var,
                body: handler,
                span: self.span_from(c.start),
            });
        }
        let finally = if self.peek_past_newlines() == TokenKind::Finally {
            self.skip_newlines();
            self.bump();
            Some(self.block()?)
        } else {
            None
        };
        Ok(StmtKind::Try {
            body,
            catches,
            finally,
        })
    }

    /// `static box …` or `static function …`.
    fn static_decl(&mut self) -> PResult<StmtKind> {
        let t = self.bump();
        match self.peek() {
            TokenKind::Box => Ok(StmtKind::Box(self.box_decl(true, t)?)),
            TokenKind::Function => {
                self.bump();
                let first = self.ident("a function name")?;
                let (namespace, name) = if self.raw_kind(0) == TokenKind::Dot {
                    self.bump();
                    (Some(first), self.ident("a function name")?)
                } else {
                    (None, first)
                };
                let func = self.function_after_name(t, name)?;
                Ok(StmtKind::StaticFunction { namespace, func })
            }
            _ => Err(self.unexpected("`box` or `function` after `static`")),
        }
    }
}

fn assign_with(target: Expr, op: BinaryOp, value: Expr) -> StmtKind {
    let span = target.span.to(value.span);
    let rhs = Expr {
        kind: ExprKind::Binary {
            op,
            lhs: Box::new(target.clone()),
            rhs: Box::new(value),
        },
        span,
    };
    StmtKind::Assign { target, value: rhs }
}

fn is_binary_operator(kind: TokenKind) -> bool {
    matches!(
        kind,
        TokenKind::Plus
            | TokenKind::Minus
            | TokenKind::Star
            | TokenKind::Slash
            | TokenKind::Percent
            | TokenKind::EqEq
            | TokenKind::NotEq
            | TokenKind::Lt
            | TokenKind::Le
            | TokenKind::Gt
            | TokenKind::Ge
            | TokenKind::Shr
            | TokenKind::And
            | TokenKind::Or
            | TokenKind::Dot
    )
}
