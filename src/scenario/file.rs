//! The scenario file as written: serde structs mirroring the YAML one to one,
//! `deny_unknown_fields` everywhere. No meaning is given here; `lower.rs` does
//! that. Each top-level key, each step and each expectation is read on its own,
//! so one malformed step does not hide the next one.

use super::de::{from_node, DeError};
use super::schema::{
    AtText, DeviceRef, KindName, MultiPolicyName, PlatformName, Rejected, RemindName, RuleIds,
    StartText, VendorName, Version,
};
use super::tree::{Kind, Node, Path};
use schemars::JsonSchema;
use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;
use std::fmt;
use std::marker::PhantomData;

/// Top-level keys, in documentation order.
pub(crate) const TOP_KEYS: &[&str] = &[
    "version", "name", "about", "rules", "tags", "profile", "start", "seed", "tick_ms", "app",
    "users", "groups", "steps", "expect",
];

/// Step keys that name an action (exactly one per step).
pub(crate) const ACTION_KEYS: &[&str] = &[
    "login",
    "logout",
    "background",
    "foreground",
    "disconnect",
    "reconnect",
    "kill",
    "restart",
    "bind_token",
    "unregister",
    "set_remind",
    "clear_remind",
    "read",
    "set_dnd",
    "set_language",
    "create_group",
    "send",
    "invalidate_token",
    "vendor_fault",
    "set_push_rule",
    "set_nickname",
    "get_settings",
    "create_template",
    "wait",
];

/// Expectation kinds (exactly one per entry).
pub(crate) const EXPECT_KEYS: &[&str] = &[
    "push",
    "no_push",
    "no_request",
    "pushes",
    "badge",
    "delivered",
    "not_delivered",
    "vendor_error",
    "settings",
    "decided",
];

/// A mapping with arbitrary string keys, in file order.
#[derive(Debug)]
pub(crate) struct Entries<T>(pub(crate) Vec<(String, T)>);

impl<T> Default for Entries<T> {
    fn default() -> Self {
        Entries(Vec::new())
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Entries<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<T>(PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for V<T> {
            type Value = Entries<T>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a mapping")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> Result<Self::Value, A::Error> {
                let mut out = Vec::new();
                while let Some((k, v)) = m.next_entry::<String, T>()? {
                    out.push((k, v));
                }
                Ok(Entries(out))
            }
        }
        d.deserialize_map(V(PhantomData))
    }
}

/// Either a short string form or a full mapping form (`login: bob/phone` vs
/// `logout: {device: bob/phone, unbind: false}`).
#[derive(Debug)]
pub(crate) enum Short<T> {
    /// The string form.
    Name(String),
    /// The mapping form.
    Full(T),
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Short<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<T>(PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for V<T> {
            type Value = Short<T>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a name or a mapping")
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<Self::Value, E> {
                Ok(Short::Name(s.to_string()))
            }
            fn visit_map<A: MapAccess<'de>>(self, m: A) -> Result<Self::Value, A::Error> {
                T::deserialize(de::value::MapAccessDeserializer::new(m)).map(Short::Full)
            }
        }
        d.deserialize_any(V(PhantomData))
    }
}

/// `profile: easemob` or `profile: {base: easemob, knob: value, …}`.
#[derive(Debug)]
pub(crate) enum ProfileFile {
    /// A preset by name.
    Name(String),
    /// A preset plus knob overrides (RULES.md §12 dotted names).
    Custom {
        /// The preset.
        base: Option<String>,
        /// Overrides in file order.
        knobs: Vec<(String, Value)>,
    },
}

impl<'de> Deserialize<'de> for ProfileFile {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = ProfileFile;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a profile name or a mapping {base: NAME, knob: value, …}")
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<Self::Value, E> {
                Ok(ProfileFile::Name(s.to_string()))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> Result<Self::Value, A::Error> {
                let (mut base, mut knobs) = (None, Vec::new());
                while let Some(k) = m.next_key::<String>()? {
                    if k == "base" {
                        base = Some(m.next_value::<String>()?);
                    } else {
                        knobs.push((k, m.next_value::<Value>()?));
                    }
                }
                Ok(ProfileFile::Custom { base, knobs })
            }
        }
        d.deserialize_any(V)
    }
}

/// A loosely typed value (profile knobs).
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Value {
    /// `~`.
    Null,
    /// `true`/`false`.
    Bool(bool),
    /// An integer.
    Int(i128),
    /// A float.
    Float(f64),
    /// A string.
    Str(String),
    /// A sequence.
    Seq(Vec<Value>),
    /// A mapping (never valid as a knob value).
    Map,
}

impl<'de> Deserialize<'de> for Value {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Value;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a value")
            }
            fn visit_unit<E>(self) -> Result<Value, E> {
                Ok(Value::Null)
            }
            fn visit_bool<E>(self, b: bool) -> Result<Value, E> {
                Ok(Value::Bool(b))
            }
            fn visit_i64<E>(self, n: i64) -> Result<Value, E> {
                Ok(Value::Int(n.into()))
            }
            fn visit_u64<E>(self, n: u64) -> Result<Value, E> {
                Ok(Value::Int(n.into()))
            }
            fn visit_f64<E>(self, n: f64) -> Result<Value, E> {
                Ok(Value::Float(n))
            }
            fn visit_str<E>(self, s: &str) -> Result<Value, E> {
                Ok(Value::Str(s.to_string()))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut s: A) -> Result<Value, A::Error> {
                let mut out = Vec::new();
                while let Some(v) = s.next_element::<Value>()? {
                    out.push(v);
                }
                Ok(Value::Seq(out))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> Result<Value, A::Error> {
                while m.next_entry::<de::IgnoredAny, de::IgnoredAny>()?.is_some() {}
                Ok(Value::Map)
            }
        }
        d.deserialize_any(V)
    }
}

/// `app:` — the app's configuration.
#[derive(Deserialize, JsonSchema, Debug, Default)]
#[serde(deny_unknown_fields)]
pub(crate) struct AppFile {
    /// The app's zone for wall-clock rules: IANA (`Asia/Shanghai`) or an offset (`+08:00`); default the offset of `start`.
    pub(crate) timezone: Option<String>,
    /// The `multi.policy` knob written here; giving both with different values is an error.
    #[schemars(with = "Option<MultiPolicyName>")]
    pub(crate) multi_device_push: Option<String>,
    /// Cert name → `{vendor: …}` (VND-01).
    #[serde(default)]
    pub(crate) certs: Entries<CertFile>,
}

/// `app.certs.NAME` — a console cert.
#[derive(Deserialize, JsonSchema, Debug)]
#[serde(deny_unknown_fields)]
pub(crate) struct CertFile {
    /// The vendor channel the cert selects.
    #[schemars(with = "VendorName")]
    pub(crate) vendor: String,
    /// App configuration overrides for this cert (`channel_id`, …); `""`
    /// leaves the field out of the vendor request.
    #[serde(default)]
    pub(crate) options: Entries<String>,
}

/// `users.NAME` (null = `{}`) — a user and its devices.
#[derive(Deserialize, JsonSchema, Debug, Default)]
#[serde(deny_unknown_fields)]
pub(crate) struct UserFile {
    /// The user's zone (A-01: user > app > offset of `start`).
    pub(crate) timezone: Option<String>,
    /// Device name → device (null = `{}`); a device is named `user/device` elsewhere.
    #[serde(default)]
    pub(crate) devices: Entries<Option<DeviceFile>>,
}

/// `users.NAME.devices.NAME` (null = `{}`) — a device.
#[derive(Deserialize, JsonSchema, Debug, Default)]
#[serde(deny_unknown_fields)]
pub(crate) struct DeviceFile {
    /// Default `android`.
    #[schemars(with = "Option<PlatformName>")]
    pub(crate) platform: Option<String>,
    /// The push channel; with no `cert`, the app's only cert of that vendor (or an implicit one).
    #[schemars(with = "Option<VendorName>")]
    pub(crate) vendor: Option<String>,
    /// The cert the SDK binds with.
    pub(crate) cert: Option<String>,
    /// The vendor token; default `tok-<user>-<device>`.
    pub(crate) token: Option<String>,
    /// Whether the SDK uploads the token after every login; default true.
    pub(crate) auto_bind: Option<bool>,
    /// Push services the device supports (`[fcm, xiaomi, huawei]`); the SDK
    /// binds with the first of them in the profile's `vendor.order`
    /// (VND-02/03). Excludes `vendor` and `cert`.
    pub(crate) services: Option<Vec<String>>,
}

/// `groups.NAME`: a member list or `{members: [...]}`.
#[derive(Debug)]
pub(crate) struct GroupFile(pub(crate) Vec<String>);

impl<'de> Deserialize<'de> for GroupFile {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Full {
            members: Vec<String>,
        }
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = GroupFile;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a member list or a mapping {members: [...]}")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, s: A) -> Result<GroupFile, A::Error> {
                Vec::<String>::deserialize(de::value::SeqAccessDeserializer::new(s)).map(GroupFile)
            }
            fn visit_map<A: MapAccess<'de>>(self, m: A) -> Result<GroupFile, A::Error> {
                Full::deserialize(de::value::MapAccessDeserializer::new(m))
                    .map(|f| GroupFile(f.members))
            }
        }
        d.deserialize_any(V)
    }
}

/// A conversation: `{user: U}` | `{group: G}` | `{chatroom: R}`.
#[derive(Deserialize, JsonSchema, Debug, Default)]
#[serde(deny_unknown_fields)]
pub(crate) struct ConvFile {
    /// A single chat with this user.
    pub(crate) user: Option<String>,
    /// A declared or created group.
    pub(crate) group: Option<String>,
    /// A chat room (needs no declaration).
    pub(crate) chatroom: Option<String>,
}

/// `logout: {device, unbind}`.
#[derive(Deserialize, JsonSchema, Debug)]
#[serde(deny_unknown_fields)]
pub(crate) struct LogoutFile {
    /// The device.
    #[schemars(with = "DeviceRef")]
    pub(crate) device: String,
    /// Unbind the token (TOK-06); omitted = the profile default.
    pub(crate) unbind: Option<bool>,
}

/// `background: {device, badge}`.
#[derive(Deserialize, JsonSchema, Debug)]
#[serde(deny_unknown_fields)]
pub(crate) struct BackgroundFile {
    /// The device.
    #[schemars(with = "DeviceRef")]
    pub(crate) device: String,
    /// The unread count tencent's doBackground passes (BDG-02).
    pub(crate) badge: Option<u32>,
}

/// `bind_token: {device, cert, token}`.
#[derive(Deserialize, JsonSchema, Debug)]
#[serde(deny_unknown_fields)]
pub(crate) struct BindFile {
    /// The device.
    #[schemars(with = "DeviceRef")]
    pub(crate) device: String,
    /// Cert name; default the device's.
    pub(crate) cert: Option<String>,
    /// Token; default the device's.
    pub(crate) token: Option<String>,
}

/// `set_remind:` — a remind type at app level or for a conversation (RT-01).
#[derive(Deserialize, JsonSchema, Debug)]
#[serde(deny_unknown_fields)]
pub(crate) struct SetRemindFile {
    /// Whose setting.
    pub(crate) user: String,
    /// The conversation; omitted = app level.
    pub(crate) conversation: Option<ConvFile>,
    /// `ALL` | `AT` | `NONE`.
    #[serde(rename = "type")]
    #[schemars(with = "RemindName")]
    pub(crate) remind: String,
}

/// `clear_remind:` — the conversation inherits the app's remind type again
/// (RT-04); also `read:` — the user read the conversation (BDG-05).
#[derive(Deserialize, JsonSchema, Debug)]
#[serde(deny_unknown_fields)]
pub(crate) struct ClearRemindFile {
    /// Whose setting.
    pub(crate) user: String,
    /// The conversation.
    pub(crate) conversation: ConvFile,
}

/// A DND duration: an integer in the profile's unit, or `"2h"`.
#[derive(Debug)]
pub(crate) enum DurationFile {
    /// Passed raw.
    Raw(i64),
    /// Converted to the profile's unit.
    Text(String),
}

impl<'de> Deserialize<'de> for DurationFile {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = DurationFile;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an integer in the profile's unit or a duration such as \"2h\"")
            }
            fn visit_i64<E>(self, n: i64) -> Result<DurationFile, E> {
                Ok(DurationFile::Raw(n))
            }
            fn visit_u64<E: de::Error>(self, n: u64) -> Result<DurationFile, E> {
                i64::try_from(n)
                    .map(DurationFile::Raw)
                    .map_err(|_| E::custom("integer out of range"))
            }
            fn visit_str<E>(self, s: &str) -> Result<DurationFile, E> {
                Ok(DurationFile::Text(s.to_string()))
            }
        }
        d.deserialize_any(V)
    }
}

/// `set_dnd:` — a DND window and/or duration.
#[derive(Deserialize, JsonSchema, Debug)]
#[serde(deny_unknown_fields)]
pub(crate) struct SetDndFile {
    /// Whose setting.
    pub(crate) user: String,
    /// The conversation; omitted = app level.
    pub(crate) conversation: Option<ConvFile>,
    /// `"HH:MM-HH:MM"`, passed raw (`""` clears; a bad one is rejected by the service, DNDW-01).
    pub(crate) window: Option<String>,
    /// The one-shot duration (DNDD-01..05).
    pub(crate) duration: Option<DurationFile>,
}

/// `set_push_rule:` — zego's offline push rule (D-04): while the user is online
/// on one of `online_platforms`, devices on `not_to_receive` get no push.
#[derive(Deserialize, JsonSchema, Debug)]
#[serde(deny_unknown_fields)]
pub(crate) struct SetPushRuleFile {
    /// Whose rule.
    pub(crate) user: String,
    /// Platforms whose presence triggers the rule (`windows`, `web`, …).
    pub(crate) online_platforms: Vec<String>,
    /// Platforms that then get no push (`ios`, `android`, …).
    pub(crate) not_to_receive: Vec<String>,
}

/// `set_nickname:` — the push nickname recipients see instead of the user id (CNT-06).
#[derive(Deserialize, JsonSchema, Debug)]
#[serde(deny_unknown_fields)]
pub(crate) struct SetNicknameFile {
    /// Whose nickname.
    pub(crate) user: String,
    /// The nickname; `~` clears.
    pub(crate) nickname: Option<String>,
}

/// `set_language:` — the preferred push language (CNT-05).
#[derive(Deserialize, JsonSchema, Debug)]
#[serde(deny_unknown_fields)]
pub(crate) struct SetLanguageFile {
    /// Whose setting.
    pub(crate) user: String,
    /// A language code; `~` clears.
    pub(crate) language: Option<String>,
}

/// `create_group:` — create a group; later steps may name it.
#[derive(Deserialize, JsonSchema, Debug)]
#[serde(deny_unknown_fields)]
pub(crate) struct CreateGroupFile {
    /// The group's name.
    pub(crate) group: String,
    /// Declared users.
    pub(crate) members: Vec<String>,
}

/// `mentions: [u1, u2]` or `mentions: all`.
#[derive(Debug)]
pub(crate) enum MentionsFile {
    /// `all`.
    All,
    /// A user list.
    Users(Vec<String>),
}

impl<'de> Deserialize<'de> for MentionsFile {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = MentionsFile;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a list of users or `all`")
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<MentionsFile, E> {
                if s == "all" {
                    Ok(MentionsFile::All)
                } else {
                    Err(E::invalid_value(de::Unexpected::Str(s), &self))
                }
            }
            fn visit_seq<A: SeqAccess<'de>>(self, s: A) -> Result<MentionsFile, A::Error> {
                Vec::<String>::deserialize(de::value::SeqAccessDeserializer::new(s))
                    .map(MentionsFile::Users)
            }
        }
        d.deserialize_any(V)
    }
}

/// `send:` — a message; messages get ids m1, m2, … in step order.
#[derive(Deserialize, JsonSchema, Debug)]
#[serde(deny_unknown_fields)]
pub(crate) struct SendFile {
    /// The sender.
    pub(crate) from: String,
    /// A user name, or a conversation `{user: U}` | `{group: G}` | `{chatroom: R}`.
    pub(crate) to: Short<ConvFile>,
    /// The text; expectations name messages by it.
    pub(crate) text: String,
    /// Message kind.
    #[schemars(with = "Option<KindName>")]
    pub(crate) kind: Option<String>,
    /// Mentioned users, or `all` (MSG-06).
    pub(crate) mentions: Option<MentionsFile>,
    /// Force push (`em_force_notification`, MSG-09).
    pub(crate) force_push: Option<bool>,
    /// Sender-silenced (`em_ignore_notification`, MSG-08).
    /// Online-only / transient (tencent `onlineUserOnly`, MSG-11): delivered to
    /// connected devices only, never pushed or stored.
    pub(crate) online_only: Option<bool>,
    pub(crate) silent: Option<bool>,
    /// Push title override (CNT-02).
    pub(crate) push_title: Option<String>,
    /// Push content override (CNT-02).
    pub(crate) push_content: Option<String>,
    /// Custom message description (MSG-05).
    pub(crate) desc: Option<String>,
    /// Pass-through payload (CNT-04).
    #[serde(default)]
    pub(crate) payload: Entries<String>,
    /// Translations by language code (CNT-05).
    #[serde(default)]
    pub(crate) translations: Entries<String>,
    /// Call invite timeout in seconds (MSG-04, DLV-05); only with
    /// `kind: call_invite`, default 90 (ZEGO's `callInvite` default).
    pub(crate) timeout_s: Option<u32>,
    /// `em_push_template` (CNT-03): a template created by `create_template`.
    pub(crate) template: Option<TemplateRefFile>,
}

/// `send.template:` — `{name, title_args?, content_args?}`.
#[derive(Deserialize, JsonSchema, Debug)]
#[serde(deny_unknown_fields)]
pub(crate) struct TemplateRefFile {
    /// Template name.
    pub(crate) name: String,
    /// Fills `{0}`… of the title pattern.
    #[serde(default)]
    pub(crate) title_args: Vec<String>,
    /// Fills `{0}`… of the content pattern.
    #[serde(default)]
    pub(crate) content_args: Vec<String>,
}

/// `create_template:` — a push template (CNT-03); `default` applies to messages
/// that name none.
#[derive(Deserialize, JsonSchema, Debug)]
#[serde(deny_unknown_fields)]
pub(crate) struct CreateTemplateFile {
    /// Template name.
    pub(crate) name: String,
    /// Title pattern: text with `{0}`…, `{$msg}`, `{$fromNickname}`, `{$dynamicFrom}`.
    pub(crate) title: String,
    /// Content pattern, same placeholders.
    pub(crate) content: String,
}

/// `get_settings:` — a settings read (NQ-01..03): the app level (neither
/// `conversation` nor `conversations`), one conversation, or a batch.
#[derive(Deserialize, JsonSchema, Debug)]
#[serde(deny_unknown_fields)]
pub(crate) struct GetSettingsFile {
    /// Whose settings.
    pub(crate) user: String,
    /// One conversation.
    pub(crate) conversation: Option<ConvFile>,
    /// A batch read (at most 20 distinct; more is rejected at run time, NQ-01).
    pub(crate) conversations: Option<Vec<ConvFile>>,
}

/// `invalidate_token: {device}` or `{vendor, token}` — the mock vendor answers
/// "invalid token" for it from now on.
#[derive(Deserialize, JsonSchema, Debug)]
#[serde(deny_unknown_fields)]
pub(crate) struct InvalidateFile {
    /// The device whose token to invalidate.
    #[schemars(with = "Option<DeviceRef>")]
    pub(crate) device: Option<String>,
    /// The vendor (with `token`).
    #[schemars(with = "Option<VendorName>")]
    pub(crate) vendor: Option<String>,
    /// The token (with `vendor`).
    pub(crate) token: Option<String>,
    /// Refuse only the next `count` sends to it, then accept it again (a
    /// transient "invalid token"); absent = from now on.
    pub(crate) count: Option<u32>,
}

/// `vendor_fault: {vendor, fault, retry_after?, latency?, body?, for?, count?}`.
#[derive(Deserialize, JsonSchema, Debug)]
#[serde(deny_unknown_fields)]
pub(crate) struct VendorFaultFile {
    /// Which vendor misbehaves.
    #[schemars(with = "VendorName")]
    pub(crate) vendor: String,
    /// `rate_limited`, `daily_quota`, `server_error`, `auth_expired`, `slow`, `garbage`.
    pub(crate) fault: String,
    /// `rate_limited`: the Retry-After the vendor sends (default `30s`).
    pub(crate) retry_after: Option<String>,
    /// `rate_limited`: only sends to this device (a per-device message rate).
    #[schemars(with = "Option<DeviceRef>")]
    pub(crate) device: Option<String>,
    /// `slow`: how late answers arrive (virtual time).
    pub(crate) latency: Option<String>,
    /// `garbage`: `empty` (200, no body), `html` (502 proxy page), `truncated`.
    pub(crate) body: Option<String>,
    /// How long the fault lasts from this step.
    #[serde(rename = "for")]
    pub(crate) for_: Option<String>,
    /// How many requests it affects.
    pub(crate) count: Option<u32>,
}

/// One entry of `steps:`: `at`, exactly one action, optionally `expect: rejected`.
//
// Which action keys are present is read from the tree (a key with a null
// value still counts), their values from here.
#[derive(Deserialize, JsonSchema, Debug)]
#[serde(deny_unknown_fields)]
#[schemars(transform = super::schema::one_action)]
// The actions' structs are boxed: inline, a step was about 3 KB, and a
// 150,000-step scenario's list of steps alone took ~490 MB while loading
// (heaptrack on a 100,000-device file).
pub(crate) struct StepFile {
    /// When: a clock time (next occurrence at/after the previous step), `+30s`, or RFC 3339.
    #[schemars(with = "AtText")]
    pub(crate) at: String,
    /// `rejected`: the service is expected to refuse this step.
    #[schemars(with = "Option<Rejected>")]
    pub(crate) expect: Option<String>,
    /// Connect and log in; binds the device's token if `auto_bind`.
    #[schemars(with = "Option<DeviceRef>")]
    pub(crate) login: Option<String>,
    /// Log out; `unbind` omitted = the profile default (TOK-06).
    pub(crate) logout: Option<Box<Short<LogoutFile>>>,
    /// App to background (`badge`: tencent doBackground count).
    pub(crate) background: Option<Box<Short<BackgroundFile>>>,
    /// App to foreground.
    #[schemars(with = "Option<DeviceRef>")]
    pub(crate) foreground: Option<String>,
    /// Silent network loss: no close; only the heartbeat timeout notices (PRS-07).
    #[schemars(with = "Option<DeviceRef>")]
    pub(crate) disconnect: Option<String>,
    /// Network back: logs in again on a new connection.
    #[schemars(with = "Option<DeviceRef>")]
    pub(crate) reconnect: Option<String>,
    /// Process killed: the connection closes (PRS-06).
    #[schemars(with = "Option<DeviceRef>")]
    pub(crate) kill: Option<String>,
    /// `kill` then `login` at the same instant.
    #[schemars(with = "Option<DeviceRef>")]
    pub(crate) restart: Option<String>,
    /// Upload a token; `cert`/`token` default to the device's.
    pub(crate) bind_token: Option<Box<Short<BindFile>>>,
    /// Explicit push opt-out (TOK-07).
    #[schemars(with = "Option<DeviceRef>")]
    pub(crate) unregister: Option<String>,
    /// Set a remind type.
    pub(crate) set_remind: Option<Box<SetRemindFile>>,
    /// Clear a conversation's remind type.
    pub(crate) clear_remind: Option<Box<ClearRemindFile>>,
    /// A read receipt: the user read the conversation (BDG-05).
    pub(crate) read: Option<Box<ClearRemindFile>>,
    /// Set a DND window and/or duration.
    pub(crate) set_dnd: Option<Box<SetDndFile>>,
    /// Set the push language.
    pub(crate) set_language: Option<Box<SetLanguageFile>>,
    /// Create a group.
    pub(crate) create_group: Option<Box<CreateGroupFile>>,
    /// Send a message.
    pub(crate) send: Option<Box<SendFile>>,
    /// Make the mock vendor treat a token as invalid.
    pub(crate) invalidate_token: Option<Box<InvalidateFile>>,
    /// Make a mock vendor misbehave (see the `vendor_fault` table in README.md).
    pub(crate) vendor_fault: Option<Box<VendorFaultFile>>,
    /// zego's offline push rule (D-04, under `multi.policy: platform_rule`).
    pub(crate) set_push_rule: Option<Box<SetPushRuleFile>>,
    /// easemob's push nickname (CNT-06).
    pub(crate) set_nickname: Option<Box<SetNicknameFile>>,
    pub(crate) get_settings: Option<Box<GetSettingsFile>>,
    pub(crate) create_template: Option<Box<CreateTemplateFile>>,
    /// `wait: true` only advances time.
    pub(crate) wait: Option<bool>,
}

/// `{device?, text?, at?}` — which pushes an expectation is about.
#[derive(Deserialize, JsonSchema, Debug)]
#[serde(deny_unknown_fields)]
pub(crate) struct FilterFile {
    /// Recipient device.
    #[schemars(with = "Option<DeviceRef>")]
    pub(crate) device: Option<String>,
    /// The text of a `send` step.
    pub(crate) text: Option<String>,
    /// Decision time, within the same second (a clock time is its first occurrence after `start`).
    #[schemars(with = "Option<AtText>")]
    pub(crate) at: Option<String>,
}

/// `decided: {device?, text?, at?, because}` — the reference decided the
/// matching message × device by this rule (not observable at the vendors:
/// `pushsim conform` does not check it).
#[derive(Deserialize, JsonSchema, Debug)]
#[serde(deny_unknown_fields)]
pub(crate) struct DecidedFile {
    /// Recipient device.
    #[schemars(with = "Option<DeviceRef>")]
    pub(crate) device: Option<String>,
    /// The text of a `send` step.
    pub(crate) text: Option<String>,
    /// Decision time, within the same second.
    #[schemars(with = "Option<AtText>")]
    pub(crate) at: Option<String>,
    /// The rule id every matching decision cites (`PRS-07`, `DNDW-04`, …).
    pub(crate) because: String,
}

/// `vendor_error: {device?, text?, at?, contains}` — a vendor request that
/// was not accepted, with its code or message.
#[derive(Deserialize, JsonSchema, Debug)]
#[serde(deny_unknown_fields)]
pub(crate) struct VendorErrorFile {
    pub(crate) device: Option<String>,
    pub(crate) text: Option<String>,
    pub(crate) at: Option<String>,
    /// Text the pipeline's reading of the answer must contain (`41`, `UNREGISTERED`, …).
    pub(crate) contains: String,
}

/// `push:` — at least one push matches; `title`/`body`/`badge` are checked on it.
#[derive(Deserialize, JsonSchema, Debug)]
#[serde(deny_unknown_fields)]
pub(crate) struct PushFile {
    /// Recipient device.
    #[schemars(with = "Option<DeviceRef>")]
    pub(crate) device: Option<String>,
    /// The text of a `send` step.
    pub(crate) text: Option<String>,
    /// Decision time, within the same second.
    #[schemars(with = "Option<AtText>")]
    pub(crate) at: Option<String>,
    /// Expected notification title.
    pub(crate) title: Option<String>,
    /// Expected notification body.
    pub(crate) body: Option<String>,
    /// Expected badge.
    pub(crate) badge: Option<u32>,
    /// Expected vendor channel (`fcm`, `huawei`, …).
    #[schemars(with = "Option<VendorName>")]
    pub(crate) vendor: Option<String>,
}

/// `pushes:` — exactly `count` pushes match.
#[derive(Deserialize, JsonSchema, Debug)]
#[serde(deny_unknown_fields)]
pub(crate) struct PushesFile {
    /// Recipient device.
    #[schemars(with = "Option<DeviceRef>")]
    pub(crate) device: Option<String>,
    /// The text of a `send` step.
    pub(crate) text: Option<String>,
    /// Decision time, within the same second.
    #[schemars(with = "Option<AtText>")]
    pub(crate) at: Option<String>,
    /// How many.
    pub(crate) count: u32,
}

/// `badge:` — the last matching push carried this badge.
#[derive(Deserialize, JsonSchema, Debug)]
#[serde(deny_unknown_fields)]
pub(crate) struct BadgeFile {
    /// Recipient device.
    #[schemars(with = "DeviceRef")]
    pub(crate) device: String,
    /// The text of a `send` step.
    pub(crate) text: Option<String>,
    /// Decision time, within the same second.
    #[schemars(with = "Option<AtText>")]
    pub(crate) at: Option<String>,
    /// The badge value.
    pub(crate) value: u32,
}

/// `delivered:` — the device got the message online or by sync.
#[derive(Deserialize, JsonSchema, Debug)]
#[serde(deny_unknown_fields)]
pub(crate) struct DeliveredFile {
    /// The device.
    #[schemars(with = "DeviceRef")]
    pub(crate) device: String,
    /// The text of a `send` step.
    pub(crate) text: String,
}

/// One level of a settings answer: each key absent means "not set" (or, for
/// `expiry`, no active duration).
#[derive(Deserialize, JsonSchema, Debug, Default)]
#[serde(deny_unknown_fields)]
pub(crate) struct LevelFile {
    /// `ALL` | `AT` | `NONE`.
    pub(crate) remind: Option<String>,
    /// `HH:MM-HH:MM`.
    pub(crate) window: Option<String>,
    /// The absolute expiry, an expectation time (clock, `+…` or RFC 3339).
    pub(crate) expiry: Option<String>,
}

/// One conversation a batch read lists.
#[derive(Deserialize, JsonSchema, Debug)]
#[serde(deny_unknown_fields)]
pub(crate) struct ListedFile {
    /// The conversation.
    pub(crate) conversation: ConvFile,
    /// `ALL` | `AT` | `NONE`.
    pub(crate) remind: Option<String>,
    /// `HH:MM-HH:MM`.
    pub(crate) window: Option<String>,
    /// The absolute expiry.
    pub(crate) expiry: Option<String>,
}

/// `settings:` — the answer of a `get_settings` step with the same user and
/// query (the last one, or the one at `at`) is exactly this.
#[derive(Deserialize, JsonSchema, Debug)]
#[serde(deny_unknown_fields)]
pub(crate) struct SettingsExpectFile {
    /// Whose settings.
    pub(crate) user: String,
    /// The query's conversation (one-conversation read).
    pub(crate) conversation: Option<ConvFile>,
    /// The query's conversations (batch read).
    pub(crate) conversations: Option<Vec<ConvFile>>,
    /// When the read happened (matched within the same second).
    pub(crate) at: Option<String>,
    /// The answer of an app or one-conversation read.
    pub(crate) result: Option<LevelFile>,
    /// The conversations a batch read lists (NQ-02: inherited and expired ones are omitted).
    pub(crate) listed: Option<Vec<ListedFile>>,
}

/// One entry of `expect:`: exactly one kind.
#[derive(Deserialize, JsonSchema, Debug)]
#[serde(deny_unknown_fields)]
#[schemars(transform = super::schema::one_expectation)]
pub(crate) struct ExpectFile {
    /// A vendor request was not accepted, with this code or message.
    pub(crate) vendor_error: Option<VendorErrorFile>,
    /// At least one push matches.
    pub(crate) push: Option<PushFile>,
    /// No push matches.
    pub(crate) no_push: Option<FilterFile>,
    /// No vendor request at all matches (accepted or not).
    pub(crate) no_request: Option<FilterFile>,
    /// Exactly `count` pushes match.
    pub(crate) pushes: Option<PushesFile>,
    /// The last matching push carried this badge.
    pub(crate) badge: Option<BadgeFile>,
    /// The device received the message online or by sync.
    pub(crate) delivered: Option<DeliveredFile>,
    /// The device never received the message, online or by sync.
    pub(crate) not_delivered: Option<DeliveredFile>,
    pub(crate) settings: Option<SettingsExpectFile>,
    /// The decision for the matching message × device cites this rule.
    pub(crate) decided: Option<DecidedFile>,
}

/// A pushsim scenario: users, devices, settings and a timeline of steps,
/// replayed against the reference push pipeline (scenarios/README.md).
//
// The whole file. Entries that failed to read are absent (their errors are
// reported); `steps` and `expect` keep their 0-based index in the file. Read
// key by key by `read`, not by serde; the derive only feeds the JSON Schema.
#[derive(JsonSchema, Debug, Default)]
#[schemars(deny_unknown_fields)]
pub(crate) struct ScenarioFile {
    /// Format version; only 1.
    #[schemars(with = "Option<Version>")]
    pub(crate) version: Option<u32>,
    /// One-line title.
    #[schemars(required)]
    pub(crate) name: Option<String>,
    /// What the scenario shows, and why.
    #[schemars(required)]
    pub(crate) about: Option<String>,
    /// RULES.md ids this scenario covers.
    #[schemars(with = "RuleIds")]
    pub(crate) rules: Option<Vec<String>>,
    /// Free-form labels, for `pushsim run --tags`.
    #[schemars(default)]
    pub(crate) tags: Vec<String>,
    /// Semantics profile; default easemob.
    pub(crate) profile: Option<ProfileFile>,
    /// The calendar time at t=0.
    #[schemars(with = "StartText")]
    pub(crate) start: Option<String>,
    /// RNG seed; default 1.
    pub(crate) seed: Option<u64>,
    /// Network tick in ms; default 10.
    #[schemars(range(min = 1, max = 1000))]
    pub(crate) tick_ms: Option<u64>,
    /// The app's configuration.
    #[schemars(default)]
    pub(crate) app: AppFile,
    /// User name → user (null = `{}`). Names contain no `/`.
    #[schemars(default)]
    pub(crate) users: Entries<Option<UserFile>>,
    /// Groups declared up front: name → member list or `{members: [...]}`.
    #[schemars(default)]
    pub(crate) groups: Entries<GroupFile>,
    /// The timeline; steps sharing an `at` run in file order.
    #[schemars(default, with = "Vec<StepFile>")]
    pub(crate) steps: Vec<(usize, StepFile)>,
    /// Checks on the outcome.
    #[schemars(default, with = "Vec<ExpectFile>")]
    pub(crate) expect: Vec<(usize, ExpectFile)>,
}

/// Reads the document into a [`ScenarioFile`], collecting every structural
/// error: each top-level key, each step and each expectation independently.
/// `head_ok` is false when a top-level key other than `steps`/`expect` failed.
pub(crate) fn read(doc: &Node) -> (ScenarioFile, Vec<DeError>, bool) {
    let mut f = ScenarioFile::default();
    let mut errors = Vec::new();
    let mut head_ok = true;
    let root = Path::default();
    let Some(entries) = doc.entries() else {
        let e = DeError {
            message: "a scenario must be a mapping".into(),
            help: Some("start with `name:`, `about:`, `rules:` and `start:`".into()),
            pos: Some(doc.pos),
            path: None,
        };
        return (f, vec![e], false);
    };
    fn put<'a, T: Deserialize<'a>>(
        node: &'a Node,
        path: &Path,
        slot: &mut T,
        errors: &mut Vec<DeError>,
        ok: &mut bool,
    ) {
        match from_node(node, path) {
            Ok(v) => *slot = v,
            Err(e) => {
                errors.push(e);
                *ok = false;
            }
        }
    }
    for e in entries {
        let (node, path) = (&e.value, root.key(&e.key));
        let (errs, ok) = (&mut errors, &mut head_ok);
        match e.key.as_str() {
            "version" => put(node, &path, &mut f.version, errs, ok),
            "name" => put(node, &path, &mut f.name, errs, ok),
            "about" => put(node, &path, &mut f.about, errs, ok),
            "rules" => put(node, &path, &mut f.rules, errs, ok),
            "tags" => put(node, &path, &mut f.tags, errs, ok),
            "profile" => put(node, &path, &mut f.profile, errs, ok),
            "start" => put(node, &path, &mut f.start, errs, ok),
            "seed" => put(node, &path, &mut f.seed, errs, ok),
            "tick_ms" => put(node, &path, &mut f.tick_ms, errs, ok),
            "app" => put(node, &path, &mut f.app, errs, ok),
            "users" => put(node, &path, &mut f.users, errs, ok),
            "groups" => put(node, &path, &mut f.groups, errs, ok),
            "steps" => f.steps = read_list(node, &path, errs, ok),
            "expect" => f.expect = read_list(node, &path, errs, ok),
            other => {
                let mut err = <DeError as de::Error>::unknown_field(other, TOP_KEYS);
                err.pos = Some(e.key_pos);
                errors.push(err);
            }
        }
    }
    for (key, present) in [
        ("name", f.name.is_some()),
        ("about", f.about.is_some()),
        ("rules", f.rules.is_some()),
        ("start", f.start.is_some()),
    ] {
        if present {
            continue;
        }
        let (message, pos, path) = match doc.get(key) {
            None => (format!("missing key `{key}`"), doc.pos, None),
            Some(e) if e.value.is_null() => {
                ("needs a value".to_string(), e.key_pos, Some(root.key(key)))
            }
            Some(_) => continue, // reported by `put`
        };
        errors.push(DeError {
            message,
            help: None,
            pos: Some(pos),
            path,
        });
        head_ok = false;
    }
    (f, errors, head_ok)
}

/// Reads a sequence element by element; a null value is an empty list.
fn read_list<'a, T: Deserialize<'a>>(
    node: &'a Node,
    path: &Path,
    errors: &mut Vec<DeError>,
    ok: &mut bool,
) -> Vec<(usize, T)> {
    match &node.kind {
        Kind::Seq(items) => items
            .iter()
            .enumerate()
            .filter_map(|(i, n)| match from_node(n, &path.idx(i)) {
                Ok(v) => Some((i, v)),
                Err(e) => {
                    errors.push(e);
                    None
                }
            })
            .collect(),
        _ if node.is_null() => Vec::new(),
        _ => {
            errors.push(DeError {
                message: "expected a list".into(),
                help: None,
                pos: Some(node.pos),
                path: Some(path.clone()),
            });
            *ok = false;
            Vec::new()
        }
    }
}
