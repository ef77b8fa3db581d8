//! The contract between the Nyash compiler and the guest runtime (`guest/`), written once.
//!
//! Compiled code and the runtime share a module: the compiler emits functions that call the
//! runtime's `ny_*` exports, read and write its state block, and pass values as
//! `(tag, bits)` pairs. Everything both sides must agree on lives here, and both import it:
//! value tags, object kinds, operator and callback codes, the layout of the state block
//! ([`State`]; the compiler takes field offsets with `core::mem::offset_of!`), and the list of
//! exports with their WebAssembly signatures ([`EXPORTS`]), which the compiler's tests check
//! against the built runtime, and the builtin boxes' method names ([`builtins`]).
//!
//! `no_std` and dependency-free, so the `wasm32-unknown-unknown` runtime can use it as it is.

#![no_std]

pub mod builtins;

/// Value tags: the first half of a value pair (`docs/compiler.md`, "Values").
pub mod tag {
    /// No value (an uninitialised local, a call without a result).
    pub const VOID: u32 = 0;
    /// `null`.
    pub const NULL: u32 = 1;
    /// A Bool: bits 0 or 1.
    pub const BOOL: u32 = 2;
    /// An Int: the bits are the i64.
    pub const INT: u32 = 3;
    /// A Float: the bits are the f64's.
    pub const FLOAT: u32 = 4;
    /// An object: the bits are its address, which starts with an object header.
    pub const OBJ: u32 = 5;
    /// A global that has never been assigned (compiled code only; never passed to the
    /// runtime).
    pub const UNSET: u32 = 0xff;
}

/// Object kinds: the low 8 bits of an object header's kind word (the upper 24 bits are the
/// class id of a user instance).
pub mod kind {
    /// A string.
    pub const STR: u32 = 1;
    /// An ArrayBox.
    pub const ARRAY: u32 = 2;
    /// A MapBox.
    pub const MAP: u32 = 3;
    /// A user instance; compiled code dispatches methods and fields on its class id.
    pub const INSTANCE: u32 = 4;
    /// An ErrorBox.
    pub const ERROR: u32 = 5;
    /// A stateless builtin box (ConsoleBox, MathBox, …).
    pub const PLAIN: u32 = 6;
    /// A builtin box with state (TimeBox, FileBox, JSONBox, …).
    pub const NATIVE: u32 = 7;
    /// A FutureBox (a task).
    pub const FUTURE: u32 = 16;
}

/// Operator codes of `ny_binop`.
pub mod op {
    /// `+`
    pub const ADD: u32 = 0;
    /// `-`
    pub const SUB: u32 = 1;
    /// `*`
    pub const MUL: u32 = 2;
    /// `/`
    pub const DIV: u32 = 3;
    /// `%`
    pub const REM: u32 = 4;
    /// `==`
    pub const EQ: u32 = 5;
    /// `!=`
    pub const NE: u32 = 6;
    /// `<`
    pub const LT: u32 = 7;
    /// `<=`
    pub const LE: u32 = 8;
    /// `>`
    pub const GT: u32 = 9;
    /// `>=`
    pub const GE: u32 = 10;
}

/// What the runtime asks of the compiled callback (`$callback(object, code)`).
pub mod callback {
    /// Run `toString` of a user instance; the result goes to the state block.
    pub const TO_STRING: u32 = 0;
    /// Run `fini` of a user instance; no result.
    pub const FINI: u32 = 1;
    /// Run (or resume) a task's function; the result goes to the state block.
    pub const RUN_TASK: u32 = 2;
}

/// The header every object starts with; compiled code increments `rc` inline and reads
/// `kind` for method and field dispatch.
#[repr(C)]
pub struct Header {
    /// The reference count.
    pub rc: u32,
    /// Kind (low 8 bits, [`kind`]) and class id of a user instance (upper 24 bits).
    pub kind: u32,
}

/// Reference counts at or above this are immortal (string literals).
pub const IMMORTAL: u32 = 1 << 30;

/// Maximum number of arguments passed through [`State::args`].
pub const MAX_ARGS: usize = 32;

/// A value as stored in memory: tag at offset 0, bits at offset 8 (16 bytes).
#[repr(C)]
#[derive(Clone, Copy, Default, Debug)]
pub struct RawVal {
    /// The tag ([`tag`]).
    pub tag: u32,
    /// Padding; always zero.
    pub pad: u32,
    /// The payload: Int, Float bits, Bool, or an object address.
    pub bits: u64,
}

/// The state block the runtime exports as `NY_STATE` and compiled code reads and writes
/// at fixed offsets.
#[repr(C)]
pub struct State {
    /// Non-zero while an error is being raised.
    pub pending: u32,
    /// The tag of the value a `ny_*` function returned (its bits are the result).
    pub ret_tag: u32,
    /// The current Nyash call depth, maintained by compiled code.
    pub depth: u32,
    /// The table index of the compiled callback.
    pub callback: u32,
    /// The bits of a value the callback returns (its tag goes to `ret_tag`).
    pub ret_bits: u64,
    /// Arguments of builtin method calls and constructors.
    pub args: [RawVal; MAX_ARGS],
    /// Non-zero while a task is suspending: resumable functions save their frames and
    /// return.
    pub unwinding: u32,
    /// Non-zero while a task is resuming: resumable functions restore their frames.
    pub rewinding: u32,
    /// Non-zero while code that cannot give the stack back runs; waits then wait in place.
    pub no_unwind: u32,
}

impl State {
    /// The state at start-up.
    pub const INIT: State = State {
        pending: 0,
        ret_tag: 0,
        depth: 0,
        callback: 0,
        ret_bits: 0,
        args: [RawVal {
            tag: 0,
            pad: 0,
            bits: 0,
        }; MAX_ARGS],
        unwinding: 0,
        rewinding: 0,
        no_unwind: 0,
    };
}

/// A WebAssembly value type of an export's signature.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ty {
    /// `i32` (also Rust's `u32`).
    I32,
    /// `i64` (also `u64`).
    I64,
    /// `f64`.
    F64,
}

use Ty::{I32, I64};

/// A runtime function compiled code calls: its export name and WebAssembly signature.
#[derive(Clone, Copy, Debug)]
pub struct Export {
    /// The export name.
    pub name: &'static str,
    /// Parameter types.
    pub params: &'static [Ty],
    /// Result types.
    pub results: &'static [Ty],
}

const fn export(name: &'static str, params: &'static [Ty], results: &'static [Ty]) -> Export {
    Export {
        name,
        params,
        results,
    }
}

/// Every `ny_*` function the runtime exports for compiled code, with its signature.
pub const EXPORTS: &[Export] = &[
    export("ny_flush", &[], &[]),
    export("ny_init", &[I32], &[]),
    export("ny_class", &[I32, I32, I32, I32, I32], &[]),
    export("ny_class_builtin", &[I32, I32, I32, I32], &[]),
    export("ny_class_weak", &[I32, I32], &[]),
    export("ny_weak_set", &[I32, I32, I32, I64], &[]),
    export("ny_weak_get", &[I32, I32], &[I64]),
    export("ny_new_instance", &[I32], &[I32]),
    export("ny_retain", &[I32], &[]),
    export("ny_release", &[I32], &[]),
    export("ny_str_static", &[I32, I32], &[I32]),
    export("ny_binop", &[I32, I32, I64, I32, I64], &[I64]),
    export("ny_append", &[I32, I32, I64], &[I32]),
    export("ny_neg", &[I32, I64], &[I64]),
    export("ny_truthy", &[I32, I64], &[I32]),
    export("ny_print", &[I32, I64], &[]),
    export("ny_call", &[I32, I64, I32, I32, I32], &[I64]),
    export("ny_new_builtin", &[I32, I32, I32], &[I64]),
    export("ny_throw", &[I32, I64], &[]),
    export("ny_raise", &[I32, I32], &[]),
    export("ny_err_field", &[I32, I64, I32, I32], &[]),
    export("ny_method_ref", &[I32, I64, I32, I32], &[I64]),
    export("ny_trace", &[I32, I32], &[]),
    export("ny_catch", &[], &[I64]),
    export("ny_error_class", &[], &[I32]),
    export("ny_uncaught", &[], &[]),
    export("ny_stack_overflow", &[], &[]),
    export("ny_finish", &[], &[]),
    export("ny_spawn", &[I32, I32, I32, I32], &[I64]),
    export("ny_task_kind", &[I32], &[I32]),
    export("ny_task_arg", &[I32, I32], &[I64]),
    export("ny_await", &[I32, I64], &[I64]),
    export("ny_resume_leaf", &[], &[I64]),
    export("ny_frame_save", &[I32, I32, I32], &[I32]),
    export("ny_frame_pop", &[I32], &[I32]),
    export("ny_frame_top", &[], &[I32]),
    export("ny_main_args", &[], &[I32]),
    export("ny_is_type", &[I32, I64, I32, I32], &[I32]),
    export("ny_as_type", &[I32, I64, I32, I32], &[I64]),
    export("ny_fini", &[I32, I64], &[]),
    export("ny_to_display", &[I32, I64], &[I32]),
    export("ny_error_suspend", &[], &[]),
    export("ny_error_resume", &[], &[]),
    // FAST_METHODS: receiver, arguments, `fast_flags`.
    export("ny_m_push", &[I32, I64, I32, I64, I32], &[I64]),
    export("ny_m_get", &[I32, I64, I32, I64, I32], &[I64]),
    export("ny_m_set", &[I32, I64, I32, I64, I32, I64, I32], &[I64]),
    export("ny_m_length", &[I32, I64, I32], &[I64]),
    export("ny_m_size", &[I32, I64, I32], &[I64]),
    export("ny_m_has", &[I32, I64, I32, I64, I32], &[I64]),
    // FAMILIES: a pointer to the runtime's request.
    export("ny_family_regex", &[I32], &[]),
    export("ny_family_json", &[I32], &[]),
    export("ny_family_net", &[I32], &[]),
    export("ny_family_time", &[I32], &[]),
    export("ny_family_file", &[I32], &[]),
    export("ny_family_math", &[I32], &[]),
    export("ny_family_random", &[I32], &[]),
    export("ny_family_debug", &[I32], &[]),
];

/// A group of builtin boxes whose code only programs that name one of them carry.
///
/// The runtime enters a family only through its export (`guest/src/families.rs`): every
/// construction of its boxes and every method call on them. A program that names none of
/// the boxes (no `new`, no `from`) cannot make one, so the compiler replaces the export's
/// body with `unreachable` and dead-code elimination leaves the family's code out.
#[derive(Clone, Copy, Debug)]
pub struct Family {
    /// The export the runtime enters the family through.
    pub export: &'static str,
    /// The boxes a program must name to need it.
    pub boxes: &'static [&'static str],
}

/// The runtime's optional families.
pub const FAMILIES: &[Family] = &[
    Family {
        export: "ny_family_regex",
        boxes: &["RegexBox"],
    },
    Family {
        export: "ny_family_json",
        boxes: &["JSONBox"],
    },
    Family {
        export: "ny_family_net",
        boxes: &[
            "SocketBox",
            "HTTPServerBox",
            "HTTPClientBox",
            "HttpClientBox",
            "HTTPRequestBox",
            "HTTPResponseBox",
        ],
    },
    Family {
        export: "ny_family_time",
        boxes: &["TimeBox", "DateTimeBox", "TimerBox"],
    },
    Family {
        export: "ny_family_file",
        boxes: &["FileBox"],
    },
    Family {
        export: "ny_family_math",
        boxes: &["MathBox"],
    },
    Family {
        export: "ny_family_random",
        boxes: &["RandomBox"],
    },
    Family {
        export: "ny_family_debug",
        boxes: &["DebugBox"],
    },
];

/// A builtin method with its own runtime entry point (`guest/src/fast.rs`).
#[derive(Clone, Copy, Debug)]
pub struct FastMethod {
    /// The method name.
    pub name: &'static str,
    /// Its argument count.
    pub argc: u32,
    /// The export compiled code calls: `(receiver, arguments…, flags: i32) -> value`, with
    /// every value a `(tag, bits)` pair owned by the callee, except a receiver passed with
    /// [`fast_flags::BORROWED`]; see [`fast_flags`].
    pub export: &'static str,
}

/// The last parameter of a [`FAST_METHODS`] entry point.
pub mod fast_flags {
    /// The caller uses the result. Without it, the entry point gives void and need not
    /// build the result (`push`'s `"ok"`, `set`'s `"Set key: …"`).
    pub const WANT: u32 = 1;
    /// The receiver is borrowed from a local of the caller, which keeps it alive for the
    /// call: the entry point must not release it.
    pub const BORROWED: u32 = 2;
}

/// Method calls that no user box answers and that compiled code sends to their own entry
/// point instead of `ny_call`: the receiver's kind is tested there, without the method's
/// name or an argument block.
pub const FAST_METHODS: &[FastMethod] = &[
    fast("push", 1, "ny_m_push"),
    fast("get", 1, "ny_m_get"),
    fast("set", 2, "ny_m_set"),
    fast("length", 0, "ny_m_length"),
    fast("size", 0, "ny_m_size"),
    fast("has", 1, "ny_m_has"),
];

const fn fast(name: &'static str, argc: u32, export: &'static str) -> FastMethod {
    FastMethod { name, argc, export }
}

/// The fast entry point for `name` with `argc` arguments, if there is one.
pub fn fast_method(name: &str, argc: u32) -> Option<&'static FastMethod> {
    FAST_METHODS
        .iter()
        .find(|m| m.name == name && m.argc == argc)
}

/// The export named `name`, if the contract has one.
pub fn export_named(name: &str) -> Option<&'static Export> {
    EXPORTS.iter().find(|e| e.name == name)
}

#[cfg(test)]
mod tests {
    extern crate std;

    use super::*;
    use std::vec::Vec;

    /// Every fast entry point is an export whose signature is the receiver and argument
    /// pairs plus the flags, giving one value; and every one serves a method that ArrayBox
    /// or MapBox lists, so the fast path never answers a call the general path refuses.
    /// Every family is entered through an export of the contract taking one pointer, and
    /// names only builtin boxes, each in one family: a misspelt name would cut a family
    /// out of programs that use it.
    #[test]
    fn families_are_exports_naming_builtin_boxes() {
        let mut seen: Vec<&str> = Vec::new();
        for f in FAMILIES {
            let e = export_named(f.export).expect("a family's entry is in EXPORTS");
            assert_eq!(
                (e.params, e.results),
                (&[Ty::I32][..], &[][..]),
                "{}",
                f.export
            );
            for b in f.boxes {
                assert!(builtins::by_name(b).is_some(), "{b} is not a builtin box");
                assert!(!seen.contains(b), "{b} is in two families");
                seen.push(b);
            }
        }
    }

    #[test]
    fn fast_methods_are_exports_of_listed_methods() {
        for m in FAST_METHODS {
            let e =
                export_named(m.export).unwrap_or_else(|| panic!("{} is not exported", m.export));
            let mut params = Vec::new();
            for _ in 0..=m.argc {
                params.extend([Ty::I32, Ty::I64]);
            }
            params.push(Ty::I32);
            assert_eq!(e.params, params.as_slice(), "{}", m.export);
            assert_eq!(e.results, &[Ty::I64], "{}", m.export);
            let listed = ["ArrayBox", "MapBox"]
                .iter()
                .any(|b| builtins::lists(b, m.name) == Some(true));
            assert!(listed, "{} is not an ArrayBox or MapBox method", m.name);
            assert_eq!(fast_method(m.name, m.argc).unwrap().export, m.export);
        }
        assert!(fast_method("push", 2).is_none());
    }
}
