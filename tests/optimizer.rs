//! The optimiser changes no behaviour: generated programs give the same stdout, stderr and
//! exit status under `nyash run --opt 0` and `nyash run` (optimised), and programs whose
//! values change kind at run time take the general path correctly.
//!
//! The generated programs call the methods the optimiser routes to their own entry points
//! (`push`, `get`, `set`, `length`, `size`, `has`) on receivers of every kind — ArrayBox,
//! MapBox, a user box with its own `push`/`get`/`size`, strings, numbers, null — and on a
//! variable whose kind changes from statement to statement, with indexes out of range or of
//! the wrong kind, results used and dropped, and errors raised in the middle of
//! expressions. They also build a string with `s = s + v` (which the optimiser appends in
//! place when nothing else holds the string) while copies of it sit in other variables,
//! arrays and maps.

mod support;

use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use support::{nyash, write, TempDir};

/// A value an operation stores or uses.
fn value() -> impl Strategy<Value = String> {
    prop_oneof![
        (-3i64..100).prop_map(|i| i.to_string()),
        Just("9223372036854775807".to_string()),
        Just("2.5".to_string()),
        Just("-0.5".to_string()),
        Just("\"s\"".to_string()),
        Just("\"7\"".to_string()),
        Just("null".to_string()),
        Just("true".to_string()),
        Just("new ArrayBox()".to_string()),
    ]
}

/// An index or key.
fn index() -> impl Strategy<Value = String> {
    prop_oneof![
        (0i64..4).prop_map(|i| i.to_string()),
        Just("-1".to_string()),
        Just("100".to_string()),
        Just("\"0\"".to_string()),
        Just("\"k\"".to_string()),
        Just("1.0".to_string()),
        Just("null".to_string()),
    ]
}

/// A receiver: the program's variables, and values of other kinds.
fn receiver() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => Just("a".to_string()),
        3 => Just("m".to_string()),
        2 => Just("p".to_string()),
        3 => Just("x".to_string()),
        2 => Just("s".to_string()),
        1 => Just("\"text\"".to_string()),
        1 => Just("5".to_string()),
        1 => Just("null".to_string()),
    ]
}

/// One statement of the generated program.
fn statement() -> impl Strategy<Value = String> {
    prop_oneof![
        (receiver(), value()).prop_map(|(r, v)| format!("{r}.push({v})")),
        (receiver(), value()).prop_map(|(r, v)| format!("print({r}.push({v}))")),
        (receiver(), index(), value()).prop_map(|(r, i, v)| format!("{r}.set({i}, {v})")),
        (receiver(), index(), value()).prop_map(|(r, i, v)| format!("print({r}.set({i}, {v}))")),
        (receiver(), index()).prop_map(|(r, i)| format!("print({r}.get({i}))")),
        (receiver(), index(), value()).prop_map(|(r, i, v)| format!("print({r}.get({i}) + {v})")),
        (receiver(), index()).prop_map(|(r, i)| format!("{r}.get({i})")),
        receiver().prop_map(|r| format!("print({r}.length())")),
        receiver().prop_map(|r| format!("print({r}.size())")),
        (receiver(), index()).prop_map(|(r, i)| format!("print({r}.has({i}))")),
        (receiver(), value()).prop_map(|(r, v)| format!("print({r}.get(0) * {v} / {v})")),
        prop_oneof![
            Just("a"),
            Just("m"),
            Just("p"),
            Just("5"),
            Just("s"),
            Just("\"text\""),
            Just("null")
        ]
        .prop_map(|r| format!("x = {r}")),
        value().prop_map(|v| format!("s = s + {v}")),
        Just("s = s + x".to_string()),
        Just("local i = 0\n  loop(i < 3) { s = s + i i = i + 1 }".to_string()),
        (receiver(), value()).prop_map(|(r, v)| {
            format!("local i = 0\n  loop(i < 3) {{ {r}.push({v} + i) i = i + 1 }}")
        }),
    ]
}

/// A whole program: each statement in its own `try`, so one error does not end the run.
fn program() -> impl Strategy<Value = String> {
    prop::collection::vec(statement(), 1..24).prop_map(|body| {
        let mut text = String::from(
            "box Pushy {\n  init { items }\n  birth() { me.items = new ArrayBox() }\n  \
             push(v) { me.items.push(v) return \"pushed\" }\n  \
             get(i) { return me.items.get(i) }\n  size() { return me.items.length() }\n}\n\
             local a = new ArrayBox()\nlocal m = new MapBox()\nlocal p = new Pushy()\n\
             local x = a\nlocal s = \"s\"\n",
        );
        for s in body {
            text.push_str(&format!(
                "try {{\n  {s}\n}} catch (e) {{ print(\"error: \" + e.getMessage()) }}\n"
            ));
        }
        text.push_str("print(a)\nprint(m)\nprint(p.size())\nprint(x)\nprint(s)\n");
        text
    })
}

/// What one run of the program showed.
fn observe(file: &str, opt: &str) -> (i32, String, String) {
    let out = nyash(&["run", "--opt", opt, file]);
    (out.status, out.stdout, out.stderr)
}

#[test]
fn optimised_and_plain_programs_agree() {
    let dir = TempDir::new("optimizer-differential");
    let file = dir.path("gen.nyash");
    let config = Config {
        cases: 48,
        failure_persistence: None,
        ..Config::default()
    };
    let mut runner = TestRunner::new(config);
    let result = runner.run(&program(), |text| {
        std::fs::write(&file, &text).unwrap();
        let plain = observe(&file, "0");
        let optimised = observe(&file, "1");
        prop_assert!(
            plain.0 == 0 || plain.0 == 1,
            "the plain build failed unexpectedly: {plain:?}\n{text}"
        );
        prop_assert_eq!(&plain, &optimised, "program:\n{}", text);
        Ok(())
    });
    if let Err(e) = result {
        panic!("{e}");
    }
}

/// A value whose kind changes between calls at one call site takes the general path
/// whenever it is not an ArrayBox or MapBox, with the general path's results and errors.
#[test]
fn kind_changes_at_one_call_site() {
    let dir = TempDir::new("optimizer-kinds");
    let program = write(
        &dir,
        "kinds.nyash",
        r#"box Bag {
  init { n }
  birth() { me.n = 0 }
  push(v) { me.n = me.n + v return "bag" }
  size() { return me.n }
}
local things = new ArrayBox()
things.push(new ArrayBox())
things.push(new MapBox())
things.push(new Bag())
things.push("abc")
things.push(42)
local i = 0
loop(i < things.length()) {
  local t = things.get(i)
  try { print(t.push(3)) } catch (e) { print("push: " + e.getMessage()) }
  try { t.push(4) } catch (e) { print("push: " + e.getMessage()) }
  try { print(t.size()) } catch (e) { print("size: " + e.getMessage()) }
  try { print(t.length()) } catch (e) { print("length: " + e.getMessage()) }
  try { print(t.get(0)) } catch (e) { print("get: " + e.getMessage()) }
  try { print(t.set(0, "z")) } catch (e) { print("set: " + e.getMessage()) }
  try { print(t.has(0)) } catch (e) { print("has: " + e.getMessage()) }
  i = i + 1
}
print(things)
"#,
    );
    let plain = observe(&program, "0");
    let optimised = observe(&program, "1");
    assert_eq!(plain, optimised);
    assert_eq!(optimised.0, 0, "{optimised:?}");
    let lines: Vec<&str> = optimised.1.lines().collect();
    // The ArrayBox, then the MapBox, then the user box's own methods.
    let expected = [
        "ok",
        "2",
        "2",
        "3",
        "ok",
        "has: Unknown method 'has' for ArrayBox",
        "push: Unknown MapBox method: push",
        "push: Unknown MapBox method: push",
        "0",
        "length: Unknown MapBox method: length",
        "null",
        "Set key: 0",
        "true",
        "bag",
        "7",
    ];
    assert_eq!(&lines[..expected.len()], expected, "{lines:?}");
}
