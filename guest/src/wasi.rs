//! The WASI preview 1 calls the runtime needs, and buffered standard output.

use alloc::vec::Vec;

#[link(wasm_import_module = "wasi_snapshot_preview1")]
extern "C" {
    fn fd_write(fd: u32, iovs: *const [u32; 2], iovs_len: u32, nwritten: *mut u32) -> u32;
    fn fd_read(fd: u32, iovs: *const [u32; 2], iovs_len: u32, nread: *mut u32) -> u32;
    fn proc_exit(code: u32) -> !;
    fn args_sizes_get(argc: *mut u32, argv_buf_size: *mut u32) -> u32;
    fn args_get(argv: *mut *mut u8, argv_buf: *mut u8) -> u32;
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

/// Reads one line of stdin without its `\n` (or `\r\n`); `None` at end of input.
/// Stdout is flushed first, so a prompt printed before appears before the program waits.
pub fn read_line() -> Option<Vec<u8>> {
    flush();
    let buf = unsafe { &mut *core::ptr::addr_of_mut!(STDIN) };
    let eof = unsafe { &mut *core::ptr::addr_of_mut!(STDIN_EOF) };
    loop {
        if let Some(i) = buf.iter().position(|&b| b == b'\n') {
            let mut line: Vec<u8> = buf.drain(..=i).collect();
            line.pop();
            if line.last() == Some(&b'\r') {
                line.pop();
            }
            return Some(line);
        }
        if *eof {
            if buf.is_empty() {
                return None;
            }
            return Some(core::mem::take(buf));
        }
        let mut chunk = [0u8; 4096];
        let iov = [chunk.as_mut_ptr() as u32, chunk.len() as u32];
        let mut n = 0u32;
        let errno = unsafe { fd_read(0, &iov, 1, &mut n) };
        if errno != 0 || n == 0 {
            *eof = true;
        } else {
            buf.extend_from_slice(&chunk[..n as usize]);
        }
    }
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
