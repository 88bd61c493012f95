//! Notification settings of one user (RULES.md §7): remind types (RT), the daily
//! DND window (DNDW) and one-shot DND durations with an absolute expiry (DNDD), at
//! app level and per conversation.
//!
//! This module parses and validates what the API receives and answers "is this
//! muted at `t`" by plain arithmetic. It never reads a clock: the set time and the
//! decision time arrive as arguments, and wall-clock readings come from
//! [`Zone::local`](super::time::Zone::local) (A-19: local wall clock, so a DST day
//! behaves).

use super::model::{Conversation, RemindType};
use super::profile::{DurationUnit, Precedence, WindowEqualMeans};
use super::time::SimTime;
use std::collections::BTreeMap;
use std::fmt;

/// Minutes in a day.
pub const MINUTES_PER_DAY: u16 = 1440;

/// The longest accepted DND duration, 7 days in ms (DNDD-01).
pub const DURATION_MS_MAX: i64 = 7 * 24 * 3_600_000;

/// A daily DND window `[start, end)` in minutes of the local day (DNDW-01..04, A-02).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct DndWindow {
    /// Start minute of the local day, `0..1440`.
    pub start_min: u16,
    /// End minute of the local day (exclusive), `0..1440`.
    pub end_min: u16,
}

impl DndWindow {
    /// Parses `HH:MM-HH:MM` (hour 0..=23, minute 0..=59, DNDW-01). `""` is not a
    /// window: callers treat it as "clear" (DNDW-08) before calling this.
    pub fn parse(text: &str) -> Result<DndWindow, String> {
        let bad = || format!("window {text:?} is not HH:MM-HH:MM with hour 0..23 and minute 0..59");
        let (a, b) = text.trim().split_once('-').ok_or_else(bad)?;
        let start_min = parse_clock(a).ok_or_else(bad)?;
        let end_min = parse_clock(b).ok_or_else(bad)?;
        Ok(DndWindow { start_min, end_min })
    }

    /// Whether the window mutes local minute `minute` (`0..1440`).
    ///
    /// - `start == end`: all day (DNDW-03), except `00:00-00:00` under
    ///   [`WindowEqualMeans::MidnightOff`] which is "window off" (D-11, A-08);
    /// - `start < end`: `start <= minute < end` (half-open, A-02);
    /// - `end < start`: crosses midnight (DNDW-04): `minute >= start || minute < end`.
    pub fn mutes_minute(self, minute: u16, equal_means: WindowEqualMeans) -> bool {
        use std::cmp::Ordering::*;
        match self.start_min.cmp(&self.end_min) {
            Equal => !(equal_means == WindowEqualMeans::MidnightOff && self.start_min == 0),
            Less => self.start_min <= minute && minute < self.end_min,
            Greater => minute >= self.start_min || minute < self.end_min,
        }
    }

    /// The RULES.md id that names this window's shape: DNDW-03 (all day),
    /// DNDW-04 (crosses midnight) or DNDW-02 (an ordinary daily window).
    pub fn rule(self) -> &'static str {
        use std::cmp::Ordering::*;
        match self.start_min.cmp(&self.end_min) {
            Equal => "DNDW-03",
            Greater => "DNDW-04",
            Less => "DNDW-02",
        }
    }
}

impl fmt::Display for DndWindow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (s, e) = (self.start_min, self.end_min);
        write!(f, "{:02}:{:02}-{:02}:{:02}", s / 60, s % 60, e / 60, e % 60)
    }
}

/// `H:MM` or `HH:MM` → minute of day; `None` when out of range or malformed.
fn parse_clock(text: &str) -> Option<u16> {
    let (h, m) = text.split_once(':')?;
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if !digits(h) || h.len() > 2 || !digits(m) || m.len() != 2 {
        return None;
    }
    let (h, m) = (h.parse::<u16>().ok()?, m.parse::<u16>().ok()?);
    (h <= 23 && m <= 59).then_some(h * 60 + m)
}

/// What a `window` argument asks for: set a window or clear it (DNDW-08).
pub fn parse_window_arg(text: &str) -> Result<Option<DndWindow>, String> {
    if text.trim().is_empty() {
        Ok(None)
    } else {
        DndWindow::parse(text).map(Some)
    }
}

/// Validates a DND duration given in the profile's unit and returns the new
/// absolute expiry: `None` for 0 (clears, A-09), `Some(set_time + duration)`
/// otherwise (DNDD-03). Negative or longer than 7 days ⇒ `Err` (DNDD-01).
pub fn duration_expiry(
    value: i64,
    unit: DurationUnit,
    now: SimTime,
) -> Result<Option<SimTime>, String> {
    let max = DURATION_MS_MAX / unit.ms();
    if !(0..=max).contains(&value) {
        return Err(format!(
            "duration {value} {} outside 0..={max}",
            unit_name(unit)
        ));
    }
    Ok((value != 0).then(|| now.plus_ms(value * unit.ms())))
}

/// The spelling of a duration unit in messages.
pub fn unit_name(unit: DurationUnit) -> &'static str {
    match unit {
        DurationUnit::Ms => "ms",
        DurationUnit::Min => "min",
        DurationUnit::S => "s",
    }
}

/// Settings at one level: the app, or one conversation.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Level {
    /// Remind type, `None` = unset (inherit / default ALL, RT-02).
    pub remind: Option<RemindType>,
    /// Daily window. On a conversation only stored under `WindowScope::Ignore` and never applied.
    pub window: Option<DndWindow>,
    /// Absolute expiry of the one-shot duration (DNDD-03); muted while `t < until`.
    pub until: Option<SimTime>,
}

impl Level {
    /// Whether the duration is active at `t` (half-open, A-02; never re-arms, A-04).
    pub fn duration_active(&self, t: SimTime) -> bool {
        self.until.is_some_and(|u| t < u)
    }
}

/// What a settings read returns for one level (NQ-03): the remind type, the
/// window and the **absolute** expiry of the duration, each only when set and,
/// for the expiry, still in the future (A-04: an expired duration reads as absent).
#[derive(
    Clone,
    Copy,
    PartialEq,
    Eq,
    Debug,
    Default,
    serde::Serialize,
    serde::Deserialize,
    schemars::JsonSchema,
)]
#[serde(deny_unknown_fields)]
pub struct LevelView {
    /// Remind type, if set at this level.
    pub remind: Option<RemindType>,
    /// Window, if set at this level.
    pub window: Option<DndWindow>,
    /// Expiry of an active duration.
    pub expiry: Option<SimTime>,
}

impl LevelView {
    /// Whether the level returns nothing (NQ-02 omits such conversations).
    pub fn is_empty(&self) -> bool {
        *self == LevelView::default()
    }
}

impl Level {
    /// The level as a read at `now` shows it (NQ-03, A-04).
    pub fn view(&self, now: SimTime) -> LevelView {
        LevelView {
            remind: self.remind,
            window: self.window,
            expiry: self.until.filter(|_| self.duration_active(now)),
        }
    }
}

/// All notification settings of one user (server-side, shared by all devices, NQ-04).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Settings {
    /// App level.
    pub app: Level,
    /// Conversation level, keyed by the conversation as the user sees it.
    pub convs: BTreeMap<Conversation, Level>,
    /// Preferred push language (CNT-05).
    pub language: Option<String>,
    /// Push nickname shown to recipients instead of the user id (CNT-06).
    pub push_nickname: Option<String>,
    /// zego's offline push rule (D-04), read under `multi.policy: platform_rule`.
    pub push_rule: Option<PushRule>,
}

/// zego's `ZIMUserOfflinePushRule`: while the user is online on one of
/// `online_platforms`, devices on `not_to_receive` get no offline push.
#[derive(Clone, PartialEq, Eq, Debug, Default)]
pub struct PushRule {
    /// Platforms whose presence triggers the rule.
    pub online_platforms: Vec<super::model::Platform>,
    /// Platforms that then get no push.
    pub not_to_receive: Vec<super::model::Platform>,
}

/// Where the effective remind type came from (RT-02).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum RemindSource {
    /// The conversation's own value.
    Conversation,
    /// The app value.
    App,
    /// Nothing set: ALL.
    Default,
}

impl Settings {
    /// The conversation level, if anything was ever set on it.
    pub fn conv(&self, conv: &Conversation) -> Option<&Level> {
        self.convs.get(conv)
    }

    /// Effective remind type (RT-02, D-08): under `conversation_overrides` the
    /// conversation value if set, else the app value, else ALL; the
    /// conversation wins in both directions (RT-03). `most_restrictive` takes
    /// the stricter of the two (NONE, then AT, then ALL); `push_rule_kind`
    /// (matrix) lets the app's NONE (the master rule) beat every conversation
    /// value and is otherwise `conversation_overrides`.
    pub fn effective_remind(
        &self,
        conv: Option<&Level>,
        precedence: Precedence,
    ) -> (RemindType, RemindSource) {
        let app = self.app.remind.map(|r| (r, RemindSource::App));
        let conv = conv
            .and_then(|c| c.remind)
            .map(|r| (r, RemindSource::Conversation));
        let strictness = |r: RemindType| match r {
            RemindType::All => 0,
            RemindType::At => 1,
            RemindType::None => 2,
        };
        let chosen = match (precedence, conv, app) {
            (Precedence::PushRuleKind, _, Some(a @ (RemindType::None, _))) => Some(a),
            (Precedence::MostRestrictive, Some(c), Some(a)) => {
                Some(if strictness(a.0) > strictness(c.0) {
                    a
                } else {
                    c
                })
            }
            (_, c, a) => c.or(a),
        };
        chosen.unwrap_or((RemindType::All, RemindSource::Default))
    }

    /// Drops a conversation entry that no longer holds anything.
    pub fn tidy(&mut self, conv: &Conversation) {
        if self.convs.get(conv).is_some_and(|l| *l == Level::default()) {
            self.convs.remove(conv);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::time::Zone;

    /// Parses `window`, reads `at` (`HH:MM[:SS]` on 2026-03-01) in `zone` and
    /// checks whether the window mutes it.
    fn check_window(window: &str, equal: WindowEqualMeans, zone: &str, at: &str, muted: bool) {
        let w = DndWindow::parse(window).unwrap();
        let z = Zone::parse(zone).unwrap();
        let day = chrono::NaiveDate::from_ymd_opt(2026, 3, 1).unwrap();
        let parts: Vec<u32> = at.split(':').map(|p| p.parse().unwrap()).collect();
        let ms = (parts[0] * 3600 + parts[1] * 60 + parts.get(2).copied().unwrap_or(0)) * 1000;
        let t = z.instant_of(day, ms);
        let minute = z.local(t).minute_of_day() as u16;
        assert_eq!(
            w.mutes_minute(minute, equal),
            muted,
            "{window} at {at} in {zone}"
        );
    }

    fn check_parse(text: &str, expect: Result<&str, ()>) {
        match (DndWindow::parse(text), expect) {
            (Ok(w), Ok(e)) => assert_eq!(w.to_string(), e, "{text:?}"),
            (Err(_), Err(())) => {}
            (got, want) => panic!("{text:?}: got {got:?}, want {want:?}"),
        }
    }

    use WindowEqualMeans::{AllDay, MidnightOff};

    #[test]
    fn dndw_01_accepts_24_hour_minute_precision_and_rejects_out_of_range() {
        check_parse("22:00-07:00", Ok("22:00-07:00"));
        check_parse("9:15-9:15", Ok("09:15-09:15"));
        check_parse("00:00-23:59", Ok("00:00-23:59"));
        check_parse("24:00-07:00", Err(()));
        check_parse("22:60-07:00", Err(()));
        check_parse("22:00", Err(()));
        check_parse("22:0-07:00", Err(()));
        check_parse("-1:00-07:00", Err(()));
        check_parse("aa:bb-cc:dd", Err(()));
        check_parse("", Err(()));
    }

    #[test]
    fn dndw_08_empty_window_argument_clears() {
        assert_eq!(parse_window_arg(""), Ok(None));
        assert_eq!(
            parse_window_arg("01:00-02:00")
                .unwrap()
                .unwrap()
                .to_string(),
            "01:00-02:00"
        );
        assert!(parse_window_arg("25:00-02:00").is_err());
    }

    #[test]
    fn dndw_04_window_crossing_midnight_mutes_at_2359_and_0000() {
        check_window("22:00-07:00", AllDay, "Asia/Shanghai", "23:59", true);
        check_window("22:00-07:00", AllDay, "Asia/Shanghai", "00:00", true);
        check_window("22:00-07:00", AllDay, "Asia/Shanghai", "21:59:59", false);
        check_window("22:00-07:00", AllDay, "Asia/Shanghai", "22:00", true);
    }

    #[test]
    fn dndw_04_a_02_end_is_exclusive_at_minute_precision() {
        check_window("22:00-07:00", AllDay, "+08:00", "06:59:59", true);
        check_window("22:00-07:00", AllDay, "+08:00", "07:00", false);
        check_window("08:00-12:00", AllDay, "+08:00", "11:59:59", true);
        check_window("08:00-12:00", AllDay, "+08:00", "12:00", false);
        check_window("08:00-12:00", AllDay, "+08:00", "07:59:59", false);
    }

    #[test]
    fn dndw_03_equal_start_and_end_is_all_day() {
        check_window("09:15-09:15", AllDay, "+08:00", "03:00", true);
        check_window("09:15-09:15", AllDay, "+08:00", "15:00", true);
        check_window("00:00-00:00", AllDay, "+08:00", "10:00", true);
        assert_eq!(DndWindow::parse("09:15-09:15").unwrap().rule(), "DNDW-03");
    }

    #[test]
    fn dndw_03_a_08_midnight_off_turns_only_0000_0000_off() {
        check_window("00:00-00:00", MidnightOff, "+08:00", "10:00", false);
        check_window("09:15-09:15", MidnightOff, "+08:00", "10:00", true);
    }

    #[test]
    fn a_19_dst_spring_forward_is_evaluated_on_the_wall_clock() {
        // 2026-03-08 is the spring-forward day in New York; checked through instants.
        let z = Zone::parse("America/New_York").unwrap();
        let w = DndWindow::parse("01:30-03:30").unwrap();
        let day = chrono::NaiveDate::from_ymd_opt(2026, 3, 8).unwrap();
        for (clock_min, muted) in [(105, true), (190, true), (210, false), (89, false)] {
            let t = z.instant_of(day, clock_min * 60_000);
            let m = z.local(t).minute_of_day() as u16;
            assert_eq!(w.mutes_minute(m, AllDay), muted, "minute {clock_min}");
        }
    }

    #[test]
    fn dndd_01_duration_range_is_0_to_7_days_in_the_profile_unit() {
        let now = SimTime(1_000_000);
        assert_eq!(
            duration_expiry(604_800_000, DurationUnit::Ms, now),
            Ok(Some(now.plus_ms(604_800_000)))
        );
        assert!(duration_expiry(604_800_001, DurationUnit::Ms, now).is_err());
        assert!(duration_expiry(-1, DurationUnit::Ms, now).is_err());
        assert_eq!(
            duration_expiry(10_080, DurationUnit::Min, now),
            Ok(Some(now.plus_ms(604_800_000)))
        );
        assert!(duration_expiry(10_081, DurationUnit::Min, now).is_err());
    }

    #[test]
    fn dndd_02_a_09_zero_clears() {
        assert_eq!(duration_expiry(0, DurationUnit::Ms, SimTime(5)), Ok(None));
    }

    #[test]
    fn dndd_03_expiry_is_absolute_and_half_open() {
        let set = SimTime(10 * 3_600_000);
        let level = Level {
            until: duration_expiry(7_200_000, DurationUnit::Ms, set).unwrap(),
            ..Level::default()
        };
        assert!(level.duration_active(set.plus_ms(7_199_999)));
        assert!(!level.duration_active(set.plus_ms(7_200_000)));
        assert!(!level.duration_active(set.plus_ms(30 * 24 * 3_600_000)));
    }

    #[test]
    fn nq_03_a_04_view_shows_absolute_expiry_until_it_passes() {
        let set = SimTime(10 * 3_600_000);
        let level = Level {
            remind: Some(RemindType::At),
            until: duration_expiry(3_600_000, DurationUnit::Ms, set).unwrap(),
            ..Level::default()
        };
        let expiry = Some(set.plus_ms(3_600_000));
        assert_eq!(level.view(set.plus_ms(1_800_000)).expiry, expiry);
        assert_eq!(level.view(set).expiry, expiry, "absolute, not remaining");
        let after = level.view(set.plus_ms(3_600_000));
        assert_eq!(after.expiry, None);
        assert_eq!(after.remind, Some(RemindType::At));
        assert!(Level::default().view(set).is_empty());
    }

    const CONV: Precedence = Precedence::ConversationOverrides;

    #[test]
    fn rt_02_rt_03_conversation_overrides_app_both_ways() {
        let mut s = Settings::default();
        let conv = Conversation::Group("g1".into());
        assert_eq!(
            s.effective_remind(None, CONV),
            (RemindType::All, RemindSource::Default)
        );
        s.app.remind = Some(RemindType::None);
        s.convs.entry(conv.clone()).or_default().remind = Some(RemindType::All);
        assert_eq!(
            s.effective_remind(s.conv(&conv), CONV),
            (RemindType::All, RemindSource::Conversation)
        );
        s.app.remind = Some(RemindType::All);
        s.convs.get_mut(&conv).unwrap().remind = Some(RemindType::None);
        assert_eq!(s.effective_remind(s.conv(&conv), CONV).0, RemindType::None);
        // RT-04: clearing the conversation value inherits the app value.
        s.convs.get_mut(&conv).unwrap().remind = None;
        s.tidy(&conv);
        assert!(s.conv(&conv).is_none());
        assert_eq!(
            s.effective_remind(s.conv(&conv), CONV),
            (RemindType::All, RemindSource::App)
        );
    }

    /// D-08: the same pairs under the three precedences. Matrix's master rule
    /// (app NONE) beats a room rule; a room rule (conversation ALL) beats the
    /// app's underride (AT); openim takes the stricter.
    #[test]
    fn d_08_precedence_by_conversation_strictness_and_push_rule_kind() {
        let conv = Conversation::Group("g1".into());
        let pair = |app: RemindType, c: RemindType, p: Precedence| {
            let mut s = Settings::default();
            s.app.remind = Some(app);
            s.convs.entry(conv.clone()).or_default().remind = Some(c);
            s.effective_remind(s.conv(&conv), p)
        };
        use RemindSource::{App, Conversation as Conv};
        use RemindType::{All, At, None};
        let cases = [
            // (app, conversation) → conversation_overrides, most_restrictive, push_rule_kind
            ((None, All), [(All, Conv), (None, App), (None, App)]),
            ((At, All), [(All, Conv), (At, App), (All, Conv)]),
            ((All, None), [(None, Conv), (None, Conv), (None, Conv)]),
            ((None, At), [(At, Conv), (None, App), (None, App)]),
            ((At, None), [(None, Conv), (None, Conv), (None, Conv)]),
        ];
        let precedences = [
            Precedence::ConversationOverrides,
            Precedence::MostRestrictive,
            Precedence::PushRuleKind,
        ];
        for ((app, c), want) in cases {
            for (p, w) in precedences.iter().zip(want) {
                assert_eq!(
                    pair(app, c, *p),
                    w,
                    "app {app:?}, conversation {c:?}, {p:?}"
                );
            }
        }
    }
}
