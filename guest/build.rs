//! Keeps the guest module's linear memory growable and exports nothing the
//! compiler does not need beyond the `#[no_mangle]` runtime functions.
fn main() {
    // The program's stack in linear memory: 1 MiB (Rust's default), placed first so that
    // an overflow traps on the memory bound instead of corrupting data.
    println!("cargo:rustc-link-arg=-zstack-size=1048576");
}
