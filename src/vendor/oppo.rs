//! OPPO (Heytap) Push (VENDORS.md §5).
//!
//! Auth: `POST /server/v1/auth` with `app_key`, `timestamp` (ms) and `sign` =
//! hex SHA-256 of `app_key + timestamp + master_secret`; the `auth_token`
//! lives 24 h. Send: `POST /server/v1/message/notification/unicast`, a form
//! whose `message` field is a JSON object; results are `{code, message, data}`.
//!
//! [`Credentials`] fields: `client_id` = AppKey, `secret` = MasterSecret.
//! Options: `channel_id` (required on Android 8+), `category` (2024
//! classification, e.g. `IM`), `notify_level`, `click_action_activity`.

use super::wire::{answer_json, at, form_post, int_of, parse_form, sha256_hex, str_at};
use super::{
    by_code, token_expiry, AccessToken, Class, Credentials, DecodeError, DecodedPush, HttpRequest,
    HttpResponse, VendorResult,
};
use crate::core::io::PushJob;
use crate::core::model::Notification;
use crate::core::time::SimTime;
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;

/// The auth path (host `api.push.oppomobile.com`).
pub const AUTH_PATH: &str = "/server/v1/auth";
/// The unicast path.
pub const SEND_PATH: &str = "/server/v1/message/notification/unicast";
/// `auth_token` lifetime (OP-COMMON: 24 h).
pub const TOKEN_LIFETIME_S: i64 = 86_400;
/// App options this adapter reads.
pub const OPTIONS: &[&str] = &[
    "channel_id",
    "category",
    "notify_level",
    "click_action_activity",
];

/// `sign` = hex SHA-256 of [`sign_input`].
pub fn sign(app_key: &str, timestamp: i64, master_secret: &str) -> String {
    sha256_hex(&sign_input(app_key, timestamp, master_secret))
}

/// What OPPO's SDK hashes: `app_key ‖ timestamp (ms, decimal) ‖ master_secret`
/// (`opush-server-sdk-1.1.0.jar` `Auth.getSign`: `String.format("%s%s%s",
/// appKey, timestamp, masterSecret)`, EVIDENCE.md A1).
pub fn sign_input(app_key: &str, timestamp: i64, master_secret: &str) -> String {
    format!("{app_key}{timestamp}{master_secret}")
}

/// The signed auth request.
pub fn auth_request(creds: &Credentials, now: SimTime) -> HttpRequest {
    let ts = now.0.to_string();
    let sign = sign(&creds.client_id, now.0, &creds.secret);
    form_post(
        AUTH_PATH,
        &[
            ("app_key", &creds.client_id),
            ("timestamp", &ts),
            ("sign", &sign),
        ],
    )
}

/// Reads the auth answer.
pub fn parse_auth(resp: &HttpResponse, now: SimTime) -> Result<AccessToken, VendorResult> {
    let body = answer_json(resp)?;
    match (int_of(body.get("code")), str_at(&body, "data.auth_token")) {
        (Some(0), Some(t)) if !t.is_empty() => Ok(AccessToken {
            value: t.to_string(),
            expires_at: token_expiry(now, TOKEN_LIFETIME_S),
        }),
        (Some(code), _) => {
            let reason = format!("{code} {}", str_at(&body, "message").unwrap_or(""));
            Err(match class(code) {
                Class::ServerError | Class::RateLimited => VendorResult::ServerError { reason },
                _ => VendorResult::AuthConfig { reason },
            })
        }
        (None, _) => Err(VendorResult::Garbage {
            reason: "auth answer without a code".into(),
        }),
    }
}

/// The unicast request for one device.
pub fn encode(job: &PushJob, creds: &Credentials, token: Option<&AccessToken>) -> HttpRequest {
    let n = &job.notification;
    let mut note = Map::new();
    note.insert("title".into(), json!(n.title));
    note.insert("content".into(), json!(n.body));
    for key in ["channel_id", "category"] {
        if let Some(v) = creds.option(key) {
            note.insert(key.into(), json!(v));
        }
    }
    if let Some(level) = creds
        .option("notify_level")
        .and_then(|l| l.parse::<i64>().ok())
    {
        note.insert("notify_level".into(), json!(level));
    }
    // 1 = open an app page by intent action; 0 = launch the app.
    match n
        .click_action
        .as_deref()
        .or(creds.option("click_action_activity"))
    {
        Some(action) => {
            note.insert("click_action_type".into(), json!(1));
            note.insert("click_action_activity".into(), json!(action));
        }
        None => {
            note.insert("click_action_type".into(), json!(0));
        }
    }
    if !n.payload.is_empty() {
        // Must be a JSON object *string* (VENDORS.md §5.3).
        let params = serde_json::to_string(&n.payload).expect("a string map serializes");
        note.insert("action_parameters".into(), json!(params));
    }
    if let Some(id) = n.notify_id.as_deref().and_then(|s| s.parse::<i64>().ok()) {
        note.insert("notify_id".into(), json!(id));
    }
    note.insert("off_line_ttl".into(), json!(86_400));
    let message = json!({"target_type": 2, "target_value": job.token, "notification": note});
    let message = serde_json::to_string(&message).expect("JSON serializes");
    let token = token.map(|t| t.value.as_str()).unwrap_or("");
    form_post(SEND_PATH, &[("auth_token", token), ("message", &message)])
}

/// The class of an OPPO result code (OP-COMMON).
fn class(code: i64) -> Class {
    match code {
        0 => Class::Ok,
        10000 => Class::InvalidToken,
        11 | 29 => Class::AuthExpired,
        14..=19 | 26..=28 | 30 => Class::AuthConfig,
        -2 | 13 | 55 => Class::RateLimited,
        -1 => Class::ServerError,
        33 => Class::DailyQuota,
        12 | 20..=25 | 40 | 41 | 51 | 59 | 67 => Class::InvalidArgument,
        _ => Class::Unknown,
    }
}

/// What a send answer means.
pub fn classify(resp: &HttpResponse) -> VendorResult {
    let body = match answer_json(resp) {
        Ok(b) => b,
        Err(r) => return r,
    };
    let Some(code) = int_of(body.get("code")) else {
        return VendorResult::Garbage {
            reason: "body without a code".into(),
        };
    };
    let reason = format!("{code} {}", str_at(&body, "message").unwrap_or(""));
    match class(code) {
        Class::Ok => VendorResult::Ok {
            message_id: str_at(&body, "data.messageId").map(str::to_string),
        },
        c => by_code(c, reason, None),
    }
}

/// Reads a field in either spelling OPPO accepts (`channel_id` / `channelId`).
fn field<'v>(n: &'v Value, snake: &str) -> Option<&'v Value> {
    n.get(snake).or_else(|| {
        let mut camel = String::new();
        let mut up = false;
        for c in snake.chars() {
            if c == '_' {
                up = true;
            } else if up {
                camel.extend(c.to_uppercase());
                up = false;
            } else {
                camel.push(c);
            }
        }
        n.get(&camel)
    })
}

/// Decodes a recorded unicast request (snake_case or camelCase fields).
pub fn decode(req: &HttpRequest) -> Result<DecodedPush, DecodeError> {
    let bad = |why: String| DecodeError::Body {
        vendor: "oppo",
        why,
    };
    if req.method != "POST" || req.path != SEND_PATH {
        return Err(DecodeError::NotASend {
            vendor: "oppo",
            method: req.method.clone(),
            path: req.path.clone(),
        });
    }
    let form = parse_form(&req.body);
    let message = form
        .get("message")
        .ok_or_else(|| bad("message field missing".into()))?;
    let m: Value =
        serde_json::from_str(message).map_err(|e| bad(format!("message is not JSON: {e}")))?;
    let token = field(&m, "target_value")
        .and_then(Value::as_str)
        .ok_or_else(|| bad("target_value missing".into()))?;
    let n = at(&m, "notification").ok_or_else(|| bad("notification missing".into()))?;
    let text = |k: &str| field(n, k).and_then(Value::as_str).map(str::to_string);
    let payload = match text("action_parameters") {
        None => BTreeMap::new(),
        Some(p) => match serde_json::from_str::<Value>(&p) {
            Ok(v) if v.is_object() => super::wire::loose_map(&v),
            _ => BTreeMap::from([("action_parameters".to_string(), p)]),
        },
    };
    let click_action = match int_of(field(n, "click_action_type")) {
        Some(1) | Some(4) => text("click_action_activity"),
        Some(2) | Some(5) => text("click_action_url"),
        _ => None,
    };
    let notification = Notification {
        title: text("title").unwrap_or_default(),
        body: text("content").unwrap_or_default(),
        badge: None,
        payload,
        channel_id: text("channel_id"),
        click_action,
        sound: None,
        category: text("category"),
        notify_id: int_of(field(n, "notify_id")).map(|i| i.to_string()),
    };
    Ok(DecodedPush {
        token: token.to_string(),
        notification,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Recipe only (no OPPO worked example exists, EVIDENCE.md A1): the pre-image is
    /// the SDK's `String.format("%s%s%s", appKey, timestamp, masterSecret)`,
    /// and its SHA-256 is a constant computed outside this code:
    /// `python3 -c 'import hashlib; print(hashlib.sha256(b"8f2c1a9e4b7d4e0a9c3b5d6e7f8a9b0c17724132000004d6e8f0a2b4c6d8e0f1a3b5c7d9e1f2a").hexdigest())'`.
    #[test]
    fn oppo_sign_is_sha256_of_app_key_timestamp_master_secret() {
        let (key, ts, secret) = (
            "8f2c1a9e4b7d4e0a9c3b5d6e7f8a9b0c",
            1_772_413_200_000,
            "4d6e8f0a2b4c6d8e0f1a3b5c7d9e1f2a",
        );
        assert_eq!(
            sign_input(key, ts, secret),
            "8f2c1a9e4b7d4e0a9c3b5d6e7f8a9b0c17724132000004d6e8f0a2b4c6d8e0f1a3b5c7d9e1f2a"
        );
        assert_eq!(
            sign(key, ts, secret),
            "0f939c71fc5561b711b7aa878e8542d9f0af422261ca38fe5631a3a506cc23c7"
        );
    }

    /// The SHA-256 layer against FIPS 180-2 B.1 ("abc").
    #[test]
    fn sha256_layer_matches_fips_180_2() {
        assert_eq!(
            sha256_hex("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
