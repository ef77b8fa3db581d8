//! The WASI preview 1 calls the runtime needs, and buffered standard output.

use alloc::vec::Vec;

#[link(wasm_import_module = "wasi_snapshot_preview1")]
extern "C" {
    fn fd_write(fd: u32, iovs: *const [u32; 2], iovs_len: u32, nwritten: *mut u32) -> u32;
    fn fd_read(fd: u32, iovs: *const [u32; 2], iovs_len: u32, nread: *mut u32) -> u32;
    fn proc_exit(code: u32) -> !;
    fn args_sizes_get(argc: *mut u32, argv_buf_size: *mut u32) -> u32;
    fn args_get(argv: *mut *mut u8, argv_buf: *mut u8) -> u32;
    fn poll_oneoff(subs: *const Subscription, events: *mut Event, n: u32, out: *mut u32) -> u32;
}

/// A WASI `subscription` (48 bytes): a relative monotonic clock, or a descriptor to read
/// or write.
#[repr(C, align(8))]
pub struct Subscription([u8; 48]);

/// A WASI `event` (32 bytes).
#[repr(C, align(8))]
pub struct Event([u8; 32]);

impl Subscription {
    /// Wakes after `ns` nanoseconds of the monotonic clock.
    pub fn clock(id: u64, ns: u64) -> Subscription {
        let mut b = [0u8; 48];
        b[0..8].copy_from_slice(&id.to_le_bytes());
        b[8] = 0; // eventtype clock
        b[16..20].copy_from_slice(&1u32.to_le_bytes()); // monotonic
        b[24..32].copy_from_slice(&ns.to_le_bytes());
        b[32..40].copy_from_slice(&1000u64.to_le_bytes());
        Subscription(b)
    }

    /// Wakes when `fd` can be read (or written) without blocking.
    pub fn fd(id: u64, fd: u32, write: bool) -> Subscription {
        let mut b = [0u8; 48];
        b[0..8].copy_from_slice(&id.to_le_bytes());
        b[8] = if write { 2 } else { 1 };
        b[16..20].copy_from_slice(&fd.to_le_bytes());
        Subscription(b)
    }
}

/// One `poll_oneoff`: the ids of the subscriptions that are ready (stdout is flushed first).
pub fn poll(subs: &[Subscription]) -> Vec<u64> {
    if subs.is_empty() {
        return Vec::new();
    }
    flush();
    let mut events: Vec<Event> = (0..subs.len()).map(|_| Event([0; 32])).collect();
    let mut n = 0u32;
    let errno = unsafe {
        poll_oneoff(
            subs.as_ptr(),
            events.as_mut_ptr(),
            subs.len() as u32,
            &mut n,
        )
    };
    if errno != 0 {
        return Vec::new();
    }
    events[..n as usize]
        .iter()
        .map(|e| u64::from_le_bytes(e.0[0..8].try_into().unwrap()))
        .collect()
}

static mut STDOUT: Vec<u8> = Vec::new();

/// Writes all of `bytes` to a file descriptor, retrying short writes.
fn write_all(fd: u32, mut bytes: &[u8]) {
    while !bytes.is_empty() {
        let iov = [bytes.as_ptr() as u32, bytes.len() as u32];
        let mut n = 0u32;
        let errno = unsafe { fd_write(fd, &iov, 1, &mut n) };
        if errno != 0 || n == 0 {
            return;
        }
        bytes = &bytes[n as usize..];
    }
}

/// Appends to the stdout buffer (flushed when large, and at exit).
pub fn write_stdout(bytes: &[u8]) {
    let buf = unsafe { &mut *core::ptr::addr_of_mut!(STDOUT) };
    buf.extend_from_slice(bytes);
    if buf.len() >= 1 << 16 {
        flush();
    }
}

/// Writes buffered stdout.
pub fn flush() {
    let buf = unsafe { &mut *core::ptr::addr_of_mut!(STDOUT) };
    if !buf.is_empty() {
        write_all(1, buf);
        buf.clear();
    }
}

/// Writes to stderr at once (after flushing stdout, to keep the order on a shared terminal).
pub fn write_stderr(bytes: &[u8]) {
    flush();
    write_all(2, bytes);
}

static mut STDIN: Vec<u8> = Vec::new();
static mut STDIN_EOF: bool = false;

/// The next buffered line of stdin without its `\n` (or `\r\n`): `Some(None)` at end of
/// input, `None` when more must be read first.
fn buffered_line() -> Option<Option<Vec<u8>>> {
    let buf = unsafe { &mut *core::ptr::addr_of_mut!(STDIN) };
    let eof = unsafe { *core::ptr::addr_of!(STDIN_EOF) };
    if let Some(i) = buf.iter().position(|&b| b == b'\n') {
        let mut line: Vec<u8> = buf.drain(..=i).collect();
        line.pop();
        if line.last() == Some(&b'\r') {
            line.pop();
        }
        return Some(Some(line));
    }
    if eof {
        if buf.is_empty() {
            return Some(None);
        }
        return Some(Some(core::mem::take(buf)));
    }
    None
}

/// One read of stdin into the buffer (an error counts as end of input).
fn read_stdin_chunk() {
    let buf = unsafe { &mut *core::ptr::addr_of_mut!(STDIN) };
    let mut chunk = [0u8; 4096];
    let iov = [chunk.as_mut_ptr() as u32, chunk.len() as u32];
    let mut n = 0u32;
    let errno = unsafe { fd_read(0, &iov, 1, &mut n) };
    if errno != 0 || n == 0 {
        unsafe { *core::ptr::addr_of_mut!(STDIN_EOF) = true };
    } else {
        buf.extend_from_slice(&chunk[..n as usize]);
    }
}

/// `ConsoleBox.readLine()` (R19): the next line of stdin without its `\n` (or `\r\n`) as a
/// string, null at end of input. Stdout is flushed first, so a prompt printed before
/// appears before the program waits, and only the calling task waits for the line.
pub fn read_line() -> Option<crate::value::Val> {
    use crate::tasks::{Io, Step};
    fn value(line: Option<Vec<u8>>) -> crate::value::Val {
        match line {
            Some(l) => {
                crate::object::new_str(alloc::string::String::from_utf8_lossy(&l).into_owned())
            }
            None => crate::value::Val::null(),
        }
    }
    flush();
    if let Some(line) = buffered_line() {
        return Some(value(line));
    }
    // The first try only looks at the buffer; every later one follows a wake-up saying
    // stdin has something, so its read does not block.
    let mut woken = false;
    crate::tasks::io(Io::new(
        0,
        false,
        None,
        alloc::boxed::Box::new(move |_| {
            if woken {
                read_stdin_chunk();
            }
            woken = true;
            match buffered_line() {
                Some(line) => Step::Ready(value(line)),
                None => Step::Pending,
            }
        }),
    ))
}

/// Flushes stdout and ends the process.
pub fn exit(code: u32) -> ! {
    flush();
    unsafe { proc_exit(code) }
}

/// The command-line arguments, without the program name.
pub fn args() -> Vec<Vec<u8>> {
    let (mut argc, mut size) = (0u32, 0u32);
    if unsafe { args_sizes_get(&mut argc, &mut size) } != 0 {
        return Vec::new();
    }
    let mut ptrs: Vec<*mut u8> = alloc::vec![core::ptr::null_mut(); argc as usize];
    let mut buf: Vec<u8> = alloc::vec![0; size as usize];
    if unsafe { args_get(ptrs.as_mut_ptr(), buf.as_mut_ptr()) } != 0 {
        return Vec::new();
    }
    let base = buf.as_ptr() as usize;
    ptrs.iter()
        .skip(1)
        .map(|&p| {
            let start = p as usize - base;
            let len = buf[start..].iter().position(|&b| b == 0).unwrap_or(0);
            buf[start..start + len].to_vec()
        })
        .collect()
}
