//! The optional families of builtin boxes (`nyash_abi::FAMILIES`): each is entered
//! through one exported function, and only through it.
//!
//! Every construction of a family's boxes and every method call on them goes through
//! its `ny_family_*` export, which is never inlined. So in a program that names none of
//! the family's boxes, the compiler can replace that export's body with `unreachable`,
//! and dead-code elimination then leaves out the code only the family reaches: the regex
//! engine, the JSON parser, sockets and HTTP (`compiler/src/codegen/prune.rs`). Such a
//! program cannot make one of the boxes (they are made by `new`, by `from`, or by the
//! family's own methods), so the `unreachable` is never run.

use alloc::vec::Vec;

use crate::builtins::arg_str;
use crate::display::display;
use crate::json;
use crate::native::{native_of, new_native, Native};
use crate::regexbox;
use crate::value::Val;

/// What the runtime asks of a family.
pub enum Op<'a> {
    /// `new Name(args)`, with the argument count already checked.
    Construct(&'a str, Vec<Val>),
    /// A method call on one of the family's boxes.
    Call(&'a Val, &'a str, Vec<Val>),
}

/// A request and its answer, passed to an entry by pointer.
pub struct Request<'a> {
    op: Option<Op<'a>>,
    out: Option<Val>,
}

/// Asks the family behind `entry`.
pub fn ask(entry: extern "C" fn(&mut Request<'_>), op: Op<'_>) -> Option<Val> {
    let mut r = Request {
        op: Some(op),
        out: None,
    };
    entry(&mut r);
    r.out
}

fn take<'a>(r: &mut Request<'a>) -> Op<'a> {
    r.op.take().expect("a family request is answered once")
}

/// RegexBox: the regex engine (`regex.rs`, `regexbox.rs`).
#[no_mangle]
#[inline(never)]
pub extern "C" fn ny_family_regex(r: &mut Request<'_>) {
    r.out = regex(take(r));
}

fn regex(op: Op<'_>) -> Option<Val> {
    match op {
        Op::Construct(_, args) => {
            let re = regexbox::compile(arg_str("RegexBox", &args[0])?)?;
            Some(new_native(Native::Regex(re)))
        }
        Op::Call(recv, name, args) => match native_of(recv) {
            Some(Native::Regex(re)) => regexbox::call(re, name, &args),
            _ => unreachable!(),
        },
    }
}

/// JSONBox: the JSON parser and printer (`json.rs`, `jsontext.rs`).
#[no_mangle]
#[inline(never)]
pub extern "C" fn ny_family_json(r: &mut Request<'_>) {
    r.out = json_box(take(r));
}

fn json_box(op: Op<'_>) -> Option<Val> {
    match op {
        Op::Construct(_, args) => {
            let v = json::parse(&display(&args[0]))?;
            Some(new_native(Native::Json(v)))
        }
        Op::Call(recv, name, args) => match native_of(recv) {
            Some(Native::Json(v)) => json::call(v, recv, name, args),
            _ => unreachable!(),
        },
    }
}

/// SocketBox, HTTPRequestBox and HTTPResponseBox: sockets and HTTP (`net.rs`, `http.rs`;
/// HTTPServerBox and HTTPClientBox are Nyash code over SocketBox).
#[no_mangle]
#[inline(never)]
pub extern "C" fn ny_family_net(r: &mut Request<'_>) {
    r.out = net(take(r));
}

fn net(op: Op<'_>) -> Option<Val> {
    match op {
        Op::Construct("SocketBox", _) => Some(crate::net::construct()),
        Op::Construct("HTTPRequestBox", args) => crate::http::construct_request(&args),
        Op::Construct(_, args) => crate::http::construct_response(&args),
        Op::Call(recv, name, args) => match native_of(recv) {
            Some(Native::Socket(_)) => crate::net::call(recv, name, &args),
            Some(Native::HttpRequest(req)) => crate::http::request_call(req, recv, name, &args),
            Some(Native::HttpResponse(res)) => crate::http::response_call(res, recv, name, &args),
            _ => unreachable!(),
        },
    }
}

/// Answers a family that is entered only for method calls (its boxes are cheap to make,
/// and making one needs its name anyway): `call` gets the box's state, the receiver,
/// the method name and the arguments.
fn methods(
    r: &mut Request<'_>,
    call: impl FnOnce(Option<&'static mut Native>, &Val, &str, Vec<Val>) -> Option<Val>,
) {
    r.out = match take(r) {
        Op::Call(recv, name, args) => call(native_of(recv), recv, name, args),
        Op::Construct(..) => unreachable!(),
    };
}

/// TimeBox, DateTimeBox and TimerBox: dates, their formats and timers (`time.rs`).
#[no_mangle]
#[inline(never)]
pub extern "C" fn ny_family_time(r: &mut Request<'_>) {
    methods(r, |n, _, name, args| match n {
        Some(Native::Time) => crate::time::time_method(name, &args),
        Some(Native::DateTime(ms)) => crate::time::datetime_method(*ms, name, &args),
        Some(Native::Timer(t)) => crate::time::timer_method(t, name, &args),
        _ => unreachable!(),
    });
}

/// FileBox (`file.rs`).
#[no_mangle]
#[inline(never)]
pub extern "C" fn ny_family_file(r: &mut Request<'_>) {
    methods(r, |n, _, name, args| match n {
        Some(Native::File(path)) => crate::file::call(path, name, &args),
        _ => unreachable!(),
    });
}

/// MathBox (`builtins.rs`), with libm's functions.
#[no_mangle]
#[inline(never)]
pub extern "C" fn ny_family_math(r: &mut Request<'_>) {
    methods(r, |_, _, name, args| {
        crate::builtins::math_method(name, &args)
    });
}

/// RandomBox (`random.rs`).
#[no_mangle]
#[inline(never)]
pub extern "C" fn ny_family_random(r: &mut Request<'_>) {
    methods(r, |n, _, name, args| match n {
        Some(Native::Random(state)) => crate::random::call(state, name, &args),
        _ => unreachable!(),
    });
}

/// DebugBox (`debug.rs`).
#[no_mangle]
#[inline(never)]
pub extern "C" fn ny_family_debug(r: &mut Request<'_>) {
    methods(r, |n, _, name, args| match n {
        Some(Native::Debug(d)) => crate::debug::call(d, name, args),
        _ => unreachable!(),
    });
}
