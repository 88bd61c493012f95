//! A hyper server on a thread of its own, for servers that answer from
//! outside any simulation: the mocks' bounded shell (`mocks serve`,
//! conformance) and `pushsim serve`. One current-thread tokio runtime, a task
//! per connection, `TCP_NODELAY` (small answers go out at once); it stops
//! when dropped.

use bytes::Bytes;
use http_body_util::Full;
use std::convert::Infallible;
use std::future::Future;

/// A running server.
pub struct HttpThread {
    addr: std::net::SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl HttpThread {
    /// Serves `handler` on `addr` (`host:port`; port 0 picks one) on a
    /// thread named `name`.
    pub fn start<H, F>(addr: &str, name: &str, handler: H) -> std::io::Result<HttpThread>
    where
        H: Fn(hyper::Request<hyper::body::Incoming>) -> F + Clone + Send + 'static,
        F: Future<Output = hyper::Response<Full<Bytes>>> + Send + 'static,
    {
        let listener = std::net::TcpListener::bind(addr)?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let (stop, stopped) = tokio::sync::oneshot::channel();
        let thread = std::thread::Builder::new()
            .name(format!("{name}-{}", addr.port()))
            .spawn(move || {
                runtime.block_on(async move {
                    let Ok(listener) = tokio::net::TcpListener::from_std(listener) else {
                        return;
                    };
                    tokio::select! {
                        _ = accept_loop(listener, handler) => {}
                        _ = stopped => {}
                    }
                });
            })?;
        Ok(HttpThread {
            addr,
            stop: Some(stop),
            thread: Some(thread),
        })
    }

    /// `http://host:port`.
    pub fn uri(&self) -> String {
        format!("http://{}", self.addr)
    }
}

impl Drop for HttpThread {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

async fn accept_loop<H, F>(listener: tokio::net::TcpListener, handler: H)
where
    H: Fn(hyper::Request<hyper::body::Incoming>) -> F + Clone + Send + 'static,
    F: Future<Output = hyper::Response<Full<Bytes>>> + Send + 'static,
{
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue; // out of descriptors for a moment: try again
        };
        let _ = stream.set_nodelay(true);
        let handler = handler.clone();
        tokio::spawn(async move {
            let service = hyper::service::service_fn(move |req| {
                let answer = handler(req);
                async move { Ok::<_, Infallible>(answer.await) }
            });
            let io = hyper_util::rt::TokioIo::new(stream);
            let builder =
                hyper_util::server::conn::auto::Builder::new(hyper_util::rt::TokioExecutor::new());
            let _ = builder.serve_connection(io, service).await;
        });
    }
}
