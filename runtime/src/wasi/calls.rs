//! The `wasi_snapshot_preview1` functions.
//!
//! Each function reads its arguments from guest memory through the
//! bounds-checked [`GuestMemory`], does the work, and returns a WASI error
//! number. Nothing here panics on guest input.

use std::fs::{self, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use wasmtime::{Caller, Linker};

use super::abi::*;
use super::files::Descriptor;
use super::{Exit, HostState};

/// The import module name of WASI preview 1.
pub const MODULE: &str = "wasi_snapshot_preview1";

type Ctx<'a> = Caller<'a, HostState>;

/// Runs `f` with the guest's memory and the host state.
fn with<T>(
    caller: &mut Ctx<'_>,
    f: impl FnOnce(&mut GuestMemory<'_>, &mut HostState) -> Result<T, Errno>,
) -> Result<T, Errno> {
    let memory = caller.data().memory.ok_or(FAULT)?;
    let (bytes, state) = memory.data_and_store_mut(caller);
    f(&mut GuestMemory::new(bytes), state)
}

fn code(result: Result<(), Errno>) -> i32 {
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
    define_unsupported(linker)?;
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
        wait: Option<Duration>,
    }
    let mut list = Vec::new();
    for i in 0..count {
        let at = subs.wrapping_add(i.wrapping_mul(SUBSCRIPTION_LEN));
        let raw = m.slice(at, SUBSCRIPTION_LEN as usize)?;
        let userdata = u64::from_le_bytes(raw[0..8].try_into().expect("8 bytes"));
        let tag = raw[8];
        let wait = if tag == EVENTTYPE_CLOCK {
            let id = u32::from_le_bytes(raw[16..20].try_into().expect("4 bytes")) as i32;
            let timeout = u64::from_le_bytes(raw[24..32].try_into().expect("8 bytes"));
            let flags = u16::from_le_bytes(raw[40..42].try_into().expect("2 bytes"));
            let relative = if flags & SUBCLOCKFLAGS_ABSTIME != 0 {
                timeout.saturating_sub(now(s, id)?)
            } else {
                clock_known(id)?;
                timeout
            };
            Some(Duration::from_nanos(relative))
        } else if tag <= EVENTTYPE_FD_WRITE {
            None
        } else {
            return Err(INVAL);
        };
        list.push(Sub {
            userdata,
            tag,
            wait,
        });
    }
    let any_fd = list.iter().any(|sub| sub.wait.is_none());
    let shortest = list.iter().filter_map(|sub| sub.wait).min();
    if !any_fd {
        if let Some(d) = shortest {
            flush_stdout();
            std::thread::sleep(d);
        }
    }
    let mut written = 0u32;
    for sub in &list {
        let ready = match sub.wait {
            None => true,
            Some(d) => !any_fd && Some(d) == shortest || d.is_zero(),
        };
        if !ready {
            continue;
        }
        let mut event = [0u8; EVENT_LEN as usize];
        event[0..8].copy_from_slice(&sub.userdata.to_le_bytes());
        event[10] = sub.tag;
        if sub.wait.is_none() {
            event[16..24].copy_from_slice(&1u64.to_le_bytes());
        }
        m.put(events.wrapping_add(written as i32 * EVENT_LEN), &event)?;
        written += 1;
    }
    m.put_u32(out, written)
}

fn define_fd(l: &mut Linker<HostState>) -> wasmtime::Result<()> {
    l.func_wrap(
        MODULE,
        "fd_write",
        |mut c: Ctx<'_>, fd: i32, iovs: i32, len: i32, out: i32| {
            code(with(&mut c, |m, s| {
                let mut data = Vec::new();
                for (buf, n) in m.iovecs(iovs, len)? {
                    data.extend_from_slice(m.slice(buf, n)?);
                }
                write_all(s.files.get(fd)?, &data)?;
                m.put_u32(out, data.len() as u32)
            }))
        },
    )?;
    l.func_wrap(
        MODULE,
        "fd_read",
        |mut c: Ctx<'_>, fd: i32, iovs: i32, len: i32, out: i32| {
            code(with(&mut c, |m, s| {
                let target = m.iovecs(iovs, len)?.into_iter().find(|&(_, n)| n > 0);
                let n = match target {
                    Some((buf, n)) => read_some(s.files.get(fd)?, m.slice_mut(buf, n)?)?,
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
                let file = file_of(s.files.get(fd)?)?;
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
                let file = file_of(s.files.get(fd)?)?;
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
                let pos = match whence {
                    0 => SeekFrom::Start(offset as u64),
                    1 => SeekFrom::Current(offset),
                    2 => SeekFrom::End(offset),
                    _ => return Err(INVAL),
                };
                let file = file_of(s.files.get(fd)?)?;
                let at = file.seek(pos).map_err(|e| errno_of(&e))?;
                m.put_u64(out, at)
            }))
        },
    )?;
    l.func_wrap(MODULE, "fd_tell", |mut c: Ctx<'_>, fd: i32, out: i32| {
        code(with(&mut c, |m, s| {
            let file = file_of(s.files.get(fd)?)?;
            let at = file.stream_position().map_err(|e| errno_of(&e))?;
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
    for name in ["fd_sync", "fd_datasync"] {
        l.func_wrap(MODULE, name, |mut c: Ctx<'_>, fd: i32| {
            code(with(&mut c, |_, s| match s.files.get(fd)? {
                Descriptor::File { file, .. } => file.sync_all().map_err(|e| errno_of(&e)),
                _ => Err(INVAL),
            }))
        })?;
    }
    l.func_wrap(
        MODULE,
        "fd_advise",
        |mut c: Ctx<'_>, fd: i32, _off: i64, _len: i64, _advice: i32| {
            code(with(&mut c, |_, s| s.files.get(fd).map(drop)))
        },
    )?;
    l.func_wrap(
        MODULE,
        "fd_allocate",
        |_: Ctx<'_>, _fd: i32, _off: i64, _len: i64| NOTSUP as i32,
    )?;
    l.func_wrap(
        MODULE,
        "fd_fdstat_get",
        |mut c: Ctx<'_>, fd: i32, out: i32| {
            code(with(&mut c, |m, s| {
                let d = s.files.get(fd)?;
                let (filetype, append) = match d {
                    Descriptor::Stdin | Descriptor::Stdout | Descriptor::Stderr => {
                        (FILETYPE_CHARACTER_DEVICE, false)
                    }
                    Descriptor::Dir { .. } => (FILETYPE_DIRECTORY, false),
                    Descriptor::File { append, .. } => (FILETYPE_REGULAR_FILE, *append),
                };
                let mut stat = [0u8; 24];
                stat[0] = filetype;
                stat[2..4].copy_from_slice(&(append as u16 * FDFLAGS_APPEND as u16).to_le_bytes());
                stat[8..16].copy_from_slice(&ALL_RIGHTS.to_le_bytes());
                stat[16..24].copy_from_slice(&ALL_RIGHTS.to_le_bytes());
                m.put(out, &stat)
            }))
        },
    )?;
    l.func_wrap(
        MODULE,
        "fd_fdstat_set_flags",
        |mut c: Ctx<'_>, fd: i32, flags: i32| {
            code(with(&mut c, |_, s| {
                s.files.get(fd)?;
                if flags == 0 {
                    Ok(())
                } else {
                    Err(NOTSUP)
                }
            }))
        },
    )?;
    l.func_wrap(
        MODULE,
        "fd_fdstat_set_rights",
        |mut c: Ctx<'_>, fd: i32, _base: i64, _inheriting: i64| {
            code(with(&mut c, |_, s| s.files.get(fd).map(drop)))
        },
    )?;
    l.func_wrap(
        MODULE,
        "fd_filestat_get",
        |mut c: Ctx<'_>, fd: i32, out: i32| {
            code(with(&mut c, |m, s| {
                let stat = match s.files.get(fd)? {
                    Descriptor::File { file, .. } => {
                        let meta = file.metadata().map_err(|e| errno_of(&e))?;
                        filestat(&meta)
                    }
                    Descriptor::Dir { .. } => {
                        let path = s.files.dir_path(fd)?;
                        filestat(&fs::metadata(path).map_err(|e| errno_of(&e))?)
                    }
                    _ => {
                        let mut stat = [0u8; 64];
                        stat[16] = FILETYPE_CHARACTER_DEVICE;
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
                file_of(s.files.get(fd)?)?
                    .set_len(size as u64)
                    .map_err(|e| errno_of(&e))
            }))
        },
    )?;
    l.func_wrap(
        MODULE,
        "fd_filestat_set_times",
        |mut c: Ctx<'_>, fd: i32, atim: i64, mtim: i64, flags: i32| {
            code(with(&mut c, |_, s| {
                let file = file_of(s.files.get(fd)?)?;
                file.set_times(file_times(atim, mtim, flags))
                    .map_err(|e| errno_of(&e))
            }))
        },
    )?;
    l.func_wrap(
        MODULE,
        "fd_prestat_get",
        |mut c: Ctx<'_>, fd: i32, out: i32| {
            code(with(&mut c, |m, s| match s.files.get(fd)? {
                Descriptor::Dir {
                    preopen: Some(name),
                    ..
                } => {
                    let len = name.len() as u32;
                    m.put(out, &[0, 0, 0, 0])?;
                    m.put_u32(out.wrapping_add(4), len)
                }
                _ => Err(BADF),
            }))
        },
    )?;
    l.func_wrap(
        MODULE,
        "fd_prestat_dir_name",
        |mut c: Ctx<'_>, fd: i32, buf: i32, len: i32| {
            code(with(&mut c, |m, s| match s.files.get(fd)? {
                Descriptor::Dir {
                    preopen: Some(name),
                    ..
                } => {
                    let name = name.as_bytes();
                    if (len as u32 as usize) < name.len() {
                        return Err(NAMETOOLONG);
                    }
                    m.put(buf, name)
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
                let dir = s.files.dir_path(fd)?;
                let listing = read_dir_sorted(&dir)?;
                let mut bytes = Vec::new();
                for (i, (name, filetype, ino)) in
                    listing.iter().enumerate().skip(cookie as u64 as usize)
                {
                    bytes.extend_from_slice(&(i as u64 + 1).to_le_bytes());
                    bytes.extend_from_slice(&ino.to_le_bytes());
                    bytes.extend_from_slice(&(name.len() as u32).to_le_bytes());
                    bytes.extend_from_slice(&[*filetype, 0, 0, 0]);
                    bytes.extend_from_slice(name.as_bytes());
                    if bytes.len() >= len as u32 as usize {
                        break;
                    }
                }
                bytes.truncate(len as u32 as usize);
                m.put(buf, &bytes)?;
                m.put_u32(out, bytes.len() as u32)
            }))
        },
    )?;
    Ok(())
}

const ALL_RIGHTS: u64 = (1 << 30) - 1;

fn write_all(d: &mut Descriptor, data: &[u8]) -> Result<(), Errno> {
    let result = match d {
        Descriptor::Stdout => {
            let mut out = std::io::stdout().lock();
            out.write_all(data).and_then(|()| out.flush())
        }
        Descriptor::Stderr => std::io::stderr().lock().write_all(data),
        Descriptor::File { file, .. } => file.write_all(data),
        Descriptor::Stdin => return Err(BADF),
        Descriptor::Dir { .. } => return Err(ISDIR),
    };
    result.map_err(|e| errno_of(&e))
}

fn read_some(d: &mut Descriptor, buf: &mut [u8]) -> Result<usize, Errno> {
    let result = match d {
        Descriptor::Stdin => {
            flush_stdout();
            std::io::stdin().lock().read(buf)
        }
        Descriptor::File { file, .. } => file.read(buf),
        Descriptor::Dir { .. } => return Err(ISDIR),
        _ => return Err(BADF),
    };
    result.map_err(|e| errno_of(&e))
}

fn file_of(d: &mut Descriptor) -> Result<&mut fs::File, Errno> {
    match d {
        Descriptor::File { file, .. } => Ok(file),
        Descriptor::Dir { .. } => Err(ISDIR),
        _ => Err(SPIPE),
    }
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
    let (dev, ino, nlink) = {
        use std::os::unix::fs::MetadataExt;
        (meta.dev(), meta.ino(), meta.nlink())
    };
    #[cfg(not(unix))]
    let (dev, ino, nlink) = (0u64, 0u64, 1u64);
    let mut stat = [0u8; 64];
    stat[0..8].copy_from_slice(&dev.to_le_bytes());
    stat[8..16].copy_from_slice(&ino.to_le_bytes());
    stat[16] = filetype_of(meta.file_type());
    stat[24..32].copy_from_slice(&nlink.to_le_bytes());
    stat[32..40].copy_from_slice(&meta.len().to_le_bytes());
    stat[40..48].copy_from_slice(&nanos(meta.accessed()).to_le_bytes());
    stat[48..56].copy_from_slice(&nanos(meta.modified()).to_le_bytes());
    stat[56..64].copy_from_slice(&nanos(meta.modified()).to_le_bytes());
    stat
}

fn file_times(atim: i64, mtim: i64, flags: i32) -> fs::FileTimes {
    let at = |ns: i64| UNIX_EPOCH + Duration::from_nanos(ns as u64);
    let mut times = fs::FileTimes::new();
    if flags & 1 != 0 {
        times = times.set_accessed(at(atim));
    } else if flags & 2 != 0 {
        times = times.set_accessed(SystemTime::now());
    }
    if flags & 4 != 0 {
        times = times.set_modified(at(mtim));
    } else if flags & 8 != 0 {
        times = times.set_modified(SystemTime::now());
    }
    times
}

/// Directory entries sorted by name, so listings are deterministic.
fn read_dir_sorted(dir: &std::path::Path) -> Result<Vec<(String, u8, u64)>, Errno> {
    let mut list = vec![
        (".".to_string(), FILETYPE_DIRECTORY, 0),
        ("..".to_string(), FILETYPE_DIRECTORY, 0),
    ];
    let mut rest = Vec::new();
    for entry in fs::read_dir(dir).map_err(|e| errno_of(&e))? {
        let entry = entry.map_err(|e| errno_of(&e))?;
        let filetype = entry.file_type().map_or(FILETYPE_UNKNOWN, filetype_of);
        rest.push((
            entry.file_name().to_string_lossy().into_owned(),
            filetype,
            0,
        ));
    }
    rest.sort();
    list.extend(rest);
    Ok(list)
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
         _inheriting: i64,
         fdflags: i32,
         out: i32| {
            code(with(&mut c, |m, s| {
                let name = m.path(path, path_len)?;
                let follow = dirflags & LOOKUPFLAGS_SYMLINK_FOLLOW != 0;
                let host = s.files.resolve(fd, &name, follow)?;
                // Without SYMLINK_FOLLOW a final symlink is never opened:
                // `metadata` below would follow it, to a file or a directory
                // that may lie outside the sandbox.
                if !follow
                    && host
                        .symlink_metadata()
                        .is_ok_and(|m| m.file_type().is_symlink())
                {
                    return Err(LOOP);
                }
                let write = rights & RIGHTS_FD_WRITE != 0;
                let is_dir = fs::metadata(&host).map(|m| m.is_dir()).unwrap_or(false);
                if oflags & OFLAGS_DIRECTORY != 0 || (is_dir && !write) {
                    if !is_dir {
                        return Err(if host.exists() { NOTDIR } else { NOENT });
                    }
                    let new = s.files.insert(Descriptor::Dir {
                        host,
                        preopen: None,
                    });
                    return m.put_u32(out, new as u32);
                }
                let append = fdflags & FDFLAGS_APPEND != 0;
                let read = rights & RIGHTS_FD_READ != 0 || !write;
                let file = OpenOptions::new()
                    .read(read)
                    .write(write && !append)
                    .append(append)
                    .create(oflags & OFLAGS_CREAT != 0 && oflags & OFLAGS_EXCL == 0)
                    .create_new(oflags & OFLAGS_CREAT != 0 && oflags & OFLAGS_EXCL != 0)
                    .truncate(oflags & OFLAGS_TRUNC != 0)
                    .open(&host)
                    .map_err(|e| errno_of(&e))?;
                let new = s.files.insert(Descriptor::File { file, append });
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
                let follow = flags & LOOKUPFLAGS_SYMLINK_FOLLOW != 0;
                let host = s.files.resolve(fd, &name, follow)?;
                let meta = if follow {
                    fs::metadata(&host)
                } else {
                    fs::symlink_metadata(&host)
                };
                m.put(out, &filestat(&meta.map_err(|e| errno_of(&e))?))
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
                let host = s
                    .files
                    .resolve(fd, &name, flags & LOOKUPFLAGS_SYMLINK_FOLLOW != 0)?;
                let file = OpenOptions::new()
                    .write(true)
                    .open(&host)
                    .map_err(|e| errno_of(&e))?;
                file.set_times(file_times(atim, mtim, fst))
                    .map_err(|e| errno_of(&e))
            }))
        },
    )?;
    l.func_wrap(
        MODULE,
        "path_create_directory",
        |mut c: Ctx<'_>, fd: i32, path: i32, len: i32| {
            code(with(&mut c, |m, s| {
                let host = s.files.resolve(fd, &m.path(path, len)?, false)?;
                fs::create_dir(host).map_err(|e| errno_of(&e))
            }))
        },
    )?;
    l.func_wrap(
        MODULE,
        "path_remove_directory",
        |mut c: Ctx<'_>, fd: i32, path: i32, len: i32| {
            code(with(&mut c, |m, s| {
                let host = s.files.resolve(fd, &m.path(path, len)?, false)?;
                fs::remove_dir(host).map_err(|e| errno_of(&e))
            }))
        },
    )?;
    l.func_wrap(
        MODULE,
        "path_unlink_file",
        |mut c: Ctx<'_>, fd: i32, path: i32, len: i32| {
            code(with(&mut c, |m, s| {
                let host = s.files.resolve(fd, &m.path(path, len)?, false)?;
                if host.symlink_metadata().is_ok_and(|m| m.is_dir()) {
                    return Err(ISDIR);
                }
                fs::remove_file(host).map_err(|e| errno_of(&e))
            }))
        },
    )?;
    l.func_wrap(
        MODULE,
        "path_rename",
        |mut c: Ctx<'_>, fd: i32, old: i32, old_len: i32, new_fd: i32, new: i32, new_len: i32| {
            code(with(&mut c, |m, s| {
                let from = s.files.resolve(fd, &m.path(old, old_len)?, false)?;
                let to = s.files.resolve(new_fd, &m.path(new, new_len)?, false)?;
                fs::rename(from, to).map_err(|e| errno_of(&e))
            }))
        },
    )?;
    l.func_wrap(
        MODULE,
        "path_link",
        |mut c: Ctx<'_>,
         fd: i32,
         _flags: i32,
         old: i32,
         old_len: i32,
         new_fd: i32,
         new: i32,
         new_len: i32| {
            code(with(&mut c, |m, s| {
                let from = s.files.resolve(fd, &m.path(old, old_len)?, false)?;
                let to = s.files.resolve(new_fd, &m.path(new, new_len)?, false)?;
                fs::hard_link(from, to).map_err(|e| errno_of(&e))
            }))
        },
    )?;
    l.func_wrap(
        MODULE,
        "path_readlink",
        |mut c: Ctx<'_>, fd: i32, path: i32, len: i32, buf: i32, buf_len: i32, out: i32| {
            code(with(&mut c, |m, s| {
                let host = s.files.resolve(fd, &m.path(path, len)?, false)?;
                let target = fs::read_link(host).map_err(|e| errno_of(&e))?;
                let text = target.to_string_lossy();
                let bytes = &text.as_bytes()[..text.len().min(buf_len as u32 as usize)];
                m.put(buf, bytes)?;
                m.put_u32(out, bytes.len() as u32)
            }))
        },
    )?;
    // Creating symlinks could point outside the sandbox; it is refused.
    l.func_wrap(
        MODULE,
        "path_symlink",
        |_: Ctx<'_>, _old: i32, _old_len: i32, _fd: i32, _new: i32, _new_len: i32| PERM as i32,
    )?;
    Ok(())
}

fn define_unsupported(l: &mut Linker<HostState>) -> wasmtime::Result<()> {
    l.func_wrap(
        MODULE,
        "sock_accept",
        |_: Ctx<'_>, _fd: i32, _flags: i32, _out: i32| NOSYS as i32,
    )?;
    l.func_wrap(
        MODULE,
        "sock_recv",
        |_: Ctx<'_>, _fd: i32, _iovs: i32, _len: i32, _flags: i32, _n: i32, _oflags: i32| {
            NOSYS as i32
        },
    )?;
    l.func_wrap(
        MODULE,
        "sock_send",
        |_: Ctx<'_>, _fd: i32, _iovs: i32, _len: i32, _flags: i32, _n: i32| NOSYS as i32,
    )?;
    l.func_wrap(
        MODULE,
        "sock_shutdown",
        |_: Ctx<'_>, _fd: i32, _how: i32| NOSYS as i32,
    )?;
    Ok(())
}

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
}
