//! Target triples: which ones nyash knows, and when an artifact compiled for
//! one can run on another.

/// Targets for which the bundler can precompile native code, in the order
/// `--target all` uses.
pub const NATIVE_TARGETS: &[&str] = &[
    "x86_64-unknown-linux-gnu",
    "aarch64-unknown-linux-gnu",
    "x86_64-pc-windows-msvc",
    "aarch64-pc-windows-msvc",
    "x86_64-apple-darwin",
    "aarch64-apple-darwin",
    "x86_64-unknown-linux-musl",
    "aarch64-unknown-linux-musl",
    "x86_64-pc-windows-gnu",
    "riscv64gc-unknown-linux-gnu",
    "s390x-unknown-linux-gnu",
    "x86_64-unknown-freebsd",
    "aarch64-linux-android",
];

/// The architecture and operating system of a triple, which are what a
/// wasmtime artifact is checked against (the environment part, such as
/// `gnu` or `musl`, is not).
pub fn platform(triple: &str) -> (&str, &str) {
    let arch = triple.split('-').next().unwrap_or("");
    let parts: Vec<&str> = triple.split('-').skip(1).collect();
    // `android` is more specific than the `linux` that precedes it in
    // triples such as `aarch64-linux-android`.
    let os = [
        "android", "linux", "windows", "darwin", "freebsd", "netbsd", "openbsd",
    ]
    .into_iter()
    .find(|os| parts.contains(os))
    .unwrap_or("");
    (arch, os)
}

/// True when native code compiled for `artifact` can run on `host`.
pub fn runs_on(artifact: &str, host: &str) -> bool {
    platform(artifact) == platform(host)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn environment_does_not_matter_but_arch_and_os_do() {
        assert!(runs_on(
            "x86_64-unknown-linux-gnu",
            "x86_64-unknown-linux-musl"
        ));
        assert!(runs_on("x86_64-pc-windows-msvc", "x86_64-pc-windows-gnu"));
        assert!(!runs_on(
            "aarch64-unknown-linux-gnu",
            "x86_64-unknown-linux-gnu"
        ));
        assert!(!runs_on("x86_64-apple-darwin", "x86_64-unknown-linux-gnu"));
        assert_eq!(platform("aarch64-linux-android"), ("aarch64", "android"));
    }
}
