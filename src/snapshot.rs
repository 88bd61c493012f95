//! Reading snapshots (read-only: only the tests and `cargo insta` write them)
//! and keeping the actual outcome of a failing scenario where it can be diffed.

use crate::scenario::plan::Plan;
use std::path::{Path, PathBuf};

/// How an outcome compares with its snapshot.
#[derive(Debug)]
pub enum Comparison {
    /// Same text.
    Same,
    /// No snapshot file yet.
    Missing,
    /// Different text; the snapshot's path.
    Differs(PathBuf),
}

/// The `snapshots/` folder beside the `scenarios/` folder the plan came from.
/// Found from the absolute path when the path as given names no `scenarios`
/// folder (run from inside it), so any working directory finds the same one.
pub fn dir_for(plan: &Plan) -> PathBuf {
    let given = Path::new(&plan.path);
    let absolute = std::fs::canonicalize(given).ok();
    for path in std::iter::once(given).chain(absolute.as_deref()) {
        for anc in path.ancestors() {
            if anc.file_name().is_some_and(|n| n == "scenarios") {
                return anc.parent().unwrap_or(Path::new("")).join("snapshots");
            }
        }
    }
    PathBuf::from("snapshots")
}

/// The snapshot file of a plan.
pub fn path_for(plan: &Plan) -> PathBuf {
    dir_for(plan).join(format!("{}.snap", plan.id))
}

/// The body of an insta snapshot file (after its `---` header).
pub fn body(file_text: &str) -> &str {
    if let Some(rest) = file_text.strip_prefix("---\n") {
        if let Some(i) = rest.find("\n---\n") {
            return &rest[i + 5..];
        }
    }
    file_text
}

/// Compares `text` with the plan's snapshot.
pub fn compare(plan: &Plan, text: &str) -> Comparison {
    let path = path_for(plan);
    match std::fs::read_to_string(&path) {
        Err(_) => Comparison::Missing,
        Ok(s) if body(&s).trim_end() == text.trim_end() => Comparison::Same,
        Ok(_) => Comparison::Differs(path),
    }
}

/// The plan's path relative to the folder holding its `scenarios/` (what
/// insta writes as `input_file`), with `/` separators.
fn input_file(plan: &Plan) -> String {
    let path = Path::new(&plan.path);
    let mut parts = Vec::new();
    for c in path.components().rev() {
        let name = c.as_os_str().to_string_lossy().into_owned();
        let at_root = name == "scenarios";
        parts.push(name);
        if at_root {
            break;
        }
    }
    parts.reverse();
    parts.join("/")
}

/// The full snapshot file for `text`, with the header insta writes (so
/// `cargo insta` and the corpus tests read it as their own).
pub fn file_text(plan: &Plan, text: &str) -> String {
    let mut out = format!(
        "---\nsource: tests/corpus.rs\ndescription: {}\ninput_file: {}\n---\n{}",
        plan.name,
        input_file(plan),
        text
    );
    if !out.ends_with('\n') {
        out.push('\n');
    }
    out
}

/// Accepts `text` as the plan's snapshot: writes `snapshots/<id>.snap` and
/// removes a pending `snapshots/<id>.snap.new` insta left, so the tree is
/// clean for `.ci/snapshots-check`. Returns the snapshot's path.
pub fn accept(plan: &Plan, text: &str) -> std::io::Result<PathBuf> {
    let path = path_for(plan);
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::write(&path, file_text(plan, text))?;
    let pending = path.with_extension("snap.new");
    if pending.exists() {
        std::fs::remove_file(&pending)?;
    }
    Ok(path)
}

/// The current snapshot's body, if there is one.
pub fn read(plan: &Plan) -> Option<String> {
    std::fs::read_to_string(path_for(plan))
        .ok()
        .map(|s| body(&s).to_string())
}

/// A unified diff from the snapshot (`old`) to the actual outcome (`new`),
/// three lines of context, headers naming both.
pub fn unified_diff(plan: &Plan, old: &str, new: &str) -> String {
    similar::TextDiff::from_lines(old, new)
        .unified_diff()
        .context_radius(3)
        .header(
            &path_for(plan).display().to_string(),
            &format!("actual outcome of {}", plan.id),
        )
        .to_string()
}

/// Writes the actual outcome to `target/pushsim/<id>.snap`.
pub fn save_actual(plan: &Plan, text: &str) -> std::io::Result<PathBuf> {
    let dir = dir_for(plan)
        .parent()
        .unwrap_or(Path::new(""))
        .join("target")
        .join("pushsim");
    std::fs::create_dir_all(&dir)?;
    let path = dir.join(format!("{}.snap", plan.id));
    std::fs::write(&path, text)?;
    Ok(path)
}
