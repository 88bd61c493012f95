//! Small helpers the vendor adapters share: JSON and form bodies, dotted
//! JSON paths, Retry-After. Shared with the mock models, which read the same
//! wire formats from the other side.

use super::{HttpRequest, HttpResponse};
use serde_json::Value;
use std::collections::BTreeMap;

/// `application/x-www-form-urlencoded` body from pairs, in the given order.
pub(crate) fn form_body(pairs: &[(&str, &str)]) -> Vec<u8> {
    let mut s = form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs {
        s.append_pair(k, v);
    }
    s.finish().into_bytes()
}

/// Parses a form body; a repeated key keeps its first value.
pub(crate) fn parse_form(body: &[u8]) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for (k, v) in form_urlencoded::parse(body) {
        out.entry(k.into_owned()).or_insert_with(|| v.into_owned());
    }
    out
}

/// A POST with a JSON body.
pub(crate) fn json_post(
    path: &str,
    bearer: Option<&str>,
    content_type: &str,
    body: &impl serde::Serialize,
) -> HttpRequest {
    let mut headers = vec![("content-type".to_string(), content_type.to_string())];
    if let Some(b) = bearer {
        headers.push(("authorization".to_string(), format!("Bearer {b}")));
    }
    let bytes = serde_json::to_vec(body).expect("a request body serializes");
    HttpRequest::new("POST", path, headers, bytes)
}

/// A POST with a form body.
pub(crate) fn form_post(path: &str, pairs: &[(&str, &str)]) -> HttpRequest {
    let headers = vec![(
        "content-type".to_string(),
        "application/x-www-form-urlencoded".to_string(),
    )];
    HttpRequest::new("POST", path, headers, form_body(pairs))
}

/// The value at a dotted path (`message.android.notification`).
pub(crate) fn at<'v>(v: &'v Value, path: &str) -> Option<&'v Value> {
    path.split('.').try_fold(v, |v, key| v.get(key))
}

/// The string at a dotted path.
pub(crate) fn str_at<'v>(v: &'v Value, path: &str) -> Option<&'v str> {
    at(v, path).and_then(Value::as_str)
}

/// For a typed fast path's optional fields: a key that is there must hold
/// a `T` (null included is refused); an absent key is `None` through
/// `#[serde(default)]`. A refused body goes down the `Value` path, which
/// tells null from absent as the vendors' decoders always have.
pub(crate) fn present<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::Deserialize<'de>,
{
    T::deserialize(d).map(Some)
}

/// [`present`] for a struct: only a JSON object will do. A derived struct
/// also reads an array, field by field in order, where the `Value` path's
/// lookups by key find nothing; refusing it keeps the two paths agreeing.
pub(crate) fn present_object<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::Deserialize<'de>,
{
    object(d).map(Some)
}

/// A struct read from a JSON object only (see [`present_object`]).
pub(crate) fn object<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::Deserialize<'de>,
{
    struct Object<T>(std::marker::PhantomData<T>);
    impl<'de, T: serde::Deserialize<'de>> serde::de::Visitor<'de> for Object<T> {
        type Value = T;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("a JSON object")
        }
        fn visit_map<A: serde::de::MapAccess<'de>>(self, map: A) -> Result<T, A::Error> {
            T::deserialize(serde::de::value::MapAccessDeserializer::new(map))
        }
    }
    d.deserialize_map(Object(std::marker::PhantomData))
}

/// A whole body read by a typed fast path: an object, nothing after it.
pub(crate) fn typed_body<'de, T: serde::Deserialize<'de>>(body: &'de [u8]) -> Option<T> {
    let mut de = serde_json::Deserializer::from_slice(body);
    let value = object(&mut de).ok()?;
    de.end().ok()?;
    Some(value)
}

/// Title and body as a send body's `notification` carries them (FCM's and
/// Huawei's typed paths read it alike).
#[derive(serde::Deserialize)]
pub(crate) struct ReadTitleBody {
    #[serde(default, deserialize_with = "present")]
    pub title: Option<String>,
    #[serde(default, deserialize_with = "present")]
    pub body: Option<String>,
}

/// A JSON body, or a description of why it is not one.
pub(crate) fn json_of(body: &[u8]) -> Result<Value, String> {
    if body.is_empty() {
        return Err("empty body".into());
    }
    serde_json::from_slice(body).map_err(|e| format!("not JSON ({e}): {}", preview(body)))
}

/// A vendor answer's JSON body. An answer that is not JSON reads as a server
/// error under 5xx (an outage, a proxy page) and as garbage otherwise.
pub(crate) fn answer_json(resp: &HttpResponse) -> Result<Value, super::VendorResult> {
    json_of(&resp.body).map_err(|reason| {
        if resp.status >= 500 {
            super::VendorResult::ServerError { reason }
        } else {
            super::VendorResult::Garbage { reason }
        }
    })
}

/// The first 80 characters of a body, for error messages.
pub(crate) fn preview(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let mut s: String = text.chars().take(80).collect();
    if text.chars().count() > 80 {
        s.push('…');
    }
    s
}

/// `Retry-After` in milliseconds (the delta-seconds form; dates are not used
/// by any vendor here).
pub(crate) fn retry_after_ms(resp: &HttpResponse) -> Option<u64> {
    resp.header("retry-after")?
        .trim()
        .parse::<u64>()
        .ok()
        .map(|s| s * 1000)
}

/// The bearer token of a request.
pub(crate) fn bearer(req: &HttpRequest) -> Option<&str> {
    let v = req.header("authorization")?;
    v.strip_prefix("Bearer ")
        .or_else(|| v.strip_prefix("bearer "))
}

/// A string map from a JSON object whose values are all strings.
pub(crate) fn string_map(v: &Value) -> Result<BTreeMap<String, String>, String> {
    let obj = v.as_object().ok_or("not an object")?;
    obj.iter()
        .map(|(k, v)| match v {
            Value::String(s) => Ok((k.clone(), s.clone())),
            other => Err(format!("value of {k:?} is not a string: {other}")),
        })
        .collect()
}

/// Lowercase hex MD5 (vivo and Meizu signatures).
pub(crate) fn md5_hex(text: &str) -> String {
    use md5::Digest;
    format!("{:x}", md5::Md5::digest(text.as_bytes()))
}

/// Lowercase hex SHA-256 (OPPO's signature).
pub(crate) fn sha256_hex(text: &str) -> String {
    use sha2::Digest;
    format!("{:x}", sha2::Sha256::digest(text.as_bytes()))
}

/// An integer field that may arrive as a JSON number or a numeric string.
pub(crate) fn int_of(v: Option<&Value>) -> Option<i64> {
    match v? {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// A JSON object's entries as strings (non-string values as their JSON text).
pub(crate) fn loose_map(v: &Value) -> BTreeMap<String, String> {
    v.as_object()
        .map(|o| {
            o.iter()
                .map(|(k, v)| {
                    (
                        k.clone(),
                        v.as_str()
                            .map(str::to_string)
                            .unwrap_or_else(|| v.to_string()),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}
