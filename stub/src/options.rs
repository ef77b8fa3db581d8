//! The launcher's two environment variables, which a locked bundle ignores.

/// Which execution path the launcher may take.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exec {
    /// Native code if it loads, else the portable fallback.
    Auto,
    /// Native code only; an error if none loads.
    Native,
    /// The portable fallback (WebAssembly on Pulley) only.
    Wasm,
}

/// The launcher settings read from the environment.
pub struct Options {
    /// `NYASH_TRACE`: report decisions on stderr.
    pub trace: bool,
    /// `NYASH_EXEC`: the path to take.
    pub exec: Exec,
}

impl Options {
    /// The settings of a locked bundle (`nyash bundle --lock`): the
    /// automatic path and no trace, whatever the environment says.
    pub fn locked() -> Options {
        Options {
            trace: false,
            exec: Exec::Auto,
        }
    }

    /// Reads `NYASH_TRACE` and `NYASH_EXEC`.
    pub fn from_env() -> Result<Options, String> {
        let trace = std::env::var_os("NYASH_TRACE")
            .is_some_and(|v| !v.is_empty() && v != "0" && v != "false");
        let exec = match std::env::var("NYASH_EXEC").as_deref() {
            Err(std::env::VarError::NotPresent) | Ok("") | Ok("auto") => Exec::Auto,
            Ok("native") => Exec::Native,
            Ok("wasm") => Exec::Wasm,
            Ok(other) => {
                return Err(format!(
                    "NYASH_EXEC is `{other}`, but it must be `native`, `wasm` or `auto`"
                ))
            }
            Err(std::env::VarError::NotUnicode(_)) => {
                return Err("NYASH_EXEC must be `native`, `wasm` or `auto`".into())
            }
        };
        Ok(Options { trace, exec })
    }
}

/// Prints a trace line when tracing is on.
macro_rules! trace {
    ($opts:expr, $($arg:tt)*) => {
        if $opts.trace {
            eprintln!("[nyash] {}", format_args!($($arg)*));
        }
    };
}
pub(crate) use trace;
