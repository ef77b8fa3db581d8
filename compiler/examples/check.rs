//! `cargo run --example check -- FILE`: runs `nyash check` without the bundler's CLI.

fn main() {
    let Some(path) = std::env::args_os().nth(1) else {
        eprintln!("usage: check FILE");
        std::process::exit(2);
    };
    std::process::exit(nyash_compiler::check_command(std::path::Path::new(&path)));
}
