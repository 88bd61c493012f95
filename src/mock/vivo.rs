//! vivo's stateful parts: the MD5-signed auth and the single push, which
//! checks appId, targets, classification/category and repeated requestIds
//! like vivo.

use super::model::{Handlers, Model, Parsed, Reply, CLOCK_WINDOW_MS};
use crate::core::time::SimTime;
use crate::vendor::vivo::sign;
use crate::vendor::wire::{int_of, str_at};

/// Responses this model names (a test checks that `mocks/vivo.yaml` has them).
pub const RESPONSES: &[&str] = &[
    "token_ok",
    "app_not_found",
    "sign_wrong",
    "timestamp_illegal",
    "ok",
    "app_id_mismatch",
    "invalid_regid",
    "invalid_category",
    "category_mismatch",
    "no_target",
    "request_id_duplicate",
    "not_found",
];

const SYSTEM: &[&str] = &[
    "IM",
    "ACCOUNT",
    "TODO",
    "DEVICE_REMINDER",
    "ORDER",
    "SUBSCRIPTION",
];
const OPERATION: &[&str] = &["NEWS", "CONTENT", "MARKETING", "SOCIAL"];

/// The handlers routes name in `mocks/vivo.yaml`.
pub const HANDLERS: Handlers = &[("auth", auth), ("send", send)];

fn auth(model: &mut Model, p: &Parsed<'_>, now: SimTime) -> Reply {
    let c = &model.spec.credentials;
    let Some(b) = &p.json else {
        return Reply::plain("app_not_found");
    };
    let app_id = int_of(b.get("appId"))
        .map(|i| i.to_string())
        .unwrap_or_default();
    if app_id != c.app_id || str_at(b, "appKey") != Some(c.client_id.as_str()) {
        return Reply::plain("app_not_found");
    }
    let Some(ts) = int_of(b.get("timestamp")) else {
        return Reply::plain("timestamp_illegal");
    };
    if (ts - now.0).abs() > CLOCK_WINDOW_MS {
        return Reply::plain("timestamp_illegal");
    }
    if str_at(b, "sign") != Some(sign(&c.app_id, &c.client_id, ts, &c.secret).as_str()) {
        return Reply::plain("sign_wrong");
    }
    let token = model.issue_token("vivo-auth-", now);
    Reply::with("token_ok", vec![("auth_token", token)])
}

/// The route's checks have authenticated the request and checked the fields
/// vivo's SDK validates (requestId, title, content, clientCustomMap).
fn send(model: &mut Model, p: &Parsed<'_>, now: SimTime) -> Reply {
    let b = p.json.as_ref().expect("the route checks the JSON body");
    if int_of(b.get("appId")).map(|i| i.to_string()).as_deref()
        != Some(model.spec.credentials.app_id.as_str())
    {
        return Reply::plain("app_id_mismatch");
    }
    let reg = str_at(b, "regId").unwrap_or("");
    if reg.is_empty() && str_at(b, "alias").is_none_or(str::is_empty) {
        return Reply::plain("no_target");
    }
    let classification = int_of(b.get("classification")).unwrap_or(0);
    if let Some(cat) = str_at(b, "category") {
        let known = SYSTEM.contains(&cat) || OPERATION.contains(&cat);
        if !known {
            return Reply::plain("invalid_category");
        }
        let fits = if classification == 1 {
            SYSTEM.contains(&cat)
        } else {
            OPERATION.contains(&cat)
        };
        if !fits {
            return Reply::plain("category_mismatch");
        }
    }
    if reg.is_empty() || model.token_invalid(reg) {
        return Reply::with("invalid_regid", vec![("reg_id", reg.to_string())]);
    }
    // requestId makes a send idempotent: a repeat of an accepted one (the
    // pipeline resending after a timeout) is refused. The window is the vivo
    // day (provisional, as is the code: mocks/README.md).
    let request_id = str_at(b, "requestId").unwrap_or("").to_string();
    model.roll_day(now);
    if !model.state.seen_today.insert(request_id) {
        return Reply::plain("request_id_duplicate");
    }
    let id = model.state.next_id();
    Reply::with("ok", vec![("task_id", format!("{id:018}"))])
}
