//! Tasks, FutureBoxes and the scheduler (R16).
//!
//! `nowait v = expr` creates a task: a FutureBox holding the kind of task (which compiled
//! function runs `expr`) and the values it captured. New tasks wait in the ready queue and
//! start when the running code next waits (like `asyncio.create_task` or a goroutine).
//!
//! Tasks share the one WebAssembly stack. A task waits by *suspending*: the leaf wait
//! ([`wait`]) sets `NY_STATE.unwinding`, and every resumable function between it and the
//! task's function saves its locals in a [`Frame`] and returns (see the compiler's
//! `ir::suspend`). To resume, the scheduler calls the task's function again with
//! `NY_STATE.rewinding` set; each function takes its frame back and continues where it
//! stopped, down to the leaf, which gives the value waited for ([`ny_resume_leaf`]).
//!
//! Code that cannot give the stack back waits *in place* instead: it runs the scheduler
//! from inside the wait until what it waits for is done ([`run_until`]). That is the main
//! program (it is at the bottom of the stack), and any code running while
//! `NY_STATE.no_unwind` is non-zero (`finally` blocks, constructors, `static { }` blocks,
//! `toString`/`fini` called by the runtime).
//!
//! Timers: a task sleeping until a deadline sits in [`Scheduler::timers`]; when nothing is
//! ready, the scheduler blocks in WASI `poll_oneoff` on a monotonic clock subscription until
//! the earliest deadline.
//!
//! I/O (R19): an operation on a socket or stdin that would block ([`io`]) leaves its task
//! in [`Scheduler::io`] with the descriptor it needs; the scheduler's wait is then one
//! `poll_oneoff` on those descriptors and the earliest deadline, and a task whose descriptor
//! became ready tries its operation again when it resumes. Tasks that stay busy still let
//! the waiting ones in: every 64 task runs the descriptors are asked about without waiting.
//!
//! At the end of the program ([`finish`]) the scheduler runs until every task is done,
//! as Node.js does, and reports the errors of tasks nobody awaited.

use alloc::collections::{BinaryHeap, VecDeque};
use alloc::string::String;
use alloc::vec::Vec;
use core::cmp::Reverse;

use crate::error;
use crate::object::{self, Header};
use crate::state::{state, RawVal};
use crate::value::Val;
use crate::wasi;

/// A FutureBox: the payload is its [`Task`].
pub const KIND_FUTURE: u32 = nyash_abi::kind::FUTURE;

/// `$callback` request: run (or resume) a task's function.
const CALLBACK_RUN_TASK: u32 = nyash_abi::callback::RUN_TASK;

/// One saved function activation of a suspended task.
struct Frame {
    /// The function (and version) that saved it.
    id: u32,
    /// Its resume point.
    point: u32,
    /// Its locals, as values (16 bytes each).
    slots: Vec<RawVal>,
}

/// What a suspended task waits for.
enum Wait {
    /// Nothing: not suspended.
    Nothing,
    /// The monotonic clock reaching this many nanoseconds; then the wait gives the value.
    Until(u64, Val),
    /// This future finishing.
    Future(Val),
    /// A descriptor becoming ready (or a deadline passing); then the operation is tried
    /// again.
    Io(Io),
}

/// What an operation on a descriptor gives when tried ([`io`]).
pub enum Step {
    /// It finished with this value.
    Ready(Val),
    /// It raised an error (already pending).
    Failed,
    /// It would block: wait for the descriptor, then try again.
    Pending,
    /// It would block on another descriptor (a connection attempt to the next address):
    /// wait for that one from now on.
    PendingOn(u32),
}

/// An operation waiting for a descriptor: sockets and stdin (R19).
pub struct Io {
    /// The WASI descriptor.
    pub fd: u32,
    /// Waiting to write (else to read).
    pub write: bool,
    /// Monotonic time (ns) after which the operation is tried once more with `timed_out`
    /// set, and must then finish.
    pub deadline: Option<u64>,
    /// Set by the scheduler when the deadline passed first.
    timed_out: bool,
    /// Tries the operation; its argument says whether the deadline passed.
    pub attempt: alloc::boxed::Box<dyn FnMut(bool) -> Step>,
}

impl Io {
    /// An operation on `fd` that waits until it is readable (or writable), up to `deadline`.
    pub fn new(
        fd: u32,
        write: bool,
        deadline: Option<u64>,
        attempt: alloc::boxed::Box<dyn FnMut(bool) -> Step>,
    ) -> Io {
        Io {
            fd,
            write,
            deadline,
            timed_out: false,
            attempt,
        }
    }
}

enum Status {
    Queued,
    Running,
    Suspended,
    Done(Val),
    Failed(Val, Vec<&'static str>),
}

/// A task, which is also the FutureBox that gives its result.
pub struct Task {
    kind: u32,
    /// The captured values, moved into the task's function when it starts.
    args: Vec<Val>,
    status: Status,
    /// Saved frames while suspended, innermost first.
    frames: Vec<Frame>,
    wait: Wait,
    /// Tasks waiting for this one.
    waiters: Vec<Val>,
    /// Whether anyone took its result (or error).
    awaited: bool,
    /// Where the task was started: `file:line:col in f`.
    site: &'static str,
}

struct Scheduler {
    ready: VecDeque<Val>,
    /// Sleeping tasks: (deadline, sequence number, FutureBox), earliest first. The heap owns
    /// one reference to each FutureBox (kept as its raw pointer).
    timers: BinaryHeap<Reverse<(u64, u64, u32)>>,
    seq: u64,
    /// Tasks running now, innermost last (nested when code waits in place).
    running: Vec<Val>,
    /// Tasks that are not finished.
    live: usize,
    /// Failed tasks, to report at exit those nobody awaited.
    failed: Vec<Val>,
    /// The frame handed back last ([`ny_frame_pop`]); its memory stays valid until the next.
    popped: Option<Frame>,
    /// Tasks suspended on a descriptor ([`Wait::Io`]), each holding one reference.
    io: Vec<Val>,
    /// Set when the descriptor the code waiting in place waits for became ready.
    own_ready: bool,
    /// Tasks run since the descriptors were last asked about.
    runs_since_poll: u32,
}

static mut SCHED: Scheduler = Scheduler {
    ready: VecDeque::new(),
    timers: BinaryHeap::new(),
    seq: 0,
    running: Vec::new(),
    live: 0,
    failed: Vec::new(),
    popped: None,
    io: Vec::new(),
    own_ready: false,
    runs_since_poll: 0,
};

fn sched() -> &'static mut Scheduler {
    unsafe { &mut *core::ptr::addr_of_mut!(SCHED) }
}

/// The task of a FutureBox value, if it is one.
fn task_of(v: &Val) -> Option<&'static mut Task> {
    let p = v.ptr()?;
    if unsafe { object::kind(p) } != KIND_FUTURE {
        return None;
    }
    Some(unsafe { object::payload::<Task>(p) })
}

fn same(a: &Val, b: &Val) -> bool {
    a.ptr().is_some() && a.ptr() == b.ptr()
}

/// The task running now, or `None` on the main program.
fn current() -> Option<&'static Val> {
    sched().running.last()
}

// ---------------------------------------------------------------------------------------
// Clock

use crate::time::{block_ns as block_for, monotonic_ns as now_ns};

// ---------------------------------------------------------------------------------------
// Creating and running tasks

/// `nowait`: a new FutureBox running task `kind` with these captured values.
pub fn spawn(kind: u32, args: Vec<Val>, site: &'static str) -> Val {
    let v = object::new_obj(
        KIND_FUTURE,
        Task {
            kind,
            args,
            status: Status::Queued,
            frames: Vec::new(),
            wait: Wait::Nothing,
            waiters: Vec::new(),
            awaited: false,
            site,
        },
    );
    let s = sched();
    s.live += 1;
    s.ready.push_back(v.clone());
    v
}

/// The task kind of a FutureBox (for the compiled callback).
pub fn kind(p: *mut Header) -> u32 {
    unsafe { object::payload::<Task>(p).kind }
}

/// Captured value `i` of a task, moved out (a placeholder when the task is resuming).
pub fn take_arg(p: *mut Header, i: u32) -> Val {
    let t = unsafe { object::payload::<Task>(p) };
    match t.args.get_mut(i as usize) {
        Some(v) => core::mem::replace(v, Val::void()),
        None => Val::void(),
    }
}

/// Runs (or resumes) a task until it finishes or suspends.
fn run_task(v: Val) {
    let Some(task) = task_of(&v) else { return };
    let resuming = match task.status {
        Status::Queued => false,
        Status::Suspended => true,
        // Already running (below us) or finished: nothing to do.
        _ => return,
    };
    task.status = Status::Running;
    sched().running.push(v.clone());
    let st = state();
    st.rewinding = u32::from(resuming);
    let idx = st.callback;
    let f: extern "C" fn(u32, u32) = unsafe { core::mem::transmute(idx as usize) };
    f(v.ptr().unwrap() as u32, CALLBACK_RUN_TASK);
    sched().running.pop();
    let st = state();
    st.rewinding = 0;
    if st.unwinding != 0 {
        st.unwinding = 0;
        task.status = Status::Suspended;
        match &task.wait {
            Wait::Until(deadline, _) => {
                let s = sched();
                s.seq += 1;
                let p = v.ptr().unwrap() as u32;
                core::mem::forget(v);
                s.timers.push(Reverse((*deadline, s.seq, p)));
            }
            Wait::Future(f) => {
                let f = f.clone();
                match task_of(&f) {
                    Some(t) if !finished(t) => t.waiters.push(v),
                    _ => sched().ready.push_back(v),
                }
            }
            Wait::Io(_) => sched().io.push(v),
            Wait::Nothing => sched().ready.push_back(v),
        }
        return;
    }
    task.args.clear();
    if st.pending != 0 {
        let (e, trace) = error::take_with_trace();
        task.status = Status::Failed(e, trace);
        sched().failed.push(v.clone());
    } else {
        task.status = Status::Done(Val::from_raw(st.ret_tag, st.ret_bits));
    }
    sched().live -= 1;
    let waiters = core::mem::take(&mut task.waiters);
    sched().ready.extend(waiters);
}

fn finished(t: &Task) -> bool {
    matches!(t.status, Status::Done(_) | Status::Failed(..))
}

/// Moves the sleepers whose deadline has passed to the ready queue.
fn wake_timers(now: u64) {
    let s = sched();
    while let Some(&Reverse((deadline, _, p))) = s.timers.peek() {
        if deadline > now {
            break;
        }
        s.timers.pop();
        s.ready.push_back(Val::obj(p as *mut Header));
    }
}

/// Runs tasks until `done()` holds; `until` is the deadline of the waiting code itself, if
/// it waits for the clock, and `own` the descriptor it waits for, if any (when it becomes
/// ready, `own_ready` is set). `Err` when nothing can make progress any more (every
/// remaining task waits for another one).
fn run_until(
    done: &dyn Fn() -> bool,
    until: Option<u64>,
    own: Option<(u32, bool)>,
) -> Result<(), ()> {
    loop {
        if done() {
            return Ok(());
        }
        if !sched().timers.is_empty() {
            wake_timers(now_ns());
        }
        if let Some(v) = sched().ready.pop_front() {
            let s = sched();
            s.runs_since_poll += 1;
            // Tasks that keep each other busy do not starve the ones waiting for I/O.
            if s.runs_since_poll >= 64 && !s.io.is_empty() {
                poll_io(own, Some(0));
            }
            run_task(v);
            continue;
        }
        let next_timer = sched().timers.peek().map(|&Reverse((d, _, _))| d);
        let io_deadline = sched()
            .io
            .iter()
            .filter_map(|v| match &task_of(v)?.wait {
                Wait::Io(w) => w.deadline,
                _ => None,
            })
            .min();
        let deadline = [next_timer, until, io_deadline].into_iter().flatten().min();
        if deadline.is_none() && own.is_none() && sched().io.is_empty() {
            return Err(());
        }
        let now = now_ns();
        let wait = deadline.map(|d| d.saturating_sub(now));
        if own.is_none() && sched().io.is_empty() {
            if let Some(ns) = wait {
                block_for(ns);
            }
        } else {
            poll_io(own, wait);
        }
    }
}

/// Asks which of the descriptors waited for are ready, waiting up to `wait` ns (`None`: no
/// limit): their tasks become ready, and so do those whose deadline has passed.
fn poll_io(own: Option<(u32, bool)>, wait: Option<u64>) {
    let s = sched();
    s.runs_since_poll = 0;
    let mut subs: Vec<wasi::Subscription> = Vec::with_capacity(s.io.len() + 2);
    for (i, v) in s.io.iter().enumerate() {
        if let Some(Task {
            wait: Wait::Io(w), ..
        }) = task_of(v)
        {
            subs.push(wasi::Subscription::fd(i as u64, w.fd, w.write));
        }
    }
    if let Some((fd, write)) = own {
        subs.push(wasi::Subscription::fd(u64::MAX, fd, write));
    }
    if let Some(ns) = wait {
        subs.push(wasi::Subscription::clock(u64::MAX - 1, ns));
    }
    let ready = wasi::poll(&subs);
    let mut woken = alloc::vec![false; s.io.len()];
    for id in ready {
        match id {
            u64::MAX => s.own_ready = true,
            i if (i as usize) < woken.len() => woken[i as usize] = true,
            _ => {}
        }
    }
    let now = now_ns();
    let waiting = core::mem::take(&mut s.io);
    for (v, woken) in waiting.into_iter().zip(woken) {
        let go = match task_of(&v) {
            Some(Task {
                wait: Wait::Io(w), ..
            }) => {
                if !woken && w.deadline.is_some_and(|d| d <= now) {
                    w.timed_out = true;
                }
                woken || w.timed_out
            }
            _ => true,
        };
        if go {
            s.ready.push_back(v);
        } else {
            s.io.push(v);
        }
    }
}

// ---------------------------------------------------------------------------------------
// Waiting

/// Whether the running code can give the stack back (it is a task, not in a no-unwind
/// region).
fn can_suspend() -> bool {
    current().is_some() && state().no_unwind == 0
}

/// Waits for `w`. When the running task can suspend, marks it suspending and returns
/// `None` (the caller returns a placeholder and the task's frames unwind). Otherwise waits
/// in place and returns `Some(())` once `w` is over, or raises on a deadlock.
fn wait(w: Wait) -> Option<()> {
    if can_suspend() {
        let task = task_of(current().unwrap()).unwrap();
        task.wait = w;
        state().unwinding = 1;
        return None;
    }
    let ok = match &w {
        Wait::Until(deadline, _) => {
            let d = *deadline;
            run_until(&|| now_ns() >= d, Some(d), None)
        }
        Wait::Future(f) => {
            let f = f.clone();
            run_until(
                &move || task_of(&f).is_some_and(|t| finished(t)),
                None,
                None,
            )
        }
        Wait::Io(_) | Wait::Nothing => Ok(()),
    };
    if ok.is_err() {
        error::raise(String::from(
            "Deadlock: waiting for a task that can never finish (tasks await each other)",
        ));
    }
    Some(())
}

/// Runs an operation on a descriptor (R19): tries it, and while it would block, waits
/// for the descriptor. A task suspends (the result is then a placeholder and the task
/// unwinds; the scheduler tries again when the descriptor is ready); other code waits in
/// place, running the tasks meanwhile. `None` when the operation raised.
pub fn io(w: Io) -> Option<Val> {
    drive(w, false)
}

fn drive(mut w: Io, mut timed_out: bool) -> Option<Val> {
    loop {
        match (w.attempt)(timed_out) {
            Step::Ready(v) => return Some(v),
            Step::Failed => return None,
            Step::Pending | Step::PendingOn(_) if timed_out => {
                error::internal("an operation waited past its deadline");
            }
            Step::Pending => {}
            Step::PendingOn(fd) => w.fd = fd,
        }
        if can_suspend() {
            w.timed_out = false;
            let task = task_of(current().unwrap()).unwrap();
            task.wait = Wait::Io(w);
            state().unwinding = 1;
            return Some(Val::void());
        }
        let own = Some((w.fd, w.write));
        sched().own_ready = false;
        let deadline = w.deadline;
        let done = move || sched().own_ready || deadline.is_some_and(|d| now_ns() >= d);
        // Cannot fail: the descriptor or the deadline ends the wait.
        let _ = run_until(&done, deadline, own);
        timed_out = !sched().own_ready;
        sched().own_ready = false;
    }
}

/// A descriptor was closed: the operations waiting for it are tried again at once (and
/// then find their socket closed), so no task waits for a descriptor number the system may
/// give to the next socket. Code waiting in place tries its operation again too.
pub fn wake(fd: u32) {
    let s = sched();
    s.own_ready = true;
    let waiting = core::mem::take(&mut s.io);
    for v in waiting {
        match task_of(&v) {
            Some(Task {
                wait: Wait::Io(w), ..
            }) if w.fd == fd => s.ready.push_back(v),
            _ => s.io.push(v),
        }
    }
}

/// `sleep(ms)` of TimeBox/TimerBox: suspends only the calling task. Gives `done` once the
/// time has passed, or `None` while the task suspends (the caller returns a placeholder).
pub fn sleep(ms: i64, done: Val) -> Option<Val> {
    let ns = (ms.max(0) as u64).saturating_mul(1_000_000);
    let deadline = now_ns().saturating_add(ns);
    if can_suspend() {
        wait(Wait::Until(deadline, done));
        return None;
    }
    wait(Wait::Until(deadline, Val::void()));
    Some(done)
}

/// The outcome of a finished future: its value, or its error raised again with the task's
/// trace. Marks it awaited.
fn outcome(f: &Val) -> Val {
    let t = task_of(f).unwrap();
    t.awaited = true;
    match &t.status {
        Status::Done(v) => v.clone(),
        Status::Failed(e, trace) => {
            error::rethrow(e.clone(), trace.clone());
            Val::void()
        }
        _ => Val::void(),
    }
}

/// `await v` / `v.get()`: the value of a future once its task finished; any other value
/// as it is. `None` while the calling task suspends.
pub fn await_value(v: Val) -> Option<Val> {
    let Some(t) = task_of(&v) else {
        return Some(v);
    };
    if finished(t) {
        return Some(outcome(&v));
    }
    if let Some(me) = current() {
        if same(me, &v) {
            error::raise(String::from("Deadlock: a task cannot await its own future"));
            return Some(Val::void());
        }
    }
    if can_suspend() && awaits_current(&v) {
        error::raise(String::from("Deadlock: tasks await each other in a cycle"));
        return Some(Val::void());
    }
    if !can_suspend() {
        // Waiting in place for a task that is running below us would never end.
        if matches!(t.status, Status::Running) {
            error::raise(String::from(
                "Deadlock: waiting for a task that can never finish (tasks await each other)",
            ));
            return Some(Val::void());
        }
    }
    wait(Wait::Future(v.clone()))?;
    if state().pending != 0 {
        return Some(Val::void());
    }
    Some(outcome(&v))
}

/// Whether the chain of futures that `v`'s task waits for leads back to the current task.
fn awaits_current(v: &Val) -> bool {
    let Some(me) = current() else { return false };
    let mut f = v.clone();
    for _ in 0..1_000_000 {
        if same(&f, me) {
            return true;
        }
        let Some(t) = task_of(&f) else { return false };
        match &t.wait {
            Wait::Future(next) if matches!(t.status, Status::Suspended) => f = next.clone(),
            _ => return false,
        }
    }
    false
}

/// The value a suspended leaf wait gives when its task resumes (end of rewinding).
pub fn resume_leaf() -> Val {
    state().rewinding = 0;
    let Some(me) = current() else {
        return Val::void();
    };
    let task = task_of(me).unwrap();
    match core::mem::replace(&mut task.wait, Wait::Nothing) {
        Wait::Until(_, v) => v,
        Wait::Future(f) => outcome(&f),
        Wait::Io(w) => {
            let timed_out = w.timed_out;
            drive(w, timed_out).unwrap_or_else(Val::void)
        }
        Wait::Nothing => Val::void(),
    }
}

// ---------------------------------------------------------------------------------------
// Frames

/// Saves a frame for the task that is suspending; returns where its slots go.
pub fn frame_save(id: u32, point: u32, n: u32) -> *mut RawVal {
    let Some(me) = current() else {
        error::internal("a frame was saved outside a task");
    };
    let task = task_of(me).unwrap();
    task.frames.push(Frame {
        id,
        point,
        slots: alloc::vec![RawVal::default(); n as usize],
    });
    task.frames.last_mut().unwrap().slots.as_mut_ptr()
}

/// Takes back the outermost saved frame, which must be `id`'s; returns its slots and
/// leaves its resume point in `ret_tag`.
pub fn frame_pop(id: u32) -> *mut RawVal {
    let me = current().unwrap_or_else(|| error::internal("a frame was restored outside a task"));
    let task = task_of(me).unwrap();
    let frame = task
        .frames
        .pop()
        .unwrap_or_else(|| error::internal("no frame to resume"));
    if frame.id != id {
        error::internal("a task resumed in the wrong function");
    }
    state().ret_tag = frame.point;
    let s = sched();
    s.popped = Some(frame);
    s.popped.as_mut().unwrap().slots.as_mut_ptr()
}

/// The id of the frame that would be restored next, or -1 when there is none.
pub fn frame_top() -> i32 {
    current()
        .and_then(task_of)
        .and_then(|t| t.frames.last())
        .map_or(-1, |f| f.id as i32)
}

// ---------------------------------------------------------------------------------------
// FutureBox methods and display

/// Methods of FutureBox: `get()`, `ready()`, `equals(x)`, `toString()`.
pub fn method(recv: &Val, name: &str, args: &[Val]) -> Option<Option<Val>> {
    let t = task_of(recv)?;
    let r = match (name, args.len()) {
        ("get", 0) => await_value(recv.clone()).or(Some(Val::void())),
        ("ready", 0) => Some(Val::bool(finished(t))),
        ("equals", 1) => Some(Val::bool(same(recv, &args[0]))),
        ("toString", 0) => Some(object::new_str(display(recv))),
        ("get" | "ready" | "equals" | "toString", n) => {
            let want = if name == "equals" { 1 } else { 0 };
            error::raise(alloc::format!(
                "{name}() expects {want} argument(s), got {n}"
            ));
            None
        }
        _ => crate::builtins::unknown_method("FutureBox", name),
    };
    Some(r)
}

/// Display text of a FutureBox: `Future(pending)` or `Future(ready)`.
pub fn display(v: &Val) -> String {
    match task_of(v) {
        Some(t) if finished(t) => String::from("Future(ready)"),
        _ => String::from("Future(pending)"),
    }
}

/// Frees a FutureBox's task.
///
/// # Safety
/// `p` must be a FutureBox whose last reference went away.
pub unsafe fn destroy(p: *mut Header) {
    unsafe { drop(alloc::boxed::Box::from_raw(p as *mut object::Obj<Task>)) }
}

// ---------------------------------------------------------------------------------------
// Program exit

/// End of the program: waits for every task, then reports the errors of tasks nobody
/// awaited (exit status 1 when there were any).
pub fn finish() {
    if run_until(&|| sched().live == 0, None, None).is_err() {
        let n = sched().live;
        let text = alloc::format!(
            "Error: deadlock: {n} task(s) wait for each other and can never finish\n"
        );
        wasi::write_stderr(text.as_bytes());
        wasi::exit(1);
    }
    let mut report = String::new();
    for v in core::mem::take(&mut sched().failed) {
        let t = task_of(&v).unwrap();
        if t.awaited {
            continue;
        }
        if let Status::Failed(e, trace) = &t.status {
            report.push_str("Error: ");
            report.push_str(&error::message(e));
            report.push('\n');
            error::push_trace_text(&mut report, trace, 0);
            report.push_str("  in a task started at ");
            report.push_str(t.site);
            report.push_str(" that nobody awaited\n");
        }
    }
    if !report.is_empty() {
        wasi::write_stderr(report.as_bytes());
        wasi::exit(1);
    }
}
