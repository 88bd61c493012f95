//! `pushsim conform` and `pushsim serve`: judging a system under test (SUT)
//! through the driver protocol, and the reference behind it.
#![allow(clippy::print_stdout, clippy::print_stderr)] // the CLI's job is printing

use super::run::{junit_xml, CaseResult};
use super::{collect, load};
use crate::conform::{self, expected::Expected, Judgement, Sut};
use crate::driver::{mutant, serve};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

/// What `conform` was asked to do.
pub(super) struct ConformOptions {
    pub(super) sut: String,
    pub(super) paths: Vec<PathBuf>,
    pub(super) tags: Vec<String>,
    pub(super) expected: Option<PathBuf>,
    pub(super) junit: Option<PathBuf>,
    pub(super) timeout_s: f64,
    pub(super) quiet: bool,
}

pub(super) fn conform(opts: &ConformOptions) -> ExitCode {
    let expected = match &opts.expected {
        None => Expected::default(),
        Some(path) => match std::fs::read_to_string(path)
            .map_err(|e| e.to_string())
            .and_then(|t| Expected::parse(&t))
        {
            Ok(e) => e,
            Err(e) => {
                eprintln!("error: {}: {e}", path.display());
                return ExitCode::from(2);
            }
        },
    };
    let files = match collect(&opts.paths) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let timeout = Duration::from_secs_f64(opts.timeout_s.max(0.001));
    let sut = match Sut::connect(&opts.sut, timeout) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    println!(
        "conform: {} at {} ({}; profiles {}; {} step kinds; vendors {})",
        sut.caps.name,
        sut.url,
        sut.caps.protocol,
        sut.caps.profiles.join(", "),
        sut.caps.steps.len(),
        sut.caps
            .vendors
            .iter()
            .map(|v| v.name())
            .collect::<Vec<_>>()
            .join(", ")
    );
    let started = std::time::Instant::now();
    let total = files.len();
    let mut counts = Counts::default();
    let mut cases = Vec::new();
    let mut ids = Vec::new();
    let mut calls = 0u64;
    for (i, f) in files.iter().enumerate() {
        let n = i + 1;
        let plan = match load(f) {
            Ok(p) => p,
            Err(e) => {
                counts.broken += 1;
                println!("[{n}/{total}] LOAD ERROR {}\n{e}", f.display());
                continue;
            }
        };
        ids.push(plan.id.clone());
        if !opts.tags.is_empty() && !plan.tags.iter().any(|t| opts.tags.contains(t)) {
            continue;
        }
        let case_started = std::time::Instant::now();
        let case = conform::judge(&plan, &sut);
        calls += case.calls;
        let xfail = expected.reason(&plan.id);
        let mut result = CaseResult {
            id: plan.id.clone(),
            file: f.display().to_string(),
            secs: case_started.elapsed().as_secs_f64(),
            failure: None,
            skipped: None,
            error: false,
        };
        match (&case.judgement, xfail) {
            (Judgement::Pass, None) => {
                counts.passed += 1;
                if !opts.quiet {
                    println!("[{n}/{total}] ok    {}", plan.id);
                }
            }
            (Judgement::Pass, Some(reason)) => {
                counts.xpass += 1;
                println!("[{n}/{total}] XPASS {}: expected to fail ({reason}) but passes; remove it from the expected failures", plan.id);
                result.failure = Some(vec![format!("expected to fail ({reason}) but passes")]);
            }
            (Judgement::Fail(_), Some(reason)) => {
                counts.xfail += 1;
                if !opts.quiet {
                    println!("[{n}/{total}] xfail {} ({reason})", plan.id);
                }
                result.skipped = Some(format!("expected failure: {reason}"));
            }
            (Judgement::Fail(report), None) => {
                counts.failed += 1;
                println!("[{n}/{total}] FAIL  {} ({})", plan.id, f.display());
                for line in report.lines() {
                    println!("       {line}");
                }
                println!(
                    "       the reference's reasoning: pushsim explain {}",
                    f.display()
                );
                result.failure = Some(report.lines().map(String::from).collect());
            }
            (Judgement::Skip(why), _) => {
                counts.skipped += 1;
                if !opts.quiet {
                    println!("[{n}/{total}] skip  {}: {why}", plan.id);
                }
                result.skipped = Some(why.clone());
            }
            (Judgement::Harness(why), _) => {
                counts.harness += 1;
                println!("[{n}/{total}] HARNESS {}: {why}", plan.id);
                result.failure = Some(vec![why.clone()]);
                result.error = true;
            }
        }
        cases.push(result);
    }
    let secs = started.elapsed().as_secs_f64();
    for id in expected.unknown(&ids) {
        println!("note: the expected failures list {id}, which is not among the scenarios run");
    }
    let Counts {
        passed,
        failed,
        xfail,
        xpass,
        skipped,
        harness,
        broken,
    } = counts;
    println!(
        "{passed} passed, {failed} failed, {xfail} expected failures, {xpass} unexpected passes, {skipped} skipped, {harness} harness failures, {broken} did not load ({} scenarios, {calls} driver calls, {secs:.2}s)",
        cases.len()
    );
    if let Some(path) = &opts.junit {
        if let Err(e) = std::fs::write(path, junit_xml("conform", &cases, secs)) {
            eprintln!("error: cannot write {}: {e}", path.display());
            return ExitCode::from(2);
        }
    }
    if broken > 0 || harness > 0 {
        ExitCode::from(2)
    } else if failed > 0 || xpass > 0 {
        ExitCode::from(1)
    } else if passed + xfail == 0 {
        eprintln!("error: no scenario was judged (all skipped or none selected)");
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    }
}

#[derive(Default)]
struct Counts {
    passed: usize,
    failed: usize,
    xfail: usize,
    xpass: usize,
    skipped: usize,
    harness: usize,
    broken: usize,
}

pub(super) fn serve_reference(listen: &str, mutant: Option<&str>, max_ticks: u64) -> ExitCode {
    if mutant == Some("list") {
        for m in mutant::MUTANTS {
            println!("{:28} {}", m.name, m.bug);
        }
        return ExitCode::SUCCESS;
    }
    let mutant = match mutant {
        None => None,
        Some(name) => match mutant::find(name) {
            Some(m) => Some(m),
            None => {
                eprintln!("error: no mutant {name:?}; mutants:");
                for m in mutant::MUTANTS {
                    eprintln!("  {:28} {}", m.name, m.bug);
                }
                return ExitCode::from(2);
            }
        },
    };
    let addr = match listen.parse() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("error: --listen {listen:?}: {e} (e.g. 127.0.0.1:7070)");
            return ExitCode::from(2);
        }
    };
    let opts = serve::ServeOptions {
        addr,
        mutant,
        ticks_max: max_ticks,
    };
    let stop = match super::StopSignals::install() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: cannot catch signals: {e}");
            return ExitCode::from(2);
        }
    };
    match serve::start(opts) {
        Ok(s) => {
            println!("{}", s.url());
            if let Some(m) = mutant {
                eprintln!("serving mutant {}: {}", m.name, m.bug);
            }
            stop.wait();
            drop(s);
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: cannot listen on {listen}: {e}");
            ExitCode::from(2)
        }
    }
}
