//! Huawei Push Kit v1 (VENDORS.md §2).
//!
//! Auth: OAuth 2.0 client credentials at `/oauth2/v3/token`. Send:
//! `/v1/{appId}/messages:send` with a token array (one token here). Results are
//! 8-digit business codes in the body; `80100000` (partial success) carries a
//! JSON string in `msg` listing `illegal_tokens`.
//!
//! [`Credentials`] fields: `app_id` = App ID (also the OAuth client id in
//! `client_id`), `secret` = App secret, `package` = the app's package (the
//! badge `class` is its entry activity).

use super::wire::{
    at, form_post, json_of, json_post, object, present, present_object, retry_after_ms, str_at,
    typed_body, ReadTitleBody,
};
use super::{
    oauth_answer, AccessToken, Credentials, DecodeError, DecodedPush, HttpRequest, HttpResponse,
    VendorResult,
};
use crate::core::io::PushJob;
use crate::core::model::Notification;
use crate::core::time::SimTime;
use serde::Serialize;
use serde_json::Value;
use std::collections::BTreeMap;

/// The token endpoint path (host `oauth-login.cloud.huawei.com`).
pub const TOKEN_PATH: &str = "/oauth2/v3/token";
/// The classification the pipeline claims for chat messages.
pub const CATEGORY: &str = "IM";
/// Importance of a chat notification: NORMAL = service & communication.
pub const IMPORTANCE: &str = "NORMAL";

/// App options this adapter reads: none yet (category and importance are
/// fixed for chat).
pub const OPTIONS: &[&str] = &[];

/// The send path for an app (host `push-api.cloud.huawei.com`).
pub fn send_path(app_id: &str) -> String {
    format!("/v1/{app_id}/messages:send")
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

/// Reads the token endpoint's answer.
pub fn parse_auth(resp: &HttpResponse, now: SimTime) -> Result<AccessToken, VendorResult> {
    // OAuth errors are `{error, sub_error, error_description}`; the push
    // front end answers `{code, msg}`.
    oauth_answer(resp, now, |body| match at(body, "error") {
        Some(code) => {
            let sub = at(body, "sub_error")
                .map(Value::to_string)
                .unwrap_or_else(|| "-".into());
            Some(format!(
                "error {code}/{sub}: {}",
                str_at(body, "error_description").unwrap_or("")
            ))
        }
        None => Some(format!(
            "{} {}",
            str_at(body, "code")?,
            str_at(body, "msg").unwrap_or("")
        )),
    })
}

/// The `messages:send` request for one device.
pub fn encode(job: &PushJob, creds: &Credentials, token: Option<&AccessToken>) -> HttpRequest {
    let n = &job.notification;
    let body = SendBody {
        validate_only: false,
        message: SendMessage {
            data: (!n.payload.is_empty())
                .then(|| serde_json::to_string(&n.payload).expect("a string map serializes")),
            android: AndroidConfig {
                category: n.category.as_deref().unwrap_or(CATEGORY),
                notification: AndroidNotification {
                    title: &n.title,
                    body: &n.body,
                    channel_id: n.channel_id.as_deref(),
                    sound: n.sound.as_deref(),
                    default_sound: n.sound.as_ref().map(|_| false),
                    importance: IMPORTANCE,
                    notify_id: n.notify_id.as_deref().and_then(|s| s.parse::<i64>().ok()),
                    // click_action is mandatory for notification messages (§2.5).
                    click_action: match &n.click_action {
                        Some(action) => ClickAction {
                            kind: 1,
                            action: Some(action),
                        },
                        None => ClickAction {
                            kind: 3,
                            action: None,
                        },
                    },
                    badge: n.badge.map(|b| Badge {
                        set_num: b.min(99),
                        class: format!("{}.MainActivity", creds.package),
                    }),
                },
            },
            token: [&job.token],
        },
    };
    json_post(
        &send_path(&creds.app_id),
        token.map(|t| t.value.as_str()),
        "application/json; charset=UTF-8",
        &body,
    )
}

/// The `messages:send` body, field by field in the order Huawei documents
/// them. Typed, not a `json!` tree: see `fcm::SendBody`.
#[derive(Serialize)]
struct SendBody<'a> {
    validate_only: bool,
    message: SendMessage<'a>,
}

#[derive(Serialize)]
struct SendMessage<'a> {
    /// The payload as a JSON string, as Huawei wants it.
    #[serde(skip_serializing_if = "Option::is_none")]
    data: Option<String>,
    android: AndroidConfig<'a>,
    token: [&'a str; 1],
}

#[derive(Serialize)]
struct AndroidConfig<'a> {
    category: &'a str,
    notification: AndroidNotification<'a>,
}

#[derive(Serialize)]
struct AndroidNotification<'a> {
    title: &'a str,
    body: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    channel_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    sound: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    default_sound: Option<bool>,
    importance: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    notify_id: Option<i64>,
    click_action: ClickAction<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    badge: Option<Badge>,
}

#[derive(Serialize)]
struct ClickAction<'a> {
    #[serde(rename = "type")]
    kind: u8,
    #[serde(skip_serializing_if = "Option::is_none")]
    action: Option<&'a str>,
}

#[derive(Serialize)]
struct Badge {
    set_num: u32,
    class: String,
}

/// What a send answer means.
pub fn classify(resp: &HttpResponse) -> VendorResult {
    let body = match json_of(&resp.body) {
        Ok(b) => b,
        Err(reason) if resp.status == 503 => {
            return VendorResult::RateLimited {
                retry_after_ms: retry_after_ms(resp),
                reason: format!("503 {reason}"),
                per_device: false,
            }
        }
        Err(reason) if resp.status >= 500 => return VendorResult::ServerError { reason },
        Err(reason) => return VendorResult::Garbage { reason },
    };
    let Some(code) = str_at(&body, "code") else {
        return VendorResult::Garbage {
            reason: "body without a code".to_string(),
        };
    };
    let msg = str_at(&body, "msg").unwrap_or("");
    let reason = format!("{code} {msg}");
    match code {
        "80000000" => VendorResult::Ok {
            message_id: str_at(&body, "requestId").map(str::to_string),
        },
        "80100000" => match illegal_tokens(msg) {
            Some(t) if !t.is_empty() => VendorResult::InvalidToken { reason },
            Some(_) => VendorResult::Ok {
                message_id: str_at(&body, "requestId").map(str::to_string),
            },
            None => VendorResult::Garbage {
                reason: format!("{reason} (msg is not the partial-result JSON)"),
            },
        },
        "80300007" => VendorResult::InvalidToken { reason },
        "80200001" | "80200003" => VendorResult::AuthExpired { reason },
        "80300002" | "80300011" | "80600003" => VendorResult::AuthConfig { reason },
        "81000001" => VendorResult::ServerError { reason },
        c if c.starts_with("801") || c.starts_with("803") => {
            VendorResult::InvalidArgument { reason }
        }
        _ if resp.status == 503 => VendorResult::RateLimited {
            retry_after_ms: retry_after_ms(resp),
            reason,
            per_device: false,
        },
        _ if resp.status >= 500 => VendorResult::ServerError { reason },
        _ => VendorResult::Garbage {
            reason: format!("{reason} (unknown code)"),
        },
    }
}

/// The `illegal_tokens` of a partial-success `msg`.
pub fn illegal_tokens(msg: &str) -> Option<Vec<String>> {
    let v: Value = serde_json::from_str(msg).ok()?;
    let list = v.get("illegal_tokens")?.as_array()?;
    Some(
        list.iter()
            .filter_map(Value::as_str)
            .map(str::to_string)
            .collect(),
    )
}

/// Decodes a recorded `messages:send` request.
pub fn decode(req: &HttpRequest) -> Result<DecodedPush, DecodeError> {
    if req.method != "POST"
        || !(req.path.starts_with("/v1/") && req.path.ends_with("/messages:send"))
    {
        return Err(DecodeError::NotASend {
            vendor: "huawei",
            method: req.method.clone(),
            path: req.path.clone(),
        });
    }
    match decode_typed(&req.body) {
        Some(push) => Ok(push),
        None => decode_tree(req),
    }
}

/// The typed path: `None` sends the body down [`decode_tree`].
pub(super) fn decode_typed(body: &[u8]) -> Option<DecodedPush> {
    typed_body::<ReadBody>(body)?.message.into_push()
}

/// The tree path: any body, every field looked up by path (see `fcm::decode_tree`).
pub(super) fn decode_tree(req: &HttpRequest) -> Result<DecodedPush, DecodeError> {
    let bad = |why: String| DecodeError::Body {
        vendor: "huawei",
        why,
    };
    let body = json_of(&req.body).map_err(bad)?;
    let tokens = at(&body, "message.token")
        .and_then(Value::as_array)
        .ok_or_else(|| bad("message.token is not an array".into()))?;
    let [token] = tokens.as_slice() else {
        return Err(bad(format!("expected one token, found {}", tokens.len())));
    };
    let token = token
        .as_str()
        .ok_or_else(|| bad("message.token[0] is not a string".into()))?;
    let an = at(&body, "message.android.notification");
    let pick = |key: &str| {
        an.and_then(|n| str_at(n, key))
            .or_else(|| str_at(&body, &format!("message.notification.{key}")))
            .unwrap_or("")
            .to_string()
    };
    let opt = |key: &str| an.and_then(|n| str_at(n, key)).map(str::to_string);
    let payload = match str_at(&body, "message.data") {
        None => BTreeMap::new(),
        Some(data) => data_map(data).map_err(|e| bad(format!("message.data: {e}")))?,
    };
    let badge = an
        .and_then(|n| at(n, "badge.set_num").or_else(|| at(n, "badge.add_num")))
        .and_then(Value::as_u64);
    let click = an.and_then(|n| n.get("click_action"));
    let click_action = match click.and_then(|c| c.get("type")).and_then(Value::as_i64) {
        Some(1) => click
            .and_then(|c| str_at(c, "action").or_else(|| str_at(c, "intent")))
            .map(str::to_string),
        Some(2) => click.and_then(|c| str_at(c, "url")).map(str::to_string),
        _ => None,
    };
    let notification = Notification {
        title: pick("title"),
        body: pick("body"),
        badge: badge.map(|b| b as u32),
        payload,
        channel_id: opt("channel_id"),
        click_action,
        sound: opt("sound"),
        category: str_at(&body, "message.android.category").map(str::to_string),
        notify_id: an
            .and_then(|n| n.get("notify_id"))
            .and_then(Value::as_i64)
            .map(|i| i.to_string()),
    };
    Ok(DecodedPush {
        token: token.to_string(),
        notification,
    })
}

/// A well-formed send body read straight into types (see `fcm::ReadBody`);
/// [`decode_tree`] reads the rest.
#[derive(serde::Deserialize)]
struct ReadBody {
    #[serde(deserialize_with = "object")]
    message: ReadMessage,
}

#[derive(serde::Deserialize)]
struct ReadMessage {
    token: Vec<String>,
    #[serde(default, deserialize_with = "present")]
    data: Option<String>,
    #[serde(default, deserialize_with = "present_object")]
    notification: Option<ReadTitleBody>,
    #[serde(default, deserialize_with = "present_object")]
    android: Option<ReadAndroid>,
}

#[derive(serde::Deserialize)]
struct ReadAndroid {
    #[serde(default, deserialize_with = "present")]
    category: Option<String>,
    #[serde(default, deserialize_with = "present_object")]
    notification: Option<ReadNotification>,
}

#[derive(serde::Deserialize, Default)]
struct ReadNotification {
    #[serde(default, deserialize_with = "present")]
    title: Option<String>,
    #[serde(default, deserialize_with = "present")]
    body: Option<String>,
    #[serde(default, deserialize_with = "present")]
    channel_id: Option<String>,
    #[serde(default, deserialize_with = "present")]
    sound: Option<String>,
    #[serde(default, deserialize_with = "present")]
    notify_id: Option<i64>,
    #[serde(default, deserialize_with = "present_object")]
    badge: Option<ReadBadge>,
    #[serde(default, deserialize_with = "present_object")]
    click_action: Option<ReadClick>,
}

#[derive(serde::Deserialize)]
struct ReadBadge {
    #[serde(default, deserialize_with = "present")]
    set_num: Option<u64>,
    #[serde(default, deserialize_with = "present")]
    add_num: Option<u64>,
}

#[derive(serde::Deserialize)]
struct ReadClick {
    #[serde(rename = "type", default, deserialize_with = "present")]
    kind: Option<i64>,
    #[serde(default, deserialize_with = "present")]
    action: Option<String>,
    #[serde(default, deserialize_with = "present")]
    intent: Option<String>,
    #[serde(default, deserialize_with = "present")]
    url: Option<String>,
}

impl ReadMessage {
    /// `None` when the tree path must judge: not exactly one token, or a
    /// payload that is not a JSON object.
    fn into_push(self) -> Option<DecodedPush> {
        let [token] = <[String; 1]>::try_from(self.token).ok()?;
        let payload = match &self.data {
            None => BTreeMap::new(),
            Some(data) => data_map(data).ok()?,
        };
        let (category, an) = self
            .android
            .map_or((None, None), |a| (a.category, a.notification));
        let an = an.unwrap_or_default();
        let (title, body) = self
            .notification
            .map_or((None, None), |n| (n.title, n.body));
        let click_action = an.click_action.and_then(|c| match c.kind {
            Some(1) => c.action.or(c.intent),
            Some(2) => c.url,
            _ => None,
        });
        Some(DecodedPush {
            token,
            notification: Notification {
                title: an.title.or(title).unwrap_or_default(),
                body: an.body.or(body).unwrap_or_default(),
                badge: an
                    .badge
                    .and_then(|b| {
                        if b.set_num.is_some() {
                            b.set_num
                        } else {
                            b.add_num
                        }
                    })
                    .map(|b| b as u32),
                payload,
                channel_id: an.channel_id,
                click_action,
                sound: an.sound,
                category,
                notify_id: an.notify_id.map(|i| i.to_string()),
            },
        })
    }
}

/// `message.data` is a JSON object in a string; non-string values are kept
/// as their JSON text.
fn data_map(data: &str) -> Result<BTreeMap<String, String>, String> {
    // Every value a string, as the pipeline writes it: read it as one.
    if let Ok(map) = serde_json::from_str::<BTreeMap<String, String>>(data) {
        return Ok(map);
    }
    data_map_tree(data)
}

/// [`data_map`] for any JSON: through the tree, values of other types as text.
fn data_map_tree(data: &str) -> Result<BTreeMap<String, String>, String> {
    let v: Value = serde_json::from_str(data).map_err(|e| format!("not a JSON string ({e})"))?;
    let obj = v.as_object().ok_or("not a JSON object")?;
    Ok(obj
        .iter()
        .map(|(k, v)| {
            (
                k.clone(),
                v.as_str()
                    .map(str::to_string)
                    .unwrap_or_else(|| v.to_string()),
            )
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The string-map shortcut of `data_map` reads what the tree reads,
    /// and steps aside for everything else.
    #[test]
    fn data_map_shortcut_agrees_with_the_tree() {
        for data in [
            r#"{"a":"b","k\u00e9":"v\n"}"#,
            r#"{"s":"x","s":"y"}"#,
            r#"{"n":1,"s":"x","o":{"z":[1]}}"#,
            r#"{}"#,
            r#"[1]"#,
            r#""text""#,
            r#"{"a":"b""#,
        ] {
            assert_eq!(data_map(data), data_map_tree(data), "{data}");
        }
    }
    use crate::core::model::Vendor;
    use crate::vendor::testing;

    /// Huawei's client-credentials form (HMS-Core demos: Go `auth.go` L76, Java
    /// `HuaweiCredential.java` L94, Python `_app.py` L75-79; EVIDENCE.md A5): exactly
    /// `grant_type=client_credentials`, `client_id`, `client_secret`, posted as
    /// a form to `/oauth2/v3/token` (`url.properties` L3). The vendor parses
    /// the form, so the order of fields is not part of the recipe; percent
    /// encoding of a secret with `+ / =` is (Python demo's `urlencode`).
    #[test]
    fn huawei_token_request_is_the_client_credentials_form() {
        let c = testing::creds(Vendor::Huawei, "104523987", "a+b/c=");
        let req = auth_request(&c);
        assert_eq!(
            (req.method.as_str(), req.path.as_str()),
            ("POST", "/oauth2/v3/token")
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
