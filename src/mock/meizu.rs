//! Meizu's stateful parts: the MD5 parameter signature and the send, with
//! per-target failures reported in `value` (unregistered pushIds, and the
//! daily count of public messages per pushId).

use super::model::{Handlers, Model, Parsed, Reply};
use crate::core::time::SimTime;
use crate::vendor::meizu::sign;
use crate::vendor::wire::{at, int_of, str_at};
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

fn send(model: &mut Model, p: &Parsed<'_>, now: SimTime) -> Reply {
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
    let (unregistered, valid): (Vec<&str>, Vec<&str>) =
        ids.iter().copied().partition(|t| model.token_invalid(t));
    let over_limit = if notice_msg_type(&m) == PUBLIC {
        count_public(model, &valid, now)
    } else {
        Vec::new()
    };
    if unregistered.is_empty() && over_limit.is_empty() {
        return Reply::with("ok", vec![("msg_id", msg_id)]);
    }
    let list = |ids: &[&str]| serde_json::to_string(ids).expect("JSON serializes");
    Reply::with(
        "ok_failed_targets",
        vec![
            ("msg_id", msg_id),
            ("unregistered", list(&unregistered)),
            ("over_limit", list(&over_limit)),
        ],
    )
}

/// `noticeBarInfo.noticeMsgType`: 0 public (公信, the default), 1 private.
const PUBLIC: i64 = 0;

fn notice_msg_type(m: &Value) -> i64 {
    at(m, "noticeBarInfo.noticeMsgType")
        .and_then(|v| int_of(Some(v)))
        .unwrap_or(PUBLIC)
}

/// Counts a public message for each pushId against the app's
/// `public_daily_limit` for the Meizu day (UTC+8); returns the pushIds already
/// at the limit, which are not sent (110011, reported per pushId in `value`).
fn count_public<'a>(model: &mut Model, ids: &[&'a str], now: SimTime) -> Vec<&'a str> {
    let limit = model
        .spec
        .app
        .get("public_daily_limit")
        .and_then(|l| l.parse::<u64>().ok())
        .unwrap_or(u64::MAX);
    model.roll_day(now);
    let mut over = Vec::new();
    for id in ids {
        let count = model.state.daily.entry(format!("public:{id}")).or_insert(0);
        if *count >= limit {
            over.push(*id);
        } else {
            *count += 1;
        }
    }
    over
}
