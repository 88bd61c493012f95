//! Property tests of the decision core (`pushsim::core`).
//!
//! - DND arithmetic against an independent oracle: the muted minutes of a local
//!   day are enumerated one by one from the window's start to its end, the local
//!   wall clock is read with chrono-tz directly, and a duration is "set time ≤ t <
//!   set time + value × unit".
//! - `Server::handle` on random input sequences never panics, and every send
//!   yields exactly one `Decided` per known recipient device, a `Push` right
//!   after each push verdict, no push to a kicked device, none to a device the
//!   server held online (nor, under all_offline, to a user with one), and
//!   badges that follow the offline-count model. The same invariants run
//!   through the whole simulated pipeline in `tests/pipeline_props.rs`.
//!
//! Failures persist under `tests/proptest-regressions/` (STYLE.md B3).

use chrono::{TimeZone, Timelike};
use proptest::prelude::*;
use proptest::test_runner::FileFailurePersistence;
use pushsim::core::io::{ApiRequest, Input, Output, PushFeedback, ServerConfig, Verdict};
use pushsim::core::model::*;
use pushsim::core::profile::{Profile, WindowEqualMeans};
use pushsim::core::server::Server;
use pushsim::core::settings::DndWindow;
use pushsim::core::time::{SimTime, Zone};
use std::collections::{BTreeMap, BTreeSet};

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: 2000,
        failure_persistence: Some(Box::new(FileFailurePersistence::Direct(
            "tests/proptest-regressions/properties.txt",
        ))),
        ..ProptestConfig::default()
    }
}

// ---- the oracle ----------------------------------------------------------------

/// The muted minutes of one local day, enumerated from start to end.
fn oracle_day(start: u16, end: u16, equal: WindowEqualMeans) -> Vec<bool> {
    let mut muted = vec![false; 1440];
    if start == end {
        let off = equal == WindowEqualMeans::MidnightOff && start == 0;
        return vec![!off; 1440];
    }
    let mut m = start;
    while m != end {
        muted[m as usize] = true;
        m = (m + 1) % 1440;
    }
    muted
}

/// The local minute of day of `t` in `zone`, read with chrono directly.
fn oracle_local_minute(zone: &str, t: SimTime) -> u16 {
    let utc = chrono::Utc.timestamp_millis_opt(t.0).single().unwrap();
    let (h, m) = match zone.parse::<chrono_tz::Tz>() {
        Ok(tz) => {
            let l = utc.with_timezone(&tz);
            (l.hour(), l.minute())
        }
        Err(_) => {
            let sign = if zone.starts_with('-') { -1 } else { 1 };
            let secs = sign
                * (zone[1..3].parse::<i32>().unwrap() * 3600
                    + zone[4..6].parse::<i32>().unwrap() * 60);
            let l = utc.with_timezone(&chrono::FixedOffset::east_opt(secs).unwrap());
            (l.hour(), l.minute())
        }
    };
    (h * 60 + m) as u16
}

const ZONES: &[&str] = &[
    "Asia/Shanghai",
    "America/New_York",
    "Europe/London",
    "Australia/Lord_Howe",
    "Asia/Kathmandu",
    "+05:45",
    "-03:30",
    "UTC",
];

fn text_of(start: u16, end: u16) -> String {
    format!(
        "{:02}:{:02}-{:02}:{:02}",
        start / 60,
        start % 60,
        end / 60,
        end % 60
    )
}

/// A server with bob (in `zone`) owning one killed, bound Android device.
fn bob_server(profile: Profile, zone: &str, now: SimTime) -> Server {
    let cfg = ServerConfig {
        profile,
        app_zone: Zone::parse("+08:00").unwrap(),
        certs: BTreeMap::from([("fcm-prod".to_string(), Vendor::Fcm)]),
        users: BTreeMap::from([
            ("alice".to_string(), None),
            ("bob".to_string(), Some(Zone::parse(zone).unwrap())),
        ]),
        groups: BTreeMap::new(),
    };
    let mut s = Server::new(cfg);
    let phone = DeviceKey::new("bob", "phone");
    s.handle(
        Input::Login {
            device: phone.clone(),
            platform: Platform::Android,
            last_seen: None,
        },
        now,
    );
    s.handle(
        Input::BindToken {
            device: phone.clone(),
            cert: "fcm-prod".into(),
            token: "t1".into(),
        },
        now,
    );
    s.handle(
        Input::ConnectionLost {
            device: phone,
            last_contact: None,
        },
        now,
    );
    s
}

/// The rule of bob/phone's decision for a message sent at `t`.
fn decided_rule(s: &mut Server, id: u32, t: SimTime) -> &'static str {
    let msg = Message::text(id, "alice", Conversation::User("bob".into()), "hi");
    let out = s.handle(Input::Api(ApiRequest::Send(Box::new(msg))), t);
    let rules: Vec<&'static str> = out
        .iter()
        .filter_map(|o| match o {
            Output::Decided(d) => Some(match &d.verdict {
                Verdict::Push { rule, .. } => *rule,
                Verdict::Suppressed(x) => x.rule,
                Verdict::Online => "online",
            }),
            _ => None,
        })
        .collect();
    assert_eq!(rules.len(), 1, "{out:?}");
    rules[0]
}

fn is_window_rule(rule: &str) -> bool {
    rule.starts_with("DNDW-")
}

/// 2020-01-01 .. 2031-01-01, minute-aligned or not.
fn instant() -> impl Strategy<Value = SimTime> {
    (1_577_836_800_000i64..1_924_992_000_000i64).prop_map(SimTime)
}

fn equal_means() -> impl Strategy<Value = WindowEqualMeans> {
    prop_oneof![
        Just(WindowEqualMeans::AllDay),
        Just(WindowEqualMeans::MidnightOff)
    ]
}

/// Window ends biased toward the interesting values: equal, midnight, neighbours.
fn window() -> impl Strategy<Value = (u16, u16)> {
    prop_oneof![
        (0u16..1440, 0u16..1440),
        (0u16..1440).prop_map(|s| (s, s)),
        Just((0, 0)),
        (0u16..1440).prop_map(|s| (s, (s + 1) % 1440)),
        (0u16..1440).prop_map(|e| (0, e)),
        (0u16..1440).prop_map(|s| (s, 0)),
    ]
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn dndw_window_arithmetic_matches_minute_enumeration(
        (start, end) in window(), raw in 0u16..1440, pick in 0u8..5, equal in equal_means(),
    ) {
        // Half the cases sit on a boundary: the start, the end, or their neighbours.
        let minute = match pick {
            0 => start,
            1 => end,
            2 => (end + 1439) % 1440,
            3 => (start + 1439) % 1440,
            _ => raw,
        };
        let w = DndWindow::parse(&text_of(start, end)).unwrap();
        prop_assert_eq!((w.start_min, w.end_min), (start, end));
        prop_assert_eq!(w.mutes_minute(minute, equal), oracle_day(start, end, equal)[minute as usize]);
    }

    #[test]
    fn dndw_01_out_of_range_clock_is_rejected(h in 0u16..40, m in 0u16..80, h2 in 0u16..24, m2 in 0u16..60) {
        let text = format!("{h:02}:{m:02}-{h2:02}:{m2:02}");
        prop_assert_eq!(DndWindow::parse(&text).is_ok(), h <= 23 && m <= 59);
    }

    #[test]
    fn dndw_server_window_decision_matches_oracle_in_local_zone(
        (start, end) in window(), t in instant(), zone in proptest::sample::select(ZONES),
        native in any::<bool>(),
    ) {
        let (profile, equal) = if native {
            (Profile::easemob_native(), WindowEqualMeans::MidnightOff)
        } else {
            (Profile::easemob(), WindowEqualMeans::AllDay)
        };
        let mut s = bob_server(profile, zone, t);
        let out = s.handle(Input::Api(ApiRequest::SetDnd {
            user: "bob".into(), conversation: None, window: Some(text_of(start, end)), duration: None,
        }), t);
        prop_assert!(matches!(out.as_slice(), [Output::Accepted { .. }]), "{:?}", out);
        let muted = oracle_day(start, end, equal)[oracle_local_minute(zone, t) as usize];
        let rule = decided_rule(&mut s, 1, t);
        prop_assert_eq!(is_window_rule(rule), muted, "rule {} at {} in {}", rule, t.0, zone);
        prop_assert_eq!(rule == "DNDX-05", !muted);
    }

    #[test]
    fn dndd_duration_is_absolute_expiry_union_window(
        value in prop_oneof![-5i64..5, 0i64..=10_080, 10_075i64..10_090, 0i64..=604_800_010],
        native in any::<bool>(),
        set in instant(),
        delta_ms in prop_oneof![0i64..120_000, 0i64..800_000_000, Just(3_600_000i64)],
        (start, end) in window(),
        with_window in any::<bool>(),
        zone in proptest::sample::select(ZONES),
    ) {
        let (profile, unit_ms, max, equal) = if native {
            (Profile::easemob_native(), 60_000, 10_080, WindowEqualMeans::MidnightOff)
        } else {
            (Profile::easemob(), 1, 604_800_000, WindowEqualMeans::AllDay)
        };
        let mut s = bob_server(profile, zone, set);
        if with_window {
            s.handle(Input::Api(ApiRequest::SetDnd {
                user: "bob".into(), conversation: None, window: Some(text_of(start, end)), duration: None,
            }), set);
        }
        let out = s.handle(Input::Api(ApiRequest::SetDnd {
            user: "bob".into(), conversation: None, window: None, duration: Some(value),
        }), set);
        let valid = (0..=max).contains(&value);
        match out.as_slice() {
            [Output::Accepted { .. }] => prop_assert!(valid),
            [Output::Rejected { rule, .. }] => { prop_assert!(!valid); prop_assert_eq!(*rule, "DNDD-01"); }
            other => prop_assert!(false, "{:?}", other),
        }
        let t = set.plus_ms(delta_ms);
        let by_duration = valid && value > 0 && delta_ms < value * unit_ms;
        let by_window = with_window && oracle_day(start, end, equal)[oracle_local_minute(zone, t) as usize];
        let rule = decided_rule(&mut s, 1, t);
        prop_assert_eq!(rule != "DNDX-05", by_duration || by_window, "rule {}", rule);
        if by_window { prop_assert!(is_window_rule(rule)); }
        if by_duration && !by_window { prop_assert_eq!(rule, "DNDD-03"); }
    }
}

// ---- random input sequences -------------------------------------------------------

const USERS: &[&str] = &["alice", "bob", "carol", "zed"];
const NAMES: &[&str] = &["p", "q", "r", "s", "t", "u"];

#[derive(Clone, Debug)]
enum Op {
    Advance(i64),
    Login(usize, usize, bool, Option<u32>),
    Logout(usize, usize, Option<bool>),
    Lost(usize, usize),
    State(usize, usize, bool, Option<u32>),
    Bind(usize, usize, bool, usize),
    Unregister(usize, usize),
    Feedback(u64, u8),
    Send {
        from: usize,
        to: usize,
        kind: u8,
        mention: u8,
        force: bool,
        silent: bool,
    },
    Remind(usize, Option<usize>, u8),
    Clear(usize, usize),
    Dnd(usize, Option<usize>, Option<String>, Option<i64>),
    Lang(usize, bool),
    Group(usize, Vec<usize>),
}

fn op() -> impl Strategy<Value = Op> {
    let u = 0..USERS.len();
    let n = 0..NAMES.len();
    let conv = proptest::option::of(0usize..6);
    let window = proptest::option::of(prop_oneof![
        (0u16..1440, 0u16..1440).prop_map(|(a, b)| text_of(a, b)),
        Just(String::new()),
        Just("24:00-07:00".to_string()),
        Just("x".to_string()),
    ]);
    prop_oneof![
        (0i64..100_000_000).prop_map(Op::Advance),
        (
            u.clone(),
            n.clone(),
            any::<bool>(),
            proptest::option::of(0u32..30)
        )
            .prop_map(|(a, b, c, d)| Op::Login(a, b, c, d)),
        (u.clone(), n.clone(), proptest::option::of(any::<bool>()))
            .prop_map(|(a, b, c)| Op::Logout(a, b, c)),
        (u.clone(), n.clone()).prop_map(|(a, b)| Op::Lost(a, b)),
        (
            u.clone(),
            n.clone(),
            any::<bool>(),
            proptest::option::of(0u32..9)
        )
            .prop_map(|(a, b, c, d)| Op::State(a, b, c, d)),
        (u.clone(), n.clone(), any::<bool>(), 0usize..4)
            .prop_map(|(a, b, c, d)| Op::Bind(a, b, c, d)),
        (u.clone(), n.clone()).prop_map(|(a, b)| Op::Unregister(a, b)),
        (0u64..40, 0u8..3).prop_map(|(a, b)| Op::Feedback(a, b)),
        (
            u.clone(),
            0usize..7,
            0u8..5,
            0u8..4,
            proptest::bool::weighted(0.2),
            proptest::bool::weighted(0.1)
        )
            .prop_map(|(from, to, kind, mention, force, silent)| Op::Send {
                from,
                to,
                kind,
                mention,
                force,
                silent
            }),
        (u.clone(), conv.clone(), 0u8..3).prop_map(|(a, b, c)| Op::Remind(a, b, c)),
        (u.clone(), 0usize..6).prop_map(|(a, b)| Op::Clear(a, b)),
        (
            u.clone(),
            conv,
            window,
            proptest::option::of(-10i64..700_000_000)
        )
            .prop_map(|(a, b, c, d)| Op::Dnd(a, b, c, d)),
        (u.clone(), any::<bool>()).prop_map(|(a, b)| Op::Lang(a, b)),
        (0usize..2, proptest::collection::vec(u, 0..5)).prop_map(|(g, m)| Op::Group(g, m)),
    ]
}

fn conv_of(i: usize) -> Conversation {
    match i {
        0..=3 => Conversation::User(USERS[i].into()),
        4 => Conversation::Group("g1".into()),
        _ => Conversation::ChatRoom("g2".into()),
    }
}

fn profile_of(i: u8) -> Profile {
    let mut p = if i % 2 == 0 {
        Profile::easemob()
    } else {
        Profile::easemob_native()
    };
    if i >= 2 {
        p.multi_policy = pushsim::core::profile::MultiPolicy::AnyOffline;
        p.max_per_platform = 2;
    }
    p
}

/// The test's own model of what the server should know: devices that logged in,
/// group members, kicked devices.
#[derive(Default)]
struct Model {
    known: BTreeMap<String, BTreeSet<DeviceKey>>,
    /// Per user: (reported baseline, messages pushed since the last reset).
    badge: BTreeMap<String, (u32, u32)>,
    groups: BTreeMap<String, Vec<String>>,
    kicked: BTreeSet<DeviceKey>,
    /// Per user, how many times the count restarted (login, report).
    epoch: BTreeMap<String, u32>,
    /// Job id → (user, message) of a push whose answer is awaited.
    jobs: BTreeMap<u64, (String, MsgId)>,
    /// (user, message) counted in the badge → (jobs not answered, epoch it was
    /// counted in); gone once a job is accepted or all were refused.
    counted: BTreeMap<(String, MsgId), (u32, u32)>,
}

impl Model {
    /// A vendor's answer for `job` (BDG-06): a message all of whose pushes to
    /// a user were refused leaves the badge, unless the count restarted since.
    fn answer(&mut self, job: u64, accepted: bool) {
        let Some((user, msg)) = self.jobs.remove(&job) else {
            return;
        };
        let key = (user.clone(), msg);
        let Some((left, epoch)) = self.counted.get_mut(&key) else {
            return;
        };
        *left -= 1;
        if !accepted && *left > 0 {
            return;
        }
        let epoch = *epoch;
        self.counted.remove(&key);
        if !accepted && epoch == self.epoch.get(&user).copied().unwrap_or(0) {
            if let Some((_, n)) = self.badge.get_mut(&user) {
                *n = n.saturating_sub(1);
            }
        }
    }
}

impl Model {
    fn recipient_devices(&self, msg: &Message) -> BTreeSet<DeviceKey> {
        // MSG-02: a non-member's post to a group is refused and decided for nobody.
        if let Conversation::Group(g) = &msg.to {
            if !self.groups.get(g).is_some_and(|m| m.contains(&msg.from)) {
                return BTreeSet::new();
            }
        }
        let mut users: BTreeSet<String> = match &msg.to {
            Conversation::User(u) => BTreeSet::from([u.clone()]),
            Conversation::Group(g) | Conversation::ChatRoom(g) => self
                .groups
                .get(g)
                .cloned()
                .unwrap_or_default()
                .into_iter()
                .collect(),
        };
        users.insert(msg.from.clone());
        users
            .iter()
            .flat_map(|u| self.known.get(u).cloned().unwrap_or_default())
            .collect()
    }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn server_never_panics_and_decides_once_per_recipient_device(
        profile in 0u8..4,
        ops in proptest::collection::vec(op(), 0..60),
    ) {
        let users: BTreeMap<UserId, Option<Zone>> = USERS[..3]
            .iter()
            .map(|u| (u.to_string(), if *u == "bob" { Zone::parse("America/New_York") } else { None }))
            .collect();
        let groups = BTreeMap::from([("g1".to_string(), vec!["alice".to_string(), "bob".to_string()])]);
        let cfg = ServerConfig {
            profile: profile_of(profile),
            app_zone: Zone::parse("Asia/Shanghai").unwrap(),
            certs: BTreeMap::from([("fcm-prod".to_string(), Vendor::Fcm)]),
            users,
            groups: groups.clone(),
        };
        let mut server = Server::new(cfg);
        let mut model = Model { groups, ..Model::default() };
        let mut now = SimTime(1_772_294_400_000);
        let mut next_id = 1;
        // Start with two bound, offline devices per registered user, so sends
        // have recipients to push to (without this prelude pushes are rare).
        for (u, user) in USERS[..3].iter().enumerate() {
            for (n, name) in NAMES[..2].iter().enumerate() {
                let device = DeviceKey::new(user, name);
                server.handle(Input::Login { device: device.clone(), platform: Platform::Android, last_seen: None }, now);
                server.handle(Input::BindToken { device: device.clone(), cert: "fcm-prod".into(), token: format!("p{u}{n}") }, now);
                server.handle(Input::ConnectionLost {
            device: device.clone(),
            last_contact: None,
        }, now);
                model.known.entry(user.to_string()).or_default().insert(device);
            }
        }
        for op in ops {
            let key = |u: usize, n: usize| DeviceKey::new(USERS[u], NAMES[n]);
            let mut sent = None;
            let input = match op {
                Op::Advance(ms) => { now = now.plus_ms(ms); continue; }
                Op::Login(u, n, ios, seen) => Input::Login {
                    device: key(u, n),
                    platform: if ios { Platform::Ios } else { Platform::Android },
                    last_seen: seen.map(MsgId),
                },
                Op::Logout(u, n, unbind) => Input::Logout { device: key(u, n), unbind },
                Op::Lost(u, n) => Input::ConnectionLost {
            device: key(u, n),
            last_contact: None,
        },
                Op::State(u, n, bg, badge) => Input::AppState {
                    device: key(u, n),
                    state: if bg { AppState::Background } else { AppState::Foreground },
                    badge,
                },
                Op::Bind(u, n, good, t) => Input::BindToken {
                    device: key(u, n),
                    cert: if good { "fcm-prod".into() } else { "nope".into() },
                    token: format!("t{t}"),
                },
                Op::Unregister(u, n) => Input::Unregister { device: key(u, n) },
                Op::Feedback(job, r) => Input::VendorFeedback {
                    job,
                    result: match r {
                        0 => PushFeedback::Delivered,
                        1 => PushFeedback::InvalidToken { reason: "gone".into() },
                        _ => PushFeedback::Failed { reason: "500".into() },
                    },
                },
                Op::Send { from, to, kind, mention, force, silent } => {
                    let mut msg = Message::text(next_id, USERS[from], conv_of(to), "hi");
                    next_id += 1;
                    msg.kind = [MsgKind::Text, MsgKind::Image, MsgKind::Custom, MsgKind::CallInvite, MsgKind::Control][kind as usize];
                    msg.mentions = match mention {
                        0 => Mentions::None,
                        1 => Mentions::All,
                        2 => Mentions::Users(vec!["bob".into(), "nobody".into()]),
                        _ => Mentions::Users(vec![]),
                    };
                    msg.force_push = force;
                    msg.silent = silent;
                    sent = Some(msg.clone());
                    Input::Api(ApiRequest::Send(Box::new(msg)))
                }
                Op::Remind(u, c, r) => Input::Api(ApiRequest::SetRemind {
                    user: USERS[u].into(),
                    conversation: c.map(conv_of),
                    remind: [RemindType::All, RemindType::At, RemindType::None][r as usize],
                }),
                Op::Clear(u, c) => Input::Api(ApiRequest::ClearRemind { user: USERS[u].into(), conversation: conv_of(c) }),
                Op::Dnd(u, c, window, duration) => Input::Api(ApiRequest::SetDnd {
                    user: USERS[u].into(), conversation: c.map(conv_of), window, duration,
                }),
                Op::Lang(u, en) => Input::Api(ApiRequest::SetLanguage {
                    user: USERS[u].into(), language: en.then(|| "en".to_string()),
                }),
                Op::Group(g, members) => {
                    let id = ["g1", "g2"][g].to_string();
                    let members: Vec<String> = members.into_iter().map(|m| USERS[m].to_string()).collect();
                    model.groups.insert(id.clone(), members.clone());
                    Input::Api(ApiRequest::CreateGroup { group: id, members })
                }
            };
            // The server's own view of presence before the input (PRS-01, MDV-01).
            let online_before: BTreeSet<DeviceKey> = model
                .known
                .values()
                .flatten()
                .filter(|d| server.device(d).is_some_and(|x| x.is_online(server.profile())))
                .cloned()
                .collect();
            let is_badge_report = matches!(&input, Input::AppState { badge: Some(_), device, .. } if server.device(device).is_some());
            let reported = match &input {
                Input::AppState { badge: Some(b), device, .. } => Some((device.user.clone(), *b)),
                _ => None,
            };
            let answer = match &input {
                Input::VendorFeedback { job, result } => Some((*job, *result == PushFeedback::Delivered)),
                _ => None,
            };
            let out = server.handle(input, now);
            if let Some((job, accepted)) = answer {
                model.answer(job, accepted);
            }
            if let (true, Some((user, b))) = (is_badge_report, reported) {
                *model.epoch.entry(user.clone()).or_default() += 1;
                model.badge.insert(user, (b, 0));
            }
            for o in &out {
                if let Output::LoggedIn { device } = o {
                    *model.epoch.entry(device.user.clone()).or_default() += 1;
                    model.badge.remove(&device.user); // BDG-06: a login resets
                }
            }
            for o in &out {
                match o {
                    Output::LoggedIn { device } => {
                        model.known.entry(device.user.clone()).or_default().insert(device.clone());
                        model.kicked.remove(device);
                    }
                    Output::Kick { device, .. } => { model.kicked.insert(device.clone()); }
                    _ => {}
                }
            }
            if let Some(msg) = sent {
                let expected = model.recipient_devices(&msg);
                let mut seen = BTreeMap::<DeviceKey, usize>::new();
                for (i, o) in out.iter().enumerate() {
                    match o {
                        Output::Decided(d) => {
                            prop_assert_eq!(d.msg, msg.id);
                            *seen.entry(d.device.clone()).or_default() += 1;
                            if let Verdict::Push { job, .. } = &d.verdict {
                                prop_assert!(!model.kicked.contains(&d.device), "kicked device pushed: {}", d.device);
                                prop_assert!(d.device.user != msg.from, "sender pushed");
                                let next_is_the_job = matches!(out.get(i + 1), Some(Output::Push(j)) if j.id == *job && j.device == d.device);
                                prop_assert!(next_is_the_job, "Decided push not followed by its job");
                            }
                        }
                        Output::Push(job) => {
                            prop_assert!(i > 0 && matches!(&out[i - 1], Output::Decided(d) if d.device == job.device));
                        }
                        _ => {}
                    }
                }
                prop_assert!(seen.values().all(|&n| n == 1), "{:?}", seen);
                // No push to an online device; under all_offline none to a user
                // with an online device (PRS-01, MDV-01).
                let all_offline = server.profile().multi_policy == pushsim::core::profile::MultiPolicy::AllOffline;
                let mut pushed_users = BTreeSet::new();
                for o in &out {
                    if let Output::Push(job) = o {
                        prop_assert!(!online_before.contains(&job.device), "pushed online {}", job.device);
                        prop_assert!(
                            !all_offline || !online_before.iter().any(|d| d.user == job.device.user),
                            "all_offline: pushed {} while another device is online", job.device
                        );
                        // Badge (BDG-06, A-20 off): baseline + messages pushed since the
                        // user's last login or report; every push of one message the same.
                        let (base, n) = model.badge.entry(job.device.user.clone()).or_insert((0, 0));
                        if pushed_users.insert(job.device.user.clone()) {
                            *n += 1;
                        }
                        prop_assert_eq!(job.notification.badge, Some(*base + *n), "badge of {}", job.device);
                        let user = job.device.user.clone();
                        let epoch = model.epoch.get(&user).copied().unwrap_or(0);
                        model.counted.entry((user.clone(), job.msg)).or_insert((0, epoch)).0 += 1;
                        model.jobs.insert(job.id, (user, job.msg));
                    }
                }
                let decided: BTreeSet<DeviceKey> = seen.into_keys().collect();
                prop_assert_eq!(decided, expected);
            }
        }
    }
}
