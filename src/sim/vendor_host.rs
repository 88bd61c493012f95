//! The `vendors` host: a bridge that forwards each HTTP exchange from the `im`
//! host to the vendor's wiremock MockServer on loopback, with a blocking call.
//! The call takes no virtual time, so the exchange stays deterministic
//! (DESIGN.md: `enable_tokio_io` would not be). The calendar time travels with
//! the call so the mock judges token expiry and quotas by the scenario clock.

use super::wire::{read_frame, write_frame, BridgeCall, BridgeReply, BRIDGE_PORT};
use crate::core::model::Vendor;
use crate::core::time::SimTime;
use crate::mock::LATENCY_HEADER;
use std::cell::Cell;
use std::collections::BTreeMap;
use std::rc::Rc;
use std::time::{Duration, Instant};

thread_local! {
    /// Wall time this thread spent in blocking vendor calls, and how many:
    /// what `pushsim bench` sets against bare round trips (a call inside a
    /// run finds colder caches than the same call in a tight loop). It is a
    /// meter on the harness's side of the bridge: nothing in the simulation
    /// reads it, so no wall-clock time reaches a trace.
    static EXCHANGES: Cell<(u64, Duration)> = const { Cell::new((0, Duration::ZERO)) };
}

/// The calls made and wall time spent in them on this thread since the
/// last take (turmoil runs every host on the thread that steps the world).
pub fn take_exchange_meter() -> (u64, Duration) {
    EXCHANGES.with(|m| m.replace((0, Duration::ZERO)))
}

/// `call` to the mock, on the meter.
fn metered<T>(call: impl FnOnce() -> T) -> T {
    let t = Instant::now();
    let out = call();
    let spent = t.elapsed();
    EXCHANGES.with(|m| {
        let (n, d) = m.get();
        m.set((n + 1, d + spent));
    });
    out
}

/// Runs the bridge until the simulation ends.
pub(crate) async fn serve(base_urls: Rc<BTreeMap<Vendor, String>>) -> turmoil::Result {
    let listener = turmoil::net::TcpListener::bind(("0.0.0.0", BRIDGE_PORT)).await?;
    loop {
        let (stream, _) = listener.accept().await?;
        tokio::task::spawn_local(forward(base_urls.clone(), stream));
    }
}

async fn forward(base_urls: Rc<BTreeMap<Vendor, String>>, mut stream: turmoil::net::TcpStream) {
    while let Ok(Some(call)) = read_frame::<_, BridgeCall>(&mut stream).await {
        let mut response = match Vendor::parse(&call.vendor).and_then(|v| base_urls.get(&v)) {
            Some(base) => {
                metered(|| crate::mock::client::call(base, &call.request, SimTime(call.now_ms)))
                    .map_err(|e| e.to_string())
            }
            None => Err(format!("no mock running for vendor {:?}", call.vendor)),
        };
        // The `slow` fault: hold the answer back in virtual time.
        if let Ok(resp) = response.as_mut() {
            if let Some(i) = resp.headers.iter().position(|(k, _)| k == LATENCY_HEADER) {
                let (_, ms) = resp.headers.remove(i);
                let ms = ms.parse::<u64>().unwrap_or(0);
                tokio::time::sleep(std::time::Duration::from_millis(ms)).await;
            }
        }
        if write_frame(
            &mut stream,
            &BridgeReply {
                id: call.id,
                response,
            },
        )
        .await
        .is_err()
        {
            return;
        }
    }
}
