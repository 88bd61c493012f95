//! OPPO's stateful parts: the signed auth and the unicast, which checks the
//! `message` JSON (channel id, JSON `action_parameters`, category) like OPPO.

use super::model::{Handlers, Model, Parsed, Reply, CLOCK_WINDOW_MS};
use crate::core::time::SimTime;
use crate::vendor::oppo::sign;
use serde_json::Value;

/// Responses this model names (a test checks that `mocks/oppo.yaml` has them).
pub const RESPONSES: &[&str] = &[
    "token_ok",
    "invalid_app_key",
    "invalid_signature",
    "invalid_timestamp",
    "ok",
    "invalid_auth_token",
    "missing_auth_token",
    "invalid_registration_id",
    "invalid_arguments",
    "category_error",
    "not_found",
];

/// New-classification categories OPPO accepts (2024).
const CATEGORIES: &[&str] = &[
    "IM",
    "ACCOUNT",
    "DEVICE_REMINDER",
    "ORDER",
    "TODO",
    "SUBSCRIPTION",
    "NEWS",
    "CONTENT",
    "MARKETING",
    "SOCIAL",
];

/// The handlers routes name in `mocks/oppo.yaml`.
pub const HANDLERS: Handlers = &[("auth", auth), ("send", send)];

fn auth(model: &mut Model, p: &Parsed<'_>, now: SimTime) -> Reply {
    let c = &model.spec.credentials;
    if p.form.get("app_key") != Some(&c.client_id) {
        return Reply::plain("invalid_app_key");
    }
    let Some(ts) = p.form.get("timestamp").and_then(|t| t.parse::<i64>().ok()) else {
        return Reply::plain("invalid_timestamp");
    };
    if (ts - now.0).abs() > CLOCK_WINDOW_MS {
        return Reply::plain("invalid_timestamp");
    }
    if p.form.get("sign").map(String::as_str) != Some(sign(&c.client_id, ts, &c.secret).as_str()) {
        return Reply::plain("invalid_signature");
    }
    let token = model.issue_token("oppo-auth-", now);
    Reply::with(
        "token_ok",
        vec![("auth_token", token), ("create_time", now.0.to_string())],
    )
}

/// A notification field in either spelling (`channel_id` / `channelId`).
fn field<'v>(n: &'v Value, snake: &str, camel: &str) -> Option<&'v Value> {
    n.get(snake).or_else(|| n.get(camel))
}

fn send(model: &mut Model, p: &Parsed<'_>, now: SimTime) -> Reply {
    // The doc puts auth_token in the form; some SDKs send a header: accept both.
    let token = p
        .form
        .get("auth_token")
        .map(String::as_str)
        .or_else(|| p.req.header("auth_token"));
    match token.filter(|t| !t.is_empty()) {
        None => return Reply::plain("missing_auth_token"),
        Some(t) if model.token_state(t, now) != Some(true) => {
            return Reply::plain("invalid_auth_token")
        }
        Some(_) => {}
    }
    let invalid =
        |detail: &str| Reply::with("invalid_arguments", vec![("detail", detail.to_string())]);
    let Some(m) = p
        .form
        .get("message")
        .and_then(|m| serde_json::from_str::<Value>(m).ok())
    else {
        return invalid("message must be a JSON object");
    };
    let Some(n) = m.get("notification") else {
        return invalid("notification is required");
    };
    let text = |s: &str, c: &str| field(n, s, c).and_then(Value::as_str).unwrap_or("");
    if text("title", "title").is_empty() || text("content", "content").is_empty() {
        return invalid("title and content are required");
    }
    if text("channel_id", "channelId").is_empty() {
        return invalid("channel_id is required for Android 8.0 and later");
    }
    if let Some(params) = field(n, "action_parameters", "actionParameters") {
        let is_json_object = params
            .as_str()
            .and_then(|s| serde_json::from_str::<Value>(s).ok())
            .is_some_and(|v| v.is_object());
        if !is_json_object {
            return invalid("action_parameters must be a JSON object string");
        }
    }
    let category = text("category", "category");
    if !category.is_empty() && !CATEGORIES.contains(&category) {
        return Reply::plain("category_error");
    }
    if field(n, "notify_level", "notifyLevel").is_some() && category.is_empty() {
        return Reply::plain("category_error");
    }
    let target = field(&m, "target_value", "targetValue")
        .and_then(Value::as_str)
        .unwrap_or("");
    if target.is_empty() || model.token_invalid(target) {
        return Reply::plain("invalid_registration_id");
    }
    let id = model.state.next_id();
    let app = model.spec.credentials.app_id.clone();
    Reply::with("ok", vec![("message_id", format!("{app}-1-1-{id:012}"))])
}
