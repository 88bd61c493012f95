//! Semantics profiles: RULES.md §12 knobs as data. A scenario picks a profile by
//! name and may override single knobs. Knob names are §12's dotted names.

use super::model::Vendor;

/// How a background app with a live connection counts (PRS-03, D-01).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum BackgroundConnected {
    /// Online: no push (easemob, tencent without doBackground).
    Online,
    /// Offline: pushed (sendbird-like SDKs that disconnect).
    Offline,
}

/// Multi-device push policy (MDV-01, D-03).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum MultiPolicy {
    /// Push only if no device of the user is online (A-15, easemob default).
    AllOffline,
    /// Push to the offline devices whenever some device is offline.
    AnyOffline,
    /// Each device on its own (tencent [infer]).
    PerDevice,
}

/// Which devices kick each other when the per-platform limit is reached (MDV-04).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum KickScope {
    /// Only devices of the same platform.
    SamePlatform,
    /// Every device (single-device mode).
    All,
}

/// Meaning of a DND window whose start equals its end (DNDW-03, A-08, D-11).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum WindowEqualMeans {
    /// DND all day (REST/Web).
    AllDay,
    /// `00:00-00:00` turns the window off; other equal pairs are all day (native SDK).
    MidnightOff,
}

/// Whether a conversation-level window is accepted.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum WindowScope {
    /// Reject a window on a conversation (reference).
    AppOnlyReject,
    /// Store and return it, never apply it.
    Ignore,
}

/// Unit of a DND duration (D-12).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
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
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum BadgeModel {
    /// Pushes sent since the user last came online (BDG-01, BDG-06).
    OfflineCount,
    /// Baseline given at doBackground, +1 per push (BDG-02).
    UnreadBasePlusOne,
}

/// A semantics profile: every RULES.md §12 knob the reference implements.
#[derive(Clone, PartialEq, Eq, Debug)]
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
    /// `multi.policy`.
    pub multi_policy: MultiPolicy,
    /// `multi.max_per_platform` (MDV-03).
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
    /// `settings.dnd_blocks_mentions` (DNDX-04).
    pub dnd_blocks_mentions: bool,
    /// `msg.custom_requires_desc` (MSG-05).
    pub custom_requires_desc: bool,
    /// `msg.push_chatroom`.
    pub push_chatroom: bool,
    /// `msg.force_bypasses_remind_type`.
    pub force_bypasses_remind_type: bool,
    /// `badge.model`.
    pub badge_model: BadgeModel,
    /// `badge.counts_suppressed`.
    pub badge_counts_suppressed: bool,
    /// `vendor.order` (VND-02, VND-03).
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
            multi_policy: MultiPolicy::AllOffline,
            max_per_platform: 4,
            kick_scope: KickScope::SamePlatform,
            logout_unbind_default: true,
            logout_always_unbinds: false,
            unique_across_users: true,
            invalid_removes: true,
            window_equal_means: WindowEqualMeans::AllDay,
            window_scope: WindowScope::AppOnlyReject,
            duration_unit: DurationUnit::Ms,
            dnd_blocks_mentions: true,
            custom_requires_desc: false,
            push_chatroom: false,
            force_bypasses_remind_type: true,
            badge_model: BadgeModel::OfflineCount,
            badge_counts_suppressed: false,
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

    /// `tencent` (Tencent IM, RULES.md §12 column "tencent"). Where §12 has a
    /// gap the reference value stays and is not asserted by tencent scenarios.
    /// - doBackground pushes despite a live connection, with the client's badge
    ///   as baseline (D-02, BDG-02, PRS-05); heartbeat timeout 400 s (PRS-08);
    /// - every device decides for itself (`per_device`, D-03);
    /// - logout always stops push (D-06); durations in seconds (D-12);
    /// - custom messages need a `desc` (D-15, MSG-05);
    /// - badge = client baseline + 1 per push (D-13);
    /// - vendor probe order Xiaomi, Huawei, Meizu, vivo, OPPO, FCM (VND-03; Honor,
    ///   absent from the demo, last).
    pub fn tencent() -> Profile {
        Profile {
            name: "tencent".into(),
            do_background_push: true,
            heartbeat_timeout_s: 400,
            multi_policy: MultiPolicy::PerDevice,
            logout_unbind_default: true,
            logout_always_unbinds: true,
            duration_unit: DurationUnit::S,
            custom_requires_desc: true,
            badge_model: BadgeModel::UnreadBasePlusOne,
            vendor_order: vec![
                Vendor::Xiaomi,
                Vendor::Huawei,
                Vendor::Meizu,
                Vendor::Vivo,
                Vendor::Oppo,
                Vendor::Fcm,
                Vendor::Honor,
            ],
            ..Profile::easemob()
        }
    }

    /// `zego` (ZEGO ZIM, RULES.md §12 column "zego", seed 003). Single-login
    /// mode: one device per platform, a new login kicks the others (MDV-03/04
    /// with `kick_scope: all`); logout always unbinds; chat rooms not pushed.
    /// ZIM's per-platform online rule and its client-reported badge are not
    /// modelled yet (see scenarios/coverage-gaps.txt): the reference values
    /// stay for those knobs.
    pub fn zego() -> Profile {
        Profile {
            name: "zego".into(),
            max_per_platform: 1,
            kick_scope: KickScope::All,
            logout_unbind_default: true,
            logout_always_unbinds: true,
            push_chatroom: false,
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
            _ => None,
        }
    }

    /// Names accepted by [`Profile::by_name`].
    pub const NAMES: &'static [&'static str] = &["easemob", "easemob-native", "tencent", "zego"];
}
