//! Rule coverage of the corpus: which scenarios cite each RULES.md id, and
//! whether every rule the required profiles need has one (`pushsim coverage`).
//!
//! Pure: scenarios arrive as [`Cited`] values (id, profile, `rules:`), the
//! allowlist of known gaps as text (`scenarios/coverage-gaps.txt`); the result
//! is a [`Report`] the CLI prints. A rule is *covered* when its [`scope`]
//! is met; an uncovered required rule fails unless the allowlist names it, and
//! an allowlist entry for a covered (or non-gating) rule fails too, so the
//! list can only shrink.

pub mod scope;

use crate::scenario::rules::{is_rule, RULE_IDS};
use scope::{family, Scope};
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// What one scenario cites.
#[derive(Clone, Debug)]
pub struct Cited {
    /// Scenario id (`dnd__window_crosses_midnight`).
    pub id: String,
    /// Profile name it runs under (`easemob`, `easemob-native`, …).
    pub profile: String,
    /// Its `rules:`.
    pub rules: Vec<String>,
}

/// One allowlist entry: a rule known to be uncovered, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Gap {
    /// Rule id.
    pub rule: String,
    /// Why it is uncovered (and who will cover it).
    pub reason: String,
    /// 1-based line in the allowlist file.
    pub line: u32,
}

/// Parses the allowlist: one `RULE-ID reason…` per line; `#` starts a comment
/// line; blank lines are ignored. Errors are `line N: …`.
pub fn parse_gaps(text: &str) -> Result<Vec<Gap>, Vec<String>> {
    let mut gaps: Vec<Gap> = Vec::new();
    let mut errors = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let line = (i + 1) as u32;
        let l = raw.trim();
        if l.is_empty() || l.starts_with('#') {
            continue;
        }
        let (rule, reason) = l.split_once(char::is_whitespace).unwrap_or((l, ""));
        let reason = reason.trim();
        if !is_rule(rule) {
            errors.push(format!("line {line}: `{rule}` is not a RULES.md rule id"));
        } else if reason.is_empty() {
            errors.push(format!("line {line}: {rule} needs a reason after the id"));
        } else if let Some(g) = gaps.iter().find(|g| g.rule == rule) {
            errors.push(format!(
                "line {line}: {rule} is already listed on line {}",
                g.line
            ));
        } else {
            gaps.push(Gap {
                rule: rule.to_string(),
                reason: reason.to_string(),
                line,
            });
        }
    }
    if errors.is_empty() {
        Ok(gaps)
    } else {
        Err(errors)
    }
}

/// The verdict on one rule.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Status {
    /// Its scope is met.
    Covered,
    /// Uncovered, allowlisted with this reason.
    KnownGap(String),
    /// Uncovered and not allowlisted: fails.
    Uncovered,
    /// Allowlisted although covered or non-gating: fails (remove the line).
    Stale,
    /// Does not gate, with the reason.
    NotRequired(&'static str),
}

/// One rule's row of the report.
#[derive(Clone, Debug)]
pub struct Row {
    /// Rule id.
    pub rule: &'static str,
    /// Scenarios citing it, with their profiles, in id order.
    pub scenarios: Vec<(String, String)>,
    /// Required profiles with no citing scenario (for [`Scope::Profiles`]).
    pub missing_profiles: Vec<&'static str>,
    /// Verdict.
    pub status: Status,
}

/// The coverage of a corpus.
#[derive(Clone, Debug)]
pub struct Report {
    /// Every catalogue rule, in catalogue order.
    pub rows: Vec<Row>,
    /// Scenarios citing no §13 edge case (`E-xx`): cases beyond the catalogue's list.
    pub beyond_catalogue: Vec<String>,
    /// Number of scenarios read.
    pub n_scenarios: usize,
}

impl Report {
    /// Whether the gate fails: an uncovered required rule or a stale allowlist entry.
    pub fn failed(&self) -> bool {
        self.rows
            .iter()
            .any(|r| matches!(r.status, Status::Uncovered | Status::Stale))
    }

    /// Rows with this status kind.
    pub fn count(&self, f: impl Fn(&Status) -> bool) -> usize {
        self.rows.iter().filter(|r| f(&r.status)).count()
    }
}

/// Builds the report of `scenarios` against the allowlist `gaps`.
pub fn compute(scenarios: &[Cited], gaps: &[Gap]) -> Report {
    let mut by_rule: BTreeMap<&str, Vec<(String, String)>> = BTreeMap::new();
    for s in scenarios {
        for r in &s.rules {
            by_rule
                .entry(r.as_str())
                .or_default()
                .push((s.id.clone(), s.profile.clone()));
        }
    }
    let rows = RULE_IDS
        .iter()
        .map(|&rule| {
            let mut cited = by_rule.remove(rule).unwrap_or_default();
            cited.sort();
            cited.dedup();
            let missing_profiles: Vec<&'static str> = match scope::scope(rule) {
                Scope::Profiles(ps) => ps
                    .iter()
                    .copied()
                    .filter(|p| !cited.iter().any(|(_, prof)| family(prof) == *p))
                    .collect(),
                _ => Vec::new(),
            };
            let covered = match scope::scope(rule) {
                Scope::Any => !cited.is_empty(),
                Scope::Profiles(_) => missing_profiles.is_empty(),
                Scope::NotRequired(_) => true,
            };
            let gap = gaps.iter().find(|g| g.rule == rule);
            let status = match (scope::scope(rule), covered, gap) {
                (Scope::NotRequired(_), _, Some(_)) | (_, true, Some(_)) => Status::Stale,
                (Scope::NotRequired(why), _, None) => Status::NotRequired(why),
                (_, true, None) => Status::Covered,
                (_, false, Some(g)) => Status::KnownGap(g.reason.clone()),
                (_, false, None) => Status::Uncovered,
            };
            Row {
                rule,
                scenarios: cited,
                missing_profiles,
                status,
            }
        })
        .collect();
    let beyond_catalogue = scenarios
        .iter()
        .filter(|s| !s.rules.iter().any(|r| r.starts_with("E-")))
        .map(|s| s.id.clone())
        .collect();
    Report {
        rows,
        beyond_catalogue,
        n_scenarios: scenarios.len(),
    }
}

/// The report as text: one line per rule (`quiet`: only failing rows), then a summary.
pub fn render(report: &Report, quiet: bool) -> String {
    let mut out = String::new();
    for row in &report.rows {
        let failing = matches!(row.status, Status::Uncovered | Status::Stale);
        if quiet && !failing {
            continue;
        }
        let list = || {
            row.scenarios
                .iter()
                .map(|(id, p)| {
                    if p == "easemob" {
                        id.clone()
                    } else {
                        format!("{id} ({p})")
                    }
                })
                .collect::<Vec<_>>()
                .join(", ")
        };
        let needs = if row.missing_profiles.is_empty() {
            String::new()
        } else {
            format!(
                " [needs a scenario under: {}]",
                row.missing_profiles.join(", ")
            )
        };
        let text = match &row.status {
            Status::Covered => list(),
            Status::KnownGap(why) => format!("GAP (allowlisted: {why}){needs} {}", list()),
            Status::Uncovered => format!("UNCOVERED{needs} {}", list()),
            Status::Stale => format!(
                "STALE allowlist entry: the rule is covered or does not gate; remove it from the gaps file {}",
                list()
            ),
            Status::NotRequired(why) => format!("not required ({why}) {}", list()),
        };
        let _ = writeln!(out, "{:<8} {}", row.rule, text.trim_end());
        // What a rule without its scenario says, so the gap reads as a task.
        let title = crate::catalogue::title(row.rule);
        if !title.is_empty() && !matches!(row.status, Status::Covered | Status::NotRequired(_)) {
            let _ = writeln!(out, "         the rule: {title}");
        }
    }
    let n = |f: fn(&Status) -> bool| report.count(f);
    let _ = writeln!(
        out,
        "{} rules: {} covered, {} known gaps, {} uncovered, {} stale allowlist entries, {} not required; \
         {} scenarios, {} of them cite no §13 edge case",
        report.rows.len(),
        n(|s| *s == Status::Covered),
        n(|s| matches!(s, Status::KnownGap(_))),
        n(|s| *s == Status::Uncovered),
        n(|s| *s == Status::Stale),
        n(|s| matches!(s, Status::NotRequired(_))),
        report.n_scenarios,
        report.beyond_catalogue.len(),
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cited(id: &str, profile: &str, rules: &[&str]) -> Cited {
        Cited {
            id: id.into(),
            profile: profile.into(),
            rules: rules.iter().map(|r| r.to_string()).collect(),
        }
    }

    fn status(r: &Report, rule: &str) -> Status {
        r.rows
            .iter()
            .find(|x| x.rule == rule)
            .unwrap()
            .status
            .clone()
    }

    #[test]
    fn gaps_file_needs_known_ids_reasons_and_no_duplicates() {
        let text =
            "# comment\n\nPRS-04 tencent profile pending\nPRS-4 typo\nMSG-04\nPRS-04 again\n";
        let errs = parse_gaps(text).unwrap_err();
        assert_eq!(errs.len(), 3, "{errs:?}");
        assert!(errs[0].starts_with("line 4:") && errs[1].starts_with("line 5:"));
        assert!(errs[2].contains("already listed on line 3"));
        let ok = parse_gaps("MSG-04  call invites: no scenario yet\n").unwrap();
        assert_eq!(ok[0].reason, "call invites: no scenario yet");
    }

    #[test]
    fn any_scope_profile_scope_allowlist_and_stale_entries() {
        let scenarios = [
            cited("a", "easemob", &["PRS-01", "E-25"]),
            cited("b", "easemob-native", &["D-06", "DNDW-03"]),
        ];
        let gaps = parse_gaps(
            "PRS-02 pending\nDNDW-03 covered already\nD-06 needs tencent, zego\nBDG-03 openim\n",
        )
        .unwrap();
        let r = compute(&scenarios, &gaps);
        assert_eq!(status(&r, "PRS-01"), Status::Covered);
        assert_eq!(status(&r, "PRS-02"), Status::KnownGap("pending".into()));
        assert_eq!(status(&r, "PRS-03"), Status::Uncovered);
        assert_eq!(status(&r, "DNDW-03"), Status::Stale);
        assert_eq!(
            status(&r, "BDG-03"),
            Status::Stale,
            "a non-gating rule cannot be a gap"
        );
        // D-06 needs all three profiles; easemob-native counts as easemob.
        let d06 = r.rows.iter().find(|x| x.rule == "D-06").unwrap();
        assert_eq!(d06.missing_profiles, ["tencent", "zego"]);
        assert!(matches!(d06.status, Status::KnownGap(_)));
        assert_eq!(status(&r, "E-25"), Status::Uncovered);
        assert!(r.failed());
        assert_eq!(r.beyond_catalogue, ["b"]);
        let text = render(&r, true);
        assert!(
            text.contains("PRS-03   UNCOVERED") && !text.contains("PRS-01"),
            "{text}"
        );
        assert!(
            text.contains("E-25     UNCOVERED [needs a scenario under: tencent, zego] a"),
            "{text}"
        );
    }

    #[test]
    fn a_fully_covered_catalogue_passes() {
        let all: Vec<&str> = RULE_IDS.to_vec();
        let scenarios = [
            cited("e", "easemob", &all),
            cited("t", "tencent", &all),
            cited("z", "zego", &all),
        ];
        let r = compute(&scenarios, &[]);
        assert!(!r.failed(), "{}", render(&r, true));
        assert_eq!(
            r.count(|s| *s == Status::Covered) + r.count(|s| matches!(s, Status::NotRequired(_))),
            RULE_IDS.len()
        );
    }
}
