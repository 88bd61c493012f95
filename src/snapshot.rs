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
pub fn dir_for(plan: &Plan) -> PathBuf {
    let path = Path::new(&plan.path);
    for anc in path.ancestors() {
        if anc.file_name().is_some_and(|n| n == "scenarios") {
            return anc.parent().unwrap_or(Path::new("")).join("snapshots");
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
