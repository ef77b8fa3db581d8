//! TCP sockets for the network boxes (R19), and real readiness for `poll_oneoff`.
//!
//! WASI preview 1 can accept on, read from, write to and shut down a socket, but not
//! create one, so the nyash host adds an import module of its own, [`MODULE`]
//! (`docs/host-abi.md`, "Networking"): `tcp_listen`, `tcp_connect`, `sock_connected` and
//! `sock_address`. Everything else goes through the standard calls: `sock_accept`,
//! `fd_read`/`fd_write` (which give `AGAIN` when a socket is not ready, never block), `fd_close`,
//! `sock_shutdown`, and `poll_oneoff` with `fd_read`/`fd_write` subscriptions, which waits
//! for sockets and stdin with the system's `poll`. A program that uses no network box does
//! not import [`MODULE`] at all (the compiler drops the runtime's imports of it).
//!
//! Sockets are non-blocking host sockets (`socket2`); names are resolved with the
//! system resolver. The readiness wait is `poll` on Unix and `WSAPoll` on Windows; there,
//! stdin (a console or a pipe, which `WSAPoll` cannot wait on) always counts as ready.

use std::io::{self, Read, Write};
use std::net::{SocketAddr, ToSocketAddrs};

use wasmtime::Linker;

use super::abi::*;
use super::calls::{code, with, Ctx};
use super::files::{Descriptor, Node};
use super::HostState;
use crate::net_policy::NetPolicy;

/// The network policy as the host applies it: every host is checked before a
/// socket is opened for it, and the first [`MAX_REPORTS`] refusals are told on
/// stderr. The program sees `ACCES` ("permission denied"), as a native
/// program refused by a firewall rule does.
#[derive(Default)]
pub struct Gate {
    policy: Option<NetPolicy>,
    reported: usize,
}

/// How many refusals are told on stderr.
const MAX_REPORTS: usize = 10;

impl Gate {
    /// The gate of `policy`; the default policy checks nothing.
    pub fn new(policy: &NetPolicy) -> Gate {
        Gate {
            policy: (!policy.is_default()).then(|| policy.clone()),
            reported: 0,
        }
    }

    /// `Ok` when the program may `verb` (`connect to`, `listen on`)
    /// `host:port`.
    fn check(&mut self, verb: &str, host: &str, port: u16) -> Result<(), Errno> {
        let Some(policy) = &self.policy else {
            return Ok(());
        };
        let Err(why) = policy.check(host, port) else {
            return Ok(());
        };
        self.reported += 1;
        if self.reported <= MAX_REPORTS {
            let more = if self.reported == MAX_REPORTS {
                "; further refusals are not shown"
            } else {
                ""
            };
            let shown = if host.contains(':') && !host.starts_with('[') {
                format!("[{host}]:{port}")
            } else {
                format!("{host}:{port}")
            };
            let _ = writeln!(
                io::stderr(),
                "nyash: refused to {verb} `{shown}`: {why}{more}"
            );
        }
        Err(ACCES)
    }
}

/// The import module of the network calls.
pub const MODULE: &str = "nyash_net";

/// An open TCP socket.
pub enum Socket {
    /// A bound socket that listens.
    Listener(std::net::TcpListener),
    /// A connected (or connecting) stream.
    Stream(std::net::TcpStream),
}

/// The rights of a socket descriptor.
pub const SOCKET_RIGHTS: u64 = RIGHT_FD_READ | RIGHT_FD_WRITE | RIGHT_POLL_FD_READWRITE;

// The socket error numbers of preview 1 (`errno` in the witx).
const ADDRINUSE: Errno = 3;
const ADDRNOTAVAIL: Errno = 4;
const CONNABORTED: Errno = 13;
const CONNREFUSED: Errno = 14;
const CONNRESET: Errno = 15;
const HOSTUNREACH: Errno = 23;
const INPROGRESS: Errno = 26;
const NETUNREACH: Errno = 40;
const NFILE: Errno = 41;
const NOTCONN: Errno = 53;
const TIMEDOUT: Errno = 73;

/// The WASI error number of a socket error.
pub fn errno_of_net(e: &io::Error) -> Errno {
    #[cfg(unix)]
    if let Some(code) = e.raw_os_error() {
        let mapped = match code {
            libc::EADDRINUSE => Some(ADDRINUSE),
            libc::EADDRNOTAVAIL => Some(ADDRNOTAVAIL),
            libc::ECONNABORTED => Some(CONNABORTED),
            libc::ECONNREFUSED => Some(CONNREFUSED),
            libc::ECONNRESET => Some(CONNRESET),
            libc::EHOSTUNREACH => Some(HOSTUNREACH),
            libc::EINPROGRESS => Some(INPROGRESS),
            libc::ENETUNREACH => Some(NETUNREACH),
            libc::ENFILE => Some(NFILE),
            libc::ENOTCONN => Some(NOTCONN),
            libc::ETIMEDOUT => Some(TIMEDOUT),
            _ => None,
        };
        if let Some(errno) = mapped {
            return errno;
        }
    }
    #[cfg(windows)]
    if let Some(code) = e.raw_os_error() {
        use windows_sys::Win32::Networking::WinSock::{WSAEINPROGRESS, WSAEMFILE, WSAENOBUFS};
        match code {
            WSAEMFILE | WSAENOBUFS => return NFILE,
            WSAEINPROGRESS => return INPROGRESS,
            _ => {}
        }
    }
    match e.kind() {
        io::ErrorKind::WouldBlock => AGAIN,
        io::ErrorKind::ConnectionRefused => CONNREFUSED,
        io::ErrorKind::ConnectionReset => CONNRESET,
        io::ErrorKind::ConnectionAborted => CONNABORTED,
        io::ErrorKind::HostUnreachable => HOSTUNREACH,
        io::ErrorKind::NetworkUnreachable => NETUNREACH,
        io::ErrorKind::AddrInUse => ADDRINUSE,
        io::ErrorKind::AddrNotAvailable => ADDRNOTAVAIL,
        io::ErrorKind::TimedOut => TIMEDOUT,
        io::ErrorKind::NotConnected => NOTCONN,
        _ => errno_of(e),
    }
}

/// The addresses of `host:port`, by the system resolver (`NOENT`: host not found).
fn resolve(host: &str, port: u16) -> Result<Vec<SocketAddr>, Errno> {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let list: Vec<SocketAddr> = (host, port).to_socket_addrs().map_err(|_| NOENT)?.collect();
    if list.is_empty() {
        return Err(NOENT);
    }
    Ok(list)
}

fn socket_for(addr: &SocketAddr) -> io::Result<socket2::Socket> {
    let domain = socket2::Domain::for_address(*addr);
    socket2::Socket::new(domain, socket2::Type::STREAM, Some(socket2::Protocol::TCP))
}

/// Raises the soft limit of open descriptors to the hard one, once, when the program first
/// opens a socket (as Go's runtime does at start): a server holds one descriptor per
/// connection, and the usual soft limit of 1024 is far below what the system allows.
#[cfg(unix)]
fn raise_descriptor_limit() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let mut lim = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        // SAFETY: `lim` is a valid `rlimit` for both calls.
        unsafe {
            if libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) == 0 && lim.rlim_cur < lim.rlim_max {
                // macOS refuses more than OPEN_MAX for an unlimited hard limit.
                lim.rlim_cur = if cfg!(target_os = "macos") {
                    lim.rlim_max.min(10_240)
                } else {
                    lim.rlim_max
                };
                libc::setrlimit(libc::RLIMIT_NOFILE, &lim);
            }
        }
    });
}

#[cfg(not(unix))]
fn raise_descriptor_limit() {}

/// Binds `host:port` and listens with `backlog`: the first address that binds.
pub(super) fn listen(host: &str, port: u16, backlog: i32) -> Result<Socket, Errno> {
    raise_descriptor_limit();
    let mut last = NOENT;
    for addr in resolve(host, port)? {
        let attempt = (|| {
            let s = socket_for(&addr)?;
            #[cfg(unix)]
            s.set_reuse_address(true)?;
            if addr.is_ipv6() {
                // `::` listens on IPv6 only, as `0.0.0.0` on IPv4 only.
                let _ = s.set_only_v6(true);
            }
            s.bind(&addr.into())?;
            s.listen(backlog.clamp(1, 65535))?;
            s.set_nonblocking(true)?;
            Ok::<_, io::Error>(Socket::Listener(s.into()))
        })();
        match attempt {
            Ok(sock) => return Ok(sock),
            Err(e) => last = errno_of_net(&e),
        }
    }
    Err(last)
}

/// Starts connecting to address number `index` of `host:port`: the connection completes
/// in the background ([`connected`]). `NOENT` when there is no such address.
fn connect(host: &str, port: u16, index: u32) -> Result<Socket, Errno> {
    raise_descriptor_limit();
    let addrs = resolve(host, port)?;
    let addr = addrs.get(index as usize).ok_or(NOENT)?;
    let s = socket_for(addr).map_err(|e| errno_of_net(&e))?;
    s.set_nonblocking(true).map_err(|e| errno_of_net(&e))?;
    let _ = s.set_tcp_nodelay(true);
    match s.connect(&(*addr).into()) {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
        Err(e) if e.raw_os_error() == Some(in_progress()) => {}
        Err(e) => return Err(errno_of_net(&e)),
    }
    Ok(Socket::Stream(s.into()))
}

#[cfg(unix)]
fn in_progress() -> i32 {
    libc::EINPROGRESS
}

#[cfg(not(unix))]
fn in_progress() -> i32 {
    -1
}

/// Whether a connecting stream is connected: `Ok` when it is, `AGAIN` while the attempt
/// goes on, or the error it ended with.
fn connected(stream: &std::net::TcpStream) -> Result<(), Errno> {
    if let Ok(Some(e)) = stream.take_error() {
        return Err(errno_of_net(&e));
    }
    match stream.peer_addr() {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::NotConnected => {
            // Not yet, or refused with the error already taken: ask once more.
            match stream.take_error() {
                Ok(Some(e)) => Err(errno_of_net(&e)),
                _ => Err(AGAIN),
            }
        }
        Err(e) => Err(errno_of_net(&e)),
    }
}

/// Text of an address as the network boxes show it: `127.0.0.1:8080`, `[::1]:8080`.
fn address_text(addr: SocketAddr) -> String {
    addr.to_string()
}

impl Socket {
    /// Accepts one waiting connection as a non-blocking stream (`AGAIN` when none waits).
    pub fn accept(&self) -> Result<Socket, Errno> {
        let Socket::Listener(l) = self else {
            return Err(INVAL);
        };
        let (stream, _) = l.accept().map_err(|e| errno_of_net(&e))?;
        stream.set_nonblocking(true).map_err(|e| errno_of_net(&e))?;
        let _ = stream.set_nodelay(true);
        Ok(Socket::Stream(stream))
    }

    /// Reads what has arrived (`AGAIN` when nothing has; 0 at end of stream).
    pub fn read(&mut self, buf: &mut [u8]) -> Result<usize, Errno> {
        match self {
            Socket::Stream(s) => s.read(buf).map_err(|e| errno_of_net(&e)),
            Socket::Listener(_) => Err(NOTCONN),
        }
    }

    /// Writes what the system takes now (`AGAIN` when it takes nothing).
    pub fn write(&mut self, data: &[u8]) -> Result<usize, Errno> {
        match self {
            Socket::Stream(s) => s.write(data).map_err(|e| errno_of_net(&e)),
            Socket::Listener(_) => Err(NOTCONN),
        }
    }

    /// Shuts down reading (1), writing (2) or both (3).
    pub fn shutdown(&self, how: i32) -> Result<(), Errno> {
        let Socket::Stream(s) = self else {
            return Err(NOTCONN);
        };
        let how = match how {
            1 => std::net::Shutdown::Read,
            2 => std::net::Shutdown::Write,
            3 => std::net::Shutdown::Both,
            _ => return Err(INVAL),
        };
        s.shutdown(how).map_err(|e| errno_of_net(&e))
    }

    pub(super) fn address(&self, remote: bool) -> Result<SocketAddr, Errno> {
        let r = match (self, remote) {
            (Socket::Listener(l), false) => l.local_addr(),
            (Socket::Listener(_), true) => return Err(NOTCONN),
            (Socket::Stream(s), false) => s.local_addr(),
            (Socket::Stream(s), true) => s.peer_addr(),
        };
        r.map_err(|e| errno_of_net(&e))
    }

    /// The host descriptor, for `poll`.
    #[cfg(unix)]
    pub fn raw(&self) -> RawSocket {
        use std::os::fd::AsRawFd;
        match self {
            Socket::Listener(l) => l.as_raw_fd(),
            Socket::Stream(s) => s.as_raw_fd(),
        }
    }

    /// The host socket, for `WSAPoll`.
    #[cfg(windows)]
    pub fn raw(&self) -> RawSocket {
        use std::os::windows::io::AsRawSocket;
        let raw = match self {
            Socket::Listener(l) => l.as_raw_socket(),
            Socket::Stream(s) => s.as_raw_socket(),
        };
        raw as RawSocket
    }
}

fn socket_of(s: &mut HostState, fd: i32) -> Result<&mut Socket, Errno> {
    match &mut s.files.get(fd)?.node {
        Node::Socket(sock) => Ok(sock),
        _ => Err(NOTSOCK),
    }
}

pub(super) fn new_descriptor(sock: Socket) -> Descriptor {
    Descriptor {
        node: Node::Socket(sock),
        rights: SOCKET_RIGHTS,
        inheriting: 0,
        flags: 0,
    }
}

fn host_text(m: &GuestMemory<'_>, ptr: i32, len: i32) -> Result<String, Errno> {
    let bytes = m.slice(ptr, len as u32 as usize)?;
    std::str::from_utf8(bytes)
        .map(str::to_owned)
        .map_err(|_| ILSEQ)
}

fn port_of(port: i32) -> Result<u16, Errno> {
    u16::try_from(port).map_err(|_| INVAL)
}

/// Whether this host has networking.
const AVAILABLE: bool = cfg!(any(unix, windows));

/// Defines [`MODULE`]'s functions and the preview 1 socket calls.
pub fn define(l: &mut Linker<HostState>) -> wasmtime::Result<()> {
    l.func_wrap(
        MODULE,
        "tcp_listen",
        |mut c: Ctx<'_>, host: i32, host_len: i32, port: i32, backlog: i32, out: i32| {
            code(with(&mut c, |m, s| {
                if !AVAILABLE {
                    return Err(NOSYS);
                }
                let name = host_text(m, host, host_len)?;
                let port = port_of(port)?;
                s.net.check("listen on", &name, port)?;
                let sock = listen(&name, port, backlog)?;
                let fd = s.files.insert(new_descriptor(sock));
                m.put_u32(out, fd as u32)
            }))
        },
    )?;
    l.func_wrap(
        MODULE,
        "tcp_connect",
        |mut c: Ctx<'_>, host: i32, host_len: i32, port: i32, index: i32, out: i32| {
            code(with(&mut c, |m, s| {
                if !AVAILABLE {
                    return Err(NOSYS);
                }
                let name = host_text(m, host, host_len)?;
                let port = port_of(port)?;
                s.net.check("connect to", &name, port)?;
                let sock = connect(&name, port, index as u32)?;
                let fd = s.files.insert(new_descriptor(sock));
                m.put_u32(out, fd as u32)
            }))
        },
    )?;
    l.func_wrap(MODULE, "sock_connected", |mut c: Ctx<'_>, fd: i32| {
        code(match socket_of(c.data_mut(), fd) {
            Ok(Socket::Stream(stream)) => connected(stream),
            Ok(Socket::Listener(_)) => Err(INVAL),
            Err(e) => Err(e),
        })
    })?;
    l.func_wrap(
        MODULE,
        "sock_address",
        |mut c: Ctx<'_>, fd: i32, remote: i32, buf: i32, len: i32, out: i32| {
            code(with(&mut c, |m, s| {
                let text = address_text(socket_of(s, fd)?.address(remote != 0)?);
                let n = text.len().min(len as u32 as usize);
                m.put(buf, &text.as_bytes()[..n])?;
                m.put_u32(out, n as u32)
            }))
        },
    )?;
    l.func_wrap(
        super::calls::MODULE,
        "sock_accept",
        |mut c: Ctx<'_>, fd: i32, _flags: i32, out: i32| {
            code(with(&mut c, |m, s| {
                let sock = socket_of(s, fd)?.accept()?;
                let fd = s.files.insert(new_descriptor(sock));
                m.put_u32(out, fd as u32)
            }))
        },
    )?;
    l.func_wrap(
        super::calls::MODULE,
        "sock_recv",
        |mut c: Ctx<'_>, fd: i32, iovs: i32, len: i32, _flags: i32, n: i32, oflags: i32| {
            code(with(&mut c, |m, s| {
                let sock = socket_of(s, fd)?;
                let target = m.iovecs(iovs, len)?.into_iter().find(|&(_, n)| n > 0);
                let got = match target {
                    Some((buf, len)) => sock.read(m.slice_mut(buf, len)?)?,
                    None => 0,
                };
                m.put_u32(n, got as u32)?;
                m.put(oflags, &[0, 0])
            }))
        },
    )?;
    l.func_wrap(
        super::calls::MODULE,
        "sock_send",
        |mut c: Ctx<'_>, fd: i32, iovs: i32, len: i32, _flags: i32, n: i32| {
            code(with(&mut c, |m, s| {
                let mut data = Vec::new();
                for (buf, len) in m.iovecs(iovs, len)? {
                    data.extend_from_slice(m.slice(buf, len)?);
                }
                let sent = socket_of(s, fd)?.write(&data)?;
                m.put_u32(n, sent as u32)
            }))
        },
    )?;
    l.func_wrap(
        super::calls::MODULE,
        "sock_shutdown",
        |mut c: Ctx<'_>, fd: i32, how: i32| {
            code(socket_of(c.data_mut(), fd).and_then(|s| s.shutdown(how)))
        },
    )?;
    Ok(())
}

/// A host descriptor the readiness wait takes: a file descriptor on Unix, a `SOCKET` on
/// Windows.
#[cfg(unix)]
pub type RawSocket = i32;
/// A host descriptor the readiness wait takes: a file descriptor on Unix, a `SOCKET` on
/// Windows.
#[cfg(windows)]
pub type RawSocket = usize;

/// What a `poll_oneoff` descriptor subscription waits on.
pub enum Pollable {
    /// Always ready (files, stdout, …).
    Ready,
    /// A host descriptor to ask the system about, for reading or writing.
    #[cfg(any(unix, windows))]
    Host(RawSocket, bool),
}

/// How to wait for `fd` to become readable (or writable).
pub fn pollable(d: &Descriptor, write: bool) -> Pollable {
    #[cfg(any(unix, windows))]
    if let Node::Socket(s) = &d.node {
        return Pollable::Host(s.raw(), write);
    }
    #[cfg(unix)]
    if let Node::Stdin = &d.node {
        if !write {
            return Pollable::Host(0, false);
        }
    }
    let _ = (d, write);
    Pollable::Ready
}

/// Milliseconds for `poll`/`WSAPoll`: -1 for no limit, rounded up.
#[cfg(any(unix, windows))]
fn poll_ms(timeout: Option<std::time::Duration>) -> i32 {
    match timeout {
        None => -1,
        Some(d) => {
            d.as_millis().min(i32::MAX as u128) as i32
                + i32::from(d.subsec_nanos() % 1_000_000 != 0)
        }
    }
}

/// Waits until one of `fds` (host descriptor, for writing) is ready or `timeout` has
/// passed (`None`: no limit); gives which are ready. An interrupted wait gives none.
#[cfg(windows)]
pub fn wait(fds: &[(RawSocket, bool)], timeout: Option<std::time::Duration>) -> Vec<bool> {
    use windows_sys::Win32::Networking::WinSock::{WSAPoll, POLLRDNORM, POLLWRNORM, WSAPOLLFD};
    let mut list: Vec<WSAPOLLFD> = fds
        .iter()
        .map(|&(fd, write)| WSAPOLLFD {
            fd,
            events: if write { POLLWRNORM } else { POLLRDNORM },
            revents: 0,
        })
        .collect();
    // SAFETY: `list` is a valid array of `WSAPOLLFD` of the length given.
    let n = unsafe { WSAPoll(list.as_mut_ptr(), list.len() as u32, poll_ms(timeout)) };
    if n <= 0 {
        return vec![false; fds.len()];
    }
    list.iter().map(|p| p.revents != 0).collect()
}

/// Waits until one of `fds` (host descriptor, for writing) is ready or `timeout` has
/// passed (`None`: no limit); gives which are ready. An interrupted wait gives none.
#[cfg(unix)]
pub fn wait(fds: &[(RawSocket, bool)], timeout: Option<std::time::Duration>) -> Vec<bool> {
    let mut list: Vec<libc::pollfd> = fds
        .iter()
        .map(|&(fd, write)| libc::pollfd {
            fd,
            events: if write { libc::POLLOUT } else { libc::POLLIN },
            revents: 0,
        })
        .collect();
    // SAFETY: `list` is a valid array of `pollfd` of the length given.
    let n = unsafe {
        libc::poll(
            list.as_mut_ptr(),
            list.len() as libc::nfds_t,
            poll_ms(timeout),
        )
    };
    if n <= 0 {
        return vec![false; fds.len()];
    }
    list.iter().map(|p| p.revents != 0).collect()
}
