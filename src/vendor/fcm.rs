//! Google FCM HTTP v1 (VENDORS.md §1).
//!
//! Auth: a service-account JWT (RS256, `kid` = `private_key_id`) exchanged at
//! the token endpoint for an OAuth access token (RFC 7523). Send: one
//! `messages:send` per device token. Errors: the `FcmError` detail's
//! `errorCode` first, then the google.rpc `status` (as firebase-admin does).
//!
//! [`Credentials`] fields: `app_id` = project id, `client_id` = `client_email`,
//! `secret` = the RSA private key in PEM, `key_id` = `private_key_id`.

use super::wire::{
    answer_json, at, form_post, json_of, json_post, object, present, present_object,
    retry_after_ms, str_at, string_map, typed_body, ReadTitleBody,
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

/// The token endpoint path (Google's `token_uri` is `https://oauth2.googleapis.com/token`).
pub const TOKEN_PATH: &str = "/token";
/// The JWT `aud`: the service account's `token_uri`.
pub const TOKEN_AUDIENCE: &str = "https://oauth2.googleapis.com/token";
/// The OAuth scope for sending.
pub const SCOPE: &str = "https://www.googleapis.com/auth/firebase.messaging";
/// The JWT bearer grant type.
pub const GRANT_TYPE: &str = "urn:ietf:params:oauth:grant-type:jwt-bearer";
/// Lifetime of the assertion the pipeline signs (Google's maximum).
pub const ASSERTION_LIFETIME_S: i64 = 3600;

/// App options this adapter reads (none: FCM's fields come from the job).
pub const OPTIONS: &[&str] = &[];

/// The send path for a project.
pub fn send_path(project_id: &str) -> String {
    format!("/v1/projects/{project_id}/messages:send")
}

/// The JWT claims of the assertion.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
pub struct Claims {
    /// `client_email`.
    pub iss: String,
    /// Space-separated scopes.
    pub scope: String,
    /// The token endpoint.
    pub aud: String,
    /// Issued at (seconds).
    pub iat: i64,
    /// Expiry (seconds).
    pub exp: i64,
}

/// Signs the assertion and builds the token request. A key that cannot sign
/// yields a request with an unsigned assertion, which the vendor refuses: the
/// misconfiguration then shows in the outcome as an auth failure.
pub fn auth_request(creds: &Credentials, now: SimTime) -> HttpRequest {
    let iat = now.0.div_euclid(1000);
    let claims = Claims {
        iss: creds.client_id.clone(),
        scope: SCOPE.to_string(),
        aud: TOKEN_AUDIENCE.to_string(),
        iat,
        exp: iat + ASSERTION_LIFETIME_S,
    };
    let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::RS256);
    header.kid = Some(creds.key_id.clone());
    let assertion = jsonwebtoken::EncodingKey::from_rsa_pem(creds.secret.as_bytes())
        .and_then(|key| jsonwebtoken::encode(&header, &claims, &key))
        .unwrap_or_else(|e| format!("unsigned.{e}"));
    form_post(
        TOKEN_PATH,
        &[("grant_type", GRANT_TYPE), ("assertion", &assertion)],
    )
}

/// Reads the token endpoint's answer.
pub fn parse_auth(resp: &HttpResponse, now: SimTime) -> Result<AccessToken, VendorResult> {
    // OAuth errors are `{error, error_description}`; Google API errors (e.g. a
    // 503 from the front end) are `{error: {code, message, status}}`.
    oauth_answer(resp, now, |body| match str_at(body, "error") {
        Some(e) => Some(format!(
            "{e}: {}",
            str_at(body, "error_description").unwrap_or("")
        )),
        None => Some(format!(
            "{}: {}",
            str_at(body, "error.status")?,
            str_at(body, "error.message").unwrap_or("")
        )),
    })
}

/// The `messages:send` request for one device.
pub fn encode(job: &PushJob, creds: &Credentials, token: Option<&AccessToken>) -> HttpRequest {
    let n = &job.notification;
    let body = SendBody {
        message: SendMessage {
            token: &job.token,
            notification: TitleBody {
                title: &n.title,
                body: &n.body,
            },
            data: &n.payload,
            // HIGH: chat must not be deferred by Doze (VENDORS.md §1.5).
            android: AndroidConfig {
                priority: "HIGH",
                notification: AndroidNotification {
                    channel_id: n.channel_id.as_deref(),
                    sound: n.sound.as_deref(),
                    click_action: n.click_action.as_deref(),
                    tag: n.notify_id.as_deref(),
                    notification_count: n.badge,
                },
            },
        },
    };
    json_post(
        &send_path(&creds.app_id),
        token.map(|t| t.value.as_str()),
        "application/json",
        &body,
    )
}

/// The `messages:send` body, field by field in the order FCM documents them.
/// Typed, not a `json!` tree: serializing a struct costs a fraction of
/// building and hashing the tree's maps, and every push pays it (callgrind).
#[derive(Serialize)]
struct SendBody<'a> {
    message: SendMessage<'a>,
}

#[derive(Serialize)]
struct SendMessage<'a> {
    token: &'a str,
    notification: TitleBody<'a>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    data: &'a BTreeMap<String, String>,
    android: AndroidConfig<'a>,
}

#[derive(Serialize)]
struct TitleBody<'a> {
    title: &'a str,
    body: &'a str,
}

#[derive(Serialize)]
struct AndroidConfig<'a> {
    priority: &'static str,
    notification: AndroidNotification<'a>,
}

#[derive(Serialize)]
struct AndroidNotification<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    channel_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    sound: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    click_action: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    tag: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    notification_count: Option<u32>,
}

/// What a send answer means.
pub fn classify(resp: &HttpResponse) -> VendorResult {
    let body = match answer_json(resp) {
        Ok(b) => b,
        Err(r) => return r,
    };
    if resp.status == 200 {
        return match str_at(&body, "name") {
            Some(name) => VendorResult::Ok {
                message_id: Some(name.to_string()),
            },
            None => VendorResult::Garbage {
                reason: "200 without a message name".into(),
            },
        };
    }
    let status = str_at(&body, "error.status").unwrap_or("");
    let message = str_at(&body, "error.message").unwrap_or("");
    let code = fcm_error_code(&body).unwrap_or(status);
    let reason = format!("{code}: {message}");
    match (resp.status, code) {
        (_, "UNREGISTERED") | (_, "SENDER_ID_MISMATCH") => VendorResult::InvalidToken { reason },
        (400, "INVALID_ARGUMENT") if message.contains("registration token") => {
            VendorResult::InvalidToken { reason }
        }
        (_, "INVALID_ARGUMENT") => VendorResult::InvalidArgument { reason },
        (401, "THIRD_PARTY_AUTH_ERROR") | (401, "APNS_AUTH_ERROR") => {
            VendorResult::AuthConfig { reason }
        }
        (401, _) => VendorResult::AuthExpired { reason },
        (403, _) => VendorResult::AuthConfig { reason },
        // The project's quota, or one device's message rate: an ErrorInfo
        // whose quota_limit is per device (mocks/fcm.yaml, provisional).
        (429, _) | (_, "QUOTA_EXCEEDED") => VendorResult::RateLimited {
            retry_after_ms: retry_after_ms(resp),
            per_device: per_device(&body),
            reason,
        },
        // UNAVAILABLE: honour Retry-After when given, else back off.
        (503, _) if retry_after_ms(resp).is_some() => VendorResult::RateLimited {
            retry_after_ms: retry_after_ms(resp),
            reason,
            per_device: false,
        },
        (s, _) if s >= 500 => VendorResult::ServerError { reason },
        (s, _) if (400..500).contains(&s) => VendorResult::InvalidArgument { reason },
        _ => VendorResult::Garbage { reason },
    }
}

/// `error.details[@type=…FcmError].errorCode`.
fn fcm_error_code(body: &Value) -> Option<&str> {
    at(body, "error.details")?
        .as_array()?
        .iter()
        .find(|d| {
            str_at(d, "@type").is_some_and(|t| t.ends_with("google.firebase.fcm.v1.FcmError"))
        })
        .and_then(|d| str_at(d, "errorCode"))
}

/// Decodes a recorded `messages:send` request.
pub fn decode(req: &HttpRequest) -> Result<DecodedPush, DecodeError> {
    if req.method != "POST"
        || !(req.path.starts_with("/v1/projects/") && req.path.ends_with("/messages:send"))
    {
        return Err(DecodeError::NotASend {
            vendor: "fcm",
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
    Some(typed_body::<ReadBody>(body)?.message.into_push())
}

/// The tree path: any body, every field looked up by path. The reference
/// the typed path must agree with, and the one that says what is wrong.
pub(super) fn decode_tree(req: &HttpRequest) -> Result<DecodedPush, DecodeError> {
    let bad = |why: String| DecodeError::Body { vendor: "fcm", why };
    let body = json_of(&req.body).map_err(bad)?;
    let token =
        str_at(&body, "message.token").ok_or_else(|| bad("message.token missing".into()))?;
    let an = at(&body, "message.android.notification");
    let pick = |key: &str| {
        an.and_then(|n| str_at(n, key))
            .or_else(|| str_at(&body, &format!("message.notification.{key}")))
            .unwrap_or("")
            .to_string()
    };
    let opt = |key: &str| an.and_then(|n| str_at(n, key)).map(str::to_string);
    let payload = match at(&body, "message.data") {
        None => Default::default(),
        Some(d) => string_map(d).map_err(|e| bad(format!("message.data: {e}")))?,
    };
    let badge = an
        .and_then(|n| n.get("notification_count"))
        .and_then(Value::as_u64)
        .map(|b| b as u32);
    let notification = Notification {
        title: pick("title"),
        body: pick("body"),
        badge,
        payload,
        channel_id: opt("channel_id"),
        click_action: opt("click_action"),
        sound: opt("sound"),
        category: None,
        notify_id: opt("tag"),
    };
    Ok(DecodedPush {
        token: token.to_string(),
        notification,
    })
}

/// A well-formed send body read straight into types: the observation
/// decodes every push the mock journalled, and building the JSON tree was
/// most of that cost (callgrind). Only a body every field of which has the
/// expected type gets here; [`decode_tree`] reads the rest.
#[derive(serde::Deserialize)]
struct ReadBody {
    #[serde(deserialize_with = "object")]
    message: ReadMessage,
}

#[derive(serde::Deserialize)]
struct ReadMessage {
    token: String,
    #[serde(default, deserialize_with = "present_object")]
    notification: Option<ReadTitleBody>,
    #[serde(default, deserialize_with = "present")]
    data: Option<BTreeMap<String, String>>,
    #[serde(default, deserialize_with = "present_object")]
    android: Option<ReadAndroid>,
}

#[derive(serde::Deserialize)]
struct ReadAndroid {
    #[serde(default, deserialize_with = "present_object")]
    notification: Option<ReadAndroidNotification>,
}

#[derive(serde::Deserialize, Default)]
struct ReadAndroidNotification {
    #[serde(default, deserialize_with = "present")]
    title: Option<String>,
    #[serde(default, deserialize_with = "present")]
    body: Option<String>,
    #[serde(default, deserialize_with = "present")]
    channel_id: Option<String>,
    #[serde(default, deserialize_with = "present")]
    click_action: Option<String>,
    #[serde(default, deserialize_with = "present")]
    sound: Option<String>,
    #[serde(default, deserialize_with = "present")]
    tag: Option<String>,
    #[serde(default, deserialize_with = "present")]
    notification_count: Option<u64>,
}

impl ReadMessage {
    fn into_push(self) -> DecodedPush {
        let an = self
            .android
            .and_then(|a| a.notification)
            .unwrap_or_default();
        let (title, body) = self
            .notification
            .map_or((None, None), |n| (n.title, n.body));
        DecodedPush {
            token: self.token,
            notification: Notification {
                title: an.title.or(title).unwrap_or_default(),
                body: an.body.or(body).unwrap_or_default(),
                badge: an.notification_count.map(|b| b as u32),
                payload: self.data.unwrap_or_default(),
                channel_id: an.channel_id,
                click_action: an.click_action,
                sound: an.sound,
                category: None,
                notify_id: an.tag,
            },
        }
    }
}

/// Whether a quota error names a per-device limit (`quota_limit: …PerDevice`).
fn per_device(body: &serde_json::Value) -> bool {
    body.pointer("/error/details")
        .and_then(|d| d.as_array())
        .is_some_and(|details| {
            details.iter().any(|d| {
                d.pointer("/metadata/quota_limit")
                    .and_then(|q| q.as_str())
                    .is_some_and(|q| q.ends_with("PerDevice"))
            })
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// RFC 7515 Appendix A.2: the published signing input …
    const A2_SIGNING_INPUT: &str = "eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ";
    /// … and the published RS256 signature (base64url).
    const A2_SIGNATURE: &str = "cC4hiUPoj9Eetdgtv3hF80EGrhuB__dzERat0XF9g2VtQgr9PJbu3XOiZj5RZmh7AAuHIm4Bh-0Qc_lF5YKt_O8W2Fp5jujGbds9uJdbF9CUAr7t1dnZcAcQjbKBYNX4BAynRFdiuB--f_nZLgrnbyTyWzO75vRK5h6xBArLIARNPvkSjtQBMHlb1L07Qe7K0GarZRmB_eSN9383LcOLn6_dO--xi12jzDwusC-eOkHWEsqtFZESc6BfI7noOPqvhJ1phCnvWh6IeYI2w9QOYEUipUTI8np6LbgGY9Fs98rqVt5AXLIhWkWywlVmtVrBp0igcN_IoypGlUPQGe77Rw";

    /// RS256 (RSASSA-PKCS1-v1_5, deterministic) with the RFC's key, loaded from
    /// the PEM built offline from its JWK (`testdata/README.md`), reproduces
    /// the RFC's signature byte for byte: the signer the pipeline's assertion
    /// uses (jsonwebtoken on aws-lc-rs) is RS256 as published.
    #[test]
    fn rs256_reproduces_rfc_7515_appendix_a2() {
        let pem = include_str!("testdata/rfc7515-a2-rsa.pem");
        let key =
            jsonwebtoken::EncodingKey::from_rsa_pem(pem.as_bytes()).expect("the RFC key loads");
        let sig = jsonwebtoken::crypto::sign(
            A2_SIGNING_INPUT.as_bytes(),
            &key,
            jsonwebtoken::Algorithm::RS256,
        )
        .expect("signs");
        assert_eq!(sig, A2_SIGNATURE);
    }

    /// yup-oauth2's test pins the header segment of `{"alg":"RS256","typ":"JWT"}`
    /// (`src/service_account.rs` L283-301, EVIDENCE.md A6): the pipeline's header
    /// (jsonwebtoken: `typ` + `kid`) decodes to RS256 and names the key.
    #[test]
    fn assertion_header_is_rs256_with_the_key_id() {
        use base64::Engine;
        let seg = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(r#"{"alg":"RS256","typ":"JWT"}"#);
        assert_eq!(seg, "eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9");
        let mut creds = crate::vendor::testing::creds(
            crate::core::model::Vendor::Fcm,
            "sa@p.iam.gserviceaccount.com",
            include_str!("testdata/rfc7515-a2-rsa.pem"),
        );
        creds.key_id = "kid-1".into();
        let req = auth_request(&creds, SimTime(1_772_413_200_000));
        let form: std::collections::BTreeMap<String, String> =
            form_urlencoded::parse(&req.body).into_owned().collect();
        assert_eq!(form["grant_type"], GRANT_TYPE);
        let header = jsonwebtoken::decode_header(&form["assertion"]).expect("a JWT");
        assert_eq!(header.alg, jsonwebtoken::Algorithm::RS256);
        assert_eq!(header.kid.as_deref(), Some("kid-1"));
    }

    fn answer(status: u16, body: serde_json::Value) -> HttpResponse {
        HttpResponse::new(
            status,
            vec![("content-type".into(), "application/json".into())],
            serde_json::to_vec(&body).expect("JSON"),
        )
    }

    /// Google's 401 for an expired token carries an ErrorInfo (EVIDENCE.md B2), the
    /// one for an unknown token none; both mean "refresh once" to the
    /// pipeline, as before the detail was added (ErrorInfo is not an
    /// FcmError, so it does not become the code).
    #[test]
    fn both_401_shapes_classify_as_auth_expired() {
        let message = "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.";
        let expired = json!({"error":{"code":401,"message":message,"status":"UNAUTHENTICATED","details":[{"@type":"type.googleapis.com/google.rpc.ErrorInfo","reason":"ACCESS_TOKEN_EXPIRED","domain":"googleapis.com","metadata":{"service":"fcm.googleapis.com","method":"google.firebase.fcm.v1.FcmService.SendMessage"}}]}});
        let unknown = json!({"error":{"code":401,"message":message,"status":"UNAUTHENTICATED"}});
        for body in [expired, unknown] {
            let r = classify(&answer(401, body));
            assert_eq!(
                r,
                VendorResult::AuthExpired {
                    reason: format!("UNAUTHENTICATED: {message}")
                }
            );
        }
    }
}
