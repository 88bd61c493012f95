//! `at:` and duration syntax: clock times, relative offsets, RFC 3339 instants,
//! and how each resolves to a [`SimTime`].
//!
//! Resolution rules (documented in scenarios/README.md):
//! - Steps walk forward from `start`. `HH:MM[:SS]` is the next occurrence of that
//!   wall-clock time (in the offset of `start`) at or after the previous step
//!   (the first step: at or after `start`); `+1h30m` is the previous step plus
//!   the offset; an RFC 3339 instant is taken as is and must not be earlier
//!   than the previous step.
//! - Expectations do not walk: `HH:MM[:SS]` is the first occurrence at or after
//!   `start`, and it must be the only occurrence between `start` and the last
//!   step (otherwise it is ambiguous and must be written in RFC 3339); `+…` is
//!   relative to `start`; RFC 3339 must not be before `start`.

use crate::core::time::{SimTime, Zone};
use chrono::DateTime;

/// No `at` may lie further than this after `start` (ten years).
pub(crate) const SPAN_MS_MAX: i64 = 10 * 366 * 86_400_000;

/// A parsed `at:`.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum At {
    /// `HH:MM[:SS]`: milliseconds since local midnight.
    Clock(u32),
    /// `+1h30m`: milliseconds after the reference point.
    Rel(i64),
    /// An RFC 3339 instant.
    Abs(SimTime),
}

/// What `at:` accepts, for messages.
pub(crate) const AT_FORMS: &str =
    "expected a clock time `HH:MM[:SS]`, a relative offset such as `+30s` or `+1h30m`, or an RFC 3339 time such as `2026-03-01T21:00:00+08:00`";

/// Parses an `at:` value.
pub(crate) fn parse_at(text: &str) -> Option<At> {
    let t = text.trim();
    if let Some(rest) = t.strip_prefix('+') {
        return parse_duration_ms(rest).map(At::Rel);
    }
    if let Some(ms) = parse_clock(t) {
        return Some(At::Clock(ms));
    }
    parse_instant(t).map(At::Abs)
}

/// Parses an RFC 3339 instant with an offset (`Z` allowed).
pub(crate) fn parse_instant(text: &str) -> Option<SimTime> {
    let dt = DateTime::parse_from_rfc3339(text.trim()).ok()?;
    Some(SimTime(dt.timestamp_millis()))
}

/// `H:MM`, `HH:MM` or `HH:MM:SS`, 00:00 to 23:59:59.
fn parse_clock(t: &str) -> Option<u32> {
    let parts: Vec<&str> = t.split(':').collect();
    let num = |s: &str, max: u32, widths: &[usize]| -> Option<u32> {
        if !widths.contains(&s.len()) || !s.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        s.parse::<u32>().ok().filter(|v| *v <= max)
    };
    let (h, m, s) = match parts.as_slice() {
        [h, m] => (num(h, 23, &[1, 2])?, num(m, 59, &[2])?, 0),
        [h, m, s] => (num(h, 23, &[1, 2])?, num(m, 59, &[2])?, num(s, 59, &[2])?),
        _ => return None,
    };
    Some(((h * 60 + m) * 60 + s) * 1000)
}

/// Parses `30s`, `2h`, `1h30m`, `7d`, `500ms` (units in decreasing order, each
/// at most once) into milliseconds.
pub(crate) fn parse_duration_ms(text: &str) -> Option<i64> {
    const UNITS: [(&str, i64); 5] = [
        ("d", 86_400_000),
        ("h", 3_600_000),
        ("ms", 1),
        ("m", 60_000),
        ("s", 1000),
    ];
    // Rank by size so "ms" after "s" is allowed but "h" after "m" is not.
    let rank = |u: &str| match u {
        "d" => 0,
        "h" => 1,
        "m" => 2,
        "s" => 3,
        _ => 4,
    };
    let mut rest = text;
    let mut total: i64 = 0;
    let mut last_rank = -1;
    if rest.is_empty() {
        return None;
    }
    while !rest.is_empty() {
        let digits = rest.bytes().take_while(|b| b.is_ascii_digit()).count();
        if digits == 0 || digits > 12 {
            return None;
        }
        let n: i64 = rest[..digits].parse().ok()?;
        rest = &rest[digits..];
        let (unit, ms) = UNITS.iter().find(|(u, _)| rest.starts_with(u))?;
        let r = rank(unit);
        if r <= last_rank {
            return None;
        }
        last_rank = r;
        rest = &rest[unit.len()..];
        total = total.checked_add(n.checked_mul(*ms)?)?;
    }
    Some(total)
}

/// The first instant at or after `from` whose wall clock in `zone` reads `ms_of_day`.
pub(crate) fn next_clock(zone: &Zone, from: SimTime, ms_of_day: u32) -> SimTime {
    let date = zone.local(from).date;
    let same_day = zone.instant_of(date, ms_of_day);
    if same_day >= from {
        return same_day;
    }
    match date.succ_opt() {
        Some(next) => zone.instant_of(next, ms_of_day),
        None => same_day, // beyond chrono's range; rejected by the span check
    }
}

/// Resolves a step's `at` against the previous step's time.
pub(crate) fn resolve_step(at: At, prev: SimTime, zone: &Zone) -> SimTime {
    match at {
        At::Clock(ms) => next_clock(zone, prev, ms),
        At::Rel(ms) => prev.plus_ms(ms),
        At::Abs(t) => t,
    }
}

/// Whether `t` is a usable instant for a scenario that starts at `start`.
pub(crate) fn in_span(t: SimTime, start: SimTime) -> bool {
    t.0.checked_sub(start.0).is_some_and(|d| d <= SPAN_MS_MAX)
        && DateTime::from_timestamp_millis(t.0).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn zone() -> Zone {
        Zone::parse("+08:00").unwrap()
    }
    fn t(s: &str) -> SimTime {
        parse_instant(s).unwrap()
    }

    #[test]
    fn forms_parse() {
        assert_eq!(parse_at("21:00"), Some(At::Clock(21 * 3_600_000)));
        assert_eq!(
            parse_at("7:05:09"),
            Some(At::Clock((7 * 3600 + 5 * 60 + 9) * 1000))
        );
        assert_eq!(parse_at("+1h30m"), Some(At::Rel(5_400_000)));
        assert_eq!(parse_at("+1d"), Some(At::Rel(86_400_000)));
        assert_eq!(parse_at("+1s500ms"), Some(At::Rel(1500)));
        assert_eq!(
            parse_at("2026-03-01T21:00:00+08:00"),
            Some(At::Abs(t("2026-03-01T13:00:00Z")))
        );
        for bad in [
            "24:00",
            "21:60",
            "21:0",
            "+",
            "+30",
            "+30x",
            "+1m1h",
            "+1h1h",
            "2026-03-01T21:00:00",
            "",
            "+-1s",
        ] {
            assert_eq!(parse_at(bad), None, "{bad}");
        }
    }

    #[test]
    fn clock_time_crossing_midnight_is_next_morning() {
        let prev = t("2026-03-01T23:59:00+08:00");
        assert_eq!(
            resolve_step(At::Clock(7 * 3_600_000), prev, &zone()),
            t("2026-03-02T07:00:00+08:00")
        );
        // At-or-after: the same clock time stays.
        assert_eq!(
            resolve_step(At::Clock((23 * 60 + 59) * 60_000), prev, &zone()),
            prev
        );
    }

    #[test]
    fn relative_adds_to_previous() {
        let prev = t("2026-03-01T23:59:00+08:00");
        assert_eq!(
            resolve_step(At::Rel(120_000), prev, &zone()),
            t("2026-03-02T00:01:00+08:00")
        );
    }

    #[test]
    fn durations_reject_overflow() {
        assert_eq!(parse_duration_ms("999999999999d"), None);
        assert_eq!(parse_duration_ms("7d"), Some(604_800_000));
    }
}
