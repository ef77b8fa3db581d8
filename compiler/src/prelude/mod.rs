//! The prelude: builtin boxes written in Nyash, added to the programs that make them.
//!
//! HTTPServerBox and HTTPClientBox (R19) are Nyash code (`http.nyash`) because a route
//! handler may wait, and only compiled code can suspend a task. The loader adds the file when
//! a program's source names one of them ([`wanted`]), so every other program stays as small
//! as before. Its boxes keep their builtin names: the resolver lets the prelude declare them
//! ([`PROVIDED`]) and sends `new HTTPServerBox()` to its box.
//!
//! A handler is a MethodBox (`me.home`, `new MethodBox(x, "home")`) or a box with
//! `handle(request)`. Calling a MethodBox means calling a method by a name known only at run
//! time, which compiled code does not do; so [`source`] writes, for each program, a static
//! box `__HttpHandlers` that compares the name with every method of the program that takes
//! at most one parameter and calls the one it names.
//!
//! `MethodBox.invoke(args…)` calls `x.m(args…)` (R19) by the same means: for a program that
//! mentions `invoke`, [`source`] also writes `static box __MethodBoxes` with one method
//! `invokeK(h, a1, …, aK)` per arity K of the program's methods, comparing the name with
//! every method of that arity, and `ir::lower` sends each `x.invoke(…)` of the program there
//! ([`METHOD_BOXES`]). What no method of the program answers (a builtin receiver, or no
//! method of that name and arity) goes to the runtime's MethodBox, which calls the builtin.
//!
//! In the prelude only, trailing parameters whose names start with `optional` may be left
//! out by a caller and are then null (`route(path, handler)` beside
//! `route(path, method, handler)`); `ir::lower` records how many ([`optional_params`]).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use crate::ast::{Member, Module, StmtKind};

/// The name the prelude file is shown by (in traces and diagnostics); never a real path.
pub const FILE_NAME: &str = "<nyash>/http.nyash";

/// The static box that calls MethodBoxes (`x.invoke(…)` is lowered to its `invokeK`).
pub const METHOD_BOXES: &str = "__MethodBoxes";

/// The builtin boxes the prelude declares.
pub const PROVIDED: &[&str] = &["HTTPServerBox", "HTTPClientBox", "HttpClientBox"];

const HTTP: &str = include_str!("http.nyash");

/// Whether a program whose sources are `texts` needs the prelude: one of them names a box
/// it provides. (A name in a comment or a string also counts; that only costs size.)
pub fn wanted<'a>(mut texts: impl Iterator<Item = &'a str>) -> bool {
    texts.any(|t| PROVIDED.iter().any(|b| t.contains(b)))
}

/// The number of trailing parameters a caller may leave out: those named `optional…`.
pub fn optional_params(params: &[String]) -> u32 {
    params
        .iter()
        .rev()
        .take_while(|p| p.starts_with("optional"))
        .count() as u32
}

/// Whether a program whose sources are `texts` may call `MethodBox.invoke`: one of them
/// contains the word (in a comment or a string too; that only costs size).
pub fn wants_invoke<'a>(mut texts: impl Iterator<Item = &'a str>) -> bool {
    texts.any(|t| t.contains("invoke"))
}

/// The prelude's text for a program made of `modules`: with `http`, `http.nyash` and the
/// handler caller; with `invoke`, the MethodBox caller.
pub fn source(modules: &[&Module], http: bool, invoke: bool) -> String {
    let mut out = String::new();
    if http {
        out.push_str(HTTP);
        out.push_str(&handlers(modules));
    }
    if invoke {
        out.push_str(&method_boxes(modules));
    }
    out
}

/// `static box __MethodBoxes`: `invokeK(h, a1, …, aK)` calls the method `h` names on its
/// receiver, for K from 0 to the largest arity of the program's methods; on anything but a
/// MethodBox it calls that value's own `invoke`. Every method name is tried at every arity,
/// so a call with the wrong number of arguments gets the usual message ("Method m expects 1
/// arguments, got 2"); the code grows with methods × arities, and only programs that
/// mention `invoke` carry it.
fn method_boxes(modules: &[&Module]) -> String {
    let boxes = collect(modules);
    let mut names: BTreeSet<&String> = BTreeSet::new();
    let mut most = 0;
    for (b, ms) in &boxes.methods {
        if b.starts_with("__") {
            continue;
        }
        for (m, &arity) in ms {
            let _ = names.insert(m);
            most = most.max(arity);
        }
    }
    let mut out = format!("\nstatic box {METHOD_BOXES} {{\n");
    for arity in 0..=most {
        let params: Vec<String> = (1..=arity).map(|i| format!("a{i}")).collect();
        let args = params.join(", ");
        let head = std::iter::once("h".to_string())
            .chain(params.iter().cloned())
            .collect::<Vec<_>>()
            .join(", ");
        let _ = writeln!(out, "  invoke{arity}({head}) {{");
        out.push_str("    if isType(h, \"MethodBox\") {\n");
        out.push_str("      local target = h.__receiver()\n      local name = h.__name()\n");
        for m in &names {
            let _ = writeln!(
                out,
                "      if name == \"{m}\" {{ return target.{m}({args}) }}"
            );
        }
        let _ = writeln!(out, "      return h.__invokeBuiltin({args})");
        out.push_str("    }\n");
        let _ = writeln!(out, "    return h.invoke({args})");
        out.push_str("  }\n");
    }
    out.push_str("}\n");
    out
}

/// What the program declares: for each box, its parents and its methods' arities.
#[derive(Default)]
struct Boxes {
    parents: BTreeMap<String, Vec<String>>,
    methods: BTreeMap<String, BTreeMap<String, usize>>,
}

fn collect(modules: &[&Module]) -> Boxes {
    let mut b = Boxes::default();
    for m in modules {
        for s in &m.stmts {
            let StmtKind::Box(decl) = &s.kind else {
                continue;
            };
            let name = decl.name.name.clone();
            let parents = decl.parents.iter().map(|p| p.name.clone()).collect();
            let _ = b.parents.insert(name.clone(), parents);
            let methods = b.methods.entry(name).or_default();
            for member in &decl.members {
                if let Member::Method { func, .. } = member {
                    let _ = methods.insert(func.name.name.clone(), func.params.len());
                }
            }
        }
    }
    b
}

impl Boxes {
    /// Whether box `name` has method `m`, itself or through a parent.
    fn answers(&self, name: &str, m: &str, seen: &mut BTreeSet<String>) -> bool {
        if !seen.insert(name.to_string()) {
            return false;
        }
        if self.methods.get(name).is_some_and(|ms| ms.contains_key(m)) {
            return true;
        }
        self.parents
            .get(name)
            .is_some_and(|ps| ps.iter().any(|p| self.answers(p, m, seen)))
    }
}

/// `static box __HttpHandlers`: `check(h)` at registration, `call(h, request)` per request.
fn handlers(modules: &[&Module]) -> String {
    let boxes = collect(modules);
    let mut out = String::from("\nstatic box __HttpHandlers {\n  check(h) {\n");
    out.push_str("    if isType(h, \"MethodBox\") { return true }\n");
    let handling: Vec<&String> = boxes
        .methods
        .keys()
        .filter(|b| !b.starts_with("__") && boxes.answers(b, "handle", &mut BTreeSet::new()))
        .collect();
    for b in &handling {
        let _ = writeln!(out, "    if isType(h, \"{b}\") {{ return true }}");
    }
    out.push_str(
        "    throw \"Route handler must be a method reference or a box with handle(request)\"\n  }\n\n",
    );
    out.push_str("  call(h, request) {\n    if isType(h, \"MethodBox\") {\n");
    out.push_str("      local target = h.__receiver()\n      local name = h.__name()\n");
    // Method name -> the boxes declaring it, by arity (0 or 1).
    let mut by_name: BTreeMap<&String, BTreeMap<usize, Vec<&String>>> = BTreeMap::new();
    for (b, ms) in &boxes.methods {
        if b.starts_with("__") {
            continue;
        }
        for (m, &arity) in ms {
            if arity <= 1 {
                by_name
                    .entry(m)
                    .or_default()
                    .entry(arity)
                    .or_default()
                    .push(b);
            }
        }
    }
    for (m, arities) in &by_name {
        let _ = writeln!(out, "      if name == \"{m}\" {{");
        if arities.len() == 1 {
            let arg = if arities.contains_key(&1) {
                "request"
            } else {
                ""
            };
            let _ = writeln!(out, "        return target.{m}({arg})");
        } else {
            // Both arities exist: the receiver's box decides.
            for b in &arities[&0] {
                let _ = writeln!(
                    out,
                    "        if isType(target, \"{b}\") {{ return target.{m}() }}"
                );
            }
            let _ = writeln!(out, "        return target.{m}(request)");
        }
        out.push_str("      }\n");
    }
    out.push_str(
        "      throw \"Route handler \" + h + \" names no method that takes a request or nothing\"\n    }\n",
    );
    let zero: Vec<&&String> = handling
        .iter()
        .filter(|b| {
            boxes
                .methods
                .get(b.as_str())
                .and_then(|ms| ms.get("handle"))
                == Some(&0)
        })
        .collect();
    for b in zero {
        let _ = writeln!(out, "    if isType(h, \"{b}\") {{ return h.handle() }}");
    }
    if handling.is_empty() {
        out.push_str("    throw \"Route handler must be a method reference or a box with handle(request)\"\n");
    } else {
        out.push_str("    return h.handle(request)\n");
    }
    out.push_str("  }\n}\n");
    out
}
