//! What running a specialised version can do besides computing its result: whether it is
//! *isolated* (never runs generic code) and whether it *may raise*. Both are fixpoints over
//! the direct-call graph, computed once here after [`super::infer`]; code generation only
//! reads [`Spec::isolated`] and [`Spec::may_raise`].
//!
//! An isolated version only evaluates unboxed operations (Int/Float/Bool arithmetic and
//! comparisons, the inline Int/Float methods of [`NumMethod`]), raises errors, and calls
//! other isolated versions. It holds no reference-counted value, so nothing it does can run
//! a `fini`, a `toString` or any other generic code; that is why it does not need to keep
//! `NY_STATE.depth` up to date (it gets its depth as a parameter).
//!
//! "May raise" is what callers need to know to skip the error check after a call. A call
//! raises `stack overflow` at the caller's own call site (the caller checks the depth before
//! calling), so any version that calls something may raise; one that calls nothing may raise
//! only through its own operations (`/` and `%` by a divisor that is not a non-zero
//! constant, `sqrt`). Everything that is not isolated is assumed to raise. A function that
//! may wait (`ir::suspend`) is never isolated, so calls of it are always checked; whether
//! the task is suspending is checked separately at its resume points.

use super::{BinOp, Const, Expr, FuncId, LocalTy, Program, Stmt, Types};

/// What one specialised body does, before looking at its callees.
#[derive(Default)]
struct Body {
    /// Every operation is one an isolated version may do (callees aside).
    ok: bool,
    /// It raises by itself (its own operations or the depth check before a call).
    raises: bool,
    /// Functions it calls directly (through their specialised versions).
    callees: Vec<FuncId>,
}

struct Scan<'a> {
    prog: &'a Program,
    tys: &'a [LocalTy],
    types: &'a Types,
    body: Body,
}

fn nonzero_const(e: &Expr) -> bool {
    match e {
        Expr::Const(Const::Int(i)) => *i != 0,
        Expr::Const(Const::Float(x)) => *x != 0.0,
        _ => false,
    }
}

impl Scan<'_> {
    fn ty(&self, e: &Expr) -> LocalTy {
        self.types.of(e)
    }

    /// Whether `e` is evaluated unboxed without the runtime; records raising and callees.
    fn expr(&mut self, e: &Expr) -> bool {
        let num = |t: LocalTy| matches!(t, LocalTy::Int | LocalTy::Float);
        if self.ty(e) == LocalTy::Dyn {
            return false;
        }
        match e {
            Expr::Const(Const::Int(_) | Const::Float(_) | Const::Bool(_)) => true,
            Expr::Local(s) => self.tys[*s as usize] != LocalTy::Dyn,
            Expr::Binary(op, a, b, _) => {
                let (ta, tb) = (self.ty(a), self.ty(b));
                let float = ta == LocalTy::Float || tb == LocalTy::Float;
                let typed = if num(ta) && num(tb) {
                    !(float && *op == BinOp::Rem)
                } else {
                    ta == LocalTy::Bool
                        && tb == LocalTy::Bool
                        && matches!(op, BinOp::Eq | BinOp::Ne)
                };
                if matches!(op, BinOp::Div | BinOp::Rem) && !nonzero_const(b) {
                    self.body.raises = true;
                }
                let (x, y) = (self.expr(a), self.expr(b));
                typed && x && y
            }
            Expr::Neg(a, _) => num(self.ty(a)) && self.expr(a),
            Expr::Not(a) => self.expr(a),
            Expr::And(a, b) | Expr::Or(a, b) => {
                let (x, y) = (self.expr(a), self.expr(b));
                x && y
            }
            Expr::Call(f, args, _) => {
                // The depth check before the call raises `stack overflow` here.
                self.body.raises = true;
                self.body.callees.push(*f);
                let spec = self.prog.functions[*f as usize].spec.as_ref();
                let mut ok = spec.is_some_and(|s| s.locals.iter().all(|&t| t != LocalTy::Dyn));
                for a in args {
                    ok &= self.expr(a);
                }
                ok
            }
            Expr::Method { recv, args, .. } => {
                let Some(m) = self.types.inline_method(e) else {
                    return false;
                };
                if m.may_raise() {
                    self.body.raises = true;
                }
                let mut ok = self.expr(recv);
                for a in args {
                    ok &= self.expr(a);
                }
                ok
            }
            _ => false,
        }
    }

    fn stmts(&mut self, body: &[Stmt]) -> bool {
        let mut ok = true;
        for s in body {
            ok &= self.stmt(s);
        }
        ok
    }

    fn stmt(&mut self, s: &Stmt) -> bool {
        match s {
            Stmt::Expr(e) | Stmt::ResultOf(e) | Stmt::Return(e) => self.expr(e),
            Stmt::SetLocal(slot, e) => self.tys[*slot as usize] != LocalTy::Dyn && self.expr(e),
            Stmt::If(c, t, e) => {
                let c = self.expr(c);
                let t = self.stmts(t);
                self.stmts(e) && c && t
            }
            Stmt::Loop(c, body) => {
                let c = c.as_ref().is_none_or(|c| self.expr(c));
                self.stmts(body) && c
            }
            Stmt::Break | Stmt::Continue => true,
            Stmt::Release(slot) => self.tys[*slot as usize] != LocalTy::Dyn,
            _ => false,
        }
    }
}

/// Fills in [`Spec::isolated`] and [`Spec::may_raise`] of every specialised version.
pub fn effects(prog: &mut Program) {
    let bodies: Vec<Option<Body>> = prog
        .functions
        .iter()
        .map(|f| {
            let spec = f.spec.as_ref()?;
            let mut scan = Scan {
                prog,
                tys: &spec.locals,
                types: &spec.types,
                body: Body::default(),
            };
            let ok = scan.stmts(&f.body) && spec.locals.iter().all(|&t| t != LocalTy::Dyn);
            scan.body.ok = ok;
            Some(scan.body)
        })
        .collect();
    // Isolated: the greatest fixpoint (so recursive functions qualify).
    let mut isolated: Vec<bool> = bodies
        .iter()
        .map(|b| b.as_ref().is_some_and(|b| b.ok))
        .collect();
    loop {
        let mut changed = false;
        for (i, b) in bodies.iter().enumerate() {
            if isolated[i]
                && b.as_ref()
                    .is_some_and(|b| b.callees.iter().any(|&g| !isolated[g as usize]))
            {
                isolated[i] = false;
                changed = true;
            }
        }
        if !changed {
            break;
        }
    }
    // May raise: the least fixpoint.
    let mut raises: Vec<bool> = bodies
        .iter()
        .enumerate()
        .map(|(i, b)| !isolated[i] || b.as_ref().is_none_or(|b| b.raises))
        .collect();
    loop {
        let mut changed = false;
        for (i, b) in bodies.iter().enumerate() {
            if !raises[i]
                && b.as_ref()
                    .is_some_and(|b| b.callees.iter().any(|&g| raises[g as usize]))
            {
                raises[i] = true;
                changed = true;
            }
        }
        if !changed {
            break;
        }
    }
    for (i, f) in prog.functions.iter_mut().enumerate() {
        if let Some(spec) = &mut f.spec {
            spec.isolated = isolated[i];
            spec.may_raise = raises[i];
        }
    }
}
