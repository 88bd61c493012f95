//! Renderers of an outcome: the snapshot text (a YAML document with one
//! timeline line per event, so diffs read line by line) and the `explain` view.
//! They compute nothing; tokens are shown as `<token:user/device>`.

use super::summarize::{DecisionRecord, Outcome};
use crate::core::model::Notification;
use crate::run::trace::{step_late_text, Event, LossCause, TraceVerdict};
use crate::scenario::plan::Plan;
use std::fmt::Write;

/// A string as a JSON literal, with invisible characters escaped too (JSON
/// escapes only control characters): a right-to-left override or a
/// zero-width space in a text must show in a snapshot line.
pub(crate) fn q(s: &str) -> String {
    escape_invisible(&serde_json::to_string(s).expect("strings serialize"))
}

/// Characters that change or hide how text looks without being visible
/// themselves: format characters (zero-width, bidi controls), line/paragraph
/// separators, C1 controls.
pub fn invisible(c: char) -> bool {
    matches!(c,
        '\u{7f}'..='\u{9f}' | '\u{ad}' | '\u{61c}' | '\u{115f}' | '\u{1160}' | '\u{180e}'
        | '\u{200b}'..='\u{200f}' | '\u{2028}'..='\u{202e}' | '\u{2060}'..='\u{2064}'
        | '\u{2066}'..='\u{206f}' | '\u{3164}' | '\u{feff}' | '\u{fff9}'..='\u{fffb}')
}

/// `s` with every [`invisible`] character written `\uXXXX`.
pub fn escape_invisible(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if invisible(c) {
            out.push_str(&format!("\\u{:04x}", c as u32));
        } else {
            out.push(c);
        }
    }
    out
}

fn token(o: &Outcome, t: &str) -> String {
    match o.token_owner.get(t) {
        Some(d) => format!("<token:{d}>"),
        None => "<token:undeclared>".into(),
    }
}

fn notification(n: &Notification) -> String {
    let mut s = format!("title={} body={}", q(&n.title), q(&n.body));
    if let Some(b) = n.badge {
        let _ = write!(s, " badge={b}");
    }
    for (k, v) in [
        ("channel", &n.channel_id),
        ("click", &n.click_action),
        ("sound", &n.sound),
        ("category", &n.category),
        ("notify_id", &n.notify_id),
    ] {
        if let Some(v) = v {
            let _ = write!(s, " {k}={}", q(v));
        }
    }
    if !n.payload.is_empty() {
        let kv: Vec<String> = n
            .payload
            .iter()
            .map(|(k, v)| format!("{k}={}", q(v)))
            .collect();
        let _ = write!(s, " payload{{{}}}", kv.join(", "));
    }
    s
}

fn verdict(v: &TraceVerdict) -> String {
    match v {
        TraceVerdict::Push { vendor, rule } => format!("push via {} [{rule}]", vendor.name()),
        TraceVerdict::Online => "online delivery [PRS-01]".into(),
        TraceVerdict::Suppressed { rule, reason } => format!("no push [{rule}] {reason}"),
    }
}

/// One line for one event.
fn line(o: &Outcome, e: &Event, zone: &crate::core::time::Zone) -> String {
    match e {
        Event::Step { seq, line, what } => format!("step {seq} (line {line}): {what}"),
        Event::LoggedIn { device } => format!("{device} logged in"),
        Event::LoginRejected { device, reason } => format!("{device} login refused: {reason}"),
        Event::Kicked { device, by } => format!("{device} kicked by {by}"),
        Event::LoggedOut { device } => format!("{device} logged out"),
        Event::ConnectionLost { device, cause } => match cause {
            LossCause::Closed => format!("server: {device} connection closed"),
            LossCause::HeartbeatTimeout => format!("server: {device} heartbeat timeout"),
        },
        Event::Delivered { device, msg, text } => {
            format!("{device} received {msg} {} online", q(text))
        }
        Event::Synced { device, msgs } => {
            let list: Vec<String> = msgs.iter().map(|(m, t)| format!("{m} {}", q(t))).collect();
            format!("{device} synced {}", list.join(", "))
        }
        Event::Decided {
            msg,
            device,
            verdict: v,
        } => format!("decide {msg} → {device}: {}", verdict(v)),
        Event::Push {
            device,
            vendor,
            token: t,
            notification: n,
            status,
            result,
            msg,
        } => format!(
            "{} push {msg} → {device} {}: {} → {} {result}",
            vendor.name(),
            token(o, t),
            notification(n),
            status_text(*status)
        ),
        Event::Auth {
            vendor,
            status,
            result,
        } => format!("{} auth → {} {result}", vendor.name(), status_text(*status)),
        Event::VendorRetry {
            msg,
            device,
            vendor,
            attempt,
            wait_ms,
            why,
        } => format!(
            "{} retry {msg} → {device} in {} (attempt {attempt}): {why}",
            vendor.name(),
            duration(*wait_ms)
        ),
        Event::PushAbandoned {
            msg,
            device,
            vendor,
            reason,
        } => format!("{} gave up {msg} → {device}: {reason}", vendor.name()),
        Event::Unbound {
            device,
            rule,
            reason,
        } => format!("unbind {device} [{rule}] {reason}"),
        Event::Accepted { seq, what } => format!("step {seq} accepted: {what}"),
        Event::Rejected { seq, rule, reason } => format!("step {seq} rejected [{rule}] {reason}"),
        Event::Settings { seq, read } => super::settings::read_text(*seq, read, zone),
        Event::HarnessError { what } => format!("HARNESS ERROR: {what}"),
        Event::StepLate { seq, line, late_ms } => {
            format!("STEP LATE: {}", step_late_text(*seq, *line, *late_ms))
        }
        Event::BudgetExhausted { what } => format!("BUDGET EXHAUSTED: {what}"),
    }
}

/// The snapshot text of an outcome.
pub fn render(plan: &Plan, o: &Outcome) -> String {
    let z = &plan.display_zone;
    let mut s = String::new();
    let _ = writeln!(s, "scenario: {}", plan.id);
    let _ = writeln!(s, "name: {}", q(&plan.name));
    let _ = writeln!(s, "profile: {}", plan.server.profile.name);
    let _ = writeln!(s, "timeline:");
    for e in &o.trace {
        let _ = writeln!(s, "  - {} {}", q(&z.format(e.at)), q(&line(o, &e.event, z)));
    }
    let _ = writeln!(s, "pushes:");
    if o.pushes.is_empty() {
        let _ = writeln!(s, "  []");
    }
    for p in &o.pushes {
        let _ = writeln!(
            s,
            "  - {{at: {}, device: {}, msg: {}, vendor: {}, result: {}}}",
            q(&z.format(p.at)),
            p.device,
            p.msg,
            p.vendor.name(),
            q(&p.result)
        );
    }
    // What any implementation shows (conformance compares these lines).
    let _ = writeln!(s, "observable:");
    let facts = super::observable::facts(plan, o);
    if facts.is_empty() {
        let _ = writeln!(s, "  []");
    }
    for f in &facts {
        let _ = writeln!(s, "  - {}", q(&super::observable::fact_line(plan, f)));
    }
    if !o.problems.is_empty() {
        let _ = writeln!(s, "problems:");
        for p in &o.problems {
            let _ = writeln!(s, "  - {}", q(p));
        }
    }
    s
}

/// `pushsim explain`: one line per message × device with the deciding rule.
pub fn render_explain(plan: &Plan, o: &Outcome) -> String {
    let z = &plan.display_zone;
    let mut s = String::new();
    for d in &o.decisions {
        // A push decided is not a push delivered: say what the vendor answered.
        let answers: Vec<String> = match d.verdict {
            TraceVerdict::Push { .. } => o
                .pushes
                .iter()
                .filter(|p| p.msg == d.msg && p.device == d.device)
                .map(|p| format!("{} {}", status_text(p.status), p.result))
                .collect(),
            _ => Vec::new(),
        };
        let answered = match answers.as_slice() {
            [] if matches!(d.verdict, TraceVerdict::Push { .. }) => {
                " (no request reached the vendor)".to_string()
            }
            [] => String::new(),
            list => format!(" → vendor answered {}", list.join(", then ")),
        };
        // The recipient's own wall clock, where it reads differently (another
        // zone, or a daylight-saving change since `start`).
        let theirs = plan.server.zone_of(&d.device.user);
        let local = if theirs.format_clock(d.at) != z.format_clock(d.at) {
            format!(" ({} {theirs})", theirs.format_clock(d.at))
        } else {
            String::new()
        };
        let _ = writeln!(
            s,
            "{}{local} {} {} → {}: {}{answered}",
            z.format(d.at),
            d.msg,
            q(&d.text),
            d.device,
            verdict(&d.verdict)
        );
    }
    if o.decisions.is_empty() {
        s.push_str("no messages were decided\n");
    }
    // What the cited rules say (`pushsim rules ID` for the whole entry).
    let mut cited: Vec<&str> = o.decisions.iter().map(DecisionRecord::rule).collect();
    cited.sort_unstable();
    cited.dedup();
    if !cited.is_empty() {
        s.push_str("rules:\n");
        for id in cited {
            let _ = writeln!(s, "  {id:<8} {}", crate::catalogue::title(id));
        }
    }
    s
}

/// `1.250 s`, `30 s`, `2 h 5 min`: a wait as people read it.
fn duration(ms: i64) -> String {
    if ms % 1000 != 0 {
        return format!("{}.{:03} s", ms / 1000, ms % 1000);
    }
    let s = ms / 1000;
    match (s / 3600, s % 3600 / 60, s % 60) {
        (0, 0, s) => format!("{s} s"),
        (0, m, 0) => format!("{m} min"),
        (0, m, s) => format!("{m} min {s} s"),
        (h, 0, 0) => format!("{h} h"),
        (h, m, _) => format!("{h} h {m} min"),
    }
}

/// An HTTP status, or `no answer` (0: timeout or transport failure).
fn status_text(status: u16) -> String {
    match status {
        0 => "no answer,".to_string(),
        s => s.to_string(),
    }
}

#[cfg(test)]
mod tests {
    /// Issue 10: RTL overrides, zero-width and U+2028 reached snapshot push
    /// lines raw (step lines escaped them).
    #[test]
    fn push_line_strings_escape_invisible_characters() {
        assert_eq!(
            super::q("a\u{202e}b\u{200b}c\u{2028}"),
            r#""a\u202eb\u200bc\u2028""#
        );
        assert_eq!(super::q("日本 ok"), "\"日本 ok\"");
    }
}
