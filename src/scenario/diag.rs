//! Load errors of a scenario file, each with the file, a 1-based line and
//! column, and an optional hint. Messages have no trailing period.

use std::fmt;

/// One load error: where it is and what was expected.
///
/// Its `Display` is the exact text `pushsim check` prints:
/// `path:line:col: error: message`, then `\n  help: …` when there is a hint.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Diagnostic {
    /// The file as given to the loader.
    pub path: String,
    /// 1-based line.
    pub line: u32,
    /// 1-based column.
    pub column: u32,
    /// What is wrong, starting with the key path (`steps[3].send.to: …`).
    pub message: String,
    /// A hint (`did you mean DNDW-04?`, the declared devices, …).
    pub help: Option<String>,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}: error: {}",
            self.path, self.line, self.column, self.message
        )?;
        if let Some(help) = &self.help {
            write!(f, "\n  help: {help}")?;
        }
        Ok(())
    }
}

/// The closest candidate to `word` by edit distance, if it is close enough to be
/// a plausible typo.
pub(crate) fn did_you_mean<'a, I>(word: &str, candidates: I) -> Option<String>
where
    I: IntoIterator<Item = &'a str>,
{
    let limit = (word.chars().count() / 3).max(1);
    candidates
        .into_iter()
        .map(|c| {
            (
                edit_distance(&word.to_ascii_lowercase(), &c.to_ascii_lowercase()),
                c,
            )
        })
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c.to_string())
}

/// Levenshtein distance over chars.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != *cb);
            cur[j + 1] = sub.min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

/// `a, b, c` — at most `max` items, then `… (N more)`.
pub(crate) fn list<S: AsRef<str>>(items: &[S], max: usize) -> String {
    let mut s = items
        .iter()
        .take(max)
        .map(|i| i.as_ref())
        .collect::<Vec<_>>()
        .join(", ");
    if items.len() > max {
        s.push_str(&format!(", … ({} more)", items.len() - max));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_is_the_line_users_see() {
        let d = Diagnostic {
            path: "scenarios/x.yaml".into(),
            line: 3,
            column: 5,
            message: "rules[0]: unknown rule id `DNDW-4`".into(),
            help: Some("did you mean DNDW-04?".into()),
        };
        assert_eq!(
            d.to_string(),
            "scenarios/x.yaml:3:5: error: rules[0]: unknown rule id `DNDW-4`\n  help: did you mean DNDW-04?"
        );
    }

    #[test]
    fn suggestions_pick_close_names_only() {
        assert_eq!(
            did_you_mean("DNDW-4", ["DNDW-04", "DNDD-04"]).as_deref(),
            Some("DNDW-04")
        );
        assert_eq!(
            did_you_mean("lgin", ["login", "logout"]).as_deref(),
            Some("login")
        );
        assert_eq!(did_you_mean("zzzzzz", ["login"]), None);
    }
}
