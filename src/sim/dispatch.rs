//! The vendor dispatcher inside the `im` host: takes push jobs from the core,
//! obtains and caches each cert's access token (refreshing once when the vendor
//! says it expired), encodes the vendor's real HTTP request, sends it through
//! the bridge host, classifies the answer and tells the core (TOK-08).
//!
//! One lane per cert: a lane handles its jobs one at a time, in the order the
//! core emitted them, over its own bridge connection, with its own access
//! token and quota stop. Lanes run side by side, so a Retry-After, a backoff
//! or a quota on one cert (an FCM project's QUOTA_EXCEEDED is per project)
//! never delays pushes through another vendor or another cert. Deterministic:
//! the host's tasks run in a fixed order on one thread.

use super::clock::{host_now, record};
use super::im_host::Im;
use super::shared::Shared;
use super::wire::{read_frame, write_frame, BridgeCall, BridgeReply, BRIDGE_PORT};
use crate::core::io::{Input, PushFeedback, PushJob};
use crate::core::model::Vendor;
use crate::core::time::SimTime;
use crate::run::trace::Event;
use crate::vendor::policy::{self, Progress, Reaction};
use crate::vendor::{self, AccessToken, Credentials, HttpRequest, HttpResponse, VendorResult};
use rand::Rng;
use std::cell::Cell;
use std::collections::BTreeMap;
use std::rc::Rc;
use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender};

/// What the dispatcher needs to know: each cert's credentials.
#[derive(Clone, Debug)]
pub struct Config {
    /// Cert name → credentials the pipeline holds for it.
    pub credentials: BTreeMap<String, Credentials>,
    /// Wait this long on a rate limit whatever the vendor's Retry-After says:
    /// the `retry_after_ignored` mutant of `pushsim serve`; `None` otherwise.
    pub rate_wait_override_ms: Option<i64>,
}

/// The enqueue side, held by the `im` host.
pub(crate) struct Dispatcher {
    tx: UnboundedSender<PushJob>,
}

impl Dispatcher {
    pub(crate) fn new(tx: UnboundedSender<PushJob>) -> Dispatcher {
        Dispatcher { tx }
    }

    /// Queues a job for its cert's lane.
    pub(crate) fn enqueue(&self, shared: &Shared, job: PushJob) {
        shared.vendor_unrouted.set(shared.vendor_unrouted.get() + 1);
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
    /// One exchange, bounded by the pipeline's request timeout.
    async fn call(
        &mut self,
        vendor: Vendor,
        request: HttpRequest,
        now_ms: i64,
    ) -> Result<HttpResponse, NoAnswer> {
        let timeout = std::time::Duration::from_millis(policy::REQUEST_TIMEOUT_MS);
        match tokio::time::timeout(timeout, self.exchange(vendor, request, now_ms)).await {
            Ok(r) => r.map_err(NoAnswer::Bridge),
            Err(_) => {
                self.stream = None; // a late reply must not answer the next call
                Err(NoAnswer::Timeout)
            }
        }
    }

    async fn exchange(
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

/// What a lane remembers of its cert.
#[derive(Default)]
struct CertState {
    /// The cached access token.
    token: Option<AccessToken>,
    /// The cert's daily quota is exhausted until then.
    quota_until: Option<SimTime>,
}

/// How busy a lane is, kept in step with [`Shared::busy_lanes`].
#[derive(Default)]
struct LaneLoad {
    /// Jobs queued or under way.
    jobs: Cell<u32>,
    /// Parked on the calendar ledger (a Retry-After or backoff wait).
    parked: Cell<bool>,
}

impl LaneLoad {
    fn busy(&self) -> bool {
        self.jobs.get() > 0 && !self.parked.get()
    }

    /// Applies `change` and moves the shared count of busy lanes with it.
    fn update(&self, shared: &Shared, change: impl FnOnce(&LaneLoad)) {
        let (busy, parked) = (self.busy(), self.parked.get());
        change(self);
        let step = |counter: &Cell<u32>, before: bool, after: bool| match (before, after) {
            (false, true) => counter.set(counter.get() + 1),
            (true, false) => counter.set(counter.get() - 1),
            _ => {}
        };
        step(&shared.busy_lanes, busy, self.busy());
        step(&shared.parked_lanes, parked, self.parked.get());
    }
}

/// The dispatcher task: hands each job to its cert's lane, starting the lane
/// on the cert's first job.
pub(crate) async fn run(im: Rc<Im>, config: Config, mut rx: UnboundedReceiver<PushJob>) {
    let config = Rc::new(config);
    let mut lanes: BTreeMap<String, (UnboundedSender<PushJob>, Rc<LaneLoad>)> = BTreeMap::new();
    while let Some(job) = rx.recv().await {
        let (tx, load) = lanes.entry(job.cert.clone()).or_insert_with(|| {
            let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
            let load = Rc::new(LaneLoad::default());
            tokio::task::spawn_local(lane(im.clone(), config.clone(), load.clone(), rx));
            (tx, load)
        });
        load.update(&im.shared, |l| l.jobs.set(l.jobs.get() + 1));
        let n = im.shared.vendor_unrouted.get();
        im.shared.vendor_unrouted.set(n - 1);
        tx.send(job)
            .expect("a lane outlives the dispatcher's state");
    }
}

/// A job and how far its attempts have got.
struct Attempt {
    job: PushJob,
    progress: Progress,
}

/// How one go at a job ended.
enum Step {
    /// The job is over; tell the core.
    Done(PushFeedback),
    /// The vendor limits this one device until then: the job waits aside and
    /// the lane goes on with its other jobs.
    DeviceWait(SimTime),
}

/// One cert's lane: its jobs in order, each to the end — except a job whose
/// device is rate limited, which waits aside until its time while the lane
/// serves the others (a device's message rate is that device's, not the app's).
async fn lane(
    im: Rc<Im>,
    config: Rc<Config>,
    load: Rc<LaneLoad>,
    mut rx: UnboundedReceiver<PushJob>,
) {
    let mut bridge = Bridge {
        stream: None,
        next_id: 0,
    };
    let mut state = CertState::default();
    // Jobs waiting for their device's limit, by (ready at, job id).
    let mut aside: BTreeMap<(SimTime, u64), Attempt> = BTreeMap::new();
    loop {
        let now = host_now(&im.shared);
        let due = aside
            .first_key_value()
            .is_some_and(|((at, _), _)| *at <= now);
        let mut attempt = if due {
            aside.pop_first().expect("looked at").1
        } else if let Ok(job) = rx.try_recv() {
            Attempt::new(job)
        } else if let Some(&(at, _)) = aside.first_key_value().map(|(k, _)| k) {
            // Only jobs set aside: sleep on the ledger until the first is
            // due, or until a new job comes.
            let woken = im.shared.park_until(at);
            load.update(&im.shared, |l| l.parked.set(true));
            let job = tokio::select! {
                biased;
                _ = woken => None,
                job = rx.recv() => job,
            };
            load.update(&im.shared, |l| l.parked.set(false));
            match job {
                Some(job) => Attempt::new(job),
                None => continue,
            }
        } else {
            match rx.recv().await {
                Some(job) => Attempt::new(job),
                None => return,
            }
        };
        let Attempt { job, progress } = &mut attempt;
        match deliver(&im, &config, &mut bridge, &mut state, job, progress, &load).await {
            Step::Done(feedback) => {
                let outputs = im.handle(Input::VendorFeedback {
                    job: attempt.job.id,
                    result: feedback,
                });
                im.apply_feedback(outputs);
                load.update(&im.shared, |l| l.jobs.set(l.jobs.get() - 1));
            }
            Step::DeviceWait(at) => {
                aside.insert((at, attempt.job.id), attempt);
            }
        }
    }
}

impl Attempt {
    fn new(job: PushJob) -> Attempt {
        Attempt {
            job,
            progress: Progress::default(),
        }
    }
}

/// A valid access token for the lane's cert (`cached`, or fetched now),
/// `None` for vendors that sign each request; on failure, the vendor result
/// to react to.
async fn token_for(
    im: &Im,
    bridge: &mut Bridge,
    cached: &mut Option<AccessToken>,
    vendor: Vendor,
    creds: &Credentials,
) -> Result<Option<AccessToken>, VendorResult> {
    let now = host_now(&im.shared);
    if let Some(t) = cached.as_ref() {
        if now < t.expires_at {
            return Ok(Some(t.clone()));
        }
    }
    let Some(req) = vendor::auth_request(creds, now) else {
        return Ok(None); // this vendor signs each request instead
    };
    let (status, result) = match bridge.call(vendor, req, now.0).await {
        Ok(resp) => (
            resp.status,
            vendor::parse_auth(vendor, &resp, host_now(&im.shared)),
        ),
        Err(no) => (0, Err(no.into_result(im))),
    };
    let text = match &result {
        Ok(_) => "ok".to_string(),
        Err(r) => policy::describe(r),
    };
    record(
        &im.shared,
        Event::Auth {
            vendor,
            status,
            result: text,
        },
    );
    let token = result?;
    *cached = Some(token.clone());
    Ok(Some(token))
}

/// Why an exchange produced no vendor answer.
enum NoAnswer {
    Timeout,
    Bridge(String),
}

impl NoAnswer {
    /// The reaction-relevant reading: both are worth a retry. A bridge failure
    /// is also harness trouble and is recorded as such.
    fn into_result(self, im: &Im) -> VendorResult {
        match self {
            NoAnswer::Timeout => {
                let reason = format!("no answer within {} s", policy::REQUEST_TIMEOUT_MS / 1000);
                VendorResult::ServerError { reason }
            }
            NoAnswer::Bridge(e) => {
                record(&im.shared, Event::HarnessError { what: e.clone() });
                VendorResult::ServerError { reason: e }
            }
        }
    }
}

/// One job to the end: auth, send, and the reaction the vendor policy
/// (`vendor::policy`, sans-IO) picks — refresh, wait, back off, stop for the
/// day, give up — carried out here: the waits on the calendar ledger, the
/// records in the trace.
async fn deliver(
    im: &Im,
    config: &Config,
    bridge: &mut Bridge,
    state: &mut CertState,
    job: &PushJob,
    progress: &mut Progress,
    load: &LaneLoad,
) -> Step {
    let Some(creds) = config.credentials.get(&job.cert) else {
        let reason = format!("no credentials for cert {:?}", job.cert);
        record(
            &im.shared,
            Event::HarnessError {
                what: reason.clone(),
            },
        );
        return Step::Done(PushFeedback::Failed { reason });
    };
    if let Some(reason) = policy::quota_closed(
        state.quota_until,
        host_now(&im.shared),
        job.vendor,
        &job.cert,
    ) {
        return give_up(im, job, reason);
    }
    loop {
        let reaction = match token_for(im, bridge, &mut state.token, job.vendor, creds).await {
            Err(no_token) => policy::react_auth(
                no_token,
                progress,
                host_now(&im.shared),
                job.vendor,
                &job.cert,
                config.rate_wait_override_ms,
            ),
            Ok(token) => {
                let now = host_now(&im.shared);
                let req = vendor::encode(job, creds, token.as_ref(), now);
                // What the vendor received is journaled by the vendor: the
                // outcome's push lines come from there (run::observe).
                let result = match bridge.call(job.vendor, req, now.0).await {
                    Ok(resp) => vendor::classify(job.vendor, &resp),
                    Err(no) => no.into_result(im),
                };
                policy::react(
                    result,
                    progress,
                    host_now(&im.shared),
                    job.vendor,
                    &job.cert,
                    config.rate_wait_override_ms,
                )
            }
        };
        match reaction {
            Reaction::Done(feedback) => return Step::Done(feedback),
            Reaction::Refresh => state.token = None,
            Reaction::Wait {
                wait_ms,
                attempt,
                why,
            } => retry_after(im, load, job, attempt, wait_ms, why).await,
            Reaction::DeviceWait {
                wait_ms,
                attempt,
                why,
            } => {
                // Only this device waits: the job goes aside, the lane on.
                record_retry(im, job, attempt, wait_ms, why);
                return Step::DeviceWait(host_now(&im.shared).plus_ms(wait_ms));
            }
            Reaction::Backoff {
                base_ms,
                attempt,
                why,
            } => {
                let jitter = im.shared.rng.borrow_mut().gen_range(0..base_ms / 2);
                retry_after(im, load, job, attempt, base_ms + jitter, why).await;
            }
            Reaction::QuotaStop { until, reason } => {
                state.quota_until = Some(until);
                return give_up(im, job, reason);
            }
            Reaction::GiveUp(reason) => return give_up(im, job, reason),
        }
    }
}

/// Records the decision to retry and waits on the calendar ledger; the lane
/// counts as parked meanwhile.
async fn retry_after(
    im: &Im,
    load: &LaneLoad,
    job: &PushJob,
    attempt: u32,
    wait_ms: i64,
    why: String,
) {
    record_retry(im, job, attempt, wait_ms, why);
    let at = host_now(&im.shared).plus_ms(wait_ms);
    let woken = im.shared.park_until(at);
    load.update(&im.shared, |l| l.parked.set(true));
    let _ = woken.await;
    load.update(&im.shared, |l| l.parked.set(false));
}

/// Records that `job` will be sent again after `wait_ms`.
fn record_retry(im: &Im, job: &PushJob, attempt: u32, wait_ms: i64, why: String) {
    let event = Event::VendorRetry {
        msg: job.msg,
        device: job.device.clone(),
        vendor: job.vendor,
        attempt,
        wait_ms,
        why,
    };
    record(&im.shared, event);
}

fn give_up(im: &Im, job: &PushJob, reason: String) -> Step {
    let event = Event::PushAbandoned {
        msg: job.msg,
        device: job.device.clone(),
        vendor: job.vendor,
        reason: reason.clone(),
    };
    record(&im.shared, event);
    Step::Done(PushFeedback::Failed { reason })
}
