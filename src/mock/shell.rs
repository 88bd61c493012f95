//! wiremock as the shell of a model: converts wiremock's request into an
//! [`HttpRequest`], reads the calendar time the bridge sent, asks the model,
//! converts the answer back. The model sits behind a `Mutex` because
//! wiremock's `Respond` takes `&self` and must be `Send + Sync`.

use super::model::Model;
use super::NOW_HEADER;
use crate::core::time::SimTime;
use crate::vendor::{HttpRequest, HttpResponse};
use std::sync::{Arc, Mutex};

/// Where the time comes from when a request carries no `x-pushsim-now`
/// (requests from outside the simulation, `pushsim mocks serve`).
pub type Fallback = Arc<dyn Fn() -> SimTime + Send + Sync>;

/// The responder mounted on a vendor's MockServer.
#[derive(Clone)]
pub struct Shell {
    /// The vendor model.
    pub model: Arc<Mutex<Model>>,
    /// Time for requests without the header.
    pub fallback: Fallback,
    /// Requests answered, control requests included.
    pub served: Arc<std::sync::atomic::AtomicU64>,
}

impl Shell {
    /// Answers one request: the header's time (the simulation's clock) wins,
    /// then a clock set through the control route, then the fallback.
    pub fn answer(&self, req: &HttpRequest, now: Option<SimTime>) -> HttpResponse {
        self.served
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        match self.model.lock() {
            Ok(mut m) => {
                let now = now.or(m.clock).unwrap_or_else(|| (self.fallback)());
                m.handle(req, now)
            }
            Err(_) => HttpResponse::new(
                500,
                vec![],
                b"pushsim mock poisoned by an earlier panic".to_vec(),
            ),
        }
    }
}

impl wiremock::Respond for Shell {
    fn respond(&self, request: &wiremock::Request) -> wiremock::ResponseTemplate {
        let (req, now) = convert(request);
        let resp = self.answer(&req, now);
        let mut t = wiremock::ResponseTemplate::new(resp.status);
        for (k, v) in &resp.headers {
            t = t.append_header(k.as_str(), v.as_str());
        }
        t.set_body_bytes(resp.body)
    }
}

/// The request as a value (without the time header) and the time it carried.
pub fn convert(request: &wiremock::Request) -> (HttpRequest, Option<SimTime>) {
    let mut path = request.url.path().to_string();
    if let Some(q) = request.url.query() {
        path.push('?');
        path.push_str(q);
    }
    let headers = request.headers.iter().map(|(k, v)| {
        (
            k.as_str(),
            String::from_utf8_lossy(v.as_bytes()).into_owned(),
        )
    });
    request_of(
        request.method.as_str(),
        &path,
        headers,
        request.body.clone(),
    )
}

/// A request value from its parts, the time header taken out: what both
/// shells (wiremock, [`super::bounded`]) hand the model.
pub fn request_of<'a>(
    method: &str,
    path: &str,
    headers: impl Iterator<Item = (&'a str, String)>,
    body: Vec<u8>,
) -> (HttpRequest, Option<SimTime>) {
    let mut now = None;
    let mut kept = Vec::new();
    for (name, value) in headers {
        if name == NOW_HEADER {
            now = value.parse::<i64>().ok().map(SimTime);
        } else {
            kept.push((name.to_string(), value));
        }
    }
    (HttpRequest::new(method, path, kept, body), now)
}
