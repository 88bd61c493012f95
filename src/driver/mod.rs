//! The driver protocol: how pushsim drives a push implementation it does not
//! contain (`docs/driver-protocol.md`). `protocol.rs` the messages,
//! `client.rs` the driver's side (a [`crate::run::target::Target`] over
//! HTTP), `serve.rs` the reference pipeline behind the protocol
//! (`pushsim serve`), `mutant.rs` its deliberately broken variants.

pub mod client;
pub mod mutant;
pub mod protocol;
pub mod serve;
