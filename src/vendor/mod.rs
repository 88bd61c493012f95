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
pub mod http;
pub mod huawei;
pub(crate) mod wire;

pub use http::{HttpRequest, HttpResponse};

use crate::core::io::PushJob;
use crate::core::model::{Notification, Vendor};
use crate::core::time::SimTime;

/// What the pipeline holds for one cert (VND-01): who it is to the vendor.
///
/// One shape for all vendors; each adapter documents which fields it reads.
#[derive(Clone, PartialEq, Eq, Debug)]
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
    /// The vendor has no adapter yet.
    #[error("no adapter for {0} yet")]
    Unsupported(&'static str),
}

/// How early before the vendor's expiry the pipeline refreshes a token.
const REFRESH_MARGIN_S: i64 = 300;

fn token_expiry(now: SimTime, expires_in_s: i64) -> SimTime {
    let usable = (expires_in_s - REFRESH_MARGIN_S)
        .max(expires_in_s / 2)
        .max(0);
    now.plus_ms(usable * 1000)
}

/// The request that obtains an access token, or `None` when the vendor signs
/// each request instead of issuing tokens.
pub fn auth_request(creds: &Credentials, now: SimTime) -> Option<HttpRequest> {
    match creds.vendor {
        Vendor::Fcm => Some(fcm::auth_request(creds, now)),
        Vendor::Huawei => Some(huawei::auth_request(creds)),
        _ => None,
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
        other => Err(VendorResult::AuthConfig {
            reason: format!("no adapter for {} yet", other.name()),
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
    let _ = now;
    match job.vendor {
        Vendor::Fcm => fcm::encode(job, creds, token),
        Vendor::Huawei => huawei::encode(job, creds, token),
        other => HttpRequest::new(
            "POST",
            &format!("/unsupported/{}", other.name()),
            vec![],
            vec![],
        ),
    }
}

/// What the vendor's answer to a send means for the pipeline.
pub fn classify(vendor: Vendor, resp: &HttpResponse) -> VendorResult {
    match vendor {
        Vendor::Fcm => fcm::classify(resp),
        Vendor::Huawei => huawei::classify(resp),
        other => VendorResult::Garbage {
            reason: format!("no adapter for {} yet", other.name()),
        },
    }
}

/// Decodes a recorded send request into the canonical notification.
pub fn decode(vendor: Vendor, req: &HttpRequest) -> Result<DecodedPush, DecodeError> {
    match vendor {
        Vendor::Fcm => fcm::decode(req),
        Vendor::Huawei => huawei::decode(req),
        other => Err(DecodeError::Unsupported(other.name())),
    }
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
