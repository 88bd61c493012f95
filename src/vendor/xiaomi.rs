//! Xiaomi MiPush, server API v3 (VENDORS.md §4).
//!
//! No token exchange: every request carries `Authorization: key=<AppSecret>`.
//! Send: `POST /v3/message/regid`, form-encoded, extras flattened as
//! `extra.<name>`. Results: HTTP 200 and `{result, code, reason, data}`;
//! `data.bad_regids` lists invalid targets of an accepted request.
//!
//! [`Credentials`] fields: `secret` = AppSecret, `package` =
//! `restricted_package_name`. Options: `channel_id` (mandatory under the 2023
//! classification), `notify_effect` (`1` launcher, `2` activity by
//! `intent_uri`; a job's click action forces `2`).

use super::wire::{answer_json, form_body, parse_form, str_at};
use super::{
    by_code, Class, Credentials, DecodeError, DecodedPush, HttpRequest, HttpResponse, VendorResult,
};
use crate::core::io::PushJob;
use crate::core::model::Notification;
use serde_json::Value;
use std::collections::BTreeMap;

/// The send path (host `api.xmpush.xiaomi.com`).
pub const SEND_PATH: &str = "/v3/message/regid";
/// App options this adapter reads.
pub const OPTIONS: &[&str] = &["channel_id", "notify_effect", "intent_uri"];

/// The send request for one device.
pub fn encode(job: &PushJob, creds: &Credentials) -> HttpRequest {
    let n = &job.notification;
    let mut f: Vec<(&str, String)> = vec![
        ("registration_id", job.token.clone()),
        ("restricted_package_name", creds.package.clone()),
        ("pass_through", "0".into()),
        ("title", n.title.clone()),
        ("description", n.body.clone()),
        ("notify_type", "-1".into()),
    ];
    if let Some(id) = n.notify_id.as_deref().and_then(|s| s.parse::<u32>().ok()) {
        f.push(("notify_id", id.to_string()));
    }
    if !n.payload.is_empty() {
        f.push((
            "payload",
            serde_json::to_string(&n.payload).expect("a string map serializes"),
        ));
    }
    if let Some(c) = creds.option("channel_id") {
        f.push(("extra.channel_id", c.to_string()));
    }
    let intent = n.click_action.as_deref().or(creds.option("intent_uri"));
    match (intent, creds.option("notify_effect")) {
        (Some(uri), _) => {
            f.push(("extra.notify_effect", "2".into()));
            f.push(("extra.intent_uri", uri.to_string()));
        }
        (None, Some(effect)) => f.push(("extra.notify_effect", effect.to_string())),
        (None, None) => {}
    }
    if let Some(s) = &n.sound {
        f.push((
            "extra.sound_uri",
            format!("android.resource://{}/raw/{s}", creds.package),
        ));
    }
    let pairs: Vec<(&str, &str)> = f.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let headers = vec![
        ("authorization".to_string(), format!("key={}", creds.secret)),
        (
            "content-type".to_string(),
            "application/x-www-form-urlencoded;charset=UTF-8".to_string(),
        ),
    ];
    HttpRequest::new("POST", SEND_PATH, headers, form_body(&pairs))
}

/// The class of a MiPush result code (MI-ERR).
fn class(code: i64) -> Class {
    match code {
        0 => Class::Ok,
        20301 => Class::InvalidToken,
        21301 | 21302 | 10031 | 10036 | 22000 | 22006 | 22007 | 22022 => Class::AuthConfig,
        21303 | 10027 | 26004 => Class::RateLimited,
        10034 => Class::DailyQuota,
        10001..=10003 | 10037 => Class::ServerError,
        10008 | 10016 | 10017 | 21305 | 27001 | 65009 | 65011 | 65014 | 65015 => {
            Class::InvalidArgument
        }
        _ => Class::Unknown,
    }
}

/// What a send answer means.
pub fn classify(resp: &HttpResponse) -> VendorResult {
    let body = match answer_json(resp) {
        Ok(b) => b,
        Err(r) => return r,
    };
    let Some(code) = body.get("code").and_then(Value::as_i64) else {
        return VendorResult::Garbage {
            reason: "body without a code".into(),
        };
    };
    let text = str_at(&body, "reason")
        .or(str_at(&body, "description"))
        .unwrap_or("");
    let reason = format!("{code} {text}");
    if code == 0 {
        let bad = str_at(&body, "data.bad_regids").unwrap_or("");
        if !bad.is_empty() {
            return VendorResult::InvalidToken {
                reason: format!("0 bad_regids: {bad}"),
            };
        }
        return VendorResult::Ok {
            message_id: str_at(&body, "data.id").map(str::to_string),
        };
    }
    by_code(class(code), reason, None)
}

/// Decodes a recorded send request.
pub fn decode(req: &HttpRequest) -> Result<DecodedPush, DecodeError> {
    let bad = |why: String| DecodeError::Body {
        vendor: "xiaomi",
        why,
    };
    if req.method != "POST" || !(req.path == SEND_PATH || req.path == "/v2/message/regid") {
        return Err(DecodeError::NotASend {
            vendor: "xiaomi",
            method: req.method.clone(),
            path: req.path.clone(),
        });
    }
    let f = parse_form(&req.body);
    let get = |k: &str| f.get(k).cloned();
    let token = get("registration_id").ok_or_else(|| bad("registration_id missing".into()))?;
    let payload = match f.get("payload") {
        None => BTreeMap::new(),
        Some(p) => match serde_json::from_str::<Value>(p) {
            Ok(v) if v.is_object() => super::wire::loose_map(&v),
            _ => BTreeMap::from([("payload".to_string(), p.clone())]),
        },
    };
    let click_action = match f.get("extra.notify_effect").map(String::as_str) {
        Some("2") => get("extra.intent_uri"),
        Some("3") => get("extra.web_uri"),
        _ => None,
    };
    let notification = Notification {
        title: get("title").unwrap_or_default(),
        body: get("description").unwrap_or_default(),
        badge: None,
        payload,
        channel_id: get("extra.channel_id"),
        click_action,
        sound: get("extra.sound_uri").map(|u| u.rsplit('/').next().unwrap_or_default().to_string()),
        category: None,
        notify_id: get("notify_id"),
    };
    Ok(DecodedPush {
        token,
        notification,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::model::Vendor;
    use crate::vendor::testing;

    /// MI-API pId=1559: "格式是 key=<APP_SECRET> … 字符key必须小写"; the Java SDK
    /// sends `"key=" + this.security` (PushSender, code-index id 9787680116;
    /// EVIDENCE.md A4). Nothing is hashed: the known answer is the literal header.
    #[test]
    fn xiaomi_authorization_is_key_equals_app_secret() {
        let c = testing::creds(Vendor::Xiaomi, "5512000000001", "S3cr3t+/==");
        let req = encode(&testing::job(Vendor::Xiaomi, "reg-1"), &c);
        assert_eq!(req.header("authorization"), Some("key=S3cr3t+/=="));
    }
}
