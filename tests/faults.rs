//! Vendor faults: the scenario syntax, the mock's fault layer, and the
//! vendor's day for quotas.

use pushsim::core::io::PushJob;
use pushsim::core::model::{DeviceKey, MsgId, Notification, Vendor};
use pushsim::core::time::SimTime;
use pushsim::mock::fault::{vendor_midnight, FaultKind, FaultSpec, Garbage};
use pushsim::mock::model::Model;
use pushsim::mock::spec::MockSpec;
use pushsim::scenario::load_str;
use pushsim::vendor::{self, VendorResult};

const HEAD: &str = "version: 1
name: t
about: t
rules: [CNT-07]
start: 2026-03-02T09:00:00+08:00
app:
  certs: { fcm-prod: { vendor: fcm } }
users:
  bob:
    devices:
      phone: { platform: android, vendor: fcm, cert: fcm-prod }
steps:
";

fn errors(step: &str) -> String {
    let text = format!("{HEAD}  - at: \"09:00\"\n    vendor_fault: {step}\n");
    match load_str("t.yaml", &text) {
        Ok(_) => String::new(),
        Err(d) => d
            .iter()
            .map(|d| d.to_string())
            .collect::<Vec<_>>()
            .join("\n"),
    }
}

#[test]
fn fault_steps_are_checked_with_positions() {
    assert_eq!(
        errors("{ vendor: fcm, fault: rate_limited, retry_after: 30s, for: 10m }"),
        ""
    );
    let e = errors("{ vendor: fcm, fault: rate_limted }");
    // Line 14, column 41: the value of `fault:`.
    assert!(
        e.starts_with("t.yaml:14:41: error: steps[0].vendor_fault.fault:"),
        "{e}"
    );
    assert!(
        e.contains("unknown fault `rate_limted`") && e.contains("did you mean `rate_limited`"),
        "{e}"
    );
    assert!(errors("{ vendor: fcm, fault: slow }").contains("`slow` needs `latency`"));
    assert!(
        errors("{ vendor: fcm, fault: server_error, retry_after: 5s }").contains("does not apply")
    );
    assert!(errors("{ vendor: fcm, fault: garbage, body: xml }").contains("unknown garbage body"));
    assert!(errors("{ vendor: fcm, fault: auth_expired, count: 2 }").contains("happens once"));
    assert!(errors("{ vendor: fcm, fault: server_error, for: soon }").contains("positive duration"));
    assert!(errors("{ vendor: apns, fault: server_error }").contains("unknown vendor"));
    assert!(errors("{ vendor: fcm, fault: server_error, when: now }").contains("when"));
}

fn job(token: &str) -> PushJob {
    PushJob {
        id: 1,
        msg: MsgId(1),
        device: DeviceKey::new("bob", "phone"),
        vendor: Vendor::Fcm,
        cert: "fcm-prod".into(),
        token: token.into(),
        notification: Notification {
            title: "t".into(),
            body: "b".into(),
            ..Notification::default()
        },
    }
}

/// An FCM model with a fresh access token, and a send request for `token`.
fn fcm_with_token(now: SimTime) -> (Model, pushsim::vendor::HttpRequest) {
    let spec = MockSpec::load(Vendor::Fcm).expect("fcm.yaml loads");
    let creds = spec.credentials(Vendor::Fcm);
    let mut model = Model::new(Vendor::Fcm, spec);
    let auth = vendor::auth_request(&creds, now).expect("fcm exchanges tokens");
    let token =
        vendor::parse_auth(Vendor::Fcm, &model.handle(&auth, now), now).expect("token issued");
    let send = vendor::encode(&job("device-token-1"), &creds, Some(&token), now);
    (model, send)
}

/// FCM's QUOTA_EXCEEDED covers the project's quota and one device's message
/// rate (ErrorCode reference); a device-scoped fault answers only that device,
/// and the pipeline reads it as the device's limit, not the project's.
#[test]
fn a_device_rate_limit_answers_that_device_only_and_reads_as_per_device() {
    let now = SimTime(1_772_413_200_000);
    let (mut model, send) = fcm_with_token(now);
    let spec = FaultSpec {
        kind: FaultKind::RateLimited { retry_after_s: 600 },
        duration_ms: None,
        count: None,
        device_token: Some("device-token-2".into()),
    };
    model.inject(&spec, now);
    assert_eq!(
        model.handle(&send, now).status,
        200,
        "another device passes"
    );
    let other = pushsim::vendor::HttpRequest {
        body: String::from_utf8(send.body.clone())
            .unwrap()
            .replace("device-token-1", "device-token-2")
            .into_bytes(),
        ..send.clone()
    };
    let limited = model.handle(&other, now);
    assert_eq!(limited.status, 429);
    match vendor::classify(Vendor::Fcm, &limited) {
        VendorResult::RateLimited {
            retry_after_ms: Some(600_000),
            per_device: true,
            ..
        } => {}
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_counted_rate_limit_answers_429_with_retry_after_then_clears() {
    let now = SimTime(1_772_413_200_000);
    let (mut model, send) = fcm_with_token(now);
    let spec = FaultSpec {
        kind: FaultKind::RateLimited { retry_after_s: 30 },
        duration_ms: None,
        count: Some(1),
        device_token: None,
    };
    model.inject(&spec, now);
    let first = model.handle(&send, now);
    assert_eq!(first.status, 429);
    assert_eq!(first.header("retry-after"), Some("30"));
    match vendor::classify(Vendor::Fcm, &first) {
        VendorResult::RateLimited {
            retry_after_ms: Some(30_000),
            per_device: false,
            ..
        } => {}
        other => panic!("{other:?}"),
    }
    assert_eq!(
        model.handle(&send, now).status,
        200,
        "count: 1 affects one request"
    );
}

#[test]
fn an_outage_window_follows_the_calendar_clock() {
    let now = SimTime(1_772_413_200_000);
    let (mut model, send) = fcm_with_token(now);
    model.inject(
        &FaultSpec {
            kind: FaultKind::ServerError,
            duration_ms: Some(60_000),
            count: None,
            device_token: None,
        },
        now,
    );
    assert_eq!(model.handle(&send, now.plus_ms(59_999)).status, 503);
    assert_eq!(
        model.handle(&send, now.plus_ms(60_000)).status,
        200,
        "the window is half-open"
    );
}

#[test]
fn garbage_and_revoked_tokens_classify_without_panicking() {
    let now = SimTime(1_772_413_200_000);
    let (mut model, send) = fcm_with_token(now);
    model.inject(
        &FaultSpec {
            kind: FaultKind::Garbage(Garbage::Truncated),
            duration_ms: None,
            count: None,
            device_token: None,
        },
        now,
    );
    let cut = model.handle(&send, now);
    assert!(
        matches!(
            vendor::classify(Vendor::Fcm, &cut),
            VendorResult::Garbage { .. }
        ),
        "{cut:?}"
    );
    model.inject(
        &FaultSpec {
            kind: FaultKind::AuthExpired,
            duration_ms: None,
            count: None,
            device_token: None,
        },
        now,
    );
    let revoked = model.handle(&send, now);
    assert!(matches!(
        vendor::classify(Vendor::Fcm, &revoked),
        VendorResult::AuthExpired { .. }
    ));
}

#[test]
fn a_daily_quota_lasts_until_the_vendors_midnight() {
    // 23:30 in Beijing is 15:30 UTC: the Chinese vendors' day ends 30 min later,
    // FCM's (UTC) 8 h 30 min later.
    let t = SimTime(1_772_465_400_000); // 2026-03-02T15:30:00Z
    assert_eq!(vendor_midnight(Vendor::Huawei, t), t.plus_ms(30 * 60_000));
    assert_eq!(
        vendor_midnight(Vendor::Fcm, t),
        t.plus_ms(8 * 3_600_000 + 30 * 60_000)
    );
}

#[test]
fn an_unknown_route_names_the_closest_one() {
    let spec = MockSpec::load(Vendor::Huawei).expect("huawei.yaml loads");
    let mut model = Model::new(Vendor::Huawei, spec);
    let req =
        pushsim::vendor::HttpRequest::new("POST", "/v1/104523978/messages:send", vec![], vec![]);
    let resp = model.handle(&req, SimTime(0));
    let body = String::from_utf8(resp.body).expect("utf-8");
    assert_eq!(resp.status, 404);
    assert!(
        body.contains("did you mean POST /v1/104523987/messages:send?"),
        "{body}"
    );
}
