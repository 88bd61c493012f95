//! Loader tests: one per error class with the exact line users see, plus the
//! `at` rules, profile knobs and defaults.

use super::plan::{Action, ExpectKind};
use super::*;
use crate::core::io::ApiRequest;
use crate::core::model::{Conversation, DeviceKey, Mentions, Platform, Vendor};
use crate::core::profile::{MultiPolicy, WindowEqualMeans};
use crate::core::time::{SimTime, Zone};

const HEAD: &str = "\
name: t
about: test
rules: [DNDW-04]
start: 2026-03-01T21:00:00+08:00
users:
  alice: {}
  bob:
    devices:
      phone: { vendor: huawei }
      pad: { platform: ios, cert: apns-ish }
groups:
  g1: [alice, bob]
";

/// Loads `HEAD` + `rest` and returns the plan.
fn ok(rest: &str) -> Plan {
    let text = format!("{HEAD}{rest}");
    load_str("scenarios/t.yaml", &text).unwrap_or_else(|d| panic!("{}", render(&d)))
}

/// Loads `text` and returns every diagnostic as users see it.
fn errs(text: &str) -> String {
    match load_str("t.yaml", text) {
        Ok(_) => panic!("loaded"),
        Err(d) => render(&d),
    }
}

/// Like `errs`, with `HEAD` in front (it has 12 lines, so `rest` starts on line 13).
fn errs_after_head(rest: &str) -> String {
    errs(&format!("{HEAD}{rest}"))
}

fn render(d: &[Diagnostic]) -> String {
    d.iter()
        .map(|d| d.to_string())
        .collect::<Vec<_>>()
        .join("\n")
}

fn t(s: &str) -> SimTime {
    super::at::parse_instant(s).unwrap()
}

#[test]
fn design_example_loads_and_resolves_times() {
    let plan = load_file(std::path::Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/scenarios/dnd/window_crosses_midnight.yaml"
    )))
    .unwrap_or_else(|d| panic!("{}", render(&d)));
    assert_eq!(plan.id, "dnd__window_crosses_midnight");
    let ats: Vec<String> = plan
        .steps
        .iter()
        .map(|s| plan.display_zone.format(s.at))
        .collect();
    assert_eq!(
        ats,
        [
            "2026-03-01T21:00:00+08:00",
            "2026-03-01T21:01:00+08:00",
            "2026-03-01T21:02:00+08:00",
            "2026-03-01T23:59:00+08:00",
            "2026-03-02T06:59:00+08:00",
            "2026-03-02T07:00:00+08:00",
        ]
    );
    let ExpectKind::Push { filter, .. } = &plan.expect[2].kind else {
        panic!()
    };
    assert_eq!(filter.at, Some(t("2026-03-02T07:00:00+08:00")));
    assert_eq!(plan.expect[2].line, 40);
    assert_eq!(plan.steps[3].line, 30);
    assert_eq!(plan.server.app_zone, Zone::parse("Asia/Shanghai").unwrap());
}

#[test]
fn every_corpus_file_loads() {
    let root = std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios"));
    let mut stack = vec![root.to_path_buf()];
    let mut bad = Vec::new();
    while let Some(dir) = stack.pop() {
        for e in std::fs::read_dir(&dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "yaml") {
                if let Err(d) = load_file(&p) {
                    bad.push(render(&d));
                }
            }
        }
    }
    assert!(bad.is_empty(), "{}", bad.join("\n"));
}

#[test]
fn defaults_token_implicit_cert_zone_seed_tick() {
    let plan = ok("steps:\n  - at: \"21:00\"\n    login: bob/phone\n");
    assert_eq!(plan.id, "t");
    assert_eq!((plan.seed, plan.tick_ms), (1, 10));
    assert_eq!(plan.server.profile.name, "easemob");
    assert_eq!(plan.server.app_zone, Zone::parse("+08:00").unwrap());
    assert_eq!(plan.display_zone, Zone::parse("+08:00").unwrap());
    assert_eq!(plan.server.users.get("bob"), Some(&None));
    // Sorted by key: bob/pad before bob/phone.
    let pad = &plan.devices[0];
    assert_eq!(
        (pad.key.to_string(), pad.platform, pad.cert.as_deref()),
        ("bob/pad".into(), Platform::Ios, Some("apns-ish"))
    );
    let phone = &plan.devices[1];
    assert_eq!(phone.token, "tok-bob-phone");
    assert_eq!(phone.cert.as_deref(), Some("huawei"));
    assert!(phone.auto_bind);
    assert_eq!(plan.server.certs.get("huawei"), Some(&Vendor::Huawei));
    assert_eq!(plan.server.groups.get("g1").map(Vec::len), Some(2));
}

#[test]
fn device_takes_the_apps_only_cert_of_its_vendor() {
    let text = "name: t\nabout: a\nrules: [A-01]\nstart: 2026-03-01T21:00:00Z\napp:\n  certs: { hw-prod: { vendor: huawei } }\nusers:\n  bob:\n    devices:\n      phone: { vendor: huawei }\n      web: { platform: web }\n";
    let plan = load_str("x.yaml", text).unwrap();
    assert_eq!(plan.devices[0].cert.as_deref(), Some("hw-prod"));
    assert_eq!(plan.devices[1].cert, None);
    assert_eq!(plan.server.certs.len(), 1);
}

#[test]
fn plan_ids_come_from_the_path_under_scenarios() {
    assert_eq!(plan_id("scenarios/dnd/x.yaml"), "dnd__x");
    assert_eq!(
        plan_id("/a/scenarios/b/scenarios/dnd/deep/x.yml"),
        "dnd__deep__x"
    );
    assert_eq!(plan_id("elsewhere/x.yaml"), "x");
    assert_eq!(
        plan_id_of_path(std::path::Path::new("./scenarios/a/b.yaml")),
        "a__b"
    );
}

#[test]
fn at_clock_relative_rfc3339_and_same_time_order() {
    let plan = ok("\
steps:
  - at: \"23:00\"
    login: bob/phone
  - at: \"+30s\"
    kill: bob/phone
  - at: \"01:00\"
    wait: true
  - at: \"+1h30m\"
    wait: true
  - at: 2026-03-02T02:30:00+08:00
    wait: true
  - at: \"+1d\"
    restart: bob/phone
");
    let ats: Vec<SimTime> = plan.steps.iter().map(|s| s.at).collect();
    assert_eq!(
        ats,
        [
            t("2026-03-01T23:00:00+08:00"),
            t("2026-03-01T23:00:30+08:00"),
            t("2026-03-02T01:00:00+08:00"),
            t("2026-03-02T02:30:00+08:00"),
            t("2026-03-02T02:30:00+08:00"),
            t("2026-03-03T02:30:00+08:00"),
            t("2026-03-03T02:30:00+08:00"),
        ]
    );
    // `restart` is a kill then a login at the same instant, in that order.
    assert!(matches!(plan.steps[5].action, Action::Kill(_)));
    assert!(matches!(plan.steps[6].action, Action::Login(_)));
    let seqs: Vec<u32> = plan.steps.iter().map(|s| s.seq).collect();
    assert_eq!(seqs, [0, 1, 2, 3, 4, 5, 6]);
}

#[test]
fn at_backwards_is_an_error() {
    assert_eq!(
        errs_after_head("steps:\n  - at: \"23:00\"\n    wait: true\n  - at: 2026-03-01T22:00:00+08:00\n    wait: true\n"),
        "t.yaml:16:9: error: steps[1].at: `2026-03-01T22:00:00+08:00` goes backwards: 2026-03-01T22:00:00+08:00 is before the previous step (2026-03-01T23:00:00+08:00)\n  help: steps are in time order; use a later time or move the step"
    );
    assert_eq!(
        errs_after_head("steps:\n  - at: 2026-03-01T20:00:00+08:00\n    wait: true\n"),
        "t.yaml:14:9: error: steps[0].at: `2026-03-01T20:00:00+08:00` goes backwards: 2026-03-01T20:00:00+08:00 is before start (2026-03-01T21:00:00+08:00)\n  help: steps are in time order; use a later time or move the step"
    );
}

#[test]
fn at_unparsable_is_an_error() {
    let e = errs_after_head("steps:\n  - at: \"25:00\"\n    wait: true\n");
    assert!(
        e.starts_with(
            "t.yaml:14:9: error: steps[0].at: cannot read `25:00`: hour 25 is out of range (00–23)\n  help: expected a clock time"
        ),
        "{e}"
    );
}

#[test]
fn expectation_clock_time_must_be_unambiguous() {
    let steps = "steps:\n  - at: \"21:00\"\n    send: { from: alice, to: bob, text: hi }\n  - at: \"+1d\"\n    wait: true\n";
    let e = errs_after_head(&format!(
        "{steps}expect:\n  - push: {{ text: hi, at: \"21:00\" }}\n"
    ));
    assert_eq!(
        e,
        "t.yaml:19:27: error: expect[0].push.at: `21:00` is ambiguous: it occurs at 2026-03-01T21:00:00+08:00 and at 2026-03-02T21:00:00+08:00 during the scenario\n  help: write the full time, e.g. `at: \"2026-03-02T21:00:00+08:00\"`"
    );
    // Relative expectation times count from start.
    let plan = ok(&format!(
        "{steps}expect:\n  - push: {{ text: hi, at: \"+0s\" }}\n"
    ));
    let ExpectKind::Push { filter, .. } = &plan.expect[0].kind else {
        panic!()
    };
    assert_eq!(filter.at, Some(t("2026-03-01T21:00:00+08:00")));
}

#[test]
fn yaml_syntax_error_has_a_position() {
    let e = errs("name: t\nabout: [a\nrules: []\n");
    assert!(e.starts_with("t.yaml:3:"), "{e}");
    assert!(e.contains(": error: YAML syntax: "), "{e}");
    assert!(
        e.contains("help: look at this line and the one before"),
        "{e}"
    );
    // A tab in the indentation is named with its line (issue 11).
    let e = errs("name: t\nabout: t\n\tstart: x\n");
    assert!(e.contains("help: line 3 is indented with a tab"), "{e}");
}

#[test]
fn unknown_keys_at_every_level_with_suggestions() {
    assert_eq!(
        errs_after_head("sed: 3\n"),
        "t.yaml:13:1: error: unknown key `sed`\n  help: did you mean `seed`?"
    );
    assert_eq!(
        errs_after_head("steps:\n  - at: \"21:00\"\n    send: { from: alice, to: bob, txt: hi }\n"),
        "t.yaml:15:35: error: steps[0].send: unknown key `txt`\n  help: did you mean `text`?"
    );
}

#[test]
fn a_misspelt_section_gets_a_suggestion_and_no_follow_on_errors() {
    // Issue 11: `stpes` got no did-you-mean (a swap is two Levenshtein edits)
    // and the expectations then failed for want of the steps.
    assert_eq!(
        errs_after_head(
            "stpes:\n  - at: \"21:00\"\n    send: { from: alice, to: bob, text: hi }\nexpect:\n  - push: { device: bob/phone, text: hi }\n"
        ),
        "t.yaml:13:1: error: unknown key `stpes`\n  help: did you mean `steps`?"
    );
}

#[test]
fn a_key_in_the_wrong_place_says_where_it_goes() {
    let e = errs_after_head(
        "steps:\n  - at: \"21:00\"\n    send: { from: alice, group: g1, text: hi }\n",
    );
    assert!(
        e.contains("unknown key `group`") && e.contains("to: { group: g1 }"),
        "{e}"
    );
    let e = errs_after_head(
        "steps:\n  - at: \"21:00\"\n    vendor_fault: { vendor: fcm, fault: invalid_token }\n",
    );
    assert!(
        e.contains("unknown fault `invalid_token`") && e.contains("invalidate_token: { device:"),
        "{e}"
    );
    // A `knobs:` section beside `profile:` (how other tools spell overrides).
    let e = errs(&HEAD.replace("start:", "knobs: { badge.model: unread_rooms }\nstart:"));
    assert!(
        e.contains("unknown key `knobs`") && e.contains("profile: { base: matrix, badge.model:"),
        "{e}"
    );
}

#[test]
fn structural_errors_in_several_steps_are_all_reported() {
    let e = errs_after_head(
        "steps:\n  - at: \"21:00\"\n    lgin: bob/phone\n  - at: \"21:01\"\n    login: bob/phone\n  - at: 5\n    wait: yes\n",
    );
    assert_eq!(
        e,
        "t.yaml:15:5: error: steps[0]: unknown key `lgin`\n  help: did you mean `login`?\n\
         t.yaml:19:11: error: steps[2].wait: invalid type: string \"yes\", expected a boolean"
    );
}

#[test]
fn wrong_types_name_the_key_and_expectation() {
    assert_eq!(
        errs_after_head("seed: many\n"),
        "t.yaml:13:7: error: seed: invalid type: string \"many\", expected u64"
    );
    assert_eq!(
        errs_after_head("steps:\n  - at: \"21:00\"\n    send: { from: alice, to: [bob], text: hi }\n"),
        "t.yaml:15:30: error: steps[0].send.to: invalid type: sequence, expected a name or a mapping"
    );
    assert_eq!(
        errs_after_head("steps:\n  - at: \"21:00\"\n    set_dnd: { user: bob, window: [1] }\n"),
        "t.yaml:15:35: error: steps[0].set_dnd.window: invalid type: sequence, expected a string"
    );
}

#[test]
fn missing_required_keys() {
    assert_eq!(
        errs("name: t\nrules: [A-01]\nstart: 2026-03-01T21:00:00Z\n"),
        "t.yaml:1:1: error: missing key `about`"
    );
    assert_eq!(
        errs_after_head("steps:\n  - login: bob/phone\n"),
        "t.yaml:14:5: error: steps[0]: missing key `at`"
    );
}

#[test]
fn duplicate_keys_are_errors() {
    assert_eq!(
        errs_after_head("seed: 1\nseed: 2\n"),
        "t.yaml:14:1: error: duplicate key `seed` (first given on line 13)\n  help: each key may appear once in a mapping"
    );
}

#[test]
fn undeclared_user_device_group_all_reported_with_help() {
    let e = errs_after_head(
        "steps:\n  - at: \"21:00\"\n    login: bob/phon\n  - at: \"21:01\"\n    send: { from: carol, to: bob, text: hi }\n  - at: \"21:02\"\n    send: { from: alice, to: { group: g2 }, text: hi }\n  - at: \"21:03\"\n    kill: bob\n",
    );
    assert_eq!(
        e,
        "t.yaml:15:12: error: steps[0].login: undeclared device `bob/phon`\n  help: did you mean `bob/phone`?\n\
         t.yaml:17:19: error: steps[1].send.from: undeclared user `carol`\n  help: declared users: alice, bob\n\
         t.yaml:19:39: error: steps[2].send.to.group: undeclared group `g2`\n  help: did you mean `g1`?\n\
         t.yaml:21:11: error: steps[3].kill: undeclared device `bob`\n  help: a device is named `user/device`: bob/pad, bob/phone"
    );
}

#[test]
fn unknown_rule_id() {
    let text = HEAD.replace("rules: [DNDW-04]", "rules: [DNDW-04, DNDW-4]");
    assert_eq!(
        errs(&text),
        "t.yaml:3:18: error: rules[1]: unknown rule id `DNDW-4`\n  help: did you mean DNDW-04?"
    );
}

#[test]
fn unknown_profile_and_knob() {
    assert_eq!(
        errs_after_head("profile: easemb\n"),
        "t.yaml:13:10: error: profile: unknown profile `easemb`\n  help: did you mean `easemob`?"
    );
    assert_eq!(
        errs_after_head("profile: { base: easemob, multi.polcy: any_offline, presence.heartbeat_timeout_s: soon }\n"),
        "t.yaml:13:27: error: profile.multi.polcy: unknown profile knob `multi.polcy`\n  help: did you mean `multi.policy`?\n\
         t.yaml:13:83: error: profile.presence.heartbeat_timeout_s: invalid value for `presence.heartbeat_timeout_s`\n  help: expected an integer ≥ 1"
    );
}

#[test]
fn profile_knob_overrides_apply() {
    let plan = ok("profile:\n  base: easemob\n  settings.window_equal_means: midnight_off\n  multi.policy: any_offline\n  presence.heartbeat_timeout_s: 60\n");
    let p = &plan.server.profile;
    assert_eq!(p.window_equal_means, WindowEqualMeans::MidnightOff);
    assert_eq!(p.multi_policy, MultiPolicy::AnyOffline);
    assert_eq!(p.heartbeat_timeout_s, 60);
    let plan = ok("app:\n  multi_device_push: any_offline\n");
    assert_eq!(plan.server.profile.multi_policy, MultiPolicy::AnyOffline);
}

#[test]
fn bad_platform_vendor_remind_type() {
    let text = HEAD.replace(
        "{ platform: ios, cert: apns-ish }",
        "{ platform: iphone, vendor: hauwei }",
    );
    assert_eq!(
        errs(&format!("{text}steps:\n  - at: \"21:00\"\n    set_remind: {{ user: bob, type: SOME }}\n")),
        "t.yaml:10:24: error: users.bob.devices.pad.platform: unknown platform `iphone`\n  help: expected one of: android, ios, ipad, web, windows, mac, linux, mini_program\n\
         t.yaml:10:40: error: users.bob.devices.pad.vendor: unknown vendor `hauwei`\n  help: did you mean `huawei`?\n\
         t.yaml:15:36: error: steps[0].set_remind.type: unknown remind type `SOME`\n  help: expected ALL, AT or NONE"
    );
}

#[test]
fn a_token_invalid_for_zero_sends_is_refused_where_it_is_written() {
    // `count: 0` once reached the mock, where it meant "for good".
    assert_eq!(
        errs_after_head("steps:\n  - at: \"21:00\"\n    invalidate_token: { device: bob/phone, count: 0 }\n"),
        "t.yaml:15:51: error: steps[0].invalidate_token.count: `count` must be at least 1\n  help: leave it out to make the token invalid from now on"
    );
}

#[test]
fn step_with_zero_or_two_actions() {
    assert_eq!(
        errs_after_head("steps:\n  - at: \"21:00\"\n  - at: \"21:01\"\n    login: bob/phone\n    kill: bob/phone\n"),
        "t.yaml:14:5: error: steps[0]: a step needs an action\n  help: actions: login, logout, background, foreground, disconnect, reconnect, kill, restart, bind_token, unregister, set_remind, clear_remind, read, set_dnd, set_language, create_group, send, invalidate_token, vendor_fault, set_push_rule, set_nickname, get_settings, create_template, wait\n\
         t.yaml:17:5: error: steps[1].kill: a step has one action; found `login` and `kill`\n  help: split it into steps with the same `at` (they run in file order)"
    );
}

#[test]
fn expectation_text_must_be_sent() {
    assert_eq!(
        errs_after_head("steps:\n  - at: \"21:00\"\n    send: { from: alice, to: bob, text: wake up }\nexpect:\n  - no_push: { text: wakeup }\n"),
        "t.yaml:17:22: error: expect[0].no_push.text: no step sends \"wakeup\"\n  help: did you mean \"wake up\"?"
    );
}

#[test]
fn window_is_raw_and_durations_convert_to_the_profile_unit() {
    let plan = ok("\
profile: easemob-native
steps:
  - at: \"21:00\"
    set_dnd: { user: bob, window: \"24:00-07:00\", duration: 2h }
    expect: rejected
  - at: \"21:00\"
    set_dnd: { user: bob, conversation: { group: g1 }, duration: 90 }
");
    let Action::Api(ApiRequest::SetDnd {
        window, duration, ..
    }) = &plan.steps[0].action
    else {
        panic!()
    };
    assert_eq!(
        (window.as_deref(), *duration),
        (Some("24:00-07:00"), Some(120))
    );
    assert!(plan.steps[0].expect_rejected);
    let Action::Api(ApiRequest::SetDnd {
        conversation,
        duration,
        ..
    }) = &plan.steps[1].action
    else {
        panic!()
    };
    assert_eq!(
        (conversation, *duration),
        (&Some(Conversation::Group("g1".into())), Some(90))
    );
    assert_eq!(
        errs_after_head("profile: easemob-native\nsteps:\n  - at: \"21:00\"\n    set_dnd: { user: bob, duration: 90s }\n"),
        "t.yaml:16:37: error: steps[0].set_dnd.duration: `90s` is not a whole number of Min (the profile's unit)"
    );
}

#[test]
fn send_lowers_to_a_message_with_sequential_ids() {
    let plan = ok("\
steps:
  - at: \"21:00\"
    send: { from: alice, to: bob, text: one }
  - at: \"21:00\"
    create_group: { group: g2, members: [alice, bob] }
  - at: \"21:01\"
    send:
      from: alice
      to: { group: g2 }
      text: two
      kind: custom
      mentions: [bob]
      force_push: true
      payload: { k: 1 }
      translations: { en: two }
");
    let msgs: Vec<_> = plan
        .steps
        .iter()
        .filter_map(|s| match &s.action {
            Action::Api(ApiRequest::Send(m)) => Some(m),
            _ => None,
        })
        .collect();
    assert_eq!(msgs.iter().map(|m| m.id.0).collect::<Vec<_>>(), [1, 2]);
    assert_eq!(msgs[1].to, Conversation::Group("g2".into()));
    assert_eq!(msgs[1].mentions, Mentions::Users(vec!["bob".into()]));
    assert!(msgs[1].force_push);
    assert_eq!(msgs[1].payload.get("k").map(String::as_str), Some("1"));
}

#[test]
fn device_actions_and_token_invalidation() {
    let plan = ok("\
steps:
  - at: \"21:00\"
    logout: { device: bob/phone, unbind: false }
  - at: \"21:00\"
    background: { device: bob/phone, badge: 5 }
  - at: \"21:00\"
    bind_token: bob/phone
  - at: \"21:00\"
    bind_token: { device: bob/pad, token: t2 }
  - at: \"21:00\"
    invalidate_token: { device: bob/phone }
  - at: \"21:00\"
    invalidate_token: { vendor: fcm, token: x }
");
    let phone = DeviceKey::new("bob", "phone");
    assert!(
        matches!(&plan.steps[0].action, Action::Logout { device, unbind: Some(false) } if *device == phone)
    );
    assert!(matches!(
        &plan.steps[1].action,
        Action::Background { badge: Some(5), .. }
    ));
    assert!(
        matches!(&plan.steps[2].action, Action::BindToken { cert, token, .. } if cert == "huawei" && token == "tok-bob-phone")
    );
    assert!(
        matches!(&plan.steps[3].action, Action::BindToken { cert, token, .. } if cert == "apns-ish" && token == "t2")
    );
    assert!(
        matches!(&plan.steps[4].action, Action::InvalidateToken { vendor: Vendor::Huawei, token, count: None } if token == "tok-bob-phone")
    );
    assert!(matches!(
        &plan.steps[5].action,
        Action::InvalidateToken {
            vendor: Vendor::Fcm,
            ..
        }
    ));
}

#[test]
fn empty_and_non_mapping_files() {
    assert_eq!(
        errs(""),
        "t.yaml:1:1: error: the file is empty\n  help: a scenario is a mapping with at least `name`, `about`, `rules` and `start`"
    );
    assert!(errs("- a\n").starts_with("t.yaml:1:1: error: a scenario must be a mapping"));
}

#[test]
fn version_and_tick_range() {
    assert_eq!(
        errs_after_head("version: 2\ntick_ms: 0\n"),
        "t.yaml:13:10: error: version: unsupported version 2\n  help: only `version: 1` exists\n\
         t.yaml:14:10: error: tick_ms: tick_ms 0 is out of range\n  help: expected 1..=1000"
    );
}

/// Issue 10: `dnd/window__foo.yaml` and `dnd__window/foo.yaml` had one id and
/// shared a snapshot; a `__` in a name under scenarios/ is now an error.
#[test]
fn a_double_underscore_name_that_could_clash_is_refused() {
    for path in [
        "scenarios/dnd/window__foo.yaml",
        "scenarios/dnd__window/foo.yaml",
    ] {
        let d = load_str(path, HEAD).unwrap_err();
        assert!(
            d[0].message.contains("may not contain `__`"),
            "{}",
            render(&d)
        );
        assert!(d[0].help.as_deref().unwrap().contains("dnd__window__foo"));
    }
    assert!(load_str("scenarios/dnd/window_foo.yaml", HEAD).is_ok());
}

/// Issue 10: a 200 KB expectation text matching nothing took minutes (O(n·m)
/// did-you-mean) and the message echoed the whole text.
#[test]
fn a_huge_unmatched_expectation_text_gets_a_short_message_quickly() {
    let big = "y".repeat(200_000);
    let text = format!(
        "{HEAD}steps:\n  - at: \"09:00\"\n    send: {{ from: alice, to: bob, text: \"{}\" }}\nexpect:\n  - no_push: {{ text: \"{big}\" }}\n",
        "x".repeat(200_000)
    );
    let d = load_str("scenarios/t.yaml", &text).unwrap_err();
    let r = render(&d);
    assert!(r.contains("no step sends"), "{r}");
    assert!(
        r.len() < 2_000,
        "the message echoes the text: {} bytes",
        r.len()
    );
}

/// Issue 10: `start: …T21:00:00.5+08:00` made a step at "21:00" run the next
/// day, silently.
#[test]
fn a_start_with_a_fraction_of_a_second_or_past_9000_is_refused() {
    let fractional = HEAD.replace("21:00:00+08:00", "21:00:00.5+08:00");
    let d = load_str("scenarios/t.yaml", &fractional).unwrap_err();
    assert!(
        render(&d).contains("fraction of a second"),
        "{}",
        render(&d)
    );
    let far = HEAD.replace("2026-03-01T21", "9999-03-01T21");
    let d = load_str("scenarios/t.yaml", &far).unwrap_err();
    assert!(render(&d).contains("1970 to 9000"), "{}", render(&d));
}

/// Issue 10: a text over the simulated link's frame was logged "delivered
/// online" and never arrived; a ~1.1 MB one broke the bridge. Refused at load.
#[test]
fn a_text_longer_than_an_im_message_is_refused_at_load() {
    let text = format!(
        "{HEAD}steps:\n  - at: \"09:00\"\n    send: {{ from: alice, to: bob, text: \"{}\" }}\n",
        "x".repeat(70_000)
    );
    let d = load_str("scenarios/t.yaml", &text).unwrap_err();
    assert!(
        render(&d).contains("a text of 70000 bytes; at most 65536"),
        "{}",
        render(&d)
    );
}

/// Issue 10: `alice` and `alice` + U+200B looked identical in every report.
#[test]
fn a_name_with_an_invisible_character_is_refused_and_shown_escaped() {
    let text = HEAD.replace("  alice: {}", "  alice: {}\n  \"alice\\u200b\": {}");
    let d = load_str("scenarios/t.yaml", &text).unwrap_err();
    assert!(
        render(&d).contains("invalid user name `alice\\u200b`"),
        "{}",
        render(&d)
    );
}

/// Issue 10: `text: !!str 42` was refused though the README allows `!!str`;
/// `chatroom: ""` said "expected exactly one of user, group, chatroom".
#[test]
fn a_str_tag_reads_as_text_and_an_empty_chatroom_says_so() {
    let plan =
        ok("steps:\n  - at: \"09:00\"\n    send: { from: alice, to: bob, text: !!str 42 }\n");
    assert_eq!(plan.steps.len(), 1);
    let e = errs_after_head(
        "steps:\n  - at: \"09:00\"\n    send: { from: alice, to: { chatroom: \"\" }, text: hi }\n",
    );
    assert!(e.contains("a chat room needs a name"), "{e}");
}

/// Issue 10: `retry_after: 99999999d` loaded, then `run` reported a harness
/// panic and `explain --timeline` panicked; fault durations are bounded at load.
#[test]
fn a_fault_duration_past_thirty_days_is_a_load_error() {
    let e = errs_after_head(
        "steps:\n  - at: \"09:00\"\n    vendor_fault: { vendor: huawei, fault: rate_limited, retry_after: 99999999d }\n",
    );
    assert!(
        e.contains("retry_after: `99999999d` is longer than a fault can last (30d)"),
        "{e}"
    );
}

/// A clock time is read at the offset of `start`; when the app's zone has
/// changed offset by then (DST began in Berlin on 2026-03-29), the step runs
/// an hour off the wall clock meant: warn, name the instant meant, still load.
#[test]
fn a_clock_time_across_a_dst_change_warns_and_names_the_instant_meant() {
    let text = HEAD
        .replace("2026-03-01T21:00:00+08:00", "2026-03-28T21:00:00+01:00")
        .replace("users:", "app:\n  timezone: Europe/Berlin\nusers:")
        + "steps:\n  - at: \"22:00\"\n    login: bob/phone\n  - at: \"09:00\"\n    kill: bob/phone\n  - at: 2026-03-29T11:00:00+02:00\n    login: bob/phone\n";
    let plan = load_str("scenarios/t.yaml", &text).unwrap_or_else(|d| panic!("{}", render(&d)));
    let warnings = render(&plan.warnings);
    assert_eq!(
        warnings,
        "scenarios/t.yaml:18:9: warning: steps[1].at: `09:00` is read at the offset of `start` (+01:00), but Europe/Berlin is at +02:00 then (a daylight-saving change): the step runs at 10:00 Europe/Berlin time\n  \
         help: write the instant meant, e.g. `2026-03-29T09:00:00+02:00`, or a `+…` offset"
    );
    // The same file with a fixed-offset app zone (no DST) warns about nothing.
    let fixed = load_str("scenarios/t.yaml", &text.replace("Europe/Berlin", "+01:00")).unwrap();
    assert!(fixed.warnings.is_empty(), "{}", render(&fixed.warnings));
    // Nor does a `start` written in another offset than the app's (a reader
    // in that offset), in summer or across the change: no change is crossed
    // from where the author stands.
    for start in ["2026-07-01T12:00:00+08:00", "2026-03-28T21:00:00+00:00"] {
        let other = text.replace("2026-03-28T21:00:00+01:00", start).replace(
            "  - at: 2026-03-29T11:00:00+02:00\n    login: bob/phone\n",
            "",
        );
        let plan =
            load_str("scenarios/t.yaml", &other).unwrap_or_else(|d| panic!("{}", render(&d)));
        assert!(
            plan.warnings.is_empty(),
            "{start}: {}",
            render(&plan.warnings)
        );
    }
}

/// A plan holds a step per timeline entry: 150,000 for the 100,000-device
/// bench. Boxing the message of a `send` took a step from 272 bytes to 128
/// (`bind_token`'s device, cert and token are the widest now); a new inline
/// action as large as a message would undo it.
#[test]
fn a_plan_step_stays_small() {
    let size = std::mem::size_of::<crate::scenario::plan::Step>();
    assert!(size <= 128, "Step is {size} bytes");
}
