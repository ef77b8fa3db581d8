//! IR to WebAssembly function bodies.
//!
//! Calling convention: every Nyash function takes `(me?, params…)` and returns one value,
//! each value a pair `(tag: i32, bits: i64)` (multi-value). Arguments and results are owned
//! (one reference each). Errors: a raising operation sets the runtime's pending flag and
//! returns; compiled code checks the flag after every operation that can raise, records one
//! trace frame for the function (`ny_trace`), and branches to the innermost handler: a
//! `try` handler, or the function's unwind block, which releases the locals and returns.

use std::collections::HashMap;
use std::mem::offset_of;

use nyash_abi::{callback, kind, op, tag, Header, State};

use wasm_encoder::{BlockType, ConstExpr, Function, GlobalType, Instruction as I, MemArg, ValType};

use super::merge::Addition;
use super::runtime::RuntimeInfo;
use crate::ir::infer::{expr_ty, method_of, NumMethod};
use crate::ir::{
    BinOp, Catch, ClassId, Const, Expr, FuncId, LocalTy, Program, SiteId, Stmt, StrId,
};

const TAG_VOID: i32 = tag::VOID as i32;
const TAG_NULL: i32 = tag::NULL as i32;
const TAG_BOOL: i32 = tag::BOOL as i32;
const TAG_INT: i32 = tag::INT as i32;
const TAG_FLOAT: i32 = tag::FLOAT as i32;
const TAG_OBJ: i32 = tag::OBJ as i32;
/// Tag of a global that has never been assigned.
const TAG_UNSET: i32 = tag::UNSET as i32;
const KIND_INSTANCE: i32 = kind::INSTANCE as i32;
/// Deepest Nyash call nesting before `stack overflow` is raised.
pub const MAX_DEPTH: i32 = 20_000;

// Offsets in the state block, from the contract's `#[repr(C)]` layout.
const OFF_PENDING: u64 = offset_of!(State, pending) as u64;
const OFF_RET_TAG: u64 = offset_of!(State, ret_tag) as u64;
const OFF_DEPTH: u64 = offset_of!(State, depth) as u64;
const OFF_RET_BITS: u64 = offset_of!(State, ret_bits) as u64;
const OFF_ARGS: u64 = offset_of!(State, args) as u64;
/// Set by the runtime while a task is suspending (every resumable frame saves itself).
const OFF_UNWINDING: u64 = offset_of!(State, unwinding) as u64;
/// Set by the runtime while a task is resuming (every resumable frame restores itself).
const OFF_REWINDING: u64 = offset_of!(State, rewinding) as u64;
/// Non-zero while code that cannot give the stack back is running (waits then block in
/// place, running other tasks).
const OFF_NO_UNWIND: u64 = offset_of!(State, no_unwind) as u64;
// Offsets in an object header.
const OFF_RC: u64 = offset_of!(Header, rc) as u64;
const OFF_KIND: u64 = offset_of!(Header, kind) as u64;
/// `$callback` request: run a task's function.
const CALLBACK_RUN_TASK: i32 = callback::RUN_TASK as i32;

fn mem(offset: u64, align: u32) -> MemArg {
    MemArg {
        offset,
        align,
        target: wasm_encoder::MemArgTarget::Memory(0),
        ordering: None,
    }
}

/// Where each piece of the program lives in the merged module.
pub struct Emitter<'p> {
    prog: &'p Program,
    rt: RuntimeInfo,
    types: HashMap<(Vec<ValType>, Vec<ValType>), u32>,
    type_list: Vec<(Vec<ValType>, Vec<ValType>)>,
    /// Bodies of added functions, by position (absolute index = runtime count + position).
    bodies: Vec<Option<(u32, Function)>>,
    helpers: HashMap<String, u32>,
    pending_helpers: Vec<(u32, Helper)>,
    globals: Vec<(GlobalType, ConstExpr)>,
    data: Vec<u8>,
    data_base: u32,
    strings: HashMap<String, (u32, u32)>,
    /// Global index of each string literal's object pointer.
    str_globals: HashMap<StrId, u32>,
    /// Global index (tag; bits is +1) of each Nyash global.
    var_globals: Vec<u32>,
    static_globals: HashMap<ClassId, u32>,
    include_globals: HashMap<u32, u32>,
    /// Function index of each specialised version.
    spec_index: HashMap<FuncId, u32>,
}

fn valtypes(t: LocalTy) -> Vec<ValType> {
    match t {
        LocalTy::Dyn => vec![ValType::I32, ValType::I64],
        LocalTy::Int => vec![ValType::I64],
        LocalTy::Float => vec![ValType::F64],
        LocalTy::Bool => vec![ValType::I32],
    }
}

#[derive(Clone)]
enum Helper {
    Drop,
    Dup,
    Truthy,
    Method(StrId, u32),
    FieldGet(StrId),
    FieldSet(StrId),
    Static(ClassId),
    New(ClassId),
    NewBuiltin(u32),
    Callback,
}

fn pair(n: usize) -> Vec<ValType> {
    let mut v = Vec::with_capacity(2 * n);
    for _ in 0..n {
        v.push(ValType::I32);
        v.push(ValType::I64);
    }
    v
}

#[derive(Clone, Copy, PartialEq)]
enum Label {
    Other,
    Unwind,
    Exit,
    Break,
    Continue,
}

struct Ctx {
    labels: Vec<Label>,
    /// Positions in `labels` of the active error handlers (innermost last).
    handlers: Vec<usize>,
    /// Active `finally` blocks with the label depth of their `try`.
    finallies: Vec<(usize, Vec<Stmt>)>,
    scratch: u32,
    /// Representation of each local slot.
    tys: Vec<LocalTy>,
    /// First wasm local of each slot.
    base: Vec<u32>,
    /// What this version returns.
    ret: LocalTy,
    /// Resumable functions: the frame id (function id × 2 + 1 for the specialised version)
    /// and the locals holding the resume point (i32) and the frame pointer (i32).
    resume: Option<(u32, u32, u32)>,
    /// Emitting the call of a [`Stmt::Suspend`]: it may give the stack back.
    at_point: bool,
    /// The wasm local holding this frame's call depth (a parameter of specialised versions).
    depth: u32,
    /// Dyn operands already evaluated and still on the operand stack, as copies in wasm
    /// locals (tag, bits) without a reference of their own: if a later operand raises, the
    /// error path releases them (the branch to the handler drops the stack copies).
    pending: Vec<(u32, u32)>,
    /// The locals for [`Ctx::pending`]: i32 tags from `.0`, i64 bits from `.0 + .1`.
    pending_locals: (u32, u32),
    /// Hidden temporaries ([`Expr::Tee`]) written by the current top-level statement; the
    /// error path releases them too (and leaves them void), since it skips the statement's
    /// end, where they would be released.
    tees: Vec<u32>,
    /// Nesting of statements being emitted (0 between top-level statements).
    stmt_depth: u32,
}

impl Ctx {
    /// A context for helpers, which have no locals of a Nyash function.
    fn plain() -> Ctx {
        Ctx {
            labels: Vec::new(),
            handlers: Vec::new(),
            finallies: Vec::new(),
            scratch: 0,
            tys: Vec::new(),
            base: Vec::new(),
            ret: LocalTy::Dyn,
            resume: None,
            at_point: false,
            depth: 0,
            pending: Vec::new(),
            pending_locals: (0, 0),
            tees: Vec::new(),
            stmt_depth: 0,
        }
    }

    fn br_to(&self, pos: usize) -> u32 {
        (self.labels.len() - 1 - pos) as u32
    }
    fn find(&self, l: Label) -> Option<usize> {
        self.labels.iter().rposition(|&x| x == l)
    }
    fn at(&self) -> u32 {
        self.scratch
    }
    fn ab(&self) -> u32 {
        self.scratch + 1
    }
    fn bt(&self) -> u32 {
        self.scratch + 2
    }
    fn bb(&self) -> u32 {
        self.scratch + 3
    }
    fn sb(&self) -> u32 {
        self.scratch + 5
    }
    fn rt(&self) -> u32 {
        self.scratch + 6
    }
    fn rb(&self) -> u32 {
        self.scratch + 7
    }
    /// Scratch i64s.
    fn xa(&self) -> u32 {
        self.scratch + 8
    }
    fn xb(&self) -> u32 {
        self.scratch + 9
    }
    /// Scratch f64s.
    fn fa(&self) -> u32 {
        self.scratch + 10
    }
    fn fb(&self) -> u32 {
        self.scratch + 11
    }
    /// The unboxed result of this version.
    fn ret_local(&self) -> u32 {
        self.scratch + 12
    }
}

impl<'p> Emitter<'p> {
    /// Prepares to emit `prog` on top of the runtime described by `rt`.
    pub fn new(prog: &'p Program, rt: RuntimeInfo) -> Emitter<'p> {
        let data_base = (rt.memory_min_pages * 65536) as u32;
        Emitter {
            prog,
            rt,
            types: HashMap::new(),
            type_list: Vec::new(),
            bodies: Vec::new(),
            helpers: HashMap::new(),
            pending_helpers: Vec::new(),
            globals: Vec::new(),
            data: Vec::new(),
            data_base,
            strings: HashMap::new(),
            str_globals: HashMap::new(),
            var_globals: Vec::new(),
            static_globals: HashMap::new(),
            include_globals: HashMap::new(),
            spec_index: HashMap::new(),
        }
    }

    fn ty(&mut self, params: Vec<ValType>, results: Vec<ValType>) -> u32 {
        let key = (params, results);
        if let Some(&t) = self.types.get(&key) {
            return t;
        }
        let t = self.rt.type_count + self.type_list.len() as u32;
        self.type_list.push(key.clone());
        self.types.insert(key, t);
        t
    }

    fn reserve(&mut self) -> u32 {
        self.bodies.push(None);
        self.rt.function_count + self.bodies.len() as u32 - 1
    }

    fn define(&mut self, index: u32, ty: u32, f: Function) {
        let pos = (index - self.rt.function_count) as usize;
        self.bodies[pos] = Some((ty, f));
    }

    fn global(&mut self, ty: ValType, init: ConstExpr) -> u32 {
        self.globals.push((
            GlobalType {
                val_type: ty,
                mutable: true,
                shared: false,
            },
            init,
        ));
        self.rt.global_count + self.globals.len() as u32 - 1
    }

    /// Places a string in the data segment; returns its address and length.
    fn string(&mut self, s: &str) -> (u32, u32) {
        if let Some(&r) = self.strings.get(s) {
            return r;
        }
        let addr = self.data_base + self.data.len() as u32;
        self.data.extend_from_slice(s.as_bytes());
        let r = (addr, s.len() as u32);
        self.strings.insert(s.to_string(), r);
        r
    }

    fn helper(&mut self, key: String, h: Helper) -> u32 {
        if let Some(&f) = self.helpers.get(&key) {
            return f;
        }
        let f = self.reserve();
        self.helpers.insert(key, f);
        self.pending_helpers.push((f, h));
        f
    }

    fn drop_fn(&mut self) -> u32 {
        self.helper("drop".into(), Helper::Drop)
    }
    fn dup_fn(&mut self) -> u32 {
        self.helper("dup".into(), Helper::Dup)
    }
    fn truthy_fn(&mut self) -> u32 {
        self.helper("truthy".into(), Helper::Truthy)
    }

    /// Emits the whole program; returns what the merge step appends.
    pub fn emit(mut self) -> Addition {
        let prog = self.prog;
        // User functions take the first indices, in IR order.
        for _ in &prog.functions {
            self.reserve();
        }
        for (i, f) in prog.functions.iter().enumerate() {
            if f.spec.is_some() {
                let index = self.reserve();
                self.spec_index.insert(i as FuncId, index);
            }
        }
        for i in 0..prog.globals.len() {
            let t = self.global(ValType::I32, ConstExpr::i32_const(TAG_UNSET));
            self.global(ValType::I64, ConstExpr::i64_const(0));
            let _ = i;
            self.var_globals.push(t);
        }
        for (i, _) in prog.strings.iter().enumerate() {
            let g = self.global(ValType::I32, ConstExpr::i32_const(0));
            self.str_globals.insert(i as StrId, g);
        }
        for (i, c) in prog.classes.iter().enumerate() {
            if c.is_static {
                let g = self.global(ValType::I32, ConstExpr::i32_const(0));
                self.static_globals.insert(i as ClassId, g);
            }
        }
        for (file, _) in prog.top_levels.iter().enumerate() {
            let g = self.global(ValType::I32, ConstExpr::i32_const(0));
            self.include_globals.insert(file as u32, g);
        }
        for (i, f) in prog.functions.iter().enumerate() {
            let index = self.rt.function_count + i as u32;
            let nparams = f.arity as usize + usize::from(f.has_me);
            let ty = self.ty(pair(nparams), pair(1));
            let body = self.function(i as FuncId, false);
            self.define(index, ty, body);
            if let Some(spec) = &f.spec {
                let mut params: Vec<ValType> = spec.locals[..nparams]
                    .iter()
                    .flat_map(|&t| valtypes(t))
                    .collect();
                params.push(ValType::I32);
                let ty = self.ty(params, valtypes(spec.ret));
                let body = self.function(i as FuncId, true);
                self.define(self.spec_index[&(i as FuncId)], ty, body);
            }
        }
        let callback = self.helper("callback".into(), Helper::Callback);
        let start = self.start(callback);
        while let Some((f, h)) = self.pending_helpers.pop() {
            let (ty, body) = self.helper_body(h);
            self.define(f, ty, body);
        }
        let functions = self
            .bodies
            .into_iter()
            .map(|b| b.expect("every reserved function is defined"))
            .collect();
        Addition {
            types: self.type_list,
            functions,
            globals: self.globals,
            table_entries: vec![callback],
            data: self.data,
            data_base: self.data_base,
            start,
            flush: self.rt.func("ny_flush"),
        }
    }

    fn start(&mut self, callback: u32) -> u32 {
        let prog = self.prog;
        let index = self.reserve();
        let ty = self.ty(vec![], vec![]);
        let mut f = Function::new([(1, ValType::I32)]);
        let table_index = super::merge::table_base(&self.rt);
        let _ = callback;
        f.instruction(&I::I32Const(table_index as i32));
        f.instruction(&I::Call(self.rt.func("ny_init")));
        for (i, c) in prog.classes.iter().enumerate() {
            let (p, l) = self.string(&c.name);
            let flags = i32::from(c.methods.contains_key("toString"))
                | (i32::from(c.methods.contains_key("fini")) << 1);
            for v in [i as i32, p as i32, l as i32, c.fields.len() as i32, flags] {
                f.instruction(&I::I32Const(v));
            }
            f.instruction(&I::Call(self.rt.func("ny_class")));
            if let Some(b) = &c.builtin {
                let (p, l) = self.string(b);
                let slot = c.fields.len() as i32 - 1;
                for v in [i as i32, slot, p as i32, l as i32] {
                    f.instruction(&I::I32Const(v));
                }
                f.instruction(&I::Call(self.rt.func("ny_class_builtin")));
            }
            for (slot, _) in c.weak.iter().enumerate().filter(|(_, w)| **w) {
                f.instruction(&I::I32Const(i as i32));
                f.instruction(&I::I32Const(slot as i32));
                f.instruction(&I::Call(self.rt.func("ny_class_weak")));
            }
        }
        for (i, s) in prog.strings.iter().enumerate() {
            let (p, l) = self.string(s);
            f.instruction(&I::I32Const(p as i32));
            f.instruction(&I::I32Const(l as i32));
            f.instruction(&I::Call(self.rt.func("ny_str_static")));
            f.instruction(&I::GlobalSet(self.str_globals[&(i as StrId)]));
        }
        let drop = self.drop_fn();
        let state = self.rt.state_addr as i32;
        let check = |f: &mut Function, rt: &RuntimeInfo| {
            f.instruction(&I::I32Const(state));
            f.instruction(&I::I32Load(mem(OFF_PENDING, 2)));
            f.instruction(&I::If(BlockType::Empty));
            f.instruction(&I::Call(rt.func("ny_uncaught")));
            f.instruction(&I::End);
        };
        if let Some(&top) = prog.top_levels.first() {
            f.instruction(&I::I32Const(1));
            f.instruction(&I::GlobalSet(self.include_globals[&0]));
            f.instruction(&I::Call(self.rt.function_count + top));
            f.instruction(&I::Call(drop));
            check(&mut f, &self.rt);
        }
        if let Some((main, class, takes_args)) = prog.main {
            let st = self.helper(format!("static{class}"), Helper::Static(class));
            f.instruction(&I::Call(st));
            f.instruction(&I::LocalSet(0));
            check(&mut f, &self.rt);
            f.instruction(&I::I32Const(TAG_OBJ));
            f.instruction(&I::LocalGet(0));
            f.instruction(&I::I64ExtendI32U);
            f.instruction(&I::Call(self.dup_fn()));
            if takes_args {
                f.instruction(&I::I32Const(TAG_OBJ));
                f.instruction(&I::Call(self.rt.func("ny_main_args")));
                f.instruction(&I::I64ExtendI32U);
            }
            f.instruction(&I::Call(self.rt.function_count + main));
            f.instruction(&I::Call(drop));
            check(&mut f, &self.rt);
        }
        f.instruction(&I::Call(self.rt.func("ny_finish")));
        f.instruction(&I::End);
        self.define(index, ty, f);
        index
    }

    fn function(&mut self, id: FuncId, specialised: bool) -> Function {
        let prog = self.prog;
        let func = &prog.functions[id as usize];
        if !specialised && !func.generic_used {
            // Only direct calls reach this function, and they use the specialised version.
            let mut f = Function::new([]);
            f.instruction(&I::Unreachable);
            f.instruction(&I::End);
            return f;
        }
        let (tys, ret, isolated) = match (&func.spec, specialised) {
            (Some(s), true) => (s.locals.clone(), s.ret, s.isolated),
            _ => (func.locals.clone(), LocalTy::Dyn, false),
        };
        let nslots = tys.len() as u32;
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
        // Scratch: at, ab, bt, bb, st, sb, rt, rb; xa, xb (i64); fa, fb (f64); the result;
        // then the depth of a generic version.
        for _ in 0..4 {
            locals.push((1, ValType::I32));
            locals.push((1, ValType::I64));
        }
        locals.push((2, ValType::I64));
        locals.push((2, ValType::F64));
        let ret_vt = valtypes(ret)[0];
        locals.push((1, ret_vt));
        let depth = match depth {
            Some(d) => d,
            None => {
                locals.push((1, ValType::I32));
                next + 13
            }
        };
        // Then, in resumable functions, the resume point and the frame pointer.
        let extra = if specialised { 13 } else { 14 };
        let resume = (func.resume_points > 0).then(|| {
            locals.push((2, ValType::I32));
            (
                2 * id + u32::from(specialised),
                next + extra,
                next + extra + 1,
            )
        });
        // Then the copies of pending operands (see `Ctx::pending`).
        let pending_base = next + extra + if resume.is_some() { 2 } else { 0 };
        let pending_cap = func.body.iter().map(stmt_pending).max().unwrap_or(0);
        if pending_cap > 0 {
            locals.push((pending_cap, ValType::I32));
            locals.push((pending_cap, ValType::I64));
        }
        let mut f = Function::new(locals);
        let mut cx = Ctx {
            labels: Vec::new(),
            handlers: Vec::new(),
            finallies: Vec::new(),
            scratch: next,
            tys,
            base,
            ret,
            resume,
            at_point: false,
            depth,
            pending: Vec::new(),
            pending_locals: (pending_base, pending_cap),
            tees: Vec::new(),
            stmt_depth: 0,
        };
        let state = self.rt.state_addr as i32;
        f.instruction(&I::Block(BlockType::Empty));
        cx.labels.push(Label::Exit);
        f.instruction(&I::Block(BlockType::Empty));
        cx.labels.push(Label::Unwind);
        cx.handlers.push(1);
        if !specialised {
            // A generic version is called from runtime helpers, which know no depth: it
            // reads the depth of the innermost frame that keeps NY_STATE.depth, and checks
            // for overflow itself. (Direct calls check before calling.)
            f.instruction(&I::I32Const(state));
            f.instruction(&I::I32Load(mem(OFF_DEPTH, 2)));
            f.instruction(&I::I32Const(1));
            f.instruction(&I::I32Add);
            f.instruction(&I::LocalSet(depth));
        }
        if !isolated {
            f.instruction(&I::I32Const(state));
            f.instruction(&I::LocalGet(depth));
            f.instruction(&I::I32Store(mem(OFF_DEPTH, 2)));
        }
        if !specialised {
            f.instruction(&I::LocalGet(depth));
            f.instruction(&I::I32Const(MAX_DEPTH));
            f.instruction(&I::I32GtU);
            f.instruction(&I::If(BlockType::Empty));
            cx.labels.push(Label::Other);
            f.instruction(&I::Call(self.rt.func("ny_stack_overflow")));
            f.instruction(&I::Br(cx.br_to(1)));
            f.instruction(&I::End);
            cx.labels.pop();
        }
        if cx.resume.is_some() {
            self.restore_frame(&mut f, &cx);
        }
        for s in &func.body {
            self.stmt(&mut f, &mut cx, s);
        }
        f.instruction(&I::Br(cx.br_to(0)));
        f.instruction(&I::End);
        cx.labels.pop();
        // Unwinding: the result is void.
        let drop = self.drop_fn();
        f.instruction(&I::LocalGet(cx.rt()));
        f.instruction(&I::LocalGet(cx.rb()));
        f.instruction(&I::Call(drop));
        f.instruction(&I::I32Const(TAG_VOID));
        f.instruction(&I::LocalSet(cx.rt()));
        f.instruction(&I::End);
        cx.labels.pop();
        for s in 0..nslots as usize {
            if cx.tys[s] == LocalTy::Dyn {
                f.instruction(&I::LocalGet(cx.base[s]));
                f.instruction(&I::LocalGet(cx.base[s] + 1));
                f.instruction(&I::Call(drop));
            }
        }
        if !isolated {
            f.instruction(&I::I32Const(state));
            f.instruction(&I::LocalGet(cx.depth));
            f.instruction(&I::I32Const(1));
            f.instruction(&I::I32Sub);
            f.instruction(&I::I32Store(mem(OFF_DEPTH, 2)));
        }
        if cx.ret == LocalTy::Dyn {
            f.instruction(&I::LocalGet(cx.rt()));
            f.instruction(&I::LocalGet(cx.rb()));
        } else {
            f.instruction(&I::LocalGet(cx.ret_local()));
        }
        f.instruction(&I::End);
        f
    }

    /// Resumable prologue: when the task is resuming, take this function's frame back.
    fn restore_frame(&mut self, f: &mut Function, cx: &Ctx) {
        let state = self.rt.state_addr as i32;
        let (frame_id, rs, fp) = cx.resume.unwrap();
        f.instruction(&I::I32Const(state));
        f.instruction(&I::I32Load(mem(OFF_REWINDING, 2)));
        f.instruction(&I::If(BlockType::Empty));
        f.instruction(&I::I32Const(frame_id as i32));
        f.instruction(&I::Call(self.rt.func("ny_frame_pop")));
        f.instruction(&I::LocalSet(fp));
        f.instruction(&I::I32Const(state));
        f.instruction(&I::I32Load(mem(OFF_RET_TAG, 2)));
        f.instruction(&I::LocalSet(rs));
        for (i, &t) in cx.tys.iter().enumerate() {
            let off = 16 * i as u64;
            let at = cx.base[i];
            match t {
                LocalTy::Dyn => {
                    f.instruction(&I::LocalGet(fp));
                    f.instruction(&I::I32Load(mem(off, 2)));
                    f.instruction(&I::LocalSet(at));
                    f.instruction(&I::LocalGet(fp));
                    f.instruction(&I::I64Load(mem(off + 8, 3)));
                    f.instruction(&I::LocalSet(at + 1));
                }
                LocalTy::Int => {
                    f.instruction(&I::LocalGet(fp));
                    f.instruction(&I::I64Load(mem(off + 8, 3)));
                    f.instruction(&I::LocalSet(at));
                }
                LocalTy::Float => {
                    f.instruction(&I::LocalGet(fp));
                    f.instruction(&I::F64Load(mem(off + 8, 3)));
                    f.instruction(&I::LocalSet(at));
                }
                LocalTy::Bool => {
                    f.instruction(&I::LocalGet(fp));
                    f.instruction(&I::I32Load(mem(off + 8, 2)));
                    f.instruction(&I::LocalSet(at));
                }
            }
        }
        f.instruction(&I::End);
    }

    /// At a resume point, when the call returned because the task is suspending: move the
    /// locals into a frame for resume point `id` and return (the result is a placeholder).
    fn save_frame_if_unwinding(&mut self, f: &mut Function, cx: &Ctx, id: u32) {
        let state = self.rt.state_addr as i32;
        let (frame_id, _, fp) = cx.resume.unwrap();
        f.instruction(&I::I32Const(state));
        f.instruction(&I::I32Load(mem(OFF_UNWINDING, 2)));
        f.instruction(&I::If(BlockType::Empty));
        f.instruction(&I::I32Const(frame_id as i32));
        f.instruction(&I::I32Const(id as i32));
        f.instruction(&I::I32Const(cx.tys.len() as i32));
        f.instruction(&I::Call(self.rt.func("ny_frame_save")));
        f.instruction(&I::LocalSet(fp));
        for (i, &t) in cx.tys.iter().enumerate() {
            let off = 16 * i as u64;
            let at = cx.base[i];
            let tag = match t {
                LocalTy::Dyn => None,
                LocalTy::Int => Some(TAG_INT),
                LocalTy::Float => Some(TAG_FLOAT),
                LocalTy::Bool => Some(TAG_BOOL),
            };
            f.instruction(&I::LocalGet(fp));
            match tag {
                None => f.instruction(&I::LocalGet(at)),
                Some(tag) => f.instruction(&I::I32Const(tag)),
            };
            f.instruction(&I::I32Store(mem(off, 2)));
            f.instruction(&I::LocalGet(fp));
            f.instruction(&I::LocalGet(if tag.is_none() { at + 1 } else { at }));
            match t {
                LocalTy::Dyn | LocalTy::Int => f.instruction(&I::I64Store(mem(off + 8, 3))),
                LocalTy::Float => f.instruction(&I::F64Store(mem(off + 8, 3))),
                LocalTy::Bool => {
                    f.instruction(&I::I64ExtendI32U);
                    f.instruction(&I::I64Store(mem(off + 8, 3)))
                }
            };
        }
        // As the epilogue does: the caller's depth again (a resumable function is never
        // isolated from the depth counter).
        f.instruction(&I::I32Const(state));
        f.instruction(&I::LocalGet(cx.depth));
        f.instruction(&I::I32Const(1));
        f.instruction(&I::I32Sub);
        f.instruction(&I::I32Store(mem(OFF_DEPTH, 2)));
        self.placeholder(f, cx.ret);
        f.instruction(&I::Return);
        f.instruction(&I::End);
    }

    /// A value of representation `t` that is never looked at.
    fn placeholder(&mut self, f: &mut Function, t: LocalTy) {
        match t {
            LocalTy::Dyn => {
                f.instruction(&I::I32Const(TAG_VOID));
                f.instruction(&I::I64Const(0));
            }
            LocalTy::Int => {
                f.instruction(&I::I64Const(0));
            }
            LocalTy::Float => {
                f.instruction(&I::F64Const(0.0.into()));
            }
            LocalTy::Bool => {
                f.instruction(&I::I32Const(0));
            }
        }
    }

    /// `NY_STATE.no_unwind += delta`.
    fn no_unwind(&mut self, f: &mut Function, delta: i32) {
        let state = self.rt.state_addr as i32;
        f.instruction(&I::I32Const(state));
        f.instruction(&I::I32Const(state));
        f.instruction(&I::I32Load(mem(OFF_NO_UNWIND, 2)));
        f.instruction(&I::I32Const(delta));
        f.instruction(&I::I32Add);
        f.instruction(&I::I32Store(mem(OFF_NO_UNWIND, 2)));
    }

    /// Calls `index`; a callee that may suspend, called from anywhere but a resume point,
    /// must wait in place instead (see `ir::suspend`).
    fn call_maybe_waiting(&mut self, f: &mut Function, cx: &Ctx, index: u32, may_suspend: bool) {
        let wrap = may_suspend && !cx.at_point;
        if wrap {
            self.no_unwind(f, 1);
        }
        f.instruction(&I::Call(index));
        if wrap {
            self.no_unwind(f, -1);
        }
    }

    /// Whether a method call with this name and argument count may suspend.
    fn method_may_suspend(&self, name: StrId, argc: u32) -> bool {
        let n = &self.prog.strings[name as usize];
        self.prog.suspending_methods.contains(&(n.clone(), argc))
    }

    /// A resume point: the call, or on resumption its second half; then save and return if
    /// the task is suspending; then the result goes to `slot`.
    fn suspend_point(
        &mut self,
        f: &mut Function,
        cx: &mut Ctx,
        id: u32,
        slot: Option<u32>,
        call: &Expr,
    ) {
        let t = self.ty_of(cx, call);
        let (_, rs, _) = cx.resume.unwrap();
        let results = valtypes(t);
        let bt = BlockType::FunctionType(self.ty(vec![], results));
        f.instruction(&I::LocalGet(rs));
        f.instruction(&I::I32Const(id as i32));
        f.instruction(&I::I32Eq);
        f.instruction(&I::If(bt));
        cx.labels.push(Label::Other);
        f.instruction(&I::I32Const(0));
        f.instruction(&I::LocalSet(rs));
        self.resume_call(f, cx, call);
        f.instruction(&I::Else);
        cx.at_point = true;
        if t == LocalTy::Dyn {
            self.expr_dyn(f, cx, call);
        } else {
            self.expr_typed(f, cx, call, t);
        }
        cx.at_point = false;
        f.instruction(&I::End);
        cx.labels.pop();
        // Keep the result aside while checking for suspension.
        let keep: Vec<u32> = match t {
            LocalTy::Dyn => vec![cx.at(), cx.ab()],
            LocalTy::Int => vec![cx.xa()],
            LocalTy::Float => vec![cx.fa()],
            LocalTy::Bool => vec![cx.at()],
        };
        for &l in keep.iter().rev() {
            f.instruction(&I::LocalSet(l));
        }
        self.save_frame_if_unwinding(f, cx, id);
        for &l in &keep {
            f.instruction(&I::LocalGet(l));
        }
        match slot {
            Some(slot) => {
                let want = cx.tys[slot as usize];
                let at = cx.base[slot as usize];
                self.convert(f, cx, t, want);
                if want == LocalTy::Dyn {
                    self.set_pair(f, at);
                } else {
                    f.instruction(&I::LocalSet(at));
                }
            }
            None if t == LocalTy::Dyn => {
                let drop = self.drop_fn();
                f.instruction(&I::Call(drop));
            }
            None => {
                f.instruction(&I::Drop);
            }
        }
    }

    /// The second half of a call that suspended: call the same callee again with
    /// placeholder arguments (it restores its own frame), or for a wait of the runtime's
    /// own, take the value it was waiting for.
    fn resume_call(&mut self, f: &mut Function, cx: &mut Ctx, call: &Expr) {
        let prog = self.prog;
        match call {
            Expr::Call(func, _, site) => {
                let fun = &prog.functions[*func as usize];
                let nparams = fun.arity as usize + usize::from(fun.has_me);
                match &fun.spec {
                    Some(spec) => {
                        for &t in &spec.locals[..nparams] {
                            self.placeholder(f, t);
                        }
                        f.instruction(&I::LocalGet(cx.depth));
                        f.instruction(&I::I32Const(1));
                        f.instruction(&I::I32Add);
                        f.instruction(&I::Call(self.spec_index[func]));
                    }
                    None => {
                        for _ in 0..nparams {
                            self.placeholder(f, LocalTy::Dyn);
                        }
                        f.instruction(&I::Call(self.rt.function_count + func));
                    }
                }
                self.check(f, cx, *site);
            }
            Expr::Method {
                name, args, site, ..
            } => {
                let n = args.len() as u32;
                for _ in 0..=n {
                    self.placeholder(f, LocalTy::Dyn);
                }
                let h = self.helper(format!("m:{name}:{n}"), Helper::Method(*name, n));
                f.instruction(&I::Call(h));
                self.check(f, cx, *site);
            }
            Expr::Await(_, site) => {
                f.instruction(&I::Call(self.rt.func("ny_resume_leaf")));
                self.ret_pair(f, cx);
                self.check(f, cx, *site);
            }
            other => unreachable!("not a suspension point: {other:?}"),
        }
    }

    /// After an operation that can raise: on a pending error, record the frame and branch
    /// to the innermost handler.
    fn check(&mut self, f: &mut Function, cx: &mut Ctx, site: SiteId) {
        let frame = self.prog.sites[site as usize].clone();
        let (p, l) = self.string(&frame);
        f.instruction(&I::I32Const(self.rt.state_addr as i32));
        f.instruction(&I::I32Load(mem(OFF_PENDING, 2)));
        f.instruction(&I::If(BlockType::Empty));
        cx.labels.push(Label::Other);
        if !cx.pending.is_empty() || !cx.tees.is_empty() {
            let drop = self.drop_fn();
            for &(tag, bits) in &cx.pending {
                f.instruction(&I::LocalGet(tag));
                f.instruction(&I::LocalGet(bits));
                f.instruction(&I::Call(drop));
            }
            for &at in &cx.tees {
                f.instruction(&I::LocalGet(at));
                f.instruction(&I::LocalGet(at + 1));
                f.instruction(&I::Call(drop));
                f.instruction(&I::I32Const(TAG_VOID));
                f.instruction(&I::LocalSet(at));
            }
        }
        f.instruction(&I::I32Const(p as i32));
        f.instruction(&I::I32Const(l as i32));
        f.instruction(&I::Call(self.rt.func("ny_trace")));
        let h = *cx.handlers.last().unwrap();
        f.instruction(&I::Br(cx.br_to(h)));
        f.instruction(&I::End);
        cx.labels.pop();
    }

    /// Evaluates a Dyn operand that stays on the stack while later operands are evaluated,
    /// and records it as pending (released if one of them raises). Returns 1, the number of
    /// entries to [`Self::settle`] before the instruction that consumes the operands.
    fn pending_operand(&mut self, f: &mut Function, cx: &mut Ctx, e: &Expr) -> usize {
        self.expr(f, cx, e);
        let i = cx.pending.len() as u32;
        let (base, cap) = cx.pending_locals;
        assert!(i < cap, "too few locals for pending operands");
        let (tag, bits) = (base + i, base + cap + i);
        f.instruction(&I::LocalSet(bits));
        f.instruction(&I::LocalTee(tag));
        f.instruction(&I::LocalGet(bits));
        cx.pending.push((tag, bits));
        1
    }

    /// The consumer of `n` pending operands is about to take them.
    fn settle(cx: &mut Ctx, n: usize) {
        let len = cx.pending.len();
        cx.pending.truncate(len - n);
    }

    /// Reads the tag a runtime function left in `ret_tag`, putting the pair in order.
    fn ret_pair(&mut self, f: &mut Function, cx: &Ctx) {
        f.instruction(&I::LocalSet(cx.sb()));
        f.instruction(&I::I32Const(self.rt.state_addr as i32));
        f.instruction(&I::I32Load(mem(OFF_RET_TAG, 2)));
        f.instruction(&I::LocalGet(cx.sb()));
    }

    fn run_finally(&mut self, f: &mut Function, cx: &mut Ctx, down_to: usize) {
        // Innermost first; each finally runs outside its own try.
        let mut saved = Vec::new();
        while let Some((pos, body)) = cx.finallies.last().cloned() {
            if pos < down_to {
                break;
            }
            cx.finallies.pop();
            for s in &body {
                self.stmt(f, cx, s);
            }
            saved.push((pos, body));
        }
        while let Some(e) = saved.pop() {
            cx.finallies.push(e);
        }
    }

    fn stmts(&mut self, f: &mut Function, cx: &mut Ctx, body: &[Stmt]) {
        for s in body {
            self.stmt(f, cx, s);
        }
    }

    /// Stores the pair on the stack into the Dyn pair of locals at `at`, releasing the old.
    fn set_pair(&mut self, f: &mut Function, at: u32) {
        let drop = self.drop_fn();
        f.instruction(&I::LocalGet(at));
        f.instruction(&I::LocalGet(at + 1));
        f.instruction(&I::Call(drop));
        f.instruction(&I::LocalSet(at + 1));
        f.instruction(&I::LocalSet(at));
    }

    /// Evaluates `e` as the result of this version and stores it.
    fn set_result(&mut self, f: &mut Function, cx: &mut Ctx, e: &Expr) {
        if cx.ret == LocalTy::Dyn {
            self.expr(f, cx, e);
            self.set_pair(f, cx.rt());
        } else {
            self.expr_as(f, cx, e, cx.ret);
            f.instruction(&I::LocalSet(cx.ret_local()));
        }
    }

    fn stmt(&mut self, f: &mut Function, cx: &mut Ctx, s: &Stmt) {
        cx.stmt_depth += 1;
        self.stmt_inner(f, cx, s);
        cx.stmt_depth -= 1;
        if cx.stmt_depth == 0 {
            cx.tees.clear();
        }
    }

    fn stmt_inner(&mut self, f: &mut Function, cx: &mut Ctx, s: &Stmt) {
        let drop = self.drop_fn();
        match s {
            Stmt::Expr(e) => {
                let t = self.ty_of(cx, e);
                if t == LocalTy::Dyn {
                    self.expr(f, cx, e);
                    f.instruction(&I::Call(drop));
                } else {
                    self.expr_typed(f, cx, e, t);
                    f.instruction(&I::Drop);
                }
            }
            Stmt::ResultOf(e) => self.set_result(f, cx, e),
            Stmt::SetLocal(slot, e) => {
                let t = cx.tys[*slot as usize];
                let at = cx.base[*slot as usize];
                if t == LocalTy::Dyn {
                    self.expr(f, cx, e);
                    self.set_pair(f, at);
                } else {
                    self.expr_as(f, cx, e, t);
                    f.instruction(&I::LocalSet(at));
                }
            }
            Stmt::SetGlobal(g, e) => {
                self.expr(f, cx, e);
                let t = self.var_globals[*g as usize];
                f.instruction(&I::GlobalGet(t));
                f.instruction(&I::GlobalGet(t + 1));
                f.instruction(&I::Call(drop));
                f.instruction(&I::GlobalSet(t + 1));
                f.instruction(&I::GlobalSet(t));
            }
            Stmt::SetField {
                obj,
                field,
                value,
                site,
            } => {
                let n = self.pending_operand(f, cx, value);
                self.expr(f, cx, obj);
                Self::settle(cx, n);
                let h = self.helper(format!("fset:{field}"), Helper::FieldSet(*field));
                f.instruction(&I::Call(h));
                self.check(f, cx, *site);
            }
            Stmt::If(c, t, e) => {
                self.cond(f, cx, c);
                f.instruction(&I::If(BlockType::Empty));
                cx.labels.push(Label::Other);
                self.stmts(f, cx, t);
                if !e.is_empty() {
                    f.instruction(&I::Else);
                    self.stmts(f, cx, e);
                }
                f.instruction(&I::End);
                cx.labels.pop();
            }
            Stmt::Loop(c, body) => {
                f.instruction(&I::Block(BlockType::Empty));
                cx.labels.push(Label::Break);
                f.instruction(&I::Loop(BlockType::Empty));
                cx.labels.push(Label::Continue);
                if let Some(c) = c {
                    self.cond(f, cx, c);
                    f.instruction(&I::I32Eqz);
                    f.instruction(&I::BrIf(1));
                }
                self.stmts(f, cx, body);
                f.instruction(&I::Br(0));
                f.instruction(&I::End);
                cx.labels.pop();
                f.instruction(&I::End);
                cx.labels.pop();
            }
            Stmt::Release(slot) => {
                if cx.tys[*slot as usize] == LocalTy::Dyn {
                    let at = cx.base[*slot as usize];
                    f.instruction(&I::I32Const(TAG_VOID));
                    f.instruction(&I::I64Const(0));
                    self.set_pair(f, at);
                }
            }
            Stmt::Break | Stmt::Continue => {
                let l = if matches!(s, Stmt::Break) {
                    Label::Break
                } else {
                    Label::Continue
                };
                if let Some(pos) = cx.find(l) {
                    self.run_finally(f, cx, pos);
                    f.instruction(&I::Br(cx.br_to(pos)));
                }
            }
            Stmt::Return(e) => {
                self.set_result(f, cx, e);
                self.run_finally(f, cx, 0);
                let exit = cx.find(Label::Exit).unwrap();
                f.instruction(&I::Br(cx.br_to(exit)));
            }
            Stmt::Print(e, site) => {
                self.expr(f, cx, e);
                f.instruction(&I::Call(self.rt.func("ny_print")));
                self.check(f, cx, *site);
            }
            Stmt::Throw(e, site) => {
                self.expr(f, cx, e);
                f.instruction(&I::Call(self.rt.func("ny_throw")));
                self.check(f, cx, *site);
            }
            Stmt::Include(file, site) => {
                let g = self.include_globals[file];
                f.instruction(&I::GlobalGet(g));
                f.instruction(&I::I32Eqz);
                f.instruction(&I::If(BlockType::Empty));
                cx.labels.push(Label::Other);
                f.instruction(&I::I32Const(1));
                f.instruction(&I::GlobalSet(g));
                let top = self.prog.top_levels[*file as usize];
                f.instruction(&I::Call(self.rt.function_count + top));
                f.instruction(&I::Call(drop));
                self.after_call(f, cx, true, *site);
                f.instruction(&I::End);
                cx.labels.pop();
            }
            Stmt::Try {
                body,
                catches,
                finally,
            } => self.try_stmt(f, cx, body, catches, finally),
            Stmt::Suspend { id, slot, call } => self.suspend_point(f, cx, *id, *slot, call),
        }
    }

    fn try_stmt(
        &mut self,
        f: &mut Function,
        cx: &mut Ctx,
        body: &[Stmt],
        catches: &[Catch],
        finally: &[Stmt],
    ) {
        let outer = *cx.handlers.last().unwrap();
        f.instruction(&I::Block(BlockType::Empty));
        cx.labels.push(Label::Other);
        let end = cx.labels.len() - 1;
        f.instruction(&I::Block(BlockType::Empty));
        cx.labels.push(Label::Other);
        let handler = cx.labels.len() - 1;
        cx.handlers.push(handler);
        if !finally.is_empty() {
            cx.finallies.push((handler, finally.to_vec()));
        }
        self.stmts(f, cx, body);
        if !finally.is_empty() {
            cx.finallies.pop();
        }
        cx.handlers.pop();
        self.stmts(f, cx, finally);
        f.instruction(&I::Br(cx.br_to(end)));
        f.instruction(&I::End);
        cx.labels.pop();
        // An error is pending here.
        for c in catches {
            let matches_all = c.classes.is_none();
            if matches_all {
                f.instruction(&I::I32Const(1));
            } else {
                let classes = c.classes.clone().unwrap_or_default();
                f.instruction(&I::Call(self.rt.func("ny_error_class")));
                f.instruction(&I::LocalSet(cx.at()));
                f.instruction(&I::I32Const(0));
                for cid in classes {
                    f.instruction(&I::LocalGet(cx.at()));
                    f.instruction(&I::I32Const(cid as i32));
                    f.instruction(&I::I32Eq);
                    f.instruction(&I::I32Or);
                }
            }
            f.instruction(&I::If(BlockType::Empty));
            cx.labels.push(Label::Other);
            f.instruction(&I::Call(self.rt.func("ny_catch")));
            self.ret_pair(f, cx);
            debug_assert_eq!(cx.tys[c.var as usize], LocalTy::Dyn);
            self.set_pair(f, cx.base[c.var as usize]);
            f.instruction(&I::Block(BlockType::Empty));
            cx.labels.push(Label::Other);
            let h2 = cx.labels.len() - 1;
            cx.handlers.push(h2);
            if !finally.is_empty() {
                cx.finallies.push((h2, finally.to_vec()));
            }
            self.stmts(f, cx, &c.body);
            if !finally.is_empty() {
                cx.finallies.pop();
            }
            cx.handlers.pop();
            self.stmts(f, cx, finally);
            f.instruction(&I::Br(cx.br_to(end)));
            f.instruction(&I::End);
            cx.labels.pop();
            self.finally_then_propagate(f, cx, finally, outer);
            f.instruction(&I::End);
            cx.labels.pop();
        }
        self.finally_then_propagate(f, cx, finally, outer);
        f.instruction(&I::End);
        cx.labels.pop();
    }

    fn finally_then_propagate(
        &mut self,
        f: &mut Function,
        cx: &mut Ctx,
        finally: &[Stmt],
        outer: usize,
    ) {
        if !finally.is_empty() {
            f.instruction(&I::Call(self.rt.func("ny_error_suspend")));
            self.stmts(f, cx, finally);
            f.instruction(&I::Call(self.rt.func("ny_error_resume")));
        }
        f.instruction(&I::Br(cx.br_to(outer)));
    }

    /// Evaluates a condition to an i32 (R6 truthiness).
    fn cond(&mut self, f: &mut Function, cx: &mut Ctx, e: &Expr) {
        match self.ty_of(cx, e) {
            LocalTy::Bool => self.expr_typed(f, cx, e, LocalTy::Bool),
            LocalTy::Int => {
                self.expr_typed(f, cx, e, LocalTy::Int);
                f.instruction(&I::I64Const(0));
                f.instruction(&I::I64Ne);
            }
            LocalTy::Float => {
                self.expr_typed(f, cx, e, LocalTy::Float);
                f.instruction(&I::F64Const(0.0.into()));
                f.instruction(&I::F64Ne);
            }
            LocalTy::Dyn => {
                self.expr(f, cx, e);
                let t = self.truthy_fn();
                f.instruction(&I::Call(t));
            }
        }
    }

    fn ty_of(&self, cx: &Ctx, e: &Expr) -> LocalTy {
        expr_ty(self.prog, &cx.tys, e)
    }

    /// Evaluates `e` to a value pair.
    fn expr(&mut self, f: &mut Function, cx: &mut Ctx, e: &Expr) {
        self.expr_as(f, cx, e, LocalTy::Dyn);
    }

    /// Evaluates `e` in the representation `want` (its own type, `Dyn`, or Float for an Int).
    fn expr_as(&mut self, f: &mut Function, cx: &mut Ctx, e: &Expr, want: LocalTy) {
        let t = self.ty_of(cx, e);
        if t == LocalTy::Dyn {
            assert_eq!(
                want,
                LocalTy::Dyn,
                "inference gave a Dyn value to an unboxed slot"
            );
            self.expr_dyn(f, cx, e);
            return;
        }
        self.expr_typed(f, cx, e, t);
        self.convert(f, cx, t, want);
    }

    fn convert(&mut self, f: &mut Function, cx: &Ctx, from: LocalTy, to: LocalTy) {
        match (from, to) {
            _ if from == to => {}
            (LocalTy::Int, LocalTy::Float) => {
                f.instruction(&I::F64ConvertI64S);
            }
            (_, LocalTy::Dyn) => {
                let tag = match from {
                    LocalTy::Int => TAG_INT,
                    LocalTy::Float => {
                        f.instruction(&I::I64ReinterpretF64);
                        TAG_FLOAT
                    }
                    _ => {
                        f.instruction(&I::I64ExtendI32U);
                        TAG_BOOL
                    }
                };
                f.instruction(&I::LocalSet(cx.xa()));
                f.instruction(&I::I32Const(tag));
                f.instruction(&I::LocalGet(cx.xa()));
            }
            _ => panic!("no conversion from {from:?} to {to:?}"),
        }
    }

    /// A pair known to hold a `t` on the stack: its payload, unboxed.
    fn unbox(&mut self, f: &mut Function, cx: &Ctx, t: LocalTy) {
        f.instruction(&I::LocalSet(cx.xa()));
        f.instruction(&I::Drop);
        f.instruction(&I::LocalGet(cx.xa()));
        match t {
            LocalTy::Float => {
                f.instruction(&I::F64ReinterpretI64);
            }
            LocalTy::Bool => {
                f.instruction(&I::I32WrapI64);
            }
            _ => {}
        }
    }

    /// Raises `msg` at `site` when the i32 on the stack is non-zero.
    fn raise_if(&mut self, f: &mut Function, cx: &mut Ctx, msg: &str, site: SiteId) {
        let (p, l) = self.string(msg);
        f.instruction(&I::If(BlockType::Empty));
        cx.labels.push(Label::Other);
        f.instruction(&I::I32Const(p as i32));
        f.instruction(&I::I32Const(l as i32));
        f.instruction(&I::Call(self.rt.func("ny_raise")));
        self.check(f, cx, site);
        f.instruction(&I::End);
        cx.labels.pop();
    }

    /// Evaluates `e`, whose type is `t` (not Dyn), unboxed.
    fn expr_typed(&mut self, f: &mut Function, cx: &mut Ctx, e: &Expr, t: LocalTy) {
        match e {
            // An unboxed value holds no reference: there is nothing to keep alive.
            Expr::Tee(_, inner) => self.expr_typed(f, cx, inner, t),
            Expr::Const(Const::Int(i)) => {
                f.instruction(&I::I64Const(*i));
            }
            Expr::Const(Const::Float(x)) => {
                f.instruction(&I::F64Const((*x).into()));
            }
            Expr::Const(Const::Bool(b)) => {
                f.instruction(&I::I32Const(i32::from(*b)));
            }
            Expr::Local(s) => {
                f.instruction(&I::LocalGet(cx.base[*s as usize]));
            }
            Expr::Binary(op, a, b, site) => {
                let (ta, tb) = (self.ty_of(cx, a), self.ty_of(cx, b));
                let num = |t| matches!(t, LocalTy::Int | LocalTy::Float);
                let k = if ta == LocalTy::Float || tb == LocalTy::Float {
                    LocalTy::Float
                } else {
                    LocalTy::Int
                };
                if num(ta) && num(tb) && !(k == LocalTy::Float && *op == BinOp::Rem) {
                    self.expr_as(f, cx, a, k);
                    self.expr_as(f, cx, b, k);
                    self.typed_binary(f, cx, *op, k, *site);
                } else if ta == LocalTy::Bool
                    && tb == LocalTy::Bool
                    && matches!(op, BinOp::Eq | BinOp::Ne)
                {
                    self.expr_typed(f, cx, a, ta);
                    self.expr_typed(f, cx, b, tb);
                    f.instruction(&if *op == BinOp::Eq { I::I32Eq } else { I::I32Ne });
                } else {
                    let n = self.pending_operand(f, cx, a);
                    self.expr(f, cx, b);
                    Self::settle(cx, n);
                    self.binary(f, cx, *op, *site);
                    self.unbox(f, cx, t);
                }
            }
            Expr::Neg(a, _) if t == LocalTy::Int => {
                f.instruction(&I::I64Const(0));
                self.expr_typed(f, cx, a, t);
                f.instruction(&I::I64Sub);
            }
            Expr::Neg(a, _) => {
                self.expr_typed(f, cx, a, t);
                f.instruction(&I::F64Neg);
            }
            Expr::Not(a) => {
                self.cond(f, cx, a);
                f.instruction(&I::I32Eqz);
            }
            Expr::And(a, b) | Expr::Or(a, b) => {
                let is_and = matches!(e, Expr::And(..));
                self.cond(f, cx, a);
                if !is_and {
                    f.instruction(&I::I32Eqz);
                }
                f.instruction(&I::If(BlockType::Result(ValType::I32)));
                cx.labels.push(Label::Other);
                self.cond(f, cx, b);
                f.instruction(&I::Else);
                f.instruction(&I::I32Const(i32::from(!is_and)));
                f.instruction(&I::End);
                cx.labels.pop();
            }
            Expr::IsType(v, ty) => {
                self.expr(f, cx, v);
                let (p, l) = self.string(&self.prog.strings[*ty as usize].clone());
                f.instruction(&I::I32Const(p as i32));
                f.instruction(&I::I32Const(l as i32));
                f.instruction(&I::Call(self.rt.func("ny_is_type")));
            }
            Expr::Call(func, args, site) => self.direct_call(f, cx, *func, args, *site),
            Expr::Resuming(lo, hi) => {
                let (_, rs, _) = cx
                    .resume
                    .expect("resume guards only in resumable functions");
                f.instruction(&I::LocalGet(rs));
                if *hi == 0 {
                    f.instruction(&I::I32Eqz);
                } else if lo == hi {
                    f.instruction(&I::I32Const(*lo as i32));
                    f.instruction(&I::I32Eq);
                } else {
                    f.instruction(&I::I32Const(*lo as i32));
                    f.instruction(&I::I32Sub);
                    f.instruction(&I::I32Const((hi - lo) as i32));
                    f.instruction(&I::I32LeU);
                }
            }
            Expr::Method {
                recv, args, site, ..
            } => {
                let m = method_of(self.prog, &cx.tys, e).expect("a typed method is inline");
                self.num_method(f, cx, m, recv, args, *site);
            }
            _ => panic!("no unboxed form for {e:?}"),
        }
    }

    /// An Int or Float builtin method computed inline on an unboxed receiver.
    fn num_method(
        &mut self,
        f: &mut Function,
        cx: &mut Ctx,
        m: NumMethod,
        recv: &Expr,
        args: &[Expr],
        site: SiteId,
    ) {
        use NumMethod::*;
        let rt = self.ty_of(cx, recv);
        self.expr_typed(f, cx, recv, rt);
        for a in args {
            let t = self.ty_of(cx, a);
            self.expr_typed(f, cx, a, t);
        }
        match m {
            IntAbs => {
                // Wrapping: i64::MIN stays i64::MIN.
                // select(0 - x, x, x < 0)
                f.instruction(&I::LocalSet(cx.xa()));
                f.instruction(&I::I64Const(0));
                f.instruction(&I::LocalGet(cx.xa()));
                f.instruction(&I::I64Sub);
                f.instruction(&I::LocalGet(cx.xa()));
                f.instruction(&I::LocalGet(cx.xa()));
                f.instruction(&I::I64Const(0));
                f.instruction(&I::I64LtS);
                f.instruction(&I::Select);
            }
            IntToFloat => {
                f.instruction(&I::F64ConvertI64S);
            }
            IntToInteger | FloatToFloat => {}
            IntMax | IntMin => {
                f.instruction(&I::LocalSet(cx.xb()));
                f.instruction(&I::LocalTee(cx.xa()));
                f.instruction(&I::LocalGet(cx.xb()));
                f.instruction(&I::LocalGet(cx.xa()));
                f.instruction(&I::LocalGet(cx.xb()));
                f.instruction(&if m == IntMax { I::I64GtS } else { I::I64LtS });
                f.instruction(&I::Select);
            }
            FloatAbs => {
                f.instruction(&I::F64Abs);
            }
            FloatFloor | FloatCeil | FloatToInteger => {
                if m == FloatFloor {
                    f.instruction(&I::F64Floor);
                } else if m == FloatCeil {
                    f.instruction(&I::F64Ceil);
                }
                // Rust's `as i64`: saturating, NaN gives 0.
                f.instruction(&I::I64TruncSatF64S);
            }
            FloatSqrt => {
                f.instruction(&I::LocalTee(cx.fa()));
                f.instruction(&I::F64Const(0.0.into()));
                f.instruction(&I::F64Lt);
                self.raise_if(f, cx, "Cannot take square root of negative number", site);
                f.instruction(&I::LocalGet(cx.fa()));
                f.instruction(&I::F64Sqrt);
            }
            FloatIsNaN => {
                f.instruction(&I::LocalTee(cx.fa()));
                f.instruction(&I::LocalGet(cx.fa()));
                f.instruction(&I::F64Ne);
            }
            FloatIsInfinite => {
                f.instruction(&I::F64Abs);
                f.instruction(&I::F64Const(f64::INFINITY.into()));
                f.instruction(&I::F64Eq);
            }
            FloatIsFinite => {
                f.instruction(&I::F64Abs);
                f.instruction(&I::F64Const(f64::INFINITY.into()));
                f.instruction(&I::F64Lt);
            }
        }
    }

    /// A direct call: the specialised version when there is one.
    fn direct_call(
        &mut self,
        f: &mut Function,
        cx: &mut Ctx,
        func: FuncId,
        args: &[Expr],
        site: SiteId,
    ) {
        let prog = self.prog;
        let may = prog.functions[func as usize].may_suspend;
        match &prog.functions[func as usize].spec {
            Some(spec) => {
                let mut k = 0;
                for (a, &t) in args.iter().zip(&spec.locals) {
                    if t == LocalTy::Dyn {
                        k += self.pending_operand(f, cx, a);
                    } else {
                        self.expr_as(f, cx, a, t);
                    }
                }
                // The callee's depth is ours plus one; past the limit, the call itself
                // raises here (so the callee never has to).
                f.instruction(&I::LocalGet(cx.depth));
                f.instruction(&I::I32Const(MAX_DEPTH));
                f.instruction(&I::I32GeU);
                f.instruction(&I::If(BlockType::Empty));
                cx.labels.push(Label::Other);
                f.instruction(&I::Call(self.rt.func("ny_stack_overflow")));
                self.check(f, cx, site);
                f.instruction(&I::End);
                cx.labels.pop();
                Self::settle(cx, k);
                f.instruction(&I::LocalGet(cx.depth));
                f.instruction(&I::I32Const(1));
                f.instruction(&I::I32Add);
                self.call_maybe_waiting(f, cx, self.spec_index[&func], may);
                self.after_call(f, cx, spec.may_raise, site);
            }
            None => {
                let mut k = 0;
                for a in args {
                    k += self.pending_operand(f, cx, a);
                }
                Self::settle(cx, k);
                self.call_maybe_waiting(f, cx, self.rt.function_count + func, may);
                self.after_call(f, cx, true, site);
            }
        }
    }

    /// After a call that may run compiled Nyash code (a direct call, method dispatch,
    /// `new`, a static initializer, an include): the error check, unless the callee is
    /// known not to raise (`Spec::may_raise`, from `ir::effects`). Suspension is checked
    /// separately, only at resume points (`suspend_point`); a function that may wait is
    /// never isolated, so it is always assumed to raise.
    fn after_call(&mut self, f: &mut Function, cx: &mut Ctx, may_raise: bool, site: SiteId) {
        if may_raise {
            self.check(f, cx, site);
        }
    }

    /// `a op b` on two unboxed operands of type `k` (Int or Float).
    fn typed_binary(
        &mut self,
        f: &mut Function,
        cx: &mut Ctx,
        op: BinOp,
        k: LocalTy,
        site: SiteId,
    ) {
        let int = k == LocalTy::Int;
        if matches!(op, BinOp::Div | BinOp::Rem) {
            let msg = if op == BinOp::Div {
                "Division by zero"
            } else {
                "Modulo by zero"
            };
            if int {
                f.instruction(&I::LocalSet(cx.xb()));
                f.instruction(&I::LocalSet(cx.xa()));
                f.instruction(&I::LocalGet(cx.xb()));
                f.instruction(&I::I64Eqz);
                self.raise_if(f, cx, msg, site);
                if op == BinOp::Rem {
                    // i64.rem_s gives 0 for i64::MIN % -1 (no trap).
                    f.instruction(&I::LocalGet(cx.xa()));
                    f.instruction(&I::LocalGet(cx.xb()));
                    f.instruction(&I::I64RemS);
                } else {
                    // i64::MIN / -1 wraps: x / -1 is 0 - x (i64.div_s would trap).
                    f.instruction(&I::LocalGet(cx.xb()));
                    f.instruction(&I::I64Const(-1));
                    f.instruction(&I::I64Eq);
                    f.instruction(&I::If(BlockType::Result(ValType::I64)));
                    cx.labels.push(Label::Other);
                    f.instruction(&I::I64Const(0));
                    f.instruction(&I::LocalGet(cx.xa()));
                    f.instruction(&I::I64Sub);
                    f.instruction(&I::Else);
                    f.instruction(&I::LocalGet(cx.xa()));
                    f.instruction(&I::LocalGet(cx.xb()));
                    f.instruction(&I::I64DivS);
                    f.instruction(&I::End);
                    cx.labels.pop();
                }
            } else {
                f.instruction(&I::LocalSet(cx.fb()));
                f.instruction(&I::LocalSet(cx.fa()));
                f.instruction(&I::LocalGet(cx.fb()));
                f.instruction(&I::F64Const(0.0.into()));
                f.instruction(&I::F64Eq);
                self.raise_if(f, cx, msg, site);
                f.instruction(&I::LocalGet(cx.fa()));
                f.instruction(&I::LocalGet(cx.fb()));
                f.instruction(&I::F64Div);
            }
            return;
        }
        f.instruction(&match (op, int) {
            (BinOp::Add, true) => I::I64Add,
            (BinOp::Sub, true) => I::I64Sub,
            (BinOp::Mul, true) => I::I64Mul,
            (BinOp::Eq, true) => I::I64Eq,
            (BinOp::Ne, true) => I::I64Ne,
            (BinOp::Lt, true) => I::I64LtS,
            (BinOp::Le, true) => I::I64LeS,
            (BinOp::Gt, true) => I::I64GtS,
            (BinOp::Ge, true) => I::I64GeS,
            (BinOp::Add, false) => I::F64Add,
            (BinOp::Sub, false) => I::F64Sub,
            (BinOp::Mul, false) => I::F64Mul,
            (BinOp::Eq, false) => I::F64Eq,
            (BinOp::Ne, false) => I::F64Ne,
            (BinOp::Lt, false) => I::F64Lt,
            (BinOp::Le, false) => I::F64Le,
            (BinOp::Gt, false) => I::F64Gt,
            (BinOp::Ge, false) => I::F64Ge,
            _ => unreachable!("division is handled above"),
        });
    }

    /// Evaluates a `Dyn` expression to a value pair.
    fn expr_dyn(&mut self, f: &mut Function, cx: &mut Ctx, e: &Expr) {
        match e {
            Expr::Const(c) => match *c {
                Const::Void => {
                    f.instruction(&I::I32Const(TAG_VOID));
                    f.instruction(&I::I64Const(0));
                }
                Const::Null => {
                    f.instruction(&I::I32Const(TAG_NULL));
                    f.instruction(&I::I64Const(0));
                }
                Const::Bool(b) => {
                    f.instruction(&I::I32Const(TAG_BOOL));
                    f.instruction(&I::I64Const(i64::from(b)));
                }
                Const::Int(i) => {
                    f.instruction(&I::I32Const(TAG_INT));
                    f.instruction(&I::I64Const(i));
                }
                Const::Float(x) => {
                    f.instruction(&I::I32Const(TAG_FLOAT));
                    f.instruction(&I::I64Const(x.to_bits() as i64));
                }
                Const::Str(s) => {
                    f.instruction(&I::I32Const(TAG_OBJ));
                    f.instruction(&I::GlobalGet(self.str_globals[&s]));
                    f.instruction(&I::I64ExtendI32U);
                }
            },
            Expr::Local(slot) => {
                let at = cx.base[*slot as usize];
                f.instruction(&I::LocalGet(at));
                f.instruction(&I::LocalGet(at + 1));
                let dup = self.dup_fn();
                f.instruction(&I::Call(dup));
            }
            Expr::Global(g, site) => {
                let t = self.var_globals[*g as usize];
                f.instruction(&I::GlobalGet(t));
                f.instruction(&I::I32Const(TAG_UNSET));
                f.instruction(&I::I32Eq);
                f.instruction(&I::If(BlockType::Empty));
                cx.labels.push(Label::Other);
                let msg = format!("Undefined variable '{}'", self.prog.globals[*g as usize]);
                let (p, l) = self.string(&msg);
                f.instruction(&I::I32Const(p as i32));
                f.instruction(&I::I32Const(l as i32));
                f.instruction(&I::Call(self.rt.func("ny_raise")));
                f.instruction(&I::End);
                cx.labels.pop();
                self.check(f, cx, *site);
                f.instruction(&I::GlobalGet(t));
                f.instruction(&I::GlobalGet(t + 1));
                let dup = self.dup_fn();
                f.instruction(&I::Call(dup));
            }
            Expr::Static(class, site) => {
                let h = self.helper(format!("static{class}"), Helper::Static(*class));
                f.instruction(&I::Call(h));
                f.instruction(&I::LocalSet(cx.at()));
                self.after_call(f, cx, true, *site);
                f.instruction(&I::I32Const(TAG_OBJ));
                f.instruction(&I::LocalGet(cx.at()));
                f.instruction(&I::I64ExtendI32U);
                let dup = self.dup_fn();
                f.instruction(&I::Call(dup));
            }
            Expr::Binary(op, a, b, site) => {
                let n = self.pending_operand(f, cx, a);
                self.expr(f, cx, b);
                Self::settle(cx, n);
                self.binary(f, cx, *op, *site);
            }
            Expr::Neg(a, site) => {
                self.expr(f, cx, a);
                f.instruction(&I::Call(self.rt.func("ny_neg")));
                self.ret_pair(f, cx);
                self.check(f, cx, *site);
            }
            // Always a Bool: the unboxed form, tagged.
            Expr::Not(_) | Expr::And(..) | Expr::Or(..) | Expr::Resuming(..) => {
                self.expr_typed(f, cx, e, LocalTy::Bool);
                self.bool_from_i32(f, cx);
            }
            Expr::Call(func, args, site) => self.direct_call(f, cx, *func, args, *site),
            Expr::Method {
                recv,
                name,
                args,
                site,
            } => {
                let mut k = self.pending_operand(f, cx, recv);
                for a in args {
                    k += self.pending_operand(f, cx, a);
                }
                Self::settle(cx, k);
                let n = args.len() as u32;
                let h = self.helper(format!("m:{name}:{n}"), Helper::Method(*name, n));
                let may = self.method_may_suspend(*name, n);
                self.call_maybe_waiting(f, cx, h, may);
                self.after_call(f, cx, true, *site);
            }
            Expr::Field(obj, name, site) => {
                self.expr(f, cx, obj);
                let h = self.helper(format!("fget:{name}"), Helper::FieldGet(*name));
                f.instruction(&I::Call(h));
                self.check(f, cx, *site);
            }
            Expr::New(class, args, site) => {
                let mut k = 0;
                for a in args {
                    k += self.pending_operand(f, cx, a);
                }
                Self::settle(cx, k);
                let h = self.helper(format!("new{class}"), Helper::New(*class));
                f.instruction(&I::Call(h));
                self.after_call(f, cx, true, *site);
            }
            Expr::NewBuiltin(name, args, site) => {
                let (p, l) = self.string(&self.prog.strings[*name as usize].clone());
                f.instruction(&I::I32Const(p as i32));
                f.instruction(&I::I32Const(l as i32));
                let mut k = 0;
                for a in args {
                    k += self.pending_operand(f, cx, a);
                }
                Self::settle(cx, k);
                let n = args.len() as u32;
                let h = self.helper(format!("newb{n}"), Helper::NewBuiltin(n));
                f.instruction(&I::Call(h));
                self.check(f, cx, *site);
            }
            Expr::IsType(v, ty) | Expr::AsType(v, ty) => {
                self.expr(f, cx, v);
                let (p, l) = self.string(&self.prog.strings[*ty as usize].clone());
                f.instruction(&I::I32Const(p as i32));
                f.instruction(&I::I32Const(l as i32));
                if matches!(e, Expr::IsType(..)) {
                    f.instruction(&I::Call(self.rt.func("ny_is_type")));
                    self.bool_from_i32(f, cx);
                } else {
                    f.instruction(&I::Call(self.rt.func("ny_as_type")));
                    self.ret_pair(f, cx);
                }
            }
            Expr::Tee(slot, inner) => {
                // Keep a reference in the hidden (Dyn) local until the statement ends.
                let at = cx.base[*slot as usize];
                self.expr(f, cx, inner);
                self.set_pair(f, at);
                if !cx.tees.contains(&at) {
                    cx.tees.push(at);
                }
                f.instruction(&I::LocalGet(at));
                f.instruction(&I::LocalGet(at + 1));
                let dup = self.dup_fn();
                f.instruction(&I::Call(dup));
            }
            Expr::Raise(msg, args, site) => {
                let drop = self.drop_fn();
                for a in args {
                    self.expr(f, cx, a);
                    f.instruction(&I::Call(drop));
                }
                let (p, l) = self.string(&self.prog.strings[*msg as usize].clone());
                f.instruction(&I::I32Const(p as i32));
                f.instruction(&I::I32Const(l as i32));
                f.instruction(&I::Call(self.rt.func("ny_raise")));
                self.check(f, cx, *site);
                f.instruction(&I::I32Const(TAG_VOID));
                f.instruction(&I::I64Const(0));
            }
            Expr::Await(a, site) => {
                self.expr(f, cx, a);
                let index = self.rt.func("ny_await");
                self.call_maybe_waiting(f, cx, index, true);
                self.ret_pair(f, cx);
                self.check(f, cx, *site);
            }
            Expr::Task(kind, captures, site) => {
                let state = self.rt.state_addr as i32;
                for (i, c) in captures.iter().enumerate() {
                    self.expr(f, cx, c);
                    f.instruction(&I::LocalSet(cx.ab()));
                    f.instruction(&I::LocalSet(cx.at()));
                    f.instruction(&I::I32Const(state));
                    f.instruction(&I::LocalGet(cx.at()));
                    f.instruction(&I::I32Store(mem(OFF_ARGS + 16 * i as u64, 2)));
                    f.instruction(&I::I32Const(state));
                    f.instruction(&I::LocalGet(cx.ab()));
                    f.instruction(&I::I64Store(mem(OFF_ARGS + 16 * i as u64 + 8, 3)));
                }
                let frame = self.prog.sites[*site as usize].clone();
                let (p, l) = self.string(&frame);
                f.instruction(&I::I32Const(*kind as i32));
                f.instruction(&I::I32Const(captures.len() as i32));
                f.instruction(&I::I32Const(p as i32));
                f.instruction(&I::I32Const(l as i32));
                f.instruction(&I::Call(self.rt.func("ny_spawn")));
                self.ret_pair(f, cx);
                self.check(f, cx, *site);
            }
            Expr::Spawn(..) => unreachable!("`nowait` is lowered by ir::suspend"),
        }
    }

    fn bool_from_i32(&mut self, f: &mut Function, cx: &Ctx) {
        f.instruction(&I::I64ExtendI32U);
        f.instruction(&I::LocalSet(cx.sb()));
        f.instruction(&I::I32Const(TAG_BOOL));
        f.instruction(&I::LocalGet(cx.sb()));
    }

    fn binary(&mut self, f: &mut Function, cx: &mut Ctx, op: BinOp, site: SiteId) {
        let code = match op {
            BinOp::Add => op::ADD,
            BinOp::Sub => op::SUB,
            BinOp::Mul => op::MUL,
            BinOp::Div => op::DIV,
            BinOp::Rem => op::REM,
            BinOp::Eq => op::EQ,
            BinOp::Ne => op::NE,
            BinOp::Lt => op::LT,
            BinOp::Le => op::LE,
            BinOp::Gt => op::GT,
            BinOp::Ge => op::GE,
        } as i32;
        f.instruction(&I::LocalSet(cx.bb()));
        f.instruction(&I::LocalSet(cx.bt()));
        f.instruction(&I::LocalSet(cx.ab()));
        f.instruction(&I::LocalSet(cx.at()));
        // Int fast path, inline.
        let fast = !matches!(op, BinOp::Div | BinOp::Rem);
        if fast {
            f.instruction(&I::LocalGet(cx.at()));
            f.instruction(&I::I32Const(TAG_INT));
            f.instruction(&I::I32Eq);
            f.instruction(&I::LocalGet(cx.bt()));
            f.instruction(&I::I32Const(TAG_INT));
            f.instruction(&I::I32Eq);
            f.instruction(&I::I32And);
            let ty = self.ty(vec![], pair(1));
            f.instruction(&I::If(BlockType::FunctionType(ty)));
            cx.labels.push(Label::Other);
            let arith = matches!(op, BinOp::Add | BinOp::Sub | BinOp::Mul);
            f.instruction(&I::I32Const(if arith { TAG_INT } else { TAG_BOOL }));
            f.instruction(&I::LocalGet(cx.ab()));
            f.instruction(&I::LocalGet(cx.bb()));
            f.instruction(&match op {
                BinOp::Add => I::I64Add,
                BinOp::Sub => I::I64Sub,
                BinOp::Mul => I::I64Mul,
                BinOp::Eq => I::I64Eq,
                BinOp::Ne => I::I64Ne,
                BinOp::Lt => I::I64LtS,
                BinOp::Le => I::I64LeS,
                BinOp::Gt => I::I64GtS,
                _ => I::I64GeS,
            });
            if !arith {
                f.instruction(&I::I64ExtendI32U);
            }
            f.instruction(&I::Else);
        }
        f.instruction(&I::I32Const(code));
        f.instruction(&I::LocalGet(cx.at()));
        f.instruction(&I::LocalGet(cx.ab()));
        f.instruction(&I::LocalGet(cx.bt()));
        f.instruction(&I::LocalGet(cx.bb()));
        f.instruction(&I::Call(self.rt.func("ny_binop")));
        self.ret_pair(f, cx);
        self.check(f, cx, site);
        if fast {
            f.instruction(&I::End);
            cx.labels.pop();
        }
    }

    fn helper_body(&mut self, h: Helper) -> (u32, Function) {
        let state = self.rt.state_addr as i32;
        let prog = self.prog;
        match h {
            Helper::Drop => {
                let ty = self.ty(pair(1), vec![]);
                let mut f = Function::new([]);
                f.instruction(&I::LocalGet(0));
                f.instruction(&I::I32Const(TAG_OBJ));
                f.instruction(&I::I32Eq);
                f.instruction(&I::If(BlockType::Empty));
                f.instruction(&I::LocalGet(1));
                f.instruction(&I::I32WrapI64);
                f.instruction(&I::Call(self.rt.func("ny_release")));
                f.instruction(&I::End);
                f.instruction(&I::End);
                (ty, f)
            }
            Helper::Dup => {
                let ty = self.ty(pair(1), pair(1));
                let mut f = Function::new([]);
                f.instruction(&I::LocalGet(0));
                f.instruction(&I::I32Const(TAG_OBJ));
                f.instruction(&I::I32Eq);
                f.instruction(&I::If(BlockType::Empty));
                // rc += 1, inline.
                f.instruction(&I::LocalGet(1));
                f.instruction(&I::I32WrapI64);
                f.instruction(&I::LocalGet(1));
                f.instruction(&I::I32WrapI64);
                f.instruction(&I::I32Load(mem(OFF_RC, 2)));
                f.instruction(&I::I32Const(1));
                f.instruction(&I::I32Add);
                f.instruction(&I::I32Store(mem(OFF_RC, 2)));
                f.instruction(&I::End);
                f.instruction(&I::LocalGet(0));
                f.instruction(&I::LocalGet(1));
                f.instruction(&I::End);
                (ty, f)
            }
            Helper::Truthy => {
                let ty = self.ty(pair(1), vec![ValType::I32]);
                let mut f = Function::new([]);
                f.instruction(&I::LocalGet(0));
                f.instruction(&I::I32Const(TAG_BOOL));
                f.instruction(&I::I32Eq);
                f.instruction(&I::LocalGet(0));
                f.instruction(&I::I32Const(TAG_INT));
                f.instruction(&I::I32Eq);
                f.instruction(&I::I32Or);
                f.instruction(&I::If(BlockType::Empty));
                f.instruction(&I::LocalGet(1));
                f.instruction(&I::I64Const(0));
                f.instruction(&I::I64Ne);
                f.instruction(&I::Return);
                f.instruction(&I::End);
                f.instruction(&I::LocalGet(0));
                f.instruction(&I::LocalGet(1));
                f.instruction(&I::Call(self.rt.func("ny_truthy")));
                f.instruction(&I::End);
                (ty, f)
            }
            Helper::Method(name, argc) => self.method_helper(name, argc),
            Helper::FieldGet(name) => self.field_helper(name, false),
            Helper::FieldSet(name) => self.field_helper(name, true),
            Helper::Static(class) => {
                let ty = self.ty(vec![], vec![ValType::I32]);
                let g = self.static_globals[&class];
                let mut f = Function::new([]);
                f.instruction(&I::GlobalGet(g));
                f.instruction(&I::I32Eqz);
                f.instruction(&I::If(BlockType::Empty));
                f.instruction(&I::I32Const(class as i32));
                f.instruction(&I::Call(self.rt.func("ny_new_instance")));
                f.instruction(&I::GlobalSet(g));
                if let Some(init) = prog.classes[class as usize].static_init {
                    f.instruction(&I::I32Const(TAG_OBJ));
                    f.instruction(&I::GlobalGet(g));
                    f.instruction(&I::I64ExtendI32U);
                    let dup = self.dup_fn();
                    f.instruction(&I::Call(dup));
                    let may = prog.functions[init as usize].may_suspend;
                    let cx = Ctx::plain();
                    self.call_maybe_waiting(&mut f, &cx, self.rt.function_count + init, may);
                    let drop = self.drop_fn();
                    f.instruction(&I::Call(drop));
                }
                f.instruction(&I::End);
                f.instruction(&I::GlobalGet(g));
                f.instruction(&I::End);
                (ty, f)
            }
            Helper::New(class) => {
                let c = &prog.classes[class as usize];
                let argc = c
                    .constructor
                    .map_or(0, |ctor| prog.functions[ctor as usize].arity)
                    as usize;
                let ty = self.ty(pair(argc), pair(1));
                let mut f = Function::new([(1, ValType::I32)]);
                let p = 2 * argc as u32;
                f.instruction(&I::I32Const(class as i32));
                f.instruction(&I::Call(self.rt.func("ny_new_instance")));
                f.instruction(&I::LocalSet(p));
                if let Some(ctor) = c.constructor {
                    f.instruction(&I::I32Const(TAG_OBJ));
                    f.instruction(&I::LocalGet(p));
                    f.instruction(&I::I64ExtendI32U);
                    let dup = self.dup_fn();
                    f.instruction(&I::Call(dup));
                    for i in 0..2 * argc as u32 {
                        f.instruction(&I::LocalGet(i));
                    }
                    let may = prog.functions[ctor as usize].may_suspend;
                    let cx = Ctx::plain();
                    self.call_maybe_waiting(&mut f, &cx, self.rt.function_count + ctor, may);
                    let drop = self.drop_fn();
                    f.instruction(&I::Call(drop));
                }
                f.instruction(&I::I32Const(TAG_OBJ));
                f.instruction(&I::LocalGet(p));
                f.instruction(&I::I64ExtendI32U);
                f.instruction(&I::End);
                (ty, f)
            }
            Helper::NewBuiltin(argc) => {
                let mut params = vec![ValType::I32, ValType::I32];
                params.extend(pair(argc as usize));
                let ty = self.ty(params, pair(1));
                let mut f = Function::new([(1, ValType::I64)]);
                self.store_args(&mut f, 2, argc);
                f.instruction(&I::LocalGet(0));
                f.instruction(&I::LocalGet(1));
                f.instruction(&I::I32Const(argc as i32));
                f.instruction(&I::Call(self.rt.func("ny_new_builtin")));
                let tmp = 2 + 2 * argc;
                f.instruction(&I::LocalSet(tmp));
                f.instruction(&I::I32Const(state));
                f.instruction(&I::I32Load(mem(OFF_RET_TAG, 2)));
                f.instruction(&I::LocalGet(tmp));
                f.instruction(&I::End);
                (ty, f)
            }
            Helper::Callback => self.callback_helper(),
        }
    }

    /// Stores `argc` value params (starting at local `first`) into `NY_STATE.args`.
    fn store_args(&mut self, f: &mut Function, first: u32, argc: u32) {
        let state = self.rt.state_addr as i32;
        for i in 0..argc {
            f.instruction(&I::I32Const(state));
            f.instruction(&I::LocalGet(first + 2 * i));
            f.instruction(&I::I32Store(mem(OFF_ARGS + 16 * i as u64, 2)));
            f.instruction(&I::I32Const(state));
            f.instruction(&I::LocalGet(first + 2 * i + 1));
            f.instruction(&I::I64Store(mem(OFF_ARGS + 16 * i as u64 + 8, 3)));
        }
    }

    /// Loads the class id of an instance in params (0, 1) into `class_local`, or -1 when
    /// the value is not an instance.
    fn class_of(&mut self, f: &mut Function, class_local: u32) {
        f.instruction(&I::I32Const(-1));
        f.instruction(&I::LocalSet(class_local));
        f.instruction(&I::LocalGet(0));
        f.instruction(&I::I32Const(TAG_OBJ));
        f.instruction(&I::I32Eq);
        f.instruction(&I::If(BlockType::Empty));
        f.instruction(&I::LocalGet(1));
        f.instruction(&I::I32WrapI64);
        f.instruction(&I::I32Load(mem(OFF_KIND, 2)));
        f.instruction(&I::LocalSet(class_local));
        f.instruction(&I::LocalGet(class_local));
        f.instruction(&I::I32Const(0xff));
        f.instruction(&I::I32And);
        f.instruction(&I::I32Const(KIND_INSTANCE));
        f.instruction(&I::I32Eq);
        f.instruction(&I::If(BlockType::Empty));
        f.instruction(&I::LocalGet(class_local));
        f.instruction(&I::I32Const(8));
        f.instruction(&I::I32ShrU);
        f.instruction(&I::LocalSet(class_local));
        f.instruction(&I::Else);
        f.instruction(&I::I32Const(-1));
        f.instruction(&I::LocalSet(class_local));
        f.instruction(&I::End);
        f.instruction(&I::End);
    }

    fn method_helper(&mut self, name: StrId, argc: u32) -> (u32, Function) {
        let prog = self.prog;
        let state = self.rt.state_addr as i32;
        let ty = self.ty(pair(argc as usize + 1), pair(1));
        let class_local = 2 + 2 * argc;
        let tmp = class_local + 1;
        let mut f = Function::new([(1, ValType::I32), (1, ValType::I64)]);
        let mname = prog.strings[name as usize].clone();
        if self.method_may_suspend(name, argc) {
            self.method_resume(&mut f, &mname, argc, class_local, tmp);
        }
        self.class_of(&mut f, class_local);
        let drop = self.drop_fn();
        if mname == "fini" && argc == 0 {
            f.instruction(&I::LocalGet(class_local));
            f.instruction(&I::I32Const(0));
            f.instruction(&I::I32GeS);
            f.instruction(&I::If(BlockType::Empty));
            f.instruction(&I::LocalGet(0));
            f.instruction(&I::LocalGet(1));
            f.instruction(&I::Call(self.rt.func("ny_fini")));
            f.instruction(&I::I32Const(TAG_VOID));
            f.instruction(&I::I64Const(0));
            f.instruction(&I::Return);
            f.instruction(&I::End);
        }
        for (cid, class) in prog.classes.iter().enumerate() {
            let Some(&m) = class.methods.get(&mname) else {
                continue;
            };
            f.instruction(&I::LocalGet(class_local));
            f.instruction(&I::I32Const(cid as i32));
            f.instruction(&I::I32Eq);
            f.instruction(&I::If(BlockType::Empty));
            if prog.functions[m as usize].arity == argc {
                for i in 0..2 * (argc + 1) {
                    f.instruction(&I::LocalGet(i));
                }
                f.instruction(&I::Call(self.rt.function_count + m));
            } else {
                for i in 0..=argc {
                    f.instruction(&I::LocalGet(2 * i));
                    f.instruction(&I::LocalGet(2 * i + 1));
                    f.instruction(&I::Call(drop));
                }
                let msg = format!(
                    "Method {mname} expects {} arguments, got {argc}",
                    prog.functions[m as usize].arity
                );
                let (p, l) = self.string(&msg);
                f.instruction(&I::I32Const(p as i32));
                f.instruction(&I::I32Const(l as i32));
                f.instruction(&I::Call(self.rt.func("ny_raise")));
                f.instruction(&I::I32Const(TAG_VOID));
                f.instruction(&I::I64Const(0));
            }
            f.instruction(&I::Return);
            f.instruction(&I::End);
        }
        self.store_args(&mut f, 2, argc);
        let (p, l) = self.string(&mname);
        f.instruction(&I::LocalGet(0));
        f.instruction(&I::LocalGet(1));
        f.instruction(&I::I32Const(p as i32));
        f.instruction(&I::I32Const(l as i32));
        f.instruction(&I::I32Const(argc as i32));
        f.instruction(&I::Call(self.rt.func("ny_call")));
        f.instruction(&I::LocalSet(tmp));
        f.instruction(&I::I32Const(state));
        f.instruction(&I::I32Load(mem(OFF_RET_TAG, 2)));
        f.instruction(&I::LocalGet(tmp));
        f.instruction(&I::End);
        (ty, f)
    }

    /// Dispatcher prologue for a method that may suspend: when the task is resuming, the
    /// receiver is a placeholder, so go by the frame the callee saved (or, when there is
    /// none, the wait was the runtime's own: a FutureBox `get()` or a `sleep`).
    fn method_resume(&mut self, f: &mut Function, mname: &str, argc: u32, fid: u32, tmp: u32) {
        let prog = self.prog;
        let state = self.rt.state_addr as i32;
        f.instruction(&I::I32Const(state));
        f.instruction(&I::I32Load(mem(OFF_REWINDING, 2)));
        f.instruction(&I::If(BlockType::Empty));
        f.instruction(&I::Call(self.rt.func("ny_frame_top")));
        f.instruction(&I::LocalTee(fid));
        f.instruction(&I::I32Const(-1));
        f.instruction(&I::I32Eq);
        f.instruction(&I::If(BlockType::Empty));
        f.instruction(&I::Call(self.rt.func("ny_resume_leaf")));
        f.instruction(&I::LocalSet(tmp));
        f.instruction(&I::I32Const(state));
        f.instruction(&I::I32Load(mem(OFF_RET_TAG, 2)));
        f.instruction(&I::LocalGet(tmp));
        f.instruction(&I::Return);
        f.instruction(&I::End);
        let mut seen = std::collections::BTreeSet::new();
        for class in &prog.classes {
            let Some(&m) = class.methods.get(mname) else {
                continue;
            };
            if prog.functions[m as usize].arity != argc || !seen.insert(m) {
                continue;
            }
            f.instruction(&I::LocalGet(fid));
            f.instruction(&I::I32Const(2 * m as i32));
            f.instruction(&I::I32Eq);
            f.instruction(&I::If(BlockType::Empty));
            for _ in 0..=argc {
                self.placeholder(f, LocalTy::Dyn);
            }
            f.instruction(&I::Call(self.rt.function_count + m));
            f.instruction(&I::Return);
            f.instruction(&I::End);
        }
        f.instruction(&I::Unreachable);
        f.instruction(&I::End);
    }

    /// `$fget(obj) -> value` or `$fset(value, obj)`.
    fn field_helper(&mut self, name: StrId, set: bool) -> (u32, Function) {
        let prog = self.prog;
        // Access from outside `me` to a field some box declares private (R8).
        let (name, outside) = match prog.outside_fields.get(&name) {
            Some(&real) => (real, true),
            None => (name, false),
        };
        let fname = prog.strings[name as usize].clone();
        // Params: get (t, b); set (vt, vb, t, b) — the object is moved to locals 0/1 form by
        // reading it from 2/3.
        let (ty, obj) = if set {
            (self.ty(pair(2), vec![]), 2u32)
        } else {
            (self.ty(pair(1), pair(1)), 0u32)
        };
        let class_local = if set { 4 } else { 2 };
        let mut f = Function::new([(1, ValType::I32), (1, ValType::I32), (1, ValType::I64)]);
        let ptr = class_local + 1;
        let tmp64 = class_local + 2;
        let drop = self.drop_fn();
        let dup = self.dup_fn();
        // class_of reads locals 0/1; for setters copy the object there is not possible, so
        // compute it inline here.
        f.instruction(&I::I32Const(-1));
        f.instruction(&I::LocalSet(class_local));
        f.instruction(&I::LocalGet(obj));
        f.instruction(&I::I32Const(TAG_OBJ));
        f.instruction(&I::I32Eq);
        f.instruction(&I::If(BlockType::Empty));
        f.instruction(&I::LocalGet(obj + 1));
        f.instruction(&I::I32WrapI64);
        f.instruction(&I::LocalTee(ptr));
        f.instruction(&I::I32Load(mem(OFF_KIND, 2)));
        f.instruction(&I::LocalSet(class_local));
        f.instruction(&I::LocalGet(class_local));
        f.instruction(&I::I32Const(0xff));
        f.instruction(&I::I32And);
        f.instruction(&I::I32Const(KIND_INSTANCE));
        f.instruction(&I::I32Eq);
        f.instruction(&I::If(BlockType::Empty));
        f.instruction(&I::LocalGet(class_local));
        f.instruction(&I::I32Const(8));
        f.instruction(&I::I32ShrU);
        f.instruction(&I::LocalSet(class_local));
        f.instruction(&I::Else);
        f.instruction(&I::I32Const(-1));
        f.instruction(&I::LocalSet(class_local));
        f.instruction(&I::End);
        f.instruction(&I::End);
        for (cid, class) in prog.classes.iter().enumerate() {
            let Some(slot) = class.fields.iter().position(|x| *x == fname) else {
                continue;
            };
            let off = 16 + 16 * slot as u64;
            f.instruction(&I::LocalGet(class_local));
            f.instruction(&I::I32Const(cid as i32));
            f.instruction(&I::I32Eq);
            f.instruction(&I::If(BlockType::Empty));
            if outside && class.private[slot] {
                // Release the value (setters) and the object, then raise.
                if set {
                    f.instruction(&I::LocalGet(0));
                    f.instruction(&I::LocalGet(1));
                    f.instruction(&I::Call(drop));
                }
                f.instruction(&I::LocalGet(obj));
                f.instruction(&I::LocalGet(obj + 1));
                f.instruction(&I::Call(drop));
                let msg = format!("Field '{fname}' is private in {}", class.name);
                let (p, l) = self.string(&msg);
                f.instruction(&I::I32Const(p as i32));
                f.instruction(&I::I32Const(l as i32));
                f.instruction(&I::Call(self.rt.func("ny_raise")));
                if !set {
                    f.instruction(&I::I32Const(TAG_VOID));
                    f.instruction(&I::I64Const(0));
                }
            } else if class.weak[slot] {
                // R15: the runtime keeps weak slots (no strong count; null once finalized).
                f.instruction(&I::LocalGet(ptr));
                f.instruction(&I::I32Const(slot as i32));
                if set {
                    f.instruction(&I::LocalGet(0));
                    f.instruction(&I::LocalGet(1));
                    f.instruction(&I::Call(self.rt.func("ny_weak_set")));
                    f.instruction(&I::LocalGet(2));
                    f.instruction(&I::LocalGet(3));
                    f.instruction(&I::Call(drop));
                } else {
                    f.instruction(&I::Call(self.rt.func("ny_weak_get")));
                    f.instruction(&I::LocalSet(tmp64));
                    f.instruction(&I::I32Const(self.rt.state_addr as i32));
                    f.instruction(&I::I32Load(mem(OFF_RET_TAG, 2)));
                    f.instruction(&I::LocalGet(tmp64));
                    f.instruction(&I::LocalGet(0));
                    f.instruction(&I::LocalGet(1));
                    f.instruction(&I::Call(drop));
                }
            } else if set {
                // old value
                f.instruction(&I::LocalGet(ptr));
                f.instruction(&I::I32Load(mem(off, 2)));
                f.instruction(&I::LocalGet(ptr));
                f.instruction(&I::I64Load(mem(off + 8, 3)));
                f.instruction(&I::LocalGet(ptr));
                f.instruction(&I::LocalGet(0));
                f.instruction(&I::I32Store(mem(off, 2)));
                f.instruction(&I::LocalGet(ptr));
                f.instruction(&I::LocalGet(1));
                f.instruction(&I::I64Store(mem(off + 8, 3)));
                f.instruction(&I::Call(drop));
                f.instruction(&I::LocalGet(2));
                f.instruction(&I::LocalGet(3));
                f.instruction(&I::Call(drop));
            } else {
                f.instruction(&I::LocalGet(ptr));
                f.instruction(&I::I32Load(mem(off, 2)));
                f.instruction(&I::LocalGet(ptr));
                f.instruction(&I::I64Load(mem(off + 8, 3)));
                f.instruction(&I::Call(dup));
                f.instruction(&I::LocalGet(0));
                f.instruction(&I::LocalGet(1));
                f.instruction(&I::Call(drop));
            }
            f.instruction(&I::Return);
            f.instruction(&I::End);
        }
        if set {
            f.instruction(&I::LocalGet(0));
            f.instruction(&I::LocalGet(1));
            f.instruction(&I::Call(drop));
        }
        let (p, l) = self.string(&fname);
        f.instruction(&I::LocalGet(obj));
        f.instruction(&I::LocalGet(obj + 1));
        f.instruction(&I::I32Const(p as i32));
        f.instruction(&I::I32Const(l as i32));
        f.instruction(&I::Call(self.rt.func("ny_err_field")));
        if !set {
            f.instruction(&I::I32Const(TAG_VOID));
            f.instruction(&I::I64Const(0));
        }
        f.instruction(&I::End);
        (ty, f)
    }

    /// Callback helper: moves the pair on the stack into `ret_tag`/`ret_bits`, through the
    /// scratch locals `tag` (i32) and `bits` (i64).
    fn store_result(&mut self, f: &mut Function, tag: u32, bits: u32) {
        let state = self.rt.state_addr as i32;
        f.instruction(&I::LocalSet(bits));
        f.instruction(&I::LocalSet(tag));
        f.instruction(&I::I32Const(state));
        f.instruction(&I::LocalGet(tag));
        f.instruction(&I::I32Store(mem(OFF_RET_TAG, 2)));
        f.instruction(&I::I32Const(state));
        f.instruction(&I::LocalGet(bits));
        f.instruction(&I::I64Store(mem(OFF_RET_BITS, 3)));
    }

    /// `$callback(obj, which)`: runs `toString` (0) or `fini` (1) of an instance for the
    /// runtime, leaving the result in `NY_STATE.ret_tag`/`ret_bits`.
    fn callback_helper(&mut self) -> (u32, Function) {
        let prog = self.prog;
        let state = self.rt.state_addr as i32;
        let ty = self.ty(vec![ValType::I32, ValType::I32], vec![]);
        let mut f = Function::new([(1, ValType::I32), (1, ValType::I64)]);
        let (class, bits) = (2, 3);
        let dup = self.dup_fn();
        let drop = self.drop_fn();
        f.instruction(&I::LocalGet(0));
        f.instruction(&I::I32Load(mem(OFF_KIND, 2)));
        f.instruction(&I::I32Const(8));
        f.instruction(&I::I32ShrU);
        f.instruction(&I::LocalSet(class));
        f.instruction(&I::I32Const(state));
        f.instruction(&I::I32Const(TAG_VOID));
        f.instruction(&I::I32Store(mem(OFF_RET_TAG, 2)));
        for (which, mname) in [
            (callback::TO_STRING as i32, "toString"),
            (callback::FINI as i32, "fini"),
        ] {
            for (cid, c) in prog.classes.iter().enumerate() {
                let Some(&m) = c.methods.get(mname) else {
                    continue;
                };
                if prog.functions[m as usize].arity != 0 {
                    continue;
                }
                f.instruction(&I::LocalGet(1));
                f.instruction(&I::I32Const(which));
                f.instruction(&I::I32Eq);
                f.instruction(&I::LocalGet(class));
                f.instruction(&I::I32Const(cid as i32));
                f.instruction(&I::I32Eq);
                f.instruction(&I::I32And);
                f.instruction(&I::If(BlockType::Empty));
                f.instruction(&I::I32Const(TAG_OBJ));
                f.instruction(&I::LocalGet(0));
                f.instruction(&I::I64ExtendI32U);
                f.instruction(&I::Call(dup));
                let may = prog.functions[m as usize].may_suspend;
                let cx = Ctx::plain();
                self.call_maybe_waiting(&mut f, &cx, self.rt.function_count + m, may);
                if which == callback::TO_STRING as i32 {
                    self.store_result(&mut f, class, bits);
                } else {
                    // `fini`'s value is dropped here; the result slot says Void, never a
                    // value some call inside `fini` returned and that was released already.
                    f.instruction(&I::Call(drop));
                    f.instruction(&I::I32Const(state));
                    f.instruction(&I::I32Const(TAG_VOID));
                    f.instruction(&I::I32Store(mem(OFF_RET_TAG, 2)));
                }
                f.instruction(&I::Return);
                f.instruction(&I::End);
            }
        }
        // Run (or resume) a task: its function takes the captured values.
        for (kind, &fid) in prog.tasks.iter().enumerate() {
            let arity = prog.functions[fid as usize].arity;
            f.instruction(&I::LocalGet(1));
            f.instruction(&I::I32Const(CALLBACK_RUN_TASK));
            f.instruction(&I::I32Eq);
            f.instruction(&I::LocalGet(0));
            f.instruction(&I::Call(self.rt.func("ny_task_kind")));
            f.instruction(&I::I32Const(kind as i32));
            f.instruction(&I::I32Eq);
            f.instruction(&I::I32And);
            f.instruction(&I::If(BlockType::Empty));
            for i in 0..arity {
                f.instruction(&I::LocalGet(0));
                f.instruction(&I::I32Const(i as i32));
                f.instruction(&I::Call(self.rt.func("ny_task_arg")));
                f.instruction(&I::LocalSet(bits));
                f.instruction(&I::I32Const(state));
                f.instruction(&I::I32Load(mem(OFF_RET_TAG, 2)));
                f.instruction(&I::LocalGet(bits));
            }
            f.instruction(&I::Call(self.rt.function_count + fid));
            self.store_result(&mut f, class, bits);
            f.instruction(&I::Return);
            f.instruction(&I::End);
        }
        f.instruction(&I::End);
        (ty, f)
    }
}

/// How many operands of `e` (and of the expressions inside it) can be pending at once: an
/// upper bound on [`Ctx::pending`] while `e` is evaluated.
fn expr_pending(e: &Expr) -> u32 {
    if let Expr::And(a, b) | Expr::Or(a, b) = e {
        // The right side runs after the left one was consumed.
        return expr_pending(a).max(expr_pending(b));
    }
    let ops = crate::ir::suspend::children(e);
    let n = ops.len() as u32;
    ops.iter()
        .enumerate()
        .map(|(i, o)| i as u32 + 1 + expr_pending(o))
        .max()
        .unwrap_or(0)
        .max(n)
}

/// [`expr_pending`] over a statement and the statements inside it.
fn stmt_pending(s: &Stmt) -> u32 {
    let block = |b: &[Stmt]| b.iter().map(stmt_pending).max().unwrap_or(0);
    match s {
        Stmt::Expr(e)
        | Stmt::ResultOf(e)
        | Stmt::SetLocal(_, e)
        | Stmt::SetGlobal(_, e)
        | Stmt::Return(e)
        | Stmt::Print(e, _)
        | Stmt::Throw(e, _) => expr_pending(e),
        Stmt::Suspend { call, .. } => expr_pending(call),
        Stmt::SetField { obj, value, .. } => (1 + expr_pending(obj)).max(expr_pending(value)) + 1,
        Stmt::If(c, t, e) => expr_pending(c).max(block(t)).max(block(e)),
        Stmt::Loop(c, b) => c.as_ref().map_or(0, expr_pending).max(block(b)),
        Stmt::Try {
            body,
            catches,
            finally,
        } => block(body)
            .max(catches.iter().map(|c| block(&c.body)).max().unwrap_or(0))
            .max(block(finally)),
        Stmt::Break | Stmt::Continue | Stmt::Include(..) | Stmt::Release(_) => 0,
    }
}
