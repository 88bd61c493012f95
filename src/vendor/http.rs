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
    pub body: Vec<u8>,
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
