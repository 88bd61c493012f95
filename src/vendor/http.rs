//! HTTP request/response values. Headers are lower-cased and sorted so that they
//! can enter a trace or a snapshot without ordering hazards.

/// An HTTP request as a value.
#[derive(Clone, PartialEq, Eq, Debug, serde::Serialize, serde::Deserialize)]
pub struct HttpRequest {
    /// `GET`, `POST`, …
    pub method: String,
    /// Path and query, starting with `/` (the base URL is the mock's).
    pub path: String,
    /// Lower-cased names, sorted by name then value.
    pub headers: Vec<(String, String)>,
    /// Raw body.
    #[serde(with = "body")]
    pub body: Vec<u8>,
}

/// An HTTP response as a value.
#[derive(Clone, PartialEq, Eq, Debug, serde::Serialize, serde::Deserialize)]
pub struct HttpResponse {
    /// Status code.
    pub status: u16,
    /// Lower-cased names, sorted by name then value.
    pub headers: Vec<(String, String)>,
    /// Raw body.
    #[serde(with = "body")]
    pub body: Vec<u8>,
}

/// A body in serde. In a human-readable format (JSON: the driver protocol,
/// the journal) a string when it is UTF-8 (every vendor body but a garbage
/// fault's), else a list of bytes; in a binary one (the turmoil frames) the
/// bytes as they are. The bridge frames carry every push's request and
/// answer, so a body's encoding is on every push's path (perf showed it).
mod body {
    use serde::de::{Error, SeqAccess, Visitor};
    use serde::{Deserializer, Serializer};

    pub fn serialize<S: Serializer>(body: &[u8], s: S) -> Result<S::Ok, S::Error> {
        if !s.is_human_readable() {
            return s.serialize_bytes(body);
        }
        match std::str::from_utf8(body) {
            Ok(text) => s.serialize_str(text),
            Err(_) => s.collect_seq(body),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        struct Body;
        impl<'de> Visitor<'de> for Body {
            type Value = Vec<u8>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a body: a string or a list of bytes")
            }
            fn visit_str<E: Error>(self, v: &str) -> Result<Vec<u8>, E> {
                Ok(v.as_bytes().to_vec())
            }
            fn visit_string<E: Error>(self, v: String) -> Result<Vec<u8>, E> {
                Ok(v.into_bytes())
            }
            fn visit_bytes<E: Error>(self, v: &[u8]) -> Result<Vec<u8>, E> {
                Ok(v.to_vec())
            }
            fn visit_byte_buf<E: Error>(self, v: Vec<u8>) -> Result<Vec<u8>, E> {
                Ok(v)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<u8>, A::Error> {
                let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(0));
                while let Some(b) = seq.next_element::<u8>()? {
                    out.push(b);
                }
                Ok(out)
            }
        }
        if d.is_human_readable() {
            d.deserialize_any(Body)
        } else {
            d.deserialize_byte_buf(Body)
        }
    }
}

fn normalise(headers: &mut [(String, String)]) {
    for (k, _) in headers.iter_mut() {
        *k = k.to_ascii_lowercase();
    }
    headers.sort();
}

impl HttpRequest {
    /// Builds a request; headers are normalised.
    pub fn new(
        method: &str,
        path: &str,
        mut headers: Vec<(String, String)>,
        body: Vec<u8>,
    ) -> Self {
        normalise(&mut headers);
        HttpRequest {
            method: method.to_string(),
            path: path.to_string(),
            headers,
            body,
        }
    }
    /// The request with one more header, kept normalised.
    pub fn with_header(mut self, name: &str, value: String) -> Self {
        self.headers.push((name.to_string(), value));
        normalise(&mut self.headers);
        self
    }

    /// First value of a header (case-insensitive name).
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.as_str())
    }
}

impl HttpResponse {
    /// Builds a response; headers are normalised.
    pub fn new(status: u16, mut headers: Vec<(String, String)>, body: Vec<u8>) -> Self {
        normalise(&mut headers);
        HttpResponse {
            status,
            headers,
            body,
        }
    }
    /// The response with one more header, kept normalised.
    pub fn with_header(mut self, name: &str, value: String) -> Self {
        self.headers.push((name.to_string(), value));
        normalise(&mut self.headers);
        self
    }

    /// First value of a header (case-insensitive name).
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// In JSON (the driver protocol, the journal) a body is text when it is
    /// UTF-8, a list of bytes when it is not (a truncated or binary garbage
    /// answer), and comes back the same.
    #[test]
    fn bodies_round_trip_as_text_or_bytes() {
        for body in [b"{\"a\":1}".to_vec(), vec![0xff, 0x00, b'x'], Vec::new()] {
            let resp = HttpResponse::new(200, vec![], body.clone());
            let json = serde_json::to_string(&resp).unwrap();
            let back: HttpResponse = serde_json::from_str(&json).unwrap();
            assert_eq!(back.body, body, "{json}");
        }
        let req = HttpRequest::new("POST", "/send", vec![], b"{\"a\":1}".to_vec());
        let json = serde_json::to_string(&req).unwrap();
        assert!(json.contains(r#""body":"{\"a\":1}""#), "{json}");
    }
}
