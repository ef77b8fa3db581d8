//! Any section list, index strings and `--dir` policy: encoding, attaching to a stub and
//! reading back gives exactly what was written (`nyash_runtime::payload::roundtrip`).

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| nyash_runtime::payload::roundtrip::check(data));
