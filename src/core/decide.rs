//! The push decision for one message × one recipient device, in the order of
//! DNDX-05 (first match decides):
//!
//! 1. message kind not pushable: silent (MSG-08), control (MSG-10), chat room
//!    (MSG-03, A-17), custom under `msg.push_custom: false` (MX-01) ⇒ no push;
//! 2. recipient is the sender (PRS-10) ⇒ no push;
//! 3. device not eligible: online (PRS-02/03, delivered over the connection),
//!    kicked (MDV-05), no active binding (TOK-01, or the rule that removed it:
//!    TOK-05/06/07/08/10), another device online under all_offline (MDV-01);
//!    under `multi.targets: all_tokens` presence plays no part (D-18);
//! 4. custom message without desc where the profile requires one (MSG-05);
//! 5. force push (MSG-09) ⇒ push, skipping 6–7 (and 8 when
//!    `force_bypasses_remind_type`, A-10);
//! 6. app DND: window (DNDW-02/03/04) ∪ duration (DNDD-03) (DNDX-01, DNDX-02);
//! 7. conversation DND duration (DNDD-03/04);
//! 8. effective remind type (RT-02/03): NONE, or AT and not mentioned ⇒ no push (RT-05, A-11);
//! 9. push.
//!
//! [`decide`] allocates nothing: it returns a [`Ruling`] whose [`Why`] holds
//! only copyable facts. The server turns it into an
//! [`io::Verdict`](super::io::Verdict) and renders the reason text only for
//! suppressions, with [`Why::reason`].

use super::model::{Conversation, Message, MsgKind, RemindType};
use super::presence::{Device, Presence, Session};
use super::profile::{MentionAll, MultiPolicy, MultiTargets, Profile};
use super::settings::{DndWindow, Level, RemindSource, Settings};
use super::time::{SimTime, Zone};

/// The facts about one recipient user, computed once per message.
#[derive(Clone, Copy, Debug)]
pub struct Recipient<'a> {
    /// Whether the recipient is the message's sender (PRS-10).
    pub is_sender: bool,
    /// The recipient's settings.
    pub settings: &'a Settings,
    /// The conversation's level in the recipient's settings, if any.
    pub conv: Option<&'a Level>,
    /// Whether the message mentions the recipient (MSG-06; MSG-07 holds because
    /// only members are recipients).
    pub mentioned: bool,
    /// Index (in the user's device list) of an online device of the user, if any.
    pub online_device: Option<usize>,
    /// Index of an online device on one of the user's push-rule
    /// `online_platforms` (D-04), if a rule is set and such a device is online.
    pub rule_online_device: Option<usize>,
    /// The recipient's local minute of day at `now`, when an app window is set.
    pub local_minute: Option<u16>,
}

/// The outcome of [`decide`].
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Ruling {
    /// Push; `forced` when step 5 (force push) decided.
    Push {
        /// Force push decided (MSG-09) rather than the full order (DNDX-05).
        forced: bool,
    },
    /// No push, and why.
    Suppress(Why),
}

impl Ruling {
    /// The RULES.md id that decided.
    pub fn rule(&self) -> &'static str {
        match self {
            Ruling::Push { forced: true } => "MSG-09",
            Ruling::Push { forced: false } => "DNDX-05",
            Ruling::Suppress(why) => why.rule(),
        }
    }
}

/// Why a device is not pushed: copyable facts, rendered on demand.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Why {
    /// Out of contact longer than the PushOnline TTL (PRS-09), in days.
    LongAbsence(u32),
    /// zego's platform rule: a device of the user is online on a rule platform (D-04).
    PlatformRule(usize),
    /// An online-only message (MSG-11).
    OnlineOnly,
    /// MSG-08.
    Silent,
    /// MSG-10.
    Control,
    /// MSG-03 / A-17.
    ChatRoom,
    /// MX-01: a custom message matches no push rule (`msg.push_custom: false`).
    CustomType,
    /// PRS-10.
    Sender,
    /// PRS-02 / PRS-03: delivered over the live connection instead.
    Online(Presence),
    /// MDV-05.
    Kicked,
    /// No active binding; the rule that removed it, else TOK-01.
    NoBinding(&'static str),
    /// MDV-01 all_offline: another device (index in the user's list) is online.
    OtherOnline(usize),
    /// MSG-05.
    CustomWithoutDesc,
    /// App DND window at this local minute.
    AppWindow(DndWindow, u16),
    /// App DND duration until this instant.
    AppDuration(SimTime),
    /// Conversation DND duration until this instant.
    ConvDuration(SimTime),
    /// Remind type NONE, or AT without a mention (RT-05).
    Remind(RemindType, RemindSource),
}

impl Why {
    /// The RULES.md id of the deciding rule.
    pub fn rule(&self) -> &'static str {
        match self {
            Why::Silent => "MSG-08",
            Why::Control => "MSG-10",
            Why::OnlineOnly => "MSG-11",
            Why::LongAbsence(_) => "PRS-09",
            Why::PlatformRule(_) => "D-04",
            Why::ChatRoom => "MSG-03",
            Why::CustomType => "MX-01",
            Why::Sender => "PRS-10",
            Why::Online(Presence::OnlineBackground) => "PRS-03",
            Why::Online(_) => "PRS-02",
            Why::Kicked => "MDV-05",
            Why::NoBinding(rule) => rule,
            Why::OtherOnline(_) => "MDV-01",
            Why::CustomWithoutDesc => "MSG-05",
            Why::AppWindow(w, _) => w.rule(),
            Why::AppDuration(_) | Why::ConvDuration(_) => "DNDD-03",
            Why::Remind(..) => "RT-05",
        }
    }

    /// A short human text. `zone` is the recipient's zone, `conv` the conversation
    /// as the recipient sees it, `other` the key text of the device `OtherOnline` names.
    pub fn reason(
        &self,
        zone: &Zone,
        conv: &Conversation,
        now: SimTime,
        other: &dyn Fn(usize) -> String,
    ) -> String {
        match self {
            Why::Silent => "silent message (em_ignore_notification)".into(),
            Why::Control => "control messages are never pushed".into(),
            Why::LongAbsence(days) => {
                format!("no contact for {days} days or more: PushOnline expired")
            }
            Why::OnlineOnly => {
                "online-only message: delivered to connected devices only, never stored".into()
            }
            Why::ChatRoom => "chat-room messages are not pushed (A-17)".into(),
            Why::CustomType => "custom messages match no push rule".into(),
            Why::Sender => "the sender is never pushed for its own message".into(),
            Why::Online(Presence::OnlineBackground) => {
                "online in background with a live connection: delivered online".into()
            }
            Why::Online(_) => "online in foreground: delivered online".into(),
            Why::Kicked => "kicked by a newer login: binding suspended".into(),
            Why::NoBinding(rule) => match *rule {
                "TOK-06" => "logged out with unbind: no binding".into(),
                "TOK-07" => "unregistered: no binding".into(),
                "TOK-08" => "token reported invalid by the vendor: no binding".into(),
                "TOK-05" => "token taken by another user: no binding".into(),
                "TOK-10" => "token moved to another device: no binding".into(),
                _ => "no push binding".into(),
            },
            Why::OtherOnline(i) => format!("all_offline: {} is online", other(*i)),
            Why::PlatformRule(i) => format!("push rule: {} is online", other(*i)),
            Why::CustomWithoutDesc => "custom message without desc".into(),
            Why::AppWindow(w, _) => {
                format!("app DND window {w} ({zone} {})", zone.format_clock(now))
            }
            Why::AppDuration(until) => format!("app DND duration until {}", zone.format(*until)),
            Why::ConvDuration(until) => {
                format!("{conv} DND duration until {}", zone.format(*until))
            }
            Why::Remind(r, source) => {
                let level = match source {
                    RemindSource::Conversation => format!("{conv}"),
                    RemindSource::App => "app".into(),
                    RemindSource::Default => "default".into(),
                };
                match r {
                    RemindType::None => format!("remind type NONE ({level})"),
                    _ => format!("remind type {} ({level}) and not mentioned", r.name()),
                }
            }
        }
    }
}

/// Whether `msg` mentions `user` (MSG-06): listed, or `"all"` (A-13: from
/// anyone, or under `msg.mention_all: creator` only from the group's
/// `creator`, its first member; a single chat has none, and both of its
/// members may — Matrix clients open direct chats as trusted private chats,
/// where both hold the power level).
pub fn mentions(profile: &Profile, msg: &Message, user: &str, creator: Option<&str>) -> bool {
    match &msg.mentions {
        super::model::Mentions::None => false,
        super::model::Mentions::All => match profile.mention_all {
            MentionAll::Anyone => true,
            MentionAll::Creator => creator.is_none_or(|c| c == msg.from),
        },
        super::model::Mentions::Users(list) => list.iter().any(|u| u == user),
    }
}

/// Whether the force-push flag decides (MSG-09): set, and honoured by the
/// profile (`msg.force_push`; Matrix has no such flag).
fn forced(profile: &Profile, msg: &Message) -> bool {
    msg.force_push && profile.force_push
}

/// Whether the message kind may be pushed at all (step 1).
pub fn kind_block(profile: &Profile, msg: &Message) -> Option<Why> {
    if msg.kind == MsgKind::Control {
        return Some(Why::Control);
    }
    if msg.silent {
        return Some(Why::Silent);
    }
    if msg.online_only {
        return Some(Why::OnlineOnly);
    }
    if matches!(msg.to, Conversation::ChatRoom(_)) && !profile.push_chatroom {
        return Some(Why::ChatRoom);
    }
    if msg.kind == MsgKind::Custom && !profile.push_custom {
        return Some(Why::CustomType);
    }
    None
}

/// Step 3: eligibility of `device` (an index `me` in the user's device list).
fn eligibility(
    profile: &Profile,
    r: &Recipient<'_>,
    device: &Device,
    me: usize,
    now: SimTime,
) -> Option<Why> {
    // D-18: under all_tokens presence plays no part (matrix, openim).
    let offline_only = profile.multi_targets == MultiTargets::OfflineOnly;
    match device.presence(profile) {
        Presence::Offline => {}
        online if offline_only => return Some(Why::Online(online)),
        _ => {}
    }
    if device.session == Session::Kicked {
        return Some(Why::Kicked);
    }
    if device.active_binding().is_none() {
        return Some(Why::NoBinding(device.unbound_by.unwrap_or("TOK-01")));
    }
    if profile.push_online_ttl_days > 0 {
        let ttl_ms = i64::from(profile.push_online_ttl_days) * 86_400_000;
        if device
            .offline_since
            .is_some_and(|since| now.ms_since(since) >= ttl_ms)
        {
            return Some(Why::LongAbsence(profile.push_online_ttl_days));
        }
    }
    if offline_only && profile.multi_policy == MultiPolicy::AllOffline {
        if let Some(other) = r.online_device.filter(|&i| i != me) {
            return Some(Why::OtherOnline(other));
        }
    }
    if offline_only && profile.multi_policy == MultiPolicy::PlatformRule {
        if let (Some(rule), Some(other)) = (&r.settings.push_rule, r.rule_online_device) {
            if other != me && rule.not_to_receive.contains(&device.platform) {
                return Some(Why::PlatformRule(other));
            }
        }
    }
    None
}

/// The DNDX-05 decision for `msg` to `device` (index `me` in its user's list).
pub fn decide(
    profile: &Profile,
    msg: &Message,
    r: &Recipient<'_>,
    device: &Device,
    me: usize,
    now: SimTime,
) -> Ruling {
    if let Some(why) = kind_block(profile, msg) {
        return Ruling::Suppress(why);
    }
    if r.is_sender {
        return Ruling::Suppress(Why::Sender);
    }
    if let Some(why) = eligibility(profile, r, device, me, now) {
        return Ruling::Suppress(why);
    }
    match settings_block(profile, msg, r, now) {
        Some(why) => Ruling::Suppress(why),
        None => Ruling::Push {
            forced: forced(profile, msg),
        },
    }
}

/// Steps 4–8: what the message and the recipient's settings hold back,
/// whatever the device.
fn settings_block(
    profile: &Profile,
    msg: &Message,
    r: &Recipient<'_>,
    now: SimTime,
) -> Option<Why> {
    if profile.custom_requires_desc && msg.kind == MsgKind::Custom && msg.desc.is_none() {
        return Some(Why::CustomWithoutDesc);
    }
    let forced = forced(profile, msg);
    let mention_pierces = r.mentioned && !profile.dnd_blocks_mentions;
    if !forced && !mention_pierces {
        if let Some(why) = dnd(profile, r, now) {
            return Some(why);
        }
    }
    if !(forced && profile.force_bypasses_remind_type) {
        let (remind, source) = r.settings.effective_remind(r.conv, profile.precedence);
        let blocked = match remind {
            RemindType::All => false,
            RemindType::At => !r.mentioned,
            RemindType::None => true,
        };
        if blocked {
            return Some(Why::Remind(remind, source));
        }
    }
    None
}

/// Whether `msg` is a notification for the recipient at all — steps 1, 2 and
/// 4–8, whatever its devices (BDG-05: matrix counts it unread even when no
/// device is pushed).
pub fn notifies(profile: &Profile, msg: &Message, r: &Recipient<'_>, now: SimTime) -> bool {
    kind_block(profile, msg).is_none()
        && !r.is_sender
        && settings_block(profile, msg, r, now).is_none()
}

/// Steps 6–7: app DND (window ∪ duration), then the conversation's duration.
fn dnd(profile: &Profile, r: &Recipient<'_>, now: SimTime) -> Option<Why> {
    let app = &r.settings.app;
    if let (Some(w), Some(m)) = (app.window, r.local_minute) {
        if w.mutes_minute(m, profile.window_equal_means) {
            return Some(Why::AppWindow(w, m));
        }
    }
    if app.duration_active(now) {
        return Some(Why::AppDuration(
            app.until.expect("active duration has an expiry"),
        ));
    }
    if let Some(c) = r.conv.filter(|c| c.duration_active(now)) {
        return Some(Why::ConvDuration(
            c.until.expect("active duration has an expiry"),
        ));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::model::{AppState, DeviceKey, Mentions, Platform, Vendor};
    use crate::core::presence::Binding;
    use crate::core::settings::{duration_expiry, parse_window_arg};

    const T0: SimTime = SimTime(1_772_370_000_000); // 2026-03-01T13:00:00Z = 21:00 +08:00

    /// A small world for one decision: bob's settings, his devices, a message.
    struct Case {
        profile: Profile,
        settings: Settings,
        devices: Vec<Device>,
        msg: Message,
        now: SimTime,
    }

    impl Case {
        /// bob with one killed Android device bound to fcm; alice → bob "hi" at 21:00 +08:00.
        fn new() -> Case {
            let mut d = Device::new(DeviceKey::new("bob", "phone"), Platform::Android);
            d.session = Session::LoggedIn;
            d.binding = Some(Binding {
                cert: "fcm-prod".into(),
                vendor: Vendor::Fcm,
                token: "t1".into(),
                generation: 1,
            });
            Case {
                profile: Profile::easemob(),
                settings: Settings::default(),
                devices: vec![d],
                msg: Message::text(1, "alice", Conversation::User("bob".into()), "hi"),
                now: T0,
            }
        }
        fn at(mut self, local_hhmm: &str) -> Case {
            let (h, m) = local_hhmm.split_once(':').unwrap();
            let minutes: i64 = h.parse::<i64>().unwrap() * 60 + m.parse::<i64>().unwrap();
            self.now = T0.plus_ms((minutes - 21 * 60) * 60_000);
            self
        }
        fn window(mut self, w: &str) -> Case {
            self.settings.app.window = parse_window_arg(w).unwrap();
            self
        }
        fn group(mut self, g: &str) -> Case {
            self.msg.to = Conversation::Group(g.into());
            self
        }
        fn conv(&self) -> Conversation {
            match &self.msg.to {
                Conversation::User(_) => Conversation::User(self.msg.from.clone()),
                other => other.clone(),
            }
        }
    }

    /// Decides for device `idx` of `case` and checks the rule and reason prefix.
    fn check_decide(case: &Case, idx: usize, rule: &str, reason_prefix: &str) {
        let zone = Zone::parse("Asia/Shanghai").unwrap();
        let conv = case.conv();
        let r = Recipient {
            is_sender: case.msg.from == "bob",
            settings: &case.settings,
            conv: case.settings.conv(&conv),
            mentioned: mentions(&case.profile, &case.msg, "bob", None),
            online_device: case.devices.iter().position(|d| d.is_online(&case.profile)),
            rule_online_device: case.settings.push_rule.as_ref().and_then(|rule| {
                case.devices.iter().position(|d| {
                    d.is_online(&case.profile) && rule.online_platforms.contains(&d.platform)
                })
            }),
            local_minute: case
                .settings
                .app
                .window
                .map(|_| zone.local(case.now).minute_of_day() as u16),
        };
        let ruling = decide(
            &case.profile,
            &case.msg,
            &r,
            &case.devices[idx],
            idx,
            case.now,
        );
        let reason = match ruling {
            Ruling::Suppress(why) => {
                why.reason(&zone, &conv, case.now, &|i| case.devices[i].key.to_string())
            }
            Ruling::Push { .. } => "push".into(),
        };
        assert_eq!(ruling.rule(), rule, "reason: {reason}");
        assert!(
            reason.starts_with(reason_prefix),
            "{reason:?} does not start with {reason_prefix:?}"
        );
    }

    #[test]
    fn dndx_05_plain_message_to_killed_bound_device_is_pushed() {
        check_decide(&Case::new(), 0, "DNDX-05", "push");
    }

    #[test]
    fn dndw_04_window_crossing_midnight_mutes_at_2359() {
        let c = Case::new().window("22:00-07:00").at("23:59");
        check_decide(
            &c,
            0,
            "DNDW-04",
            "app DND window 22:00-07:00 (Asia/Shanghai 23:59)",
        );
        check_decide(
            &Case::new().window("22:00-07:00").at("21:59"),
            0,
            "DNDX-05",
            "push",
        );
    }

    #[test]
    fn dndw_02_daily_window_and_dndw_03_all_day() {
        check_decide(
            &Case::new().window("20:00-22:00"),
            0,
            "DNDW-02",
            "app DND window 20:00-22:00",
        );
        check_decide(
            &Case::new().window("09:15-09:15"),
            0,
            "DNDW-03",
            "app DND window",
        );
        let mut native = Case::new().window("00:00-00:00");
        native.profile = Profile::easemob_native();
        check_decide(&native, 0, "DNDX-05", "push");
    }

    #[test]
    fn dndd_03_app_duration_mutes_until_absolute_expiry() {
        let mut c = Case::new();
        c.settings.app.until = duration_expiry(3_600_000, c.profile.duration_unit, T0).unwrap();
        check_decide(
            &c,
            0,
            "DNDD-03",
            "app DND duration until 2026-03-01T22:00:00+08:00",
        );
        check_decide(&c.at("22:00"), 0, "DNDX-05", "push");
    }

    #[test]
    fn dndx_01_window_and_duration_union() {
        let mut c = Case::new().window("13:00-14:00");
        c.settings.app.until = Some(T0.plus_ms(60_000));
        check_decide(&c, 0, "DNDD-03", "app DND");
        let c = c.at("13:30");
        check_decide(&c, 0, "DNDW-02", "app DND window");
    }

    #[test]
    fn dndd_04_conversation_duration_mutes_only_that_conversation() {
        let mut c = Case::new().group("g1");
        c.settings
            .convs
            .entry(Conversation::Group("g1".into()))
            .or_default()
            .until = Some(T0.plus_ms(1));
        check_decide(&c, 0, "DNDD-03", "group:g1 DND duration");
        check_decide(&c.group("g2"), 0, "DNDX-05", "push");
    }

    #[test]
    fn dndx_02_app_dnd_beats_conversation_all_and_mentions() {
        let mut c = Case::new().group("g1").window("00:00-23:59");
        c.settings
            .convs
            .entry(Conversation::Group("g1".into()))
            .or_default()
            .remind = Some(RemindType::All);
        c.msg.mentions = Mentions::Users(vec!["bob".into()]);
        check_decide(&c, 0, "DNDW-02", "app DND window");
    }

    #[test]
    fn dndx_04_profile_where_mentions_pierce_dnd_pushes() {
        let mut c = Case::new().group("g1").window("00:00-23:59");
        c.profile.dnd_blocks_mentions = false;
        c.msg.mentions = Mentions::All;
        check_decide(&c, 0, "DNDX-05", "push");
    }

    #[test]
    fn rt_05_none_ignores_mentions_and_at_needs_a_mention() {
        let mut c = Case::new().group("g1");
        c.settings.app.remind = Some(RemindType::None);
        c.msg.mentions = Mentions::All;
        check_decide(&c, 0, "RT-05", "remind type NONE (app)");
        c.settings.app.remind = Some(RemindType::At);
        check_decide(&c, 0, "DNDX-05", "push");
        c.msg.mentions = Mentions::Users(vec!["vera".into()]);
        check_decide(&c, 0, "RT-05", "remind type AT (app) and not mentioned");
    }

    #[test]
    fn a_11_at_in_single_chat_needs_a_mention() {
        let mut c = Case::new();
        c.settings.app.remind = Some(RemindType::At);
        check_decide(&c, 0, "RT-05", "remind type AT");
        c.msg.mentions = Mentions::Users(vec!["bob".into()]);
        check_decide(&c, 0, "DNDX-05", "push");
    }

    #[test]
    fn rt_03_conversation_all_beats_app_at() {
        let mut c = Case::new().group("g1");
        c.settings.app.remind = Some(RemindType::At);
        c.settings
            .convs
            .entry(Conversation::Group("g1".into()))
            .or_default()
            .remind = Some(RemindType::All);
        check_decide(&c, 0, "DNDX-05", "push");
        check_decide(&c.group("g2"), 0, "RT-05", "remind type AT (app)");
    }

    #[test]
    fn msg_09_a_10_force_push_bypasses_dnd_and_remind_type() {
        let mut c = Case::new().window("00:00-00:00");
        c.msg.force_push = true;
        c.settings.app.remind = Some(RemindType::None);
        check_decide(&c, 0, "MSG-09", "push");
        c.profile.force_bypasses_remind_type = false;
        check_decide(&c, 0, "RT-05", "remind type NONE");
    }

    #[test]
    fn a_10_force_push_never_bypasses_eligibility_or_silence() {
        let mut c = Case::new();
        c.msg.force_push = true;
        c.devices[0].session = Session::Kicked;
        check_decide(&c, 0, "MDV-05", "kicked");
        c.devices[0].session = Session::LoggedIn;
        c.msg.silent = true;
        check_decide(&c, 0, "MSG-08", "silent");
    }

    #[test]
    fn msg_08_msg_10_a_17_unpushable_kinds() {
        let mut c = Case::new();
        c.msg.silent = true;
        check_decide(&c, 0, "MSG-08", "silent");
        c.msg.silent = false;
        c.msg.kind = MsgKind::Control;
        check_decide(&c, 0, "MSG-10", "control");
        c.msg.kind = MsgKind::Text;
        c.msg.to = Conversation::ChatRoom("r1".into());
        check_decide(&c, 0, "MSG-03", "chat-room");
        c.profile.push_chatroom = true;
        check_decide(&c, 0, "DNDX-05", "push");
    }

    #[test]
    fn prs_10_sender_is_never_pushed() {
        let mut c = Case::new();
        c.msg.from = "bob".into();
        c.msg.force_push = true;
        check_decide(&c, 0, "PRS-10", "the sender");
    }

    #[test]
    fn prs_02_prs_03_online_devices_are_not_pushed() {
        let mut c = Case::new();
        c.devices[0].connected = true;
        check_decide(&c, 0, "PRS-02", "online in foreground");
        c.devices[0].app_state = AppState::Background;
        check_decide(&c, 0, "PRS-03", "online in background");
    }

    #[test]
    fn mdv_01_all_offline_vs_any_offline() {
        let mut c = Case::new();
        let mut pad = Device::new(DeviceKey::new("bob", "pad"), Platform::Ios);
        pad.session = Session::LoggedIn;
        pad.connected = true;
        c.devices.push(pad);
        check_decide(&c, 0, "MDV-01", "all_offline: bob/pad is online");
        c.profile.multi_policy = MultiPolicy::AnyOffline;
        check_decide(&c, 0, "DNDX-05", "push");
        check_decide(&c, 1, "PRS-02", "online"); // MDV-02: never the online device's token
    }

    #[test]
    fn tok_01_tok_06_no_binding_names_the_rule_that_removed_it() {
        let mut c = Case::new();
        c.devices[0].binding = None;
        check_decide(&c, 0, "TOK-01", "no push binding");
        c.devices[0].session = Session::LoggedOut;
        c.devices[0].unbound_by = Some("TOK-06");
        check_decide(&c, 0, "TOK-06", "logged out with unbind");
    }

    #[test]
    fn tok_06_logout_without_unbind_keeps_pushing() {
        let mut c = Case::new();
        c.devices[0].session = Session::LoggedOut;
        check_decide(&c, 0, "DNDX-05", "push");
    }

    #[test]
    fn msg_05_custom_without_desc_only_where_the_profile_requires_it() {
        let mut c = Case::new();
        c.msg.kind = MsgKind::Custom;
        check_decide(&c, 0, "DNDX-05", "push");
        c.profile.custom_requires_desc = true;
        check_decide(&c, 0, "MSG-05", "custom");
    }
}
