//! Lowering: resolved AST to [`super::Program`].
//!
//! Every function body found in the AST (global functions, static functions, methods,
//! constructors, `static { }` blocks, file top levels, including declarations nested in
//! bodies) is lowered with the resolver's side tables. `me` becomes local 0 of functions
//! that have it, shifting the resolver's slots by one.

use std::collections::HashMap;

use super::{
    BinOp, Catch, Class, ClassId, Const, Expr, Function, LocalTy, Program, SiteId, Stmt, StrId,
    Types,
};
use crate::ast::{self, BinaryOp, ElseBranch, ExprKind, Member, StmtKind, UnaryOp};
use crate::load::Checked;
use crate::resolve::{
    CallRes, FromRes, FunctionId, FunctionKind, NameRes, NewRes, ResolvedProgram,
};
use crate::source::Span;

/// Lowers a checked program (which must have no errors) to IR.
pub fn lower(checked: &Checked) -> Program {
    let rp = checked
        .program
        .as_ref()
        .expect("lowering needs a program without errors");
    let mut l = Lowerer {
        checked,
        rp,
        out: Program::default(),
        strings: HashMap::new(),
        bodies: HashMap::new(),
        frame: String::new(),
        shift: 0,
        next_local: 0,
        temps: Vec::new(),
        owner: None,
    };
    l.out.globals = rp.globals.clone();
    l.out.top_levels = rp.top_levels.iter().map(|f| f.0).collect();
    l.lower_classes();
    for module in &checked.modules {
        l.find_bodies(&module.stmts);
    }
    for (i, info) in rp.functions.iter().enumerate() {
        let f = l.lower_function(FunctionId(i as u32), info);
        l.out.functions.push(f);
    }
    if let Some(main) = rp.main {
        if let FunctionKind::Method { owner, .. } = rp.function(main).kind {
            let takes_args = !rp.function(main).params.is_empty();
            l.out.main = Some((main.0, owner.0, takes_args));
        }
    }
    l.out
}

enum Body<'a> {
    Stmts(&'a [ast::Stmt]),
}

struct Lowerer<'a> {
    checked: &'a Checked,
    rp: &'a ResolvedProgram,
    out: Program,
    strings: HashMap<String, StrId>,
    bodies: HashMap<FunctionId, Body<'a>>,
    /// The trace name of the function being lowered.
    frame: String,
    /// 1 when the function has `me` in local 0.
    shift: u32,
    /// The next free local slot (hidden locals for temporaries come after the declared ones).
    next_local: u32,
    /// Hidden locals holding the current statement's temporaries.
    temps: Vec<u32>,
    /// The box whose method or constructor is being lowered.
    owner: Option<crate::resolve::BoxId>,
}

impl<'a> Lowerer<'a> {
    /// The name a field access uses: the field's own name through `me`, or an "outside"
    /// name when some box declares the field private (R8), so the access is checked.
    fn field_name(&mut self, recv: &ast::Expr, name: &str) -> StrId {
        let id = self.intern(name);
        let private_somewhere = self.rp.boxes.iter().any(|b| {
            b.fields
                .iter()
                .any(|f| f.name == name && f.visibility == crate::resolve::Visibility::Private)
        });
        if !private_somewhere || matches!(recv.kind, ExprKind::Me) {
            return id;
        }
        let outside = self.intern(&format!("{name} (outside)"));
        self.out.outside_fields.insert(outside, id);
        outside
    }

    fn intern(&mut self, s: &str) -> StrId {
        if let Some(&id) = self.strings.get(s) {
            return id;
        }
        let id = self.out.strings.len() as StrId;
        self.out.strings.push(s.to_string());
        self.strings.insert(s.to_string(), id);
        id
    }

    fn site(&mut self, span: Span) -> SiteId {
        let file = self.checked.sources.get(span.file);
        let (line, col) = file.line_col(span.start);
        let mut text = format!("{}:{line}:{col}", self.program_relative(&file.name));
        if !self.frame.is_empty() {
            text.push_str(" in ");
            text.push_str(&self.frame);
        }
        self.out.sites.push(text);
        (self.out.sites.len() - 1) as SiteId
    }

    /// A file's name as compiled into the program: relative to the entry
    /// file's directory (`app.nyash`, `lib/util.nyash`), so the module is the
    /// same whichever path the compiler was given (bundles are reproducible).
    /// Diagnostics keep the path as given.
    fn program_relative<'n>(&self, name: &'n str) -> &'n str {
        let entry = &self.checked.sources.get(crate::source::FileId(0)).name;
        let dir = std::path::Path::new(entry.as_str())
            .parent()
            .and_then(|d| d.to_str())
            .unwrap_or("");
        if dir.is_empty() {
            return name;
        }
        name.strip_prefix(dir)
            .and_then(|rest| rest.strip_prefix(std::path::MAIN_SEPARATOR))
            .unwrap_or(name)
    }

    fn lower_classes(&mut self) {
        for b in &self.rp.boxes {
            let ancestors = b
                .lookup_order
                .iter()
                .filter_map(|r| match r {
                    crate::resolve::BoxRef::User(id) => Some(id.0),
                    crate::resolve::BoxRef::Builtin(_) => None,
                })
                .collect();
            let mut fields: Vec<String> = b.fields.iter().map(|f| f.name.clone()).collect();
            let mut weak: Vec<bool> = b.fields.iter().map(|f| f.weak).collect();
            let mut private: Vec<bool> = b
                .fields
                .iter()
                .map(|f| f.visibility == crate::resolve::Visibility::Private)
                .collect();
            if b.builtin_ancestor.is_some() {
                fields.push(super::BUILTIN_CONTENT.to_string());
                weak.push(false);
                private.push(false);
            }
            self.out.classes.push(Class {
                name: b.name.clone(),
                is_static: b.is_static,
                fields,
                weak,
                private,
                builtin: b.builtin_ancestor.map(|bb| bb.name().to_string()),
                methods: b
                    .method_table
                    .iter()
                    .map(|(k, v)| (k.clone(), v.0))
                    .collect(),
                constructor: b.constructor.map(|f| f.0),
                static_init: b.static_init.map(|f| f.0),
                ancestors,
            });
        }
    }

    fn find_bodies(&mut self, stmts: &'a [ast::Stmt]) {
        for s in stmts {
            match &s.kind {
                StmtKind::Function(f) | StmtKind::StaticFunction { func: f, .. } => {
                    self.add_body(f.span, &f.body.stmts);
                    self.find_bodies(&f.body.stmts);
                }
                StmtKind::Box(b) => {
                    for m in &b.members {
                        match m {
                            Member::Method { func, .. } | Member::Constructor { func, .. } => {
                                self.add_body(func.span, &func.body.stmts);
                                self.find_bodies(&func.body.stmts);
                            }
                            Member::StaticInit(block) => {
                                self.add_body(block.span, &block.stmts);
                                self.find_bodies(&block.stmts);
                            }
                            Member::Fields { .. } => {}
                        }
                    }
                }
                StmtKind::If { then, else_, .. } => {
                    self.find_bodies(&then.stmts);
                    match else_ {
                        Some(ElseBranch::Block(b)) => self.find_bodies(&b.stmts),
                        Some(ElseBranch::If(s)) => self.find_bodies(std::slice::from_ref(s)),
                        None => {}
                    }
                }
                StmtKind::Loop { body, .. } => self.find_bodies(&body.stmts),
                StmtKind::Try {
                    body,
                    catches,
                    finally,
                } => {
                    self.find_bodies(&body.stmts);
                    for c in catches {
                        self.find_bodies(&c.body.stmts);
                    }
                    if let Some(f) = finally {
                        self.find_bodies(&f.stmts);
                    }
                }
                _ => {}
            }
        }
    }

    fn add_body(&mut self, span: Span, stmts: &'a [ast::Stmt]) {
        if let Some(id) = self.rp.function_at(span) {
            self.bodies.insert(id, Body::Stmts(stmts));
        }
    }

    fn lower_function(&mut self, id: FunctionId, info: &crate::resolve::FunctionInfo) -> Function {
        let box_name = |owner: crate::resolve::BoxId| self.rp.box_info(owner).name.clone();
        self.frame = match &info.kind {
            FunctionKind::TopLevel { .. } => String::new(),
            FunctionKind::Global => info.name.clone(),
            FunctionKind::Static { namespace } => format!("{namespace}.{}", info.name),
            FunctionKind::Method { owner, .. }
            | FunctionKind::Constructor { owner, .. }
            | FunctionKind::StaticInit { owner } => format!("{}.{}", box_name(*owner), info.name),
        };
        self.owner = match &info.kind {
            FunctionKind::Method { owner, .. }
            | FunctionKind::Constructor { owner, .. }
            | FunctionKind::StaticInit { owner } => Some(*owner),
            _ => None,
        };
        self.shift = u32::from(info.has_me);
        self.next_local = info.locals.len() as u32 + self.shift;
        let stmts: &[ast::Stmt] = match &info.kind {
            FunctionKind::TopLevel { file } => &self.checked.modules[file.0 as usize].stmts,
            _ => match self.bodies.get(&id) {
                Some(Body::Stmts(s)) => s,
                None => &[],
            },
        };
        let implicit = !matches!(info.kind, FunctionKind::TopLevel { .. });
        let mut body = Vec::new();
        for (i, s) in stmts.iter().enumerate() {
            let last = implicit && i + 1 == stmts.len();
            self.stmt(s, last, &mut body);
        }
        Function {
            name: self.frame.clone(),
            has_me: info.has_me,
            arity: info.params.len() as u32,
            optional: if Some(info.span.file) == self.rp.prelude {
                crate::prelude::optional_params(&info.params)
            } else {
                0
            },
            locals: vec![LocalTy::Dyn; self.next_local as usize],
            body,
            result_of_last: implicit,
            spec: None,
            may_suspend: false,
            resume_points: 0,
            generic_used: true,
            types: Types::default(),
        }
    }

    fn block(&mut self, stmts: &[ast::Stmt]) -> Vec<Stmt> {
        let mut out = Vec::new();
        for s in stmts {
            self.stmt(s, false, &mut out);
        }
        out
    }

    /// Lowers one statement, then releases the temporaries it kept alive (R15).
    fn stmt(&mut self, s: &ast::Stmt, last: bool, out: &mut Vec<Stmt>) {
        let saved = std::mem::take(&mut self.temps);
        self.stmt_inner(s, last, out);
        let temps = std::mem::replace(&mut self.temps, saved);
        // After a return (or the function's result) every local is released anyway.
        if !matches!(
            out.last(),
            Some(Stmt::Return(_) | Stmt::ResultOf(_) | Stmt::Throw(..))
        ) {
            for t in temps {
                out.push(Stmt::Release(t));
            }
        }
    }

    fn stmt_inner(&mut self, s: &ast::Stmt, last: bool, out: &mut Vec<Stmt>) {
        match &s.kind {
            StmtKind::Expr(e) => {
                let e = self.expr(e);
                out.push(if last {
                    Stmt::ResultOf(e)
                } else {
                    Stmt::Expr(e)
                });
            }
            StmtKind::Assign { target, value } => {
                let value = self.expr(value);
                match &target.kind {
                    ExprKind::Var(id) => {
                        let set = self.assign_var(id, value);
                        out.push(set);
                        if last {
                            let read = self.var(id);
                            out.push(Stmt::ResultOf(read));
                        }
                    }
                    ExprKind::Field { recv, name } => {
                        let obj = self.expr(recv);
                        let field = self.field_name(recv, &name.name);
                        let site = self.site(name.span);
                        out.push(Stmt::SetField {
                            obj,
                            field,
                            value,
                            site,
                        });
                        if last {
                            let obj = self.expr(recv);
                            out.push(Stmt::ResultOf(Expr::Field(Box::new(obj), field, site)));
                        }
                    }
                    _ => out.push(Stmt::Expr(value)),
                }
            }
            StmtKind::Local(decls) | StmtKind::Outbox(decls) => {
                for d in decls {
                    let value = match &d.init {
                        Some(e) => self.expr(e),
                        None => Expr::Const(Const::Void),
                    };
                    out.push(self.assign_var(&d.name, value));
                }
            }
            StmtKind::Global { name, value } => {
                let value = self.expr(value);
                out.push(self.assign_var(name, value));
            }
            StmtKind::If { cond, then, else_ } => {
                let c = self.expr(cond);
                let t = self.block(&then.stmts);
                let e = match else_ {
                    Some(ElseBranch::Block(b)) => self.block(&b.stmts),
                    Some(ElseBranch::If(s)) => self.block(std::slice::from_ref(s)),
                    None => Vec::new(),
                };
                out.push(Stmt::If(c, t, e));
            }
            StmtKind::Loop { cond, body } => {
                let c = cond.as_ref().map(|c| self.expr(c));
                let b = self.block(&body.stmts);
                out.push(Stmt::Loop(c, b));
            }
            StmtKind::Break => out.push(Stmt::Break),
            StmtKind::Continue => out.push(Stmt::Continue),
            StmtKind::Return(v) => {
                let v = match v {
                    Some(e) => self.expr(e),
                    None => Expr::Const(Const::Void),
                };
                out.push(Stmt::Return(v));
            }
            StmtKind::Print(e) => {
                let site = self.site(s.span);
                let e = self.expr(e);
                out.push(Stmt::Print(e, site));
            }
            StmtKind::Nowait { name, value } => {
                let site = self.site(s.span);
                let v = self.expr(value);
                out.push(self.assign_var(name, Expr::Spawn(Box::new(v), site)));
            }
            StmtKind::Include { path_span, .. } => {
                if let Some(file) = self.rp.includes.get(path_span) {
                    let site = self.site(s.span);
                    out.push(Stmt::Include(file.0, site));
                }
            }
            StmtKind::Try {
                body,
                catches,
                finally,
            } => {
                let body = self.block(&body.stmts);
                let catches = catches.iter().map(|c| self.catch(c)).collect();
                let finally = finally
                    .as_ref()
                    .map(|f| self.block(&f.stmts))
                    .unwrap_or_default();
                out.push(Stmt::Try {
                    body,
                    catches,
                    finally,
                });
            }
            StmtKind::Throw(e) => {
                let site = self.site(s.span);
                let e = self.expr(e);
                out.push(Stmt::Throw(e, site));
            }
            StmtKind::Using(_)
            | StmtKind::Box(_)
            | StmtKind::Interface(_)
            | StmtKind::Function(_)
            | StmtKind::StaticFunction { .. } => {}
        }
    }

    fn catch(&mut self, c: &ast::CatchClause) -> Catch {
        let classes = match &c.ty {
            None => None,
            Some(t) if t.name == "Error" || t.name == "ErrorBox" => None,
            Some(t) => Some(match self.rp.box_named(&t.name) {
                Some(target) => self
                    .out
                    .classes
                    .iter()
                    .enumerate()
                    .filter(|(_, cl)| cl.ancestors.contains(&target.0))
                    .map(|(i, _)| i as ClassId)
                    .collect(),
                None => Vec::new(),
            }),
        };
        let var = match self.rp.names.get(&c.var.span) {
            Some(NameRes::Local(slot)) => slot.0 + self.shift,
            _ => 0,
        };
        Catch {
            classes,
            var,
            body: self.block(&c.body.stmts),
        }
    }

    fn assign_var(&mut self, id: &ast::Ident, value: Expr) -> Stmt {
        match self.rp.names.get(&id.span) {
            Some(NameRes::Local(slot)) => Stmt::SetLocal(slot.0 + self.shift, value),
            Some(NameRes::Global(g)) => Stmt::SetGlobal(g.0, value),
            _ => {
                let site = self.site(id.span);
                let msg = self.intern(&format!("Cannot assign to '{}'", id.name));
                Stmt::Expr(Expr::Raise(msg, vec![value], site))
            }
        }
    }

    fn var(&mut self, id: &ast::Ident) -> Expr {
        match self.rp.names.get(&id.span) {
            Some(NameRes::Local(slot)) => Expr::Local(slot.0 + self.shift),
            Some(NameRes::Global(g)) => {
                let site = self.site(id.span);
                Expr::Global(g.0, site)
            }
            Some(NameRes::StaticBox(b)) => {
                let site = self.site(id.span);
                Expr::Static(b.0, site)
            }
            _ => self.raise(
                id.span,
                &format!("'{}' is not a value here", id.name),
                vec![],
            ),
        }
    }

    fn raise(&mut self, span: Span, msg: &str, args: Vec<Expr>) -> Expr {
        let site = self.site(span);
        let msg = self.intern(msg);
        Expr::Raise(msg, args, site)
    }

    fn exprs(&mut self, es: &[ast::Expr]) -> Vec<Expr> {
        es.iter().map(|e| self.expr(e)).collect()
    }

    /// Lowers `e`, the operand of an expression that consumes it (a receiver, an operator's
    /// operand, `isType`'s value). A fresh value (what `new` or a call gives) is also kept in
    /// a hidden local that the end of the statement releases, so it lives until then (R15)
    /// instead of going away when its consumer is done with it.
    fn operand(&mut self, e: &ast::Expr) -> Expr {
        let fresh = matches!(
            e.kind,
            ExprKind::New { .. }
                | ExprKind::Call { .. }
                | ExprKind::MethodCall { .. }
                | ExprKind::FromCall { .. }
        );
        let v = self.expr(e);
        if !fresh {
            return v;
        }
        let slot = self.next_local;
        self.next_local += 1;
        self.temps.push(slot);
        Expr::Tee(slot, Box::new(v))
    }

    /// A direct call of `f` with an arity check; `me` (when given) goes first.
    /// The prelude's `__MethodBoxes.invokeK` for `arity` arguments, when the program has it
    /// and the function being lowered is not one of its own (whose `h.invoke(…)` is the call
    /// of a box's own `invoke`).
    fn method_boxes_invoke(&self, arity: usize) -> Option<(crate::resolve::BoxId, FunctionId)> {
        let b = *self.rp.box_names.get(crate::prelude::METHOD_BOXES)?;
        if self.owner == Some(b) {
            return None;
        }
        let f = *self
            .rp
            .box_info(b)
            .method_table
            .get(&format!("invoke{arity}"))?;
        Some((b, f))
    }

    fn direct_call(
        &mut self,
        f: FunctionId,
        me: Option<Expr>,
        args: &[ast::Expr],
        span: Span,
    ) -> Expr {
        let info = self.rp.function(f);
        let args_ir = self.exprs(args);
        if info.params.len() != args.len() {
            let what = match info.kind {
                FunctionKind::Global => format!("Function {}", info.name),
                _ => format!("Method {}", info.name),
            };
            let msg = format!(
                "{what} expects {} arguments, got {}",
                info.params.len(),
                args.len()
            );
            return self.raise(span, &msg, args_ir);
        }
        let mut all = Vec::with_capacity(args.len() + 1);
        if info.has_me {
            all.push(me.unwrap_or(Expr::Const(Const::Void)));
        }
        all.extend(args_ir);
        let site = self.site(span);
        Expr::Call(f.0, all, site)
    }

    fn me(&self) -> Expr {
        Expr::Local(0)
    }

    fn expr(&mut self, e: &ast::Expr) -> Expr {
        match &e.kind {
            ExprKind::Int(i) => Expr::Const(Const::Int(*i)),
            ExprKind::Float(f) => Expr::Const(Const::Float(*f)),
            ExprKind::Str(s) => Expr::Const(Const::Str(self.intern(s))),
            ExprKind::Bool(b) => Expr::Const(Const::Bool(*b)),
            ExprKind::Null => Expr::Const(Const::Null),
            ExprKind::Me => {
                if self.shift == 1 {
                    self.me()
                } else {
                    self.raise(e.span, "'me' is only available inside methods", vec![])
                }
            }
            ExprKind::Var(id) => self.var(id),
            ExprKind::Unary { op, operand } => {
                let v = if *op == UnaryOp::Await {
                    self.expr(operand)
                } else {
                    self.operand(operand)
                };
                match op {
                    UnaryOp::Neg => {
                        let site = self.site(e.span);
                        Expr::Neg(Box::new(v), site)
                    }
                    UnaryOp::Not => Expr::Not(Box::new(v)),
                    UnaryOp::Await => {
                        let site = self.site(e.span);
                        Expr::Await(Box::new(v), site)
                    }
                }
            }
            ExprKind::Binary { op, lhs, rhs } => {
                let a = self.operand(lhs);
                let b = self.operand(rhs);
                let bin = match op {
                    BinaryOp::Or => return Expr::Or(Box::new(a), Box::new(b)),
                    BinaryOp::And => return Expr::And(Box::new(a), Box::new(b)),
                    BinaryOp::Arrow => {
                        // `a >> b` (Part 2 §7): a ChannelBox whose receiver is `b`'s name when
                        // `b` is a bare identifier, else its text.
                        let receiver = match &rhs.kind {
                            ExprKind::Var(id) => Expr::Const(Const::Str(self.intern(&id.name))),
                            _ => b,
                        };
                        let n = self.intern("ChannelBox>>");
                        let site = self.site(e.span);
                        return Expr::NewBuiltin(n, vec![a, receiver], site);
                    }
                    BinaryOp::Eq => BinOp::Eq,
                    BinaryOp::Ne => BinOp::Ne,
                    BinaryOp::Lt => BinOp::Lt,
                    BinaryOp::Le => BinOp::Le,
                    BinaryOp::Gt => BinOp::Gt,
                    BinaryOp::Ge => BinOp::Ge,
                    BinaryOp::Add => BinOp::Add,
                    BinaryOp::Sub => BinOp::Sub,
                    BinaryOp::Mul => BinOp::Mul,
                    BinaryOp::Div => BinOp::Div,
                    BinaryOp::Rem => BinOp::Rem,
                };
                let site = self.site(e.span);
                Expr::Binary(bin, Box::new(a), Box::new(b), site)
            }
            ExprKind::Call { callee, args } => match self.rp.calls.get(&callee.span).copied() {
                Some(CallRes::Function(f)) => self.direct_call(f, None, args, e.span),
                Some(CallRes::Builtin) => {
                    let ty = match args.get(1).map(|a| &a.kind) {
                        Some(ExprKind::Str(s)) if args.len() == 2 => Some(s.clone()),
                        _ => None,
                    };
                    match ty {
                        Some(t) => {
                            let v = Box::new(self.operand(&args[0]));
                            let t = self.intern(&t);
                            if callee.name == "isType" {
                                Expr::IsType(v, t)
                            } else {
                                Expr::AsType(v, t)
                            }
                        }
                        None => {
                            let a = self.exprs(args);
                            let msg =
                                format!("{}() expects a value and a type name string", callee.name);
                            self.raise(e.span, &msg, a)
                        }
                    }
                }
                Some(CallRes::ParentConstructor(parent)) => {
                    match self.rp.box_info(parent).constructor {
                        Some(ctor) => {
                            let me = self.me();
                            self.direct_call(ctor, Some(me), args, e.span)
                        }
                        None => Expr::Const(Const::Void),
                    }
                }
                None => {
                    let a = self.exprs(args);
                    self.raise(e.span, &format!("Undefined function '{}'", callee.name), a)
                }
            },
            ExprKind::MethodCall { recv, method, args } => {
                if let ExprKind::Var(id) = &recv.kind {
                    match self.rp.names.get(&id.span).copied() {
                        Some(NameRes::StaticNamespace) => {
                            let key = (id.name.clone(), method.name.clone());
                            return match self.rp.static_functions.get(&key).copied() {
                                Some(f) => self.direct_call(f, None, args, e.span),
                                None => {
                                    let a = self.exprs(args);
                                    let msg =
                                        format!("Undefined function '{}.{}'", id.name, method.name);
                                    self.raise(e.span, &msg, a)
                                }
                            };
                        }
                        Some(NameRes::StaticBox(b)) => {
                            let site = self.site(id.span);
                            let me = Expr::Static(b.0, site);
                            return match self.rp.box_info(b).method_table.get(&method.name).copied()
                            {
                                Some(f) => self.direct_call(f, Some(me), args, e.span),
                                None => {
                                    let a = self.exprs(args);
                                    let msg = format!(
                                        "Method '{}' not found in static box '{}'",
                                        method.name, id.name
                                    );
                                    self.raise(e.span, &msg, a)
                                }
                            };
                        }
                        Some(NameRes::Stdlib) => {
                            // `using nyashstd` functions (Part 2 §13), run by the runtime.
                            let a = self.exprs(args);
                            let n = self.intern(&format!("nyashstd.{}.{}", id.name, method.name));
                            let site = self.site(e.span);
                            return Expr::NewBuiltin(n, a, site);
                        }
                        _ => {}
                    }
                }
                if method.name == "invoke" {
                    if let Some((b, f)) = self.method_boxes_invoke(args.len()) {
                        // `x.invoke(a…)` is `__MethodBoxes.invokeK(x, a…)` (`crate::prelude`).
                        let site = self.site(method.span);
                        let mut all = Vec::with_capacity(args.len() + 1);
                        all.push((**recv).clone());
                        all.extend(args.iter().cloned());
                        return self.direct_call(f, Some(Expr::Static(b.0, site)), &all, e.span);
                    }
                }
                let recv = Box::new(self.operand(recv));
                let args = self.exprs(args);
                let name = self.intern(&method.name);
                let site = self.site(method.span);
                Expr::Method {
                    recv,
                    name,
                    args,
                    site,
                }
            }
            ExprKind::Field { recv, name } => {
                let r = self.operand(recv);
                let n = self.field_name(recv, &name.name);
                let site = self.site(name.span);
                Expr::Field(Box::new(r), n, site)
            }
            ExprKind::New { class, args, .. } => match self.rp.news.get(&class.span).copied() {
                Some(NewRes::User(b)) => {
                    let info = self.rp.box_info(b);
                    let want = info
                        .constructor
                        .map_or(0, |c| self.rp.function(c).params.len());
                    let a = self.exprs(args);
                    if want != args.len() {
                        let msg = format!(
                            "No constructor found for {} with {} arguments",
                            info.name,
                            args.len()
                        );
                        return self.raise(e.span, &msg, a);
                    }
                    let site = self.site(class.span);
                    Expr::New(b.0, a, site)
                }
                Some(NewRes::Builtin(bb)) => {
                    let a = self.exprs(args);
                    let n = self.intern(bb.name());
                    let site = self.site(class.span);
                    Expr::NewBuiltin(n, a, site)
                }
                None => {
                    let a = self.exprs(args);
                    self.raise(e.span, &format!("Unknown Box type: {}", class.name), a)
                }
            },
            ExprKind::FromCall {
                parent,
                method,
                args,
            } => match self.rp.from_calls.get(&method.span).copied() {
                Some(FromRes::Constructor {
                    constructor: Some(f),
                    ..
                })
                | Some(FromRes::Method { method: f, .. }) => {
                    let me = self.me();
                    self.direct_call(f, Some(me), args, e.span)
                }
                Some(FromRes::Constructor {
                    constructor: None, ..
                }) => Expr::Const(Const::Void),
                Some(FromRes::Builtin(bb)) if self.shift == 1 => {
                    // §9.5: a builtin parent's constructor stores the builtin content in the
                    // instance; its other methods run on a fresh builtin of that type.
                    let a = self.exprs(args);
                    let n = self.intern(bb.name());
                    let site = self.site(method.span);
                    let ctor = matches!(method.name.as_str(), "birth" | "init" | "pack")
                        || method.name == bb.name();
                    if ctor {
                        let content = Expr::NewBuiltin(n, a, site);
                        Expr::Method {
                            recv: Box::new(self.me()),
                            name: self.intern(super::BUILTIN_CONTENT),
                            args: vec![content],
                            site,
                        }
                    } else {
                        Expr::Method {
                            recv: Box::new(Expr::NewBuiltin(n, Vec::new(), site)),
                            name: self.intern(&method.name),
                            args: a,
                            site,
                        }
                    }
                }
                _ => {
                    let a = self.exprs(args);
                    let msg = format!(
                        "from {}.{}() is not supported yet",
                        parent.name, method.name
                    );
                    self.raise(e.span, &msg, a)
                }
            },
        }
    }
}
