//! The `devices` host: every declared device is a task with its own TCP
//! connection to `im`, behaving like an SDK: it logs in and syncs, uploads its
//! token after login, reports app state, logs out; `kill` closes the
//! connection, `disconnect` goes silent (no reads, no writes, nothing closed)
//! so only the server's heartbeat timeout notices (PRS-07).
//!
//! Heartbeats are not sent as frames. A connection heartbeats at login and
//! every interval of network time after; while it is healthy its beats can
//! only tell the server what it already believes, and a 100,000-device run
//! spent nearly all its time on 11.3 million of them (`bench --only
//! devices`). So the server counts a healthy connection's beats on the same
//! schedule without receiving them ([`super::shared::Liveness`]), and a device
//! that goes silent tells it how long it had been beating: the timeout falls
//! where the frames put it (the `presence/silent_*heartbeat*` scenarios pin
//! it), save one tick where a beat was the only message in flight when the
//! world would have gone quiet.
//!
//! Each device finishes one order at a time and tells the runner when the
//! server has answered, so steps sharing an `at` run in file order.

use super::clock::host_network_ms;
use super::clock::record;
use super::im_host::msg_id;
use super::shared::{DeviceCmd, DeviceOrder, Shared};
use super::wire::{write_frame, DeviceFrame, FrameBuf, ServerFrame, IM_PORT};
use crate::core::model::DeviceKey;
use crate::run::trace::Event;
use crate::scenario::plan::DeviceDecl;
use futures_channel::mpsc::{unbounded, UnboundedReceiver, UnboundedSender};
use futures_util::StreamExt;
use std::collections::BTreeMap;
use std::rc::Rc;
use tokio::sync::mpsc::UnboundedReceiver as TokioReceiver;
use turmoil::net::tcp::{OwnedReadHalf, OwnedWriteHalf};

/// Runs the devices host until the simulation ends.
pub(crate) async fn serve(
    shared: Rc<Shared>,
    mut rx: TokioReceiver<DeviceOrder>,
) -> turmoil::Result {
    // futures channels, not tokio's: an idle one holds a single node, where
    // tokio's holds a block of 32 slots. Elements are boxed so that node is
    // small too.
    let mut devices: BTreeMap<DeviceKey, UnboundedSender<Box<(u32, DeviceCmd)>>> = BTreeMap::new();
    while let Some(order) = rx.recv().await {
        let tx = devices.entry(order.device.key.clone()).or_insert_with(|| {
            let (tx, rx) = unbounded();
            let d = Device {
                shared: shared.clone(),
                decl: order.device.clone(),
                link: None,
                zombie: None,
                silent: false,
                beats_from_ms: 0,
                last_seen: None,
                awaiting: Awaiting::Nothing,
                order_seq: 0,
            };
            tokio::task::spawn_local(device(d, rx));
            tx
        });
        tx.unbounded_send(Box::new((order.seq, order.cmd)))
            .expect("device tasks never end before the host");
    }
    Ok(())
}

/// What arrives from the server side of one connection.
enum Incoming {
    Frame(ServerFrame),
    Closed,
}

/// One connection of the device. The device's own task reads it, inside
/// its `select!` (hence the cancel-safe [`FrameBuf`]): a reader task and a
/// channel per device cost about 450 bytes each (heaptrack, 30,000 devices).
struct Link {
    wr: OwnedWriteHalf,
    rd: OwnedReadHalf,
    frames: FrameBuf,
}

/// What the device waits for before its current order counts as done.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Awaiting {
    Nothing,
    LoginOk,
    Sync,
    Answer { seq: u32 },
    LoggedOut,
}

struct Device {
    shared: Rc<Shared>,
    decl: DeviceDecl,
    link: Option<Link>,
    /// An abandoned silent connection, kept open until the new login is
    /// through. Boxed: rare, and inline it would size every device's task.
    zombie: Option<Box<Link>>,
    silent: bool,
    /// Network time (ms) the current connection was made: its heartbeats
    /// fall then and every interval after, until it goes silent.
    beats_from_ms: i64,
    last_seen: Option<u32>,
    awaiting: Awaiting,
    order_seq: u32,
}

async fn next_incoming(link: &mut Option<Link>) -> Incoming {
    match link {
        Some(l) => match l.frames.read(&mut l.rd).await {
            Ok(Some(frame)) => Incoming::Frame(frame),
            Ok(None) | Err(_) => Incoming::Closed,
        },
        None => std::future::pending().await,
    }
}

/// A device's task. A function returning an `async move` block, not an
/// `async fn`: an `async fn` moves its arguments into locals and keeps both
/// in its state (rust-lang/rust#62958), 136 bytes a device here.
#[expect(
    clippy::manual_async_fn,
    reason = "an async fn keeps its arguments twice"
)]
fn device(
    mut d: Device,
    mut orders: UnboundedReceiver<Box<(u32, DeviceCmd)>>,
) -> impl std::future::Future<Output = ()> {
    async move {
        loop {
            tokio::select! {
                biased;
                // The handlers' futures are boxed: inline, the largest of them
                // (a login's connect) would size every device's task for good.
                incoming = next_incoming(&mut d.link), if !d.silent => Box::pin(d.on_incoming(incoming)).await,
                Some(order) = orders.next() => {
                    let (seq, cmd) = *order;
                    Box::pin(d.on_order(seq, cmd)).await
                }
            }
        }
    }
}

impl Device {
    fn key(&self) -> DeviceKey {
        self.decl.key.clone()
    }

    fn done(&mut self) {
        if self.awaiting != Awaiting::Nothing {
            self.awaiting = Awaiting::Nothing;
            self.shared.complete_order();
        }
    }

    async fn send(&mut self, frame: DeviceFrame) {
        if let Some(link) = self.link.as_mut() {
            if write_frame(&mut link.wr, &frame).await.is_err() {
                self.link = None;
            }
        }
    }

    async fn connect(&mut self) -> bool {
        match turmoil::net::TcpStream::connect(("im", IM_PORT)).await {
            Ok(stream) => {
                let (rd, wr) = stream.into_split();
                // Its first heartbeat goes with the login frame.
                self.beats_from_ms = host_network_ms();
                self.link = Some(Link {
                    wr,
                    rd,
                    frames: FrameBuf::default(),
                });
                true
            }
            Err(e) => {
                record(
                    &self.shared,
                    Event::LoginRejected {
                        device: self.key(),
                        reason: format!("connect failed: {e}"),
                    },
                );
                false
            }
        }
    }

    async fn on_order(&mut self, seq: u32, cmd: DeviceCmd) {
        assert_eq!(
            self.awaiting,
            Awaiting::Nothing,
            "the runner waits for each order to finish"
        );
        self.order_seq = seq;
        self.awaiting = Awaiting::Answer { seq };
        match cmd {
            DeviceCmd::Login | DeviceCmd::Reconnect => {
                if self.silent {
                    self.zombie = self.link.take().map(Box::new);
                    self.silent = false;
                }
                self.link = None; // a login always starts a fresh connection
                if !self.connect().await {
                    return self.done();
                }
                self.awaiting = Awaiting::LoginOk;
                let frame = DeviceFrame::Login {
                    device: self.key().to_string(),
                    platform: self.decl.platform.name().to_string(),
                    last_seen: self.last_seen,
                };
                self.send(frame).await;
            }
            DeviceCmd::Logout { unbind } => {
                if self.not_connected(seq) {
                    return;
                }
                self.awaiting = Awaiting::LoggedOut;
                self.send(DeviceFrame::Logout { unbind }).await;
            }
            DeviceCmd::Background { badge } => {
                if !self.not_connected(seq) {
                    self.send(DeviceFrame::AppState {
                        background: true,
                        badge,
                    })
                    .await;
                }
            }
            DeviceCmd::Foreground => {
                if !self.not_connected(seq) {
                    self.send(DeviceFrame::AppState {
                        background: false,
                        badge: None,
                    })
                    .await;
                }
            }
            DeviceCmd::BindToken { cert, token } => {
                if !self.not_connected(seq) {
                    self.send(DeviceFrame::BindToken { cert, token }).await;
                }
            }
            DeviceCmd::Unregister => {
                if !self.not_connected(seq) {
                    self.send(DeviceFrame::Unregister).await;
                }
            }
            DeviceCmd::Disconnect => {
                if self.link.is_some() && !self.silent {
                    self.silent = true;
                    let key = self.key();
                    if let Some(l) = self.shared.liveness.borrow().get(&key) {
                        l.fell_silent(host_network_ms() - self.beats_from_ms);
                    }
                    self.shared.silent.borrow_mut().insert(key);
                }
                self.done();
            }
            DeviceCmd::Kill => {
                // Dropping both halves closes the connection: a FIN, then a
                // RST if frames the device never read are left (a silent one's).
                self.link = None;
                if self.silent {
                    self.silent = false;
                    self.shared.silent.borrow_mut().remove(&self.key());
                }
                self.done();
            }
        }
    }

    /// Records a refusal and finishes the order when there is no live connection.
    fn not_connected(&mut self, seq: u32) -> bool {
        if self.link.is_some() && !self.silent {
            return false;
        }
        record(
            &self.shared,
            Event::Rejected {
                seq,
                rule: "SDK".into(),
                reason: format!("{} is not connected", self.key()),
            },
        );
        self.done();
        true
    }

    async fn on_incoming(&mut self, incoming: Incoming) {
        let frame = match incoming {
            Incoming::Frame(f) => f,
            Incoming::Closed => {
                self.link = None;
                return self.done();
            }
        };
        match frame {
            ServerFrame::LoginOk => {
                record(&self.shared, Event::LoggedIn { device: self.key() });
                self.zombie = None;
                self.shared.silent.borrow_mut().remove(&self.key());
                if self.awaiting == Awaiting::LoginOk {
                    self.awaiting = Awaiting::Sync;
                }
            }
            ServerFrame::LoginRejected { reason } => {
                record(
                    &self.shared,
                    Event::LoginRejected {
                        device: self.key(),
                        reason,
                    },
                );
                self.link = None;
                self.done();
            }
            ServerFrame::Sync { msgs } => {
                if let Some(last) = msgs.iter().map(|m| m.id).max() {
                    self.last_seen = Some(self.last_seen.map_or(last, |l| l.max(last)));
                }
                if !msgs.is_empty() {
                    let msgs = msgs.iter().map(|m| (msg_id(m), m.text.clone())).collect();
                    record(
                        &self.shared,
                        Event::Synced {
                            device: self.key(),
                            msgs,
                        },
                    );
                }
                if self.awaiting == Awaiting::Sync {
                    match (&self.decl.cert, self.decl.auto_bind) {
                        (Some(cert), true) => {
                            self.awaiting = Awaiting::Answer {
                                seq: self.order_seq,
                            };
                            let frame = DeviceFrame::BindToken {
                                cert: cert.clone(),
                                token: self.decl.token.clone(),
                            };
                            self.send(frame).await;
                        }
                        _ => self.done(),
                    }
                }
            }
            ServerFrame::Deliver { msg } => {
                self.last_seen = Some(self.last_seen.map_or(msg.id, |l| l.max(msg.id)));
                record(
                    &self.shared,
                    Event::Delivered {
                        device: self.key(),
                        msg: msg_id(&msg),
                        text: msg.text,
                    },
                );
            }
            ServerFrame::Kicked { by } => {
                record(
                    &self.shared,
                    Event::Kicked {
                        device: self.key(),
                        by,
                    },
                );
                self.link = None;
                self.done();
            }
            ServerFrame::LoggedOut => {
                record(&self.shared, Event::LoggedOut { device: self.key() });
                self.link = None;
                self.done();
            }
            ServerFrame::Ack => {
                if matches!(self.awaiting, Awaiting::Answer { .. }) {
                    self.done();
                }
            }
            ServerFrame::Rejected { rule, reason } => {
                if let Awaiting::Answer { seq } = self.awaiting {
                    record(&self.shared, Event::Rejected { seq, rule, reason });
                    self.done();
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    /// A device's task lives for the whole run, one per device. It was 840
    /// bytes: the silent connection kept inline, the arguments of an
    /// `async fn` kept twice, a heartbeat's frame and buffer inline.
    #[test]
    fn a_device_task_stays_small() {
        let n = crate::sim::future_size(&super::device);
        assert!(n <= 600, "a device's future is {n} bytes");
    }
}
