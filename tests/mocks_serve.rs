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
}
