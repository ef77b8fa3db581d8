//! The async lowering: `nowait` tasks and resumable functions (R16).
//!
//! Tasks share one WebAssembly stack, so a task that waits must give the stack back. The
//! compiler makes every function that may wait *resumable*: when the task suspends, each
//! such function on the stack saves its locals and its position in a heap frame and
//! returns; when the scheduler resumes the task, it calls the task's function again, and
//! each function restores its frame and jumps back to where it was. Functions that cannot
//! wait (most of them, and every one in a program without `nowait`) are untouched.
//!
//! This pass, run right after lowering, does the IR side:
//!
//! 1. Each `nowait v = expr` ([`Expr::Spawn`]) becomes a new function whose body is
//!    `return expr` and whose parameters are the locals `expr` reads (captured by value when
//!    the task is created), and a [`Expr::Task`] that creates the FutureBox.
//! 2. A fixpoint over the call graph finds the functions that may suspend: those containing
//!    `await`, a builtin wait (`x.get()`, `x.sleep(ms)`: FutureBox, TimeBox and TimerBox), a
//!    direct call of such a function, or a method call whose name and arity match a user
//!    method that may suspend.
//! 3. In those functions, every call that may suspend is moved out of its expression into a
//!    statement of its own ([`Stmt::Suspend`]), after the operands evaluated before it were
//!    saved in temporaries, so that nothing is on the WebAssembly operand stack when the
//!    task suspends. `and`/`or` and loop conditions containing such calls become `if`s; a
//!    `catch` handler that may suspend runs after its `try` (same meaning, so that it can be
//!    re-entered).
//! 4. Resume points are numbered in program order, and every statement is guarded so that a
//!    resumed function skips what ran before the resume point: a statement containing
//!    points `lo..=hi` runs when not resuming or when resuming in `lo..=hi`, `if` takes the
//!    branch that holds the point, and `loop` skips its condition once ([`Expr::Resuming`]).
//!
//! Code that cannot give the stack back waits in place instead, running other tasks from
//! inside the wait (see `guest/src/tasks.rs`): the main program, `finally` blocks,
//! constructors and `static { }` blocks that wait, and methods the runtime calls back
//! (`toString`, `fini`). Suspension points inside `finally` are therefore left as they are.

use std::collections::{BTreeMap, BTreeSet};

use super::{visit, BinOp, Catch, Const, Expr, FuncId, Function, LocalTy, Program, SiteId, Stmt};

/// Builtin methods that may suspend the calling task: FutureBox `get()`, TimeBox/TimerBox
/// `sleep(ms)`, ConsoleBox `readLine()`, and the SocketBox calls that wait (R19).
pub const BUILTIN_WAITS: &[(&str, u32)] = &[
    ("get", 0),
    ("sleep", 1),
    ("readLine", 0),
    ("accept", 0),
    ("acceptTimeout", 1),
    ("connect", 2),
    ("read", 0),
    ("recvTimeout", 1),
    ("readBytes", 1),
    ("readHttpRequest", 0),
    ("write", 1),
    ("__nextRequest", 1),
    ("__readResponse", 1),
];

/// Runs the async lowering on a freshly lowered program.
pub fn lower_async(prog: &mut Program) {
    let before = prog.functions.len();
    extract_tasks(prog);
    if prog.functions.len() == before {
        // No `nowait`: no task ever runs, so every wait is in place and no function needs
        // to be resumable.
        return;
    }
    classify(prog);
    let sites = &mut prog.sites;
    sites.push(String::new());
    let blank_site = (sites.len() - 1) as SiteId;
    let methods = &prog.suspending_methods;
    let strings = &prog.strings;
    let may: Vec<bool> = prog.functions.iter().map(|f| f.may_suspend).collect();
    for f in prog.functions.iter_mut().filter(|f| f.may_suspend) {
        let oracle = Oracle {
            may: &may,
            methods,
            strings,
        };
        let mut anf = Anf {
            oracle,
            locals: &mut f.locals,
            site: blank_site,
        };
        let body = std::mem::take(&mut f.body);
        let mut body = anf.stmts(body);
        let mut next = 0;
        assign_ids(&mut next, &mut body);
        f.resume_points = next;
        f.body = if next == 0 { body } else { guard_list(body) };
    }
}

// ---------------------------------------------------------------------------------------
// 1. Tasks

fn extract_tasks(prog: &mut Program) {
    let mut i = 0;
    while i < prog.functions.len() {
        let mut body = std::mem::take(&mut prog.functions[i].body);
        let parent = prog.functions[i].name.clone();
        visit::walk_exprs_mut(&mut body, &mut |e| spawn_to_task(prog, &parent, e));
        prog.functions[i].body = body;
        i += 1;
    }
}

fn spawn_to_task(prog: &mut Program, parent: &str, e: &mut Expr) {
    let Expr::Spawn(inner, site) = e else {
        return;
    };
    let site = *site;
    let mut used = BTreeSet::new();
    let mut hidden = BTreeSet::new();
    collect_locals(inner, &mut used, &mut hidden);
    let captured: Vec<u32> = used.into_iter().collect();
    // Hidden temporaries of the expression become the task function's own locals.
    let hidden: Vec<u32> = hidden
        .into_iter()
        .filter(|s| !captured.contains(s))
        .collect();
    let remap: BTreeMap<u32, u32> = captured
        .iter()
        .chain(&hidden)
        .enumerate()
        .map(|(i, &s)| (s, i as u32))
        .collect();
    let mut body = std::mem::replace(inner.as_mut(), Expr::Const(Const::Void));
    rename_locals(&mut body, &remap);
    let name = if parent.is_empty() {
        "(task)".to_string()
    } else {
        format!("{parent} (task)")
    };
    let id = prog.functions.len() as FuncId;
    prog.functions.push(Function {
        name,
        has_me: false,
        arity: captured.len() as u32,
        optional: 0,
        locals: vec![LocalTy::Dyn; captured.len() + hidden.len()],
        body: vec![Stmt::Return(body)],
        result_of_last: false,
        spec: None,
        may_suspend: false,
        resume_points: 0,
        // The scheduler calls it through the compiled callback.
        generic_used: true,
        types: Default::default(),
    });
    let kind = prog.tasks.len() as u32;
    prog.tasks.push(id);
    let captures = captured.into_iter().map(Expr::Local).collect();
    *e = Expr::Task(kind, captures, site);
}

/// The locals `e` reads, and the hidden temporaries it writes ([`Expr::Tee`]).
fn collect_locals(e: &Expr, read: &mut BTreeSet<u32>, written: &mut BTreeSet<u32>) {
    match e {
        Expr::Local(s) => {
            read.insert(*s);
        }
        Expr::Tee(s, _) => {
            written.insert(*s);
        }
        _ => {}
    }
    for c in visit::written_operands(e) {
        collect_locals(c, read, written);
    }
}

fn rename_locals(e: &mut Expr, map: &BTreeMap<u32, u32>) {
    if let Expr::Local(s) | Expr::Tee(s, _) = e {
        *s = map[s];
    }
    for c in visit::written_operands_mut(e) {
        rename_locals(c, map);
    }
}

// ---------------------------------------------------------------------------------------
// 2. Which functions may suspend

/// Answers "may this call suspend?" from the classification.
struct Oracle<'a> {
    may: &'a [bool],
    methods: &'a BTreeSet<(String, u32)>,
    strings: &'a [String],
}

impl Oracle<'_> {
    /// Whether `e` itself (not its operands) is a call that may suspend.
    fn is_point(&self, e: &Expr) -> bool {
        match e {
            Expr::Await(..) => true,
            Expr::Call(f, _, _) => self.may[*f as usize],
            Expr::Method { name, args, .. } => self
                .methods
                .contains(&(self.strings[*name as usize].clone(), args.len() as u32)),
            _ => false,
        }
    }

    fn expr_has_point(&self, e: &Expr) -> bool {
        visit::any_written(e, &mut |e| self.is_point(e))
    }

    fn block_has_point(&self, b: &[Stmt]) -> bool {
        b.iter().any(|s| self.stmt_has_point(s))
    }

    fn stmt_has_point(&self, s: &Stmt) -> bool {
        if let Stmt::Suspend { .. } = s {
            return true;
        }
        // Waits inside `finally` wait in place (see the module docs); they still make the
        // function "may suspend" for the call graph, conservatively.
        let mut found = visit::stmt_exprs(s).any(|e| self.expr_has_point(e));
        visit::for_each_block(s, |b| found = found || self.block_has_point(b));
        found
    }
}

fn classify(prog: &mut Program) {
    let mut methods: BTreeSet<(String, u32)> = BUILTIN_WAITS
        .iter()
        .map(|&(n, a)| (n.to_string(), a))
        .collect();
    let mut may = vec![false; prog.functions.len()];
    // (name, arity) of every method, by function.
    let mut method_of: Vec<Vec<(String, u32)>> = vec![Vec::new(); prog.functions.len()];
    for c in &prog.classes {
        for (name, &f) in &c.methods {
            // Every argument count a call may use (fewer when parameters are optional).
            let func = &prog.functions[f as usize];
            for argc in func.arity - func.optional..=func.arity {
                let key = (name.clone(), argc);
                if !method_of[f as usize].contains(&key) {
                    method_of[f as usize].push(key);
                }
            }
        }
    }
    loop {
        let mut changed = false;
        for (i, f) in prog.functions.iter().enumerate() {
            if may[i] {
                continue;
            }
            let oracle = Oracle {
                may: &may,
                methods: &methods,
                strings: &prog.strings,
            };
            if oracle.block_has_point(&f.body) {
                may[i] = true;
                changed = true;
                for key in &method_of[i] {
                    methods.insert(key.clone());
                }
            }
        }
        if !changed {
            break;
        }
    }
    for (f, m) in prog.functions.iter_mut().zip(may) {
        f.may_suspend = m;
    }
    prog.suspending_methods = methods;
}

// ---------------------------------------------------------------------------------------
// 3. Suspension points as statements

struct Anf<'a> {
    oracle: Oracle<'a>,
    locals: &'a mut Vec<LocalTy>,
    site: SiteId,
}

impl Anf<'_> {
    fn temp(&mut self) -> u32 {
        self.locals.push(LocalTy::Dyn);
        (self.locals.len() - 1) as u32
    }

    fn is_point(&self, e: &Expr) -> bool {
        self.oracle.is_point(e)
    }

    fn has_point(&self, e: &Expr) -> bool {
        self.oracle.expr_has_point(e)
    }

    fn block_has_point(&self, b: &[Stmt]) -> bool {
        self.oracle.block_has_point(b)
    }

    fn stmts(&mut self, body: Vec<Stmt>) -> Vec<Stmt> {
        let mut out = Vec::with_capacity(body.len());
        for s in body {
            self.stmt(s, &mut out);
        }
        out
    }

    fn stmt(&mut self, s: Stmt, out: &mut Vec<Stmt>) {
        match s {
            Stmt::Expr(e) if self.is_point(&e) => {
                let call = self.point_operands(e, out);
                out.push(suspend(None, call));
            }
            Stmt::SetLocal(slot, e) if self.is_point(&e) => {
                let call = self.point_operands(e, out);
                out.push(suspend(Some(slot), call));
            }
            Stmt::Expr(e) => {
                let e = self.expr(e, out);
                out.push(Stmt::Expr(e));
            }
            Stmt::ResultOf(e) => {
                let e = self.expr(e, out);
                out.push(Stmt::ResultOf(e));
            }
            Stmt::SetLocal(slot, e) => {
                let e = self.expr(e, out);
                out.push(Stmt::SetLocal(slot, e));
            }
            Stmt::SetGlobal(g, e) => {
                let e = self.expr(e, out);
                out.push(Stmt::SetGlobal(g, e));
            }
            Stmt::Return(e) => {
                let e = self.expr(e, out);
                out.push(Stmt::Return(e));
            }
            Stmt::Print(e, site) => {
                let e = self.expr(e, out);
                out.push(Stmt::Print(e, site));
            }
            Stmt::Throw(e, site) => {
                let e = self.expr(e, out);
                out.push(Stmt::Throw(e, site));
            }
            Stmt::SetField {
                obj,
                field,
                value,
                site,
            } => {
                // The value is evaluated first, then the object.
                let mut value = self.expr(value, out);
                if self.has_point(&obj) {
                    value = self.spill(value, out);
                }
                let obj = self.expr(obj, out);
                out.push(Stmt::SetField {
                    obj,
                    field,
                    value,
                    site,
                });
            }
            Stmt::If(c, t, e) => {
                let c = self.expr(c, out);
                let t = self.stmts(t);
                let e = self.stmts(e);
                out.push(Stmt::If(c, t, e));
            }
            Stmt::Loop(Some(c), body) if self.has_point(&c) => {
                let mut inner = Vec::new();
                let c = self.expr(c, &mut inner);
                inner.push(Stmt::If(Expr::Not(Box::new(c)), vec![Stmt::Break], vec![]));
                inner.extend(self.stmts(body));
                out.push(Stmt::Loop(None, inner));
            }
            Stmt::Loop(c, body) => {
                let body = self.stmts(body);
                out.push(Stmt::Loop(c, body));
            }
            Stmt::Try {
                body,
                catches,
                finally,
            } => self.try_stmt(body, catches, finally, out),
            s @ (Stmt::Break
            | Stmt::Continue
            | Stmt::Include(..)
            | Stmt::Release(_)
            | Stmt::Suspend { .. }) => out.push(s),
        }
    }

    /// A `try` whose handlers may suspend becomes: an inner `try` whose handlers only
    /// record which one matched, then the handlers as ordinary code, all inside an outer
    /// `try` that keeps the `finally`. Errors raised by a handler still pass through the
    /// `finally`, exactly as before.
    fn try_stmt(
        &mut self,
        body: Vec<Stmt>,
        catches: Vec<Catch>,
        finally: Vec<Stmt>,
        out: &mut Vec<Stmt>,
    ) {
        let body = self.stmts(body);
        if !catches.iter().any(|c| self.block_has_point(&c.body)) {
            out.push(Stmt::Try {
                body,
                catches,
                finally,
            });
            return;
        }
        let which = self.temp();
        let mut inner_catches = Vec::new();
        let mut handlers = Vec::new();
        for (k, c) in catches.into_iter().enumerate() {
            let k = k as i64 + 1;
            inner_catches.push(Catch {
                classes: c.classes,
                var: c.var,
                body: vec![Stmt::SetLocal(which, Expr::Const(Const::Int(k)))],
            });
            let test = Expr::Binary(
                BinOp::Eq,
                Box::new(Expr::Local(which)),
                Box::new(Expr::Const(Const::Int(k))),
                self.site,
            );
            let handler = self.stmts(c.body);
            handlers.push(Stmt::If(test, handler, vec![]));
        }
        let mut code = vec![
            Stmt::SetLocal(which, Expr::Const(Const::Int(0))),
            Stmt::Try {
                body,
                catches: inner_catches,
                finally: vec![],
            },
        ];
        code.extend(handlers);
        if finally.is_empty() {
            out.extend(code);
        } else {
            out.push(Stmt::Try {
                body: code,
                catches: vec![],
                finally,
            });
        }
    }

    /// Moves the suspension points out of `e` into `out`; returns what is left.
    fn expr(&mut self, e: Expr, out: &mut Vec<Stmt>) -> Expr {
        if !self.has_point(&e) {
            return e;
        }
        if self.is_point(&e) {
            let call = self.point_operands(e, out);
            let t = self.temp();
            out.push(suspend(Some(t), call));
            return Expr::Local(t);
        }
        let is_and = matches!(e, Expr::And(..));
        match e {
            Expr::And(a, b) | Expr::Or(a, b) if self.has_point(&b) => {
                let a = self.expr(*a, out);
                let t = self.temp();
                out.push(Stmt::SetLocal(t, Expr::Const(Const::Bool(!is_and))));
                let mut rhs = Vec::new();
                let b = self.expr(*b, &mut rhs);
                rhs.push(Stmt::SetLocal(
                    t,
                    Expr::Not(Box::new(Expr::Not(Box::new(b)))),
                ));
                out.push(if is_and {
                    Stmt::If(a, rhs, vec![])
                } else {
                    Stmt::If(a, vec![], rhs)
                });
                Expr::Local(t)
            }
            Expr::And(a, b) => Expr::And(Box::new(self.expr(*a, out)), b),
            Expr::Or(a, b) => Expr::Or(Box::new(self.expr(*a, out)), b),
            Expr::Binary(op, a, b, site) => {
                let mut v = self.operands(vec![*a, *b], out);
                let b = v.pop().unwrap();
                let a = v.pop().unwrap();
                Expr::Binary(op, Box::new(a), Box::new(b), site)
            }
            Expr::Neg(a, site) => Expr::Neg(Box::new(self.expr(*a, out)), site),
            Expr::Not(a) => Expr::Not(Box::new(self.expr(*a, out))),
            Expr::Field(a, n, site) => Expr::Field(Box::new(self.expr(*a, out)), n, site),
            Expr::IsType(a, t) => Expr::IsType(Box::new(self.expr(*a, out)), t),
            Expr::AsType(a, t) => Expr::AsType(Box::new(self.expr(*a, out)), t),
            Expr::Tee(slot, a) => Expr::Tee(slot, Box::new(self.expr(*a, out))),
            Expr::Call(f, args, site) => Expr::Call(f, self.operands(args, out), site),
            Expr::New(c, args, site) => Expr::New(c, self.operands(args, out), site),
            Expr::NewBuiltin(n, args, site) => Expr::NewBuiltin(n, self.operands(args, out), site),
            Expr::Raise(m, args, site) => Expr::Raise(m, self.operands(args, out), site),
            Expr::Task(k, args, site) => Expr::Task(k, self.operands(args, out), site),
            Expr::Method {
                recv,
                name,
                args,
                site,
            } => self.method_operands(*recv, name, args, site, out),
            other => other,
        }
    }

    /// A method call with the points inside its receiver and arguments moved out.
    fn method_operands(
        &mut self,
        recv: Expr,
        name: super::StrId,
        args: Vec<Expr>,
        site: SiteId,
        out: &mut Vec<Stmt>,
    ) -> Expr {
        let mut all = vec![recv];
        all.extend(args);
        let mut all = self.operands(all, out);
        let recv = all.remove(0);
        Expr::Method {
            recv: Box::new(recv),
            name,
            args: all,
            site,
        }
    }

    /// The operands of a suspension point, with the points inside them moved out.
    fn point_operands(&mut self, e: Expr, out: &mut Vec<Stmt>) -> Expr {
        match e {
            Expr::Await(a, site) => Expr::Await(Box::new(self.expr(*a, out)), site),
            Expr::Call(f, args, site) => Expr::Call(f, self.operands(args, out), site),
            Expr::Method {
                recv,
                name,
                args,
                site,
            } => self.method_operands(*recv, name, args, site, out),
            other => other,
        }
    }

    /// Operands evaluated left to right: those before the last one containing a point are
    /// saved in temporaries first, so the order of evaluation does not change.
    fn operands(&mut self, list: Vec<Expr>, out: &mut Vec<Stmt>) -> Vec<Expr> {
        let last = list.iter().rposition(|e| self.has_point(e));
        let Some(last) = last else {
            return list;
        };
        let mut result = Vec::with_capacity(list.len());
        for (i, e) in list.into_iter().enumerate() {
            let e = if i <= last { self.expr(e, out) } else { e };
            result.push(if i < last { self.spill(e, out) } else { e });
        }
        result
    }

    /// `e` as something that can be read after a suspension and gives the same value:
    /// constants and locals as they are (nothing else writes this function's locals),
    /// anything else through a temporary.
    fn spill(&mut self, e: Expr, out: &mut Vec<Stmt>) -> Expr {
        if matches!(e, Expr::Const(_) | Expr::Local(_)) {
            return e;
        }
        let t = self.temp();
        out.push(Stmt::SetLocal(t, e));
        Expr::Local(t)
    }
}

fn suspend(slot: Option<u32>, call: Expr) -> Stmt {
    Stmt::Suspend { id: 0, slot, call }
}

// ---------------------------------------------------------------------------------------
// 4. Numbering and guards

/// The range of resume points in `body`, if any.
fn range(body: &[Stmt]) -> Option<(u32, u32)> {
    let mut lo = u32::MAX;
    let mut hi = 0;
    for s in body {
        ids(s, &mut |id| {
            lo = lo.min(id);
            hi = hi.max(id);
        });
    }
    (hi > 0).then_some((lo, hi))
}

fn ids(s: &Stmt, f: &mut dyn FnMut(u32)) {
    match s {
        Stmt::Suspend { id, .. } => f(*id),
        Stmt::If(_, t, e) => {
            for s in t.iter().chain(e) {
                ids(s, f);
            }
        }
        Stmt::Loop(_, b) => {
            for s in b {
                ids(s, f);
            }
        }
        Stmt::Try { body, .. } => {
            for s in body {
                ids(s, f);
            }
        }
        _ => {}
    }
}

/// Numbers the resume points in program order, from 1.
fn assign_ids(next: &mut u32, body: &mut [Stmt]) {
    for s in body {
        match s {
            Stmt::Suspend { id, .. } => {
                *next += 1;
                *id = *next;
            }
            Stmt::If(_, t, e) => {
                assign_ids(next, t);
                assign_ids(next, e);
            }
            Stmt::Loop(_, b) => assign_ids(next, b),
            Stmt::Try { body, .. } => assign_ids(next, body),
            _ => {}
        }
    }
}

fn not_resuming() -> Expr {
    Expr::Resuming(0, 0)
}

fn guard_list(body: Vec<Stmt>) -> Vec<Stmt> {
    let mut out = Vec::new();
    let mut plain = Vec::new();
    for s in body {
        match range(std::slice::from_ref(&s)) {
            None => plain.push(s),
            Some((lo, hi)) => {
                if !plain.is_empty() {
                    out.push(Stmt::If(not_resuming(), std::mem::take(&mut plain), vec![]));
                }
                let inner = guard_stmt(s);
                let when = Expr::Or(Box::new(not_resuming()), Box::new(Expr::Resuming(lo, hi)));
                out.push(Stmt::If(when, vec![inner], vec![]));
            }
        }
    }
    if !plain.is_empty() {
        out.push(Stmt::If(not_resuming(), plain, vec![]));
    }
    out
}

fn guard_stmt(s: Stmt) -> Stmt {
    match s {
        Stmt::If(c, t, e) => {
            let normal = Expr::And(Box::new(not_resuming()), Box::new(c));
            let c = match range(&t) {
                Some((lo, hi)) => Expr::Or(Box::new(normal), Box::new(Expr::Resuming(lo, hi))),
                None => normal,
            };
            Stmt::If(c, guard_list(t), guard_list(e))
        }
        Stmt::Loop(c, body) => {
            let c = c.map(|c| Expr::Or(Box::new(Expr::Not(Box::new(not_resuming()))), Box::new(c)));
            Stmt::Loop(c, guard_list(body))
        }
        Stmt::Try {
            body,
            catches,
            finally,
        } => Stmt::Try {
            body: guard_list(body),
            catches,
            finally,
        },
        other => other,
    }
}
