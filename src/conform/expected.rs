//! The expected-failures file: scenarios a SUT is known to fail, each with
//! the reason (like web-platform-tests' expectation files). One per line:
//!
//! ```text
//! # comments and blank lines are ignored
//! dnd/window_crosses_midnight    we store windows in UTC (TICKET-12)
//! ```
//!
//! A scenario is named by its path under `scenarios/` without `.yaml`
//! (`dnd/x`) or by its id (`dnd__x`). A reason is required: a failure
//! nobody can explain is not expected. An expected failure that passes is
//! reported, so the file never hides a fix.

use std::collections::BTreeMap;

/// The parsed file: scenario id → (reason, line).
#[derive(Clone, Debug, Default)]
pub struct Expected {
    entries: BTreeMap<String, (String, usize)>,
}

impl Expected {
    /// Parses the file's text; errors name the line.
    pub fn parse(text: &str) -> Result<Expected, String> {
        let mut entries = BTreeMap::new();
        for (i, line) in text.lines().enumerate() {
            let n = i + 1;
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let (name, reason) = line
                .split_once(char::is_whitespace)
                .map(|(a, b)| (a, b.trim()))
                .unwrap_or((line, ""));
            if reason.is_empty() {
                return Err(format!(
                    "line {n}: `{name}` has no reason; write why it is expected to fail after the name"
                ));
            }
            let id = name.trim_end_matches(".yaml").replace('/', "__");
            if let Some((_, first)) = entries.insert(id.clone(), (reason.to_string(), n)) {
                return Err(format!(
                    "line {n}: `{name}` is listed twice (first on line {first})"
                ));
            }
        }
        Ok(Expected { entries })
    }

    /// The reason `id` is expected to fail, if it is.
    pub fn reason(&self, id: &str) -> Option<&str> {
        self.entries.get(id).map(|(r, _)| r.as_str())
    }

    /// Listed ids that are not among `ids` (a renamed or deleted scenario).
    pub fn unknown<'a>(&'a self, ids: &[String]) -> Vec<&'a str> {
        self.entries
            .keys()
            .filter(|k| !ids.contains(k))
            .map(String::as_str)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_by_path_or_id_need_a_reason_and_appear_once() {
        let e = Expected::parse("# c\n\ndnd/x  stores UTC\nbadge__y.yaml\tno badges\n").unwrap();
        assert_eq!(e.reason("dnd__x"), Some("stores UTC"));
        assert_eq!(e.reason("badge__y"), Some("no badges"));
        assert_eq!(e.unknown(&["dnd__x".into()]), vec!["badge__y"]);
        let err = Expected::parse("a/b\n").unwrap_err();
        assert!(err.starts_with("line 1: `a/b` has no reason"), "{err}");
        let err = Expected::parse("a x\na/ y\na z\n").unwrap_err();
        assert!(err.contains("line 3") && err.contains("line 1"), "{err}");
    }
}
