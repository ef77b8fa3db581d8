//! The `wasi_snapshot_preview1` functions.
//!
//! Each function reads its arguments from guest memory through the
//! bounds-checked [`GuestMemory`], does the work, and returns a WASI error
//! number. Nothing here panics on guest input.

use std::fs;
use std::io::{Read, Seek, SeekFrom, Write};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use wasmtime::{Caller, Linker};

use super::abi::*;
use super::assets::{self, AssetNode};
use super::files::{Access, Descriptor, Listing, Node};
use super::net::{pollable, Pollable};
use super::{Exit, HostState};
use crate::payload::assets::ASSET_MOUNT;

/// The import module name of WASI preview 1.
pub const MODULE: &str = "wasi_snapshot_preview1";

/// What every host function is given: the store's data and the caller's exports.
pub(super) type Ctx<'a> = Caller<'a, HostState>;

/// Runs `f` on the caller's memory and the host state (`FAULT` without a memory).
pub(super) fn with<T>(
    caller: &mut Ctx<'_>,
    f: impl FnOnce(&mut GuestMemory<'_>, &mut HostState) -> Result<T, Errno>,
) -> Result<T, Errno> {
    let memory = caller.data().memory.ok_or(FAULT)?;
    let (bytes, state) = memory.data_and_store_mut(caller);
    f(&mut GuestMemory::new(bytes), state)
}

/// The WASI return value of a result.
pub(super) fn code(result: Result<(), Errno>) -> i32 {
    match result {
        Ok(()) => SUCCESS as i32,
        Err(e) => e as i32,
    }
}

pub(super) fn flush_stdout() {
    let _ = std::io::stdout().flush();
}

/// Defines every preview 1 function in `linker`.
pub fn define(linker: &mut Linker<HostState>) -> wasmtime::Result<()> {
    define_process(linker)?;
    define_fd(linker)?;
    define_path(linker)?;
    super::net::define(linker)?;
    Ok(())
}

fn define_process(l: &mut Linker<HostState>) -> wasmtime::Result<()> {
    l.func_wrap(MODULE, "args_get", |mut c: Ctx<'_>, argv: i32, buf: i32| {
        code(with(&mut c, |m, s| put_strings(m, &s.args, argv, buf)))
    })?;
    l.func_wrap(
        MODULE,
        "args_sizes_get",
        |mut c: Ctx<'_>, count: i32, size: i32| {
            code(with(&mut c, |m, s| put_sizes(m, &s.args, count, size)))
        },
    )?;
    l.func_wrap(
        MODULE,
        "environ_get",
        |mut c: Ctx<'_>, env: i32, buf: i32| {
            code(with(&mut c, |m, s| put_strings(m, &s.env, env, buf)))
        },
    )?;
    l.func_wrap(
        MODULE,
        "environ_sizes_get",
        |mut c: Ctx<'_>, count: i32, size: i32| {
            code(with(&mut c, |m, s| put_sizes(m, &s.env, count, size)))
        },
    )?;
    l.func_wrap(
        MODULE,
        "clock_res_get",
        |mut c: Ctx<'_>, id: i32, out: i32| {
            code(with(&mut c, |m, _| {
                clock_known(id)?;
                m.put_u64(out, 1)
            }))
        },
    )?;
    l.func_wrap(
        MODULE,
        "clock_time_get",
        |mut c: Ctx<'_>, id: i32, _precision: i64, out: i32| {
            code(with(&mut c, |m, s| m.put_u64(out, now(s, id)?)))
        },
    )?;
    l.func_wrap(
        MODULE,
        "random_get",
        |mut c: Ctx<'_>, buf: i32, len: i32| {
            code(with(&mut c, |m, _| {
                getrandom::fill(m.slice_mut(buf, len as u32 as usize)?).map_err(|_| IO)
            }))
        },
    )?;
    l.func_wrap(MODULE, "sched_yield", |_: Ctx<'_>| SUCCESS as i32)?;
    l.func_wrap(
        MODULE,
        "proc_exit",
        |_: Ctx<'_>, status: i32| -> wasmtime::Result<()> { Err(Exit(status).into()) },
    )?;
    l.func_wrap(MODULE, "proc_raise", |_: Ctx<'_>, _sig: i32| NOSYS as i32)?;
    l.func_wrap(
        MODULE,
        "poll_oneoff",
        |mut c: Ctx<'_>, subs: i32, events: i32, count: i32, out: i32| {
            code(with(&mut c, |m, s| {
                poll_oneoff(m, s, subs, events, count, out)
            }))
        },
    )?;
    Ok(())
}

fn put_strings(
    m: &mut GuestMemory<'_>,
    list: &[Vec<u8>],
    ptrs: i32,
    buf: i32,
) -> Result<(), Errno> {
    let mut at = buf;
    for (i, item) in list.iter().enumerate() {
        m.put_u32(ptrs.wrapping_add(4 * i as i32), at as u32)?;
        m.put(at, item)?;
        at = at.wrapping_add(item.len() as i32);
    }
    Ok(())
}

fn put_sizes(
    m: &mut GuestMemory<'_>,
    list: &[Vec<u8>],
    count: i32,
    size: i32,
) -> Result<(), Errno> {
    m.put_u32(count, list.len() as u32)?;
    m.put_u32(size, list.iter().map(Vec::len).sum::<usize>() as u32)
}

fn clock_known(id: i32) -> Result<(), Errno> {
    match id {
        CLOCK_REALTIME | CLOCK_MONOTONIC | CLOCK_PROCESS_CPUTIME | CLOCK_THREAD_CPUTIME => Ok(()),
        _ => Err(INVAL),
    }
}

/// Nanoseconds on clock `id`. The CPU-time clocks are approximated by the
/// time since the program started.
fn now(s: &HostState, id: i32) -> Result<u64, Errno> {
    clock_known(id)?;
    Ok(if id == CLOCK_REALTIME {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as u64)
    } else {
        s.clock_base.elapsed().as_nanos() as u64
    })
}

const SUBSCRIPTION_LEN: i32 = 48;
const EVENT_LEN: i32 = 32;
const EVENTTYPE_CLOCK: u8 = 0;
const EVENTTYPE_FD_READ: u8 = 1;
const EVENTTYPE_FD_WRITE: u8 = 2;
const SUBCLOCKFLAGS_ABSTIME: u16 = 1;

/// Waits for clock timeouts; descriptor readiness is reported at once
/// (reads and writes here block instead).
fn poll_oneoff(
    m: &mut GuestMemory<'_>,
    s: &mut HostState,
    subs: i32,
    events: i32,
    count: i32,
    out: i32,
) -> Result<(), Errno> {
    if count <= 0 {
        return Err(INVAL);
    }
    struct Sub {
        userdata: u64,
        tag: u8,
        /// A clock subscription's time to wait; `None` for a descriptor.
        wait: Option<Duration>,
        /// A descriptor subscription's readiness: known now, or to ask the system.
        fd: Option<Pollable>,
        /// The error a descriptor subscription reports (a closed descriptor: `BADF`).
        error: Errno,
    }
    let mut list = Vec::new();
    for i in 0..count {
        let at = subs.wrapping_add(i.wrapping_mul(SUBSCRIPTION_LEN));
        let raw = m.slice(at, SUBSCRIPTION_LEN as usize)?;
        let userdata = u64::from_le_bytes(raw[0..8].try_into().expect("8 bytes"));
        let tag = raw[8];
        let mut sub = Sub {
            userdata,
            tag,
            wait: None,
            fd: None,
            error: SUCCESS,
        };
        if tag == EVENTTYPE_CLOCK {
            let id = u32::from_le_bytes(raw[16..20].try_into().expect("4 bytes")) as i32;
            let timeout = u64::from_le_bytes(raw[24..32].try_into().expect("8 bytes"));
            let flags = u16::from_le_bytes(raw[40..42].try_into().expect("2 bytes"));
            let relative = if flags & SUBCLOCKFLAGS_ABSTIME != 0 {
                timeout.saturating_sub(now(s, id)?)
            } else {
                clock_known(id)?;
                timeout
            };
            sub.wait = Some(Duration::from_nanos(relative));
        } else if tag == EVENTTYPE_FD_READ || tag == EVENTTYPE_FD_WRITE {
            let fd = u32::from_le_bytes(raw[16..20].try_into().expect("4 bytes")) as i32;
            match s.files.get(fd) {
                Ok(d) => sub.fd = Some(pollable(d, tag == EVENTTYPE_FD_WRITE)),
                Err(e) => {
                    sub.error = e;
                    sub.fd = Some(Pollable::Ready);
                }
            }
        } else {
            return Err(INVAL);
        }
        list.push(sub);
    }
    let shortest = list.iter().filter_map(|sub| sub.wait).min();
    // Which descriptor subscriptions are ready: those that always are, else what the
    // system says within the shortest clock's time.
    let ready: Vec<bool> = list
        .iter()
        .map(|sub| matches!(sub.fd, Some(Pollable::Ready)))
        .collect();
    #[cfg(any(unix, windows))]
    let ready = {
        let mut ready = ready;
        let asks: Vec<(usize, (super::net::RawSocket, bool))> = list
            .iter()
            .enumerate()
            .filter_map(|(i, sub)| match sub.fd {
                Some(Pollable::Host(fd, write)) => Some((i, (fd, write))),
                _ => None,
            })
            .collect();
        if !asks.is_empty() {
            let now_only = ready.iter().any(|&r| r) || shortest.is_some_and(|d| d.is_zero());
            if !now_only {
                flush_stdout();
            }
            let fds: Vec<(super::net::RawSocket, bool)> = asks.iter().map(|&(_, f)| f).collect();
            let timeout = if now_only {
                Some(Duration::ZERO)
            } else {
                shortest
            };
            for (&(i, _), r) in asks.iter().zip(super::net::wait(&fds, timeout)) {
                ready[i] = r;
            }
        }
        ready
    };
    let any_fd = ready.iter().any(|&r| r);
    if !any_fd
        && list
            .iter()
            .all(|sub| sub.fd.is_none() || matches!(sub.fd, Some(Pollable::Ready)))
    {
        if let Some(d) = shortest {
            flush_stdout();
            std::thread::sleep(d);
        }
    }
    let mut written = 0u32;
    for (sub, fd_ready) in list.iter().zip(&ready) {
        let ready = match sub.wait {
            None => *fd_ready,
            // With no descriptor ready, the wait above lasted the shortest clock's time.
            Some(d) => !any_fd && Some(d) == shortest || d.is_zero(),
        };
        if !ready {
            continue;
        }
        let mut event = [0u8; EVENT_LEN as usize];
        event[0..8].copy_from_slice(&sub.userdata.to_le_bytes());
        event[8..10].copy_from_slice(&sub.error.to_le_bytes());
        event[10] = sub.tag;
        if sub.wait.is_none() {
            event[16..24].copy_from_slice(&1u64.to_le_bytes());
        }
        m.put(events.wrapping_add(written as i32 * EVENT_LEN), &event)?;
        written += 1;
    }
    m.put_u32(out, written)
}

/// The file or stream behind `fd` for a read: `BADF` unless it was opened
/// for reading, `NOTCAPABLE` if the right was dropped.
fn readable(d: &mut Descriptor) -> Result<(), Errno> {
    match &d.node {
        Node::File { readable: true, .. }
        | Node::Stdin
        | Node::Socket(_)
        | Node::Asset(AssetNode::File { .. }) => d.require(RIGHT_FD_READ),
        _ => Err(BADF),
    }
}

fn writable(d: &mut Descriptor) -> Result<(), Errno> {
    match &d.node {
        Node::File { writable: true, .. } | Node::Stdout | Node::Stderr => {
            d.require(RIGHT_FD_WRITE)
        }
        _ => Err(BADF),
    }
}

/// The open file behind a descriptor; `BADF` for directories and streams
/// (`SPIPE` for streams where the caller says so).
fn file_of(d: &mut Descriptor) -> Result<&mut fs::File, Errno> {
    match &mut d.node {
        Node::File { file, .. } => Ok(file),
        Node::Dir { .. } => Err(BADF),
        _ => Err(SPIPE),
    }
}

fn define_fd(l: &mut Linker<HostState>) -> wasmtime::Result<()> {
    l.func_wrap(
        MODULE,
        "fd_write",
        |mut c: Ctx<'_>, fd: i32, iovs: i32, len: i32, out: i32| {
            code(with(&mut c, |m, s| {
                let d = s.files.get(fd)?;
                let mut data = Vec::new();
                for (buf, n) in m.iovecs(iovs, len)? {
                    data.extend_from_slice(m.slice(buf, n)?);
                }
                if let Node::Socket(sock) = &mut d.node {
                    // A socket takes what it can now; `AGAIN` when it takes nothing.
                    let n = sock.write(&data)?;
                    return m.put_u32(out, n as u32);
                }
                writable(d)?;
                write_all(d, &data)?;
                m.put_u32(out, data.len() as u32)
            }))
        },
    )?;
    l.func_wrap(
        MODULE,
        "fd_read",
        |mut c: Ctx<'_>, fd: i32, iovs: i32, len: i32, out: i32| {
            code(with(&mut c, |m, s| {
                let d = s.files.get(fd)?;
                readable(d)?;
                let target = m.iovecs(iovs, len)?.into_iter().find(|&(_, n)| n > 0);
                let n = match target {
                    Some((buf, n)) => read_some(d, m.slice_mut(buf, n)?)?,
                    None => 0,
                };
                m.put_u32(out, n as u32)
            }))
        },
    )?;
    l.func_wrap(
        MODULE,
        "fd_pread",
        |mut c: Ctx<'_>, fd: i32, iovs: i32, len: i32, offset: i64, out: i32| {
            code(with(&mut c, |m, s| {
                let d = s.files.get(fd)?;
                readable(d)?;
                d.require(RIGHT_FD_SEEK)?;
                if offset < 0 {
                    return Err(INVAL);
                }
                if let Node::Asset(asset) = &d.node {
                    let data = asset.data()?;
                    let mut total = 0usize;
                    for (buf, n) in m.iovecs(iovs, len)? {
                        let got = assets::read_at(
                            data,
                            m.slice_mut(buf, n)?,
                            offset as u64 + total as u64,
                        );
                        total += got;
                        if got < n {
                            break;
                        }
                    }
                    return m.put_u32(out, total as u32);
                }
                let file = file_of(d)?;
                let mut total = 0usize;
                let mut at = offset as u64;
                for (buf, n) in m.iovecs(iovs, len)? {
                    let got = read_at(file, m.slice_mut(buf, n)?, at)?;
                    total += got;
                    at += got as u64;
                    if got < n {
                        break;
                    }
                }
                m.put_u32(out, total as u32)
            }))
        },
    )?;
    l.func_wrap(
        MODULE,
        "fd_pwrite",
        |mut c: Ctx<'_>, fd: i32, iovs: i32, len: i32, offset: i64, out: i32| {
            code(with(&mut c, |m, s| {
                let d = s.files.get(fd)?;
                writable(d)?;
                d.require(RIGHT_FD_SEEK)?;
                let file = file_of(d)?;
                if offset < 0 {
                    return Err(INVAL);
                }
                let mut data = Vec::new();
                for (buf, n) in m.iovecs(iovs, len)? {
                    data.extend_from_slice(m.slice(buf, n)?);
                }
                write_at(file, &data, offset as u64)?;
                m.put_u32(out, data.len() as u32)
            }))
        },
    )?;
    l.func_wrap(
        MODULE,
        "fd_seek",
        |mut c: Ctx<'_>, fd: i32, offset: i64, whence: i32, out: i32| {
            code(with(&mut c, |m, s| {
                let d = s.files.get(fd)?;
                let pos = match whence {
                    0 => SeekFrom::Start(u64::try_from(offset).map_err(|_| INVAL)?),
                    1 => SeekFrom::Current(offset),
                    2 => SeekFrom::End(offset),
                    _ => return Err(INVAL),
                };
                let needed = if whence == 1 && offset == 0 {
                    RIGHT_FD_TELL
                } else {
                    RIGHT_FD_SEEK
                };
                if matches!(d.node, Node::Stdin | Node::Stdout | Node::Stderr) {
                    return Err(SPIPE);
                }
                d.require(needed)?;
                if let Node::Asset(asset) = &mut d.node {
                    return m.put_u64(out, asset.seek(offset, whence)?);
                }
                let at = file_of(d)?.seek(pos).map_err(|e| errno_of(&e))?;
                m.put_u64(out, at)
            }))
        },
    )?;
    l.func_wrap(MODULE, "fd_tell", |mut c: Ctx<'_>, fd: i32, out: i32| {
        code(with(&mut c, |m, s| {
            let d = s.files.get(fd)?;
            if matches!(d.node, Node::Stdin | Node::Stdout | Node::Stderr) {
                return Err(SPIPE);
            }
            d.require(RIGHT_FD_TELL)?;
            if let Node::Asset(asset) = &mut d.node {
                return m.put_u64(out, asset.seek(0, 1)?);
            }
            let at = file_of(d)?.stream_position().map_err(|e| errno_of(&e))?;
            m.put_u64(out, at)
        }))
    })?;
    l.func_wrap(MODULE, "fd_close", |mut c: Ctx<'_>, fd: i32| {
        code(with(&mut c, |_, s| s.files.close(fd)))
    })?;
    l.func_wrap(
        MODULE,
        "fd_renumber",
        |mut c: Ctx<'_>, from: i32, to: i32| code(with(&mut c, |_, s| s.files.renumber(from, to))),
    )?;
    for (name, right) in [
        ("fd_sync", RIGHT_FD_SYNC),
        ("fd_datasync", RIGHT_FD_DATASYNC),
    ] {
        l.func_wrap(MODULE, name, move |mut c: Ctx<'_>, fd: i32| {
            code(with(&mut c, |_, s| {
                let d = s.files.get(fd)?;
                match &d.node {
                    Node::File { file, .. } => {
                        d.require(right)?;
                        file.sync_all().map_err(|e| errno_of(&e))
                    }
                    Node::Dir { .. } | Node::Asset(_) if right == RIGHT_FD_SYNC => Ok(()),
                    Node::Dir { .. } => Err(BADF),
                    _ => Err(INVAL),
                }
            }))
        })?;
    }
    l.func_wrap(
        MODULE,
        "fd_advise",
        |mut c: Ctx<'_>, fd: i32, offset: i64, len: i64, advice: i32| {
            code(with(&mut c, |_, s| {
                let d = s.files.get(fd)?;
                if !matches!(
                    d.node,
                    Node::File { .. } | Node::Asset(AssetNode::File { .. })
                ) {
                    return Err(BADF);
                }
                if !(0..=5).contains(&advice) || offset < 0 || len < 0 {
                    return Err(INVAL);
                }
                d.require(RIGHT_FD_ADVISE)
            }))
        },
    )?;
    l.func_wrap(
        MODULE,
        "fd_allocate",
        |mut c: Ctx<'_>, fd: i32, _off: i64, _len: i64| {
            code(with(&mut c, |_, s| {
                let d = s.files.get(fd)?;
                if !matches!(d.node, Node::File { .. }) {
                    return Err(BADF);
                }
                Err(NOTSUP)
            }))
        },
    )?;
    l.func_wrap(
        MODULE,
        "fd_fdstat_get",
        |mut c: Ctx<'_>, fd: i32, out: i32| {
            code(with(&mut c, |m, s| {
                let d = s.files.get(fd)?;
                let (filetype, rights) = match &d.node {
                    Node::Stdin | Node::Stdout | Node::Stderr => stream_type(fd, d.rights),
                    Node::Dir { .. } | Node::Asset(AssetNode::Dir { .. }) => {
                        (FILETYPE_DIRECTORY, d.rights)
                    }
                    Node::Asset(AssetNode::File { .. }) => (FILETYPE_REGULAR_FILE, d.rights),
                    Node::Socket(_) => (FILETYPE_SOCKET_STREAM, d.rights),
                    Node::File { file, .. } => (
                        file.metadata()
                            .map_or(FILETYPE_REGULAR_FILE, |m| filetype_of(m.file_type())),
                        d.rights,
                    ),
                };
                let mut stat = [0u8; 24];
                stat[0] = filetype;
                stat[2..4].copy_from_slice(&d.flags.to_le_bytes());
                stat[8..16].copy_from_slice(&rights.to_le_bytes());
                stat[16..24].copy_from_slice(&d.inheriting.to_le_bytes());
                m.put(out, &stat)
            }))
        },
    )?;
    l.func_wrap(
        MODULE,
        "fd_fdstat_set_flags",
        |mut c: Ctx<'_>, fd: i32, flags: i32| {
            code(with(&mut c, |_, s| {
                let d = s.files.get(fd)?;
                let flags = u16::try_from(flags).map_err(|_| INVAL)?;
                if flags & !FDFLAGS_ALL != 0 {
                    return Err(INVAL);
                }
                d.require(RIGHT_FD_FDSTAT_SET_FLAGS)?;
                d.flags = flags;
                Ok(())
            }))
        },
    )?;
    l.func_wrap(
        MODULE,
        "fd_fdstat_set_rights",
        |mut c: Ctx<'_>, fd: i32, base: i64, inheriting: i64| {
            code(with(&mut c, |_, s| {
                let d = s.files.get(fd)?;
                let (base, inheriting) = (base as u64, inheriting as u64);
                // Rights can only be dropped, never gained.
                if base & !d.rights != 0 || inheriting & !d.inheriting != 0 {
                    return Err(NOTCAPABLE);
                }
                d.rights = base;
                d.inheriting = inheriting;
                Ok(())
            }))
        },
    )?;
    l.func_wrap(
        MODULE,
        "fd_filestat_get",
        |mut c: Ctx<'_>, fd: i32, out: i32| {
            code(with(&mut c, |m, s| {
                let d = s.files.get(fd)?;
                d.require(RIGHT_FD_FILESTAT_GET)?;
                if let Some(stat) = s.files.asset_fd_filestat(fd)? {
                    return m.put(out, &stat);
                }
                let d = s.files.get(fd)?;
                let stat = match &d.node {
                    Node::File { file, .. } => {
                        filestat(&file.metadata().map_err(|e| errno_of(&e))?)
                    }
                    Node::Dir { .. } => {
                        let (path, _) = s.files.dir(fd)?;
                        filestat(&fs::metadata(path).map_err(|e| errno_of(&e))?)
                    }
                    _ => {
                        let mut stat = [0u8; 64];
                        stat[16] = stream_type(fd, 0).0;
                        stat
                    }
                };
                m.put(out, &stat)
            }))
        },
    )?;
    l.func_wrap(
        MODULE,
        "fd_filestat_set_size",
        |mut c: Ctx<'_>, fd: i32, size: i64| {
            code(with(&mut c, |_, s| {
                let d = s.files.get(fd)?;
                match &d.node {
                    Node::File { writable: true, .. } => {}
                    Node::File { .. } | Node::Dir { .. } | Node::Asset(_) => return Err(BADF),
                    _ => return Err(SPIPE),
                }
                d.require(RIGHT_FD_FILESTAT_SET_SIZE)?;
                let size = u64::try_from(size).map_err(|_| INVAL)?;
                file_of(d)?.set_len(size).map_err(|e| errno_of(&e))
            }))
        },
    )?;
    l.func_wrap(
        MODULE,
        "fd_filestat_set_times",
        |mut c: Ctx<'_>, fd: i32, atim: i64, mtim: i64, flags: i32| {
            code(with(&mut c, |_, s| {
                let times = file_times(atim, mtim, flags)?;
                let d = s.files.get(fd)?;
                d.require(RIGHT_FD_FILESTAT_SET_TIMES)?;
                match &d.node {
                    Node::File { file, .. } => file.set_times(times).map_err(|e| errno_of(&e)),
                    Node::Dir { .. } => {
                        let (path, _) = s.files.dir(fd)?;
                        set_path_times(&path, true, atim, mtim, flags)
                    }
                    Node::Asset(_) => Err(ROFS),
                    _ => Err(SPIPE),
                }
            }))
        },
    )?;
    l.func_wrap(
        MODULE,
        "fd_prestat_get",
        |mut c: Ctx<'_>, fd: i32, out: i32| {
            code(with(&mut c, |m, s| match &s.files.get(fd)?.node {
                Node::Dir {
                    preopen: Some(name),
                    ..
                } => {
                    let len = name.len() as u32;
                    m.put(out, &[0, 0, 0, 0])?;
                    m.put_u32(out.wrapping_add(4), len)
                }
                Node::Asset(AssetNode::Dir { preopen: true, .. }) => {
                    m.put(out, &[0, 0, 0, 0])?;
                    m.put_u32(out.wrapping_add(4), ASSET_MOUNT.len() as u32)
                }
                _ => Err(BADF),
            }))
        },
    )?;
    l.func_wrap(
        MODULE,
        "fd_prestat_dir_name",
        |mut c: Ctx<'_>, fd: i32, buf: i32, len: i32| {
            code(with(&mut c, |m, s| match &s.files.get(fd)?.node {
                Node::Dir {
                    preopen: Some(name),
                    ..
                } => {
                    let name = name.as_bytes();
                    if (len as u32 as usize) < name.len() {
                        return Err(NAMETOOLONG);
                    }
                    m.put(buf, name)
                }
                Node::Asset(AssetNode::Dir { preopen: true, .. }) => {
                    if (len as u32 as usize) < ASSET_MOUNT.len() {
                        return Err(NAMETOOLONG);
                    }
                    m.put(buf, ASSET_MOUNT.as_bytes())
                }
                _ => Err(BADF),
            }))
        },
    )?;
    l.func_wrap(
        MODULE,
        "fd_readdir",
        |mut c: Ctx<'_>, fd: i32, buf: i32, len: i32, cookie: i64, out: i32| {
            code(with(&mut c, |m, s| {
                fd_readdir(m, s, fd, buf, len, cookie as u64, out)
            }))
        },
    )?;
    Ok(())
}

/// The type and rights of a standard stream: a character device without
/// seek rights when it is a terminal (so wasi-libc's `isatty` is true),
/// otherwise of unknown type.
fn stream_type(fd: i32, rights: u64) -> (u8, u64) {
    use std::io::IsTerminal;
    let terminal = match fd {
        0 => std::io::stdin().is_terminal(),
        1 => std::io::stdout().is_terminal(),
        _ => std::io::stderr().is_terminal(),
    };
    if terminal {
        (FILETYPE_CHARACTER_DEVICE, rights)
    } else {
        (FILETYPE_UNKNOWN, rights)
    }
}

/// `fd_readdir`: entries from the directory's snapshot. The cookie of an
/// entry is its position + 1 in the snapshot; cookie 0 takes a fresh one.
fn fd_readdir(
    m: &mut GuestMemory<'_>,
    s: &mut HostState,
    fd: i32,
    buf: i32,
    len: i32,
    cookie: u64,
    out: i32,
) -> Result<(), Errno> {
    let d = s.files.get(fd)?;
    let asset_dir = match &d.node {
        Node::Dir { .. } => None,
        Node::Asset(AssetNode::Dir { entry, .. }) => Some(*entry),
        _ => return Err(NOTDIR),
    };
    d.require(RIGHT_FD_READDIR)?;
    let listing = if let Some(entry) = asset_dir {
        let fresh = s.files.asset_listing(entry)?;
        let Node::Asset(AssetNode::Dir { listing, .. }) = &mut s.files.get(fd)?.node else {
            return Err(NOTDIR);
        };
        if cookie == 0 || listing.is_none() {
            *listing = Some(fresh);
        }
        listing
    } else {
        let (path, _) = s.files.dir(fd)?;
        let Node::Dir { listing, .. } = &mut s.files.get(fd)?.node else {
            return Err(NOTDIR);
        };
        if cookie == 0 || listing.is_none() {
            *listing = Some(read_dir_sorted(&path)?);
        }
        listing
    };
    let entries = &listing.as_ref().expect("set above").entries;
    let limit = len as u32 as usize;
    let mut bytes = Vec::new();
    let start = usize::try_from(cookie).unwrap_or(usize::MAX);
    for (i, (name, filetype, ino)) in entries.iter().enumerate().skip(start) {
        bytes.extend_from_slice(&(i as u64 + 1).to_le_bytes());
        bytes.extend_from_slice(&ino.to_le_bytes());
        bytes.extend_from_slice(&(name.len() as u32).to_le_bytes());
        bytes.extend_from_slice(&[*filetype, 0, 0, 0]);
        bytes.extend_from_slice(name);
        if bytes.len() >= limit {
            break;
        }
    }
    bytes.truncate(limit);
    m.put(buf, &bytes)?;
    m.put_u32(out, bytes.len() as u32)
}

fn write_all(d: &mut Descriptor, data: &[u8]) -> Result<(), Errno> {
    let append = d.flags & FDFLAGS_APPEND != 0;
    let result = match &mut d.node {
        Node::Stdout => {
            let mut out = std::io::stdout().lock();
            out.write_all(data).and_then(|()| out.flush())
        }
        Node::Stderr => std::io::stderr().lock().write_all(data),
        Node::File { file, .. } => {
            // APPEND is kept as a flag, not as O_APPEND, so that
            // `fd_fdstat_set_flags` can turn it on and off.
            if append {
                file.seek(SeekFrom::End(0)).map_err(|e| errno_of(&e))?;
            }
            file.write_all(data)
        }
        _ => return Err(BADF),
    };
    result.map_err(|e| errno_of(&e))
}

fn read_some(d: &mut Descriptor, buf: &mut [u8]) -> Result<usize, Errno> {
    let result = match &mut d.node {
        Node::Stdin => {
            flush_stdout();
            read_stdin(buf)
        }
        Node::File { file, .. } => file.read(buf),
        Node::Socket(sock) => return sock.read(buf),
        Node::Asset(asset) => return asset.read(buf),
        _ => return Err(BADF),
    };
    result.map_err(|e| errno_of(&e))
}

/// Reads stdin without a buffer of the host's own, so that what `poll_oneoff` reports as
/// waiting on descriptor 0 is all there is.
#[cfg(unix)]
fn read_stdin(buf: &mut [u8]) -> std::io::Result<usize> {
    loop {
        // SAFETY: `buf` is valid for writes of its length.
        let n = unsafe { libc::read(0, buf.as_mut_ptr().cast(), buf.len()) };
        if n >= 0 {
            return Ok(n as usize);
        }
        let e = std::io::Error::last_os_error();
        if e.kind() != std::io::ErrorKind::Interrupted {
            return Err(e);
        }
    }
}

#[cfg(not(unix))]
fn read_stdin(buf: &mut [u8]) -> std::io::Result<usize> {
    std::io::stdin().lock().read(buf)
}

fn read_at(file: &fs::File, buf: &mut [u8], offset: u64) -> Result<usize, Errno> {
    #[cfg(unix)]
    let r = std::os::unix::fs::FileExt::read_at(file, buf, offset);
    #[cfg(windows)]
    let r = std::os::windows::fs::FileExt::seek_read(file, buf, offset);
    r.map_err(|e| errno_of(&e))
}

fn write_at(file: &fs::File, data: &[u8], offset: u64) -> Result<(), Errno> {
    #[cfg(unix)]
    let r = std::os::unix::fs::FileExt::write_all_at(file, data, offset);
    #[cfg(windows)]
    let r = (|| {
        let mut done = 0;
        while done < data.len() {
            done += std::os::windows::fs::FileExt::seek_write(
                file,
                &data[done..],
                offset + done as u64,
            )?;
        }
        Ok(())
    })();
    r.map_err(|e| errno_of(&e))
}

fn filetype_of(t: fs::FileType) -> u8 {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if t.is_block_device() {
            return FILETYPE_BLOCK_DEVICE;
        }
        if t.is_char_device() {
            return FILETYPE_CHARACTER_DEVICE;
        }
        if t.is_socket() {
            return FILETYPE_SOCKET_STREAM;
        }
    }
    if t.is_symlink() {
        FILETYPE_SYMBOLIC_LINK
    } else if t.is_dir() {
        FILETYPE_DIRECTORY
    } else if t.is_file() {
        FILETYPE_REGULAR_FILE
    } else {
        FILETYPE_UNKNOWN
    }
}

fn nanos(t: std::io::Result<SystemTime>) -> u64 {
    t.ok()
        .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_nanos() as u64)
}

fn filestat(meta: &fs::Metadata) -> [u8; 64] {
    #[cfg(unix)]
    let (dev, ino, nlink, ctime) = {
        use std::os::unix::fs::MetadataExt;
        let ctime = (meta.ctime() as u64)
            .wrapping_mul(1_000_000_000)
            .wrapping_add(meta.ctime_nsec() as u64);
        (meta.dev(), meta.ino(), meta.nlink(), ctime)
    };
    #[cfg(not(unix))]
    let (dev, ino, nlink, ctime) = (0u64, 0u64, 1u64, nanos(meta.modified()));
    let mut stat = [0u8; 64];
    stat[0..8].copy_from_slice(&dev.to_le_bytes());
    stat[8..16].copy_from_slice(&ino.to_le_bytes());
    stat[16] = filetype_of(meta.file_type());
    stat[24..32].copy_from_slice(&nlink.to_le_bytes());
    stat[32..40].copy_from_slice(&meta.len().to_le_bytes());
    stat[40..48].copy_from_slice(&nanos(meta.accessed()).to_le_bytes());
    stat[48..56].copy_from_slice(&nanos(meta.modified()).to_le_bytes());
    stat[56..64].copy_from_slice(&ctime.to_le_bytes());
    stat
}

/// Checks `fst_flags`: a time may be given or "now", not both.
fn check_fst_flags(flags: i32) -> Result<(), Errno> {
    let both = |v: i32, now: i32| flags & v != 0 && flags & now != 0;
    if flags & !0xf != 0
        || both(FSTFLAGS_ATIM, FSTFLAGS_ATIM_NOW)
        || both(FSTFLAGS_MTIM, FSTFLAGS_MTIM_NOW)
    {
        return Err(INVAL);
    }
    Ok(())
}

fn file_times(atim: i64, mtim: i64, flags: i32) -> Result<fs::FileTimes, Errno> {
    check_fst_flags(flags)?;
    let at = |ns: i64| UNIX_EPOCH + Duration::from_nanos(ns as u64);
    let mut times = fs::FileTimes::new();
    if flags & FSTFLAGS_ATIM != 0 {
        times = times.set_accessed(at(atim));
    } else if flags & FSTFLAGS_ATIM_NOW != 0 {
        times = times.set_accessed(SystemTime::now());
    }
    if flags & FSTFLAGS_MTIM != 0 {
        times = times.set_modified(at(mtim));
    } else if flags & FSTFLAGS_MTIM_NOW != 0 {
        times = times.set_modified(SystemTime::now());
    }
    Ok(times)
}

/// Sets the times of `path` itself (a final symlink only with `follow`),
/// for files and directories alike, without opening it.
fn set_path_times(
    path: &std::path::Path,
    follow: bool,
    atim: i64,
    mtim: i64,
    flags: i32,
) -> Result<(), Errno> {
    check_fst_flags(flags)?;
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        let spec = |value: i64, set: i32, now: i32| {
            if flags & set != 0 {
                libc::timespec {
                    tv_sec: (value as u64 / 1_000_000_000) as _,
                    tv_nsec: (value as u64 % 1_000_000_000) as _,
                }
            } else if flags & now != 0 {
                libc::timespec {
                    tv_sec: 0,
                    tv_nsec: libc::UTIME_NOW,
                }
            } else {
                libc::timespec {
                    tv_sec: 0,
                    tv_nsec: libc::UTIME_OMIT,
                }
            }
        };
        let times = [
            spec(atim, FSTFLAGS_ATIM, FSTFLAGS_ATIM_NOW),
            spec(mtim, FSTFLAGS_MTIM, FSTFLAGS_MTIM_NOW),
        ];
        let c_path = std::ffi::CString::new(path.as_os_str().as_bytes()).map_err(|_| INVAL)?;
        let nofollow = if follow { 0 } else { libc::AT_SYMLINK_NOFOLLOW };
        // SAFETY: `c_path` is a NUL-terminated string and `times` holds two
        // timespecs, as utimensat requires; both outlive the call.
        let r =
            unsafe { libc::utimensat(libc::AT_FDCWD, c_path.as_ptr(), times.as_ptr(), nofollow) };
        if r != 0 {
            return Err(errno_of(&std::io::Error::last_os_error()));
        }
        Ok(())
    }
    #[cfg(not(unix))]
    {
        let _ = follow;
        let times = file_times(atim, mtim, flags)?;
        let file = fs::File::open(path).map_err(|e| errno_of(&e))?;
        file.set_times(times).map_err(|e| errno_of(&e))
    }
}

/// A directory's entries for a listing: `.` and `..` first, then the
/// entries sorted by name (deterministic), with their inode numbers.
///
/// On Linux the entries come straight from `getdents64`, `.` and `..` with
/// the rest: one `openat`, the reads and a `close` per listing. (std's
/// `read_dir` drops `.` and `..`, whose inode numbers then cost a `stat`
/// each, and musl's `open` adds an `fcntl`.)
fn read_dir_sorted(dir: &std::path::Path) -> Result<Listing, Errno> {
    #[cfg(target_os = "linux")]
    {
        read_dir_linux(dir).map_err(|e| errno_of(&e))
    }
    #[cfg(not(target_os = "linux"))]
    {
        read_dir_std(dir)
    }
}

#[cfg(target_os = "linux")]
fn read_dir_linux(dir: &std::path::Path) -> std::io::Result<Listing> {
    use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
    let fd = open_at_cwd(dir, libc::O_RDONLY | libc::O_DIRECTORY, 0)?;
    // SAFETY: `openat` just returned this descriptor, owned by nobody else.
    let fd = unsafe { OwnedFd::from_raw_fd(fd) };
    let mut dots: [Option<u64>; 2] = [None, None];
    let mut rest = Vec::new();
    let mut buf = vec![0u8; 32 * 1024];
    loop {
        // SAFETY: the kernel writes at most `buf.len()` bytes into `buf`.
        let n = unsafe {
            libc::syscall(
                libc::SYS_getdents64,
                fd.as_raw_fd(),
                buf.as_mut_ptr(),
                buf.len(),
            )
        };
        if n < 0 {
            return Err(std::io::Error::last_os_error());
        }
        if n == 0 {
            break;
        }
        // Records of `struct linux_dirent64`: d_ino (8 bytes), d_off (8),
        // d_reclen (2), d_type (1), then the NUL-terminated name.
        let mut at = 0usize;
        while at + 19 <= n as usize {
            let rec = &buf[at..n as usize];
            let ino = u64::from_ne_bytes(rec[0..8].try_into().expect("8 bytes"));
            let reclen = u16::from_ne_bytes([rec[16], rec[17]]) as usize;
            if reclen < 19 || reclen > rec.len() {
                return Err(std::io::Error::from(std::io::ErrorKind::InvalidData));
            }
            let d_type = rec[18];
            let name = &rec[19..reclen];
            let name = &name[..name.iter().position(|&b| b == 0).unwrap_or(name.len())];
            at += reclen;
            match name {
                b"." => dots[0] = Some(ino),
                b".." => dots[1] = Some(ino),
                _ => {
                    let filetype = match d_type {
                        libc::DT_DIR => FILETYPE_DIRECTORY,
                        libc::DT_REG => FILETYPE_REGULAR_FILE,
                        libc::DT_LNK => FILETYPE_SYMBOLIC_LINK,
                        libc::DT_CHR => FILETYPE_CHARACTER_DEVICE,
                        libc::DT_BLK => FILETYPE_BLOCK_DEVICE,
                        libc::DT_SOCK => FILETYPE_SOCKET_STREAM,
                        libc::DT_FIFO => FILETYPE_UNKNOWN,
                        // The file system does not say: ask, as std does.
                        _ => {
                            use std::os::unix::ffi::OsStrExt;
                            let path = dir.join(std::ffi::OsStr::from_bytes(name));
                            fs::symlink_metadata(path)
                                .map_or(FILETYPE_UNKNOWN, |m| filetype_of(m.file_type()))
                        }
                    };
                    rest.push((name.to_vec(), filetype, ino));
                }
            }
        }
    }
    let ino_of = |p: &std::path::Path| {
        use std::os::unix::fs::MetadataExt;
        fs::metadata(p).map_or(0, |m| m.ino())
    };
    let mut entries = vec![
        (
            b".".to_vec(),
            FILETYPE_DIRECTORY,
            dots[0].unwrap_or_else(|| ino_of(dir)),
        ),
        (
            b"..".to_vec(),
            FILETYPE_DIRECTORY,
            dots[1].unwrap_or_else(|| ino_of(&dir.join(".."))),
        ),
    ];
    rest.sort();
    entries.extend(rest);
    Ok(Listing { entries })
}

/// `openat(AT_FDCWD, path, flags | O_CLOEXEC, mode)`: the raw descriptor.
/// (musl's `open`, which std calls, follows it with an `fcntl` that a kernel
/// new enough for `O_CLOEXEC` does not need.)
#[cfg(target_os = "linux")]
fn open_at_cwd(path: &std::path::Path, flags: i32, mode: u32) -> std::io::Result<i32> {
    use std::os::unix::ffi::OsStrExt;
    let c = std::ffi::CString::new(path.as_os_str().as_bytes())
        .map_err(|_| std::io::Error::from(std::io::ErrorKind::InvalidInput))?;
    // SAFETY: `c` is a NUL-terminated path that outlives the call.
    let fd = unsafe { libc::openat(libc::AT_FDCWD, c.as_ptr(), flags | libc::O_CLOEXEC, mode) };
    if fd < 0 {
        Err(std::io::Error::last_os_error())
    } else {
        Ok(fd)
    }
}

#[cfg(not(target_os = "linux"))]
fn read_dir_std(dir: &std::path::Path) -> Result<Listing, Errno> {
    let ino_of = |p: &std::path::Path| -> u64 {
        #[cfg(unix)]
        {
            use std::os::unix::fs::MetadataExt;
            fs::metadata(p).map_or(0, |m| m.ino())
        }
        #[cfg(not(unix))]
        {
            let _ = p;
            0
        }
    };
    let mut entries = vec![
        (b".".to_vec(), FILETYPE_DIRECTORY, ino_of(dir)),
        (b"..".to_vec(), FILETYPE_DIRECTORY, ino_of(&dir.join(".."))),
    ];
    let mut rest = Vec::new();
    for entry in fs::read_dir(dir).map_err(|e| errno_of(&e))? {
        let entry = entry.map_err(|e| errno_of(&e))?;
        let filetype = entry.file_type().map_or(FILETYPE_UNKNOWN, filetype_of);
        #[cfg(unix)]
        let (name, ino) = {
            use std::os::unix::ffi::OsStringExt;
            use std::os::unix::fs::DirEntryExt;
            (entry.file_name().into_vec(), entry.ino())
        };
        #[cfg(not(unix))]
        let (name, ino) = (
            entry
                .file_name()
                .to_string_lossy()
                .into_owned()
                .into_bytes(),
            0,
        );
        rest.push((name, filetype, ino));
    }
    rest.sort();
    entries.extend(rest);
    Ok(Listing { entries })
}

/// The hook for path calls that change something: `ROFS` when the path
/// names the embedded, read-only tree (whether or not the entry exists).
fn refuse_in_assets(s: &mut HostState, fd: i32, path: &str) -> Result<(), Errno> {
    match s.files.asset_lookup(fd, path, 0)? {
        Some(_) => Err(ROFS),
        None => Ok(()),
    }
}

/// Fails with `NOTDIR` unless `fd` is a directory, with `ROFS` when its
/// grant is read-only, and with `NOTCAPABLE` when it lacks `right`.
fn may_change(s: &mut HostState, fd: i32, right: u64) -> Result<(), Errno> {
    let (_, grant) = s.files.dir(fd)?;
    if s.files.read_only(grant) {
        return Err(ROFS);
    }
    s.files.get(fd)?.require(right)
}

/// The descriptor `fd` must be a directory with `right`.
fn may_look(s: &mut HostState, fd: i32, right: u64) -> Result<(), Errno> {
    let d = s.files.get(fd)?;
    if !matches!(d.node, Node::Dir { .. }) {
        return Err(NOTDIR);
    }
    d.require(right)
}

/// Opens a file for `path_open` with exactly the POSIX open flags asked for
/// (create or truncate without write access included, which std's
/// `OpenOptions` refuses).
fn open_file(
    host: &std::path::Path,
    read: bool,
    write: bool,
    oflags: i32,
    follow: bool,
) -> std::io::Result<fs::File> {
    let creat = oflags & OFLAGS_CREAT != 0;
    let excl = oflags & OFLAGS_EXCL != 0;
    let trunc = oflags & OFLAGS_TRUNC != 0;
    #[cfg(target_os = "linux")]
    {
        use std::os::fd::FromRawFd;
        let mut flags = match (read || !write, write) {
            (true, true) => libc::O_RDWR,
            (false, true) => libc::O_WRONLY,
            _ => libc::O_RDONLY,
        };
        if creat {
            flags |= libc::O_CREAT;
        }
        if creat && excl {
            flags |= libc::O_EXCL;
        }
        if trunc {
            flags |= libc::O_TRUNC;
        }
        if !follow {
            flags |= libc::O_NOFOLLOW;
        }
        let fd = open_at_cwd(host, flags, 0o666)?;
        // SAFETY: `openat` just returned this descriptor, owned by nobody else.
        Ok(unsafe { fs::File::from_raw_fd(fd) })
    }
    #[cfg(not(target_os = "linux"))]
    let mut options = fs::OpenOptions::new();
    #[cfg(all(unix, not(target_os = "linux")))]
    {
        use std::os::unix::fs::OpenOptionsExt;
        let mut custom = 0;
        if creat {
            custom |= libc::O_CREAT;
        }
        if creat && excl {
            custom |= libc::O_EXCL;
        }
        if trunc {
            custom |= libc::O_TRUNC;
        }
        if !follow {
            custom |= libc::O_NOFOLLOW;
        }
        options
            .read(read || !write)
            .write(write)
            .custom_flags(custom)
            .mode(0o666);
    }
    #[cfg(not(unix))]
    {
        let _ = follow;
        options
            .read(read || !write)
            .write(write || creat || trunc)
            .create(creat && !excl)
            .create_new(creat && excl)
            .truncate(trunc);
    }
    #[cfg(not(target_os = "linux"))]
    options.open(host)
}

fn define_path(l: &mut Linker<HostState>) -> wasmtime::Result<()> {
    l.func_wrap(
        MODULE,
        "path_open",
        |mut c: Ctx<'_>,
         fd: i32,
         dirflags: i32,
         path: i32,
         path_len: i32,
         oflags: i32,
         rights: i64,
         inheriting: i64,
         fdflags: i32,
         out: i32| {
            code(with(&mut c, |m, s| {
                let name = m.path(path, path_len)?;
                let fdflags = u16::try_from(fdflags).map_err(|_| INVAL)?;
                if let Some(at) = s.files.asset_lookup(fd, &name, RIGHT_PATH_OPEN)? {
                    if fdflags & !FDFLAGS_ALL != 0 || oflags & !0xf != 0 {
                        return Err(INVAL);
                    }
                    let new = s.files.open_asset(
                        at,
                        oflags,
                        rights as u64,
                        inheriting as u64,
                        fdflags,
                    )?;
                    return m.put_u32(out, new as u32);
                }
                may_look(s, fd, RIGHT_PATH_OPEN)?;
                if fdflags & !FDFLAGS_ALL != 0 || oflags & !0xf != 0 {
                    return Err(INVAL);
                }
                let parent = s.files.get(fd)?;
                let (allowed, allowed_inheriting) = (parent.inheriting, parent.inheriting);
                let follow = dirflags & LOOKUPFLAGS_SYMLINK_FOLLOW != 0;
                let access = if rights as u64 & FILE_WRITE_RIGHTS != 0
                    || oflags & (OFLAGS_CREAT | OFLAGS_TRUNC) != 0
                    || fdflags & FDFLAGS_APPEND != 0
                {
                    Access::Write
                } else {
                    Access::Read
                };
                let r = s.files.resolve(fd, &name, follow, access)?;
                let read_only = s.files.read_only(r.grant);
                let meta = if r.follow {
                    fs::metadata(&r.host)
                } else {
                    fs::symlink_metadata(&r.host)
                };
                let rights = rights as u64;
                let write = rights & FILE_WRITE_RIGHTS != 0;
                let wants_dir = oflags & OFLAGS_DIRECTORY != 0;
                if let Ok(meta) = &meta {
                    if meta.file_type().is_symlink() {
                        // Not followed: a final symlink is never opened.
                        return Err(if wants_dir { NOTDIR } else { LOOP });
                    }
                    if meta.is_dir() {
                        if oflags & (OFLAGS_CREAT | OFLAGS_EXCL) == OFLAGS_CREAT | OFLAGS_EXCL {
                            return Err(EXIST);
                        }
                        if write || oflags & OFLAGS_TRUNC != 0 {
                            return Err(ISDIR);
                        }
                        let node = s.files.dir_node(r)?;
                        let new = s.files.insert(Descriptor {
                            node,
                            rights: rights & allowed & DIR_RIGHTS,
                            inheriting: inheriting as u64 & allowed_inheriting,
                            flags: fdflags,
                        });
                        return m.put_u32(out, new as u32);
                    }
                    if wants_dir || r.trailing_slash {
                        return Err(NOTDIR);
                    }
                } else if let Err(e) = &meta {
                    if wants_dir && oflags & OFLAGS_CREAT == 0 || r.trailing_slash {
                        return Err(errno_of(e));
                    }
                }
                if wants_dir {
                    return Err(INVAL);
                }
                if read_only && (write || oflags & (OFLAGS_CREAT | OFLAGS_TRUNC) != 0) {
                    return Err(ROFS);
                }
                if oflags & OFLAGS_CREAT != 0 && meta.is_err() {
                    s.files.get(fd)?.require(RIGHT_PATH_CREATE_FILE)?;
                }
                if oflags & OFLAGS_TRUNC != 0 {
                    s.files.get(fd)?.require(RIGHT_PATH_FILESTAT_SET_SIZE)?;
                }
                let read = rights & (RIGHT_FD_READ | RIGHT_FD_READDIR) != 0 || !write;
                let file =
                    open_file(&r.host, read, write, oflags, r.follow).map_err(|e| errno_of(&e))?;
                let mut granted = rights & allowed & FILE_RIGHTS;
                if !write {
                    granted &= !FILE_WRITE_RIGHTS;
                }
                if !read {
                    granted &= !RIGHT_FD_READ;
                }
                let new = s.files.insert(Descriptor {
                    node: Node::File {
                        file,
                        readable: read,
                        writable: write,
                    },
                    rights: granted,
                    inheriting: inheriting as u64 & allowed_inheriting,
                    flags: fdflags,
                });
                m.put_u32(out, new as u32)
            }))
        },
    )?;
    l.func_wrap(
        MODULE,
        "path_filestat_get",
        |mut c: Ctx<'_>, fd: i32, flags: i32, path: i32, len: i32, out: i32| {
            code(with(&mut c, |m, s| {
                let name = m.path(path, len)?;
                if let Some(at) = s.files.asset_lookup(fd, &name, RIGHT_PATH_FILESTAT_GET)? {
                    return m.put(out, &s.files.asset_filestat(&at)?);
                }
                may_look(s, fd, RIGHT_PATH_FILESTAT_GET)?;
                let follow = flags & LOOKUPFLAGS_SYMLINK_FOLLOW != 0;
                let r = s.files.resolve(fd, &name, follow, Access::Read)?;
                let meta = if r.follow {
                    fs::metadata(&r.host)
                } else {
                    fs::symlink_metadata(&r.host)
                };
                let meta = meta.map_err(|e| errno_of(&e))?;
                if r.trailing_slash && !meta.is_dir() {
                    return Err(NOTDIR);
                }
                m.put(out, &filestat(&meta))
            }))
        },
    )?;
    l.func_wrap(
        MODULE,
        "path_filestat_set_times",
        |mut c: Ctx<'_>,
         fd: i32,
         flags: i32,
         path: i32,
         len: i32,
         atim: i64,
         mtim: i64,
         fst: i32| {
            code(with(&mut c, |m, s| {
                let name = m.path(path, len)?;
                check_fst_flags(fst)?;
                refuse_in_assets(s, fd, &name)?;
                may_change(s, fd, RIGHT_PATH_FILESTAT_SET_TIMES)?;
                let follow = flags & LOOKUPFLAGS_SYMLINK_FOLLOW != 0;
                let r = s.files.resolve(fd, &name, follow, Access::Write)?;
                set_path_times(&r.host, r.follow, atim, mtim, fst)
            }))
        },
    )?;
    l.func_wrap(
        MODULE,
        "path_create_directory",
        |mut c: Ctx<'_>, fd: i32, path: i32, len: i32| {
            code(with(&mut c, |m, s| {
                let name = m.path(path, len)?;
                refuse_in_assets(s, fd, &name)?;
                may_change(s, fd, RIGHT_PATH_CREATE_DIRECTORY)?;
                let r = s
                    .files
                    .resolve(fd, name.trim_end_matches('/'), false, Access::Write)?;
                fs::create_dir(r.host).map_err(|e| errno_of(&e))
            }))
        },
    )?;
    l.func_wrap(
        MODULE,
        "path_remove_directory",
        |mut c: Ctx<'_>, fd: i32, path: i32, len: i32| {
            code(with(&mut c, |m, s| {
                let name = m.path(path, len)?;
                refuse_in_assets(s, fd, &name)?;
                may_change(s, fd, RIGHT_PATH_REMOVE_DIRECTORY)?;
                let r = s
                    .files
                    .resolve(fd, name.trim_end_matches('/'), false, Access::Write)?;
                match fs::symlink_metadata(&r.host) {
                    Ok(meta) if !meta.is_dir() => return Err(NOTDIR),
                    _ => {}
                }
                fs::remove_dir(r.host).map_err(|e| errno_of(&e))
            }))
        },
    )?;
    l.func_wrap(
        MODULE,
        "path_unlink_file",
        |mut c: Ctx<'_>, fd: i32, path: i32, len: i32| {
            code(with(&mut c, |m, s| {
                let name = m.path(path, len)?;
                refuse_in_assets(s, fd, &name)?;
                may_change(s, fd, RIGHT_PATH_UNLINK_FILE)?;
                let r = s
                    .files
                    .resolve(fd, name.trim_end_matches('/'), false, Access::Write)?;
                let meta = fs::symlink_metadata(&r.host).map_err(|e| errno_of(&e))?;
                if meta.is_dir() {
                    return Err(ISDIR);
                }
                if name.ends_with('/') {
                    return Err(NOTDIR);
                }
                fs::remove_file(r.host).map_err(|e| errno_of(&e))
            }))
        },
    )?;
    l.func_wrap(
        MODULE,
        "path_rename",
        |mut c: Ctx<'_>, fd: i32, old: i32, old_len: i32, new_fd: i32, new: i32, new_len: i32| {
            code(with(&mut c, |m, s| {
                let (old, new) = (m.path(old, old_len)?, m.path(new, new_len)?);
                refuse_in_assets(s, fd, &old)?;
                refuse_in_assets(s, new_fd, &new)?;
                may_change(s, fd, RIGHT_PATH_RENAME_SOURCE)?;
                may_change(s, new_fd, RIGHT_PATH_RENAME_TARGET)?;
                let from = s
                    .files
                    .resolve(fd, old.trim_end_matches('/'), false, Access::Write)?;
                let to =
                    s.files
                        .resolve(new_fd, new.trim_end_matches('/'), false, Access::Write)?;
                let source = fs::symlink_metadata(&from.host).map_err(|e| errno_of(&e))?;
                if (old.ends_with('/') || new.ends_with('/')) && !source.is_dir() {
                    return Err(NOTDIR);
                }
                fs::rename(from.host, to.host).map_err(|e| errno_of(&e))
            }))
        },
    )?;
    l.func_wrap(
        MODULE,
        "path_link",
        |mut c: Ctx<'_>,
         fd: i32,
         flags: i32,
         old: i32,
         old_len: i32,
         new_fd: i32,
         new: i32,
         new_len: i32| {
            code(with(&mut c, |m, s| {
                let (old, new) = (m.path(old, old_len)?, m.path(new, new_len)?);
                refuse_in_assets(s, new_fd, &new)?;
                if s.files.asset_lookup(fd, &old, 0)?.is_some() {
                    return Err(XDEV);
                }
                may_look(s, fd, RIGHT_PATH_LINK_SOURCE)?;
                may_change(s, new_fd, RIGHT_PATH_LINK_TARGET)?;
                let follow = flags & LOOKUPFLAGS_SYMLINK_FOLLOW != 0;
                let from = s.files.resolve(fd, &old, follow, Access::Read)?;
                let to = s.files.resolve(new_fd, &new, false, Access::Write)?;
                let source = fs::symlink_metadata(&from.host).map_err(|e| errno_of(&e))?;
                if source.is_dir() {
                    return Err(PERM);
                }
                if from.trailing_slash {
                    return Err(NOTDIR);
                }
                if to.trailing_slash {
                    return Err(match fs::symlink_metadata(&to.host) {
                        Ok(_) => EXIST,
                        Err(_) => NOENT,
                    });
                }
                fs::hard_link(from.host, to.host).map_err(|e| errno_of(&e))
            }))
        },
    )?;
    l.func_wrap(
        MODULE,
        "path_readlink",
        |mut c: Ctx<'_>, fd: i32, path: i32, len: i32, buf: i32, buf_len: i32, out: i32| {
            code(with(&mut c, |m, s| {
                let name = m.path(path, len)?;
                if let Some(at) = s.files.asset_lookup(fd, &name, RIGHT_PATH_READLINK)? {
                    // The tree holds no symlinks.
                    return Err(if at.entry.is_some() { INVAL } else { NOENT });
                }
                may_look(s, fd, RIGHT_PATH_READLINK)?;
                let r = s.files.resolve(fd, &name, false, Access::Read)?;
                let target = fs::read_link(r.host).map_err(|e| errno_of(&e))?;
                let text = target.to_string_lossy();
                let bytes = &text.as_bytes()[..text.len().min(buf_len as u32 as usize)];
                m.put(buf, bytes)?;
                m.put_u32(out, bytes.len() as u32)
            }))
        },
    )?;
    l.func_wrap(
        MODULE,
        "path_symlink",
        |mut c: Ctx<'_>, old: i32, old_len: i32, fd: i32, new: i32, new_len: i32| {
            code(with(&mut c, |m, s| {
                let (target, new) = (m.path(old, old_len)?, m.path(new, new_len)?);
                refuse_in_assets(s, fd, &new)?;
                may_change(s, fd, RIGHT_PATH_SYMLINK)?;
                if target.contains('\0') {
                    return Err(INVAL);
                }
                let link = s
                    .files
                    .resolve(fd, new.trim_end_matches('/'), false, Access::Write)?;
                // In a confined grant an absolute target could only point
                // outside it; a relative one is checked whenever it is used.
                if s.files.grants[link.grant].confined && target.starts_with('/') {
                    return Err(NOTCAPABLE);
                }
                if new.ends_with('/') {
                    return Err(match fs::symlink_metadata(&link.host) {
                        Ok(_) => EXIST,
                        Err(_) => NOENT,
                    });
                }
                make_symlink(&target, &link.host)
            }))
        },
    )?;
    Ok(())
}

fn make_symlink(target: &str, link: &std::path::Path) -> Result<(), Errno> {
    #[cfg(unix)]
    let r = std::os::unix::fs::symlink(target, link);
    #[cfg(windows)]
    let r = {
        let resolved = link.parent().map(|p| p.join(target));
        if resolved.is_some_and(|p| p.is_dir()) {
            std::os::windows::fs::symlink_dir(target, link)
        } else {
            std::os::windows::fs::symlink_file(target, link)
        }
    };
    r.map_err(|e| errno_of(&e))
}

/// The socket functions: nyash opens no sockets, so every descriptor is
/// either unknown (`BADF`) or not a socket (`NOTSOCK`).
#[cfg(test)]
mod tests {
    use std::time::Instant;

    use super::*;

    /// Writes a clock subscription (`subscription` with `subscription_clock`) at `at`.
    fn clock_sub(buf: &mut [u8], at: usize, userdata: u64, id: u32, timeout: u64, flags: u16) {
        let sub = &mut buf[at..at + SUBSCRIPTION_LEN as usize];
        sub.fill(0);
        sub[0..8].copy_from_slice(&userdata.to_le_bytes());
        sub[8] = EVENTTYPE_CLOCK;
        sub[16..20].copy_from_slice(&id.to_le_bytes());
        sub[24..32].copy_from_slice(&timeout.to_le_bytes());
        sub[40..42].copy_from_slice(&flags.to_le_bytes());
    }

    fn host() -> HostState {
        HostState::new(Vec::new(), Vec::new())
    }

    #[test]
    fn relative_clock_subscription_sleeps_and_reports_its_event() {
        let mut buf = vec![0u8; 1024];
        clock_sub(&mut buf, 0, 0xfeed, CLOCK_MONOTONIC as u32, 30_000_000, 0);
        let mut s = host();
        let start = Instant::now();
        let r = poll_oneoff(&mut GuestMemory::new(&mut buf), &mut s, 0, 512, 1, 1000);
        assert_eq!(r, Ok(()));
        assert!(start.elapsed() >= Duration::from_millis(30));
        assert_eq!(u32::from_le_bytes(buf[1000..1004].try_into().unwrap()), 1);
        let event = &buf[512..512 + EVENT_LEN as usize];
        assert_eq!(u64::from_le_bytes(event[0..8].try_into().unwrap()), 0xfeed);
        assert_eq!(u16::from_le_bytes(event[8..10].try_into().unwrap()), 0);
        assert_eq!(event[10], EVENTTYPE_CLOCK);
    }

    #[test]
    fn absolute_clock_subscription_waits_until_the_deadline() {
        let mut s = host();
        let deadline = now(&s, CLOCK_MONOTONIC).unwrap() + 25_000_000;
        let mut buf = vec![0u8; 1024];
        clock_sub(
            &mut buf,
            0,
            7,
            CLOCK_MONOTONIC as u32,
            deadline,
            SUBCLOCKFLAGS_ABSTIME,
        );
        let r = poll_oneoff(&mut GuestMemory::new(&mut buf), &mut s, 0, 512, 1, 1000);
        assert_eq!(r, Ok(()));
        assert!(now(&s, CLOCK_MONOTONIC).unwrap() >= deadline);
        assert_eq!(u32::from_le_bytes(buf[1000..1004].try_into().unwrap()), 1);
        // A deadline in the past returns at once.
        let start = Instant::now();
        clock_sub(
            &mut buf,
            0,
            8,
            CLOCK_MONOTONIC as u32,
            1,
            SUBCLOCKFLAGS_ABSTIME,
        );
        let r = poll_oneoff(&mut GuestMemory::new(&mut buf), &mut s, 0, 512, 1, 1000);
        assert_eq!(r, Ok(()));
        assert!(start.elapsed() < Duration::from_secs(1));
    }

    #[test]
    fn only_the_shortest_of_several_timeouts_fires() {
        let mut buf = vec![0u8; 1024];
        clock_sub(&mut buf, 0, 1, CLOCK_MONOTONIC as u32, 2_000_000_000, 0);
        clock_sub(&mut buf, 48, 2, CLOCK_REALTIME as u32, 10_000_000, 0);
        let mut s = host();
        let start = Instant::now();
        let r = poll_oneoff(&mut GuestMemory::new(&mut buf), &mut s, 0, 512, 2, 1000);
        assert_eq!(r, Ok(()));
        assert!(start.elapsed() < Duration::from_secs(1));
        assert_eq!(u32::from_le_bytes(buf[1000..1004].try_into().unwrap()), 1);
        assert_eq!(u64::from_le_bytes(buf[512..520].try_into().unwrap()), 2);
    }

    #[test]
    fn bad_subscriptions_are_errors_not_panics() {
        let mut buf = vec![0u8; 256];
        let mut s = host();
        let mut poll = |buf: &mut Vec<u8>, subs: i32, events: i32, count: i32| {
            poll_oneoff(&mut GuestMemory::new(buf), &mut s, subs, events, count, 200)
        };
        assert_eq!(poll(&mut buf, 0, 128, 0), Err(INVAL));
        // Out of bounds subscriptions and events.
        assert_eq!(poll(&mut buf, 250, 128, 1), Err(FAULT));
        assert_eq!(poll(&mut buf, -8, 128, 1), Err(FAULT));
        clock_sub(&mut buf, 0, 1, 99, 0, 0);
        assert_eq!(poll(&mut buf, 0, 128, 1), Err(INVAL));
        clock_sub(&mut buf, 0, 1, CLOCK_MONOTONIC as u32, 0, 0);
        buf[8] = 9; // no such event type
        assert_eq!(poll(&mut buf, 0, 128, 1), Err(INVAL));
        clock_sub(&mut buf, 0, 1, CLOCK_MONOTONIC as u32, 0, 0);
        assert_eq!(poll(&mut buf, 0, 250, 1), Err(FAULT));
    }

    /// Writes a descriptor subscription (`subscription_fd_readwrite`) at `at`.
    fn fd_sub(buf: &mut [u8], at: usize, userdata: u64, tag: u8, fd: u32) {
        let sub = &mut buf[at..at + SUBSCRIPTION_LEN as usize];
        sub.fill(0);
        sub[0..8].copy_from_slice(&userdata.to_le_bytes());
        sub[8] = tag;
        sub[16..20].copy_from_slice(&fd.to_le_bytes());
    }

    #[cfg(unix)]
    #[test]
    fn a_socket_subscription_waits_for_the_socket_not_for_the_clock() {
        let mut s = host();
        let sock = super::super::net::listen("127.0.0.1", 0, 8).unwrap();
        let port = sock.address(false).unwrap().port();
        let fd = s.files.insert(super::super::net::new_descriptor(sock));
        let mut buf = vec![0u8; 1024];
        fd_sub(&mut buf, 0, 11, EVENTTYPE_FD_READ, fd as u32);
        clock_sub(&mut buf, 48, 12, CLOCK_MONOTONIC as u32, 10_000_000_000, 0);
        // A connection arrives after 50 ms; the 10 s clock must not be what ends the wait.
        let client = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(50));
            std::net::TcpStream::connect(("127.0.0.1", port)).unwrap()
        });
        let start = Instant::now();
        let r = poll_oneoff(&mut GuestMemory::new(&mut buf), &mut s, 0, 512, 2, 1000);
        let waited = start.elapsed();
        assert_eq!(r, Ok(()));
        assert!(waited >= Duration::from_millis(40), "{waited:?}");
        assert!(waited < Duration::from_secs(5), "{waited:?}");
        assert_eq!(u32::from_le_bytes(buf[1000..1004].try_into().unwrap()), 1);
        assert_eq!(u64::from_le_bytes(buf[512..520].try_into().unwrap()), 11);
        assert_eq!(buf[522], EVENTTYPE_FD_READ);
        drop(client.join().unwrap());
        // Once the connection is taken, with a short clock, the clock fires.
        let accepted = match &mut s.files.get(fd).unwrap().node {
            Node::Socket(l) => l.accept(),
            _ => unreachable!(),
        };
        assert!(accepted.is_ok());
        clock_sub(&mut buf, 48, 13, CLOCK_MONOTONIC as u32, 20_000_000, 0);
        let r = poll_oneoff(&mut GuestMemory::new(&mut buf), &mut s, 0, 512, 2, 1000);
        assert_eq!(r, Ok(()));
        assert_eq!(u32::from_le_bytes(buf[1000..1004].try_into().unwrap()), 1);
        assert_eq!(u64::from_le_bytes(buf[512..520].try_into().unwrap()), 13);
    }

    #[test]
    fn a_subscription_on_a_closed_descriptor_reports_badf_at_once() {
        let mut s = host();
        let mut buf = vec![0u8; 1024];
        fd_sub(&mut buf, 0, 5, EVENTTYPE_FD_READ, 77);
        clock_sub(&mut buf, 48, 6, CLOCK_MONOTONIC as u32, 10_000_000_000, 0);
        let start = Instant::now();
        let r = poll_oneoff(&mut GuestMemory::new(&mut buf), &mut s, 0, 512, 2, 1000);
        assert_eq!(r, Ok(()));
        assert!(start.elapsed() < Duration::from_secs(5));
        assert_eq!(u32::from_le_bytes(buf[1000..1004].try_into().unwrap()), 1);
        assert_eq!(u64::from_le_bytes(buf[512..520].try_into().unwrap()), 5);
        assert_eq!(u16::from_le_bytes(buf[520..522].try_into().unwrap()), BADF);
    }
}
