//! What the language server knows of a program: every declaration of every loaded file, read
//! from the parsed modules. It needs no resolved program, so it also answers for a file with
//! errors (the parser recovers, and the tree holds everything it could read).

use nyash_compiler::ast::{
    Block, ElseBranch, Expr, ExprKind, FunctionDecl, Ident, Member, Module, Stmt, StmtKind, VarDecl,
};
use nyash_compiler::builtins::BuiltinBox;
use nyash_compiler::diagnostics::DiagnosticSink;
use nyash_compiler::lexer::lex;
use nyash_compiler::source::{FileId, Span};
use nyash_compiler::token::{Token, TokenKind};

/// What a declaration declares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A box or static box.
    Box,
    /// A field of a box.
    Field,
    /// A method of a box.
    Method,
    /// A constructor of a box.
    Constructor,
    /// A global or static function.
    Function,
    /// A global variable (first assignment at the top level, or `global`).
    Global,
    /// A local variable, `outbox` or `catch` variable of a function.
    Local,
    /// A parameter.
    Param,
}

/// One declaration.
#[derive(Debug, Clone)]
pub struct Symbol {
    /// The declared name.
    pub name: String,
    /// What it is.
    pub kind: Kind,
    /// The box it belongs to, for members.
    pub owner: Option<String>,
    /// Where the name is written.
    pub name_span: Span,
    /// The whole declaration.
    pub span: Span,
    /// The declaration as a reader would write it, for hovers.
    pub detail: String,
    /// For locals and parameters: the function or block they belong to.
    pub scope: Option<Span>,
    /// For variables initialised with `new X(…)`: `X`.
    pub new_type: Option<String>,
}

/// Every declaration of a program, plus each box's parents.
#[derive(Debug, Default)]
pub struct Index {
    /// Declarations in source order, file by file.
    pub symbols: Vec<Symbol>,
    /// `(box, parents)`.
    parents: Vec<(String, Vec<String>)>,
}

fn params(f: &FunctionDecl) -> String {
    f.params
        .iter()
        .map(|p| p.name.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

fn new_type(expr: Option<&Expr>) -> Option<String> {
    match expr.map(|e| &e.kind) {
        Some(ExprKind::New { class, .. }) => Some(class.name.clone()),
        _ => None,
    }
}

impl Index {
    /// Indexes every module.
    pub fn new(modules: &[Module]) -> Index {
        let mut index = Index::default();
        for m in modules {
            index.stmts(&m.stmts, None, None);
        }
        index
    }

    fn push(&mut self, symbol: Symbol) {
        self.symbols.push(symbol);
    }

    /// A global variable `name`, declared or first assigned by the statement at `span`.
    fn global(&mut self, name: &Ident, span: Span, value: &Expr) {
        self.push(Symbol {
            name: name.name.clone(),
            kind: Kind::Global,
            owner: None,
            name_span: name.span,
            span,
            detail: format!("global {}", name.name),
            scope: None,
            new_type: new_type(Some(value)),
        });
    }

    fn stmts(&mut self, stmts: &[Stmt], scope: Option<Span>, owner: Option<&str>) {
        for s in stmts {
            self.stmt(s, scope, owner);
        }
    }

    fn block(&mut self, b: &Block, scope: Option<Span>, owner: Option<&str>) {
        self.stmts(&b.stmts, scope, owner);
    }

    fn variable(&mut self, decl: &VarDecl, keyword: &str, span: Span, scope: Option<Span>) {
        self.push(Symbol {
            name: decl.name.name.clone(),
            kind: if scope.is_some() {
                Kind::Local
            } else {
                Kind::Global
            },
            owner: None,
            name_span: decl.name.span,
            span,
            detail: format!("{keyword} {}", decl.name.name),
            scope,
            new_type: new_type(decl.init.as_ref()),
        });
    }

    fn function(&mut self, f: &FunctionDecl, kind: Kind, owner: Option<&str>, detail: String) {
        self.push(Symbol {
            name: f.name.name.clone(),
            kind,
            owner: owner.map(str::to_string),
            name_span: f.name.span,
            span: f.span,
            detail,
            scope: None,
            new_type: None,
        });
        for p in &f.params {
            self.push(Symbol {
                name: p.name.clone(),
                kind: Kind::Param,
                owner: None,
                name_span: p.span,
                span: p.span,
                detail: format!("parameter {} of {}", p.name, f.name.name),
                scope: Some(f.span),
                new_type: None,
            });
        }
        self.block(&f.body, Some(f.span), owner);
    }

    fn stmt(&mut self, s: &Stmt, scope: Option<Span>, owner: Option<&str>) {
        match &s.kind {
            StmtKind::Local(decls) => {
                for d in decls {
                    self.variable(d, "local", s.span, scope);
                }
            }
            StmtKind::Outbox(decls) => {
                for d in decls {
                    self.variable(d, "outbox", s.span, scope);
                }
            }
            StmtKind::Global { name, value } => self.global(name, s.span, value),
            StmtKind::Assign { target, value } if scope.is_none() => {
                if let ExprKind::Var(name) = &target.kind {
                    let known = self
                        .symbols
                        .iter()
                        .any(|x| x.kind == Kind::Global && x.name == name.name);
                    if !known {
                        self.global(name, s.span, value);
                    }
                }
            }
            StmtKind::Nowait { name, .. } => self.push(Symbol {
                name: name.name.clone(),
                kind: if scope.is_some() {
                    Kind::Local
                } else {
                    Kind::Global
                },
                owner: None,
                name_span: name.span,
                span: s.span,
                detail: format!("nowait {} (a FutureBox)", name.name),
                scope,
                new_type: Some("FutureBox".into()),
            }),
            StmtKind::If { then, else_, .. } => {
                self.block(then, scope, owner);
                match else_ {
                    Some(ElseBranch::Block(b)) => self.block(b, scope, owner),
                    Some(ElseBranch::If(nested)) => self.stmt(nested, scope, owner),
                    None => {}
                }
            }
            StmtKind::Loop { body, .. } => self.block(body, scope, owner),
            StmtKind::Try {
                body,
                catches,
                finally,
            } => {
                self.block(body, scope, owner);
                for c in catches {
                    self.push(Symbol {
                        name: c.var.name.clone(),
                        kind: Kind::Local,
                        owner: None,
                        name_span: c.var.span,
                        span: c.span,
                        detail: format!("catch variable {}", c.var.name),
                        scope: Some(c.span),
                        new_type: Some("ErrorBox".into()),
                    });
                    self.block(&c.body, scope, owner);
                }
                if let Some(f) = finally {
                    self.block(f, scope, owner);
                }
            }
            StmtKind::Function(f) => self.function(
                f,
                Kind::Function,
                None,
                format!("function {}({})", f.name.name, params(f)),
            ),
            StmtKind::StaticFunction { namespace, func } => {
                let prefix = namespace
                    .as_ref()
                    .map(|n| format!("{}.", n.name))
                    .unwrap_or_default();
                self.function(
                    func,
                    Kind::Function,
                    None,
                    format!(
                        "static function {prefix}{}({})",
                        func.name.name,
                        params(func)
                    ),
                )
            }
            StmtKind::Box(b) => {
                let name = b.name.name.as_str();
                let mut header = if b.is_static {
                    format!("static box {name}")
                } else {
                    format!("box {name}")
                };
                if !b.type_params.is_empty() {
                    let t: Vec<&str> = b.type_params.iter().map(|t| t.name.as_str()).collect();
                    header += &format!("<{}>", t.join(", "));
                }
                let parents: Vec<String> = b.parents.iter().map(|p| p.name.clone()).collect();
                if !parents.is_empty() {
                    header += &format!(" from {}", parents.join(", "));
                }
                self.parents.push((name.to_string(), parents));
                self.push(Symbol {
                    name: name.to_string(),
                    kind: Kind::Box,
                    owner: None,
                    name_span: b.name.span,
                    span: b.span,
                    detail: header,
                    scope: None,
                    new_type: None,
                });
                for m in &b.members {
                    match m {
                        Member::Fields { fields, span, .. } => {
                            for f in fields {
                                let weak = if f.weak { "weak " } else { "" };
                                self.push(Symbol {
                                    name: f.name.name.clone(),
                                    kind: Kind::Field,
                                    owner: Some(name.to_string()),
                                    name_span: f.name.span,
                                    span: *span,
                                    detail: format!("{weak}field {} of {name}", f.name.name),
                                    scope: None,
                                    new_type: None,
                                });
                            }
                        }
                        Member::Method { func, .. } => self.function(
                            func,
                            Kind::Method,
                            Some(name),
                            format!("{name}.{}({})", func.name.name, params(func)),
                        ),
                        Member::Constructor { func, .. } => self.function(
                            func,
                            Kind::Constructor,
                            Some(name),
                            format!("{name}.{}({})", func.name.name, params(func)),
                        ),
                        Member::StaticInit(block) => {
                            self.block(block, Some(block.span), Some(name))
                        }
                    }
                }
            }
            _ => {}
        }
    }

    /// The box called `name` and its ancestors, depth first.
    fn lineage(&self, name: &str) -> Vec<String> {
        let mut out = vec![name.to_string()];
        let mut i = 0;
        while i < out.len() && out.len() < 64 {
            if let Some((_, ps)) = self.parents.iter().find(|(b, _)| *b == out[i]) {
                for p in ps {
                    if !out.contains(p) {
                        out.push(p.clone());
                    }
                }
            }
            i += 1;
        }
        out
    }

    /// The members (fields, methods, constructors) of box `name` and its ancestors.
    pub fn members_of(&self, name: &str) -> Vec<&Symbol> {
        let lineage = self.lineage(name);
        self.symbols
            .iter()
            .filter(|s| {
                matches!(s.kind, Kind::Field | Kind::Method)
                    && s.owner.as_ref().is_some_and(|o| lineage.contains(o))
            })
            .collect()
    }

    /// The innermost box whose declaration covers `offset` of `file`.
    fn enclosing_box(&self, file: FileId, offset: u32) -> Option<&Symbol> {
        self.symbols
            .iter()
            .filter(|s| {
                s.kind == Kind::Box
                    && s.span.file == file
                    && s.span.start <= offset
                    && offset <= s.span.end
            })
            .min_by_key(|s| s.span.end - s.span.start)
    }

    fn named(&self, name: &str, kinds: &[Kind]) -> Vec<&Symbol> {
        self.symbols
            .iter()
            .filter(|s| s.name == name && kinds.contains(&s.kind))
            .collect()
    }

    /// The box a receiver expression ends in, when it can be told from the text: `me`, a box
    /// name, or a variable initialised with `new X(…)`.
    fn receiver_box(
        &self,
        file: FileId,
        tokens: &[Token],
        text: &str,
        at: usize,
    ) -> Option<String> {
        let t = tokens.get(at)?;
        match t.kind {
            TokenKind::Me => self.enclosing_box(file, t.start).map(|b| b.name.clone()),
            TokenKind::Ident => {
                let word = &text[t.start as usize..t.end as usize];
                if at > 0 && tokens[at - 1].kind == TokenKind::From {
                    return Some(word.to_string());
                }
                if let Some(var) = self.variable_at(file, word, t.start) {
                    return var.new_type.clone();
                }
                (!self.named(word, &[Kind::Box]).is_empty() || BuiltinBox::by_name(word).is_some())
                    .then(|| word.to_string())
            }
            _ => None,
        }
    }

    /// The local, parameter or global that `name` at `offset` of `file` refers to.
    fn variable_at(&self, file: FileId, name: &str, offset: u32) -> Option<&Symbol> {
        let local = self
            .symbols
            .iter()
            .filter(|s| {
                s.name == name
                    && matches!(s.kind, Kind::Local | Kind::Param)
                    && s.scope
                        .is_some_and(|sc| sc.file == file && sc.start <= offset && offset <= sc.end)
            })
            .min_by_key(|s| s.scope.map_or(u32::MAX, |sc| sc.end - sc.start));
        local.or_else(|| self.named(name, &[Kind::Global]).into_iter().next())
    }

    /// The declarations the word at `offset` of `file` (whose text is `text`) refers to.
    pub fn definition(&self, file: FileId, text: &str, offset: u32) -> Vec<&Symbol> {
        let tokens = lex(text, file, &mut DiagnosticSink::new());
        let Some(at) = tokens
            .iter()
            .position(|t| t.start <= offset && offset <= t.end && t.kind == TokenKind::Ident)
        else {
            return Vec::new();
        };
        let t = tokens[at];
        let word = &text[t.start as usize..t.end as usize];
        let prev = at.checked_sub(1).map(|i| tokens[i].kind);
        if prev == Some(TokenKind::Dot) && at >= 2 {
            let members: Vec<&Symbol> = match self.receiver_box(file, &tokens, text, at - 2) {
                Some(b) => self.members_of(&b),
                None => self
                    .symbols
                    .iter()
                    .filter(|s| matches!(s.kind, Kind::Field | Kind::Method))
                    .collect(),
            };
            return members.into_iter().filter(|s| s.name == word).collect();
        }
        if matches!(prev, Some(TokenKind::New | TokenKind::From)) {
            return self.named(word, &[Kind::Box]);
        }
        if let Some(var) = self.variable_at(file, word, t.start) {
            // A global assigned in a function is still the global; a local is only its own.
            return vec![var];
        }
        self.named(word, &[Kind::Function, Kind::Box])
    }

    /// Completions for the text before `offset`: the members of the receiver's box after
    /// `recv.`, or else every name declared where `offset` is.
    pub fn completions(&self, file: FileId, text: &str, offset: u32) -> Vec<Completion> {
        let tokens = lex(text, file, &mut DiagnosticSink::new());
        let before: Vec<Token> = tokens
            .iter()
            .copied()
            .take_while(|t| t.end <= offset && t.kind != TokenKind::Eof)
            .collect();
        let mut n = before.len();
        if n > 0 && before[n - 1].kind == TokenKind::Ident && before[n - 1].end == offset {
            n -= 1; // The word being typed.
        }
        if n >= 2 && before[n - 1].kind == TokenKind::Dot {
            let recv = self.receiver_box(file, &before, text, n - 2);
            return match recv {
                Some(b)
                    if BuiltinBox::by_name(&b).is_some()
                        && self.named(&b, &[Kind::Box]).is_empty() =>
                {
                    let info = BuiltinBox::by_name(&b).map(|x| x.info());
                    info.map(|i| i.methods)
                        .unwrap_or_default()
                        .iter()
                        .map(|m| Completion {
                            label: m.to_string(),
                            kind: Kind::Method,
                            detail: format!("{b}.{m}"),
                        })
                        .collect()
                }
                Some(b) => dedup(self.members_of(&b)),
                None => dedup(
                    self.symbols
                        .iter()
                        .filter(|s| matches!(s.kind, Kind::Field | Kind::Method))
                        .collect(),
                ),
            };
        }
        dedup(
            self.symbols
                .iter()
                .filter(|s| match s.kind {
                    Kind::Box | Kind::Function | Kind::Global => true,
                    Kind::Local | Kind::Param => s.scope.is_some_and(|sc| {
                        sc.file == file && sc.start <= offset && offset <= sc.end
                    }),
                    _ => false,
                })
                .collect(),
        )
    }
}

/// One completion item.
#[derive(Debug, Clone)]
pub struct Completion {
    /// The text inserted.
    pub label: String,
    /// What it names.
    pub kind: Kind,
    /// Its declaration.
    pub detail: String,
}

fn dedup(symbols: Vec<&Symbol>) -> Vec<Completion> {
    let mut out: Vec<Completion> = Vec::new();
    for s in symbols {
        if !out.iter().any(|c| c.label == s.name) {
            out.push(Completion {
                label: s.name.clone(),
                kind: s.kind,
                detail: s.detail.clone(),
            });
        }
    }
    out
}
