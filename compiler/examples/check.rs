//! `cargo run --example check -- [check] FILE`: runs `nyash check` without the bundler's CLI.
//! The optional `check` word lets `scripts/bench-check.sh` use this binary as `$NYASH`.

fn main() {
    let mut args: Vec<_> = std::env::args_os().skip(1).collect();
    if args.first().is_some_and(|a| a == "check") {
        args.remove(0);
    }
    let [path] = args.as_slice() else {
        eprintln!("usage: check [check] FILE");
        std::process::exit(2);
    };
    std::process::exit(nyash_compiler::check_command(std::path::Path::new(path)));
}
