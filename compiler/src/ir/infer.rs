//! Type inference for unboxed locals, parameters and results.
//!
//! Every local slot gets a [`LocalTy`]: `Int`, `Float` or `Bool` when every value ever stored
//! in it is known to be one (literals, arithmetic on such values, comparisons, `not`, calls
//! of functions known to return one), `Dyn` otherwise. A local that is declared without a
//! value starts as void, so it is `Dyn`.
//!
//! Each function that is called directly (`f(x)`, not through method dispatch) also gets a
//! specialised version ([`Spec`]): its parameters take the join of the argument types over
//! every direct call site, and its result is unboxed when every `return` gives the same
//! unboxed type and the body cannot fall off its end. All direct calls use that version;
//! the generic one (every parameter and the result `Dyn`) serves method dispatch, callbacks
//! and `main`.
//!
//! The analysis is an optimistic fixpoint over a flat lattice (unknown < Int | Float | Bool
//! < Dyn): first with "unknown" for values not seen yet (so recursion like `fib` can be
//! Int), then with every remaining unknown set to `Dyn`, iterated again until nothing
//! changes; at that point every assignment agrees with its slot's type. If it does not
//! settle within a bound, every slot is `Dyn`.

use super::{visit, BinOp, Const, Expr, FuncId, LocalTy, Program, Spec, Stmt, Types};

/// `None`: nothing known yet.
type T = Option<LocalTy>;

fn join(a: T, b: T) -> T {
    match (a, b) {
        (None, x) | (x, None) => x,
        (Some(x), Some(y)) if x == y => Some(x),
        _ => Some(LocalTy::Dyn),
    }
}

/// Whether `op` compares (always gives a Bool, or raises).
pub fn is_comparison(op: BinOp) -> bool {
    !matches!(
        op,
        BinOp::Add | BinOp::Sub | BinOp::Mul | BinOp::Div | BinOp::Rem
    )
}

fn numeric(t: LocalTy) -> bool {
    matches!(t, LocalTy::Int | LocalTy::Float)
}

/// A builtin method of Int or Float that compiled code computes inline when the
/// receiver's type is known, with exactly the runtime's result (`guest/src/builtins.rs`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NumMethod {
    /// `Int.abs()`: wrapping (`i64::MIN.abs()` is `i64::MIN`).
    IntAbs,
    /// `Int.toFloat()`.
    IntToFloat,
    /// `Int.toInteger()`.
    IntToInteger,
    /// `Int.max(Int)`.
    IntMax,
    /// `Int.min(Int)`.
    IntMin,
    /// `Float.abs()`.
    FloatAbs,
    /// `Float.floor()`: an Int, saturating (NaN gives 0).
    FloatFloor,
    /// `Float.ceil()`: an Int, saturating.
    FloatCeil,
    /// `Float.toInteger()`: truncation to an Int, saturating.
    FloatToInteger,
    /// `Float.sqrt()`: raises on a negative receiver.
    FloatSqrt,
    /// `Float.toFloat()`.
    FloatToFloat,
    /// `Float.isNaN()`.
    FloatIsNaN,
    /// `Float.isInfinite()`.
    FloatIsInfinite,
    /// `Float.isFinite()`.
    FloatIsFinite,
}

impl NumMethod {
    /// The method `name` on a receiver of type `recv` with arguments of types `args`.
    pub fn find(recv: LocalTy, name: &str, args: &[LocalTy]) -> Option<NumMethod> {
        use NumMethod::*;
        Some(match (recv, name, args) {
            (LocalTy::Int, "abs", []) => IntAbs,
            (LocalTy::Int, "toFloat", []) => IntToFloat,
            (LocalTy::Int, "toInteger", []) => IntToInteger,
            (LocalTy::Int, "max", [LocalTy::Int]) => IntMax,
            (LocalTy::Int, "min", [LocalTy::Int]) => IntMin,
            (LocalTy::Float, "abs", []) => FloatAbs,
            (LocalTy::Float, "floor", []) => FloatFloor,
            (LocalTy::Float, "ceil", []) => FloatCeil,
            (LocalTy::Float, "toInteger", []) => FloatToInteger,
            (LocalTy::Float, "sqrt", []) => FloatSqrt,
            (LocalTy::Float, "toFloat", []) => FloatToFloat,
            (LocalTy::Float, "isNaN", []) => FloatIsNaN,
            (LocalTy::Float, "isInfinite", []) => FloatIsInfinite,
            (LocalTy::Float, "isFinite", []) => FloatIsFinite,
            _ => return None,
        })
    }

    /// The type of the result.
    pub fn result(self) -> LocalTy {
        use NumMethod::*;
        match self {
            IntAbs | IntToInteger | IntMax | IntMin | FloatFloor | FloatCeil | FloatToInteger => {
                LocalTy::Int
            }
            IntToFloat | FloatAbs | FloatSqrt | FloatToFloat => LocalTy::Float,
            FloatIsNaN | FloatIsInfinite | FloatIsFinite => LocalTy::Bool,
        }
    }

    /// Whether it can raise.
    pub fn may_raise(self) -> bool {
        self == NumMethod::FloatSqrt
    }
}

/// The inline method for `recv.name(args)`, given the types of the receiver and arguments;
/// `Err(())` while some of them are not known yet.
fn num_method(
    recv: &Expr,
    name: &str,
    args: &[Expr],
    ty_of: &dyn Fn(&Expr) -> T,
) -> Result<Option<NumMethod>, ()> {
    let mut tys = Vec::with_capacity(args.len());
    for a in args {
        tys.push(ty_of(a).ok_or(())?);
    }
    let r = ty_of(recv).ok_or(())?;
    Ok(NumMethod::find(r, name, &tys))
}

/// The type of an expression, given the types of local slots and of direct calls.
fn ty(e: &Expr, names: &[String], local: &dyn Fn(u32) -> T, call: &dyn Fn(FuncId) -> T) -> T {
    use LocalTy::*;
    let ty =
        |e: &Expr, local: &dyn Fn(u32) -> T, call: &dyn Fn(FuncId) -> T| ty(e, names, local, call);
    match e {
        Expr::Method {
            recv, name, args, ..
        } => {
            let sub = |e: &Expr| ty(e, local, call);
            match num_method(recv, &names[*name as usize], args, &sub) {
                Err(()) => None,
                Ok(Some(m)) => Some(m.result()),
                Ok(None) => Some(Dyn),
            }
        }
        Expr::Const(Const::Int(_)) => Some(Int),
        Expr::Const(Const::Float(_)) => Some(Float),
        Expr::Const(Const::Bool(_)) => Some(Bool),
        Expr::Local(s) => local(*s),
        Expr::Binary(op, a, b, _) => {
            if is_comparison(*op) {
                return Some(Bool);
            }
            match (ty(a, local, call), ty(b, local, call)) {
                (Some(Int), Some(Int)) => Some(Int),
                (Some(x), Some(y)) if numeric(x) && numeric(y) => Some(Float),
                (None, None) => None,
                (None, Some(x)) | (Some(x), None) if numeric(x) => None,
                _ => Some(Dyn),
            }
        }
        Expr::Neg(a, _) => match ty(a, local, call) {
            None => None,
            Some(t) if numeric(t) => Some(t),
            _ => Some(Dyn),
        },
        Expr::Not(_) | Expr::And(..) | Expr::Or(..) | Expr::IsType(..) | Expr::Resuming(..) => {
            Some(Bool)
        }
        Expr::Call(f, _, _) => call(*f),
        // Keeping a value alive does not change it; an unboxed one needs no keeping.
        Expr::Tee(_, a) => ty(a, local, call),
        _ => Some(Dyn),
    }
}

/// The type of an expression once the fixpoint is done.
fn expr_ty(prog: &Program, locals: &[LocalTy], e: &Expr) -> LocalTy {
    let local = |s: u32| Some(locals[s as usize]);
    let call = |f: FuncId| {
        Some(
            prog.functions[f as usize]
                .spec
                .as_ref()
                .map_or(LocalTy::Dyn, |s| s.ret),
        )
    };
    ty(e, &prog.strings, &local, &call).unwrap_or(LocalTy::Dyn)
}

/// The inline method used for `recv.name(args)` once the fixpoint is done, if any.
fn method_of(prog: &Program, locals: &[LocalTy], e: &Expr) -> Option<NumMethod> {
    let Expr::Method {
        recv, name, args, ..
    } = e
    else {
        return None;
    };
    let sub = |e: &Expr| Some(expr_ty(prog, locals, e));
    num_method(recv, &prog.strings[*name as usize], args, &sub)
        .ok()
        .flatten()
}

/// Whether control cannot reach the end of `body`.
fn terminates(body: &[Stmt]) -> bool {
    match body.last() {
        Some(Stmt::Return(_) | Stmt::Throw(..) | Stmt::ResultOf(_)) => true,
        Some(Stmt::If(_, t, e)) => terminates(t) && terminates(e),
        _ => false,
    }
}

#[derive(Clone, PartialEq)]
struct State {
    /// Result of each function's specialised version.
    ret: Vec<T>,
    /// Join of the argument types at direct call sites, per function and parameter.
    args: Vec<Vec<T>>,
    /// Whether each function has a direct call site.
    called: Vec<bool>,
    generic: Vec<Vec<T>>,
    spec: Vec<Vec<T>>,
}

struct Walk<'a> {
    prog: &'a Program,
    locals: Vec<T>,
    ret: &'a [T],
    args: &'a mut Vec<Vec<T>>,
    called: &'a mut Vec<bool>,
    returns: T,
}

impl Walk<'_> {
    fn ty(&self, e: &Expr) -> T {
        let local = |s: u32| self.locals[s as usize];
        let call = |f: FuncId| self.ret[f as usize];
        ty(e, &self.prog.strings, &local, &call)
    }

    /// Records what evaluating `e` tells about calls and hidden temporaries.
    fn expr(&mut self, e: &Expr) {
        for c in visit::operands(e) {
            self.expr(c);
        }
        match e {
            Expr::Call(f, args, _) => {
                let f = *f as usize;
                self.called[f] = true;
                for (i, a) in args.iter().enumerate() {
                    let t = self.ty(a);
                    self.args[f][i] = join(self.args[f][i], t);
                }
            }
            Expr::Tee(slot, a) => {
                // The slot holds what it keeps: unboxed when that is a number, so a version
                // whose temporaries are all numbers keeps nothing.
                let s = *slot as usize;
                let t = self.ty(a);
                self.locals[s] = join(self.locals[s], t);
            }
            _ => {}
        }
    }

    fn stmts(&mut self, body: &[Stmt]) {
        for s in body {
            self.stmt(s);
        }
    }

    /// Records what statement `s` (and the blocks inside it) stores in locals and returns.
    fn stmt(&mut self, s: &Stmt) {
        for e in visit::stmt_exprs(s) {
            self.expr(e);
        }
        match s {
            Stmt::ResultOf(e) | Stmt::Return(e) => {
                self.returns = join(self.returns, self.ty(e));
            }
            Stmt::SetLocal(slot, e)
            | Stmt::Suspend {
                slot: Some(slot),
                call: e,
                ..
            } => {
                let t = self.ty(e);
                let s = *slot as usize;
                self.locals[s] = join(self.locals[s], t);
            }
            Stmt::Try { catches, .. } => {
                for c in catches {
                    self.locals[c.var as usize] = Some(LocalTy::Dyn);
                }
            }
            _ => {}
        }
        visit::for_each_block(s, |b| self.stmts(b));
    }
}

/// Functions whose generic version is called other than by a direct call: file top levels,
/// `main`, methods (dispatch and callbacks), constructors (`new`), static initializers and
/// task functions (run by the scheduler through the callback).
pub fn entry_points(prog: &Program) -> Vec<bool> {
    let mut live = vec![false; prog.functions.len()];
    let mut mark = |f: FuncId| live[f as usize] = true;
    for &f in prog.top_levels.iter().chain(&prog.tasks) {
        mark(f);
    }
    if let Some((f, _, _)) = prog.main {
        mark(f);
    }
    for c in &prog.classes {
        for &f in c.methods.values() {
            mark(f);
        }
        for f in c.constructor.iter().chain(&c.static_init) {
            mark(*f);
        }
    }
    live
}

fn round(prog: &Program, live: &[bool], st: &State) -> State {
    let mut next = st.clone();
    for (i, f) in prog.functions.iter().enumerate() {
        let nparams = f.arity as usize + usize::from(f.has_me);
        // The generic version: parameters are Dyn. When only direct calls reach the
        // function, they all use the specialised version and the generic one is dead: its
        // calls must not widen anyone's parameters (or `fib` could never be Int → Int).
        let mut locals = st.generic[i].clone();
        for l in locals.iter_mut().take(nparams) {
            *l = Some(LocalTy::Dyn);
        }
        let mut dead_args = st.args.clone();
        let mut dead_called = st.called.clone();
        let (args, called) = if live[i] {
            (&mut next.args, &mut next.called)
        } else {
            (&mut dead_args, &mut dead_called)
        };
        let mut w = Walk {
            prog,
            locals,
            ret: &st.ret,
            args,
            called,
            returns: None,
        };
        w.stmts(&f.body);
        next.generic[i] = w.locals;
        if st.called[i] {
            let mut locals = st.spec[i].clone();
            for (p, l) in locals.iter_mut().take(nparams).enumerate() {
                *l = join(*l, st.args[i][p]);
            }
            let mut w = Walk {
                prog,
                locals,
                ret: &st.ret,
                args: &mut next.args,
                called: &mut next.called,
                returns: None,
            };
            w.stmts(&f.body);
            let mut r = w.returns;
            if !terminates(&f.body) {
                r = Some(LocalTy::Dyn);
            }
            next.spec[i] = w.locals;
            next.ret[i] = join(st.ret[i], r);
        }
    }
    next
}

fn settle(prog: &Program, live: &[bool], mut st: State) -> Option<State> {
    for _ in 0..200 {
        let next = round(prog, live, &st);
        if next == st {
            return Some(st);
        }
        st = next;
    }
    None
}

fn top(v: &mut [T]) {
    for t in v {
        if t.is_none() {
            *t = Some(LocalTy::Dyn);
        }
    }
}

/// Fills in `locals`, `spec` and `types` of every function.
pub fn infer(prog: &mut Program) {
    assign(prog);
    record_types(prog);
}

/// Records the type of every expression of every version, once all of them are known.
fn record_types(prog: &mut Program) {
    fn expr(prog: &Program, locals: &[LocalTy], e: &Expr, out: &mut Types) {
        out.record(e, expr_ty(prog, locals, e), method_of(prog, locals, e));
        for c in visit::operands(e) {
            expr(prog, locals, c, out);
        }
    }
    fn stmts(prog: &Program, locals: &[LocalTy], body: &[Stmt], out: &mut Types) {
        for s in body {
            for e in visit::stmt_exprs(s) {
                expr(prog, locals, e, out);
            }
            visit::for_each_block(s, |b| stmts(prog, locals, b, out));
        }
    }
    let recorded: Vec<(Types, Option<Types>)> = prog
        .functions
        .iter()
        .map(|f| {
            let mut generic = Types::default();
            stmts(prog, &f.locals, &f.body, &mut generic);
            let spec = f.spec.as_ref().map(|s| {
                let mut t = Types::default();
                stmts(prog, &s.locals, &f.body, &mut t);
                t
            });
            (generic, spec)
        })
        .collect();
    for (f, (generic, spec)) in prog.functions.iter_mut().zip(recorded) {
        f.types = generic;
        if let (Some(s), Some(t)) = (&mut f.spec, spec) {
            s.types = t;
        }
    }
}

/// The fixpoint: fills in `locals` and `spec` of every function.
fn assign(prog: &mut Program) {
    let n = prog.functions.len();
    let st = State {
        ret: vec![None; n],
        args: prog
            .functions
            .iter()
            .map(|f| vec![None; f.arity as usize + usize::from(f.has_me)])
            .collect(),
        called: vec![false; n],
        generic: prog
            .functions
            .iter()
            .map(|f| vec![None; f.locals.len()])
            .collect(),
        spec: prog
            .functions
            .iter()
            .map(|f| vec![None; f.locals.len()])
            .collect(),
    };
    let live = entry_points(prog);
    let Some(mut st) = settle(prog, &live, st) else {
        return;
    };
    top(&mut st.ret);
    for v in st
        .args
        .iter_mut()
        .chain(&mut st.generic)
        .chain(&mut st.spec)
    {
        top(v);
    }
    let Some(st) = settle(prog, &live, st) else {
        return;
    };

    let flat = |v: &[T]| -> Vec<LocalTy> { v.iter().map(|t| t.unwrap_or(LocalTy::Dyn)).collect() };
    for (i, f) in prog.functions.iter_mut().enumerate() {
        f.locals = flat(&st.generic[i]);
        f.generic_used = live[i];
        if !st.called[i] {
            continue;
        }
        let nparams = f.arity as usize + usize::from(f.has_me);
        let locals = flat(&st.spec[i]);
        let ret = st.ret[i].unwrap_or(LocalTy::Dyn);
        let useful = ret != LocalTy::Dyn || locals[..nparams].iter().any(|&t| t != LocalTy::Dyn);
        // A function only called directly keeps its specialised version even when nothing
        // in it is unboxed: the analysis above did not account for its generic body.
        if useful || !live[i] {
            f.spec = Some(Spec {
                locals,
                ret,
                isolated: false,
                may_raise: true,
                types: Types::default(),
            });
        }
    }
}
