//! The command line. The only module that prints, reads the environment and
//! decides exit codes.
#![allow(clippy::print_stdout, clippy::print_stderr)] // the CLI's job is printing

use crate::outcome::{self, Mismatch};
use crate::run::runner::{self, RunConfig};
use crate::scenario::{self, plan::Plan};
use crate::snapshot;
use clap::{Parser, Subcommand};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Deterministic simulation and conformance harness for IM offline push.
///
/// A scenario (YAML) describes users, devices, settings and a timeline of steps.
/// pushsim replays it against the reference push pipeline inside a simulated
/// network with virtual time, sends real vendor HTTP requests to mocked FCM and
/// Huawei endpoints, and compares what was pushed with the scenario's `expect:`
/// and its snapshot in `snapshots/`.
#[derive(Parser, Debug)]
#[command(name = "pushsim", version, about, long_about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Run scenarios: check `expect:` and compare with snapshots (read-only).
    ///
    /// Examples:
    ///   pushsim run scenarios/                 # the whole corpus
    ///   pushsim run scenarios/dnd --tags dnd   # a folder, filtered by tag
    ///   pushsim run scenarios/x.yaml --seed 7  # another seed: expect: only
    ///
    /// A failing scenario's actual outcome is written to target/pushsim/<id>.snap
    /// so it can be diffed against snapshots/<id>.snap. Exit code: 0 all passed,
    /// 1 some scenario failed, 2 a file did not load or the harness failed.
    Run {
        /// Scenario files or folders (searched recursively for *.yaml).
        #[arg(default_value = "scenarios")]
        paths: Vec<PathBuf>,
        /// Run under this seed instead of each scenario's own; snapshots are
        /// then not compared (they are taken at the declared seed).
        #[arg(long)]
        seed: Option<u64>,
        /// Only scenarios carrying one of these tags (comma-separated).
        #[arg(long, value_delimiter = ',')]
        tags: Vec<String>,
        /// Print only failures and the summary.
        #[arg(long, short)]
        quiet: bool,
    },
    /// Validate scenario files without running them.
    ///
    /// Prints `file:line:column: error: …` for each problem. Exit 2 if any.
    Check {
        /// Scenario files or folders.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
    },
    /// Run one scenario and explain each decision: message × device, verdict, deciding rule.
    Explain {
        /// The scenario file.
        file: PathBuf,
        /// Run under this seed.
        #[arg(long)]
        seed: Option<u64>,
        /// Print the full timeline (the snapshot text) instead of decisions only.
        #[arg(long)]
        timeline: bool,
    },
    /// List rule → scenarios for every RULES.md id; fail on uncovered rules.
    ///
    /// Reads each scenario's `rules:` and profile. A rule the required profiles
    /// (easemob, tencent, zego) need must be cited by some scenario (by one under
    /// each named profile for profile-specific rules), or be listed with a reason
    /// in the gaps file; a gaps entry for a covered rule is an error too, so the
    /// list only shrinks. Exit code: 0 ok, 1 uncovered rule or stale gaps entry,
    /// 2 a file did not load.
    ///
    /// Examples:
    ///   pushsim coverage                  # the corpus in scenarios/
    ///   pushsim coverage --quiet          # only the failing rules and the summary
    Coverage {
        /// Scenario files or folders.
        #[arg(default_value = "scenarios")]
        paths: Vec<PathBuf>,
        /// The allowlist of known gaps: `RULE-ID reason` per line, `#` comments.
        #[arg(long, default_value = "scenarios/coverage-gaps.txt")]
        gaps: PathBuf,
        /// Print only failing rules and the summary.
        #[arg(long, short)]
        quiet: bool,
    },
    /// Print the JSON Schema of the scenario format (for editors).
    ///
    /// The checked-in copy is scenarios/scenario.schema.json; regenerate it with
    ///   cargo run --release -- schema > scenarios/scenario.schema.json
    Schema,
    /// Measure: corpus wall time, a 7-virtual-day scenario, the decision core.
    Bench {
        /// The corpus folder to time.
        #[arg(default_value = "scenarios")]
        corpus: PathBuf,
    },
}

/// Entry point of the binary.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Run {
            paths,
            seed,
            tags,
            quiet,
        } => run(&paths, seed, &tags, quiet),
        Command::Check { paths } => check(&paths),
        Command::Explain {
            file,
            seed,
            timeline,
        } => explain(&file, seed, timeline),
        Command::Coverage { paths, gaps, quiet } => coverage(&paths, &gaps, quiet),
        Command::Schema => {
            print!("{}", scenario::json_schema());
            ExitCode::SUCCESS
        }
        Command::Bench { corpus } => crate::bench::main(&corpus),
    }
}

/// Every `*.yaml` under `paths`, sorted, deduplicated.
pub fn collect(paths: &[PathBuf]) -> Result<Vec<PathBuf>, String> {
    let mut out = Vec::new();
    for p in paths {
        if p.is_dir() {
            walk(p, &mut out).map_err(|e| format!("{}: {e}", p.display()))?;
        } else if p.exists() {
            out.push(p.clone());
        } else {
            return Err(format!("{}: no such file or directory", p.display()));
        }
    }
    out.sort();
    out.dedup();
    Ok(out)
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            walk(&path, out)?;
        } else if path.extension().is_some_and(|e| e == "yaml" || e == "yml") {
            out.push(path);
        }
    }
    Ok(())
}

fn load(path: &Path) -> Result<Plan, String> {
    scenario::load_file(path).map_err(|diags| {
        diags
            .iter()
            .map(|d| d.to_string())
            .collect::<Vec<_>>()
            .join("\n")
    })
}

fn check(paths: &[PathBuf]) -> ExitCode {
    let files = match collect(paths) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let mut bad = 0;
    for f in &files {
        match load(f) {
            Ok(plan) => println!(
                "ok   {} ({} steps, {} expectations)",
                f.display(),
                plan.steps.len(),
                plan.expect.len()
            ),
            Err(e) => {
                bad += 1;
                println!("{e}");
            }
        }
    }
    println!("{} file(s) checked, {bad} with errors", files.len());
    if bad > 0 {
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    }
}

/// The verdict on one scenario.
enum Verdict {
    Pass,
    Fail(Vec<String>),
}

fn judge(plan: &Plan, seed: Option<u64>) -> (Verdict, String) {
    let config = RunConfig {
        seed,
        ..RunConfig::standard()
    };
    let run = runner::run(plan, &config);
    let outcome = outcome::summarize(plan, run.trace);
    let text = outcome::render(plan, &outcome);
    let mut problems: Vec<String> = outcome::check(plan, &outcome)
        .iter()
        .map(mismatch)
        .collect();
    if seed.is_none_or(|s| s == plan.seed) {
        match snapshot::compare(plan, &text) {
            snapshot::Comparison::Same | snapshot::Comparison::Missing => {}
            snapshot::Comparison::Differs(path) => {
                problems.push(format!("outcome differs from snapshot {}", path.display()))
            }
        }
    }
    if problems.is_empty() {
        (Verdict::Pass, text)
    } else {
        (Verdict::Fail(problems), text)
    }
}

fn mismatch(m: &Mismatch) -> String {
    format!("line {}: expected {}; got {}", m.line, m.expected, m.actual)
}

fn run(paths: &[PathBuf], seed: Option<u64>, tags: &[String], quiet: bool) -> ExitCode {
    let files = match collect(paths) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let started = std::time::Instant::now();
    let (mut passed, mut failed, mut broken, mut skipped) = (0, 0, 0, 0);
    let total = files.len();
    for (i, f) in files.iter().enumerate() {
        let plan = match load(f) {
            Ok(p) => p,
            Err(e) => {
                broken += 1;
                println!("[{}/{total}] LOAD ERROR {}\n{e}", i + 1, f.display());
                continue;
            }
        };
        if !tags.is_empty() && !plan.tags.iter().any(|t| tags.contains(t)) {
            skipped += 1;
            continue;
        }
        let (verdict, text) = judge(&plan, seed);
        let seed_used = seed.unwrap_or(plan.seed);
        match verdict {
            Verdict::Pass => {
                passed += 1;
                if !quiet {
                    println!("[{}/{total}] ok   {}", i + 1, plan.id);
                }
            }
            Verdict::Fail(problems) => {
                failed += 1;
                println!("[{}/{total}] FAIL {} ({})", i + 1, plan.id, f.display());
                for p in problems {
                    println!("       {p}");
                }
                match snapshot::save_actual(&plan, &text) {
                    Ok(path) => println!("       actual outcome: {}", path.display()),
                    Err(e) => println!("       could not save the actual outcome: {e}"),
                }
                println!(
                    "       repro: pushsim run {} --seed {seed_used}",
                    f.display()
                );
            }
        }
    }
    let secs = started.elapsed().as_secs_f64();
    println!(
        "{passed} passed, {failed} failed, {broken} did not load{} ({total} files, {secs:.2}s)",
        if skipped > 0 {
            format!(", {skipped} skipped by tag")
        } else {
            String::new()
        }
    );
    if broken > 0 {
        ExitCode::from(2)
    } else if failed > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

fn explain(file: &Path, seed: Option<u64>, timeline: bool) -> ExitCode {
    let plan = match load(file) {
        Ok(p) => p,
        Err(e) => {
            println!("{e}");
            return ExitCode::from(2);
        }
    };
    let run = runner::run(
        &plan,
        &RunConfig {
            seed,
            ..RunConfig::standard()
        },
    );
    let outcome = outcome::summarize(&plan, run.trace);
    if timeline {
        print!("{}", outcome::render(&plan, &outcome));
    } else {
        println!("# {} — {}", plan.id, plan.name);
        print!("{}", outcome::render_explain(&plan, &outcome));
    }
    let mismatches = outcome::check(&plan, &outcome);
    for m in &mismatches {
        println!("expectation failed: {}", mismatch(m));
    }
    if mismatches.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

fn coverage(paths: &[PathBuf], gaps_path: &Path, quiet: bool) -> ExitCode {
    let files = match collect(paths) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let gaps = match std::fs::read_to_string(gaps_path) {
        Ok(text) => match crate::coverage::parse_gaps(&text) {
            Ok(g) => g,
            Err(errs) => {
                for e in errs {
                    eprintln!("{}: {e}", gaps_path.display());
                }
                return ExitCode::from(2);
            }
        },
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            println!("(no gaps file at {}: every gap fails)", gaps_path.display());
            Vec::new()
        }
        Err(e) => {
            eprintln!("error: {}: {e}", gaps_path.display());
            return ExitCode::from(2);
        }
    };
    let mut cited = Vec::new();
    let mut broken = 0;
    for f in &files {
        match load(f) {
            Ok(plan) => cited.push(crate::coverage::Cited {
                id: plan.id,
                profile: plan.server.profile.name,
                rules: plan.rules,
            }),
            Err(e) => {
                broken += 1;
                println!("LOAD ERROR {}\n{e}", f.display());
            }
        }
    }
    let report = crate::coverage::compute(&cited, &gaps);
    print!("{}", crate::coverage::render(&report, quiet));
    if broken > 0 {
        println!("{broken} file(s) did not load");
        ExitCode::from(2)
    } else if report.failed() {
        println!(
            "coverage FAILED: cover the UNCOVERED rules with scenarios (or list them with a reason in {}), \
             and remove STALE lines from it",
            gaps_path.display()
        );
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}
