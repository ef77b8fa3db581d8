//! Panic handling: a clean "internal error" for bugs, and silence while a
//! call that is known to panic on some inputs is guarded by `catch_unwind`.

use std::panic::{self, AssertUnwindSafe};
use std::sync::atomic::{AtomicUsize, Ordering};

/// How many guarded calls are running. Process-wide, because Cranelift
/// compiles on worker threads and a panic there is reported on that thread.
static GUARDED: AtomicUsize = AtomicUsize::new(0);

/// Installs the process-wide panic hook.
pub fn install_hook() {
    panic::set_hook(Box::new(|info| {
        if GUARDED.load(Ordering::SeqCst) > 0 {
            return;
        }
        eprintln!("error: internal error in nyash: {info}");
        eprintln!("hint: this is a bug in nyash; please report it with the command you ran");
    }));
}

/// Runs `f`, turning a panic into `Err(message)` without printing it.
pub fn guarded<T>(f: impl FnOnce() -> T) -> Result<T, String> {
    GUARDED.fetch_add(1, Ordering::SeqCst);
    let result = panic::catch_unwind(AssertUnwindSafe(f));
    GUARDED.fetch_sub(1, Ordering::SeqCst);
    result.map_err(|payload| {
        payload
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "the compiler panicked".into())
    })
}
