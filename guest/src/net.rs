//! SocketBox: TCP over IPv4 and IPv6 (R19).
//!
//! A socket is a descriptor of the nyash host (`nyash_net` imports, `docs/host-abi.md`,
//! "Networking"), always non-blocking. Every call that can wait goes through
//! [`tasks::io`]: it tries the operation, and when the descriptor is not ready, only the
//! calling task waits (the main program and other code that cannot suspend wait in place,
//! running the tasks meanwhile). Errors raise `Cannot <op> <host:port>: <reason>`.
//!
//! The compiler drops this module's imports from programs that make no network box, so
//! those import only WASI preview 1 (the calls then give `NOSYS`, never reached).

use alloc::boxed::Box;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use crate::builtins::{arg_int, expect_args};
use crate::display::display;
use crate::error::raise;
use crate::http;
use crate::native::{native_of, new_native, Native};
use crate::object::new_str;
use crate::tasks::{self, Io, Step};
use crate::time::monotonic_ns;
use crate::value::Val;

#[link(wasm_import_module = "nyash_net")]
extern "C" {
    fn tcp_listen(host: *const u8, len: u32, port: u32, backlog: u32, fd: *mut u32) -> u32;
    fn tcp_connect(host: *const u8, len: u32, port: u32, index: u32, fd: *mut u32) -> u32;
    fn sock_connected(fd: u32) -> u32;
    fn sock_address(fd: u32, remote: u32, buf: *mut u8, len: u32, n: *mut u32) -> u32;
}

#[link(wasm_import_module = "wasi_snapshot_preview1")]
extern "C" {
    fn sock_accept(fd: u32, flags: u32, out: *mut u32) -> u32;
    #[link_name = "fd_read"]
    fn sock_fd_read(fd: u32, iovs: *const [u32; 2], len: u32, n: *mut u32) -> u32;
    #[link_name = "fd_write"]
    fn sock_fd_write(fd: u32, iovs: *const [u32; 2], len: u32, n: *mut u32) -> u32;
    fn fd_close(fd: u32) -> u32;
}

// WASI error numbers the socket calls give.
const AGAIN: u32 = 6;
const NOENT: u32 = 44;
const NOSYS: u32 = 52;

/// The most one `read()` gives.
const READ_MAX: usize = 64 * 1024;
/// The longest line `readLine()` gives.
const LINE_MAX: usize = 1024 * 1024;

/// What a socket is now.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Status {
    /// Made, not bound or connected (or the connection failed).
    Fresh,
    /// Bound and listening.
    Server,
    /// Connected (by `connect` or `accept`).
    Connected,
    /// Closed, or the peer ended the stream.
    Disconnected,
}

/// The state of a SocketBox.
pub struct Socket {
    id: u32,
    fd: Option<u32>,
    status: Status,
    /// Bytes received and not yet given to the program.
    input: Vec<u8>,
    /// The peer ended the stream (or reset it).
    eof: bool,
    /// `setTimeout`: ms for each connect, read and write (0: none).
    timeout_ms: i64,
    /// `host:port` for messages: what was bound or connected to, or the peer.
    label: String,
    /// A `write` is partly done: later ones wait, so no write is split by another.
    writing: bool,
    /// `close()` was called (I/O then raises `Socket is closed`).
    closed: bool,
    /// An HTTP client's request (`GET http://…`): errors then read `Cannot <it>: <reason>`.
    purpose: Option<String>,
    /// An HTTP client's deadline for the whole request (monotonic ns).
    until: Option<u64>,
    /// A server connection answered `Expect: 100-continue` for the request being read.
    continued: bool,
}

static mut NEXT_ID: u32 = 0;

fn next_id() -> u32 {
    unsafe {
        NEXT_ID += 1;
        NEXT_ID
    }
}

impl Socket {
    fn new() -> Socket {
        Socket {
            id: next_id(),
            fd: None,
            status: Status::Fresh,
            input: Vec::new(),
            eof: false,
            timeout_ms: 30_000,
            label: String::new(),
            writing: false,
            closed: false,
            purpose: None,
            until: None,
            continued: false,
        }
    }

    fn close(&mut self) {
        if let Some(fd) = self.fd.take() {
            unsafe { fd_close(fd) };
            tasks::wake(fd);
        }
        self.closed = true;
        self.status = Status::Disconnected;
    }

    fn deadline(&self) -> Option<u64> {
        self.deadline_after(self.timeout_ms)
    }

    /// `ms` from now (none for 0), or the client's deadline if that comes first.
    fn deadline_after(&self, ms: i64) -> Option<u64> {
        let own = (ms > 0).then(|| monotonic_ns().saturating_add(ms as u64 * 1_000_000));
        match (own, self.until) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }
}

impl Drop for Socket {
    fn drop(&mut self) {
        if let Some(fd) = self.fd.take() {
            unsafe { fd_close(fd) };
        }
    }
}

/// `new SocketBox()`.
pub fn construct() -> Val {
    new_native(Native::Socket(Box::new(Socket::new())))
}

fn socket(v: &Val) -> &'static mut Socket {
    match native_of(v) {
        Some(Native::Socket(s)) => s,
        _ => crate::error::internal("not a SocketBox"),
    }
}

/// The socket of `v`, or `None` after raising `Socket is closed` when it was closed.
fn open_socket(v: &Val) -> Option<&'static mut Socket> {
    let s = socket(v);
    if s.closed {
        raise(String::from("Socket is closed"));
        return None;
    }
    Some(s)
}

/// Display text: `SocketBox(id: N, status: Server|Connected|Disconnected)`.
pub fn push_display(out: &mut String, s: &Socket) {
    let status = match s.status {
        Status::Server => "Server",
        Status::Connected => "Connected",
        Status::Fresh | Status::Disconnected => "Disconnected",
    };
    out.push_str(&format!("SocketBox(id: {}, status: {status})", s.id));
}

/// The reason text of a WASI error number (R19's list).
fn reason(errno: u32, timeout_ms: i64) -> String {
    String::from(match errno {
        3 => "address already in use",
        4 => "address not available",
        2 | 63 => "permission denied",
        14 => "connection refused",
        13 | 15 | 64 => "connection reset",
        44 => "host not found",
        23 | 40 => "network unreachable",
        73 => return format!("timed out after {timeout_ms} ms"),
        33 | 41 => "too many open files",
        8 => "Socket is closed",
        _ => return format!("system error {errno}"),
    })
}

/// Raises `Cannot <op> <host:port>: <reason>`, or for an HTTP client's socket
/// `Cannot <METHOD> <url>: <reason>` (or R19's message for a host without networking).
fn fail(s: &Socket, op: &str, errno: u32, timeout_ms: i64) {
    fail_because(s, op, &reason(errno, timeout_ms), errno == NOSYS);
}

fn fail_because(s: &Socket, op: &str, why: &str, no_network: bool) {
    if no_network {
        raise(String::from("Network is not available on this host"));
    } else if let Some(p) = &s.purpose {
        raise(format!("Cannot {p}: {why}"));
    } else {
        raise(format!("Cannot {op} {}: {why}", s.label));
    }
}

/// A port: an Int or a digit string, 0 to 65535.
fn port_arg(name: &str, v: &Val) -> Option<u32> {
    let port = match v.as_int() {
        Some(i) => Some(i),
        None => v.as_str().and_then(|s| s.trim().parse::<i64>().ok()),
    };
    match port {
        Some(p) if (0..=65535).contains(&p) => Some(p as u32),
        Some(p) => {
            raise(format!("Invalid port: {p}"));
            None
        }
        None => {
            raise(format!("{name}() needs a port number, got {}", display(v)));
            None
        }
    }
}

fn label_of(host: &str, port: u32) -> String {
    if host.contains(':') && !host.starts_with('[') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    }
}

fn address(fd: u32, remote: bool) -> Option<String> {
    let mut buf = [0u8; 64];
    let mut n = 0u32;
    let errno = unsafe { sock_address(fd, remote as u32, buf.as_mut_ptr(), 64, &mut n) };
    (errno == 0).then(|| String::from_utf8_lossy(&buf[..n as usize]).into_owned())
}

/// Reads once into the socket's input: `Ok(true)` when bytes came, `Ok(false)` at end of
/// stream, `Err(AGAIN)` when nothing is there yet.
fn fill(s: &mut Socket) -> Result<bool, u32> {
    let Some(fd) = s.fd else {
        return Err(8);
    };
    // One scratch buffer for every read (the runtime is single-threaded): no allocation
    // per read, and no 64 KiB kept by each waiting connection.
    static mut CHUNK: [u8; READ_MAX] = [0; READ_MAX];
    let chunk = unsafe { &mut *core::ptr::addr_of_mut!(CHUNK) };
    let iov = [chunk.as_mut_ptr() as u32, chunk.len() as u32];
    let mut n = 0u32;
    match unsafe { sock_fd_read(fd, &iov, 1, &mut n) } {
        0 if n == 0 => {
            s.eof = true;
            s.status = Status::Disconnected;
            Ok(false)
        }
        0 => {
            s.input.extend_from_slice(&chunk[..n as usize]);
            Ok(true)
        }
        e => {
            if e == 15 {
                s.eof = true;
                s.status = Status::Disconnected;
            }
            Err(e)
        }
    }
}

/// How a read gives what arrived.
#[derive(Clone, Copy)]
enum ReadKind {
    /// `read()`: what has arrived, as text; `recvTimeout` gives `""` after its time.
    Any { empty_on_timeout: bool },
    /// `readLine()`: the next line without its end.
    Line,
    /// `readBytes(n)`: a BufferBox of at most n bytes.
    Bytes(usize),
    /// `readHttpRequest()`: the text through the blank line after the headers.
    Head,
    /// `__nextRequest(maxBody)` (HTTPServerBox): the next whole request as an
    /// HTTPRequestBox, the bytes refusing a bad one (a BufferBox), or null when the client
    /// has gone or stayed idle past the timeout.
    Request { max_body: usize },
    /// `__readResponse(isHead)` (HTTPClientBox): the whole response as an HTTPResponseBox.
    Response { head: bool },
}

/// The longest prefix of `bytes` that does not end inside a UTF-8 character.
fn whole_chars(bytes: &[u8]) -> usize {
    match core::str::from_utf8(bytes) {
        Ok(_) => bytes.len(),
        Err(e) if e.error_len().is_none() && bytes.len() - e.valid_up_to() < 4 => e.valid_up_to(),
        Err(_) => bytes.len(),
    }
}

fn text(bytes: &[u8]) -> Val {
    new_str(String::from_utf8_lossy(bytes).into_owned())
}

/// What `kind` can give from the input now, if anything (`Some(Err(()))`: raised).
fn take(s: &mut Socket, kind: ReadKind) -> Option<Result<Val, ()>> {
    match kind {
        ReadKind::Any { .. } => {
            if s.input.is_empty() {
                return s.eof.then_some(Ok(Val::null()));
            }
            let mut n = s.input.len().min(READ_MAX);
            let whole = whole_chars(&s.input[..n]);
            if whole > 0 || s.eof {
                n = if s.eof { n } else { whole };
            } else if s.input.len() < 4 {
                return None;
            }
            let v = text(&s.input[..n]);
            s.input.drain(..n);
            Some(Ok(v))
        }
        ReadKind::Line => {
            if let Some(i) = s.input.iter().position(|&b| b == b'\n') {
                let mut line: Vec<u8> = s.input.drain(..=i).collect();
                line.pop();
                if line.last() == Some(&b'\r') {
                    line.pop();
                }
                return Some(Ok(text(&line)));
            }
            if s.input.len() > LINE_MAX {
                raise(format!("Cannot read from {}: line too long", s.label));
                return Some(Err(()));
            }
            if s.eof {
                if s.input.is_empty() {
                    return Some(Ok(Val::null()));
                }
                let rest = core::mem::take(&mut s.input);
                return Some(Ok(text(&rest)));
            }
            None
        }
        ReadKind::Bytes(max) => {
            if s.input.is_empty() && !s.eof {
                return None;
            }
            let n = s.input.len().min(max);
            let bytes: Vec<u8> = s.input.drain(..n).collect();
            Some(Ok(new_native(Native::Buffer(bytes))))
        }
        ReadKind::Head => {
            let end = find(&s.input, b"\r\n\r\n")
                .map(|i| i + 4)
                .or_else(|| find(&s.input, b"\n\n").map(|i| i + 2));
            if let Some(end) = end {
                let head: Vec<u8> = s.input.drain(..end).collect();
                return Some(Ok(text(&head)));
            }
            if s.eof {
                let rest = core::mem::take(&mut s.input);
                return Some(Ok(text(&rest)));
            }
            None
        }
        ReadKind::Request { max_body } => {
            match http::next_request(&s.input, s.eof, max_body, s.continued) {
                http::Next::More => None,
                http::Next::Continue => {
                    // Small enough for the socket buffer; if it does not fit, the client
                    // sends its body anyway after its own wait.
                    let msg = b"HTTP/1.1 100 Continue\r\n\r\n";
                    if let Some(fd) = s.fd {
                        let iov = [msg.as_ptr() as u32, msg.len() as u32];
                        let mut n = 0u32;
                        unsafe { sock_fd_write(fd, &iov, 1, &mut n) };
                    }
                    s.continued = true;
                    None
                }
                http::Next::End => Some(Ok(Val::null())),
                http::Next::Request(req, used) => {
                    s.input.drain(..used);
                    s.continued = false;
                    Some(Ok(http::request_box(req, s.label.clone())))
                }
                http::Next::Reject(status) => {
                    s.input.clear();
                    Some(Ok(http::reject(status)))
                }
            }
        }
        ReadKind::Response { head } => match http::next_response(&s.input, s.eof, head) {
            Ok(None) => None,
            Ok(Some(v)) => {
                s.input.clear();
                Some(Ok(v))
            }
            Err(why) => {
                fail_because(s, "read from", why, false);
                Some(Err(()))
            }
        },
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// Any read: waits (only the calling task) until `kind` can give something.
fn read(recv: &Val, name: &str, kind: ReadKind, timeout_ms: Option<i64>) -> Option<Val> {
    let s = open_socket(recv)?;
    if s.fd.is_none() || s.status == Status::Server {
        raise(format!("{name}() needs a connected socket"));
        return None;
    }
    if let Some(r) = take(s, kind) {
        return r.ok();
    }
    let fd = s.fd.unwrap();
    let limit = timeout_ms.unwrap_or(s.timeout_ms);
    let deadline = s.deadline_after(limit);
    let me = recv.clone();
    tasks::io(Io::new(
        fd,
        false,
        deadline,
        Box::new(move |timed_out| {
            let Some(s) = open_socket(&me) else {
                return Step::Failed;
            };
            loop {
                if let Some(r) = take(s, kind) {
                    return r.map_or(Step::Failed, Step::Ready);
                }
                match fill(s) {
                    Ok(_) => continue,
                    Err(AGAIN) if timed_out => {
                        match kind {
                            ReadKind::Any {
                                empty_on_timeout: true,
                            } => return Step::Ready(new_str(String::new())),
                            // An idle connection closes silently; a request that did
                            // not arrive in time gets 408.
                            ReadKind::Request { .. } => {
                                let idle = s.input.iter().all(|&b| b == b'\r' || b == b'\n');
                                return Step::Ready(if idle {
                                    Val::null()
                                } else {
                                    http::reject(408)
                                });
                            }
                            _ => {}
                        }
                        fail(s, "read from", 73, limit);
                        return Step::Failed;
                    }
                    Err(AGAIN) => return Step::Pending,
                    // A server's client that vanished ends only its connection, silently.
                    Err(_) if matches!(kind, ReadKind::Request { .. }) => {
                        return Step::Ready(Val::null())
                    }
                    Err(e) => {
                        fail(s, "read from", e, limit);
                        return Step::Failed;
                    }
                }
            }
        }),
    ))
}

/// `write(x)`: all of the bytes, waiting while the system takes them.
fn write(recv: &Val, x: &Val) -> Option<Val> {
    let s = open_socket(recv)?;
    let Some(fd) = s.fd.filter(|_| s.status != Status::Server) else {
        raise(String::from("write() needs a connected socket"));
        return None;
    };
    let data = http::body_bytes(x);
    let deadline = s.deadline();
    let limit = s.timeout_ms;
    let me = recv.clone();
    let mut done = 0usize;
    let mut mine = false;
    tasks::io(Io::new(
        fd,
        true,
        deadline,
        Box::new(move |timed_out| {
            let Some(s) = open_socket(&me) else {
                return Step::Failed;
            };
            if !mine {
                if s.writing {
                    // Another task's write is under way: wait for it to finish.
                    return if timed_out {
                        fail(s, "write to", 73, limit);
                        Step::Failed
                    } else {
                        Step::Pending
                    };
                }
                s.writing = true;
                mine = true;
            }
            while done < data.len() {
                let rest = &data[done..];
                let iov = [rest.as_ptr() as u32, rest.len() as u32];
                let mut n = 0u32;
                match unsafe { sock_fd_write(fd, &iov, 1, &mut n) } {
                    0 => done += n as usize,
                    AGAIN if timed_out => {
                        s.writing = false;
                        fail(s, "write to", 73, limit);
                        return Step::Failed;
                    }
                    AGAIN => return Step::Pending,
                    e => {
                        s.writing = false;
                        fail(s, "write to", e, limit);
                        return Step::Failed;
                    }
                }
            }
            s.writing = false;
            Step::Ready(Val::bool(true))
        }),
    ))
}

/// `bind(host, port)`: binds and listens (backlog 128).
fn bind(recv: &Val, host: &Val, port: &Val) -> Option<Val> {
    let port = port_arg("bind", port)?;
    let host = display(host);
    let s = socket(recv);
    if s.fd.is_some() {
        raise(String::from("bind() needs a new socket"));
        return None;
    }
    let mut fd = 0u32;
    let errno = unsafe { tcp_listen(host.as_ptr(), host.len() as u32, port, 128, &mut fd) };
    let label = label_of(&host, port);
    if errno != 0 {
        s.label = label;
        fail(s, "bind", errno, 0);
        return None;
    }
    s.fd = Some(fd);
    s.status = Status::Server;
    s.closed = false;
    s.label = address(fd, false).unwrap_or(label);
    Some(Val::bool(true))
}

/// `accept()` / `acceptTimeout(ms)`: the next connection as a new SocketBox.
fn accept(recv: &Val, name: &str, timeout_ms: Option<i64>) -> Option<Val> {
    let s = open_socket(recv)?;
    let Some(fd) = s.fd.filter(|_| s.status == Status::Server) else {
        raise(format!("{name}() needs a bound socket"));
        return None;
    };
    let deadline = timeout_ms.map(|ms| monotonic_ns().saturating_add(ms.max(0) as u64 * 1_000_000));
    let me = recv.clone();
    tasks::io(Io::new(
        fd,
        false,
        deadline,
        Box::new(move |timed_out| {
            let s = socket(&me);
            let Some(fd) = s.fd else {
                raise(String::from("Socket is closed"));
                return Step::Failed;
            };
            let mut conn = 0u32;
            match unsafe { sock_accept(fd, 0, &mut conn) } {
                0 => {
                    let mut c = Socket::new();
                    c.fd = Some(conn);
                    c.status = Status::Connected;
                    c.timeout_ms = s.timeout_ms;
                    c.label = address(conn, true).unwrap_or_default();
                    Step::Ready(new_native(Native::Socket(Box::new(c))))
                }
                AGAIN if timed_out => Step::Ready(Val::null()),
                AGAIN => Step::Pending,
                e => {
                    fail(s, "accept on", e, 0);
                    Step::Failed
                }
            }
        }),
    ))
}

/// `connect(host, port)`: tries each address of the host until one connects.
fn connect(recv: &Val, host: &Val, port: &Val) -> Option<Val> {
    let port = port_arg("connect", port)?;
    let host = display(host);
    let s = socket(recv);
    if s.fd.is_some() {
        raise(String::from("connect() needs a new socket"));
        return None;
    }
    s.label = label_of(&host, port);
    s.closed = false;
    let limit = s.timeout_ms;
    let deadline = s.deadline();
    // The first attempt starts now, so that its descriptor is known for the wait.
    let mut fd = 0u32;
    let errno = unsafe { tcp_connect(host.as_ptr(), host.len() as u32, port, 0, &mut fd) };
    if errno != 0 {
        fail(s, "connect to", errno, limit);
        return None;
    }
    s.fd = Some(fd);
    let me = recv.clone();
    let mut index = 0u32;
    tasks::io(Io::new(
        fd,
        true,
        deadline,
        Box::new(move |timed_out| {
            let s = socket(&me);
            loop {
                let Some(fd) = s.fd else {
                    raise(String::from("Socket is closed"));
                    return Step::Failed;
                };
                match unsafe { sock_connected(fd) } {
                    0 => {
                        s.status = Status::Connected;
                        return Step::Ready(Val::bool(true));
                    }
                    AGAIN if timed_out => {
                        s.close();
                        s.closed = false;
                        s.status = Status::Fresh;
                        fail(s, "connect to", 73, limit);
                        return Step::Failed;
                    }
                    AGAIN => return Step::PendingOn(fd),
                    e => {
                        let last = e;
                        unsafe { fd_close(fd) };
                        s.fd = None;
                        index += 1;
                        let mut next = 0u32;
                        let host = host.as_bytes();
                        let r = unsafe {
                            tcp_connect(host.as_ptr(), host.len() as u32, port, index, &mut next)
                        };
                        if r != 0 {
                            s.status = Status::Fresh;
                            let errno = if r == NOENT { last } else { r };
                            fail(s, "connect to", errno, limit);
                            return Step::Failed;
                        }
                        s.fd = Some(next);
                    }
                }
            }
        }),
    ))
}

fn port_of(label: &str) -> i64 {
    label
        .rsplit(':')
        .next()
        .and_then(|p| p.parse().ok())
        .unwrap_or(0)
}

/// Calls method `name` on a SocketBox.
pub fn call(recv: &Val, name: &str, args: &[Val]) -> Option<Val> {
    let r = match name {
        "bind" => {
            expect_args(name, args, 2)?;
            return bind(recv, &args[0], &args[1]);
        }
        "listen" => {
            expect_args(name, args, 1)?;
            arg_int(name, &args[0])?;
            let s = socket(recv);
            if s.status != Status::Server {
                raise(String::from("listen() needs a bound socket"));
                return None;
            }
            Val::bool(true)
        }
        "accept" => {
            expect_args(name, args, 0)?;
            return accept(recv, name, None);
        }
        "acceptTimeout" => {
            expect_args(name, args, 1)?;
            let ms = arg_int(name, &args[0])?;
            return accept(recv, name, Some(ms));
        }
        "connect" => {
            expect_args(name, args, 2)?;
            return connect(recv, &args[0], &args[1]);
        }
        "read" => {
            expect_args(name, args, 0)?;
            let kind = ReadKind::Any {
                empty_on_timeout: false,
            };
            return read(recv, name, kind, None);
        }
        "recvTimeout" => {
            expect_args(name, args, 1)?;
            let ms = arg_int(name, &args[0])?.max(1);
            let kind = ReadKind::Any {
                empty_on_timeout: true,
            };
            return read(recv, name, kind, Some(ms));
        }
        "readLine" => {
            expect_args(name, args, 0)?;
            return read(recv, name, ReadKind::Line, None);
        }
        "readBytes" => {
            expect_args(name, args, 1)?;
            let n = arg_int(name, &args[0])?.max(0) as usize;
            return read(recv, name, ReadKind::Bytes(n), None);
        }
        "readHttpRequest" => {
            expect_args(name, args, 0)?;
            return read(recv, name, ReadKind::Head, None);
        }
        "write" => {
            expect_args(name, args, 1)?;
            return write(recv, &args[0]);
        }
        // The HTTP boxes' own calls (compiler/src/prelude/http.nyash).
        "__nextRequest" => {
            expect_args(name, args, 1)?;
            let max_body = arg_int(name, &args[0])?.clamp(0, u32::MAX as i64) as usize;
            return read(recv, "read", ReadKind::Request { max_body }, None);
        }
        "__readResponse" => {
            expect_args(name, args, 1)?;
            let head = args[0].tag == crate::value::TAG_BOOL && args[0].bits != 0;
            return read(recv, "read", ReadKind::Response { head }, None);
        }
        "__clientRequest" => {
            expect_args(name, args, 4)?;
            return client_request(socket(recv), args);
        }
        "close" | "fini" => {
            expect_args(name, args, 0)?;
            socket(recv).close();
            Val::bool(true)
        }
        "setTimeout" => {
            expect_args(name, args, 1)?;
            socket(recv).timeout_ms = arg_int(name, &args[0])?.max(0);
            Val::bool(true)
        }
        "isConnected" => {
            expect_args(name, args, 0)?;
            Val::bool(socket(recv).status == Status::Connected)
        }
        "isServer" => {
            expect_args(name, args, 0)?;
            Val::bool(socket(recv).status == Status::Server)
        }
        "localAddress" | "remoteAddress" | "localPort" | "remotePort" => {
            expect_args(name, args, 0)?;
            let s = socket(recv);
            let remote = name.starts_with("remote");
            let text = s.fd.and_then(|fd| address(fd, remote));
            match (text, name.ends_with("Port")) {
                (Some(t), true) => Val::int(port_of(&t)),
                (Some(t), false) => new_str(t),
                (None, true) => Val::int(0),
                (None, false) => new_str(String::new()),
            }
        }
        _ => {
            return crate::native::common_methods(
                recv,
                "SocketBox",
                name,
                args,
                crate::native::same_object,
            )
        }
    };
    Some(r)
}

/// `__clientRequest(method, url, options, timeoutMs)` (HTTPClientBox): checks the URL, gives
/// the socket its purpose and deadline, and returns `[host, port, request bytes, is HEAD]`.
fn client_request(s: &mut Socket, args: &[Val]) -> Option<Val> {
    let method = http::check_method("request", &args[0])?;
    let url = display(&args[1]);
    let target = http::parse_url(&url)?;
    let options = &args[2];
    let option = |key: &str| -> Option<Val> {
        match options.kind() {
            Some(crate::object::KIND_MAP) => {
                let m = unsafe { crate::object::payload::<crate::map::Map>(options.ptr()?) };
                m.get(key).cloned()
            }
            _ => None,
        }
    };
    let mut timeout = arg_int("setTimeout", &args[3])?;
    if let Some(t) = option("timeout") {
        timeout = arg_int("request", &t)?;
    }
    let headers = option("headers");
    let body = option("body");
    let bytes = http::client_message(&method, &target, headers.as_ref(), body.as_ref())?;
    s.purpose = Some(format!("{method} {url}"));
    s.timeout_ms = timeout.max(0);
    s.until = None;
    s.until = s.deadline();
    Some(crate::object::new_array(alloc::vec![
        new_str(target.host.clone()),
        Val::int(target.port as i64),
        new_native(Native::Buffer(bytes)),
        Val::bool(method == "HEAD"),
    ]))
}
