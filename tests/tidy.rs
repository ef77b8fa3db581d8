//! Tidy rules for the repository's own files, checked on every `cargo test`:
//!
//! - every Rust file (the workspace crates, `tests/`, `guest/`, `fuzz/`, fixtures) opens
//!   with a `//!` doc comment that says what the module is for;
//! - no test is skipped or turned upside down: no ignore or should-panic attributes (a
//!   known-wrong behaviour is asserted as it is, with a FIXME);
//! - no line of source or documentation ends in spaces or tabs.
//!
//! Expected outputs (`.stdout`, `.stderr`, `.snap`) are data and may end lines in spaces.
//! Build output (`target/`) and fuzzing's working directories are not read.

use std::path::{Path, PathBuf};

/// File extensions of source and documentation.
const TEXT: &[&str] = &[
    "rs", "toml", "md", "sh", "py", "nyash", "c", "js", "mjs", "lua", "wat", "yml",
];

/// Directories that hold no file of ours, wherever they are.
const SKIPPED_DIRS: &[&str] = &["target", ".git", "node_modules"];

/// Directories of the fuzzer's inputs and findings (`cargo fuzz` creates them).
const SKIPPED_PATHS: &[&str] = &["fuzz/corpus", "fuzz/artifacts", "fuzz/coverage"];

fn files(root: &Path, dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for path in entries {
        let name = path.file_name().unwrap().to_string_lossy();
        let relative = path.strip_prefix(root).unwrap();
        if path.is_dir() {
            let skipped = SKIPPED_DIRS.contains(&name.as_ref())
                || SKIPPED_PATHS.iter().any(|p| relative == Path::new(p));
            if !skipped {
                files(root, &path, out);
            }
        } else {
            out.push(relative.to_path_buf());
        }
    }
}

/// Every problem in the text of `file`, as `path:line: what`.
fn problems(file: &Path, text: &str) -> Vec<String> {
    let mut found = Vec::new();
    let shown = file.display();
    let extension = file.extension().and_then(|e| e.to_str()).unwrap_or("");
    let is_text = TEXT.contains(&extension) || file == Path::new(".ci/run");
    if extension == "rs" {
        let first = text.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
        if !first.starts_with("//!") {
            found.push(format!(
                "{shown}:1: no `//!` doc comment at the top of the module"
            ));
        }
        // Spelled in two pieces, so that this file does not match itself.
        let forbidden = [concat!("#[", "ignore"), concat!("#[", "should_panic")];
        for (n, line) in text.lines().enumerate() {
            for attribute in forbidden {
                if line.contains(attribute) {
                    found.push(format!(
                        "{shown}:{}: `{attribute}]`: assert what happens today instead",
                        n + 1
                    ));
                }
            }
        }
    }
    if is_text {
        for (n, line) in text.lines().enumerate() {
            if line.ends_with([' ', '\t']) {
                found.push(format!("{shown}:{}: trailing whitespace", n + 1));
            }
        }
    }
    found
}

#[test]
fn the_repository_is_tidy() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let mut list = Vec::new();
    files(root, root, &mut list);
    let rust = list
        .iter()
        .filter(|f| f.extension().is_some_and(|e| e == "rs"));
    assert!(rust.count() > 50, "too few Rust files found under {root:?}");
    let mut found = Vec::new();
    for file in &list {
        // Binary files (the probe's `.wasm`, images) are not text and are skipped.
        if let Ok(text) = std::fs::read_to_string(root.join(file)) {
            found.extend(problems(file, &text));
        }
    }
    assert!(found.is_empty(), "untidy:\n{}", found.join("\n"));
}

#[test]
fn the_rules_catch_what_they_describe() {
    let rs = Path::new("x.rs");
    assert_eq!(problems(rs, "//! Docs.\nfn f() {}\n"), Vec::<String>::new());
    assert_eq!(
        problems(rs, "\n//! Docs after a blank line.\n"),
        Vec::<String>::new()
    );
    assert_eq!(
        problems(rs, "fn f() {}\n"),
        ["x.rs:1: no `//!` doc comment at the top of the module"]
    );
    let skipped = concat!("//! Docs.\n#[", "ignore]\nfn f() {}\n");
    assert_eq!(
        problems(rs, skipped),
        [concat!(
            "x.rs:2: `#[",
            "ignore]`: assert what happens today instead"
        )]
    );
    let upside_down = concat!("//! Docs.\n#[", "should_panic(expected = \"x\")]\n");
    assert_eq!(problems(rs, upside_down).len(), 1);
    assert_eq!(
        problems(Path::new("a.md"), "fine\ntrailing \ntab\t\n"),
        ["a.md:2: trailing whitespace", "a.md:3: trailing whitespace"]
    );
    assert_eq!(
        problems(Path::new("p.stdout"), "data may end in a space \n"),
        Vec::<String>::new()
    );
}
