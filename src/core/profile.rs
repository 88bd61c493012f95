//! Semantics profiles: RULES.md §12 knobs as data. A scenario picks a profile by
//! name and may override single knobs. Knob names are §12's dotted names.
//!
//! This file is the one place where the presets live: [`Profile::easemob`] (the
//! reference), [`Profile::easemob_native`], [`Profile::tencent`],
//! [`Profile::zego`] and [`Profile::matrix`]. Every value that RULES.md §12 marks `[gap]` for a profile
//! takes the reference value and says so in a comment; the decision code only
//! reads knobs and never asks for a profile's name.

use super::model::Vendor;

/// How a background app with a live connection counts (PRS-03, D-01).
#[derive(
    Clone, Copy, PartialEq, Eq, Debug, serde::Serialize, serde::Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum BackgroundConnected {
    /// Online: no push (easemob, tencent without doBackground).
    Online,
    /// Offline: pushed (sendbird-like SDKs that disconnect).
    Offline,
}

/// Multi-device push policy (MDV-01, D-03).
#[derive(
    Clone, Copy, PartialEq, Eq, Debug, serde::Serialize, serde::Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum MultiPolicy {
    /// Push only if no device of the user is online (A-15, easemob default).
    AllOffline,
    /// Push to the offline devices whenever some device is offline.
    AnyOffline,
    /// Each device on its own (tencent [infer]).
    PerDevice,
    /// zego's per-user platform rule (`updateUserOfflinePushRule`, ZG-RULE, D-04):
    /// while the user is online on one of the rule's `online_platforms`, devices
    /// on its `not_to_receive` platforms get no push; without a rule, each
    /// device decides on its own.
    PlatformRule,
}

/// Which of a user's devices a push goes to, once the message is pushed (`multi.targets`, D-18).
#[derive(
    Clone, Copy, PartialEq, Eq, Debug, serde::Serialize, serde::Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum MultiTargets {
    /// Only devices that are offline (the reference): an online device gets
    /// the message over its connection instead.
    OfflineOnly,
    /// Every device with a binding, online or not (matrix: every pusher gets
    /// every push, presence plays no part; openim's all tokens).
    AllTokens,
}

/// Which of the app's and the conversation's remind types decides (`settings.precedence`, D-08).
#[derive(
    Clone, Copy, PartialEq, Eq, Debug, serde::Serialize, serde::Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Precedence {
    /// The conversation's setting, in both directions (easemob, RT-02/03).
    ConversationOverrides,
    /// The more restrictive of the two (openim): NONE over AT over ALL.
    MostRestrictive,
    /// Matrix push-rule kinds: the master rule (app NONE) outranks every
    /// conversation rule; a conversation rule (override, room) outranks the
    /// app's underride (app AT).
    PushRuleKind,
}

/// Who may mention everyone in a group (`msg.mention_all`, A-13, D-17).
#[derive(
    Clone, Copy, PartialEq, Eq, Debug, serde::Serialize, serde::Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum MentionAll {
    /// Any member (easemob, A-13).
    Anyone,
    /// Only the group's creator, its first member (matrix: `@room` needs the
    /// `notifications.room` power level, 50; a room's creator has 100, members 0).
    Creator,
}

/// Which devices kick each other when the per-platform limit is reached (MDV-04).
#[derive(
    Clone, Copy, PartialEq, Eq, Debug, serde::Serialize, serde::Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum KickScope {
    /// Only devices of the same platform.
    SamePlatform,
    /// Every device (single-device mode).
    All,
}

/// Meaning of a DND window whose start equals its end (DNDW-03, A-08, D-11).
#[derive(
    Clone, Copy, PartialEq, Eq, Debug, serde::Serialize, serde::Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum WindowEqualMeans {
    /// DND all day (REST/Web).
    AllDay,
    /// `00:00-00:00` turns the window off; other equal pairs are all day (native SDK).
    MidnightOff,
}

/// Whether a conversation-level window is accepted.
#[derive(
    Clone, Copy, PartialEq, Eq, Debug, serde::Serialize, serde::Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum WindowScope {
    /// Reject a window on a conversation (reference).
    AppOnlyReject,
    /// Store and return it, never apply it.
    Ignore,
}

/// Unit of a DND duration (D-12).
#[derive(
    Clone, Copy, PartialEq, Eq, Debug, serde::Serialize, serde::Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum DurationUnit {
    /// Milliseconds, max 604 800 000 (REST/Web).
    Ms,
    /// Minutes, max 10 080 (native SDK).
    Min,
    /// Seconds (tencent).
    S,
}

impl DurationUnit {
    /// Milliseconds in one unit.
    pub fn ms(self) -> i64 {
        match self {
            DurationUnit::Ms => 1,
            DurationUnit::Min => 60_000,
            DurationUnit::S => 1000,
        }
    }
}

/// Badge model (D-13).
#[derive(
    Clone, Copy, PartialEq, Eq, Debug, serde::Serialize, serde::Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum BadgeModel {
    /// Pushes sent since the user last came online (BDG-01, BDG-06).
    OfflineCount,
    /// Baseline given at doBackground, +1 per push (BDG-02). Only a client report
    /// resets it: a login does not (A-06, "reset by the app").
    UnreadBasePlusOne,
    /// The number of conversations with an unread notifying message (BDG-05,
    /// matrix `counts.unread`, Synapse's default). Counted when the message is
    /// decided, whether or not any device is pushed; only a read receipt (the
    /// `read` step) clears a conversation.
    UnreadRooms,
    /// The number of unread notifying messages (BDG-05, Synapse with
    /// `push.group_unread_count_by_room: false`).
    UnreadNotifications,
}

impl BadgeModel {
    /// Whether the badge is the server's unread count (BDG-05) rather than a
    /// count of pushes.
    pub fn counts_unread(self) -> bool {
        matches!(
            self,
            BadgeModel::UnreadRooms | BadgeModel::UnreadNotifications
        )
    }
}

/// Which zone a user's DND window is read in (`settings.timezone`, A-01, D-20).
#[derive(
    Clone, Copy, PartialEq, Eq, Debug, serde::Serialize, serde::Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum TimezoneSource {
    /// The user's own zone, else the app's (A-01, the reference).
    User,
    /// Always the app's zone: users' zones are ignored (a service that keeps one
    /// server zone, like tencent's REST examples in Beijing time).
    App,
}

/// A semantics profile: every RULES.md §12 knob the reference implements.
#[derive(
    Clone, PartialEq, Eq, Debug, serde::Serialize, serde::Deserialize, schemars::JsonSchema,
)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    /// Profile name (`easemob`, …).
    pub name: String,
    /// `presence.background_connected`.
    pub background_connected: BackgroundConnected,
    /// `presence.do_background_push` (PRS-04).
    pub do_background_push: bool,
    /// `presence.heartbeat_timeout_s` (PRS-07).
    pub heartbeat_timeout_s: u32,
    /// Heartbeat interval of the simulated SDK, seconds.
    pub heartbeat_interval_s: u32,
    /// `presence.push_online_ttl_days` (PRS-09): a device out of contact this
    /// many days is no longer pushed; 0 = never (the reference).
    pub push_online_ttl_days: u32,
    /// `multi.policy`.
    pub multi_policy: MultiPolicy,
    /// `multi.targets` (D-18).
    pub multi_targets: MultiTargets,
    /// `multi.max_per_platform` (MDV-03); 0 = no limit (matrix).
    pub max_per_platform: u32,
    /// `multi.kick_scope` (MDV-04).
    pub kick_scope: KickScope,
    /// `token.logout_unbind`: the default of `logout`'s `unbind` (TOK-06).
    pub logout_unbind_default: bool,
    /// `token.logout_always_unbinds`: logout stops push whatever the caller says (tencent, D-06).
    pub logout_always_unbinds: bool,
    /// `token.unique_across_users` (TOK-05, A-14).
    pub unique_across_users: bool,
    /// `token.invalid_removes` (TOK-08).
    pub invalid_removes: bool,
    /// `settings.window_equal_means`.
    pub window_equal_means: WindowEqualMeans,
    /// `settings.window_scope`.
    pub window_scope: WindowScope,
    /// `settings.duration_unit`.
    pub duration_unit: DurationUnit,
    /// `settings.precedence` (D-08).
    pub precedence: Precedence,
    /// `settings.dnd_blocks_mentions` (DNDX-04).
    pub dnd_blocks_mentions: bool,
    /// `msg.custom_requires_desc` (MSG-05).
    pub custom_requires_desc: bool,
    /// `msg.push_custom` (MX-01): false = custom messages are never pushed.
    pub push_custom: bool,
    /// `msg.mention_all`.
    pub mention_all: MentionAll,
    /// `msg.push_chatroom`.
    pub push_chatroom: bool,
    /// `msg.force_push` (MSG-09): whether a message's force-push flag is honoured.
    pub force_push: bool,
    /// `msg.force_bypasses_remind_type`.
    pub force_bypasses_remind_type: bool,
    /// `badge.model`.
    pub badge_model: BadgeModel,
    /// `badge.counts_suppressed`.
    pub badge_counts_suppressed: bool,
    /// `settings.timezone` (A-01, D-20).
    pub timezone: TimezoneSource,
    /// `vendor.order` (VND-02, VND-03): the SDK's probe order; a device that
    /// declares the push services it supports binds with the first one here.
    pub vendor_order: Vec<Vendor>,
}

impl Profile {
    /// The reference profile (`easemob`, RULES.md "Settled readings").
    pub fn easemob() -> Profile {
        Profile {
            name: "easemob".into(),
            background_connected: BackgroundConnected::Online,
            do_background_push: false,
            heartbeat_timeout_s: 90,
            heartbeat_interval_s: 30,
            push_online_ttl_days: 0,
            multi_policy: MultiPolicy::AllOffline,
            multi_targets: MultiTargets::OfflineOnly,
            max_per_platform: 4,
            kick_scope: KickScope::SamePlatform,
            logout_unbind_default: true,
            logout_always_unbinds: false,
            unique_across_users: true,
            invalid_removes: true,
            window_equal_means: WindowEqualMeans::AllDay,
            window_scope: WindowScope::AppOnlyReject,
            duration_unit: DurationUnit::Ms,
            precedence: Precedence::ConversationOverrides,
            dnd_blocks_mentions: true,
            custom_requires_desc: false,
            push_custom: true,
            mention_all: MentionAll::Anyone,
            push_chatroom: false,
            force_push: true,
            force_bypasses_remind_type: true,
            badge_model: BadgeModel::OfflineCount,
            badge_counts_suppressed: false,
            timezone: TimezoneSource::User,
            vendor_order: vec![
                Vendor::Fcm,
                Vendor::Xiaomi,
                Vendor::Huawei,
                Vendor::Meizu,
                Vendor::Oppo,
                Vendor::Vivo,
                Vendor::Honor,
            ],
        }
    }

    /// `easemob-native`: easemob with `00:00-00:00` = off and minutes (D-11, D-12).
    pub fn easemob_native() -> Profile {
        Profile {
            name: "easemob-native".into(),
            window_equal_means: WindowEqualMeans::MidnightOff,
            duration_unit: DurationUnit::Min,
            ..Profile::easemob()
        }
    }

    /// `tencent` (Tencent IM), RULES.md §12's tencent column.
    ///
    /// Documented differences from the reference: doBackground makes a live
    /// connection pushable (PRS-04, D-02) and its unread count seeds the badge
    /// (BDG-02, D-13); heartbeat every 2 min, offline after 400 s (TC-ST, PRS-07);
    /// logout always stops push (TC-AND, D-06); durations in seconds (TC-HDR,
    /// D-12); custom messages need `desc` (MSG-05, D-15); the probe order puts FCM
    /// last (VND-03, D-14). `dnd_blocks_mentions: false` models the
    /// `RECEIVE_NOT_NOTIFY_MESSAGE_EXCEPT_AT` option (DNDX-04, D-09, E-20).
    /// `multi.policy: per_device` is RULES' [infer]. [gap] (reference values):
    /// device limit and kick scope, token uniqueness, invalid-token removal,
    /// chat-room push, counting suppressed messages.
    pub fn tencent() -> Profile {
        Profile {
            name: "tencent".into(),
            do_background_push: true,
            heartbeat_timeout_s: 400,
            // PushOnline lasts 7 days after the last contact (TC-ST, PRS-09).
            push_online_ttl_days: 7,
            heartbeat_interval_s: 120,
            multi_policy: MultiPolicy::PerDevice,
            logout_always_unbinds: true,
            duration_unit: DurationUnit::S,
            dnd_blocks_mentions: false,
            custom_requires_desc: true,
            badge_model: BadgeModel::UnreadBasePlusOne,
            vendor_order: vec![
                Vendor::Xiaomi,
                Vendor::Huawei,
                Vendor::Meizu,
                Vendor::Vivo,
                Vendor::Oppo,
                Vendor::Fcm,
                // VND-03: the seed names no Honor channel; probed last, so an
                // Honor-only phone still gets a binding.
                Vendor::Honor,
            ],
            ..Profile::easemob()
        }
    }

    /// `zego` (ZEGO ZIM), RULES.md §12's zego column.
    ///
    /// Documented differences: single-device login by default, a new login kicks
    /// the current one whatever its platform (ZG-MD, MDV-03/04, D-21/D-22);
    /// logout clears the PushID (SEED-003, TOK-06, D-06); the badge is the
    /// client's `setBadge` value plus the sender's increment, modelled as +1 per
    /// push (ZG-BDG, BDG-04, D-13); chat rooms are not pushed (MSG-03). [gap]
    /// (reference values): heartbeat timeout, the platform rule of `multi.policy`
    /// (moot with one device), mentions vs DND, the probe order (ZPNs routes by
    /// device brand; no order is documented).
    pub fn zego() -> Profile {
        Profile {
            name: "zego".into(),
            max_per_platform: 1,
            kick_scope: KickScope::All,
            multi_policy: MultiPolicy::PlatformRule,
            logout_always_unbinds: true,
            badge_model: BadgeModel::UnreadBasePlusOne,
            ..Profile::easemob()
        }
    }

    /// `matrix` (a Matrix homeserver such as Synapse, with an HTTP pusher per
    /// device), from the Matrix spec's push module and pusher API (MX-PUSH,
    /// MX-PSR, MX-GW) and Synapse 1.163 as observed (SYN-OBS).
    ///
    /// Documented differences: presence plays no part and every pusher gets
    /// every push (`multi.targets: all_tokens`, D-18); no device limit, so no
    /// kicks (MDV-03); logout deletes the device's pushers (D-06); push-rule
    /// kinds decide precedence, so the master rule (app NONE) beats any room
    /// rule (D-08); custom event types match no default rule and are never
    /// pushed (MX-01); no force-push flag (MSG-09); `@room` needs the
    /// creator's power level in a group, either member's in a direct chat (A-13, D-17);
    /// the badge is the number of rooms with unread notifications (BDG-05,
    /// D-13). Matrix has no DND, chat rooms or settings reads (a silent message
    /// is an `m.notice`, which no default rule pushes, MSG-08): those knobs keep the reference values and the adapter
    /// does not offer their steps. A mention gets through a room's
    /// `dont_notify` (conversation AT) but not an override rule with no
    /// actions (conversation NONE): the reference's RT-05 already reads so.
    pub fn matrix() -> Profile {
        Profile {
            name: "matrix".into(),
            multi_policy: MultiPolicy::PerDevice,
            multi_targets: MultiTargets::AllTokens,
            max_per_platform: 0,
            logout_always_unbinds: true,
            precedence: Precedence::PushRuleKind,
            push_custom: false,
            force_push: false,
            mention_all: MentionAll::Creator,
            badge_model: BadgeModel::UnreadRooms,
            ..Profile::easemob()
        }
    }

    /// Looks a profile up by name.
    pub fn by_name(name: &str) -> Option<Profile> {
        match name {
            "easemob" => Some(Profile::easemob()),
            "easemob-native" => Some(Profile::easemob_native()),
            "tencent" => Some(Profile::tencent()),
            "zego" => Some(Profile::zego()),
            "matrix" => Some(Profile::matrix()),
            _ => None,
        }
    }

    /// Names accepted by [`Profile::by_name`].
    pub const NAMES: &'static [&'static str] =
        &["easemob", "easemob-native", "tencent", "zego", "matrix"];

    /// The first vendor of [`Profile::vendor_order`] among `services` (VND-02/03):
    /// the channel an SDK that supports `services` registers with.
    pub fn pick_vendor(&self, services: &[Vendor]) -> Option<Vendor> {
        self.vendor_order
            .iter()
            .copied()
            .find(|v| services.contains(v))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vnd_02_vnd_03_d_14_probe_order_fcm_first_vs_last() {
        let services = [Vendor::Huawei, Vendor::Fcm, Vendor::Oppo];
        assert_eq!(Profile::easemob().pick_vendor(&services), Some(Vendor::Fcm));
        assert_eq!(
            Profile::tencent().pick_vendor(&services),
            Some(Vendor::Huawei)
        );
        // D-14: OPPO before vivo for easemob, vivo before OPPO for tencent.
        let ov = [Vendor::Oppo, Vendor::Vivo];
        assert_eq!(Profile::easemob().pick_vendor(&ov), Some(Vendor::Oppo));
        assert_eq!(Profile::tencent().pick_vendor(&ov), Some(Vendor::Vivo));
        // VND-03: Honor is probed last under tencent, after FCM.
        assert_eq!(
            Profile::tencent().pick_vendor(&[Vendor::Honor]),
            Some(Vendor::Honor)
        );
        assert_eq!(
            Profile::tencent().pick_vendor(&[Vendor::Honor, Vendor::Fcm]),
            Some(Vendor::Fcm)
        );
    }

    #[test]
    fn every_name_resolves_to_a_profile_of_that_name() {
        for name in Profile::NAMES {
            assert_eq!(Profile::by_name(name).unwrap().name, *name);
        }
        assert!(Profile::by_name("reference").is_none());
    }

    #[test]
    fn presets_differ_where_rules_12_says_they_do() {
        let (e, t, z) = (Profile::easemob(), Profile::tencent(), Profile::zego());
        assert!(!e.do_background_push && t.do_background_push); // D-02
        assert!(!e.logout_always_unbinds && t.logout_always_unbinds && z.logout_always_unbinds); // D-06
        assert!(e.dnd_blocks_mentions && !t.dnd_blocks_mentions); // D-09
        assert_eq!(
            (e.duration_unit, t.duration_unit),
            (DurationUnit::Ms, DurationUnit::S)
        ); // D-12
        assert_eq!(t.badge_model, BadgeModel::UnreadBasePlusOne); // D-13
        assert!(!e.custom_requires_desc && t.custom_requires_desc); // D-15
        assert_eq!((t.heartbeat_timeout_s, t.heartbeat_interval_s), (400, 120)); // PRS-07
        assert_eq!((z.max_per_platform, z.kick_scope), (1, KickScope::All)); // D-21, D-22
    }
}
