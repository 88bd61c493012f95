//! Xiaomi's stateful parts: the `key=` secret and the send.

use super::model::{Handlers, Model, Parsed, Reply};
use crate::core::time::SimTime;

/// Responses this model names (a test checks that `mocks/xiaomi.yaml` has them).
pub const RESPONSES: &[&str] = &[
    "ok",
    "ok_bad_regids",
    "no_valid_targets",
    "invalid_secret",
    "invalid_package",
    "channel_mismatch",
    "parameter_missing",
    "not_found",
];

/// The handlers routes name in `mocks/xiaomi.yaml`.
pub const HANDLERS: Handlers = &[("send", send)];

fn send(model: &mut Model, p: &Parsed<'_>, _now: SimTime) -> Reply {
    let c = &model.spec.credentials;
    let key = p
        .req
        .header("authorization")
        .and_then(|a| a.strip_prefix("key="));
    if key != Some(c.secret.as_str()) {
        return Reply::plain("invalid_secret");
    }
    let packages = p
        .form
        .get("restricted_package_name")
        .map(String::as_str)
        .unwrap_or("");
    if !packages.split(',').any(|pkg| pkg == c.package) {
        return Reply::plain("invalid_package");
    }
    // Under the 2023 classification a registered channel is mandatory.
    let registered = model
        .spec
        .app
        .get("registered_channels")
        .map(String::as_str)
        .unwrap_or("");
    match p.form.get("extra.channel_id") {
        Some(ch) if registered.split(',').any(|r| r == ch) => {}
        _ => return Reply::plain("channel_mismatch"),
    }
    if p.form.get("extra.notify_effect").map(String::as_str) == Some("2")
        && !p.form.contains_key("extra.intent_uri")
    {
        return Reply::with(
            "parameter_missing",
            vec![(
                "detail",
                "extra.intent_uri is required for notify_effect 2".into(),
            )],
        );
    }
    let ids: Vec<&str> = p
        .form
        .get("registration_id")
        .map(|r| r.split(',').collect())
        .unwrap_or_default();
    let bad: Vec<&str> = ids
        .iter()
        .copied()
        .filter(|t| model.token_invalid(t))
        .collect();
    let id = model.state.next_id();
    let msg_id = format!("scm{id:014}");
    if !bad.is_empty() && bad.len() == ids.len() {
        return Reply::plain("no_valid_targets");
    }
    if !bad.is_empty() {
        return Reply::with(
            "ok_bad_regids",
            vec![("message_id", msg_id), ("bad_regids", bad.join(","))],
        );
    }
    Reply::with(
        "ok",
        vec![("message_id", msg_id), ("count", ids.len().to_string())],
    )
}
