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
    /// The mocked vendors, standalone.
    Mocks {
        #[command(subcommand)]
        command: MocksCommand,
    },
    /// Measure: corpus wall time, a 7-virtual-day scenario, the decision core.
    Bench {
        /// The corpus folder to time.
        #[arg(default_value = "scenarios")]
        corpus: PathBuf,
        /// Only these figures (comma-separated): corpus, week, core.
        #[arg(long, value_delimiter = ',')]
        only: Vec<String>,
    },
}

#[derive(Subcommand, Debug)]
enum MocksCommand {
    /// Start the wiremocked vendors on loopback and serve until interrupted.
    ///
    /// Prints a JSON manifest on stdout: each vendor's base URL, the credentials
    /// and app ids it accepts, its routes, and which device tokens it treats as
    /// invalid. Point any push implementation at the base URLs (paths are the
    /// vendors' own). A request may carry `x-pushsim-now: <ms since epoch>` to
    /// set the calendar time the mock judges token expiry by; otherwise the
    /// wall clock is used.
    ///
    /// Example:
    ///   pushsim mocks serve --vendors fcm,huawei > mocks.json
    Serve {
        /// Only these vendors (comma-separated); default: every vendor with a mock.
        #[arg(long, value_delimiter = ',')]
        vendors: Vec<String>,
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
        Command::Mocks {
            command: MocksCommand::Serve { vendors },
        } => serve_mocks(&vendors),
        Command::Bench { corpus, only } => crate::bench::main(&corpus, &only),
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

fn serve_mocks(names: &[String]) -> ExitCode {
    use crate::core::model::Vendor;
    use crate::core::time::SimTime;
    use crate::mock::spec::MockSpec;
    let mut vendors = Vec::new();
    for n in names {
        match Vendor::parse(n) {
            Some(v) => vendors.push(v),
            None => {
                let known: Vec<_> = Vendor::ALL.iter().map(|v| v.name()).collect();
                eprintln!(
                    "error: unknown vendor `{n}` (expected one of: {})",
                    known.join(", ")
                );
                return ExitCode::from(2);
            }
        }
    }
    if vendors.is_empty() {
        vendors = MockSpec::vendors().collect();
    }
    // Outside the simulation the wall clock is the only clock there is.
    let wall = std::sync::Arc::new(|| {
        let since = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default();
        SimTime(since.as_millis() as i64)
    });
    let fleet = match crate::mock::fleet::MockFleet::start_with(&vendors, wall) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let manifest = crate::mock::serve::manifest(&fleet);
    println!(
        "{}",
        serde_json::to_string_pretty(&manifest).expect("JSON serializes")
    );
    use std::io::Write;
    let _ = std::io::stdout().flush();
    eprintln!("serving {} mock vendor(s); Ctrl-C to stop", vendors.len());
    loop {
        std::thread::park();
    }
}
