//! vivo Push (VENDORS.md §6).
//!
//! Auth: `POST /message/auth` (JSON) with `sign` = hex MD5 of
//! `appId + appKey + timestamp + appSecret`; the `authToken` lives a day and
//! travels as the `authToken` header. Send: `POST /message/send` (JSON) with
//! `classification` + `category` and a unique `requestId`. Results:
//! `{result, desc, …}`; `10302` with `invalidUser` for an invalid regId.
//!
//! [`Credentials`] fields: `app_id` = appId (numeric), `client_id` = appKey,
//! `secret` = appSecret. Options: `classification` (`1` system, required for
//! chat), `category` (`IM`), `push_mode` (`0` formal, `1` test).

use super::wire::{answer_json, int_of, json_of, json_post, md5_hex, str_at};
use super::{
    by_code, token_expiry, AccessToken, Class, Credentials, DecodeError, DecodedPush, HttpRequest,
    HttpResponse, VendorResult,
};
use crate::core::io::PushJob;
use crate::core::model::Notification;
use crate::core::time::SimTime;
use serde_json::{json, Map, Value};

/// The auth path (host `api-push.vivo.com.cn`).
pub const AUTH_PATH: &str = "/message/auth";
/// The single-push path.
pub const SEND_PATH: &str = "/message/send";
/// `authToken` lifetime (VV-DOC: one day).
pub const TOKEN_LIFETIME_S: i64 = 86_400;
/// App options this adapter reads.
pub const OPTIONS: &[&str] = &["classification", "category", "push_mode"];

/// `sign` = hex MD5 of [`sign_input`].
pub fn sign(app_id: &str, app_key: &str, timestamp: i64, app_secret: &str) -> String {
    md5_hex(&sign_input(app_id, app_key, timestamp, app_secret))
}

/// What vivo's SDK hashes: `appId + appKey + timestamp + appSecret`
/// (`com.vivo.push.sdk.common.SignUtils.getSign`, code-index id 9235653682,
/// EVIDENCE.md A2); each part trimmed as the doc says ("字符串trim后拼接").
pub fn sign_input(app_id: &str, app_key: &str, timestamp: i64, app_secret: &str) -> String {
    format!(
        "{}{}{timestamp}{}",
        app_id.trim(),
        app_key.trim(),
        app_secret.trim()
    )
}

fn app_id(creds: &Credentials) -> Value {
    creds
        .app_id
        .parse::<i64>()
        .map(Value::from)
        .unwrap_or_else(|_| json!(creds.app_id))
}

/// The signed auth request.
pub fn auth_request(creds: &Credentials, now: SimTime) -> HttpRequest {
    let body = json!({
        "appId": app_id(creds),
        "appKey": creds.client_id,
        "timestamp": now.0,
        "sign": sign(&creds.app_id, &creds.client_id, now.0, &creds.secret),
    });
    json_post(AUTH_PATH, None, "application/json", &body)
}

/// Reads the auth answer.
pub fn parse_auth(resp: &HttpResponse, now: SimTime) -> Result<AccessToken, VendorResult> {
    let body = answer_json(resp)?;
    match (int_of(body.get("result")), str_at(&body, "authToken")) {
        (Some(0), Some(t)) if !t.is_empty() => Ok(AccessToken {
            value: t.to_string(),
            expires_at: token_expiry(now, TOKEN_LIFETIME_S),
        }),
        (Some(code), _) => Err(VendorResult::AuthConfig {
            reason: format!("{code} {}", str_at(&body, "desc").unwrap_or("")),
        }),
        (None, _) => Err(VendorResult::Garbage {
            reason: "auth answer without a result".into(),
        }),
    }
}

/// The single-push request for one device.
pub fn encode(job: &PushJob, creds: &Credentials, token: Option<&AccessToken>) -> HttpRequest {
    let n = &job.notification;
    let mut b = Map::new();
    b.insert("appId".into(), app_id(creds));
    b.insert("regId".into(), json!(job.token));
    b.insert("notifyType".into(), json!(4));
    b.insert("title".into(), json!(n.title));
    b.insert("content".into(), json!(n.body));
    b.insert("timeToLive".into(), json!(86_400));
    match &n.click_action {
        Some(uri) => {
            b.insert("skipType".into(), json!(4));
            b.insert("skipContent".into(), json!(uri));
        }
        None => {
            b.insert("skipType".into(), json!(1));
        }
    }
    b.insert("networkType".into(), json!(-1));
    if let Some(c) = creds
        .option("classification")
        .and_then(|c| c.parse::<i64>().ok())
    {
        b.insert("classification".into(), json!(c));
    }
    if let Some(c) = creds.option("category") {
        b.insert("category".into(), json!(c));
    }
    if !n.payload.is_empty() {
        b.insert("clientCustomMap".into(), json!(n.payload));
    }
    // Unique per push job; a retry of the same job reuses it, so vivo can
    // drop a duplicate the pipeline sent after a timeout.
    b.insert(
        "requestId".into(),
        json!(format!("pushsim-{}-{}", job.msg, job.id)),
    );
    let mode = creds
        .option("push_mode")
        .and_then(|m| m.parse::<i64>().ok())
        .unwrap_or(0);
    b.insert("pushMode".into(), json!(mode));
    if let Some(id) = n.notify_id.as_deref().and_then(|s| s.parse::<i64>().ok()) {
        b.insert("notifyId".into(), json!(id));
    }
    let req = json_post(SEND_PATH, None, "application/json", &Value::Object(b));
    match token {
        Some(t) => req.with_header("authToken", t.value.clone()),
        None => req,
    }
}

/// The class of a vivo result code (VV-DOC, VV-MZ, VV-PHP).
fn class(code: i64) -> Class {
    match code {
        0 => Class::Ok,
        10000 => Class::AuthExpired,
        10302 => Class::InvalidToken,
        10070 | 10252 | 10254 => Class::DailyQuota,
        10072 | 10250 => Class::RateLimited,
        10094 | 10200..=10207 => Class::AuthConfig,
        // 10352/10353: requestId empty / too long (vivo SDK ExceptionStatusEnum);
        // 10354: a repeated requestId (the mock's provisional code).
        10050..=10069 | 10096 | 10097 | 10352..=10354 => Class::InvalidArgument,
        _ => Class::Unknown,
    }
}

/// What a send answer means.
pub fn classify(resp: &HttpResponse) -> VendorResult {
    let body = match answer_json(resp) {
        Ok(b) => b,
        Err(r) => return r,
    };
    let Some(code) = int_of(body.get("result")) else {
        return VendorResult::Garbage {
            reason: "body without a result".into(),
        };
    };
    let reason = format!("{code} {}", str_at(&body, "desc").unwrap_or(""));
    match class(code) {
        Class::Ok => VendorResult::Ok {
            message_id: str_at(&body, "taskId").map(str::to_string),
        },
        c => by_code(c, reason, None),
    }
}

/// Decodes a recorded single-push request.
pub fn decode(req: &HttpRequest) -> Result<DecodedPush, DecodeError> {
    let bad = |why: String| DecodeError::Body {
        vendor: "vivo",
        why,
    };
    if req.method != "POST" || req.path != SEND_PATH {
        return Err(DecodeError::NotASend {
            vendor: "vivo",
            method: req.method.clone(),
            path: req.path.clone(),
        });
    }
    let b = json_of(&req.body).map_err(bad)?;
    let token = str_at(&b, "regId")
        .or(str_at(&b, "alias"))
        .ok_or_else(|| bad("regId missing".into()))?;
    let text = |k: &str| str_at(&b, k).map(str::to_string);
    let category = match (int_of(b.get("classification")), str_at(&b, "category")) {
        (Some(c), Some(cat)) => Some(format!("{c}/{cat}")),
        (Some(c), None) => Some(c.to_string()),
        (None, Some(cat)) => Some(cat.to_string()),
        (None, None) => None,
    };
    let notification = Notification {
        title: text("title").unwrap_or_default(),
        body: text("content").unwrap_or_default(),
        badge: None,
        payload: b
            .get("clientCustomMap")
            .map(super::wire::loose_map)
            .unwrap_or_default(),
        channel_id: None,
        click_action: match int_of(b.get("skipType")) {
            Some(2) | Some(4) => text("skipContent"),
            _ => None,
        },
        sound: None,
        category,
        notify_id: int_of(b.get("notifyId")).map(|i| i.to_string()),
    };
    Ok(DecodedPush {
        token: token.to_string(),
        notification,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Recipe only (the doc's example omits the appSecret, EVIDENCE.md A2): the
    /// pre-image is the SDK's `appId + appKey + time + appSecret`, and its MD5
    /// is a constant computed outside this code:
    /// `python3 -c 'import hashlib; print(hashlib.md5(b"1059123451f2e3d4c-5b6a-7988-a1b2-c3d4e5f6071817724132000000a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9").hexdigest())'`.
    #[test]
    fn vivo_sign_is_md5_of_app_id_app_key_timestamp_app_secret() {
        let (id, key, ts, secret) = (
            "105912345",
            "1f2e3d4c-5b6a-7988-a1b2-c3d4e5f60718",
            1_772_413_200_000,
            "0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9",
        );
        assert_eq!(
            sign_input(id, key, ts, secret),
            "1059123451f2e3d4c-5b6a-7988-a1b2-c3d4e5f6071817724132000000a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9"
        );
        assert_eq!(
            sign(id, key, ts, secret),
            "d657ad215b83951644d596ba9ed3c062"
        );
    }

    /// The MD5 layer against RFC 1321 §A.5.
    #[test]
    fn md5_layer_matches_rfc_1321() {
        assert_eq!(md5_hex("abc"), "900150983cd24fb0d6963f7d28e17f72");
        assert_eq!(md5_hex(""), "d41d8cd98f00b204e9800998ecf8427e");
    }
}
