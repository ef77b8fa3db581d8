//! Snapshots of the back end's work on small programs: the IR after every pass and the
//! WebAssembly text of the functions the compiler adds to the runtime.
//!
//! Each program in `tests/ir/` gets one snapshot per [`Pass`] and one of its code, so a
//! change to a pass or to code generation shows up as a readable diff (review it with
//! `cargo insta review`, or accept it with `INSTA_UPDATE=always cargo test --test
//! ir_snapshots`). The WebAssembly text is made independent of the runtime's size: the
//! program's functions are numbered from 0 (`$p3`), and calls into the runtime name the
//! runtime's export (`$ny_alloc`), the state block is `$NY_STATE` and the program's data
//! `$data+8`, and type indices are left out, so a change to `guest/` alone changes no
//! snapshot unless it changes what the compiler emits (the callback's table slot, at the
//! runtime's table size, is one such thing).

#![allow(clippy::disallowed_methods)] // A test driver reads its own input files.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use nyash_compiler::codegen::merge::{Dropped, NETWORK_IMPORTS};
use nyash_compiler::codegen::runtime::RuntimeInfo;
use nyash_compiler::ir::{self, print::print_program, Pass};
use nyash_compiler::{compile_checked_with, load_program, FsLoader, GuestRuntime, Options};

fn programs() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/ir");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("tests/ir exists")
        .map(|e| e.expect("readable directory").path())
        .filter(|p| p.extension().is_some_and(|e| e == "nyash"))
        .collect();
    files.sort();
    files
}

fn name(path: &Path) -> String {
    path.file_stem().unwrap().to_string_lossy().into_owned()
}

/// The settings shared by every snapshot: stored in `snapshots/ir/`, described by the
/// program's path.
fn settings(path: &Path) -> insta::Settings {
    let mut s = insta::Settings::clone_current();
    s.set_snapshot_path("snapshots/ir");
    s.set_prepend_module_to_snapshot(false);
    s.set_description(format!(
        "tests/ir/{}",
        path.file_name().unwrap().to_string_lossy()
    ));
    s.set_omit_expression(true);
    s
}

#[test]
fn the_ir_after_every_pass() {
    for path in programs() {
        let checked = load_program(&path, &FsLoader);
        assert!(checked.is_ok(), "{} does not check", path.display());
        let mut seen = Vec::new();
        ir::build_observed(&checked, &mut |pass, prog| {
            seen.push((pass, print_program(prog)));
        });
        assert_eq!(
            seen.iter().map(|(p, _)| *p).collect::<Vec<_>>(),
            Pass::ALL,
            "build_observed shows every pass once, in order"
        );
        settings(&path).bind(|| {
            for (pass, text) in seen {
                insta::assert_snapshot!(format!("{}.{}", name(&path), pass.name()), text);
            }
        });
    }
}

#[test]
fn the_code_of_every_program() {
    let runtime = Runtime::read(GuestRuntime::Standard);
    for path in programs() {
        let checked = load_program(&path, &FsLoader);
        // Unpruned, so that runtime functions keep their index in the runtime.
        let options = Options {
            prune: false,
            ..Options::default()
        };
        let wasm = compile_checked_with(checked, options).expect("compiles");
        let text = wasmprinter::print_bytes(&wasm).expect("the module prints");
        let code = runtime.program_functions(&text);
        assert!(
            code.contains("(func $p0"),
            "{}: no program function",
            path.display()
        );
        settings(&path).bind(|| {
            insta::assert_snapshot!(format!("{}.wat", name(&path)), code);
        });
    }
}

/// What the snapshots need to know about the guest runtime module.
struct Runtime {
    info: RuntimeInfo,
    /// Exported function names by index.
    exports: HashMap<u32, String>,
    /// Where the program's data starts (above the runtime's initial memory).
    data_base: u32,
}

impl Runtime {
    fn read(guest: GuestRuntime) -> Runtime {
        // The snapshot programs make no network box, so the runtime's network imports are
        // dropped and its functions renumbered, as the compiler does.
        let dropped = Dropped::imports_of(guest.wasm(), NETWORK_IMPORTS).unwrap();
        let info = RuntimeInfo::load(guest).without(&dropped);
        let exports = info
            .functions
            .iter()
            .map(|(name, &index)| (index, name.clone()))
            .collect();
        let data_base = u32::try_from(info.memory_min_pages * 65536).unwrap();
        Runtime {
            info,
            exports,
            data_base,
        }
    }

    /// An `i32.const` operand as the snapshots show it: the state block and the program's
    /// data by name, since their addresses move with the runtime's size.
    fn constant(&self, value: &str) -> String {
        let Ok(n) = value.parse::<i64>() else {
            return value.to_string();
        };
        if n == i64::from(self.info.state_addr) {
            "$NY_STATE".to_string()
        } else if n >= i64::from(self.data_base) && n < i64::from(self.data_base) + (1 << 24) {
            format!("$data+{}", n - i64::from(self.data_base))
        } else {
            value.to_string()
        }
    }

    /// A function index as the snapshots show it.
    fn func_name(&self, index: u32) -> String {
        let base = self.info.function_count;
        if index >= base {
            format!("$p{}", index - base)
        } else if let Some(name) = self.exports.get(&index) {
            format!("${name}")
        } else {
            format!("$runtime_{index}")
        }
    }

    /// The program's functions out of the module's text, with stable names. Type indices
    /// are left out (each function's signature is printed anyway).
    fn program_functions(&self, text: &str) -> String {
        let mut out = String::new();
        let mut inside = false;
        for line in text.lines() {
            if let Some(rest) = line.strip_prefix("  (func (;") {
                let (index, _) = rest.split_once(";)").unwrap();
                let index: u32 = index.parse().unwrap();
                inside = index >= self.info.function_count;
                if inside {
                    let sig = rest.split_once(";)").unwrap().1;
                    let sig = strip_type_use(sig);
                    out.push_str(&format!("(func {}{sig}\n", self.func_name(index)));
                }
                continue;
            }
            if line.starts_with("  (") {
                inside = false;
            }
            if inside {
                out.push_str(&self.rename_calls(line.strip_prefix("  ").unwrap_or(line)));
                out.push('\n');
            }
        }
        out
    }

    fn rename_calls(&self, line: &str) -> String {
        let trimmed = line.trim_start();
        let indent = &line[..line.len() - trimmed.len()];
        for op in ["call ", "return_call ", "ref.func "] {
            if let Some(index) = trimmed.strip_prefix(op) {
                if let Ok(index) = index.trim().parse::<u32>() {
                    return format!("{indent}{op}{}", self.func_name(index));
                }
            }
        }
        if let Some(value) = trimmed.strip_prefix("i32.const ") {
            return format!("{indent}i32.const {}", self.constant(value));
        }
        for op in ["global.get ", "global.set "] {
            if let Some(index) = trimmed.strip_prefix(op) {
                if let Ok(index) = index.trim().parse::<u32>() {
                    if index >= self.info.global_count {
                        let k = index - self.info.global_count;
                        return format!("{indent}{op}$g{k}");
                    }
                }
            }
        }
        // Type indices move with the runtime's type count; a block's results are printed
        // after its type use anyway.
        if ["call_indirect", "block", "loop", "if", "try_table"]
            .iter()
            .any(|op| trimmed.starts_with(op))
        {
            return format!("{indent}{}", strip_type_use(trimmed));
        }
        line.to_string()
    }
}

/// `… (type 12) …` without the type index.
fn strip_type_use(s: &str) -> String {
    match s.find("(type ") {
        Some(start) => {
            let end = start + s[start..].find(')').unwrap() + 1;
            format!("{}{}", &s[..start], s[end..].trim_start())
                .trim_end()
                .to_string()
        }
        None => s.to_string(),
    }
}
