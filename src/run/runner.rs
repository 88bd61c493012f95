//! Runs a plan: starts the mock vendors, builds the world, feeds the steps in
//! at their times, and skips quiet spans of the calendar. Returns the trace;
//! never an error (harness trouble becomes a trace event).
//!
//! Quiet means: every order the runner gave is answered, no push is queued or
//! in flight at a vendor, no silent connection awaits its heartbeat timeout,
//! and no message is in flight between hosts. Then the calendar jumps to the
//! next step: healthy heartbeats "went on and nothing else happened" (DESIGN.md,
//! Time). Network timers live on turmoil time, which a jump does not move.

use super::target::{Stopped, Target};
use super::trace::{Event, TraceEntry};
use crate::core::time::SimTime;
use crate::mock::fleet::MockFleet;
use crate::scenario::plan::{Action, Plan, Step};
use crate::sim::dispatch;
use crate::sim::shared::{ApiOrder, DeviceCmd, DeviceOrder, Shared};
use crate::sim::world::{self, World};
use std::collections::BTreeMap;
use std::rc::Rc;

/// Limits and overrides of one run.
#[derive(Clone, Debug)]
pub struct RunConfig {
    /// Run under this seed instead of the scenario's.
    pub seed: Option<u64>,
    /// Most simulation steps (ticks) before giving up.
    pub ticks_max: u64,
}

impl RunConfig {
    /// The defaults `pushsim run` and the tests use.
    pub fn standard() -> RunConfig {
        RunConfig {
            seed: None,
            ticks_max: 2_000_000,
        }
    }
}

/// A finished run.
#[derive(Clone, Debug)]
pub struct Run {
    /// The seed it ran under.
    pub seed: u64,
    /// What happened, sorted by time.
    pub trace: Vec<TraceEntry>,
    /// Simulation ticks stepped (for benchmarks).
    pub ticks: u64,
}

/// Runs `plan` to the end.
pub fn run(plan: &Plan, config: &RunConfig) -> Run {
    run_watched(plan, config, &mut |_| {})
}

/// Where a watched run is (see [`run_watched`]).
#[derive(Clone, Copy, Debug)]
pub struct Mark<'a> {
    /// The step about to be carried out; `None` once the run has played out.
    pub step: Option<&'a Step>,
    /// Network ticks stepped so far.
    pub ticks: u64,
}

/// [`run`], calling `watch` with each step just before it is carried out
/// (when its `at` has come and the orders before it are answered), and with
/// no step once everything due after the last step has happened, before the
/// world is torn down (never, if the run stopped: its trace says why): how
/// `pushsim bench` splits a run into phases, timed by its clock and counted
/// in ticks, without the runner reading a clock.
pub fn run_watched(plan: &Plan, config: &RunConfig, watch: &mut dyn FnMut(Mark<'_>)) -> Run {
    let seed = config.seed.unwrap_or(plan.seed);
    let (fleet, shared, world) = match setup(plan, seed) {
        Ok(parts) => parts,
        Err(what) => {
            return Run {
                seed,
                trace: vec![TraceEntry {
                    at: plan.start,
                    event: Event::HarnessError { what },
                }],
                ticks: 0,
            }
        }
    };
    let mut target = WorldTarget::new(plan, config, shared.clone(), world, Some(&fleet));
    // Stopping early is already in the trace.
    let _ = super::target::play(plan, &mut Watched(&mut target, watch));
    let ticks = target.ticks;
    let mut observer = target.observer;
    observer.drain(&fleet);
    // Pushes are what the vendors received, read from their journals.
    let trace = shared.take_trace();
    let observed = observer.events(plan, &trace);
    Run {
        seed,
        trace: super::observe::merge(trace, observed),
        ticks,
    }
}

/// Builds `plan`'s world and steps it `ticks` times with no step injected:
/// the cost of naive stepping with the same hosts, the anchor `pushsim bench`
/// judges the time skip against. Returns the ticks stepped.
pub fn step_idle(plan: &Plan, ticks: u64) -> u64 {
    let Ok((_fleet, _shared, mut world)) = setup(plan, plan.seed) else {
        return 0;
    };
    for n in 0..ticks {
        if world.sim.step().is_err() {
            return n;
        }
    }
    ticks
}

/// The mock fleet, the shared state and the turmoil world of a run.
fn setup<'a>(plan: &Plan, seed: u64) -> Result<(MockFleet, Rc<Shared>, World<'a>), String> {
    let vendors = plan.vendors();
    let fleet =
        MockFleet::start(&vendors).map_err(|e| format!("cannot start the mock vendors: {e}"))?;
    let credentials = fleet.cert_credentials(plan);
    let base_urls = vendors
        .iter()
        .map(|v| (*v, fleet.base_url(*v)))
        .collect::<BTreeMap<_, _>>();
    let shared = Rc::new(Shared::new(plan.start, seed));
    let world = world::build(
        plan,
        seed,
        shared.clone(),
        base_urls,
        dispatch::Config {
            credentials,
            rate_wait_override_ms: None,
        },
    );
    Ok((fleet, shared, world))
}

fn in_flight(sim: &turmoil::Sim<'_>) -> bool {
    let mut any = false;
    sim.links(|links| {
        for mut link in links {
            if link.next().is_some() {
                any = true;
                break;
            }
        }
    });
    any
}

fn quiet(shared: &Shared, sim: &turmoil::Sim<'_>) -> bool {
    shared.pending_orders.get() == 0
        // Each cert's lane works one job at a time: a lane parked on the
        // ledger holds up the jobs queued behind it, so it does not move until
        // the wake; any other lane with jobs is at work.
        && shared.vendor_unrouted.get() == 0
        && shared.busy_lanes.get() == 0
        && shared.parked_lanes.get() <= shared.parked()
        && !in_flight(sim)
}

/// The turmoil world as a [`Target`]: steps go in as orders to its hosts;
/// `advance` steps the network and jumps the calendar over quiet spans.
pub struct WorldTarget<'p, 'w> {
    plan: &'p Plan,
    config: &'p RunConfig,
    shared: Rc<Shared>,
    world: World<'w>,
    /// The run's own mocks (`None` under `pushsim serve`, whose mocks belong
    /// to the driver: it reads their journals and arms their faults).
    fleet: Option<&'p MockFleet>,
    observer: super::observe::Observer,
    /// Simulation ticks stepped so far.
    pub ticks: u64,
    heartbeat_ms: i64,
}

impl<'p, 'w> WorldTarget<'p, 'w> {
    /// A target over a built world.
    pub fn new(
        plan: &'p Plan,
        config: &'p RunConfig,
        shared: Rc<Shared>,
        world: World<'w>,
        fleet: Option<&'p MockFleet>,
    ) -> WorldTarget<'p, 'w> {
        WorldTarget {
            plan,
            config,
            shared,
            world,
            fleet,
            observer: super::observe::Observer::default(),
            ticks: 0,
            heartbeat_ms: i64::from(plan.server.profile.heartbeat_timeout_s) * 1000,
        }
    }

    /// The calendar now.
    pub fn now(&self) -> SimTime {
        self.shared.calendar(self.world.sim.elapsed())
    }

    /// The next moment something is due with no step given: a parked wait
    /// or a silent connection's heartbeat deadline.
    pub fn next_deadline(&self) -> Option<SimTime> {
        let now = self.now();
        let now_net_ms = self.world.sim.elapsed().as_millis() as i64;
        let silent = self
            .shared
            .next_silent_deadline(self.heartbeat_ms, now, now_net_ms)
            .map(|(at, _)| at);
        match (silent, self.shared.next_wake()) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// Steps until every order given so far is answered (`pushsim serve`
    /// answers a step only then).
    pub fn settle_orders(&mut self) -> Result<(), Stopped> {
        while self.shared.pending_orders.get() > 0 {
            let now = self.now();
            self.shared.wake_due(now);
            self.tick(now)?;
        }
        Ok(())
    }

    /// Steps, without moving the calendar past network time, until the world
    /// is quiet: what was set going has finished (`pushsim serve` answers an
    /// `advance` to the present this way).
    pub fn settle(&mut self) -> Result<(), Stopped> {
        loop {
            let now = self.now();
            self.shared.wake_due(now);
            if quiet(&self.shared, &self.world.sim) {
                return Ok(());
            }
            self.tick(now)?;
        }
    }

    /// One network tick, within the budget.
    fn tick(&mut self, now: SimTime) -> Result<(), Stopped> {
        if self.ticks >= self.config.ticks_max {
            let what = format!(
                "{} ticks without the world going quiet",
                self.config.ticks_max
            );
            self.shared.record_at(now, Event::BudgetExhausted { what });
            return Err(Stopped);
        }
        if let Err(e) = self.world.sim.step() {
            let what = format!("simulation failed: {e}");
            self.shared.record_at(now, Event::HarnessError { what });
            return Err(Stopped);
        }
        self.ticks += 1;
        Ok(())
    }

    /// Runs until the calendar reaches `to` with every order answered, or,
    /// with no `to`, until nothing more is due.
    fn run_until(&mut self, to: Option<SimTime>) -> Result<(), Stopped> {
        loop {
            let now = self.now();
            self.shared.wake_due(now);
            if to.is_some_and(|to| to <= now) && self.shared.pending_orders.get() == 0 {
                return Ok(());
            }
            if quiet(&self.shared, &self.world.sim) {
                if let Some(fleet) = self.fleet {
                    // No vendor request in flight: the moment to let the mocks
                    // drop wiremock's copies of what they answered (bounded memory).
                    self.observer.drain(fleet);
                    fleet.trim();
                }
                // Nothing moves until the next step, the next parked wait or a
                // silent connection's heartbeat deadline: jump the calendar there.
                let now_net_ms = self.world.sim.elapsed().as_millis() as i64;
                let silent = self
                    .shared
                    .next_silent_deadline(self.heartbeat_ms, now, now_net_ms);
                let target = match (to, self.shared.next_wake()) {
                    (Some(a), Some(b)) => Some(a.min(b)),
                    (a, b) => a.or(b),
                };
                match (silent, target) {
                    // A silent connection's heartbeat deadline comes first: jump
                    // there (the span counts as network time for it) and let the
                    // server notice the loss on the next step.
                    (Some((at, device)), t) if t.is_none_or(|t| at <= t) => {
                        if at > now {
                            self.shared.jump(at.ms_since(now), now_net_ms);
                        }
                        self.shared.time_out(&device);
                    }
                    (_, None) => return Ok(()),
                    (_, Some(t)) if t > now => {
                        self.shared.jump(t.ms_since(now), now_net_ms);
                        continue;
                    }
                    (_, Some(_)) => {}
                }
            }
            self.tick(now)?;
        }
    }
}

impl Target for WorldTarget<'_, '_> {
    fn advance(&mut self, to: SimTime) -> Result<(), Stopped> {
        self.run_until(Some(to))
    }

    fn apply(&mut self, step: &Step) -> Result<(), Stopped> {
        let now = self.now();
        inject(self.plan, step, &self.shared, &self.world, self.fleet, now);
        Ok(())
    }

    fn finish(&mut self) -> Result<(), Stopped> {
        self.run_until(None)
    }
}

/// The world target, showing each step to `watch` before it is applied.
struct Watched<'a, 'p, 'w>(&'a mut WorldTarget<'p, 'w>, &'a mut dyn FnMut(Mark<'_>));

impl Watched<'_, '_, '_> {
    fn mark(&mut self, step: Option<&Step>) {
        (self.1)(Mark {
            step,
            ticks: self.0.ticks,
        });
    }
}

impl Target for Watched<'_, '_, '_> {
    fn advance(&mut self, to: SimTime) -> Result<(), Stopped> {
        self.0.advance(to)
    }

    fn apply(&mut self, step: &Step) -> Result<(), Stopped> {
        self.mark(Some(step));
        self.0.apply(step)
    }

    fn finish(&mut self) -> Result<(), Stopped> {
        let finished = self.0.finish();
        if finished.is_ok() {
            self.mark(None);
        }
        finished
    }
}

/// How late a step may start (behind the orders of earlier steps) before the
/// run says the scenario could not be run as written.
const STEP_LATE_MS: i64 = 1_000;

fn inject(
    plan: &Plan,
    step: &Step,
    shared: &Shared,
    world: &World<'_>,
    fleet: Option<&MockFleet>,
    now: SimTime,
) {
    // Steps wait for the orders before them; a step held up this long is not
    // the scenario as written, and is said so, never shifted silently.
    let late_ms = now.ms_since(step.at);
    if late_ms > STEP_LATE_MS {
        let late = Event::StepLate {
            seq: step.seq,
            line: step.line,
            late_ms,
        };
        shared.record_at(now, late);
    }
    shared.record_at(
        now,
        Event::Step {
            seq: step.seq,
            line: step.line,
            what: super::describe::action(&step.action),
        },
    );
    // Plan devices are sorted by key: found by binary search, and their
    // index picks the device host.
    let device = |key: &crate::core::model::DeviceKey| {
        let i = plan
            .devices
            .binary_search_by(|d| d.key.cmp(key))
            .expect("the plan only names declared devices");
        (i, plan.devices[i].clone())
    };
    let order = |cmd: DeviceCmd, key| {
        shared.pending_orders.set(shared.pending_orders.get() + 1);
        let (i, device) = device(key);
        let o = DeviceOrder {
            seq: step.seq,
            device,
            cmd,
        };
        world.devices[crate::sim::world::device_host_of(i)]
            .send(o)
            .expect("the devices host runs as long as the world");
    };
    match &step.action {
        Action::Login(d) => order(DeviceCmd::Login, d),
        Action::Reconnect(d) => order(DeviceCmd::Reconnect, d),
        Action::Logout { device: d, unbind } => order(DeviceCmd::Logout { unbind: *unbind }, d),
        Action::Background { device: d, badge } => {
            order(DeviceCmd::Background { badge: *badge }, d)
        }
        Action::Foreground(d) => order(DeviceCmd::Foreground, d),
        Action::Disconnect(d) => order(DeviceCmd::Disconnect, d),
        Action::Kill(d) => order(DeviceCmd::Kill, d),
        Action::BindToken {
            device: d,
            cert,
            token,
        } => order(
            DeviceCmd::BindToken {
                cert: cert.clone(),
                token: token.clone(),
            },
            d,
        ),
        Action::Unregister(d) => order(DeviceCmd::Unregister, d),
        Action::Api(request) => {
            shared.pending_orders.set(shared.pending_orders.get() + 1);
            let o = ApiOrder {
                seq: step.seq,
                request: request.clone(),
            };
            world
                .api
                .send(o)
                .expect("the im host runs as long as the world");
        }
        // Under `pushsim serve` the driver does these at its own mocks.
        Action::InvalidateToken {
            vendor,
            token,
            count,
        } => {
            if let Some(fleet) = fleet {
                fleet.invalidate_token(*vendor, token, *count)
            }
        }
        Action::VendorFault { vendor, fault } => {
            if let Some(fleet) = fleet {
                fleet.fault(*vendor, fault, now)
            }
        }
        Action::Wait => {}
    }
}
