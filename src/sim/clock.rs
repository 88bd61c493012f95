//! The only reader of turmoil's clock. Inside a host, calendar time is the
//! scenario start plus the host's elapsed network time plus the time skipped
//! by the runner while the world was quiet.

use super::shared::Shared;
use crate::core::time::SimTime;
use crate::run::trace::Event;

/// Calendar time now, read inside a turmoil host.
pub fn host_now(shared: &Shared) -> SimTime {
    shared.calendar(turmoil::elapsed())
}

/// Network time now inside a turmoil host, in ms (heartbeats live on it).
pub fn host_network_ms() -> i64 {
    turmoil::elapsed().as_millis() as i64
}

/// The moment `after` from now on the host's network clock: tokio's clock,
/// paused inside turmoil and moved only by its ticks (a wall clock it is
/// not; `tests/tidy.rs` lets this file, and only it, read it).
pub fn host_network_deadline(after: std::time::Duration) -> tokio::time::Instant {
    tokio::time::Instant::now() + after
}

/// Records an event at the host's calendar time.
pub fn record(shared: &Shared, event: Event) {
    shared.record_at(host_now(shared), event);
}
