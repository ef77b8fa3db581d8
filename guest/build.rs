//! Keeps the guest module's linear memory growable and exports nothing the
//! compiler does not need beyond the `#[no_mangle]` runtime functions.
fn main() {
    // The runtime's stack in linear memory, placed first so that an overflow traps on the
    // memory bound instead of corrupting data. 8 MiB: recursion that passes through the
    // runtime (a `toString` that displays the next node of a list) takes about 170 bytes of
    // it per level, and must reach the compiler's depth limit (20,000 calls) before it runs
    // out. Pages the program never touches cost no memory.
    println!("cargo:rustc-link-arg=-zstack-size=8388608");
}
