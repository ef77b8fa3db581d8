//! Snapshot tests of rendered diagnostics: one case per mistake. Each snapshot holds the
//! source and the rendered output, so a reviewer sees both. Accept changes with
//! `cargo insta review` (or `INSTA_UPDATE=always cargo test`).

use std::path::Path;

use nyash_compiler::diagnostics::{render_to_string, summary};
use nyash_compiler::{load_program, MemoryLoader};

/// Checks `main.nyash` (plus extra files) in memory and renders the result.
fn render(files: &[(&str, &[u8])]) -> String {
    let mut loader = MemoryLoader::new();
    for (path, text) in files {
        let _ = loader.add(path, *text);
    }
    let checked = load_program(Path::new(files[0].0), &loader);
    let mut out = String::new();
    for (path, text) in files {
        out.push_str(&format!("--- {path}\n{}\n", String::from_utf8_lossy(text)));
    }
    out.push_str("=== diagnostics\n");
    out.push_str(&render_to_string(&checked.diagnostics, &checked.sources));
    out.push_str(&summary(checked.error_count, checked.warning_count));
    out.push_str(&format!("\nexit status: {}\n", i32::from(!checked.is_ok())));
    out
}

macro_rules! case {
    ($name:ident, $src:expr) => {
        #[test]
        fn $name() {
            insta::assert_snapshot!(render(&[("main.nyash", $src.as_bytes())]));
        }
    };
    ($name:ident, $($path:literal => $src:expr),+ $(,)?) => {
        #[test]
        fn $name() {
            insta::assert_snapshot!(render(&[$(($path, $src.as_bytes())),+]));
        }
    };
}

// ----- Lexical mistakes ----------------------------------------------------------------------

#[test]
fn invalid_utf8() {
    insta::assert_snapshot!(render(&[("main.nyash", b"x = 1\ny = \"a\xff\xfeb\"\n")]));
}
case!(unexpected_character, "x = 1 $ 2\n");
case!(ampersand_for_and, "if a & b { print(1) }\n");
case!(unterminated_string, "print(\"hello)\nx = 1\n");
case!(integer_too_large, "x = 99999999999999999999\n");
case!(single_quotes, "name = 'Nyash'\n");
case!(block_comment, "/* old\n code */\nx = 1\n");

// ----- Syntax mistakes -----------------------------------------------------------------------

case!(missing_closing_paren, "print(1 + 2\nx = 3\n");
case!(operator_at_line_start, "total = 1 + 2\n    + 3\n");
case!(compound_assignment, "count = 0\ncount += 1\n");
case!(increment_operator, "i = 0\ni++\n");
case!(bang_for_not, "ok = true\nif !ok { print(\"no\") }\n");
case!(index_read, "a = new ArrayBox()\nx = a[0]\n");
case!(index_write, "a = new ArrayBox()\na[0] = 5\n");
case!(array_literal, "xs = [1, 2, 3]\n");
case!(assign_to_call, "function f() { return 1 }\nf() = 2\n");
case!(
    from_without_method,
    "box A { birth() { } }\nbox B from A {\n    birth() { from A() }\n}\n"
);
case!(new_without_parens, "m = new MapBox\n");
case!(print_two_arguments, "print(\"a\", \"b\")\n");
case!(unclosed_block, "function f() {\n    print(1)\n");
case!(
    type_annotation,
    "function add(a: Int, b) { return a + b }\n"
);
case!(
    function_keyword_in_box,
    "box A {\n    function go() { }\n}\n"
);
case!(colon_delegation, "box A { }\nbox B : A { }\n");
case!(let_keyword, "let x = 5\nprint(x)\n");
case!(class_keyword, "class Point { init { x } }\n");
case!(while_loop, "i = 0\nwhile (i < 3) { i = i + 1 }\n");
case!(
    override_constructor,
    "box A {\n    override birth() { }\n}\n"
);
case!(
    constructor_in_static_box,
    "static box Main {\n    birth() { }\n    main() { }\n}\n"
);
case!(
    static_block_in_ordinary_box,
    "box A {\n    static { print(1) }\n}\n"
);
case!(singleton_keyword, "singleton box A { }\n");
case!(unknown_namespace, "using std\n");
case!(keyword_as_name, "local box = 1\n");
case!(assignment_in_condition, "x = 1\nif x = 2 { print(x) }\n");
case!(dangling_else, "x = 1\nelse { print(x) }\n");
case!(
    loop_without_parentheses,
    "i = 0\nloop i < 3 { i = i + 1 }\n"
);
case!(empty_loop_condition, "loop() { break }\n");
case!(unmatched_closing_brace, "x = 1\n}\ny = 2\n");
case!(print_as_value, "x = print(1)\n");

#[test]
fn nesting_too_deep() {
    let src = format!("x = {}1{}\n", "(".repeat(300), ")".repeat(300));
    insta::assert_snapshot!(render(&[("main.nyash", src.as_bytes())]));
}

// ----- Resolution mistakes -------------------------------------------------------------------

case!(
    undefined_variable_with_suggestion,
    "counter = 1\nprint(countr)\n"
);
case!(
    top_level_local_in_function,
    "local limit = 10\nfunction f() { return limit }\nprint(f())\n"
);
case!(
    undefined_function,
    "function greet(n) { print(n) }\ngreat(\"x\")\n"
);
case!(box_called_like_function, "box Point { }\np = Point()\n");
case!(unknown_box, "box Person { }\np = new Persn()\n");
case!(
    two_constructors,
    "box A {\n    birth() { }\n    init(x) { }\n}\n"
);
case!(
    constructor_arity,
    "box P {\n    init { x }\n    birth(x) { me.x = x }\n}\np = new P(1, 2)\n"
);
case!(
    no_constructor_but_arguments,
    "box P { init { x } }\np = new P(1)\n"
);
case!(
    undeclared_field_on_me,
    "box Counter {\n    init { count }\n    inc() { me.cuont = me.count + 1 }\n}\n"
);
case!(
    from_not_a_parent,
    "box A { go() { } }\nbox B {\n    go() { from A.go() }\n}\n"
);
case!(from_outside_method, "box A { go() { } }\nfrom A.go()\n");
case!(me_outside_method, "function f() { return me.x }\n");
case!(
    unknown_parent_method,
    "box A { go() { } }\nbox B from A {\n    run() { from A.og() }\n}\n"
);
case!(delegation_cycle, "box A from B { }\nbox B from A { }\n");
case!(duplicate_box, "box A { }\nbox A { }\n");
case!(duplicate_function, "function f() { }\nfunction f() { }\n");
case!(
    duplicate_method,
    "box A {\n    go() { }\n    go(x) { }\n}\n"
);
case!(
    call_arity,
    "function add(a, b) { return a + b }\nprint(add(1))\n"
);
case!(
    unknown_method_on_me,
    "box A {\n    run() { me.strat() }\n    start() { }\n}\n"
);
case!(
    unknown_static_box_method,
    "static box Util { twice(x) { return x * 2 } }\nprint(Util.twce(2))\n"
);
case!(break_outside_loop, "function f() { break }\n");
case!(return_at_top_level, "x = 1\nreturn x\n");
case!(
    main_with_two_parameters,
    "static box Main {\n    main(a, b) { }\n}\n"
);
case!(duplicate_parameter, "function f(a, a) { return a }\n");
case!(delegate_to_self, "box A from A { }\n");
case!(unknown_parent_box, "box Dog from Animl { }\n");
case!(
    private_field_of_static_box,
    "static box Config {\n    private { secret }\n}\nprint(Config.secret)\n"
);
case!(
    new_static_box,
    "static box Main { main() { } }\nm = new Main()\n"
);
case!(
    include_missing_file,
    "main.nyash" => "include \"lib/util.nyash\"\nprint(1)\n",
);
case!(
    include_cycle,
    "main.nyash" => "include \"a.nyash\"\n",
    "a.nyash" => "include \"b.nyash\"\n",
    "b.nyash" => "include \"a.nyash\"\n",
);
case!(
    error_in_included_file,
    "main.nyash" => "include \"lib.nyash\"\nprint(helper(1))\n",
    "lib.nyash" => "function helper(x) { return x +* 2 }\n",
);

// ----- Warnings ------------------------------------------------------------------------------

case!(
    override_with_nothing_to_override,
    "box A { }\nbox B from A {\n    override go() { }\n}\n"
);
case!(
    missing_override,
    "box A { go() { } }\nbox B from A {\n    go() { }\n}\n"
);
case!(
    builtin_method_typo,
    "local s = \"hello\"\nprint(s.toUpperr())\n"
);
case!(literal_method_typo, "print(\"abc\".lenght())\n");
case!(shadows_builtin_box, "box StringBox { }\n");
case!(duplicate_field, "box A { init { x, x } }\n");
case!(
    method_named_constructor,
    "box A {\n    constructor(x) { }\n}\n"
);
case!(
    static_function_without_box,
    "static function helper() { return 1 }\nprint(helper())\n"
);
case!(
    catch_never_matches,
    "try {\n    throw \"x\"\n} catch (Exception e) {\n    print(e)\n}\n"
);

// ----- Several errors, limits, and valid programs --------------------------------------------

case!(
    several_errors_in_one_run,
    "x = )\nbox A {\n    go( { }\n    ok() { }\n}\ny += 1\nprint(\"done\"\n"
);
case!(
    several_resolution_errors,
    "print(a)\nprint(b)\nf(1)\nq = new Nope()\n"
);

#[test]
fn many_errors_are_capped() {
    let src = "print(undefined)\n".repeat(150);
    let out = render(&[("main.nyash", src.as_bytes())]);
    assert!(
        out.contains("... and 50 more diagnostics not shown"),
        "{out}"
    );
    assert!(out.contains("150 errors emitted"));
}

case!(
    valid_program,
    "box Animal {\n    init { name }\n    birth(n) { me.name = n }\n    speak() { return me.name }\n}\nbox Dog from Animal {\n    birth(n) { from Animal.birth(n) }\n    override speak() { return from Animal.speak() + \" woof\" }\n}\nstatic box Main {\n    main(args) {\n        local d = new Dog(\"rex\")\n        print(d.speak())\n    }\n}\n"
);
