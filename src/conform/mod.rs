//! Conformance: judging another implementation against the corpus. For each
//! scenario the reference runs in-process and the system under test (SUT)
//! runs behind the driver protocol against mocks of its own; the two
//! outcomes' observable facts ([`crate::outcome::observable`]) must agree.
//! `expected.rs` reads an expected-failures file; `report.rs` writes what a
//! failure shows (the differing facts and a message × device table).

pub mod expected;
pub mod report;

use crate::core::model::Vendor;
use crate::driver::client::{self, HttpTarget};
use crate::driver::protocol::{step_kind, Capabilities, PROTOCOL};
use crate::mock::fleet::{MockFleet, ShellKind};
use crate::outcome::observable::{differences, facts};
use crate::outcome::{summarize, Outcome};
use crate::run::runner::{self, RunConfig};
use crate::run::target::play;
use crate::scenario::plan::Plan;
use std::collections::BTreeSet;
use std::time::Duration;

/// A SUT, as `conform` reaches it.
#[derive(Clone, Debug)]
pub struct Sut {
    /// Base URL (`http://127.0.0.1:8080`).
    pub url: String,
    /// The longest any one call may take.
    pub timeout: Duration,
    /// What it said it implements.
    pub caps: Capabilities,
}

impl Sut {
    /// Asks `url` for its capabilities; refuses another protocol.
    pub fn connect(url: &str, timeout: Duration) -> Result<Sut, String> {
        let url = url.trim_end_matches('/').to_string();
        let agent = client::agent(timeout);
        let caps: Capabilities =
            client::call(&agent, timeout, &url, "GET /capabilities", None::<&()>)
                .map_err(|e| e.to_string())?;
        if caps.protocol != PROTOCOL {
            return Err(format!(
                "{url} speaks {:?}; this pushsim drives {PROTOCOL}",
                caps.protocol
            ));
        }
        Ok(Sut { url, timeout, caps })
    }
}

/// The verdict on one scenario.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Judgement {
    /// The SUT showed what the reference showed.
    Pass,
    /// It did not: the report says how.
    Fail(String),
    /// The scenario needs what the SUT does not implement.
    Skip(String),
    /// The reference itself could not run the scenario (a pushsim problem).
    Harness(String),
}

/// One scenario judged.
#[derive(Clone, Debug)]
pub struct Case {
    /// Verdict.
    pub judgement: Judgement,
    /// Driver calls made to the SUT.
    pub calls: u64,
}

/// Why `plan` cannot be run on a SUT with `caps`, if it cannot.
pub fn missing(plan: &Plan, caps: &Capabilities) -> Option<String> {
    let mut needs = Vec::new();
    let profile = &plan.server.profile.name;
    if !caps.profiles.iter().any(|p| p == profile) {
        needs.push(format!("profile {profile}"));
    }
    let vendors: BTreeSet<Vendor> = plan.server.certs.values().copied().collect();
    let absent: Vec<&str> = vendors
        .iter()
        .filter(|v| !caps.vendors.contains(v))
        .map(|v| v.name())
        .collect();
    if !absent.is_empty() {
        needs.push(format!("vendor {}", absent.join(", ")));
    }
    if !caps.clock {
        if let Some(why) = needs_clock(plan) {
            needs.push(format!("a virtual clock ({why})"));
        }
    }
    let kinds: BTreeSet<String> = plan
        .steps
        .iter()
        .filter_map(|s| step_kind(&s.action))
        .filter(|k| !caps.steps.contains(k))
        .collect();
    if !kinds.is_empty() {
        let kinds: Vec<String> = kinds.into_iter().collect();
        needs.push(format!("step {}", kinds.join(", ")));
    }
    (!needs.is_empty()).then(|| format!("needs {}", needs.join("; ")))
}

/// Why `plan`'s outcome depends on time passing between its steps, if it
/// does: what a SUT without a virtual clock cannot reproduce. DND (windows
/// and durations), vendor faults (retry waits, rate-limit windows), a call
/// invite with a login after it timed out, PushOnline's expiry, and — where presence decides
/// (`multi.targets: offline_only`) — a connection going silent, which a
/// heartbeat timeout judges (a killed app closes its connection: no timer).
pub fn needs_clock(plan: &Plan) -> Option<String> {
    use crate::core::io::ApiRequest;
    use crate::core::profile::MultiTargets;
    use crate::scenario::plan::Action;
    let profile = &plan.server.profile;
    if profile.push_online_ttl_days > 0 {
        return Some("PushOnline expiry".into());
    }
    let presence = profile.multi_targets == MultiTargets::OfflineOnly;
    plan.steps.iter().find_map(|s| match &s.action {
        Action::Api(ApiRequest::SetDnd { .. }) => Some("DND".to_string()),
        Action::VendorFault { .. } => Some("a vendor fault".into()),
        Action::Api(ApiRequest::Send(m)) => {
            let ends = s.at.plus_ms(i64::from(m.call_timeout_s?) * 1000);
            let late_login = plan.steps.iter().any(|l| {
                l.at >= ends && matches!(l.action, Action::Login(_) | Action::Reconnect(_))
            });
            late_login.then(|| "a call invite that times out".to_string())
        }
        Action::Disconnect(_) if presence => Some("a heartbeat timeout decides presence".into()),
        _ => None,
    })
}

/// The reference's outcome of `plan`, or why it has none.
pub fn reference(plan: &Plan) -> Result<Outcome, String> {
    let run = runner::run(plan, &RunConfig::standard());
    let outcome = summarize(plan, run.trace);
    match outcome.problems.first() {
        Some(p) => Err(format!("the reference could not run it: {p}")),
        None => Ok(outcome),
    }
}

/// What a SUT showed for one scenario.
#[derive(Debug)]
pub struct Observed {
    /// Its outcome, summarized like the reference's.
    pub outcome: Outcome,
    /// Driver calls made.
    pub calls: u64,
    /// Its log lines ([`crate::driver::protocol::Observations::log`]).
    pub log: Vec<String>,
}

/// Why a SUT's outcome of a scenario could not be had.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NotObserved {
    /// pushsim's side failed (the mocks would not start).
    #[error("{0}")]
    Harness(String),
    /// The SUT answered `reset` with 501: it cannot reproduce this setup.
    #[error("the system under test declined the setup: {0}")]
    Declined(String),
}

/// The SUT's outcome of `plan`, played against mocks of its own.
pub fn observe(plan: &Plan, sut: &Sut) -> Result<Observed, NotObserved> {
    let vendors = plan.vendors();
    // The bounded shell: a SUT sends when it likes, and nothing is kept per request.
    let fleet = MockFleet::start_with(
        &vendors,
        std::sync::Arc::new(|| crate::core::time::SimTime(0)),
        ShellKind::Bounded,
    )
    .map_err(|e| NotObserved::Harness(format!("cannot start the mock vendors: {e}")))?;
    let mut target = HttpTarget::reset(&sut.url, sut.timeout, plan, &fleet);
    if let Some(why) = target.declined() {
        return Err(NotObserved::Declined(why.to_string()));
    }
    let _ = play(plan, &mut target); // a stop is in the trace
    let calls = target.calls;
    let (trace, log) = target.into_trace();
    Ok(Observed {
        outcome: summarize(plan, trace),
        calls,
        log,
    })
}

/// Judges `plan` on `sut`.
pub fn judge(plan: &Plan, sut: &Sut) -> Case {
    let case = |judgement| Case {
        judgement,
        calls: 0,
    };
    if let Some(why) = missing(plan, &sut.caps) {
        return case(Judgement::Skip(why));
    }
    let expected = match reference(plan) {
        Ok(o) => o,
        Err(e) => return case(Judgement::Harness(e)),
    };
    let Observed {
        outcome: actual,
        calls,
        log,
    } = match observe(plan, sut) {
        Ok(o) => o,
        Err(NotObserved::Declined(why)) => {
            return case(Judgement::Skip(format!(
                "the system under test declined it: {why}"
            )))
        }
        Err(NotObserved::Harness(e)) => return case(Judgement::Harness(e)),
    };
    let judgement = if !actual.problems.is_empty() {
        Judgement::Fail(actual.problems.join("\n"))
    } else {
        let (want, got) = (facts(plan, &expected), facts(plan, &actual));
        let (missing, extra) = differences(&want, &got);
        if missing.is_empty() && extra.is_empty() {
            Judgement::Pass
        } else {
            // The scenario's own point first: which of its `expect:` lines
            // the SUT's outcome breaks (the reference meets them all).
            let unmet = crate::outcome::check::check_observable(plan, &actual);
            let mut text = String::new();
            for m in &unmet {
                text.push_str(&format!(
                    "{}:{}: expected {}; got {}\n",
                    plan.path, m.line, m.expected, m.actual
                ));
            }
            text.push_str(&report::difference(plan, &expected, &missing, &extra));
            text.push_str(&report::sut_log(&log));
            Judgement::Fail(text)
        }
    };
    Case { judgement, calls }
}
