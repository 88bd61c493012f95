//! Which rules the coverage gate requires, and under which profiles.
//!
//! Every RULES.md id is required by default: some scenario (any profile) must
//! cite it. Two reviewed exceptions, each with its reason:
//! - [`Scope::Profiles`]: the rule exists to pin down a behaviour of named
//!   required profiles (tencent's doBackground, zego's platform rule, the
//!   per-profile values of a `D-xx` row), so only scenarios run under one of
//!   *each* of those profiles count (`easemob-native` counts as `easemob`);
//! - [`Scope::NotRequired`]: the rule concerns only profiles outside the
//!   required three (openim, stream, netease, …) or is out of scope by
//!   RULES.md's own words. Such rules are listed, never gate.
//!
//! Change this table when RULES.md changes, in the same review.

/// The profiles RULES.md requires (its "How to use it").
pub const REQUIRED_PROFILES: &[&str] = &["easemob", "tencent", "zego"];

/// How a rule is covered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    /// Any scenario citing the rule covers it.
    Any,
    /// For each listed profile, a scenario under it must cite the rule.
    Profiles(&'static [&'static str]),
    /// Listed but not gating, with the reason.
    NotRequired(&'static str),
}

const TENCENT: &[&str] = &["tencent"];
const ZEGO: &[&str] = &["zego"];
const EASEMOB_TENCENT: &[&str] = &["easemob", "tencent"];
const EASEMOB_ZEGO: &[&str] = &["easemob", "zego"];
const ALL_THREE: &[&str] = &["easemob", "tencent", "zego"];

/// The exceptions, sorted by id (checked by a test).
const TABLE: &[(&str, Scope)] = &[
    ("BDG-02", Scope::Profiles(TENCENT)),
    ("BDG-03", Scope::NotRequired("openim badge model")),
    ("BDG-04", Scope::Profiles(ZEGO)),
    (
        "BDG-05",
        Scope::NotRequired("cometchat / matrix badge models"),
    ),
    (
        "CNT-07",
        Scope::NotRequired("vendor constraints: non-functional for the harness (RULES.md)"),
    ),
    (
        "CNT-08",
        Scope::NotRequired("click-through: out of scope for server conformance (RULES.md)"),
    ),
    ("D-01", Scope::Profiles(EASEMOB_TENCENT)),
    ("D-02", Scope::Profiles(TENCENT)),
    ("D-04", Scope::Profiles(EASEMOB_ZEGO)),
    ("D-05", Scope::NotRequired("stream only")),
    ("D-06", Scope::Profiles(ALL_THREE)),
    ("D-09", Scope::Profiles(EASEMOB_TENCENT)),
    ("D-10", Scope::Profiles(TENCENT)),
    ("D-13", Scope::Profiles(ALL_THREE)),
    ("D-15", Scope::Profiles(TENCENT)),
    ("D-19", Scope::NotRequired("openim only")),
    ("D-22", Scope::Profiles(EASEMOB_ZEGO)),
    (
        "DLV-02",
        Scope::NotRequired("retention: rongcloud only, [gap] elsewhere"),
    ),
    ("DNDW-09", Scope::Profiles(TENCENT)),
    ("E-20", Scope::Profiles(EASEMOB_TENCENT)),
    ("E-25", Scope::Profiles(ALL_THREE)),
    ("E-28", Scope::Profiles(EASEMOB_TENCENT)),
    ("E-29", Scope::Profiles(TENCENT)),
    ("E-34", Scope::Profiles(EASEMOB_TENCENT)),
    ("E-44", Scope::NotRequired("netease profile")),
    ("E-45", Scope::Profiles(ZEGO)),
    ("E-46", Scope::NotRequired("stream profile")),
    ("E-47", Scope::NotRequired("openim profile")),
    (
        "E-48",
        Scope::NotRequired("openim profile; the ref reading is RT-03"),
    ),
    ("MSG-05", Scope::Profiles(TENCENT)),
    ("MSG-11", Scope::Profiles(TENCENT)),
    ("PRS-04", Scope::Profiles(TENCENT)),
    ("PRS-09", Scope::Profiles(TENCENT)),
    ("VND-04", Scope::NotRequired("openim single provider")),
    (
        "VND-05",
        Scope::NotRequired("rongcloud channel negotiation"),
    ),
    (
        "VND-06",
        Scope::NotRequired("APNs is not among the mocked vendors, VENDORS.md"),
    ),
];

/// The scope of `rule`.
pub fn scope(rule: &str) -> Scope {
    TABLE
        .binary_search_by(|(id, _)| (*id).cmp(rule))
        .map_or(Scope::Any, |i| TABLE[i].1)
}

/// The required profile a scenario's profile counts for: `easemob-native`
/// (and any `easemob-…` variant) counts as `easemob`; other names as themselves.
pub fn family(profile: &str) -> &str {
    REQUIRED_PROFILES
        .iter()
        .find(|p| {
            profile == **p
                || profile
                    .strip_prefix(**p)
                    .is_some_and(|r| r.starts_with('-'))
        })
        .copied()
        .unwrap_or(profile)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::rules::is_rule;

    #[test]
    fn table_is_sorted_and_names_catalogue_rules_and_required_profiles() {
        for w in TABLE.windows(2) {
            assert!(w[0].0 < w[1].0, "{} then {}", w[0].0, w[1].0);
        }
        for (id, s) in TABLE {
            assert!(is_rule(id), "{id} is not a RULES.md id");
            if let Scope::Profiles(ps) = s {
                assert!(ps.iter().all(|p| REQUIRED_PROFILES.contains(p)), "{id}");
            }
        }
        assert_eq!(scope("PRS-04"), Scope::Profiles(TENCENT));
        assert_eq!(scope("PRS-01"), Scope::Any);
    }

    #[test]
    fn variants_count_for_their_family() {
        assert_eq!(family("easemob-native"), "easemob");
        assert_eq!(family("easemob"), "easemob");
        assert_eq!(family("tencent"), "tencent");
        assert_eq!(family("easemobx"), "easemobx");
        assert_eq!(family("openim"), "openim");
    }
}
