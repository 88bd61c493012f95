//! The `im` host: the reference push pipeline's shell. It accepts device
//! connections (login, app state, bind, logout; heartbeats are counted, see
//! `Liveness`), serves the API
//! orders of the runner (send, settings), feeds everything to the pure
//! [`Server`](crate::core::server::Server) with the calendar `now`, and carries
//! its outputs out: frames to devices, trace events, and push jobs to the
//! vendor dispatcher (`dispatch.rs`).

use super::clock::{host_network_deadline, host_network_ms, host_now, record};
use super::dispatch::{self, Dispatcher};
use super::shared::{ApiOrder, Liveness, Shared};
use super::wire::{read_frame, write_frame, DeviceFrame, FrameBuf, ServerFrame, WireMsg, IM_PORT};
use crate::core::io::{Input, Output, ServerConfig, Verdict};
use crate::core::model::{AppState, DeviceKey, Message, MsgId, Platform};
use crate::core::server::Server;
use crate::core::time::SimTime;
use crate::run::trace::{Event, LossCause, TraceVerdict};
use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::pin::Pin;
use std::rc::Rc;
use std::time::Duration;
use tokio::sync::mpsc::{unbounded_channel, UnboundedReceiver};
use tokio::time::Sleep;
use turmoil::net::tcp::{OwnedReadHalf, OwnedWriteHalf};

/// One live connection as the server registers it.
struct Conn {
    id: u64,
    tx: futures_channel::mpsc::UnboundedSender<Box<ServerFrame>>,
    /// Whether this is still the device's connection, as its task sees it:
    /// cleared when the entry goes, replaced or removed, so the task asks
    /// a flag, not the map, on every frame.
    current: Rc<Cell<bool>>,
}

impl Drop for Conn {
    fn drop(&mut self) {
        self.current.set(false);
    }
}

/// Who made a request: a device over its connection or a step over the API.
#[derive(Clone, Copy)]
enum Origin<'a> {
    /// A device over its connection `conn`: a reply goes there only while
    /// it is still the device's connection.
    Device {
        device: &'a DeviceKey,
        conn: u64,
    },
    Step(u32),
    /// The dispatcher's vendor feedback.
    Internal,
}

/// The `im` host's state.
pub(crate) struct Im {
    pub(crate) shared: Rc<Shared>,
    server: RefCell<Server>,
    conns: RefCell<BTreeMap<DeviceKey, Conn>>,
    next_conn: Cell<u64>,
    heartbeat_timeout: Duration,
    /// The devices' heartbeat interval: the server counts a healthy
    /// connection's heartbeats on it (see `Liveness`).
    heartbeat_interval: Duration,
    dispatcher: Dispatcher,
}

/// Runs the `im` host until the simulation ends.
pub(crate) async fn serve(
    shared: Rc<Shared>,
    config: ServerConfig,
    dispatch_config: dispatch::Config,
    api_rx: UnboundedReceiver<ApiOrder>,
) -> turmoil::Result {
    let heartbeat_timeout = Duration::from_secs(config.profile.heartbeat_timeout_s as u64);
    let heartbeat_interval = Duration::from_secs(config.profile.heartbeat_interval_s as u64);
    let (push_tx, push_rx) = unbounded_channel();
    let im = Rc::new(Im {
        shared: shared.clone(),
        server: RefCell::new(Server::new(config)),
        conns: RefCell::new(BTreeMap::new()),
        next_conn: Cell::new(1),
        heartbeat_timeout,
        heartbeat_interval,
        dispatcher: Dispatcher::new(push_tx),
    });
    tokio::task::spawn_local(api_loop(im.clone(), api_rx));
    tokio::task::spawn_local(dispatch::run(im.clone(), dispatch_config, push_rx));
    let listener = turmoil::net::TcpListener::bind(("0.0.0.0", IM_PORT)).await?;
    loop {
        let (stream, _) = listener.accept().await?;
        let (rd, wr) = stream.into_split();
        tokio::task::spawn_local(connection(im.clone(), rd, wr));
    }
}

async fn api_loop(im: Rc<Im>, mut rx: UnboundedReceiver<ApiOrder>) {
    while let Some(order) = rx.recv().await {
        let outputs = im.handle(Input::Api(order.request));
        im.apply(outputs, Origin::Step(order.seq), None);
        im.shared.complete_order();
    }
}

impl Im {
    /// Feeds one input to the core at the calendar `now`.
    pub(crate) fn handle(&self, input: Input) -> Vec<Output> {
        let now = host_now(&self.shared);
        self.server.borrow_mut().handle(input, now)
    }

    fn send_to(&self, device: &DeviceKey, frame: ServerFrame) {
        if let Some(conn) = self.conns.borrow().get(device) {
            let _ = conn.tx.unbounded_send(Box::new(frame));
        }
    }

    /// Carries the core's outputs out. `login_of` names the device whose login
    /// produced them, so it always gets a (possibly empty) `Sync` after `LoginOk`.
    fn apply(&self, outputs: Vec<Output>, origin: Origin<'_>, login_of: Option<&DeviceKey>) {
        let mut synced = false;
        for out in outputs {
            match out {
                Output::LoggedIn { device } => self.send_to(&device, ServerFrame::LoginOk),
                Output::LoginRejected { device, reason } => {
                    self.send_to(&device, ServerFrame::LoginRejected { reason });
                    self.conns.borrow_mut().remove(&device);
                }
                Output::Kick { device, by } => {
                    self.send_to(&device, ServerFrame::Kicked { by: by.to_string() });
                    // Dropping the sender lets the writer flush and close the socket.
                    self.conns.borrow_mut().remove(&device);
                    // A silent connection kicked here is gone: no heartbeat
                    // timeout will ever report it, so the world must not wait.
                    self.shared.silent.borrow_mut().remove(&device);
                }
                Output::LoggedOut { device, .. } => {
                    self.send_to(&device, ServerFrame::LoggedOut);
                    self.conns.borrow_mut().remove(&device);
                }
                Output::Deliver { device, msg } => self.send_to(
                    &device,
                    ServerFrame::Deliver {
                        msg: wire_msg(&msg),
                    },
                ),
                Output::Sync { device, msgs } => {
                    if login_of == Some(&device) {
                        synced = true;
                    }
                    let msgs = msgs.iter().map(wire_msg).collect();
                    self.send_to(&device, ServerFrame::Sync { msgs });
                }
                Output::Decided(d) => {
                    // The server cannot tell a silent connection from a live
                    // one; the world can. Held back as online while the device
                    // has in fact gone quiet is PRS-07's blind window, not PRS-02.
                    let silent = self.shared.silent.borrow().contains(&d.device);
                    let verdict = match d.verdict {
                        Verdict::Push { vendor, rule, .. } => TraceVerdict::Push { vendor, rule },
                        Verdict::Online => TraceVerdict::Online,
                        Verdict::Suppressed(s) if silent && s.rule == "PRS-02" => {
                            TraceVerdict::Suppressed {
                                rule: "PRS-07",
                                reason: format!(
                                    "{}; the connection has gone silent, and counts as online until the heartbeat timeout",
                                    s.reason
                                ),
                            }
                        }
                        Verdict::Suppressed(s) => TraceVerdict::Suppressed {
                            rule: s.rule,
                            reason: s.reason,
                        },
                    };
                    record(
                        &self.shared,
                        Event::Decided {
                            msg: d.msg,
                            device: d.device,
                            verdict,
                        },
                    );
                }
                Output::Push(job) => self.dispatcher.enqueue(&self.shared, job),
                Output::Unbound {
                    device,
                    rule,
                    reason,
                } => record(
                    &self.shared,
                    Event::Unbound {
                        device,
                        rule,
                        reason,
                    },
                ),
                Output::Accepted { what } => match origin {
                    Origin::Step(seq) => record(&self.shared, Event::Accepted { seq, what }),
                    Origin::Device { device, conn } => self.reply(device, conn, ServerFrame::Ack),
                    Origin::Internal => {}
                },
                Output::Settings(read) => match origin {
                    Origin::Step(seq) => record(&self.shared, Event::Settings { seq, read }),
                    Origin::Device { device, conn } => self.reply(device, conn, ServerFrame::Ack),
                    Origin::Internal => {}
                },
                Output::Rejected { rule, reason } => match origin {
                    Origin::Step(seq) => record(
                        &self.shared,
                        Event::Rejected {
                            seq,
                            rule: rule.to_string(),
                            reason,
                        },
                    ),
                    Origin::Device { device, conn } => self.reply(
                        device,
                        conn,
                        ServerFrame::Rejected {
                            rule: rule.to_string(),
                            reason,
                        },
                    ),
                    Origin::Internal => record(
                        &self.shared,
                        Event::HarnessError {
                            what: format!("core rejected vendor feedback: {rule} {reason}"),
                        },
                    ),
                },
            }
        }
        if let Some(device) = login_of {
            if !synced {
                self.send_to(device, ServerFrame::Sync { msgs: Vec::new() });
            }
        }
    }

    /// Carries out the outputs of vendor feedback (unbinds).
    pub(crate) fn apply_feedback(&self, outputs: Vec<Output>) {
        self.apply(outputs, Origin::Internal, None);
    }

    /// Answers a device's request over `conn_id`, if that is still its connection.
    fn reply(&self, device: &DeviceKey, conn_id: u64, frame: ServerFrame) {
        if let Some(conn) = self.conns.borrow().get(device).filter(|c| c.id == conn_id) {
            let _ = conn.tx.unbounded_send(Box::new(frame));
        }
    }

    /// How long a connection's heartbeat timer should run from now: `None`
    /// when the timeout is due (see [`Liveness::deadline`]), or the runner
    /// says it is (it jumped the calendar to it, `signalled`).
    fn heartbeat_left(&self, liveness: &Liveness) -> Option<Duration> {
        if liveness.signalled.get() {
            return None;
        }
        let now = host_network_ms();
        let due = liveness.deadline(now, self.heartbeat_timeout.as_millis() as i64);
        (due > now).then(|| Duration::from_millis((due - now) as u64))
    }

    /// The connection `conn_id` of `device` is gone; `last_contact` is when its
    /// last frame or heartbeat arrived (PRS-09 counts absence from there).
    /// `current` is the connection's flag (see [`Conn::current`]).
    fn lose(
        &self,
        device: &DeviceKey,
        conn_id: u64,
        current: &Cell<bool>,
        cause: LossCause,
        last_contact: SimTime,
    ) {
        if !current.get() {
            return; // a superseded or logged-out connection: nothing to tell the core
        }
        self.conns.borrow_mut().remove(device);
        self.shared.silent.borrow_mut().remove(device);
        record(
            &self.shared,
            Event::ConnectionLost {
                device: device.clone(),
                cause,
            },
        );
        let outputs = self.handle(Input::ConnectionLost {
            device: device.clone(),
            last_contact: Some(last_contact),
        });
        let origin = Origin::Device {
            device,
            conn: conn_id,
        };
        self.apply(outputs, origin, None);
    }
}

fn wire_msg(m: &Message) -> WireMsg {
    WireMsg {
        id: m.id.0,
        from: m.from.clone(),
        conversation: m.to.to_string(),
        text: m.text.clone(),
    }
}

/// Message id of a wire message.
pub(crate) fn msg_id(m: &WireMsg) -> MsgId {
    MsgId(m.id)
}

/// Sets a connection's heartbeat timer `left` from now, making it if need be.
fn arm(timer: &mut Option<Pin<Box<Sleep>>>, left: Duration) {
    let at = host_network_deadline(left);
    match timer {
        Some(t) => t.as_mut().reset(at),
        None => *timer = Some(Box::pin(tokio::time::sleep_until(at))),
    }
}

/// The timer's expiry, or never where there is no timer.
async fn expiry(timer: &mut Option<Pin<Box<Sleep>>>) {
    match timer {
        Some(t) => t.as_mut().await,
        None => std::future::pending().await,
    }
}

/// A connection's task. A function returning an `async move` block, not an
/// `async fn`, for the reason `device_host::device` gives.
#[expect(
    clippy::manual_async_fn,
    reason = "an async fn keeps its arguments twice"
)]
fn connection(
    im: Rc<Im>,
    mut rd: OwnedReadHalf,
    mut wr: OwnedWriteHalf,
) -> impl std::future::Future<Output = ()> {
    async move {
        let timeout = im.heartbeat_timeout;
        // Boxed: inline, the login's timer and read would size the task for
        // all its life (it outlives the login by far).
        let (device, platform, last_seen) =
            match Box::pin(tokio::time::timeout(timeout, read_frame(&mut rd))).await {
                Ok(Ok(Some(DeviceFrame::Login {
                    device,
                    platform,
                    last_seen,
                }))) => match (DeviceKey::parse(&device), Platform::parse(&platform)) {
                    (Some(d), Some(p)) => (d, p, last_seen.map(MsgId)),
                    _ => {
                        let reason =
                            format!("bad login frame: device {device:?}, platform {platform:?}");
                        let _ =
                            Box::pin(write_frame(&mut wr, &ServerFrame::LoginRejected { reason }))
                                .await;
                        return;
                    }
                },
                _ => return, // not a login: protocol error, drop the connection
            };
        let conn_id = im.next_conn.get();
        im.next_conn.set(conn_id + 1);
        // A futures channel of boxed frames: small when idle (see device_host).
        let (tx, mut rx) = futures_channel::mpsc::unbounded::<Box<ServerFrame>>();
        tokio::task::spawn_local(async move {
            use futures_util::StreamExt;
            while let Some(frame) = rx.next().await {
                if write_frame(&mut wr, &frame).await.is_err() {
                    break;
                }
            }
        });
        // A new connection for the same device supersedes the old one (reconnect).
        let current = Rc::new(Cell::new(true));
        let conn = Conn {
            id: conn_id,
            tx,
            current: current.clone(),
        };
        im.conns.borrow_mut().insert(device.clone(), conn);
        let outputs = im.handle(Input::Login {
            device: device.clone(),
            platform,
            last_seen,
        });
        let origin = Origin::Device {
            device: &device,
            conn: conn_id,
        };
        im.apply(outputs, origin, Some(&device));
        if !current.get() {
            return; // rejected
        }
        let period_ms = im.heartbeat_interval.as_millis() as i64;
        let liveness = Rc::new(Liveness::new(host_network_ms(), period_ms));
        im.shared
            .liveness
            .borrow_mut()
            .insert(device.clone(), liveness.clone());
        // The heartbeat timeout on network time: one timer for the
        // connection, not one made and dropped per frame (that churn was a few
        // percent of a 30,000-device run). A healthy connection's heartbeats
        // always come before it (they are counted, see `Liveness`), so it runs
        // only once the device fell silent, or where the profile's timeout is
        // shorter than its heartbeat interval. Boxed and made only then: inline
        // it was a fifth of the task.
        let mut silence: Option<Pin<Box<Sleep>>> = None;
        // Cancel-safe: a wake to check the timeout goes round the loop again,
        // and a frame half read must not be lost when it does.
        let mut frames = FrameBuf::default();
        if timeout < im.heartbeat_interval {
            arm(&mut silence, timeout);
        }
        loop {
            let frame = match tokio::select! {
                biased;
                // The device fell silent, or the runner jumped the calendar
                // to this silent connection's deadline.
                _ = liveness.timed_out.notified() => None,
                // A frame that is there wins over a deadline due at the same tick.
                r = frames.read::<_, DeviceFrame>(&mut rd) => Some(r),
                _ = expiry(&mut silence) => None,
            } {
                // A wake to check the timeout: due, or the timer runs on.
                None => {
                    if let Some(left) = im.heartbeat_left(&liveness) {
                        arm(&mut silence, left);
                        continue;
                    }
                    // Last contact: the last frame or heartbeat heard, on the
                    // calendar as it read then.
                    let heard = liveness.last_frame_net_ms.get();
                    let last_contact = im.shared.calendar_at_network_ms(heard);
                    return im.lose(
                        &device,
                        conn_id,
                        &current,
                        LossCause::HeartbeatTimeout,
                        last_contact,
                    );
                }
                Some(Ok(Some(frame))) => frame,
                Some(_) => {
                    let now = host_now(&im.shared);
                    return im.lose(&device, conn_id, &current, LossCause::Closed, now);
                }
            };
            if silence.is_some() {
                arm(&mut silence, timeout);
            }
            liveness.heard(host_network_ms());
            if !current.get() {
                return; // kicked, logged out or superseded: whatever arrives is ignored
            }
            let input = match frame {
                DeviceFrame::Login { .. } => continue, // a second login on one connection is ignored
                DeviceFrame::Logout { unbind } => Input::Logout {
                    device: device.clone(),
                    unbind,
                },
                DeviceFrame::AppState { background, badge } => Input::AppState {
                    device: device.clone(),
                    state: if background {
                        AppState::Background
                    } else {
                        AppState::Foreground
                    },
                    badge,
                },
                DeviceFrame::BindToken { cert, token } => Input::BindToken {
                    device: device.clone(),
                    cert,
                    token,
                },
                DeviceFrame::Unregister => Input::Unregister {
                    device: device.clone(),
                },
            };
            let is_logout = matches!(input, Input::Logout { .. });
            let outputs = im.handle(input);
            let answered = outputs.iter().any(|o| {
                matches!(
                    o,
                    Output::Accepted { .. }
                        | Output::Rejected { .. }
                        | Output::LoggedOut { .. }
                        | Output::Settings(_)
                )
            });
            im.apply(outputs, origin, None);
            // Every request gets an answer, so the device (and the runner) never wait forever.
            if !answered {
                if is_logout {
                    im.send_to(&device, ServerFrame::LoggedOut);
                    im.conns.borrow_mut().remove(&device);
                } else {
                    im.reply(&device, conn_id, ServerFrame::Ack);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    /// A connection's task is held by every connected device for the whole
    /// run (heaptrack: a tenth of a 30,000-device run's heap with its
    /// writer). As an `async fn` taking the stream it was 656 bytes.
    #[test]
    fn a_connection_task_stays_small() {
        let n = crate::sim::future_size(&super::connection);
        assert!(n <= 600, "a connection's future is {n} bytes");
    }
}
