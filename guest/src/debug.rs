//! DebugBox (Part 2 §14.17): tracks values by name and prints what it is asked to watch.
//! Output goes to stdout with the `[DEBUG] ` prefix, as upstream.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use crate::builtins::{arg_str, expect_args, unknown_method};
use crate::display::{display, type_name};
use crate::error::raise;
use crate::object::new_str;
use crate::value::Val;
use crate::wasi;

/// The state of a DebugBox.
#[derive(Default)]
pub struct Debug {
    tracking: bool,
    /// Tracked values with their names (the DebugBox keeps them alive).
    pub tracked: Vec<(String, Val)>,
    breakpoints: Vec<String>,
    calls: Vec<String>,
}

fn say(line: &str) {
    let mut s = String::from("[DEBUG] ");
    s.push_str(line);
    s.push('\n');
    wasi::write_stdout(s.as_bytes());
}

fn describe(name: &str, v: &Val) -> String {
    format!("{name} ({}): {}", type_name(v), display(v))
}

fn dump(d: &Debug) -> String {
    let mut s = format!(
        "=== DebugBox dump at {} UTC ===\ntracking: {}\ntracked boxes: {}\n",
        crate::time::now_text(),
        d.tracking,
        d.tracked.len()
    );
    for (name, v) in &d.tracked {
        s.push_str("  ");
        s.push_str(&describe(name, v));
        s.push('\n');
    }
    s
}

/// DebugBox methods.
pub fn call(d: &mut Debug, name: &str, args: Vec<Val>) -> Option<Val> {
    let r = match name {
        "startTracking" | "stopTracking" => {
            expect_args(name, &args, 0)?;
            d.tracking = name == "startTracking";
            say(if d.tracking {
                "Tracking started"
            } else {
                "Tracking stopped"
            });
            Val::void()
        }
        "trackBox" => {
            expect_args(name, &args, 2)?;
            let label = arg_str(name, &args[1])?.into();
            let v = args.into_iter().next().unwrap();
            d.tracked.push((label, v));
            Val::void()
        }
        "watch" => {
            expect_args(name, &args, 2)?;
            let label = arg_str(name, &args[1])?;
            say(&format!("Watching {}", describe(label, &args[0])));
            Val::void()
        }
        "dumpAll" => {
            expect_args(name, &args, 0)?;
            new_str(dump(d))
        }
        "saveToFile" => {
            expect_args(name, &args, 1)?;
            crate::file::save(arg_str(name, &args[0])?, &dump(d))?;
            crate::array::ok()
        }
        "memoryReport" => {
            expect_args(name, &args, 0)?;
            let mut kinds: Vec<(String, usize)> = Vec::new();
            for (_, v) in &d.tracked {
                let t = type_name(v);
                match kinds.iter_mut().find(|(k, _)| *k == t) {
                    Some((_, n)) => *n += 1,
                    None => kinds.push((t, 1)),
                }
            }
            let mut s = format!("Memory report: {} tracked boxes\n", d.tracked.len());
            for (t, n) in kinds {
                s.push_str(&format!("  {t}: {n}\n"));
            }
            new_str(s)
        }
        "setBreakpoint" => {
            expect_args(name, &args, 1)?;
            let f = display(&args[0]);
            say(&format!("Breakpoint set at {f}"));
            d.breakpoints.push(f);
            Val::void()
        }
        "traceCall" => {
            if args.is_empty() {
                raise("traceCall() expects at least 1 argument, got 0".into());
                return None;
            }
            let texts: Vec<String> = args[1..].iter().map(display).collect();
            let call = format!("{}({})", display(&args[0]), texts.join(", "));
            say(&format!("Call: {call}"));
            d.calls.push(call);
            Val::void()
        }
        "showCallStack" => {
            expect_args(name, &args, 0)?;
            let mut s = format!("Call stack ({} calls):\n", d.calls.len());
            for (i, c) in d.calls.iter().enumerate() {
                s.push_str(&format!("  {i}: {c}\n"));
            }
            new_str(s)
        }
        "clear" => {
            expect_args(name, &args, 0)?;
            d.tracked.clear();
            d.breakpoints.clear();
            d.calls.clear();
            Val::void()
        }
        "isTracking" => {
            expect_args(name, &args, 0)?;
            Val::bool(d.tracking)
        }
        "getTrackedCount" => {
            expect_args(name, &args, 0)?;
            Val::int(d.tracked.len() as i64)
        }
        "toString" => {
            expect_args(name, &args, 0)?;
            new_str(format!("DebugBox[{} tracked]", d.tracked.len()))
        }
        _ => return unknown_method("DebugBox", name),
    };
    Some(r)
}
