//! Builds the turmoil world for a plan: three hosts (`vendors`, `im`,
//! `devices`), a fixed one-tick latency, a seeded RNG, and a duration limit the
//! runner never reaches. Few hosts on purpose: a step costs every host a scan of
//! every link (DESIGN.md).

use super::dispatch;
use super::shared::{ApiOrder, DeviceOrder, Shared};
use super::{device_host, im_host, vendor_host};
use crate::core::model::Vendor;
use crate::scenario::plan::Plan;
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;
use std::time::Duration;
use tokio::sync::mpsc::{unbounded_channel, UnboundedReceiver, UnboundedSender};

/// Host names (a world with more than [`DEVICES_PER_HOST`] devices adds
/// `devices-2`, `devices-3`, …).
pub const HOSTS: [&str; 3] = ["vendors", "im", "devices"];

/// Devices one `devices` host carries: a connection takes one of the host's
/// ephemeral ports (1024..=65535 here), and a reconnect takes a fresh one
/// while the old may still be closing; a world with more devices gets more
/// device hosts, so a 100,000-device scenario runs instead of panicking.
pub const DEVICES_PER_HOST: usize = 30_000;

/// Which device host carries the device at `index` of the plan's sorted devices.
pub fn device_host_of(index: usize) -> usize {
    index / DEVICES_PER_HOST
}

/// The runner's handles on a built world.
pub struct World<'a> {
    /// The simulation.
    pub sim: turmoil::Sim<'a>,
    /// Orders to the `im` host's API.
    pub api: UnboundedSender<ApiOrder>,
    /// Orders to the devices, one sender per device host (see [`device_host_of`]).
    pub devices: Vec<UnboundedSender<DeviceOrder>>,
}

fn once<T>(value: T) -> impl Fn() -> T {
    let cell = RefCell::new(Some(value));
    move || {
        cell.borrow_mut()
            .take()
            .expect("hosts are started once; nothing bounces them")
    }
}

/// Builds the world. `base_urls` are the running mock vendors.
pub fn build<'a>(
    plan: &Plan,
    seed: u64,
    shared: Rc<Shared>,
    base_urls: BTreeMap<Vendor, String>,
    dispatch_config: dispatch::Config,
) -> World<'a> {
    let tick = Duration::from_millis(plan.tick_ms);
    let mut sim = turmoil::Builder::new()
        .tick_duration(tick)
        .simulation_duration(Duration::from_secs(10 * 365 * 86_400))
        .min_message_latency(Duration::from_millis(1))
        .max_message_latency(Duration::from_millis(1))
        .tcp_capacity(1 << 16)
        .ephemeral_ports(1024..=65535)
        .rng_seed(seed)
        .build();
    let (api_tx, api_rx) = unbounded_channel();

    let urls = Rc::new(base_urls);
    sim.host("vendors", move || vendor_host::serve(urls.clone()));

    let im_args = once((shared.clone(), plan.server.clone(), dispatch_config, api_rx));
    sim.host("im", move || {
        let (shared, config, dcfg, rx): (Rc<Shared>, _, _, UnboundedReceiver<ApiOrder>) = im_args();
        im_host::serve(shared, config, dcfg, rx)
    });

    let hosts = plan.devices.len().div_ceil(DEVICES_PER_HOST).max(1);
    let mut devices = Vec::with_capacity(hosts);
    for n in 0..hosts {
        let (dev_tx, dev_rx) = unbounded_channel();
        devices.push(dev_tx);
        let dev_args = once((shared.clone(), dev_rx));
        let name = match n {
            0 => HOSTS[2].to_string(),
            n => format!("{}-{}", HOSTS[2], n + 1),
        };
        sim.host(name, move || {
            let (shared, rx) = dev_args();
            device_host::serve(shared, rx)
        });
    }
    World {
        sim,
        api: api_tx,
        devices,
    }
}
