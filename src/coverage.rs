//! Rule coverage of a corpus: which scenarios cite each RULES.md rule id, and
//! which rules no scenario cites. Uncovered rules must be listed, each with a
//! reason, in `scenarios/coverage-gaps.txt`; a listed rule that a scenario
//! does cover is an error too, so the list can only shrink.

use crate::scenario::plan::Plan;
use crate::scenario::rules::RULE_IDS;
use std::collections::BTreeMap;

/// The gap list's file name, beside the scenarios.
pub const GAPS_FILE: &str = "coverage-gaps.txt";

/// Rule → the ids of the scenarios citing it (every catalogue rule present).
#[derive(Debug, Default)]
pub struct Coverage {
    /// Rule id → scenario ids, sorted.
    pub by_rule: BTreeMap<&'static str, Vec<String>>,
}

impl Coverage {
    /// The coverage of `plans`.
    pub fn of(plans: &[Plan]) -> Coverage {
        let mut by_rule: BTreeMap<&'static str, Vec<String>> =
            RULE_IDS.iter().map(|r| (*r, Vec::new())).collect();
        for p in plans {
            for r in &p.rules {
                if let Some(list) = by_rule.get_mut(r.as_str()) {
                    list.push(p.id.clone());
                }
            }
        }
        for list in by_rule.values_mut() {
            list.sort();
            list.dedup();
        }
        Coverage { by_rule }
    }

    /// Rules no scenario cites.
    pub fn uncovered(&self) -> Vec<&'static str> {
        self.by_rule
            .iter()
            .filter(|(_, s)| s.is_empty())
            .map(|(r, _)| *r)
            .collect()
    }
}

/// One line of the gap list: `RULE-ID  reason`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Gap {
    /// The rule.
    pub rule: String,
    /// Why no scenario covers it (yet).
    pub reason: String,
    /// 1-based line in the file.
    pub line: usize,
}

/// Parses the gap list; `#` starts a comment line.
pub fn parse_gaps(text: &str) -> Result<Vec<Gap>, String> {
    let mut out = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (rule, reason) = line.split_once(char::is_whitespace).unwrap_or((line, ""));
        if !crate::scenario::rules::is_rule(rule) {
            return Err(format!(
                "{GAPS_FILE}:{}: `{rule}` is not a RULES.md rule id",
                i + 1
            ));
        }
        if reason.trim().is_empty() {
            return Err(format!("{GAPS_FILE}:{}: `{rule}` needs a reason", i + 1));
        }
        out.push(Gap {
            rule: rule.to_string(),
            reason: reason.trim().to_string(),
            line: i + 1,
        });
    }
    Ok(out)
}

/// What the gate found.
#[derive(Debug, Default)]
pub struct Verdict {
    /// Uncovered and not listed: the corpus lost coverage or a rule is new.
    pub missing: Vec<&'static str>,
    /// Listed but covered: take them off the list.
    pub stale: Vec<Gap>,
    /// Listed and uncovered (reported, accepted).
    pub known: Vec<Gap>,
}

/// Compares coverage with the gap list.
pub fn gate(c: &Coverage, gaps: &[Gap]) -> Verdict {
    let mut v = Verdict::default();
    for rule in c.uncovered() {
        match gaps.iter().find(|g| g.rule == rule) {
            Some(g) => v.known.push(g.clone()),
            None => v.missing.push(rule),
        }
    }
    for g in gaps {
        if c.by_rule
            .get(g.rule.as_str())
            .is_some_and(|s| !s.is_empty())
        {
            v.stale.push(g.clone());
        }
    }
    v
}
