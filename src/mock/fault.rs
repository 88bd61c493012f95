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
    /// `rate_limited` for one device only: sends carrying this device token
    /// (a per-device message rate, FCM's "device message rate"); others pass.
    pub device_token: Option<String>,
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
    /// Only sends carrying this device token are affected.
    pub device_token: Option<String>,
}

/// The fault names, in the order messages list them.
pub const FAULT_NAMES: &str =
    "rate_limited, daily_quota, server_error, auth_expired, slow, garbage";

/// The longest duration a fault setting takes (`for`, `retry_after`, `latency`):
/// longer ones are typos, and would overflow the calendar arithmetic.
pub const MAX_FAULT_MS: i64 = 30 * 86_400_000;

/// A fault as text: the keys of a scenario's `vendor_fault` step and of the
/// mocks' `POST /__pushsim/faults` body, read by [`FaultSpec::parse`].
#[derive(Clone, Debug, Default)]
pub struct FaultText<'a> {
    /// `rate_limited`, `daily_quota`, … ([`FAULT_NAMES`]).
    pub fault: &'a str,
    /// `rate_limited`: the Retry-After sent (default `30s`).
    pub retry_after: Option<&'a str>,
    /// `slow`: how late answers arrive.
    pub latency: Option<&'a str>,
    /// `garbage`: `empty`, `html` or `truncated`.
    pub body: Option<&'a str>,
    /// How long the fault lasts.
    pub for_: Option<&'a str>,
    /// How many requests it affects.
    pub count: Option<u32>,
}

/// One problem with a [`FaultText`]: the key it is about (`""`: the whole fault).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FaultError {
    /// Offending key.
    pub key: &'static str,
    /// What is wrong.
    pub message: String,
    /// How to fix it.
    pub help: Option<String>,
}

impl FaultError {
    fn new(key: &'static str, message: String, help: Option<String>) -> FaultError {
        FaultError { key, message, help }
    }
}

impl FaultSpec {
    /// Reads a fault from its text; every problem found is reported.
    pub fn parse(t: &FaultText<'_>) -> Result<FaultSpec, Vec<FaultError>> {
        let mut errors = Vec::new();
        let mut duration = |key: &'static str, text: Option<&str>| match text {
            None => None,
            Some(text) => match crate::scenario::at::parse_duration_ms(text.trim()) {
                Some(ms) if ms > 0 && ms <= MAX_FAULT_MS => Some(ms),
                Some(ms) if ms > MAX_FAULT_MS => {
                    errors.push(FaultError::new(
                        key,
                        format!("`{text}` is longer than a fault can last (30d)"),
                        None,
                    ));
                    None
                }
                _ => {
                    errors.push(FaultError::new(
                        key,
                        format!("cannot read `{text}` as a positive duration"),
                        Some("e.g. `30s`, `10m`, `2h`".into()),
                    ));
                    None
                }
            },
        };
        let for_ms = duration("for", t.for_);
        let retry_after = duration("retry_after", t.retry_after);
        let latency = duration("latency", t.latency);
        let f = t.fault;
        for (key, present, owner) in [
            ("retry_after", t.retry_after.is_some(), "rate_limited"),
            ("latency", t.latency.is_some(), "slow"),
            ("body", t.body.is_some(), "garbage"),
        ] {
            if present && f != owner {
                errors.push(FaultError::new(
                    key,
                    format!("`{key}` does not apply to `{f}`"),
                    None,
                ));
            }
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        let kind = match f {
            "rate_limited" => FaultKind::RateLimited {
                retry_after_s: (retry_after.unwrap_or(30_000) / 1000).max(1) as u64,
            },
            "daily_quota" => FaultKind::DailyQuota,
            "server_error" => FaultKind::ServerError,
            "auth_expired" => FaultKind::AuthExpired,
            "slow" => match latency {
                Some(ms) => FaultKind::Slow {
                    latency_ms: ms as u64,
                },
                None => {
                    let help = Some("e.g. `latency: 15s`".into());
                    let e = FaultError::new("fault", "`slow` needs `latency`".into(), help);
                    return Err(vec![e]);
                }
            },
            "garbage" => match t.body.unwrap_or("empty") {
                "empty" => FaultKind::Garbage(Garbage::Empty),
                "html" => FaultKind::Garbage(Garbage::Html),
                "truncated" => FaultKind::Garbage(Garbage::Truncated),
                other => {
                    let help = Some("expected one of: empty, html, truncated".into());
                    let msg = format!("unknown garbage body `{other}`");
                    return Err(vec![FaultError::new("body", msg, help)]);
                }
            },
            other => {
                let help = if other.contains("invalid") && other.contains("token") {
                    // One token going bad is not a vendor-wide fault: it has its own step.
                    "a token the vendor rejects is the step `invalidate_token: { device: bob/phone }` (or `{ vendor: fcm, token: … }`); faults make the whole vendor misbehave: ".to_string() + FAULT_NAMES
                } else {
                    match crate::scenario::diag::did_you_mean(other, FAULT_NAMES.split(", ")) {
                        Some(s) => format!("did you mean `{s}`? faults: {FAULT_NAMES}"),
                        None => format!("faults: {FAULT_NAMES}"),
                    }
                };
                let msg = format!("unknown fault `{other}`");
                return Err(vec![FaultError::new("fault", msg, Some(help))]);
            }
        };
        if kind == FaultKind::AuthExpired && (for_ms.is_some() || t.count.is_some()) {
            let msg = "`auth_expired` happens once; it takes no `for` or `count`".into();
            return Err(vec![FaultError::new("", msg, None)]);
        }
        if t.count == Some(0) {
            let msg = "`count` must be at least 1".into();
            return Err(vec![FaultError::new("count", msg, None)]);
        }
        Ok(FaultSpec {
            kind,
            duration_ms: for_ms,
            count: t.count,
            device_token: None,
        })
    }
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
            device_token: spec.device_token.clone(),
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
