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
        /// Also write a JUnit XML report (one test case per scenario) to this file.
        #[arg(long, value_name = "FILE")]
        junit: Option<PathBuf>,
        /// Run every scenario twice and fail it if the two outcomes differ.
        #[arg(long)]
        check_determinism: bool,
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
    /// The mocked vendors, standalone.
    Mocks {
        #[command(subcommand)]
        command: MocksCommand,
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
            junit,
            check_determinism,
        } => run(
            &paths,
            &RunOptions {
                seed,
                tags,
                quiet,
                junit,
                check_determinism,
            },
        ),
        Command::Check { paths } => check(&paths),
        Command::Explain {
            file,
            seed,
            timeline,
        } => explain(&file, seed, timeline),
        Command::Mocks {
            command: MocksCommand::Serve { vendors },
        } => serve_mocks(&vendors),
        Command::Coverage { paths, gaps, quiet } => coverage(&paths, &gaps, quiet),
        Command::Schema => {
            print!("{}", scenario::json_schema());
            ExitCode::SUCCESS
        }
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
    /// Passed; `new` when it has no snapshot yet.
    Pass {
        new: bool,
    },
    Fail(Vec<String>),
}

/// What `run` was asked to do.
struct RunOptions {
    seed: Option<u64>,
    tags: Vec<String>,
    quiet: bool,
    junit: Option<PathBuf>,
    check_determinism: bool,
}

/// Runs one plan and renders its outcome.
fn outcome_text(plan: &Plan, seed: Option<u64>) -> (String, Vec<Mismatch>) {
    let config = RunConfig {
        seed,
        ..RunConfig::standard()
    };
    let run = runner::run(plan, &config);
    let outcome = outcome::summarize(plan, run.trace);
    (
        outcome::render(plan, &outcome),
        outcome::check(plan, &outcome),
    )
}

fn judge(plan: &Plan, seed: Option<u64>, twice: bool) -> (Verdict, String) {
    let (text, mismatches) = outcome_text(plan, seed);
    let mut problems: Vec<String> = mismatches.iter().map(mismatch).collect();
    if twice {
        let (again, _) = outcome_text(plan, seed);
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
    let mut new = false;
    if seed.is_none_or(|s| s == plan.seed) {
        match snapshot::compare(plan, &text) {
            snapshot::Comparison::Same => {}
            snapshot::Comparison::Missing => new = true,
            snapshot::Comparison::Differs(path) => {
                problems.push(format!("outcome differs from snapshot {}", path.display()))
            }
        }
    }
    if problems.is_empty() {
        (Verdict::Pass { new }, text)
    } else {
        (Verdict::Fail(problems), text)
    }
}

/// `judge`, with a panic in the harness turned into a failure of this scenario
/// so the rest of the run goes on.
fn judge_guarded(plan: &Plan, seed: Option<u64>, twice: bool) -> (Verdict, String) {
    let result =
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| judge(plan, seed, twice)));
    result.unwrap_or_else(|e| {
        let what = e
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_else(|| "unknown panic".into());
        let problem = format!("harness panic (a pushsim bug, please report): {what}");
        (Verdict::Fail(vec![problem]), String::new())
    })
}

fn mismatch(m: &Mismatch) -> String {
    format!("line {}: expected {}; got {}", m.line, m.expected, m.actual)
}

/// One scenario's result, for the reports.
struct CaseResult {
    id: String,
    file: String,
    secs: f64,
    failure: Option<Vec<String>>,
}

fn run(paths: &[PathBuf], opts: &RunOptions) -> ExitCode {
    let files = match collect(paths) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let started = std::time::Instant::now();
    let (mut passed, mut failed, mut broken, mut skipped, mut new) = (0, 0, 0, 0, 0);
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
                    id: f.display().to_string(),
                    file: f.display().to_string(),
                    secs: 0.0,
                    failure: Some(vec![e]),
                });
                continue;
            }
        };
        if !opts.tags.is_empty() && !plan.tags.iter().any(|t| opts.tags.contains(t)) {
            skipped += 1;
            continue;
        }
        let (verdict, text) = judge_guarded(&plan, opts.seed, opts.check_determinism);
        let seed_used = opts.seed.unwrap_or(plan.seed);
        let mut case = CaseResult {
            id: plan.id.clone(),
            file: f.display().to_string(),
            secs: 0.0,
            failure: None,
        };
        match verdict {
            Verdict::Pass { new: is_new } => {
                passed += 1;
                new += usize::from(is_new);
                if !opts.quiet || is_new {
                    let note = if is_new {
                        "  (no snapshot yet: run the tests with INSTA_UPDATE=always, read it, commit it)"
                    } else {
                        ""
                    };
                    println!("[{}/{total}] ok   {}{note}", i + 1, plan.id);
                }
            }
            Verdict::Fail(problems) => {
                failed += 1;
                println!("[{}/{total}] FAIL {} ({})", i + 1, plan.id, f.display());
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
    println!("{passed} passed, {failed} failed, {broken} did not load{extras} ({total} files, {secs:.2}s)");
    if let Some(path) = &opts.junit {
        if let Err(e) = std::fs::write(path, junit_xml(&cases, secs)) {
            eprintln!("error: cannot write {}: {e}", path.display());
            return ExitCode::from(2);
        }
    }
    if broken > 0 {
        ExitCode::from(2)
    } else if failed > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

/// A JUnit XML report: one `<testcase>` per scenario, failures with their
/// unmet expectations.
fn junit_xml(cases: &[CaseResult], secs: f64) -> String {
    let failures = cases.iter().filter(|c| c.failure.is_some()).count();
    let mut x = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    x.push_str(&format!(
        "<testsuites name=\"pushsim\" tests=\"{}\" failures=\"{failures}\" time=\"{secs:.3}\">\n",
        cases.len()
    ));
    x.push_str(&format!(
        "  <testsuite name=\"scenarios\" tests=\"{}\" failures=\"{failures}\" time=\"{secs:.3}\">\n",
        cases.len()
    ));
    for c in cases {
        x.push_str(&format!(
            "    <testcase classname=\"scenarios\" name=\"{}\" file=\"{}\" time=\"{:.3}\"",
            xml_escape(&c.id),
            xml_escape(&c.file),
            c.secs
        ));
        match &c.failure {
            None => x.push_str("/>\n"),
            Some(problems) => {
                let first = problems.first().map(String::as_str).unwrap_or("failed");
                x.push_str(&format!(
                    ">\n      <failure message=\"{}\">{}</failure>\n    </testcase>\n",
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
