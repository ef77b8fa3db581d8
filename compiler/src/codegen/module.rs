//! The module-level context of code generation: where each piece of the program lives in
//! the merged module.
//!
//! [`ModuleCx`] owns the index spaces the program adds to the runtime's (types, functions,
//! globals), the data segment with its interned strings, the globals of Nyash variables,
//! string literals, static boxes and includes, and the queue of synthesized helper
//! functions ([`super::helpers`]). [`ModuleCx::emit`] drives the whole program: it reserves
//! every user function's index, emits the bodies through a per-function
//! [`super::frame::FnCx`], then `_start`, then the helpers until the queue is empty.
//!
//! Invariants:
//! - an added item's absolute index is the runtime's count plus its position, so no runtime
//!   index moves (see [`super::merge`]);
//! - indices, types and strings are handed out in the order they are first asked for, and
//!   nothing iterates a hash map, so the module is the same bytes for the same program;
//! - user functions take the first function indices, in IR order, then their specialised
//!   versions; helpers are reserved on first use and all defined before [`ModuleCx::emit`]
//!   returns.

use std::collections::HashMap;

use wasm_encoder::{BlockType, ConstExpr, Function, GlobalType, ValType};

use super::frame::FnCx;
use super::helpers::Helper;
use super::idioms::{pairs, valtypes, Idioms, OFF_PENDING, TAG_OBJ, TAG_UNSET};
use super::merge::Addition;
use super::runtime::RuntimeInfo;
use crate::ir::{ClassId, FuncId, Program, StrId};

/// Where each piece of the program lives in the merged module.
pub struct ModuleCx<'p> {
    /// The program being emitted.
    pub(super) prog: &'p Program,
    /// Facts about the runtime the program is appended to.
    pub(super) rt: RuntimeInfo,
    /// [`super::Options::optimize`].
    pub(super) optimize: bool,
    /// Whether `$drop` decrements reference counts inline, calling the runtime only for
    /// the last reference: optimising, and not with the memory-checking runtime, whose
    /// `release` checks that the object is still live.
    pub(super) inline_release: bool,
    types: HashMap<(Vec<ValType>, Vec<ValType>), u32>,
    type_list: Vec<(Vec<ValType>, Vec<ValType>)>,
    /// Bodies of added functions, by position (absolute index = runtime count + position).
    bodies: Vec<Option<(u32, Function)>>,
    helpers: HashMap<String, u32>,
    /// Helpers reserved but not emitted yet.
    queued_helpers: Vec<(u32, Helper)>,
    globals: Vec<(GlobalType, ConstExpr)>,
    data: Vec<u8>,
    data_base: u32,
    strings: HashMap<String, (u32, u32)>,
    /// Global index of each string literal's object pointer.
    pub(super) str_globals: HashMap<StrId, u32>,
    /// Global index (tag; bits is +1) of each Nyash global.
    pub(super) var_globals: Vec<u32>,
    /// Global index of each static box's singleton pointer.
    pub(super) static_globals: HashMap<ClassId, u32>,
    /// Global index of each file's "top level already ran" flag.
    pub(super) include_globals: HashMap<u32, u32>,
    /// Function index of each specialised version.
    pub(super) spec_index: HashMap<FuncId, u32>,
}

impl<'p> ModuleCx<'p> {
    /// Prepares to emit `prog` on top of the runtime described by `rt`.
    pub fn new(prog: &'p Program, rt: RuntimeInfo, options: super::Options) -> ModuleCx<'p> {
        let data_base = (rt.memory_min_pages * 65536) as u32;
        ModuleCx {
            prog,
            rt,
            optimize: options.optimize,
            inline_release: options.optimize && options.runtime == super::GuestRuntime::Standard,
            types: HashMap::new(),
            type_list: Vec::new(),
            bodies: Vec::new(),
            helpers: HashMap::new(),
            queued_helpers: Vec::new(),
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

    /// The index of the function type `params -> results`, added on first use.
    pub(super) fn ty(&mut self, params: Vec<ValType>, results: Vec<ValType>) -> u32 {
        let key = (params, results);
        if let Some(&t) = self.types.get(&key) {
            return t;
        }
        let t = self.rt.type_count + self.type_list.len() as u32;
        self.type_list.push(key.clone());
        self.types.insert(key, t);
        t
    }

    /// A block type whose results are `results`, through a function type.
    pub(super) fn block_type(&mut self, results: Vec<ValType>) -> BlockType {
        BlockType::FunctionType(self.ty(vec![], results))
    }

    /// Reserves the next function index; [`Self::define`] gives it a body later.
    pub(super) fn reserve(&mut self) -> u32 {
        self.bodies.push(None);
        self.rt.function_count + self.bodies.len() as u32 - 1
    }

    /// Gives the reserved function `index` its type and body.
    pub(super) fn define(&mut self, index: u32, ty: u32, f: Function) {
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

    /// Places a string in the data segment (once); returns its address and length.
    pub(super) fn string(&mut self, s: &str) -> (u32, u32) {
        if let Some(&r) = self.strings.get(s) {
            return r;
        }
        let addr = self.data_base + self.data.len() as u32;
        self.data.extend_from_slice(s.as_bytes());
        let r = (addr, s.len() as u32);
        self.strings.insert(s.to_string(), r);
        r
    }

    /// The index of the helper called `key`, reserved and queued on first use.
    pub(super) fn helper(&mut self, key: String, h: Helper) -> u32 {
        if let Some(&f) = self.helpers.get(&key) {
            return f;
        }
        let f = self.reserve();
        self.helpers.insert(key, f);
        self.queued_helpers.push((f, h));
        f
    }

    /// `$drop(value)`: releases a value.
    pub(super) fn drop_fn(&mut self) -> u32 {
        self.helper("drop".into(), Helper::Drop)
    }

    /// `$dup(value) -> value`: adds a reference.
    pub(super) fn dup_fn(&mut self) -> u32 {
        self.helper("dup".into(), Helper::Dup)
    }

    /// `$truthy(value) -> i32`: R6 truthiness.
    pub(super) fn truthy_fn(&mut self) -> u32 {
        self.helper("truthy".into(), Helper::Truthy)
    }

    /// The absolute index of the generic version of user function `id`.
    pub(super) fn user_fn(&self, id: FuncId) -> u32 {
        self.rt.function_count + id
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
        for _ in &prog.globals {
            let t = self.global(ValType::I32, ConstExpr::i32_const(TAG_UNSET));
            self.global(ValType::I64, ConstExpr::i64_const(0));
            self.var_globals.push(t);
        }
        for i in 0..prog.strings.len() {
            let g = self.global(ValType::I32, ConstExpr::i32_const(0));
            self.str_globals.insert(i as StrId, g);
        }
        for (i, c) in prog.classes.iter().enumerate() {
            if c.is_static {
                let g = self.global(ValType::I32, ConstExpr::i32_const(0));
                self.static_globals.insert(i as ClassId, g);
            }
        }
        for file in 0..prog.top_levels.len() {
            let g = self.global(ValType::I32, ConstExpr::i32_const(0));
            self.include_globals.insert(file as u32, g);
        }
        for (i, f) in prog.functions.iter().enumerate() {
            let index = self.user_fn(i as FuncId);
            let nparams = f.arity as usize + usize::from(f.has_me);
            let ty = self.ty(pairs(nparams), pairs(1));
            let body = FnCx::function(&mut self, i as FuncId, false);
            self.define(index, ty, body);
            if let Some(spec) = &f.spec {
                let mut params: Vec<ValType> = spec.locals[..nparams]
                    .iter()
                    .flat_map(|&t| valtypes(t))
                    .collect();
                params.push(ValType::I32);
                let ty = self.ty(params, valtypes(spec.ret));
                let body = FnCx::function(&mut self, i as FuncId, true);
                self.define(self.spec_index[&(i as FuncId)], ty, body);
            }
        }
        let callback = self.helper("callback".into(), Helper::Callback);
        let start = self.start();
        while let Some((f, h)) = self.queued_helpers.pop() {
            let (ty, body) = h.emit(&mut self);
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
            unreachable: Vec::new(),
        }
    }

    /// `_start`: registers the classes and string literals with the runtime, runs the
    /// entry file's top level, then `main`, reporting an uncaught error after each.
    fn start(&mut self) -> u32 {
        let prog = self.prog;
        let index = self.reserve();
        let ty = self.ty(vec![], vec![]);
        let table_index = super::merge::table_base(&self.rt);
        let mut cx = FnCx::plain(self, [(1, ValType::I32)]);
        cx.ins().i32_const(table_index as i32);
        cx.call_rt("ny_init");
        for (i, c) in prog.classes.iter().enumerate() {
            let flags = i32::from(c.methods.contains_key("toString"))
                | (i32::from(c.methods.contains_key("fini")) << 1);
            cx.ins().i32_const(i as i32);
            cx.push_str(&c.name);
            cx.ins().i32_const(c.fields.len() as i32).i32_const(flags);
            cx.call_rt("ny_class");
            if let Some(b) = &c.builtin {
                let slot = c.fields.len() as i32 - 1;
                cx.ins().i32_const(i as i32).i32_const(slot);
                cx.push_str(b);
                cx.call_rt("ny_class_builtin");
            }
            for (slot, _) in c.weak.iter().enumerate().filter(|(_, w)| **w) {
                cx.ins().i32_const(i as i32).i32_const(slot as i32);
                cx.call_rt("ny_class_weak");
            }
        }
        for (i, s) in prog.strings.iter().enumerate() {
            cx.push_str(s);
            cx.call_rt("ny_str_static");
            let g = cx.m.str_globals[&(i as StrId)];
            cx.ins().global_set(g);
        }
        let drop = cx.m.drop_fn();
        let uncaught = |cx: &mut FnCx| {
            let state = cx.state();
            cx.ins().state_load(state, OFF_PENDING);
            cx.if_(BlockType::Empty, |cx| cx.call_rt("ny_uncaught"));
        };
        if let Some(&top) = prog.top_levels.first() {
            let (flag, top) = (cx.m.include_globals[&0], cx.m.user_fn(top));
            cx.ins().i32_const(1).global_set(flag).call(top).call(drop);
            uncaught(&mut cx);
        }
        if let Some((main, class, takes_args)) = prog.main {
            let st = cx.m.helper(format!("static{class}"), Helper::Static(class));
            cx.ins().call(st).local_set(0);
            uncaught(&mut cx);
            let dup = cx.m.dup_fn();
            cx.ins().obj_from_local(0).call(dup);
            if takes_args {
                cx.ins().i32_const(TAG_OBJ);
                cx.call_rt("ny_main_args");
                cx.ins().i64_extend_i32_u();
            }
            let main = cx.m.user_fn(main);
            cx.ins().call(main).call(drop);
            uncaught(&mut cx);
        }
        cx.call_rt("ny_finish");
        let f = cx.finish();
        self.define(index, ty, f);
        index
    }
}
