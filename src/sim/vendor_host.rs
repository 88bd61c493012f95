//! The `vendors` host: a bridge that forwards each HTTP exchange from the `im`
//! host to the vendor's wiremock MockServer on loopback, with a blocking call.
//! The call takes no virtual time, so the exchange stays deterministic
//! (DESIGN.md: `enable_tokio_io` would not be). The calendar time travels with
//! the call so the mock judges token expiry and quotas by the scenario clock.

use super::wire::{read_frame, write_frame, BridgeCall, BridgeReply, BRIDGE_PORT};
use crate::core::model::Vendor;
use crate::core::time::SimTime;
use crate::mock::LATENCY_HEADER;
use std::collections::BTreeMap;
use std::rc::Rc;

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
            Some(base) => super::meter::metered(|| {
                crate::mock::client::call(base, &call.request, SimTime(call.now_ms))
            })
            .map_err(|e| e.to_string()),
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
