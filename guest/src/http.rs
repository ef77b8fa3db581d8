//! HTTP/1.1 messages (R19): HTTPRequestBox and HTTPResponseBox, the request parser the
//! server's connections read with ([`next_request`]), the response parser of the client
//! ([`next_response`]), and the bytes a handler's result becomes on the wire ([`reply`]).
//!
//! HTTPServerBox and HTTPClientBox are written in Nyash (the compiler's prelude,
//! `compiler/src/prelude/http.nyash`), because a handler may wait and only compiled code
//! can suspend; they call the parsers here through SocketBox's `__nextRequest` and
//! `__readResponse`, and this module's `__` methods on the messages.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use crate::builtins::{arg_int, arg_str, expect_args};
use crate::display::display;
use crate::error::raise;
use crate::map::Map;
use crate::native::{native_of, new_native, Native};
use crate::object::{new_obj, new_str, KIND_MAP};
use crate::value::{Val, TAG_NULL, TAG_VOID};

/// The largest request head (request line and headers) a server reads.
pub const HEAD_MAX: usize = 16 * 1024;
/// The most header lines in a request.
const HEADERS_MAX: usize = 100;
/// The largest response the client reads.
pub const RESPONSE_MAX: usize = 16 * 1024 * 1024;

/// An HTTP request: what a server's handler is given.
#[derive(Clone)]
pub struct Request {
    method: String,
    path: String,
    query: String,
    version: String,
    /// Lowercase names in arrival order; repeats joined by `, `.
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    remote: String,
    /// Set by `__reply`: the connection closes after this response.
    closing: bool,
}

/// An HTTP response: made by a handler, or read by the client.
#[derive(Clone)]
pub struct Response {
    status: i64,
    message: String,
    /// Names as set, in set order.
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Request {
    fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
    }

    fn default_get() -> Request {
        Request {
            method: "GET".into(),
            path: "/".into(),
            query: String::new(),
            version: "HTTP/1.1".into(),
            headers: Vec::new(),
            body: Vec::new(),
            remote: String::new(),
            closing: false,
        }
    }

    /// Whether the client asked to keep the connection open after this request.
    fn keep_alive(&self) -> bool {
        let connection = self.header("connection").unwrap_or("").to_ascii_lowercase();
        let has = |token: &str| connection.split(',').any(|t| t.trim() == token);
        if self.version == "HTTP/1.0" {
            has("keep-alive")
        } else {
            !has("close")
        }
    }
}

impl Response {
    fn new() -> Response {
        Response {
            status: 200,
            message: "OK".into(),
            headers: Vec::new(),
            body: Vec::new(),
        }
    }

    fn with(status: i64, content_type: &str, body: &str) -> Response {
        let mut r = Response::new();
        r.set_status(status, None);
        r.set_header("Content-Type", content_type);
        r.body = body.as_bytes().to_vec();
        r
    }

    fn set_status(&mut self, status: i64, message: Option<String>) {
        self.status = status;
        self.message = message.unwrap_or_else(|| String::from(reason_phrase(status)));
    }

    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    fn set_header(&mut self, name: &str, value: &str) {
        if let Some(h) = self
            .headers
            .iter_mut()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
        {
            h.1 = String::from(value);
        } else {
            self.headers.push((String::from(name), String::from(value)));
        }
    }

    /// `toHttpString()`: the message as the program built it.
    fn to_text(&self) -> Vec<u8> {
        let mut out = format!("HTTP/1.1 {} {}\r\n", self.status, self.message).into_bytes();
        for (n, v) in &self.headers {
            out.extend_from_slice(format!("{n}: {v}\r\n").as_bytes());
        }
        if !self.body.is_empty() && self.header("content-length").is_none() {
            out.extend_from_slice(format!("Content-Length: {}\r\n", self.body.len()).as_bytes());
        }
        out.extend_from_slice(b"\r\n");
        out.extend_from_slice(&self.body);
        out
    }

    /// The bytes a server sends: Content-Length always (except where HTTP forbids it), a
    /// type for an untyped body, `Connection: close` when the connection ends, and no
    /// body for HEAD.
    fn to_wire(&self, head_only: bool, close: bool) -> Vec<u8> {
        let mut out = format!("HTTP/1.1 {} {}\r\n", self.status, self.message).into_bytes();
        for (n, v) in &self.headers {
            let lower = n.to_ascii_lowercase();
            if lower == "content-length" || lower == "transfer-encoding" || lower == "connection" {
                continue;
            }
            out.extend_from_slice(format!("{n}: {v}\r\n").as_bytes());
        }
        if !self.body.is_empty() && self.header("content-type").is_none() {
            out.extend_from_slice(b"Content-Type: text/html; charset=utf-8\r\n");
        }
        if self.status >= 200 && self.status != 204 && self.status != 304 {
            out.extend_from_slice(format!("Content-Length: {}\r\n", self.body.len()).as_bytes());
        }
        if close {
            out.extend_from_slice(b"Connection: close\r\n");
        }
        out.extend_from_slice(b"\r\n");
        if !head_only && self.status != 204 && self.status != 304 {
            out.extend_from_slice(&self.body);
        }
        out
    }
}

/// The standard reason phrase of a status code.
pub fn reason_phrase(status: i64) -> &'static str {
    match status {
        100 => "Continue",
        101 => "Switching Protocols",
        200 => "OK",
        201 => "Created",
        202 => "Accepted",
        204 => "No Content",
        206 => "Partial Content",
        301 => "Moved Permanently",
        302 => "Found",
        303 => "See Other",
        304 => "Not Modified",
        307 => "Temporary Redirect",
        308 => "Permanent Redirect",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        408 => "Request Timeout",
        409 => "Conflict",
        410 => "Gone",
        411 => "Length Required",
        413 => "Content Too Large",
        414 => "URI Too Long",
        415 => "Unsupported Media Type",
        422 => "Unprocessable Content",
        429 => "Too Many Requests",
        431 => "Request Header Fields Too Large",
        500 => "Internal Server Error",
        501 => "Not Implemented",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        505 => "HTTP Version Not Supported",
        _ => "",
    }
}

/// A token character of RFC 9110 (method and header names).
fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

/// Where the head ends (after its blank line), if it has.
fn head_end(input: &[u8]) -> Option<usize> {
    let mut i = 0;
    while let Some(n) = input[i..].iter().position(|&b| b == b'\n') {
        let next = i + n + 1;
        match input.get(next) {
            Some(b'\n') => return Some(next + 1),
            Some(b'\r') if input.get(next + 1) == Some(&b'\n') => return Some(next + 2),
            _ => i = next,
        }
    }
    None
}

fn lines(head: &[u8]) -> impl Iterator<Item = &[u8]> {
    head.split(|&b| b == b'\n')
        .map(|l| l.strip_suffix(b"\r").unwrap_or(l))
}

/// Parses the header lines into lowercase names and values; `Err(status)` when malformed.
fn parse_headers<'a>(
    rest: impl Iterator<Item = &'a [u8]>,
    limit: usize,
    too_many: u16,
) -> Result<Vec<(String, String)>, u16> {
    let mut headers: Vec<(String, String)> = Vec::new();
    let mut count = 0;
    for line in rest {
        if line.is_empty() {
            break;
        }
        count += 1;
        if count > limit {
            return Err(too_many);
        }
        let colon = line.iter().position(|&b| b == b':').ok_or(400u16)?;
        let name = &line[..colon];
        if name.is_empty() || !name.iter().all(|&b| is_tchar(b)) {
            return Err(400);
        }
        let value = String::from_utf8_lossy(&line[colon + 1..]);
        let value = value.trim_matches([' ', '\t']);
        if value.bytes().any(|b| b < 0x20 && b != b'\t') {
            return Err(400);
        }
        let name = String::from_utf8_lossy(name).to_ascii_lowercase();
        if let Some(h) = headers.iter_mut().find(|(n, _)| *n == name) {
            h.1.push_str(", ");
            h.1.push_str(value);
        } else {
            headers.push((name, String::from(value)));
        }
    }
    Ok(headers)
}

/// Parses a request head; `Err(status)` says why it is refused.
fn parse_request_head(head: &[u8]) -> Result<Request, u16> {
    let mut it = lines(head);
    let line = it.next().unwrap_or(b"");
    let parts: Vec<&[u8]> = line.split(|&b| b == b' ').collect();
    if parts.len() != 3 || parts.iter().any(|p| p.is_empty()) {
        return Err(400);
    }
    let (method, target, version) = (parts[0], parts[1], parts[2]);
    if !method.iter().all(|&b| is_tchar(b)) || target.iter().any(|&b| b <= b' ' || b == 0x7f) {
        return Err(400);
    }
    let version = match version {
        b"HTTP/1.1" | b"HTTP/1.0" => version,
        [b'H', b'T', b'T', b'P', b'/', a, b'.', b] if a.is_ascii_digit() && b.is_ascii_digit() => {
            return Err(505)
        }
        [b'H', b'T', b'T', b'P', b'/', a] if a.is_ascii_digit() => return Err(505),
        _ => return Err(400),
    };
    let target = String::from_utf8_lossy(target).into_owned();
    let target = match target.strip_prefix("http://") {
        Some(rest) => match rest.find('/') {
            Some(i) => String::from(&rest[i..]),
            None => String::from("/"),
        },
        None if target.starts_with('/') || target == "*" => target,
        None => return Err(400),
    };
    let (path, query) = match target.split_once('?') {
        Some((p, q)) => (String::from(p), String::from(q)),
        None => (target, String::new()),
    };
    let headers = parse_headers(it, HEADERS_MAX, 431)?;
    Ok(Request {
        method: String::from_utf8_lossy(method).into_owned(),
        path,
        query,
        version: String::from_utf8_lossy(version).into_owned(),
        headers,
        body: Vec::new(),
        remote: String::new(),
        closing: false,
    })
}

/// What a connection's input holds.
pub enum Next {
    /// Not a whole request yet.
    More,
    /// Not a whole request yet, and the client waits for `100 Continue` before its body.
    Continue,
    /// The client ended the connection (between requests or in the middle of one).
    End,
    /// A request, and how many input bytes it took.
    Request(Request, usize),
    /// A request to refuse with this status (the connection then closes).
    Reject(u16),
}

/// How the body of a message is framed.
enum Framing {
    None,
    Length(usize),
    Chunked,
    ToEnd,
}

/// The framing a message's headers give; `Err(())` when they contradict each other.
fn framing(headers: &[(String, String)], request: bool) -> Result<Framing, ()> {
    let get = |n: &str| {
        headers
            .iter()
            .find(|(k, _)| k == n)
            .map(|(_, v)| v.as_str())
    };
    let te = get("transfer-encoding");
    let cl = get("content-length");
    if let Some(te) = te {
        let last = te.rsplit(',').next().unwrap_or("").trim();
        if cl.is_some() || !last.eq_ignore_ascii_case("chunked") {
            return if request { Err(()) } else { Ok(Framing::ToEnd) };
        }
        return Ok(Framing::Chunked);
    }
    match cl {
        Some(v) => {
            let v = v.trim();
            if v.is_empty() || !v.bytes().all(|b| b.is_ascii_digit()) || v.len() > 15 {
                return Err(());
            }
            Ok(Framing::Length(v.parse().map_err(|_| ())?))
        }
        None if request => Ok(Framing::None),
        None => Ok(Framing::ToEnd),
    }
}

/// The chunked body at the start of `input`: `Ok(Some((body, used)))` when whole,
/// `Ok(None)` when more is needed, `Err(status)` when malformed (400) or over `max` (413).
fn chunked(input: &[u8], max: usize) -> Result<Option<(Vec<u8>, usize)>, u16> {
    let mut body = Vec::new();
    let mut at = 0;
    loop {
        let Some(n) = input[at..].iter().position(|&b| b == b'\n') else {
            return if input.len() - at > 1024 {
                Err(400)
            } else {
                Ok(None)
            };
        };
        let line = &input[at..at + n];
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let size = line.split(|&b| b == b';').next().unwrap_or(b"");
        let size = core::str::from_utf8(size).map_err(|_| 400u16)?.trim();
        if size.is_empty() || size.len() > 15 {
            return Err(400);
        }
        let size = usize::from_str_radix(size, 16).map_err(|_| 400u16)?;
        at += n + 1;
        if size == 0 {
            // Trailers, up to the blank line.
            loop {
                let Some(n) = input[at..].iter().position(|&b| b == b'\n') else {
                    return if input.len() - at > HEAD_MAX {
                        Err(400)
                    } else {
                        Ok(None)
                    };
                };
                let line = &input[at..at + n];
                at += n + 1;
                if line.is_empty() || line == b"\r" {
                    return Ok(Some((body, at)));
                }
            }
        }
        // Sizes come from the peer: no sum may wrap.
        if body.len().saturating_add(size) > max {
            return Err(413);
        }
        if input.len() < at.saturating_add(size).saturating_add(1) {
            return Ok(None);
        }
        body.extend_from_slice(&input[at..at + size]);
        at += size;
        match &input[at..] {
            [b'\r', b'\n', ..] => at += 2,
            [b'\n', ..] => at += 1,
            [b'\r'] => return Ok(None),
            _ => return Err(400),
        }
    }
}

/// The next request in a connection's input.
pub fn next_request(input: &[u8], eof: bool, max_body: usize, continued: bool) -> Next {
    // Empty lines before a request are ignored (RFC 9112 §2.2).
    let skip = input
        .iter()
        .position(|&b| b != b'\r' && b != b'\n')
        .unwrap_or(input.len());
    let rest = &input[skip..];
    if rest.is_empty() {
        return if eof { Next::End } else { Next::More };
    }
    // Garbage is refused as soon as it shows, not after 16 KiB.
    let method_end = rest
        .iter()
        .position(|&b| !is_tchar(b))
        .unwrap_or(rest.len());
    if method_end < rest.len() && (method_end == 0 || rest[method_end] != b' ') {
        return Next::Reject(400);
    }
    let Some(end) = head_end(rest) else {
        if rest.len() > HEAD_MAX {
            return Next::Reject(431);
        }
        if let Some(n) = rest.iter().position(|&b| b == b'\n') {
            if let Err(status) = parse_request_head(&rest[..n + 1]) {
                return Next::Reject(status);
            }
        }
        return if eof { Next::End } else { Next::More };
    };
    if end > HEAD_MAX {
        return Next::Reject(431);
    }
    let mut req = match parse_request_head(&rest[..end]) {
        Ok(r) => r,
        Err(status) => return Next::Reject(status),
    };
    let body = &rest[end..];
    let expects = req
        .header("expect")
        .is_some_and(|e| e.eq_ignore_ascii_case("100-continue"));
    let waiting = |have_any: bool| {
        if eof {
            Next::End
        } else if expects && !continued && !have_any {
            Next::Continue
        } else {
            Next::More
        }
    };
    match framing(&req.headers, true) {
        Err(()) => Next::Reject(400),
        Ok(Framing::None) | Ok(Framing::ToEnd) => Next::Request(req, skip + end),
        Ok(Framing::Length(n)) if n > max_body => Next::Reject(413),
        Ok(Framing::Length(n)) => {
            if body.len() < n {
                return waiting(!body.is_empty());
            }
            req.body = body[..n].to_vec();
            Next::Request(req, skip + end + n)
        }
        Ok(Framing::Chunked) => match chunked(body, max_body) {
            Err(status) => Next::Reject(status),
            Ok(None) => waiting(!body.is_empty()),
            Ok(Some((b, used))) => {
                req.body = b;
                Next::Request(req, skip + end + used)
            }
        },
    }
}

/// The bytes refusing a request with `status`: its reason phrase as text, then close.
pub fn reject(status: u16) -> Val {
    let phrase = reason_phrase(status as i64);
    let r = Response::with(status as i64, "text/plain; charset=utf-8", phrase);
    new_native(Native::Buffer(r.to_wire(false, true)))
}

/// A request as a box, with the peer's address.
pub fn request_box(mut req: Request, remote: String) -> Val {
    req.remote = remote;
    new_native(Native::HttpRequest(alloc::boxed::Box::new(req)))
}

/// The next response in a client connection's input: `Ok(None)` when more is needed,
/// `Err(reason)` when it is not HTTP or too large.
pub fn next_response(
    input: &[u8],
    eof: bool,
    head_request: bool,
) -> Result<Option<Val>, &'static str> {
    let mut at = 0;
    loop {
        let rest = &input[at..];
        let Some(end) = head_end(rest) else {
            if rest.len() > 64 * 1024 {
                return Err("bad response");
            }
            return if eof { Err("bad response") } else { Ok(None) };
        };
        let mut it = lines(&rest[..end]);
        let line = it.next().unwrap_or(b"");
        let line = core::str::from_utf8(line).map_err(|_| "bad response")?;
        let mut parts = line.splitn(3, ' ');
        let version = parts.next().unwrap_or("");
        let code = parts.next().unwrap_or("");
        let message = parts.next().unwrap_or("");
        if !version.starts_with("HTTP/1.") || code.len() != 3 {
            return Err("bad response");
        }
        let status: i64 = code.parse().map_err(|_| "bad response")?;
        if !(100..=599).contains(&status) {
            return Err("bad response");
        }
        let headers = parse_headers(it, 1000, 400).map_err(|_| "bad response")?;
        if (100..200).contains(&status) && status != 101 {
            at += end;
            continue;
        }
        let body_at = at + end;
        let body = &input[body_at..];
        let no_body = head_request || status == 204 || status == 304 || status < 200;
        let framing = if no_body {
            Framing::None
        } else {
            framing(&headers, false).map_err(|_| "bad response")?
        };
        let bytes = match framing {
            Framing::None => Vec::new(),
            Framing::Length(n) => {
                if n > RESPONSE_MAX {
                    return Err("response too large");
                }
                if body.len() < n {
                    return if eof { Err("bad response") } else { Ok(None) };
                }
                body[..n].to_vec()
            }
            Framing::Chunked => match chunked(body, RESPONSE_MAX) {
                Err(413) => return Err("response too large"),
                Err(_) => return Err("bad response"),
                Ok(None) if eof => return Err("bad response"),
                Ok(None) => return Ok(None),
                Ok(Some((b, _))) => b,
            },
            Framing::ToEnd => {
                if body.len() > RESPONSE_MAX {
                    return Err("response too large");
                }
                if !eof {
                    return Ok(None);
                }
                body.to_vec()
            }
        };
        let r = Response {
            status,
            message: String::from(message),
            headers,
            body: bytes,
        };
        return Ok(Some(new_native(Native::HttpResponse(
            alloc::boxed::Box::new(r),
        ))));
    }
}

/// The bytes of a body argument: a BufferBox's bytes, else the display text.
pub fn body_bytes(x: &Val) -> Vec<u8> {
    match native_of(x) {
        Some(Native::Buffer(b)) => b.clone(),
        _ => display(x).into_bytes(),
    }
}

/// The JSON text of a MapBox, ArrayBox or JSONBox (`Some(None)` for other values; `None`
/// when the value cannot be JSON, with the error raised), as `JSONBox.set` converts them.
fn json_text(v: &Val) -> Option<Option<String>> {
    Some(match v.kind() {
        Some(KIND_MAP) | Some(crate::object::KIND_ARRAY) => {
            Some(crate::json::stringify(&crate::json::from_val(v, 0)?))
        }
        _ => match native_of(v) {
            Some(Native::Json(j)) => Some(crate::json::stringify(j)),
            _ => None,
        },
    })
}

/// What a handler's result becomes (R19, "Handlers").
fn response_of(v: &Val) -> Option<Response> {
    if let Some(Native::HttpResponse(r)) = native_of(v) {
        return Some((**r).clone());
    }
    if let Some(text) = json_text(v)? {
        return Some(Response::with(200, "application/json", &text));
    }
    if v.tag == TAG_VOID || v.tag == TAG_NULL {
        let mut r = Response::new();
        r.set_status(204, None);
        return Some(r);
    }
    let text = display(v);
    Some(Response::with(200, "text/html; charset=utf-8", &text))
}

fn decode_component(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < b.len() => {
                let hex = core::str::from_utf8(&b[i + 1..i + 3]).unwrap_or("");
                match u8::from_str_radix(hex, 16) {
                    Ok(v) => {
                        out.push(v);
                        i += 2;
                    }
                    Err(_) => out.push(b'%'),
                }
            }
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn query_pairs(q: &str) -> impl Iterator<Item = (String, String)> + '_ {
    q.split('&').filter(|p| !p.is_empty()).map(|p| {
        let (k, v) = p.split_once('=').unwrap_or((p, ""));
        (decode_component(k), decode_component(v))
    })
}

fn map_of(entries: impl Iterator<Item = (String, String)>) -> Val {
    let mut m = Map::default();
    for (k, v) in entries {
        if m.get(&k).is_none() {
            m.set(&k, new_str(v));
        }
    }
    new_obj(KIND_MAP, m)
}

/// `new HTTPRequestBox()` / `new HTTPRequestBox(text)`.
pub fn construct_request(args: &[Val]) -> Option<Val> {
    let req = match args {
        [] => Request::default_get(),
        [text] => {
            let text = display(text);
            let bytes = text.as_bytes();
            let end = head_end(bytes).unwrap_or(bytes.len());
            let mut head = bytes[..end].to_vec();
            if head_end(&head).is_none() {
                head.extend_from_slice(b"\r\n\r\n");
            }
            match parse_request_head(&head) {
                Ok(mut r) => {
                    r.body = bytes[end.min(bytes.len())..].to_vec();
                    r
                }
                Err(status) => {
                    raise(format!(
                        "Bad HTTP request: {}",
                        reason_phrase(status as i64).to_ascii_lowercase()
                    ));
                    return None;
                }
            }
        }
        _ => {
            raise(format!(
                "HTTPRequestBox constructor expects 0 or 1 arguments, got {}",
                args.len()
            ));
            return None;
        }
    };
    Some(new_native(Native::HttpRequest(alloc::boxed::Box::new(req))))
}

/// `new HTTPResponseBox()`.
pub fn construct_response(args: &[Val]) -> Option<Val> {
    if !args.is_empty() {
        raise(format!(
            "HTTPResponseBox constructor expects 0 arguments, got {}",
            args.len()
        ));
        return None;
    }
    Some(new_native(Native::HttpResponse(alloc::boxed::Box::new(
        Response::new(),
    ))))
}

/// Display of an HTTPRequestBox.
pub fn push_request_display(out: &mut String, r: &Request) {
    out.push_str(&format!(
        "HTTPRequest({} {} - {} headers)",
        r.method,
        r.path,
        r.headers.len()
    ));
}

/// Display of an HTTPResponseBox.
pub fn push_response_display(out: &mut String, r: &Response) {
    out.push_str(&format!(
        "HTTPResponse({} {} - {} bytes)",
        r.status,
        r.message,
        r.body.len()
    ));
}

fn text_of(bytes: &[u8]) -> Val {
    new_str(String::from_utf8_lossy(bytes).into_owned())
}

/// Calls method `name` on an HTTPRequestBox.
pub fn request_call(r: &mut Request, recv: &Val, name: &str, args: &[Val]) -> Option<Val> {
    let text = match name {
        "getMethod" => Some(&r.method),
        "getPath" | "path" => Some(&r.path),
        "getQueryString" => Some(&r.query),
        "getVersion" => Some(&r.version),
        "getRemoteAddress" => Some(&r.remote),
        _ => None,
    };
    if let Some(text) = text {
        expect_args(name, args, 0)?;
        return Some(new_str(text.clone()));
    }
    let v = match name {
        "getQuery" => {
            expect_args(name, args, 1)?;
            let want = display(&args[0]);
            match query_pairs(&r.query).find(|(k, _)| *k == want) {
                Some((_, v)) => new_str(v),
                None => Val::null(),
            }
        }
        "getQueryParams" => {
            expect_args(name, args, 0)?;
            map_of(query_pairs(&r.query))
        }
        "getHeader" => {
            expect_args(name, args, 1)?;
            new_str(String::from(r.header(&display(&args[0])).unwrap_or("")))
        }
        "hasHeader" => {
            expect_args(name, args, 1)?;
            Val::bool(r.header(&display(&args[0])).is_some())
        }
        "getAllHeaders" => {
            expect_args(name, args, 0)?;
            map_of(r.headers.iter().cloned())
        }
        "getBody" | "readBody" => {
            expect_args(name, args, 0)?;
            text_of(&r.body)
        }
        "getContentType" => {
            expect_args(name, args, 0)?;
            new_str(String::from(r.header("content-type").unwrap_or("")))
        }
        "getContentLength" => {
            expect_args(name, args, 0)?;
            Val::int(r.body.len() as i64)
        }
        // The server's own calls (compiler/src/prelude/http.nyash).
        "__route" => {
            // The method a route is looked up by: HEAD uses GET's.
            expect_args(name, args, 0)?;
            let m = if r.method == "HEAD" { "GET" } else { &r.method };
            new_str(String::from(m))
        }
        "__reply" => {
            // The bytes answering this request with a handler's result; `stopping`
            // closes the connection after it.
            expect_args(name, args, 2)?;
            let stopping = args[1].tag == crate::value::TAG_BOOL && args[1].bits != 0;
            let resp = response_of(&args[0])?;
            let asked_close = resp
                .header("connection")
                .is_some_and(|c| c.eq_ignore_ascii_case("close"));
            r.closing = stopping || asked_close || !r.keep_alive();
            let bytes = resp.to_wire(r.method == "HEAD", r.closing);
            new_native(Native::Buffer(bytes))
        }
        "__closing" => {
            expect_args(name, args, 0)?;
            Val::bool(r.closing)
        }
        "__report" => {
            // A handler raised: its error and trace on stderr, with the request line.
            expect_args(name, args, 1)?;
            let mut text = String::from("Error: ");
            text.push_str(&crate::error::message(&args[0]));
            text.push('\n');
            crate::error::push_trace_text(&mut text, &crate::error::last_caught_trace(), 0);
            text.push_str(&format!(
                "  while handling {} {}{}{}\n",
                r.method,
                r.path,
                if r.query.is_empty() { "" } else { "?" },
                r.query
            ));
            crate::wasi::write_stderr(text.as_bytes());
            Val::void()
        }
        _ => {
            return crate::native::common_methods(
                recv,
                "HTTPRequestBox",
                name,
                args,
                crate::native::same_object,
            )
        }
    };
    Some(v)
}

/// Calls method `name` on an HTTPResponseBox.
pub fn response_call(r: &mut Response, recv: &Val, name: &str, args: &[Val]) -> Option<Val> {
    let v = match name {
        "setStatus" => {
            if args.is_empty() || args.len() > 2 {
                raise(format!(
                    "setStatus() expects 1 or 2 arguments, got {}",
                    args.len()
                ));
                return None;
            }
            let code = arg_int(name, &args[0])?;
            if !(100..=599).contains(&code) {
                raise(format!("Invalid status code: {code}"));
                return None;
            }
            r.set_status(code, args.get(1).map(display));
            Val::bool(true)
        }
        "setHeader" => {
            expect_args(name, args, 2)?;
            let (n, v) = (display(&args[0]), display(&args[1]));
            if n.is_empty() || !n.bytes().all(is_tchar) {
                raise(format!("Invalid header name: {n}"));
                return None;
            }
            if v.bytes().any(|b| b == b'\r' || b == b'\n') {
                raise(format!(
                    "Invalid value for header {n}: line breaks are not allowed"
                ));
                return None;
            }
            r.set_header(&n, &v);
            Val::bool(true)
        }
        "setContentType" => {
            expect_args(name, args, 1)?;
            let t = display(&args[0]);
            if t.bytes().any(|b| b == b'\r' || b == b'\n') {
                raise(String::from(
                    "Invalid content type: line breaks are not allowed",
                ));
                return None;
            }
            r.set_header("Content-Type", &t);
            Val::bool(true)
        }
        "setBody" => {
            expect_args(name, args, 1)?;
            r.body = body_bytes(&args[0]);
            Val::bool(true)
        }
        "appendBody" | "write" => {
            expect_args(name, args, 1)?;
            r.body.extend_from_slice(&body_bytes(&args[0]));
            Val::bool(true)
        }
        "getStatus" => {
            expect_args(name, args, 0)?;
            Val::int(r.status)
        }
        "getStatusMessage" => {
            expect_args(name, args, 0)?;
            new_str(r.message.clone())
        }
        "getHeader" => {
            expect_args(name, args, 1)?;
            new_str(String::from(r.header(&display(&args[0])).unwrap_or("")))
        }
        "getAllHeaders" => {
            expect_args(name, args, 0)?;
            map_of(
                r.headers
                    .iter()
                    .map(|(n, v)| (n.to_ascii_lowercase(), v.clone())),
            )
        }
        "getBody" | "readBody" => {
            expect_args(name, args, 0)?;
            text_of(&r.body)
        }
        "toHttpString" => {
            expect_args(name, args, 0)?;
            text_of(&r.to_text())
        }
        _ => {
            return crate::native::common_methods(
                recv,
                "HTTPResponseBox",
                name,
                args,
                crate::native::same_object,
            )
        }
    };
    Some(v)
}

/// Checks a client request's method name (`request(method, …)`).
pub fn check_method(name: &str, v: &Val) -> Option<String> {
    let m = arg_str(name, v)?;
    if m.is_empty() || !m.bytes().all(is_tchar) {
        raise(format!("Invalid HTTP method: {m}"));
        return None;
    }
    Some(m.to_ascii_uppercase())
}

/// Where a client request goes.
pub struct Target {
    /// The host name or address (IPv6 without brackets).
    pub host: String,
    /// The port (80 unless given).
    pub port: u32,
    /// `host[:port]` as the `Host` header gives it.
    authority: String,
    /// The path and query.
    path: String,
}

/// Parses `http://host[:port]/path?query`; raises for other URLs.
pub fn parse_url(url: &str) -> Option<Target> {
    let lower = url.to_ascii_lowercase();
    if lower.starts_with("https://") {
        raise(format!("TLS is not supported: {url}"));
        return None;
    }
    let bad = || {
        raise(format!(
            "Invalid URL: {url} (expected http://host[:port]/path)"
        ));
        None
    };
    if !lower.starts_with("http://") {
        return bad();
    }
    let rest = &url[7..];
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, path) = rest.split_at(end);
    let path = path.split('#').next().unwrap_or("");
    let path = if path.is_empty() {
        String::from("/")
    } else if path.starts_with('?') {
        format!("/{path}")
    } else {
        String::from(path)
    };
    if authority.contains('@') || path.bytes().any(|b| b <= b' ' || b == 0x7f) {
        return bad();
    }
    let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
        let Some((h, after)) = v6.split_once(']') else {
            return bad();
        };
        (h, after.strip_prefix(':'))
    } else {
        match authority.rsplit_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (authority, None),
        }
    };
    if host.is_empty() || host.bytes().any(|b| b <= b' ' || b == b'/') {
        return bad();
    }
    let port = match port {
        None | Some("") => 80,
        Some(p) => match p.parse::<u32>() {
            Ok(n) if n > 0 && n <= 65535 => n,
            _ => {
                raise(format!("Invalid port: {p}"));
                return None;
            }
        },
    };
    Some(Target {
        host: String::from(host),
        port,
        authority: String::from(authority),
        path,
    })
}

/// The bytes of a client request: request line, `Host`, the body's type and length,
/// `Connection: close`, the option headers, the body.
pub fn client_message(
    method: &str,
    t: &Target,
    headers: Option<&Val>,
    body: Option<&Val>,
) -> Option<Vec<u8>> {
    let mut out = format!("{method} {} HTTP/1.1\r\nHost: {}\r\n", t.path, t.authority);
    let mut extra: Vec<(String, String)> = Vec::new();
    if let Some(h) = headers.filter(|h| h.tag != TAG_NULL && h.tag != TAG_VOID) {
        if h.kind() != Some(KIND_MAP) {
            raise(String::from("request(): options.headers must be a MapBox"));
            return None;
        }
        let m = unsafe { crate::object::payload::<Map>(h.ptr()?) };
        for (k, v) in m.entries() {
            let v = display(v);
            if k.is_empty()
                || !k.bytes().all(is_tchar)
                || v.bytes().any(|b| b == b'\r' || b == b'\n')
            {
                raise(format!("Invalid request header: {k}"));
                return None;
            }
            extra.push((k.clone(), v));
        }
    }
    let has = |n: &str| extra.iter().any(|(k, _)| k.eq_ignore_ascii_case(n));
    let body = body.filter(|b| b.tag != TAG_VOID && b.tag != TAG_NULL);
    let bytes = match body {
        None => None,
        Some(b) => {
            let (ty, data) = match (json_text(b)?, native_of(b)) {
                (Some(text), _) => ("application/json", text.into_bytes()),
                (None, Some(Native::Buffer(bytes))) => ("application/octet-stream", bytes.clone()),
                (None, _) => ("text/plain; charset=utf-8", display(b).into_bytes()),
            };
            if !has("content-type") {
                out.push_str(&format!("Content-Type: {ty}\r\n"));
            }
            Some(data)
        }
    };
    let data = bytes.unwrap_or_default();
    if body.is_some() || matches!(method, "POST" | "PUT" | "PATCH") {
        out.push_str(&format!("Content-Length: {}\r\n", data.len()));
    }
    out.push_str("Connection: close\r\n");
    for (k, v) in &extra {
        let lower = k.to_ascii_lowercase();
        if matches!(lower.as_str(), "host" | "content-length" | "connection") {
            continue;
        }
        out.push_str(&format!("{k}: {v}\r\n"));
    }
    out.push_str("\r\n");
    let mut out = out.into_bytes();
    out.extend_from_slice(&data);
    Some(out)
}
