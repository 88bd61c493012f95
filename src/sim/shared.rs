//! State shared between the runner and the simulated hosts: the calendar
//! clock, the trace, the ledger of pending short-horizon work, and the order
//! queues through which the runner drives the hosts.
//!
//! Everything runs on the runner's thread (turmoil hosts are `LocalSet`s stepped
//! by `Sim::step`), so `Rc`/`Cell`/`RefCell` suffice and no lock can reorder
//! anything.

use crate::core::io::ApiRequest;
use crate::core::model::DeviceKey;
use crate::core::time::SimTime;
use crate::run::trace::{Event, TraceEntry};
use crate::scenario::plan::DeviceDecl;
use rand::rngs::StdRng;
use rand::SeedableRng;
use std::cell::{Cell, RefCell};
use std::collections::{BTreeMap, BTreeSet};
use std::rc::Rc;
use tokio::sync::oneshot;

/// What a device is told to do by a step.
#[derive(Clone, Debug)]
pub enum DeviceCmd {
    /// Connect and log in (also `restart`).
    Login,
    /// Drop the silent connection, connect again and log in.
    Reconnect,
    /// Log out.
    Logout {
        /// Unbind the token.
        unbind: Option<bool>,
    },
    /// App to background.
    Background {
        /// doBackground badge.
        badge: Option<u32>,
    },
    /// App to foreground.
    Foreground,
    /// Stop talking without closing (silent loss).
    Disconnect,
    /// Close the connection (process killed).
    Kill,
    /// Upload a token.
    BindToken {
        /// Cert.
        cert: String,
        /// Token.
        token: String,
    },
    /// Opt out.
    Unregister,
}

/// An order for the devices host.
#[derive(Clone, Debug)]
pub struct DeviceOrder {
    /// Step index that caused it.
    pub seq: u32,
    /// The device (its declaration).
    pub device: DeviceDecl,
    /// What to do.
    pub cmd: DeviceCmd,
}

/// An order for the `im` host's API.
#[derive(Clone, Debug)]
pub struct ApiOrder {
    /// Step index that caused it.
    pub seq: u32,
    /// The call.
    pub request: ApiRequest,
}

/// One server-side connection's liveness (see [`Shared::liveness`]). The
/// connection's task holds it too and marks each frame through it, without
/// a lookup by device (two lookups a frame, when heartbeats were frames,
/// were a tenth of a 30,000-device run: perf, string compares in the maps).
///
/// Heartbeats are counted, not received (see `device_host`): they arrive
/// from `beats_from_net_ms` (the login frame's arrival, which the first beat
/// shares) every `period_ms` of network time, until the device falls silent
/// and says how long it had been beating.
#[derive(Debug)]
pub struct Liveness {
    /// The network time (ms) of the last frame or heartbeat heard:
    /// heartbeats and their timeout live on network time, which calendar
    /// jumps do not move. Brought up to date by [`Liveness::deadline`].
    pub last_frame_net_ms: Cell<i64>,
    /// When the connection's heartbeats started arriving (network ms).
    pub beats_from_net_ms: Cell<i64>,
    /// The devices' heartbeat interval, ms.
    pub period_ms: i64,
    /// The device stopped heartbeating (went silent): no more beats arrive.
    pub beats_stopped: Cell<bool>,
    /// Wakes the connection's reader: to report a heartbeat timeout now
    /// (`signalled`), or to set its timer (the device fell silent).
    pub timed_out: tokio::sync::Notify,
    /// The timeout was signalled; the reader has not reported it yet.
    pub signalled: Cell<bool>,
    /// Calendar time jumped over while the connection was silent: it counts
    /// as network time towards its heartbeat timeout (stepping would have
    /// let that much network time pass).
    pub credit_ms: Cell<i64>,
}

impl Liveness {
    /// A connection whose login frame, and first heartbeat, arrived at
    /// network time `net_ms`, heartbeating every `period_ms`.
    pub fn new(net_ms: i64, period_ms: i64) -> Liveness {
        Liveness {
            last_frame_net_ms: Cell::new(net_ms),
            beats_from_net_ms: Cell::new(net_ms),
            period_ms: period_ms.max(1),
            beats_stopped: Cell::new(false),
            timed_out: tokio::sync::Notify::new(),
            signalled: Cell::new(false),
            credit_ms: Cell::new(0),
        }
    }

    /// Hears the beats sent in the first `beating_ms` of the connection:
    /// at its start and every period after, up to `beating_ms` included.
    fn heard_beats_for(&self, beating_ms: i64) {
        let beat =
            self.beats_from_net_ms.get() + beating_ms.max(0) / self.period_ms * self.period_ms;
        if beat > self.last_frame_net_ms.get() {
            self.last_frame_net_ms.set(beat);
        }
    }

    /// A frame arrived at network time `net_ms`.
    pub fn heard(&self, net_ms: i64) {
        self.last_frame_net_ms.set(net_ms);
        self.credit_ms.set(0);
    }

    /// The device fell silent after beating for `beating_ms` (from its first
    /// beat to the silence; a beat due at that very moment went out, its
    /// timer firing as the tick began). Each beat arrives as long after the
    /// first's arrival as it was sent after the first. Wakes the
    /// connection's reader to set its timer: a healthy connection's has
    /// none to run.
    pub fn fell_silent(&self, beating_ms: i64) {
        self.heard_beats_for(beating_ms);
        self.beats_stopped.set(true);
        self.timed_out.notify_one();
    }

    /// When, in network ms, the server gives up on the connection as of
    /// `now_ms`: `timeout_ms` after the last frame or heartbeat heard, the
    /// heartbeats of a device still beating counted up to now. Never
    /// earlier than a deadline computed before, so a timer set from one
    /// fires no later than the loss is due.
    pub fn deadline(&self, now_ms: i64, timeout_ms: i64) -> i64 {
        if !self.beats_stopped.get() {
            self.heard_beats_for(now_ms - self.beats_from_net_ms.get());
        }
        self.last_frame_net_ms.get() + timeout_ms
    }
}

/// The shared state. See the module doc.
#[derive(Debug)]
pub struct Shared {
    start: SimTime,
    skipped_ms: Cell<i64>,
    /// Each calendar jump: the network time it was made at (ms) and the
    /// time skipped in all once it was made, in order. How a network instant
    /// read on the calendar (see [`Shared::calendar_at_network_ms`]).
    jumps: RefCell<Vec<(i64, i64)>>,
    trace: RefCell<Vec<TraceEntry>>,
    /// Orders issued by the runner and not yet completed.
    pub pending_orders: Cell<u32>,
    /// Push jobs handed to the dispatcher and not yet given to their cert's lane.
    pub vendor_unrouted: Cell<u32>,
    /// Dispatcher lanes with jobs that are not parked on the ledger: while
    /// one is, a vendor exchange may be under way and the world is not quiet.
    pub busy_lanes: Cell<u32>,
    /// Dispatcher lanes parked on the ledger. More than the ledger holds means
    /// a wait was woken and its lane has not run yet: not quiet.
    pub parked_lanes: Cell<u32>,
    /// Devices whose connection went silent and whose loss the server has not yet noticed.
    pub silent: RefCell<BTreeSet<DeviceKey>>,
    /// The server's view of each device's current connection: when it last
    /// heard from it, and how to make it notice the loss. The runner uses it to
    /// jump the calendar to a silent connection's heartbeat deadline instead of
    /// stepping every tick until it (PRS-07 at calendar time).
    pub liveness: RefCell<BTreeMap<DeviceKey, Rc<Liveness>>>,
    /// The calendar ledger: long waits (Retry-After, backoff) parked until a
    /// calendar instant. The runner jumps the calendar to the earliest one when
    /// the world is otherwise quiet, so an hour's wait costs no ticks.
    ledger: RefCell<BTreeMap<(SimTime, u64), oneshot::Sender<()>>>,
    ledger_seq: Cell<u64>,
    /// The run's seeded RNG for the pipeline (backoff jitter); turmoil has its
    /// own, seeded from the same seed.
    pub rng: RefCell<StdRng>,
}

impl Shared {
    /// A fresh shared state for a run starting at `start`.
    pub fn new(start: SimTime, seed: u64) -> Shared {
        Shared {
            ledger: RefCell::new(BTreeMap::new()),
            ledger_seq: Cell::new(0),
            // A distinct stream from turmoil's, derived from the same seed.
            rng: RefCell::new(StdRng::seed_from_u64(seed ^ 0x7075_7368_7369_6d00)),
            start,
            skipped_ms: Cell::new(0),
            jumps: RefCell::new(Vec::new()),
            trace: RefCell::new(Vec::new()),
            pending_orders: Cell::new(0),
            vendor_unrouted: Cell::new(0),
            busy_lanes: Cell::new(0),
            parked_lanes: Cell::new(0),
            silent: RefCell::new(BTreeSet::new()),
            liveness: RefCell::new(BTreeMap::new()),
        }
    }

    /// Calendar time given the network time elapsed so far (DESIGN.md, Time:
    /// start + stepped time + skipped time).
    pub fn calendar(&self, elapsed: std::time::Duration) -> SimTime {
        self.start
            .plus_ms(elapsed.as_millis() as i64 + self.skipped_ms.get())
    }

    /// Jumps the calendar forward by `ms` without stepping the network,
    /// which stands at `network_ms`.
    fn skip(&self, ms: i64, network_ms: i64) {
        assert!(ms >= 0, "the calendar never goes backwards");
        self.skipped_ms.set(self.skipped_ms.get() + ms);
        self.jumps
            .borrow_mut()
            .push((network_ms, self.skipped_ms.get()));
    }

    /// The calendar time at which the network clock read `network_ms`: the
    /// jumps made before the network got there count, one made at that very
    /// instant does not (the world was quiet only after that tick's work).
    pub fn calendar_at_network_ms(&self, network_ms: i64) -> SimTime {
        let jumps = self.jumps.borrow();
        let before = jumps.partition_point(|&(at, _)| at < network_ms);
        let skipped = before.checked_sub(1).map_or(0, |i| jumps[i].1);
        self.start.plus_ms(network_ms + skipped)
    }

    /// Appends an event at `at`.
    pub fn record_at(&self, at: SimTime, event: Event) {
        self.trace.borrow_mut().push(TraceEntry { at, event });
    }

    /// Marks one runner order as completed.
    pub fn complete_order(&self) {
        let n = self.pending_orders.get();
        assert!(n > 0, "completed an order that was never issued");
        self.pending_orders.set(n - 1);
    }

    /// Parks the caller until calendar time `at`.
    pub fn park_until(&self, at: SimTime) -> oneshot::Receiver<()> {
        let (tx, rx) = oneshot::channel();
        let seq = self.ledger_seq.get() + 1;
        self.ledger_seq.set(seq);
        self.ledger.borrow_mut().insert((at, seq), tx);
        rx
    }

    /// How many waits are parked on the ledger (a waiter that gave up
    /// waiting — a lane woken by a new job instead — no longer counts).
    pub fn parked(&self) -> u32 {
        self.forget_abandoned();
        self.ledger.borrow().len() as u32
    }

    /// The earliest parked wake-up.
    pub fn next_wake(&self) -> Option<SimTime> {
        self.forget_abandoned();
        self.ledger.borrow().keys().next().map(|(at, _)| *at)
    }

    fn forget_abandoned(&self) {
        self.ledger.borrow_mut().retain(|_, tx| !tx.is_closed());
    }

    /// The earliest heartbeat deadline among silent connections, as a
    /// calendar time, with its device. The server notices a loss `timeout_ms`
    /// of network time after the last frame; from `now` on, network and
    /// calendar time would run together (a silent connection kept the world
    /// from jumping), so the deadline is `now` plus the network time left.
    pub fn next_silent_deadline(
        &self,
        timeout_ms: i64,
        now: SimTime,
        now_net_ms: i64,
    ) -> Option<(SimTime, DeviceKey)> {
        let live = self.liveness.borrow();
        self.silent
            .borrow()
            .iter()
            .filter_map(|d| {
                let l = live.get(d).filter(|l| !l.signalled.get())?;
                let left =
                    (l.last_frame_net_ms.get() + timeout_ms - now_net_ms - l.credit_ms.get())
                        .max(0);
                Some((now.plus_ms(left), d.clone()))
            })
            .min()
    }

    /// The runner's calendar jump while the world is quiet, the network at
    /// `network_ms`: silent connections are credited with it (see
    /// [`Liveness::credit_ms`]).
    pub fn jump(&self, ms: i64, network_ms: i64) {
        let silent = self.silent.borrow();
        if !silent.is_empty() {
            let live = self.liveness.borrow();
            for d in silent.iter() {
                if let Some(l) = live.get(d) {
                    l.credit_ms.set(l.credit_ms.get() + ms);
                }
            }
        }
        drop(silent);
        self.skip(ms, network_ms);
    }

    /// Makes the server notice now that `device`'s silent connection timed out.
    pub fn time_out(&self, device: &DeviceKey) {
        if let Some(l) = self.liveness.borrow().get(device) {
            l.signalled.set(true);
            l.timed_out.notify_one();
        }
    }

    /// Wakes every wait due at `now`; returns how many.
    pub fn wake_due(&self, now: SimTime) -> usize {
        let mut ledger = self.ledger.borrow_mut();
        let mut n = 0;
        while let Some(entry) = ledger.first_entry() {
            if entry.key().0 > now {
                break;
            }
            let _ = entry.remove().send(()); // the waiter may have gone: fine
            n += 1;
        }
        n
    }

    /// How many events the trace holds so far.
    pub fn trace_len(&self) -> usize {
        self.trace.borrow().len()
    }

    /// A copy of the events recorded from index `from` on, in recording order.
    pub fn trace_from(&self, from: usize) -> Vec<TraceEntry> {
        self.trace.borrow().get(from..).unwrap_or_default().to_vec()
    }

    /// Takes the trace, sorted by time (stable: same-time events keep their order).
    pub fn take_trace(&self) -> Vec<TraceEntry> {
        let mut t = std::mem::take(&mut *self.trace.borrow_mut());
        t.sort_by_key(|e| e.at);
        t
    }
}

#[cfg(test)]
mod tests {
    use super::{Liveness, Shared};
    use crate::core::time::SimTime;

    const PERIOD: i64 = 30_000;
    const TIMEOUT: i64 = 90_000;

    /// A healthy connection is heard on its schedule, from its login frame's
    /// arrival: a heartbeat arriving at the very moment counts (a frame that
    /// is there wins over a deadline due at the same tick).
    #[test]
    fn a_healthy_connection_is_heard_on_its_heartbeat_schedule() {
        let l = Liveness::new(30, PERIOD);
        assert_eq!(l.deadline(30 + 59_990, TIMEOUT), 30 + 30_000 + TIMEOUT);
        assert_eq!(l.deadline(30 + 60_000, TIMEOUT), 30 + 60_000 + TIMEOUT);
        // A frame for a step between beats moves it on as well.
        l.heard(70_000);
        assert_eq!(l.deadline(70_010, TIMEOUT), 70_000 + TIMEOUT);
    }

    /// Silent: heard until the last beat it sent, then never again; the
    /// deadline never moves back, so a timer set from an earlier one fires
    /// no later than the loss is due.
    #[test]
    fn a_silent_connection_is_heard_until_its_last_heartbeat() {
        let l = Liveness::new(30, PERIOD);
        let before = l.deadline(20_000, TIMEOUT);
        l.fell_silent(30_000 + 20_000); // its second beat was its last
        let due = l.deadline(100_000, TIMEOUT);
        assert_eq!(due, 30_030 + TIMEOUT);
        assert!(due >= before);
        assert_eq!(l.deadline(200_000, TIMEOUT), due, "no beat after silence");
        // A frame after its last beat (a step's) still counts.
        let l = Liveness::new(30, PERIOD);
        l.heard(45_000);
        l.fell_silent(30_000);
        assert_eq!(l.deadline(100_000, TIMEOUT), 45_000 + TIMEOUT);
    }

    /// A past network instant reads on the calendar with the jumps made
    /// before it; one made at that instant came after its tick's work.
    #[test]
    fn a_network_instant_reads_on_the_calendar_with_the_jumps_before_it() {
        let start = SimTime(1_000_000);
        let s = Shared::new(start, 1);
        s.jump(1_000, 50);
        s.jump(500, 80);
        let at = |net| s.calendar_at_network_ms(net).0 - start.0;
        assert_eq!(at(10), 10);
        assert_eq!(at(50), 50);
        assert_eq!(at(51), 51 + 1_000);
        assert_eq!(at(80), 80 + 1_000);
        assert_eq!(at(81), 81 + 1_500);
        // Now, the same as the running calendar.
        let now = std::time::Duration::from_millis(90);
        assert_eq!(s.calendar_at_network_ms(90), s.calendar(now));
    }
}
