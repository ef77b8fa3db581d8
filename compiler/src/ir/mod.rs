//! The compiler's intermediate representation, between the resolved AST and WebAssembly.
//!
//! The IR is a tree of statements and expressions per function, with every name resolved
//! (locals are slots, globals and functions are ids, boxes are class ids), every string
//! interned, and every operation that can raise tagged with a [`SiteId`] naming its source
//! location. Control flow is structured (`If`, `Loop`, `Try`), as in WebAssembly.
//!
//! Keeping this layer lets later passes work on Nyash semantics without WebAssembly
//! details. [`build`] runs them in order ([`Pass`]): lowering from the resolved AST, the
//! async lowering, which makes every function that may wait resumable (it saves its locals
//! in a heap frame and re-enters at its suspend point), type inference to unbox
//! Int/Float/Bool locals ([`LocalTy`]), and the effects of specialised versions. Passes reach
//! the nodes below a node through [`visit`]; [`print`] shows the IR as text. See
//! `docs/compiler.md`.

pub mod effects;
pub mod infer;
pub mod lower;
pub mod print;
pub mod suspend;
pub mod visit;

use std::collections::{BTreeMap, HashMap};

use crate::load::Checked;

/// The passes that build a program's IR, in the order [`build`] runs them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pass {
    /// [`lower::lower`]: the resolved AST to IR.
    Lower,
    /// [`suspend::lower_async`]: tasks and resumable functions.
    Async,
    /// [`infer::infer`]: unboxed representations and specialised versions.
    Infer,
    /// [`effects::effects`]: which specialised versions are isolated or may raise.
    Effects,
}

impl Pass {
    /// Every pass, in order.
    pub const ALL: [Pass; 4] = [Pass::Lower, Pass::Async, Pass::Infer, Pass::Effects];

    /// The pass's name, as in snapshot file names.
    pub fn name(self) -> &'static str {
        match self {
            Pass::Lower => "lower",
            Pass::Async => "async",
            Pass::Infer => "infer",
            Pass::Effects => "effects",
        }
    }
}

/// The IR of a program that checked without errors, ready for code generation.
pub fn build(checked: &Checked) -> Program {
    build_observed(checked, &mut |_, _| {})
}

/// Whether the program makes (`new`) one of the builtin boxes `names`.
pub fn makes_any_box(prog: &Program, names: &[&str]) -> bool {
    fn block(b: &[Stmt], hit: &mut dyn FnMut(&Expr) -> bool) -> bool {
        b.iter().any(|s| {
            let mut inner = false;
            visit::for_each_block(s, |b| inner = inner || block(b, hit));
            inner || visit::stmt_exprs(s).any(|e| visit::any_written(e, hit))
        })
    }
    let mut hit = |e: &Expr| match e {
        Expr::NewBuiltin(name, ..) => names.contains(&prog.strings[*name as usize].as_str()),
        _ => false,
    };
    prog.functions.iter().any(|f| block(&f.body, &mut hit))
}

/// [`build`], showing `observe` the program after each pass.
pub fn build_observed(checked: &Checked, observe: &mut dyn FnMut(Pass, &Program)) -> Program {
    // Every name is resolved, every string interned, every operation that can raise has a
    // site. Every local is `Dyn`; no function has a `spec`; `nowait` is an `Expr::Spawn`.
    let mut prog = lower::lower(checked);
    observe(Pass::Lower, &prog);
    // No `Spawn` is left: each is an `Expr::Task` whose function is in `Program::tasks`.
    // `may_suspend` is final; in a resumable function every call that may suspend is a
    // `Stmt::Suspend` with nothing pending on the operand stack, and every statement is
    // guarded by `Expr::Resuming`. Passes after this one add no call that may suspend.
    suspend::lower_async(&mut prog);
    observe(Pass::Async, &prog);
    // Every local slot has its representation in each version; every assignment agrees
    // with its slot's type; `generic_used` is final. Bodies are not changed after this.
    infer::infer(&mut prog);
    observe(Pass::Infer, &prog);
    // `Spec::isolated` and `Spec::may_raise` are final.
    effects::effects(&mut prog);
    observe(Pass::Effects, &prog);
    prog
}

/// Index into [`Program::functions`].
pub type FuncId = u32;
/// Index into [`Program::classes`]: the class id stored in instance headers.
pub type ClassId = u32;
/// Index into [`Program::strings`].
pub type StrId = u32;
/// Index into [`Program::sites`].
pub type SiteId = u32;

/// A whole program.
#[derive(Debug, Default)]
pub struct Program {
    /// Every function (global functions, methods, constructors, static initializers, file
    /// top levels).
    pub functions: Vec<Function>,
    /// Every user box, static or not.
    pub classes: Vec<Class>,
    /// Global variables by index.
    pub globals: Vec<String>,
    /// Interned strings: literals, method and field names, messages.
    pub strings: Vec<String>,
    /// Source locations for error traces: `file:line:col in function`.
    pub sites: Vec<String>,
    /// The top-level function of each file (index = file id).
    pub top_levels: Vec<FuncId>,
    /// Field names used for access from outside `me` when some box declares the field
    /// private (R8): the outside name's id to the field name's id. Access through such a
    /// name raises `Field 'f' is private in C` for the boxes where `f` is private.
    pub outside_fields: BTreeMap<StrId, StrId>,
    /// `static box Main`'s `main`: the function, the class, and whether it takes `args`.
    pub main: Option<(FuncId, ClassId, bool)>,
    /// The body function of every `nowait` task, by task kind ([`Expr::Task`]).
    pub tasks: Vec<FuncId>,
    /// Method names and arities whose call may suspend the calling task (see
    /// [`suspend`]): the builtin waits (`get()`, `sleep(ms)`) and every user method that
    /// may suspend.
    pub suspending_methods: std::collections::BTreeSet<(String, u32)>,
}

/// The hidden field holding the builtin content of a box delegating to a builtin box, and
/// the method name compiled code uses to store it (the runtime handles it).
pub const BUILTIN_CONTENT: &str = "(builtin content)";

/// A user box.
#[derive(Debug, Default, Clone)]
pub struct Class {
    /// The box's name.
    pub name: String,
    /// `static box`.
    pub is_static: bool,
    /// Field names by slot.
    pub fields: Vec<String>,
    /// Per slot: declared `weak` (R15).
    pub weak: Vec<bool>,
    /// Per slot: declared in a `private { }` block (R8).
    pub private: Vec<bool>,
    /// The builtin box this one delegates to (§9.5), if any; its content (set by
    /// `from StringBox.birth(s)`) lives in the last field slot, [`BUILTIN_CONTENT`].
    pub builtin: Option<String>,
    /// Callable methods (own and inherited), by name.
    pub methods: BTreeMap<String, FuncId>,
    /// The constructor.
    pub constructor: Option<FuncId>,
    /// The `static { }` initializer.
    pub static_init: Option<FuncId>,
    /// Classes this one is, for `catch (T e)`: itself and every user ancestor.
    pub ancestors: Vec<ClassId>,
}

/// How a local is represented.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LocalTy {
    /// Any value: a tag and a payload.
    Dyn,
    /// Always an Int: a plain `i64`.
    Int,
    /// Always a Float: a plain `f64`.
    Float,
    /// Always a Bool: a plain `i32` (0 or 1).
    Bool,
}

/// The unboxed version of a function, used by every direct call (see [`infer`]).
#[derive(Debug, Clone)]
pub struct Spec {
    /// Local slots (parameters first) of this version.
    pub locals: Vec<LocalTy>,
    /// What it returns.
    pub ret: LocalTy,
    /// Never runs generic code: only unboxed operations, raising, and direct calls to other
    /// isolated versions. Such a version does not keep `NY_STATE.depth` up to date (it gets
    /// its depth as a parameter), because nothing it runs reads it. Set by [`effects`].
    pub isolated: bool,
    /// Whether a call of this version may leave an error pending (so callers must check
    /// the flag after the call). Set by [`effects`].
    pub may_raise: bool,
    /// The representation of every expression in this version, recorded by [`infer`].
    pub types: Types,
}

/// What [`infer`] decided for every expression of one version of a function: its
/// representation, and for a method call compiled inline, the [`infer::NumMethod`].
///
/// Entries are keyed by the expression's address. That is sound because no pass after
/// `infer` changes a body ([`build`]), and code generation only reads the program; a lookup
/// of an expression `infer` did not see is a compiler bug and panics.
#[derive(Debug, Default, Clone)]
pub struct Types {
    ty: HashMap<usize, LocalTy>,
    inline: HashMap<usize, infer::NumMethod>,
}

fn address(e: &Expr) -> usize {
    e as *const Expr as usize
}

impl Types {
    /// The representation of `e`.
    pub fn of(&self, e: &Expr) -> LocalTy {
        *self
            .ty
            .get(&address(e))
            .expect("ir::infer recorded every expression of this version")
    }

    /// The inline method that computes `e` (a [`Expr::Method`]), if any.
    pub fn inline_method(&self, e: &Expr) -> Option<infer::NumMethod> {
        self.inline.get(&address(e)).copied()
    }

    /// Records what `infer` decided for `e`.
    fn record(&mut self, e: &Expr, ty: LocalTy, inline: Option<infer::NumMethod>) {
        self.ty.insert(address(e), ty);
        if let Some(m) = inline {
            self.inline.insert(address(e), m);
        }
    }
}

/// A function.
#[derive(Debug, Clone)]
pub struct Function {
    /// The name shown in traces (`f`, `Box.method`, empty for a top level).
    pub name: String,
    /// `me` is the first parameter.
    pub has_me: bool,
    /// Number of declared parameters (without `me`).
    pub arity: u32,
    /// How many trailing parameters a method call may leave out (then null): only in the
    /// prelude (`crate::prelude::optional_params`), 0 everywhere else.
    pub optional: u32,
    /// Local slots (parameters first), with their representation.
    pub locals: Vec<LocalTy>,
    /// The body.
    pub body: Vec<Stmt>,
    /// The statement whose value is the implicit result (Part 2 §8.5), if any.
    pub result_of_last: bool,
    /// The specialised version called by direct calls, when it differs from this one.
    pub spec: Option<Spec>,
    /// Whether a call of this function may suspend the calling task (it waits, or calls
    /// something that may); such a function is resumable (see [`suspend`]).
    pub may_suspend: bool,
    /// Number of [`Stmt::Suspend`] points (numbered from 1); 0 for ordinary functions.
    pub resume_points: u32,
    /// Whether the generic version is ever called: by method dispatch, `new`, callbacks,
    /// `main`, static initializers, includes, or by direct calls when there is no `spec`.
    /// Filled in by [`infer`]; a generic version nobody calls is emitted as `unreachable`.
    pub generic_used: bool,
    /// The representation of every expression in the generic version, recorded by
    /// [`infer`].
    pub types: Types,
}

/// A constant.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Const {
    /// Void.
    Void,
    /// `null`.
    Null,
    /// A Bool.
    Bool(bool),
    /// An Int.
    Int(i64),
    /// A Float.
    Float(f64),
    /// A string literal.
    Str(StrId),
}

/// Binary operators that are not short-circuiting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinOp {
    /// `+`
    Add,
    /// `-`
    Sub,
    /// `*`
    Mul,
    /// `/`
    Div,
    /// `%`
    Rem,
    /// `==`
    Eq,
    /// `!=`
    Ne,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
}

/// A `catch` clause.
#[derive(Debug, Clone)]
pub struct Catch {
    /// Classes matched; `None` catches everything (`catch (e)`, `Error`, `ErrorBox`).
    pub classes: Option<Vec<ClassId>>,
    /// The local receiving the error.
    pub var: u32,
    /// The handler.
    pub body: Vec<Stmt>,
}

/// Statements.
#[derive(Debug, Clone)]
pub enum Stmt {
    /// Evaluate and drop.
    Expr(Expr),
    /// Evaluate as the function's implicit result.
    ResultOf(Expr),
    /// `local = value`.
    SetLocal(u32, Expr),
    /// `global = value`.
    SetGlobal(u32, Expr),
    /// `obj.field = value`.
    SetField {
        /// The object.
        obj: Expr,
        /// The field name.
        field: StrId,
        /// The value.
        value: Expr,
        /// Where.
        site: SiteId,
    },
    /// `if`.
    If(Expr, Vec<Stmt>, Vec<Stmt>),
    /// `loop(cond) { }`; `None` loops until `break`.
    Loop(Option<Expr>, Vec<Stmt>),
    /// The end of a statement releases hidden temporary `.0` ([`Expr::Tee`]): it becomes
    /// void. Nothing to do when the slot is unboxed in the version being compiled (the
    /// temporaries it kept were numbers).
    Release(u32),
    /// `break`.
    Break,
    /// `continue`.
    Continue,
    /// `return value`.
    Return(Expr),
    /// `print(value)`.
    Print(Expr, SiteId),
    /// `throw value`.
    Throw(Expr, SiteId),
    /// `try`/`catch`/`finally`.
    Try {
        /// The protected block.
        body: Vec<Stmt>,
        /// Handlers in order.
        catches: Vec<Catch>,
        /// The block that always runs.
        finally: Vec<Stmt>,
    },
    /// Run the top level of an included file (once).
    Include(u32, SiteId),
    /// A point where the task may suspend (only in resumable functions, made by
    /// [`suspend`]): evaluates `call` (a [`Expr::Call`], [`Expr::Method`] or [`Expr::Await`]
    /// whose operands cannot suspend) and stores the result in `slot` or drops it. When
    /// the task suspends inside the call, the function saves its locals and returns; when
    /// the task resumes, the function re-enters here (`id`) and finishes the call.
    Suspend {
        /// The resume point's number, from 1, in program order.
        id: u32,
        /// Where the result goes; `None` drops it.
        slot: Option<u32>,
        /// The call.
        call: Expr,
    },
}

/// Expressions. Every expression produces one owned value.
#[derive(Debug, Clone)]
pub enum Expr {
    /// A constant.
    Const(Const),
    /// A local slot.
    Local(u32),
    /// A global (raises if read before it is assigned).
    Global(u32, SiteId),
    /// The singleton of a static box (initialized on first use).
    Static(ClassId, SiteId),
    /// A binary operator.
    Binary(BinOp, Box<Expr>, Box<Expr>, SiteId),
    /// `-x`.
    Neg(Box<Expr>, SiteId),
    /// `not x`.
    Not(Box<Expr>),
    /// `a and b` (short-circuit).
    And(Box<Expr>, Box<Expr>),
    /// `a or b` (short-circuit).
    Or(Box<Expr>, Box<Expr>),
    /// A direct call (global function, static function, `from` call, constructor with an
    /// explicit `me` as first argument).
    Call(FuncId, Vec<Expr>, SiteId),
    /// `recv.name(args)` dispatched on the receiver at run time.
    Method {
        /// The receiver.
        recv: Box<Expr>,
        /// The method name.
        name: StrId,
        /// Arguments.
        args: Vec<Expr>,
        /// Where.
        site: SiteId,
    },
    /// `obj.field`.
    Field(Box<Expr>, StrId, SiteId),
    /// `new UserBox(args)`.
    New(ClassId, Vec<Expr>, SiteId),
    /// `new BuiltinBox(args)`.
    NewBuiltin(StrId, Vec<Expr>, SiteId),
    /// `isType(v, "T")`.
    IsType(Box<Expr>, StrId),
    /// `asType(v, "T")`.
    AsType(Box<Expr>, StrId),
    /// Evaluates the expression and also keeps the value in a hidden local slot, which the
    /// end of the statement releases (R15: a temporary lives until its statement ends,
    /// even when it is the receiver of a method call).
    Tee(u32, Box<Expr>),
    /// An error raised unconditionally (a call that can never succeed).
    Raise(StrId, Vec<Expr>, SiteId),
    /// `await x`: the value of future `x` once its task finished (re-raising its error);
    /// any other value as it is.
    Await(Box<Expr>, SiteId),
    /// `nowait v = expr` as lowered: `expr` to run as a task. [`suspend`] turns it into
    /// [`Expr::Task`].
    Spawn(Box<Expr>, SiteId),
    /// A new FutureBox running task kind `.0` (see [`Program::tasks`]) with the captured
    /// values `.1` as the task function's parameters.
    Task(u32, Vec<Expr>, SiteId),
    /// In a resumable function: whether the resume point being re-entered is in
    /// `lo..=hi` (`Resuming(0, 0)`: not resuming at all). A Bool.
    Resuming(u32, u32),
}
