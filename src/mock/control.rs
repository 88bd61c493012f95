//! The control routes every mock vendor answers under [`PREFIX`], next to the
//! vendor's own API: read or clear the journal of what it received, set the
//! calendar clock it answers at, arm or clear a fault (the kinds of a
//! scenario's `vendor_fault`), make a device token invalid. They let a person
//! (or a conformance driver) rehearse quotas and outages against
//! `pushsim mocks serve` by hand, and observe pushes at the vendor.
//!
//! Pure: a request and the calendar time in, a response out. Control requests
//! are not journaled and never meet a fault.

use super::fault::{FaultSpec, FaultText, FAULT_NAMES};
use super::model::Model;
use crate::core::time::SimTime;
use crate::vendor::{HttpRequest, HttpResponse};
use serde::Deserialize;
use serde_json::{json, Value};

/// The reserved path prefix; no vendor API lives under it.
pub const PREFIX: &str = "/__pushsim";

/// The control routes, for the index and for errors.
pub const ROUTES: &[(&str, &str, &str)] = &[
    ("GET", "/__pushsim", "this list"),
    (
        "GET",
        "/__pushsim/journal?since=SEQ",
        "requests received after SEQ (default 0), oldest first, with the answers given",
    ),
    ("DELETE", "/__pushsim/journal", "forget the journal"),
    (
        "GET",
        "/__pushsim/clock",
        "the calendar time the mock answers at",
    ),
    (
        "PUT",
        "/__pushsim/clock",
        "{\"now_ms\": N}: answer at N (ms since the epoch) from now on; an `x-pushsim-now` header still wins",
    ),
    (
        "DELETE",
        "/__pushsim/clock",
        "back to the wall clock (or the header)",
    ),
    ("GET", "/__pushsim/faults", "the faults in force"),
    (
        "POST",
        "/__pushsim/faults",
        "{\"fault\": \"rate_limited\", \"retry_after\": \"30s\", \"for\": \"10m\", \"count\": 3}: arm a fault now (keys as a scenario's vendor_fault)",
    ),
    ("DELETE", "/__pushsim/faults", "clear every fault"),
    (
        "POST",
        "/__pushsim/invalid_tokens",
        "{\"token\": \"…\", \"count\": 1}: the vendor answers \"invalid token\" for it from now on (or to the next `count` sends)",
    ),
];

/// The body of `POST /__pushsim/faults`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FaultBody {
    fault: String,
    retry_after: Option<String>,
    latency: Option<String>,
    body: Option<String>,
    #[serde(rename = "for")]
    for_: Option<String>,
    count: Option<u32>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ClockBody {
    now_ms: i64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TokenBody {
    token: String,
    /// Refuse only the next `count` sends to it.
    #[serde(default)]
    count: Option<u32>,
}

/// Answers a control request; `None` if `req` is not one (a vendor request).
pub fn handle(model: &mut Model, req: &HttpRequest, now: SimTime) -> Option<HttpResponse> {
    let (path, query) = req.path.split_once('?').unwrap_or((&req.path, ""));
    let rest = path.strip_prefix(PREFIX)?;
    if !(rest.is_empty() || rest.starts_with('/')) {
        return None; // `/__pushsimX` is not ours
    }
    let answer = match (req.method.as_str(), rest.trim_end_matches('/')) {
        ("GET", "") => Ok(index(model)),
        ("GET", "/journal") => journal(model, query),
        ("DELETE", "/journal") => {
            model.journal.clear();
            Ok(json!({"cleared": true, "last_seq": model.journal.last_seq()}))
        }
        ("GET", "/clock") => Ok(clock(model, now)),
        ("PUT", "/clock") => body::<ClockBody>(req).map(|c| {
            model.clock = Some(SimTime(c.now_ms));
            clock(model, SimTime(c.now_ms))
        }),
        ("DELETE", "/clock") => {
            model.clock = None;
            Ok(json!({"set": false}))
        }
        ("GET", "/faults") => Ok(faults(model, now)),
        ("POST", "/faults") => arm(model, req, now),
        ("DELETE", "/faults") => {
            model.state.faults.clear();
            Ok(faults(model, now))
        }
        ("POST", "/invalid_tokens") => body::<TokenBody>(req).and_then(|t| {
            let count = match t.count.map(std::num::NonZeroU32::new) {
                Some(None) => {
                    return Err((
                        400,
                        "`count` must be at least 1 (leave it out: invalid from now on)".into(),
                    ))
                }
                other => other.flatten(),
            };
            model.state.invalidate(&t.token, count);
            Ok(json!({"invalid": t.token, "count": t.count}))
        }),
        _ => Err((404, format!("no control route {} {path}", req.method))),
    };
    Some(match answer {
        Ok(v) => reply(200, &v),
        Err((status, error)) => {
            let routes: Vec<String> = ROUTES.iter().map(|(m, p, _)| format!("{m} {p}")).collect();
            reply(status, &json!({"error": error, "routes": routes}))
        }
    })
}

type Answer = Result<Value, (u16, String)>;

fn reply(status: u16, v: &Value) -> HttpResponse {
    let body = serde_json::to_vec_pretty(v).expect("a JSON value serialises");
    HttpResponse::new(
        status,
        vec![("content-type".into(), "application/json".into())],
        body,
    )
}

fn body<T: for<'de> Deserialize<'de>>(req: &HttpRequest) -> Result<T, (u16, String)> {
    serde_json::from_slice(&req.body).map_err(|e| (400, format!("bad JSON body: {e}")))
}

fn index(model: &Model) -> Value {
    let routes: Vec<Value> = ROUTES
        .iter()
        .map(|(m, p, about)| json!({"method": m, "path": p, "about": about}))
        .collect();
    json!({"vendor": model.vendor.name(), "control_routes": routes})
}

fn journal(model: &Model, query: &str) -> Answer {
    let mut since = 0;
    for (k, v) in form_urlencoded::parse(query.as_bytes()) {
        match k.as_ref() {
            "since" => {
                since = v
                    .parse()
                    .map_err(|_| (400, format!("since={v}: not a sequence number")))?
            }
            other => return Err((400, format!("unknown query parameter `{other}`"))),
        }
    }
    let entries: Vec<Value> = model.journal.since(since).map(|e| e.to_json()).collect();
    Ok(json!({
        "vendor": model.vendor.name(),
        "last_seq": model.journal.last_seq(),
        "dropped": model.journal.dropped(),
        "entries": entries,
    }))
}

fn clock(model: &Model, now: SimTime) -> Value {
    json!({"now_ms": now.0, "set": model.clock.is_some()})
}

fn faults(model: &Model, now: SimTime) -> Value {
    let active: Vec<Value> = model
        .state
        .faults
        .iter()
        .filter(|f| f.active(now))
        .map(|f| {
            json!({
                "fault": f.kind.name(),
                "until_ms": f.until.map(|t| t.0),
                "requests_left": f.remaining,
            })
        })
        .collect();
    json!({"vendor": model.vendor.name(), "faults": active, "kinds": FAULT_NAMES})
}

fn arm(model: &mut Model, req: &HttpRequest, now: SimTime) -> Answer {
    let b: FaultBody = body(req)?;
    let text = FaultText {
        fault: &b.fault,
        retry_after: b.retry_after.as_deref(),
        latency: b.latency.as_deref(),
        body: b.body.as_deref(),
        for_: b.for_.as_deref(),
        count: b.count,
    };
    let spec = FaultSpec::parse(&text).map_err(|errors| {
        let text: Vec<String> = errors
            .iter()
            .map(|e| {
                let at = if e.key.is_empty() { "fault" } else { e.key };
                match &e.help {
                    Some(h) => format!("{at}: {} ({h})", e.message),
                    None => format!("{at}: {}", e.message),
                }
            })
            .collect();
        (400, text.join("; "))
    })?;
    model.inject(&spec, now);
    Ok(faults(model, now))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::model::Vendor;
    use crate::mock::spec::MockSpec;

    fn model() -> Model {
        Model::new(Vendor::Fcm, MockSpec::load(Vendor::Fcm).expect("fcm.yaml"))
    }

    fn call(m: &mut Model, method: &str, path: &str, body: &str) -> (u16, Value) {
        let req = HttpRequest::new(method, path, vec![], body.as_bytes().to_vec());
        let resp = m.handle(&req, SimTime(1_000));
        let v = serde_json::from_slice(&resp.body).unwrap_or(Value::Null);
        (resp.status, v)
    }

    #[test]
    fn vendor_requests_are_journaled_and_control_requests_are_not() {
        let mut m = model();
        let (status, _) = call(&mut m, "POST", "/token", "grant_type=nope");
        assert_eq!(status, 400);
        let (_, j) = call(&mut m, "GET", "/__pushsim/journal", "");
        let entries = j["entries"].as_array().unwrap();
        assert_eq!(entries.len(), 1);
        assert_eq!(entries[0]["path"], "/token");
        assert_eq!(entries[0]["status"], 400);
        assert_eq!(entries[0]["at_ms"], 1_000);
        let (_, j) = call(&mut m, "GET", "/__pushsim/journal?since=1", "");
        assert_eq!(j["entries"].as_array().unwrap().len(), 0);
        call(&mut m, "DELETE", "/__pushsim/journal", "");
        let (_, j) = call(&mut m, "GET", "/__pushsim/journal", "");
        assert_eq!(j["entries"].as_array().unwrap().len(), 0);
        assert_eq!(j["dropped"], 1);
    }

    #[test]
    fn an_armed_fault_answers_the_vendors_error_then_clears() {
        let mut m = model();
        let (status, f) = call(
            &mut m,
            "POST",
            "/__pushsim/faults",
            r#"{"fault": "server_error", "count": 1}"#,
        );
        assert_eq!(status, 200, "{f}");
        assert_eq!(f["faults"][0]["fault"], "server_error");
        let (status, _) = call(&mut m, "POST", "/token", "");
        assert_eq!(status, 503, "FCM's 503 UNAVAILABLE");
        let (status, _) = call(&mut m, "POST", "/token", "");
        assert_eq!(status, 400, "the fault affected one request");
    }

    /// A counted invalidation refuses that many checks of the token, then
    /// the vendor takes it again; an uncounted one refuses for good.
    #[test]
    fn an_invalid_token_with_a_count_is_refused_that_often() {
        let mut m = model();
        let (status, _) = call(
            &mut m,
            "POST",
            "/__pushsim/invalid_tokens",
            r#"{"token": "tok-once-aaaa", "count": 2}"#,
        );
        assert_eq!(status, 200);
        call(
            &mut m,
            "POST",
            "/__pushsim/invalid_tokens",
            r#"{"token": "tok-ever-aaaa"}"#,
        );
        let once: Vec<bool> = (0..3).map(|_| m.token_invalid("tok-once-aaaa")).collect();
        assert_eq!(once, [true, true, false]);
        let ever: Vec<bool> = (0..3).map(|_| m.token_invalid("tok-ever-aaaa")).collect();
        assert_eq!(ever, [true, true, true]);
        // `count: 0` is refused, not taken as "for good" (it once wrapped).
        let (status, _) = call(
            &mut m,
            "POST",
            "/__pushsim/invalid_tokens",
            r#"{"token": "tok-zero-aaaa", "count": 0}"#,
        );
        assert_eq!(status, 400);
        assert!(!m.token_invalid("tok-zero-aaaa"));
    }

    #[test]
    fn bad_fault_bodies_say_what_is_wrong() {
        let mut m = model();
        let (status, e) = call(
            &mut m,
            "POST",
            "/__pushsim/faults",
            r#"{"fault": "rate_limted"}"#,
        );
        assert_eq!(status, 400);
        let text = e["error"].as_str().unwrap();
        assert!(text.contains("did you mean `rate_limited`"), "{text}");
        let (status, e) = call(
            &mut m,
            "POST",
            "/__pushsim/faults",
            r#"{"fault": "rate_limited", "retry_after": "99999999d"}"#,
        );
        assert_eq!(status, 400);
        assert!(e["error"].as_str().unwrap().contains("30d"), "{e}");
        let (status, e) = call(&mut m, "POST", "/__pushsim/nope", "");
        assert_eq!(status, 404);
        assert!(e["routes"].as_array().unwrap().len() == ROUTES.len());
    }

    #[test]
    fn the_clock_set_by_the_route_is_the_models_calendar() {
        let mut m = model();
        let (_, c) = call(&mut m, "PUT", "/__pushsim/clock", r#"{"now_ms": 42}"#);
        assert_eq!(c, json!({"now_ms": 42, "set": true}));
        assert_eq!(m.clock, Some(SimTime(42)));
        call(&mut m, "DELETE", "/__pushsim/clock", "");
        assert_eq!(m.clock, None);
    }
}
