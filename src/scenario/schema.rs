//! The JSON Schema of the scenario format, generated from the serde mirror in
//! `file.rs` (`#[derive(JsonSchema)]`, doc comments become descriptions) and
//! checked in as `scenarios/scenario.schema.json` for editors
//! (`pushsim schema` prints it; `tests/tidy.rs` fails when the file is stale).
//!
//! The derive covers the plain structs. What serde reads by hand (`Short`,
//! `Entries`, `ProfileFile`, …) gets a hand-written schema here, and so do the
//! string fields whose values come from code tables (platforms, vendors,
//! profiles, knobs): marker types used as `#[schemars(with = "Option<…>")]`, so
//! the schema follows the tables. A step (and an expectation) must have exactly
//! one action key of [`ACTION_KEYS`] ([`EXPECT_KEYS`]): added as a `oneOf`
//! by [`one_action`], so a new step kind needs only its field and its key there.
//!
//! The schema is draft-07, the draft yaml-language-server validates best.

use super::file::{
    DurationFile, Entries, GroupFile, MentionsFile, ProfileFile, ScenarioFile, Short, Value,
    ACTION_KEYS, EXPECT_KEYS,
};
use super::knobs::KNOBS;
use crate::core::model::{Platform, Vendor};
use crate::core::profile::Profile;
use schemars::{json_schema, JsonSchema, Schema, SchemaGenerator};
use serde_json::json;
use std::borrow::Cow;

/// The scenario JSON Schema, pretty-printed, with a final newline.
pub fn json_schema() -> String {
    let settings = schemars::generate::SchemaSettings::draft07();
    let mut schema = settings
        .into_generator()
        .into_root_schema_for::<ScenarioFile>();
    schema.insert("title".into(), json!("pushsim scenario"));
    let mut text = serde_json::to_string_pretty(&schema).expect("a schema serializes");
    text.push('\n');
    text
}

fn names(list: impl IntoIterator<Item = &'static str>) -> serde_json::Value {
    json!(list.into_iter().collect::<Vec<_>>())
}

/// Adds `oneOf: [{required: [k]} for k in keys]` to an object schema: exactly
/// one of `keys` is present.
fn exactly_one_of(schema: &mut Schema, keys: &[&str]) {
    let alternatives: Vec<serde_json::Value> =
        keys.iter().map(|k| json!({ "required": [k] })).collect();
    schema.insert("oneOf".into(), json!(alternatives));
}

/// `transform` of `StepFile`: exactly one action key.
pub(crate) fn one_action(schema: &mut Schema) {
    exactly_one_of(schema, ACTION_KEYS);
}

/// `transform` of `ExpectFile`: exactly one expectation kind.
pub(crate) fn one_expectation(schema: &mut Schema) {
    exactly_one_of(schema, EXPECT_KEYS);
}

macro_rules! marker {
    ($(#[$doc:meta])* $name:ident, $gen:ident => $body:expr) => {
        $(#[$doc])*
        pub(crate) struct $name;
        impl JsonSchema for $name {
            fn schema_name() -> Cow<'static, str> {
                stringify!($name).into()
            }
            fn json_schema($gen: &mut SchemaGenerator) -> Schema {
                $body
            }
        }
    };
}

marker!(
    /// A platform name.
    PlatformName, _g => json_schema!({
        "description": "The device platform; the per-platform device limit uses it.",
        "enum": names(Platform::ALL.iter().map(|p| p.name())),
    })
);

marker!(
    /// A vendor name.
    VendorName, _g => json_schema!({
        "description": "A push vendor channel.",
        "enum": names(Vendor::ALL.iter().map(|v| v.name())),
    })
);

marker!(
    /// A multi-device policy.
    MultiPolicyName, _g => json_schema!({
        "description": "The `multi.policy` knob (MDV-01).",
        "enum": ["all_offline", "any_offline", "per_device"],
    })
);

marker!(
    /// A remind type, any case.
    RemindName, _g => json_schema!({
        "description": "Remind type (RT-01): ALL, AT (= MENTION_ONLY) or NONE; any case.",
        "enum": ["ALL", "AT", "MENTION_ONLY", "NONE", "all", "at", "mention_only", "none"],
    })
);

marker!(
    /// A message kind.
    KindName, _g => json_schema!({
        "description": "Message kind; default text.",
        "enum": MESSAGE_KINDS,
    })
);

/// Message kinds `send.kind` accepts (`steps.rs`; a test loads each).
pub(crate) const MESSAGE_KINDS: &[&str] = &["text", "image", "custom", "call_invite", "control"];

marker!(
    /// A `user/device` reference.
    DeviceRef, _g => json_schema!({
        "description": "A declared device, written `user/device`.",
        "type": "string",
        "pattern": "^[^/]+/[^/]+$",
    })
);

marker!(
    /// A step or expectation time.
    AtText, _g => json_schema!({
        "description": "A clock time \"HH:MM[:SS]\" (next occurrence), a relative \"+30s\" / \"+1h30m\" / \"+1d\", or an RFC 3339 time.",
        "type": "string",
        "examples": ["07:00", "+30s", "2026-03-02T07:00:00+08:00"],
    })
);

marker!(
    /// The scenario's `start`.
    StartText, _g => json_schema!({
        "description": "The calendar time at t=0, RFC 3339 with an offset; its offset is the zone clock times are read in.",
        "type": "string",
        "examples": ["2026-03-01T21:00:00+08:00"],
    })
);

marker!(
    /// The format version.
    Version, _g => json_schema!({ "description": "Format version; only 1.", "const": 1 })
);

marker!(
    /// `expect: rejected` on a step.
    Rejected, _g => json_schema!({
        "description": "The service is expected to refuse this step (a rejected request is an event, not a load error).",
        "const": "rejected",
    })
);

marker!(
    /// A rule id list.
    RuleIds, _g => json_schema!({
        "description": "RULES.md ids this scenario covers (PRS-01, DNDW-04, D-03, A-02, E-13, …); checked against the catalogue. `pushsim coverage` reads them.",
        "type": "array",
        "minItems": 1,
        "items": { "enum": names(super::rules::RULE_IDS.iter().copied()) },
    })
);

impl<T: JsonSchema> JsonSchema for Entries<T> {
    fn schema_name() -> Cow<'static, str> {
        format!("Entries_{}", T::schema_name()).into()
    }
    fn json_schema(g: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "object",
            "additionalProperties": g.subschema_for::<T>(),
        })
    }
}

impl<T: JsonSchema> JsonSchema for Short<T> {
    fn schema_name() -> Cow<'static, str> {
        format!("Short_{}", T::schema_name()).into()
    }
    fn json_schema(g: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "The short form (a name) or the mapping form.",
            "anyOf": [{ "type": "string" }, g.subschema_for::<T>()],
        })
    }
}

impl JsonSchema for ProfileFile {
    fn schema_name() -> Cow<'static, str> {
        "Profile".into()
    }
    fn json_schema(_g: &mut SchemaGenerator) -> Schema {
        let mut knobs = serde_json::Map::new();
        knobs.insert(
            "base".into(),
            json!({ "description": "The preset the knobs modify; default easemob.", "enum": Profile::NAMES }),
        );
        for (knob, values) in KNOBS {
            knobs.insert(knob.to_string(), knob_schema(values));
        }
        json_schema!({
            "description": "Semantics profile: a preset name, or a mapping with `base` and RULES.md §12 knobs by their dotted names. Default easemob.",
            "anyOf": [
                { "enum": Profile::NAMES },
                { "type": "object", "properties": knobs, "additionalProperties": false },
            ],
        })
    }
}

/// A knob's value schema, read from its description in the knob table.
fn knob_schema(values: &str) -> serde_json::Value {
    let alternatives: Vec<&str> = values.split(" | ").collect();
    if values == "true | false" {
        json!({ "type": "boolean" })
    } else if values == "an integer ≥ 1" {
        json!({ "type": "integer", "minimum": 1 })
    } else if values.starts_with("an integer ≥ 0") {
        json!({ "type": "integer", "minimum": 0, "description": values })
    } else if values.starts_with("a list of vendors") {
        json!({ "type": "array", "items": { "enum": names(Vendor::ALL.iter().map(|v| v.name())) }, "description": values })
    } else if alternatives.len() > 1 && alternatives.iter().all(|a| !a.contains(' ')) {
        json!({ "enum": alternatives })
    } else {
        json!({ "description": values })
    }
}

impl JsonSchema for Value {
    fn schema_name() -> Cow<'static, str> {
        "Value".into()
    }
    fn json_schema(_g: &mut SchemaGenerator) -> Schema {
        json_schema!({})
    }
}

impl JsonSchema for GroupFile {
    fn schema_name() -> Cow<'static, str> {
        "Group".into()
    }
    fn json_schema(_g: &mut SchemaGenerator) -> Schema {
        let members = json!({ "type": "array", "items": { "type": "string" }, "description": "Declared users, each once." });
        json_schema!({
            "description": "A member list, or `{members: [...]}`.",
            "anyOf": [
                members.clone(),
                { "type": "object", "properties": { "members": members }, "required": ["members"], "additionalProperties": false },
            ],
        })
    }
}

impl JsonSchema for DurationFile {
    fn schema_name() -> Cow<'static, str> {
        "Duration".into()
    }
    fn json_schema(_g: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "An integer in the profile's unit (settings.duration_unit: ms for easemob, minutes for easemob-native), passed raw; or a duration such as \"2h\", \"30m\", \"90s\", \"7d\", \"1h30m\" converted to that unit.",
            "anyOf": [
                { "type": "integer" },
                { "type": "string", "pattern": "^([0-9]+(d|h|ms|m|s))+$" },
            ],
        })
    }
}

impl JsonSchema for MentionsFile {
    fn schema_name() -> Cow<'static, str> {
        "Mentions".into()
    }
    fn json_schema(_g: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "Mentioned users (MSG-06), or `all`.",
            "anyOf": [
                { "const": "all" },
                { "type": "array", "items": { "type": "string" } },
            ],
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schema() -> serde_json::Value {
        serde_json::from_str(&json_schema()).unwrap()
    }

    #[test]
    fn every_step_action_and_expectation_kind_is_a_property() {
        let s = schema();
        let defs = &s["definitions"];
        for k in ACTION_KEYS {
            assert!(
                defs["StepFile"]["properties"][k].is_object(),
                "step key {k}"
            );
        }
        for k in EXPECT_KEYS {
            assert!(
                defs["ExpectFile"]["properties"][k].is_object(),
                "expect key {k}"
            );
        }
        assert_eq!(
            defs["StepFile"]["oneOf"].as_array().unwrap().len(),
            ACTION_KEYS.len()
        );
        assert_eq!(defs["StepFile"]["additionalProperties"], json!(false));
    }

    #[test]
    fn top_level_keys_and_required_ones_match_the_reader() {
        let s = schema();
        let props: Vec<&str> = s["properties"]
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        let mut want = super::super::file::TOP_KEYS.to_vec();
        let mut got = props.clone();
        want.sort_unstable();
        got.sort_unstable();
        assert_eq!(got, want);
        assert_eq!(s["required"], json!(["name", "about", "rules", "start"]));
        assert_eq!(s["additionalProperties"], json!(false));
    }

    #[test]
    fn every_knob_has_a_typed_value() {
        let s = schema();
        let knobs = &s["definitions"]["Profile"]["anyOf"][1]["properties"];
        for (k, _) in KNOBS {
            let v = &knobs[k];
            assert!(
                v.get("type").is_some() || v.get("enum").is_some(),
                "knob {k}: {v}"
            );
        }
    }

    #[test]
    fn listed_message_kinds_load() {
        for kind in MESSAGE_KINDS {
            let text = format!(
                "name: n\nabout: a\nrules: [MSG-01]\nstart: 2026-03-01T09:00:00+08:00\n\
                 users: {{a: {{}}, b: {{}}}}\nsteps:\n  - at: \"09:00\"\n    send: {{ from: a, to: b, text: t, kind: {kind}, desc: d }}\n"
            );
            assert!(super::super::load_str("k.yaml", &text).is_ok(), "{kind}");
        }
    }
}
