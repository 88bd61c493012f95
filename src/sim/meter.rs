//! The bridge's meter: wall time spent in blocking vendor calls, and how
//! many, on this thread. `pushsim bench` sets it against bare round trips
//! (a call made between other work finds colder caches than the same call
//! in a tight loop). Nothing in the simulation reads it, so no wall-clock
//! time reaches a trace; it is the one file under `src/sim/` that may read
//! the wall clock (tests/tidy.rs).

use std::cell::Cell;
use std::time::{Duration, Instant};

thread_local! {
    /// Calls made and wall time spent in them.
    static EXCHANGES: Cell<(u64, Duration)> = const { Cell::new((0, Duration::ZERO)) };
}

/// The calls made and wall time spent in them on this thread since the
/// last take (turmoil runs every host on the thread that steps the world).
pub fn take_exchange_meter() -> (u64, Duration) {
    EXCHANGES.with(|m| m.replace((0, Duration::ZERO)))
}

/// `call` to the mock, on the meter.
pub(crate) fn metered<T>(call: impl FnOnce() -> T) -> T {
    let t = Instant::now();
    let out = call();
    let spent = t.elapsed();
    EXCHANGES.with(|m| {
        let (n, d) = m.get();
        m.set((n + 1, d + spent));
    });
    out
}
