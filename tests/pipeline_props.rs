//! Properties of the whole pipeline: random scenarios (a small AST rendered to
//! YAML, loaded with `scenario::load_str`, run by the real runner: turmoil
//! world, im host, devices, wiremocked vendors) over three users, five devices
//! and several virtual days, checked against invariants read off the trace.
//!
//! Each invariant is its own function (`inv_*`) with its own model of the
//! world, built only from the plan and the trace (never from the server's
//! state), so one wrong model cannot hide another invariant's failure:
//!
//! - `inv_run_completes`: no harness error, no exhausted budget, every step ran;
//! - `inv_one_verdict_per_recipient_device`: every message × recipient device
//!   (the devices of the peer or group members, and the sender's, that have
//!   logged in) gets exactly one verdict;
//! - `inv_no_push_to_online_device`: no push to a device the profile counts as
//!   online (live connection, foreground or connected background), none to any
//!   device of a user with an online device under all_offline; conversely an
//!   `online` verdict only for an online device;
//! - `inv_no_push_during_dnd`: no push during an active app window (in the
//!   user's zone, read with chrono-tz), app duration or conversation duration
//!   unless the message is force push;
//! - `inv_no_push_without_live_binding`: no push to a kicked device (kicks
//!   computed from logins and the profile, and every observed kick expected), one whose
//!   binding was removed, or with a token the vendor called invalid since it
//!   was last bound; each push carries the token bound at decision time;
//! - `inv_stored_messages_synced_on_login`: after a login, the device holds
//!   every stored message addressed to its user before the login;
//! - `inv_badge_follows_offline_count`: each push carries baseline + messages
//!   pushed to the user since the user last logged in or reported a badge;
//! - `inv_replay_is_identical`: the same plan and seed give an identical trace.
//!
//! A failing case is shrunk by proptest; its `Debug` *is* the scenario YAML,
//! so the minimal failing input prints as a file ready to save under
//! `scenarios/` (add `expect:`). Cases: 256 by default (about 7 s in release) (`PROPTEST_CASES=N`).

use chrono::{TimeZone, Timelike};
use proptest::prelude::*;
use proptest::test_runner::FileFailurePersistence;
use pushsim::core::io::ApiRequest;
use pushsim::core::model::{Conversation, DeviceKey, Message, MsgId, MsgKind};
use pushsim::core::profile::{BackgroundConnected, KickScope, MultiPolicy, WindowEqualMeans};
use pushsim::core::time::SimTime;
use pushsim::run::runner::{self, RunConfig};
use pushsim::run::trace::{Event, TraceEntry, TraceVerdict};
use pushsim::scenario::plan::{Action, Plan, Step};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::{self, Write as _};

// ---- the cast --------------------------------------------------------------------

const USERS: [&str; 3] = ["alice", "bob", "carol"];

/// The zone each user's DND window is read in (bob's own zone; the app's otherwise).
const ZONES: [&str; 3] = ["Asia/Shanghai", "America/New_York", "Asia/Shanghai"];

struct Dev {
    user: usize,
    name: &'static str,
    /// `platform, vendor, cert` as YAML, or just the platform (no binding).
    decl: &'static str,
}

const DEVICES: [Dev; 5] = [
    Dev {
        user: 0,
        name: "phone",
        decl: "{ platform: android, vendor: fcm, cert: fcm-prod }",
    },
    Dev {
        user: 1,
        name: "phone",
        decl: "{ platform: android, vendor: fcm, cert: fcm-prod }",
    },
    Dev {
        user: 1,
        name: "pad",
        decl: "{ platform: ios, vendor: fcm, cert: fcm-prod }",
    },
    Dev {
        user: 2,
        name: "phone",
        decl: "{ platform: android, vendor: huawei, cert: hw-prod }",
    },
    Dev {
        user: 2,
        name: "web",
        decl: "{ platform: web }",
    },
];

const PROFILES: [&str; 6] = [
    "easemob",
    "easemob-native",
    "{ base: easemob, multi.policy: any_offline, multi.kick_scope: all, multi.max_per_platform: 1 }",
    "{ base: easemob, presence.background_connected: offline }",
    "tencent",
    "zego",
];

// ---- the AST ------------------------------------------------------------------------

#[derive(Clone, Copy, Debug)]
enum Conv {
    User(usize),
    Group,
    Room,
}

#[derive(Clone, Debug)]
enum Act {
    Login(usize),
    Logout(usize, Option<bool>),
    Background(usize, Option<u32>),
    Foreground(usize),
    Disconnect(usize),
    Reconnect(usize),
    Kill(usize),
    Restart(usize),
    /// Bind the device's own token, or `shared-N`.
    Bind(usize, Option<u8>),
    Unregister(usize),
    Invalidate(usize),
    Dnd {
        user: usize,
        conv: Option<Conv>,
        window: Option<String>,
        duration: Option<String>,
    },
    Remind(usize, Option<Conv>, &'static str),
    Send {
        from: usize,
        to: Conv,
        kind: &'static str,
        mention: u8,
        force: bool,
        silent: bool,
    },
    Wait,
}

#[derive(Clone)]
struct Case {
    profile: usize,
    /// Start with every bindable device logged in (bound) and killed, so
    /// pushes are common from the first send; shrinks to false.
    prelude: bool,
    steps: Vec<(String, Act)>,
}

fn dev(d: usize) -> String {
    format!("{}/{}", USERS[DEVICES[d].user], DEVICES[d].name)
}

fn conv(c: Conv) -> String {
    match c {
        Conv::User(u) => format!("{{ user: {} }}", USERS[u]),
        Conv::Group => "{ group: g1 }".into(),
        Conv::Room => "{ chatroom: lobby }".into(),
    }
}

impl Case {
    fn yaml(&self) -> String {
        let mut y = String::new();
        let w = &mut y;
        let _ = writeln!(w, "# yaml-language-server: $schema=../scenario.schema.json");
        let _ = writeln!(w, "name: property counterexample");
        let _ = writeln!(
            w,
            "about: >-\n  Found and shrunk by tests/pipeline_props.rs; say here what it shows."
        );
        let _ = writeln!(w, "rules: [DNDX-05]");
        let _ = writeln!(w, "profile: {}", PROFILES[self.profile]);
        let _ = writeln!(w, "start: 2026-03-07T20:00:00+08:00");
        let _ = writeln!(w, "app:\n  timezone: Asia/Shanghai");
        let _ = writeln!(
            w,
            "  certs: {{ fcm-prod: {{ vendor: fcm }}, hw-prod: {{ vendor: huawei }} }}"
        );
        let _ = writeln!(w, "users:");
        for (u, name) in USERS.iter().enumerate() {
            let _ = writeln!(w, "  {name}:");
            if u == 1 {
                let _ = writeln!(w, "    timezone: {}", ZONES[1]);
            }
            let _ = writeln!(w, "    devices:");
            for d in DEVICES.iter().filter(|d| d.user == u) {
                let _ = writeln!(w, "      {}: {}", d.name, d.decl);
            }
        }
        let _ = writeln!(w, "groups:\n  g1: [alice, bob, carol]");
        let _ = writeln!(w, "steps:");
        if self.prelude {
            for d in 0..4 {
                let _ = writeln!(w, "  - at: \"+0s\"\n    login: {}", dev(d));
                let _ = writeln!(w, "  - at: \"+0s\"\n    kill: {}", dev(d));
            }
        }
        for (i, (at, act)) in self.steps.iter().enumerate() {
            let action = match act {
                Act::Login(d) => format!("login: {}", dev(*d)),
                Act::Logout(d, None) => format!("logout: {}", dev(*d)),
                Act::Logout(d, Some(u)) => {
                    format!("logout: {{ device: {}, unbind: {u} }}", dev(*d))
                }
                Act::Background(d, None) => format!("background: {}", dev(*d)),
                Act::Background(d, Some(b)) => {
                    format!("background: {{ device: {}, badge: {b} }}", dev(*d))
                }
                Act::Foreground(d) => format!("foreground: {}", dev(*d)),
                Act::Disconnect(d) => format!("disconnect: {}", dev(*d)),
                Act::Reconnect(d) => format!("reconnect: {}", dev(*d)),
                Act::Kill(d) => format!("kill: {}", dev(*d)),
                Act::Restart(d) => format!("restart: {}", dev(*d)),
                Act::Bind(d, None) => format!("bind_token: {}", dev(*d)),
                Act::Bind(d, Some(t)) => {
                    format!("bind_token: {{ device: {}, token: shared-{t} }}", dev(*d))
                }
                Act::Unregister(d) => format!("unregister: {}", dev(*d)),
                Act::Invalidate(d) => format!("invalidate_token: {{ device: {} }}", dev(*d)),
                Act::Dnd {
                    user,
                    conv: c,
                    window,
                    duration,
                } => {
                    let mut s = format!("set_dnd: {{ user: {}", USERS[*user]);
                    if let Some(c) = c {
                        let _ = write!(s, ", conversation: {}", conv(*c));
                    }
                    if let Some(win) = window {
                        let _ = write!(s, ", window: \"{win}\"");
                    }
                    if let Some(dur) = duration {
                        let _ = write!(s, ", duration: {dur}");
                    }
                    s + " }"
                }
                Act::Remind(u, c, ty) => match c {
                    Some(c) => format!(
                        "set_remind: {{ user: {}, conversation: {}, type: {ty} }}",
                        USERS[*u],
                        conv(*c)
                    ),
                    None => format!("set_remind: {{ user: {}, type: {ty} }}", USERS[*u]),
                },
                Act::Send {
                    from,
                    to,
                    kind,
                    mention,
                    force,
                    silent,
                } => {
                    let to = match to {
                        Conv::User(u) => USERS[*u].to_string(),
                        c => conv(*c),
                    };
                    let mut s = format!(
                        "send: {{ from: {}, to: {to}, text: \"t{i}\", kind: {kind}",
                        USERS[*from]
                    );
                    match mention {
                        1 => s.push_str(", mentions: all"),
                        2 => s.push_str(", mentions: [bob]"),
                        _ => {}
                    }
                    if *force {
                        s.push_str(", force_push: true");
                    }
                    if *silent {
                        s.push_str(", silent: true");
                    }
                    s + " }"
                }
                Act::Wait => "wait: true".into(),
            };
            let _ = writeln!(w, "  - at: \"{at}\"\n    {action}");
        }
        let _ = writeln!(w, "expect: [] # state what this case shows");
        y
    }
}

/// The case prints as its scenario file, so proptest's "minimal failing
/// input" is ready to save.
impl fmt::Debug for Case {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "\n{}", self.yaml())
    }
}

// ---- strategies --------------------------------------------------------------------

fn gap() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => (0u32..60).prop_map(|s| format!("+{s}s")),
        3 => (1u32..60).prop_map(|m| format!("+{m}m")),
        2 => (1u32..24).prop_map(|h| format!("+{h}h")),
        1 => Just("+1d".to_string()),
    ]
}

fn conv_sel() -> impl Strategy<Value = Conv> {
    prop_oneof![
        4 => (0usize..3).prop_map(Conv::User),
        2 => Just(Conv::Group),
        1 => Just(Conv::Room)
    ]
}

fn window() -> impl Strategy<Value = String> {
    prop_oneof![
        6 => (0u16..96, 0u16..96).prop_map(|(a, b)| {
            let (a, b) = (a * 15, b * 15);
            format!("{:02}:{:02}-{:02}:{:02}", a / 60, a % 60, b / 60, b % 60)
        }),
        1 => Just(String::new()),
        1 => Just("00:00-00:00".to_string()),
        1 => Just("24:00-07:00".to_string()),
    ]
}

fn duration() -> impl Strategy<Value = String> {
    prop_oneof![
        (1u32..300).prop_map(|m| format!("\"{m}m\"")),
        (1u32..48).prop_map(|h| format!("\"{h}h\"")),
        Just("0".to_string()),
        Just("\"8d\"".to_string()),
    ]
}

fn act() -> impl Strategy<Value = Act> {
    let d = 0usize..DEVICES.len();
    let bindable = 0usize..4; // DEVICES[..4] have a cert
    prop_oneof![
        4 => d.clone().prop_map(Act::Login),
        1 => (d.clone(), proptest::option::of(any::<bool>())).prop_map(|(d, u)| Act::Logout(d, u)),
        2 => (d.clone(), proptest::option::weighted(0.3, 0u32..9)).prop_map(|(d, b)| Act::Background(d, b)),
        1 => d.clone().prop_map(Act::Foreground),
        1 => d.clone().prop_map(Act::Disconnect),
        1 => d.clone().prop_map(Act::Reconnect),
        4 => d.clone().prop_map(Act::Kill),
        1 => d.clone().prop_map(Act::Restart),
        1 => (bindable.clone(), proptest::option::weighted(0.5, 0u8..2)).prop_map(|(d, t)| Act::Bind(d, t)),
        1 => bindable.clone().prop_map(Act::Unregister),
        1 => bindable.prop_map(Act::Invalidate),
        // App level: window and/or duration.
        5 => (0usize..3, proptest::option::of(window()), proptest::option::of(duration()))
            .prop_map(|(user, window, duration)| {
                let window = if window.is_none() && duration.is_none() { Some("22:00-07:00".into()) } else { window };
                Act::Dnd { user, conv: None, window, duration }
            }),
        // Conversation level: a duration (a window there is rejected, DNDW-07).
        2 => (0usize..3, conv_sel(), proptest::option::weighted(0.1, window()), duration())
            .prop_map(|(user, c, window, duration)| Act::Dnd { user, conv: Some(c), window, duration: Some(duration) }),
        1 => (0usize..3, proptest::option::of(conv_sel()), prop_oneof![Just("ALL"), Just("AT"), Just("NONE")])
            .prop_map(|(u, c, t)| Act::Remind(u, c, t)),
        8 => (0usize..3, conv_sel(), prop_oneof![6 => Just("text"), 1 => Just("image"), 1 => Just("custom"), 1 => Just("call_invite"), 1 => Just("control")],
              0u8..3, proptest::bool::weighted(0.15), proptest::bool::weighted(0.1))
            .prop_map(|(from, to, kind, mention, force, silent)| {
                // Never a single chat with oneself.
                let to = match to { Conv::User(u) if u == from => Conv::User((u + 1) % 3), c => c };
                Act::Send { from, to, kind, mention, force, silent }
            }),
        1 => Just(Act::Wait),
    ]
}

fn case() -> impl Strategy<Value = Case> {
    (
        0usize..PROFILES.len(),
        proptest::bool::weighted(0.7),
        proptest::collection::vec((gap(), act()), 1..40),
    )
        .prop_map(|(profile, prelude, steps)| Case {
            profile,
            prelude,
            steps,
        })
}

// ---- reading the plan and trace ---------------------------------------------------

/// What the invariants read: the plan, its steps by seq, the trace, and the
/// seqs of rejected steps.
struct Run<'a> {
    plan: &'a Plan,
    steps: BTreeMap<u32, &'a Step>,
    trace: &'a [TraceEntry],
    rejected: BTreeSet<u32>,
}

impl<'a> Run<'a> {
    fn new(plan: &'a Plan, trace: &'a [TraceEntry]) -> Run<'a> {
        Run {
            plan,
            steps: plan.steps.iter().map(|s| (s.seq, s)).collect(),
            trace,
            rejected: trace
                .iter()
                .filter_map(|e| match &e.event {
                    Event::Rejected { seq, .. } => Some(*seq),
                    _ => None,
                })
                .collect(),
        }
    }

    /// The step an `Event::Step` began, if `e` is one.
    fn step(&self, e: &TraceEntry) -> Option<&'a Step> {
        match &e.event {
            Event::Step { seq, .. } => self.steps.get(seq).copied(),
            _ => None,
        }
    }

    /// Messages sent, by id.
    fn messages(&self) -> BTreeMap<MsgId, &'a Message> {
        self.plan
            .steps
            .iter()
            .filter_map(|s| match &s.action {
                Action::Api(ApiRequest::Send(m)) => Some((m.id, &**m)),
                _ => None,
            })
            .collect()
    }

    /// Users a message is decided for: the peer or the members, and the sender.
    fn recipients(&self, m: &Message) -> BTreeSet<String> {
        let mut users: BTreeSet<String> = match &m.to {
            Conversation::User(u) => BTreeSet::from([u.clone()]),
            Conversation::Group(g) | Conversation::ChatRoom(g) => self
                .plan
                .server
                .groups
                .get(g)
                .map(|m| m.iter().cloned().collect())
                .unwrap_or_default(),
        };
        users.insert(m.from.clone());
        users
    }

    fn user_devices(&self, user: &str) -> Vec<DeviceKey> {
        self.plan
            .devices
            .iter()
            .filter(|d| d.key.user == user)
            .map(|d| d.key.clone())
            .collect()
    }
}

type Check = Result<(), String>;

/// The run ended normally and every step began.
fn inv_run_completes(r: &Run<'_>) -> Check {
    for e in r.trace {
        if let Event::HarnessError { what } | Event::BudgetExhausted { what } = &e.event {
            return Err(format!("harness trouble: {what}"));
        }
    }
    let began = r.trace.iter().filter(|e| r.step(e).is_some()).count();
    if began != r.plan.steps.len() {
        return Err(format!("{began} of {} steps began", r.plan.steps.len()));
    }
    Ok(())
}

/// Every message × recipient device that has logged in gets exactly one verdict.
fn inv_one_verdict_per_recipient_device(r: &Run<'_>) -> Check {
    let msgs = r.messages();
    let mut known = BTreeSet::new();
    let mut expected: BTreeMap<MsgId, BTreeSet<DeviceKey>> = BTreeMap::new();
    let mut seen: BTreeMap<(MsgId, DeviceKey), usize> = BTreeMap::new();
    for e in r.trace {
        match &e.event {
            Event::LoggedIn { device } => {
                known.insert(device.clone());
            }
            Event::Decided { msg, device, .. } => {
                *seen.entry((*msg, device.clone())).or_default() += 1;
            }
            _ => {}
        }
        if let Some(Action::Api(ApiRequest::Send(m))) = r.step(e).map(|s| &s.action) {
            let users = r.recipients(m);
            let devices = known
                .iter()
                .filter(|d| users.contains(&d.user))
                .cloned()
                .collect();
            expected.insert(m.id, devices);
        }
    }
    for (id, devices) in &expected {
        for d in devices {
            let n = seen.remove(&(*id, d.clone())).unwrap_or(0);
            if n != 1 {
                return Err(format!("m{} → {d}: {n} verdicts", id.0));
            }
        }
    }
    if let Some(((id, d), n)) = seen.into_iter().next() {
        return Err(format!(
            "m{} → {d}: {n} verdict(s) for a device that is not a recipient (msgs: {})",
            id.0,
            msgs.len()
        ));
    }
    Ok(())
}

/// Sessions as the server keeps them, rebuilt from logins: a device is logged
/// in from its `LoggedIn` until it logs out or a later login kicks it (MDV-04,
/// computed here from the profile: while the logged-in devices in the kick
/// scope reach `max_per_platform`, the earliest login goes). Computed rather
/// than read from `Kicked` events, which a silent device never observes.
#[derive(Default)]
struct Sessions {
    /// Logged-in devices → login order.
    logged_in: BTreeMap<DeviceKey, u64>,
    n_logins: u64,
}

impl Sessions {
    /// Updates on `e`; returns the devices a login kicked.
    fn observe(&mut self, r: &Run<'_>, e: &TraceEntry) -> Vec<DeviceKey> {
        let mut kicked = Vec::new();
        match &e.event {
            Event::LoggedIn { device } if !self.logged_in.contains_key(device) => {
                let p = &r.plan.server.profile;
                let platform = |d: &DeviceKey| {
                    r.plan
                        .devices
                        .iter()
                        .find(|x| &x.key == d)
                        .map(|x| x.platform)
                };
                let mut rivals: Vec<(u64, DeviceKey)> = self
                    .logged_in
                    .iter()
                    .filter(|(d, _)| d.user == device.user)
                    .filter(|(d, _)| {
                        p.kick_scope == KickScope::All || platform(d) == platform(device)
                    })
                    .map(|(d, seq)| (*seq, d.clone()))
                    .collect();
                rivals.sort();
                let keep = (p.max_per_platform.max(1) - 1) as usize;
                let n_kick = rivals.len().saturating_sub(keep);
                for (_, d) in rivals.into_iter().take(n_kick) {
                    self.logged_in.remove(&d);
                    kicked.push(d);
                }
                self.n_logins += 1;
                self.logged_in.insert(device.clone(), self.n_logins);
            }
            Event::LoggedOut { device } => {
                self.logged_in.remove(device);
            }
            _ => {}
        }
        kicked
    }
}

/// Presence as the server learns it from the trace: a live connection from a
/// login until a kick (see [`Sessions`]), logout or connection loss; the app
/// state from accepted background/foreground steps.
#[derive(Default)]
struct Presence {
    sessions: Sessions,
    connected: BTreeSet<DeviceKey>,
    background: BTreeSet<DeviceKey>,
}

impl Presence {
    fn observe(&mut self, r: &Run<'_>, e: &TraceEntry) {
        for d in self.sessions.observe(r, e) {
            self.connected.remove(&d);
        }
        match &e.event {
            Event::LoggedIn { device } => {
                self.connected.insert(device.clone());
                self.background.remove(device);
            }
            Event::Kicked { device, .. }
            | Event::LoggedOut { device }
            | Event::ConnectionLost { device, .. } => {
                self.connected.remove(device);
            }
            _ => {}
        }
        if let Some(step) = r.step(e) {
            if r.rejected.contains(&step.seq) {
                return;
            }
            match &step.action {
                Action::Background { device, .. } => {
                    self.background.insert(device.clone());
                }
                Action::Foreground(device) => {
                    self.background.remove(device);
                }
                _ => {}
            }
        }
    }

    fn online(&self, r: &Run<'_>, d: &DeviceKey) -> bool {
        let p = &r.plan.server.profile;
        self.connected.contains(d)
            && (!self.background.contains(d)
                || (p.background_connected == BackgroundConnected::Online && !p.do_background_push))
    }
}

/// Delivered over the live connection instead of pushed (PRS-02/03; PRS-07
/// when the connection has gone silent and the server cannot know yet).
fn is_online_verdict(v: &TraceVerdict) -> bool {
    match v {
        TraceVerdict::Online => true,
        TraceVerdict::Suppressed { rule, .. } => {
            *rule == "PRS-02" || *rule == "PRS-03" || *rule == "PRS-07"
        }
        TraceVerdict::Push { .. } => false,
    }
}

/// No push to an online device, nor (all_offline) to a user with an online
/// device; an `online` verdict only for an online device.
fn inv_no_push_to_online_device(r: &Run<'_>) -> Check {
    let msgs = r.messages();
    let mut p = Presence::default();
    let all_offline = r.plan.server.profile.multi_policy == MultiPolicy::AllOffline;
    for e in r.trace {
        p.observe(r, e);
        let Event::Decided {
            msg,
            device,
            verdict,
        } = &e.event
        else {
            continue;
        };
        match verdict {
            TraceVerdict::Push { .. } => {
                if p.online(r, device) {
                    return Err(format!("m{} pushed to {device}, which is online", msg.0));
                }
                if let Some(o) = r
                    .user_devices(&device.user)
                    .iter()
                    .find(|o| all_offline && p.online(r, o))
                {
                    return Err(format!(
                        "m{} pushed to {device} while {o} is online (all_offline)",
                        msg.0
                    ));
                }
            }
            v if is_online_verdict(v) && !p.online(r, device) => {
                return Err(format!(
                    "m{}: verdict online for {device}, which is offline",
                    msg.0
                ));
            }
            v => {
                // Conversely: a pushable message to an online recipient device
                // (not the sender's) is delivered online.
                let m = msgs[msg];
                let pushable = m.kind != MsgKind::Control
                    && !m.silent
                    && !matches!(m.to, Conversation::ChatRoom(_));
                if pushable && device.user != m.from && p.online(r, device) && !is_online_verdict(v)
                {
                    return Err(format!(
                        "m{} → {device}, which is online: verdict {v:?}",
                        msg.0
                    ));
                }
            }
        }
    }
    Ok(())
}

/// The local minute of day of `t` in `zone`, read with chrono-tz directly.
fn local_minute(zone: &str, t: SimTime) -> u16 {
    let tz: chrono_tz::Tz = zone.parse().expect("an IANA zone");
    let l = chrono::Utc
        .timestamp_millis_opt(t.0)
        .single()
        .expect("in range")
        .with_timezone(&tz);
    (l.hour() * 60 + l.minute()) as u16
}

fn window_mutes(text: &str, minute: u16, equal: WindowEqualMeans) -> Option<bool> {
    let (a, b) = text.split_once('-')?;
    let clock = |s: &str| -> Option<u16> {
        let (h, m) = s.split_once(':')?;
        let (h, m) = (h.parse::<u16>().ok()?, m.parse::<u16>().ok()?);
        (h < 24 && m < 60).then_some(h * 60 + m)
    };
    let (s, e) = (clock(a)?, clock(b)?);
    Some(if s == e {
        !(equal == WindowEqualMeans::MidnightOff && s == 0)
    } else if s < e {
        s <= minute && minute < e
    } else {
        minute >= s || minute < e
    })
}

/// No push during an active app window, app duration or conversation duration
/// unless the message is force push (or mentions the user where the profile
/// lets mentions through DND).
fn inv_no_push_during_dnd(r: &Run<'_>) -> Check {
    let profile = &r.plan.server.profile;
    let unit_ms = profile.duration_unit.ms();
    let msgs = r.messages();
    // Per user: app window text, app expiry, conversation expiries.
    let mut window: BTreeMap<String, String> = BTreeMap::new();
    let mut app_until: BTreeMap<String, SimTime> = BTreeMap::new();
    let mut conv_until: BTreeMap<(String, Conversation), SimTime> = BTreeMap::new();
    for e in r.trace {
        if let Event::Accepted { seq, .. } = &e.event {
            let Some(Action::Api(ApiRequest::SetDnd {
                user,
                conversation,
                window: w,
                duration,
            })) = r.steps.get(seq).map(|s| &s.action)
            else {
                continue;
            };
            if let Some(w) = w {
                if w.is_empty() {
                    window.remove(user);
                } else {
                    window.insert(user.clone(), w.clone());
                }
            }
            if let Some(d) = duration {
                let until = e.at.plus_ms(d * unit_ms);
                match conversation {
                    None if *d == 0 => {
                        app_until.remove(user);
                    }
                    None => {
                        app_until.insert(user.clone(), until);
                    }
                    Some(c) if *d == 0 => {
                        conv_until.remove(&(user.clone(), c.clone()));
                    }
                    Some(c) => {
                        conv_until.insert((user.clone(), c.clone()), until);
                    }
                }
            }
        }
        let Event::Decided {
            msg,
            device,
            verdict: TraceVerdict::Push { .. },
        } = &e.event
        else {
            continue;
        };
        let m = msgs[msg];
        if m.force_push {
            continue;
        }
        let u = &device.user;
        // tencent's EXCEPT_AT (settings.dnd_blocks_mentions: false): a mention
        // gets through DND (DNDX-04, D-09).
        let mentioned = match &m.mentions {
            pushsim::core::model::Mentions::All => true,
            pushsim::core::model::Mentions::Users(list) => list.iter().any(|x| x == u),
            pushsim::core::model::Mentions::None => false,
        };
        if mentioned && !r.plan.server.profile.dnd_blocks_mentions {
            continue;
        }
        let zone = ZONES[USERS.iter().position(|x| x == u).expect("a cast user")];
        let minute = local_minute(zone, e.at);
        if let Some(w) = window.get(u) {
            if window_mutes(w, minute, profile.window_equal_means) == Some(true) {
                return Err(format!(
                    "m{} pushed to {device} inside app window {w} (local minute {minute})",
                    msg.0
                ));
            }
        }
        if app_until.get(u).is_some_and(|t| e.at < *t) {
            return Err(format!(
                "m{} pushed to {device} during an app DND duration",
                msg.0
            ));
        }
        let c = match &m.to {
            Conversation::User(_) => Conversation::User(m.from.clone()),
            other => other.clone(),
        };
        if conv_until
            .get(&(u.clone(), c.clone()))
            .is_some_and(|t| e.at < *t)
        {
            return Err(format!(
                "m{} pushed to {device} during a DND duration on {c}",
                msg.0
            ));
        }
    }
    Ok(())
}

/// No push to a kicked device, one without a binding, or with a token the
/// vendor called invalid since it was last bound; a push carries the token
/// bound when it was decided.
fn inv_no_push_without_live_binding(r: &Run<'_>) -> Check {
    // Binds from devices (a `bind_token` step, the SDK's bind after login)
    // are not trace events: a bind counts unless its step was rejected.
    let auto_bind: BTreeMap<&DeviceKey, &str> = r
        .plan
        .devices
        .iter()
        .filter(|d| d.cert.is_some() && d.auto_bind)
        .map(|d| (&d.key, d.token.as_str()))
        .collect();
    let mut sessions = Sessions::default();
    let mut kicked = BTreeSet::new();
    let mut bound: BTreeMap<DeviceKey, String> = BTreeMap::new();
    let mut invalid: BTreeSet<DeviceKey> = BTreeSet::new();
    let mut token_at_decision: BTreeMap<(MsgId, DeviceKey), String> = BTreeMap::new();
    for e in r.trace {
        if let Some(step) = r.step(e).filter(|s| !r.rejected.contains(&s.seq)) {
            let binds = match &step.action {
                Action::BindToken { device, token, .. } => Some((device.clone(), token.clone())),
                Action::Login(d) | Action::Reconnect(d) => {
                    auto_bind.get(d).map(|t| (d.clone(), t.to_string()))
                }
                _ => None,
            };
            if let Some((device, token)) = binds {
                invalid.remove(&device);
                bound.insert(device, token);
            }
        }
        if let Event::LoggedIn { device } = &e.event {
            kicked.remove(device);
        }
        kicked.extend(sessions.observe(r, e));
        match &e.event {
            Event::Kicked { device, .. } if !kicked.contains(device) => {
                return Err(format!(
                    "{device} observed a kick the session model did not expect"
                ));
            }
            Event::Unbound { device, .. } => {
                bound.remove(device);
            }
            Event::Decided {
                msg,
                device,
                verdict: TraceVerdict::Push { .. },
            } => {
                if kicked.contains(device) {
                    return Err(format!("m{} pushed to kicked {device}", msg.0));
                }
                if invalid.contains(device) {
                    return Err(format!(
                        "m{} pushed to {device} after the vendor called its token invalid",
                        msg.0
                    ));
                }
                let Some(token) = bound.get(device) else {
                    return Err(format!(
                        "m{} pushed to {device}, which has no binding",
                        msg.0
                    ));
                };
                token_at_decision.insert((*msg, device.clone()), token.clone());
            }
            Event::Push {
                msg,
                device,
                token,
                result,
                ..
            } => {
                let want = token_at_decision.get(&(*msg, device.clone()));
                if want != Some(token) {
                    return Err(format!(
                        "push m{} → {device} carried token {token}, bound was {want:?}",
                        msg.0
                    ));
                }
                if result.starts_with("invalid token") && bound.get(device) == Some(token) {
                    invalid.insert(device.clone());
                }
            }
            _ => {}
        }
    }
    Ok(())
}

/// After a login, the device holds every stored message addressed to its user
/// before the login (received online earlier or synced now).
fn inv_stored_messages_synced_on_login(r: &Run<'_>) -> Check {
    // Message, and when a call invite stops being delivered (DLV-05).
    let mut addressed: BTreeMap<String, Vec<(MsgId, Option<i64>)>> = BTreeMap::new();
    let mut received: BTreeMap<DeviceKey, BTreeSet<MsgId>> = BTreeMap::new();
    // Logins whose sync is due by the next step: device → messages owed.
    let mut owed: Vec<(DeviceKey, Vec<MsgId>)> = Vec::new();
    let settle = |owed: &mut Vec<(DeviceKey, Vec<MsgId>)>,
                  received: &BTreeMap<DeviceKey, BTreeSet<MsgId>>|
     -> Check {
        for (d, msgs) in owed.drain(..) {
            let got = received.get(&d).cloned().unwrap_or_default();
            if let Some(m) = msgs.iter().find(|m| !got.contains(m)) {
                return Err(format!("{d} logged in but never got m{}", m.0));
            }
        }
        Ok(())
    };
    for e in r.trace {
        if let Some(step) = r.step(e) {
            settle(&mut owed, &received)?;
            if let Action::Api(ApiRequest::Send(m)) = &step.action {
                // Chat rooms and online-only messages are not stored (A-17, MSG-11).
                if !matches!(m.to, Conversation::ChatRoom(_)) && !m.online_only {
                    let ends = m.call_timeout_s.map(|s| e.at.0 + i64::from(s) * 1000);
                    for u in r.recipients(m).into_iter().filter(|u| *u != m.from) {
                        addressed.entry(u).or_default().push((m.id, ends));
                    }
                }
            }
        }
        match &e.event {
            Event::LoggedIn { device } => {
                // An ended call invite is not delivered at login (DLV-05).
                let msgs = addressed
                    .get(&device.user)
                    .into_iter()
                    .flatten()
                    .filter(|(_, ends)| ends.is_none_or(|t| e.at.0 < t))
                    .map(|(m, _)| *m)
                    .collect();
                owed.push((device.clone(), msgs));
            }
            Event::Delivered { device, msg, .. } => {
                received.entry(device.clone()).or_default().insert(*msg);
            }
            Event::Synced { device, msgs } => {
                received
                    .entry(device.clone())
                    .or_default()
                    .extend(msgs.iter().map(|(m, _)| *m));
            }
            _ => {}
        }
    }
    settle(&mut owed, &received)
}

/// Each push carries baseline + messages pushed to the user since the user
/// last logged in (any device) or reported a badge (offline_count, A-20 off),
/// where a message whose every push to the user was refused or given up
/// (BDG-06: only accepted pushes count) leaves the count once its last job ends.
fn inv_badge_follows_offline_count(r: &Run<'_>) -> Check {
    let resets_on_login =
        r.plan.server.profile.badge_model == pushsim::core::profile::BadgeModel::OfflineCount;
    let mut baseline: BTreeMap<String, u32> = BTreeMap::new();
    let mut n: BTreeMap<String, u32> = BTreeMap::new();
    let mut counted: BTreeSet<(MsgId, String)> = BTreeSet::new();
    let mut expected: BTreeMap<(MsgId, String), u32> = BTreeMap::new();
    // Resets per user, and per counted message: (epoch, jobs left, any accepted).
    let mut epoch: BTreeMap<String, u32> = BTreeMap::new();
    let mut open: BTreeMap<(MsgId, String), (u32, u32, bool)> = BTreeMap::new();
    for e in r.trace {
        if let Some(step) = r.step(e) {
            if let (
                Action::Background {
                    device,
                    badge: Some(b),
                },
                false,
            ) = (&step.action, r.rejected.contains(&step.seq))
            {
                baseline.insert(device.user.clone(), *b);
                n.insert(device.user.clone(), 0);
                *epoch.entry(device.user.clone()).or_default() += 1;
            }
        }
        match &e.event {
            // offline_count restarts at login; tencent/zego's unread baseline + 1
            // per push survives it (only a client report resets it, A-06).
            Event::LoggedIn { device } if resets_on_login => {
                baseline.remove(&device.user);
                n.remove(&device.user);
                *epoch.entry(device.user.clone()).or_default() += 1;
            }
            Event::Decided {
                msg,
                device,
                verdict: TraceVerdict::Push { .. },
            } => {
                let u = device.user.clone();
                if counted.insert((*msg, u.clone())) {
                    let c = n.entry(u.clone()).or_default();
                    *c += 1;
                    expected.insert(
                        (*msg, u.clone()),
                        baseline.get(&u).copied().unwrap_or(0) + *c,
                    );
                    let e = epoch.get(&u).copied().unwrap_or(0);
                    open.insert((*msg, u), (e, 1, false));
                } else if let Some(o) = open.get_mut(&(*msg, u)) {
                    o.1 += 1;
                }
            }
            Event::Push {
                msg,
                device,
                notification,
                result,
                ..
            } => {
                let want = expected.get(&(*msg, device.user.clone())).copied();
                if notification.badge != want {
                    return Err(format!(
                        "push m{} → {device} carried badge {:?}, the model says {want:?}",
                        msg.0, notification.badge
                    ));
                }
                // A job ends accepted, or refused for its token; other answers
                // are retried or end in `PushAbandoned`.
                if result == "ok" || result.starts_with("invalid token") {
                    job_ends(
                        &mut open,
                        &mut n,
                        &epoch,
                        (*msg, &device.user),
                        result == "ok",
                    );
                }
            }
            Event::PushAbandoned { msg, device, .. } => {
                job_ends(&mut open, &mut n, &epoch, (*msg, &device.user), false);
            }
            _ => {}
        }
    }
    Ok(())
}

/// Pending badge counts of [`inv_badge_follows_offline_count`]: one job of
/// `msg` to `user` ended; a message none of whose jobs was accepted leaves the
/// count, unless the count was reset since it was counted.
fn job_ends(
    open: &mut BTreeMap<(MsgId, String), (u32, u32, bool)>,
    n: &mut BTreeMap<String, u32>,
    epoch: &BTreeMap<String, u32>,
    (msg, user): (MsgId, &str),
    accepted: bool,
) {
    let key = (msg, user.to_string());
    let Some(o) = open.get_mut(&key) else { return };
    o.1 -= 1;
    o.2 |= accepted;
    if o.1 == 0 {
        let (e, _, acc) = open.remove(&key).expect("present");
        if !acc && epoch.get(user).copied().unwrap_or(0) == e {
            if let Some(c) = n.get_mut(user) {
                *c = c.saturating_sub(1);
            }
        }
    }
}

/// The same plan and seed give an identical trace.
fn inv_replay_is_identical(plan: &Plan, first: &[TraceEntry]) -> Check {
    let again = runner::run(plan, &RunConfig::standard()).trace;
    if again.as_slice() == first {
        return Ok(());
    }
    let i = first
        .iter()
        .zip(&again)
        .position(|(a, b)| a != b)
        .unwrap_or(first.len().min(again.len()));
    Err(format!(
        "replay differs at event {i}: {:?} vs {:?}",
        first.get(i),
        again.get(i)
    ))
}

fn check_case(case: &Case) -> Check {
    let yaml = case.yaml();
    let plan = pushsim::scenario::load_str("scenarios/props/counterexample.yaml", &yaml)
        .map_err(|d| format!("the generated scenario does not load: {}", d[0]))?;
    let trace = runner::run(&plan, &RunConfig::standard()).trace;
    let r = Run::new(&plan, &trace);
    let checks: [(&str, Check); 8] = [
        ("run completes", inv_run_completes(&r)),
        (
            "one verdict per recipient device",
            inv_one_verdict_per_recipient_device(&r),
        ),
        (
            "no push to an online device",
            inv_no_push_to_online_device(&r),
        ),
        (
            "no push during DND unless force",
            inv_no_push_during_dnd(&r),
        ),
        (
            "no push without a live binding",
            inv_no_push_without_live_binding(&r),
        ),
        (
            "stored messages synced on login",
            inv_stored_messages_synced_on_login(&r),
        ),
        (
            "badge follows the profile's model",
            inv_badge_follows_offline_count(&r),
        ),
        (
            "replay is identical",
            inv_replay_is_identical(&plan, &trace),
        ),
    ];
    let failed: Vec<String> = checks
        .into_iter()
        .filter_map(|(name, c)| c.err().map(|e| format!("{name}: {e}")))
        .collect();
    if failed.is_empty() {
        Ok(())
    } else {
        Err(failed.join("\n"))
    }
}

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: 256,
        max_shrink_iters: 4096,
        // A shrink step runs the world twice; bound the whole search.
        max_shrink_time: 120_000,
        failure_persistence: Some(Box::new(FileFailurePersistence::Direct(
            "tests/proptest-regressions/pipeline_props.txt",
        ))),
        ..ProptestConfig::default()
    }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn random_scenarios_keep_the_pipeline_invariants(case in case()) {
        if let Err(e) = check_case(&case) {
            prop_assert!(false, "{}\n(the minimal failing input below is the scenario file)", e);
        }
    }
}

#[test]
fn the_invariants_can_fail() {
    // A trace edited to push during an active window must trip the DND check:
    // the checks read the trace, not the server, so a pipeline bug shows.
    let case = Case {
        profile: 0,
        prelude: false,
        steps: vec![
            ("+0s".into(), Act::Login(1)),
            ("+1s".into(), Act::Kill(1)),
            (
                "+1s".into(),
                Act::Dnd {
                    user: 1,
                    conv: None,
                    window: Some("00:00-00:00".into()),
                    duration: None,
                },
            ),
            (
                "+1s".into(),
                Act::Send {
                    from: 0,
                    to: Conv::User(1),
                    kind: "text",
                    mention: 0,
                    force: false,
                    silent: false,
                },
            ),
        ],
    };
    let plan = pushsim::scenario::load_str("x.yaml", &case.yaml()).expect("loads");
    let mut trace = runner::run(&plan, &RunConfig::standard()).trace;
    assert_eq!(inv_no_push_during_dnd(&Run::new(&plan, &trace)), Ok(()));
    for e in &mut trace {
        if let Event::Decided { verdict, .. } = &mut e.event {
            *verdict = TraceVerdict::Push {
                vendor: pushsim::core::model::Vendor::Fcm,
                rule: "DNDX-05",
            };
        }
    }
    let r = Run::new(&plan, &trace);
    assert!(inv_no_push_during_dnd(&r).is_err());
    // Dropping the sync of the message breaks the sync invariant once bob logs in again.
    let case2 = Case {
        profile: 0,
        prelude: false,
        steps: vec![
            ("+0s".into(), Act::Login(1)),
            ("+1s".into(), Act::Kill(1)),
            (
                "+1s".into(),
                Act::Send {
                    from: 0,
                    to: Conv::User(1),
                    kind: "text",
                    mention: 0,
                    force: false,
                    silent: false,
                },
            ),
            ("+1m".into(), Act::Login(1)),
        ],
    };
    let plan2 = pushsim::scenario::load_str("x.yaml", &case2.yaml()).expect("loads");
    let trace2 = runner::run(&plan2, &RunConfig::standard()).trace;
    assert_eq!(
        inv_stored_messages_synced_on_login(&Run::new(&plan2, &trace2)),
        Ok(())
    );
    assert_eq!(
        inv_badge_follows_offline_count(&Run::new(&plan2, &trace2)),
        Ok(())
    );
    let mut wrong_badge = trace2.clone();
    for e in &mut wrong_badge {
        if let Event::Push { notification, .. } = &mut e.event {
            notification.badge = Some(7);
        }
    }
    assert!(inv_badge_follows_offline_count(&Run::new(&plan2, &wrong_badge)).is_err());
    let cut: Vec<TraceEntry> = trace2
        .into_iter()
        .filter(|e| !matches!(e.event, Event::Synced { .. }))
        .collect();
    assert!(inv_stored_messages_synced_on_login(&Run::new(&plan2, &cut)).is_err());
}

#[test]
fn the_generator_reaches_the_states_the_invariants_talk_about() {
    // Invariants that never meet their subject prove nothing: over a fixed
    // sample of generated cases, each verdict family and event must occur.
    use proptest::strategy::ValueTree;
    use proptest::test_runner::{RngAlgorithm, TestRng, TestRunner};
    let mut runner = TestRunner::new_with_rng(
        ProptestConfig::default(),
        TestRng::from_seed(RngAlgorithm::ChaCha, &[7; 32]),
    );
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    for _ in 0..64 {
        let case = case().new_tree(&mut runner).expect("a case").current();
        let plan =
            pushsim::scenario::load_str("x.yaml", &case.yaml()).expect("generated cases load");
        for e in runner::run(&plan, &RunConfig::standard()).trace {
            let key = match &e.event {
                Event::Decided { verdict, .. } if is_online_verdict(verdict) => "online".into(),
                Event::Decided {
                    verdict: TraceVerdict::Push { rule, .. },
                    ..
                } => format!("push {rule}"),
                Event::Decided {
                    verdict: TraceVerdict::Online,
                    ..
                } => "online".into(),
                Event::Decided {
                    verdict: TraceVerdict::Suppressed { rule, .. },
                    ..
                } => {
                    format!("suppressed {}", rule.split('-').next().unwrap_or(rule))
                }
                Event::Kicked { .. } => "kicked".into(),
                Event::Synced { .. } => "synced".into(),
                Event::Unbound { rule, .. } => format!("unbound {rule}"),
                Event::ConnectionLost { cause, .. } => format!("lost {cause:?}"),
                Event::Push { result, .. } if result != "ok" => "push refused by vendor".into(),
                _ => continue,
            };
            *seen.entry(key).or_default() += 1;
        }
    }
    for want in [
        "push DNDX-05",
        "push MSG-09",
        "online",
        "suppressed DNDW",
        "suppressed DNDD",
        "suppressed MDV",
        "suppressed PRS",
        "suppressed TOK",
        "suppressed RT",
        "kicked",
        "synced",
        "unbound TOK-08",
        "lost HeartbeatTimeout",
        "lost Closed",
        "push refused by vendor",
    ] {
        assert!(
            seen.contains_key(want),
            "no `{want}` in 64 generated cases: {seen:?}"
        );
    }
}
