//! Number formatting and parsing (Part 2 §6.4): Ints in decimal, Floats as Rust prints f64
//! (shortest round-trip digits, no exponent, `1.0` as `1`, `NaN`, `inf`, `-inf`).

use alloc::string::String;
use core::fmt::Write;

/// Appends the display text of an Int.
pub fn push_int(out: &mut String, i: i64) {
    crate::display::push_text(out, itoa::Buffer::new().format(i));
}

/// Appends the display text of a Float.
pub fn push_float(out: &mut String, f: f64) {
    let _ = write!(out, "{f}");
}

/// Parses an Int the way `toInteger()` does: trimmed decimal digits with an optional sign.
pub fn parse_int(s: &str) -> Option<i64> {
    s.trim().parse::<i64>().ok()
}
