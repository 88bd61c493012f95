//! Meizu (Flyme) Push (VENDORS.md §7).
//!
//! No token: every request is a form signed with `sign` = hex MD5 of the
//! parameters sorted by name, concatenated as `name=value` (raw values), plus
//! the AppSecret. Send: `POST /garcia/api/server/push/varnished/pushByPushId`
//! with `appId`, `pushIds` and `messageJson`. Results: `{code, message, value}`
//! where `code` is a string and `value` maps a failure code to failed pushIds.
//!
//! [`Credentials`] fields: `app_id`, `secret` = AppSecret. Options:
//! `notice_msg_type` (`1` private message, the 2025 rule for chat).

use super::wire::{answer_json, form_body, md5_hex, parse_form, str_at};
use super::{
    by_code, Class, Credentials, DecodeError, DecodedPush, HttpRequest, HttpResponse, VendorResult,
};
use crate::core::io::PushJob;
use crate::core::model::Notification;
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;

/// The send path (host `server-api-push.meizu.com`).
pub const SEND_PATH: &str = "/garcia/api/server/push/varnished/pushByPushId";
/// App options this adapter reads.
pub const OPTIONS: &[&str] = &["notice_msg_type"];

/// `sign` over parameters (excluding `sign`), sorted by name.
pub fn sign(params: &BTreeMap<String, String>, app_secret: &str) -> String {
    let mut s = String::new();
    for (k, v) in params.iter().filter(|(k, _)| k.as_str() != "sign") {
        s.push_str(k);
        s.push('=');
        s.push_str(v);
    }
    s.push_str(app_secret);
    md5_hex(&s)
}

/// `notifyKey`: at most 8 characters of `[0-9a-zA-Z_-]`.
fn notify_key(id: &str) -> Option<String> {
    let key: String = id
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-')
        .take(8)
        .collect();
    (!key.is_empty()).then_some(key)
}

/// The send request for one device.
pub fn encode(job: &PushJob, creds: &Credentials) -> HttpRequest {
    let n = &job.notification;
    let msg_type = creds
        .option("notice_msg_type")
        .and_then(|t| t.parse::<i64>().ok())
        .unwrap_or(0);
    let mut click = Map::new();
    match &n.click_action {
        Some(activity) => {
            click.insert("clickType".into(), json!(1));
            click.insert("activity".into(), json!(activity));
        }
        None => {
            click.insert("clickType".into(), json!(0));
        }
    }
    if !n.payload.is_empty() {
        click.insert("parameters".into(), json!(n.payload));
    }
    let mut message = json!({
        "noticeBarInfo": {"noticeMsgType": msg_type, "noticeBarType": 0, "title": n.title, "content": n.body},
        "clickTypeInfo": click,
        "pushTimeInfo": {"offLine": 1, "validTime": 24},
    });
    if let Some(k) = n.notify_id.as_deref().and_then(notify_key) {
        message["advanceInfo"] = json!({"notifyKey": k});
    }
    let mut params = BTreeMap::new();
    params.insert("appId".to_string(), creds.app_id.clone());
    params.insert("pushIds".to_string(), job.token.clone());
    params.insert(
        "messageJson".to_string(),
        serde_json::to_string(&message).expect("JSON serializes"),
    );
    let signature = sign(&params, &creds.secret);
    params.insert("sign".to_string(), signature);
    let pairs: Vec<(&str, &str)> = params
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let headers = vec![(
        "content-type".to_string(),
        "application/x-www-form-urlencoded;charset=UTF-8".to_string(),
    )];
    HttpRequest::new("POST", SEND_PATH, headers, form_body(&pairs))
}

/// The class of a top-level Meizu code (MZ-API).
fn class(code: &str) -> Class {
    match code {
        "200" => Class::Ok,
        "1006" | "110000" | "110001" | "110009" | "110031" | "110033" => Class::AuthConfig,
        "110010" => Class::RateLimited,
        "110019" | "110051" => Class::DailyQuota,
        "500" | "1001" | "1003" => Class::ServerError,
        "1005" | "110004" | "110032" | "110053" => Class::InvalidArgument,
        _ => Class::Unknown,
    }
}

/// What a send answer means; per-target failures come in `value`.
pub fn classify(resp: &HttpResponse) -> VendorResult {
    let body = match answer_json(resp) {
        Ok(b) => b,
        Err(r) => return r,
    };
    let code = match body.get("code") {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        _ => {
            return VendorResult::Garbage {
                reason: "body without a code".into(),
            }
        }
    };
    let reason = format!("{code} {}", str_at(&body, "message").unwrap_or(""));
    if code != "200" {
        return by_code(class(&code), reason, None);
    }
    let failures: Vec<(&String, &Value)> = body
        .get("value")
        .and_then(Value::as_object)
        .map(|o| {
            o.iter()
                .filter(|(_, ids)| ids.as_array().is_some_and(|a| !a.is_empty()))
                .collect()
        })
        .unwrap_or_default();
    match failures.first() {
        None => VendorResult::Ok {
            message_id: str_at(&body, "msgId").map(str::to_string),
        },
        Some((c, _)) => {
            let reason = format!("200 per-target {c}");
            match c.as_str() {
                "110002" | "110003" | "110005" => VendorResult::InvalidToken { reason },
                "110011" => VendorResult::DailyQuota { reason },
                "519" | "501" | "513" => VendorResult::ServerError { reason },
                // 110010 (the user switched messages off), 520 (folded), 201:
                // delivered nowhere, but the binding stays.
                _ => VendorResult::InvalidArgument { reason },
            }
        }
    }
}

/// Decodes a recorded send request.
pub fn decode(req: &HttpRequest) -> Result<DecodedPush, DecodeError> {
    let bad = |why: String| DecodeError::Body {
        vendor: "meizu",
        why,
    };
    if req.method != "POST" || !req.path.ends_with("/pushByPushId") {
        return Err(DecodeError::NotASend {
            vendor: "meizu",
            method: req.method.clone(),
            path: req.path.clone(),
        });
    }
    let f = parse_form(&req.body);
    let token = f
        .get("pushIds")
        .cloned()
        .ok_or_else(|| bad("pushIds missing".into()))?;
    let m: Value = serde_json::from_str(
        f.get("messageJson")
            .ok_or_else(|| bad("messageJson missing".into()))?,
    )
    .map_err(|e| bad(format!("messageJson is not JSON: {e}")))?;
    let text = |p: &str| str_at(&m, p).map(str::to_string);
    let click_action = match super::wire::int_of(super::wire::at(&m, "clickTypeInfo.clickType")) {
        Some(1) => text("clickTypeInfo.activity"),
        Some(2) => text("clickTypeInfo.url"),
        _ => None,
    };
    let notification = Notification {
        title: text("noticeBarInfo.title").unwrap_or_default(),
        body: text("noticeBarInfo.content").unwrap_or_default(),
        badge: None,
        payload: super::wire::at(&m, "clickTypeInfo.parameters")
            .map(super::wire::loose_map)
            .unwrap_or_default(),
        channel_id: None,
        click_action,
        sound: None,
        category: super::wire::int_of(super::wire::at(&m, "noticeBarInfo.noticeMsgType")).map(
            |t| match t {
                1 => "private".to_string(),
                _ => "public".to_string(),
            },
        ),
        notify_id: text("advanceInfo.notifyKey"),
    };
    Ok(DecodedPush {
        token,
        notification,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Meizu's published example (`MEIZUPUSH/PushAPI@a39667d` README L71-121,
    /// EVIDENCE.md A3): these three parameters signed with the literal secret
    /// `<APP_SECRET>` give `ac076ff25d9900015a681cb5172aa53b`. A change of
    /// order, separator or secret placement breaks it.
    #[test]
    fn meizu_sign_matches_the_readme_example() {
        let params = BTreeMap::from([
            ("appId".to_string(), "10000".to_string()),
            (
                "pushIds".to_string(),
                "RA50c6348036344485d01776773577c64740465480a6b".to_string(),
            ),
            (
                "messageJson".to_string(),
                r#"{"title":"title","content":"content","pushTimeInfo":{"offLine":1,"validTime":24}}"#
                    .to_string(),
            ),
        ]);
        assert_eq!(
            sign(&params, "<APP_SECRET>"),
            "ac076ff25d9900015a681cb5172aa53b"
        );
        // `sign` itself is never signed.
        let mut with_sign = params.clone();
        with_sign.insert("sign".into(), "anything".into());
        assert_eq!(
            sign(&with_sign, "<APP_SECRET>"),
            "ac076ff25d9900015a681cb5172aa53b"
        );
    }
}
