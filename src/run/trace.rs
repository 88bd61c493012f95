//! The trace: an append-only list of timestamped events observed during a run.
//! It is the debugging view and the input of `outcome::summarize`.

use crate::core::model::{DeviceKey, MsgId, Notification, Vendor};

/// One observed event at a calendar time.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TraceEntry {
    /// Calendar time (ms since epoch).
    pub at: crate::core::time::SimTime,
    /// What happened.
    pub event: Event,
}

/// Why the server lost a device's connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LossCause {
    /// The connection closed (process killed).
    Closed,
    /// No heartbeat within the profile's timeout (PRS-07).
    HeartbeatTimeout,
}

/// The reference's verdict for one message × device, as the trace keeps it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TraceVerdict {
    /// Pushed through this vendor; deciding rule.
    Push {
        /// Vendor.
        vendor: Vendor,
        /// Deciding rule.
        rule: &'static str,
    },
    /// Delivered online (PRS-01).
    Online,
    /// Suppressed.
    Suppressed {
        /// Deciding rule.
        rule: &'static str,
        /// Why.
        reason: String,
    },
}

/// Closed set of trace events.
#[derive(Clone, Debug, PartialEq, Eq)]
// A trace holds tens to thousands of events; boxing the large variant would
// cost more code than the memory it saves.
#[allow(clippy::large_enum_variant)]
pub enum Event {
    /// A scenario step started.
    Step {
        /// Step index in the file (0-based).
        seq: u32,
        /// Source line.
        line: u32,
        /// Rendered action.
        what: String,
    },
    /// A device's login was accepted (device-side observation).
    LoggedIn {
        /// Device.
        device: DeviceKey,
    },
    /// A device's login was refused.
    LoginRejected {
        /// Device.
        device: DeviceKey,
        /// Why.
        reason: String,
    },
    /// A device was kicked by another login (device-side observation).
    Kicked {
        /// Device.
        device: DeviceKey,
        /// By whom.
        by: String,
    },
    /// Logout acknowledged.
    LoggedOut {
        /// Device.
        device: DeviceKey,
    },
    /// The server noticed a device's connection is gone.
    ConnectionLost {
        /// Device.
        device: DeviceKey,
        /// How.
        cause: LossCause,
    },
    /// A message reached a device over its live connection.
    Delivered {
        /// Device.
        device: DeviceKey,
        /// Message.
        msg: MsgId,
        /// Text.
        text: String,
    },
    /// Offline messages reached a device at login.
    Synced {
        /// Device.
        device: DeviceKey,
        /// Messages, oldest first.
        msgs: Vec<(MsgId, String)>,
    },
    /// The reference decided for message × device.
    Decided {
        /// Message.
        msg: MsgId,
        /// Device.
        device: DeviceKey,
        /// Verdict.
        verdict: TraceVerdict,
    },
    /// A push request reached a vendor; notification decoded from the recorded request.
    Push {
        /// Message.
        msg: MsgId,
        /// Device the push was meant for.
        device: DeviceKey,
        /// Vendor.
        vendor: Vendor,
        /// Token the request carried (redacted when rendered).
        token: String,
        /// Decoded content. Boxed: inline it made every trace entry 312
        /// bytes (heaptrack: the trace was a sixth of a 10,000-device run's heap).
        notification: Box<Notification>,
        /// HTTP status.
        status: u16,
        /// The pipeline's classification of the answer (`ok`, `invalid token: …`).
        result: String,
    },
    /// The pipeline will send a push again after a wait (429, 5xx, timeout).
    VendorRetry {
        /// Message.
        msg: MsgId,
        /// Device.
        device: DeviceKey,
        /// Vendor.
        vendor: Vendor,
        /// The attempt that follows the wait (2 = first retry).
        attempt: u32,
        /// Wait, virtual milliseconds.
        wait_ms: i64,
        /// Why.
        why: String,
    },
    /// A step started later than its time (steps before it were still being
    /// carried out): the run is not the scenario as written.
    StepLate {
        /// Step index in the file (0-based).
        seq: u32,
        /// Source line.
        line: u32,
        /// How late it started, in ms. Fields, not the sentence: a bench
        /// run whose 100,000 logins share an instant records that many (the
        /// sentence is [`step_late_text`]'s, written when the trace is read).
        late_ms: i64,
    },
    /// The pipeline gave up on a push.
    PushAbandoned {
        /// Message.
        msg: MsgId,
        /// Device.
        device: DeviceKey,
        /// Vendor.
        vendor: Vendor,
        /// Why.
        reason: String,
    },
    /// An auth (access-token) exchange with a vendor.
    Auth {
        /// Vendor.
        vendor: Vendor,
        /// HTTP status.
        status: u16,
        /// `ok` or the error.
        result: String,
    },
    /// A binding was removed.
    Unbound {
        /// Device.
        device: DeviceKey,
        /// Rule.
        rule: &'static str,
        /// Why.
        reason: String,
    },
    /// The server accepted a request made by a step.
    Accepted {
        /// Step index.
        seq: u32,
        /// What changed.
        what: String,
    },
    /// The answer to a settings read made by a step (NQ-01..03).
    Settings {
        /// Step index.
        seq: u32,
        /// The answer.
        read: crate::core::io::SettingsRead,
    },
    /// The server refused a request made by a step.
    Rejected {
        /// Step index.
        seq: u32,
        /// Rule.
        rule: String,
        /// Why.
        reason: String,
    },
    /// A harness-level problem the run could not get past (never a panic).
    HarnessError {
        /// What went wrong.
        what: String,
    },
    /// The run hit its budget before going quiet.
    BudgetExhausted {
        /// Which budget.
        what: String,
    },
}

/// What a [`Event::StepLate`] says: which step, how late, what to do.
pub fn step_late_text(seq: u32, line: u32, late_ms: i64) -> String {
    format!(
        "step {seq} (line {line}) ran {:.3} s after its time: the steps before it were still being carried out; space them out",
        late_ms as f64 / 1000.0
    )
}
