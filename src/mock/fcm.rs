//! FCM's stateful parts: the JWT-bearer token exchange and the send.
//!
//! The assertion is read the way Google's token endpoint reads what the real
//! clients send (mocks/EVIDENCE.md A6): node `gtoken` signs a header of
//! `{"alg":"RS256"}` only, yup-oauth2 `{"alg":"RS256","typ":"JWT"}` with
//! padded base64url segments and `"sub":null`, google-auth adds `kid`. So `kid`
//! and `typ` are optional, padding is accepted, and only the signature, the
//! claims and the calendar decide.

use super::model::{payload_bytes, Handlers, Model, Parsed, Reply, PAYLOAD_BYTES_MAX};
use crate::core::time::SimTime;
use crate::vendor::fcm::{ASSERTION_LIFETIME_S, SCOPE, TOKEN_AUDIENCE};
use crate::vendor::wire::{at, str_at};
use base64::Engine;
use serde_json::Value;

/// Responses this model names (a test checks that `mocks/fcm.yaml` has them).
pub const RESPONSES: &[&str] = &[
    "token_ok",
    "invalid_grant",
    "ok",
    "unregistered",
    "invalid_token_format",
    "unknown_field",
    "message_too_big",
    "no_recipient",
    "two_recipients",
    "not_found",
];

/// Clock skew Google tolerates on `iat`.
const SKEW_S: i64 = 60;

/// The recipients of a v1 message, exactly one of which must be set
/// (firebase-admin-python 7.5 `_messaging_encoder.py` L723-739, EVIDENCE.md B1).
const RECIPIENTS: &[&str] = &["token", "topic", "condition", "fid"];

/// The fields of a v1 `Message` (FCM REST reference); any other name is
/// refused as Google's JSON parser refuses it.
const MESSAGE_FIELDS: &[&str] = &[
    "name",
    "data",
    "notification",
    "android",
    "webpush",
    "apns",
    "fcm_options",
    "token",
    "topic",
    "condition",
    "fid",
];

/// The handlers routes name in `mocks/fcm.yaml`.
pub const HANDLERS: Handlers = &[("token", token), ("send", send)];

fn token(model: &mut Model, p: &Parsed<'_>, now: SimTime) -> Reply {
    let assertion = p.form.get("assertion").map(String::as_str).unwrap_or("");
    match verify(model, p, assertion, now) {
        Err(detail) => Reply::with("invalid_grant", vec![("detail", detail.to_string())]),
        Ok(()) => {
            let value = model.issue_token("ya29.pushsim-", now);
            let lifetime = model.spec.auth.lifetime_s;
            Reply::with(
                "token_ok",
                vec![
                    ("access_token", value),
                    ("expires_in", lifetime.to_string()),
                ],
            )
        }
    }
}

/// The claims Google reads. Others are ignored, so yup-oauth2's `"sub": null`
/// (an `Option` without `skip_serializing_if`, `src/service_account.rs`
/// L91-119) passes.
#[derive(Debug, serde::Deserialize)]
struct AssertionClaims {
    iss: String,
    scope: String,
    aud: String,
    iat: i64,
    exp: i64,
}

const SIGNATURE: &str = "Invalid JWT Signature.";
const MALFORMED: &str = "Invalid JWT: malformed";
const LIFETIME: &str = "Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. Check your iat and exp values in the JWT claim.";

/// A base64url segment, with or without `=` padding (yup-oauth2 pads:
/// `general_purpose::URL_SAFE`, EVIDENCE.md A6).
fn segment(s: &str) -> Option<Vec<u8>> {
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(s.trim_end_matches('='))
        .ok()
}

/// Verifies the RS256 assertion against the service account's public key and
/// the calendar clock.
fn verify(
    model: &Model,
    p: &Parsed<'_>,
    assertion: &str,
    now: SimTime,
) -> Result<(), &'static str> {
    let c = &model.spec.credentials;
    let parts: Vec<&str> = assertion.split('.').collect();
    let [head, body, sig] = parts[..] else {
        return Err(MALFORMED);
    };
    let header: Value = segment(head)
        .and_then(|b| serde_json::from_slice(&b).ok())
        .ok_or(MALFORMED)?;
    if str_at(&header, "alg") != Some("RS256") {
        return Err(SIGNATURE);
    }
    // A `kid` naming another key of the account cannot verify with this one.
    if header
        .get("kid")
        .is_some_and(|k| k.as_str() != Some(c.key_id.as_str()))
    {
        return Err(SIGNATURE);
    }
    let key = jsonwebtoken::DecodingKey::from_rsa_pem(c.verify_key.as_bytes())
        .map_err(|_| "mock key unusable")?;
    let signed = &assertion[..head.len() + 1 + body.len()];
    if !signature_ok(signed, sig, &key) {
        return Err(SIGNATURE);
    }
    let claims: AssertionClaims = segment(body)
        .and_then(|b| serde_json::from_slice(&b).ok())
        .ok_or(MALFORMED)?;
    if !audience_ok(&claims.aud, p) {
        return Err("Invalid JWT: audience");
    }
    if claims.iss != c.client_id {
        return Err("Invalid JWT: Failed audience check or unknown service account.");
    }
    let scope_ok = claims
        .scope
        .split(' ')
        .any(|s| s == SCOPE || s == "https://www.googleapis.com/auth/cloud-platform");
    if !scope_ok {
        return Err("Invalid OAuth scope or ID token audience provided.");
    }
    lifetime_ok(claims.iat, claims.exp, now)
        .then_some(())
        .ok_or(LIFETIME)
}

/// RS256 over the segments exactly as sent (padded or not), the signature
/// segment with or without padding.
fn signature_ok(signed: &str, sig: &str, key: &jsonwebtoken::DecodingKey) -> bool {
    let good = jsonwebtoken::crypto::verify(
        sig.trim_end_matches('='),
        signed.as_bytes(),
        key,
        jsonwebtoken::Algorithm::RS256,
    );
    matches!(good, Ok(true))
}

/// `aud` is Google's token URL (gtoken and google-auth use the constant,
/// EVIDENCE.md A6) or the URL this request was sent to: yup-oauth2 puts the key
/// file's `token_uri` in `aud`, and the key file `pushsim mocks serve`
/// publishes names the mock (`http://127.0.0.1:port/token`). The mock does not
/// know its own base URL, but the client that posts to `token_uri` names it in
/// `Host`; any scheme but `http` is not the mock.
fn audience_ok(aud: &str, p: &Parsed<'_>) -> bool {
    if aud == TOKEN_AUDIENCE {
        return true;
    }
    let path = p.req.path.split('?').next().unwrap_or("");
    p.req
        .header("host")
        .is_some_and(|host| aud == format!("http://{host}{path}"))
}

/// `iat` not in the future (beyond the skew), `exp` in the future, and at most
/// an hour between them; checked arithmetic, so `iat = i64::MIN, exp =
/// i64::MAX` is refused rather than overflowing.
fn lifetime_ok(iat: i64, exp: i64, now: SimTime) -> bool {
    let now_s = now.0.div_euclid(1000);
    let not_future = now_s.checked_add(SKEW_S).is_some_and(|limit| iat <= limit);
    let span_ok = exp
        .checked_sub(iat)
        .is_some_and(|span| span > 0 && span <= ASSERTION_LIFETIME_S);
    not_future && exp > now_s && span_ok
}

fn send(model: &mut Model, p: &Parsed<'_>, _now: SimTime) -> Reply {
    let body = p.json.as_ref().expect("the route checks the JSON body");
    let message = at(body, "message").and_then(Value::as_object);
    let message = message.expect("the route checks message is an object");
    if let Some(name) = message
        .keys()
        .find(|k| !MESSAGE_FIELDS.contains(&k.as_str()))
    {
        return Reply::with("unknown_field", vec![("name", name.clone())]);
    }
    let set: Vec<&str> = RECIPIENTS
        .iter()
        .copied()
        .filter(|r| message.contains_key(*r))
        .collect();
    if payload_bytes(message, RECIPIENTS) > PAYLOAD_BYTES_MAX {
        return Reply::plain("message_too_big");
    }
    let recipient = match set[..] {
        [] => return Reply::plain("no_recipient"),
        [one] => one,
        [_, second, ..] => return Reply::with("two_recipients", vec![("name", second.into())]),
    };
    // A registration token and an installation id are device addresses; a
    // topic or condition reaches whoever subscribed.
    if recipient == "token" || recipient == "fid" {
        let device = message[recipient].as_str().unwrap_or("");
        if device.len() < 8 || device.contains(char::is_whitespace) {
            return Reply::plain("invalid_token_format");
        }
        if model.token_invalid(device) {
            return Reply::plain("unregistered");
        }
    }
    let id = model.state.next_id();
    Reply::with("ok", vec![("message_id", format!("0:{id:016}%pushsim"))])
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 7515 Appendix A.2.1's public key (`n`, `e`).
    const A2_N: &str = "ofgWCuLjybRlzo0tZWJjNiuSfb4p4fAkd_wWJcyQoTbji9k0l8W26mPddxHmfHQp-Vaw-4qPCJrcS2mJPMEzP1Pt0Bm4d4QlL-yRT-SFd2lZS-pCgNMsD1W_YpRPEwOWvG6b32690r2jZ47soMZo9wGzjb_7OMg0LOL-bSf63kpaSHSXndS5z5rexMdbBYUsLA9e-KXBdQOS-UTo7WTBEMa2R2CapHg665xsmtdVMTBQY4uDZlxvb3qCo5ZwKh9kG4LT6_I5IhlJH7aGhyxXFvUK-DWNmoudF8NAco9_h9iaGNj8q2ethFkMLs91kzk2PAcDTW9gb54h4FRWyuXpoQ";
    const A2_INPUT: &str = "eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ";
    const A2_SIG: &str = "cC4hiUPoj9Eetdgtv3hF80EGrhuB__dzERat0XF9g2VtQgr9PJbu3XOiZj5RZmh7AAuHIm4Bh-0Qc_lF5YKt_O8W2Fp5jujGbds9uJdbF9CUAr7t1dnZcAcQjbKBYNX4BAynRFdiuB--f_nZLgrnbyTyWzO75vRK5h6xBArLIARNPvkSjtQBMHlb1L07Qe7K0GarZRmB_eSN9383LcOLn6_dO--xi12jzDwusC-eOkHWEsqtFZESc6BfI7noOPqvhJ1phCnvWh6IeYI2w9QOYEUipUTI8np6LbgGY9Fs98rqVt5AXLIhWkWywlVmtVrBp0igcN_IoypGlUPQGe77Rw";

    /// The mock's verifier accepts RFC 7515 A.2's published signature (also
    /// `=`-padded, as yup-oauth2 sends) and refuses it over a changed input.
    #[test]
    fn mock_verifier_accepts_rfc_7515_a2_and_nothing_else() {
        let key = jsonwebtoken::DecodingKey::from_rsa_components(A2_N, "AQAB").expect("key");
        assert!(signature_ok(A2_INPUT, A2_SIG, &key));
        assert!(signature_ok(A2_INPUT, &format!("{A2_SIG}=="), &key));
        let changed = A2_INPUT.replace("eyJpc3Mi", "eyJpc3Ni");
        assert!(!signature_ok(&changed, A2_SIG, &key));
    }

    /// Checked arithmetic: the extremes are refused, not wrapped.
    #[test]
    fn lifetime_extremes_are_refused_without_overflow() {
        let now = SimTime(1_772_413_200_000);
        let s = now.0 / 1000;
        assert!(lifetime_ok(s, s + 3600, now));
        assert!(!lifetime_ok(s, s + 3601, now));
        assert!(!lifetime_ok(i64::MIN, i64::MAX, now));
        assert!(!lifetime_ok(i64::MAX, i64::MIN, now));
        assert!(!lifetime_ok(s, s, now));
        assert!(!lifetime_ok(i64::MAX - 10, i64::MAX, SimTime(i64::MAX)));
    }
}
