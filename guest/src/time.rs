//! Clocks, sleeping, and TimeBox / DateTimeBox / TimerBox (Part 2 §14.10 with R14).
//!
//! All dates are UTC: WASI preview 1 has no time zone. A DateTimeBox holds milliseconds since
//! 1970-01-01T00:00:00Z and is limited to the years 0000–9999.
//!
//! `sleep(ms)` suspends only the calling task (R16, [`crate::tasks::sleep`]); [`block_ns`]
//! is the only place that blocks the whole program, used by the scheduler when every task
//! waits for a timer.

use alloc::format;
use alloc::string::String;

use crate::builtins::{arg_int, arg_str, expect_args, unknown_method};
use crate::display::display;
use crate::error::raise;
use crate::native::{new_native, Native};
use crate::object::new_str;
use crate::value::Val;

#[link(wasm_import_module = "wasi_snapshot_preview1")]
extern "C" {
    fn clock_time_get(id: u32, precision: u64, time: *mut u64) -> u32;
}

const CLOCK_REALTIME: u32 = 0;
const CLOCK_MONOTONIC: u32 = 1;

fn clock(id: u32) -> u64 {
    let mut t = 0u64;
    if unsafe { clock_time_get(id, 1, &mut t) } != 0 {
        return 0;
    }
    t
}

/// Wall-clock time: milliseconds since the Unix epoch.
pub fn now_ms() -> i64 {
    (clock(CLOCK_REALTIME) / 1_000_000) as i64
}

/// Wall-clock time in nanoseconds (used to seed RandomBox).
pub fn now_ns() -> u64 {
    clock(CLOCK_REALTIME)
}

/// The monotonic clock in nanoseconds (its zero is arbitrary: under nyash, program start).
pub fn monotonic_ns() -> u64 {
    clock(CLOCK_MONOTONIC)
}

/// Blocks the whole program for `ns` nanoseconds (nothing for 0), with one WASI
/// `poll_oneoff` on a relative monotonic-clock subscription. Buffered stdout is written
/// first.
pub fn block_ns(ns: u64) {
    if ns == 0 {
        return;
    }
    crate::wasi::poll(&[crate::wasi::Subscription::clock(0, ns)]);
}

// ---------------------------------------------------------------------------------------
// Calendar arithmetic (proleptic Gregorian calendar, days since 1970-01-01).

const MS_PER_DAY: i64 = 86_400_000;

fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + if m <= 2 { 1 } else { 0 };
    (y, m, d)
}

fn is_leap(y: i64) -> bool {
    y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)
}

fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        2 if is_leap(y) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

const MIN_MS: i64 = -62_167_219_200_000; // 0000-01-01T00:00:00Z
const MAX_MS: i64 = 253_402_300_799_999; // 9999-12-31T23:59:59.999Z

/// `ms` if it lies in the supported range, else a raised error.
fn in_range(ms: Option<i64>) -> Option<i64> {
    match ms {
        Some(ms) if (MIN_MS..=MAX_MS).contains(&ms) => Some(ms),
        _ => {
            raise("Date out of range (DateTimeBox covers the years 0000 to 9999)".into());
            None
        }
    }
}

/// A moment broken into calendar fields (UTC).
struct Parts {
    year: i64,
    month: i64,
    day: i64,
    hour: i64,
    minute: i64,
    second: i64,
    milli: i64,
    /// 0 = Sunday.
    weekday: i64,
    /// 1-based.
    yday: i64,
}

fn parts(ms: i64) -> Parts {
    let days = ms.div_euclid(MS_PER_DAY);
    let in_day = ms.rem_euclid(MS_PER_DAY);
    let (year, month, day) = civil_from_days(days);
    Parts {
        year,
        month,
        day,
        hour: in_day / 3_600_000,
        minute: in_day / 60_000 % 60,
        second: in_day / 1000 % 60,
        milli: in_day % 1000,
        weekday: (days + 4).rem_euclid(7),
        yday: days - days_from_civil(year, 1, 1) + 1,
    }
}

/// `YYYY-MM-DD HH:MM:SS` (the display text of a DateTimeBox).
pub fn to_display(ms: i64) -> String {
    let p = parts(ms);
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}:{:02}",
        p.year, p.month, p.day, p.hour, p.minute, p.second
    )
}

/// RFC 3339 in UTC: `YYYY-MM-DDTHH:MM:SSZ`, with `.mmm` when the milliseconds are not zero.
fn to_iso(ms: i64) -> String {
    let p = parts(ms);
    let mut s = format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
        p.year, p.month, p.day, p.hour, p.minute, p.second
    );
    if p.milli != 0 {
        s.push_str(&format!(".{:03}", p.milli));
    }
    s.push('Z');
    s
}

const DAYS: [&str; 7] = [
    "Sunday",
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
];
const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// strftime, the subset documented in `docs/builtins.md`; unknown specifiers raise.
fn format_ms(ms: i64, fmt: &str) -> Option<String> {
    let p = parts(ms);
    let mut out = String::new();
    let mut chars = fmt.chars();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        let Some(spec) = chars.next() else {
            raise("format(): the format ends with a lone '%'".into());
            return None;
        };
        let month = MONTHS[(p.month - 1) as usize];
        let day = DAYS[p.weekday as usize];
        let hour12 = if p.hour % 12 == 0 { 12 } else { p.hour % 12 };
        let piece = match spec {
            'Y' => format!("{:04}", p.year),
            'C' => format!("{:02}", p.year / 100),
            'y' => format!("{:02}", p.year % 100),
            'm' => format!("{:02}", p.month),
            'd' => format!("{:02}", p.day),
            'e' => format!("{:2}", p.day),
            'H' => format!("{:02}", p.hour),
            'I' => format!("{:02}", hour12),
            'M' => format!("{:02}", p.minute),
            'S' => format!("{:02}", p.second),
            'L' => format!("{:03}", p.milli),
            'p' => String::from(if p.hour < 12 { "AM" } else { "PM" }),
            'j' => format!("{:03}", p.yday),
            'a' => String::from(&day[..3]),
            'A' => String::from(day),
            'b' | 'h' => String::from(&month[..3]),
            'B' => String::from(month),
            'u' => format!("{}", if p.weekday == 0 { 7 } else { p.weekday }),
            'w' => format!("{}", p.weekday),
            's' => format!("{}", ms.div_euclid(1000)),
            'F' => format!("{:04}-{:02}-{:02}", p.year, p.month, p.day),
            'T' => format!("{:02}:{:02}:{:02}", p.hour, p.minute, p.second),
            'R' => format!("{:02}:{:02}", p.hour, p.minute),
            'D' => format!("{:02}/{:02}/{:02}", p.month, p.day, p.year % 100),
            'z' => String::from("+0000"),
            'Z' => String::from("UTC"),
            'n' => String::from("\n"),
            't' => String::from("\t"),
            '%' => String::from("%"),
            other => {
                raise(format!("format(): unsupported specifier '%{other}'"));
                return None;
            }
        };
        out.push_str(&piece);
    }
    Some(out)
}

/// A cursor over the text given to `TimeBox.parse`.
struct Cursor<'a> {
    s: &'a [u8],
    at: usize,
}

impl Cursor<'_> {
    fn digits(&mut self, n: usize) -> Option<i64> {
        let end = self.at.checked_add(n)?;
        let part = self.s.get(self.at..end)?;
        if !part.iter().all(u8::is_ascii_digit) {
            return None;
        }
        self.at = end;
        Some(part.iter().fold(0, |v, d| v * 10 + (d - b'0') as i64))
    }
    fn eat(&mut self, any_of: &[u8]) -> bool {
        match self.s.get(self.at) {
            Some(c) if any_of.contains(c) => {
                self.at += 1;
                true
            }
            _ => false,
        }
    }
    fn done(&self) -> bool {
        self.at == self.s.len()
    }
}

/// Parses RFC 3339 (`2024-05-06T07:08:09Z`, `…09.5+02:00`), `YYYY-MM-DD HH:MM:SS` (UTC) and
/// `YYYY-MM-DD` (midnight UTC) into milliseconds since the epoch.
fn parse_date(text: &str) -> Option<i64> {
    let mut c = Cursor {
        s: text.trim().as_bytes(),
        at: 0,
    };
    let year = c.digits(4)?;
    if !c.eat(b"-") {
        return None;
    }
    let month = c.digits(2)?;
    if !c.eat(b"-") {
        return None;
    }
    let day = c.digits(2)?;
    if !(1..=12).contains(&month) || day < 1 || day > days_in_month(year, month) {
        return None;
    }
    let mut ms = days_from_civil(year, month, day) * MS_PER_DAY;
    if c.done() {
        return Some(ms);
    }
    if !c.eat(b"Tt ") {
        return None;
    }
    let hour = c.digits(2)?;
    if !c.eat(b":") {
        return None;
    }
    let minute = c.digits(2)?;
    if !c.eat(b":") {
        return None;
    }
    let second = c.digits(2)?;
    if hour > 23 || minute > 59 || second > 59 {
        return None;
    }
    ms += ((hour * 60 + minute) * 60 + second) * 1000;
    if c.eat(b".") {
        let start = c.at;
        let mut scale = 100;
        while let Some(d) = c.digits(1) {
            ms += d * scale;
            scale /= 10;
        }
        if c.at == start {
            return None;
        }
    }
    if c.done() {
        return Some(ms);
    }
    if c.eat(b"Zz") {
        return c.done().then_some(ms);
    }
    let sign = if c.eat(b"+") {
        1
    } else if c.eat(b"-") {
        -1
    } else {
        return None;
    };
    let oh = c.digits(2)?;
    if !c.eat(b":") {
        return None;
    }
    let om = c.digits(2)?;
    if oh > 23 || om > 59 || !c.done() {
        return None;
    }
    Some(ms - sign * (oh * 60 + om) * 60_000)
}

fn datetime(ms: i64) -> Val {
    new_native(Native::DateTime(ms))
}

/// TimeBox methods.
pub fn time_method(name: &str, args: &[Val]) -> Option<Val> {
    let r = match name {
        "now" => {
            expect_args(name, args, 0)?;
            datetime(now_ms())
        }
        "fromTimestamp" => {
            expect_args(name, args, 1)?;
            let secs = arg_int(name, &args[0])?;
            datetime(in_range(secs.checked_mul(1000))?)
        }
        "parse" => {
            expect_args(name, args, 1)?;
            let text = arg_str(name, &args[0])?;
            match parse_date(text) {
                Some(ms) => datetime(in_range(Some(ms))?),
                None => {
                    raise(format!(
                        "parse(): cannot parse '{text}' as a date (expected RFC 3339 or YYYY-MM-DD HH:MM:SS)"
                    ));
                    return None;
                }
            }
        }
        "sleep" => {
            expect_args(name, args, 1)?;
            sleep_method(&args[0])?
        }
        "format" => {
            expect_args(name, args, 1)?;
            new_str(format_ms(now_ms(), arg_str(name, &args[0])?)?)
        }
        "toString" => {
            expect_args(name, args, 0)?;
            new_str("TimeBox()".into())
        }
        _ => return unknown_method("TimeBox", name),
    };
    Some(r)
}

/// `sleep(ms)`: a non-negative Int; suspends the calling task only, then gives `"ok"`.
fn sleep_method(ms: &Val) -> Option<Val> {
    let ms = arg_int("sleep", ms)?;
    if ms < 0 {
        raise(format!(
            "sleep() requires a non-negative duration, got {ms}"
        ));
        return None;
    }
    // While the task is suspending the result is a placeholder nobody sees.
    crate::tasks::sleep(ms, crate::array::ok()).or(Some(Val::void()))
}

/// DateTimeBox methods.
pub fn datetime_method(ms: i64, name: &str, args: &[Val]) -> Option<Val> {
    let field = |v: i64| -> Option<Val> {
        expect_args(name, args, 0)?;
        Some(Val::int(v))
    };
    let p = parts(ms);
    let r = match name {
        "year" => return field(p.year),
        "month" => return field(p.month),
        "day" => return field(p.day),
        "hour" => return field(p.hour),
        "minute" => return field(p.minute),
        "second" => return field(p.second),
        "millisecond" => return field(p.milli),
        "weekday" => return field(p.weekday),
        "timestamp" => return field(ms.div_euclid(1000)),
        "toISOString" => {
            expect_args(name, args, 0)?;
            new_str(to_iso(ms))
        }
        "format" => {
            expect_args(name, args, 1)?;
            new_str(format_ms(ms, arg_str(name, &args[0])?)?)
        }
        "addDays" | "addHours" | "addMinutes" | "addSeconds" => {
            expect_args(name, args, 1)?;
            let n = arg_int(name, &args[0])?;
            let unit = match name {
                "addDays" => MS_PER_DAY,
                "addHours" => 3_600_000,
                "addMinutes" => 60_000,
                _ => 1000,
            };
            datetime(in_range(
                n.checked_mul(unit).and_then(|d| ms.checked_add(d)),
            )?)
        }
        "toString" => {
            expect_args(name, args, 0)?;
            new_str(to_display(ms))
        }
        "equals" => {
            expect_args(name, args, 1)?;
            Val::bool(crate::ops::equals(&datetime(ms), &args[0]))
        }
        _ => return unknown_method("DateTimeBox", name),
    };
    Some(r)
}

static mut NEXT_TIMER: u32 = 1;

/// A TimerBox: a stopwatch on the monotonic clock.
pub struct Timer {
    /// Shown by `toString()`: `TimerBox(id=N)`.
    pub id: u32,
    start: u64,
    stopped: Option<u64>,
}

impl Timer {
    /// A running timer, started now.
    pub fn new() -> Timer {
        let id = unsafe {
            let id = NEXT_TIMER;
            NEXT_TIMER = id.wrapping_add(1);
            id
        };
        Timer {
            id,
            start: monotonic_ns(),
            stopped: None,
        }
    }
    fn elapsed_ms(&self) -> i64 {
        let end = self.stopped.unwrap_or_else(monotonic_ns);
        (end.saturating_sub(self.start) / 1_000_000) as i64
    }
}

/// TimerBox methods.
pub fn timer_method(t: &mut Timer, name: &str, args: &[Val]) -> Option<Val> {
    let r = match name {
        "now" => {
            expect_args(name, args, 0)?;
            Val::int((monotonic_ns() / 1_000_000) as i64)
        }
        "elapsed" => {
            expect_args(name, args, 0)?;
            Val::int(t.elapsed_ms())
        }
        "reset" | "start" => {
            expect_args(name, args, 0)?;
            t.start = monotonic_ns();
            t.stopped = None;
            Val::void()
        }
        "stop" => {
            expect_args(name, args, 0)?;
            if t.stopped.is_none() {
                t.stopped = Some(monotonic_ns());
            }
            Val::int(t.elapsed_ms())
        }
        "isRunning" => {
            expect_args(name, args, 0)?;
            Val::bool(t.stopped.is_none())
        }
        "sleep" => {
            expect_args(name, args, 1)?;
            sleep_method(&args[0])?
        }
        "toString" => {
            expect_args(name, args, 0)?;
            new_str(format!("TimerBox(id={})", t.id))
        }
        _ => return unknown_method("TimerBox", name),
    };
    Some(r)
}

/// The display text of the current time, for DebugBox dumps.
pub fn now_text() -> String {
    display(&datetime(now_ms()))
}
