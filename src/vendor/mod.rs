//! Vendor adapters: pure wire formats, one file per vendor, no network.
//!
//! For each vendor: the auth request and its parsing, the encoding of a push job
//! into the vendor's real HTTP request, the classification of the vendor's
//! response, and the decoding of a recorded request back into the canonical
//! [`Notification`](crate::core::model::Notification).
//!
//! `VendorResult` is a domain value, not an error: an invalid token or a 429 is
//! something the pipeline reacts to.

pub mod http;

pub use http::{HttpRequest, HttpResponse};

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
