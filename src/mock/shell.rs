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
pub struct Shell {
    /// The vendor model.
    pub model: Arc<Mutex<Model>>,
    /// Time for requests without the header.
    pub fallback: Fallback,
}

impl wiremock::Respond for Shell {
    fn respond(&self, request: &wiremock::Request) -> wiremock::ResponseTemplate {
        let (req, now) = convert(request);
        let now = now.unwrap_or_else(|| (self.fallback)());
        let resp = match self.model.lock() {
            Ok(mut m) => m.handle(&req, now),
            Err(_) => HttpResponse::new(
                500,
                vec![],
                b"pushsim mock poisoned by an earlier panic".to_vec(),
            ),
        };
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
    let mut now = None;
    let mut headers = Vec::new();
    for (name, value) in &request.headers {
        let value = String::from_utf8_lossy(value.as_bytes()).into_owned();
        if name.as_str() == NOW_HEADER {
            now = value.parse::<i64>().ok().map(SimTime);
        } else {
            headers.push((name.as_str().to_string(), value));
        }
    }
    (
        HttpRequest::new(
            request.method.as_str(),
            &path,
            headers,
            request.body.clone(),
        ),
        now,
    )
}
