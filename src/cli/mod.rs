//! The command line. The only module that prints, reads the environment and
//! decides exit codes: `mod.rs` the arguments and dispatch, `run.rs` `run`
//! (verdicts, JUnit), `tools.rs` `check`, `explain`, `coverage`, `mocks serve`.
#![allow(clippy::print_stdout, clippy::print_stderr)] // the CLI's job is printing

mod conform;
mod run;
mod tools;

use run::{run, RunOptions};
use tools::{check, coverage, explain, serve_mocks};

use crate::scenario::{self, plan::Plan};
use clap::{Parser, Subcommand};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Deterministic simulation and conformance harness for IM offline push.
///
/// A scenario (YAML) describes users, devices, settings and a timeline of steps.
/// pushsim replays it against the reference push pipeline inside a simulated
/// network with virtual time, sends real vendor HTTP requests to mocked FCM,
/// Huawei, Honor, Xiaomi, OPPO, vivo and Meizu endpoints, and compares what was
/// pushed with the scenario's `expect:` and its snapshot in `snapshots/`.
///
/// Start with `pushsim run scenarios/`, then `pushsim explain FILE` to see why
/// each push was or was not sent (every decision names its RULES.md rule).
#[derive(Parser, Debug)]
#[command(name = "pushsim", version, about, long_about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Run scenarios: check `expect:` and compare with snapshots.
    ///
    /// Examples:
    ///   pushsim run scenarios/                 # the whole corpus
    ///   pushsim run scenarios/dnd --tags dnd   # a folder, filtered by tag
    ///   pushsim run scenarios/x.yaml --seed 7  # another seed: expect: only
    ///
    /// A failing scenario prints its unmet expectations first, then the unified
    /// diff against snapshots/<id>.snap, and its actual outcome is written to
    /// target/pushsim/<id>.snap. `--accept` writes the snapshot instead, where
    /// expect: holds. Under CI=true a scenario without a snapshot fails.
    /// Exit code: 0 all passed, 1 some scenario failed, 2 a file did not load
    /// or the harness failed.
    ///
    /// A run and its mock vendors keep to one CPU (their work is a ping-pong;
    /// a hand-over between CPUs costs a wake-up): the CPU it starts on, or
    /// with --shard K/N the Kth it may use, so shards side by side spread.
    /// PUSHSIM_PIN=0 lets them move.
    #[command(verbatim_doc_comment)]
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
        /// Network ticks a scenario may step before the run gives up on it as
        /// harness trouble (exit 2). Quiet spans are jumped, not stepped.
        #[arg(long, value_name = "N", default_value_t = 2_000_000)]
        max_ticks: u64,
        /// Run only shard K of N (`--shard 2/4`): every Nth scenario of the
        /// sorted list, starting with the Kth, so N CI machines (or N
        /// processes on one, each on a CPU of its own) split a corpus.
        #[arg(long, value_name = "K/N", value_parser = parse_shard)]
        shard: Option<(usize, usize)>,
        /// Write each scenario's actual outcome as its snapshot where it is
        /// missing or differs, showing the change — only where `expect:`
        /// holds (fix the scenario or the pipeline first). Removes insta's
        /// pending `.snap.new` files. Read the change, then commit it.
        #[arg(long, conflicts_with = "seed")]
        accept: bool,
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
    #[command(verbatim_doc_comment)]
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
    /// Judge another push implementation: replay scenarios through the driver
    /// protocol and compare what it did with the reference.
    ///
    /// The system under test (SUT) serves docs/driver-protocol.md at --sut.
    /// For each scenario pushsim starts mock vendors, resets the SUT with their
    /// URLs and credentials, drives each step and the clock, then compares the
    /// observable facts — vendor requests the mocks received, messages each
    /// device received, refused calls, settings reads — with the reference's.
    /// A scenario needing a profile, vendor or step kind the SUT does not list
    /// in its capabilities (or a virtual clock it says it lacks) is skipped
    /// with the reason; so is one whose setup the SUT declines (501 to reset).
    ///
    /// Examples:
    ///   pushsim serve --listen 127.0.0.1:7070 &            # the reference as a SUT
    ///   pushsim conform --sut http://127.0.0.1:7070 scenarios/
    ///   pushsim conform --sut URL scenarios/dnd --expected-failures my-sut.expected --junit conform.xml
    ///
    /// Exit code: 0 all judged scenarios passed (or failed as expected), 1 a
    /// scenario failed or an expected failure passed, 2 the SUT could not be
    /// reached, a file did not load, or nothing was judged.
    #[command(verbatim_doc_comment)]
    Conform {
        /// Base URL of the system under test.
        #[arg(long, value_name = "URL")]
        sut: String,
        /// Scenario files or folders.
        #[arg(default_value = "scenarios")]
        paths: Vec<PathBuf>,
        /// Only scenarios carrying one of these tags (comma-separated).
        #[arg(long, value_delimiter = ',')]
        tags: Vec<String>,
        /// Scenarios the SUT is known to fail: `path-or-id reason` per line.
        #[arg(long, value_name = "FILE")]
        expected_failures: Option<PathBuf>,
        /// Also write a JUnit XML report to this file.
        #[arg(long, value_name = "FILE")]
        junit: Option<PathBuf>,
        /// Seconds each phase of a driver call may take (connect, send, wait
        /// for the answer, read it) before the scenario fails.
        #[arg(long, value_name = "SECONDS", default_value_t = 10.0)]
        call_timeout: f64,
        /// Print only failures and the summary.
        #[arg(long, short)]
        quiet: bool,
    },
    /// Serve the reference pipeline behind the driver protocol (for `conform`).
    ///
    /// Prints its base URL and serves until interrupted. Time is the driver's;
    /// vendor requests go to the mock URLs each `reset` names. With --mutant
    /// it serves a deliberately broken variant (`--mutant list` lists them):
    /// conformance against one must fail, which shows the corpus catches it.
    ///
    /// Example:
    ///   pushsim serve --listen 127.0.0.1:7070 --mutant window_in_utc
    #[command(verbatim_doc_comment)]
    Serve {
        /// Address to listen on (port 0 picks a free one).
        #[arg(long, default_value = "127.0.0.1:7070")]
        listen: String,
        /// Serve this broken variant instead of the reference.
        #[arg(long, value_name = "NAME")]
        mutant: Option<String>,
        /// Network ticks a scenario may step before it is given up.
        #[arg(long, value_name = "N", default_value_t = 2_000_000)]
        max_ticks: u64,
    },
    /// Start a new scenario: writes a commented, passing file to fill in.
    ///
    /// Examples:
    ///   pushsim new dnd/lunch_break          # scenarios/dnd/lunch_break.yaml
    ///   pushsim new my_case --profile tencent
    ///
    /// Then: edit it, `pushsim run FILE` until expect: holds, `pushsim run FILE
    /// --accept` to write its snapshot, read it, commit both.
    #[command(verbatim_doc_comment)]
    New {
        /// Path under scenarios/ without .yaml (`area/name`).
        name: String,
        /// The profile it runs under.
        #[arg(long, default_value = "easemob")]
        profile: String,
        /// The scenarios folder to write into.
        #[arg(long, default_value = "scenarios")]
        dir: PathBuf,
    },
    /// Look up the rules every verdict cites (`no push [DNDW-04]`).
    ///
    /// Examples:
    ///   pushsim rules DNDW-04 PRS-07     # what those ids mean
    ///   pushsim rules --grep midnight    # rules mentioning a word
    ///   pushsim rules                    # the whole catalogue, one line each
    ///   pushsim rules --markdown > docs/rules.md
    #[command(verbatim_doc_comment)]
    Rules {
        /// Rule ids to show in full.
        ids: Vec<String>,
        /// Rules whose id, title or statement contain this word (any case).
        #[arg(long, value_name = "WORD")]
        grep: Option<String>,
        /// The whole catalogue as Markdown (docs/rules.md).
        #[arg(long)]
        markdown: bool,
    },
    /// The mocked vendors, standalone.
    Mocks {
        #[command(subcommand)]
        command: MocksCommand,
    },
    /// Print the JSON Schema of the scenario format (for editors), or of the
    /// driver protocol's messages.
    ///
    /// The checked-in copies are scenarios/scenario.schema.json and
    /// docs/driver-protocol.schema.json; regenerate them with
    ///   cargo run --release -- schema > scenarios/scenario.schema.json
    ///   cargo run --release -- schema --driver-protocol > docs/driver-protocol.schema.json
    Schema {
        /// The driver protocol's messages instead of the scenario format.
        #[arg(long)]
        driver_protocol: bool,
    },
    /// Measure: corpus, a 7-virtual-day scenario, the decision core, the vendor
    /// bridge, and a 10,000-device scale run (release build; figures, not tests).
    ///
    /// Each figure stands beside an anchor measured in the same run, as a
    /// ratio. The week and the bridge also split their wall time: vendor
    /// exchanges as the run paid them against the same exchanges as bare
    /// round trips (a call between other work finds colder caches),
    /// turmoil's stepping, and the rest, which is the pipeline's and the
    /// harness's own work.
    Bench {
        /// The corpus folder to time.
        #[arg(default_value = "scenarios")]
        corpus: PathBuf,
        /// Only these figures (comma-separated): core, corpus, week, bridge,
        /// scale, mocks, conform, devices. `devices` (the scaling curve at 1k,
        /// 10k and 100k devices, each in a process of its own: memory per
        /// device, the logins' time, time per push over the sends alone;
        /// under a minute and about 1 GB) runs only when named.
        #[arg(long, value_delimiter = ',')]
        only: Vec<String>,
        /// One point of the `devices` curve, in a process of its own (the
        /// figure starts one per point).
        #[arg(long, hide = true)]
        devices_point: Option<usize>,
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
    #[command(verbatim_doc_comment)]
    Serve {
        /// Only these vendors (comma-separated); default: every vendor with a mock.
        #[arg(long, value_delimiter = ',')]
        vendors: Vec<String>,
        /// Listen on this address (default loopback only).
        #[arg(long, default_value = "127.0.0.1")]
        host: String,
        /// Fixed ports: the first vendor on PORT, the next on PORT+1, … in
        /// the order of --vendors (or of the manifest); default: free ports.
        #[arg(long)]
        port: Option<u16>,
    },
}

/// Entry point of the binary.
pub fn main() -> ExitCode {
    quiet_on_broken_pipe();
    let cli = Cli::parse();
    // A run and its mocks on one CPU: their work is a ping-pong, and a
    // hand-over between two CPUs costs a wake-up (src/run/affinity.rs).
    // `bench` pins itself, to say so beside its figures.
    let _pinned = match &cli.command {
        Command::Run { shard, .. } => Some(shard.map(|(k, _)| k - 1)),
        Command::Explain { .. } => Some(None),
        _ => None,
    }
    .map(crate::run::affinity::Pinned::to);
    match cli.command {
        Command::Run {
            paths,
            seed,
            tags,
            quiet,
            junit,
            check_determinism,
            max_ticks,
            accept,
            shard,
        } => run(
            &paths,
            &RunOptions {
                seed,
                tags,
                quiet,
                junit,
                check_determinism,
                max_ticks,
                accept,
                shard,
                // As insta does: a missing snapshot fails under CI.
                ci: std::env::var("CI").is_ok_and(|v| v == "true" || v == "1"),
            },
        ),
        Command::Check { paths } => check(&paths),
        Command::Explain {
            file,
            seed,
            timeline,
        } => explain(&file, seed, timeline),
        Command::Mocks {
            command:
                MocksCommand::Serve {
                    vendors,
                    host,
                    port,
                },
        } => serve_mocks(&vendors, &host, port),
        Command::Conform {
            sut,
            paths,
            tags,
            expected_failures,
            junit,
            call_timeout,
            quiet,
        } => conform::conform(&conform::ConformOptions {
            sut,
            paths,
            tags,
            expected: expected_failures,
            junit,
            timeout_s: call_timeout,
            quiet,
        }),
        Command::Serve {
            listen,
            mutant,
            max_ticks,
        } => conform::serve_reference(&listen, mutant.as_deref(), max_ticks),
        Command::Coverage { paths, gaps, quiet } => coverage(&paths, &gaps, quiet),
        Command::New { name, profile, dir } => tools::new_scenario(&dir, &name, &profile),
        Command::Rules {
            ids,
            grep,
            markdown,
        } => tools::rules(&ids, grep.as_deref(), markdown),
        Command::Schema { driver_protocol } => {
            if driver_protocol {
                print!("{}", crate::driver::protocol::json_schema());
            } else {
                print!("{}", scenario::json_schema());
            }
            ExitCode::SUCCESS
        }
        Command::Bench {
            devices_point: Some(n),
            ..
        } => crate::bench::devices_point(n),
        Command::Bench { corpus, only, .. } => crate::bench::main(&corpus, &only),
    }
}

/// `K/N` with 1 ≤ K ≤ N.
fn parse_shard(text: &str) -> Result<(usize, usize), String> {
    let bad = || format!("`{text}` is not K/N with 1 ≤ K ≤ N (e.g. 2/4)");
    let (k, n) = text.split_once('/').ok_or_else(bad)?;
    let (k, n): (usize, usize) = (
        k.trim().parse().map_err(|_| bad())?,
        n.trim().parse().map_err(|_| bad())?,
    );
    if k == 0 || n == 0 || k > n {
        return Err(bad());
    }
    Ok((k, n))
}

/// SIGINT (Ctrl-C) and SIGTERM, caught. A server started in the background
/// by a script inherits an ignored SIGINT; catching both makes `kill %1` and
/// Ctrl-C stop it cleanly either way. Install before announcing the server,
/// so a signal sent as soon as its address shows is not lost.
pub(crate) struct StopSignals {
    rt: tokio::runtime::Runtime,
    #[cfg(unix)]
    signals: Option<(tokio::signal::unix::Signal, tokio::signal::unix::Signal)>,
}

impl StopSignals {
    /// Catches the signals from now on.
    pub(crate) fn install() -> std::io::Result<StopSignals> {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        #[cfg(unix)]
        let signals = rt.block_on(async {
            use tokio::signal::unix::{signal, SignalKind};
            match (
                signal(SignalKind::interrupt()),
                signal(SignalKind::terminate()),
            ) {
                (Ok(int), Ok(term)) => Some((int, term)),
                _ => None,
            }
        });
        Ok(StopSignals {
            rt,
            #[cfg(unix)]
            signals,
        })
    }

    /// Blocks until one of them arrives.
    pub(crate) fn wait(self) {
        #[cfg(unix)]
        {
            let StopSignals { rt, signals } = self;
            rt.block_on(async move {
                match signals {
                    Some((mut int, mut term)) => {
                        tokio::select! {
                            _ = int.recv() => {}
                            _ = term.recv() => {}
                        }
                    }
                    None => std::future::pending::<()>().await,
                }
            });
        }
        #[cfg(not(unix))]
        {
            let _ = self.rt.block_on(tokio::signal::ctrl_c());
        }
    }
}

/// The exit status of a process killed by SIGPIPE (128 + 13), what a shell
/// reports for `pushsim run … | head -1` in a C tool.
pub const BROKEN_PIPE_EXIT: i32 = 141;

/// `print!` panics when the reader of stdout went away (`| head`). That is
/// not a pushsim bug: leave at once, quietly, with the SIGPIPE status (so a
/// `pipefail` shell still sees that the run did not finish).
fn quiet_on_broken_pipe() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let text = info
            .payload()
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| info.payload().downcast_ref::<&str>().copied())
            .unwrap_or("");
        if text.starts_with("failed printing to stdout") && text.contains("Broken pipe") {
            std::process::exit(BROKEN_PIPE_EXIT);
        }
        default(info);
    }));
}

/// Every `*.yaml` under `paths`, sorted, deduplicated.
pub fn collect(paths: &[PathBuf]) -> Result<Vec<PathBuf>, String> {
    let mut out = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    for p in paths {
        if p.is_dir() {
            walk(p, &mut out, &mut seen).map_err(|e| format!("{}: {e}", p.display()))?;
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

/// `*.yaml`/`*.yml` (any case) under `dir`. A folder reached twice (a symlink
/// loop, or a link to a folder already walked) is walked once.
fn walk(
    dir: &Path,
    out: &mut Vec<PathBuf>,
    seen: &mut std::collections::BTreeSet<PathBuf>,
) -> std::io::Result<()> {
    if !seen.insert(std::fs::canonicalize(dir)?) {
        return Ok(());
    }
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            walk(&path, out, seen)?;
        } else if path
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| e.eq_ignore_ascii_case("yaml") || e.eq_ignore_ascii_case("yml"))
        {
            out.push(path);
        }
    }
    Ok(())
}

/// Loads a scenario; its warnings go to stderr, its errors are the `Err`.
fn load(path: &Path) -> Result<Plan, String> {
    let plan = scenario::load_file(path).map_err(|diags| {
        diags
            .iter()
            .map(|d| d.to_string())
            .collect::<Vec<_>>()
            .join("\n")
    })?;
    for w in &plan.warnings {
        eprintln!("{w}");
    }
    Ok(plan)
}
