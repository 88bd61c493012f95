//! Text of settings reads (NQ-01..03) for the snapshot timeline and for
//! `settings:` expectation mismatches. One spelling for both, so a failing check
//! prints what the snapshot shows.

use crate::core::io::{SettingsQuery, SettingsRead};
use crate::core::model::Conversation;
use crate::core::settings::LevelView;
use crate::core::time::Zone;

/// `app`, `group:g1`, or `[group:g1, user:alice]` (the query's `Display`).
pub fn query_text(q: &SettingsQuery) -> String {
    q.to_string()
}

/// `{remind=AT window=22:00-07:00 expiry=2026-03-01T11:00:00+08:00}`, `{}` when
/// nothing is set; the expiry in `zone`.
pub fn level_text(v: &LevelView, zone: &Zone) -> String {
    let mut parts = Vec::new();
    if let Some(r) = v.remind {
        parts.push(format!("remind={}", r.name()));
    }
    if let Some(w) = v.window {
        parts.push(format!("window={w}"));
    }
    if let Some(e) = v.expiry {
        parts.push(format!("expiry={}", zone.format(e)));
    }
    format!("{{{}}}", parts.join(" "))
}

/// The levels of an answer: one level for app/one conversation; for a batch,
/// `group:g1 {…}, user:alice {…}` or `none listed`.
pub fn levels_text(
    query: &SettingsQuery,
    levels: &[(Option<Conversation>, LevelView)],
    zone: &Zone,
) -> String {
    match query {
        SettingsQuery::Many(_) if levels.is_empty() => "none listed".into(),
        SettingsQuery::Many(_) => levels
            .iter()
            .map(|(c, v)| {
                let name = c.as_ref().map_or("app".into(), ToString::to_string);
                format!("{name} {}", level_text(v, zone))
            })
            .collect::<Vec<_>>()
            .join(", "),
        _ => levels
            .first()
            .map_or("{}".into(), |(_, v)| level_text(v, zone)),
    }
}

/// The timeline line of a read made by step `seq`.
pub fn read_text(seq: u32, read: &SettingsRead, zone: &Zone) -> String {
    format!(
        "step {seq} settings of {} {}: {}",
        read.user,
        query_text(&read.query),
        levels_text(&read.query, &read.levels, zone)
    )
}
