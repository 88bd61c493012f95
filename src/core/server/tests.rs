//! Server tests through one script helper, [`check`]: a few lines of a tiny
//! command language in, a compact rendering of the outputs out.

use super::*;
use crate::core::io::SettingsQuery;
use crate::core::model::{Mentions, MsgKind, RemindType};

/// 2026-03-01T00:00:00+08:00.
const DAY0: SimTime = SimTime(1_772_294_400_000);

fn config(profile: Profile) -> ServerConfig {
    let users = ["alice", "bob", "carol", "vera"]
        .into_iter()
        .map(|u| (u.to_string(), None))
        .collect();
    ServerConfig {
        profile,
        app_zone: Zone::parse("Asia/Shanghai").unwrap(),
        certs: BTreeMap::from([
            ("fcm-prod".to_string(), Vendor::Fcm),
            ("hw-prod".to_string(), Vendor::Huawei),
        ]),
        users,
        groups: BTreeMap::from([(
            "g1".to_string(),
            vec!["alice".to_string(), "bob".to_string(), "vera".to_string()],
        )]),
    }
}

fn key(text: &str) -> DeviceKey {
    DeviceKey::parse(text).unwrap()
}

/// Runs `script` on a fresh server and returns the rendered outputs.
///
/// Commands (one per line, `#` comments): `at HH:MM` (local, day 0) / `at +1d HH:MM`,
/// `login DEV [PLATFORM] [last=N]`, `kill DEV`, `bg DEV`, `fg DEV`,
/// `logout DEV [unbind|keep]`, `bind DEV CERT TOKEN`, `unregister DEV`,
/// `invalid JOB`, `send FROM TO TEXT…`, `gsend FROM GROUP TEXT…`, `roomsend FROM GROUP TEXT`,
/// `mention USER,…|all` / `force` / `silent` / `control` (modify the next send),
/// `remind USER [CONV] TYPE`, `clear USER CONV`, `window USER [CONV] TEXT`,
/// `dur USER [CONV] N`, `lang USER CODE`, `bgb DEV N` (doBackground with a badge),
/// `call SECONDS` / `custom` / `desc WORD` (modify the next send), `get USER [CONV]`,
/// `getmany USER CONV,…`. CONV is `user:x`, `group:g` or `room:r`.
fn run(profile: Profile, script: &str) -> Vec<String> {
    let mut server = Server::new(config(profile));
    let mut now = DAY0;
    let mut next_id = 1;
    let mut pending = Message::text(0, "", Conversation::User(String::new()), "");
    let mut rendered = Vec::new();
    for line in script
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
    {
        let w: Vec<&str> = line.split_whitespace().collect();
        let conv = |s: &str| match s.split_once(':') {
            Some(("user", u)) => Some(Conversation::User(u.into())),
            Some(("group", g)) => Some(Conversation::Group(g.into())),
            Some(("room", r)) => Some(Conversation::ChatRoom(r.into())),
            _ => None,
        };
        let input = match w[0] {
            "at" => {
                let (days, clock) = if w[1].starts_with('+') {
                    (w[1][1..w[1].len() - 1].parse().unwrap(), w[2])
                } else {
                    (0, w[1])
                };
                let (h, m) = clock.split_once(':').unwrap();
                let min: i64 = h.parse::<i64>().unwrap() * 60 + m.parse::<i64>().unwrap();
                now = DAY0.plus_ms(days * 86_400_000 + min * 60_000);
                continue;
            }
            "login" => {
                let platform = w
                    .get(2)
                    .and_then(|p| Platform::parse(p))
                    .unwrap_or(Platform::Android);
                let last_seen = w
                    .iter()
                    .find_map(|x| x.strip_prefix("last="))
                    .map(|n| MsgId(n.parse().unwrap()));
                Input::Login {
                    device: key(w[1]),
                    platform,
                    last_seen,
                }
            }
            "kill" => Input::ConnectionLost {
                device: key(w[1]),
                last_contact: None,
            },
            "bg" | "fg" => Input::AppState {
                device: key(w[1]),
                state: if w[0] == "bg" {
                    AppState::Background
                } else {
                    AppState::Foreground
                },
                badge: None,
            },
            "logout" => Input::Logout {
                device: key(w[1]),
                unbind: w.get(2).map(|x| *x == "unbind"),
            },
            "bind" => Input::BindToken {
                device: key(w[1]),
                cert: w[2].into(),
                token: w[3].into(),
            },
            "unregister" => Input::Unregister { device: key(w[1]) },
            "invalid" => Input::VendorFeedback {
                job: w[1].parse().unwrap(),
                result: PushFeedback::InvalidToken {
                    reason: "UNREGISTERED".into(),
                },
            },
            "ok" => Input::VendorFeedback {
                job: w[1].parse().unwrap(),
                result: PushFeedback::Delivered,
            },
            "failed" => Input::VendorFeedback {
                job: w[1].parse().unwrap(),
                result: PushFeedback::Failed {
                    reason: "gave up".into(),
                },
            },
            "mention" => {
                pending.mentions = match w[1] {
                    "all" => Mentions::All,
                    list => Mentions::Users(list.split(',').map(String::from).collect()),
                };
                continue;
            }
            "force" => {
                pending.force_push = true;
                continue;
            }
            "silent" => {
                pending.silent = true;
                continue;
            }
            "control" => {
                pending.kind = MsgKind::Control;
                continue;
            }
            "online_only" => {
                pending.online_only = true;
                continue;
            }
            "call" => {
                pending.kind = MsgKind::CallInvite;
                pending.call_timeout_s = Some(w[1].parse().unwrap());
                continue;
            }
            "custom" => {
                pending.kind = MsgKind::Custom;
                continue;
            }
            "desc" => {
                pending.desc = Some(w[1].into());
                continue;
            }
            "bgb" => Input::AppState {
                device: key(w[1]),
                state: AppState::Background,
                badge: Some(w[2].parse().unwrap()),
            },
            "get" => Input::Api(ApiRequest::GetSettings {
                user: w[1].into(),
                query: match w.get(2) {
                    None => SettingsQuery::App,
                    Some(c) => SettingsQuery::Conversation(conv(c).unwrap()),
                },
            }),
            "getmany" => Input::Api(ApiRequest::GetSettings {
                user: w[1].into(),
                query: SettingsQuery::Many(w[2].split(',').map(|c| conv(c).unwrap()).collect()),
            }),
            "send" | "gsend" | "roomsend" => {
                let to = match w[0] {
                    "send" => Conversation::User(w[2].into()),
                    "gsend" => Conversation::Group(w[2].into()),
                    _ => Conversation::ChatRoom(w[2].into()),
                };
                let mut msg = std::mem::replace(&mut pending, Message::text(0, "", to.clone(), ""));
                msg.id = MsgId(next_id);
                msg.from = w[1].into();
                msg.to = to;
                msg.text = w[3..].join(" ");
                next_id += 1;
                Input::Api(ApiRequest::Send(Box::new(msg)))
            }
            "remind" => {
                let (c, t) = if w.len() == 4 {
                    (conv(w[2]), w[3])
                } else {
                    (None, w[2])
                };
                Input::Api(ApiRequest::SetRemind {
                    user: w[1].into(),
                    conversation: c,
                    remind: RemindType::parse(t).unwrap(),
                })
            }
            "clear" => Input::Api(ApiRequest::ClearRemind {
                user: w[1].into(),
                conversation: conv(w[2]).unwrap(),
            }),
            "window" | "dur" => {
                let (c, arg) = if w.len() == 4 {
                    (conv(w[2]), w[3])
                } else {
                    (None, *w.get(2).unwrap_or(&""))
                };
                let (window, duration) = if w[0] == "window" {
                    (Some(arg.to_string()), None)
                } else {
                    (None, Some(arg.parse().unwrap()))
                };
                Input::Api(ApiRequest::SetDnd {
                    user: w[1].into(),
                    conversation: c,
                    window,
                    duration,
                })
            }
            "lang" => Input::Api(ApiRequest::SetLanguage {
                user: w[1].into(),
                language: Some(w[2].into()),
            }),
            other => panic!("unknown command {other}"),
        };
        let out = server.handle(input, now);
        for (i, o) in out.iter().enumerate() {
            if let Some(r) = render(o, out.get(i + 1)) {
                rendered.push(r);
            }
        }
    }
    rendered
}

/// Compact text of an output; `LoggedIn`, `Accepted` and `Push` (mirrored in
/// `Decided`) are left out.
fn render(o: &Output, next: Option<&Output>) -> Option<String> {
    Some(match o {
        Output::LoggedIn { .. } | Output::Accepted { .. } | Output::Push(_) => return None,
        Output::LoginRejected { device, .. } => format!("login-rejected {device}"),
        Output::Kick { device, by } => format!("kick {device} by {by}"),
        Output::LoggedOut { device, unbound } => format!("logged-out {device} unbound={unbound}"),
        Output::Deliver { device, msg } => format!("deliver {device} {}", msg.id),
        Output::Sync { device, msgs } => {
            let ids: Vec<String> = msgs.iter().map(|m| m.id.to_string()).collect();
            format!("sync {device} [{}]", ids.join(","))
        }
        Output::Decided(d) => match &d.verdict {
            Verdict::Push { job: id, rule, .. } => {
                let Some(Output::Push(job)) = next else {
                    panic!("a push decision is followed by its job")
                };
                assert_eq!(job.id, *id);
                format!(
                    "{} {} push {rule} job={} {} badge={}",
                    d.device,
                    d.msg,
                    job.id,
                    job.token,
                    job.notification.badge.unwrap_or(0)
                )
            }
            Verdict::Online => format!("{} {} online", d.device, d.msg),
            Verdict::Suppressed(s) => format!("{} {} no {} {}", d.device, d.msg, s.rule, s.reason),
        },
        Output::Unbound { device, rule, .. } => format!("unbound {device} {rule}"),
        Output::Rejected { rule, .. } => format!("rejected {rule}"),
        Output::Settings(r) => format!(
            "settings {} {}",
            r.user,
            crate::outcome::settings::levels_text(
                &r.query,
                &r.levels,
                &Zone::parse("Asia/Shanghai").unwrap()
            )
        ),
    })
}

/// Runs `script` under `profile` and compares the rendered outputs with
/// `expect` (one per line, leading whitespace ignored). A line of `expect`
/// ending in `…` matches any output that starts with the text before it.
fn check_with(profile: Profile, script: &str, expect: &str) {
    let got = run(profile, script);
    let want: Vec<&str> = expect
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    let ok = got.len() == want.len()
        && got
            .iter()
            .zip(&want)
            .all(|(g, w)| match w.strip_suffix('…') {
                Some(prefix) => g.starts_with(prefix),
                None => g == w,
            });
    assert!(
        ok,
        "\n--- got:\n{}\n--- want:\n{}\n",
        got.join("\n"),
        want.join("\n")
    );
}

fn check(script: &str, expect: &str) {
    check_with(Profile::easemob(), script, expect);
}

const BOB_KILLED: &str = "login bob/phone\nbind bob/phone fcm-prod t1\nkill bob/phone\n";

#[test]
fn dlv_01_message_to_killed_device_is_pushed_and_synced_on_login() {
    check(
        &format!("{BOB_KILLED} at 10:00\n send alice bob hi\n login bob/phone last=0"),
        "sync bob/phone []
         bob/phone m1 push DNDX-05 job=1 t1 badge=1
         sync bob/phone [m1]",
    );
}

#[test]
fn dlv_04_suppressed_message_is_not_pushed_later_but_synced() {
    check(
        &format!("{BOB_KILLED} window bob 22:00-07:00\n at 23:59\n send alice bob late\n at +1d 07:00\n send alice bob morning\n login bob/phone last=0"),
        "sync bob/phone []
         bob/phone m1 no DNDW-04 app DND window 22:00-07:00 (Asia/Shanghai 23:59)
         bob/phone m2 push DNDX-05 job=1 t1 badge=1
         sync bob/phone [m1,m2]",
    );
}

#[test]
fn dlv_01_sync_honours_the_cursor_and_skips_own_messages() {
    check(
        &format!("{BOB_KILLED} send alice bob a\n send bob alice b\n send alice bob c\n login bob/phone last=1"),
        "sync bob/phone []
         bob/phone m1 push…
         bob/phone m2 no PRS-10…
         bob/phone m3 push…
         sync bob/phone [m3]",
    );
}

#[test]
fn prs_02_prs_03_online_devices_get_delivery_not_push() {
    check(
        "login bob/phone\n bind bob/phone fcm-prod t1\n send alice bob a\n bg bob/phone\n send alice bob b",
        "sync bob/phone []
         deliver bob/phone m1
         bob/phone m1 no PRS-02 online in foreground: delivered online
         deliver bob/phone m2
         bob/phone m2 no PRS-03 online in background with a live connection: delivered online",
    );
}

#[test]
fn prs_07_a_22_until_connection_lost_the_server_thinks_online() {
    check(
        "login bob/phone\n bind bob/phone fcm-prod t1\n send alice bob a\n kill bob/phone\n send alice bob b",
        "sync bob/phone []
         deliver bob/phone m1
         bob/phone m1 no PRS-02…
         bob/phone m2 push DNDX-05 job=1 t1 badge=1",
    );
}

#[test]
fn mdv_01_all_offline_suppresses_when_another_device_is_online() {
    check(
        &format!("{BOB_KILLED} login bob/pad ios\n send alice bob a"),
        "sync bob/phone []
         sync bob/pad []
         deliver bob/pad m1
         bob/pad m1 no PRS-02…
         bob/phone m1 no MDV-01 all_offline: bob/pad is online",
    );
}

#[test]
fn mdv_02_any_offline_pushes_only_offline_devices() {
    let p = Profile {
        multi_policy: crate::core::profile::MultiPolicy::AnyOffline,
        ..Profile::easemob()
    };
    check_with(
        p,
        &format!("{BOB_KILLED} login bob/pad ios\n bind bob/pad hw-prod t2\n send alice bob a"),
        "sync bob/phone []
         sync bob/pad []
         deliver bob/pad m1
         bob/pad m1 no PRS-02…
         bob/phone m1 push DNDX-05 job=1 t1 badge=1",
    );
}

#[test]
fn mdv_04_mdv_05_fifth_android_login_kicks_the_earliest_which_gets_no_push() {
    check(
        "login bob/a1\n bind bob/a1 fcm-prod t1\n login bob/a2\n login bob/a3\n login bob/i1 ios\n login bob/a4
         login bob/a5\n kill bob/a2\n kill bob/a3\n kill bob/a4\n kill bob/a5\n kill bob/i1
         send alice bob hi
         login bob/a1\n kill bob/a1\n kill bob/a2\n send alice bob again",
        "sync bob/a1 []
         sync bob/a2 []
         sync bob/a3 []
         sync bob/i1 []
         sync bob/a4 []
         kick bob/a1 by bob/a5
         sync bob/a5 []
         bob/a1 m1 no MDV-05 kicked by a newer login: binding suspended
         bob/a2 m1 no TOK-01…
         bob/a3 m1 no TOK-01…
         bob/a4 m1 no TOK-01…
         bob/a5 m1 no TOK-01…
         bob/i1 m1 no TOK-01…
         kick bob/a2 by bob/a1
         sync bob/a1 [m1]
         bob/a1 m2 push DNDX-05 job=1 t1 badge=1
         bob/a2 m2 no MDV-05…
         bob/a3 m2 no TOK-01…
         bob/a4 m2 no TOK-01…
         bob/a5 m2 no TOK-01…
         bob/i1 m2 no TOK-01…",
    );
}

#[test]
fn mdv_04_mdv_06_the_newest_login_ranks_a_device_for_the_kick() {
    let p = Profile {
        max_per_platform: 2,
        ..Profile::easemob()
    };
    // Issue 12.1: a is killed and logs in again (auto-login, MDV-06) after b:
    // a re-login of a live session kicks nobody, but a is now the newest.
    check_with(
        p.clone(),
        "at 09:00\n login bob/a\n at 09:01\n login bob/b\n at 09:02\n kill bob/a
         at 09:03\n login bob/a\n at 09:04\n login bob/c",
        "sync bob/a []
         sync bob/b []
         sync bob/a []
         kick bob/b by bob/c
         sync bob/c []",
    );
    // The same without a kill: a re-login on a connected session also renews it.
    check_with(
        p,
        "login bob/a\n login bob/b\n login bob/a\n login bob/c",
        "sync bob/a []
         sync bob/b []
         sync bob/a []
         kick bob/b by bob/c
         sync bob/c []",
    );
}

#[test]
fn bdg_06_a_20_a_push_the_vendor_refused_does_not_raise_the_badge() {
    // Issue 12.2: m1 goes to a token FCM refuses (404 UNREGISTERED); m2 carries 1.
    check(
        &format!("{BOB_KILLED} send alice bob m1\n invalid 1\n bind bob/phone fcm-prod t2\n send alice bob m2"),
        "sync bob/phone []
         bob/phone m1 push DNDX-05 job=1 t1 badge=1
         unbound bob/phone TOK-08
         bob/phone m2 push DNDX-05 job=2 t2 badge=1",
    );
    // Given up after retries (not a token problem): not counted either.
    check(
        &format!("{BOB_KILLED} send alice bob m1\n failed 1\n send alice bob m2"),
        "sync bob/phone []
         bob/phone m1 push DNDX-05 job=1 t1 badge=1
         bob/phone m2 push DNDX-05 job=2 t1 badge=1",
    );
    // Accepted (after any number of retries): counted once.
    check(
        &format!("{BOB_KILLED} send alice bob m1\n ok 1\n send alice bob m2"),
        "sync bob/phone []
         bob/phone m1 push DNDX-05 job=1 t1 badge=1
         bob/phone m2 push DNDX-05 job=2 t1 badge=2",
    );
}

/// Bob's phone (FCM, t1) and pad (Huawei, t2), both bound and killed.
const BOB_TWO_KILLED: &str = "login bob/phone\n bind bob/phone fcm-prod t1\n kill bob/phone
         login bob/pad ios\n bind bob/pad hw-prod t2\n kill bob/pad\n";

/// easemob with `multi.policy: any_offline`: each offline device is pushed.
fn any_offline() -> Profile {
    Profile {
        multi_policy: crate::core::profile::MultiPolicy::AnyOffline,
        ..Profile::easemob()
    }
}

#[test]
fn bdg_06_a_message_counts_once_if_any_of_its_pushes_was_accepted() {
    let (two, p) = (BOB_TWO_KILLED, any_offline());
    check_with(
        p.clone(),
        &format!("{two} send alice bob m1\n failed 1\n ok 2\n send alice bob m2"),
        "sync bob/phone []
         sync bob/pad []
         bob/pad m1 push DNDX-05 job=1 t2 badge=1
         bob/phone m1 push DNDX-05 job=2 t1 badge=1
         bob/pad m2 push DNDX-05 job=3 t2 badge=2
         bob/phone m2 push DNDX-05 job=4 t1 badge=2",
    );
    // Refused on both devices: the message does not count.
    check_with(
        p,
        &format!("{two} send alice bob m1\n failed 1\n failed 2\n send alice bob m2"),
        "sync bob/phone []
         sync bob/pad []
         bob/pad m1 push DNDX-05 job=1 t2 badge=1
         bob/phone m1 push DNDX-05 job=2 t1 badge=1
         bob/pad m2 push DNDX-05 job=3 t2 badge=1
         bob/phone m2 push DNDX-05 job=4 t1 badge=1",
    );
}

#[test]
fn bdg_06_a_second_answer_for_the_same_job_changes_nothing() {
    // Found by the property test once its model learnt refunds: job 1 refused
    // twice used to settle m1 as refused while job 2 was still at the vendor.
    let (two, p) = (BOB_TWO_KILLED, any_offline());
    check_with(
        p,
        &format!("{two} send alice bob m1\n failed 1\n failed 1\n ok 2\n send alice bob m2"),
        "sync bob/phone []
         sync bob/pad []
         bob/pad m1 push DNDX-05 job=1 t2 badge=1
         bob/phone m1 push DNDX-05 job=2 t1 badge=1
         bob/pad m2 push DNDX-05 job=3 t2 badge=2
         bob/phone m2 push DNDX-05 job=4 t1 badge=2",
    );
}

#[test]
fn bdg_06_a_refusal_after_a_login_does_not_take_from_the_new_count() {
    check(
        &format!("{BOB_KILLED} send alice bob m1\n login bob/phone last=1\n kill bob/phone\n send alice bob m2\n failed 1\n send alice bob m3"),
        "sync bob/phone []
         bob/phone m1 push DNDX-05 job=1 t1 badge=1
         sync bob/phone []
         bob/phone m2 push DNDX-05 job=2 t1 badge=1
         bob/phone m3 push DNDX-05 job=3 t1 badge=2",
    );
}

#[test]
fn prs_09_push_online_ttl_counts_from_the_last_contact() {
    let mut s = Server::new(config(Profile::tencent()));
    let phone = key("bob/phone");
    s.handle(
        Input::Login {
            device: phone.clone(),
            platform: Platform::Android,
            last_seen: None,
        },
        DAY0,
    );
    s.handle(
        Input::BindToken {
            device: phone.clone(),
            cert: "fcm-prod".into(),
            token: "t1".into(),
        },
        DAY0,
    );
    // Silent loss: last heartbeat at DAY0, noticed 400 s later.
    s.handle(
        Input::ConnectionLost {
            device: phone.clone(),
            last_contact: Some(DAY0),
        },
        DAY0.plus_ms(400_000),
    );
    let week = 7 * 86_400_000;
    let send = |s: &mut Server, at: i64| {
        let id = (at / 1_000) as u32;
        let msg = Message::text(id, "alice", Conversation::User("bob".into()), "hi");
        s.handle(
            Input::Api(ApiRequest::Send(Box::new(msg))),
            DAY0.plus_ms(at),
        )
    };
    let pushed = |out: &[Output]| out.iter().any(|o| matches!(o, Output::Push(_)));
    assert!(pushed(&send(&mut s, week - 1_000)));
    // Seven days after the last contact, though not yet after the detection.
    assert!(!pushed(&send(&mut s, week + 100_000)));
}

#[test]
fn msg_02_a_non_member_post_to_a_group_is_rejected_and_reaches_nobody() {
    check(
        &format!("{BOB_KILLED} gsend carol g1 hi\n gsend alice g1 hello\n login bob/phone last=0"),
        "sync bob/phone []
         rejected MSG-02
         bob/phone m2 push DNDX-05 job=1 t1 badge=1
         sync bob/phone [m2]",
    );
}

#[test]
fn tok_02_tok_03_bind_needs_login_and_a_known_cert() {
    check(
        "bind bob/phone fcm-prod t1\n login bob/phone\n bind bob/phone nope t1\n kill bob/phone\n send alice bob a",
        "rejected TOK-02
         sync bob/phone []
         rejected TOK-03
         bob/phone m1 no TOK-01 no push binding",
    );
}

#[test]
fn tok_04_rebind_replaces_the_token() {
    check(
        &format!("{BOB_KILLED} login bob/phone\n bind bob/phone fcm-prod t9\n kill bob/phone\n send alice bob a"),
        "sync bob/phone []
         sync bob/phone []
         bob/phone m1 push DNDX-05 job=1 t9 badge=1",
    );
}

#[test]
fn tok_05_a_14_same_token_bound_by_another_user_leaves_the_old_user() {
    check(
        &format!("{BOB_KILLED} login carol/phone\n bind carol/phone fcm-prod t1\n kill carol/phone\n send alice bob a\n send alice carol b"),
        "sync bob/phone []
         sync carol/phone []
         unbound bob/phone TOK-05
         bob/phone m1 no TOK-05 token taken by another user: no binding
         carol/phone m2 push DNDX-05 job=1 t1 badge=1",
    );
}

#[test]
fn tok_06_logout_unbind_true_stops_push_and_false_keeps_it() {
    check(
        &format!("{BOB_KILLED} login bob/phone\n logout bob/phone keep\n send alice bob a\n login bob/phone\n logout bob/phone unbind\n send alice bob b"),
        "sync bob/phone []
         sync bob/phone []
         logged-out bob/phone unbound=false
         bob/phone m1 push DNDX-05 job=1 t1 badge=1
         sync bob/phone [m1]
         unbound bob/phone TOK-06
         logged-out bob/phone unbound=true
         bob/phone m2 no TOK-06 logged out with unbind: no binding",
    );
}

#[test]
fn tok_06_logout_without_argument_takes_the_profile_default() {
    let p = Profile {
        logout_unbind_default: false,
        ..Profile::easemob()
    };
    check_with(
        p,
        &format!("{BOB_KILLED} login bob/phone\n logout bob/phone"),
        "sync bob/phone []\n sync bob/phone []\n logged-out bob/phone unbound=false",
    );
    check(&format!("{BOB_KILLED} login bob/phone\n logout bob/phone"), "sync bob/phone []\n sync bob/phone []\n unbound bob/phone TOK-06\n logged-out bob/phone unbound=true");
}

#[test]
fn tok_07_unregister_removes_the_binding() {
    check(
        &format!("{BOB_KILLED} unregister bob/phone\n send alice bob a"),
        "sync bob/phone []
         unbound bob/phone TOK-07
         bob/phone m1 no TOK-07 unregistered: no binding",
    );
}

#[test]
fn tok_08_invalid_token_feedback_unbinds_and_rebind_restores() {
    check(
        &format!("{BOB_KILLED} send alice bob a\n invalid 1\n invalid 1\n send alice bob b\n login bob/phone\n bind bob/phone fcm-prod t2\n kill bob/phone\n send alice bob c"),
        "sync bob/phone []
         bob/phone m1 push DNDX-05 job=1 t1 badge=1
         unbound bob/phone TOK-08
         bob/phone m2 no TOK-08 token reported invalid by the vendor: no binding
         sync bob/phone [m1,m2]
         bob/phone m3 push DNDX-05 job=2 t2 badge=1",
    );
}

#[test]
fn dndw_01_out_of_range_window_is_rejected_and_dndw_07_conversation_window_too() {
    check(
        &format!("{BOB_KILLED} window bob 24:00-07:00\n window bob group:g1 22:00-07:00\n send alice bob a"),
        "sync bob/phone []
         rejected DNDW-01
         rejected DNDW-07
         bob/phone m1 push…",
    );
}

#[test]
fn dndw_08_empty_window_clears() {
    check(
        &format!("{BOB_KILLED} window bob 00:00-00:00\n send alice bob a\n window bob\n send alice bob b"),
        "sync bob/phone []
         bob/phone m1 no DNDW-03…
         bob/phone m2 push…",
    );
}

#[test]
fn dndw_03_d_11_native_profile_turns_midnight_window_off() {
    check_with(
        Profile::easemob_native(),
        &format!("{BOB_KILLED} window bob 00:00-00:00\n at 10:00\n send alice bob a"),
        "sync bob/phone []\n bob/phone m1 push…",
    );
}

#[test]
fn dndd_01_out_of_range_duration_rejected_previous_value_kept() {
    check(
        &format!("{BOB_KILLED} at 10:00\n dur bob 3600000\n dur bob 604800001\n at 10:30\n send alice bob a\n at 11:00\n send alice bob b"),
        "sync bob/phone []
         rejected DNDD-01
         bob/phone m1 no DNDD-03 app DND duration until 2026-03-01T11:00:00+08:00
         bob/phone m2 push…",
    );
}

#[test]
fn dndd_02_a_09_zero_clears_and_dndd_05_new_duration_replaces() {
    check(
        &format!("{BOB_KILLED} at 10:00\n dur bob 3600000\n at 10:30\n dur bob 0\n at 10:31\n send alice bob a\n dur bob 60000\n at 10:32\n send alice bob b"),
        "sync bob/phone []
         bob/phone m1 push…
         bob/phone m2 push…",
    );
}

#[test]
fn dndd_04_e_13_conversation_duration_mutes_only_that_group() {
    check(
        &format!("{BOB_KILLED} dur bob group:g1 3600000\n gsend alice g1 x\n send alice bob y"),
        "sync bob/phone []
         bob/phone m1 no DNDD-03 group:g1 DND duration…
         bob/phone m2 push…",
    );
}

#[test]
fn dndd_01_native_profile_takes_minutes() {
    check_with(
        Profile::easemob_native(),
        &format!("{BOB_KILLED} at 10:00\n dur bob 10081\n dur bob 60\n at 10:59\n send alice bob a\n at 11:00\n send alice bob b"),
        "sync bob/phone []
         rejected DNDD-01
         bob/phone m1 no DNDD-03…
         bob/phone m2 push…",
    );
}

#[test]
fn msg_02_e_37_group_members_each_decided_sender_never_pushed() {
    check(
        "login alice/phone\n bind alice/phone fcm-prod ta\n kill alice/phone
         login vera/phone\n bind vera/phone fcm-prod tv\n remind vera group:g1 NONE
         login bob/phone\n bind bob/phone fcm-prod tb\n kill bob/phone
         gsend alice g1 hello",
        "sync alice/phone []
         sync vera/phone []
         sync bob/phone []
         alice/phone m1 no PRS-10…
         bob/phone m1 push DNDX-05 job=1 tb badge=1
         deliver vera/phone m1
         vera/phone m1 no PRS-02…",
    );
}

#[test]
fn msg_06_rt_05_e_17_at_pushes_only_the_mentioned() {
    check(
        "login bob/phone\n bind bob/phone fcm-prod tb\n kill bob/phone\n login vera/phone\n bind vera/phone fcm-prod tv\n kill vera/phone
         remind bob AT\n remind vera AT\n mention vera,carol\n gsend alice g1 hi",
        "sync bob/phone []
         sync vera/phone []
         bob/phone m1 no RT-05 remind type AT (app) and not mentioned
         vera/phone m1 push DNDX-05 job=1 tv badge=1",
    );
}

#[test]
fn rt_04_clear_conversation_remind_inherits_app() {
    check(
        &format!("{BOB_KILLED} remind bob NONE\n remind bob user:alice ALL\n send alice bob a\n clear bob user:alice\n send alice bob b"),
        "sync bob/phone []
         bob/phone m1 push…
         bob/phone m2 no RT-05 remind type NONE (app)",
    );
}

#[test]
fn msg_09_e_21_force_push_through_window_and_none() {
    check(
        &format!("{BOB_KILLED} window bob 00:00-00:00\n remind bob NONE\n force\n send alice bob a\n send alice bob b"),
        "sync bob/phone []
         bob/phone m1 push MSG-09 job=1 t1 badge=1
         bob/phone m2 no DNDW-03…",
    );
}

#[test]
fn msg_08_msg_10_a_17_silent_control_and_chat_room_are_not_pushed() {
    check(
        &format!("{BOB_KILLED} silent\n send alice bob a\n control\n send alice bob b\n roomsend alice g1 c\n login bob/phone last=0"),
        "sync bob/phone []
         bob/phone m1 no MSG-08…
         bob/phone m2 no MSG-10…
         bob/phone m3 no MSG-03…
         sync bob/phone [m1,m2]",
    );
}

#[test]
fn prs_09_tencent_push_online_lasts_seven_days_after_last_contact() {
    check_with(
        Profile::tencent(),
        &format!("{BOB_KILLED} at +6d 09:00\n send alice bob a\n at +8d 09:00\n send alice bob b"),
        "sync bob/phone []
         bob/phone m1 push DNDX-05 job=1 t1 badge=1
         bob/phone m2 no PRS-09…",
    );
    // The reference keeps pushing (push_online_ttl_days: 0).
    check(
        &format!("{BOB_KILLED} at +30d 09:00\n send alice bob a"),
        "sync bob/phone []
         bob/phone m1 push DNDX-05 job=1 t1 badge=1",
    );
}

/// Found by tests/properties.rs: a kicked device that then logs out with
/// `unbind: false` must stay unpushable (its binding is suspended, A-21).
#[test]
fn a_21_logout_of_a_kicked_device_does_not_wake_its_binding() {
    let mut p = Profile::easemob();
    p.max_per_platform = 1;
    check_with(
        p,
        "login bob/phone\nbind bob/phone fcm-prod t1\nkill bob/phone\n login bob/pad\n logout bob/phone keep\n send alice bob a",
        "sync bob/phone []
         kick bob/phone by bob/pad
         sync bob/pad []
         logged-out bob/phone unbound=false
         deliver bob/pad m1
         bob/pad m1 no PRS-02…
         bob/phone m1 no MDV-05…",
    );
}

#[test]
fn msg_11_online_only_messages_are_never_pushed_nor_stored() {
    check(
        &format!("{BOB_KILLED} online_only\n send alice bob a\n send alice bob b\n login bob/phone last=0"),
        "sync bob/phone []
         bob/phone m1 no MSG-11…
         bob/phone m2 push DNDX-05 job=1 t1 badge=1
         sync bob/phone [m2]",
    );
}

#[test]
fn bdg_06_badge_counts_pushes_per_user_and_resets_on_login() {
    check(
        &format!("{BOB_KILLED} login bob/pad ios\n bind bob/pad hw-prod t2\n kill bob/pad\n send alice bob a\n window bob 00:00-00:00\n send alice bob b\n window bob\n send alice bob c\n login bob/phone\n kill bob/phone\n send alice bob d"),
        "sync bob/phone []
         sync bob/pad []
         bob/pad m1 push DNDX-05 job=1 t2 badge=1
         bob/phone m1 push DNDX-05 job=2 t1 badge=1
         bob/pad m2 no DNDW-03…
         bob/phone m2 no DNDW-03…
         bob/pad m3 push DNDX-05 job=3 t2 badge=2
         bob/phone m3 push DNDX-05 job=4 t1 badge=2
         sync bob/phone [m1,m2,m3]
         bob/pad m4 push DNDX-05 job=5 t2 badge=1
         bob/phone m4 push DNDX-05 job=6 t1 badge=1",
    );
}

#[test]
fn cnt_05_push_carries_translation_and_payload() {
    let mut s = Server::new(config(Profile::easemob()));
    let t = DAY0;
    for i in [
        Input::Login {
            device: key("bob/phone"),
            platform: Platform::Android,
            last_seen: None,
        },
        Input::BindToken {
            device: key("bob/phone"),
            cert: "fcm-prod".into(),
            token: "t1".into(),
        },
        Input::ConnectionLost {
            device: key("bob/phone"),
            last_contact: None,
        },
        Input::Api(ApiRequest::SetLanguage {
            user: "bob".into(),
            language: Some("en".into()),
        }),
    ] {
        s.handle(i, t);
    }
    let mut m = Message::text(1, "alice", Conversation::Group("g1".into()), "你好");
    m.translations.insert("en".into(), "hello".into());
    let out = s.handle(Input::Api(ApiRequest::Send(Box::new(m))), t);
    let Some(Output::Push(job)) = out.iter().find(|o| matches!(o, Output::Push(_))) else {
        panic!("{out:?}")
    };
    assert_eq!(
        (
            job.notification.title.as_str(),
            job.notification.body.as_str()
        ),
        ("g1", "hello")
    );
    assert_eq!(
        job.notification.payload.get("g").map(String::as_str),
        Some("g1")
    );
    assert_eq!(job.vendor, Vendor::Fcm);
}

#[test]
fn login_of_unknown_user_is_rejected() {
    check("login zed/phone", "login-rejected zed/phone");
}

// ---- issue 4: settings reads, call invites, profile differences -------------

#[test]
fn nq_03_e_43_app_read_returns_absolute_expiry_then_nothing() {
    check(
        "at 10:00\n remind bob AT\n dur bob 3600000\n at 10:30\n get bob\n at 11:30\n get bob",
        "settings bob {remind=AT expiry=2026-03-01T11:00:00+08:00}
         settings bob {remind=AT}",
    );
}

#[test]
fn nq_01_nq_02_batch_read_omits_inherited_and_expired_and_rejects_21() {
    check(
        "at 10:00\n remind bob group:g1 NONE\n dur bob user:alice 60000\n dur bob group:g2 60000\n remind bob group:g2 AT
         at 10:05\n getmany bob group:g1,user:alice,user:carol,group:g2,group:g1
         get bob user:alice\n get bob user:carol",
        "settings bob group:g1 {remind=NONE}, group:g2 {remind=AT}
         settings bob {}
         settings bob {}",
    );
    let many: Vec<String> = (0..21).map(|i| format!("user:u{i}")).collect();
    check(&format!("getmany bob {}", many.join(",")), "rejected NQ-01");
    // Duplicates collapse before counting: 21 entries, 20 distinct.
    let mut dup: Vec<String> = (0..20).map(|i| format!("user:u{i}")).collect();
    dup.push("user:u0".into());
    check(
        &format!("getmany bob {}", dup.join(",")),
        "settings bob none listed",
    );
}

#[test]
fn a_17_chat_room_settings_are_stored_and_read_but_never_push() {
    check(
        &format!("{BOB_KILLED} remind bob room:r1 ALL\n get bob room:r1\n roomsend alice r1 hi"),
        "sync bob/phone []
         settings bob {remind=ALL}",
    );
}

#[test]
fn msg_04_dlv_05_e_35_call_invite_pushed_once_and_delivered_only_while_active() {
    check(
        &format!(
            "{BOB_KILLED} at 10:00\n call 90\n send alice bob ring1\n at 10:01\n login bob/phone\n kill bob/phone
             at 11:00\n call 90\n send alice bob ring2\n at 11:02\n login bob/phone"
        ),
        "sync bob/phone []
         bob/phone m1 push DNDX-05 job=1 t1 badge=1
         sync bob/phone [m1]
         bob/phone m2 push DNDX-05 job=2 t1 badge=1
         sync bob/phone []",
    );
}

#[test]
fn msg_05_d_15_tencent_custom_message_needs_desc_easemob_does_not() {
    let script =
        format!("{BOB_KILLED} custom\n send alice bob a\n custom\n desc order\n send alice bob b");
    check_with(
        Profile::tencent(),
        &script,
        "sync bob/phone []
         bob/phone m1 no MSG-05 custom message without desc
         bob/phone m2 push DNDX-05 job=1 t1 badge=1",
    );
    check(
        &script,
        "sync bob/phone []
         bob/phone m1 push DNDX-05 job=1 t1 badge=1
         bob/phone m2 push DNDX-05 job=2 t1 badge=2",
    );
}

#[test]
fn prs_04_bdg_02_d_02_e_29_tencent_do_background_pushes_from_the_baseline() {
    let script = "login bob/phone\n bind bob/phone fcm-prod t1\n bgb bob/phone 5
        send alice bob a\n send alice bob b\n fg bob/phone\n send alice bob c";
    check_with(
        Profile::tencent(),
        script,
        "sync bob/phone []
         deliver bob/phone m1
         bob/phone m1 push DNDX-05 job=1 t1 badge=6
         deliver bob/phone m2
         bob/phone m2 push DNDX-05 job=2 t1 badge=7
         deliver bob/phone m3
         bob/phone m3 no PRS-02…",
    );
    check(
        script,
        "sync bob/phone []
         deliver bob/phone m1
         bob/phone m1 no PRS-03…
         deliver bob/phone m2
         bob/phone m2 no PRS-03…
         deliver bob/phone m3
         bob/phone m3 no PRS-02…",
    );
}

#[test]
fn a_06_d_13_tencent_badge_survives_login_easemob_resets() {
    let script = format!(
        "{BOB_KILLED} send alice bob a\n login bob/phone\n kill bob/phone\n send alice bob b"
    );
    check_with(
        Profile::tencent(),
        &script,
        "sync bob/phone []
         bob/phone m1 push DNDX-05 job=1 t1 badge=1
         sync bob/phone [m1]
         bob/phone m2 push DNDX-05 job=2 t1 badge=2",
    );
    check(
        &script,
        "sync bob/phone []
         bob/phone m1 push DNDX-05 job=1 t1 badge=1
         sync bob/phone [m1]
         bob/phone m2 push DNDX-05 job=2 t1 badge=1",
    );
}

#[test]
fn tok_06_d_06_tencent_and_zego_logout_always_unbinds() {
    for p in [Profile::tencent(), Profile::zego()] {
        check_with(
            p,
            "login bob/phone\n bind bob/phone fcm-prod t1\n logout bob/phone keep\n send alice bob a",
            "sync bob/phone []
             unbound bob/phone TOK-06
             logged-out bob/phone unbound=true
             bob/phone m1 no TOK-06 logged out with unbind: no binding",
        );
    }
}

#[test]
fn dndx_04_d_09_tencent_mention_pierces_dnd_easemob_does_not() {
    let script = format!("{BOB_KILLED} window bob 00:00-23:59\n mention bob\n gsend alice g1 hey");
    check_with(
        Profile::tencent(),
        &script,
        "sync bob/phone []
         bob/phone m1 push DNDX-05 job=1 t1 badge=1",
    );
    check(
        &script,
        "sync bob/phone []
         bob/phone m1 no DNDW-02…",
    );
}

#[test]
fn dndd_01_d_12_tencent_takes_seconds() {
    check_with(
        Profile::tencent(),
        "dur bob 604801\n dur bob 3600\n get bob",
        "rejected DNDD-01
         settings bob {expiry=2026-03-01T01:00:00+08:00}",
    );
}

#[test]
fn mdv_04_d_22_zego_single_device_login_kicks_any_platform() {
    check_with(
        Profile::zego(),
        "login bob/phone\n login bob/web web",
        "sync bob/phone []
         kick bob/phone by bob/web
         sync bob/web []",
    );
}

#[test]
fn a_01_d_20_user_zone_or_app_zone_by_profile() {
    // vera lives in New York; 23:00 in Shanghai is 10:00 in New York.
    let mut cfg = config(Profile::easemob());
    cfg.users.insert(
        "vera".into(),
        Some(Zone::parse("America/New_York").unwrap()),
    );
    let run_one = |profile: Profile| {
        let mut c = cfg.clone();
        c.profile = profile;
        let mut s = Server::new(c);
        let t = DAY0.plus_ms(23 * 3_600_000);
        for i in [
            Input::Login {
                device: key("vera/phone"),
                platform: Platform::Android,
                last_seen: None,
            },
            Input::BindToken {
                device: key("vera/phone"),
                cert: "fcm-prod".into(),
                token: "t".into(),
            },
            Input::ConnectionLost {
                device: key("vera/phone"),
                last_contact: None,
            },
            Input::Api(ApiRequest::SetDnd {
                user: "vera".into(),
                conversation: None,
                window: Some("22:00-07:00".into()),
                duration: None,
            }),
        ] {
            s.handle(i, t);
        }
        let m = Message::text(1, "alice", Conversation::User("vera".into()), "hi");
        s.handle(Input::Api(ApiRequest::Send(Box::new(m))), t)
            .iter()
            .any(|o| matches!(o, Output::Push(_)))
    };
    assert!(
        run_one(Profile::easemob()),
        "user zone: 10:00 in New York, outside the window"
    );
    let app_zone = Profile {
        timezone: crate::core::profile::TimezoneSource::App,
        ..Profile::easemob()
    };
    assert!(
        !run_one(app_zone),
        "app zone: 23:00 in Shanghai, inside the window"
    );
}

#[test]
fn dlv_05_a_02_call_invite_end_is_exclusive() {
    let mut s = Server::new(config(Profile::easemob()));
    let bob = key("bob/phone");
    let login = |s: &mut Server, t: SimTime| {
        s.handle(
            Input::Login {
                device: bob.clone(),
                platform: Platform::Android,
                last_seen: None,
            },
            t,
        )
    };
    login(&mut s, DAY0);
    s.handle(
        Input::ConnectionLost {
            device: bob.clone(),
            last_contact: None,
        },
        DAY0,
    );
    let mut m = Message::text(1, "alice", Conversation::User("bob".into()), "ring");
    m.kind = MsgKind::CallInvite;
    m.call_timeout_s = Some(30);
    s.handle(Input::Api(ApiRequest::Send(Box::new(m))), DAY0);
    let synced = |out: Vec<Output>| {
        out.iter()
            .find_map(|o| match o {
                Output::Sync { msgs, .. } => Some(msgs.len()),
                _ => None,
            })
            .unwrap()
    };
    assert_eq!(synced(login(&mut s.clone(), DAY0.plus_ms(29_999))), 1);
    assert_eq!(synced(login(&mut s, DAY0.plus_ms(30_000))), 0);
}
