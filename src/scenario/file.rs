//! The scenario file as written: serde structs mirroring the YAML one to one,
//! `deny_unknown_fields` everywhere. No meaning is given here; `lower.rs` does
//! that. Each top-level key, each step and each expectation is read on its own,
//! so one malformed step does not hide the next one.

use super::de::{from_node, DeError};
use super::tree::{Kind, Node, Path};
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
    "set_dnd",
    "set_language",
    "create_group",
    "send",
    "invalidate_token",
    "get_settings",
    "create_template",
    "wait",
];

/// Expectation kinds (exactly one per entry).
pub(crate) const EXPECT_KEYS: &[&str] = &[
    "push",
    "no_push",
    "pushes",
    "badge",
    "delivered",
    "settings",
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

/// `app:`.
#[derive(Deserialize, Debug, Default)]
#[serde(deny_unknown_fields)]
pub(crate) struct AppFile {
    pub(crate) timezone: Option<String>,
    pub(crate) multi_device_push: Option<String>,
    #[serde(default)]
    pub(crate) certs: Entries<CertFile>,
}

/// `app.certs.NAME`.
#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub(crate) struct CertFile {
    pub(crate) vendor: String,
}

/// `users.NAME` (null = `{}`).
#[derive(Deserialize, Debug, Default)]
#[serde(deny_unknown_fields)]
pub(crate) struct UserFile {
    pub(crate) timezone: Option<String>,
    #[serde(default)]
    pub(crate) devices: Entries<Option<DeviceFile>>,
}

/// `users.NAME.devices.NAME` (null = `{}`).
#[derive(Deserialize, Debug, Default)]
#[serde(deny_unknown_fields)]
pub(crate) struct DeviceFile {
    pub(crate) platform: Option<String>,
    pub(crate) vendor: Option<String>,
    pub(crate) cert: Option<String>,
    pub(crate) token: Option<String>,
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

/// `{user: U}` | `{group: G}` | `{chatroom: R}`.
#[derive(Deserialize, Debug, Default)]
#[serde(deny_unknown_fields)]
pub(crate) struct ConvFile {
    pub(crate) user: Option<String>,
    pub(crate) group: Option<String>,
    pub(crate) chatroom: Option<String>,
}

/// `logout: {device, unbind}`.
#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub(crate) struct LogoutFile {
    pub(crate) device: String,
    pub(crate) unbind: Option<bool>,
}

/// `background: {device, badge}`.
#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub(crate) struct BackgroundFile {
    pub(crate) device: String,
    pub(crate) badge: Option<u32>,
}

/// `bind_token: {device, cert, token}`.
#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub(crate) struct BindFile {
    pub(crate) device: String,
    pub(crate) cert: Option<String>,
    pub(crate) token: Option<String>,
}

/// `set_remind:`.
#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub(crate) struct SetRemindFile {
    pub(crate) user: String,
    pub(crate) conversation: Option<ConvFile>,
    #[serde(rename = "type")]
    pub(crate) remind: String,
}

/// `clear_remind:`.
#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub(crate) struct ClearRemindFile {
    pub(crate) user: String,
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

/// `set_dnd:`. `window` is kept raw (validated by the service at run time).
#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub(crate) struct SetDndFile {
    pub(crate) user: String,
    pub(crate) conversation: Option<ConvFile>,
    pub(crate) window: Option<String>,
    pub(crate) duration: Option<DurationFile>,
}

/// `set_language:`.
#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub(crate) struct SetLanguageFile {
    pub(crate) user: String,
    pub(crate) language: Option<String>,
}

/// `create_group:`.
#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub(crate) struct CreateGroupFile {
    pub(crate) group: String,
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

/// `send:`.
#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub(crate) struct SendFile {
    pub(crate) from: String,
    pub(crate) to: Short<ConvFile>,
    pub(crate) text: String,
    pub(crate) kind: Option<String>,
    pub(crate) mentions: Option<MentionsFile>,
    pub(crate) force_push: Option<bool>,
    pub(crate) silent: Option<bool>,
    pub(crate) push_title: Option<String>,
    pub(crate) push_content: Option<String>,
    pub(crate) desc: Option<String>,
    #[serde(default)]
    pub(crate) payload: Entries<String>,
    #[serde(default)]
    pub(crate) translations: Entries<String>,
    /// Call invite timeout in seconds (MSG-04, DLV-05); only with
    /// `kind: call_invite`, default 90 (ZEGO's `callInvite` default).
    pub(crate) timeout_s: Option<u32>,
    /// `em_push_template` (CNT-03): a template created by `create_template`.
    pub(crate) template: Option<TemplateRefFile>,
}

/// `send.template:` — `{name, title_args?, content_args?}`.
#[derive(Deserialize, Debug)]
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
#[derive(Deserialize, Debug)]
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
#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub(crate) struct GetSettingsFile {
    /// Whose settings.
    pub(crate) user: String,
    /// One conversation.
    pub(crate) conversation: Option<ConvFile>,
    /// A batch read (at most 20 distinct; more is rejected at run time, NQ-01).
    pub(crate) conversations: Option<Vec<ConvFile>>,
}

/// `invalidate_token: {device}` or `{vendor, token}`.
#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub(crate) struct InvalidateFile {
    pub(crate) device: Option<String>,
    pub(crate) vendor: Option<String>,
    pub(crate) token: Option<String>,
}

/// One entry of `steps:`. Which action keys are present is read from the tree
/// (a key with a null value still counts), their values from here.
#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub(crate) struct StepFile {
    pub(crate) at: String,
    pub(crate) expect: Option<String>,
    pub(crate) login: Option<String>,
    pub(crate) logout: Option<Short<LogoutFile>>,
    pub(crate) background: Option<Short<BackgroundFile>>,
    pub(crate) foreground: Option<String>,
    pub(crate) disconnect: Option<String>,
    pub(crate) reconnect: Option<String>,
    pub(crate) kill: Option<String>,
    pub(crate) restart: Option<String>,
    pub(crate) bind_token: Option<Short<BindFile>>,
    pub(crate) unregister: Option<String>,
    pub(crate) set_remind: Option<SetRemindFile>,
    pub(crate) clear_remind: Option<ClearRemindFile>,
    pub(crate) set_dnd: Option<SetDndFile>,
    pub(crate) set_language: Option<SetLanguageFile>,
    pub(crate) create_group: Option<CreateGroupFile>,
    pub(crate) send: Option<SendFile>,
    pub(crate) invalidate_token: Option<InvalidateFile>,
    pub(crate) get_settings: Option<GetSettingsFile>,
    pub(crate) create_template: Option<CreateTemplateFile>,
    pub(crate) wait: Option<bool>,
}

/// `{device?, text?, at?}` — which pushes an expectation is about.
#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub(crate) struct FilterFile {
    pub(crate) device: Option<String>,
    pub(crate) text: Option<String>,
    pub(crate) at: Option<String>,
}

/// `push:`.
#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub(crate) struct PushFile {
    pub(crate) device: Option<String>,
    pub(crate) text: Option<String>,
    pub(crate) at: Option<String>,
    pub(crate) title: Option<String>,
    pub(crate) body: Option<String>,
    pub(crate) badge: Option<u32>,
}

/// `pushes:`.
#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub(crate) struct PushesFile {
    pub(crate) device: Option<String>,
    pub(crate) text: Option<String>,
    pub(crate) at: Option<String>,
    pub(crate) count: u32,
}

/// `badge:`.
#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub(crate) struct BadgeFile {
    pub(crate) device: String,
    pub(crate) text: Option<String>,
    pub(crate) at: Option<String>,
    pub(crate) value: u32,
}

/// `delivered:`.
#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub(crate) struct DeliveredFile {
    pub(crate) device: String,
    pub(crate) text: String,
}

/// One level of a settings answer: each key absent means "not set" (or, for
/// `expiry`, no active duration).
#[derive(Deserialize, Debug, Default)]
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
#[derive(Deserialize, Debug)]
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
#[derive(Deserialize, Debug)]
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

/// One entry of `expect:`.
#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub(crate) struct ExpectFile {
    pub(crate) push: Option<PushFile>,
    pub(crate) no_push: Option<FilterFile>,
    pub(crate) pushes: Option<PushesFile>,
    pub(crate) badge: Option<BadgeFile>,
    pub(crate) delivered: Option<DeliveredFile>,
    pub(crate) settings: Option<SettingsExpectFile>,
}

/// The whole file. Entries that failed to read are absent (their errors are
/// reported); `steps` and `expect` keep their 0-based index in the file.
#[derive(Debug, Default)]
pub(crate) struct ScenarioFile {
    pub(crate) version: Option<u32>,
    pub(crate) name: Option<String>,
    pub(crate) about: Option<String>,
    pub(crate) rules: Option<Vec<String>>,
    pub(crate) tags: Vec<String>,
    pub(crate) profile: Option<ProfileFile>,
    pub(crate) start: Option<String>,
    pub(crate) seed: Option<u64>,
    pub(crate) tick_ms: Option<u64>,
    pub(crate) app: AppFile,
    pub(crate) users: Entries<Option<UserFile>>,
    pub(crate) groups: Entries<GroupFile>,
    pub(crate) steps: Vec<(usize, StepFile)>,
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
