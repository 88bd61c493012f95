//! A JSON Schema (draft-07) validator for exactly the keywords that
//! `pushsim schema` emits, so the corpus can be validated against the
//! checked-in schema without a 30-crate validator dependency (jsonschema 0.61
//! with default features off pulls in num, fancy-regex, strum, parking_lot, …).
//! A keyword it does not know fails validation: it never passes silently.

use serde_json::{Map, Value};

/// Keywords that only annotate.
const ANNOTATIONS: &[&str] = &[
    "$schema",
    "$id",
    "title",
    "description",
    "default",
    "examples",
    "definitions",
    "format",
];

/// Validates `doc` against `root`; returns `path: problem` lines.
pub fn validate(root: &Value, doc: &Value) -> Vec<String> {
    let mut errors = Vec::new();
    check(root, root, doc, "$", &mut errors);
    errors
}

fn check(root: &Value, schema: &Value, doc: &Value, at: &str, errors: &mut Vec<String>) {
    let obj = match schema {
        Value::Bool(true) => return,
        Value::Bool(false) => return errors.push(format!("{at}: not allowed here")),
        Value::Object(o) => o,
        other => return errors.push(format!("{at}: bad schema {other}")),
    };
    for (key, v) in obj {
        match key.as_str() {
            k if ANNOTATIONS.contains(&k) => {}
            "$ref" => {
                let name = v.as_str().and_then(|r| r.strip_prefix("#/definitions/"));
                match name.and_then(|n| root["definitions"].get(n)) {
                    Some(target) => check(root, target, doc, at, errors),
                    None => errors.push(format!("{at}: unresolvable $ref {v}")),
                }
            }
            "type" => {
                let types: Vec<&str> = match v {
                    Value::String(t) => vec![t.as_str()],
                    Value::Array(ts) => ts.iter().filter_map(Value::as_str).collect(),
                    _ => vec![],
                };
                if !types.iter().any(|t| has_type(doc, t)) {
                    errors.push(format!("{at}: expected {}, got {doc}", types.join(" or ")));
                }
            }
            "enum" => {
                if !v.as_array().is_some_and(|a| a.contains(doc)) {
                    errors.push(format!("{at}: {doc} is not one of {v}"));
                }
            }
            "const" => {
                if v != doc {
                    errors.push(format!("{at}: expected {v}, got {doc}"));
                }
            }
            "properties" | "additionalProperties" | "required" => {
                if let Value::Object(d) = doc {
                    object_keyword(root, obj, key, v, d, at, errors);
                }
            }
            "items" => {
                if let Value::Array(items) = doc {
                    for (i, item) in items.iter().enumerate() {
                        // Draft-07 tuples: an array of schemas, one per position.
                        let schema = match v {
                            Value::Array(per_position) => match per_position.get(i) {
                                Some(s) => s,
                                None => continue, // `maxItems` judges extra items
                            },
                            single => single,
                        };
                        check(root, schema, item, &format!("{at}[{i}]"), errors);
                    }
                }
            }
            "minItems" | "maxItems" => {
                if let (Value::Array(items), Some(n)) = (doc, v.as_u64()) {
                    let len = items.len() as u64;
                    if key == "minItems" && len < n {
                        errors.push(format!("{at}: needs at least {n} items"));
                    }
                    if key == "maxItems" && len > n {
                        errors.push(format!("{at}: allows at most {n} items"));
                    }
                }
            }
            "minimum" | "maximum" => {
                if let (Some(x), Some(bound)) = (doc.as_f64(), v.as_f64()) {
                    let ok = if key == "minimum" {
                        x >= bound
                    } else {
                        x <= bound
                    };
                    if !ok {
                        errors.push(format!("{at}: {x} violates {key} {bound}"));
                    }
                }
            }
            "pattern" => {
                if let (Value::String(s), Some(p)) = (doc, v.as_str()) {
                    let re = regex::Regex::new(p).expect("schema patterns compile");
                    if !re.is_match(s) {
                        errors.push(format!("{at}: {s:?} does not match {p}"));
                    }
                }
            }
            "anyOf" | "oneOf" | "allOf" => {
                let subs = v.as_array().cloned().unwrap_or_default();
                let results: Vec<Vec<String>> = subs
                    .iter()
                    .map(|s| {
                        let mut e = Vec::new();
                        check(root, s, doc, at, &mut e);
                        e
                    })
                    .collect();
                let n_ok = results.iter().filter(|e| e.is_empty()).count();
                let ok = match key.as_str() {
                    "anyOf" => n_ok >= 1,
                    "oneOf" => n_ok == 1,
                    _ => n_ok == subs.len(),
                };
                if !ok {
                    let why: Vec<String> = results.into_iter().flatten().collect();
                    errors.push(format!(
                        "{at}: {key} failed ({n_ok} of {} alternatives match): {}",
                        subs.len(),
                        why.join("; ")
                    ));
                }
            }
            other => errors.push(format!("{at}: the test validator does not know `{other}`")),
        }
    }
}

fn object_keyword(
    root: &Value,
    schema: &Map<String, Value>,
    key: &str,
    v: &Value,
    doc: &Map<String, Value>,
    at: &str,
    errors: &mut Vec<String>,
) {
    let props = schema.get("properties").and_then(Value::as_object);
    match key {
        "properties" => {
            for (k, sub) in v.as_object().into_iter().flatten() {
                if let Some(x) = doc.get(k) {
                    check(root, sub, x, &format!("{at}.{k}"), errors);
                }
            }
        }
        "additionalProperties" => {
            for (k, x) in doc {
                if !props.is_some_and(|p| p.contains_key(k)) {
                    check(root, v, x, &format!("{at}.{k}"), errors);
                }
            }
        }
        _ => {
            for k in v.as_array().into_iter().flatten().filter_map(Value::as_str) {
                if !doc.contains_key(k) {
                    errors.push(format!("{at}: missing key `{k}`"));
                }
            }
        }
    }
}

fn has_type(doc: &Value, t: &str) -> bool {
    match t {
        "null" => doc.is_null(),
        "boolean" => doc.is_boolean(),
        "object" => doc.is_object(),
        "array" => doc.is_array(),
        "string" => doc.is_string(),
        "number" => doc.is_number(),
        "integer" => doc.is_i64() || doc.is_u64(),
        _ => false,
    }
}
