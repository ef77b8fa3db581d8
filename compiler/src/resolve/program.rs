//! The resolved program: what the code generator needs besides the AST.
//!
//! The resolved program is a set of tables beside the AST. Entities (boxes, functions,
//! globals) are numbered; uses of names are keyed by the [`Span`] of the identifier that
//! names them, which is unique per use. To compile a function, walk its AST and look up:
//!
//! * each `Var` identifier (reads, assignment targets, `local`/`outbox`/`nowait`/`global`
//!   names, catch variables) in [`ResolvedProgram::names`];
//! * each `Call` callee in [`ResolvedProgram::calls`];
//! * each `New` class name in [`ResolvedProgram::news`];
//! * each `FromCall` method name in [`ResolvedProgram::from_calls`];
//! * each function, method, constructor and `static { }` block by the span of its
//!   declaration in [`ResolvedProgram::function_at`];
//! * each `include` by the span of its path literal in [`ResolvedProgram::includes`].

use std::collections::BTreeMap;

use crate::ast::CtorForm;
use crate::builtins::BuiltinBox;
use crate::source::{FileId, Span, SpanMap};

/// Index into [`ResolvedProgram::boxes`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct BoxId(pub u32);

/// Index into [`ResolvedProgram::functions`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FunctionId(pub u32);

/// Index into [`ResolvedProgram::globals`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct GlobalId(pub u32);

/// Index into a function's [`FunctionInfo::locals`]; parameters come first, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct LocalSlot(pub u32);

/// A parent (or ancestor) of a box: a user box or a builtin box.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BoxRef {
    /// A box declared in the program.
    User(BoxId),
    /// A builtin box such as `StringBox`.
    Builtin(BuiltinBox),
}

/// Field visibility (R8): private fields are reachable only through `me`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Visibility {
    /// Reachable from anywhere.
    Public,
    /// Reachable only through `me`.
    Private,
}

/// One field of a box (own or inherited).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldInfo {
    /// The field's name.
    pub name: String,
    /// Declared `weak`.
    pub weak: bool,
    /// Public unless declared in a `private { }` block.
    pub visibility: Visibility,
    /// The box whose declaration lists the field.
    pub declared_in: BoxId,
    /// Where it is declared.
    pub span: Span,
}

/// A box declaration, linked to its parents.
#[derive(Debug, Clone)]
pub struct BoxInfo {
    /// The box's name.
    pub name: String,
    /// The span of the name in the declaration.
    pub name_span: Span,
    /// The whole declaration (also the key of [`ResolvedProgram::box_at`]).
    pub span: Span,
    /// `static box`.
    pub is_static: bool,
    /// Generic parameters (without effect beyond parsing).
    pub type_params: Vec<String>,
    /// Direct parents, as written after `from`.
    pub parents: Vec<BoxRef>,
    /// Method lookup order (R3): the box itself, then its parents left to right, depth
    /// first, each box once.
    pub lookup_order: Vec<BoxRef>,
    /// All fields: the box's own, in declaration order, then those of the other boxes in
    /// [`BoxInfo::lookup_order`]; a name appears once (the first declaration wins).
    pub fields: Vec<FieldInfo>,
    /// Methods declared in this box, by name.
    pub methods: BTreeMap<String, FunctionId>,
    /// Every method callable on an instance, by name: the first implementation found in
    /// [`BoxInfo::lookup_order`].
    pub method_table: BTreeMap<String, FunctionId>,
    /// The one constructor, whatever its written form.
    pub constructor: Option<FunctionId>,
    /// The `static { }` initializer of a static box.
    pub static_init: Option<FunctionId>,
    /// `true` when the box has `public { }` or `private { }` blocks.
    pub has_visibility_blocks: bool,
    /// The first builtin box in the lookup order (unknown methods are forwarded to it).
    pub builtin_ancestor: Option<BuiltinBox>,
}

impl BoxInfo {
    /// The field called `name`, if declared by the box or an ancestor.
    pub fn field(&self, name: &str) -> Option<&FieldInfo> {
        self.fields.iter().find(|f| f.name == name)
    }

    /// The index of field `name` in [`BoxInfo::fields`] (a stable slot number).
    pub fn field_index(&self, name: &str) -> Option<usize> {
        self.fields.iter().position(|f| f.name == name)
    }
}

/// What kind of body a function is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FunctionKind {
    /// The top-level statements of a file.
    TopLevel {
        /// The file.
        file: FileId,
    },
    /// `function f(…)`.
    Global,
    /// `static function A.f(…)`.
    Static {
        /// The `A`.
        namespace: String,
    },
    /// A method of a box.
    Method {
        /// The box.
        owner: BoxId,
        /// Declared with `override`.
        is_override: bool,
    },
    /// The constructor of a box.
    Constructor {
        /// The box.
        owner: BoxId,
        /// The written form (`birth`, `init`, `pack` or the box's name).
        form: CtorForm,
    },
    /// The `static { }` initializer of a static box.
    StaticInit {
        /// The box.
        owner: BoxId,
    },
}

/// What a local slot holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LocalKind {
    /// A parameter.
    Param,
    /// Declared with `local`.
    Local,
    /// Declared with `outbox`.
    Outbox,
    /// The variable of a `catch` clause.
    Catch,
}

/// One local slot of a function.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalInfo {
    /// The variable's name.
    pub name: String,
    /// Where it is first declared.
    pub span: Span,
    /// How it was declared.
    pub kind: LocalKind,
}

/// A function, method, constructor, static initializer or file top level.
#[derive(Debug, Clone)]
pub struct FunctionInfo {
    /// The name (`birth`/`init`/`pack`/box name for constructors, `static` for static
    /// initializers, `<top level>` for files).
    pub name: String,
    /// What it is.
    pub kind: FunctionKind,
    /// The span of the declaration (the key of [`ResolvedProgram::function_at`]).
    pub span: Span,
    /// Parameter names; parameter `i` is local slot `i`.
    pub params: Vec<String>,
    /// Every local slot: parameters first, then locals in order of first declaration.
    pub locals: Vec<LocalInfo>,
    /// `true` for methods, constructors and static initializers (`me` is available).
    pub has_me: bool,
}

/// What a name refers to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NameRes {
    /// A local slot of the enclosing function.
    Local(LocalSlot),
    /// A global variable.
    Global(GlobalId),
    /// The singleton of a static box.
    StaticBox(BoxId),
    /// The namespace `A` of `static function A.f` (only as a method-call receiver).
    StaticNamespace,
    /// A `nyashstd` namespace such as `string` (after `using nyashstd`).
    Stdlib,
}

/// What a call `f(args)` calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallRes {
    /// A global function.
    Function(FunctionId),
    /// `isType` or `asType`.
    Builtin,
    /// `P(args)` inside a constructor of a box whose first parent is `P`: P's constructor.
    ParentConstructor(BoxId),
}

/// What `new X(…)` creates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NewRes {
    /// A user box (its constructor, if any, is [`BoxInfo::constructor`]).
    User(BoxId),
    /// A builtin box (builtins win over user boxes of the same name).
    Builtin(BuiltinBox),
}

/// What `from P.m(args)` runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FromRes {
    /// The constructor of user box `parent` (`birth`/`init`/`pack`/`P`), if it has one.
    Constructor {
        /// The parent box.
        parent: BoxId,
        /// Its constructor; `None` when it has none (only valid without arguments).
        constructor: Option<FunctionId>,
    },
    /// A method of user box `parent` (or of its ancestors), with the current `me`.
    Method {
        /// The parent box addressed.
        parent: BoxId,
        /// The implementation found.
        method: FunctionId,
    },
    /// A method or constructor of a builtin parent.
    Builtin(BuiltinBox),
}

/// The program after resolution. See the module docs for how to use the side tables.
#[derive(Debug, Clone, Default)]
pub struct ResolvedProgram {
    /// Every box, in declaration order (files in load order).
    pub boxes: Vec<BoxInfo>,
    /// Every function-like body.
    pub functions: Vec<FunctionInfo>,
    /// Global variables, in order of first assignment.
    pub globals: Vec<String>,
    /// Boxes by name.
    pub box_names: BTreeMap<String, BoxId>,
    /// `function f` declarations by name.
    pub global_functions: BTreeMap<String, FunctionId>,
    /// `static function A.f` declarations by `(A, f)`.
    pub static_functions: BTreeMap<(String, String), FunctionId>,
    /// The top-level body of each file, indexed by [`FileId`].
    pub top_levels: Vec<FunctionId>,
    /// `static box Main`'s `main` method, run after the entry file's top level (R10).
    pub main: Option<FunctionId>,
    /// `true` when some file says `using nyashstd`.
    pub uses_nyashstd: bool,
    /// Name uses, keyed by the identifier's span.
    pub names: SpanMap<NameRes>,
    /// Calls of bare names, keyed by the callee's span.
    pub calls: SpanMap<CallRes>,
    /// `new` expressions, keyed by the class name's span.
    pub news: SpanMap<NewRes>,
    /// `from` calls, keyed by the method name's span.
    pub from_calls: SpanMap<FromRes>,
    /// `include` statements, keyed by the path literal's span.
    pub includes: SpanMap<FileId>,
    /// The file of `crate::prelude`, when the program has it.
    pub prelude: Option<FileId>,
    pub(crate) functions_by_span: SpanMap<FunctionId>,
    pub(crate) boxes_by_span: SpanMap<BoxId>,
}

impl ResolvedProgram {
    /// The box declared by the `BoxDecl` with this span.
    pub fn box_at(&self, decl_span: Span) -> Option<BoxId> {
        self.boxes_by_span.get(&decl_span).copied()
    }

    /// The function declared by the `FunctionDecl` (or `static { }` block) with this span.
    pub fn function_at(&self, decl_span: Span) -> Option<FunctionId> {
        self.functions_by_span.get(&decl_span).copied()
    }

    /// The box with this id.
    pub fn box_info(&self, id: BoxId) -> &BoxInfo {
        &self.boxes[id.0 as usize]
    }

    /// The function with this id.
    pub fn function(&self, id: FunctionId) -> &FunctionInfo {
        &self.functions[id.0 as usize]
    }

    /// The box called `name`, if declared.
    pub fn box_named(&self, name: &str) -> Option<BoxId> {
        self.box_names.get(name).copied()
    }

    pub(crate) fn add_function(&mut self, info: FunctionInfo) -> FunctionId {
        let id = FunctionId(self.functions.len() as u32);
        let _ = self.functions_by_span.insert(info.span, id);
        self.functions.push(info);
        id
    }

    pub(crate) fn add_box(&mut self, info: BoxInfo) -> BoxId {
        let id = BoxId(self.boxes.len() as u32);
        let _ = self.boxes_by_span.insert(info.span, id);
        self.boxes.push(info);
        id
    }
}
