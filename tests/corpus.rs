//! The corpus as tests: every `scenarios/**/*.yaml` is its own named test
//! (`dnd::window_crosses_midnight`), so `cargo test dnd::` filters and nextest
//! shards. Each test loads the file, runs it, checks its `expect:` and asserts
//! its insta snapshot in `snapshots/<id>.snap`. A new YAML file needs no code.

use libtest_mimic::{Arguments, Failed, Trial};
use pushsim::outcome;
use pushsim::run::runner::{self, RunConfig};
use std::path::{Path, PathBuf};

fn scenarios_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios")
}

fn run_one(path: &Path) -> Result<(), Failed> {
    let plan = pushsim::scenario::load_file(path).map_err(|d| {
        d.iter()
            .map(|d| d.to_string())
            .collect::<Vec<_>>()
            .join("\n")
    })?;
    let run = runner::run(&plan, &RunConfig::standard());
    let outcome = outcome::summarize(&plan, run.trace);
    let text = outcome::render(&plan, &outcome);
    let mismatches = outcome::check(&plan, &outcome);
    if !mismatches.is_empty() {
        let mut msg = format!("{} expectation(s) failed:\n", mismatches.len());
        for m in mismatches {
            msg.push_str(&format!(
                "  line {}: expected {}\n    got {}\n",
                m.line, m.expected, m.actual
            ));
        }
        msg.push_str(&format!(
            "repro: pushsim run {} --seed {}\n\n{text}",
            path.display(),
            plan.seed
        ));
        return Err(msg.into());
    }
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path("../snapshots");
    settings.set_prepend_module_to_snapshot(false);
    settings.set_input_file(path);
    settings.set_omit_expression(true);
    settings.set_description(plan.name.clone());
    let id = plan.id.clone();
    let exists = pushsim::snapshot::path_for(&plan).exists()
        || Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("snapshots")
            .join(format!("{id}.snap"))
            .exists();
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        settings.bind(|| insta::assert_snapshot!(id, text))
    }))
    .map_err(|_| {
        let accept = format!(
            "`cargo run --release -- run scenarios/{} --accept` writes it (read the change, commit it)",
            path.strip_prefix(scenarios_dir()).unwrap_or(path).display()
        );
        Failed::from(if exists {
            format!("snapshot snapshots/{}.snap differs (see the diff above); {accept}", plan.id)
        } else {
            format!("no snapshot snapshots/{}.snap yet; {accept}", plan.id)
        })
    })
}

fn main() {
    let args = Arguments::from_args();
    let files = pushsim::cli::collect(&[scenarios_dir()]).expect("scenarios/ is readable");
    let root = scenarios_dir();
    let trials = files
        .into_iter()
        .map(|path| {
            let rel = path.strip_prefix(&root).unwrap_or(&path).with_extension("");
            let name = rel.to_string_lossy().replace(['/', '\\'], "::");
            Trial::test(name, move || run_one(&path))
        })
        .collect();
    libtest_mimic::run(&args, trials).exit();
}
