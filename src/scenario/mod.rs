//! Scenario files: YAML → validated [`plan::Plan`] or diagnostics with
//! file:line:column. The only module that parses YAML scenarios.
//!
//! The pipeline inside: `tree` (position-keeping parse with yaml-rust2) →
//! `file` (serde structs, `deny_unknown_fields`, read from the tree by `de`) →
//! `lower` + `steps` (meaning, references, times) → [`plan::Plan`]. Structural
//! errors of different top-level keys, steps and expectations are all
//! reported; semantic errors are all reported once the head of the file reads.
//! The format is documented in `scenarios/README.md`.

pub(crate) mod at;
mod de;
pub(crate) mod diag;
mod file;
pub mod knobs;
mod lower;
pub mod plan;
pub mod rules;
mod schema;
mod steps;
mod tree;

pub(crate) use diag::did_you_mean;
pub use diag::Diagnostic;
pub use plan::Plan;
pub use schema::json_schema;

use std::path::{Component, Path};

/// The largest scenario file read (the scale benchmark's, the largest there
/// is, is about 8 MiB).
pub const MAX_FILE_BYTES: u64 = 32 << 20;

/// Reads and lowers the scenario at `path`.
pub fn load_file(path: &Path) -> Result<Plan, Vec<Diagnostic>> {
    let shown = path.display().to_string();
    if let Some(d) = ambiguous_name(&shown) {
        return Err(vec![d]);
    }
    let refuse = |message: String| {
        Err(vec![Diagnostic {
            path: shown.clone(),
            line: 1,
            column: 1,
            message,
            help: None,
            warning: false,
        }])
    };
    match std::fs::metadata(path) {
        Ok(m) if !m.is_file() => {
            return refuse("not a regular file (a FIFO, a device, …): not read".into())
        }
        Ok(m) if m.len() > MAX_FILE_BYTES => {
            return refuse(format!(
                "the file is {} bytes; a scenario may have at most {MAX_FILE_BYTES}",
                m.len()
            ))
        }
        _ => {}
    }
    match std::fs::read_to_string(path) {
        Ok(text) => load_with_id(&shown, plan_id_of_path(path), &text),
        Err(e) => Err(vec![Diagnostic {
            path: shown,
            line: 1,
            column: 1,
            message: format!("cannot read the file: {e}"),
            help: None,
            warning: false,
        }]),
    }
}

/// Lowers scenario `text`; `path_for_messages` names it in diagnostics and
/// determines [`Plan::id`].
pub fn load_str(path_for_messages: &str, text: &str) -> Result<Plan, Vec<Diagnostic>> {
    if let Some(d) = ambiguous_name(path_for_messages) {
        return Err(vec![d]);
    }
    load_with_id(path_for_messages, plan_id(path_for_messages), text)
}

/// Snapshot ids join folders with `__`, so a name containing `__` could give
/// two files one id and one snapshot (`dnd/window__foo.yaml`,
/// `dnd__window/foo.yaml`): such a name is refused.
fn ambiguous_name(path: &str) -> Option<Diagnostic> {
    let parts: Vec<&str> = path.split(['/', '\\']).filter(|s| !s.is_empty()).collect();
    let under = match parts.iter().rposition(|p| *p == "scenarios") {
        Some(i) => &parts[i + 1..],
        None => parts.last().map(std::slice::from_ref).unwrap_or_default(),
    };
    let bad = under.iter().find(|p| p.contains("__"))?;
    Some(Diagnostic {
        path: path.to_string(),
        line: 1,
        column: 1,
        message: format!("`{bad}`: a file or folder name under scenarios/ may not contain `__`"),
        help: Some(format!(
            "snapshot ids join folders with `__`, so this name could share its id and snapshot with another file (id `{}`); rename it, e.g. with a single `_`",
            plan_id(path)
        )),
        warning: false,
    })
}

fn load_with_id(shown: &str, id: String, text: &str) -> Result<Plan, Vec<Diagnostic>> {
    let located = |pos: tree::Pos, message: String, help: Option<String>| Diagnostic {
        path: shown.to_string(),
        line: pos.line,
        column: pos.col,
        message,
        help,
        warning: false,
    };
    let doc = match tree::parse(text) {
        Ok(doc) => doc,
        Err(errs) => {
            return Err(errs
                .into_iter()
                .map(|e| located(e.pos, e.message, e.help))
                .collect())
        }
    };
    let (f, errors, head_ok) = file::read(&doc);
    // A misspelt top-level key (`stpes:`) loses a whole section: what the
    // lowering would say next (no step sends "…") only follows from it.
    let section_lost = errors.iter().any(|e| {
        e.path.as_ref().is_none_or(|p| p.0.is_empty()) && e.message.starts_with("unknown key")
    });
    let mut diags: Vec<Diagnostic> = errors
        .into_iter()
        .map(|e| {
            let message = match e.path.filter(|p| !p.0.is_empty()) {
                Some(p) => format!("{p}: {}", e.message),
                None => e.message,
            };
            located(e.pos.unwrap_or(tree::Pos::START), message, e.help)
        })
        .collect();
    if !head_ok || section_lost {
        return Err(diags);
    }
    let (plan, more) = lower::lower(shown, id, &doc, f);
    diags.extend(more);
    match plan {
        Some(plan) if diags.is_empty() => Ok(plan),
        _ => {
            diags.sort_by_key(|d| (d.line, d.column));
            Err(diags)
        }
    }
}

/// [`Plan::id`] from a path string: the part under the last `scenarios/`
/// directory (else the file name) without `.yaml`/`.yml`, `/` → `__`.
fn plan_id(path: &str) -> String {
    let parts: Vec<&str> = path
        .split(['/', '\\'])
        .filter(|s| !s.is_empty() && *s != ".")
        .collect();
    id_from_parts(&parts)
}

/// The id a scenario file gets (`dnd__window_crosses_midnight`), also when
/// it does not load: reports name a broken file the way they name a good one.
pub fn id_for_path(path: &Path) -> String {
    plan_id_of_path(path)
}

fn plan_id_of_path(path: &Path) -> String {
    // Run from inside `scenarios/` (`pushsim run .`), the path names no
    // `scenarios` folder: the absolute path does, and the id stays the same.
    let absolute;
    let path = if path.components().any(|c| c.as_os_str() == "scenarios") {
        path
    } else {
        match std::fs::canonicalize(path) {
            Ok(p) => {
                absolute = p;
                &absolute
            }
            Err(_) => path,
        }
    };
    let parts: Vec<String> = path
        .components()
        .filter_map(|c| match c {
            Component::Normal(s) => Some(s.to_string_lossy().into_owned()),
            _ => None,
        })
        .collect();
    id_from_parts(&parts.iter().map(String::as_str).collect::<Vec<_>>())
}

fn id_from_parts(parts: &[&str]) -> String {
    let under = match parts.iter().rposition(|p| *p == "scenarios") {
        Some(i) if i + 1 < parts.len() => &parts[i + 1..],
        _ => parts.last().map(std::slice::from_ref).unwrap_or_default(),
    };
    let joined = under.join("__");
    let lower = joined.to_ascii_lowercase();
    let cut = [".yaml", ".yml"]
        .iter()
        .find(|ext| lower.ends_with(*ext))
        .map_or(0, |ext| ext.len());
    joined[..joined.len() - cut].to_string()
}

#[cfg(test)]
mod issue4_tests;
#[cfg(test)]
mod tests;
