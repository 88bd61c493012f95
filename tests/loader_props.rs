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
