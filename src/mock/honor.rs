//! Honor's stateful parts: the client-credentials exchange and sendMessage.

use super::model::{client_credentials, Handlers, Model, Parsed, Reply};
use crate::core::time::SimTime;
use crate::vendor::wire::at;

/// Responses this model names (a test checks that `mocks/honor.yaml` has them).
pub const RESPONSES: &[&str] = &[
    "token_ok",
    "invalid_client",
    "ok",
    "expire_tokens",
    "not_found",
];

/// The handlers routes name in `mocks/honor.yaml`.
pub const HANDLERS: Handlers = &[("token", token), ("send", send)];

fn token(model: &mut Model, p: &Parsed<'_>, now: SimTime) -> Reply {
    client_credentials(model, p, now, |n| format!("honor-at-{n:06}"))
}

/// The route's checks have authenticated the request.
fn send(model: &mut Model, p: &Parsed<'_>, _now: SimTime) -> Reply {
    let body = p.json.as_ref().expect("the route checks the JSON body");
    let tokens: Vec<&str> = at(body, "token")
        .and_then(|t| t.as_array())
        .map(|a| a.iter().filter_map(|t| t.as_str()).collect())
        .unwrap_or_default();
    let expired: Vec<&str> = tokens
        .iter()
        .copied()
        .filter(|t| model.token_invalid(t))
        .collect();
    let id = model.state.next_id();
    let request_id = format!("honor{id:012}");
    if !expired.is_empty() {
        let list = serde_json::to_string(&expired).expect("JSON serializes");
        return Reply::with(
            "expire_tokens",
            vec![("request_id", request_id), ("expired", list)],
        );
    }
    Reply::with("ok", vec![("request_id", request_id)])
}
