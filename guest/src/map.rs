//! MapBox storage: keys are display texts (Part 2 §14.7), iteration is in insertion
//! order (R14).

use alloc::collections::BTreeMap;
use alloc::string::String;
use alloc::vec::Vec;

use crate::value::Val;

/// An insertion-ordered map from strings to values.
#[derive(Default, Clone)]
pub struct Map {
    entries: Vec<(String, Val)>,
    index: BTreeMap<String, usize>,
}

impl Map {
    /// Number of entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }
    /// Inserts or replaces (keeping the original position).
    pub fn set(&mut self, key: String, v: Val) {
        if let Some(&i) = self.index.get(&key) {
            self.entries[i].1 = v;
        } else {
            self.index.insert(key.clone(), self.entries.len());
            self.entries.push((key, v));
        }
    }
    /// The value for `key`.
    pub fn get(&self, key: &str) -> Option<&Val> {
        self.index.get(key).map(|&i| &self.entries[i].1)
    }
    /// Removes `key`; returns whether it was present.
    pub fn delete(&mut self, key: &str) -> bool {
        let Some(i) = self.index.remove(key) else {
            return false;
        };
        self.entries.remove(i);
        for slot in self.index.values_mut() {
            if *slot > i {
                *slot -= 1;
            }
        }
        true
    }
    /// Removes everything.
    pub fn clear(&mut self) {
        self.entries.clear();
        self.index.clear();
    }
    /// Entries in insertion order.
    pub fn entries(&self) -> &[(String, Val)] {
        &self.entries
    }
}
