//! Lowering of `steps:` (times, actions, message ids) and `expect:`.

use super::at::{in_span, next_clock, parse_at, parse_duration_ms, resolve_step, At, AT_FORMS};
use super::diag::{did_you_mean, list};
use super::file::*;
use super::lower::{members_of, Cx};
use super::plan::{Action, ExpectKind, Expectation, PushFilter, Step};
use super::tree::Path;
use crate::core::io::{ApiRequest, SettingsQuery};
use crate::core::model::*;
use crate::core::settings::{DndWindow, LevelView};
use crate::core::time::{SimTime, Zone};
use std::collections::BTreeMap;

/// Lowers steps and expectations.
pub(crate) fn lower_timeline(cx: &mut Cx<'_>, f: &ScenarioFile) -> (Vec<Step>, Vec<Expectation>) {
    let root = Path::default();
    let mut steps = Vec::new();
    let mut prev = cx.start;
    let mut n_msgs = 0u32;
    let mut texts_bytes = 0usize;
    let mut texts: Vec<String> = Vec::new();
    for (i, s) in &f.steps {
        let p = root.key("steps").idx(*i);
        let line = cx.tree.pos_of(&p.0).line;

        // When.
        let ap = p.key("at");
        let at = match parse_at(&s.at) {
            None => {
                cx.err(&ap, unreadable_at(&s.at), Some(AT_FORMS.into()));
                prev
            }
            Some(spec) => {
                let t = resolve_step(spec, prev, &cx.display_zone);
                if let (At::Clock(_), Some(app)) = (spec, cx.app_zone) {
                    dst_warning(cx, &ap, &s.at, t, &app);
                }
                if !in_span(t, cx.start) {
                    cx.err(
                        &ap,
                        format!("`{}` is more than ten years after start", s.at),
                        None,
                    );
                    prev
                } else if t < prev {
                    let what = if *i == 0 || steps.is_empty() {
                        "start"
                    } else {
                        "the previous step"
                    };
                    cx.err(
                        &ap,
                        format!(
                            "`{}` goes backwards: {} is before {what} ({})",
                            s.at,
                            cx.display_zone.format(t),
                            cx.display_zone.format(prev)
                        ),
                        Some("steps are in time order; use a later time or move the step".into()),
                    );
                    prev
                } else {
                    t
                }
            }
        };
        prev = at;

        let expect_rejected = match s.expect.as_deref() {
            None => false,
            Some("rejected") => true,
            Some(other) => {
                cx.err(
                    &p.key("expect"),
                    format!("unknown step expectation `{other}`"),
                    Some("the only one is `expect: rejected`".into()),
                );
                false
            }
        };

        // What: exactly one action key (read from the tree: `login:` with no value counts).
        let keys: Vec<&str> = cx
            .tree
            .at(&p.0)
            .and_then(|n| n.entries())
            .map(|es| {
                es.iter()
                    .map(|e| e.key.as_str())
                    .filter(|k| ACTION_KEYS.contains(k))
                    .collect()
            })
            .unwrap_or_default();
        let action_key = match keys.as_slice() {
            [] => {
                cx.err(
                    &p,
                    "a step needs an action",
                    Some(format!("actions: {}", ACTION_KEYS.join(", "))),
                );
                continue;
            }
            [one] => one.to_string(),
            [first, second, ..] => {
                cx.err_key(
                    &p.key(second),
                    format!("a step has one action; found `{first}` and `{second}`"),
                    Some("split it into steps with the same `at` (they run in file order)".into()),
                );
                continue;
            }
        };
        let pa = p.key(&action_key);
        if let Some(m) = &s.send {
            n_msgs += 1;
            texts_bytes += m.text.len();
            if texts_bytes > TEXTS_BYTES_MAX && texts_bytes - m.text.len() <= TEXTS_BYTES_MAX {
                cx.err(
                    &pa.key("text"),
                    format!("the texts sent so far exceed {} MiB", TEXTS_BYTES_MAX >> 20),
                    Some("a device syncing them all would get one frame too large for the simulated link".into()),
                );
            }
            texts.push(m.text.clone());
        }
        let actions = action(cx, &pa, &action_key, s, n_msgs);
        for a in actions.into_iter().flatten() {
            let seq = steps.len() as u32;
            steps.push(Step {
                at,
                seq,
                line,
                action: a,
                expect_rejected,
            });
        }
    }
    steps.sort_by_key(|s| (s.at, s.seq));

    let last = steps.last().map_or(cx.start, |s| s.at);
    let reads: Vec<(UserId, SettingsQuery)> = steps
        .iter()
        .filter_map(|s| match &s.action {
            Action::Api(ApiRequest::GetSettings { user, query }) => {
                Some((user.clone(), query.clone()))
            }
            _ => None,
        })
        .collect();
    let mut expect = Vec::new();
    for (i, e) in &f.expect {
        let p = root.key("expect").idx(*i);
        let line = cx.tree.pos_of(&p.0).line;
        let keys: Vec<&str> = cx
            .tree
            .at(&p.0)
            .and_then(|n| n.entries())
            .map(|es| es.iter().map(|e| e.key.as_str()).collect())
            .unwrap_or_default();
        match keys.as_slice() {
            [] => {
                cx.err(
                    &p,
                    "an expectation needs a kind",
                    Some(format!("kinds: {}", EXPECT_KEYS.join(", "))),
                );
                continue;
            }
            [_] => {}
            [first, second, ..] => {
                cx.err_key(
                    &p.key(second),
                    format!("an expectation has one kind; found `{first}` and `{second}`"),
                    Some("write two entries".into()),
                );
                continue;
            }
        }
        let mut x = Ex {
            cx: &mut *cx,
            texts: &texts,
            last,
            reads: &reads,
        };
        if let Some(kind) = x.kind(&p.key(keys[0]), e) {
            expect.push(Expectation { line, kind });
        }
    }
    (steps, expect)
}

/// Lowers one action; `None` entries mean an error was reported.
fn action(cx: &mut Cx<'_>, pa: &Path, key: &str, s: &StepFile, msg_no: u32) -> Vec<Option<Action>> {
    let dev = |cx: &mut Cx<'_>, v: &Option<String>| match v {
        Some(t) => cx.device(pa, t),
        None => {
            cx.err(pa, "expected a device `user/device`", None);
            None
        }
    };
    let missing = |cx: &mut Cx<'_>, what: &str| {
        cx.err(pa, format!("expected {what}"), None);
        None
    };
    let one = |a: Option<Action>| vec![a];
    match key {
        "login" => one(dev(cx, &s.login).map(Action::Login)),
        "foreground" => one(dev(cx, &s.foreground).map(Action::Foreground)),
        "disconnect" => one(dev(cx, &s.disconnect).map(Action::Disconnect)),
        "reconnect" => one(dev(cx, &s.reconnect).map(Action::Reconnect)),
        "kill" => one(dev(cx, &s.kill).map(Action::Kill)),
        "unregister" => one(dev(cx, &s.unregister).map(Action::Unregister)),
        "restart" => match dev(cx, &s.restart) {
            Some(d) => vec![Some(Action::Kill(d.clone())), Some(Action::Login(d))],
            None => vec![None],
        },
        "logout" => one(match s.logout.as_deref() {
            None => missing(cx, "a device or {device, unbind}"),
            Some(Short::Name(d)) => cx.device(pa, d).map(|device| Action::Logout {
                device,
                unbind: None,
            }),
            Some(Short::Full(l)) => {
                cx.device(&pa.key("device"), &l.device)
                    .map(|device| Action::Logout {
                        device,
                        unbind: l.unbind,
                    })
            }
        }),
        "background" => one(match s.background.as_deref() {
            None => missing(cx, "a device or {device, badge}"),
            Some(Short::Name(d)) => cx.device(pa, d).map(|device| Action::Background {
                device,
                badge: None,
            }),
            Some(Short::Full(b)) => {
                cx.device(&pa.key("device"), &b.device)
                    .map(|device| Action::Background {
                        device,
                        badge: b.badge,
                    })
            }
        }),
        "bind_token" => one(match s.bind_token.as_deref() {
            None => missing(cx, "a device or {device, cert, token}"),
            Some(Short::Name(d)) => bind(cx, pa, &pa.clone(), d, None, None),
            Some(Short::Full(b)) => bind(
                cx,
                pa,
                &pa.key("device"),
                &b.device,
                b.cert.clone(),
                b.token.clone(),
            ),
        }),
        "set_remind" => one(match &s.set_remind {
            None => missing(cx, "a mapping {user, conversation?, type}"),
            Some(r) => {
                let user = cx.user(&pa.key("user"), &r.user);
                let conv = conversation(cx, &pa.key("conversation"), r.conversation.as_ref());
                let remind = RemindType::parse(&r.remind);
                if remind.is_none() {
                    cx.err(
                        &pa.key("type"),
                        format!("unknown remind type `{}`", r.remind),
                        Some("expected ALL, AT or NONE".into()),
                    );
                }
                match (user, conv, remind) {
                    (Some(user), Some(conversation), Some(remind)) => {
                        Some(Action::Api(ApiRequest::SetRemind {
                            user,
                            conversation,
                            remind,
                        }))
                    }
                    _ => None,
                }
            }
        }),
        "clear_remind" => one(match s.clear_remind.as_deref() {
            None => missing(cx, "a mapping {user, conversation}"),
            Some(r) => user_conversation(cx, pa, r)
                .map(|(user, conversation)| ApiRequest::ClearRemind { user, conversation })
                .map(Action::Api),
        }),
        "read" => one(match s.read.as_deref() {
            None => missing(cx, "a mapping {user, conversation}"),
            Some(r) => user_conversation(cx, pa, r)
                .map(|(user, conversation)| ApiRequest::Read { user, conversation })
                .map(Action::Api),
        }),
        "set_dnd" => one(match &s.set_dnd {
            None => missing(cx, "a mapping {user, conversation?, window?, duration?}"),
            Some(d) => set_dnd(cx, pa, d),
        }),
        "set_push_rule" => one(match &s.set_push_rule {
            None => missing(cx, "a mapping {user, online_platforms, not_to_receive}"),
            Some(r) => {
                let user = cx.user(&pa.key("user"), &r.user);
                let mut platforms = |key: &str, names: &[String]| -> Option<Vec<Platform>> {
                    let mut out = Vec::new();
                    for (i, n) in names.iter().enumerate() {
                        match Platform::parse(n) {
                            Some(p) => out.push(p),
                            None => {
                                let known: Vec<_> =
                                    Platform::ALL.iter().map(|p| p.name()).collect();
                                cx.err(
                                    &pa.key(key).idx(i),
                                    format!("unknown platform `{n}`"),
                                    Some(format!("expected one of: {}", known.join(", "))),
                                );
                                return None;
                            }
                        }
                    }
                    Some(out)
                };
                let online = platforms("online_platforms", &r.online_platforms);
                let not_to_receive = platforms("not_to_receive", &r.not_to_receive);
                match (user, online, not_to_receive) {
                    (Some(user), Some(online_platforms), Some(not_to_receive)) => {
                        Some(Action::Api(ApiRequest::SetPushRule {
                            user,
                            online_platforms,
                            not_to_receive,
                        }))
                    }
                    _ => None,
                }
            }
        }),
        "set_nickname" => one(match &s.set_nickname {
            None => missing(cx, "a mapping {user, nickname}"),
            Some(n) => cx.user(&pa.key("user"), &n.user).map(|user| {
                Action::Api(ApiRequest::SetNickname {
                    user,
                    nickname: n.nickname.clone(),
                })
            }),
        }),
        "set_language" => one(match &s.set_language {
            None => missing(cx, "a mapping {user, language}"),
            Some(l) => cx.user(&pa.key("user"), &l.user).map(|user| {
                Action::Api(ApiRequest::SetLanguage {
                    user,
                    language: l.language.clone(),
                })
            }),
        }),
        "create_group" => one(match &s.create_group {
            None => missing(cx, "a mapping {group, members}"),
            Some(g) => {
                let members = members_of(cx, &pa.key("members"), &g.members);
                if g.group.is_empty() || g.group.contains('/') {
                    cx.err(
                        &pa.key("group"),
                        format!("invalid group name `{}`", g.group),
                        None,
                    );
                    None
                } else {
                    cx.groups.insert(g.group.clone());
                    Some(Action::Api(ApiRequest::CreateGroup {
                        group: g.group.clone(),
                        members,
                    }))
                }
            }
        }),
        "send" => one(match &s.send {
            None => missing(cx, "a mapping {from, to, text, …}"),
            Some(m) => send(cx, pa, m, msg_no),
        }),
        "invalidate_token" => one(match &s.invalidate_token {
            None => missing(cx, "a mapping {device} or {vendor, token}"),
            Some(v) => invalidate(cx, pa, v),
        }),
        "vendor_fault" => one(match &s.vendor_fault {
            None => missing(cx, "a mapping {vendor, fault, …}"),
            Some(v) => vendor_fault(cx, pa, v),
        }),
        "get_settings" => one(match &s.get_settings {
            None => missing(
                cx,
                "a mapping {user, conversation?} or {user, conversations}",
            ),
            Some(g) => {
                let user = cx.user(&pa.key("user"), &g.user);
                let query =
                    settings_query(cx, pa, g.conversation.as_ref(), g.conversations.as_deref());
                match (user, query) {
                    (Some(user), Some(query)) => {
                        Some(Action::Api(ApiRequest::GetSettings { user, query }))
                    }
                    _ => None,
                }
            }
        }),
        "create_template" => one(match &s.create_template {
            None => missing(cx, "a mapping {name, title, content}"),
            Some(t) => Some(Action::Api(ApiRequest::SetTemplate {
                name: t.name.clone(),
                title: t.title.clone(),
                content: t.content.clone(),
            })),
        }),
        "wait" => one(match s.wait {
            Some(true) => Some(Action::Wait),
            _ => missing(cx, "`wait: true`"),
        }),
        other => unreachable!("ACTION_KEYS has no `{other}` arm"),
    }
}

fn bind(
    cx: &mut Cx<'_>,
    pa: &Path,
    dp: &Path,
    d: &str,
    cert: Option<String>,
    token: Option<String>,
) -> Option<Action> {
    let device = cx.device(dp, d)?;
    let decl = cx.devices.get(&device).expect("declared").clone();
    let cert = match cert.or(decl.cert) {
        Some(c) => c,
        None => {
            cx.err(
                pa,
                format!("{device} declares no cert or vendor"),
                Some("give `cert:` here, or `vendor:`/`cert:` on the device".into()),
            );
            return None;
        }
    };
    Some(Action::BindToken {
        device,
        cert,
        token: token.unwrap_or(decl.token),
    })
}

/// `None`: error reported; `Some(None)`: app level; `Some(Some(c))`: a conversation.
fn conversation(cx: &mut Cx<'_>, p: &Path, c: Option<&ConvFile>) -> Option<Option<Conversation>> {
    let Some(c) = c else { return Some(None) };
    match (&c.user, &c.group, &c.chatroom) {
        (Some(u), None, None) => cx
            .user(&p.key("user"), u)
            .map(|u| Some(Conversation::User(u))),
        (None, Some(g), None) => {
            group(cx, &p.key("group"), g).map(|g| Some(Conversation::Group(g)))
        }
        (None, None, Some(r)) if !r.is_empty() => Some(Some(Conversation::ChatRoom(r.clone()))),
        (None, None, Some(_)) => {
            cx.err(
                &p.key("chatroom"),
                "a chat room needs a name",
                Some("e.g. `{chatroom: lobby}`".into()),
            );
            None
        }
        _ => {
            cx.err(
                p,
                "expected exactly one of `user`, `group`, `chatroom`",
                Some("e.g. `{group: g1}`".into()),
            );
            None
        }
    }
}

/// The query of a `get_settings` step or `settings:` expectation; a batch is
/// sorted and deduplicated as the server answers it. `None`: error reported.
fn settings_query(
    cx: &mut Cx<'_>,
    p: &Path,
    one: Option<&ConvFile>,
    many: Option<&[ConvFile]>,
) -> Option<SettingsQuery> {
    match (one, many) {
        (None, None) => Some(SettingsQuery::App),
        (Some(c), None) => {
            conversation(cx, &p.key("conversation"), Some(c))?.map(SettingsQuery::Conversation)
        }
        (None, Some(list)) => {
            let lp = p.key("conversations");
            let mut convs = Vec::new();
            let mut ok = true;
            for (i, c) in list.iter().enumerate() {
                match conversation(cx, &lp.idx(i), Some(c)) {
                    Some(Some(c)) => convs.push(c),
                    _ => ok = false,
                }
            }
            convs.sort();
            convs.dedup();
            ok.then_some(SettingsQuery::Many(convs))
        }
        (Some(_), Some(_)) => {
            cx.err(
                p,
                "give `conversation` (one) or `conversations` (a batch), not both",
                None,
            );
            None
        }
    }
}

fn group(cx: &mut Cx<'_>, p: &Path, g: &str) -> Option<GroupId> {
    if cx.groups.contains(g) {
        return Some(g.to_string());
    }
    let help = did_you_mean(g, cx.groups.iter().map(String::as_str))
        .map(|s| format!("did you mean `{s}`?"))
        .unwrap_or_else(|| {
            if cx.groups.is_empty() {
                "declare it under `groups:` or create it with an earlier `create_group` step".into()
            } else {
                format!(
                    "known groups: {}",
                    list(&cx.groups.iter().collect::<Vec<_>>(), 12)
                )
            }
        });
    cx.err(p, format!("undeclared group `{g}`"), Some(help));
    None
}

fn set_dnd(cx: &mut Cx<'_>, pa: &Path, d: &SetDndFile) -> Option<Action> {
    let user = cx.user(&pa.key("user"), &d.user);
    let conv = conversation(cx, &pa.key("conversation"), d.conversation.as_ref());
    let unit = cx.profile.duration_unit;
    let mut ok = true;
    let duration = match &d.duration {
        None => None,
        Some(DurationFile::Raw(n)) => Some(*n),
        Some(DurationFile::Text(t)) => match parse_duration_ms(t.trim()) {
            Some(ms) if ms % unit.ms() == 0 => Some(ms / unit.ms()),
            Some(_) => {
                cx.err(
                    &pa.key("duration"),
                    format!("`{t}` is not a whole number of {unit:?} (the profile's unit)"),
                    None,
                );
                ok = false;
                None
            }
            None => {
                cx.err(&pa.key("duration"), format!("cannot read `{t}`"), Some("expected an integer in the profile's unit or a duration such as \"2h\", \"30m\", \"90s\", \"7d\"".into()));
                ok = false;
                None
            }
        },
    };
    if d.window.is_none() && d.duration.is_none() {
        cx.err(pa, "set_dnd needs `window`, `duration` or both", None);
        return None;
    }
    match (user, conv, ok) {
        (Some(user), Some(conversation), true) => Some(Action::Api(ApiRequest::SetDnd {
            user,
            conversation,
            window: d.window.clone(),
            duration,
        })),
        _ => None,
    }
}

/// A call invite's timeout when the step gives none: ZEGO `callInvite`'s default (SEED-003).
const DEFAULT_CALL_TIMEOUT_S: u32 = 90;

/// The most text all `send` steps of a scenario may carry together (a sync
/// of every message, with its frame's overhead, stays within one frame).
pub const TEXTS_BYTES_MAX: usize = 8 << 20;

/// The longest message text a scenario may send. IM services cap a text
/// message far below (Tencent IM: 12 KB); the simulated links carry frames up
/// to [`crate::sim::wire::FRAME_BYTES_MAX`], which this keeps every sync and
/// vendor request well within.
pub const TEXT_BYTES_MAX: usize = 64 << 10;

fn send(cx: &mut Cx<'_>, pa: &Path, m: &SendFile, msg_no: u32) -> Option<Action> {
    if m.text.len() > TEXT_BYTES_MAX {
        cx.err(
            &pa.key("text"),
            format!("a text of {} bytes; at most {TEXT_BYTES_MAX}", m.text.len()),
            Some("IM services cap a text message far below this (Tencent IM: 12 KB)".into()),
        );
        return None;
    }
    let from = cx.user(&pa.key("from"), &m.from);
    let tp = pa.key("to");
    let to = match &m.to {
        Short::Name(u) if !cx.users.contains(u) && cx.groups.contains(u) => {
            cx.err(
                &tp,
                format!("`{u}` is a group, not a user"),
                Some(format!("write `to: {{group: {u}}}`")),
            );
            None
        }
        Short::Name(u) => cx.user(&tp, u).map(Conversation::User),
        Short::Full(c) => conversation(cx, &tp, Some(c)).and_then(|c| {
            if c.is_none() {
                cx.err(&tp, "expected a target", None);
            }
            c
        }),
    };
    let kind = match m.kind.as_deref() {
        None | Some("text") => Some(MsgKind::Text),
        Some("image") => Some(MsgKind::Image),
        Some("custom") => Some(MsgKind::Custom),
        Some("call_invite") => Some(MsgKind::CallInvite),
        Some("control") => Some(MsgKind::Control),
        Some(k) => {
            cx.err(
                &pa.key("kind"),
                format!("unknown message kind `{k}`"),
                Some("expected text, image, custom, call_invite or control".into()),
            );
            None
        }
    };
    let mentions = match &m.mentions {
        None => Some(Mentions::None),
        Some(MentionsFile::All) => Some(Mentions::All),
        Some(MentionsFile::Users(us)) => {
            let n = us.len();
            let got = members_of(cx, &pa.key("mentions"), us);
            (got.len() == n).then_some(Mentions::Users(got))
        }
    };
    let map = |e: &Entries<String>| e.0.iter().cloned().collect::<BTreeMap<_, _>>();
    let call_timeout_s = match (kind, m.timeout_s) {
        (Some(MsgKind::CallInvite), t) => Some(t.unwrap_or(DEFAULT_CALL_TIMEOUT_S)),
        (_, None) => None,
        (_, Some(_)) => {
            cx.err(
                &pa.key("timeout_s"),
                "`timeout_s` is for call invites",
                Some("add `kind: call_invite` or drop `timeout_s`".into()),
            );
            return None;
        }
    };
    let (from, to, kind, mentions) = (from?, to?, kind?, mentions?);
    Some(Action::Api(ApiRequest::Send(Box::new(Message {
        id: MsgId(msg_no),
        from,
        to,
        kind,
        text: m.text.clone(),
        mentions,
        force_push: m.force_push.unwrap_or(false),
        online_only: m.online_only.unwrap_or(false),
        silent: m.silent.unwrap_or(false),
        push_title: m.push_title.clone(),
        push_content: m.push_content.clone(),
        desc: m.desc.clone(),
        payload: map(&m.payload),
        translations: map(&m.translations),
        call_timeout_s,
        template: m.template.as_ref().map(|t| {
            Box::new(TemplateRef {
                name: t.name.clone(),
                title_args: t.title_args.clone(),
                content_args: t.content_args.clone(),
            })
        }),
    }))))
}

/// A `{user, conversation}` mapping (`clear_remind`, `read`).
fn user_conversation(
    cx: &mut Cx<'_>,
    pa: &Path,
    r: &ClearRemindFile,
) -> Option<(UserId, Conversation)> {
    let user = cx.user(&pa.key("user"), &r.user);
    let conv = conversation(cx, &pa.key("conversation"), Some(&r.conversation));
    Some((user?, conv??))
}

fn invalidate(cx: &mut Cx<'_>, pa: &Path, v: &InvalidateFile) -> Option<Action> {
    let count = match v.count.map(std::num::NonZeroU32::new) {
        None => None,
        Some(Some(n)) => Some(n),
        Some(None) => {
            cx.err(
                &pa.key("count"),
                "`count` must be at least 1",
                Some("leave it out to make the token invalid from now on".into()),
            );
            return None;
        }
    };
    match (&v.device, &v.vendor, &v.token) {
        (Some(d), None, None) => {
            let device = cx.device(&pa.key("device"), d)?;
            let decl = cx.devices.get(&device).expect("declared").clone();
            match decl.cert.as_ref().and_then(|c| cx.certs.get(c)) {
                Some(vendor) => Some(Action::InvalidateToken {
                    vendor: *vendor,
                    token: decl.token,
                    count,
                }),
                None => {
                    cx.err(
                        &pa.key("device"),
                        format!("{device} has no vendor binding"),
                        Some("use `{vendor, token}`".into()),
                    );
                    None
                }
            }
        }
        (None, Some(vendor), Some(token)) => {
            cx.vendor(&pa.key("vendor"), vendor)
                .map(|vendor| Action::InvalidateToken {
                    vendor,
                    token: token.clone(),
                    count,
                })
        }
        _ => {
            cx.err(pa, "expected `{device}` or `{vendor, token}`", None);
            None
        }
    }
}

/// Expectation lowering.
struct Ex<'c, 'a> {
    cx: &'c mut Cx<'a>,
    texts: &'c [String],
    last: SimTime,
    /// The `get_settings` steps: (user, query), for `settings:` expectations.
    reads: &'c [(UserId, SettingsQuery)],
}

impl Ex<'_, '_> {
    fn kind(&mut self, p: &Path, e: &ExpectFile) -> Option<ExpectKind> {
        if let Some(x) = &e.push {
            let filter = self.filter(p, x.device.as_ref(), x.text.as_ref(), x.at.as_ref())?;
            let vendor = match x.vendor.as_deref() {
                None => None,
                Some(name) => Some(self.cx.vendor(&p.key("vendor"), name)?),
            };
            return Some(ExpectKind::Push {
                filter,
                title: x.title.clone(),
                body: x.body.clone(),
                badge: x.badge,
                vendor,
            });
        }
        type Kind = fn(PushFilter) -> ExpectKind;
        let none: [(_, Kind); 2] = [
            (&e.no_push, ExpectKind::NoPush),
            (&e.no_request, ExpectKind::NoRequest),
        ];
        for (x, kind) in none {
            if let Some(x) = x {
                return self
                    .filter(p, x.device.as_ref(), x.text.as_ref(), x.at.as_ref())
                    .map(kind);
            }
        }
        if let Some(x) = &e.pushes {
            let filter = self.filter(p, x.device.as_ref(), x.text.as_ref(), x.at.as_ref())?;
            return Some(ExpectKind::Pushes {
                filter,
                count: x.count,
            });
        }
        if let Some(x) = &e.badge {
            let filter = self.filter(p, Some(&x.device), x.text.as_ref(), x.at.as_ref())?;
            return Some(ExpectKind::Badge {
                filter,
                value: x.value,
            });
        }
        if let Some(x) = &e.vendor_error {
            let filter = self.filter(p, x.device.as_ref(), x.text.as_ref(), x.at.as_ref())?;
            return Some(ExpectKind::VendorError {
                filter,
                contains: x.contains.clone(),
            });
        }
        for (x, delivered) in [(&e.delivered, true), (&e.not_delivered, false)] {
            if let Some(x) = x {
                let device = self.cx.device(&p.key("device"), &x.device);
                let text = self.text(&p.key("text"), &x.text);
                let (device, text) = (device?, text?);
                return Some(if delivered {
                    ExpectKind::Delivered { device, text }
                } else {
                    ExpectKind::NotDelivered { device, text }
                });
            }
        }
        if let Some(x) = &e.settings {
            return self.settings(p, x);
        }
        if let Some(x) = &e.decided {
            let filter = self.filter(p, x.device.as_ref(), x.text.as_ref(), x.at.as_ref());
            let rule = self.cx.rule_id(&p.key("because"), &x.because);
            return Some(ExpectKind::Decided {
                filter: filter?,
                rule: rule?,
            });
        }
        self.cx.err(p, "expected a mapping", None);
        None
    }

    /// `settings:` → [`ExpectKind::Settings`].
    fn settings(&mut self, p: &Path, x: &SettingsExpectFile) -> Option<ExpectKind> {
        let user = self.cx.user(&p.key("user"), &x.user);
        let query = settings_query(
            self.cx,
            p,
            x.conversation.as_ref(),
            x.conversations.as_deref(),
        );
        let at = match &x.at {
            None => Some(None),
            Some(a) => self.at(&p.key("at"), a).map(Some),
        };
        let (user, query, at) = (user?, query?, at?);
        if !self.reads.iter().any(|(u, q)| *u == user && *q == query) {
            self.cx.err(
                p,
                format!("no `get_settings` step reads {user}'s {query}"),
                Some("a `settings:` expectation checks the answer of a `get_settings` step with the same user and query".into()),
            );
            return None;
        }
        let levels = match (&query, &x.result, &x.listed) {
            (SettingsQuery::Many(_), None, Some(listed)) => {
                let lp = p.key("listed");
                let mut out = Vec::new();
                for (i, l) in listed.iter().enumerate() {
                    let ip = lp.idx(i);
                    let conv =
                        conversation(self.cx, &ip.key("conversation"), Some(&l.conversation));
                    let level = self.level(&ip, &l.remind, &l.window, &l.expiry);
                    out.push((conv??, level?));
                }
                out.sort_by(|a, b| a.0.cmp(&b.0));
                out.into_iter().map(|(c, l)| (Some(c), l)).collect()
            }
            (SettingsQuery::App, Some(r), None) => {
                vec![(
                    None,
                    self.level(&p.key("result"), &r.remind, &r.window, &r.expiry)?,
                )]
            }
            (SettingsQuery::Conversation(c), Some(r), None) => {
                let level = self.level(&p.key("result"), &r.remind, &r.window, &r.expiry)?;
                vec![(Some(c.clone()), level)]
            }
            (SettingsQuery::Many(_), _, _) => {
                self.cx.err(
                    p,
                    "a batch read is checked with `listed: [...]`",
                    Some("e.g. `listed: [{conversation: {group: g1}, remind: NONE}]`, or `listed: []`".into()),
                );
                return None;
            }
            _ => {
                self.cx.err(
                    p,
                    "an app or one-conversation read is checked with `result: {...}`",
                    Some("e.g. `result: {remind: AT, window: \"22:00-07:00\"}`; `result: {}` = nothing set".into()),
                );
                return None;
            }
        };
        Some(ExpectKind::Settings {
            user,
            query,
            at,
            levels,
        })
    }

    /// One expected level; `None` when an error was reported.
    fn level(
        &mut self,
        p: &Path,
        remind: &Option<String>,
        window: &Option<String>,
        expiry: &Option<String>,
    ) -> Option<LevelView> {
        let mut ok = true;
        let remind = remind.as_ref().and_then(|r| {
            let v = RemindType::parse(r);
            if v.is_none() {
                ok = false;
                self.cx.err(
                    &p.key("remind"),
                    format!("unknown remind type `{r}`"),
                    Some("expected ALL, AT or NONE".into()),
                );
            }
            v
        });
        let window = window.as_ref().and_then(|w| match DndWindow::parse(w) {
            Ok(w) => Some(w),
            Err(e) => {
                ok = false;
                self.cx.err(&p.key("window"), e, None);
                None
            }
        });
        let expiry = expiry.as_ref().and_then(|e| {
            let t = self.at(&p.key("expiry"), e);
            ok &= t.is_some();
            t
        });
        ok.then_some(LevelView {
            remind,
            window,
            expiry,
        })
    }

    fn filter(
        &mut self,
        p: &Path,
        device: Option<&String>,
        text: Option<&String>,
        at: Option<&String>,
    ) -> Option<PushFilter> {
        let device = device.map(|d| self.cx.device(&p.key("device"), d));
        let text = text.map(|t| self.text(&p.key("text"), t));
        let at = at.map(|a| self.at(&p.key("at"), a));
        // Inner `None` = an error was reported.
        fn flip<T>(o: Option<Option<T>>) -> Result<Option<T>, ()> {
            match o {
                None => Ok(None),
                Some(Some(v)) => Ok(Some(v)),
                Some(None) => Err(()),
            }
        }
        let (device, text, at) = (flip(device).ok()?, flip(text).ok()?, flip(at).ok()?);
        Some(PushFilter { device, text, at })
    }

    /// The text of some `send` step.
    fn text(&mut self, p: &Path, t: &str) -> Option<String> {
        if self.texts.iter().any(|s| s == t) {
            return Some(t.to_string());
        }
        let help = did_you_mean(t, self.texts.iter().map(String::as_str))
            .map(|s| format!("did you mean \"{s}\"?"))
            .unwrap_or_else(|| {
                "expectations name a message by the exact `text` of a `send` step".into()
            });
        let shown = super::diag::shorten(t);
        self.cx
            .err(p, format!("no step sends \"{shown}\""), Some(help));
        None
    }

    /// Expectation times: see `at.rs` (no walking; clock times must be unambiguous).
    fn at(&mut self, p: &Path, text: &str) -> Option<SimTime> {
        let (start, zone) = (self.cx.start, self.cx.display_zone);
        let t = match parse_at(text) {
            None => {
                self.cx.err(p, unreadable_at(text), Some(AT_FORMS.into()));
                return None;
            }
            Some(At::Rel(ms)) => start.plus_ms(ms),
            Some(At::Abs(t)) => t,
            Some(At::Clock(ms)) => {
                let first = next_clock(&zone, start, ms);
                let second = next_clock(&zone, first.plus_ms(1), ms);
                if in_span(first, start) && second <= self.last {
                    self.cx.err(
                        p,
                        format!(
                            "`{text}` is ambiguous: it occurs at {} and at {} during the scenario",
                            zone.format(first),
                            zone.format(second)
                        ),
                        Some(
                            "write the full time, e.g. `at: \"".to_string()
                                + &zone.format(second)
                                + "\"`",
                        ),
                    );
                    return None;
                }
                first
            }
        };
        if t < start || !in_span(t, start) {
            self.cx.err(
                p,
                format!("`{text}` is outside the scenario (before start or over ten years after)"),
                None,
            );
            return None;
        }
        Some(t)
    }
}

fn vendor_fault(cx: &mut Cx<'_>, pa: &Path, v: &VendorFaultFile) -> Option<Action> {
    use crate::mock::fault::{FaultSpec, FaultText};
    let vendor = cx.vendor(&pa.key("vendor"), &v.vendor)?;
    let text = FaultText {
        fault: &v.fault,
        retry_after: v.retry_after.as_deref(),
        latency: v.latency.as_deref(),
        body: v.body.as_deref(),
        for_: v.for_.as_deref(),
        count: v.count,
    };
    let device_token = match &v.device {
        None => None,
        Some(_) if v.fault != "rate_limited" => {
            let msg = format!("`device` does not apply to `{}`", v.fault);
            cx.err(
                &pa.key("device"),
                msg,
                Some("only `rate_limited` can be per device".into()),
            );
            return None;
        }
        Some(d) => {
            let device = cx.device(&pa.key("device"), d)?;
            Some(cx.devices.get(&device).expect("declared").token.clone())
        }
    };
    match FaultSpec::parse(&text) {
        Ok(fault) => Some(Action::VendorFault {
            vendor,
            fault: FaultSpec {
                device_token,
                ..fault
            },
        }),
        Err(errors) => {
            for e in errors {
                let at = if e.key.is_empty() {
                    pa.clone()
                } else {
                    pa.key(e.key)
                };
                cx.err(&at, e.message, e.help);
            }
            None
        }
    }
}

/// Why a time does not read: the field out of range when it looks like a
/// clock time (`25:00`: the hour), else that it is not a time at all.
fn unreadable_at(text: &str) -> String {
    let parts: Vec<&str> = text.trim().split(':').collect();
    let numbers: Vec<Option<u32>> = parts.iter().map(|p| p.parse().ok()).collect();
    if (2..=3).contains(&parts.len()) && numbers.iter().all(Option::is_some) {
        let n: Vec<u32> = numbers.into_iter().flatten().collect();
        let field = if n[0] > 23 {
            Some(format!("hour {} is out of range (00–23)", n[0]))
        } else if n[1] > 59 {
            Some(format!("minute {} is out of range (00–59)", n[1]))
        } else if n.get(2).is_some_and(|&s| s > 59) {
            Some(format!("second {} is out of range (00–59)", n[2]))
        } else {
            None
        };
        if let Some(field) = field {
            return format!("cannot read `{text}`: {field}");
        }
    }
    format!("cannot read `{text}`")
}

/// Warns when a clock time, read in the offset of `start`, falls where the
/// app's zone has changed its offset since `start` (a daylight-saving change
/// in between): the step then runs an hour off the wall clock the author
/// likely meant. Only when `start` is written in the app's own offset at
/// that moment: a `start` in another offset says the author reads times in
/// that one.
fn dst_warning(cx: &mut Cx<'_>, ap: &Path, text: &str, t: SimTime, app: &Zone) {
    let start_off = cx.display_zone.offset_s(t);
    let app_off = app.offset_s(t);
    if app.offset_s(cx.start) != start_off || app_off == start_off {
        return;
    }
    cx.warn(
        ap,
        format!(
            "`{text}` is read at the offset of `start` ({}), but {app} is at {} then (a daylight-saving change): the step runs at {} {app} time",
            offset_text(start_off),
            offset_text(app_off),
            app.format_clock(t),
        ),
        Some(format!(
            "write the instant meant, e.g. `{}`, or a `+…` offset",
            {
                let written = cx.display_zone.local(t);
                app.format(app.instant_of(written.date, written.ms_of_day))
            }
        )),
    );
}

/// `+02:00` for 7200 s, as chrono writes an offset (and `Zone` a fixed one).
fn offset_text(s: i32) -> String {
    chrono::FixedOffset::east_opt(s).map_or_else(|| format!("{s} s"), |o| o.to_string())
}
