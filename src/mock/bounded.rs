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
use std::convert::Infallible;

/// The largest request body read; a larger one is refused with 413 without
/// being kept (every vendor's own limit is far below; VENDORS.md).
pub const MAX_BODY: usize = 8 << 20;

/// A running bounded server; it stops when dropped.
pub struct Bounded {
    addr: std::net::SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Bounded {
    /// Serves `shell` on a fresh loopback port, on a thread of its own.
    pub fn start(shell: Shell) -> std::io::Result<Bounded> {
        Bounded::start_on(shell, "127.0.0.1:0")
    }

    /// Serves `shell` on `addr` (`host:port`; port 0 picks one).
    pub fn start_on(shell: Shell, addr: &str) -> std::io::Result<Bounded> {
        let listener = std::net::TcpListener::bind(addr)?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let (stop, stopped) = tokio::sync::oneshot::channel();
        let thread = std::thread::Builder::new()
            .name(format!("mock-{}", addr.port()))
            .spawn(move || {
                runtime.block_on(async move {
                    let Ok(listener) = tokio::net::TcpListener::from_std(listener) else {
                        return;
                    };
                    tokio::select! {
                        _ = accept_loop(listener, shell) => {}
                        _ = stopped => {}
                    }
                });
            })?;
        Ok(Bounded {
            addr,
            stop: Some(stop),
            thread: Some(thread),
        })
    }

    /// `http://127.0.0.1:port`.
    pub fn uri(&self) -> String {
        format!("http://{}", self.addr)
    }
}

impl Drop for Bounded {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

async fn accept_loop(listener: tokio::net::TcpListener, shell: Shell) {
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue; // out of descriptors for a moment: try again
        };
        let _ = stream.set_nodelay(true); // small answers go out at once
        let shell = shell.clone();
        tokio::spawn(async move {
            let service = hyper::service::service_fn(move |req| {
                let shell = shell.clone();
                async move { Ok::<_, Infallible>(answer(&shell, req).await) }
            });
            let io = hyper_util::rt::TokioIo::new(stream);
            let builder =
                hyper_util::server::conn::auto::Builder::new(hyper_util::rt::TokioExecutor::new());
            let _ = builder.serve_connection(io, service).await;
        });
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
