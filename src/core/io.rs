//! The closed set of inputs the reference server accepts and outputs it emits.
//! This is the API boundary of `core`: the simulation shell turns socket frames
//! and API calls into `Input`s and carries `Output`s back out.

use super::model::*;
use super::profile::Profile;
use super::settings::LevelView;
use super::time::{SimTime, Zone};
use std::collections::BTreeMap;

/// Everything the server needs to know before the first input.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ServerConfig {
    /// Semantics profile.
    pub profile: Profile,
    /// The app's zone (else the offset of the scenario's `start`, A-01).
    pub app_zone: Zone,
    /// Console certificates: cert name → vendor (VND-01, TOK-03).
    pub certs: BTreeMap<String, Vendor>,
    /// Registered users and their own zones, if any.
    pub users: BTreeMap<UserId, Option<Zone>>,
    /// Groups declared up front: id → members in declaration order.
    pub groups: BTreeMap<GroupId, Vec<UserId>>,
}

impl ServerConfig {
    /// The zone `user`'s wall clock reads in: their own, else the app's
    /// (A-01; `settings.timezone: app` ignores users' zones).
    pub fn zone_of(&self, user: &str) -> Zone {
        let own = match self.profile.timezone {
            super::profile::TimezoneSource::User => self.users.get(user).copied().flatten(),
            super::profile::TimezoneSource::App => None,
        };
        own.unwrap_or(self.app_zone)
    }
}

/// A request on a device's long connection or on the server API.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum Input {
    /// A device logs in on a fresh connection.
    Login {
        /// The device.
        device: DeviceKey,
        /// Its platform.
        platform: Platform,
        /// The newest message the device already has (SDK sync cursor); the
        /// server syncs every later message addressed to the user (DLV-01, PRS-07).
        last_seen: Option<MsgId>,
    },
    /// Explicit logout (TOK-06). `unbind: None` takes the profile default.
    Logout {
        /// The device.
        device: DeviceKey,
        /// Whether to unbind the token.
        unbind: Option<bool>,
    },
    /// The device's connection is gone: closed (kill) or timed out (PRS-07).
    ConnectionLost {
        /// The device.
        device: DeviceKey,
        /// When the device was last heard from, if before `now`: a silent loss
        /// is noticed only at the heartbeat timeout, but absence counts from the
        /// last contact (PRS-09). `None`: now (a closed connection).
        last_contact: Option<SimTime>,
    },
    /// The app moved to foreground or background (PRS-03/04); `badge` is the
    /// unread count tencent's doBackground passes (BDG-02).
    AppState {
        /// The device.
        device: DeviceKey,
        /// New state.
        state: AppState,
        /// Badge baseline, if given.
        badge: Option<u32>,
    },
    /// Upload a push token bound to a cert (TOK-01..04).
    BindToken {
        /// The device.
        device: DeviceKey,
        /// Cert name.
        cert: String,
        /// Vendor token.
        token: String,
    },
    /// Explicit opt-out (TOK-07).
    Unregister {
        /// The device.
        device: DeviceKey,
    },
    /// A server API call (REST-like).
    Api(ApiRequest),
    /// What the vendor said about a push job (TOK-08).
    VendorFeedback {
        /// Job id from [`PushJob::id`].
        job: u64,
        /// Outcome.
        result: PushFeedback,
    },
}

/// Server API calls: sending and settings.
#[derive(
    Clone, PartialEq, Eq, Debug, serde::Serialize, serde::Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum ApiRequest {
    /// Send a message.
    // Boxed: inline, the message made every plan step 272 bytes (a
    // 100,000-device plan holds 150,000 steps).
    Send(Box<Message>),
    /// Set the remind type at app level (`conversation: None`) or for a conversation (RT-01).
    SetRemind {
        /// Whose setting.
        user: UserId,
        /// Conversation, or app level.
        conversation: Option<Conversation>,
        /// New value.
        remind: RemindType,
    },
    /// Clear a conversation's remind type (RT-04).
    ClearRemind {
        /// Whose setting.
        user: UserId,
        /// Conversation.
        conversation: Conversation,
    },
    /// A read receipt: the user read everything in the conversation so far
    /// (BDG-05: clears its unread count where the badge is the server's
    /// unread count; the push-counting badges ignore it).
    Read {
        /// Who read.
        user: UserId,
        /// The conversation, as the reader names it.
        conversation: Conversation,
    },
    /// Set DND: `window` as written (`"22:00-07:00"`, `""` clears; validated here,
    /// DNDW-01), `duration` in the profile's unit (DNDD-01).
    SetDnd {
        /// Whose setting.
        user: UserId,
        /// Conversation, or app level.
        conversation: Option<Conversation>,
        /// Window text, if given.
        window: Option<String>,
        /// Duration in the profile's unit, if given.
        duration: Option<i64>,
    },
    /// Preferred push language (CNT-05).
    SetLanguage {
        /// Whose setting.
        user: UserId,
        /// Language code, `None` clears.
        language: Option<String>,
    },
    /// Create or replace a push template (CNT-03; Easemob REST
    /// `POST /{org}/{app}/notification/template`). Named `default`, it applies to
    /// messages that name no template.
    SetTemplate {
        /// Template name.
        name: String,
        /// Title pattern.
        title: String,
        /// Content pattern.
        content: String,
    },
    /// easemob `updatePushNickname` (CNT-06); `None` clears.
    SetNickname {
        /// Whose nickname.
        user: UserId,
        /// The nickname.
        nickname: Option<String>,
    },
    /// zego `updateUserOfflinePushRule` (D-04, E-45).
    SetPushRule {
        /// Whose rule.
        user: UserId,
        /// Platforms whose presence triggers the rule.
        online_platforms: Vec<Platform>,
        /// Platforms that then get no push.
        not_to_receive: Vec<Platform>,
    },
    /// Read settings (NQ-01..03): the app level, one conversation, or many.
    GetSettings {
        /// Whose settings.
        user: UserId,
        /// What to read.
        query: SettingsQuery,
    },
    /// Create a group.
    CreateGroup {
        /// Group id.
        group: GroupId,
        /// Members.
        members: Vec<UserId>,
    },
}

/// What a settings read asks for.
#[derive(
    Clone, PartialEq, Eq, Debug, serde::Serialize, serde::Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum SettingsQuery {
    /// The app level: remind type, window, absolute expiry (NQ-03).
    App,
    /// One conversation's own settings (empty when it only inherits).
    Conversation(Conversation),
    /// The batch read (NQ-01/02): at most [`GET_MANY_MAX`] distinct
    /// conversations; the answer omits those that only inherit or whose own
    /// settings have all expired.
    Many(Vec<Conversation>),
}

impl std::fmt::Display for SettingsQuery {
    /// `app`, `group:g1`, or `[group:g1, user:alice]`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SettingsQuery::App => f.write_str("app"),
            SettingsQuery::Conversation(c) => write!(f, "{c}"),
            SettingsQuery::Many(cs) => {
                let names: Vec<String> = cs.iter().map(ToString::to_string).collect();
                write!(f, "[{}]", names.join(", "))
            }
        }
    }
}

/// The most conversations one batch read accepts, after collapsing duplicates (NQ-01, A-16).
pub const GET_MANY_MAX: usize = 20;

/// The answer to [`ApiRequest::GetSettings`].
#[derive(
    Clone, PartialEq, Eq, Debug, serde::Serialize, serde::Deserialize, schemars::JsonSchema,
)]
#[serde(deny_unknown_fields)]
pub struct SettingsRead {
    /// Whose settings.
    pub user: UserId,
    /// The query, as asked (duplicates collapsed for `Many`).
    pub query: SettingsQuery,
    /// The levels returned: `(None, app)` for the app query, `(Some(c), level)`
    /// otherwise; for `Many` only the conversations the answer lists, in
    /// conversation order.
    pub levels: Vec<(Option<Conversation>, LevelView)>,
}

/// Vendor outcome for a push job, as the pipeline shell classified it.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum PushFeedback {
    /// Accepted by the vendor.
    Delivered,
    /// The vendor says the token is invalid (TOK-08).
    InvalidToken {
        /// The vendor's reason, for the trace.
        reason: String,
    },
    /// Gave up for another reason (recorded only).
    Failed {
        /// Why.
        reason: String,
    },
}

/// Why a message was not pushed to a device: the deciding rule and a short text.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Suppression {
    /// RULES.md id of the deciding rule (`DNDW-04`).
    pub rule: &'static str,
    /// Human-readable reason (`app DND window 22:00-07:00`).
    pub reason: String,
}

/// The verdict for one message × recipient device (DNDX-05).
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum Verdict {
    /// Pushed: the job (which follows as [`Output::Push`]) carries the content.
    Push {
        /// The job's id.
        job: u64,
        /// Vendor channel (from the cert, VND-01).
        vendor: Vendor,
        /// Rule that decided (normally `DNDX-05`; `MSG-09` for force push).
        rule: &'static str,
    },
    /// Delivered over the live connection (PRS-01).
    Online,
    /// Not pushed.
    Suppressed(Suppression),
}

/// One decision record: message × device.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Decision {
    /// Message.
    pub msg: MsgId,
    /// Recipient device.
    pub device: DeviceKey,
    /// Verdict.
    pub verdict: Verdict,
}

/// A push to send: one device, one vendor, one notification.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct PushJob {
    /// Server-assigned job id (a counter).
    pub id: u64,
    /// Message.
    pub msg: MsgId,
    /// Recipient device.
    pub device: DeviceKey,
    /// Vendor channel (from the cert, VND-01).
    pub vendor: Vendor,
    /// Cert name.
    pub cert: String,
    /// Vendor token.
    pub token: String,
    /// Content.
    pub notification: Notification,
}

/// What the server emits.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum Output {
    /// Login accepted; the device is online.
    LoggedIn {
        /// The device.
        device: DeviceKey,
    },
    /// Login refused (unknown user, …).
    LoginRejected {
        /// The device.
        device: DeviceKey,
        /// Why.
        reason: String,
    },
    /// A device is kicked by a newer login (MDV-04); its connection must close.
    Kick {
        /// Kicked device.
        device: DeviceKey,
        /// The login that caused it.
        by: DeviceKey,
    },
    /// Logout done.
    LoggedOut {
        /// The device.
        device: DeviceKey,
        /// Whether the binding was removed.
        unbound: bool,
    },
    /// Deliver a message over the device's live connection.
    Deliver {
        /// The device.
        device: DeviceKey,
        /// The message.
        msg: Message,
    },
    /// Offline messages synced to a device that just logged in (DLV-01).
    Sync {
        /// The device.
        device: DeviceKey,
        /// The messages, oldest first.
        msgs: Vec<Message>,
    },
    /// A decision for message × device (for the trace and `explain`).
    Decided(Decision),
    /// A push to hand to the vendor layer (also inside the matching `Decided`).
    Push(PushJob),
    /// A binding was removed (logout, invalid token, another user took the token).
    Unbound {
        /// The device.
        device: DeviceKey,
        /// RULES.md id.
        rule: &'static str,
        /// Why.
        reason: String,
    },
    /// A request was accepted (settings, bind): a short description.
    Accepted {
        /// What changed, e.g. `app DND window 22:00-07:00`.
        what: String,
    },
    /// The answer to a settings read (NQ-01..03).
    Settings(SettingsRead),
    /// A well-formed request the service refuses (DNDW-01, DNDD-01, TOK-02/03).
    Rejected {
        /// RULES.md id.
        rule: &'static str,
        /// Why.
        reason: String,
    },
}
