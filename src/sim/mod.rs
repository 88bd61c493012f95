//! The simulated world: the only module that imports turmoil. Hosts `im`
//! (reference pipeline shell), `devices` (SDK-like clients, one task each) and
//! `vendors` (bridge to the wiremock vendors), plus the shared calendar clock
//! and ledger the runner uses to skip quiet time.

pub mod clock;
pub mod device_host;
pub mod dispatch;
pub mod im_host;
pub mod meter;
pub mod shared;
pub mod vendor_host;
pub mod wire;
pub mod world;

/// The size of the future a task function returns: the state its task
/// holds for as long as it runs (tests keep it small).
#[cfg(test)]
fn future_size<Args, F: TaskFn<Args>>(_: &F) -> usize {
    std::mem::size_of::<F::Fut>()
}

/// A task function of two or three arguments, for [`future_size`].
#[cfg(test)]
trait TaskFn<Args> {
    type Fut;
}

#[cfg(test)]
impl<A, B, Fut, F: FnOnce(A, B) -> Fut> TaskFn<(A, B)> for F {
    type Fut = Fut;
}

#[cfg(test)]
impl<A, B, C, Fut, F: FnOnce(A, B, C) -> Fut> TaskFn<(A, B, C)> for F {
    type Fut = Fut;
}
