//! The abstract syntax tree produced by [`crate::parser`].
//!
//! Every node carries the [`Span`] of the source text it came from. The tree keeps the
//! program as written, with two normalisations: `this` is stored as `me`, `fn` as `function`,
//! and `&&`/`||` as `and`/`or`. Constructors keep their written form ([`CtorForm`]);
//! the resolver normalises them.
//!
//! The tree never contains more than [`crate::parser::MAX_DEPTH`] levels of nesting, so
//! recursive walks over it cannot overflow the stack.

use crate::source::{FileId, Span};

/// One parsed file.
#[derive(Debug, Clone, PartialEq)]
pub struct Module {
    /// The file this module was parsed from.
    pub file: FileId,
    /// Top-level statements in source order.
    pub stmts: Vec<Stmt>,
}

/// A name as written, with its position.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ident {
    /// The text of the name.
    pub name: String,
    /// Where it is written. Resolution results are keyed by this span.
    pub span: Span,
}

/// A `{ … }` block of statements.
#[derive(Debug, Clone, PartialEq)]
pub struct Block {
    /// Statements in source order.
    pub stmts: Vec<Stmt>,
    /// From `{` to `}` inclusive.
    pub span: Span,
}

/// A statement with its span.
#[derive(Debug, Clone, PartialEq)]
pub struct Stmt {
    /// What kind of statement.
    pub kind: StmtKind,
    /// The whole statement.
    pub span: Span,
}

/// One variable of a `local` or `outbox` statement: `name` or `name = init`.
#[derive(Debug, Clone, PartialEq)]
pub struct VarDecl {
    /// The declared name.
    pub name: Ident,
    /// The initial value, if written.
    pub init: Option<Expr>,
}

/// One `catch (Type e) { … }` clause.
#[derive(Debug, Clone, PartialEq)]
pub struct CatchClause {
    /// The exception type, when written (`catch (e)` has none).
    pub ty: Option<Ident>,
    /// The variable the exception is bound to.
    pub var: Ident,
    /// The handler.
    pub body: Block,
    /// From `catch` to the end of the handler.
    pub span: Span,
}

/// The `else` part of an `if`.
#[derive(Debug, Clone, PartialEq)]
pub enum ElseBranch {
    /// `else if …`: the nested statement is always [`StmtKind::If`].
    If(Box<Stmt>),
    /// `else { … }`.
    Block(Block),
}

/// The statement forms.
#[derive(Debug, Clone, PartialEq)]
pub enum StmtKind {
    /// An expression evaluated for its effect (and, last in a body, its value).
    Expr(Expr),
    /// `target = value`; the target is a [`ExprKind::Var`] or [`ExprKind::Field`].
    Assign {
        /// Variable or field written.
        target: Expr,
        /// The value.
        value: Expr,
    },
    /// `local a = 1, b`.
    Local(Vec<VarDecl>),
    /// `outbox a = 1, b`.
    Outbox(Vec<VarDecl>),
    /// `global name = value`.
    Global {
        /// The global's name.
        name: Ident,
        /// Its value.
        value: Expr,
    },
    /// `if cond { … } else …`.
    If {
        /// The condition (any value; truthiness decides).
        cond: Expr,
        /// The block run when the condition is truthy.
        then: Block,
        /// The optional `else` part.
        else_: Option<ElseBranch>,
    },
    /// `loop(cond) { … }` or `loop { … }` (no condition: until `break`).
    Loop {
        /// The condition, checked before each iteration.
        cond: Option<Expr>,
        /// The body.
        body: Block,
    },
    /// `break`.
    Break,
    /// `continue`.
    Continue,
    /// `return` or `return value`.
    Return(Option<Expr>),
    /// `print(value)`.
    Print(Expr),
    /// `nowait name = value`.
    Nowait {
        /// The variable receiving the future.
        name: Ident,
        /// The expression run as a task.
        value: Expr,
    },
    /// `include "path"`.
    Include {
        /// The path as written (escapes processed).
        path: String,
        /// The span of the string literal.
        path_span: Span,
    },
    /// `try { … } catch (…) { … } finally { … }`.
    Try {
        /// The protected block.
        body: Block,
        /// Handlers, tried in order.
        catches: Vec<CatchClause>,
        /// The block that always runs.
        finally: Option<Block>,
    },
    /// `throw value`.
    Throw(Expr),
    /// `using name` (only `nyashstd` is accepted).
    Using(Ident),
    /// `box …` or `static box …`.
    Box(BoxDecl),
    /// `interface box I { m(a) … }`.
    Interface(InterfaceDecl),
    /// `function f(a, b) { … }`.
    Function(FunctionDecl),
    /// `static function A.f(a) { … }`; `namespace` is `None` for `static function f()`.
    StaticFunction {
        /// The `A` of `A.f`.
        namespace: Option<Ident>,
        /// The function itself.
        func: FunctionDecl,
    },
}

/// A function: global, static or (inside a box) a method.
#[derive(Debug, Clone, PartialEq)]
pub struct FunctionDecl {
    /// The function's name.
    pub name: Ident,
    /// Parameter names.
    pub params: Vec<Ident>,
    /// The body.
    pub body: Block,
    /// From the first keyword to the closing `}`.
    pub span: Span,
}

/// A `box` declaration (ordinary or static).
#[derive(Debug, Clone, PartialEq)]
pub struct BoxDecl {
    /// `true` for `static box`.
    pub is_static: bool,
    /// The box's name.
    pub name: Ident,
    /// Generic parameters: `box Pair<A, B>`.
    pub type_params: Vec<Ident>,
    /// Parents after `from`, in order.
    pub parents: Vec<Ident>,
    /// Interfaces after `interface` (accepted, not enforced).
    pub interfaces: Vec<Ident>,
    /// Members in source order.
    pub members: Vec<Member>,
    /// From `box` (or `static`) to the closing `}`.
    pub span: Span,
}

/// How a field was declared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldSection {
    /// Inside `init { … }`.
    Init,
    /// A bare name on its own.
    Bare,
    /// Inside `public { … }`.
    Public,
    /// Inside `private { … }`.
    Private,
}

/// One declared field.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldDecl {
    /// The field name.
    pub name: Ident,
    /// `true` for `weak name`.
    pub weak: bool,
}

/// The written form of a constructor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CtorForm {
    /// `birth(…)`, the canonical form.
    Birth,
    /// `init(…)`.
    Init,
    /// `pack(…)`.
    Pack,
    /// `Name(…)`, named like the box.
    Named,
}

impl CtorForm {
    /// The keyword (or `None` for the box-named form).
    pub fn keyword(self) -> Option<&'static str> {
        match self {
            CtorForm::Birth => Some("birth"),
            CtorForm::Init => Some("init"),
            CtorForm::Pack => Some("pack"),
            CtorForm::Named => None,
        }
    }
}

/// A member of a box body.
#[derive(Debug, Clone, PartialEq)]
pub enum Member {
    /// A group of fields (`init { a, b }`, `public { x }`, or one bare `name`).
    Fields {
        /// How the fields were declared.
        section: FieldSection,
        /// The fields.
        fields: Vec<FieldDecl>,
        /// The whole group.
        span: Span,
    },
    /// A method; `is_override` is set by a leading `override`.
    Method {
        /// `true` when written `override m(…)`.
        is_override: bool,
        /// The method.
        func: FunctionDecl,
    },
    /// A constructor in any of its forms.
    Constructor {
        /// How it was written.
        form: CtorForm,
        /// Name, parameters and body (the name is `birth`, `init`, `pack` or the box name).
        func: FunctionDecl,
    },
    /// `static { … }`: the one-time initializer of a static box.
    StaticInit(Block),
}

/// An `interface box` declaration (signatures only; nothing is enforced).
#[derive(Debug, Clone, PartialEq)]
pub struct InterfaceDecl {
    /// The interface's name.
    pub name: Ident,
    /// Method signatures: name and parameter names.
    pub methods: Vec<(Ident, Vec<Ident>)>,
    /// The whole declaration.
    pub span: Span,
}

/// An expression with its span.
#[derive(Debug, Clone, PartialEq)]
pub struct Expr {
    /// What kind of expression.
    pub kind: ExprKind,
    /// The whole expression.
    pub span: Span,
}

/// Unary operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnaryOp {
    /// `-x`.
    Neg,
    /// `not x`.
    Not,
    /// `await x`.
    Await,
}

/// Binary operators, from loosest to tightest binding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinaryOp {
    /// `or` / `||`.
    Or,
    /// `and` / `&&`.
    And,
    /// `==`.
    Eq,
    /// `!=`.
    Ne,
    /// `<`.
    Lt,
    /// `<=`.
    Le,
    /// `>`.
    Gt,
    /// `>=`.
    Ge,
    /// `+`.
    Add,
    /// `-`.
    Sub,
    /// `>>` (builds a ChannelBox).
    Arrow,
    /// `*`.
    Mul,
    /// `/`.
    Div,
    /// `%`.
    Rem,
}

impl BinaryOp {
    /// Binding strength: 1 (`or`) to 6 (`*`).
    pub fn precedence(self) -> u8 {
        match self {
            BinaryOp::Or => 1,
            BinaryOp::And => 2,
            BinaryOp::Eq | BinaryOp::Ne => 3,
            BinaryOp::Lt | BinaryOp::Le | BinaryOp::Gt | BinaryOp::Ge => 4,
            BinaryOp::Add | BinaryOp::Sub | BinaryOp::Arrow => 5,
            BinaryOp::Mul | BinaryOp::Div | BinaryOp::Rem => 6,
        }
    }

    /// The operator as written by the pretty-printer.
    pub fn as_str(self) -> &'static str {
        match self {
            BinaryOp::Or => "or",
            BinaryOp::And => "and",
            BinaryOp::Eq => "==",
            BinaryOp::Ne => "!=",
            BinaryOp::Lt => "<",
            BinaryOp::Le => "<=",
            BinaryOp::Gt => ">",
            BinaryOp::Ge => ">=",
            BinaryOp::Add => "+",
            BinaryOp::Sub => "-",
            BinaryOp::Arrow => ">>",
            BinaryOp::Mul => "*",
            BinaryOp::Div => "/",
            BinaryOp::Rem => "%",
        }
    }
}

/// The expression forms.
#[derive(Debug, Clone, PartialEq)]
pub enum ExprKind {
    /// An integer literal.
    Int(i64),
    /// A float literal (always finite).
    Float(f64),
    /// A string literal, escapes processed.
    Str(String),
    /// `true` or `false`.
    Bool(bool),
    /// `null`.
    Null,
    /// `me` (also written `this`).
    Me,
    /// A name read (or, as an assignment target, written).
    Var(Ident),
    /// A prefix operator.
    Unary {
        /// The operator.
        op: UnaryOp,
        /// The operand.
        operand: Box<Expr>,
    },
    /// A binary operator.
    Binary {
        /// The operator.
        op: BinaryOp,
        /// Left operand.
        lhs: Box<Expr>,
        /// Right operand.
        rhs: Box<Expr>,
    },
    /// `f(args)`: a call of a bare name.
    Call {
        /// The called name.
        callee: Ident,
        /// Arguments.
        args: Vec<Expr>,
    },
    /// `recv.method(args)`.
    MethodCall {
        /// The receiver.
        recv: Box<Expr>,
        /// The method name.
        method: Ident,
        /// Arguments.
        args: Vec<Expr>,
    },
    /// `recv.name`.
    Field {
        /// The object.
        recv: Box<Expr>,
        /// The field name.
        name: Ident,
    },
    /// `new Name<T>(args)`.
    New {
        /// The box created.
        class: Ident,
        /// Generic arguments, if written.
        type_args: Vec<Ident>,
        /// Constructor arguments.
        args: Vec<Expr>,
    },
    /// `from Parent.method(args)`.
    FromCall {
        /// The parent box addressed.
        parent: Ident,
        /// The method (`birth`, `init`, `pack` or any method name).
        method: Ident,
        /// Arguments.
        args: Vec<Expr>,
    },
}
