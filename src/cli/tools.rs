//! `pushsim check`, `explain`, `coverage` and `mocks serve`.
#![allow(clippy::print_stdout, clippy::print_stderr)] // the CLI's job is printing

use super::run::mismatch;
use super::{collect, load};
use crate::outcome;
use crate::run::runner::{self, RunConfig};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

pub(super) fn check(paths: &[PathBuf]) -> ExitCode {
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

pub(super) fn explain(file: &Path, seed: Option<u64>, timeline: bool) -> ExitCode {
    if file.is_dir() {
        eprintln!(
            "error: {} is a folder; explain takes one scenario file (`pushsim run {}` runs a folder)",
            file.display(),
            file.display()
        );
        return ExitCode::from(2);
    }
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

pub(super) fn serve_mocks(names: &[String], host: &str, port: Option<u16>) -> ExitCode {
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
    let kind = crate::mock::fleet::ShellKind::Bounded;
    let at = match (host, port) {
        ("127.0.0.1", None) => None,
        (h, p) => Some((h, p.unwrap_or(0))),
    };
    let fleet = match crate::mock::fleet::MockFleet::start_at(&vendors, wall, kind, at) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let stop = match super::StopSignals::install() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: cannot catch signals: {e}");
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
    eprintln!(
        "serving {} mock vendor(s); Ctrl-C or SIGTERM stops them",
        vendors.len()
    );
    // The bounded shell keeps nothing per request: memory stays flat however
    // long this runs (`pushsim bench --only mocks` measures it).
    stop.wait();
    drop(fleet);
    ExitCode::SUCCESS
}

pub(super) fn coverage(paths: &[PathBuf], gaps_path: &Path, quiet: bool) -> ExitCode {
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

pub(super) fn rules(ids: &[String], grep: Option<&str>, markdown: bool) -> ExitCode {
    use crate::catalogue;
    if markdown {
        print!("{}", catalogue::markdown());
        return ExitCode::SUCCESS;
    }
    let mut status = ExitCode::SUCCESS;
    for id in ids {
        match catalogue::get(&id.to_ascii_uppercase()) {
            Some(r) => println!("{}", catalogue::text(r)),
            None => {
                let known = catalogue::all().iter().map(|r| r.id.as_str());
                match crate::scenario::did_you_mean(id, known) {
                    Some(s) => eprintln!("error: no rule {id}; did you mean {s}?"),
                    None => eprintln!("error: no rule {id} (`pushsim rules` lists them)"),
                }
                status = ExitCode::from(2);
            }
        }
    }
    if let Some(word) = grep {
        let hits = catalogue::grep(word);
        for r in &hits {
            println!("{}", catalogue::text(r));
        }
        if hits.is_empty() {
            eprintln!("no rule mentions {word:?}");
            status = ExitCode::from(1);
        }
    }
    if ids.is_empty() && grep.is_none() {
        for r in catalogue::all() {
            println!("{:<8} {}", r.id, r.title);
        }
    }
    status
}

/// The file `pushsim new` writes: one offline push, commented, passing.
fn scenario_template(name: &str, profile: &str, schema: &str) -> String {
    format!(
        "# yaml-language-server: $schema={schema}
# Every key: scenarios/README.md. Rule ids: `pushsim rules ID`, docs/rules.md.
version: 1
name: {name}
about: >-
  What this scenario shows and why (one or two sentences).
rules: [PRS-06]                 # the rule ids it checks
tags: []
profile: {profile}
start: 2026-03-02T09:00:00+08:00

app:
  certs: {{ fcm-prod: {{ vendor: fcm }} }}

users:
  alice: {{}}
  bob:
    devices:
      phone: {{ platform: android, vendor: fcm, cert: fcm-prod }}

steps:
  - at: \"09:00\"
    login: bob/phone
  - at: \"09:01\"
    kill: bob/phone             # a killed app is offline: pushed (PRS-06)
  - at: \"09:10\"
    send: {{ from: alice, to: bob, text: \"hello\" }}

expect:
  - push: {{ device: bob/phone, text: \"hello\", at: \"09:10\" }}
  - pushes: {{ device: bob/phone, count: 1 }}
"
    )
}

pub(super) fn new_scenario(dir: &Path, name: &str, profile: &str) -> ExitCode {
    let rel = name.trim_end_matches(".yaml").trim_matches('/');
    let ok_part = |p: &str| {
        !p.is_empty()
            && p != ".."
            && p.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    };
    if !rel.split('/').all(ok_part) {
        eprintln!("error: `{name}` is not `area/name` (letters, digits, `_`, `-`)");
        return ExitCode::from(2);
    }
    if crate::core::profile::Profile::by_name(profile).is_none() {
        let names = crate::core::profile::Profile::NAMES.join(", ");
        eprintln!("error: no profile `{profile}` (profiles: {names})");
        return ExitCode::from(2);
    }
    let path = dir.join(format!("{rel}.yaml"));
    if path.exists() {
        eprintln!("error: {} exists; not overwritten", path.display());
        return ExitCode::from(2);
    }
    let depth = rel.matches('/').count() + 1;
    let schema = format!("{}scenario.schema.json", "../".repeat(depth));
    let title = rel.rsplit('/').next().unwrap_or(rel).replace('_', " ");
    if let Some(parent) = path.parent() {
        if let Err(e) = std::fs::create_dir_all(parent) {
            eprintln!("error: cannot create {}: {e}", parent.display());
            return ExitCode::from(2);
        }
    }
    if let Err(e) = std::fs::write(&path, scenario_template(&title, profile, &schema)) {
        eprintln!("error: cannot write {}: {e}", path.display());
        return ExitCode::from(2);
    }
    println!("wrote {}", path.display());
    println!(
        "next: edit it, then `pushsim run {}` until expect: holds,",
        path.display()
    );
    println!(
        "      `pushsim run {} --accept` writes its snapshot; read it, commit both",
        path.display()
    );
    ExitCode::SUCCESS
}
