//! Huawei's stateful parts: the client-credentials exchange and the send.

use super::model::{
    client_credentials, payload_bytes, Handlers, Model, Parsed, Reply, PAYLOAD_BYTES_MAX,
};
use crate::core::time::SimTime;
use crate::vendor::wire::at;

/// Responses this model names (a test checks that `mocks/huawei.yaml` has them).
pub const RESPONSES: &[&str] = &[
    "token_ok",
    "invalid_client",
    "ok",
    "all_tokens_invalid",
    "partial_invalid",
    "body_too_big",
    "not_found",
];

/// The handlers routes name in `mocks/huawei.yaml`.
pub const HANDLERS: Handlers = &[("token", token), ("send", send)];

fn token(model: &mut Model, p: &Parsed<'_>, now: SimTime) -> Reply {
    // Real tokens contain '+', '/' and '=' (VENDORS.md §2.1).
    client_credentials(model, p, now, |n| format!("DQEhw{n:06}/pushsim+token="))
}

/// The route's checks have authenticated the request (80200001 / 80200003).
fn send(model: &mut Model, p: &Parsed<'_>, _now: SimTime) -> Reply {
    let body = p.json.as_ref().expect("the route checks the JSON body");
    let message = at(body, "message").and_then(|m| m.as_object());
    let message = message.expect("the route checks message is an object");
    if payload_bytes(message, &["token", "topic", "condition"]) > PAYLOAD_BYTES_MAX {
        return Reply::plain("body_too_big");
    }
    let tokens: Vec<&str> = at(body, "message.token")
        .and_then(|t| t.as_array())
        .map(|a| a.iter().filter_map(|t| t.as_str()).collect())
        .unwrap_or_default();
    let illegal: Vec<&str> = tokens
        .iter()
        .copied()
        .filter(|t| model.token_invalid(t))
        .collect();
    let id = model.state.next_id();
    let request_id = format!("pushsim{id:012}");
    if illegal.is_empty() {
        return Reply::with("ok", vec![("request_id", request_id)]);
    }
    if illegal.len() == tokens.len() {
        return Reply::with("all_tokens_invalid", vec![("request_id", request_id)]);
    }
    let msg = serde_json::json!({
        "success": tokens.len() - illegal.len(),
        "failure": illegal.len(),
        "illegal_tokens": illegal,
    });
    Reply::with(
        "partial_invalid",
        vec![("request_id", request_id), ("msg", msg.to_string())],
    )
}
