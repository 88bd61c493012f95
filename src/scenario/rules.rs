//! The rule catalogue: every rule id of RULES.md, so `rules:` entries can be
//! checked (a typo is a load error).
//!
//! Generated from RULES.md (definitions: `**ID**` paragraphs and `| ID |` table
//! rows); regenerate with:
//!
//! ```text
//! grep -oE '^(\*\*|\| )(PRS|MDV|TOK|MSG|RT|DNDW|DNDD|DNDX|NQ|BDG|CNT|VND|DLV|D|A|E)-[0-9]{2,3}\b' RULES.md \
//!   | sed -E 's/^(\*\*|\| )//' | LC_ALL=C sort -u
//! ```

/// Every rule id of RULES.md, sorted (byte order) and unique.
pub const RULE_IDS: &[&str] = &[
    "A-01", "A-02", "A-03", "A-04", "A-05", "A-06", "A-07", "A-08", "A-09", "A-10", "A-11", "A-12",
    "A-13", "A-14", "A-15", "A-16", "A-17", "A-18", "A-19", "A-20", "A-21", "A-22", "A-23", "A-24",
    "BDG-01", "BDG-02", "BDG-03", "BDG-04", "BDG-05", "BDG-06", "CNT-01", "CNT-02", "CNT-03",
    "CNT-04", "CNT-05", "CNT-06", "CNT-07", "CNT-08", "D-01", "D-02", "D-03", "D-04", "D-05",
    "D-06", "D-07", "D-08", "D-09", "D-10", "D-11", "D-12", "D-13", "D-14", "D-15", "D-16", "D-17",
    "D-18", "D-19", "D-20", "D-21", "D-22", "D-23", "D-24", "D-25", "DLV-01", "DLV-02", "DLV-03",
    "DLV-04", "DLV-05", "DNDD-01", "DNDD-02", "DNDD-03", "DNDD-04", "DNDD-05", "DNDW-01",
    "DNDW-02", "DNDW-03", "DNDW-04", "DNDW-05", "DNDW-06", "DNDW-07", "DNDW-08", "DNDW-09",
    "DNDX-01", "DNDX-02", "DNDX-03", "DNDX-04", "DNDX-05", "E-01", "E-02", "E-03", "E-04", "E-06",
    "E-07", "E-08", "E-10", "E-11", "E-13", "E-14", "E-15", "E-17", "E-18", "E-20", "E-21", "E-22",
    "E-23", "E-25", "E-26", "E-28", "E-29", "E-31", "E-34", "E-35", "E-37", "E-38", "E-39", "E-41",
    "E-43", "E-44", "E-45", "E-46", "E-47", "E-48", "E-49", "E-50", "E-52", "E-53", "MDV-01",
    "MDV-02", "MDV-03", "MDV-04", "MDV-05", "MDV-06", "MDV-07", "MSG-01", "MSG-02", "MSG-03",
    "MSG-04", "MSG-05", "MSG-06", "MSG-07", "MSG-08", "MSG-09", "MSG-10", "MSG-11", "MSG-12",
    "MX-01", "NQ-01", "NQ-02", "NQ-03", "NQ-04", "PRS-01", "PRS-02", "PRS-03", "PRS-04", "PRS-05",
    "PRS-06", "PRS-07", "PRS-08", "PRS-09", "PRS-10", "PRS-11", "RT-01", "RT-02", "RT-03", "RT-04",
    "RT-05", "RT-06", "TOK-01", "TOK-02", "TOK-03", "TOK-04", "TOK-05", "TOK-06", "TOK-07",
    "TOK-08", "TOK-09", "TOK-10", "VND-01", "VND-02", "VND-03", "VND-04", "VND-05", "VND-06",
];

/// Whether `id` is a rule id of the catalogue.
pub fn is_rule(id: &str) -> bool {
    RULE_IDS.binary_search(&id).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalogue_is_sorted_and_unique() {
        for w in RULE_IDS.windows(2) {
            assert!(w[0] < w[1], "{} then {}", w[0], w[1]);
        }
    }

    #[test]
    fn catalogue_covers_every_family() {
        for fam in [
            "PRS-", "MDV-", "TOK-", "MSG-", "RT-", "DNDW-", "DNDD-", "DNDX-", "NQ-", "BDG-",
            "CNT-", "VND-", "DLV-", "D-", "A-", "E-",
        ] {
            assert!(RULE_IDS.iter().any(|r| r.starts_with(fam)), "{fam}");
        }
        assert!(is_rule("DNDW-04") && is_rule("E-53") && !is_rule("DNDW-4"));
    }
}
