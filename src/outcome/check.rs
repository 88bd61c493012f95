//! Evaluates a scenario's `expect:` (and its steps' `expect: rejected`)
//! against an outcome. Each mismatch says what was expected and what happened.

use super::summarize::{DecisionRecord, Outcome, PushRecord};
use crate::core::model::{Conversation, DeviceKey};
use crate::core::settings::LevelView;
use crate::core::time::SimTime;
use crate::scenario::plan::{ExpectKind, Plan, PushFilter};

/// One failed expectation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mismatch {
    /// Source line of the expectation or step.
    pub line: u32,
    /// What was expected.
    pub expected: String,
    /// What happened.
    pub actual: String,
}

/// `badge 3`, or `no badge` (never Rust's `Some(3)` / `None`).
fn badge_text(badge: Option<u32>) -> String {
    badge.map_or("no badge".into(), |b| format!("badge {b}"))
}

/// Whether a push, or a decision, of `text` to `device` at `at` is one `f` names.
fn admits(f: &PushFilter, device: &DeviceKey, text: &str, at: SimTime) -> bool {
    f.device.as_ref().is_none_or(|d| d == device)
        && f.text.as_ref().is_none_or(|t| t == text)
        && f.at
            .is_none_or(|from| at >= from && at < from.plus_ms(1000))
}

fn matches(f: &PushFilter, p: &PushRecord) -> bool {
    admits(f, &p.device, &p.text, p.at)
}

fn describe_filter(plan: &Plan, f: &PushFilter) -> String {
    let mut parts = Vec::new();
    if let Some(d) = &f.device {
        parts.push(format!("to {d}"));
    }
    if let Some(t) = &f.text {
        parts.push(format!("of {t:?}"));
    }
    if let Some(at) = f.at {
        parts.push(format!("at {}", plan.display_zone.format(at)));
    }
    if parts.is_empty() {
        "at all".into()
    } else {
        parts.join(" ")
    }
}

fn list(plan: &Plan, pushes: &[&PushRecord]) -> String {
    if pushes.is_empty() {
        return "none".into();
    }
    pushes
        .iter()
        .map(|p| {
            let badge = p
                .notification
                .badge
                .map(|b| format!(" badge {b}"))
                .unwrap_or_default();
            format!(
                "{} {:?} → {} at {}{badge} ({})",
                p.msg,
                p.text,
                p.device,
                fmt(plan, p.at),
                p.result
            )
        })
        .collect::<Vec<_>>()
        .join("; ")
}

fn fmt(plan: &Plan, t: SimTime) -> String {
    plan.display_zone.format(t)
}

/// Whether a read's levels are the expected ones: remind type and window exactly,
/// the expiry within the same second as written (the server stamps the set time
/// when the request arrives, a few network ticks after the step).
fn same_levels(
    got: &[(Option<Conversation>, LevelView)],
    want: &[(Option<Conversation>, LevelView)],
) -> bool {
    got.len() == want.len()
        && got.iter().zip(want).all(|((gc, g), (wc, w))| {
            gc == wc
                && g.remind == w.remind
                && g.window == w.window
                && match (g.expiry, w.expiry) {
                    (None, None) => true,
                    (Some(g), Some(w)) => g >= w && g < w.plus_ms(1000),
                    _ => false,
                }
        })
}

/// All mismatches of `plan`'s expectations in `o`; empty means the scenario passed.
pub fn check(plan: &Plan, o: &Outcome) -> Vec<Mismatch> {
    check_where(plan, o, |_| true)
}

/// The mismatches of the expectations another implementation can show
/// ([`ExpectKind::observable`]): `decided:` names the reference's reasons.
pub fn check_observable(plan: &Plan, o: &Outcome) -> Vec<Mismatch> {
    check_where(plan, o, ExpectKind::observable)
}

fn check_where(plan: &Plan, o: &Outcome, keep: impl Fn(&ExpectKind) -> bool) -> Vec<Mismatch> {
    let mut out = Vec::new();
    let sent: Vec<&PushRecord> = o.pushes.iter().filter(|p| p.accepted()).collect();
    for e in plan.expect.iter().filter(|e| keep(&e.kind)) {
        let fail = |expected: String, actual: String| Mismatch {
            line: e.line,
            expected,
            actual,
        };
        match &e.kind {
            ExpectKind::Push {
                filter,
                title,
                body,
                badge,
                vendor,
            } => {
                let hits: Vec<&PushRecord> = sent
                    .iter()
                    .copied()
                    .filter(|p| matches(filter, p))
                    .collect();
                let want = format!("a push {}", describe_filter(plan, filter));
                if hits.is_empty() {
                    let near: Vec<&PushRecord> = sent
                        .iter()
                        .copied()
                        .filter(|p| filter.device.as_ref().is_none_or(|d| *d == p.device))
                        .collect();
                    out.push(fail(want, format!("pushes: {}", list(plan, &near))));
                    continue;
                }
                let content_ok = |p: &&PushRecord| {
                    title.as_ref().is_none_or(|t| *t == p.notification.title)
                        && body.as_ref().is_none_or(|b| *b == p.notification.body)
                        && badge.is_none_or(|b| Some(b) == p.notification.badge)
                        && vendor.is_none_or(|v| v == p.vendor)
                };
                if !hits.iter().any(content_ok) {
                    let mut want = want;
                    if let Some(t) = title {
                        want.push_str(&format!(" with title {t:?}"));
                    }
                    if let Some(b) = body {
                        want.push_str(&format!(" with body {b:?}"));
                    }
                    if let Some(b) = badge {
                        want.push_str(&format!(" with badge {b}"));
                    }
                    if let Some(v) = vendor {
                        want.push_str(&format!(" via {}", v.name()));
                    }
                    let got = hits
                        .iter()
                        .map(|p| {
                            format!(
                                "{} via {} title {:?} body {:?} {}",
                                p.msg,
                                p.vendor.name(),
                                p.notification.title,
                                p.notification.body,
                                badge_text(p.notification.badge)
                            )
                        })
                        .collect::<Vec<_>>()
                        .join("; ");
                    out.push(fail(want, got));
                }
            }
            ExpectKind::NoPush(filter) | ExpectKind::NoRequest(filter) => {
                // `no_push` looks at accepted pushes, `no_request` at every request.
                let (pool, what) = match &e.kind {
                    ExpectKind::NoPush(_) => (sent.clone(), "no push"),
                    _ => (o.pushes.iter().collect(), "no vendor request"),
                };
                let hits: Vec<&PushRecord> =
                    pool.into_iter().filter(|p| matches(filter, p)).collect();
                if !hits.is_empty() {
                    out.push(fail(
                        format!("{what} {}", describe_filter(plan, filter)),
                        list(plan, &hits),
                    ));
                }
            }
            ExpectKind::Pushes { filter, count } => {
                let hits: Vec<&PushRecord> = sent
                    .iter()
                    .copied()
                    .filter(|p| matches(filter, p))
                    .collect();
                if hits.len() != *count as usize {
                    out.push(fail(
                        format!("{count} push(es) {}", describe_filter(plan, filter)),
                        format!("{}: {}", hits.len(), list(plan, &hits)),
                    ));
                }
            }
            ExpectKind::Badge { filter, value } => {
                let last = sent.iter().copied().rfind(|p| matches(filter, p));
                let want = format!(
                    "badge {value} on the last push {}",
                    describe_filter(plan, filter)
                );
                match last {
                    None => out.push(fail(want, "no such push".into())),
                    Some(p) if p.notification.badge != Some(*value) => out.push(fail(
                        want,
                        format!("{} on {}", badge_text(p.notification.badge), p.msg),
                    )),
                    Some(_) => {}
                }
            }
            ExpectKind::VendorError { filter, contains } => {
                let failed: Vec<&PushRecord> = o
                    .pushes
                    .iter()
                    .filter(|p| !p.accepted() && matches(filter, p))
                    .collect();
                if !failed.iter().any(|p| p.result.contains(contains.as_str())) {
                    out.push(fail(
                        format!(
                            "a vendor error containing {contains:?} {}",
                            describe_filter(plan, filter)
                        ),
                        if failed.is_empty() {
                            "no failed vendor request".into()
                        } else {
                            list(plan, &failed)
                        },
                    ));
                }
            }
            ExpectKind::Settings {
                user,
                query,
                at,
                levels,
            } => {
                use super::settings::{levels_text, query_text};
                let z = &plan.display_zone;
                let read = o.settings_reads.iter().rfind(|(t, _, r)| {
                    r.user == *user
                        && r.query == *query
                        && at.is_none_or(|a| *t >= a && *t < a.plus_ms(1000))
                });
                let mut want = format!(
                    "settings of {user} {}: {}",
                    query_text(query),
                    levels_text(query, levels, z)
                );
                if let Some(a) = at {
                    want.push_str(&format!(" (read at {})", fmt(plan, *a)));
                }
                match read {
                    None => out.push(fail(want, "no such settings read".into())),
                    Some((t, _, r)) if !same_levels(&r.levels, levels) => out.push(fail(
                        want,
                        format!(
                            "read at {}: {}",
                            fmt(plan, *t),
                            levels_text(&r.query, &r.levels, z)
                        ),
                    )),
                    Some(_) => {}
                }
            }
            ExpectKind::Delivered { device, text } => {
                let got = o
                    .received
                    .get(device)
                    .map(Vec::as_slice)
                    .unwrap_or_default();
                if !got.iter().any(|(_, _, t)| t == text) {
                    let seen: Vec<String> =
                        got.iter().map(|(_, m, t)| format!("{m} {t:?}")).collect();
                    out.push(fail(
                        format!("{device} receives {text:?} (online or by sync)"),
                        if seen.is_empty() {
                            "the device received nothing".into()
                        } else {
                            seen.join(", ")
                        },
                    ));
                }
            }
            ExpectKind::NotDelivered { device, text } => {
                let got = o
                    .received
                    .get(device)
                    .map(Vec::as_slice)
                    .unwrap_or_default();
                let hits: Vec<String> = got
                    .iter()
                    .filter(|(_, _, t)| t == text)
                    .map(|(at, m, _)| format!("{m} at {}", plan.display_zone.format(*at)))
                    .collect();
                if !hits.is_empty() {
                    out.push(fail(
                        format!("{device} never receives {text:?}"),
                        format!("it received {}", hits.join(", ")),
                    ));
                }
            }
            ExpectKind::Decided { filter, rule } => {
                let decided: Vec<&DecisionRecord> = o
                    .decisions
                    .iter()
                    .filter(|d| admits(filter, &d.device, &d.text, d.at))
                    .collect();
                if decided.is_empty() || decided.iter().any(|d| d.rule() != *rule) {
                    let seen: Vec<String> = decided
                        .iter()
                        .map(|d| format!("{} → {} [{}]", d.msg, d.device, d.rule()))
                        .collect();
                    out.push(fail(
                        format!("decided by {rule} {}", describe_filter(plan, filter)),
                        if seen.is_empty() {
                            "no such decision".into()
                        } else {
                            seen.join(", ")
                        },
                    ));
                }
            }
        }
    }
    for step in &plan.steps {
        match (step.expect_rejected, o.rejections.get(&step.seq)) {
            (true, None) => out.push(Mismatch {
                line: step.line,
                expected: "the service rejects this step".into(),
                actual: "it was accepted".into(),
            }),
            (false, Some((rule, reason))) => out.push(Mismatch {
                line: step.line,
                expected:
                    "the step is accepted (add `expect: rejected` if a rejection is the point)"
                        .into(),
                actual: format!("rejected [{rule}] {reason}"),
            }),
            _ => {}
        }
    }
    for p in &o.problems {
        out.push(Mismatch {
            line: 0,
            expected: "a clean run".into(),
            actual: p.clone(),
        });
    }
    out
}
