//! A pretty-printer for the AST.
//!
//! [`print_module`] writes a module back as canonical Nyash source: four-space indentation,
//! one statement per line, commas between arguments, `me`, `and`/`or`, and parentheses only
//! where precedence needs them. Parsing the output gives the same tree (spans aside); the
//! round-trip tests check this.

use std::fmt::Write as _;

use crate::ast::{
    Block, BoxDecl, ElseBranch, Expr, ExprKind, FieldSection, FunctionDecl, Member, Module, Stmt,
    StmtKind, UnaryOp, VarDecl,
};

/// Prints a whole module.
pub fn print_module(module: &Module) -> String {
    let mut p = Printer::default();
    for stmt in &module.stmts {
        p.stmt(stmt);
    }
    p.out
}

/// Prints one expression.
pub fn print_expr(expr: &Expr) -> String {
    let mut p = Printer::default();
    p.expr(expr, 0);
    p.out
}

#[derive(Default)]
struct Printer {
    out: String,
    indent: usize,
}

/// Quotes a string value so that the lexer reads it back unchanged.
pub fn quote(value: &str) -> String {
    let mut s = String::with_capacity(value.len() + 2);
    s.push('"');
    for c in value.chars() {
        match c {
            '\\' => s.push_str("\\\\"),
            '"' => s.push_str("\\\""),
            '\n' => s.push_str("\\n"),
            '\t' => s.push_str("\\t"),
            '\r' => s.push_str("\\r"),
            c => s.push(c),
        }
    }
    s.push('"');
    s
}

fn float_text(v: f64) -> String {
    let s = format!("{v}");
    if s.contains('.') {
        s
    } else {
        format!("{s}.0")
    }
}

/// `true` when the leftmost token of `e` is a prefix operator (`-`), which cannot start a
/// statement.
fn starts_with_operator(e: &Expr) -> bool {
    match &e.kind {
        ExprKind::Unary {
            op: UnaryOp::Neg, ..
        } => true,
        ExprKind::Binary { lhs, .. } => starts_with_operator(lhs),
        ExprKind::MethodCall { recv, .. } | ExprKind::Field { recv, .. } => {
            starts_with_operator(recv)
        }
        _ => false,
    }
}

impl Printer {
    fn line(&mut self, text: &str) {
        for _ in 0..self.indent {
            self.out.push_str("    ");
        }
        self.out.push_str(text);
        self.out.push('\n');
    }

    fn start_line(&mut self) {
        for _ in 0..self.indent {
            self.out.push_str("    ");
        }
    }

    fn block_body(&mut self, block: &Block) {
        self.indent += 1;
        for stmt in &block.stmts {
            self.stmt(stmt);
        }
        self.indent -= 1;
    }

    fn names(names: &[crate::ast::Ident]) -> String {
        names
            .iter()
            .map(|n| n.name.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    }

    fn stmt_expr(&mut self, e: &Expr) {
        let bare_continue = matches!(&e.kind, ExprKind::Var(v) if v.name == "continue");
        if starts_with_operator(e) || bare_continue {
            self.out.push('(');
            self.expr(e, 0);
            self.out.push(')');
        } else {
            self.expr(e, 0);
        }
    }

    fn var_decls(&mut self, keyword: &str, decls: &[VarDecl]) {
        self.start_line();
        self.out.push_str(keyword);
        for (i, d) in decls.iter().enumerate() {
            self.out.push_str(if i == 0 { " " } else { ", " });
            self.out.push_str(&d.name.name);
            if let Some(init) = &d.init {
                self.out.push_str(" = ");
                self.expr(init, 0);
            }
        }
        self.out.push('\n');
    }

    fn function(&mut self, prefix: &str, f: &FunctionDecl) {
        self.line(&format!(
            "{prefix}{}({}) {{",
            f.name.name,
            Self::names(&f.params)
        ));
        self.block_body(&f.body);
        self.line("}");
    }

    fn stmt(&mut self, stmt: &Stmt) {
        match &stmt.kind {
            StmtKind::Expr(e) => {
                self.start_line();
                self.stmt_expr(e);
                self.out.push('\n');
            }
            StmtKind::Assign { target, value } => {
                self.start_line();
                self.stmt_expr(target);
                self.out.push_str(" = ");
                self.expr(value, 0);
                self.out.push('\n');
            }
            StmtKind::Local(decls) => self.var_decls("local", decls),
            StmtKind::Outbox(decls) => self.var_decls("outbox", decls),
            StmtKind::Global { name, value } => {
                self.start_line();
                let _ = write!(self.out, "global {} = ", name.name);
                self.expr(value, 0);
                self.out.push('\n');
            }
            StmtKind::If { .. } => {
                self.start_line();
                self.if_chain(stmt);
            }
            StmtKind::Loop { cond, body } => {
                self.start_line();
                match cond {
                    Some(c) => {
                        self.out.push_str("loop(");
                        self.expr(c, 0);
                        self.out.push_str(") {\n");
                    }
                    None => self.out.push_str("loop {\n"),
                }
                self.block_body(body);
                self.line("}");
            }
            StmtKind::Break => self.line("break"),
            StmtKind::Continue => self.line("continue"),
            StmtKind::Return(None) => self.line("return"),
            StmtKind::Return(Some(e)) => {
                self.start_line();
                self.out.push_str("return ");
                self.expr(e, 0);
                self.out.push('\n');
            }
            StmtKind::Print(e) => {
                self.start_line();
                self.out.push_str("print(");
                self.expr(e, 0);
                self.out.push_str(")\n");
            }
            StmtKind::Nowait { name, value } => {
                self.start_line();
                let _ = write!(self.out, "nowait {} = ", name.name);
                self.expr(value, 0);
                self.out.push('\n');
            }
            StmtKind::Include { path, .. } => self.line(&format!("include {}", quote(path))),
            StmtKind::Try {
                body,
                catches,
                finally,
            } => {
                self.line("try {");
                self.block_body(body);
                for c in catches {
                    let head = match &c.ty {
                        Some(t) => format!("}} catch ({} {}) {{", t.name, c.var.name),
                        None => format!("}} catch ({}) {{", c.var.name),
                    };
                    self.line(&head);
                    self.block_body(&c.body);
                }
                if let Some(f) = finally {
                    self.line("} finally {");
                    self.block_body(f);
                }
                self.line("}");
            }
            StmtKind::Throw(e) => {
                self.start_line();
                self.out.push_str("throw ");
                self.expr(e, 0);
                self.out.push('\n');
            }
            StmtKind::Using(name) => self.line(&format!("using {}", name.name)),
            StmtKind::Box(b) => self.box_decl(b),
            StmtKind::Interface(i) => {
                self.line(&format!("interface box {} {{", i.name.name));
                self.indent += 1;
                for (name, params) in &i.methods {
                    self.line(&format!("{}({})", name.name, Self::names(params)));
                }
                self.indent -= 1;
                self.line("}");
            }
            StmtKind::Function(f) => self.function("function ", f),
            StmtKind::StaticFunction { namespace, func } => {
                let prefix = match namespace {
                    Some(ns) => format!("static function {}.", ns.name),
                    None => "static function ".to_string(),
                };
                self.function(&prefix, func);
            }
        }
    }

    /// Prints `if … { } else if … { } else { }` starting at the current position.
    fn if_chain(&mut self, stmt: &Stmt) {
        let StmtKind::If { cond, then, else_ } = &stmt.kind else {
            return;
        };
        self.out.push_str("if ");
        self.expr(cond, 0);
        self.out.push_str(" {\n");
        self.block_body(then);
        match else_ {
            None => self.line("}"),
            Some(ElseBranch::Block(b)) => {
                self.line("} else {");
                self.block_body(b);
                self.line("}");
            }
            Some(ElseBranch::If(nested)) => {
                self.start_line();
                self.out.push_str("} else ");
                self.if_chain(nested);
            }
        }
    }

    fn box_decl(&mut self, b: &BoxDecl) {
        let mut head = String::new();
        if b.is_static {
            head.push_str("static ");
        }
        let _ = write!(head, "box {}", b.name.name);
        if !b.type_params.is_empty() {
            let _ = write!(head, "<{}>", Self::names(&b.type_params));
        }
        if !b.parents.is_empty() {
            let _ = write!(head, " from {}", Self::names(&b.parents));
        }
        if !b.interfaces.is_empty() {
            let _ = write!(head, " interface {}", Self::names(&b.interfaces));
        }
        head.push_str(" {");
        self.line(&head);
        self.indent += 1;
        for m in &b.members {
            match m {
                Member::Fields {
                    section, fields, ..
                } => {
                    let list = fields
                        .iter()
                        .map(|f| {
                            if f.weak {
                                format!("weak {}", f.name.name)
                            } else {
                                f.name.name.clone()
                            }
                        })
                        .collect::<Vec<_>>()
                        .join(", ");
                    match section {
                        FieldSection::Init => self.line(&format!("init {{ {list} }}")),
                        FieldSection::Public => self.line(&format!("public {{ {list} }}")),
                        FieldSection::Private => self.line(&format!("private {{ {list} }}")),
                        FieldSection::Bare => self.line(&list),
                    }
                }
                Member::Method { is_override, func } => {
                    self.function(if *is_override { "override " } else { "" }, func)
                }
                Member::Constructor { func, .. } => self.function("", func),
                Member::StaticInit(block) => {
                    self.line("static {");
                    self.block_body(block);
                    self.line("}");
                }
            }
        }
        self.indent -= 1;
        self.line("}");
    }

    fn args(&mut self, args: &[Expr]) {
        self.out.push('(');
        for (i, a) in args.iter().enumerate() {
            if i > 0 {
                self.out.push_str(", ");
            }
            self.expr(a, 0);
        }
        self.out.push(')');
    }

    /// Prints `e`, in parentheses when its precedence is below `min_prec`
    /// (1–6 for binary levels, 7 for prefix operands, 8 for postfix receivers).
    fn expr(&mut self, e: &Expr, min_prec: u8) {
        let prec = match &e.kind {
            ExprKind::Binary { op, .. } => op.precedence(),
            ExprKind::Unary { .. } => 7,
            _ => 9,
        };
        let parens = prec < min_prec;
        if parens {
            self.out.push('(');
        }
        match &e.kind {
            ExprKind::Int(v) => {
                let _ = write!(self.out, "{v}");
            }
            ExprKind::Float(v) => self.out.push_str(&float_text(*v)),
            ExprKind::Str(s) => self.out.push_str(&quote(s)),
            ExprKind::Bool(b) => self.out.push_str(if *b { "true" } else { "false" }),
            ExprKind::Null => self.out.push_str("null"),
            ExprKind::Me => self.out.push_str("me"),
            ExprKind::Var(v) => self.out.push_str(&v.name),
            ExprKind::Unary { op, operand } => {
                self.out.push_str(match op {
                    UnaryOp::Neg => "-",
                    UnaryOp::Not => "not ",
                    UnaryOp::Await => "await ",
                });
                // `- -x`, not `-(-x)`: parentheses would add a level of nesting per minus,
                // so a program nested just under `MAX_DEPTH` would print as one over it.
                let nested_neg = matches!(
                    operand.kind,
                    ExprKind::Unary {
                        op: UnaryOp::Neg,
                        ..
                    }
                ) && *op == UnaryOp::Neg;
                if nested_neg {
                    self.out.push(' ');
                }
                self.expr(operand, 7);
            }
            ExprKind::Binary { op, lhs, rhs } => {
                let p = op.precedence();
                self.expr(lhs, p);
                let _ = write!(self.out, " {} ", op.as_str());
                self.expr(rhs, p + 1);
            }
            ExprKind::Call { callee, args } => {
                self.out.push_str(&callee.name);
                self.args(args);
            }
            ExprKind::MethodCall { recv, method, args } => {
                self.expr(recv, 8);
                self.out.push('.');
                self.out.push_str(&method.name);
                self.args(args);
            }
            ExprKind::Field { recv, name } => {
                self.expr(recv, 8);
                self.out.push('.');
                self.out.push_str(&name.name);
            }
            ExprKind::New {
                class,
                type_args,
                args,
            } => {
                self.out.push_str("new ");
                self.out.push_str(&class.name);
                if !type_args.is_empty() {
                    let _ = write!(self.out, "<{}>", Self::names(type_args));
                }
                self.args(args);
            }
            ExprKind::FromCall {
                parent,
                method,
                args,
            } => {
                let _ = write!(self.out, "from {}.{}", parent.name, method.name);
                self.args(args);
            }
        }
        if parens {
            self.out.push(')');
        }
    }
}
