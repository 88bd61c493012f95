//! `pushsim bench --only mocks`: a mock left running, as `mocks serve` runs it
//! (the bounded shell), under 200,000 requests, and the same through wiremock
//! trimmed as the runner trims it. Memory must stay flat after warm-up.

use crate::core::model::Vendor;
use crate::core::time::SimTime;
use crate::mock::client;
use crate::mock::fleet::{MockFleet, ShellKind};
use std::time::Instant;

const REQUESTS: usize = 200_000;
const WARM_UP: usize = 20_000;

/// Resident memory now (Linux `VmRSS`), in KiB.
fn rss_kib() -> Option<u64> {
    super::proc_status_kib("VmRSS")
}

/// Prints requests per second and the memory after warm-up and at the end,
/// for the shell `mocks serve` uses and for the trimmed wiremock shell.
pub fn line() {
    for (name, kind) in [
        ("mocks serve (bounded shell)", ShellKind::Bounded),
        ("wiremock, trimmed between requests", ShellKind::Wiremock),
    ] {
        match figure(kind) {
            Ok((per_s, warm, end)) => {
                let ratio = end as f64 / warm.max(1) as f64;
                println!(
                    "mocks: {name}: {REQUESTS} Huawei sends at {per_s:.0}/s; RSS {} MiB after {WARM_UP}, {} MiB after {REQUESTS} = {ratio:.2}× (goal ≤ 1.10×)",
                    warm / 1024,
                    end / 1024
                );
            }
            Err(e) => println!("mocks: {name}: skipped ({e})"),
        }
    }
}

/// The figure in a process of its own (`pushsim bench --only mocks`): it
/// reads the process's resident memory, and after the other figures that
/// includes what they freed, which the allocator hands back while this one
/// runs (it read 0.08–0.17× after them, 1.00× alone).
pub fn line_alone() {
    match super::in_own_process(&["bench", "--only", "mocks"]) {
        Ok(out) => out
            .lines()
            .filter(|l| l.starts_with("mocks:"))
            .for_each(|l| println!("{l}")),
        Err(e) => println!("mocks: skipped (cannot start a process: {e})"),
    }
}

fn figure(kind: ShellKind) -> Result<(f64, u64, u64), String> {
    let fallback = std::sync::Arc::new(|| SimTime(0));
    let fleet =
        MockFleet::start_with(&[Vendor::Huawei], fallback, kind).map_err(|e| e.to_string())?;
    let super::Exchange {
        base,
        request: req,
        now,
    } = super::ready_send(&fleet, Vendor::Huawei)?;
    let mut warm = 0;
    let t = Instant::now();
    for i in 0..REQUESTS {
        let resp = client::call(&base, &req, now).map_err(|e| e.to_string())?;
        if resp.status != 200 {
            return Err(format!("request {i} answered {}", resp.status));
        }
        fleet.trim(); // a no-op for the bounded shell
        if i + 1 == WARM_UP {
            warm = rss_kib().ok_or("no /proc")?;
        }
    }
    let per_s = REQUESTS as f64 / t.elapsed().as_secs_f64();
    Ok((per_s, warm, rss_kib().ok_or("no /proc")?))
}
