//! `pushsim run`: verdicts per scenario, the summary, the JUnit report.
#![allow(clippy::print_stdout, clippy::print_stderr)] // the CLI's job is printing

use super::{collect, load};
use crate::outcome::{self, Mismatch};
use crate::run::runner::{self, RunConfig};
use crate::scenario::plan::Plan;
use crate::snapshot;
use std::path::PathBuf;
use std::process::ExitCode;

/// The verdict on one scenario.
enum Verdict {
    /// Passed; `new` when it has no snapshot yet; `accepted` when `--accept`
    /// wrote its snapshot: what to show (the file and the diff).
    Pass {
        new: bool,
        accepted: Option<String>,
    },
    Fail(Vec<String>),
    /// The harness itself failed (a panic, a harness error, the tick budget):
    /// not a regression of the pipeline; `run` exits 2.
    Harness(Vec<String>),
}

/// What `run` was asked to do.
pub(super) struct RunOptions {
    pub(super) seed: Option<u64>,
    pub(super) tags: Vec<String>,
    pub(super) quiet: bool,
    pub(super) junit: Option<PathBuf>,
    pub(super) check_determinism: bool,
    pub(super) max_ticks: u64,
    /// Write the actual outcome as the snapshot where `expect:` holds.
    pub(super) accept: bool,
    /// Under CI (`CI=true`): a scenario without a snapshot fails.
    pub(super) ci: bool,
    /// Only shard K of N (1-based).
    pub(super) shard: Option<(usize, usize)>,
}

/// Runs one plan and renders its outcome; also the harness's own troubles.
fn outcome_text(
    plan: &Plan,
    seed: Option<u64>,
    max_ticks: u64,
) -> (String, Vec<Mismatch>, Vec<String>) {
    let config = RunConfig {
        seed,
        ticks_max: max_ticks,
    };
    let run = runner::run(plan, &config);
    let outcome = outcome::summarize(plan, run.trace);
    (
        outcome::render(plan, &outcome),
        outcome::check(plan, &outcome),
        outcome.problems.clone(),
    )
}

fn judge(plan: &Plan, opts: &RunOptions) -> (Verdict, String) {
    let (seed, twice, max_ticks) = (opts.seed, opts.check_determinism, opts.max_ticks);
    let (text, mismatches, harness) = outcome_text(plan, seed, max_ticks);
    if !harness.is_empty() {
        return (Verdict::Harness(harness), text);
    }
    let mut problems: Vec<String> = mismatches.iter().map(mismatch).collect();
    if twice {
        let (again, _, _) = outcome_text(plan, seed, max_ticks);
        if let Some((n, (a, b))) = text
            .lines()
            .zip(again.lines())
            .enumerate()
            .find(|(_, (a, b))| a != b)
        {
            problems.push(format!(
                "not deterministic: the second run differs at outcome line {}:\n         first:  {a}\n         second: {b}",
                n + 1
            ));
        } else if text != again {
            problems.push("not deterministic: the second run's outcome has another length".into());
        }
    }
    let (mut new, mut accepted) = (false, None);
    if seed.is_none_or(|s| s == plan.seed) {
        let comparison = snapshot::compare(plan, &text);
        // `expect:` states the point of the scenario: a snapshot is only
        // ever accepted for an outcome that meets it.
        let acceptable = opts.accept && problems.is_empty();
        match comparison {
            snapshot::Comparison::Same => {}
            snapshot::Comparison::Missing if acceptable => {
                accepted = Some(accept(plan, "", &text));
            }
            snapshot::Comparison::Missing if opts.ci => problems.push(format!(
                "no snapshot {} (under CI a scenario without one fails: create it with `pushsim run {} --accept`, read it, commit it)",
                snapshot::path_for(plan).display(),
                plan.path
            )),
            snapshot::Comparison::Missing => new = true,
            snapshot::Comparison::Differs(_) if acceptable => {
                accepted = Some(accept(plan, &snapshot::read(plan).unwrap_or_default(), &text));
            }
            snapshot::Comparison::Differs(path) => {
                let old = snapshot::read(plan).unwrap_or_default();
                let diff = snapshot::unified_diff(plan, &old, &text);
                problems.push(format!(
                    "outcome differs from snapshot {} (- snapshot, + actual; `--accept` writes it once expect: holds):\n{}",
                    path.display(),
                    indent(&diff)
                ));
            }
        }
    }
    if problems.is_empty() {
        (Verdict::Pass { new, accepted }, text)
    } else {
        (Verdict::Fail(problems), text)
    }
}

fn indent(text: &str) -> String {
    text.lines()
        .map(|l| format!("         {l}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// `--accept`: writes the snapshot; what to show for it.
fn accept(plan: &Plan, old: &str, new: &str) -> String {
    match snapshot::accept(plan, new) {
        Ok(path) => format!(
            "       wrote {} (- before, + now):\n{}",
            path.display(),
            indent(&snapshot::unified_diff(plan, old, new))
        ),
        Err(e) => format!(
            "       could not write {}: {e}",
            snapshot::path_for(plan).display()
        ),
    }
}

/// `judge`, with a panic in the harness turned into a failure of this scenario
/// so the rest of the run goes on.
fn judge_guarded(plan: &Plan, opts: &RunOptions) -> (Verdict, String) {
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| judge(plan, opts)));
    result.unwrap_or_else(|e| {
        let what = e
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_else(|| "unknown panic".into());
        let problem = format!("harness panic (a pushsim bug, please report): {what}");
        (Verdict::Harness(vec![problem]), String::new())
    })
}

pub(super) fn mismatch(m: &Mismatch) -> String {
    if m.line == 0 {
        // Not about one line of the file (the run's own trouble).
        return format!("expected {}; got {}", m.expected, m.actual);
    }
    format!("line {}: expected {}; got {}", m.line, m.expected, m.actual)
}

/// One scenario's result, for the reports.
pub(super) struct CaseResult {
    pub(super) id: String,
    pub(super) file: String,
    pub(super) secs: f64,
    pub(super) failure: Option<Vec<String>>,
    /// Skipped, and why (a conformance skip or expected failure).
    pub(super) skipped: Option<String>,
    /// The failure is an error, not a verdict: the file did not load or
    /// the harness failed (JUnit `<error>`, not `<failure>`).
    pub(super) error: bool,
}

pub(super) fn run(paths: &[PathBuf], opts: &RunOptions) -> ExitCode {
    let mut files = match collect(paths) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    if let Some((k, n)) = opts.shard {
        files = files
            .into_iter()
            .enumerate()
            .filter(|(i, _)| i % n == k - 1)
            .map(|(_, f)| f)
            .collect();
    }
    if opts.tags.iter().any(|t| t.trim().is_empty()) {
        eprintln!("error: an empty tag selects nothing (--tags a,b)");
        return ExitCode::from(2);
    }
    let started = std::time::Instant::now();
    let mut tags_seen = std::collections::BTreeSet::new();
    let (mut passed, mut failed, mut broken, mut skipped, mut new) = (0, 0, 0, 0, 0);
    let mut harness = 0;
    let mut accepted = 0;
    let mut cases = Vec::new();
    let total = files.len();
    for (i, f) in files.iter().enumerate() {
        let case_started = std::time::Instant::now();
        let plan = match load(f) {
            Ok(p) => p,
            Err(e) => {
                broken += 1;
                println!("[{}/{total}] LOAD ERROR {}\n{e}", i + 1, f.display());
                cases.push(CaseResult {
                    id: crate::scenario::id_for_path(f),
                    file: f.display().to_string(),
                    secs: 0.0,
                    failure: Some(vec![e]),
                    skipped: None,
                    error: true,
                });
                continue;
            }
        };
        tags_seen.extend(plan.tags.iter().cloned());
        if !opts.tags.is_empty() && !plan.tags.iter().any(|t| opts.tags.contains(t)) {
            skipped += 1;
            continue;
        }
        let (verdict, text) = judge_guarded(&plan, opts);
        let seed_used = opts.seed.unwrap_or(plan.seed);
        let mut case = CaseResult {
            id: plan.id.clone(),
            file: f.display().to_string(),
            secs: 0.0,
            failure: None,
            skipped: None,
            error: false,
        };
        let (label, problems) = match verdict {
            Verdict::Pass {
                new: is_new,
                accepted: is_accepted,
            } => {
                passed += 1;
                new += usize::from(is_new);
                accepted += usize::from(is_accepted.is_some());
                if !opts.quiet || is_new || is_accepted.is_some() {
                    let note = if is_new {
                        "  (no snapshot yet: `pushsim run FILE --accept` writes it; read it, commit it)"
                    } else if is_accepted.is_some() {
                        "  (snapshot accepted: read the change below, commit it)"
                    } else {
                        ""
                    };
                    println!("[{}/{total}] ok   {}{note}", i + 1, plan.id);
                }
                if let Some(change) = is_accepted {
                    println!("{change}");
                }
                (None, Vec::new())
            }
            Verdict::Fail(problems) => {
                failed += 1;
                (Some("FAIL"), problems)
            }
            Verdict::Harness(problems) => {
                harness += 1;
                case.error = true;
                (Some("HARNESS"), problems)
            }
        };
        if let Some(label) = label {
            println!("[{}/{total}] {label} {} ({})", i + 1, plan.id, f.display());
            for p in &problems {
                println!("       {p}");
            }
            if !text.is_empty() {
                match snapshot::save_actual(&plan, &text) {
                    Ok(path) => println!("       actual outcome: {}", path.display()),
                    Err(e) => println!("       could not save the actual outcome: {e}"),
                }
            }
            println!(
                "       repro: pushsim run {} --seed {seed_used}",
                f.display()
            );
            case.failure = Some(problems);
        }
        case.secs = case_started.elapsed().as_secs_f64();
        cases.push(case);
    }
    let secs = started.elapsed().as_secs_f64();
    let mut extras = String::new();
    if skipped > 0 {
        extras.push_str(&format!(", {skipped} skipped by tag"));
    }
    if new > 0 {
        extras.push_str(&format!(", {new} without a snapshot"));
    }
    if accepted > 0 {
        extras.push_str(&format!(", {accepted} snapshots accepted"));
    }
    if harness > 0 {
        extras.push_str(&format!(
            ", {harness} harness failures (exit 2: a pushsim problem, not a regression)"
        ));
    }
    println!("{passed} passed, {failed} failed, {broken} did not load{extras} ({total} files, {secs:.2}s)");
    if let Some(path) = &opts.junit {
        if let Err(e) = std::fs::write(path, junit_xml("scenarios", &cases, secs)) {
            eprintln!("error: cannot write {}: {e}", path.display());
            return ExitCode::from(2);
        }
    }
    if !opts.tags.is_empty() && passed + failed + harness == 0 && broken == 0 {
        // Nothing checked is not a pass.
        let known: Vec<String> = tags_seen.into_iter().collect();
        eprintln!(
            "error: no scenario has tag {}; tags in use: {}",
            opts.tags.join(" or "),
            known.join(", ")
        );
        return ExitCode::from(2);
    }
    if broken > 0 || harness > 0 {
        ExitCode::from(2)
    } else if failed > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

/// A JUnit XML report: one `<testcase>` per scenario, failures with their
/// unmet expectations.
pub(super) fn junit_xml(suite: &str, cases: &[CaseResult], secs: f64) -> String {
    let failures = cases
        .iter()
        .filter(|c| c.failure.is_some() && !c.error)
        .count();
    let errors = cases.iter().filter(|c| c.error).count();
    let skipped = cases.iter().filter(|c| c.skipped.is_some()).count();
    let mut x = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    x.push_str(&format!(
        "<testsuites name=\"pushsim\" tests=\"{}\" failures=\"{failures}\" errors=\"{errors}\" time=\"{secs:.3}\">\n",
        cases.len()
    ));
    x.push_str(&format!(
        "  <testsuite name=\"{suite}\" tests=\"{}\" failures=\"{failures}\" errors=\"{errors}\" skipped=\"{skipped}\" time=\"{secs:.3}\">\n",
        cases.len()
    ));
    for c in cases {
        x.push_str(&format!(
            "    <testcase classname=\"{suite}\" name=\"{}\" file=\"{}\" time=\"{:.3}\"",
            xml_escape(&c.id),
            xml_escape(&c.file),
            c.secs
        ));
        match &c.failure {
            None if c.skipped.is_some() => x.push_str(&format!(
                ">\n      <skipped message=\"{}\"/>\n    </testcase>\n",
                xml_escape(c.skipped.as_deref().unwrap_or(""))
            )),
            None => x.push_str("/>\n"),
            Some(problems) => {
                let first = problems.first().map(String::as_str).unwrap_or("failed");
                let tag = if c.error { "error" } else { "failure" };
                x.push_str(&format!(
                    ">\n      <{tag} message=\"{}\">{}</{tag}>\n    </testcase>\n",
                    xml_escape(first),
                    xml_escape(&problems.join("\n"))
                ));
            }
        }
    }
    x.push_str("  </testsuite>\n</testsuites>\n");
    x
}

fn xml_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c if (c as u32) < 0x20 && c != '\n' && c != '\t' => {}
            c => out.push(c),
        }
    }
    out
}
