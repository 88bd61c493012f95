//! What a conformance failure shows: the facts that differ, then one row per
//! message × device (or step) they concern — what the reference showed, what
//! the SUT showed, and the rule the reference decided it by, which is where
//! to read up (`pushsim explain FILE` shows the reference's reasoning).

use crate::outcome::observable::{fact_line, About, Fact};
use crate::outcome::Outcome;
use crate::run::trace::TraceVerdict;
use crate::scenario::plan::Plan;
use std::collections::BTreeMap;
use std::fmt::Write;

/// A short cell text for one fact: `fcm push 12:00:00 → 200 ok`.
fn cell(plan: &Plan, f: &Fact) -> String {
    let time = plan.display_zone.format(f.at);
    let clock = time.get(11..19).unwrap_or(&time);
    let what = match f.text.split_once(" title=") {
        // A push: vendor and the answer, the content is in the lines above.
        Some((vendor, rest)) => {
            let answer = rest.rsplit_once(" → ").map_or("", |(_, a)| a);
            format!("{vendor} {clock} → {answer}")
        }
        None => format!("{} {clock}", f.text),
    };
    shorten(&what, CELL_MAX)
}

/// The longest table cell, in characters; the lines above the table hold
/// every fact whole.
const CELL_MAX: usize = 60;

fn shorten(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let mut out: String = s.chars().take(max - 1).collect();
    out.push('…');
    out
}

fn rule_of(expected: &Outcome, about: &About) -> String {
    match about {
        About::Delivery(msg, device) => expected
            .decisions
            .iter()
            .filter(|d| d.msg == *msg && d.device == *device)
            .map(|d| match &d.verdict {
                TraceVerdict::Push { vendor, rule } => {
                    format!("push via {} [{rule}]", vendor.name())
                }
                TraceVerdict::Online => "online [PRS-01]".into(),
                TraceVerdict::Suppressed { rule, .. } => format!("no push [{rule}]"),
            })
            .collect::<Vec<_>>()
            .join("; "),
        About::Step(seq) => expected
            .rejections
            .get(seq)
            .map(|(rule, _)| format!("rejected [{rule}]"))
            .unwrap_or_default(),
    }
}

/// The report of a scenario the SUT failed.
pub fn difference(plan: &Plan, expected: &Outcome, missing: &[Fact], extra: &[Fact]) -> String {
    let mut s = String::from(
        "differs from the reference (- the reference only, + the system under test only):\n",
    );
    let mut lines: Vec<(&Fact, char)> = missing
        .iter()
        .map(|f| (f, '-'))
        .chain(extra.iter().map(|f| (f, '+')))
        .collect();
    lines.sort_by(|a, b| (a.0.at, &a.0.about, a.1).cmp(&(b.0.at, &b.0.about, b.1)));
    for (f, sign) in &lines {
        let _ = writeln!(s, "  {sign} {}", fact_line(plan, f));
    }
    let mut rows: BTreeMap<&About, (Vec<String>, Vec<String>)> = BTreeMap::new();
    for f in missing {
        rows.entry(&f.about).or_default().0.push(cell(plan, f));
    }
    for f in extra {
        rows.entry(&f.about).or_default().1.push(cell(plan, f));
    }
    let table: Vec<[String; 4]> = rows
        .into_iter()
        .map(|(about, (r, t))| {
            let subject = match about {
                About::Delivery(m, d) => format!("{m} → {d}"),
                About::Step(seq) => format!("step {seq}"),
            };
            let or_dash = |v: Vec<String>| {
                if v.is_empty() {
                    "—".to_string()
                } else {
                    v.join("; ")
                }
            };
            [subject, or_dash(r), or_dash(t), rule_of(expected, about)]
        })
        .collect();
    let header = [
        "message → device".to_string(),
        "reference".into(),
        "system under test".into(),
        "the reference decided".into(),
    ];
    let width = |i: usize| {
        table
            .iter()
            .chain(std::iter::once(&header))
            .map(|r| r[i].chars().count())
            .max()
            .unwrap_or(0)
    };
    let widths = [width(0), width(1), width(2)];
    for row in std::iter::once(&header).chain(table.iter()) {
        let mut line = String::from("  ");
        for (i, w) in widths.iter().enumerate() {
            let pad = w - row[i].chars().count();
            let _ = write!(line, "{}{}  ", row[i], " ".repeat(pad));
        }
        line.push_str(&row[3]);
        let _ = writeln!(s, "{}", line.trim_end());
    }
    s
}

/// Lines of the SUT's own log, for a failure's report (at most [`LOG_LINES`]).
pub fn sut_log(log: &[String]) -> String {
    if log.is_empty() {
        return String::new();
    }
    let mut text = String::from("the system under test's log:\n");
    for line in log.iter().take(LOG_LINES) {
        text.push_str(&format!("  {line}\n"));
    }
    if log.len() > LOG_LINES {
        text.push_str(&format!("  … {} more lines\n", log.len() - LOG_LINES));
    }
    text
}

/// The most log lines a report shows.
pub const LOG_LINES: usize = 40;
