//! A readable text form of the IR, for snapshot tests and for reading what a pass did.
//!
//! The form is line-based and stable: one statement per line, blocks indented by two
//! spaces, every nested operator parenthesised; a function's attributes are the lines that
//! start with `- `. Locals print as `l3`, direct calls as
//! `fib#4(…)` (the callee's function index), strings quoted. Source sites are left out:
//! they say where an error is reported, not what the code does, and would make every
//! snapshot change when a test program gains a line.

use std::fmt::Write;

use super::{BinOp, Class, Const, Expr, Function, LocalTy, Program, Stmt};

/// The whole program: boxes, then functions, then the entry points.
pub fn print_program(prog: &Program) -> String {
    let mut p = Printer {
        prog,
        out: String::new(),
        depth: 0,
    };
    for (i, c) in prog.classes.iter().enumerate() {
        p.class(i, c);
    }
    for (i, f) in prog.functions.iter().enumerate() {
        p.function(i, f);
    }
    if let Some((f, class, args)) = prog.main {
        let class = &prog.classes[class as usize].name;
        let args = if args { " (with args)" } else { "" };
        let name = p.fname(f).to_string();
        let _ = writeln!(p.out, "main: {name}#{f}{args} in {class}");
    }
    if !prog.tasks.is_empty() {
        let tasks: Vec<String> = prog.tasks.iter().map(|&f| format!("#{f}")).collect();
        let _ = writeln!(p.out, "tasks: {}", tasks.join(", "));
    }
    p.out
}

/// A local's representation, as printed.
fn ty(t: LocalTy) -> &'static str {
    match t {
        LocalTy::Dyn => "dyn",
        LocalTy::Int => "int",
        LocalTy::Float => "float",
        LocalTy::Bool => "bool",
    }
}

fn types(ts: &[LocalTy]) -> String {
    ts.iter().map(|&t| ty(t)).collect::<Vec<_>>().join(" ")
}

fn op(o: BinOp) -> &'static str {
    match o {
        BinOp::Add => "+",
        BinOp::Sub => "-",
        BinOp::Mul => "*",
        BinOp::Div => "/",
        BinOp::Rem => "%",
        BinOp::Eq => "==",
        BinOp::Ne => "!=",
        BinOp::Lt => "<",
        BinOp::Le => "<=",
        BinOp::Gt => ">",
        BinOp::Ge => ">=",
    }
}

struct Printer<'a> {
    prog: &'a Program,
    out: String,
    depth: usize,
}

impl Printer<'_> {
    fn string(&self, id: u32) -> &str {
        &self.prog.strings[id as usize]
    }

    fn fname(&self, f: u32) -> &str {
        match self.prog.functions[f as usize].name.as_str() {
            "" => "(top level)",
            name => name,
        }
    }

    fn line(&mut self, text: &str) {
        let _ = writeln!(self.out, "{:indent$}{text}", "", indent = 2 * self.depth);
    }

    fn class(&mut self, i: usize, c: &Class) {
        let mut head = format!("box {} (class {i})", c.name);
        if c.is_static {
            head.push_str(" static");
        }
        if let Some(b) = &c.builtin {
            let _ = write!(head, " from {b}");
        }
        self.line(&head);
        self.depth += 1;
        if !c.fields.is_empty() {
            let fields: Vec<String> = c
                .fields
                .iter()
                .enumerate()
                .map(|(s, f)| {
                    let weak = if c.weak[s] { "weak " } else { "" };
                    let private = if c.private[s] { "private " } else { "" };
                    format!("{private}{weak}{f}")
                })
                .collect();
            self.line(&format!("fields: {}", fields.join(", ")));
        }
        for (name, &f) in &c.methods {
            self.line(&format!("method {name}: #{f}"));
        }
        if let Some(f) = c.constructor {
            self.line(&format!("constructor: #{f}"));
        }
        if let Some(f) = c.static_init {
            self.line(&format!("static init: #{f}"));
        }
        self.depth -= 1;
    }

    fn function(&mut self, i: usize, f: &Function) {
        let me = if f.has_me { "me, " } else { "" };
        let name = self.fname(i as u32).to_string();
        self.line(&format!(
            "fn #{i} {name}({me}{} params) locals [{}]",
            f.arity,
            types(&f.locals)
        ));
        self.depth += 1;
        if let Some(spec) = &f.spec {
            let mut text = format!("spec: locals [{}] -> {}", types(&spec.locals), ty(spec.ret));
            if spec.isolated {
                text.push_str(", isolated");
            }
            if !spec.may_raise {
                text.push_str(", never raises");
            }
            self.line(&format!("- {text}"));
        }
        if f.may_suspend {
            self.line(&format!("- may suspend, {} resume points", f.resume_points));
        }
        if !f.generic_used {
            self.line("- generic version unused");
        }
        if f.result_of_last {
            self.line("- result of the last statement");
        }
        self.block(&f.body);
        self.depth -= 1;
    }

    fn block(&mut self, body: &[Stmt]) {
        for s in body {
            self.stmt(s);
        }
    }

    /// `head {`, the block, `}`.
    fn nested(&mut self, head: &str, body: &[Stmt]) {
        self.line(&format!("{head} {{"));
        self.depth += 1;
        self.block(body);
        self.depth -= 1;
        self.line("}");
    }

    fn stmt(&mut self, s: &Stmt) {
        match s {
            Stmt::Expr(e) => {
                let e = self.expr(e);
                self.line(&e);
            }
            Stmt::ResultOf(e) => {
                let e = self.expr(e);
                self.line(&format!("result {e}"));
            }
            Stmt::SetLocal(l, e) => {
                let e = self.expr(e);
                self.line(&format!("l{l} = {e}"));
            }
            Stmt::SetGlobal(g, e) => {
                let e = self.expr(e);
                self.line(&format!("${} = {e}", self.prog.globals[*g as usize]));
            }
            Stmt::SetField {
                obj, field, value, ..
            } => {
                let (obj, value) = (self.expr(obj), self.expr(value));
                self.line(&format!("{obj}.{} = {value}", self.string(*field)));
            }
            Stmt::If(c, t, e) => {
                let c = self.expr(c);
                self.nested(&format!("if {c}"), t);
                if !e.is_empty() {
                    self.nested("else", e);
                }
            }
            Stmt::Loop(c, body) => {
                let head = match c {
                    Some(c) => format!("loop {}", self.expr(c)),
                    None => "loop".to_string(),
                };
                self.nested(&head, body);
            }
            Stmt::Release(l) => self.line(&format!("release l{l}")),
            Stmt::Break => self.line("break"),
            Stmt::Continue => self.line("continue"),
            Stmt::Return(e) => {
                let e = self.expr(e);
                self.line(&format!("return {e}"));
            }
            Stmt::Print(e, _) => {
                let e = self.expr(e);
                self.line(&format!("print {e}"));
            }
            Stmt::Throw(e, _) => {
                let e = self.expr(e);
                self.line(&format!("throw {e}"));
            }
            Stmt::Try {
                body,
                catches,
                finally,
            } => {
                self.nested("try", body);
                for c in catches {
                    let classes = match &c.classes {
                        None => "everything".to_string(),
                        Some(cs) => cs
                            .iter()
                            .map(|&c| self.prog.classes[c as usize].name.clone())
                            .collect::<Vec<_>>()
                            .join(" | "),
                    };
                    self.nested(&format!("catch {classes} into l{}", c.var), &c.body);
                }
                if !finally.is_empty() {
                    self.nested("finally", finally);
                }
            }
            Stmt::Include(file, _) => self.line(&format!("include file {file}")),
            Stmt::Suspend { id, slot, call } => {
                let call = self.expr(call);
                match slot {
                    Some(l) => self.line(&format!("suspend point {id}: l{l} = {call}")),
                    None => self.line(&format!("suspend point {id}: {call}")),
                }
            }
        }
    }

    fn list(&self, args: &[Expr]) -> String {
        args.iter()
            .map(|a| self.expr(a))
            .collect::<Vec<_>>()
            .join(", ")
    }

    fn expr(&self, e: &Expr) -> String {
        match e {
            Expr::Const(c) => match c {
                Const::Void => "void".to_string(),
                Const::Null => "null".to_string(),
                Const::Bool(b) => b.to_string(),
                Const::Int(i) => i.to_string(),
                Const::Float(x) => format!("{x:?}"),
                Const::Str(s) => format!("{:?}", self.string(*s)),
            },
            Expr::Local(l) => format!("l{l}"),
            Expr::Global(g, _) => format!("${}", self.prog.globals[*g as usize]),
            Expr::Static(c, _) => format!("static {}", self.prog.classes[*c as usize].name),
            Expr::Binary(o, a, b, _) => format!("({} {} {})", self.expr(a), op(*o), self.expr(b)),
            Expr::Neg(a, _) => format!("-{}", self.expr(a)),
            Expr::Not(a) => format!("(not {})", self.expr(a)),
            Expr::And(a, b) => format!("({} and {})", self.expr(a), self.expr(b)),
            Expr::Or(a, b) => format!("({} or {})", self.expr(a), self.expr(b)),
            Expr::Call(f, args, _) => format!("{}#{f}({})", self.fname(*f), self.list(args)),
            Expr::Method {
                recv, name, args, ..
            } => format!(
                "{}.{}({})",
                self.expr(recv),
                self.string(*name),
                self.list(args)
            ),
            Expr::Field(a, name, _) => format!("{}.{}", self.expr(a), self.string(*name)),
            Expr::New(c, args, _) => format!(
                "new {}({})",
                self.prog.classes[*c as usize].name,
                self.list(args)
            ),
            Expr::NewBuiltin(name, args, _) => {
                format!("new builtin {}({})", self.string(*name), self.list(args))
            }
            Expr::IsType(a, t) => format!("isType({}, {:?})", self.expr(a), self.string(*t)),
            Expr::AsType(a, t) => format!("asType({}, {:?})", self.expr(a), self.string(*t)),
            Expr::Tee(l, a) => format!("(l{l} := {})", self.expr(a)),
            Expr::Raise(msg, args, _) => {
                format!("raise {:?}({})", self.string(*msg), self.list(args))
            }
            Expr::Await(a, _) => format!("(await {})", self.expr(a)),
            Expr::Spawn(a, _) => format!("spawn {{ {} }}", self.expr(a)),
            Expr::Task(kind, args, _) => {
                let f = self.prog.tasks[*kind as usize];
                format!("task #{f}({})", self.list(args))
            }
            Expr::Resuming(0, 0) => "not resuming".to_string(),
            Expr::Resuming(lo, hi) => format!("resuming {lo}..={hi}"),
        }
    }
}
