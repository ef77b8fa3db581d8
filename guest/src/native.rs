//! Builtin boxes with state (Part 2 §14.10–14.17 with R14, and §13's ChannelBox and
//! `nyashstd`): one object kind, [`crate::object::KIND_NATIVE`], whose payload is a
//! [`Native`]. Construction, display, equality and method dispatch start here; the boxes
//! themselves live in their own modules.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use crate::buffer;
use crate::builtins::{arg_str, expect_args, unknown_method};
use crate::debug::Debug;
use crate::display::{display, push_display as push_value};
use crate::error::raise;
use crate::families::{self, Op};
use crate::json;
use crate::object::{self, new_obj, new_str, KIND_NATIVE};
use crate::random;
use crate::regexbox::Re;
use crate::time::{self, Timer};
use crate::value::Val;

/// The state of a builtin box.
pub enum Native {
    /// `new TimeBox()`.
    Time,
    /// A DateTimeBox: milliseconds since 1970-01-01T00:00:00Z.
    DateTime(i64),
    /// `new TimerBox()`.
    Timer(Timer),
    /// `new RandomBox()`: the generator state.
    Random(u64),
    /// `new FileBox(path)`.
    File(String),
    /// `new ResultBox(v)`: Ok(v) or Err(v).
    Result {
        /// Ok or Err.
        ok: bool,
        /// The payload.
        value: Val,
    },
    /// `new BufferBox()`.
    Buffer(Vec<u8>),
    /// `new JSONBox(text)`.
    Json(crate::jsontext::Value),
    /// `new RegexBox(pattern)`.
    Regex(Re),
    /// `new DebugBox()`.
    Debug(Debug),
    /// `new SocketBox()`.
    Socket(alloc::boxed::Box<crate::net::Socket>),
    /// An HTTPRequestBox.
    HttpRequest(alloc::boxed::Box<crate::http::Request>),
    /// An HTTPResponseBox.
    HttpResponse(alloc::boxed::Box<crate::http::Response>),
    /// A MethodBox: method `name` of `recv` (`x.m` for a method `m`, or
    /// `new MethodBox(x, "m")`).
    Method {
        /// The receiver.
        recv: Val,
        /// The method's name.
        name: String,
    },
    /// `a >> b`.
    Channel {
        /// The sender's text.
        sender: String,
        /// The receiver's name or text.
        receiver: String,
    },
}

impl Native {
    /// The box name.
    pub fn name(&self) -> &'static str {
        match self {
            Native::Time => "TimeBox",
            Native::DateTime(_) => "DateTimeBox",
            Native::Timer(_) => "TimerBox",
            Native::Random(_) => "RandomBox",
            Native::File(_) => "FileBox",
            Native::Result { .. } => "ResultBox",
            Native::Buffer(_) => "BufferBox",
            Native::Json(_) => "JSONBox",
            Native::Regex(_) => "RegexBox",
            Native::Debug(_) => "DebugBox",
            Native::Channel { .. } => "ChannelBox",
            Native::Socket(_) => "SocketBox",
            Native::HttpRequest(_) => "HTTPRequestBox",
            Native::HttpResponse(_) => "HTTPResponseBox",
            Native::Method { .. } => "MethodBox",
        }
    }
}

/// A new object holding `n`.
pub fn new_native(n: Native) -> Val {
    new_obj(KIND_NATIVE, n)
}

/// The builtin box state of `v`, if it is one.
pub fn native_of(v: &Val) -> Option<&'static mut Native> {
    if v.kind() == Some(KIND_NATIVE) {
        Some(unsafe { object::payload::<Native>(v.ptr().unwrap()) })
    } else {
        None
    }
}

/// Appends the display text of a builtin box (Part 2 §6.4).
pub fn push_display(out: &mut String, n: &Native, depth: u32) {
    match n {
        Native::Time | Native::Random(_) => {
            out.push_str(n.name());
            out.push_str("()");
        }
        Native::DateTime(ms) => out.push_str(&time::to_display(*ms)),
        Native::Timer(t) => out.push_str(&format!("TimerBox(id={})", t.id)),
        Native::File(path) => {
            out.push_str("FileBox(");
            out.push_str(path);
            out.push(')');
        }
        Native::Result { ok, value } => {
            out.push_str(if *ok { "Ok(" } else { "Err(" });
            push_value(out, value, depth + 1);
            out.push(')');
        }
        Native::Buffer(bytes) => out.push_str(&format!("BufferBox({} bytes)", bytes.len())),
        Native::Json(v) => out.push_str(&json::stringify(v)),
        Native::Regex(re) => {
            out.push_str("RegexBox(");
            out.push_str(&re.pattern);
            out.push(')');
        }
        Native::Debug(d) => out.push_str(&format!("DebugBox[{} tracked]", d.tracked.len())),
        Native::Channel { sender, receiver } => {
            out.push_str(&format!("Channel({sender} >> {receiver})"))
        }
        Native::Socket(s) => crate::net::push_display(out, s),
        Native::HttpRequest(r) => crate::http::push_request_display(out, r),
        Native::HttpResponse(r) => crate::http::push_response_display(out, r),
        Native::Method { recv, name } => {
            out.push_str("MethodBox(");
            out.push_str(&crate::display::type_name(recv));
            out.push('.');
            out.push_str(name);
            out.push(')');
        }
    }
}

/// `==` between two builtin boxes that are not the same object (Part 2 §6.5).
pub fn equals(a: &Native, b: &Native) -> bool {
    match (a, b) {
        (Native::DateTime(x), Native::DateTime(y)) => x == y,
        (Native::File(x), Native::File(y)) => x == y,
        (Native::Result { ok: p, value: x }, Native::Result { ok: q, value: y }) => {
            p == q && crate::ops::equals(x, y)
        }
        (Native::Buffer(x), Native::Buffer(y)) => x == y,
        (Native::Json(x), Native::Json(y)) => x == y,
        (Native::Regex(x), Native::Regex(y)) => x.pattern == y.pattern,
        (Native::Method { recv: r1, name: n1 }, Native::Method { recv: r2, name: n2 }) => {
            n1 == n2 && r1.ptr().is_some() && r1.ptr() == r2.ptr()
        }
        (
            Native::Channel {
                sender: s1,
                receiver: r1,
            },
            Native::Channel {
                sender: s2,
                receiver: r2,
            },
        ) => s1 == s2 && r1 == r2,
        _ => false,
    }
}

/// `new Name(args)` for the builtin boxes with state; raises `Unknown Box type` otherwise.
pub fn construct(name: &str, args: Vec<Val>) -> Option<Val> {
    let n = args.len();
    let exactly = |want: usize| -> Option<()> {
        if n == want {
            return Some(());
        }
        let s = if want == 1 { "" } else { "s" };
        raise(format!(
            "{name} constructor expects {want} argument{s}, got {n}"
        ));
        None
    };
    let state = match name {
        "TimeBox" => {
            exactly(0)?;
            Native::Time
        }
        "DateTimeBox" => {
            exactly(0)?;
            Native::DateTime(time::now_ms())
        }
        "TimerBox" => {
            exactly(0)?;
            Native::Timer(Timer::new())
        }
        "RandomBox" => {
            exactly(0)?;
            Native::Random(random::fresh_seed())
        }
        "FileBox" => {
            exactly(1)?;
            Native::File(String::from(arg_str("FileBox", &args[0])?))
        }
        "ResultBox" => {
            exactly(1)?;
            Native::Result {
                ok: true,
                value: args.into_iter().next().unwrap(),
            }
        }
        "BufferBox" => {
            exactly(0)?;
            Native::Buffer(Vec::new())
        }
        "JSONBox" => {
            exactly(1)?;
            return families::ask(families::ny_family_json, Op::Construct(name, args));
        }
        "RegexBox" => {
            exactly(1)?;
            return families::ask(families::ny_family_regex, Op::Construct(name, args));
        }
        "DebugBox" => {
            exactly(0)?;
            Native::Debug(Debug::default())
        }
        "SocketBox" => {
            exactly(0)?;
            return families::ask(families::ny_family_net, Op::Construct(name, args));
        }
        "HTTPRequestBox" | "HTTPResponseBox" => {
            return families::ask(families::ny_family_net, Op::Construct(name, args))
        }
        "MethodBox" => {
            exactly(2)?;
            let name = String::from(arg_str("MethodBox", &args[1])?);
            let recv = args.into_iter().next().unwrap();
            Native::Method { recv, name }
        }
        // `a >> b`, lowered by the compiler (the receiver is already a name or a text).
        "ChannelBox>>" => {
            exactly(2)?;
            Native::Channel {
                sender: display(&args[0]),
                receiver: display(&args[1]),
            }
        }
        "ChannelBox" | "FutureBox" => {
            let how = if name == "ChannelBox" {
                "`a >> b`"
            } else {
                "`nowait`"
            };
            raise(format!("{name} cannot be created with new; use {how}"));
            return None;
        }
        _ => {
            if let Some(f) = name.strip_prefix("nyashstd.") {
                return nyashstd(f, args);
            }
            raise(format!("Unknown Box type: {name}"));
            return None;
        }
    };
    Some(new_native(state))
}

/// The functions of `using nyashstd` (Part 2 §13), called as `namespace.function(args)`.
fn nyashstd(f: &str, args: Vec<Val>) -> Option<Val> {
    let r = match f {
        "string.create" => {
            expect_args("string.create", &args, 1)?;
            new_str(display(&args[0]))
        }
        "string.upper" => {
            expect_args("string.upper", &args, 1)?;
            new_str(display(&args[0]).to_uppercase())
        }
        "integer.create" => {
            expect_args("integer.create", &args, 1)?;
            return crate::builtins::construct("IntegerBox", args);
        }
        "bool.create" => {
            expect_args("bool.create", &args, 1)?;
            return crate::builtins::construct("BoolBox", args);
        }
        "array.create" => {
            expect_args("array.create", &args, 0)?;
            object::new_array(Vec::new())
        }
        "console.log" => {
            expect_args("console.log", &args, 1)?;
            let mut line = display(&args[0]);
            line.push('\n');
            crate::wasi::write_stdout(line.as_bytes());
            Val::void()
        }
        _ => {
            raise(format!("Undefined function '{f}' in nyashstd"));
            return None;
        }
    };
    Some(r)
}

/// Calls method `name` on a builtin box with state.
pub fn call(recv: &Val, name: &str, args: Vec<Val>) -> Option<Val> {
    let n = native_of(recv).unwrap();
    match n {
        Native::Time | Native::DateTime(_) | Native::Timer(_) => {
            families::ask(families::ny_family_time, Op::Call(recv, name, args))
        }
        Native::Random(_) => families::ask(families::ny_family_random, Op::Call(recv, name, args)),
        Native::File(_) => families::ask(families::ny_family_file, Op::Call(recv, name, args)),
        Native::Result { ok, value } => result_method(*ok, value, recv, name, &args),
        Native::Buffer(bytes) => buffer::call(bytes, recv, name, &args),
        Native::Json(_) => families::ask(families::ny_family_json, Op::Call(recv, name, args)),
        Native::Regex(_) => families::ask(families::ny_family_regex, Op::Call(recv, name, args)),
        Native::Debug(_) => families::ask(families::ny_family_debug, Op::Call(recv, name, args)),
        Native::Channel { sender, receiver } => channel_method(sender, receiver, recv, name, &args),
        Native::Socket(_) | Native::HttpRequest(_) | Native::HttpResponse(_) => {
            families::ask(families::ny_family_net, Op::Call(recv, name, args))
        }
        Native::Method {
            recv: target,
            name: m,
        } => method_box_call(target, m, recv, name, &args),
    }
}

fn result_method(ok: bool, value: &Val, recv: &Val, name: &str, args: &[Val]) -> Option<Val> {
    let r = match name {
        "isOk" | "is_ok" => {
            expect_args(name, args, 0)?;
            Val::bool(ok)
        }
        "isErr" | "is_err" => {
            expect_args(name, args, 0)?;
            Val::bool(!ok)
        }
        "getValue" | "get_value" | "unwrap" => {
            expect_args(name, args, 0)?;
            if !ok {
                raise(format!("{name}(): Result is Err({})", display(value)));
                return None;
            }
            value.clone()
        }
        "getError" | "get_error" => {
            expect_args(name, args, 0)?;
            if ok {
                raise(format!("{name}(): Result is Ok({})", display(value)));
                return None;
            }
            value.clone()
        }
        _ => return common_methods(recv, "ResultBox", name, args, crate::ops::equals),
    };
    Some(r)
}

fn channel_method(
    sender: &str,
    receiver: &str,
    recv: &Val,
    name: &str,
    args: &[Val],
) -> Option<Val> {
    let r = match name {
        "sender" => {
            expect_args(name, args, 0)?;
            new_str(sender.into())
        }
        "receiver" => {
            expect_args(name, args, 0)?;
            new_str(receiver.into())
        }
        // The channel is not connected to anything (Part 2 §13): a message is only described.
        "sendMessage" => {
            expect_args(name, args, 1)?;
            new_str(format!("{sender} >> {receiver}: {}", display(&args[0])))
        }
        "announce" => {
            expect_args(name, args, 1)?;
            new_str(format!("{sender} >> *: {}", display(&args[0])))
        }
        _ => return common_methods(recv, "ChannelBox", name, args, crate::ops::equals),
    };
    Some(r)
}

/// `toString()` and `equals(x)`, else `Unknown method` for `box_name`: the last arms of a
/// builtin box's dispatch. `same` says when two values are equal.
pub fn common_methods(
    recv: &Val,
    box_name: &str,
    name: &str,
    args: &[Val],
    same: fn(&Val, &Val) -> bool,
) -> Option<Val> {
    match name {
        "toString" => {
            expect_args(name, args, 0)?;
            Some(new_str(display(recv)))
        }
        "equals" => {
            expect_args(name, args, 1)?;
            Some(Val::bool(same(recv, &args[0])))
        }
        _ => unknown_method(box_name, name),
    }
}

/// The same object (sockets and HTTP messages are equal only to themselves).
pub fn same_object(a: &Val, b: &Val) -> bool {
    a.ptr().is_some() && a.ptr() == b.ptr()
}

fn method_box_call(
    target: &Val,
    method: &str,
    recv: &Val,
    name: &str,
    args: &[Val],
) -> Option<Val> {
    let r = match name {
        // The HTTP server's own calls (compiler/src/prelude/http.nyash).
        "__receiver" => {
            expect_args(name, args, 0)?;
            target.clone()
        }
        "__name" => {
            expect_args(name, args, 0)?;
            new_str(String::from(method))
        }
        // What the program's own methods do not answer (`__MethodBoxes` in
        // compiler/src/prelude): the method of a builtin receiver, or "not found".
        "invoke" | "__invokeBuiltin" => {
            if let Some(p) = target.ptr() {
                // SAFETY: `p` is a live object of the value `target` holds.
                let plain_instance = unsafe {
                    object::kind(p) == object::KIND_INSTANCE
                        && crate::instance::class_of(p).builtin.is_none()
                };
                if plain_instance {
                    // The program's methods of this name take another number of arguments,
                    // or there is none (the compiled caller tried them all).
                    let n = args.len();
                    raise(format!(
                        "Method '{method}' not found in {} (with {n} argument{})",
                        crate::display::type_name(target),
                        if n == 1 { "" } else { "s" }
                    ));
                    return None;
                }
            }
            return crate::builtins::call(target.clone(), method, args.to_vec());
        }
        _ => return common_methods(recv, "MethodBox", name, args, crate::ops::equals),
    };
    Some(r)
}
