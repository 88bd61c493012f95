//! The driver protocol's messages (`docs/driver-protocol.md`; the JSON Schema
//! `docs/driver-protocol.schema.json` is generated from these types and kept
//! current by `tests/tidy.rs`).
//!
//! A system under test (SUT) serves five routes over HTTP/1.1 with JSON bodies:
//!
//! | route                 | body          | answer          |
//! |-----------------------|---------------|-----------------|
//! | `GET /capabilities`   | —             | [`Capabilities`]|
//! | `POST /reset`         | [`Setup`]     | [`ClockReply`]  |
//! | `POST /advance`       | [`Advance`]   | [`ClockReply`]  |
//! | `POST /step`          | [`StepCall`]  | [`StepReply`]   |
//! | `GET /observations`   | —             | [`Observations`]|
//!
//! The steps' vocabulary is the plan's own ([`Action`], serde names): one
//! table, so a new step kind is a new variant there and nothing here.

use crate::core::io::{ServerConfig, SettingsRead};
use crate::core::model::{DeviceKey, MsgId, Vendor};
use crate::core::time::{SimTime, Zone};
use crate::scenario::plan::{Action, DeviceDecl};
use crate::vendor::Credentials;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The protocol's name and version; a SUT answering another is refused.
pub const PROTOCOL: &str = "pushsim-driver/1";

/// Every step kind a SUT may be sent (the keys of [`Action`] on the wire).
pub const STEP_KINDS: &[&str] = &[
    "login",
    "logout",
    "background",
    "foreground",
    "disconnect",
    "reconnect",
    "kill",
    "bind_token",
    "unregister",
    "send",
    "set_remind",
    "clear_remind",
    "read",
    "set_dnd",
    "set_language",
    "set_template",
    "set_nickname",
    "set_push_rule",
    "get_settings",
    "create_group",
];

/// What a SUT implements. A scenario needing more is skipped with the reason.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Capabilities {
    /// Must be [`PROTOCOL`].
    pub protocol: String,
    /// The implementation's name, for reports.
    pub name: String,
    /// Profiles it implements (`easemob`, `easemob-native`, `tencent`, `zego`).
    pub profiles: Vec<String>,
    /// Step kinds it carries out: the keys of [`Action`] (`login`, `send`, `set_dnd`, …).
    pub steps: Vec<String>,
    /// Vendors it can push through.
    pub vendors: Vec<Vendor>,
    /// Whether it keeps the driver's virtual clock (default true): timers,
    /// DND windows and durations, retry waits. A SUT without one (`false`)
    /// treats `advance` as "finish what is under way", and scenarios whose
    /// outcome depends on time passing are skipped
    /// (`conform::needs_clock`).
    #[serde(default = "clock_default", skip_serializing_if = "Clone::clone")]
    pub clock: bool,
}

fn clock_default() -> bool {
    true
}

/// Where one console cert's vendor is, and the app's credentials there.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CertAccess {
    /// The mock vendor's base URL (`http://127.0.0.1:PORT`): send there,
    /// exactly as to the real vendor's host.
    pub base_url: String,
    /// The app's credentials at that vendor (service account, app secret, …).
    pub credentials: Credentials,
}

/// `POST /reset`: forget everything and start a scenario.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Setup {
    /// Must be [`PROTOCOL`].
    pub protocol: String,
    /// The scenario's id (for the SUT's logs).
    pub scenario: String,
    /// The scenario's seed (a SUT with randomness should use it).
    pub seed: u64,
    /// The clock starts here (calendar ms since the Unix epoch).
    pub start: SimTime,
    /// The zone the scenario's times are written in.
    pub display_zone: Zone,
    /// The reference's simulated network tick; other SUTs ignore it.
    pub network_tick_ms: u64,
    /// Profile (every knob resolved), app zone, certs, users, groups.
    pub server: ServerConfig,
    /// The devices the scenario uses, with their tokens.
    pub devices: Vec<DeviceDecl>,
    /// Per cert name: where its vendor is and the credentials.
    pub certs: BTreeMap<String, CertAccess>,
}

/// `POST /advance`: make everything due up to `to` happen, then answer.
#[derive(Clone, Copy, Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Advance {
    /// The new time (never earlier than the last).
    pub to: SimTime,
}

/// The answer to `reset` and `advance`.
#[derive(Clone, Copy, Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ClockReply {
    /// The SUT's clock.
    pub now: SimTime,
    /// When something is next due with no further step (a retry wait, a
    /// heartbeat deadline), if the SUT knows; the driver advances there first
    /// and sets the mocks' clocks to it, so vendor requests carry exact times.
    pub next_deadline: Option<SimTime>,
}

/// `POST /step`: carry out one scenario step now.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StepCall {
    /// The step's time (the clock is already there).
    pub at: SimTime,
    /// The step's index in the plan.
    pub seq: u32,
    /// The scenario line it comes from.
    pub line: u32,
    /// What to do: one key, e.g. `{"login": "bob/phone"}`, `{"send": {…}}`.
    pub action: Action,
}

/// What a step's call came to.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Answer {
    /// Carried out (also for device actions the server refused at login:
    /// those show in the observations).
    Ok,
    /// The server API refused the call.
    Rejected {
        /// The RULES.md id the SUT cites, if it knows one.
        rule: Option<String>,
        /// Why, in the SUT's words.
        reason: String,
    },
    /// The answer of a `get_settings` call.
    Settings(SettingsRead),
}

/// The answer to `step`: the step carried out (its effects may still be
/// under way: vendor requests happen before the next call answers).
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StepReply {
    /// The call's result.
    pub answer: Answer,
    /// As in [`ClockReply`].
    pub next_deadline: Option<SimTime>,
}

/// How a message reached a device.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Via {
    /// Over the live connection.
    Online,
    /// In the offline-message sync at login.
    Sync,
}

/// A message a device received.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Received {
    /// When.
    pub at: SimTime,
    /// Which device.
    pub device: DeviceKey,
    /// Which message (the id `send` gave it).
    pub msg: MsgId,
    /// How.
    pub via: Via,
}

/// `GET /observations`: what the devices saw since the reset.
#[derive(Clone, Debug, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Observations {
    /// Every message every device received, in time order.
    pub received: Vec<Received>,
    /// Free text the SUT wants in a failure's report (an adapter's push
    /// gateway notifies, say), one line each; never compared.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub log: Vec<String>,
}

/// An error answer (any non-2xx status), e.g. `{"error": "unknown step kind"}`.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
pub struct ErrorReply {
    /// What went wrong.
    pub error: String,
}

/// The step kind of `action`: its key in the protocol (serde's name), or
/// `None` for what the driver does itself (waits, mock faults).
pub fn step_kind(action: &Action) -> Option<String> {
    match action {
        Action::Wait | Action::VendorFault { .. } | Action::InvalidateToken { .. } => None,
        _ => match serde_json::to_value(action).ok()? {
            serde_json::Value::Object(map) => map.keys().next().cloned(),
            serde_json::Value::String(s) => Some(s),
            _ => None,
        },
    }
}

/// Every message of the protocol in one JSON Schema document (draft-07):
/// `definitions` holds each, by name.
pub fn json_schema() -> String {
    let mut generator = schemars::generate::SchemaSettings::draft07().into_generator();
    let mut routes = serde_json::Map::new();
    for (name, schema) in [
        ("Capabilities", generator.subschema_for::<Capabilities>()),
        ("Setup", generator.subschema_for::<Setup>()),
        ("Advance", generator.subschema_for::<Advance>()),
        ("ClockReply", generator.subschema_for::<ClockReply>()),
        ("StepCall", generator.subschema_for::<StepCall>()),
        ("StepReply", generator.subschema_for::<StepReply>()),
        ("Observations", generator.subschema_for::<Observations>()),
        ("ErrorReply", generator.subschema_for::<ErrorReply>()),
    ] {
        routes.insert(name.into(), schema.to_value());
    }
    let definitions = generator.take_definitions(true);
    let doc = serde_json::json!({
        "$schema": "http://json-schema.org/draft-07/schema#",
        "title": format!("{PROTOCOL} messages"),
        "description": "See docs/driver-protocol.md. Each route's body and answer is one of `messages`.",
        "messages": routes,
        "definitions": definitions,
    });
    let mut text = serde_json::to_string_pretty(&doc).expect("a schema serializes");
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn step_kinds_are_the_wire_keys() {
        let k = DeviceKey::new("bob", "phone");
        assert_eq!(
            step_kind(&Action::Login(k.clone())).as_deref(),
            Some("login")
        );
        let send = Action::Api(crate::core::io::ApiRequest::Send(Box::new(
            crate::core::model::Message::text(
                1,
                "alice",
                crate::core::model::Conversation::User("bob".into()),
                "hi",
            ),
        )));
        assert_eq!(step_kind(&send).as_deref(), Some("send"));
        assert_eq!(step_kind(&Action::Wait), None);
        let json = serde_json::to_string(&send).unwrap();
        assert!(
            json.starts_with(r#"{"send":{"id":"m1","from":"alice","to":"user:bob""#),
            "{json}"
        );
        let back: Action = serde_json::from_str(&json).unwrap();
        assert!(matches!(back, Action::Api(_)));
        let logout: Action =
            serde_json::from_str(r#"{"logout":{"device":"bob/phone","unbind":false}}"#).unwrap();
        assert!(matches!(
            logout,
            Action::Logout {
                unbind: Some(false),
                ..
            }
        ));
    }
}
