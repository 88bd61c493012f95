//! `pushsim serve`: the reference pipeline behind the driver protocol. The
//! HTTP side is a hyper server on a thread of its own (real tokio
//! networking, 127.0.0.1 by default); each call goes to the session thread,
//! which owns the scenario's turmoil world — the same world and the same
//! [`WorldTarget`] `pushsim run` uses, so there is one implementation of the
//! pipeline, its vendor policy and its liveness. Time is the driver's: the
//! world moves only when told to `advance`. Vendor calls go over real HTTP to
//! the base URLs the driver's `reset` gives (its mocks, which journal them).

use super::mutant::Mutant;
use super::protocol::*;
use crate::core::model::Vendor;
use crate::core::profile::Profile;
use crate::run::runner::{RunConfig, WorldTarget};
use crate::run::target::Target;
use crate::run::trace::{Event, TraceEntry};
use crate::scenario::plan::{Plan, Step};
use crate::sim::{dispatch, shared::Shared, world};
use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use std::collections::BTreeMap;
use std::rc::Rc;
use std::sync::mpsc;

/// How `pushsim serve` runs.
#[derive(Clone)]
pub struct ServeOptions {
    /// Where to listen (`127.0.0.1:0` picks a free port).
    pub addr: std::net::SocketAddr,
    /// A broken variant to serve instead of the reference.
    pub mutant: Option<&'static Mutant>,
    /// Network ticks one call may step before the scenario is given up.
    pub ticks_max: u64,
}

/// The largest request body read.
const MAX_BODY: usize = 64 << 20;

/// A call, parsed on the HTTP side.
enum Call {
    Capabilities,
    Reset(Box<Setup>),
    Advance(Advance),
    Step(Box<StepCall>),
    Observations,
}

/// An answer: status and JSON text.
type Reply = tokio::sync::oneshot::Sender<(u16, String)>;

/// A running server; it stops when dropped.
pub struct Serving {
    http: Option<crate::http_thread::HttpThread>,
    session: Option<std::thread::JoinHandle<()>>,
}

impl Serving {
    /// `http://127.0.0.1:port`.
    pub fn url(&self) -> String {
        self.http.as_ref().map_or_else(String::new, |h| h.uri())
    }
}

impl Drop for Serving {
    fn drop(&mut self) {
        // The HTTP side first: the session thread ends when its senders are gone.
        drop(self.http.take());
        if let Some(t) = self.session.take() {
            let _ = t.join();
        }
    }
}

/// Starts serving.
pub fn start(opts: ServeOptions) -> std::io::Result<Serving> {
    let addr = opts.addr.to_string();
    let (calls, inbox) = mpsc::channel::<(Call, Reply)>();
    let session = std::thread::Builder::new()
        .name("serve-session".into())
        .spawn(move || session(inbox, &opts))?;
    let http = crate::http_thread::HttpThread::start(&addr, "serve", move |req| {
        let calls = calls.clone();
        async move { answer(&calls, req).await }
    })?;
    Ok(Serving {
        http: Some(http),
        session: Some(session),
    })
}

fn error(what: impl Into<String>) -> String {
    serde_json::to_string(&ErrorReply { error: what.into() }).expect("a string serializes")
}

fn parse<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, (u16, String)> {
    serde_json::from_slice(body).map_err(|e| (400, error(format!("bad body: {e}"))))
}

async fn answer(
    calls: &mpsc::Sender<(Call, Reply)>,
    req: hyper::Request<hyper::body::Incoming>,
) -> hyper::Response<Full<Bytes>> {
    let (parts, body) = req.into_parts();
    let (status, text) = match Limited::new(body, MAX_BODY).collect().await {
        Err(_) => (413, error(format!("body over {MAX_BODY} bytes"))),
        Ok(body) => {
            let body = body.to_bytes();
            let call = match (parts.method.as_str(), parts.uri.path()) {
                ("GET", "/capabilities") => Ok(Call::Capabilities),
                ("POST", "/reset") => parse(&body).map(|s| Call::Reset(Box::new(s))),
                ("POST", "/advance") => parse(&body).map(Call::Advance),
                ("POST", "/step") => parse(&body).map(|s| Call::Step(Box::new(s))),
                ("GET", "/observations") => Ok(Call::Observations),
                (m, p) => Err((404, error(format!("no route {m} {p}")))),
            };
            match call {
                Err(e) => e,
                Ok(call) => {
                    let (tx, rx) = tokio::sync::oneshot::channel();
                    if calls.send((call, tx)).is_err() {
                        (503, error("the session has stopped"))
                    } else {
                        rx.await
                            .unwrap_or_else(|_| (500, error("the session dropped the call")))
                    }
                }
            }
        }
    };
    hyper::Response::builder()
        .status(status)
        .header("content-type", "application/json")
        .body(Full::new(Bytes::from(text)))
        .unwrap_or_else(|_| hyper::Response::new(Full::new(Bytes::new())))
}

fn json<T: serde::Serialize>(value: &T) -> (u16, String) {
    (
        200,
        serde_json::to_string(value).expect("protocol values serialize"),
    )
}

fn capabilities(opts: &ServeOptions) -> Capabilities {
    Capabilities {
        protocol: PROTOCOL.into(),
        name: match opts.mutant {
            Some(m) => format!("pushsim reference, mutant {}", m.name),
            None => "pushsim reference".into(),
        },
        profiles: Profile::NAMES.iter().map(|s| s.to_string()).collect(),
        steps: STEP_KINDS.iter().map(|s| s.to_string()).collect(),
        vendors: Vendor::ALL.to_vec(),
        clock: true,
    }
}

/// The session thread: one scenario after another, each from its `reset`.
fn session(inbox: mpsc::Receiver<(Call, Reply)>, opts: &ServeOptions) {
    let mut next: Option<(Box<Setup>, Reply)> = None;
    loop {
        let (setup, reply) = match next.take() {
            Some(pair) => pair,
            None => match inbox.recv() {
                Err(_) => return,
                Ok((Call::Reset(setup), reply)) => (setup, reply),
                Ok((Call::Capabilities, reply)) => {
                    let _ = reply.send(json(&capabilities(opts)));
                    continue;
                }
                Ok((_, reply)) => {
                    let _ = reply.send((409, error("no scenario: POST /reset first")));
                    continue;
                }
            },
        };
        next = scenario(&inbox, *setup, reply, opts);
        if next.is_none() {
            return;
        }
    }
}

/// The plan a `reset` describes: the setup, no steps (they come one by one).
fn plan_of(setup: &Setup) -> Plan {
    Plan {
        path: setup.scenario.clone(),
        id: setup.scenario.clone(),
        name: setup.scenario.clone(),
        about: String::new(),
        rules: Vec::new(),
        tags: Vec::new(),
        seed: setup.seed,
        start: setup.start,
        display_zone: setup.display_zone,
        tick_ms: setup.network_tick_ms.max(1),
        server: setup.server.clone(),
        devices: {
            // The world finds devices by binary search over the sorted list.
            let mut d = setup.devices.clone();
            d.sort_by(|a, b| a.key.cmp(&b.key));
            d.dedup_by(|a, b| a.key == b.key);
            d
        },
        steps: Vec::new(),
        expect: Vec::new(),
        cert_options: BTreeMap::new(),
        warnings: Vec::new(),
    }
}

/// Runs one scenario's calls until the next `reset` (returned) or the end
/// of the inbox (`None`).
fn scenario(
    inbox: &mpsc::Receiver<(Call, Reply)>,
    mut setup: Setup,
    reply: Reply,
    opts: &ServeOptions,
) -> Option<(Box<Setup>, Reply)> {
    if setup.protocol != PROTOCOL {
        let what = format!("protocol {:?}; this is {PROTOCOL}", setup.protocol);
        let _ = reply.send((400, error(what)));
        return wait_for_reset(inbox, opts);
    }
    if let Some(m) = opts.mutant {
        (m.setup)(&mut setup);
    }
    let plan = plan_of(&setup);
    let config = RunConfig {
        seed: None,
        ticks_max: opts.ticks_max,
    };
    let shared = Rc::new(Shared::new(plan.start, setup.seed));
    let base_urls: BTreeMap<Vendor, String> = setup
        .certs
        .values()
        .map(|c| (c.credentials.vendor, c.base_url.clone()))
        .collect();
    let credentials = setup
        .certs
        .iter()
        .map(|(name, c)| (name.clone(), c.credentials.clone()))
        .collect();
    let dispatch = dispatch::Config {
        credentials,
        rate_wait_override_ms: opts.mutant.and_then(|m| m.rate_wait_ms),
    };
    let world = world::build(&plan, setup.seed, shared.clone(), base_urls, dispatch);
    let mut target = WorldTarget::new(&plan, &config, shared.clone(), world, None);
    let clock = |t: &WorldTarget<'_, '_>| {
        json(&ClockReply {
            now: t.now(),
            next_deadline: t.next_deadline(),
        })
    };
    let _ = reply.send(clock(&target));
    // Once the world stops (harness trouble), every call but a reset says why.
    let mut stopped: Option<String> = None;
    loop {
        let (call, reply) = inbox.recv().ok()?;
        let outcome = match call {
            Call::Reset(setup) => return Some((setup, reply)),
            Call::Capabilities => Ok(json(&capabilities(opts))),
            Call::Observations => Ok(json(&observations(&shared.trace_from(0)))),
            _ if stopped.is_some() => Err(()),
            // An advance to the present settles what is under way.
            Call::Advance(a) => {
                let moved = if a.to > target.now() {
                    target.advance(a.to)
                } else {
                    target.settle()
                };
                moved.map(|()| clock(&target)).map_err(|_| ())
            }
            Call::Step(call) => match undeclared(&plan, &call.action) {
                Some(device) => Ok((
                    400,
                    error(format!(
                        "step {}: device {device} is not among the reset's devices",
                        call.seq
                    )),
                )),
                None => {
                    let mut action = call.action;
                    if let Some(m) = opts.mutant {
                        (m.step)(&mut action);
                    }
                    let step = Step {
                        at: call.at,
                        seq: call.seq,
                        line: call.line,
                        action,
                        expect_rejected: false,
                    };
                    let mark = shared.trace_len();
                    target
                        .apply(&step)
                        .and_then(|()| target.settle_orders())
                        .map(|()| {
                            json(&StepReply {
                                answer: step_answer(step.seq, &shared.trace_from(mark)),
                                next_deadline: target.next_deadline(),
                            })
                        })
                        .map_err(|_| ())
                }
            },
        };
        let answer = outcome.unwrap_or_else(|()| {
            let why = stopped.get_or_insert_with(|| trouble(&shared));
            (500, error(why.clone()))
        });
        let _ = reply.send(answer);
    }
}

/// The device `action` names, if the setup did not declare it.
fn undeclared(plan: &Plan, action: &crate::scenario::plan::Action) -> Option<String> {
    use crate::scenario::plan::Action::*;
    let device = match action {
        Login(d) | Foreground(d) | Disconnect(d) | Reconnect(d) | Kill(d) | Unregister(d) => d,
        Logout { device, .. } | Background { device, .. } | BindToken { device, .. } => device,
        _ => return None,
    };
    let known = plan.devices.binary_search_by(|d| d.key.cmp(device)).is_ok();
    (!known).then(|| device.to_string())
}

/// After a refused reset: answers capabilities, refuses the rest, until a reset.
fn wait_for_reset(
    inbox: &mpsc::Receiver<(Call, Reply)>,
    opts: &ServeOptions,
) -> Option<(Box<Setup>, Reply)> {
    loop {
        match inbox.recv().ok()? {
            (Call::Reset(setup), reply) => return Some((setup, reply)),
            (Call::Capabilities, reply) => {
                let _ = reply.send(json(&capabilities(opts)));
            }
            (_, reply) => {
                let _ = reply.send((409, error("no scenario: POST /reset first")));
            }
        }
    }
}

/// Why the world stopped: the last harness problem it recorded.
fn trouble(shared: &Shared) -> String {
    shared
        .trace_from(0)
        .into_iter()
        .rev()
        .find_map(|e| match e.event {
            Event::HarnessError { what } | Event::BudgetExhausted { what } => Some(what),
            _ => None,
        })
        .unwrap_or_else(|| "the world stopped".into())
}

/// What the server answered step `seq`, from the events it recorded.
fn step_answer(seq: u32, events: &[TraceEntry]) -> Answer {
    for e in events {
        match &e.event {
            Event::Rejected {
                seq: s,
                rule,
                reason,
            } if *s == seq => {
                return Answer::Rejected {
                    rule: Some(rule.clone()),
                    reason: reason.clone(),
                }
            }
            Event::Settings { seq: s, read } if *s == seq => return Answer::Settings(read.clone()),
            _ => {}
        }
    }
    Answer::Ok
}

/// Every message the devices received, from the trace.
fn observations(trace: &[TraceEntry]) -> Observations {
    let mut received = Vec::new();
    for e in trace {
        match &e.event {
            Event::Delivered { device, msg, .. } => received.push(Received {
                at: e.at,
                device: device.clone(),
                msg: *msg,
                via: Via::Online,
            }),
            Event::Synced { device, msgs } => {
                received.extend(msgs.iter().map(|(msg, _)| Received {
                    at: e.at,
                    device: device.clone(),
                    msg: *msg,
                    via: Via::Sync,
                }))
            }
            _ => {}
        }
    }
    received.sort_by_key(|r| r.at); // stable: recording order within a time
    Observations {
        received,
        log: Vec::new(),
    }
}
