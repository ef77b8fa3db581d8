//! MapBox storage: keys are display texts (Part 2 §14.7), iteration is in insertion
//! order (R14).
//!
//! Entries live in a vector in insertion order; an open-addressing hash table (FNV-1a,
//! linear probing) maps keys to their position. Lookups borrow the key, so `get` and `set`
//! of an existing key allocate nothing.

use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;

use crate::value::Val;

/// An insertion-ordered map from strings to values.
#[derive(Default, Clone)]
pub struct Map {
    entries: Vec<(String, Val)>,
    /// Entry position + 1 per slot, 0 when empty. Empty, or a power of two at least twice
    /// as long as `entries`.
    table: Vec<u32>,
}

fn hash(key: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in key.as_bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

impl Map {
    /// Number of entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// The slot holding `key`, or the empty slot where it would go.
    fn slot(&self, key: &str) -> (usize, Option<usize>) {
        let mask = self.table.len() - 1;
        let mut s = hash(key) as usize & mask;
        loop {
            match self.table[s] {
                0 => return (s, None),
                e if self.entries[e as usize - 1].0 == key => return (s, Some(e as usize - 1)),
                _ => s = (s + 1) & mask,
            }
        }
    }

    fn find(&self, key: &str) -> Option<usize> {
        if self.table.is_empty() {
            return None;
        }
        self.slot(key).1
    }

    /// Rebuilds the table for the current entries, with room to grow.
    fn rebuild(&mut self) {
        let n = (self.entries.len() * 2 + 2).next_power_of_two().max(8);
        self.table = vec![0; n];
        for i in 0..self.entries.len() {
            let (s, _) = self.slot(&self.entries[i].0);
            self.table[s] = i as u32 + 1;
        }
    }

    /// Inserts or replaces (keeping the original position).
    pub fn set(&mut self, key: &str, v: Val) {
        if let Some(i) = self.find(key) {
            self.entries[i].1 = v;
            return;
        }
        if (self.entries.len() + 1) * 2 > self.table.len() {
            self.entries.push((String::from(key), v));
            self.rebuild();
            return;
        }
        let (s, _) = self.slot(key);
        self.entries.push((String::from(key), v));
        self.table[s] = self.entries.len() as u32;
    }

    /// The value for `key`.
    pub fn get(&self, key: &str) -> Option<&Val> {
        self.find(key).map(|i| &self.entries[i].1)
    }

    /// Removes `key`; returns whether it was present.
    pub fn delete(&mut self, key: &str) -> bool {
        let Some(i) = self.find(key) else {
            return false;
        };
        self.entries.remove(i);
        self.rebuild();
        true
    }

    /// Removes everything.
    pub fn clear(&mut self) {
        self.entries.clear();
        self.table.clear();
    }

    /// Entries in insertion order.
    pub fn entries(&self) -> &[(String, Val)] {
        &self.entries
    }
}
