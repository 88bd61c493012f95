//! The vendor dispatcher inside the `im` host: takes push jobs from the core,
//! obtains and caches each cert's access token (refreshing once when the vendor
//! says it expired), encodes the vendor's real HTTP request, sends it through
//! the bridge host, classifies the answer and tells the core (TOK-08).
//!
//! Jobs are handled one at a time, in the order the core emitted them, over one
//! bridge connection: deterministic and simple.

use super::clock::{host_now, record};
use super::im_host::Im;
use super::shared::Shared;
use super::wire::{read_frame, write_frame, BridgeCall, BridgeReply, BRIDGE_PORT};
use crate::core::io::{Input, PushFeedback, PushJob};
use crate::core::model::Vendor;
use crate::run::trace::Event;
use crate::vendor::{self, AccessToken, Credentials, HttpRequest, HttpResponse, VendorResult};
use std::collections::BTreeMap;
use std::rc::Rc;
use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender};

/// What the dispatcher needs to know: each cert's credentials.
#[derive(Clone, Debug)]
pub struct Config {
    /// Cert name → credentials the pipeline holds for it.
    pub credentials: BTreeMap<String, Credentials>,
}

/// The enqueue side, held by the `im` host.
pub(crate) struct Dispatcher {
    tx: UnboundedSender<PushJob>,
}

impl Dispatcher {
    pub(crate) fn new(tx: UnboundedSender<PushJob>) -> Dispatcher {
        Dispatcher { tx }
    }

    /// Queues a job; it counts as in flight until the vendor has answered.
    pub(crate) fn enqueue(&self, shared: &Shared, job: PushJob) {
        shared.vendor_inflight.set(shared.vendor_inflight.get() + 1);
        self.tx
            .send(job)
            .expect("dispatcher task outlives the im host's state");
    }
}

/// The bridge connection, opened on first use and reopened after an error.
struct Bridge {
    stream: Option<turmoil::net::TcpStream>,
    next_id: u64,
}

impl Bridge {
    async fn call(
        &mut self,
        vendor: Vendor,
        request: HttpRequest,
        now_ms: i64,
    ) -> Result<HttpResponse, String> {
        if self.stream.is_none() {
            let s = turmoil::net::TcpStream::connect(("vendors", BRIDGE_PORT))
                .await
                .map_err(|e| format!("bridge unreachable: {e}"))?;
            self.stream = Some(s);
        }
        let stream = self.stream.as_mut().expect("just connected");
        self.next_id += 1;
        let call = BridgeCall {
            id: self.next_id,
            vendor: vendor.name().to_string(),
            now_ms,
            request,
        };
        let result = async {
            write_frame(stream, &call).await?;
            read_frame::<_, BridgeReply>(stream).await
        }
        .await;
        match result {
            Ok(Some(reply)) if reply.id == call.id => reply.response,
            Ok(Some(reply)) => {
                self.stream = None;
                Err(format!(
                    "bridge answered call {} to call {}",
                    reply.id, call.id
                ))
            }
            Ok(None) => {
                self.stream = None;
                Err("bridge closed the connection".into())
            }
            Err(e) => {
                self.stream = None;
                Err(format!("bridge i/o: {e}"))
            }
        }
    }
}

/// The dispatcher task.
pub(crate) async fn run(im: Rc<Im>, config: Config, mut rx: UnboundedReceiver<PushJob>) {
    let mut bridge = Bridge {
        stream: None,
        next_id: 0,
    };
    let mut tokens: BTreeMap<String, AccessToken> = BTreeMap::new();
    while let Some(job) = rx.recv().await {
        let feedback = deliver(&im, &config, &mut bridge, &mut tokens, &job).await;
        let outputs = im.handle(Input::VendorFeedback {
            job: job.id,
            result: feedback,
        });
        im.apply_feedback(outputs);
        let n = im.shared.vendor_inflight.get();
        im.shared.vendor_inflight.set(n - 1);
    }
}

async fn token_for(
    im: &Im,
    bridge: &mut Bridge,
    tokens: &mut BTreeMap<String, AccessToken>,
    cert: &str,
    vendor: Vendor,
    creds: &Credentials,
) -> Result<Option<AccessToken>, String> {
    let now = host_now(&im.shared);
    if let Some(t) = tokens.get(cert) {
        if now < t.expires_at {
            return Ok(Some(t.clone()));
        }
    }
    let Some(req) = vendor::auth_request(creds, now) else {
        return Ok(None); // this vendor signs each request instead
    };
    let resp = bridge.call(vendor, req, now.0).await?;
    match vendor::parse_auth(vendor, &resp, host_now(&im.shared)) {
        Ok(token) => {
            record(
                &im.shared,
                Event::Auth {
                    vendor,
                    status: resp.status,
                    result: "ok".into(),
                },
            );
            tokens.insert(cert.to_string(), token.clone());
            Ok(Some(token))
        }
        Err(result) => {
            let text = describe(&result);
            record(
                &im.shared,
                Event::Auth {
                    vendor,
                    status: resp.status,
                    result: text.clone(),
                },
            );
            Err(format!("auth failed: {text}"))
        }
    }
}

async fn deliver(
    im: &Im,
    config: &Config,
    bridge: &mut Bridge,
    tokens: &mut BTreeMap<String, AccessToken>,
    job: &PushJob,
) -> PushFeedback {
    let Some(creds) = config.credentials.get(&job.cert) else {
        let reason = format!("no credentials for cert {:?}", job.cert);
        record(
            &im.shared,
            Event::HarnessError {
                what: reason.clone(),
            },
        );
        return PushFeedback::Failed { reason };
    };
    for attempt in 0..2 {
        let token = match token_for(im, bridge, tokens, &job.cert, job.vendor, creds).await {
            Ok(t) => t,
            Err(reason) => return PushFeedback::Failed { reason },
        };
        let now = host_now(&im.shared);
        let req = vendor::encode(job, creds, token.as_ref(), now);
        let resp = match bridge.call(job.vendor, req.clone(), now.0).await {
            Ok(r) => r,
            Err(reason) => {
                record(
                    &im.shared,
                    Event::HarnessError {
                        what: reason.clone(),
                    },
                );
                return PushFeedback::Failed { reason };
            }
        };
        let result = vendor::classify(job.vendor, &resp);
        let notification = match vendor::decode(job.vendor, &req) {
            Ok(d) => d.notification,
            Err(e) => {
                record(
                    &im.shared,
                    Event::HarnessError {
                        what: format!("cannot decode our own request: {e}"),
                    },
                );
                Default::default()
            }
        };
        record(
            &im.shared,
            Event::Push {
                msg: job.msg,
                device: job.device.clone(),
                vendor: job.vendor,
                token: job.token.clone(),
                notification,
                status: resp.status,
                result: describe(&result),
            },
        );
        match result {
            VendorResult::Ok { .. } => return PushFeedback::Delivered,
            VendorResult::AuthExpired { .. } if attempt == 0 => {
                tokens.remove(&job.cert); // refresh once and resend
            }
            VendorResult::InvalidToken { reason } => return PushFeedback::InvalidToken { reason },
            other => {
                return PushFeedback::Failed {
                    reason: describe(&other),
                }
            }
        }
    }
    PushFeedback::Failed {
        reason: "auth expired again after a refresh".into(),
    }
}

/// One-line description of a vendor result, as outcomes print it.
pub fn describe(r: &VendorResult) -> String {
    match r {
        VendorResult::Ok { .. } => "ok".into(),
        VendorResult::InvalidToken { reason } => format!("invalid token: {reason}"),
        VendorResult::AuthExpired { reason } => format!("auth expired: {reason}"),
        VendorResult::AuthConfig { reason } => format!("auth config: {reason}"),
        VendorResult::RateLimited {
            retry_after_ms,
            reason,
        } => match retry_after_ms {
            Some(ms) => format!("rate limited (retry after {ms} ms): {reason}"),
            None => format!("rate limited: {reason}"),
        },
        VendorResult::DailyQuota { reason } => format!("daily quota: {reason}"),
        VendorResult::InvalidArgument { reason } => format!("invalid argument: {reason}"),
        VendorResult::ServerError { reason } => format!("server error: {reason}"),
        VendorResult::Garbage { reason } => format!("garbage response: {reason}"),
    }
}
