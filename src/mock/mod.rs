//! The wiremocked vendors.
//!
//! Each vendor's behaviour is a pure model ([`model::Model`]: request + calendar
//! time → response, with its own state of issued auth tokens and invalid device
//! tokens), declared in `mocks/<vendor>.yaml` (routes, checks, responses) with
//! the stateful parts in `mock/<vendor>.rs`. wiremock is only the shell
//! ([`shell`]); [`fleet`] starts one MockServer per vendor for a run and
//! [`client`] is the blocking HTTP client the simulation's bridge uses.

pub mod bounded;
pub mod client;
pub mod control;
pub mod fault;
pub mod fcm;
pub mod fleet;
pub mod honor;
pub mod huawei;
pub mod journal;
pub mod meizu;
pub mod model;
pub mod oppo;
pub mod serve;
pub mod shell;
pub mod spec;
pub mod vivo;
pub mod xiaomi;

/// The header that carries the calendar time (ms since the Unix epoch) from the
/// simulation to the mocks, so that token expiry and fault windows follow the
/// scenario clock.
pub const NOW_HEADER: &str = "x-pushsim-now";

/// The header a mock sets to make the bridge hold its answer back for that
/// many virtual milliseconds (the `slow` fault); the bridge removes it.
pub const LATENCY_HEADER: &str = "x-pushsim-latency-ms";
