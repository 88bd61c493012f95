//! The blocking HTTP client the bridge host uses: ureq without TLS, one agent
//! for the process. A blocking call inside a turmoil host takes no virtual
//! time, which is the point (DESIGN.md, Architecture).

use super::NOW_HEADER;
use crate::core::time::SimTime;
use crate::vendor::{HttpRequest, HttpResponse};
use std::sync::OnceLock;
use std::time::Duration;

/// A transport failure (the mock is down or answered something that is not
/// HTTP). Vendor errors are responses, not this.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The request could not be built.
    #[error("bad request {0}")]
    Build(String),
    /// The exchange failed.
    #[error("transport: {0}")]
    Transport(#[from] ureq::Error),
}

fn agent() -> &'static ureq::Agent {
    static AGENT: OnceLock<ureq::Agent> = OnceLock::new();
    AGENT.get_or_init(|| agent_with(Duration::from_secs(30)))
}

/// A loopback agent: statuses are answers, `timeout` bounds each phase of a
/// call. Not `timeout_global`: with a timeout on the resolve phase ureq
/// resolves on a fresh thread, one spawned per call (perf showed it on every
/// bridge push); loopback addresses are IP literals, resolved at once.
pub fn agent_with(timeout: Duration) -> ureq::Agent {
    let t = Some(timeout);
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_connect(t)
        .timeout_send_request(t)
        .timeout_send_body(t)
        .timeout_recv_response(t)
        .timeout_recv_body(t)
        .build()
        .into()
}

/// Sends `req` to `base` (e.g. `http://127.0.0.1:4000`), telling the mock the
/// calendar time. Every status comes back as a response.
pub fn call(base: &str, req: &HttpRequest, now: SimTime) -> Result<HttpResponse, ClientError> {
    let mut builder = http::Request::builder()
        .method(req.method.as_str())
        .uri(format!("{base}{}", req.path));
    for (k, v) in &req.headers {
        builder = builder.header(k.as_str(), v.as_str());
    }
    builder = builder.header(NOW_HEADER, now.0.to_string());
    let request = builder
        .body(req.body.clone())
        .map_err(|e| ClientError::Build(e.to_string()))?;
    let mut resp = agent().run(request)?;
    let status = resp.status().as_u16();
    let headers = resp
        .headers()
        .iter()
        .map(|(k, v)| {
            (
                k.as_str().to_string(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect();
    let body = resp
        .body_mut()
        .with_config()
        .limit(16 * 1024 * 1024)
        .read_to_vec()?;
    Ok(HttpResponse::new(status, headers, body))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// No timeout may reach the resolve phase: with one, ureq resolves on a
    /// thread spawned per call (perf found a clone3 on every bridge push when
    /// `timeout_global` was set). Every other phase stays bounded.
    #[test]
    fn the_agent_bounds_every_phase_but_resolve() {
        let t = agent_with(Duration::from_secs(3)).config().timeouts();
        assert_eq!((t.global, t.per_call, t.resolve), (None, None, None));
        let bounded = [
            t.connect,
            t.send_request,
            t.send_body,
            t.recv_response,
            t.recv_body,
        ];
        assert!(
            bounded.iter().all(|p| *p == Some(Duration::from_secs(3))),
            "{t:?}"
        );
    }
}
