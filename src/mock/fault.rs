//! Hostile vendor behaviour, injected by a scenario's `vendor_fault` step and
//! judged on the calendar clock the bridge sends with each request, so fault
//! windows and quotas follow the scenario deterministically.

use crate::core::model::Vendor;
use crate::core::time::{SimTime, Zone};

/// What goes wrong.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FaultKind {
    /// Sends answer the vendor's rate-limit error (with Retry-After where the
    /// vendor sends one).
    RateLimited {
        /// Retry-After, seconds.
        retry_after_s: u64,
    },
    /// Sends answer the vendor's daily-quota error.
    DailyQuota,
    /// Every request answers the vendor's 5xx.
    ServerError,
    /// The vendor forgets every access token it issued (they expire now).
    AuthExpired,
    /// Answers arrive late (virtual latency, added by the bridge).
    Slow {
        /// Latency, virtual milliseconds.
        latency_ms: u64,
    },
    /// Answers that are not the vendor's protocol.
    Garbage(Garbage),
}

/// Kinds of garbage.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Garbage {
    /// 200 with an empty body.
    Empty,
    /// 502 with a proxy's HTML page.
    Html,
    /// The real answer cut in half.
    Truncated,
}

impl FaultKind {
    /// The scenario spelling.
    pub fn name(&self) -> &'static str {
        match self {
            FaultKind::RateLimited { .. } => "rate_limited",
            FaultKind::DailyQuota => "daily_quota",
            FaultKind::ServerError => "server_error",
            FaultKind::AuthExpired => "auth_expired",
            FaultKind::Slow { .. } => "slow",
            FaultKind::Garbage(_) => "garbage",
        }
    }

    /// Whether only send requests are affected (not the auth endpoint).
    pub fn sends_only(&self) -> bool {
        matches!(self, FaultKind::RateLimited { .. } | FaultKind::DailyQuota)
    }
}

/// A fault as a scenario declares it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FaultSpec {
    /// What.
    pub kind: FaultKind,
    /// For how long from the step (virtual ms); `None` with `count: None`
    /// means the default: one request, or the rest of the vendor's day for a
    /// daily quota.
    pub duration_ms: Option<i64>,
    /// For how many affected requests.
    pub count: Option<u32>,
}

/// A fault in force at a mock.
#[derive(Clone, Debug)]
pub struct ActiveFault {
    /// What.
    pub kind: FaultKind,
    /// Ends at (exclusive).
    pub until: Option<SimTime>,
    /// Requests left.
    pub remaining: Option<u32>,
}

impl ActiveFault {
    /// The fault a spec starts at `now` for `vendor`.
    pub fn start(vendor: Vendor, spec: &FaultSpec, now: SimTime) -> ActiveFault {
        let (until, remaining) = match (spec.duration_ms, spec.count) {
            (None, None) if spec.kind == FaultKind::DailyQuota => {
                (Some(vendor_midnight(vendor, now)), None)
            }
            (None, None) => (None, Some(1)),
            (d, c) => (d.map(|ms| now.plus_ms(ms)), c),
        };
        ActiveFault {
            kind: spec.kind.clone(),
            until,
            remaining,
        }
    }

    /// Whether it applies at `now`.
    pub fn active(&self, now: SimTime) -> bool {
        self.until.is_none_or(|u| now < u) && self.remaining != Some(0)
    }

    /// Counts one affected request.
    pub fn consume(&mut self) {
        if let Some(n) = self.remaining.as_mut() {
            *n = n.saturating_sub(1);
        }
    }
}

/// The next midnight of the vendor's day: Beijing time for the Chinese
/// vendors (their consoles count quotas per calendar day in UTC+8), UTC for FCM.
pub fn vendor_midnight(vendor: Vendor, now: SimTime) -> SimTime {
    let zone = vendor_zone(vendor);
    let date = zone.local(now).date;
    zone.instant_of(date.succ_opt().unwrap_or(date), 0)
}

/// The zone a vendor counts its days in.
pub fn vendor_zone(vendor: Vendor) -> Zone {
    match vendor {
        Vendor::Fcm => Zone::parse("UTC"),
        _ => Zone::parse("+08:00"),
    }
    .expect("fixed offsets parse")
}
