//! Vendor adapters: pure wire formats, one file per vendor, no network.
//!
//! For each vendor: the auth request and its parsing, the encoding of a push job
//! into the vendor's real HTTP request, the classification of the vendor's
//! response, and the decoding of a recorded request back into the canonical
//! [`Notification`](crate::core::model::Notification).
//!
//! `VendorResult` is a domain value, not an error: an invalid token or a 429 is
//! something the pipeline reacts to.

pub mod fcm;
pub mod honor;
pub mod http;
pub mod huawei;
pub mod meizu;
pub mod oppo;
pub mod policy;
pub mod vivo;
pub(crate) mod wire;
pub mod xiaomi;

pub use http::{HttpRequest, HttpResponse};

use crate::core::io::PushJob;
use crate::core::model::{Notification, Vendor};
use crate::core::time::SimTime;
use std::collections::BTreeMap;

/// What the pipeline holds for one cert (VND-01): who it is to the vendor.
///
/// One shape for all vendors; each adapter documents which fields it reads.
#[derive(
    Clone, PartialEq, Eq, Debug, serde::Serialize, serde::Deserialize, schemars::JsonSchema,
)]
#[serde(deny_unknown_fields)]
pub struct Credentials {
    /// The vendor these credentials are for.
    pub vendor: Vendor,
    /// FCM project id; Huawei app id.
    pub app_id: String,
    /// FCM service-account `client_email`; Huawei OAuth client id.
    pub client_id: String,
    /// FCM: the service account's RSA private key (PEM); Huawei: the client secret.
    pub secret: String,
    /// FCM: `private_key_id` (the JWT `kid`); unused elsewhere.
    pub key_id: String,
    /// The Android package of the app (badge class, intents).
    pub package: String,
    /// App configuration the vendor requires in requests (channel id,
    /// classification, …): defaults from `mocks/<vendor>.yaml`'s `app:`,
    /// overridden per cert by a scenario. Each adapter lists its keys in
    /// `OPTIONS`.
    pub options: BTreeMap<String, String>,
}

impl Credentials {
    /// A non-empty option.
    pub fn option(&self, key: &str) -> Option<&str> {
        self.options
            .get(key)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    }
}

/// The app options a vendor's adapter reads.
pub fn options(vendor: Vendor) -> &'static [&'static str] {
    match vendor {
        Vendor::Fcm => fcm::OPTIONS,
        Vendor::Huawei => huawei::OPTIONS,
        Vendor::Honor => honor::OPTIONS,
        Vendor::Xiaomi => xiaomi::OPTIONS,
        Vendor::Oppo => oppo::OPTIONS,
        Vendor::Vivo => vivo::OPTIONS,
        Vendor::Meizu => meizu::OPTIONS,
    }
}

/// An access token obtained from a vendor's auth endpoint.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct AccessToken {
    /// The opaque token (never printed in outcomes).
    pub value: String,
    /// When the pipeline stops using it: a few minutes before the vendor's
    /// expiry, as the vendors' own SDKs do.
    pub expires_at: SimTime,
}

/// A recorded request decoded back into what the device would show.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct DecodedPush {
    /// The device token the request targets.
    pub token: String,
    /// The canonical notification.
    pub notification: Notification,
}

/// Why a recorded request could not be decoded.
#[derive(Clone, PartialEq, Eq, Debug, thiserror::Error)]
pub enum DecodeError {
    /// Not the vendor's send endpoint.
    #[error("not a {vendor} send request: {method} {path}")]
    NotASend {
        /// Vendor name.
        vendor: &'static str,
        /// Method.
        method: String,
        /// Path.
        path: String,
    },
    /// The body is not what the vendor accepts.
    #[error("bad {vendor} body: {why}")]
    Body {
        /// Vendor name.
        vendor: &'static str,
        /// What is wrong.
        why: String,
    },
}

/// How early before the vendor's expiry the pipeline refreshes a token.
const REFRESH_MARGIN_S: i64 = 300;

fn token_expiry(now: SimTime, expires_in_s: i64) -> SimTime {
    let usable = (expires_in_s - REFRESH_MARGIN_S)
        .max(expires_in_s / 2)
        .max(0);
    now.plus_ms(usable * 1000)
}

/// An OAuth token endpoint's answer (RFC 6749 §5.1): `access_token` and
/// `expires_in` on 200. Otherwise `reason` spells the vendor's error body; it
/// is a server error under 5xx and a configuration problem otherwise.
pub(crate) fn oauth_answer(
    resp: &HttpResponse,
    now: SimTime,
    reason: impl FnOnce(&serde_json::Value) -> Option<String>,
) -> Result<AccessToken, VendorResult> {
    let body = wire::answer_json(resp)?;
    if resp.status == 200 {
        let value = wire::str_at(&body, "access_token");
        return match (value, wire::int_of(body.get("expires_in"))) {
            (Some(v), Some(e)) if !v.is_empty() && e > 0 => Ok(AccessToken {
                value: v.to_string(),
                expires_at: token_expiry(now, e),
            }),
            _ => Err(VendorResult::Garbage {
                reason: "token response without access_token/expires_in".into(),
            }),
        };
    }
    // An answer in none of the vendor's error shapes (a proxy's, a 500 in
    // another format) is shown as it came, never as "?: ".
    let reason = reason(&body)
        .unwrap_or_else(|| format!("HTTP {}: {}", resp.status, wire::preview(&resp.body)));
    Err(if resp.status >= 500 {
        VendorResult::ServerError { reason }
    } else {
        VendorResult::AuthConfig { reason }
    })
}

/// The request that obtains an access token, or `None` when the vendor signs
/// each request instead of issuing tokens (Xiaomi, Meizu).
pub fn auth_request(creds: &Credentials, now: SimTime) -> Option<HttpRequest> {
    match creds.vendor {
        Vendor::Fcm => Some(fcm::auth_request(creds, now)),
        Vendor::Huawei => Some(huawei::auth_request(creds)),
        Vendor::Honor => Some(honor::auth_request(creds)),
        Vendor::Oppo => Some(oppo::auth_request(creds, now)),
        Vendor::Vivo => Some(vivo::auth_request(creds, now)),
        Vendor::Xiaomi | Vendor::Meizu => None,
    }
}

/// Reads the auth endpoint's answer.
pub fn parse_auth(
    vendor: Vendor,
    resp: &HttpResponse,
    now: SimTime,
) -> Result<AccessToken, VendorResult> {
    match vendor {
        Vendor::Fcm => fcm::parse_auth(resp, now),
        Vendor::Huawei => huawei::parse_auth(resp, now),
        Vendor::Honor => honor::parse_auth(resp, now),
        Vendor::Oppo => oppo::parse_auth(resp, now),
        Vendor::Vivo => vivo::parse_auth(resp, now),
        other => Err(VendorResult::AuthConfig {
            reason: format!("{} issues no access tokens", other.name()),
        }),
    }
}

/// The vendor's real send request for one device.
pub fn encode(
    job: &PushJob,
    creds: &Credentials,
    token: Option<&AccessToken>,
    now: SimTime,
) -> HttpRequest {
    match job.vendor {
        Vendor::Fcm => fcm::encode(job, creds, token),
        Vendor::Huawei => huawei::encode(job, creds, token),
        Vendor::Honor => honor::encode(job, creds, token, now),
        Vendor::Xiaomi => xiaomi::encode(job, creds),
        Vendor::Oppo => oppo::encode(job, creds, token),
        Vendor::Vivo => vivo::encode(job, creds, token),
        Vendor::Meizu => meizu::encode(job, creds),
    }
}

/// What the vendor's answer to a send means for the pipeline.
pub fn classify(vendor: Vendor, resp: &HttpResponse) -> VendorResult {
    match vendor {
        Vendor::Fcm => fcm::classify(resp),
        Vendor::Huawei => huawei::classify(resp),
        Vendor::Honor => honor::classify(resp),
        Vendor::Xiaomi => xiaomi::classify(resp),
        Vendor::Oppo => oppo::classify(resp),
        Vendor::Vivo => vivo::classify(resp),
        Vendor::Meizu => meizu::classify(resp),
    }
}

/// Decodes a recorded send request into the canonical notification.
pub fn decode(vendor: Vendor, req: &HttpRequest) -> Result<DecodedPush, DecodeError> {
    match vendor {
        Vendor::Fcm => fcm::decode(req),
        Vendor::Huawei => huawei::decode(req),
        Vendor::Honor => honor::decode(req),
        Vendor::Xiaomi => xiaomi::decode(req),
        Vendor::Oppo => oppo::decode(req),
        Vendor::Vivo => vivo::decode(req),
        Vendor::Meizu => meizu::decode(req),
    }
}

/// A business-code answer classified by table: `code` → class.
pub(crate) fn by_code(class: Class, reason: String, retry_after_ms: Option<u64>) -> VendorResult {
    match class {
        Class::Ok => VendorResult::Ok { message_id: None },
        Class::InvalidToken => VendorResult::InvalidToken { reason },
        Class::AuthExpired => VendorResult::AuthExpired { reason },
        Class::AuthConfig => VendorResult::AuthConfig { reason },
        Class::RateLimited => VendorResult::RateLimited {
            retry_after_ms,
            reason,
            per_device: false,
        },
        Class::DailyQuota => VendorResult::DailyQuota { reason },
        Class::InvalidArgument => VendorResult::InvalidArgument { reason },
        Class::ServerError => VendorResult::ServerError { reason },
        Class::Unknown => VendorResult::Garbage {
            reason: format!("{reason} (unknown code)"),
        },
    }
}

/// The pipeline classes of VENDORS.md §9.1, for code tables.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Class {
    Ok,
    InvalidToken,
    AuthExpired,
    AuthConfig,
    RateLimited,
    DailyQuota,
    InvalidArgument,
    ServerError,
    Unknown,
}
/// How the pipeline must react to a vendor response (VENDORS.md §9.1).
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum VendorResult {
    /// Accepted; the vendor's message id if it gave one.
    Ok {
        /// Vendor message id (redacted in outcomes).
        message_id: Option<String>,
    },
    /// The token is invalid / unregistered: unbind it (TOK-08).
    InvalidToken {
        /// The vendor's code and message.
        reason: String,
    },
    /// The access token expired or is unknown: refresh once and resend.
    AuthExpired {
        /// The vendor's code and message.
        reason: String,
    },
    /// Credentials or permissions are wrong: alert, no retry.
    AuthConfig {
        /// The vendor's code and message.
        reason: String,
    },
    /// Too many requests; wait `retry_after_ms` if the vendor said so.
    RateLimited {
        /// Retry-After in milliseconds.
        retry_after_ms: Option<u64>,
        /// The vendor's code and message.
        reason: String,
        /// The limit is one device's message rate (FCM), not the app's: only
        /// sends to that device wait.
        per_device: bool,
    },
    /// Daily quota exhausted: no retry until the vendor's day rolls over.
    DailyQuota {
        /// The vendor's code and message.
        reason: String,
    },
    /// The request broke a vendor rule: drop.
    InvalidArgument {
        /// The vendor's code and message.
        reason: String,
    },
    /// 5xx or equivalent: retry with backoff.
    ServerError {
        /// The vendor's code and message.
        reason: String,
    },
    /// The response could not be understood (empty, not JSON, unknown shape).
    Garbage {
        /// What was wrong.
        reason: String,
    },
}

/// Values the adapters' known-answer tests share.
#[cfg(test)]
pub(crate) mod testing {
    use super::Credentials;
    use crate::core::io::PushJob;
    use crate::core::model::{DeviceKey, MsgId, Notification, Vendor};

    /// Credentials with the given ids and secret, no options.
    pub(crate) fn creds(vendor: Vendor, client_id: &str, secret: &str) -> Credentials {
        Credentials {
            vendor,
            app_id: "app-1".into(),
            client_id: client_id.into(),
            secret: secret.into(),
            key_id: String::new(),
            package: "com.example.app".into(),
            options: Default::default(),
        }
    }

    /// A push job for `token`.
    pub(crate) fn job(vendor: Vendor, token: &str) -> PushJob {
        PushJob {
            id: 1,
            msg: MsgId(1),
            device: DeviceKey::new("bob", "phone"),
            vendor,
            cert: "prod".into(),
            token: token.into(),
            notification: Notification {
                title: "Alice".into(),
                body: "Hi".into(),
                ..Notification::default()
            },
        }
    }
}

/// The request bodies byte for byte, as the `json!`-tree encoders wrote them
/// before FCM and Huawei became typed (issue 13): key order, escaping, the
/// optional keys left out, Huawei's payload as a JSON string.
#[cfg(test)]
mod body_bytes {
    use crate::core::model::Vendor;
    use crate::core::time::SimTime;

    fn bodies(vendor: Vendor) -> (String, String) {
        let creds = super::testing::creds(vendor, "id", "secret");
        let mut job = super::testing::job(vendor, "tok\"1");
        let text = |job: &crate::core::io::PushJob| {
            String::from_utf8(super::encode(job, &creds, None, SimTime(0)).body).expect("UTF-8")
        };
        let min = text(&job);
        let n = &mut job.notification;
        n.badge = Some(120);
        n.payload.insert("k\u{e9}".into(), "v\n".into());
        n.payload.insert("a".into(), "b".into());
        n.channel_id = Some("chan".into());
        n.click_action = Some("act".into());
        n.sound = Some("ding".into());
        n.category = Some("VOIP".into());
        n.notify_id = Some("42".into());
        (min, text(&job))
    }

    #[test]
    fn fcm_bodies_are_unchanged() {
        let (min, full) = bodies(Vendor::Fcm);
        assert_eq!(
            min,
            r#"{"message":{"token":"tok\"1","notification":{"title":"Alice","body":"Hi"},"android":{"priority":"HIGH","notification":{}}}}"#
        );
        assert_eq!(
            full,
            r#"{"message":{"token":"tok\"1","notification":{"title":"Alice","body":"Hi"},"data":{"a":"b","ké":"v\n"},"android":{"priority":"HIGH","notification":{"channel_id":"chan","sound":"ding","click_action":"act","tag":"42","notification_count":120}}}}"#
        );
    }

    #[test]
    fn huawei_bodies_are_unchanged() {
        let (min, full) = bodies(Vendor::Huawei);
        assert_eq!(
            min,
            r#"{"validate_only":false,"message":{"android":{"category":"IM","notification":{"title":"Alice","body":"Hi","importance":"NORMAL","click_action":{"type":3}}},"token":["tok\"1"]}}"#
        );
        assert_eq!(
            full,
            r#"{"validate_only":false,"message":{"data":"{\"a\":\"b\",\"ké\":\"v\\n\"}","android":{"category":"VOIP","notification":{"title":"Alice","body":"Hi","channel_id":"chan","sound":"ding","default_sound":false,"importance":"NORMAL","notify_id":42,"click_action":{"type":1,"action":"act"},"badge":{"set_num":99,"class":"com.example.app.MainActivity"}}},"token":["tok\"1"]}}"#
        );
    }
}

/// FCM's and Huawei's typed decode agrees with the tree decode it stands in
/// front of: on every body their encoders write (random notifications), and
/// on hand-made bodies where null, a wrong type, a missing key or a second
/// token must send the typed path to the tree.
#[cfg(test)]
mod typed_reads {
    use super::{fcm, huawei, HttpRequest};
    use crate::core::model::{Notification, Vendor};
    use crate::core::time::SimTime;
    use proptest::prelude::*;

    fn tree(vendor: Vendor, req: &HttpRequest) -> Result<super::DecodedPush, super::DecodeError> {
        match vendor {
            Vendor::Fcm => fcm::decode_tree(req),
            _ => huawei::decode_tree(req),
        }
    }

    fn typed(vendor: Vendor, body: &[u8]) -> Option<super::DecodedPush> {
        match vendor {
            Vendor::Fcm => fcm::decode_typed(body),
            _ => huawei::decode_typed(body),
        }
    }

    fn send(vendor: Vendor, body: &str) -> HttpRequest {
        let path = match vendor {
            Vendor::Fcm => fcm::send_path("p"),
            _ => huawei::send_path("app-1"),
        };
        HttpRequest::new("POST", &path, vec![], body.as_bytes().to_vec())
    }

    fn text() -> impl Strategy<Value = String> {
        prop::sample::select(vec![
            "",
            "Alice",
            "q\"uote",
            "back\\slash",
            "line\nbreak",
            "é中🙂",
            "42",
        ])
        .prop_map(str::to_string)
    }

    fn notification() -> impl Strategy<Value = Notification> {
        let opt = || prop::option::of(text());
        (
            (text(), text(), prop::option::of(0u32..200)),
            prop::collection::btree_map(text(), text(), 0..3),
            (opt(), opt(), opt(), opt(), prop::option::of("[0-9]{1,3}|x")),
        )
            .prop_map(
                |((title, body, badge), payload, (ch, click, sound, cat, id))| Notification {
                    title,
                    body,
                    badge,
                    payload,
                    channel_id: ch,
                    click_action: click,
                    sound,
                    category: cat,
                    notify_id: id,
                },
            )
    }

    proptest! {
        #[test]
        fn typed_and_tree_agree_on_encoded_bodies(n in notification(), fcm_side in any::<bool>()) {
            let vendor = if fcm_side { Vendor::Fcm } else { Vendor::Huawei };
            let creds = super::testing::creds(vendor, "id", "secret");
            let mut job = super::testing::job(vendor, "tok");
            job.notification = n;
            let req = super::encode(&job, &creds, None, SimTime(0));
            // Every body the pipeline writes takes the typed path.
            prop_assert_eq!(typed(vendor, &req.body).map(Ok), Some(tree(vendor, &req)));
        }
    }

    /// Each body with the path it must take (`true`: typed); either way
    /// the answer is the tree's.
    #[test]
    fn typed_and_tree_agree_on_odd_bodies() {
        let fcm_bodies = [
            (
                true,
                r#"{"message":{"token":"t","notification":{"title":"a","body":"b"}}}"#,
            ),
            (
                true,
                r#"{"message":{"token":"t","notification":{"title":"a"},"android":{"notification":{"title":"x","body":"y"}}}}"#,
            ),
            (
                false,
                r#"{"message":{"token":"t","notification":{"title":null,"body":"b"},"android":{"notification":{"title":"x"}}}}"#,
            ),
            (false, r#"{"message":{"token":"t","data":null}}"#),
            (false, r#"{"message":{"token":"t","data":{"k":1}}}"#),
            (false, r#"{"message":{"token":"t","android":null}}"#),
            (
                false,
                r#"{"message":{"token":"t","android":{"notification":"x"}}}"#,
            ),
            (
                false,
                r#"{"message":{"token":"t","android":{"notification":{"notification_count":1.5,"tag":"7"}}}}"#,
            ),
            (
                false,
                r#"{"message":{"token":"t","android":{"notification":{"notification_count":-1}}}}"#,
            ),
            (
                false,
                r#"{"message":{"token":"t","notification":{"title":"a","title":"b"}}}"#,
            ),
            (false, r#"{"message":{"token":5}}"#),
            (false, r#"{"message":{}}"#),
            // Arrays where objects go: a derived struct would read them by position.
            (false, r#"{"message":["t"]}"#),
            (false, r#"[{"token":"t"}]"#),
            (
                false,
                r#"{"message":{"token":"t","notification":["T","B"]}}"#,
            ),
            (false, r#"{"message":{"token":"t","android":["x"]}}"#),
            (
                false,
                r#"{"message":{"token":"t","android":{"notification":["T"]}}}"#,
            ),
            (false, r#"{"message":{"token":"t"}} trailing"#),
            (false, r#"[1]"#),
            (false, r#"not json"#),
        ];
        let huawei_bodies = [
            (
                false,
                r#"{"message":{"token":["t"],"android":{"notification":{"title":"a","badge":{"set_num":null,"add_num":3}}}}}"#,
            ),
            (
                true,
                r#"{"message":{"token":["t"],"android":{"notification":{"badge":{"add_num":3}}}}}"#,
            ),
            (false, r#"{"message":{"token":["t","u"]}}"#),
            (false, r#"{"message":{"token":[]}}"#),
            (false, r#"{"message":{"token":[7]}}"#),
            (false, r#"{"message":{"token":"t"}}"#),
            (false, r#"{"message":{"token":["t"],"data":null}}"#),
            (false, r#"{"message":{"token":["t"],"data":5}}"#),
            (false, r#"{"message":{"token":["t"],"data":"[1]"}}"#),
            (
                true,
                r#"{"message":{"token":["t"],"data":"{\"n\":1,\"s\":\"x\"}"}}"#,
            ),
            (
                true,
                r#"{"message":{"token":["t"],"data":"{\"s\":\"x\",\"s\":\"y\",\"e\":\"\\u00e9\"}"}}"#,
            ),
            (
                false,
                r#"{"message":{"token":["t"],"android":{"notification":{"notify_id":"42","click_action":{"type":1,"intent":"i"}}}}}"#,
            ),
            (
                false,
                r#"{"message":{"token":["t"],"android":{"notification":{"click_action":{"type":1,"action":5,"intent":"i"}}}}}"#,
            ),
            (
                true,
                r#"{"message":{"token":["t"],"android":{"notification":{"click_action":{"type":2,"url":"u"}}}}}"#,
            ),
            (
                true,
                r#"{"message":{"token":["t"],"android":{"notification":{"click_action":{"type":1,"action":"a","intent":"i"}}}}}"#,
            ),
            (
                false,
                r#"{"message":{"token":["t"],"android":{"category":null,"notification":{"click_action":{"action":"a"}}}}}"#,
            ),
            (
                true,
                r#"{"message":{"token":["t"],"notification":{"title":"a"},"android":{"notification":{"body":"b"}}}}"#,
            ),
            // Arrays where objects go.
            (false, r#"{"message":[["t"]]}"#),
            (
                false,
                r#"{"message":{"token":["t"],"android":{"notification":["T"]}}}"#,
            ),
            (
                false,
                r#"{"message":{"token":["t"],"android":{"notification":{"badge":[5]}}}}"#,
            ),
            (
                false,
                r#"{"message":{"token":["t"],"android":{"notification":{"click_action":[1,"a"]}}}}"#,
            ),
        ];
        for (vendor, bodies) in [
            (Vendor::Fcm, &fcm_bodies[..]),
            (Vendor::Huawei, &huawei_bodies[..]),
        ] {
            for (takes_typed, body) in bodies {
                let req = send(vendor, body);
                assert_eq!(super::decode(vendor, &req), tree(vendor, &req), "{body}");
                assert_eq!(typed(vendor, &req.body).is_some(), *takes_typed, "{body}");
            }
        }
    }
}
