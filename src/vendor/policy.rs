//! The pipeline's reaction to a vendor's answer (issue 3; VENDORS.md §9.1):
//! refresh an expired access token once, wait out a rate limit (Retry-After,
//! capped at a day), back off on 5xx and timeouts, stop a cert for the day on
//! an exhausted quota, give up with a reason on anything else.
//!
//! Sans-IO, like `core::server::Server`: a vendor result and `now` in, a
//! [`Reaction`] out; the shell (`sim/dispatch.rs`) does the sending, the
//! waiting and the recording. No randomness either: a backoff comes back as
//! its base and the shell adds the seeded jitter.

use super::VendorResult;
use crate::core::io::PushFeedback;
use crate::core::model::Vendor;
use crate::core::time::{SimTime, Zone};

/// A request with no answer after this long (virtual) counts as failed.
pub const REQUEST_TIMEOUT_MS: u64 = 10_000;
/// 5xx, timeouts and transport failures: at most this many attempts.
pub const MAX_ATTEMPTS: u32 = 5;
/// Backoff before retry n (1-based): `BASE · 2^(n-1)` plus a seeded jitter
/// in `[0, 50%)`, so retries of many pipelines do not synchronise.
pub const BACKOFF_BASE_MS: i64 = 1_000;
/// A 429 without Retry-After waits this long (FCM: back off ≥ 1 min).
pub const DEFAULT_RETRY_AFTER_MS: u64 = 60_000;
/// At most this many rate-limit waits per push, then give up.
pub const MAX_RATE_LIMIT_WAITS: u32 = 3;
/// A Retry-After longer than this (one day) is not waited for: the push
/// is given up at once, with the vendor's wait in the reason. A message
/// a day late is no longer a notification.
pub const MAX_RETRY_AFTER_MS: i64 = 86_400_000;

/// What a job's attempts so far have used up of the policy.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Progress {
    /// The access token was refreshed once already.
    pub refreshed: bool,
    /// 5xx / timeouts so far.
    pub failures: u32,
    /// Rate-limit waits so far.
    pub rate_waits: u32,
}

impl Progress {
    /// The number of the attempt that follows (2 = first retry).
    fn next_attempt(&self) -> u32 {
        self.rate_waits + self.failures + 1
    }
}

/// What to do next with a job.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reaction {
    /// The job is over: tell the core (accepted, or the token is invalid).
    Done(PushFeedback),
    /// Drop the cached access token and send again.
    Refresh,
    /// The cert's lane waits, then sends again.
    Wait {
        /// Virtual milliseconds.
        wait_ms: i64,
        /// The attempt that follows.
        attempt: u32,
        /// Why, for the trace.
        why: String,
    },
    /// Only this device waits (its own message rate): the job goes aside
    /// until `until`, the lane goes on.
    DeviceWait {
        /// Virtual milliseconds.
        wait_ms: i64,
        /// The attempt that follows.
        attempt: u32,
        /// Why, for the trace.
        why: String,
    },
    /// Back off `base_ms` plus the shell's seeded jitter, then send again.
    Backoff {
        /// The backoff before jitter.
        base_ms: i64,
        /// The attempt that follows.
        attempt: u32,
        /// The vendor's reason.
        why: String,
    },
    /// No sends on this cert until `until` (the vendor's midnight); this job
    /// is given up with `reason`.
    QuotaStop {
        /// When the vendor's day rolls over.
        until: SimTime,
        /// Why the job is given up.
        reason: String,
    },
    /// Give the job up.
    GiveUp(String),
}

/// Reacts to the answer of a send (or a failed token exchange's result,
/// through [`react_auth`]). `rate_wait_override_ms` replaces every
/// Retry-After (a mutant; `None` otherwise).
pub fn react(
    result: VendorResult,
    progress: &mut Progress,
    now: SimTime,
    vendor: Vendor,
    cert: &str,
    rate_wait_override_ms: Option<i64>,
) -> Reaction {
    match result {
        VendorResult::Ok { .. } => Reaction::Done(PushFeedback::Delivered),
        VendorResult::InvalidToken { reason } => {
            Reaction::Done(PushFeedback::InvalidToken { reason })
        }
        VendorResult::AuthExpired { .. } if !progress.refreshed => {
            progress.refreshed = true;
            Reaction::Refresh
        }
        VendorResult::RateLimited {
            retry_after_ms,
            reason,
            per_device,
        } if progress.rate_waits < MAX_RATE_LIMIT_WAITS => {
            progress.rate_waits += 1;
            let wait_ms = match rate_wait_override_ms.map_or_else(|| rate_wait(retry_after_ms), Ok)
            {
                Ok(wait) => wait,
                Err(why) => return Reaction::GiveUp(format!("{why}: {reason}")),
            };
            let attempt = progress.next_attempt();
            if per_device {
                let why = format!("this device rate limited: {reason}");
                Reaction::DeviceWait {
                    wait_ms,
                    attempt,
                    why,
                }
            } else {
                let why = format!("rate limited: {reason}");
                Reaction::Wait {
                    wait_ms,
                    attempt,
                    why,
                }
            }
        }
        VendorResult::ServerError { reason } if progress.failures + 1 < MAX_ATTEMPTS => {
            progress.failures += 1;
            Reaction::Backoff {
                base_ms: BACKOFF_BASE_MS << (progress.failures - 1),
                attempt: progress.next_attempt(),
                why: reason,
            }
        }
        VendorResult::DailyQuota { reason } => Reaction::QuotaStop {
            until: crate::mock::fault::vendor_midnight(vendor, now),
            reason: format!(
                "daily quota: {reason}; no sends on cert {cert} until the vendor's day rolls over"
            ),
        },
        VendorResult::ServerError { reason } => {
            Reaction::GiveUp(format!("{MAX_ATTEMPTS} attempts failed, last: {reason}"))
        }
        VendorResult::RateLimited { reason, .. } => Reaction::GiveUp(format!(
            "still rate limited after {MAX_RATE_LIMIT_WAITS} waits: {reason}"
        )),
        VendorResult::AuthExpired { reason } => {
            Reaction::GiveUp(format!("auth expired again after a refresh: {reason}"))
        }
        other => Reaction::GiveUp(describe(&other)),
    }
}

/// Reacts to a token exchange that gave no token: wrong credentials and
/// garbage are given up at once; the rest (5xx, rate limits, timeouts) as a
/// send's answer would be.
pub fn react_auth(
    result: VendorResult,
    progress: &mut Progress,
    now: SimTime,
    vendor: Vendor,
    cert: &str,
    rate_wait_override_ms: Option<i64>,
) -> Reaction {
    match result {
        VendorResult::AuthConfig { reason } => Reaction::GiveUp(format!("auth failed: {reason}")),
        VendorResult::Garbage { reason } => {
            Reaction::GiveUp(format!("auth failed: garbage response: {reason}"))
        }
        other => react(other, progress, now, vendor, cert, rate_wait_override_ms),
    }
}

/// Why a cert may not send at `now`: its daily quota ran out until `until`.
pub fn quota_closed(
    until: Option<SimTime>,
    now: SimTime,
    vendor: Vendor,
    cert: &str,
) -> Option<String> {
    let until = until.filter(|u| now < *u)?;
    let zone: Zone = crate::mock::fault::vendor_zone(vendor);
    Some(format!(
        "daily quota of cert {cert} exhausted until {}",
        zone.format(until)
    ))
}

/// How long to wait on a rate limit: the vendor's Retry-After (60 s if it
/// gave none), or why not to wait at all (over [`MAX_RETRY_AFTER_MS`]).
pub fn rate_wait(retry_after_ms: Option<u64>) -> Result<i64, String> {
    let wait = retry_after_ms.unwrap_or(DEFAULT_RETRY_AFTER_MS) as i64;
    if wait > MAX_RETRY_AFTER_MS {
        return Err(format!(
            "Retry-After of {} s is over the {} h the pipeline waits",
            wait / 1000,
            MAX_RETRY_AFTER_MS / 3_600_000
        ));
    }
    Ok(wait)
}

/// One-line description of a vendor result, as outcomes print it.
pub fn describe(r: &VendorResult) -> String {
    match r {
        VendorResult::Ok { .. } => "ok".into(),
        VendorResult::InvalidToken { reason } => format!("invalid token: {reason}"),
        VendorResult::AuthExpired { reason } => format!("auth expired: {reason}"),
        VendorResult::AuthConfig { reason } => format!("auth config: {reason}"),
        VendorResult::RateLimited {
            retry_after_ms,
            reason,
            per_device,
        } => {
            let what = if *per_device {
                "device rate limited"
            } else {
                "rate limited"
            };
            match retry_after_ms {
                Some(ms) => format!("{what} (retry after {ms} ms): {reason}"),
                None => format!("{what}: {reason}"),
            }
        }
        VendorResult::DailyQuota { reason } => format!("daily quota: {reason}"),
        VendorResult::InvalidArgument { reason } => format!("invalid argument: {reason}"),
        VendorResult::ServerError { reason } => format!("server error: {reason}"),
        VendorResult::Garbage { reason } => format!("garbage response: {reason}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: SimTime = SimTime(1_772_416_800_000);

    fn go(result: VendorResult, p: &mut Progress) -> Reaction {
        react(result, p, NOW, Vendor::Fcm, "fcm-prod", None)
    }

    fn server_error() -> VendorResult {
        VendorResult::ServerError {
            reason: "503".into(),
        }
    }

    #[test]
    fn server_errors_back_off_doubling_then_give_up_on_the_fifth() {
        let mut p = Progress::default();
        let bases: Vec<i64> = (0..4)
            .map(|_| match go(server_error(), &mut p) {
                Reaction::Backoff { base_ms, .. } => base_ms,
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(bases, [1_000, 2_000, 4_000, 8_000]);
        assert_eq!(
            go(server_error(), &mut p),
            Reaction::GiveUp("5 attempts failed, last: 503".into())
        );
    }

    #[test]
    fn an_expired_token_is_refreshed_once() {
        let mut p = Progress::default();
        let expired = || VendorResult::AuthExpired {
            reason: "401".into(),
        };
        assert_eq!(go(expired(), &mut p), Reaction::Refresh);
        assert!(
            matches!(go(expired(), &mut p), Reaction::GiveUp(r) if r.starts_with("auth expired again"))
        );
    }

    #[test]
    fn rate_limits_wait_retry_after_three_times_and_never_over_a_day() {
        let limited = |ms| VendorResult::RateLimited {
            retry_after_ms: Some(ms),
            reason: "429".into(),
            per_device: false,
        };
        let mut p = Progress::default();
        for attempt in 2..=4 {
            assert_eq!(
                go(limited(30_000), &mut p),
                Reaction::Wait {
                    wait_ms: 30_000,
                    attempt,
                    why: "rate limited: 429".into()
                }
            );
        }
        assert!(
            matches!(go(limited(30_000), &mut p), Reaction::GiveUp(r) if r.starts_with("still rate limited after 3 waits"))
        );
        let mut p = Progress::default();
        assert!(
            matches!(go(limited(86_400_001), &mut p), Reaction::GiveUp(r) if r.contains("over the 24 h"))
        );
        let mut p = Progress::default();
        let r = react(limited(30_000), &mut p, NOW, Vendor::Fcm, "c", Some(1_000));
        assert!(matches!(r, Reaction::Wait { wait_ms: 1_000, .. }), "{r:?}");
    }

    #[test]
    fn a_daily_quota_stops_the_cert_until_the_vendors_midnight() {
        let mut p = Progress::default();
        let r = go(
            VendorResult::DailyQuota {
                reason: "quota".into(),
            },
            &mut p,
        );
        let Reaction::QuotaStop { until, .. } = r else {
            panic!("{r:?}")
        };
        assert!(until > NOW && until.ms_since(NOW) <= 86_400_000);
        assert!(quota_closed(Some(until), NOW, Vendor::Fcm, "c").is_some());
        assert!(quota_closed(Some(until), until, Vendor::Fcm, "c").is_none());
    }
}
