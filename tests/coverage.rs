//! The corpus covers every rule of the catalogue, or lists it with a reason in
//! scenarios/coverage-gaps.txt — and that list holds no rule that is covered.

use pushsim::coverage::{gate, parse_gaps, Coverage, GAPS_FILE};
use std::path::Path;

#[test]
fn every_rule_is_cited_or_a_listed_gap() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    let files = pushsim::cli::collect(std::slice::from_ref(&dir)).expect("scenarios/ is readable");
    let plans: Vec<_> = files
        .iter()
        .map(|f| pushsim::scenario::load_file(f).unwrap_or_else(|d| panic!("{}", d[0])))
        .collect();
    let text = std::fs::read_to_string(dir.join(GAPS_FILE)).expect("the gap list exists");
    let gaps = parse_gaps(&text).unwrap_or_else(|e| panic!("{e}"));
    let v = gate(&Coverage::of(&plans), &gaps);
    assert!(
        v.missing.is_empty(),
        "uncovered and not listed in {GAPS_FILE}: {:?}",
        v.missing
    );
    let stale: Vec<_> = v.stale.iter().map(|g| &g.rule).collect();
    assert!(
        stale.is_empty(),
        "listed in {GAPS_FILE} but covered: {stale:?}"
    );
}

#[test]
fn the_gap_list_needs_known_ids_and_reasons() {
    assert!(parse_gaps("# c\n\nPRS-01  because\n").is_ok());
    assert!(parse_gaps("PRS-99 because")
        .unwrap_err()
        .contains("not a RULES.md rule id"));
    assert!(parse_gaps("PRS-01").unwrap_err().contains("needs a reason"));
}
