//! Pushes observed at the vendors: the outcome's push lines are built from
//! what each mock vendor journaled ([`crate::mock::journal`]) — the request it
//! received, decoded into the canonical notification, and the answer it gave,
//! classified — not from the pipeline's own account of what it sent. The same
//! reading serves any implementation pointed at the mocks (conformance).
//!
//! Pure: journal entries, the plan and the run's trace in, push events out.

use super::trace::{Event, TraceEntry, TraceVerdict};
use crate::core::io::ApiRequest;
use crate::core::model::{Conversation, DeviceKey, MsgId, Vendor};
use crate::core::time::SimTime;
use crate::mock::fleet::MockFleet;
use crate::mock::journal::Entry;
use crate::scenario::plan::{Action, Plan};
use crate::vendor::{self, DecodeError};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

/// What the mocks have journaled so far, collected while the run goes on so
/// the journals' bounds never lose a request unseen.
#[derive(Default)]
pub struct Observer {
    /// Per vendor, the last journal `seq` taken.
    taken: BTreeMap<Vendor, u64>,
    entries: Vec<(Vendor, Arc<Entry>)>,
    /// Requests a journal evicted before they were taken.
    lost: u64,
}

impl Observer {
    /// Takes every entry journaled since the last call.
    pub fn drain(&mut self, fleet: &MockFleet) {
        for vendor in fleet.vendors() {
            let since = self.taken.get(&vendor).copied().unwrap_or(0);
            let new = fleet.journal(vendor, since);
            if let (Some(first), Some(last)) = (new.first(), new.last()) {
                self.lost += first.seq - since - 1;
                self.taken.insert(vendor, last.seq);
            }
            self.entries.extend(new.into_iter().map(|e| (vendor, e)));
        }
    }

    /// The push events the journals show, to merge into `trace`.
    pub fn events(&self, plan: &Plan, trace: &[TraceEntry]) -> Vec<TraceEntry> {
        let owners = Owners::new(plan, trace);
        let mut out = Vec::new();
        if self.lost > 0 {
            let what = format!(
                "{} vendor requests left the mocks' journals unobserved",
                self.lost
            );
            let at = self.entries.first().map_or(plan.start, |(_, e)| e.at);
            out.push(TraceEntry {
                at,
                event: Event::HarnessError { what },
            });
        }
        for (vendor, entry) in &self.entries {
            let decoded = match vendor::decode(*vendor, &entry.request) {
                Ok(d) => d,
                Err(DecodeError::NotASend { .. }) => continue, // a token exchange
                Err(e) => {
                    let what = format!("a request {} received does not decode: {e}", vendor.name());
                    out.push(TraceEntry {
                        at: entry.at,
                        event: Event::HarnessError { what },
                    });
                    continue;
                }
            };
            let msg = decoded
                .notification
                .payload
                .get("m")
                .and_then(|m| MsgId::parse(m))
                .unwrap_or(MsgId(0));
            let result = vendor::classify(*vendor, &entry.response);
            out.push(TraceEntry {
                at: entry.at,
                event: Event::Push {
                    msg,
                    device: owners.device(&decoded.token, msg),
                    vendor: *vendor,
                    token: decoded.token,
                    notification: Box::new(decoded.notification),
                    status: entry.response.status,
                    result: crate::vendor::policy::describe(&result),
                },
            });
        }
        out
    }
}

/// Which device a token belongs to. A vendor sees only the token; the
/// scenario says which devices ever held it (declared, or bound by a step),
/// and where several did (a phone handed to another user), the one the
/// message was decided for.
struct Owners {
    by_token: BTreeMap<String, Vec<DeviceKey>>,
    decided: BTreeSet<(MsgId, DeviceKey)>,
    /// Per message, the users it can reach (its peer, its group's members);
    /// absent for chat rooms (anyone).
    audience: BTreeMap<MsgId, BTreeSet<String>>,
}

impl Owners {
    fn new(plan: &Plan, trace: &[TraceEntry]) -> Owners {
        let mut by_token: BTreeMap<String, Vec<DeviceKey>> = BTreeMap::new();
        let mut add = |token: &str, device: &DeviceKey| {
            let list = by_token.entry(token.to_string()).or_default();
            if !list.contains(device) {
                list.push(device.clone());
            }
        };
        for d in &plan.devices {
            add(&d.token, &d.key);
        }
        for s in &plan.steps {
            if let Action::BindToken { device, token, .. } = &s.action {
                add(token, device);
            }
        }
        let decided = trace
            .iter()
            .filter_map(|e| match &e.event {
                Event::Decided {
                    msg,
                    device,
                    verdict: TraceVerdict::Push { .. },
                } => Some((*msg, device.clone())),
                _ => None,
            })
            .collect();
        let mut groups: BTreeMap<String, BTreeSet<String>> = plan
            .server
            .groups
            .iter()
            .map(|(g, members)| (g.clone(), members.iter().cloned().collect()))
            .collect();
        let mut audience = BTreeMap::new();
        for s in &plan.steps {
            match &s.action {
                Action::Api(ApiRequest::CreateGroup { group, members }) => {
                    groups
                        .entry(group.clone())
                        .or_default()
                        .extend(members.iter().cloned());
                }
                Action::Api(ApiRequest::Send(m)) => {
                    let users = match &m.to {
                        Conversation::User(u) => Some(BTreeSet::from([u.clone()])),
                        Conversation::Group(g) => groups.get(g).cloned(),
                        Conversation::ChatRoom(_) => None,
                    };
                    if let Some(users) = users {
                        audience.insert(m.id, users);
                    }
                }
                _ => {}
            }
        }
        Owners {
            by_token,
            decided,
            audience,
        }
    }

    fn device(&self, token: &str, msg: MsgId) -> DeviceKey {
        let Some(candidates) = self.by_token.get(token) else {
            return DeviceKey::new("unknown", token);
        };
        // A token several devices held: the one the message was decided for
        // (the reference says), else one whose user the message can reach
        // (any implementation), else the first declared.
        let reachable = |d: &&DeviceKey| {
            self.audience
                .get(&msg)
                .is_none_or(|users| users.contains(&d.user))
        };
        candidates
            .iter()
            .find(|d| self.decided.contains(&(msg, (*d).clone())))
            .or_else(|| candidates.iter().find(reachable))
            .unwrap_or(&candidates[0])
            .clone()
    }
}

/// `trace` with `observed` merged in: each observed event goes after every
/// trace event at or before its time (the push follows the decision and the
/// token exchange that led to it, and precedes the reactions to its answer,
/// which the pipeline records once the answer is back).
///
/// In place: the trace is most of a large run's memory, and building the
/// merged trace beside it, with the world still standing, was the peak of
/// a 100,000-device run (two copies of 454,000 entries).
pub fn merge(mut trace: Vec<TraceEntry>, mut observed: Vec<TraceEntry>) -> Vec<TraceEntry> {
    // Stable: journal order within a time.
    observed.sort_by_key(|e| e.at);
    // Where each observed event goes: before the first trace event, from
    // the previous one's place on, that happened after it.
    let mut places = Vec::with_capacity(observed.len());
    let mut next = observed.iter().peekable();
    for (i, e) in trace.iter().enumerate() {
        while next.next_if(|o| o.at < e.at).is_some() {
            places.push(i);
        }
    }
    places.resize(observed.len(), trace.len());
    // Room at the end, then from the back: each trace event moves up past
    // the observed events placed before it, each observed event lands in
    // the gap left for it.
    let filler = || TraceEntry {
        at: SimTime(0),
        event: Event::HarnessError {
            what: String::new(),
        },
    };
    let mut read = trace.len();
    trace.resize_with(trace.len() + observed.len(), filler);
    let mut write = trace.len();
    for (o, place) in observed.into_iter().zip(places).rev() {
        while read > place {
            read -= 1;
            write -= 1;
            trace.swap(read, write);
        }
        write -= 1;
        trace[write] = o;
    }
    trace
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::time::SimTime;

    fn at(ms: i64, what: &str) -> TraceEntry {
        TraceEntry {
            at: SimTime(ms),
            event: Event::HarnessError { what: what.into() },
        }
    }

    fn names(t: &[TraceEntry]) -> Vec<String> {
        t.iter()
            .map(|e| match &e.event {
                Event::HarnessError { what } => what.clone(),
                _ => String::new(),
            })
            .collect()
    }

    /// The merge as it was written first, building a second vector: the
    /// in-place one must give the same order on any input, times out of
    /// order included.
    fn merge_by_copy(trace: Vec<TraceEntry>, mut observed: Vec<TraceEntry>) -> Vec<TraceEntry> {
        observed.sort_by_key(|e| e.at);
        let mut out = Vec::with_capacity(trace.len() + observed.len());
        let mut pending = observed.into_iter().peekable();
        for e in trace {
            while let Some(o) = pending.next_if(|o| o.at < e.at) {
                out.push(o);
            }
            out.push(e);
        }
        out.extend(pending);
        out
    }

    #[test]
    fn the_merge_in_place_orders_as_the_merge_by_copy() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand::rngs::StdRng::seed_from_u64(13);
        for case in 0..2_000 {
            let n = rng.gen_range(0..12);
            let k = rng.gen_range(0..6);
            // Mostly rising times, with ties and the odd step back.
            let mut t = 0i64;
            let trace: Vec<TraceEntry> = (0..n)
                .map(|i| {
                    t += rng.gen_range(-2..6);
                    at(t, &format!("t{i}"))
                })
                .collect();
            let observed: Vec<TraceEntry> = (0..k)
                .map(|i| at(rng.gen_range(t.min(0) - 3..t.max(0) + 4), &format!("o{i}")))
                .collect();
            assert_eq!(
                names(&merge(trace.clone(), observed.clone())),
                names(&merge_by_copy(trace, observed)),
                "case {case}"
            );
        }
    }

    #[test]
    fn an_observed_event_follows_what_happened_at_its_time_and_before() {
        let trace = vec![
            at(0, "decide"),
            at(20, "auth"),
            at(20, "x"),
            at(40, "retry"),
        ];
        let observed = vec![at(20, "push2"), at(0, "push1"), at(50, "push3")];
        assert_eq!(
            names(&merge(trace, observed)),
            ["decide", "push1", "auth", "x", "push2", "retry", "push3"]
        );
    }
}
