//! The simulated world: the only module that imports turmoil. Hosts `im`
//! (reference pipeline shell), `devices` (SDK-like clients, one task each) and
//! `vendors` (bridge to the wiremock vendors), plus the shared calendar clock
//! and ledger the runner uses to skip quiet time.

pub mod clock;
pub mod device_host;
pub mod dispatch;
pub mod im_host;
pub mod shared;
pub mod vendor_host;
pub mod wire;
pub mod world;

/// The size of the future a three-argument task function returns: the
/// state its task holds for as long as it runs (tests keep it small).
#[cfg(test)]
fn future_size<A, B, C, Fut, F: FnOnce(A, B, C) -> Fut>(_: &F) -> usize {
    std::mem::size_of::<Fut>()
}
