//! The push-semantics catalogue in the repository: `rules/catalogue.yaml`,
//! one entry per rule id the scenarios cite, in pushsim's own words (title,
//! statement, sources, where profiles differ). Compiled in, so every build
//! can say what `DNDW-04` means: `pushsim rules`, the rule titles in
//! `explain` and `coverage`, and `docs/rules.md` (generated; `tests/tidy.rs`
//! keeps it current and checks the ids against [`crate::scenario::rules::RULE_IDS`]).

use std::fmt::Write;
use std::sync::OnceLock;

/// One rule.
#[derive(Clone, Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    /// `PRS-01`.
    pub id: String,
    /// One line: what the rule decides.
    pub title: String,
    /// The rule, in a few sentences.
    pub statement: String,
    /// The source documents' keys (RULES.md §1).
    #[serde(default)]
    pub sources: Vec<String>,
    /// How profiles differ on it, when they do.
    #[serde(default)]
    pub profiles: Option<String>,
}

const TEXT: &str = include_str!("../rules/catalogue.yaml");

/// Every rule, sorted by id. A catalogue that does not parse is a build
/// mistake the tests catch (`tests/tidy.rs`); here it reads as empty.
pub fn all() -> &'static [Rule] {
    static RULES: OnceLock<Vec<Rule>> = OnceLock::new();
    RULES.get_or_init(|| parse(TEXT).unwrap_or_default())
}

/// Parses catalogue text, sorted by id.
pub fn parse(text: &str) -> Result<Vec<Rule>, String> {
    let mut rules: Vec<Rule> = serde_yaml::from_str(text).map_err(|e| e.to_string())?;
    rules.sort_by(|a, b| a.id.cmp(&b.id));
    Ok(rules)
}

/// The rule `id`.
pub fn get(id: &str) -> Option<&'static Rule> {
    let rules = all();
    rules
        .binary_search_by(|r| r.id.as_str().cmp(id))
        .ok()
        .map(|i| &rules[i])
}

/// `id`'s title, or "" for an id the catalogue lacks.
pub fn title(id: &str) -> &'static str {
    get(id).map_or("", |r| r.title.as_str())
}

/// Rules whose id, title, statement or profiles contain `word` (any case).
pub fn grep(word: &str) -> Vec<&'static Rule> {
    let w = word.to_lowercase();
    all()
        .iter()
        .filter(|r| {
            [
                r.id.as_str(),
                &r.title,
                &r.statement,
                r.profiles.as_deref().unwrap_or(""),
            ]
            .iter()
            .any(|f| f.to_lowercase().contains(&w))
        })
        .collect()
}

/// One rule as the terminal shows it.
pub fn text(r: &Rule) -> String {
    let mut s = format!("{}  {}\n", r.id, r.title);
    for line in wrap(&r.statement, 76) {
        let _ = writeln!(s, "    {line}");
    }
    if let Some(p) = &r.profiles {
        let _ = writeln!(s, "    profiles: {p}");
    }
    if !r.sources.is_empty() {
        let _ = writeln!(s, "    sources: {}", r.sources.join(", "));
    }
    s
}

fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > width {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

/// `docs/rules.md`: the whole catalogue, one section per family.
pub fn markdown() -> String {
    let mut s = String::from(
        "# The push-semantics catalogue\n\n\
         Generated from `rules/catalogue.yaml` by `pushsim rules --markdown`; do not edit by hand.\n\
         Every verdict pushsim prints cites one of these ids (`no push [DNDW-04]`);\n\
         `pushsim rules ID` shows one, `pushsim rules --grep WORD` searches them.\n",
    );
    let mut family = "";
    for r in all() {
        let f = r.id.split('-').next().unwrap_or("");
        if f != family {
            family = f;
            let _ = write!(s, "\n## {family}\n");
        }
        let _ = write!(
            s,
            "\n**{}** — {}\n\n{}\n",
            r.id,
            r.title,
            r.statement.trim()
        );
        if let Some(p) = &r.profiles {
            let _ = write!(s, "\n*Profiles:* {p}\n");
        }
        if !r.sources.is_empty() {
            let _ = write!(s, "\n*Sources:* {}\n", r.sources.join(", "));
        }
    }
    s
}

#[cfg(test)]
mod tests {
    #[test]
    fn statements_wrap_at_word_boundaries() {
        assert_eq!(super::wrap("aa bb cc", 5), ["aa bb", "cc"]);
        assert_eq!(super::wrap("", 5), Vec::<String>::new());
    }
}
