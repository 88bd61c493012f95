//! Repository invariants, checked as a test (rust-analyzer's tidy): banned
//! APIs per folder, and the map in ARCHITECTURE.md naming real folders.

use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).expect("readable") {
        let p = e.expect("entry").path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// (pattern, why) — forbidden everywhere in src/ (DESIGN.md, Determinism).
const BANNED: &[(&str, &str)] = &[
    (
        "SystemTime::now",
        "wall-clock read: time comes from the scenario clock",
    ),
    (
        "Instant::now",
        "wall-clock read: only `bench` and `cli` may time themselves",
    ),
    ("Utc::now", "wall-clock read"),
    ("Local::now", "wall-clock read and host time zone"),
    ("thread_rng", "unseeded randomness: one seeded RNG per run"),
    ("rand::random", "unseeded randomness"),
    ("OsRng", "unseeded randomness"),
    (
        "enable_tokio_io",
        "real IO inside turmoil is not deterministic",
    ),
    ("set_delay", "wiremock's delay sleeps in real time"),
    (
        "std::collections::HashMap",
        "iteration order must never reach an output",
    ),
    (
        "std::collections::HashSet",
        "iteration order must never reach an output",
    ),
];

/// Files allowed to time themselves with `Instant::now` (they measure, they decide nothing).
const TIMING_ALLOWED: &[&str] = &[
    "src/bench/mod.rs",
    "src/bench/mocks.rs",
    "src/cli/run.rs",
    "src/cli/conform.rs",
    // The bridge's meter of its blocking calls, read by `bench` only.
    "src/sim/meter.rs",
];

/// The file allowed to read tokio's clock inside the simulation, which is no
/// wall clock: paused, and moved only by turmoil's ticks. Only that spelling.
const NETWORK_CLOCK: (&str, &str) = ("src/sim/clock.rs", "tokio::time::Instant::now");

/// Files allowed to read the calendar wall clock: only `pushsim mocks serve`,
/// which answers requests from outside any simulation.
const WALL_CLOCK_ALLOWED: &[&str] = &["src/cli/tools.rs"];

/// Every Rust file under src/ as (path relative to the crate, text).
fn src_files() -> Vec<(String, String)> {
    let mut files = Vec::new();
    rust_files(&root().join("src"), &mut files);
    files
        .into_iter()
        .map(|f| {
            let rel = f
                .strip_prefix(root())
                .expect("under root")
                .to_string_lossy()
                .replace('\\', "/");
            (rel, std::fs::read_to_string(&f).expect("utf-8 source"))
        })
        .collect()
}

#[test]
fn no_wall_clock_no_unseeded_randomness_no_unordered_maps_in_src() {
    let mut hits = Vec::new();
    for (rel, text) in src_files() {
        for (pat, why) in BANNED {
            if *pat == "Instant::now" && TIMING_ALLOWED.contains(&rel.as_str()) {
                continue;
            }
            if *pat == "SystemTime::now" && WALL_CLOCK_ALLOWED.contains(&rel.as_str()) {
                continue;
            }
            for (n, line) in text.lines().enumerate() {
                let network_clock = *pat == "Instant::now"
                    && rel == NETWORK_CLOCK.0
                    && line.matches(pat).count() == line.matches(NETWORK_CLOCK.1).count();
                if line.contains(pat) && !line.trim_start().starts_with("//") && !network_clock {
                    hits.push(format!("{rel}:{}: `{pat}`: {why}", n + 1));
                }
            }
        }
    }
    assert!(hits.is_empty(), "banned APIs:\n{}", hits.join("\n"));
}

#[test]
fn only_sim_and_runner_use_turmoil_and_core_does_no_io() {
    for (rel, text) in src_files() {
        // The world lives in src/sim/; the runner steps it.
        if !rel.starts_with("src/sim/") && rel != "src/run/runner.rs" {
            assert!(
                !text.contains("turmoil::"),
                "{rel} uses turmoil; only src/sim/ and the runner may"
            );
        }
        if rel.starts_with("src/core/") {
            for pat in [
                "tokio",
                "std::net",
                "std::fs",
                "serde_yaml",
                "wiremock",
                "ureq",
            ] {
                assert!(
                    !text.contains(pat),
                    "{rel} mentions `{pat}`: core does no IO"
                );
            }
        }
    }
}

#[test]
fn architecture_map_names_existing_folders() {
    let arch =
        std::fs::read_to_string(root().join("ARCHITECTURE.md")).expect("ARCHITECTURE.md exists");
    let mut named = 0;
    for word in
        arch.split(|c: char| c.is_whitespace() || c == '`' || c == '(' || c == ')' || c == ',')
    {
        if let Some(rest) = word.strip_prefix("src/") {
            let rest = rest.trim_end_matches(['.', ':', ';']);
            if rest.is_empty() || rest.contains('*') || rest.contains('<') {
                continue;
            }
            named += 1;
            assert!(
                root().join("src").join(rest).exists(),
                "ARCHITECTURE.md names src/{rest}, which does not exist"
            );
        }
    }
    assert!(
        named >= 8,
        "ARCHITECTURE.md should map the code ({named} src/ paths named)"
    );
}

/// The corpus as the coverage gate sees it, with the checked-in gaps file.
fn corpus_coverage() -> pushsim::coverage::Report {
    let files = pushsim::cli::collect(&[root().join("scenarios")]).expect("scenarios/ is readable");
    let cited: Vec<pushsim::coverage::Cited> = files
        .iter()
        .map(|f| {
            let plan = pushsim::scenario::load_file(f).unwrap_or_else(|d| panic!("{}", d[0]));
            pushsim::coverage::Cited {
                id: plan.id,
                profile: plan.server.profile.name,
                rules: plan.rules,
            }
        })
        .collect();
    let text = std::fs::read_to_string(root().join("scenarios/coverage-gaps.txt"))
        .expect("scenarios/coverage-gaps.txt exists");
    let gaps = pushsim::coverage::parse_gaps(&text)
        .unwrap_or_else(|e| panic!("scenarios/coverage-gaps.txt: {}", e.join("; ")));
    pushsim::coverage::compute(&cited, &gaps)
}

#[test]
fn coverage_gaps_list_no_rule_that_is_covered() {
    // The allowlist can only shrink: covering a rule means deleting its line.
    use pushsim::coverage::Status;
    let stale: Vec<&str> = corpus_coverage()
        .rows
        .iter()
        .filter(|r| r.status == Status::Stale)
        .map(|r| r.rule)
        .collect();
    assert!(
        stale.is_empty(),
        "scenarios/coverage-gaps.txt lists rules that are covered (or do not gate): {stale:?}; delete those lines"
    );
}

#[test]
fn every_rule_the_required_profiles_need_is_covered_or_listed_as_a_gap() {
    let report = corpus_coverage();
    assert!(
        !report.failed(),
        "run `pushsim coverage --quiet`:\n{}",
        pushsim::coverage::render(&report, true)
    );
}

#[path = "support/json_schema.rs"]
mod json_schema;

fn checked_in_schema() -> serde_json::Value {
    let text = std::fs::read_to_string(root().join("scenarios/scenario.schema.json"))
        .expect("scenarios/scenario.schema.json exists");
    serde_json::from_str(&text).expect("the schema is JSON")
}

fn yaml_as_json(text: &str) -> serde_json::Value {
    serde_yaml::from_str(text).expect("YAML readable as JSON data")
}

#[test]
fn checked_in_schema_is_up_to_date() {
    let text =
        std::fs::read_to_string(root().join("scenarios/scenario.schema.json")).unwrap_or_default();
    assert!(
        text == pushsim::scenario::json_schema(),
        "scenarios/scenario.schema.json is out of date with src/scenario/file.rs; regenerate it with\n  \
         cargo run --release -- schema > scenarios/scenario.schema.json"
    );
}

#[test]
fn every_scenario_validates_against_the_schema() {
    let schema = checked_in_schema();
    let files = pushsim::cli::collect(&[root().join("scenarios")]).expect("scenarios/ is readable");
    let mut bad = Vec::new();
    for f in &files {
        let doc = yaml_as_json(&std::fs::read_to_string(f).expect("readable"));
        for e in json_schema::validate(&schema, &doc) {
            bad.push(format!("{}: {e}", f.display()));
        }
    }
    assert!(bad.is_empty(), "{}", bad.join("\n"));
}

#[test]
fn the_schema_rejects_what_the_loader_rejects() {
    let schema = checked_in_schema();
    let head = "name: n\nabout: a\nrules: [PRS-01]\nstart: 2026-03-01T09:00:00+08:00\nusers: {a: {devices: {p: {}}}}\n";
    let ok = format!("{head}steps:\n  - {{at: \"09:00\", login: a/p}}\n");
    assert_eq!(
        json_schema::validate(&schema, &yaml_as_json(&ok)),
        Vec::<String>::new()
    );
    assert!(pushsim::scenario::load_str("ok.yaml", &ok).is_ok());
    for (what, text) in [
        (
            "two actions",
            format!("{head}steps:\n  - {{at: \"09:00\", login: a/p, kill: a/p}}\n"),
        ),
        (
            "no action",
            format!("{head}steps:\n  - {{at: \"09:00\"}}\n"),
        ),
        (
            "unknown step key",
            format!("{head}steps:\n  - {{at: \"09:00\", login: a/p, colour: red}}\n"),
        ),
        ("unknown rule", head.replace("PRS-01", "PRS-1")),
        (
            "unknown platform",
            head.replace("p: {}", "p: {platform: nokia}"),
        ),
        (
            "unknown knob",
            format!("{head}profile: {{base: easemob, multi.policy: sometimes}}\n"),
        ),
        (
            "missing start",
            head.replace("start: 2026-03-01T09:00:00+08:00\n", ""),
        ),
        (
            "two expectation kinds",
            format!("{head}expect:\n  - {{push: {{}}, no_push: {{}}}}\n"),
        ),
    ] {
        let errors = json_schema::validate(&schema, &yaml_as_json(&text));
        assert!(!errors.is_empty(), "the schema accepts a file with {what}");
        assert!(
            pushsim::scenario::load_str("bad.yaml", &text).is_err(),
            "the loader accepts {what}"
        );
    }
}

#[test]
fn readme_complete_example_validates_against_the_schema() {
    let readme = std::fs::read_to_string(root().join("scenarios/README.md")).expect("readable");
    let example = readme
        .split("## A complete example")
        .nth(1)
        .and_then(|s| s.split("```yaml\n").nth(1))
        .and_then(|s| s.split("```").next())
        .expect("scenarios/README.md has a ```yaml block under \"## A complete example\"");
    let errors = json_schema::validate(&checked_in_schema(), &yaml_as_json(example));
    assert!(errors.is_empty(), "{}", errors.join("\n"));
}

#[test]
fn the_rule_catalogue_covers_every_rule_id_once_in_a_line_each() {
    let text = std::fs::read_to_string(root().join("rules/catalogue.yaml"))
        .expect("rules/catalogue.yaml exists");
    let rules =
        pushsim::catalogue::parse(&text).unwrap_or_else(|e| panic!("rules/catalogue.yaml: {e}"));
    let ids: Vec<&str> = rules.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(
        ids,
        pushsim::scenario::rules::RULE_IDS,
        "rules/catalogue.yaml must hold exactly the rule ids scenarios may cite"
    );
    for r in &rules {
        assert!(
            !r.title.is_empty() && r.title.chars().count() <= 80 && !r.title.contains('\n'),
            "{}: a title is one line of at most 80 characters",
            r.id
        );
        assert!(
            r.statement.trim().len() > 20,
            "{}: the statement says what the rule decides",
            r.id
        );
    }
}

#[test]
fn docs_rules_md_is_generated_from_the_catalogue() {
    let text = std::fs::read_to_string(root().join("docs/rules.md")).unwrap_or_default();
    assert!(
        text == pushsim::catalogue::markdown(),
        "docs/rules.md is out of date with rules/catalogue.yaml; regenerate it with\n  \
         cargo run --release -- rules --markdown > docs/rules.md"
    );
}

#[test]
fn scenarios_readme_lists_every_knob_of_every_preset() {
    let table = pushsim::scenario::knobs::presets_table();
    assert!(
        !table.contains(" ? |"),
        "a knob without its Profile field:\n{table}"
    );
    let readme = std::fs::read_to_string(root().join("scenarios/README.md")).expect("readable");
    let begin = "<!-- presets table: generated by scenario::knobs::presets_table -->\n";
    let found = readme
        .split_once(begin)
        .and_then(|(_, rest)| rest.split_once("\n<!-- end of presets table -->"))
        .map(|(t, _)| format!("{t}\n"));
    assert!(
        found.as_deref() == Some(table.as_str()),
        "scenarios/README.md's presets table is out of date; put this between its markers:\n{table}"
    );
}
