//! Resolver tests: each case checks what the resolved program says about a small program.

use std::path::Path;

use nyash_compiler::ast::{ExprKind, StmtKind};
use nyash_compiler::resolve::{
    BoxRef, CallRes, FromRes, FunctionKind, LocalKind, NameRes, NewRes, ResolvedProgram,
};
use nyash_compiler::{load_program, Checked, MemoryLoader};

fn check_files(files: &[(&str, &str)]) -> Checked {
    let mut loader = MemoryLoader::new();
    for (path, text) in files {
        let _ = loader.add(path, text.as_bytes());
    }
    load_program(Path::new(files[0].0), &loader)
}

fn resolved(src: &str) -> (Checked, ResolvedProgram) {
    let checked = check_files(&[("main.nyash", src)]);
    let codes: Vec<_> = checked
        .diagnostics
        .iter()
        .map(|d| d.code.as_str())
        .collect();
    let program = checked
        .program
        .clone()
        .unwrap_or_else(|| panic!("program has errors: {codes:?}"));
    (checked, program)
}

fn codes(src: &str) -> Vec<&'static str> {
    let checked = check_files(&[("main.nyash", src)]);
    checked
        .diagnostics
        .iter()
        .map(|d| d.code.as_str())
        .collect()
}

fn box_names(p: &ResolvedProgram, order: &[BoxRef]) -> Vec<String> {
    order
        .iter()
        .map(|r| match r {
            BoxRef::User(b) => p.box_info(*b).name.clone(),
            BoxRef::Builtin(b) => b.name().to_string(),
        })
        .collect()
}

#[test]
fn lookup_order_is_depth_first_left_to_right() {
    let (_, p) = resolved(
        "box Base { init { id } hello() { } }\nbox A from Base { init { a } }\nbox B { init { b, id } }\nbox C from A, B { init { c } }\n",
    );
    let c = p.box_named("C").expect("C");
    let info = p.box_info(c);
    assert_eq!(box_names(&p, &info.lookup_order), ["C", "A", "Base", "B"]);
    let fields: Vec<_> = info.fields.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(fields, ["c", "a", "id", "b"]);
    assert!(info.method_table.contains_key("hello"));
    assert_eq!(info.field_index("b"), Some(3));
}

#[test]
fn constructor_forms_are_normalised() {
    for (src, form) in [
        ("box P { birth(a) { } }", "birth"),
        ("box P { init(a) { } }", "init"),
        ("box P { pack(a) { } }", "pack"),
        ("box P { P(a) { } }", "P"),
    ] {
        let (_, p) = resolved(&format!("{src}\nx = new P(1)\n"));
        let b = p.box_named("P").expect("P");
        let ctor = p.box_info(b).constructor.expect("constructor");
        let f = p.function(ctor);
        assert_eq!(f.name, form);
        assert!(matches!(f.kind, FunctionKind::Constructor { .. }));
        assert_eq!(f.params, ["a"]);
    }
}

#[test]
fn locals_globals_and_slots() {
    let src = "function f(a, b) {\n  local x = a\n  g = x + b\n  loop(x < 3) { local y = 1 x = x + y }\n  return y\n}\nprint(g)\n";
    let (checked, p) = resolved(src);
    let f = p.global_functions["f"];
    let info = p.function(f);
    let names: Vec<_> = info
        .locals
        .iter()
        .map(|l| (l.name.as_str(), l.kind))
        .collect();
    assert_eq!(
        names,
        [
            ("a", LocalKind::Param),
            ("b", LocalKind::Param),
            ("x", LocalKind::Local),
            ("y", LocalKind::Local)
        ]
    );
    assert_eq!(p.globals, ["g"]);
    // `print(g)` at the top level reads the global created inside `f`.
    let top = &checked.modules[0].stmts;
    let StmtKind::Print(e) = &top[1].kind else {
        panic!("expected print")
    };
    let ExprKind::Var(v) = &e.kind else {
        panic!("expected a name")
    };
    assert!(matches!(p.names[&v.span], NameRes::Global(_)));
}

#[test]
fn use_before_local_declaration_is_global() {
    // Textual order decides: the first `x` is the global, the second the local.
    let src = "x = 1\nfunction f() {\n  print(x)\n  local x = 2\n  print(x)\n}\n";
    let (checked, p) = resolved(src);
    let StmtKind::Function(f) = &checked.modules[0].stmts[1].kind else {
        panic!()
    };
    let reads: Vec<_> = f
        .body
        .stmts
        .iter()
        .filter_map(|s| match &s.kind {
            StmtKind::Print(e) => match &e.kind {
                ExprKind::Var(v) => Some(p.names[&v.span]),
                _ => None,
            },
            _ => None,
        })
        .collect();
    assert!(matches!(reads[0], NameRes::Global(_)));
    assert!(matches!(reads[1], NameRes::Local(_)));
}

#[test]
fn static_boxes_functions_and_main() {
    let src = "static function Math2.twice(x) { return x * 2 }\nstatic box Counter {\n  init { n }\n  static { me.n = 0 }\n  inc() { me.n = me.n + 1 return me.n }\n}\nstatic box Main { main(args) { print(Math2.twice(Counter.inc())) } }\n";
    let (_, p) = resolved(src);
    assert!(p
        .static_functions
        .contains_key(&("Math2".to_string(), "twice".to_string())));
    let counter = p.box_named("Counter").expect("Counter");
    assert!(p.box_info(counter).is_static);
    assert!(p.box_info(counter).static_init.is_some());
    let main = p.main.expect("Main.main");
    assert_eq!(p.function(main).params, ["args"]);
    assert!(p.names.values().any(|r| *r == NameRes::StaticNamespace));
    assert!(p.names.values().any(|r| *r == NameRes::StaticBox(counter)));
}

#[test]
fn from_calls_and_parent_constructors() {
    let src = "box A {\n  init { v }\n  birth(v) { me.v = v }\n  get() { return me.v }\n}\nbox B from A {\n  birth(v) { from A.birth(v) }\n  override get() { return from A.get() + 1 }\n}\nbox C from A {\n  birth(v) { A(v) }\n}\n";
    let (_, p) = resolved(src);
    let a = p.box_named("A").expect("A");
    let kinds: Vec<_> = p.from_calls.values().copied().collect();
    assert!(kinds.contains(&FromRes::Constructor {
        parent: a,
        constructor: p.box_info(a).constructor
    }));
    assert!(kinds
        .iter()
        .any(|k| matches!(k, FromRes::Method { parent, .. } if *parent == a)));
    assert!(p
        .calls
        .values()
        .any(|c| *c == CallRes::ParentConstructor(a)));
}

#[test]
fn builtin_parents_forward_methods() {
    let src = "box Name from StringBox {\n  birth(s) { from StringBox.birth(s) }\n  shout() { return me.toUpper() }\n}\nn = new Name(\"x\")\n";
    let (_, p) = resolved(src);
    let b = p.box_named("Name").expect("Name");
    assert_eq!(
        box_names(&p, &p.box_info(b).lookup_order),
        ["Name", "StringBox"]
    );
    assert!(p.box_info(b).builtin_ancestor.is_some());
    assert!(p.news.values().any(|n| *n == NewRes::User(b)));
}

#[test]
fn builtins_win_and_new_resolves() {
    let (_, p) = resolved("a = new ArrayBox()\nm = new MapBox()\n");
    assert_eq!(p.news.len(), 2);
    assert!(p.news.values().all(|n| matches!(n, NewRes::Builtin(_))));
}

#[test]
fn includes_are_loaded_once_relative_to_the_includer() {
    let checked = check_files(&[
        (
            "app/main.nyash",
            "include \"lib/a.nyash\"\ninclude \"lib/b.nyash\"\nprint(fa() + fb())\n",
        ),
        (
            "app/lib/a.nyash",
            "include \"common.nyash\"\nfunction fa() { return c }\n",
        ),
        (
            "app/lib/b.nyash",
            "include \"./common.nyash\"\nfunction fb() { return c }\n",
        ),
        ("app/lib/common.nyash", "c = 1\n"),
    ]);
    assert!(checked.is_ok(), "{:?}", checked.diagnostics);
    assert_eq!(checked.sources.files().len(), 4);
    let p = checked.program.expect("program");
    assert_eq!(p.includes.len(), 4);
    assert_eq!(p.top_levels.len(), 4);
}

#[test]
fn nyashstd_namespaces() {
    let (_, p) = resolved("using nyashstd\nconsole.log(string.upper(\"x\"))\n");
    assert!(p.uses_nyashstd);
    assert_eq!(
        p.names.values().filter(|r| **r == NameRes::Stdlib).count(),
        2
    );
}

#[test]
fn superset_forms_resolve() {
    let src = "local a = 1, b = 2\nlocal c, d = 3\noutbox o = 4\nnowait f = a\ntry { throw b } catch (e) { print(e) } finally { print(c) }\nloop(a < 3) { a = a + 1 continue }\nprint(await f)\nprint(d)\nprint(o)\n";
    assert_eq!(codes(src), Vec::<&str>::new());
}

#[test]
fn methods_of_children_are_allowed_on_me() {
    // Template-method style: the parent calls a method that only children define.
    let src = "box Shape { describe() { return me.name() } }\nbox Square from Shape { name() { return \"square\" } }\n";
    assert_eq!(codes(src), Vec::<&str>::new());
}

#[test]
fn errors_are_reported_together() {
    let src = "box A {\n  birth() { }\n  init(x) { }\n  go() { me.nope = 1 }\n}\nbox B { go() { from A.go() } }\nprint(q)\n";
    assert_eq!(codes(src), ["E0203", "E0205", "E0206", "E0200"]);
}

#[test]
fn declaration_order_does_not_matter() {
    let src = "x = new Later()\nprint(helper())\nbox Later { }\nfunction helper() { return 1 }\n";
    assert_eq!(codes(src), Vec::<&str>::new());
}

#[test]
fn warnings_keep_the_program_valid() {
    let checked = check_files(&[(
        "main.nyash",
        "box A { }\nbox B from A { override go() { } }\n",
    )]);
    assert!(checked.is_ok());
    assert_eq!(checked.warning_count, 1);
    assert!(checked.program.is_some());
}
