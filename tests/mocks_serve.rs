//! `pushsim mocks serve` as a user runs it: the manifest on stdout, then a
//! token exchange and a send from outside any simulation (wall clock).

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

struct Kill(Child);
impl Drop for Kill {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn post(url: &str, content_type: &str, auth: Option<&str>, body: &str) -> (u16, serde_json::Value) {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let mut req = agent.post(url).header("content-type", content_type);
    if let Some(a) = auth {
        req = req.header("authorization", a);
    }
    let mut resp = req.send(body).expect("the mock answers");
    let status = resp.status().as_u16();
    let text = resp.body_mut().read_to_string().expect("a body");
    (
        status,
        serde_json::from_str(&text).unwrap_or(serde_json::Value::Null),
    )
}

#[test]
fn serve_prints_a_manifest_and_answers_like_huawei() {
    let child = Command::new(env!("CARGO_BIN_EXE_pushsim"))
        .args(["mocks", "serve", "--vendors", "huawei,fcm"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("the binary starts");
    let mut child = Kill(child);
    let mut text = String::new();
    let mut lines = BufReader::new(child.0.stdout.take().expect("piped")).lines();
    let manifest: serde_json::Value = loop {
        let line = lines
            .next()
            .expect("the manifest before EOF")
            .expect("utf-8");
        text.push_str(&line);
        text.push('\n');
        if let Ok(v) = serde_json::from_str(&text) {
            break v;
        }
    };
    let hw = &manifest["vendors"]["huawei"];
    let base = hw["base_url"].as_str().expect("a base URL");
    let creds = &hw["credentials"];
    assert_eq!(
        manifest["vendors"]["fcm"]["credentials"]["service_account_json"]["type"],
        "service_account"
    );
    // What a person pointing a client at it needs: the hosts it replaces, the
    // app settings, the control routes.
    assert_eq!(hw["stands_in_for"][0], "https://push-api.cloud.huawei.com");
    assert!(hw["app"]["settings"].is_object());
    let control = manifest["control_routes"]["routes"]
        .as_array()
        .expect("routes");
    assert!(control.iter().any(|r| r["path"] == "/__pushsim/faults"));

    let form = format!(
        "grant_type=client_credentials&client_id={}&client_secret={}",
        creds["client_id"].as_str().expect("id"),
        creds["secret"].as_str().expect("secret")
    );
    let (status, token) = post(
        &format!("{base}/oauth2/v3/token"),
        "application/x-www-form-urlencoded",
        None,
        &form,
    );
    assert_eq!(status, 200, "{token}");
    let bearer = format!(
        "Bearer {}",
        token["access_token"].as_str().expect("a token")
    );

    let send = format!(
        "{base}/v1/{}/messages:send",
        creds["app_id"].as_str().expect("app id")
    );
    let body = r#"{"message":{"token":["a-device-token"],"android":{"notification":{"title":"t","body":"b","click_action":{"type":3}}}}}"#;
    let (status, answer) = post(&send, "application/json", Some(&bearer), body);
    assert_eq!(
        (status, answer["code"].as_str()),
        (200, Some("80000000")),
        "{answer}"
    );

    let invalid = body.replace("a-device-token", "invalid-device");
    let (status, answer) = post(&send, "application/json", Some(&bearer), &invalid);
    assert_eq!(
        (status, answer["code"].as_str()),
        (400, Some("80300007")),
        "{answer}"
    );

    let (status, answer) = post(&send, "application/json", Some("Bearer forged"), body);
    assert_eq!(
        (status, answer["code"].as_str()),
        (401, Some("80200001")),
        "{answer}"
    );

    // The control routes: the journal holds what the vendor received, oldest
    // first (the token exchange, then the three sends) ...
    let (status, journal) = get(&format!("{base}/__pushsim/journal"));
    assert_eq!(status, 200, "{journal}");
    let entries = journal["entries"].as_array().expect("entries");
    let seen: Vec<(String, u64)> = entries
        .iter()
        .map(|e| {
            (
                e["path"].as_str().unwrap().to_string(),
                e["status"].as_u64().unwrap(),
            )
        })
        .collect();
    let send_path = send.trim_start_matches(base).to_string();
    assert_eq!(
        seen,
        [
            ("/oauth2/v3/token".to_string(), 200),
            (send_path.clone(), 200),
            (send_path.clone(), 400),
            (send_path, 401),
        ]
    );
    assert!(entries[1]["body"]
        .as_str()
        .unwrap()
        .contains("a-device-token"));
    // ... and a fault armed by hand answers the vendor's outage once.
    let (status, armed) = post(
        &format!("{base}/__pushsim/faults"),
        "application/json",
        None,
        r#"{"fault": "server_error", "count": 1}"#,
    );
    assert_eq!(status, 200, "{armed}");
    let (status, answer) = post(&send, "application/json", Some(&bearer), body);
    assert_eq!(
        (status, answer["code"].as_str()),
        (500, Some("81000001")),
        "Huawei's system error: {answer}"
    );
    let (status, _) = post(&send, "application/json", Some(&bearer), body);
    assert_eq!(status, 200);
}

fn get(url: &str) -> (u16, serde_json::Value) {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let mut resp = agent.get(url).call().expect("the mock answers");
    let status = resp.status().as_u16();
    let text = resp.body_mut().read_to_string().expect("a body");
    (status, serde_json::from_str(&text).unwrap_or_default())
}

/// DESIGN.md: the bounded shell of `mocks serve` answers exactly as the
/// wiremock shell the runs use — same models, same bytes back.
#[test]
fn the_bounded_shell_answers_byte_for_byte_as_wiremock() {
    use pushsim::core::model::Vendor;
    use pushsim::core::time::SimTime;
    use pushsim::mock::client::call;
    use pushsim::mock::fleet::{MockFleet, ShellKind};
    use pushsim::vendor::HttpRequest;
    let now = SimTime(1_772_413_200_000);
    let fleets = [ShellKind::Wiremock, ShellKind::Bounded].map(|kind| {
        let fallback = std::sync::Arc::new(|| SimTime(0));
        MockFleet::start_with(&[Vendor::Huawei, Vendor::Fcm], fallback, kind).expect("starts")
    });
    let creds = fleets[0].credentials(Vendor::Huawei);
    let form = |id: &str, secret: &str| {
        format!("grant_type=client_credentials&client_id={id}&client_secret={secret}").into_bytes()
    };
    let form_ct = || {
        vec![(
            "content-type".to_string(),
            "application/x-www-form-urlencoded".to_string(),
        )]
    };
    let json_ct = |auth: &str| {
        vec![
            ("content-type".to_string(), "application/json".to_string()),
            ("authorization".to_string(), auth.to_string()),
        ]
    };
    let send_path = format!("/v1/{}/messages:send", creds.app_id);
    let body = br#"{"message":{"token":["t1"],"android":{"notification":{"title":"t","body":"b","click_action":{"type":3}}}}}"#;
    let requests = [
        (
            Vendor::Huawei,
            HttpRequest::new(
                "POST",
                "/oauth2/v3/token",
                form_ct(),
                form(&creds.client_id, &creds.secret),
            ),
        ),
        (
            Vendor::Huawei,
            HttpRequest::new("POST", "/oauth2/v3/token", form_ct(), form("x", "y")),
        ),
        (
            Vendor::Huawei,
            HttpRequest::new("POST", &send_path, json_ct("Bearer forged"), body.to_vec()),
        ),
        (
            Vendor::Huawei,
            HttpRequest::new(
                "POST",
                &send_path,
                json_ct("Bearer forged"),
                b"not json".to_vec(),
            ),
        ),
        (
            Vendor::Huawei,
            HttpRequest::new("GET", "/v1/nowhere", vec![], vec![]),
        ),
        (
            Vendor::Fcm,
            HttpRequest::new("POST", "/token", form_ct(), b"grant_type=nope".to_vec()),
        ),
        (
            Vendor::Fcm,
            HttpRequest::new("GET", "/__pushsim/nothing", vec![], vec![]),
        ),
        (
            Vendor::Huawei,
            HttpRequest::new("GET", "/__pushsim/journal?since=x", vec![], vec![]),
        ),
    ];
    for (i, (vendor, req)) in requests.iter().enumerate() {
        let answers: Vec<_> = fleets
            .iter()
            .map(|f| call(&f.base_url(*vendor), req, now).expect("answers"))
            .collect();
        // Transport headers (date, content-length) are the servers' own.
        let strip = |r: &pushsim::vendor::HttpResponse| {
            let headers: Vec<_> = r
                .headers
                .iter()
                .filter(|(k, _)| k != "date" && k != "content-length")
                .cloned()
                .collect();
            (r.status, headers, r.body.clone())
        };
        assert_eq!(
            strip(&answers[0]),
            strip(&answers[1]),
            "request {i}: {} {}",
            req.method,
            req.path
        );
    }
}
