//! Honor Push (VENDORS.md §3; lower confidence than the other vendors: see
//! mocks/README.md).
//!
//! Auth: OAuth client credentials at `/auth/token` (Keycloak-issued tokens,
//! 3600 s). Send: `POST /api/v1/{appId}/sendMessage` with Bearer and a
//! `timestamp` header; a camelCase, Huawei-derived body without a `message`
//! wrapper. Results: `{code: 200, message, data: {sendResult, requestId,
//! failTokens, expireTokens}}`.
//!
//! [`Credentials`] fields: `app_id` = App ID (path), `client_id` / `secret` =
//! the OAuth Client ID and Secret, `package` (badge class).

use super::wire::{at, form_post, int_of, json_of, json_post, retry_after_ms, str_at};
use super::{
    oauth_answer, AccessToken, Credentials, DecodeError, DecodedPush, HttpRequest, HttpResponse,
    VendorResult,
};
use crate::core::io::PushJob;
use crate::core::model::Notification;
use crate::core::time::SimTime;
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;

/// The token path (host `iam.developer.hihonor.com`).
pub const TOKEN_PATH: &str = "/auth/token";
/// App options this adapter reads: none (importance and badge are fixed for chat).
pub const OPTIONS: &[&str] = &[];

/// The send path (host `push-api.cloud.hihonor.com`).
pub fn send_path(app_id: &str) -> String {
    format!("/api/v1/{app_id}/sendMessage")
}

/// The client-credentials token request.
pub fn auth_request(creds: &Credentials) -> HttpRequest {
    form_post(
        TOKEN_PATH,
        &[
            ("grant_type", "client_credentials"),
            ("client_id", &creds.client_id),
            ("client_secret", &creds.secret),
        ],
    )
}

/// Reads the token answer.
pub fn parse_auth(resp: &HttpResponse, now: SimTime) -> Result<AccessToken, VendorResult> {
    // Keycloak-style `{error, error_description}`.
    oauth_answer(resp, now, |body| {
        let error = str_at(body, "error")?;
        let description = str_at(body, "error_description").unwrap_or("");
        Some(format!("{error}: {description}"))
    })
}

/// The sendMessage request for one device.
pub fn encode(
    job: &PushJob,
    creds: &Credentials,
    token: Option<&AccessToken>,
    now: SimTime,
) -> HttpRequest {
    let n = &job.notification;
    let mut note = Map::new();
    note.insert("title".into(), json!(n.title));
    note.insert("body".into(), json!(n.body));
    // NORMAL = service & communication; missing counts as marketing since 2024-12-31.
    note.insert("importance".into(), json!("NORMAL"));
    let click = match &n.click_action {
        Some(action) => json!({"type": 1, "action": action}),
        None => json!({"type": 3}),
    };
    note.insert("clickAction".into(), click);
    if let Some(b) = n.badge {
        note.insert(
            "badge".into(),
            json!({"setNum": b.min(99), "badgeClass": format!("{}.MainActivity", creds.package)}),
        );
    }
    if let Some(id) = n.notify_id.as_deref().and_then(|s| s.parse::<i64>().ok()) {
        note.insert("notifyId".into(), json!(id));
    }
    let mut body = Map::new();
    if !n.payload.is_empty() {
        body.insert(
            "data".into(),
            json!(serde_json::to_string(&n.payload).expect("a string map serializes")),
        );
    }
    body.insert(
        "android".into(),
        json!({"ttl": "86400s", "notification": note}),
    );
    body.insert("token".into(), json!([job.token]));
    let req = json_post(
        &send_path(&creds.app_id),
        token.map(|t| t.value.as_str()),
        "application/json; charset=UTF-8",
        &Value::Object(body),
    );
    req.with_header("timestamp", now.0.to_string())
}

/// What a send answer means.
pub fn classify(resp: &HttpResponse) -> VendorResult {
    let body = json_of(&resp.body);
    if resp.status == 401 {
        let reason = match &body {
            Ok(b) => format!(
                "401 {}",
                str_at(b, "error_description")
                    .or(str_at(b, "message"))
                    .unwrap_or("")
            ),
            Err(_) => "401".into(),
        };
        return VendorResult::AuthExpired { reason };
    }
    if resp.status == 429 {
        return VendorResult::RateLimited {
            retry_after_ms: retry_after_ms(resp),
            reason: "429".into(),
            per_device: false,
        };
    }
    let body = match body {
        Ok(b) => b,
        Err(reason) if resp.status >= 500 => return VendorResult::ServerError { reason },
        Err(reason) => return VendorResult::Garbage { reason },
    };
    let Some(code) = int_of(body.get("code")) else {
        return VendorResult::Garbage {
            reason: "body without a code".into(),
        };
    };
    let reason = format!("{code} {}", str_at(&body, "message").unwrap_or(""));
    let listed = |k: &str| {
        at(&body, k)
            .and_then(Value::as_array)
            .is_some_and(|a| !a.is_empty())
    };
    match code {
        200 if listed("data.expireTokens") => VendorResult::InvalidToken {
            reason: format!("{reason}: expireTokens"),
        },
        200 if listed("data.failTokens") => VendorResult::ServerError {
            reason: format!("{reason}: failTokens"),
        },
        200 => VendorResult::Ok {
            message_id: str_at(&body, "data.requestId").map(str::to_string),
        },
        c if c >= 81_000_000 || resp.status >= 500 => VendorResult::ServerError { reason },
        c if (80_300_000..80_400_000).contains(&c) && c != 80_300_007 => {
            VendorResult::AuthConfig { reason }
        }
        80_300_007 => VendorResult::InvalidToken { reason },
        c if (80_100_000..80_200_000).contains(&c) => VendorResult::InvalidArgument { reason },
        _ => VendorResult::Garbage {
            reason: format!("{reason} (unknown code)"),
        },
    }
}

/// Decodes a recorded sendMessage request.
pub fn decode(req: &HttpRequest) -> Result<DecodedPush, DecodeError> {
    let bad = |why: String| DecodeError::Body {
        vendor: "honor",
        why,
    };
    if req.method != "POST"
        || !(req.path.starts_with("/api/v1/") && req.path.ends_with("/sendMessage"))
    {
        return Err(DecodeError::NotASend {
            vendor: "honor",
            method: req.method.clone(),
            path: req.path.clone(),
        });
    }
    let b = json_of(&req.body).map_err(bad)?;
    let tokens = at(&b, "token")
        .and_then(Value::as_array)
        .ok_or_else(|| bad("token is not an array".into()))?;
    let [token] = tokens.as_slice() else {
        return Err(bad(format!("expected one token, found {}", tokens.len())));
    };
    let token = token
        .as_str()
        .ok_or_else(|| bad("token[0] is not a string".into()))?;
    let an = at(&b, "android.notification");
    let pick = |k: &str| {
        an.and_then(|n| str_at(n, k))
            .or_else(|| str_at(&b, &format!("notification.{k}")))
            .unwrap_or("")
            .to_string()
    };
    let payload = match str_at(&b, "data") {
        None => BTreeMap::new(),
        Some(d) => match serde_json::from_str::<Value>(d) {
            Ok(v) if v.is_object() => super::wire::loose_map(&v),
            _ => BTreeMap::from([("data".to_string(), d.to_string())]),
        },
    };
    let click = an.and_then(|n| n.get("clickAction"));
    let click_action = match click.and_then(|c| int_of(c.get("type"))) {
        Some(1) => click
            .and_then(|c| str_at(c, "action").or_else(|| str_at(c, "intent")))
            .map(str::to_string),
        Some(2) => click.and_then(|c| str_at(c, "url")).map(str::to_string),
        _ => None,
    };
    let badge =
        an.and_then(|n| int_of(at(n, "badge.setNum")).or_else(|| int_of(at(n, "badge.addNum"))));
    let notification = Notification {
        title: pick("title"),
        body: pick("body"),
        badge: badge.map(|b| b as u32),
        payload,
        channel_id: None,
        click_action,
        sound: None,
        category: an.and_then(|n| str_at(n, "importance")).map(str::to_string),
        notify_id: an
            .and_then(|n| int_of(n.get("notifyId")))
            .map(|i| i.to_string()),
    };
    Ok(DecodedPush {
        token: token.to_string(),
        notification,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::model::Vendor;
    use crate::vendor::testing;

    /// Honor's client-credentials form (guide "发送下行消息", EVIDENCE.md A5):
    /// `grant_type=client_credentials&client_id=…&client_secret=…`, form
    /// encoded; the mock's path is `/auth/token` (mocks/README.md).
    #[test]
    fn honor_token_request_is_the_client_credentials_form() {
        let c = testing::creds(Vendor::Honor, "104523987", "a+b/c=");
        let req = auth_request(&c);
        assert_eq!(
            (req.method.as_str(), req.path.as_str()),
            ("POST", "/auth/token")
        );
        assert!(req
            .header("content-type")
            .is_some_and(|t| t.starts_with("application/x-www-form-urlencoded")));
        let form: Vec<(String, String)> = form_urlencoded::parse(&req.body).into_owned().collect();
        let mut fields = form.clone();
        fields.sort();
        assert_eq!(
            fields,
            vec![
                ("client_id".to_string(), "104523987".to_string()),
                ("client_secret".to_string(), "a+b/c=".to_string()),
                ("grant_type".to_string(), "client_credentials".to_string()),
            ]
        );
        assert!(String::from_utf8_lossy(&req.body).contains("client_secret=a%2Bb%2Fc%3D"));
    }
}

#[cfg(test)]
mod auth_answer_tests {
    use super::*;

    /// Issue 10: an Honor 500 on auth in its send-error shape read "?: ".
    #[test]
    fn an_auth_answer_in_no_oauth_shape_is_shown_as_it_came() {
        let body = br#"{"code":81000001,"message":"System inner error"}"#.to_vec();
        let resp = HttpResponse::new(500, vec![], body);
        match parse_auth(&resp, SimTime(0)) {
            Err(VendorResult::ServerError { reason }) => {
                assert!(reason.starts_with("HTTP 500: "), "{reason}");
                assert!(reason.contains("System inner error"), "{reason}");
            }
            other => panic!("{other:?}"),
        }
    }
}
