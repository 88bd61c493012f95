//! Load errors of a scenario file, each with the file, a 1-based line and
//! column, and an optional hint. Messages have no trailing period.

use std::fmt;

/// One load error: where it is and what was expected.
///
/// Its `Display` is the exact text `pushsim check` prints:
/// `path:line:col: error: message` (or `warning:`), then `\n  help: …` when
/// there is a hint.
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
    /// An error stops the file from loading; a warning does not.
    pub warning: bool,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let level = if self.warning { "warning" } else { "error" };
        write!(
            f,
            "{}:{}:{}: {level}: {}",
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
    let n = word.chars().count();
    // A suggestion for a long text is noise, and edit distance is O(n·m):
    // a 200 KB expectation text against every sent text took minutes.
    if n > SUGGEST_MAX_CHARS {
        return None;
    }
    let limit = (n / 3).max(1);
    let word = word.to_lowercase();
    candidates
        .into_iter()
        // The distance is at least the difference in length: skip those early.
        .filter(|c| c.chars().count().abs_diff(n) <= limit)
        // OSA: a swap of two neighbours (`stpes`) is one edit, as people make it.
        .map(|c| (strsim::osa_distance(&word, &c.to_lowercase()), c))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c.to_string())
}

/// Words longer than this get no did-you-mean.
const SUGGEST_MAX_CHARS: usize = 200;

/// `text` for a message: at most 80 characters, then `…`.
pub(crate) fn shorten(text: &str) -> String {
    const MAX: usize = 80;
    match text.char_indices().nth(MAX) {
        Some((i, _)) => format!("{}… ({} characters)", &text[..i], text.chars().count()),
        None => text.to_string(),
    }
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
            warning: false,
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
