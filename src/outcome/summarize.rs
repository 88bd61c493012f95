//! Trace → Outcome: the facts users compare, with message texts attached and
//! tokens redacted.

use crate::core::model::{DeviceKey, MsgId, Notification, Vendor};
use crate::core::time::SimTime;
use crate::run::trace::{step_late_text, Event, TraceEntry, TraceVerdict};
use crate::scenario::plan::{Action, Plan};
use std::collections::BTreeMap;

/// A push that reached a vendor.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PushRecord {
    /// When the vendor received it.
    pub at: SimTime,
    /// Message.
    pub msg: MsgId,
    /// The sender's original text.
    pub text: String,
    /// Recipient device.
    pub device: DeviceKey,
    /// Vendor.
    pub vendor: Vendor,
    /// Decoded content.
    pub notification: Notification,
    /// HTTP status.
    pub status: u16,
    /// Classification (`ok`, `invalid token: …`).
    pub result: String,
}

impl PushRecord {
    /// Whether the vendor accepted it.
    pub fn accepted(&self) -> bool {
        self.result == "ok"
    }
}

/// A decision of the reference, with the message text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DecisionRecord {
    /// When it was decided.
    pub at: SimTime,
    /// Message.
    pub msg: MsgId,
    /// Sender's text.
    pub text: String,
    /// Device.
    pub device: DeviceKey,
    /// Verdict.
    pub verdict: TraceVerdict,
}

impl DecisionRecord {
    /// The rule it cites (an online delivery: PRS-01).
    pub fn rule(&self) -> &'static str {
        match &self.verdict {
            TraceVerdict::Push { rule, .. } | TraceVerdict::Suppressed { rule, .. } => rule,
            TraceVerdict::Online => "PRS-01",
        }
    }
}

/// Everything a run showed, ready to render and check.
#[derive(Clone, Debug)]
pub struct Outcome {
    /// The trace, as recorded.
    pub trace: Vec<TraceEntry>,
    /// Message texts by id.
    pub texts: BTreeMap<MsgId, String>,
    /// Tokens → the name they are shown by (`bob/phone`, `bob/phone#2`), for redaction.
    pub token_owner: BTreeMap<String, String>,
    /// Pushes that reached a vendor (accepted or not), in time order.
    pub pushes: Vec<PushRecord>,
    /// Decisions, in time order.
    pub decisions: Vec<DecisionRecord>,
    /// Messages each device received (online or by sync).
    pub received: BTreeMap<DeviceKey, Vec<(SimTime, MsgId, String)>>,
    /// Settings reads (NQ-01..03): (time, step index, answer), in time order.
    pub settings_reads: Vec<(SimTime, u32, crate::core::io::SettingsRead)>,
    /// Rejections by step index: (rule, reason).
    pub rejections: BTreeMap<u32, (String, String)>,
    /// Harness errors and exhausted budgets.
    pub problems: Vec<String>,
}

/// Builds the outcome of `plan`'s run from its trace.
pub fn summarize(plan: &Plan, trace: Vec<TraceEntry>) -> Outcome {
    let texts = plan.texts();
    // Declared tokens are named by their device (`bob/phone`); one a
    // `bind_token` step uploads besides by its device and a number
    // (`bob/phone#2`), so two tokens of one device never read the same.
    let mut token_owner: BTreeMap<String, String> = plan
        .devices
        .iter()
        .map(|d| (d.token.clone(), d.key.to_string()))
        .collect();
    let mut uploaded: BTreeMap<&DeviceKey, u32> = BTreeMap::new();
    for s in &plan.steps {
        if let Action::BindToken { device, token, .. } = &s.action {
            if !token_owner.contains_key(token) {
                let n = uploaded.entry(device).or_insert(1);
                *n += 1;
                token_owner.insert(token.clone(), format!("{device}#{n}"));
            }
        }
    }
    let text = |m: &MsgId| texts.get(m).cloned().unwrap_or_default();
    let mut out = Outcome {
        trace: Vec::new(),
        texts: texts.clone(),
        token_owner,
        pushes: Vec::new(),
        decisions: Vec::new(),
        received: BTreeMap::new(),
        settings_reads: Vec::new(),
        rejections: BTreeMap::new(),
        problems: Vec::new(),
    };
    for e in &trace {
        match &e.event {
            Event::Push {
                msg,
                device,
                vendor,
                notification,
                status,
                result,
                ..
            } => out.pushes.push(PushRecord {
                at: e.at,
                msg: *msg,
                text: text(msg),
                device: device.clone(),
                vendor: *vendor,
                notification: (**notification).clone(),
                status: *status,
                result: result.clone(),
            }),
            Event::Decided {
                msg,
                device,
                verdict,
            } => out.decisions.push(DecisionRecord {
                at: e.at,
                msg: *msg,
                text: text(msg),
                device: device.clone(),
                verdict: verdict.clone(),
            }),
            Event::Delivered { device, msg, text } => out
                .received
                .entry(device.clone())
                .or_default()
                .push((e.at, *msg, text.clone())),
            Event::Synced { device, msgs } => {
                let r = out.received.entry(device.clone()).or_default();
                r.extend(msgs.iter().map(|(m, t)| (e.at, *m, t.clone())));
            }
            Event::Rejected { seq, rule, reason } => {
                out.rejections.insert(*seq, (rule.clone(), reason.clone()));
            }
            Event::Settings { seq, read } => out.settings_reads.push((e.at, *seq, read.clone())),
            Event::HarnessError { what } => out.problems.push(format!("harness error: {what}")),
            Event::StepLate { seq, line, late_ms } => out.problems.push(format!(
                "step late: {}",
                step_late_text(*seq, *line, *late_ms)
            )),
            Event::BudgetExhausted { what } => {
                out.problems.push(format!("budget exhausted: {what}"))
            }
            _ => {}
        }
    }
    out.trace = trace;
    out
}
