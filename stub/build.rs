//! Records the target triple the stub is built for.
fn main() {
    let target = std::env::var("TARGET").expect("cargo sets TARGET");
    println!("cargo:rustc-env=NYASH_STUB_TARGET={target}");
    println!("cargo:rerun-if-changed=build.rs");
}
