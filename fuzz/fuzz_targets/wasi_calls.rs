//! A sequence of WASI calls with arbitrary arguments against a scratch directory: no panic,
//! no success with a pointer outside memory, nothing outside the mapping touched
//! (`nyash_runtime::wasi::call_sequence`).

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| nyash_runtime::wasi::call_sequence::check(data));
