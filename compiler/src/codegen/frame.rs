//! The per-function context of code generation, and the frame of a Nyash function.
//!
//! [`FnCx`] is the function being emitted plus everything that is only true inside it: the
//! wasm locals of each IR slot and the named [`Scratch`] locals after them, the label stack,
//! the active error handlers and `finally` blocks, the pending operands of
//! [`super::unwind`], and for resumable functions the [`Resume`] locals. It holds the
//! [`ModuleCx`] mutably, so it can ask for types, strings and helpers while it emits.
//! [`FnCx::function`] lays out a function's locals and emits its prologue, its body and its
//! epilogue (the unwind block releases the result, the exit block the locals).
//!
//! Invariants:
//! - every wasm `block`, `loop` and `if` of a function body is opened by [`FnCx::block`]
//!   (or [`FnCx::if_`], [`FnCx::if_else`]), which pushes its label and pops it at the
//!   matching `end`, so a branch depth computed by [`FnCx::br_to`] always names the block
//!   it means;
//! - the locals are laid out as: parameters (the depth parameter of a specialised version
//!   after them), the other slots, the scratch locals, the depth of a generic version, the
//!   resume locals, then the pending-operand copies.

use wasm_encoder::{BlockType, Function, InstructionSink, ValType};

use super::idioms::{
    mem32, valtypes, Idioms, Pair, MAX_DEPTH, OFF_DEPTH, OFF_RC, TAG_OBJ, TAG_VOID,
};
use super::module::ModuleCx;
use super::unwind::stmt_pending;
use crate::ir::{FuncId, LocalTy, Stmt, Types};

/// What a branch to a block means.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Label {
    /// Nothing branches to it by kind (an `if`, a `try` part, a helper's block).
    Other,
    /// The function's unwind block: its outermost error handler.
    Unwind,
    /// The function's exit block: `return` goes here.
    Exit,
    /// The block around a loop.
    Break,
    /// The loop itself.
    Continue,
}

/// How [`FnCx::block`] opens its block.
#[derive(Clone, Copy, Debug)]
pub(super) enum Open {
    /// `block`: a branch to it leaves it.
    Block(BlockType),
    /// `loop`: a branch to it starts it again.
    Loop(BlockType),
    /// `if` on the i32 on the stack.
    If(BlockType),
}

/// The scratch locals of a Nyash function, by purpose. Each holds a value only between
/// two adjacent instructions of one idiom, never across the evaluation of an expression.
#[derive(Clone, Copy, Debug)]
pub(super) struct Scratch {
    /// The left operand of a dynamic binary operator; also a short-lived i32 (a class id,
    /// a static box's pointer) in its tag or a pair being stored.
    pub lhs: Pair,
    /// The right operand of a dynamic binary operator.
    pub rhs: Pair,
    /// The bits of a value while its tag is put under it (the i32 before it is unused).
    pub swap_bits: u32,
    /// The `Dyn` result of the function.
    pub result: Pair,
    /// An i64: the left operand of an inline Int operation, the bits of a value being
    /// boxed or unboxed, an Int result kept across a suspension check.
    pub i64_a: u32,
    /// An i64: the right operand of an inline Int operation.
    pub i64_b: u32,
    /// An f64: the left operand of an inline Float operation, a Float result kept across
    /// a suspension check.
    pub f64_a: u32,
    /// An f64: the right operand of an inline Float operation.
    pub f64_b: u32,
    /// The unboxed result of a specialised version.
    pub unboxed_result: u32,
    /// A value whose reference count an inline increment or decrement is changing.
    pub rc_value: Pair,
    /// The reference count being changed (i32).
    pub rc_count: u32,
}

impl Scratch {
    /// The number of scratch locals.
    const COUNT: u32 = 16;

    /// The scratch locals starting at local `first`.
    fn at(first: u32) -> Scratch {
        Scratch {
            lhs: Pair::at(first),
            rhs: Pair::at(first + 2),
            swap_bits: first + 5,
            result: Pair::at(first + 6),
            i64_a: first + 8,
            i64_b: first + 9,
            f64_a: first + 10,
            f64_b: first + 11,
            unboxed_result: first + 12,
            rc_value: Pair::at(first + 13),
            rc_count: first + 15,
        }
    }

    /// Their declarations, for a function returning `ret`.
    fn declare(locals: &mut Vec<(u32, ValType)>, ret: LocalTy) {
        for _ in 0..4 {
            locals.push((1, ValType::I32));
            locals.push((1, ValType::I64));
        }
        locals.push((2, ValType::I64));
        locals.push((2, ValType::F64));
        locals.push((1, valtypes(ret)[0]));
        locals.push((1, ValType::I32));
        locals.push((1, ValType::I64));
        locals.push((1, ValType::I32));
    }
}

/// The locals of a resumable function.
#[derive(Clone, Copy, Debug)]
pub(super) struct Resume {
    /// The frame id: function id × 2, plus 1 for the specialised version.
    pub frame_id: u32,
    /// The resume point (i32), 0 when not resuming.
    pub point: u32,
    /// The frame pointer (i32).
    pub frame: u32,
}

/// The function being emitted, and what is true only inside it.
pub(super) struct FnCx<'m, 'p> {
    /// The module context.
    pub m: &'m mut ModuleCx<'p>,
    f: Function,
    labels: Vec<Label>,
    /// Positions in `labels` of the active error handlers (innermost last).
    pub handlers: Vec<usize>,
    /// Active `finally` blocks with the label position of their `try`'s handler.
    pub finallies: Vec<(usize, &'p [Stmt])>,
    /// The named scratch locals (meaningless in `_start` and helpers, which have none).
    pub s: Scratch,
    /// Representation of each local slot.
    pub tys: Vec<LocalTy>,
    /// Representation of each expression of this version (`None` in `_start` and helpers,
    /// which compile no Nyash expression).
    pub types: Option<&'p Types>,
    /// First wasm local of each slot.
    pub base: Vec<u32>,
    /// What this version returns.
    pub ret: LocalTy,
    /// The resume locals of a resumable function.
    pub resume: Option<Resume>,
    /// Emitting the call of a [`Stmt::Suspend`]: it may give the stack back.
    pub at_point: bool,
    /// The wasm local holding this frame's call depth (a parameter of specialised versions).
    pub depth: u32,
    /// Dyn operands already evaluated and still on the operand stack, as copies in wasm
    /// locals without a reference of their own: if a later operand raises, the error path
    /// releases them (the branch to the handler drops the stack copies).
    pub pending: Vec<Pair>,
    /// The locals for [`FnCx::pending`]: i32 tags from `.0`, i64 bits from `.0 + .1`.
    pub pending_locals: (u32, u32),
    /// Hidden temporaries ([`crate::ir::Expr::Tee`]) written by the current top-level
    /// statement; the error path releases them too (and leaves them void), since it skips
    /// the statement's end, where they would be released.
    pub tees: Vec<Pair>,
    /// Nesting of statements being emitted (0 between top-level statements).
    pub stmt_depth: u32,
    /// The Nyash function being emitted (`None` in `_start` and helpers).
    pub func: Option<FuncId>,
    /// Reference counts change inline (optimising, in a Nyash function, which has the
    /// scratch locals for it) rather than through `$dup` and `$drop`.
    inline_refs: bool,
}

impl<'m, 'p> FnCx<'m, 'p> {
    /// A context for `_start` and helpers: `locals` after the parameters, no Nyash slots.
    pub fn plain<L>(m: &'m mut ModuleCx<'p>, locals: L) -> FnCx<'m, 'p>
    where
        L: IntoIterator<Item = (u32, ValType)>,
        L::IntoIter: ExactSizeIterator,
    {
        FnCx::new(m, Function::new(locals))
    }

    fn new(m: &'m mut ModuleCx<'p>, f: Function) -> FnCx<'m, 'p> {
        FnCx {
            m,
            f,
            labels: Vec::new(),
            handlers: Vec::new(),
            finallies: Vec::new(),
            s: Scratch::at(0),
            tys: Vec::new(),
            types: None,
            base: Vec::new(),
            ret: LocalTy::Dyn,
            resume: None,
            at_point: false,
            depth: 0,
            pending: Vec::new(),
            pending_locals: (0, 0),
            tees: Vec::new(),
            stmt_depth: 0,
            func: None,
            inline_refs: false,
        }
    }

    /// Ends the body and gives the function back.
    pub fn finish(mut self) -> Function {
        debug_assert!(self.labels.is_empty(), "a block was left open");
        self.ins().end();
        self.f
    }

    /// The sink to emit instructions into.
    pub fn ins(&mut self) -> InstructionSink<'_> {
        self.f.instructions()
    }

    /// The address of `NY_STATE`.
    pub fn state(&self) -> i32 {
        self.m.rt.state_addr as i32
    }

    /// Calls the runtime function `name`.
    pub fn call_rt(&mut self, name: &str) {
        let index = self.m.rt.func(name);
        self.ins().call(index);
    }

    /// Pushes the address and length of `s` in the data segment.
    pub fn push_str(&mut self, s: &str) {
        let (p, l) = self.m.string(s);
        self.ins().i32_const(p as i32).i32_const(l as i32);
    }

    /// Raises the error `msg` (`ny_raise`); the caller checks for it.
    pub fn raise(&mut self, msg: &str) {
        self.push_str(msg);
        self.call_rt("ny_raise");
    }

    /// Whether reference counts change inline here, which is also when the optimiser's
    /// other runtime shortcuts (`ny_append`) are used.
    pub fn inline_refs(&self) -> bool {
        self.inline_refs
    }

    /// Releases the value on the stack.
    pub fn drop_value(&mut self) {
        if self.inline_refs {
            let v = self.s.rc_value;
            self.ins().set_pair(v);
            let rc = self.s.rc_count;
            self.release_in_place(v, rc);
        } else {
            let drop = self.m.drop_fn();
            self.ins().call(drop);
        }
    }

    /// Adds a reference to the value on the stack.
    pub fn dup_value(&mut self) {
        if !self.inline_refs {
            let dup = self.m.dup_fn();
            self.ins().call(dup);
            return;
        }
        // As `$dup`, here rather than in a call.
        let v = self.s.rc_value;
        self.ins().set_pair(v);
        self.retain_in_place(v);
        self.ins().get_pair(v);
    }

    /// Adds a reference to the value held in `p` when it is an object: `rc += 1`, the body of
    /// `$dup` and of its inline copies.
    pub fn retain_in_place(&mut self, p: Pair) {
        self.ins().local_eq(p.tag, TAG_OBJ);
        self.if_(BlockType::Empty, |cx| {
            cx.ins()
                .local_get(p.bits)
                .i32_wrap_i64()
                .local_get(p.bits)
                .i32_wrap_i64()
                .i32_load(mem32(OFF_RC))
                .i32_const(1)
                .i32_add()
                .i32_store(mem32(OFF_RC));
        });
    }

    /// Releases the value held in `p`.
    pub fn drop_pair(&mut self, p: Pair) {
        if self.inline_refs {
            let rc = self.s.rc_count;
            self.release_in_place(p, rc);
        } else {
            let drop = self.m.drop_fn();
            self.ins().get_pair(p).call(drop);
        }
    }

    /// Releases the value held in `p` (the body of `$drop` and of its inline copies; `rc` is
    /// an i32 local it may use): immortal objects stay, a count above 1 goes down here, the
    /// last reference goes to the runtime (`ny_release`).
    pub fn release_in_place(&mut self, p: Pair, rc: u32) {
        self.ins().local_eq(p.tag, TAG_OBJ);
        self.if_(BlockType::Empty, |cx| {
            cx.ins()
                .local_get(p.bits)
                .i32_wrap_i64()
                .i32_load(mem32(OFF_RC))
                .local_tee(rc)
                .i32_const(2)
                .i32_sub()
                .i32_const((nyash_abi::IMMORTAL - 2) as i32)
                .i32_lt_u();
            cx.if_else(
                BlockType::Empty,
                |cx| {
                    cx.ins()
                        .local_get(p.bits)
                        .i32_wrap_i64()
                        .local_get(rc)
                        .i32_const(1)
                        .i32_sub()
                        .i32_store(mem32(OFF_RC));
                },
                |cx| {
                    cx.ins()
                        .local_get(rc)
                        .i32_const(nyash_abi::IMMORTAL as i32)
                        .i32_lt_u();
                    cx.if_(BlockType::Empty, |cx| {
                        cx.ins().local_get(p.bits).i32_wrap_i64();
                        cx.call_rt("ny_release");
                    });
                },
            );
        });
    }

    /// Stores `depth - 1`, the caller's depth, in `NY_STATE.depth`.
    pub fn restore_caller_depth(&mut self) {
        let (state, depth) = (self.state(), self.depth);
        self.ins()
            .i32_const(state)
            .local_get(depth)
            .i32_const(1)
            .i32_sub()
            .i32_store(mem32(OFF_DEPTH));
    }

    /// Opens a block of kind `kind`, emits `body` in it and closes it. The label is pushed
    /// and popped with the block, so the two cannot drift apart.
    pub fn block<R>(&mut self, kind: Label, open: Open, body: impl FnOnce(&mut Self) -> R) -> R {
        match open {
            Open::Block(bt) => self.ins().block(bt),
            Open::Loop(bt) => self.ins().loop_(bt),
            Open::If(bt) => self.ins().if_(bt),
        };
        self.labels.push(kind);
        let r = body(self);
        self.ins().end();
        self.labels.pop();
        r
    }

    /// `if` on the i32 on the stack, without `else`.
    pub fn if_(&mut self, bt: BlockType, then: impl FnOnce(&mut Self)) {
        self.block(Label::Other, Open::If(bt), then);
    }

    /// `if` on the i32 on the stack, with `else`.
    pub fn if_else(
        &mut self,
        bt: BlockType,
        then: impl FnOnce(&mut Self),
        otherwise: impl FnOnce(&mut Self),
    ) {
        self.block(Label::Other, Open::If(bt), |cx| {
            then(cx);
            cx.ins().else_();
            otherwise(cx);
        });
    }

    /// The branch depth of the block whose label is at `pos`.
    pub fn br_to(&self, pos: usize) -> u32 {
        (self.labels.len() - 1 - pos) as u32
    }

    /// Branches to the block whose label is at `pos`.
    pub fn br(&mut self, pos: usize) {
        let depth = self.br_to(pos);
        self.ins().br(depth);
    }

    /// The position of the innermost label of kind `l`.
    pub fn find(&self, l: Label) -> Option<usize> {
        self.labels.iter().rposition(|&x| x == l)
    }

    /// The position of the innermost label.
    pub fn innermost(&self) -> usize {
        self.labels.len() - 1
    }

    /// Emits version `specialised` of user function `id`.
    pub fn function(m: &'m mut ModuleCx<'p>, id: FuncId, specialised: bool) -> Function {
        let prog = m.prog;
        let func = &prog.functions[id as usize];
        if !specialised && !func.generic_used {
            // Only direct calls reach this function, and they use the specialised version.
            let mut cx = FnCx::plain(m, []);
            cx.ins().unreachable();
            return cx.finish();
        }
        let (tys, types, ret, isolated) = match (&func.spec, specialised) {
            (Some(s), true) => (s.locals.clone(), &s.types, s.ret, s.isolated),
            _ => (func.locals.clone(), &func.types, LocalTy::Dyn, false),
        };
        let nparams = (func.arity + u32::from(func.has_me)) as usize;
        let mut locals = Vec::new();
        let mut base = Vec::new();
        let mut next = 0;
        let mut depth = None;
        for (i, &t) in tys.iter().enumerate() {
            if i == nparams && specialised {
                // The depth parameter follows the declared ones.
                depth = Some(next);
                next += 1;
            }
            base.push(next);
            for v in valtypes(t) {
                next += 1;
                if i >= nparams {
                    locals.push((1, v));
                }
            }
        }
        if specialised && depth.is_none() {
            depth = Some(next);
            next += 1;
        }
        Scratch::declare(&mut locals, ret);
        let mut extra = Scratch::COUNT;
        let depth = depth.unwrap_or_else(|| {
            locals.push((1, ValType::I32));
            extra += 1;
            next + Scratch::COUNT
        });
        let resume = (func.resume_points > 0).then(|| {
            locals.push((2, ValType::I32));
            Resume {
                frame_id: 2 * id + u32::from(specialised),
                point: next + extra,
                frame: next + extra + 1,
            }
        });
        let pending_base = next + extra + if resume.is_some() { 2 } else { 0 };
        let pending_cap = func.body.iter().map(stmt_pending).max().unwrap_or(0);
        if pending_cap > 0 {
            locals.push((pending_cap, ValType::I32));
            locals.push((pending_cap, ValType::I64));
        }
        let mut cx = FnCx::new(m, Function::new(locals));
        cx.s = Scratch::at(next);
        cx.tys = tys;
        cx.types = Some(types);
        cx.base = base;
        cx.ret = ret;
        cx.resume = resume;
        cx.depth = depth;
        cx.pending_locals = (pending_base, pending_cap);
        cx.func = Some(id);
        cx.inline_refs = cx.m.inline_release;
        cx.body(&func.body, specialised, isolated);
        cx.finish()
    }

    /// The blocks of a function body: exit around unwind around the statements.
    fn body(&mut self, body: &'p [Stmt], specialised: bool, isolated: bool) {
        let state = self.state();
        let depth = self.depth;
        let empty = Open::Block(BlockType::Empty);
        self.block(Label::Exit, empty, |cx| {
            let exit = cx.innermost();
            cx.block(Label::Unwind, empty, |cx| {
                let unwind = cx.innermost();
                cx.handlers.push(unwind);
                if !specialised {
                    // A generic version is called from runtime helpers, which know no
                    // depth: it reads the depth of the innermost frame that keeps
                    // NY_STATE.depth, and checks for overflow itself. (Direct calls check
                    // before calling.)
                    cx.ins()
                        .state_load(state, OFF_DEPTH)
                        .i32_const(1)
                        .i32_add()
                        .local_set(depth);
                }
                if !isolated {
                    cx.ins()
                        .i32_const(state)
                        .local_get(depth)
                        .i32_store(mem32(OFF_DEPTH));
                }
                if !specialised {
                    cx.ins().local_get(depth).i32_const(MAX_DEPTH).i32_gt_u();
                    cx.if_(BlockType::Empty, |cx| {
                        cx.call_rt("ny_stack_overflow");
                        cx.br(unwind);
                    });
                }
                if cx.resume.is_some() {
                    cx.restore_frame();
                }
                cx.stmts(body);
                cx.br(exit);
            });
            // Unwinding: the result is void.
            let result = cx.s.result;
            cx.drop_pair(result);
            cx.ins().i32_const(TAG_VOID).local_set(result.tag);
        });
        for s in 0..self.tys.len() {
            if self.tys[s] == LocalTy::Dyn {
                self.drop_pair(Pair::at(self.base[s]));
            }
        }
        if !isolated {
            self.restore_caller_depth();
        }
        if self.ret == LocalTy::Dyn {
            let result = self.s.result;
            self.ins().get_pair(result);
        } else {
            let r = self.s.unboxed_result;
            self.ins().local_get(r);
        }
    }
}
