//! FCM's stateful parts: the JWT-bearer token exchange and the send.

use super::model::{Handlers, Model, Parsed, Reply};
use crate::core::time::SimTime;
use crate::vendor::fcm::{Claims, ASSERTION_LIFETIME_S, SCOPE, TOKEN_AUDIENCE};
use crate::vendor::wire::{bearer, str_at};

/// Responses this model names (a test checks that `mocks/fcm.yaml` has them).
pub const RESPONSES: &[&str] = &[
    "token_ok",
    "invalid_grant",
    "ok",
    "unauthenticated",
    "unregistered",
    "invalid_token_format",
    "not_found",
];

/// Clock skew Google tolerates on `iat`.
const SKEW_S: i64 = 60;

/// The handlers routes name in `mocks/fcm.yaml`.
pub const HANDLERS: Handlers = &[("token", token), ("send", send)];

fn token(model: &mut Model, p: &Parsed<'_>, now: SimTime) -> Reply {
    let assertion = p.form.get("assertion").map(String::as_str).unwrap_or("");
    match verify(model, assertion, now) {
        Err(detail) => Reply::with("invalid_grant", vec![("detail", detail)]),
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

/// Verifies the RS256 assertion against the service account's public key and
/// the calendar clock (jsonwebtoken's own `exp` check would read the system
/// clock, so it is off).
fn verify(model: &Model, assertion: &str, now: SimTime) -> Result<(), String> {
    let c = &model.spec.credentials;
    let key = jsonwebtoken::DecodingKey::from_rsa_pem(c.verify_key.as_bytes())
        .map_err(|e| format!("mock key: {e}"))?;
    let header =
        jsonwebtoken::decode_header(assertion).map_err(|_| "Invalid JWT: malformed".to_string())?;
    if header.kid.as_deref() != Some(c.key_id.as_str()) {
        return Err("Invalid JWT Signature.".into());
    }
    let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::RS256);
    validation.validate_exp = false;
    validation.required_spec_claims.clear();
    validation.set_audience(&[TOKEN_AUDIENCE]);
    let data = jsonwebtoken::decode::<Claims>(assertion, &key, &validation).map_err(|e| match e
        .kind()
    {
        jsonwebtoken::errors::ErrorKind::InvalidAudience => "Invalid JWT: audience".to_string(),
        _ => "Invalid JWT Signature.".to_string(),
    })?;
    let claims = data.claims;
    let now_s = now.0.div_euclid(1000);
    if claims.iss != c.client_id {
        return Err("Invalid JWT: Failed audience check or unknown service account.".into());
    }
    if !claims
        .scope
        .split(' ')
        .any(|s| s == SCOPE || s == "https://www.googleapis.com/auth/cloud-platform")
    {
        return Err("Invalid OAuth scope or ID token audience provided.".into());
    }
    if claims.iat > now_s + SKEW_S
        || claims.exp <= now_s
        || claims.exp - claims.iat > ASSERTION_LIFETIME_S
    {
        return Err("Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. Check your iat and exp values in the JWT claim.".into());
    }
    Ok(())
}

fn send(model: &mut Model, p: &Parsed<'_>, now: SimTime) -> Reply {
    let valid = bearer(p.req)
        .and_then(|b| model.state.issued.get(b))
        .is_some_and(|exp| now < *exp);
    if !valid {
        return Reply::plain("unauthenticated");
    }
    let body = p.json.as_ref().expect("the route checks the JSON body");
    let token = str_at(body, "message.token").unwrap_or("");
    if token.len() < 8 || token.contains(char::is_whitespace) {
        return Reply::plain("invalid_token_format");
    }
    if model.token_invalid(token) {
        return Reply::plain("unregistered");
    }
    let id = model.state.next_id();
    Reply::with("ok", vec![("message_id", format!("0:{id:016}%pushsim"))])
}
