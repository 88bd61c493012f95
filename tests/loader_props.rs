//! Property tests for the scenario loader: arbitrary text and mutated valid
//! scenarios never panic; the loader returns a plan or located diagnostics.

use proptest::prelude::*;
use proptest::test_runner::{Config, FileFailurePersistence};
use pushsim::scenario::load_str;

const VALID: &str = include_str!("../scenarios/dnd/window_crosses_midnight.yaml");

/// Ok, or a non-empty list of diagnostics that all have a line and column.
fn check(text: &str) {
    match load_str("scenarios/p/x.yaml", text) {
        Ok(plan) => {
            assert!(plan
                .steps
                .windows(2)
                .all(|w| (w[0].at, w[0].seq) <= (w[1].at, w[1].seq)));
        }
        Err(diags) => {
            assert!(!diags.is_empty(), "Err with no diagnostics");
            for d in &diags {
                assert!(d.line >= 1 && d.column >= 1, "{d}");
                assert!(d.to_string().starts_with("scenarios/p/x.yaml:"), "{d}");
            }
        }
    }
}

#[derive(Debug, Clone)]
enum Edit {
    Delete(usize),
    Duplicate(usize),
    Swap(usize, usize),
    Byte(usize, u8),
    Insert(usize, String),
}

fn apply(text: &str, edits: &[Edit]) -> String {
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    for e in edits {
        let n = lines.len().max(1);
        match e {
            Edit::Delete(i) if !lines.is_empty() => {
                lines.remove(i % n);
            }
            Edit::Duplicate(i) if !lines.is_empty() => {
                let l = lines[i % n].clone();
                lines.insert(i % n, l);
            }
            Edit::Swap(i, j) if !lines.is_empty() => lines.swap(i % n, j % n),
            Edit::Byte(i, b) => {
                let mut bytes = lines.join("\n").into_bytes();
                if !bytes.is_empty() {
                    let k = i % bytes.len();
                    bytes[k] = *b;
                }
                let s = String::from_utf8_lossy(&bytes).into_owned();
                lines = s.lines().map(str::to_string).collect();
            }
            Edit::Insert(i, s) => lines.insert(i % (lines.len() + 1), s.clone()),
            _ => {}
        }
    }
    lines.join("\n")
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        any::<usize>().prop_map(Edit::Delete),
        any::<usize>().prop_map(Edit::Duplicate),
        (any::<usize>(), any::<usize>()).prop_map(|(i, j)| Edit::Swap(i, j)),
        (
            any::<usize>(),
            prop_oneof![
                any::<u8>(),
                Just(b':'),
                Just(b' '),
                Just(b'-'),
                Just(b'{'),
                Just(b'"'),
                Just(b'\n')
            ]
        )
            .prop_map(|(i, b)| Edit::Byte(i, b)),
        (any::<usize>(), "[ a-z:{}\\[\\],\"'&*!|>#0-9+-]{0,30}")
            .prop_map(|(i, s)| Edit::Insert(i, s)),
    ]
}

fn config() -> Config {
    Config {
        cases: 512,
        failure_persistence: Some(Box::new(FileFailurePersistence::Direct(
            "tests/proptest-regressions/loader_props.txt",
        ))),
        ..Config::default()
    }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn arbitrary_text_never_panics(text in "\\PC{0,400}") {
        check(&text);
    }

    #[test]
    fn yaml_ish_text_never_panics(text in "([ a-z_:{}\\[\\],\"'&*!|>#0-9+.\\n-]{0,40}\n){0,20}") {
        check(&text);
    }

    #[test]
    fn mutated_valid_scenario_never_panics(edits in prop::collection::vec(edit(), 1..6)) {
        check(&apply(VALID, &edits));
    }
}

fn at_value() -> impl Strategy<Value = String> {
    prop_oneof![
        (0u32..30, 0u32..70, prop::option::of(0u32..70)).prop_map(|(h, m, s)| match s {
            Some(s) => format!("\"{h:02}:{m:02}:{s:02}\""),
            None => format!("\"{h:02}:{m:02}\""),
        }),
        (any::<u64>(), "(d|h|m|s|ms)").prop_map(|(n, u)| format!("\"+{n}{u}\"")),
        (0u32..10_000, 1u32..13, 1u32..29, -23i32..24)
            .prop_map(|(y, mo, d, off)| { format!("{y:04}-{mo:02}-{d:02}T00:00:00{off:+03}:00") }),
        "\\PC{0,12}".prop_map(|s| format!("{s:?}")),
    ]
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn extreme_starts_and_times_never_panic(start in at_value(), ats in prop::collection::vec(at_value(), 0..5), exp in at_value()) {
        let mut text = format!("name: x\nabout: x\nrules: [A-01]\nstart: {start}\nusers:\n  a: {{}}\nsteps:\n");
        for at in &ats {
            text.push_str(&format!("  - at: {at}\n    send: {{ from: a, to: a, text: hi }}\n"));
        }
        text.push_str(&format!("expect:\n  - push: {{ text: hi, at: {exp} }}\n"));
        check(&text);
    }
}

#[test]
fn the_unmutated_scenario_loads() {
    assert!(load_str("scenarios/dnd/window_crosses_midnight.yaml", VALID).is_ok());
}

/// Corpus files of different shapes: structure-aware mutations start from them.
const SEEDS: &[&str] = &[
    include_str!("../scenarios/dnd/window_crosses_midnight.yaml"),
    include_str!("../scenarios/vendor_faults/fcm_rate_limited_waits_retry_after.yaml"),
    include_str!("../scenarios/presence/disconnect_heartbeat_blind_window.yaml"),
    include_str!("../scenarios/messages/push_templates.yaml"),
    include_str!("../scenarios/multi_device/fifth_android_login_kicks_earliest.yaml"),
    include_str!("../scenarios/settings_api/batch_read_omits_inherited_and_expired.yaml"),
    include_str!("../scenarios/calls/invite_expires_while_callee_offline.yaml"),
];

/// Values a hostile file puts where a scalar was.
fn hostile_value() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("99999999d".to_string()),
        Just("\"+99999999d\"".to_string()),
        Just("-1".to_string()),
        Just("18446744073709551616".to_string()),
        Just("\"\"".to_string()),
        Just("~".to_string()),
        Just("\"a\\u0000b\"".to_string()),
        Just("\"alice\\u200b\"".to_string()),
        Just("[]".to_string()),
        Just("{}".to_string()),
        Just("\"9999-12-31T23:59:59.5+14:00\"".to_string()),
        (1usize..70_000).prop_map(|n| format!("\"{}\"", "x".repeat(n))),
        "[a-z0-9:+ ]{0,12}",
    ]
}

/// Replaces the value of line `i` (the text after its first `: `).
fn set_value(text: &str, i: usize, value: &str) -> String {
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    let n = lines.len().max(1);
    if let Some(line) = lines.get_mut(i % n) {
        if let Some(k) = line.find(": ") {
            line.truncate(k + 2);
            line.push_str(value);
        }
    }
    lines.join("\n")
}

/// Cases run and the slowest, for the figures the fuzz test prints.
static SLOWEST_MS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
static CASES: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// Loads `text`; if it loads, runs it to the end with a bounded tick budget
/// and renders and checks the outcome: nothing may panic, and one case may
/// not take more than a minute of wall time (a hang fails the test instead
/// of stalling CI).
fn check_and_run(text: String) {
    use std::sync::atomic::Ordering;
    let (tx, rx) = std::sync::mpsc::channel();
    let started = std::time::Instant::now();
    std::thread::spawn(move || {
        let outcome = std::panic::catch_unwind(|| {
            check(&text);
            if let Ok(plan) = load_str("scenarios/p/x.yaml", &text) {
                let config = pushsim::run::runner::RunConfig {
                    seed: None,
                    ticks_max: 200_000,
                };
                let run = pushsim::run::runner::run(&plan, &config);
                let outcome = pushsim::outcome::summarize(&plan, run.trace);
                let _ = pushsim::outcome::render(&plan, &outcome);
                let _ = pushsim::outcome::check(&plan, &outcome);
            }
        });
        let _ = tx.send(outcome.is_ok());
    });
    let ok = rx
        .recv_timeout(std::time::Duration::from_secs(60))
        .expect("a case hung for a minute");
    assert!(ok, "a case panicked");
    let ms = started.elapsed().as_millis() as u64;
    SLOWEST_MS.fetch_max(ms, Ordering::Relaxed);
    CASES.fetch_add(1, Ordering::Relaxed);
}

/// 1,024 cases in CI; `PROPTEST_CASES=30000` for a longer local sweep.
fn run_config() -> Config {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1024);
    Config { cases, ..config() }
}

/// The most memory the whole fuzz run may reach: the loader's bounds (file,
/// expanded text, messages) keep every case far below; a blow-up fails here.
const PEAK_KIB_MAX: u64 = 2 << 20;

/// Issue 10: structure-aware mutations of corpus files, loaded *and run*; then
/// the figures (cases, slowest case, peak memory; `--nocapture`) and the
/// memory bound.
#[test]
fn mutated_corpus_files_load_and_run_without_panic_hang_or_blow_up() {
    use proptest::test_runner::TestRunner;
    let strategy = (
        0..SEEDS.len(),
        prop::collection::vec(edit(), 0..3),
        prop::collection::vec((any::<usize>(), hostile_value()), 0..3),
    );
    let mut runner = TestRunner::new(run_config());
    let result = runner.run(&strategy, |(seed, edits, values)| {
        let mut text = apply(SEEDS[seed], &edits);
        for (i, v) in &values {
            text = set_value(&text, *i, v);
        }
        check_and_run(text);
        Ok(())
    });
    if let Err(e) = result {
        panic!("{e}");
    }
    let peak = pushsim::bench::peak_memory_kib();
    eprintln!(
        "loader/run fuzz: {} cases, slowest {} ms, peak RSS {} kB",
        CASES.load(std::sync::atomic::Ordering::Relaxed),
        SLOWEST_MS.load(std::sync::atomic::Ordering::Relaxed),
        peak.map_or("?".into(), |k| k.to_string())
    );
    assert!(
        peak.is_none_or(|k| k < PEAK_KIB_MAX),
        "peak RSS {peak:?} kB"
    );
}
