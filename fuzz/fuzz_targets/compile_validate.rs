//! Any bytes as `main.nyash`: a program the front end accepts compiles, and the module
//! validates (`nyash_compiler::fuzzing`).

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| nyash_compiler::fuzzing::check(data));
