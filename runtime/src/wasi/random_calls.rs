//! A randomized test of the host: thousands of WASI calls with arbitrary
//! arguments, made from the host side against a scratch directory mapped as
//! `/` (`call_sequence.rs`), must never panic the host, never succeed with a
//! pointer outside memory and never touch anything outside the directory.
//! The seed is fixed, so a failure reproduces; the `wasi_calls` fuzz target
//! runs the same driver on the fuzzer's bytes.

use super::call_sequence::{self, Choices, Scratch};

struct Rng(u64);

impl Choices for Rng {
    fn below(&mut self, n: u64) -> Option<u64> {
        Some(self.any()? % n)
    }

    fn any(&mut self) -> Option<u64> {
        // xorshift64*
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        Some(self.0.wrapping_mul(0x2545_f491_4f6c_dd1d))
    }
}

#[test]
fn random_calls_never_panic_and_never_leave_the_mapping() {
    let scratch = Scratch::new();
    let made = call_sequence::run(&scratch, &mut Rng(0x0123_4567_89ab_cdef), 20_000);
    assert_eq!(made, 20_000);
    // The calls did reach the file system: some of them created entries.
    let entries = std::fs::read_dir(scratch.root()).unwrap().count();
    assert!(
        entries > 3,
        "only {entries} entries in the scratch directory"
    );
}

/// Every committed seed and crash reproducer of the `wasi_calls` fuzz
/// target, run through the same driver.
#[test]
fn fuzz_inputs_pass() {
    let fuzz = concat!(env!("CARGO_MANIFEST_DIR"), "/../fuzz");
    let mut ran = 0;
    for dir in ["seeds/wasi_calls", "regressions/wasi_calls"] {
        let Ok(entries) = std::fs::read_dir(format!("{fuzz}/{dir}")) else {
            continue;
        };
        for entry in entries {
            let path = entry.unwrap().path();
            call_sequence::check(&std::fs::read(&path).unwrap());
            ran += 1;
        }
    }
    assert!(ran > 0, "no fuzz inputs found under {fuzz}");
}
