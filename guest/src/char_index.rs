//! Character positions of strings in O(1) amortised: what `get`, `substring` and `length`
//! of a StringBox need, since Nyash counts characters while strings are UTF-8.
//!
//! A few recently indexed string objects keep an index: whether the string is ASCII (then
//! character `i` is byte `i`), its character count, and otherwise the byte offset of every
//! [`STRIDE`]th character. Building one costs a single pass over the string; a loop over a
//! string's characters then costs O(1) per step instead of a walk from the start.
//!
//! Strings never change after they are made, so an entry stays valid for as long as its
//! object lives; [`forget`] drops it when the object is destroyed, before its address can
//! be reused.

use alloc::vec::Vec;

/// Characters between two recorded byte offsets of a non-ASCII string.
const STRIDE: usize = 32;
/// Strings shorter than this are walked directly: indexing them costs more than it saves.
const MIN_LEN: usize = 64;
/// How many strings keep an index at once (replaced round-robin).
const SLOTS: usize = 4;

struct Entry {
    /// The string object's address (0: unused slot).
    key: usize,
    /// Character count.
    chars: usize,
    /// Whether every character is one byte.
    ascii: bool,
    /// Byte offset of characters 0, STRIDE, 2·STRIDE, … (non-ASCII only).
    marks: Vec<u32>,
}

static mut ENTRIES: [Entry; SLOTS] = [const {
    Entry {
        key: 0,
        chars: 0,
        ascii: false,
        marks: Vec::new(),
    }
}; SLOTS];
static mut NEXT_SLOT: usize = 0;

fn entries() -> &'static mut [Entry; SLOTS] {
    unsafe { &mut *core::ptr::addr_of_mut!(ENTRIES) }
}

/// Character positions of one string.
pub struct Chars<'a> {
    s: &'a str,
    entry: Option<&'static Entry>,
}

impl<'a> Chars<'a> {
    /// The positions of `s`, the text of the live string object at `key`.
    pub fn of(s: &'a str, key: usize) -> Chars<'a> {
        if s.len() < MIN_LEN {
            return Chars { s, entry: None };
        }
        let all = entries();
        if let Some(found) = all.iter().position(|e| e.key == key) {
            return Chars {
                s,
                entry: Some(&all[found]),
            };
        }
        let slot = unsafe {
            let n = NEXT_SLOT;
            NEXT_SLOT = (n + 1) % SLOTS;
            n
        };
        let e = &mut all[slot];
        e.key = key;
        e.ascii = s.is_ascii();
        e.marks.clear();
        if e.ascii {
            e.chars = s.len();
        } else {
            let mut n = 0;
            for (b, _) in s.char_indices() {
                if n % STRIDE == 0 {
                    e.marks.push(b as u32);
                }
                n += 1;
            }
            e.chars = n;
        }
        Chars { s, entry: Some(e) }
    }

    /// The number of characters.
    pub fn count(&self) -> usize {
        match self.entry {
            Some(e) => e.chars,
            None => self.s.chars().count(),
        }
    }

    /// The byte offset of character `i` (`s.len()` for `i` at or past the end).
    pub fn byte(&self, i: usize) -> usize {
        match self.entry {
            Some(e) if e.ascii => i.min(self.s.len()),
            Some(e) => {
                if i >= e.chars {
                    return self.s.len();
                }
                let from = e.marks[i / STRIDE] as usize;
                let skip = i % STRIDE;
                self.s[from..]
                    .char_indices()
                    .nth(skip)
                    .map_or(self.s.len(), |(b, _)| from + b)
            }
            None => self
                .s
                .char_indices()
                .nth(i)
                .map_or(self.s.len(), |(b, _)| b),
        }
    }

    /// Character `i`, if there is one.
    pub fn get(&self, i: usize) -> Option<&'a str> {
        if i >= self.count() {
            return None;
        }
        let b = self.byte(i);
        let c = self.s[b..].chars().next()?;
        Some(&self.s[b..b + c.len_utf8()])
    }

    /// Characters `start..end` (both already within `0..=count`, `start <= end`).
    pub fn slice(&self, start: usize, end: usize) -> &'a str {
        &self.s[self.byte(start)..self.byte(end)]
    }
}

/// Drops the index of the string object at `key`, which is being destroyed.
pub fn forget(key: usize) {
    for e in entries().iter_mut() {
        if e.key == key {
            e.key = 0;
            e.marks = Vec::new();
        }
    }
}
