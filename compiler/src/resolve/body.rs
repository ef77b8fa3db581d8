//! Pass 2: bodies. Resolves every name use, checks fields, calls, constructors and `from`.

use std::collections::HashMap;

use super::program::{
    BoxId, BoxRef, CallRes, FromRes, FunctionId, FunctionKind, LocalInfo, LocalKind, LocalSlot,
    NameRes, NewRes,
};
use super::Resolver;
use crate::ast::{Block, ElseBranch, Expr, ExprKind, Ident, Stmt, StmtKind, VarDecl};
use crate::builtins::{BuiltinBox, BUILTIN_FUNCTIONS, NYASHSTD_NAMESPACES};
use crate::diagnostics::{suggest, Code, Diagnostic};
use crate::source::Span;

/// A read of a name that is not a local: decided once all globals are known.
pub(super) struct DeferredRead {
    pub ident_span: Span,
    pub name: String,
    pub function: FunctionId,
}

/// State while walking one body.
pub(super) struct BodyCtx {
    pub function: FunctionId,
    pub owner: Option<BoxId>,
    pub has_me: bool,
    pub is_constructor: bool,
    pub is_top_level: bool,
    pub locals: HashMap<String, LocalSlot>,
    pub loop_depth: u32,
    /// Locals known to always hold a given builtin box (every assignment is a literal or
    /// `new` of that box).
    pub known_kinds: HashMap<String, Option<BuiltinBox>>,
}

fn literal_kind(e: &Expr) -> Option<BuiltinBox> {
    let name = match &e.kind {
        ExprKind::Str(_) => "StringBox",
        ExprKind::Int(_) => "IntegerBox",
        ExprKind::Float(_) => "FloatBox",
        ExprKind::Bool(_) => "BoolBox",
        ExprKind::New { class, .. } => return BuiltinBox::by_name(&class.name),
        _ => return None,
    };
    BuiltinBox::by_name(name)
}

/// Records, for each local name, the builtin kind of every value assigned to it.
fn scan_kinds(stmts: &[Stmt], out: &mut HashMap<String, Option<BuiltinBox>>) {
    fn note(out: &mut HashMap<String, Option<BuiltinBox>>, name: &str, value: Option<&Expr>) {
        let kind = value.and_then(literal_kind);
        match out.get_mut(name) {
            Some(entry) if *entry != kind => *entry = None,
            Some(_) => {}
            None => {
                let _ = out.insert(name.to_string(), kind);
            }
        }
    }
    for s in stmts {
        match &s.kind {
            StmtKind::Local(decls) => {
                for d in decls {
                    note(out, &d.name.name, d.init.as_ref());
                }
            }
            StmtKind::Assign { target, value } => {
                if let ExprKind::Var(v) = &target.kind {
                    note(out, &v.name, Some(value));
                }
            }
            StmtKind::Nowait { name, .. } => note(out, &name.name, None),
            _ => {}
        }
        for block in child_blocks(s) {
            scan_kinds(&block.stmts, out);
        }
    }
}

/// The blocks directly inside a statement that belong to the same body.
fn child_blocks(s: &Stmt) -> Vec<&Block> {
    let mut blocks = Vec::new();
    match &s.kind {
        StmtKind::If { then, else_, .. } => {
            blocks.push(then);
            match else_ {
                Some(ElseBranch::Block(b)) => blocks.push(b),
                Some(ElseBranch::If(nested)) => blocks.extend(child_blocks(nested)),
                None => {}
            }
        }
        StmtKind::Loop { body, .. } => blocks.push(body),
        StmtKind::Try {
            body,
            catches,
            finally,
        } => {
            blocks.push(body);
            blocks.extend(catches.iter().map(|c| &c.body));
            blocks.extend(finally.iter());
        }
        _ => {}
    }
    blocks
}

const CONSTRUCTOR_WORDS: &[&str] = &["birth", "init", "pack", "constructor"];

impl Resolver<'_> {
    pub(super) fn resolve_body(
        &mut self,
        function: FunctionId,
        stmts: &[Stmt],
        owner: Option<BoxId>,
    ) {
        let info = self.program.function(function);
        let mut locals = HashMap::new();
        for (i, l) in info.locals.iter().enumerate() {
            let _ = locals.entry(l.name.clone()).or_insert(LocalSlot(i as u32));
        }
        let mut known_kinds = HashMap::new();
        scan_kinds(stmts, &mut known_kinds);
        for p in &info.params {
            let _ = known_kinds.insert(p.clone(), None);
        }
        let mut ctx = BodyCtx {
            function,
            owner,
            has_me: info.has_me,
            is_constructor: matches!(info.kind, FunctionKind::Constructor { .. }),
            is_top_level: matches!(info.kind, FunctionKind::TopLevel { .. }),
            locals,
            loop_depth: 0,
            known_kinds,
        };
        self.stmts(&mut ctx, stmts);
    }

    fn stmts(&mut self, ctx: &mut BodyCtx, stmts: &[Stmt]) {
        for s in stmts {
            self.stmt(ctx, s);
        }
    }

    fn block(&mut self, ctx: &mut BodyCtx, block: &Block) {
        stacker::maybe_grow(64 * 1024, 1024 * 1024, || self.stmts(ctx, &block.stmts));
    }

    fn declare_local(&mut self, ctx: &mut BodyCtx, name: &Ident, kind: LocalKind) {
        let slot = match ctx.locals.get(&name.name) {
            Some(&slot) => slot,
            None => {
                let f = &mut self.program.functions[ctx.function.0 as usize];
                let slot = LocalSlot(f.locals.len() as u32);
                f.locals.push(LocalInfo {
                    name: name.name.clone(),
                    span: name.span,
                    kind,
                });
                let _ = ctx.locals.insert(name.name.clone(), slot);
                slot
            }
        };
        let _ = self.program.names.insert(name.span, NameRes::Local(slot));
    }

    /// `name = …`: a local if declared, otherwise a global (created by the assignment, R9).
    fn assign_name(&mut self, ctx: &BodyCtx, name: &Ident) {
        if let Some(&slot) = ctx.locals.get(&name.name) {
            let _ = self.program.names.insert(name.span, NameRes::Local(slot));
        } else {
            let id = self.global_id(&name.name);
            let _ = self.program.names.insert(name.span, NameRes::Global(id));
        }
    }

    fn var_decls(&mut self, ctx: &mut BodyCtx, decls: &[VarDecl], kind: LocalKind) {
        for d in decls {
            if let Some(init) = &d.init {
                self.expr(ctx, init);
            }
            self.declare_local(ctx, &d.name, kind);
        }
    }

    fn stmt(&mut self, ctx: &mut BodyCtx, s: &Stmt) {
        match &s.kind {
            StmtKind::Expr(e) | StmtKind::Print(e) | StmtKind::Throw(e) => self.expr(ctx, e),
            StmtKind::Assign { target, value } => {
                self.expr(ctx, value);
                match &target.kind {
                    ExprKind::Var(name) => self.assign_name(ctx, name),
                    ExprKind::Field { recv, name } => {
                        self.expr(ctx, recv);
                        self.check_field(ctx, recv, name);
                    }
                    _ => self.expr(ctx, target),
                }
            }
            StmtKind::Local(decls) => self.var_decls(ctx, decls, LocalKind::Local),
            StmtKind::Outbox(decls) => self.var_decls(ctx, decls, LocalKind::Outbox),
            StmtKind::Global { name, value } => {
                self.expr(ctx, value);
                let id = self.global_id(&name.name);
                let _ = self.program.names.insert(name.span, NameRes::Global(id));
            }
            StmtKind::Nowait { name, value } => {
                self.expr(ctx, value);
                self.assign_name(ctx, name);
            }
            StmtKind::If { cond, then, else_ } => {
                self.expr(ctx, cond);
                self.block(ctx, then);
                match else_ {
                    Some(ElseBranch::Block(b)) => self.block(ctx, b),
                    Some(ElseBranch::If(nested)) => {
                        stacker::maybe_grow(64 * 1024, 1024 * 1024, || self.stmt(ctx, nested))
                    }
                    None => {}
                }
            }
            StmtKind::Loop { cond, body } => {
                if let Some(c) = cond {
                    self.expr(ctx, c);
                }
                ctx.loop_depth += 1;
                self.block(ctx, body);
                ctx.loop_depth -= 1;
            }
            StmtKind::Break | StmtKind::Continue => {
                if ctx.loop_depth == 0 {
                    let word = if matches!(s.kind, StmtKind::Break) {
                        "break"
                    } else {
                        "continue"
                    };
                    self.sink.push(
                        Diagnostic::new(
                            Code::OutsideLoop,
                            s.span,
                            format!("`{word}` is only allowed inside a loop"),
                        )
                        .label("not inside `loop`"),
                    );
                }
            }
            StmtKind::Return(value) => {
                if let Some(v) = value {
                    self.expr(ctx, v);
                }
                if ctx.is_top_level {
                    self.sink.push(
                        Diagnostic::new(
                            Code::ReturnOutsideFunction,
                            s.span,
                            "`return` is only allowed inside a function or method",
                        )
                        .label("at the top level")
                        .hint("to stop the program early, put the code in `static box Main { main() { … } }`"),
                    );
                }
            }
            StmtKind::Try {
                body,
                catches,
                finally,
            } => {
                self.block(ctx, body);
                for c in catches {
                    if let Some(ty) = &c.ty {
                        let known = matches!(ty.name.as_str(), "Error" | "ErrorBox")
                            || self.program.box_names.contains_key(&ty.name);
                        if !known {
                            self.sink.push(
                                Diagnostic::new(
                                    Code::CatchNeverMatches,
                                    ty.span,
                                    format!("no exception is ever of type `{}`", ty.name),
                                )
                                .label("this clause never runs")
                                .hint(
                                    "write `catch (e)` or `catch (Error e)` to catch every error",
                                ),
                            );
                        }
                    }
                    self.declare_local(ctx, &c.var, LocalKind::Catch);
                    self.block(ctx, &c.body);
                }
                if let Some(f) = finally {
                    self.block(ctx, f);
                }
            }
            // Declarations are resolved as bodies of their own; includes by the loader.
            StmtKind::Include { .. }
            | StmtKind::Using(_)
            | StmtKind::Box(_)
            | StmtKind::Interface(_)
            | StmtKind::Function(_)
            | StmtKind::StaticFunction { .. } => {}
        }
    }

    fn args(&mut self, ctx: &mut BodyCtx, args: &[Expr]) {
        for a in args {
            self.expr(ctx, a);
        }
    }

    fn expr(&mut self, ctx: &mut BodyCtx, e: &Expr) {
        match &e.kind {
            ExprKind::Int(_)
            | ExprKind::Float(_)
            | ExprKind::Str(_)
            | ExprKind::Bool(_)
            | ExprKind::Null => {}
            ExprKind::Me => {
                if !ctx.has_me {
                    self.sink.push(
                        Diagnostic::new(
                            Code::MeOutsideMethod,
                            e.span,
                            "`me` is only available inside methods and constructors",
                        )
                        .label("not inside a box"),
                    );
                }
            }
            ExprKind::Var(name) => self.read_name(ctx, name),
            ExprKind::Unary { operand, .. } => {
                stacker::maybe_grow(64 * 1024, 1024 * 1024, || self.expr(ctx, operand))
            }
            ExprKind::Binary { lhs, rhs, .. } => {
                stacker::maybe_grow(64 * 1024, 1024 * 1024, || {
                    self.expr(ctx, lhs);
                    self.expr(ctx, rhs);
                })
            }
            ExprKind::Call { callee, args } => {
                stacker::maybe_grow(64 * 1024, 1024 * 1024, || self.args(ctx, args));
                self.call(ctx, callee, args.len());
            }
            ExprKind::MethodCall { recv, method, args } => {
                stacker::maybe_grow(64 * 1024, 1024 * 1024, || {
                    self.method_receiver(ctx, recv);
                    self.args(ctx, args);
                });
                self.check_method(ctx, recv, method);
            }
            ExprKind::Field { recv, name } => {
                stacker::maybe_grow(64 * 1024, 1024 * 1024, || self.expr(ctx, recv));
                self.check_field(ctx, recv, name);
            }
            ExprKind::New { class, args, .. } => {
                stacker::maybe_grow(64 * 1024, 1024 * 1024, || self.args(ctx, args));
                self.new_box(class, args.len());
            }
            ExprKind::FromCall {
                parent,
                method,
                args,
            } => {
                stacker::maybe_grow(64 * 1024, 1024 * 1024, || self.args(ctx, args));
                self.check_from_call(ctx, e.span, parent, method, args.len());
            }
        }
    }

    /// A bare-name receiver may be a static-function namespace, a `nyashstd` namespace or a
    /// static box, which are not values elsewhere.
    fn method_receiver(&mut self, ctx: &mut BodyCtx, recv: &Expr) {
        if let ExprKind::Var(name) = &recv.kind {
            if !ctx.locals.contains_key(&name.name) {
                if self.namespaces.contains(&name.name) {
                    let _ = self
                        .program
                        .names
                        .insert(name.span, NameRes::StaticNamespace);
                    return;
                }
                if self.program.uses_nyashstd && NYASHSTD_NAMESPACES.contains(&name.name.as_str()) {
                    let _ = self.program.names.insert(name.span, NameRes::Stdlib);
                    return;
                }
            }
        }
        self.expr(ctx, recv);
    }

    fn read_name(&mut self, ctx: &BodyCtx, name: &Ident) {
        if let Some(&slot) = ctx.locals.get(&name.name) {
            let _ = self.program.names.insert(name.span, NameRes::Local(slot));
            return;
        }
        // A name that is already a global stays one; only the others wait for the end.
        if let Some(&id) = self.global_ids.get(&name.name) {
            let _ = self.program.names.insert(name.span, NameRes::Global(id));
            return;
        }
        self.deferred.push(DeferredRead {
            ident_span: name.span,
            name: name.name.clone(),
            function: ctx.function,
        });
    }

    /// Settles the reads that were not locals: globals, static boxes, or errors.
    pub(super) fn settle_deferred(&mut self) {
        let deferred = std::mem::take(&mut self.deferred);
        for read in deferred {
            if let Some(&id) = self.global_ids.get(&read.name) {
                let _ = self
                    .program
                    .names
                    .insert(read.ident_span, NameRes::Global(id));
                continue;
            }
            if let Some(&b) = self.program.box_names.get(&read.name) {
                if self.program.box_info(b).is_static {
                    let _ = self
                        .program
                        .names
                        .insert(read.ident_span, NameRes::StaticBox(b));
                    continue;
                }
            }
            if self.program.uses_nyashstd && NYASHSTD_NAMESPACES.contains(&read.name.as_str()) {
                let _ = self.program.names.insert(read.ident_span, NameRes::Stdlib);
                continue;
            }
            self.undefined_variable(&read);
        }
    }

    fn undefined_variable(&mut self, read: &DeferredRead) {
        let name = &read.name;
        let info = self.program.function(read.function);
        let is_top_level = matches!(info.kind, FunctionKind::TopLevel { .. });
        let mut hint = None;
        if self.program.box_names.contains_key(name) || BuiltinBox::by_name(name).is_some() {
            hint = Some(format!(
                "`{name}` is a box; to create one, write `new {name}()`"
            ));
        } else if self.program.global_functions.contains_key(name) {
            hint = Some(format!("`{name}` is a function; call it with `{name}(…)`"));
        } else if !is_top_level && self.top_level_locals.contains(name) {
            hint = Some(format!(
                "`{name}` is a `local` of the top level, which functions cannot see; assign it without `local` to make it global"
            ));
        } else if name == "continue" {
            hint = Some("`continue` must stand alone on its line".to_string());
        } else {
            let locals: Vec<&str> = info.locals.iter().map(|l| l.name.as_str()).collect();
            let candidates = locals
                .into_iter()
                .chain(self.global_ids.keys().map(String::as_str));
            if let Some(s) = suggest(name, candidates) {
                hint = Some(format!("did you mean `{s}`?"));
            }
        }
        self.sink.push(
            Diagnostic::new(
                Code::UndefinedVariable,
                read.ident_span,
                format!("`{name}` is read but never defined"),
            )
            .label("not defined anywhere")
            .maybe_hint(hint),
        );
    }

    fn call(&mut self, ctx: &BodyCtx, callee: &Ident, argc: usize) {
        let name = callee.name.as_str();
        if BUILTIN_FUNCTIONS.contains(&name) && argc == 2 {
            let _ = self.program.calls.insert(callee.span, CallRes::Builtin);
            return;
        }
        if ctx.is_constructor {
            if let Some(owner) = ctx.owner {
                if let Some(BoxRef::User(first)) = self.program.box_info(owner).parents.first() {
                    if self.program.box_info(*first).name == name {
                        let _ = self
                            .program
                            .calls
                            .insert(callee.span, CallRes::ParentConstructor(*first));
                        return;
                    }
                }
            }
        }
        if let Some(&f) = self.program.global_functions.get(name) {
            let _ = self.program.calls.insert(callee.span, CallRes::Function(f));
            let info = self.program.function(f);
            if info.params.len() != argc {
                let expected = info.params.len();
                let decl = info.span;
                self.sink.push(
                    Diagnostic::new(
                        Code::CallArity,
                        callee.span,
                        format!(
                            "`{name}` takes {} but is called with {argc}",
                            count(expected, "argument")
                        ),
                    )
                    .label(format!("expected {expected}"))
                    .with_secondary(decl, "declared here"),
                );
            }
            return;
        }
        let mut hint = None;
        if self.program.box_names.contains_key(name) || BuiltinBox::by_name(name).is_some() {
            hint = Some(format!("to create a `{name}`, write `new {name}(…)`"));
        } else if ctx
            .owner
            .is_some_and(|b| self.program.box_info(b).method_table.contains_key(name))
        {
            hint = Some(format!("to call the method, write `me.{name}(…)`"));
        } else if let Some(s) = suggest(
            name,
            self.program
                .global_functions
                .keys()
                .map(String::as_str)
                .chain(BUILTIN_FUNCTIONS.iter().copied()),
        ) {
            hint = Some(format!("did you mean `{s}`?"));
        }
        self.sink.push(
            Diagnostic::new(
                Code::UndefinedFunction,
                callee.span,
                format!("there is no function called `{name}`"),
            )
            .label("unknown function")
            .maybe_hint(hint),
        );
    }

    /// Boxes that delegate (directly or not) to `b`, `b` included.
    fn family(&self, b: BoxId) -> Vec<BoxId> {
        (0..self.program.boxes.len())
            .map(|i| BoxId(i as u32))
            .filter(|&d| {
                self.program.boxes[d.0 as usize]
                    .lookup_order
                    .contains(&BoxRef::User(b))
            })
            .collect()
    }

    /// The box statically known to be the receiver: `me` (its own box) or a static box name.
    fn known_receiver(&self, ctx: &BodyCtx, recv: &Expr) -> Option<(BoxId, bool)> {
        match &recv.kind {
            ExprKind::Me => ctx.owner.map(|b| (b, true)),
            ExprKind::Var(v) => match self.program.names.get(&v.span) {
                Some(NameRes::StaticBox(b)) => Some((*b, false)),
                _ if !ctx.locals.contains_key(&v.name)
                    && !self.global_ids.contains_key(&v.name) =>
                {
                    let b = *self.program.box_names.get(&v.name)?;
                    self.program.box_info(b).is_static.then_some((b, false))
                }
                _ => None,
            },
            _ => None,
        }
    }

    fn check_field(&mut self, ctx: &BodyCtx, recv: &Expr, name: &Ident) {
        let Some((b, via_me)) = self.known_receiver(ctx, recv) else {
            return;
        };
        let info = self.program.box_info(b);
        if info.builtin_ancestor.is_some() {
            return;
        }
        if let Some(field) = info.field(&name.name) {
            if !via_me && field.visibility == super::program::Visibility::Private {
                self.sink.push(
                    Diagnostic::new(
                        Code::UndeclaredField,
                        name.span,
                        format!(
                            "the field `{}` of box `{}` is private",
                            name.name, info.name
                        ),
                    )
                    .label("private field")
                    .hint("private fields are reachable only through `me`"),
                );
            }
            return;
        }
        // `me` may be an instance of a child box: accept fields declared by descendants.
        if via_me
            && self
                .family(b)
                .iter()
                .any(|&d| self.program.box_info(d).field(&name.name).is_some())
        {
            return;
        }
        // `x.m` for a method `m` is a MethodBox (R19, "Handlers").
        let is_method = |d: BoxId| {
            self.program
                .box_info(d)
                .method_table
                .contains_key(&name.name)
        };
        if is_method(b) || (via_me && self.family(b).iter().any(|&d| is_method(d))) {
            return;
        }
        let candidates: Vec<&str> = info.fields.iter().map(|f| f.name.as_str()).collect();
        let hint = match suggest(&name.name, candidates) {
            Some(s) => format!("did you mean `{s}`?"),
            None => format!("declare it in the box, e.g. `init {{ {} }}`", name.name),
        };
        let box_name = info.name.clone();
        let name_span = info.name_span;
        self.sink.push(
            Diagnostic::new(
                Code::UndeclaredField,
                name.span,
                format!("box `{box_name}` has no field `{}`", name.name),
            )
            .label("undeclared field")
            .with_secondary(name_span, format!("`{box_name}` is declared here"))
            .hint(hint),
        );
    }

    fn check_method(&mut self, ctx: &BodyCtx, recv: &Expr, method: &Ident) {
        // Builtin receivers whose kind is certain.
        let builtin = match &recv.kind {
            ExprKind::Var(v) if ctx.locals.contains_key(&v.name) => {
                ctx.known_kinds.get(&v.name).copied().flatten()
            }
            ExprKind::Var(_) => None,
            _ => literal_kind(recv),
        };
        if let Some(b) = builtin {
            if b.methods_known() && !b.has_method(&method.name) {
                let hint = suggest(&method.name, b.info().methods.iter().copied())
                    .map(|s| format!("did you mean `{s}`?"));
                self.sink.push(
                    Diagnostic::new(
                        Code::UnknownBuiltinMethod,
                        method.span,
                        format!("{} has no method `{}`", b.name(), method.name),
                    )
                    .label("unknown method")
                    .maybe_hint(hint),
                );
            }
            return;
        }
        if let ExprKind::Var(v) = &recv.kind {
            if matches!(
                self.program.names.get(&v.span),
                Some(NameRes::StaticNamespace)
            ) {
                let key = (v.name.clone(), method.name.clone());
                let exists = self.program.static_functions.contains_key(&key);
                let is_box = self.program.box_names.contains_key(&v.name);
                if !exists && !is_box {
                    let hint = suggest(
                        &method.name,
                        self.program
                            .static_functions
                            .keys()
                            .filter(|(ns, _)| *ns == v.name)
                            .map(|(_, f)| f.as_str()),
                    )
                    .map(|s| format!("did you mean `{s}`?"));
                    self.sink.push(
                        Diagnostic::new(
                            Code::UndefinedFunction,
                            method.span,
                            format!("there is no static function `{}.{}`", v.name, method.name),
                        )
                        .label("unknown static function")
                        .maybe_hint(hint),
                    );
                }
                return;
            }
        }
        let Some((b, via_me)) = self.known_receiver(ctx, recv) else {
            return;
        };
        let info = self.program.box_info(b);
        if info.builtin_ancestor.is_some()
            || info.method_table.contains_key(&method.name)
            || matches!(method.name.as_str(), "fini" | "toString" | "equals")
        {
            return;
        }
        if via_me
            && self
                .family(b)
                .iter()
                .any(|&d| self.program.box_info(d).methods.contains_key(&method.name))
        {
            return;
        }
        let hint = suggest(&method.name, info.method_table.keys().map(String::as_str))
            .map(|s| format!("did you mean `{s}`?"));
        let box_name = info.name.clone();
        let kind = if info.is_static { "static box" } else { "box" };
        self.sink.push(
            Diagnostic::new(
                Code::UnknownMethod,
                method.span,
                format!("{kind} `{box_name}` has no method `{}`", method.name),
            )
            .label("unknown method")
            .maybe_hint(hint),
        );
    }

    fn new_box(&mut self, class: &Ident, argc: usize) {
        let provided = crate::prelude::PROVIDED.contains(&class.name.as_str());
        if let Some(b) = BuiltinBox::by_name(&class.name).filter(|_| !provided) {
            let _ = self.program.news.insert(class.span, NewRes::Builtin(b));
            return;
        }
        let Some(&b) = self.program.box_names.get(&class.name) else {
            let hint = if self.interfaces.contains_key(&class.name) {
                Some(format!(
                    "`{}` is an interface and cannot be created",
                    class.name
                ))
            } else {
                self.box_suggestion(&class.name)
            };
            self.sink.push(
                Diagnostic::new(
                    Code::UnknownBox,
                    class.span,
                    format!("there is no box called `{}`", class.name),
                )
                .label("unknown box")
                .maybe_hint(hint),
            );
            return;
        };
        let _ = self.program.news.insert(class.span, NewRes::User(b));
        let info = self.program.box_info(b);
        if info.is_static {
            let name = info.name.clone();
            self.sink.push(
                Diagnostic::new(
                    Code::UnknownBox,
                    class.span,
                    format!("`{name}` is a static box and cannot be created with `new`"),
                )
                .label("static box")
                .hint(format!("use the singleton directly: `{name}.method(…)`")),
            );
            return;
        }
        let name = info.name.clone();
        match info.constructor {
            None if argc > 0 => {
                let decl = info.name_span;
                self.sink.push(
                    Diagnostic::new(
                        Code::ConstructorArity,
                        class.span,
                        format!(
                            "box `{name}` has no constructor, but `new` passes {}",
                            count(argc, "argument")
                        ),
                    )
                    .label("arguments without a constructor")
                    .with_secondary(decl, "declared here")
                    .hint("constructors are written `birth(…)`"),
                );
            }
            Some(ctor) => {
                let f = self.program.function(ctor);
                if f.params.len() != argc {
                    let expected = f.params.len();
                    let ctor_span = f.span;
                    let ctor_name = f.name.clone();
                    self.sink.push(
                        Diagnostic::new(
                            Code::ConstructorArity,
                            class.span,
                            format!(
                                "the constructor of `{name}` takes {}, but `new` passes {argc}",
                                count(expected, "argument")
                            ),
                        )
                        .label(format!("expected {expected}"))
                        .with_secondary(ctor_span, format!("`{ctor_name}` is declared here")),
                    );
                }
            }
            None => {}
        }
    }

    fn check_from_call(
        &mut self,
        ctx: &BodyCtx,
        span: Span,
        parent: &Ident,
        method: &Ident,
        argc: usize,
    ) {
        if !ctx.has_me {
            self.sink.push(
                Diagnostic::new(
                    Code::FromOutsideMethod,
                    span,
                    "`from` is only available inside methods and constructors",
                )
                .label("not inside a box"),
            );
            return;
        }
        let Some(owner) = ctx.owner else { return };
        let info = self.program.box_info(owner);
        let parent_ref = info.parents.iter().copied().find(|p| match p {
            BoxRef::User(b) => self.program.box_info(*b).name == parent.name,
            BoxRef::Builtin(b) => b.name() == parent.name,
        });
        let Some(parent_ref) = parent_ref else {
            let owner_name = info.name.clone();
            let is_known = self.program.box_names.contains_key(&parent.name)
                || BuiltinBox::by_name(&parent.name).is_some();
            let hint = if is_known {
                Some(format!(
                    "to delegate, declare `box {owner_name} from {}`",
                    parent.name
                ))
            } else {
                self.box_suggestion(&parent.name)
            };
            self.sink.push(
                Diagnostic::new(
                    Code::NotAParent,
                    parent.span,
                    format!("box `{owner_name}` does not delegate to `{}`", parent.name),
                )
                .label("not a parent")
                .with_secondary(info.name_span, format!("`{owner_name}` is declared here"))
                .maybe_hint(hint),
            );
            return;
        };
        let b = match parent_ref {
            BoxRef::Builtin(bb) => {
                let _ = self
                    .program
                    .from_calls
                    .insert(method.span, FromRes::Builtin(bb));
                return;
            }
            BoxRef::User(b) => b,
        };
        let parent_info = self.program.box_info(b).clone();
        if CONSTRUCTOR_WORDS.contains(&method.name.as_str()) || method.name == parent_info.name {
            let constructor = parent_info.constructor;
            let _ = self.program.from_calls.insert(
                method.span,
                FromRes::Constructor {
                    parent: b,
                    constructor,
                },
            );
            let expected = constructor.map_or(0, |c| self.program.function(c).params.len());
            if expected != argc {
                let pname = parent_info.name.clone();
                self.sink.push(
                    Diagnostic::new(
                        Code::ConstructorArity,
                        method.span,
                        format!(
                            "the constructor of `{pname}` takes {}, but this call passes {argc}",
                            count(expected, "argument")
                        ),
                    )
                    .label(format!("expected {expected}")),
                );
            }
            return;
        }
        if let Some(&m) = parent_info.method_table.get(&method.name) {
            let _ = self.program.from_calls.insert(
                method.span,
                FromRes::Method {
                    parent: b,
                    method: m,
                },
            );
            let expected = self.program.function(m).params.len();
            if expected != argc {
                self.sink.push(
                    Diagnostic::new(
                        Code::CallArity,
                        method.span,
                        format!(
                            "`{}.{}` takes {}, but this call passes {argc}",
                            parent.name,
                            method.name,
                            count(expected, "argument")
                        ),
                    )
                    .label(format!("expected {expected}")),
                );
            }
            return;
        }
        if parent_info.builtin_ancestor.is_some() {
            return;
        }
        let hint = suggest(
            &method.name,
            parent_info.method_table.keys().map(String::as_str),
        )
        .map(|s| format!("did you mean `{s}`?"));
        let pname = parent_info.name.clone();
        self.sink.push(
            Diagnostic::new(
                Code::UnknownParentMethod,
                method.span,
                format!("box `{pname}` has no method `{}`", method.name),
            )
            .label("unknown method")
            .maybe_hint(hint),
        );
    }
}

fn count(n: usize, word: &str) -> String {
    if n == 1 {
        format!("1 {word}")
    } else {
        format!("{n} {word}s")
    }
}
