//! pushsim: a deterministic simulation and conformance harness for the offline
//! push pipeline of an instant-messaging service.
//!
//! The module list below is a map of the code; ARCHITECTURE.md tells the story.
//! - [`core`]: the reference pipeline's pure decision core (no IO, no clock).
//! - [`vendor`]: vendor wire formats (encode, classify, decode), no network.
//! - [`scenario`]: YAML scenario → [`scenario::plan::Plan`] or diagnostics.
//! - [`mock`]: the wiremocked vendors (pure models, wiremock as the shell).
//! - [`sim`]: the turmoil world: `im` host, devices, vendor bridge.
//! - [`run`]: drives a plan through the world; the trace.
//! - [`outcome`]: trace → outcome, expectations, snapshot text.
//! - [`coverage`]: which scenarios cite each RULES.md rule; the coverage gate.
//! - [`snapshot`], [`cli`], [`bench`]: the edges.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod bench;
pub mod catalogue;
pub mod cli;
pub mod conform;
pub mod core;
pub mod coverage;
pub mod driver;
pub mod http_thread;
pub mod mock;
pub mod outcome;
pub mod run;
pub mod scenario;
pub mod sim;
pub mod snapshot;
pub mod vendor;
