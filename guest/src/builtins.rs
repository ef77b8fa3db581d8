//! Builtin boxes (Part 2 §14 with R14): construction and method dispatch for every value
//! that is not a user instance.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use crate::display::{display, type_name};
use crate::error::{self, raise};
use crate::map::Map;
use crate::object::{
    self, new_obj, new_str, KIND_ARRAY, KIND_ERROR, KIND_INSTANCE, KIND_MAP, KIND_NATIVE,
    KIND_PLAIN, KIND_STR,
};
use crate::value::{Val, TAG_BOOL, TAG_FLOAT, TAG_INT, TAG_NULL, TAG_VOID};
use crate::{array, instance, native, ops, strings, wasi};

/// Builtin boxes without state.
pub enum Plain {
    /// `new ConsoleBox()`.
    Console,
    /// `new MathBox()`.
    Math,
}

impl Plain {
    /// The box name.
    pub fn name(&self) -> &'static str {
        match self {
            Plain::Console => "ConsoleBox",
            Plain::Math => "MathBox",
        }
    }
    /// The display text.
    pub fn display(&self) -> &'static str {
        match self {
            Plain::Console => "[ConsoleBox - Mock Implementation]",
            Plain::Math => "MathBox()",
        }
    }
}

/// Raises `<name>() expects N argument(s), got M` unless `args.len() == n`.
pub fn expect_args(name: &str, args: &[Val], n: usize) -> Option<()> {
    if args.len() == n {
        return Some(());
    }
    // §14: the catalogue's wording, `argument(s)` whatever N is.
    raise(format!(
        "{name}() expects {n} argument(s), got {}",
        args.len()
    ));
    None
}

/// The Int argument of method `name`, or a raised error.
pub fn arg_int(name: &str, v: &Val) -> Option<i64> {
    if let Some(i) = v.as_int() {
        return Some(i);
    }
    if matches!(name, "get" | "set" | "remove") {
        // §14.1/§15: index arguments.
        raise(format!("{name}() requires integer index"));
        return None;
    }
    raise(format!(
        "{name}() requires an integer argument, got {}",
        type_name(v)
    ));
    None
}

/// The numeric argument of method `name` as f64, or a raised error.
pub fn arg_num(name: &str, v: &Val) -> Option<f64> {
    if let Some(f) = v.as_number() {
        return Some(f);
    }
    raise(format!(
        "{name}() requires a numeric argument, got {}",
        type_name(v)
    ));
    None
}

/// The string argument of method `name`, or a raised error.
pub fn arg_str<'a>(name: &str, v: &'a Val) -> Option<&'a str> {
    if let Some(s) = v.as_str() {
        return Some(s);
    }
    raise(format!(
        "{name}() requires a string argument, got {}",
        type_name(v)
    ));
    None
}

/// Raises `Unknown method 'm' for Box`, or `Unknown Box method: m` for the boxes whose
/// message §15 words that way.
pub fn unknown_method(box_name: &str, name: &str) -> Option<Val> {
    #[cfg(feature = "checked-alloc")]
    crate::method_table::unknown_raised();
    match box_name {
        "MapBox" | "MathBox" | "ConsoleBox" | "NullBox" | "TimeBox" | "DateTimeBox"
        | "RandomBox" | "DebugBox" => raise(format!("Unknown {box_name} method: {name}")),
        _ => raise(format!("Unknown method '{name}' for {box_name}")),
    }
    None
}

/// `new Name(args)` for a builtin box.
pub fn construct(name: &str, args: Vec<Val>) -> Option<Val> {
    let n = args.len();
    let arity = |max: usize| -> Option<()> {
        if n <= max {
            return Some(());
        }
        if max == 0 {
            // §14: `<Name> constructor expects N arguments, got M`.
            raise(format!("{name} constructor expects 0 arguments, got {n}"));
        } else {
            raise(format!(
                "{name} constructor expects at most {max} arguments, got {n}"
            ));
        }
        None
    };
    let r = match name {
        "ArrayBox" => {
            arity(0)?;
            object::new_array(Vec::new())
        }
        "MapBox" => {
            arity(0)?;
            new_obj(KIND_MAP, Map::default())
        }
        "StringBox" => {
            arity(1)?;
            new_str(args.first().map(display).unwrap_or_default())
        }
        "IntegerBox" => {
            arity(1)?;
            match args.first() {
                None => Val::int(0),
                Some(v) if v.tag == TAG_INT => v.clone(),
                Some(v) => {
                    // §14.2: the display text, parsed as it is (no trimming), so
                    // `new IntegerBox(2.7)` and `new IntegerBox(" 3")` are errors.
                    let text = display(v);
                    match text.parse::<i64>().ok() {
                        Some(i) => Val::int(i),
                        None => {
                            raise(format!("Cannot convert '{text}' to integer"));
                            return None;
                        }
                    }
                }
            }
        }
        "FloatBox" => {
            arity(1)?;
            match args.first() {
                None => Val::float(0.0),
                Some(v) if v.as_number().is_some() => Val::float(v.as_number().unwrap()),
                Some(v) => {
                    // §14.3: parsed as it is, without trimming (as IntegerBox and BoolBox).
                    let text = display(v);
                    match text.parse::<f64>().ok() {
                        Some(f) => Val::float(f),
                        None => {
                            raise(format!("Cannot convert '{text}' to float"));
                            return None;
                        }
                    }
                }
            }
        }
        "BoolBox" => {
            arity(1)?;
            match args.first() {
                None => Val::bool(false),
                Some(v) if v.tag == TAG_BOOL => v.clone(),
                Some(v) => {
                    let text = display(v);
                    if text.eq_ignore_ascii_case("true") {
                        Val::bool(true)
                    } else if text.eq_ignore_ascii_case("false") {
                        Val::bool(false)
                    } else {
                        raise(format!("Cannot convert '{text}' to boolean"));
                        return None;
                    }
                }
            }
        }
        "NullBox" => Val::null(),
        "ErrorBox" => {
            arity(1)?;
            error::error_box(args.first().map(display).unwrap_or_default())
        }
        "ConsoleBox" => {
            arity(0)?;
            new_obj(KIND_PLAIN, Plain::Console)
        }
        "MathBox" => {
            arity(0)?;
            new_obj(KIND_PLAIN, Plain::Math)
        }
        _ => return native::construct(name, args),
    };
    Some(r)
}

/// Calls method `name` on a value that compiled code could not dispatch itself.
pub fn call(recv: Val, name: &str, args: Vec<Val>) -> Option<Val> {
    #[cfg(feature = "checked-alloc")]
    {
        let pending = crate::method_table::before(&recv, name);
        let r = dispatch(recv, name, args);
        crate::method_table::after(pending, name);
        r
    }
    #[cfg(not(feature = "checked-alloc"))]
    dispatch(recv, name, args)
}

fn dispatch(recv: Val, name: &str, mut args: Vec<Val>) -> Option<Val> {
    match recv.tag {
        TAG_INT => int_method(recv.bits as i64, name, &args),
        TAG_FLOAT => float_method(f64::from_bits(recv.bits), name, &args),
        TAG_BOOL => bool_method(recv.bits != 0, name, &args),
        TAG_NULL => null_method(name, &args),
        TAG_VOID => {
            raise(format!("Cannot call method '{name}' on non-instance type"));
            None
        }
        _ => {
            let p = recv.ptr().unwrap();
            match unsafe { object::kind(p) } {
                KIND_STR => strings::call(recv.as_str().unwrap(), p as usize, name, &args),
                KIND_ARRAY => array::call(unsafe { object::payload(p) }, name, &mut args),
                KIND_MAP => array::call_map(unsafe { object::payload(p) }, name, &mut args),
                KIND_ERROR => error_method(unsafe { object::payload::<String>(p) }, name, &args),
                KIND_INSTANCE => instance_method(&recv, name, &args),
                KIND_PLAIN => match unsafe { object::payload::<Plain>(p) } {
                    Plain::Console => console_method(name, &args),
                    Plain::Math => crate::families::ask(
                        crate::families::ny_family_math,
                        crate::families::Op::Call(&recv, name, args),
                    ),
                },
                crate::tasks::KIND_FUTURE => crate::tasks::method(&recv, name, &args).flatten(),
                KIND_NATIVE => native::call(&recv, name, args),
                _ => unknown_method("Box", name),
            }
        }
    }
}

fn instance_method(recv: &Val, name: &str, args: &[Val]) -> Option<Val> {
    let p = recv.ptr().unwrap();
    match name {
        "toString" if args.is_empty() => Some(new_str(display(recv))),
        "fini" if args.is_empty() => {
            unsafe { instance::finalize(p) };
            Some(Val::void())
        }
        _ => {
            let class = unsafe { instance::class_of(p) };
            if let Some((builtin, slot)) = &class.builtin {
                let f = unsafe { &mut instance::fields(p)[*slot as usize] };
                if name == "(builtin content)" && args.len() == 1 {
                    // `from StringBox.birth(s)`: store the content.
                    let old = Val::from_raw(f.tag, f.bits);
                    let (tag, bits) = args[0].clone().into_raw();
                    f.tag = tag;
                    f.bits = bits;
                    drop(old);
                    return Some(Val::void());
                }
                // §9.2 step 6: an unknown method goes to the builtin content, or to a fresh
                // builtin when there is none.
                let content = if f.tag == TAG_NULL {
                    construct(builtin, Vec::new())?
                } else {
                    let borrowed = Val::from_raw(f.tag, f.bits);
                    let owned = borrowed.clone();
                    core::mem::forget(borrowed);
                    owned
                };
                return call(content, name, args.to_vec());
            }
            raise(format!("Method '{name}' not found in {}", class.name));
            None
        }
    }
}

fn int_method(i: i64, name: &str, args: &[Val]) -> Option<Val> {
    let r = match name {
        "toString" => {
            expect_args(name, args, 0)?;
            new_str(display(&Val::int(i)))
        }
        "abs" => {
            expect_args(name, args, 0)?;
            Val::int(i.wrapping_abs())
        }
        "max" | "min" => {
            // §14.2: an Int argument only.
            expect_args(name, args, 1)?;
            let j = arg_int(name, &args[0])?;
            Val::int(if name == "max" { i.max(j) } else { i.min(j) })
        }
        "toFloat" => {
            expect_args(name, args, 0)?;
            Val::float(i as f64)
        }
        "toInteger" => {
            expect_args(name, args, 0)?;
            Val::int(i)
        }
        "pow" => {
            expect_args(name, args, 1)?;
            Val::float(libm::pow(i as f64, arg_num(name, &args[0])?))
        }
        "equals" => {
            expect_args(name, args, 1)?;
            Val::bool(ops::equals(&Val::int(i), &args[0]))
        }
        _ => return unknown_method("IntegerBox", name),
    };
    Some(r)
}

fn float_method(f: f64, name: &str, args: &[Val]) -> Option<Val> {
    let unary = |g: fn(f64) -> f64| -> Option<Val> {
        expect_args(name, args, 0)?;
        Some(Val::float(g(f)))
    };
    let r = match name {
        "toString" => {
            expect_args(name, args, 0)?;
            new_str(display(&Val::float(f)))
        }
        "abs" => return unary(libm::fabs),
        "floor" | "ceil" | "round" | "toInteger" => {
            expect_args(name, args, 0)?;
            let g = match name {
                "floor" => libm::floor(f),
                "ceil" => libm::ceil(f),
                "round" => libm::round(f),
                _ => libm::trunc(f),
            };
            Val::int(g as i64)
        }
        "max" | "min" | "pow" => {
            expect_args(name, args, 1)?;
            let y = arg_num(name, &args[0])?;
            Val::float(match name {
                "max" => f.max(y),
                "min" => f.min(y),
                _ => libm::pow(f, y),
            })
        }
        "sqrt" => {
            expect_args(name, args, 0)?;
            if f < 0.0 {
                raise("Cannot take square root of negative number".into());
                return None;
            }
            Val::float(libm::sqrt(f))
        }
        "sin" => return unary(libm::sin),
        "cos" => return unary(libm::cos),
        "tan" => return unary(libm::tan),
        "exp" => return unary(libm::exp),
        "log" | "log10" => {
            expect_args(name, args, 0)?;
            if f <= 0.0 {
                raise("Cannot take logarithm of non-positive number".into());
                return None;
            }
            Val::float(if name == "log" {
                libm::log(f)
            } else {
                libm::log10(f)
            })
        }
        "isNaN" => {
            expect_args(name, args, 0)?;
            Val::bool(f.is_nan())
        }
        "isInfinite" => {
            expect_args(name, args, 0)?;
            Val::bool(f.is_infinite())
        }
        "isFinite" => {
            expect_args(name, args, 0)?;
            Val::bool(f.is_finite())
        }
        "toFloat" => {
            expect_args(name, args, 0)?;
            Val::float(f)
        }
        "equals" => {
            expect_args(name, args, 1)?;
            Val::bool(ops::equals(&Val::float(f), &args[0]))
        }
        _ => return unknown_method("FloatBox", name),
    };
    Some(r)
}

fn bool_method(b: bool, name: &str, args: &[Val]) -> Option<Val> {
    let r = match name {
        "toString" => {
            expect_args(name, args, 0)?;
            new_str(String::from(if b { "true" } else { "false" }))
        }
        "not" => {
            expect_args(name, args, 0)?;
            Val::bool(!b)
        }
        "and" => {
            expect_args(name, args, 1)?;
            Val::bool(b && ops::truthy(&args[0]))
        }
        "or" => {
            expect_args(name, args, 1)?;
            Val::bool(b || ops::truthy(&args[0]))
        }
        "equals" => {
            expect_args(name, args, 1)?;
            Val::bool(ops::equals(&Val::bool(b), &args[0]))
        }
        _ => return unknown_method("BoolBox", name),
    };
    Some(r)
}

fn null_method(name: &str, args: &[Val]) -> Option<Val> {
    let r = match name {
        "isNull" | "is_null" => {
            expect_args(name, args, 0)?;
            Val::bool(true)
        }
        "is_not_null" => {
            expect_args(name, args, 0)?;
            Val::bool(false)
        }
        "toString" => {
            expect_args(name, args, 0)?;
            new_str("null".into())
        }
        "equals" => {
            expect_args(name, args, 1)?;
            Val::bool(args[0].tag == TAG_NULL)
        }
        "get_or_default" => {
            expect_args(name, args, 1)?;
            args[0].clone()
        }
        _ => return unknown_method("NullBox", name),
    };
    Some(r)
}

fn error_method(msg: &str, name: &str, args: &[Val]) -> Option<Val> {
    let r = match name {
        "getMessage" => {
            expect_args(name, args, 0)?;
            new_str(msg.into())
        }
        "toString" => {
            expect_args(name, args, 0)?;
            new_str(format!("ErrorBox({msg})"))
        }
        _ => return unknown_method("ErrorBox", name),
    };
    Some(r)
}

fn joined(args: &[Val]) -> String {
    let mut out = String::new();
    for (i, a) in args.iter().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        crate::display::push_display(&mut out, a, 0);
    }
    out
}

fn console_method(name: &str, args: &[Val]) -> Option<Val> {
    let prefix = match name {
        "log" => "[Console LOG] ",
        "warn" => "[Console WARN] ",
        "error" => "[Console ERROR] ",
        "print" => "",
        "readLine" => {
            expect_args(name, args, 0)?;
            return wasi::read_line();
        }
        "clear" => {
            wasi::write_stdout(b"[Console CLEAR]\n");
            return Some(Val::void());
        }
        _ => return unknown_method("ConsoleBox", name),
    };
    if args.is_empty() {
        raise(format!("console.{name}() requires at least 1 argument"));
        return None;
    }
    let mut line = String::from(prefix);
    line.push_str(&joined(args));
    line.push('\n');
    wasi::write_stdout(line.as_bytes());
    Some(Val::void())
}

/// MathBox methods (its family's entry, `families.rs`, calls this).
pub(crate) fn math_method(name: &str, args: &[Val]) -> Option<Val> {
    let one = |g: fn(f64) -> f64| -> Option<Val> {
        expect_args(name, args, 1)?;
        Some(Val::float(g(arg_num(name, &args[0])?)))
    };
    let r = match name {
        "getPi" => Val::float(core::f64::consts::PI),
        "getE" => Val::float(core::f64::consts::E),
        "abs" => {
            expect_args(name, args, 1)?;
            match args[0].as_int() {
                Some(i) => Val::int(i.wrapping_abs()),
                None => Val::float(libm::fabs(arg_num(name, &args[0])?)),
            }
        }
        "max" | "min" => {
            expect_args(name, args, 2)?;
            if let (Some(a), Some(b)) = (args[0].as_int(), args[1].as_int()) {
                Val::int(if name == "max" { a.max(b) } else { a.min(b) })
            } else {
                let (a, b) = (arg_num(name, &args[0])?, arg_num(name, &args[1])?);
                Val::float(if name == "max" { a.max(b) } else { a.min(b) })
            }
        }
        "pow" => {
            // §14.9: Int base and a non-negative Int exponent; misuse raises (R14).
            expect_args(name, args, 2)?;
            let (a, b) = (arg_int(name, &args[0])?, arg_int(name, &args[1])?);
            if b < 0 {
                raise(format!("pow() requires a non-negative exponent, got {b}"));
                return None;
            }
            Val::float(libm::pow(a as f64, b as f64))
        }
        "sqrt" => {
            expect_args(name, args, 1)?;
            let x = arg_num(name, &args[0])?;
            if x < 0.0 {
                raise("Cannot take square root of negative number".into());
                return None;
            }
            Val::float(libm::sqrt(x))
        }
        "sin" => return one(libm::sin),
        "cos" => return one(libm::cos),
        "tan" => return one(libm::tan),
        "exp" => return one(libm::exp),
        "log" | "log10" => {
            expect_args(name, args, 1)?;
            let x = arg_num(name, &args[0])?;
            if x <= 0.0 {
                raise("Cannot take logarithm of non-positive number".into());
                return None;
            }
            Val::float(if name == "log" {
                libm::log(x)
            } else {
                libm::log10(x)
            })
        }
        "floor" | "ceil" | "round" => {
            expect_args(name, args, 1)?;
            match args[0].as_int() {
                Some(i) => Val::int(i),
                None => {
                    let x = arg_num(name, &args[0])?;
                    Val::int(match name {
                        "floor" => libm::floor(x),
                        "ceil" => libm::ceil(x),
                        _ => libm::round(x),
                    } as i64)
                }
            }
        }
        _ => return unknown_method("MathBox", name),
    };
    Some(r)
}

/// `isType(v, "T")` (Part 2 §9.1).
pub fn is_type(v: &Val, ty: &str) -> bool {
    let actual = type_name(v);
    let want = match ty {
        "Integer" | "Int" | "I64" => "IntegerBox",
        "Float" | "F64" => "FloatBox",
        "Bool" | "Boolean" => "BoolBox",
        "String" => "StringBox",
        "Void" | "Unit" => "VoidBox",
        "Null" => "NullBox",
        other => other,
    };
    actual == want
        || (actual.len() == want.len() + 3 && actual.starts_with(want) && actual.ends_with("Box"))
}

/// `asType(v, "T")` (Part 2 §9.1).
pub fn as_type(v: Val, ty: &str) -> Val {
    match (ty, v.tag) {
        ("Integer" | "Int" | "I64" | "IntegerBox", TAG_FLOAT) => {
            Val::int(f64::from_bits(v.bits) as i64)
        }
        ("Float" | "F64" | "FloatBox", TAG_INT) => Val::float(v.bits as i64 as f64),
        _ => v,
    }
}
