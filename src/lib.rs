//! pushsim: a deterministic simulation and conformance harness for the offline
//! push pipeline of an instant-messaging service.
//!
//! The module list below is a map of the code; ARCHITECTURE.md tells the story.
//! - [`core`]: the reference pipeline's pure decision core (no IO, no clock).
//! - [`vendor`]: vendor wire formats (encode, classify, decode), no network.
//! - [`scenario`]: YAML scenario → [`scenario::plan::Plan`] or diagnostics.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod core;
pub mod scenario;
pub mod vendor;
