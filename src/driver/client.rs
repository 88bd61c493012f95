//! The driver's side of the protocol: a system under test (SUT) as a
//! [`Target`]. Every call has a timeout; a SUT that fails, hangs or answers
//! nonsense stops the scenario with a harness error in the trace, which the
//! report shows, and the run goes on with the next scenario.
//!
//! The SUT's clock is moved through its own deadlines: before advancing to a
//! step, the driver advances to each `next_deadline` the SUT reported before
//! it, setting the mocks' clocks there first, so a vendor request a retry
//! makes is journaled at the time it was due.

use super::protocol::*;
use crate::core::time::SimTime;
use crate::mock::fleet::MockFleet;
use crate::run::observe::{merge, Observer};
use crate::run::target::{Stopped, Target};
use crate::run::trace::{Event, TraceEntry};
use crate::scenario::plan::{Action, Plan, Step};
use std::time::Duration;

/// Most deadlines a SUT may report between two steps (or after the last)
/// before the driver calls it a runaway timer.
pub const DEADLINES_MAX: u32 = 10_000;

/// A SUT reached over HTTP, playing one scenario.
pub struct HttpTarget<'p> {
    sut: String,
    agent: ureq::Agent,
    timeout: Duration,
    plan: &'p Plan,
    fleet: &'p MockFleet,
    observer: Observer,
    now: SimTime,
    deadline: Option<SimTime>,
    trace: Vec<TraceEntry>,
    /// The SUT's reason for declining the setup (`501` to `reset`).
    declined: Option<String>,
    /// Driver calls made (for `pushsim bench`).
    pub calls: u64,
}

/// `501 Not Implemented` to `POST /reset`: the SUT cannot reproduce this
/// setup (a knob value, an option it has no counterpart for); the scenario is
/// skipped with its reason, not failed.
pub const NOT_IMPLEMENTED: u16 = 501;

/// Why a driver call did not come back as a protocol answer.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CallError {
    /// `501` to `reset`: the SUT cannot reproduce the setup; its reason.
    #[error("the system under test declined the setup: {0}")]
    Declined(String),
    /// Unreachable, too slow, an error status, or not the protocol's answer.
    #[error("{0}")]
    Failed(String),
}

/// The ureq agent a driver uses: statuses are answers, `timeout` per phase
/// of a call (a SUT that hangs is caught waiting for its answer).
pub fn agent(timeout: Duration) -> ureq::Agent {
    crate::mock::client::agent_with(timeout)
}

/// A call that did not come back as a protocol answer.
fn call_error(route: &str, timeout: Duration, e: ureq::Error) -> String {
    match e {
        ureq::Error::Timeout(_) => format!(
            "the system under test did not answer {route} within {} s",
            timeout.as_secs_f64()
        ),
        e => format!("the system under test could not be reached for {route}: {e}"),
    }
}

/// One JSON call: `Ok(answer)` on 2xx, `Err(why)` otherwise.
pub fn call<T: serde::de::DeserializeOwned>(
    agent: &ureq::Agent,
    timeout: Duration,
    base: &str,
    route: &str,
    body: Option<&impl serde::Serialize>,
) -> Result<T, CallError> {
    let failed = CallError::Failed;
    let (method, path) = route.split_once(' ').unwrap_or(("GET", route));
    let url = format!("{base}{path}");
    let result = match body {
        Some(b) => {
            let text = serde_json::to_string(b).map_err(|e| failed(e.to_string()))?;
            agent
                .post(&url)
                .header("content-type", "application/json")
                .send(text.as_bytes())
        }
        None if method == "GET" => agent.get(&url).call(),
        None => agent.post(&url).send_empty(),
    };
    let mut resp = result.map_err(|e| failed(call_error(route, timeout, e)))?;
    let status = resp.status().as_u16();
    let text = resp
        .body_mut()
        .with_config()
        .limit(64 << 20)
        .read_to_string()
        .map_err(|e| failed(format!("{route}: unreadable answer: {e}")))?;
    if !(200..300).contains(&status) {
        let why = serde_json::from_str::<ErrorReply>(&text)
            .map(|e| e.error)
            .unwrap_or(text);
        if status == NOT_IMPLEMENTED && route == "POST /reset" {
            return Err(CallError::Declined(why));
        }
        return Err(failed(format!(
            "the system under test answered {route} with {status}: {why}"
        )));
    }
    serde_json::from_str(&text).map_err(|e| {
        failed(format!(
            "the system under test's answer to {route} is not the protocol's: {e}: {text:.200}"
        ))
    })
}

impl<'p> HttpTarget<'p> {
    /// Why the SUT declined the scenario's setup (`501` to `reset`), if it did.
    pub fn declined(&self) -> Option<&str> {
        self.declined.as_deref()
    }

    /// Resets the SUT at `sut` for `plan`, pointing it at `fleet`.
    pub fn reset(
        sut: &str,
        timeout: Duration,
        plan: &'p Plan,
        fleet: &'p MockFleet,
    ) -> HttpTarget<'p> {
        let mut t = HttpTarget {
            sut: sut.trim_end_matches('/').to_string(),
            agent: agent(timeout),
            timeout,
            plan,
            fleet,
            observer: Observer::default(),
            now: plan.start,
            deadline: None,
            trace: Vec::new(),
            declined: None,
            calls: 0,
        };
        fleet.set_clock(plan.start);
        let setup = setup_of(plan, fleet);
        if let Ok(reply) = t.call::<ClockReply>("POST /reset", Some(&setup)) {
            t.deadline = reply.next_deadline;
        }
        t
    }

    fn call<T: serde::de::DeserializeOwned>(
        &mut self,
        route: &str,
        body: Option<&impl serde::Serialize>,
    ) -> Result<T, Stopped> {
        self.calls += 1;
        call(&self.agent, self.timeout, &self.sut, route, body).map_err(|e| {
            match e {
                CallError::Declined(why) => self.declined = Some(why),
                CallError::Failed(what) => self.trace.push(TraceEntry {
                    at: self.now,
                    event: Event::HarnessError { what },
                }),
            }
            Stopped
        })
    }

    /// Whether a call has failed or the setup was declined (the scenario
    /// cannot be judged).
    pub fn stopped(&self) -> bool {
        self.declined.is_some()
            || self
                .trace
                .iter()
                .any(|e| matches!(e.event, Event::HarnessError { .. }))
    }

    /// Moves the SUT's clock (and the mocks') to `to`.
    fn advance_once(&mut self, to: SimTime) -> Result<(), Stopped> {
        self.fleet.set_clock(to);
        let reply: ClockReply = self.call("POST /advance", Some(&Advance { to }))?;
        self.now = to.max(self.now);
        self.deadline = reply.next_deadline;
        self.observer.drain(self.fleet);
        Ok(())
    }

    /// Advances through the SUT's deadlines before `to` (all of them when
    /// `to` is `None`).
    fn through_deadlines(&mut self, to: Option<SimTime>) -> Result<(), Stopped> {
        let mut n = 0;
        while let Some(d) = self.deadline {
            if to.is_some_and(|to| d >= to) {
                break;
            }
            n += 1;
            if n > DEADLINES_MAX {
                let what = format!(
                    "the system under test reported {DEADLINES_MAX} deadlines in a row without settling"
                );
                self.trace.push(TraceEntry {
                    at: self.now,
                    event: Event::HarnessError { what },
                });
                return Err(Stopped);
            }
            self.advance_once(d.max(self.now))?;
        }
        Ok(())
    }

    /// Everything the SUT showed: the driver's trace (steps and their
    /// answers), what the devices received, and the pushes the mocks
    /// journaled; with the SUT's log lines ([`Observations::log`]).
    pub fn into_trace(mut self) -> (Vec<TraceEntry>, Vec<String>) {
        self.observer.drain(self.fleet);
        let mut log = Vec::new();
        if !self.stopped() {
            if let Ok(obs) = self.call::<Observations>("GET /observations", None::<&()>) {
                self.trace.extend(received_events(self.plan, &obs));
                log = obs.log;
            }
        }
        let mut trace = self.trace;
        trace.sort_by_key(|e| e.at);
        let observed = self.observer.events(self.plan, &trace);
        (merge(trace, observed), log)
    }
}

impl Target for HttpTarget<'_> {
    fn advance(&mut self, to: SimTime) -> Result<(), Stopped> {
        if self.stopped() {
            return Err(Stopped);
        }
        self.through_deadlines(Some(to))?;
        if to > self.now {
            self.advance_once(to)?;
        }
        Ok(())
    }

    fn apply(&mut self, step: &Step) -> Result<(), Stopped> {
        self.trace.push(TraceEntry {
            at: step.at,
            event: Event::Step {
                seq: step.seq,
                line: step.line,
                what: crate::run::describe::action(&step.action),
            },
        });
        match &step.action {
            Action::Wait => return Ok(()),
            Action::InvalidateToken {
                vendor,
                token,
                count,
            } => {
                self.fleet.invalidate_token(*vendor, token, *count);
                return Ok(());
            }
            Action::VendorFault { vendor, fault } => {
                self.fleet.fault(*vendor, fault, step.at);
                return Ok(());
            }
            _ => {}
        }
        let call = StepCall {
            at: step.at,
            seq: step.seq,
            line: step.line,
            action: step.action.clone(),
        };
        let reply: StepReply = self.call("POST /step", Some(&call))?;
        self.deadline = reply.next_deadline;
        let event = match reply.answer {
            Answer::Ok => None,
            Answer::Rejected { rule, reason } => Some(Event::Rejected {
                seq: step.seq,
                rule: rule.unwrap_or_else(|| "?".into()),
                reason,
            }),
            Answer::Settings(read) => Some(Event::Settings {
                seq: step.seq,
                read,
            }),
        };
        if let Some(event) = event {
            self.trace.push(TraceEntry { at: step.at, event });
        }
        self.observer.drain(self.fleet);
        Ok(())
    }

    fn finish(&mut self) -> Result<(), Stopped> {
        if self.stopped() {
            return Err(Stopped);
        }
        // An advance to the present lets what is under way finish; then on
        // through each deadline, settling after each.
        for _ in 0..DEADLINES_MAX {
            self.advance_once(self.now)?;
            match self.deadline {
                Some(d) => self.advance_once(d.max(self.now))?,
                None => return Ok(()),
            }
        }
        let what = format!(
            "the system under test reported {DEADLINES_MAX} deadlines in a row without settling"
        );
        self.trace.push(TraceEntry {
            at: self.now,
            event: Event::HarnessError { what },
        });
        Err(Stopped)
    }
}

/// The `reset` body for `plan` with `fleet`'s mocks.
pub fn setup_of(plan: &Plan, fleet: &MockFleet) -> Setup {
    let certs = fleet
        .cert_credentials(plan)
        .into_iter()
        .map(|(name, credentials)| {
            let access = CertAccess {
                base_url: fleet.base_url(credentials.vendor),
                credentials,
            };
            (name, access)
        })
        .collect();
    Setup {
        protocol: PROTOCOL.into(),
        scenario: plan.id.clone(),
        seed: plan.seed,
        start: plan.start,
        display_zone: plan.display_zone,
        network_tick_ms: plan.tick_ms,
        server: plan.server.clone(),
        devices: plan.devices.clone(),
        certs,
    }
}

/// Observations as trace events: online deliveries one by one, a login's
/// sync as one event per device and time.
fn received_events(plan: &Plan, obs: &Observations) -> Vec<TraceEntry> {
    let texts = plan.texts();
    let text = |m| texts.get(&m).cloned().unwrap_or_default();
    let mut out: Vec<TraceEntry> = Vec::new();
    for r in &obs.received {
        match r.via {
            Via::Online => out.push(TraceEntry {
                at: r.at,
                event: Event::Delivered {
                    device: r.device.clone(),
                    msg: r.msg,
                    text: text(r.msg),
                },
            }),
            Via::Sync => {
                if let Some(TraceEntry {
                    at,
                    event: Event::Synced { device, msgs },
                }) = out.last_mut()
                {
                    if *at == r.at && *device == r.device {
                        msgs.push((r.msg, text(r.msg)));
                        continue;
                    }
                }
                out.push(TraceEntry {
                    at: r.at,
                    event: Event::Synced {
                        device: r.device.clone(),
                        msgs: vec![(r.msg, text(r.msg))],
                    },
                });
            }
        }
    }
    out
}
