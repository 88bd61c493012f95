//! The bounded shell of `pushsim mocks serve`: the same vendor models as the
//! wiremock shell, served by a plain hyper server that keeps nothing per
//! request, so a server users leave running holds its memory flat.
//!
//! wiremock keeps a copy of every request a mock matched, recording off or
//! not; freeing them needs a `reset` and a new mount, between which a request
//! finds no mock and gets an empty 404 — measured: one in the first 10,110
//! requests of a sequential client. DESIGN.md allows a bounded shell around the
//! same models for this case, with a parity test (`tests/mocks_serve.rs`).
//! Inside the simulation requests are serial, so the fleet keeps wiremock and
//! trims it between steps ([`super::fleet::MockFleet::trim`]).

use super::shell::Shell;
use crate::vendor::HttpResponse;
use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};

/// The largest request body read; a larger one is refused with 413 without
/// being kept (every vendor's own limit is far below; VENDORS.md).
pub const MAX_BODY: usize = 8 << 20;

/// A running bounded server; it stops when dropped.
pub struct Bounded {
    http: crate::http_thread::HttpThread,
}

impl Bounded {
    /// Serves `shell` on a fresh loopback port, on a thread of its own.
    pub fn start(shell: Shell) -> std::io::Result<Bounded> {
        Bounded::start_on(shell, "127.0.0.1:0")
    }

    /// Serves `shell` on `addr` (`host:port`; port 0 picks one).
    pub fn start_on(shell: Shell, addr: &str) -> std::io::Result<Bounded> {
        let http = crate::http_thread::HttpThread::start(addr, "mock", move |req| {
            let shell = shell.clone();
            async move { answer(&shell, req).await }
        })?;
        Ok(Bounded { http })
    }

    /// `http://127.0.0.1:port`.
    pub fn uri(&self) -> String {
        self.http.uri()
    }
}

async fn answer(
    shell: &Shell,
    req: hyper::Request<hyper::body::Incoming>,
) -> hyper::Response<Full<Bytes>> {
    let (parts, body) = req.into_parts();
    let resp = match Limited::new(body, MAX_BODY).collect().await {
        Ok(body) => {
            let path = parts
                .uri
                .path_and_query()
                .map_or("/".to_string(), |p| p.as_str().to_string());
            let headers = parts
                .headers
                .iter()
                .map(|(k, v)| (k.as_str(), String::from_utf8_lossy(v.as_bytes()).into_owned()));
            let (request, now) =
                super::shell::request_of(parts.method.as_str(), &path, headers, body.to_bytes().to_vec());
            shell.answer(&request, now)
        }
        Err(_) => HttpResponse::new(
            413,
            vec![("content-type".into(), "application/json".into())],
            format!("{{\"error\":\"request body over {MAX_BODY} bytes (or unreadable); the mock keeps nothing of it\"}}").into_bytes(),
        ),
    };
    let mut out = hyper::Response::builder().status(resp.status);
    for (k, v) in &resp.headers {
        out = out.header(k.as_str(), v.as_str());
    }
    out.body(Full::new(Bytes::from(resp.body)))
        .unwrap_or_else(|_| hyper::Response::new(Full::new(Bytes::new())))
}
