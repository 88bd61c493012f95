//! Vendor wire tests: each adapter against its wiremocked vendor over real
//! loopback HTTP. For every vendor: the exact request (method, path, headers,
//! body fields), acceptance, the decoded notification, a rule-breaking request
//! answered with the vendor's real error, and an access token outliving its
//! lifetime answered as expired.

use pushsim::core::io::PushJob;
use pushsim::core::model::{DeviceKey, MsgId, Notification, Vendor};
use pushsim::core::time::SimTime;
use pushsim::mock::client::call;
use pushsim::mock::fleet::MockFleet;
use pushsim::vendor::{self, AccessToken, Credentials, HttpRequest, HttpResponse, VendorResult};
use serde_json::Value;
use std::collections::BTreeMap;

const NOW: SimTime = SimTime(1_772_413_200_000); // 2026-03-02T09:00:00+08:00

struct Mock {
    fleet: MockFleet,
    vendor: Vendor,
    creds: Credentials,
}

impl Mock {
    fn start(vendor: Vendor) -> Mock {
        let fleet = MockFleet::start(&[vendor]).expect("the mock starts");
        let creds = fleet.credentials(vendor);
        Mock {
            fleet,
            vendor,
            creds,
        }
    }
    fn send(&self, req: &HttpRequest, now: SimTime) -> HttpResponse {
        call(&self.fleet.base_url(self.vendor), req, now).expect("the mock answers")
    }
    fn token(&self, now: SimTime) -> Option<AccessToken> {
        let req = vendor::auth_request(&self.creds, now)?;
        let resp = self.send(&req, now);
        Some(vendor::parse_auth(self.vendor, &resp, now).expect("the mock issues a token"))
    }
    fn job(&self, device_token: &str) -> PushJob {
        PushJob {
            id: 7,
            msg: MsgId(3),
            device: DeviceKey::new("bob", "phone"),
            vendor: self.vendor,
            cert: "prod".into(),
            token: device_token.into(),
            notification: Notification {
                title: "Alice".into(),
                body: "Hi there".into(),
                badge: Some(3),
                payload: BTreeMap::from([("conv".to_string(), "c_42".to_string())]),
                notify_id: Some("42".into()),
                ..Notification::default()
            },
        }
    }
    /// Sends a job and returns the request and the classified answer.
    fn push(&self, device_token: &str) -> (HttpRequest, VendorResult) {
        let token = self.token(NOW);
        let req = vendor::encode(&self.job(device_token), &self.creds, token.as_ref(), NOW);
        let resp = self.send(&req, NOW);
        (req, vendor::classify(self.vendor, &resp))
    }
}

fn json(req: &HttpRequest) -> Value {
    serde_json::from_slice(&req.body).expect("a JSON body")
}

fn form(req: &HttpRequest) -> BTreeMap<String, String> {
    form_urlencoded::parse(&req.body).into_owned().collect()
}

fn assert_ok(r: &VendorResult) {
    assert!(matches!(r, VendorResult::Ok { .. }), "{r:?}");
}

/// The decoded request shows what the job asked for.
fn assert_round_trip(m: &Mock, req: &HttpRequest) {
    let d = vendor::decode(m.vendor, req).expect("our request decodes");
    assert_eq!(d.token, "device-1");
    assert_eq!(
        (d.notification.title.as_str(), d.notification.body.as_str()),
        ("Alice", "Hi there")
    );
    assert_eq!(
        d.notification.payload.get("conv").map(String::as_str),
        Some("c_42")
    );
}

/// Re-sends a request after editing its body; returns the classified answer.
fn resend(m: &Mock, req: &HttpRequest, body: Vec<u8>) -> (HttpResponse, VendorResult) {
    let edited = HttpRequest::new(&req.method, &req.path, req.headers.clone(), body);
    let resp = m.send(&edited, NOW);
    let r = vendor::classify(m.vendor, &resp);
    (resp, r)
}

#[test]
fn fcm_wire() {
    let m = Mock::start(Vendor::Fcm);
    let (req, r) = m.push("device-1");
    assert_ok(&r);
    assert_eq!(
        (req.method.as_str(), req.path.as_str()),
        ("POST", "/v1/projects/pushsim-demo/messages:send")
    );
    assert!(req
        .header("authorization")
        .is_some_and(|a| a.starts_with("Bearer ya29.")));
    let b = json(&req);
    assert_eq!(b["message"]["token"], "device-1");
    assert_eq!(b["message"]["android"]["priority"], "HIGH");
    assert_eq!(
        b["message"]["android"]["notification"]["notification_count"],
        3
    );
    assert_eq!(b["message"]["data"]["conv"], "c_42");
    assert_round_trip(&m, &req);
    // Rule: data values must be strings.
    let mut bad = b.clone();
    bad["message"]["data"]["conv"] = Value::from(42);
    let (resp, r) = resend(&m, &req, serde_json::to_vec(&bad).expect("JSON"));
    assert_eq!(resp.status, 400);
    assert!(matches!(r, VendorResult::InvalidArgument { .. }), "{r:?}");
    assert!(matches!(
        m.push("unregistered-1").1,
        VendorResult::InvalidToken { .. }
    ));
}

#[test]
fn huawei_wire() {
    let m = Mock::start(Vendor::Huawei);
    let (req, r) = m.push("device-1");
    assert_ok(&r);
    assert_eq!(req.path, "/v1/104523987/messages:send");
    let b = json(&req);
    assert_eq!(b["message"]["token"], serde_json::json!(["device-1"]));
    assert_eq!(b["message"]["android"]["category"], "IM");
    assert_eq!(
        b["message"]["android"]["notification"]["click_action"]["type"],
        3
    );
    assert_eq!(
        b["message"]["android"]["notification"]["badge"]["set_num"],
        3
    );
    assert_eq!(
        b["message"]["android"]["notification"]["badge"]["class"],
        "com.pushsim.demo.MainActivity"
    );
    assert_eq!(b["message"]["data"], r#"{"conv":"c_42"}"#);
    assert_round_trip(&m, &req);
    let mut bad = b.clone();
    bad["message"]["android"]["notification"]
        .as_object_mut()
        .expect("object")
        .remove("click_action");
    let (resp, r) = resend(&m, &req, serde_json::to_vec(&bad).expect("JSON"));
    assert!(String::from_utf8_lossy(&resp.body).contains("80100003"));
    assert!(matches!(r, VendorResult::InvalidArgument { .. }), "{r:?}");
}

#[test]
fn honor_wire() {
    let m = Mock::start(Vendor::Honor);
    let (req, r) = m.push("device-1");
    assert_ok(&r);
    assert_eq!(req.path, "/api/v1/104433221/sendMessage");
    assert_eq!(req.header("timestamp"), Some(NOW.0.to_string().as_str()));
    let b = json(&req);
    assert_eq!(b["token"], serde_json::json!(["device-1"]));
    assert_eq!(b["android"]["notification"]["importance"], "NORMAL");
    assert_eq!(b["android"]["notification"]["badge"]["setNum"], 3);
    assert_eq!(b["android"]["notification"]["notifyId"], 42);
    assert_round_trip(&m, &req);
    let mut bad = b.clone();
    bad["android"]["notification"]
        .as_object_mut()
        .expect("object")
        .remove("clickAction");
    let (_, r) = resend(&m, &req, serde_json::to_vec(&bad).expect("JSON"));
    assert!(matches!(r, VendorResult::InvalidArgument { .. }), "{r:?}");
    assert!(matches!(
        m.push("invalid-1").1,
        VendorResult::InvalidToken { .. }
    ));
}

#[test]
fn xiaomi_wire() {
    let m = Mock::start(Vendor::Xiaomi);
    let (req, r) = m.push("device-1");
    assert_ok(&r);
    assert_eq!(req.path, "/v3/message/regid");
    assert_eq!(
        req.header("authorization"),
        Some("key=pushsimXiaomiAppSecret==")
    );
    assert_eq!(
        req.header("content-type"),
        Some("application/x-www-form-urlencoded;charset=UTF-8")
    );
    let f = form(&req);
    assert_eq!(f["registration_id"], "device-1");
    assert_eq!(f["restricted_package_name"], "com.pushsim.demo");
    assert_eq!(f["extra.channel_id"], "im_private");
    assert_eq!(f["payload"], r#"{"conv":"c_42"}"#);
    assert_eq!(f["notify_id"], "42");
    assert_round_trip(&m, &req);
    // Rule: the channel must be registered for the app (27001).
    let body = String::from_utf8(req.body.clone())
        .expect("utf-8")
        .replace("im_private", "im_unknown");
    let (resp, r) = resend(&m, &req, body.into_bytes());
    assert!(String::from_utf8_lossy(&resp.body).contains("27001"));
    assert!(matches!(r, VendorResult::InvalidArgument { .. }), "{r:?}");
    assert!(matches!(
        m.push("invalid-1").1,
        VendorResult::InvalidToken { .. }
    ));
}

#[test]
fn oppo_wire() {
    let m = Mock::start(Vendor::Oppo);
    let auth = vendor::auth_request(&m.creds, NOW).expect("oppo signs in");
    let f = form(&auth);
    let expected_sign = vendor::oppo::sign(&m.creds.client_id, NOW.0, &m.creds.secret);
    assert_eq!(
        (f["timestamp"].as_str(), f["sign"].as_str()),
        (NOW.0.to_string().as_str(), expected_sign.as_str())
    );
    let (req, r) = m.push("device-1");
    assert_ok(&r);
    assert_eq!(req.path, "/server/v1/message/notification/unicast");
    let f = form(&req);
    assert!(f["auth_token"].starts_with("oppo-auth-"));
    let msg: Value = serde_json::from_str(&f["message"]).expect("message is JSON");
    assert_eq!(msg["target_type"], 2);
    assert_eq!(msg["notification"]["channel_id"], "im_private");
    assert_eq!(msg["notification"]["category"], "IM");
    assert_eq!(
        msg["notification"]["action_parameters"],
        r#"{"conv":"c_42"}"#
    );
    assert_round_trip(&m, &req);
    // Rule: channel_id is required; action_parameters must be a JSON object string.
    for (field, value, needle) in [
        ("channel_id", Value::Null, "channel_id is required"),
        (
            "action_parameters",
            Value::from("conv=c_42"),
            "action_parameters must be a JSON object",
        ),
    ] {
        let mut bad = msg.clone();
        bad["notification"][field] = value;
        if bad["notification"][field].is_null() {
            bad["notification"]
                .as_object_mut()
                .expect("object")
                .remove(field);
        }
        let body = form_urlencoded::Serializer::new(String::new())
            .append_pair("auth_token", &f["auth_token"])
            .append_pair("message", &bad.to_string())
            .finish();
        let (resp, r) = resend(&m, &req, body.into_bytes());
        let text = String::from_utf8_lossy(&resp.body).into_owned();
        assert!(
            text.contains("\"code\":41") && text.contains(needle),
            "{text}"
        );
        assert!(matches!(r, VendorResult::InvalidArgument { .. }), "{r:?}");
    }
    assert!(matches!(
        m.push("invalid-1").1,
        VendorResult::InvalidToken { .. }
    ));
}

#[test]
fn vivo_wire() {
    let m = Mock::start(Vendor::Vivo);
    let auth = vendor::auth_request(&m.creds, NOW).expect("vivo signs in");
    let a = json(&auth);
    assert_eq!(a["appId"], 105912345);
    assert_eq!(
        a["sign"],
        vendor::vivo::sign(&m.creds.app_id, &m.creds.client_id, NOW.0, &m.creds.secret)
    );
    let (req, r) = m.push("device-1");
    assert_ok(&r);
    assert_eq!(req.path, "/message/send");
    assert!(req
        .header("authtoken")
        .is_some_and(|t| t.starts_with("vivo-auth-")));
    let b = json(&req);
    assert_eq!(
        (b["classification"].clone(), b["category"].clone()),
        (Value::from(1), Value::from("IM"))
    );
    assert_eq!(b["requestId"], "pushsim-m3-7");
    assert_eq!(b["clientCustomMap"]["conv"], "c_42");
    assert_round_trip(&m, &req);
    // Rule: an IM category needs the system classification (10097).
    let mut bad = b.clone();
    bad["classification"] = Value::from(0);
    let (resp, r) = resend(&m, &req, serde_json::to_vec(&bad).expect("JSON"));
    assert!(String::from_utf8_lossy(&resp.body).contains("10097"));
    assert!(matches!(r, VendorResult::InvalidArgument { .. }), "{r:?}");
    assert!(matches!(
        m.push("invalid-1").1,
        VendorResult::InvalidToken { .. }
    ));
}

#[test]
fn meizu_wire() {
    let m = Mock::start(Vendor::Meizu);
    let (req, r) = m.push("device-1");
    assert_ok(&r);
    assert_eq!(req.path, "/garcia/api/server/push/varnished/pushByPushId");
    let f = form(&req);
    assert_eq!(
        (f["appId"].as_str(), f["pushIds"].as_str()),
        ("128765", "device-1")
    );
    let unsigned: BTreeMap<String, String> = f
        .iter()
        .filter(|(k, _)| *k != "sign")
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    assert_eq!(f["sign"], vendor::meizu::sign(&unsigned, &m.creds.secret));
    let msg: Value = serde_json::from_str(&f["messageJson"]).expect("messageJson is JSON");
    assert_eq!(msg["noticeBarInfo"]["noticeMsgType"], 1);
    assert_eq!(msg["clickTypeInfo"]["parameters"]["conv"], "c_42");
    assert_round_trip(&m, &req);
    // Rule: the signature covers every parameter (1006).
    let body = String::from_utf8(req.body.clone())
        .expect("utf-8")
        .replace("device-1", "device-2");
    let (resp, r) = resend(&m, &req, body.into_bytes());
    assert!(String::from_utf8_lossy(&resp.body).contains("1006"));
    assert!(matches!(r, VendorResult::AuthConfig { .. }), "{r:?}");
    assert!(matches!(
        m.push("invalid-1").1,
        VendorResult::InvalidToken { .. }
    ));
}

#[test]
fn access_tokens_expire_on_the_calendar_clock() {
    for v in [
        Vendor::Fcm,
        Vendor::Huawei,
        Vendor::Honor,
        Vendor::Oppo,
        Vendor::Vivo,
    ] {
        let m = Mock::start(v);
        let token = m.token(NOW).expect("this vendor issues tokens");
        let req = vendor::encode(&m.job("device-1"), &m.creds, Some(&token), NOW);
        assert_ok(&vendor::classify(v, &m.send(&req, NOW)));
        // Two days later every one of these tokens has expired at the vendor.
        let later = NOW.plus_ms(2 * 86_400_000);
        assert!(
            token.expires_at < later,
            "{v:?}: the pipeline would have refreshed"
        );
        let r = vendor::classify(v, &m.send(&req, later));
        assert!(
            matches!(r, VendorResult::AuthExpired { .. }),
            "{v:?}: {r:?}"
        );
    }
}

#[test]
fn every_mock_file_names_only_responses_it_has() {
    use pushsim::mock::spec::MockSpec;
    let handlers: [(Vendor, &[&str]); 7] = [
        (Vendor::Fcm, pushsim::mock::fcm::RESPONSES),
        (Vendor::Huawei, pushsim::mock::huawei::RESPONSES),
        (Vendor::Honor, pushsim::mock::honor::RESPONSES),
        (Vendor::Xiaomi, pushsim::mock::xiaomi::RESPONSES),
        (Vendor::Oppo, pushsim::mock::oppo::RESPONSES),
        (Vendor::Vivo, pushsim::mock::vivo::RESPONSES),
        (Vendor::Meizu, pushsim::mock::meizu::RESPONSES),
    ];
    for (v, names) in handlers {
        let spec = MockSpec::load(v).unwrap_or_else(|e| panic!("{e}"));
        for r in &spec.routes {
            let found = pushsim::mock::model::handler(v, &r.handler).is_some();
            assert!(
                found,
                "mocks/{}.yaml route {:?} names no handler {:?}",
                v.name(),
                r.name,
                r.handler
            );
        }
        let checks = spec.routes.iter().flat_map(|r| {
            r.checks
                .iter()
                .flat_map(|c| std::iter::once(c.fail.as_str()).chain(c.expired.as_deref()))
        });
        let faults = ["rate_limited", "daily_quota", "server_error"];
        for name in names.iter().copied().chain(checks).chain(faults) {
            assert!(
                spec.responses.contains_key(name),
                "mocks/{}.yaml has no response {name}",
                v.name()
            );
        }
        for key in spec.app.keys() {
            // Settings only the mock reads (not sent by the pipeline).
            let mock_only = ["registered_channels", "public_daily_limit"];
            let known =
                vendor::options(v).contains(&key.as_str()) || mock_only.contains(&key.as_str());
            assert!(known, "mocks/{}.yaml app.{key} is read by nobody", v.name());
        }
    }
}
