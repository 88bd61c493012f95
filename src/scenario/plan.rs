//! The Plan: a complete, validated, time-sorted scenario. It is the contract
//! between `scenario` (which produces it) and `run` (which executes it). After
//! lowering nothing can fail because of the scenario text.

use crate::core::io::ServerConfig;
use crate::core::model::*;
use crate::core::time::{SimTime, Zone};
use std::collections::BTreeMap;

/// A lowered scenario.
#[derive(Clone, Debug)]
pub struct Plan {
    /// Source path as given (for messages and repro lines).
    pub path: String,
    /// Scenario id: path under `scenarios/` without `.yaml`, `/` → `__` (snapshot name).
    pub id: String,
    /// `name:`.
    pub name: String,
    /// `about:`.
    pub about: String,
    /// `rules:` (checked against the catalogue).
    pub rules: Vec<String>,
    /// `tags:`.
    pub tags: Vec<String>,
    /// `seed:` (default 1).
    pub seed: u64,
    /// `start:` as an instant.
    pub start: SimTime,
    /// The zone outcomes are printed in: the offset of `start`.
    pub display_zone: Zone,
    /// Network tick (default 10 ms).
    pub tick_ms: u64,
    /// What the reference server is configured with (profile resolved).
    pub server: ServerConfig,
    /// Declared devices, sorted by key.
    pub devices: Vec<DeviceDecl>,
    /// Steps sorted by `(at, seq)`.
    pub steps: Vec<Step>,
    /// `expect:` entries.
    pub expect: Vec<Expectation>,
    /// Per cert, app options overriding the vendor mock's defaults
    /// (`app.certs.NAME.options`).
    pub cert_options: BTreeMap<String, BTreeMap<String, String>>,
    /// What the loader noticed and let pass (a clock time read across a
    /// daylight-saving change), printed by the CLI.
    pub warnings: Vec<crate::scenario::Diagnostic>,
}

impl Plan {
    /// The messages its `send` steps send, in step order.
    pub fn sent(&self) -> impl Iterator<Item = &crate::core::model::Message> {
        self.steps.iter().filter_map(|s| match &s.action {
            Action::Api(crate::core::io::ApiRequest::Send(m)) => Some(&**m),
            _ => None,
        })
    }

    /// The text of each sent message, by id.
    pub fn texts(&self) -> BTreeMap<MsgId, String> {
        self.sent().map(|m| (m.id, m.text.clone())).collect()
    }

    /// The vendors its certs use, sorted, each once: the mocks a run starts.
    pub fn vendors(&self) -> Vec<Vendor> {
        let set: std::collections::BTreeSet<Vendor> = self.server.certs.values().copied().collect();
        set.into_iter().collect()
    }
}

/// A declared device.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DeviceDecl {
    /// `user/name`.
    pub key: DeviceKey,
    /// Platform (default android).
    pub platform: Platform,
    /// Cert the SDK binds with after login, if any (VND-01).
    pub cert: Option<String>,
    /// Vendor token (derived from the key unless given).
    pub token: String,
    /// Whether the SDK uploads the token automatically after each login.
    pub auto_bind: bool,
}

/// One step of the timeline.
#[derive(Clone, Debug)]
pub struct Step {
    /// When it happens.
    pub at: SimTime,
    /// Order in the file (0-based, one per plan step: a `restart` lowers to a
    /// `Kill` and a `Login` with consecutive `seq`); steps sharing `at` run in this order.
    pub seq: u32,
    /// Source line (1-based) for messages.
    pub line: u32,
    /// What happens.
    pub action: Action,
    /// `expect: rejected` on the step.
    pub expect_rejected: bool,
}

/// What a step does. Device actions travel over the device's connection;
/// API actions go to the server API; world actions change the network or mocks.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// Device logs in (connects, logs in, syncs; binds its token if `auto_bind`).
    Login(DeviceKey),
    /// Device logs out; `unbind: None` = profile default.
    Logout {
        /// Device.
        device: DeviceKey,
        /// Unbind the token.
        unbind: Option<bool>,
    },
    /// App to background (optional doBackground badge).
    Background {
        /// Device.
        device: DeviceKey,
        /// Badge baseline (tencent doBackground).
        badge: Option<u32>,
    },
    /// App to foreground.
    Foreground(DeviceKey),
    /// Silent network loss: the device stops talking without closing (PRS-07).
    Disconnect(DeviceKey),
    /// The device gets its network back and logs in again on a new connection.
    Reconnect(DeviceKey),
    /// The process is killed: the connection closes (PRS-06).
    Kill(DeviceKey),
    /// Upload a token (`cert`/`token` default to the device's declaration).
    BindToken {
        /// Device.
        device: DeviceKey,
        /// Cert name.
        cert: String,
        /// Token.
        token: String,
    },
    /// Explicit opt-out (TOK-07).
    Unregister(DeviceKey),
    /// Make the vendor treat a token as invalid from now on (the driver
    /// does this at the mock; never sent to a system under test).
    #[serde(skip)]
    #[schemars(skip)]
    InvalidateToken {
        /// Vendor.
        vendor: Vendor,
        /// Token.
        token: String,
        /// Only the next `count` sends to it are refused; `None` = all.
        count: Option<std::num::NonZeroU32>,
    },
    /// Make a vendor misbehave (rate limit, quota, outage, latency, garbage);
    /// done by the driver at the mock, never sent to a system under test.
    #[serde(skip)]
    #[schemars(skip)]
    VendorFault {
        /// Vendor.
        vendor: Vendor,
        /// What and for how long.
        fault: crate::mock::fault::FaultSpec,
    },
    /// Advance time with nothing else happening.
    Wait,
    /// A server API call (on the wire as the call itself: `{"send": …}`).
    #[serde(untagged)]
    Api(crate::core::io::ApiRequest),
}

/// A device, a text, a time: which pushes an expectation talks about.
#[derive(Clone, Debug, Default)]
pub struct PushFilter {
    /// Recipient device.
    pub device: Option<DeviceKey>,
    /// Message text (the original text the sender wrote).
    pub text: Option<String>,
    /// Decision time, matched within the same second.
    pub at: Option<SimTime>,
}

/// An `expect:` entry.
#[derive(Clone, Debug)]
pub struct Expectation {
    /// Source line.
    pub line: u32,
    /// What is expected.
    pub kind: ExpectKind,
}

/// The expectation kinds (issue 2: push, no_push, pushes, badge).
#[derive(Clone, Debug)]
pub enum ExpectKind {
    /// At least one push matches; optional content checks.
    Push {
        /// Which pushes.
        filter: PushFilter,
        /// Expected title.
        title: Option<String>,
        /// Expected body.
        body: Option<String>,
        /// Expected badge.
        badge: Option<u32>,
        /// Expected vendor channel.
        vendor: Option<Vendor>,
    },
    /// No push matches.
    NoPush(PushFilter),
    /// No vendor request matches, accepted or refused.
    NoRequest(PushFilter),
    /// Exactly `count` pushes match.
    Pushes {
        /// Which pushes.
        filter: PushFilter,
        /// How many.
        count: u32,
    },
    /// The last push to `device` (matching the filter) carried this badge.
    Badge {
        /// Which pushes (the last match is checked).
        filter: PushFilter,
        /// Badge value.
        value: u32,
    },
    /// A vendor request matching the filter was not accepted, and the
    /// pipeline's reading of the answer contains `contains`.
    VendorError {
        /// Which requests.
        filter: PushFilter,
        /// Text the result must contain.
        contains: String,
    },
    /// The answer of a settings read (NQ-01..03): the last read of `user` with
    /// this query (or the one at `at`) returned exactly `levels`.
    Settings {
        /// Whose settings.
        user: UserId,
        /// The query (a batch sorted and deduplicated, as the server answers it).
        query: crate::core::io::SettingsQuery,
        /// When the read happened, if given.
        at: Option<SimTime>,
        /// The expected levels, in the server's order.
        levels: Vec<(Option<Conversation>, crate::core::settings::LevelView)>,
    },
    /// The device received this message online or by sync.
    Delivered {
        /// Device.
        device: DeviceKey,
        /// Text.
        text: String,
    },
    /// The device never received this message, online or by sync.
    NotDelivered {
        /// Device.
        device: DeviceKey,
        /// Text.
        text: String,
    },
    /// Every decision matching the filter (at least one) cites `rule`.
    Decided {
        /// Which decisions.
        filter: PushFilter,
        /// The rule id.
        rule: &'static str,
    },
}

impl ExpectKind {
    /// Whether another implementation shows it (what `conform` can hold a
    /// SUT to): everything but the reference's own reasons.
    pub fn observable(&self) -> bool {
        !matches!(self, ExpectKind::Decided { .. })
    }
}
