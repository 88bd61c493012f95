//! Calendar time as a plain value: milliseconds since the Unix epoch, plus the
//! time zones wall-clock rules are evaluated in.
//!
//! Nothing here reads a clock. `now` always arrives as an argument (DESIGN.md, Time).

use chrono::{DateTime, FixedOffset, NaiveDate, Offset, TimeZone, Timelike};
use std::fmt;

/// Calendar (virtual) time: milliseconds since 1970-01-01T00:00:00Z.
#[derive(
    Clone,
    Copy,
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
#[serde(transparent)]
pub struct SimTime(pub i64);

impl SimTime {
    /// Adds a signed number of milliseconds.
    pub fn plus_ms(self, ms: i64) -> SimTime {
        SimTime(self.0.saturating_add(ms))
    }
    /// Milliseconds from `earlier` to `self` (negative when `self` is earlier).
    pub fn ms_since(self, earlier: SimTime) -> i64 {
        self.0 - earlier.0
    }
    /// The instant as a UTC `DateTime`.
    pub fn to_utc(self) -> DateTime<chrono::Utc> {
        DateTime::from_timestamp_millis(self.0).expect("SimTime within chrono's range")
    }
}

/// A time zone in which wall-clock rules (DND windows) are evaluated.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Zone {
    /// A fixed UTC offset, e.g. `+08:00` (the offset of a scenario's `start`).
    Fixed(FixedOffset),
    /// An IANA zone, so daylight-saving days behave.
    Iana(chrono_tz::Tz),
}

/// A local wall-clock reading of an instant in some zone.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct LocalTime {
    /// The local calendar date.
    pub date: NaiveDate,
    /// Milliseconds since local midnight, `0..86_400_000` (a repeated DST hour reads twice).
    pub ms_of_day: u32,
    /// The UTC offset in effect, in seconds.
    pub offset_s: i32,
}

impl LocalTime {
    /// Minutes since local midnight (`0..1440`).
    pub fn minute_of_day(&self) -> u32 {
        self.ms_of_day / 60_000
    }
}

impl Zone {
    /// Parses `Asia/Shanghai`, `UTC`, `+08:00`, `-05:30` or `Z`.
    pub fn parse(text: &str) -> Option<Zone> {
        let t = text.trim();
        if t == "Z" || t == "UTC" {
            return Some(Zone::Fixed(FixedOffset::east_opt(0)?));
        }
        if let Some(rest) = t.strip_prefix('+').or_else(|| t.strip_prefix('-')) {
            let sign = if t.starts_with('-') { -1 } else { 1 };
            let (h, m) = rest.split_once(':')?;
            if h.len() != 2 || m.len() != 2 {
                return None;
            }
            let secs = h.parse::<i32>().ok()? * 3600 + m.parse::<i32>().ok()? * 60;
            return Some(Zone::Fixed(FixedOffset::east_opt(sign * secs)?));
        }
        t.parse::<chrono_tz::Tz>().ok().map(Zone::Iana)
    }

    /// The wall-clock reading of `t` in this zone.
    pub fn local(&self, t: SimTime) -> LocalTime {
        let utc = t.to_utc();
        match self {
            Zone::Fixed(off) => local_of(utc.with_timezone(off)),
            Zone::Iana(tz) => local_of(utc.with_timezone(tz)),
        }
    }

    /// The UTC offset in effect at `t`, in seconds.
    pub fn offset_s(&self, t: SimTime) -> i32 {
        self.local(t).offset_s
    }

    /// Renders `t` as RFC 3339 in this zone; milliseconds only when non-zero.
    pub fn format(&self, t: SimTime) -> String {
        let off = FixedOffset::east_opt(self.offset_s(t)).expect("valid offset");
        let dt = t.to_utc().with_timezone(&off);
        if t.0.rem_euclid(1000) == 0 {
            dt.format("%Y-%m-%dT%H:%M:%S%:z").to_string()
        } else {
            dt.format("%Y-%m-%dT%H:%M:%S%.3f%:z").to_string()
        }
    }

    /// Renders `t` as a short local clock reading, `HH:MM[:SS[.mmm]]`.
    pub fn format_clock(&self, t: SimTime) -> String {
        let l = self.local(t);
        let (h, m, s, ms) = (
            l.ms_of_day / 3_600_000,
            l.ms_of_day / 60_000 % 60,
            l.ms_of_day / 1000 % 60,
            l.ms_of_day % 1000,
        );
        match (s, ms) {
            (0, 0) => format!("{h:02}:{m:02}"),
            (_, 0) => format!("{h:02}:{m:02}:{s:02}"),
            _ => format!("{h:02}:{m:02}:{s:02}.{ms:03}"),
        }
    }

    /// The instant of local wall-clock `date` + `ms_of_day`, the earliest one when the
    /// reading repeats and the first existing instant after it when it was skipped.
    pub fn instant_of(&self, date: NaiveDate, ms_of_day: u32) -> SimTime {
        let naive = date.and_hms_opt(0, 0, 0).expect("midnight exists")
            + chrono::Duration::milliseconds(ms_of_day as i64);
        match self {
            Zone::Fixed(off) => SimTime(
                off.from_local_datetime(&naive)
                    .single()
                    .expect("fixed offsets are unambiguous")
                    .timestamp_millis(),
            ),
            Zone::Iana(tz) => {
                let mut probe = naive;
                // Skipped wall-clock times (spring forward) have no instant: walk forward.
                for _ in 0..(4 * 60) {
                    if let Some(dt) = tz.from_local_datetime(&probe).earliest() {
                        return SimTime(dt.timestamp_millis());
                    }
                    probe += chrono::Duration::minutes(1);
                }
                panic!("no instant within 4h after {naive} in {tz}")
            }
        }
    }
}

fn local_of<Tz: TimeZone>(dt: DateTime<Tz>) -> LocalTime {
    let offset_s = dt.offset().fix().local_minus_utc();
    let naive = dt.naive_local();
    LocalTime {
        date: naive.date(),
        ms_of_day: naive.num_seconds_from_midnight() * 1000 + naive.nanosecond() / 1_000_000,
        offset_s,
    }
}

impl fmt::Display for Zone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Zone::Fixed(off) => write!(f, "{off}"),
            Zone::Iana(tz) => write!(f, "{}", tz.name()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixed_zone_reads_local_clock_and_formats_round_trip() {
        let z = Zone::parse("+08:00").unwrap();
        let t = SimTime(1_772_370_000_000); // 2026-03-01T13:00:00Z
        assert_eq!(z.format(t), "2026-03-01T21:00:00+08:00");
        assert_eq!(z.local(t).minute_of_day(), 21 * 60);
        assert_eq!(z.instant_of(z.local(t).date, 21 * 3_600_000), t);
    }

    #[test]
    fn iana_zone_skipped_hour_starts_at_first_existing_instant() {
        let z = Zone::parse("America/New_York").unwrap();
        let day = NaiveDate::from_ymd_opt(2026, 3, 8).unwrap();
        let t = z.instant_of(day, (2 * 60 + 30) * 60_000); // 02:30 does not exist
        assert_eq!(z.local(t).minute_of_day(), 3 * 60);
    }
}
