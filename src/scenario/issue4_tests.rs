//! Loader tests for the keys of profiles, routing, call invites, templates and
//! settings reads: each error class with the exact line users see.

use super::plan::{Action, ExpectKind};
use super::*;
use crate::core::io::{ApiRequest, SettingsQuery};
use crate::core::model::{Conversation, DeviceKey, RemindType};

const HEAD: &str = "\
name: t
about: test
rules: [NQ-01]
start: 2026-03-01T09:00:00+08:00
app:
  certs: { fcm-prod: { vendor: fcm }, hw-prod: { vendor: huawei } }
users:
  alice: {}
  bob:
    devices:
      phone: { services: [huawei, fcm] }
groups:
  g1: [alice, bob]
";

fn load(profile: &str, rest: &str) -> Result<Plan, String> {
    let text = format!("{HEAD}profile: {profile}\n{rest}");
    load_str("t.yaml", &text).map_err(|d| {
        d.iter()
            .map(|d| d.to_string())
            .collect::<Vec<_>>()
            .join("\n")
    })
}

fn cert_of_phone(plan: &Plan) -> Option<String> {
    let key = DeviceKey::new("bob", "phone");
    plan.devices
        .iter()
        .find(|d| d.key == key)
        .unwrap()
        .cert
        .clone()
}

#[test]
fn vnd_02_vnd_03_services_pick_the_cert_by_the_profile_probe_order() {
    assert_eq!(
        cert_of_phone(&load("easemob", "").unwrap()).as_deref(),
        Some("fcm-prod")
    );
    assert_eq!(
        cert_of_phone(&load("tencent", "").unwrap()).as_deref(),
        Some("hw-prod")
    );
    assert_eq!(
        cert_of_phone(&load("{base: tencent, vendor.order: [xiaomi]}", "").unwrap()),
        None
    );
}

#[test]
fn services_with_vendor_and_unknown_service_are_errors() {
    let text = HEAD.replace(
        "phone: { services: [huawei, fcm] }",
        "phone: { services: [huawei, fmc], vendor: fcm }",
    );
    let e = load_str("t.yaml", &text).unwrap_err();
    let e: Vec<String> = e.iter().map(|d| d.to_string()).collect();
    assert_eq!(e.len(), 2, "{e:?}");
    assert!(
        e[0].starts_with(
            "t.yaml:11:26: error: users.bob.devices.phone.services: `services` picks the vendor"
        ),
        "{e:?}"
    );
    assert!(
        e[1].starts_with(
            "t.yaml:11:35: error: users.bob.devices.phone.services[1]: unknown vendor `fmc`"
        ),
        "{e:?}"
    );
}

#[test]
fn tencent_and_zego_profiles_resolve_and_knobs_override() {
    let p = load("{base: zego, settings.timezone: app}", "").unwrap();
    assert_eq!(p.server.profile.name, "zego");
    assert_eq!(
        p.server.profile.timezone,
        crate::core::profile::TimezoneSource::App
    );
    let e = load("{base: zego, settings.timezone: utc}", "").unwrap_err();
    assert!(e.contains("invalid value for `settings.timezone`"), "{e}");
    assert!(e.contains("expected user | app"), "{e}");
}

#[test]
fn msg_04_call_timeout_defaults_to_90_and_is_for_call_invites_only() {
    let plan = load(
        "easemob",
        "steps:\n  - at: \"09:00\"\n    send: { from: alice, to: bob, text: c, kind: call_invite }\n",
    )
    .unwrap();
    let Action::Api(ApiRequest::Send(m)) = &plan.steps[0].action else {
        panic!()
    };
    assert_eq!(m.call_timeout_s, Some(90));
    let e = load(
        "easemob",
        "steps:\n  - at: \"09:00\"\n    send: { from: alice, to: bob, text: c, timeout_s: 5 }\n",
    )
    .unwrap_err();
    assert_eq!(
        e,
        "t.yaml:17:55: error: steps[0].send.timeout_s: `timeout_s` is for call invites\n  help: add `kind: call_invite` or drop `timeout_s`"
    );
}

#[test]
fn nq_01_get_settings_queries_and_settings_expectations_lower() {
    let plan = load(
        "easemob",
        "steps:
  - at: \"09:00\"
    get_settings: { user: bob, conversations: [{ group: g1 }, { user: alice }, { group: g1 }] }
expect:
  - settings:
      user: bob
      conversations: [{ user: alice }, { group: g1 }]
      listed: [{ conversation: { group: g1 }, remind: NONE, expiry: \"10:00\" }]
",
    )
    .unwrap();
    let many = SettingsQuery::Many(vec![
        Conversation::User("alice".into()),
        Conversation::Group("g1".into()),
    ]);
    let Action::Api(ApiRequest::GetSettings { query, .. }) = &plan.steps[0].action else {
        panic!()
    };
    assert_eq!(*query, many, "sorted and deduplicated");
    let ExpectKind::Settings { query, levels, .. } = &plan.expect[0].kind else {
        panic!()
    };
    assert_eq!(*query, many);
    assert_eq!(levels.len(), 1);
    assert_eq!(levels[0].1.remind, Some(RemindType::None));
    assert_eq!(
        levels[0].1.expiry,
        Some(super::at::parse_instant("2026-03-01T10:00:00+08:00").unwrap())
    );
}

#[test]
fn settings_expectation_errors_name_the_fix() {
    let e = load(
        "easemob",
        "steps:
  - at: \"09:00\"
    get_settings: { user: bob }
expect:
  - settings: { user: bob, conversation: { group: g1 }, result: {} }
  - settings: { user: bob, listed: [] }
  - settings: { user: bob, result: { remind: SOME, window: \"25:00-01:00\" } }
",
    )
    .unwrap_err();
    assert_eq!(
        e,
        "t.yaml:19:17: error: expect[0].settings: no `get_settings` step reads bob's group:g1
  help: a `settings:` expectation checks the answer of a `get_settings` step with the same user and query
t.yaml:20:17: error: expect[1].settings: an app or one-conversation read is checked with `result: {...}`
  help: e.g. `result: {remind: AT, window: \"22:00-07:00\"}`; `result: {}` = nothing set
t.yaml:21:46: error: expect[2].settings.result.remind: unknown remind type `SOME`
  help: expected ALL, AT or NONE
t.yaml:21:60: error: expect[2].settings.result.window: window \"25:00-01:00\" is not HH:MM-HH:MM with hour 0..23 and minute 0..59"
    );
}

#[test]
fn cnt_03_create_template_and_send_template_lower() {
    let plan = load(
        "easemob",
        "steps:
  - at: \"09:00\"
    create_template: { name: order, title: \"Order {0}\", content: \"{$msg}\" }
  - at: \"09:01\"
    send: { from: alice, to: bob, text: x, template: { name: order, title_args: [\"#1\"] } }
",
    )
    .unwrap();
    assert!(matches!(
        &plan.steps[0].action,
        Action::Api(ApiRequest::SetTemplate { name, .. }) if name == "order"
    ));
    let Action::Api(ApiRequest::Send(m)) = &plan.steps[1].action else {
        panic!()
    };
    let t = m.template.as_ref().unwrap();
    assert_eq!(
        (t.name.as_str(), t.title_args.len(), t.content_args.len()),
        ("order", 1, 0)
    );
}
