//! The observable part of an outcome: what any implementation shows from
//! outside — the vendor requests the mocks received, what each device
//! received online or by sync, which calls were refused, what settings reads
//! answered. Conformance compares these facts, never the reference's own
//! annotations (its decisions, rule ids, retries, auth lines), which another
//! implementation has no reason to produce.
//!
//! Facts are stamped to the whole second: implementations differ by a few
//! network milliseconds, and `expect:` matches times within the second too.
//! A push is compared on what a user sees and what its sender attached —
//! vendor, title, body, badge, sound, the message's own pass-through fields —
//! and on the vendor's answer; the reference's extra payload keys and the
//! app's vendor options are its business.

use super::render::q;
use super::summarize::Outcome;
use crate::core::model::{DeviceKey, MsgId};
use crate::core::time::SimTime;
use crate::run::trace::Event;
use crate::scenario::plan::Plan;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;

/// What a fact is about.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum About {
    /// A message and a recipient device.
    Delivery(MsgId, DeviceKey),
    /// A step's call.
    Step(u32),
}

/// One observable fact.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Fact {
    /// The second it happened in (ms since the epoch, a multiple of 1000).
    pub at: SimTime,
    /// What it is about.
    pub about: About,
    /// What happened, one line.
    pub text: String,
}

fn second(t: SimTime) -> SimTime {
    SimTime(t.0.div_euclid(1000) * 1000)
}

/// The observable facts of `o`, sorted by time, then subject, then text.
pub fn facts(plan: &Plan, o: &Outcome) -> Vec<Fact> {
    let own_payload: BTreeMap<MsgId, BTreeSet<String>> = plan
        .sent()
        .map(|m| (m.id, m.payload.keys().cloned().collect()))
        .collect();
    let mut out = Vec::new();
    for p in &o.pushes {
        let n = &p.notification;
        let mut text = format!(
            "{} push title={} body={}",
            p.vendor.name(),
            q(&n.title),
            q(&n.body)
        );
        if let Some(b) = n.badge {
            let _ = write!(text, " badge={b}");
        }
        if let Some(s) = &n.sound {
            let _ = write!(text, " sound={}", q(s));
        }
        for key in own_payload.get(&p.msg).into_iter().flatten() {
            let value = n.payload.get(key).map_or("(missing)".into(), |v| q(v));
            let _ = write!(text, " {key}={value}");
        }
        let _ = write!(text, " → {} {}", p.status, p.result);
        out.push(Fact {
            at: second(p.at),
            about: About::Delivery(p.msg, p.device.clone()),
            text,
        });
    }
    for e in &o.trace {
        let (about, text) = match &e.event {
            Event::Delivered { device, msg, .. } => (
                About::Delivery(*msg, device.clone()),
                "received online".to_string(),
            ),
            Event::Synced { device, msgs } => {
                for (msg, _) in msgs {
                    out.push(Fact {
                        at: second(e.at),
                        about: About::Delivery(*msg, device.clone()),
                        text: "received by sync".into(),
                    });
                }
                continue;
            }
            Event::Rejected { seq, .. } => (About::Step(*seq), "rejected".to_string()),
            Event::Settings { read, seq } => {
                // Expiries to the second too: they count from when the
                // server took the call, a few network milliseconds apart.
                let mut levels = read.levels.clone();
                for (_, level) in &mut levels {
                    level.expiry = level.expiry.map(second);
                }
                let text = format!(
                    "settings of {} {}: {}",
                    read.user,
                    super::settings::query_text(&read.query),
                    super::settings::levels_text(&read.query, &levels, &plan.display_zone)
                );
                (About::Step(*seq), text)
            }
            _ => continue,
        };
        out.push(Fact {
            at: second(e.at),
            about,
            text,
        });
    }
    out.sort();
    out
}

/// One fact as a report line: `2026-03-02T12:00:00+08:00 m2 → bob/phone: fcm push …`.
pub fn fact_line(plan: &Plan, f: &Fact) -> String {
    let subject = match &f.about {
        About::Delivery(m, d) => format!("{m} → {d}"),
        About::Step(seq) => format!("step {seq}"),
    };
    format!("{} {subject}: {}", plan.display_zone.format(f.at), f.text)
}

/// How two runs' facts differ: those only the first showed, those only the
/// second showed (each a multiset difference, in time order).
pub fn differences(a: &[Fact], b: &[Fact]) -> (Vec<Fact>, Vec<Fact>) {
    let mut only_a = Vec::new();
    let mut only_b = Vec::new();
    let (mut i, mut j) = (0, 0);
    while i < a.len() || j < b.len() {
        match (a.get(i), b.get(j)) {
            (Some(x), Some(y)) if x == y => {
                i += 1;
                j += 1;
            }
            (Some(x), Some(y)) if x < y => {
                only_a.push(x.clone());
                i += 1;
            }
            (Some(_), Some(y)) => {
                only_b.push(y.clone());
                j += 1;
            }
            (Some(x), None) => {
                only_a.push(x.clone());
                i += 1;
            }
            (None, Some(y)) => {
                only_b.push(y.clone());
                j += 1;
            }
            (None, None) => break,
        }
    }
    (only_a, only_b)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fact(at: i64, m: u32, text: &str) -> Fact {
        Fact {
            at: SimTime(at),
            about: About::Delivery(MsgId(m), DeviceKey::new("bob", "phone")),
            text: text.into(),
        }
    }

    #[test]
    fn differences_are_multiset_differences_in_order() {
        let a = vec![fact(0, 1, "x"), fact(0, 1, "x"), fact(1000, 2, "y")];
        let b = vec![fact(0, 1, "x"), fact(1000, 2, "y"), fact(2000, 3, "z")];
        let (only_a, only_b) = differences(&a, &b);
        assert_eq!(only_a, vec![fact(0, 1, "x")]);
        assert_eq!(only_b, vec![fact(2000, 3, "z")]);
        assert_eq!(differences(&a, &a), (vec![], vec![]));
    }

    #[test]
    fn facts_are_stamped_to_the_second() {
        assert_eq!(second(SimTime(12_030)), SimTime(12_000));
        assert_eq!(second(SimTime(-1)), SimTime(-1000));
    }
}
