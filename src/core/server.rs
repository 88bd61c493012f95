//! The reference server as a sans-IO state machine: sessions, bindings,
//! settings, the offline store and the badge, driven by [`Input`]s and answering
//! with [`Output`]s. Time arrives as `now`; nothing here reads a clock, draws a
//! random number, or iterates a hash map.
//!
//! Output order is deterministic: for a message, recipient users in id order and
//! each user's devices in name order (so devices sort by [`DeviceKey`]); per
//! device `Deliver` (online only), then exactly one `Decided`, then `Push` when
//! the verdict is a push.
//!
//! Recipients of a message: the peer (single chat) or the group's members
//! (group, chat room), plus the sender, whose devices are decided too and always
//! come out as PRS-10 (or an earlier step-1 rule) — they get the multi-device copy,
//! never a push. Only devices that have ever logged in are known.

use super::badge::{Badge, Unread};
use super::content::{notification, PushTemplate, Templates};
use super::decide::{decide, mentions, notifies, Recipient, Ruling, Why};
use super::io::{
    ApiRequest, Decision, Input, Output, PushFeedback, PushJob, ServerConfig, SettingsQuery,
    SettingsRead, Suppression, Verdict, GET_MANY_MAX,
};
use super::model::{
    AppState, Conversation, DeviceKey, Message, MsgId, MsgKind, Platform, UserId, Vendor,
};
use super::presence::{kick_victims, Binding, Device, Session};
use super::profile::{BadgeModel, Profile, TimezoneSource, WindowScope};
use super::settings::{duration_expiry, parse_window_arg, unit_name, Level, Settings};
use super::time::{SimTime, Zone};
use std::collections::BTreeMap;

/// Messages per chunk of the offline store.
const STORE_CHUNK: usize = 4096;

/// One user's server-side state.
#[derive(Clone, Debug, Default)]
struct User {
    /// Registered in the config (only registered users may log in).
    registered: bool,
    /// The user's own zone, if any.
    zone: Option<Zone>,
    /// Indices into `Server::devices`, sorted by device name.
    devices: Vec<usize>,
    /// Notification settings.
    settings: Settings,
    /// Badge counter.
    badge: Badge,
    /// Unread notifying messages by conversation (BDG-05, the unread badge models).
    unread: Unread,
    /// Indices into `Server::store` of messages addressed to the user (DLV-01).
    inbox: Vec<usize>,
}

/// What the server remembers of a push job until the vendor has answered.
#[derive(Clone, Copy, Debug)]
struct JobRec {
    /// Index into `Server::devices`.
    device: usize,
    /// The binding generation the job was sent with (TOK-08).
    generation: u32,
    /// Key into `Server::pending_badges`: the first job of the same message to the same user.
    badge_group: u64,
    /// The vendor's answer was taken: a second answer for the job (a shell
    /// that reports twice) changes nothing.
    answered: bool,
}

/// A message counted in a user's badge whose pushes are still at the vendors.
#[derive(Clone, Copy, Debug)]
struct PendingBadge {
    /// The badge epoch it was counted in.
    epoch: u32,
    /// Jobs not answered yet, none of them accepted so far.
    left: u32,
}

/// The reference server. Every profile runs through it: differences are knobs
/// of [`Profile`], read here and in `decide.rs`, never profile names.
#[derive(Clone, Debug)]
pub struct Server {
    profile: Profile,
    app_zone: Zone,
    certs: BTreeMap<String, Vendor>,
    users: BTreeMap<UserId, User>,
    groups: BTreeMap<String, Vec<UserId>>,
    /// Each group's creator: its first member when it was first declared or
    /// created; a later `create_group` with other members keeps it.
    creators: BTreeMap<String, UserId>,
    devices: Vec<Device>,
    device_ix: BTreeMap<DeviceKey, usize>,
    /// Token → devices that were bound with it (TOK-05/10 look here, not at
    /// every device). Never cleaned on unbind: a reader checks each device's
    /// current binding, and drops the stale entries it finds.
    token_ix: BTreeMap<String, Vec<usize>>,
    /// The offline store (DLV-01), in fixed-size chunks so it never reallocates a large buffer.
    store: Vec<Vec<Message>>,
    /// Messages ever stored.
    n_stored: usize,
    /// Push templates by name (CNT-03).
    templates: Templates,
    /// Store index of a call invite with a timeout → when the invite ends (MSG-04, DLV-05).
    call_ends: BTreeMap<usize, SimTime>,
    /// Job id − 1 → what vendor feedback needs (TOK-08, BDG-06).
    jobs: Vec<JobRec>,
    /// First job id of a message × user push → the badge count awaiting the
    /// vendors' answers (BDG-06: only accepted pushes count).
    pending_badges: BTreeMap<u64, PendingBadge>,
    next_login_seq: u64,
    next_generation: u32,
    rulings: Vec<Ruling>,
}

impl Server {
    /// A server with no sessions, bindings or settings yet.
    pub fn new(config: ServerConfig) -> Server {
        let users = config
            .users
            .into_iter()
            .map(|(id, zone)| {
                (
                    id,
                    User {
                        registered: true,
                        zone,
                        ..User::default()
                    },
                )
            })
            .collect();
        Server {
            profile: config.profile,
            app_zone: config.app_zone,
            certs: config.certs,
            users,
            creators: config
                .groups
                .iter()
                .filter_map(|(g, m)| Some((g.clone(), m.first()?.clone())))
                .collect(),
            groups: config.groups,
            devices: Vec::new(),
            device_ix: BTreeMap::new(),
            token_ix: BTreeMap::new(),
            store: Vec::new(),
            n_stored: 0,
            call_ends: BTreeMap::new(),
            templates: Templates::new(),
            jobs: Vec::new(),
            pending_badges: BTreeMap::new(),
            next_login_seq: 1,
            next_generation: 1,
            rulings: Vec::new(),
        }
    }

    /// The semantics profile.
    pub fn profile(&self) -> &Profile {
        &self.profile
    }

    /// A known device, for inspection.
    pub fn device(&self, key: &DeviceKey) -> Option<&Device> {
        self.device_ix.get(key).map(|&i| &self.devices[i])
    }

    /// A user's settings, if the user is known.
    pub fn settings(&self, user: &str) -> Option<&Settings> {
        self.users.get(user).map(|u| &u.settings)
    }

    /// The badge a push to `user` would carry before counting another message.
    pub fn badge(&self, user: &str) -> u32 {
        self.users.get(user).map_or(0, |u| u.badge.value())
    }

    /// Handles one input at calendar time `now`.
    pub fn handle(&mut self, input: Input, now: SimTime) -> Vec<Output> {
        match input {
            Input::Login {
                device,
                platform,
                last_seen,
            } => self.login(device, platform, last_seen, now),
            Input::Logout { device, unbind } => self.logout(device, unbind, now),
            Input::ConnectionLost {
                device,
                last_contact,
            } => {
                if let Some(&i) = self.device_ix.get(&device) {
                    let d = &mut self.devices[i];
                    d.connected = false;
                    d.offline_since
                        .get_or_insert(last_contact.map_or(now, |t| t.min(now)));
                }
                Vec::new()
            }
            Input::AppState {
                device,
                state,
                badge,
            } => self.app_state(&device, state, badge),
            Input::BindToken {
                device,
                cert,
                token,
            } => self.bind(device, cert, token),
            Input::Unregister { device } => self.unregister(device),
            Input::Api(request) => self.api(request, now),
            Input::VendorFeedback { job, result } => self.feedback(job, result),
        }
    }

    // ---- sessions (PRS, MDV) -------------------------------------------------

    fn login(
        &mut self,
        key: DeviceKey,
        platform: Platform,
        last_seen: Option<MsgId>,
        now: SimTime,
    ) -> Vec<Output> {
        if !self.users.get(&key.user).is_some_and(|u| u.registered) {
            let reason = format!("unknown user {}", key.user);
            return vec![Output::LoginRejected {
                device: key,
                reason,
            }];
        }
        let mut out = Vec::new();
        let ix = match self.device_ix.get(&key) {
            Some(&i) => i,
            None => {
                let i = self.devices.len();
                self.devices.push(Device::new(key.clone(), platform));
                self.device_ix.insert(key.clone(), i);
                let user = self.users.get_mut(&key.user).expect("checked above");
                let at = user
                    .devices
                    .partition_point(|&d| self.devices[d].key.name < key.name);
                user.devices.insert(at, i);
                i
            }
        };
        let user_devices = self.users[&key.user].devices.clone();
        out.push(Output::LoggedIn {
            device: key.clone(),
        });
        // MDV-03/04: a re-login of a logged-in device is not a new device.
        if self.devices[ix].session != Session::LoggedIn {
            let others: Vec<usize> = user_devices.iter().copied().filter(|&d| d != ix).collect();
            let refs: Vec<&Device> = others.iter().map(|&d| &self.devices[d]).collect();
            let victims: Vec<usize> = kick_victims(&refs, platform, &self.profile)
                .into_iter()
                .map(|v| others[v])
                .collect();
            for v in victims {
                let d = &mut self.devices[v];
                d.session = Session::Kicked;
                d.connected = false;
                out.push(Output::Kick {
                    device: d.key.clone(),
                    by: key.clone(),
                });
            }
        }
        // MDV-04/06: every login, an auto-login after a kill or a re-login on a
        // live session included, is the device's newest login and ranks it.
        self.devices[ix].login_seq = self.next_login_seq;
        self.next_login_seq += 1;
        let d = &mut self.devices[ix];
        d.session = Session::LoggedIn; // TOK-09: a kicked device's binding is active again
        d.connected = true;
        d.offline_since = None;
        d.app_state = AppState::Foreground;
        d.platform = platform;
        let user = self.users.get_mut(&key.user).expect("registered user");
        if self.profile.badge_model == BadgeModel::OfflineCount {
            user.badge.reset_on_login(); // BDG-06; tencent/zego: only the app resets
        }
        let call_ends = &self.call_ends;
        let msgs = user
            .inbox
            .iter()
            // DLV-05: an ended call invite is no longer delivered.
            .filter(|m| call_ends.get(m).is_none_or(|&end| now < end))
            .map(|&m| &self.store[m / STORE_CHUNK][m % STORE_CHUNK])
            .filter(|m| last_seen.is_none_or(|seen| m.id > seen))
            .cloned()
            .collect();
        out.push(Output::Sync { device: key, msgs });
        out
    }

    fn logout(&mut self, key: DeviceKey, unbind: Option<bool>, now: SimTime) -> Vec<Output> {
        let Some(&ix) = self.device_ix.get(&key) else {
            return vec![Output::LoggedOut {
                device: key,
                unbound: false,
            }];
        };
        let unbind = self.profile.logout_always_unbinds
            || unbind.unwrap_or(self.profile.logout_unbind_default);
        let d = &mut self.devices[ix];
        // A kicked session stays kicked: its logout must not wake the suspended
        // binding; only an explicit unbind removes it.
        if d.session != Session::Kicked {
            d.session = Session::LoggedOut;
        }
        d.connected = false;
        d.offline_since.get_or_insert(now);
        let mut out = Vec::new();
        let removed = unbind && d.binding.is_some();
        if removed {
            out.push(unbind_device(d, "TOK-06", "logout with unbind".into()));
        }
        out.push(Output::LoggedOut {
            device: key,
            unbound: removed,
        });
        out
    }

    fn app_state(&mut self, key: &DeviceKey, state: AppState, badge: Option<u32>) -> Vec<Output> {
        if let Some(&ix) = self.device_ix.get(key) {
            self.devices[ix].app_state = state;
            if let Some(b) = badge {
                self.users
                    .get_mut(&key.user)
                    .expect("device of a known user")
                    .badge
                    .report(b);
            }
        }
        Vec::new()
    }

    // ---- bindings (TOK) --------------------------------------------------------

    fn bind(&mut self, key: DeviceKey, cert: String, token: String) -> Vec<Output> {
        let Some(&ix) = self
            .device_ix
            .get(&key)
            .filter(|&&i| self.devices[i].session == Session::LoggedIn)
        else {
            return vec![Output::Rejected {
                rule: "TOK-02",
                reason: format!("{key} is not logged in"),
            }];
        };
        let Some(&vendor) = self.certs.get(&cert) else {
            return vec![Output::Rejected {
                rule: "TOK-03",
                reason: format!("unknown cert {cert:?}"),
            }];
        };
        let mut out = Vec::new();
        // TOK-05 (another user) and TOK-10 (another device of the same user): one owner per token.
        let devices = &self.devices;
        let holds = |i: usize| {
            devices[i]
                .binding
                .as_ref()
                .is_some_and(|b| b.token == token)
        };
        let candidates = self.token_ix.entry(token.clone()).or_default();
        candidates.retain(|&i| holds(i));
        let mut holders: Vec<usize> = candidates.iter().copied().filter(|&i| i != ix).collect();
        // In device order, as a scan of every device would find them.
        holders.sort_by(|&a, &b| devices[a].key.cmp(&devices[b].key));
        if !candidates.contains(&ix) {
            candidates.push(ix);
        }
        for i in holders {
            let d = &mut self.devices[i];
            if d.key.user != key.user && self.profile.unique_across_users {
                out.push(unbind_device(d, "TOK-05", format!("token bound by {key}")));
            } else if d.key.user == key.user {
                out.push(unbind_device(d, "TOK-10", format!("token bound by {key}")));
            }
        }
        let generation = self.next_generation;
        self.next_generation += 1;
        let d = &mut self.devices[ix];
        d.binding = Some(Binding {
            cert: cert.clone(),
            vendor,
            token,
            generation,
        }); // TOK-04 replaces
        d.unbound_by = None;
        out.push(Output::Accepted {
            what: format!("binding {key} {cert} ({})", vendor.name()),
        });
        out
    }

    fn unregister(&mut self, key: DeviceKey) -> Vec<Output> {
        let mut out = Vec::new();
        if let Some(&ix) = self.device_ix.get(&key) {
            let d = &mut self.devices[ix];
            if d.binding.is_some() {
                out.push(unbind_device(d, "TOK-07", "unregistered".into()));
            }
        }
        out.push(Output::Accepted {
            what: format!("unregister {key}"),
        });
        out
    }

    fn feedback(&mut self, job: u64, result: PushFeedback) -> Vec<Output> {
        let Some(rec) = job
            .checked_sub(1)
            .and_then(|j| self.jobs.get_mut(j as usize))
            .filter(|r| !r.answered)
        else {
            return Vec::new();
        };
        rec.answered = true;
        let rec = *rec;
        self.settle_badge(rec, result == PushFeedback::Delivered);
        let PushFeedback::InvalidToken { reason } = result else {
            return Vec::new();
        };
        let (ix, generation) = (rec.device, rec.generation);
        let d = &mut self.devices[ix];
        let current = d
            .binding
            .as_ref()
            .is_some_and(|b| b.generation == generation);
        if current && self.profile.invalid_removes {
            return vec![unbind_device(d, "TOK-08", format!("vendor: {reason}"))];
        }
        Vec::new()
    }

    /// One job of a counted message answered. The first acceptance settles
    /// the message (it was pushed); when the last job is refused and none was
    /// accepted, the message was never pushed and leaves the badge (BDG-06, A-20).
    fn settle_badge(&mut self, rec: JobRec, accepted: bool) {
        let Some(p) = self.pending_badges.get_mut(&rec.badge_group) else {
            return; // settled already
        };
        p.left = p.left.saturating_sub(1);
        if !accepted && p.left > 0 {
            return;
        }
        let epoch = p.epoch;
        self.pending_badges.remove(&rec.badge_group);
        if !accepted {
            let user = &self.devices[rec.device].key.user;
            if let Some(u) = self.users.get_mut(user) {
                u.badge.refund(epoch);
            }
        }
    }

    // ---- API: settings and sending -------------------------------------------

    fn api(&mut self, request: ApiRequest, now: SimTime) -> Vec<Output> {
        match request {
            ApiRequest::Send(msg) => self.send(*msg, now),
            ApiRequest::SetRemind {
                user,
                conversation,
                remind,
            } => {
                let u = self.users.entry(user.clone()).or_default();
                let level = match &conversation {
                    None => &mut u.settings.app,
                    Some(c) => u.settings.convs.entry(c.clone()).or_default(),
                };
                level.remind = Some(remind);
                let at = conversation.map_or("app".to_string(), |c| c.to_string());
                vec![Output::Accepted {
                    what: format!("{user}: {at} remind type {}", remind.name()),
                }]
            }
            ApiRequest::Read { user, conversation } => {
                let u = self.users.entry(user.clone()).or_default();
                let cleared = u.unread.read(&conversation);
                let what = if self.profile.badge_model.counts_unread() {
                    format!("{user} read {conversation} ({cleared} unread cleared)")
                } else {
                    format!("{user} read {conversation} (the badge does not count unread messages under this profile)")
                };
                vec![Output::Accepted { what }]
            }
            ApiRequest::ClearRemind { user, conversation } => {
                let u = self.users.entry(user.clone()).or_default();
                if let Some(l) = u.settings.convs.get_mut(&conversation) {
                    l.remind = None;
                }
                u.settings.tidy(&conversation);
                vec![Output::Accepted {
                    what: format!("{user}: {conversation} remind type cleared"),
                }]
            }
            ApiRequest::SetDnd {
                user,
                conversation,
                window,
                duration,
            } => self.set_dnd(user, conversation, window, duration, now),
            ApiRequest::SetPushRule {
                user,
                online_platforms,
                not_to_receive,
            } => {
                let names =
                    |ps: &[Platform]| ps.iter().map(|p| p.name()).collect::<Vec<_>>().join(",");
                let what = format!(
                    "{user}: push rule online [{}] → no push to [{}]",
                    names(&online_platforms),
                    names(&not_to_receive)
                );
                self.users.entry(user).or_default().settings.push_rule =
                    Some(super::settings::PushRule {
                        online_platforms,
                        not_to_receive,
                    });
                vec![Output::Accepted { what }]
            }
            ApiRequest::SetNickname { user, nickname } => {
                let what = format!(
                    "{user}: push nickname {}",
                    nickname.as_deref().unwrap_or("cleared")
                );
                self.users.entry(user).or_default().settings.push_nickname = nickname;
                vec![Output::Accepted { what }]
            }
            ApiRequest::SetLanguage { user, language } => {
                let what = format!(
                    "{user}: push language {}",
                    language.as_deref().unwrap_or("cleared")
                );
                self.users.entry(user).or_default().settings.language = language;
                vec![Output::Accepted { what }]
            }
            ApiRequest::SetTemplate {
                name,
                title,
                content,
            } => {
                if name.trim().is_empty() {
                    return vec![Output::Rejected {
                        rule: "CNT-03",
                        reason: "a template needs a name".into(),
                    }];
                }
                let what = format!("push template {name:?}");
                self.templates.insert(name, PushTemplate { title, content });
                vec![Output::Accepted { what }]
            }
            ApiRequest::GetSettings { user, query } => self.get_settings(user, query, now),
            ApiRequest::CreateGroup { group, members } => {
                let what = format!("group {group} with {} members", members.len());
                if let Some(first) = members.first() {
                    self.creators
                        .entry(group.clone())
                        .or_insert_with(|| first.clone());
                }
                self.groups.insert(group, members);
                vec![Output::Accepted { what }]
            }
        }
    }

    /// DNDW-01/06/07/08, DNDD-01..05: validate everything first; a rejection changes nothing.
    fn set_dnd(
        &mut self,
        user: UserId,
        conversation: Option<Conversation>,
        window: Option<String>,
        duration: Option<i64>,
        now: SimTime,
    ) -> Vec<Output> {
        let reject = |rule, reason| vec![Output::Rejected { rule, reason }];
        if conversation.is_some()
            && window.is_some()
            && self.profile.window_scope == WindowScope::AppOnlyReject
        {
            return reject("DNDW-07", "DND windows are app-level only (A-03)".into());
        }
        let window = match window.as_deref().map(parse_window_arg).transpose() {
            Ok(w) => w,
            Err(e) => return reject("DNDW-01", e),
        };
        let unit = self.profile.duration_unit;
        let until = match duration.map(|d| duration_expiry(d, unit, now)).transpose() {
            Ok(u) => u,
            Err(e) => return reject("DNDD-01", e),
        };
        let zone = self.zone_of(&user);
        let u = self.users.entry(user.clone()).or_default();
        let at = conversation
            .as_ref()
            .map_or("app".to_string(), |c| c.to_string());
        let level: &mut Level = match &conversation {
            None => &mut u.settings.app,
            Some(c) => u.settings.convs.entry(c.clone()).or_default(),
        };
        let mut parts = Vec::new();
        if let Some(w) = window {
            level.window = w; // DNDW-06: replaces
            parts.push(match w {
                Some(w) => format!("window {w}"),
                None => "window cleared".to_string(),
            });
        }
        if let Some(until) = until {
            level.until = until; // DNDD-05: replaces, from the new set time
            parts.push(match until {
                Some(t) => format!(
                    "duration {} {} until {}",
                    duration.unwrap_or(0),
                    unit_name(unit),
                    zone.format(t)
                ),
                None => "duration cleared".to_string(),
            });
        }
        if let Some(c) = &conversation {
            u.settings.tidy(c);
        }
        if parts.is_empty() {
            parts.push("unchanged".to_string());
        }
        vec![Output::Accepted {
            what: format!("{user}: {at} DND {}", parts.join(", ")),
        }]
    }

    /// NQ-01..03: read the app level, one conversation, or up to 20 (A-16:
    /// duplicates collapse first; more than 20 rejects the whole call).
    fn get_settings(&self, user: UserId, query: SettingsQuery, now: SimTime) -> Vec<Output> {
        let empty = Settings::default();
        let settings = self.users.get(&user).map_or(&empty, |u| &u.settings);
        let conv_view =
            |c: &Conversation| settings.conv(c).map(|l| l.view(now)).unwrap_or_default();
        let (query, levels) = match query {
            SettingsQuery::App => (SettingsQuery::App, vec![(None, settings.app.view(now))]),
            SettingsQuery::Conversation(c) => {
                let v = conv_view(&c);
                (SettingsQuery::Conversation(c.clone()), vec![(Some(c), v)])
            }
            SettingsQuery::Many(mut convs) => {
                convs.sort();
                convs.dedup();
                if convs.len() > GET_MANY_MAX {
                    return vec![Output::Rejected {
                        rule: "NQ-01",
                        reason: format!(
                            "{} conversations in one batch read; at most {GET_MANY_MAX}",
                            convs.len()
                        ),
                    }];
                }
                let levels = convs
                    .iter()
                    .map(|c| (Some(c.clone()), conv_view(c)))
                    .filter(|(_, v)| !v.is_empty()) // NQ-02
                    .collect();
                (SettingsQuery::Many(convs), levels)
            }
        };
        vec![Output::Settings(SettingsRead {
            user,
            query,
            levels,
        })]
    }

    /// The zone `user`'s wall-clock settings are read in (A-01, `settings.timezone`).
    fn zone_of(&self, user: &str) -> Zone {
        let own = match self.profile.timezone {
            TimezoneSource::User => self.users.get(user).and_then(|u| u.zone),
            TimezoneSource::App => None,
        };
        own.unwrap_or(self.app_zone)
    }

    /// MSG-01/02, DLV-01, DNDX-05 per device, BDG-06.
    fn send(&mut self, msg: Message, now: SimTime) -> Vec<Output> {
        let members: Vec<UserId> = match &msg.to {
            Conversation::User(_) => Vec::new(),
            Conversation::Group(g) | Conversation::ChatRoom(g) => {
                self.groups.get(g).cloned().unwrap_or_default()
            }
        };
        // MSG-02: a group's messages come from its members; a real IM refuses
        // a non-member's post (observable rejection), it never reaches anyone.
        if let Conversation::Group(g) = &msg.to {
            if !members.contains(&msg.from) {
                let reason = format!("{} is not a member of group {g}", msg.from);
                return vec![Output::Rejected {
                    rule: "MSG-02",
                    reason,
                }];
            }
        }
        let mut names: Vec<&str> = match &msg.to {
            Conversation::User(peer) => vec![peer.as_str()],
            _ => members.iter().map(String::as_str).collect(),
        };
        names.push(&msg.from);
        names.sort_unstable();
        names.dedup();
        let stored = !matches!(msg.to, Conversation::ChatRoom(_)) && !msg.online_only;
        let store_ix = self.n_stored;
        let mut out = Vec::with_capacity(4 * names.len() + 2);
        // The sender's push nickname (CNT-06), shown instead of its id.
        let nickname = self
            .users
            .get(&msg.from)
            .and_then(|u| u.settings.push_nickname.clone());
        let mut rulings = std::mem::take(&mut self.rulings);
        let creator = match &msg.to {
            Conversation::Group(g) | Conversation::ChatRoom(g) => {
                self.creators.get(g).map(String::as_str)
            }
            Conversation::User(_) => None,
        };
        for &name in &names {
            let is_sender = name == msg.from;
            // Phase 1: decide every device of the user (no allocation).
            let Some(user) = self.users.get(name) else {
                continue;
            };
            let zone = self.zone_of(name);
            let conv_level = if user.settings.convs.is_empty() {
                None
            } else {
                user.settings.conv(&recipient_view(&msg))
            };
            let r = Recipient {
                is_sender,
                settings: &user.settings,
                conv: conv_level,
                mentioned: mentions(&self.profile, &msg, name, creator),
                online_device: user
                    .devices
                    .iter()
                    .position(|&d| self.devices[d].is_online(&self.profile)),
                rule_online_device: user.settings.push_rule.as_ref().and_then(|rule| {
                    user.devices.iter().position(|&d| {
                        let dev = &self.devices[d];
                        dev.is_online(&self.profile)
                            && rule.online_platforms.contains(&dev.platform)
                    })
                }),
                local_minute: user
                    .settings
                    .app
                    .window
                    .map(|_| zone.local(now).minute_of_day() as u16),
            };
            rulings.clear();
            for (me, &d) in user.devices.iter().enumerate() {
                rulings.push(decide(&self.profile, &msg, &r, &self.devices[d], me, now));
            }
            // Phase 2: store and badge (BDG-05, BDG-06, A-20).
            // BDG-05: under the unread models, whether it notifies the user at all.
            let unread = self
                .profile
                .badge_model
                .counts_unread()
                .then(|| notifies(&self.profile, &msg, &r, now));
            let pushed = rulings.iter().any(|r| matches!(r, Ruling::Push { .. }));
            let settings_suppressed = rulings.iter().any(|r| {
                matches!(
                    r,
                    Ruling::Suppress(
                        Why::AppWindow(..)
                            | Why::AppDuration(_)
                            | Why::ConvDuration(_)
                            | Why::Remind(..)
                    )
                )
            });
            let user = self.users.get_mut(name).expect("looked up above");
            if stored && !is_sender {
                user.inbox.push(store_ix);
            }
            let badge = if let Some(notifying) = unread {
                // The server's unread count, pushed or not; never refunded.
                if notifying {
                    user.unread.note(recipient_view(&msg));
                }
                user.unread.value(self.profile.badge_model)
            } else if pushed {
                user.badge.count_push()
            } else {
                if settings_suppressed && self.profile.badge_counts_suppressed {
                    user.badge.count_suppressed();
                }
                user.badge.value()
            };
            let epoch = user.badge.epoch;
            // Phase 3: outputs, devices in name order.
            let user = &self.users[name];
            let mut badge_group: Option<(u64, u32)> = None;
            let language = user.settings.language.as_deref();
            // The devices of one user are usually suppressed for the same
            // reason (a DND window, a remind type): render it once.
            let mut last_reason: Option<(Why, String)> = None;
            for (me, &d) in user.devices.iter().enumerate() {
                let device = &self.devices[d];
                if !is_sender && device.connected && device.session == Session::LoggedIn {
                    out.push(Output::Deliver {
                        device: device.key.clone(),
                        msg: msg.clone(),
                    });
                }
                match rulings[me] {
                    Ruling::Push { .. } => {
                        let b = device
                            .active_binding()
                            .expect("decide pushes only bound devices");
                        let id = self.jobs.len() as u64 + 1;
                        let group = badge_group.get_or_insert((id, 0));
                        group.1 += 1;
                        self.jobs.push(JobRec {
                            device: d,
                            generation: b.generation,
                            badge_group: group.0,
                            answered: false,
                        });
                        let job = PushJob {
                            id,
                            msg: msg.id,
                            device: device.key.clone(),
                            vendor: b.vendor,
                            cert: b.cert.clone(),
                            token: b.token.clone(),
                            notification: notification(
                                &msg,
                                name,
                                language,
                                badge,
                                &self.templates,
                                nickname.as_deref(),
                            ),
                        };
                        let verdict = Verdict::Push {
                            job: id,
                            vendor: b.vendor,
                            rule: rulings[me].rule(),
                        };
                        out.push(Output::Decided(Decision {
                            msg: msg.id,
                            device: device.key.clone(),
                            verdict,
                        }));
                        out.push(Output::Push(job));
                    }
                    Ruling::Suppress(why) => {
                        let reason = match &last_reason {
                            Some((w, text)) if *w == why => text.clone(),
                            _ => {
                                let other =
                                    |i: usize| self.devices[user.devices[i]].key.to_string();
                                let text = why.reason(&zone, &recipient_view(&msg), now, &other);
                                last_reason = Some((why, text.clone()));
                                text
                            }
                        };
                        let verdict = Verdict::Suppressed(Suppression {
                            rule: why.rule(),
                            reason,
                        });
                        out.push(Output::Decided(Decision {
                            msg: msg.id,
                            device: device.key.clone(),
                            verdict,
                        }));
                    }
                }
            }
            if let Some((first, left)) = badge_group {
                self.pending_badges
                    .insert(first, PendingBadge { epoch, left });
            }
        }
        self.rulings = rulings;
        drop(names);
        if stored {
            if let (MsgKind::CallInvite, Some(s)) = (msg.kind, msg.call_timeout_s) {
                self.call_ends
                    .insert(store_ix, now.plus_ms(i64::from(s) * 1000));
            }
            if self.n_stored % STORE_CHUNK == 0 {
                self.store.push(Vec::with_capacity(STORE_CHUNK));
            }
            self.store.last_mut().expect("a chunk with room").push(msg);
            self.n_stored += 1;
        }
        out
    }
}

/// The conversation as a recipient sees it: single chats are keyed by the peer (the sender).
fn recipient_view(msg: &Message) -> Conversation {
    match &msg.to {
        Conversation::User(_) => Conversation::User(msg.from.clone()),
        other => other.clone(),
    }
}

/// Removes `d`'s binding for `rule` and says so.
fn unbind_device(d: &mut Device, rule: &'static str, reason: String) -> Output {
    d.binding = None;
    d.unbound_by = Some(rule);
    Output::Unbound {
        device: d.key.clone(),
        rule,
        reason,
    }
}

#[cfg(test)]
mod tests;
