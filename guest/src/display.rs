//! Display texts (R12, Part 2 §6.4) and type names.

use alloc::string::String;

use crate::builtins::Plain;
use crate::instance;
use crate::map::Map;
use crate::native::{self, Native};
use crate::num;
use crate::object::{
    self, KIND_ARRAY, KIND_ERROR, KIND_INSTANCE, KIND_MAP, KIND_NATIVE, KIND_PLAIN, KIND_STR,
};
use crate::state::state;
use crate::value::{Val, TAG_BOOL, TAG_FLOAT, TAG_INT, TAG_NULL, TAG_VOID};

/// The type name used in error messages (`IntegerBox`, `StringBox`, a user box's name, …).
pub fn type_name(v: &Val) -> String {
    String::from(match v.tag {
        TAG_VOID => "VoidBox",
        TAG_NULL => "NullBox",
        TAG_BOOL => "BoolBox",
        TAG_INT => "IntegerBox",
        TAG_FLOAT => "FloatBox",
        _ => {
            let p = v.ptr().unwrap();
            return match unsafe { object::kind(p) } {
                KIND_STR => "StringBox".into(),
                KIND_ARRAY => "ArrayBox".into(),
                KIND_MAP => "MapBox".into(),
                KIND_ERROR => "ErrorBox".into(),
                KIND_INSTANCE => unsafe { instance::class_of(p).name.clone() },
                KIND_PLAIN => unsafe { object::payload::<Plain>(p).name().into() },
                KIND_NATIVE => unsafe { object::payload::<Native>(p).name().into() },
                _ => "Box".into(),
            };
        }
    })
}

/// The display text of a value.
pub fn display(v: &Val) -> String {
    let mut s = String::new();
    push_display(&mut s, v, 0);
    s
}

/// Text up to this many bytes is appended byte by byte by [`push_text`].
const SHORT_TEXT: usize = 16;

/// Appends `t` to `out`, copying short text byte by byte: `push_str` copies with
/// `memory.copy`, which the engine runs as a call into the host, several times slower than
/// a few stores for the short pieces strings are usually built from.
pub fn push_text(out: &mut String, t: &str) {
    if t.len() > SHORT_TEXT {
        out.push_str(t);
        return;
    }
    out.reserve(t.len());
    // SAFETY: all of `t`, which is UTF-8, is appended, so `out` stays UTF-8.
    let bytes = unsafe { out.as_mut_vec() };
    for &c in t.as_bytes() {
        bytes.push(c);
    }
}

/// Appends the display text of a value (arrays nest at most 64 levels deep).
pub fn push_display(out: &mut String, v: &Val, depth: u32) {
    match v.tag {
        TAG_VOID => out.push_str("void"),
        TAG_NULL => out.push_str("null"),
        TAG_BOOL => out.push_str(if v.bits != 0 { "true" } else { "false" }),
        TAG_INT => num::push_int(out, v.bits as i64),
        TAG_FLOAT => num::push_float(out, f64::from_bits(v.bits)),
        _ => {
            let p = v.ptr().unwrap();
            match unsafe { object::kind(p) } {
                KIND_STR => push_text(out, v.as_str().unwrap()),
                KIND_ARRAY => {
                    if depth > 64 {
                        out.push_str("[...]");
                        return;
                    }
                    out.push('[');
                    let items = unsafe { object::payload::<alloc::vec::Vec<Val>>(p) };
                    for (i, item) in items.iter().enumerate() {
                        if i > 0 {
                            out.push_str(", ");
                        }
                        push_display(out, item, depth + 1);
                    }
                    out.push(']');
                }
                KIND_MAP => {
                    let m = unsafe { object::payload::<Map>(p) };
                    out.push_str("MapBox(size=");
                    num::push_int(out, m.len() as i64);
                    out.push(')');
                }
                KIND_ERROR => {
                    out.push_str("ErrorBox(");
                    out.push_str(unsafe { object::payload::<String>(p) });
                    out.push(')');
                }
                KIND_INSTANCE => push_instance(out, p, depth),
                KIND_PLAIN => out.push_str(unsafe { object::payload::<Plain>(p).display() }),
                crate::tasks::KIND_FUTURE => out.push_str(&crate::tasks::display(v)),
                KIND_NATIVE => {
                    native::push_display(out, unsafe { object::payload::<Native>(p) }, depth)
                }
                _ => out.push_str("<box>"),
            }
        }
    }
}

fn push_instance(out: &mut String, p: *mut object::Header, depth: u32) {
    let class = unsafe { instance::class_of(p) };
    if class.has_to_string && depth < 64 && state().pending == 0 {
        let text = instance::callback(p, instance::CALLBACK_TO_STRING);
        if state().pending == 0 {
            push_display(out, &text, depth + 1);
        }
        return;
    }
    out.push('<');
    out.push_str(&class.name);
    out.push_str(" instance>");
}
