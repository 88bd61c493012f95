//! Meizu's stateful parts: the MD5 parameter signature and the send, with
//! per-target failures reported in `value`.

use super::model::{Handlers, Model, Parsed, Reply};
use crate::core::time::SimTime;
use crate::vendor::meizu::sign;
use crate::vendor::wire::str_at;
use serde_json::Value;
use std::collections::BTreeMap;

/// Responses this model names (a test checks that `mocks/meizu.yaml` has them).
pub const RESPONSES: &[&str] = &[
    "ok",
    "ok_failed_targets",
    "sign_failed",
    "invalid_app_id",
    "parameter_error",
    "not_found",
];

/// The handlers routes name in `mocks/meizu.yaml`.
pub const HANDLERS: Handlers = &[("send", send)];

fn send(model: &mut Model, p: &Parsed<'_>, _now: SimTime) -> Reply {
    let c = &model.spec.credentials;
    let params: BTreeMap<String, String> = p.form.clone();
    if params.get("sign").map(String::as_str) != Some(sign(&params, &c.secret).as_str()) {
        return Reply::plain("sign_failed");
    }
    if params.get("appId") != Some(&c.app_id) {
        return Reply::plain("invalid_app_id");
    }
    let error = |detail: &str| Reply::with("parameter_error", vec![("detail", detail.to_string())]);
    let Some(m) = params
        .get("messageJson")
        .and_then(|m| serde_json::from_str::<Value>(m).ok())
    else {
        return error("messageJson must be JSON");
    };
    let len = |path: &str| str_at(&m, path).map(|s| s.chars().count()).unwrap_or(0);
    if !(1..=32).contains(&len("noticeBarInfo.title"))
        || !(1..=100).contains(&len("noticeBarInfo.content"))
    {
        return error("noticeBarInfo.title (1-32) and content (1-100) are required");
    }
    let ids: Vec<&str> = params
        .get("pushIds")
        .map(|s| s.split(',').filter(|s| !s.is_empty()).collect())
        .unwrap_or_default();
    if ids.is_empty() || ids.len() > 100 {
        return error("pushIds: 1 to 100 ids");
    }
    let id = model.state.next_id();
    let msg_id = format!("NS{id:016}");
    let bad: Vec<&str> = ids
        .iter()
        .copied()
        .filter(|t| model.token_invalid(t))
        .collect();
    if bad.is_empty() {
        return Reply::with("ok", vec![("msg_id", msg_id)]);
    }
    let list = serde_json::to_string(&bad).expect("JSON serializes");
    Reply::with(
        "ok_failed_targets",
        vec![("msg_id", msg_id), ("failed", list)],
    )
}
