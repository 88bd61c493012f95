//! The domain vocabulary of RULES.md §2: users, devices, platforms, bindings,
//! conversations and messages. Plain values; no behaviour beyond parsing names.

use std::collections::BTreeMap;
use std::fmt;

/// A user id as written in the scenario (`alice`).
pub type UserId = String;
/// A group id as written in the scenario (`g1`).
pub type GroupId = String;

/// A device, named `user/device` everywhere (`bob/phone`).
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub struct DeviceKey {
    /// The owning user.
    pub user: UserId,
    /// The device's name within the user.
    pub name: String,
}

impl DeviceKey {
    /// Builds a key from its two parts.
    pub fn new(user: &str, name: &str) -> DeviceKey {
        DeviceKey {
            user: user.to_string(),
            name: name.to_string(),
        }
    }
    /// Parses `user/device`.
    pub fn parse(text: &str) -> Option<DeviceKey> {
        let (u, d) = text.split_once('/')?;
        if u.is_empty() || d.is_empty() || d.contains('/') {
            return None;
        }
        Some(DeviceKey::new(u, d))
    }
}

impl fmt::Display for DeviceKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.user, self.name)
    }
}

/// The platform a device runs on; the per-platform device limit counts by it (MDV-03).
#[derive(
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Debug,
    serde::Serialize,
    serde::Deserialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Platform {
    /// Android phone or tablet.
    Android,
    /// iPhone.
    Ios,
    /// iPad (its own platform for limits).
    Ipad,
    /// Browser.
    Web,
    /// Windows desktop.
    Windows,
    /// macOS desktop.
    Mac,
    /// Linux desktop.
    Linux,
    /// Mini program.
    MiniProgram,
}

impl Platform {
    /// All platforms, in declaration order.
    pub const ALL: [Platform; 8] = [
        Platform::Android,
        Platform::Ios,
        Platform::Ipad,
        Platform::Web,
        Platform::Windows,
        Platform::Mac,
        Platform::Linux,
        Platform::MiniProgram,
    ];
    /// The scenario spelling.
    pub fn name(self) -> &'static str {
        match self {
            Platform::Android => "android",
            Platform::Ios => "ios",
            Platform::Ipad => "ipad",
            Platform::Web => "web",
            Platform::Windows => "windows",
            Platform::Mac => "mac",
            Platform::Linux => "linux",
            Platform::MiniProgram => "mini_program",
        }
    }
    /// Parses the scenario spelling.
    pub fn parse(text: &str) -> Option<Platform> {
        Platform::ALL.into_iter().find(|p| p.name() == text)
    }
    /// Whether a device of this platform can hold a vendor binding (PRS-11).
    pub fn is_mobile(self) -> bool {
        matches!(self, Platform::Android | Platform::Ios | Platform::Ipad)
    }
}

/// A push vendor channel.
#[derive(
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Debug,
    serde::Serialize,
    serde::Deserialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Vendor {
    /// Google Firebase Cloud Messaging, HTTP v1.
    Fcm,
    /// Huawei Push Kit.
    Huawei,
    /// Honor Push.
    Honor,
    /// Xiaomi MiPush.
    Xiaomi,
    /// OPPO (Heytap) Push.
    Oppo,
    /// vivo Push.
    Vivo,
    /// Meizu (Flyme) Push.
    Meizu,
}

impl Vendor {
    /// All vendors, in declaration order.
    pub const ALL: [Vendor; 7] = [
        Vendor::Fcm,
        Vendor::Huawei,
        Vendor::Honor,
        Vendor::Xiaomi,
        Vendor::Oppo,
        Vendor::Vivo,
        Vendor::Meizu,
    ];
    /// The scenario / mocks spelling.
    pub fn name(self) -> &'static str {
        match self {
            Vendor::Fcm => "fcm",
            Vendor::Huawei => "huawei",
            Vendor::Honor => "honor",
            Vendor::Xiaomi => "xiaomi",
            Vendor::Oppo => "oppo",
            Vendor::Vivo => "vivo",
            Vendor::Meizu => "meizu",
        }
    }
    /// Parses the scenario spelling.
    pub fn parse(text: &str) -> Option<Vendor> {
        Vendor::ALL.into_iter().find(|v| v.name() == text)
    }
}

/// The app state a device reports (RULES.md §2).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub enum AppState {
    /// App in front, connection live.
    Foreground,
    /// App alive in the background, connection live (PRS-03).
    Background,
}

/// Remind type (RT-01).
#[derive(
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Debug,
    serde::Serialize,
    serde::Deserialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "UPPERCASE")]
pub enum RemindType {
    /// Every offline message.
    All,
    /// Only messages that mention the recipient (MSG-06).
    At,
    /// Nothing.
    None,
}

impl RemindType {
    /// Parses `ALL` / `AT` / `MENTION_ONLY` / `NONE` (any case).
    pub fn parse(text: &str) -> Option<RemindType> {
        match text.to_ascii_uppercase().as_str() {
            "ALL" => Some(RemindType::All),
            "AT" | "MENTION_ONLY" => Some(RemindType::At),
            "NONE" => Some(RemindType::None),
            _ => None,
        }
    }
    /// The canonical spelling.
    pub fn name(self) -> &'static str {
        match self {
            RemindType::All => "ALL",
            RemindType::At => "AT",
            RemindType::None => "NONE",
        }
    }
}

/// A conversation as seen by one user: a peer, a group or a chat room.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub enum Conversation {
    /// Single chat with this peer.
    User(UserId),
    /// Group chat.
    Group(GroupId),
    /// Chat room (never pushed in the reference, A-17).
    ChatRoom(GroupId),
}

impl fmt::Display for Conversation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Conversation::User(u) => write!(f, "user:{u}"),
            Conversation::Group(g) => write!(f, "group:{g}"),
            Conversation::ChatRoom(r) => write!(f, "chatroom:{r}"),
        }
    }
}

/// A message id assigned by the plan in send order (`m1`, `m2`, …).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub struct MsgId(pub u32);

impl fmt::Display for MsgId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "m{}", self.0)
    }
}

/// The kind of a message (MSG-*).
#[derive(
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Debug,
    serde::Serialize,
    serde::Deserialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum MsgKind {
    /// Text message.
    Text,
    /// Image (placeholder text in the push, CNT-01).
    Image,
    /// Custom message (MSG-05).
    Custom,
    /// Call invite (MSG-04).
    CallInvite,
    /// Control message: recall, read receipt, typing (MSG-10). Never pushed.
    Control,
}

/// Who a message mentions (MSG-06).
#[derive(
    Clone,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Debug,
    Default,
    serde::Serialize,
    serde::Deserialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Mentions {
    /// No mention.
    #[default]
    None,
    /// These users (`em_at_list: [..]`).
    Users(Vec<UserId>),
    /// Everybody (`em_at_list: "all"`).
    All,
}

/// A message as the server receives it.
#[derive(
    Clone, PartialEq, Eq, Debug, serde::Serialize, serde::Deserialize, schemars::JsonSchema,
)]
#[serde(deny_unknown_fields)]
pub struct Message {
    /// Plan-assigned id.
    pub id: MsgId,
    /// Sender.
    pub from: UserId,
    /// Target conversation, from the sender's point of view.
    pub to: Conversation,
    /// Kind.
    pub kind: MsgKind,
    /// Text content (or placeholder source).
    pub text: String,
    /// Mentions.
    pub mentions: Mentions,
    /// `em_force_notification` (MSG-09).
    pub force_push: bool,
    /// `em_ignore_notification` (MSG-08).
    pub silent: bool,
    /// `em_push_title` override (CNT-02).
    pub push_title: Option<String>,
    /// `em_push_content` override (CNT-02).
    pub push_content: Option<String>,
    /// Custom message description (MSG-05).
    pub desc: Option<String>,
    /// Pass-through payload (CNT-04), string values only.
    pub payload: BTreeMap<String, String>,
    /// Translations by language code (CNT-05).
    pub translations: BTreeMap<String, String>,
    /// A call invite's timeout in seconds (MSG-04, DLV-05): the invitation reaches
    /// a device that logs in only while `send time + timeout` has not passed.
    /// `None` for other kinds (and for an invite that never ends).
    pub call_timeout_s: Option<u32>,
    /// Online-only / transient (tencent `onlineUserOnly`, MSG-11): delivered to
    /// connected devices, never pushed, never stored.
    pub online_only: bool,
    /// `em_push_template` (CNT-03): a template by name and its arguments
    /// (boxed: rare, and `Message` travels by value through every `Input`).
    pub template: Option<Box<TemplateRef>>,
}

/// A message's choice of push template (CNT-03, `em_push_template`).
#[derive(
    Clone, PartialEq, Eq, Debug, serde::Serialize, serde::Deserialize, schemars::JsonSchema,
)]
#[serde(deny_unknown_fields)]
pub struct TemplateRef {
    /// Template name.
    pub name: String,
    /// Fills `{0}`… of the title pattern.
    pub title_args: Vec<String>,
    /// Fills `{0}`… of the content pattern.
    pub content_args: Vec<String>,
}

impl Message {
    /// A plain text message; the other fields at their defaults.
    pub fn text(id: u32, from: &str, to: Conversation, text: &str) -> Message {
        Message {
            id: MsgId(id),
            from: from.to_string(),
            to,
            kind: MsgKind::Text,
            text: text.to_string(),
            mentions: Mentions::None,
            force_push: false,
            silent: false,
            push_title: None,
            push_content: None,
            desc: None,
            payload: BTreeMap::new(),
            translations: BTreeMap::new(),
            call_timeout_s: None,
            online_only: false,
            template: None,
        }
    }
}

/// The canonical notification a push carries, vendor-neutral. Vendor adapters
/// encode it; decoders turn a recorded vendor request back into it.
#[derive(Clone, PartialEq, Eq, Debug, Default)]
pub struct Notification {
    /// Notification title.
    pub title: String,
    /// Notification body.
    pub body: String,
    /// Badge number carried by the push (BDG-*), if the vendor carries one.
    pub badge: Option<u32>,
    /// Pass-through payload (CNT-04).
    pub payload: BTreeMap<String, String>,
    /// Android notification channel id.
    pub channel_id: Option<String>,
    /// Click action (intent action / URI).
    pub click_action: Option<String>,
    /// Sound.
    pub sound: Option<String>,
    /// Vendor classification (category / importance / classification).
    pub category: Option<String>,
    /// Notify id / tag that makes notifications replace each other.
    pub notify_id: Option<String>,
}
