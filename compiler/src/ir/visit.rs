//! Walking the IR: the operands of an expression and the parts of a statement, in the
//! order the compiled code evaluates them.
//!
//! Every pass that only needs to reach the expressions and blocks below a node uses these
//! instead of its own `match`, so a new [`Expr`] or [`Stmt`] variant is added here once.
//!
//! The one place where "the operands of `e`" has two meanings is [`Expr::Spawn`]: its
//! expression is written inside the function but runs in the task. [`operands`] leaves it
//! out (what this function evaluates); [`written_operands`] includes it (what the source
//! wrote here, e.g. to find the locals a task captures).

use std::iter::Chain;
use std::option;
use std::slice;

use super::{Expr, Stmt};

/// The operands of one expression: up to two boxed ones, then a list.
pub type Operands<'a> =
    Chain<Chain<option::IntoIter<&'a Expr>, option::IntoIter<&'a Expr>>, slice::Iter<'a, Expr>>;

/// [`Operands`], mutable.
pub type OperandsMut<'a> = Chain<
    Chain<option::IntoIter<&'a mut Expr>, option::IntoIter<&'a mut Expr>>,
    slice::IterMut<'a, Expr>,
>;

fn chain<'a>(a: Option<&'a Expr>, b: Option<&'a Expr>, rest: &'a [Expr]) -> Operands<'a> {
    a.into_iter().chain(b).chain(rest.iter())
}

fn chain_mut<'a>(
    a: Option<&'a mut Expr>,
    b: Option<&'a mut Expr>,
    rest: &'a mut [Expr],
) -> OperandsMut<'a> {
    a.into_iter().chain(b).chain(rest.iter_mut())
}

/// The operands `e` evaluates, in evaluation order. A [`Expr::Spawn`]'s expression is not
/// one of them: it runs in the task.
pub fn operands(e: &Expr) -> Operands<'_> {
    match e {
        Expr::Spawn(..) => chain(None, None, &[]),
        _ => written_operands(e),
    }
}

/// The operands written inside `e`, in evaluation order, a [`Expr::Spawn`]'s expression
/// included.
pub fn written_operands(e: &Expr) -> Operands<'_> {
    match e {
        Expr::Const(_)
        | Expr::Local(_)
        | Expr::Global(..)
        | Expr::Static(..)
        | Expr::Resuming(..) => chain(None, None, &[]),
        Expr::Binary(_, a, b, _) | Expr::And(a, b) | Expr::Or(a, b) => chain(Some(a), Some(b), &[]),
        Expr::Neg(a, _)
        | Expr::Not(a)
        | Expr::Field(a, _, _)
        | Expr::IsType(a, _)
        | Expr::AsType(a, _)
        | Expr::Await(a, _)
        | Expr::Tee(_, a)
        | Expr::Spawn(a, _) => chain(Some(a), None, &[]),
        Expr::Call(_, args, _)
        | Expr::New(_, args, _)
        | Expr::NewBuiltin(_, args, _)
        | Expr::Raise(_, args, _)
        | Expr::Task(_, args, _) => chain(None, None, args),
        Expr::Method { recv, args, .. } => chain(Some(recv), None, args),
    }
}

/// [`operands`], mutable.
pub fn operands_mut(e: &mut Expr) -> OperandsMut<'_> {
    match e {
        Expr::Spawn(..) => chain_mut(None, None, &mut []),
        _ => written_operands_mut(e),
    }
}

/// [`written_operands`], mutable.
pub fn written_operands_mut(e: &mut Expr) -> OperandsMut<'_> {
    match e {
        Expr::Const(_)
        | Expr::Local(_)
        | Expr::Global(..)
        | Expr::Static(..)
        | Expr::Resuming(..) => chain_mut(None, None, &mut []),
        Expr::Binary(_, a, b, _) | Expr::And(a, b) | Expr::Or(a, b) => {
            chain_mut(Some(a), Some(b), &mut [])
        }
        Expr::Neg(a, _)
        | Expr::Not(a)
        | Expr::Field(a, _, _)
        | Expr::IsType(a, _)
        | Expr::AsType(a, _)
        | Expr::Await(a, _)
        | Expr::Tee(_, a)
        | Expr::Spawn(a, _) => chain_mut(Some(a), None, &mut []),
        Expr::Call(_, args, _)
        | Expr::New(_, args, _)
        | Expr::NewBuiltin(_, args, _)
        | Expr::Raise(_, args, _)
        | Expr::Task(_, args, _) => chain_mut(None, None, args),
        Expr::Method { recv, args, .. } => chain_mut(Some(recv), None, args),
    }
}

/// The expressions statement `s` evaluates itself, in evaluation order; the statements of
/// nested blocks are not included (see [`blocks`]).
pub fn stmt_exprs(s: &Stmt) -> Chain<option::IntoIter<&Expr>, option::IntoIter<&Expr>> {
    let (a, b): (Option<&Expr>, Option<&Expr>) = match s {
        Stmt::Expr(e)
        | Stmt::ResultOf(e)
        | Stmt::SetLocal(_, e)
        | Stmt::SetGlobal(_, e)
        | Stmt::Return(e)
        | Stmt::Print(e, _)
        | Stmt::Throw(e, _)
        | Stmt::If(e, _, _)
        | Stmt::Suspend { call: e, .. } => (Some(e), None),
        Stmt::Loop(c, _) => (c.as_ref(), None),
        // The value is evaluated before the object.
        Stmt::SetField { obj, value, .. } => (Some(value), Some(obj)),
        Stmt::Try { .. } | Stmt::Break | Stmt::Continue | Stmt::Include(..) | Stmt::Release(_) => {
            (None, None)
        }
    };
    a.into_iter().chain(b)
}

/// [`stmt_exprs`], mutable.
pub fn stmt_exprs_mut(
    s: &mut Stmt,
) -> Chain<option::IntoIter<&mut Expr>, option::IntoIter<&mut Expr>> {
    let (a, b): (Option<&mut Expr>, Option<&mut Expr>) = match s {
        Stmt::Expr(e)
        | Stmt::ResultOf(e)
        | Stmt::SetLocal(_, e)
        | Stmt::SetGlobal(_, e)
        | Stmt::Return(e)
        | Stmt::Print(e, _)
        | Stmt::Throw(e, _)
        | Stmt::If(e, _, _)
        | Stmt::Suspend { call: e, .. } => (Some(e), None),
        Stmt::Loop(c, _) => (c.as_mut(), None),
        Stmt::SetField { obj, value, .. } => (Some(value), Some(obj)),
        Stmt::Try { .. } | Stmt::Break | Stmt::Continue | Stmt::Include(..) | Stmt::Release(_) => {
            (None, None)
        }
    };
    a.into_iter().chain(b)
}

/// Calls `f` on each block nested in `s`, in program order: an `if`'s two branches, a
/// loop's body, and a `try`'s body, handlers and `finally`.
pub fn for_each_block<'a>(s: &'a Stmt, mut f: impl FnMut(&'a [Stmt])) {
    match s {
        Stmt::If(_, t, e) => {
            f(t);
            f(e);
        }
        Stmt::Loop(_, body) => f(body),
        Stmt::Try {
            body,
            catches,
            finally,
        } => {
            f(body);
            for c in catches {
                f(&c.body);
            }
            f(finally);
        }
        _ => {}
    }
}

/// [`for_each_block`], mutable.
pub fn for_each_block_mut(s: &mut Stmt, mut f: impl FnMut(&mut Vec<Stmt>)) {
    match s {
        Stmt::If(_, t, e) => {
            f(t);
            f(e);
        }
        Stmt::Loop(_, body) => f(body),
        Stmt::Try {
            body,
            catches,
            finally,
        } => {
            f(body);
            for c in catches {
                f(&mut c.body);
            }
            f(finally);
        }
        _ => {}
    }
}

/// Calls `f` on every expression in `body` and the blocks inside it, each expression before
/// its operands, entering neither spawned expressions nor what `f` puts in place of the
/// expression it was given.
pub fn walk_exprs_mut(body: &mut [Stmt], f: &mut dyn FnMut(&mut Expr)) {
    fn expr(e: &mut Expr, f: &mut dyn FnMut(&mut Expr)) {
        f(e);
        for c in operands_mut(e) {
            expr(c, f);
        }
    }
    for s in body {
        for e in stmt_exprs_mut(s) {
            expr(e, f);
        }
        for_each_block_mut(s, |b| walk_exprs_mut(b, f));
    }
}

/// Whether `pred` holds for some expression in `e` (itself or an operand, at any depth,
/// spawned expressions included).
pub fn any_written(e: &Expr, pred: &mut dyn FnMut(&Expr) -> bool) -> bool {
    pred(e) || written_operands(e).any(|c| any_written(c, pred))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ir::{BinOp, Catch, Const};

    fn int(i: i64) -> Expr {
        Expr::Const(Const::Int(i))
    }

    #[test]
    fn spawned_expressions_are_written_here_but_not_evaluated_here() {
        let spawn = Expr::Spawn(Box::new(Expr::Local(3)), 0);
        assert_eq!(operands(&spawn).count(), 0);
        assert!(matches!(
            written_operands(&spawn).collect::<Vec<_>>()[..],
            [Expr::Local(3)]
        ));
    }

    #[test]
    fn a_method_call_evaluates_its_receiver_first() {
        let call = Expr::Method {
            recv: Box::new(Expr::Local(0)),
            name: 0,
            args: vec![int(1), int(2)],
            site: 0,
        };
        let order: Vec<String> = operands(&call).map(|e| format!("{e:?}")).collect();
        assert_eq!(order, ["Local(0)", "Const(Int(1))", "Const(Int(2))"]);
    }

    #[test]
    fn a_field_store_evaluates_the_value_before_the_object() {
        let s = Stmt::SetField {
            obj: Expr::Local(0),
            field: 0,
            value: int(7),
            site: 0,
        };
        let order: Vec<String> = stmt_exprs(&s).map(|e| format!("{e:?}")).collect();
        assert_eq!(order, ["Const(Int(7))", "Local(0)"]);
    }

    #[test]
    fn the_walk_reaches_every_block_of_a_try() {
        let print = |i| Stmt::Print(int(i), 0);
        let mut body = vec![Stmt::Try {
            body: vec![print(1)],
            catches: vec![Catch {
                classes: None,
                var: 0,
                body: vec![print(2)],
            }],
            finally: vec![Stmt::If(
                Expr::Binary(BinOp::Lt, Box::new(int(3)), Box::new(int(4)), 0),
                vec![print(5)],
                vec![],
            )],
        }];
        let mut seen = Vec::new();
        walk_exprs_mut(&mut body, &mut |e| {
            if let Expr::Const(Const::Int(i)) = e {
                seen.push(*i);
            }
        });
        assert_eq!(seen, [1, 2, 3, 4, 5]);
    }
}
