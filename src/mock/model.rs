//! The pure vendor model: route, check, hand to the vendor's stateful
//! handler, render the named response. No IO and no clock: the calendar time
//! comes with each call.

use super::fault::{ActiveFault, FaultKind, FaultSpec, Garbage};
use super::spec::{Check, Guard, JsonType, MockSpec, ResponseSpec};
use super::LATENCY_HEADER;
use crate::core::model::Vendor;
use crate::core::time::SimTime;
use crate::vendor::wire::{at, bearer, json_of, parse_form};
use crate::vendor::{HttpRequest, HttpResponse};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::num::NonZeroU32;

/// What a handler answers: a response name from the spec and its variables.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reply {
    /// Response name.
    pub name: &'static str,
    /// `{var}` values.
    pub vars: Vec<(&'static str, String)>,
}

impl Reply {
    /// A reply without variables.
    pub fn plain(name: &'static str) -> Reply {
        Reply {
            name,
            vars: Vec::new(),
        }
    }
    /// A reply with variables.
    pub fn with(name: &'static str, vars: Vec<(&'static str, String)>) -> Reply {
        Reply { name, vars }
    }

    /// A route names a handler its vendor's model does not have (a mock-file bug).
    pub fn unknown_handler(handler: &str) -> Reply {
        Reply::with(
            "not_found",
            vec![("detail", format!("unknown handler {handler}"))],
        )
    }
}

/// The OAuth client-credentials exchange (Huawei, Honor): the form's
/// `client_id` and `client_secret` must be the mock's; the token is `value(n)`.
pub fn client_credentials(
    model: &mut Model,
    p: &Parsed<'_>,
    now: SimTime,
    value: fn(u64) -> String,
) -> Reply {
    let c = &model.spec.credentials;
    let ok = p.form.get("client_id") == Some(&c.client_id)
        && p.form.get("client_secret") == Some(&c.secret);
    if !ok {
        return Reply::plain("invalid_client");
    }
    let token = model.issue_token_with(value, now);
    Reply::with(
        "token_ok",
        vec![
            ("access_token", token),
            ("expires_in", model.spec.auth.lifetime_s.to_string()),
        ],
    )
}

/// A request as the handlers see it: parsed once.
pub struct Parsed<'r> {
    /// The raw request.
    pub req: &'r HttpRequest,
    /// The form body, if the body is a form.
    pub form: BTreeMap<String, String>,
    /// The JSON body, if the body is JSON.
    pub json: Option<Value>,
}

/// A model's mutable state.
#[derive(Debug, Default)]
pub struct State {
    /// Issued access tokens → vendor-side expiry.
    pub issued: BTreeMap<String, SimTime>,
    /// Per-day counters a vendor keeps (Meizu: public messages per pushId),
    /// keyed by name; reset when the vendor's day changes ([`Model::roll_day`]).
    pub daily: BTreeMap<String, u64>,
    /// Names a vendor has seen today (vivo: accepted `requestId`s).
    pub seen_today: BTreeSet<String>,
    /// The vendor day `daily` and `seen_today` belong to.
    pub day: Option<chrono::NaiveDate>,
    /// Device tokens made invalid by the scenario: how many more sends to
    /// refuse (`None`: every one).
    pub invalid: BTreeMap<String, Option<u32>>,
    /// Counter for ids the mock hands out.
    pub counter: u64,
    /// Faults injected by the scenario, in injection order.
    pub faults: Vec<ActiveFault>,
}

impl State {
    /// The vendor answers "invalid token" for `token`: to the next `count`
    /// sends, or (`None`) from now on. A count of nothing cannot be said.
    pub fn invalidate(&mut self, token: &str, count: Option<NonZeroU32>) {
        self.invalid
            .insert(token.to_string(), count.map(NonZeroU32::get));
    }

    /// Whether a send to `token` is refused as invalid; spends one refusal
    /// of a counted invalidation.
    fn refuse(&mut self, token: &str) -> bool {
        match self.invalid.get_mut(token) {
            None => false,
            Some(None) => true,
            Some(Some(left)) => {
                *left = left.saturating_sub(1);
                if *left == 0 {
                    self.invalid.remove(token);
                }
                true
            }
        }
    }

    /// The next id.
    pub fn next_id(&mut self) -> u64 {
        self.counter += 1;
        self.counter
    }
}

/// One vendor's model.
pub struct Model {
    /// The vendor.
    pub vendor: Vendor,
    /// Its mock file.
    pub spec: MockSpec,
    /// Its state.
    pub state: State,
    /// What it received and answered (observation at the vendor).
    pub journal: super::journal::Journal,
    /// The calendar time set through the control route, for requests without
    /// an `x-pushsim-now` header.
    pub clock: Option<SimTime>,
}

/// A handler: the vendor-specific, stateful part of a route.
pub type Handler = fn(&mut Model, &Parsed<'_>, SimTime) -> Reply;

/// A vendor's handlers by the name routes give them in `mocks/<vendor>.yaml`.
pub type Handlers = &'static [(&'static str, Handler)];

/// How far a signed request's `timestamp` may be from the vendor's clock
/// (OPPO and vivo: 10 minutes).
pub const CLOCK_WINDOW_MS: i64 = 600_000;

/// The handler a route of `vendor` names.
pub fn handler(vendor: Vendor, name: &str) -> Option<Handler> {
    let table: Handlers = match vendor {
        Vendor::Fcm => super::fcm::HANDLERS,
        Vendor::Huawei => super::huawei::HANDLERS,
        Vendor::Honor => super::honor::HANDLERS,
        Vendor::Xiaomi => super::xiaomi::HANDLERS,
        Vendor::Oppo => super::oppo::HANDLERS,
        Vendor::Vivo => super::vivo::HANDLERS,
        Vendor::Meizu => super::meizu::HANDLERS,
    };
    table.iter().find(|(n, _)| *n == name).map(|(_, h)| *h)
}

impl Model {
    /// A fresh model.
    pub fn new(vendor: Vendor, spec: MockSpec) -> Model {
        Model {
            vendor,
            spec,
            state: State::default(),
            journal: super::journal::Journal::default(),
            clock: None,
        }
    }

    /// Starts the vendor's day of `now` (its own zone, the one its quotas
    /// count in: [`super::fault::vendor_zone`]) if another day's counts are
    /// held, so that the per-day state never outgrows one day.
    pub fn roll_day(&mut self, now: SimTime) {
        let day = super::fault::vendor_zone(self.vendor).local(now).date;
        let s = &mut self.state;
        if s.day != Some(day) {
            s.day = Some(day);
            s.daily.clear();
            s.seen_today.clear();
        }
    }

    /// Issues an access token `{prefix}{n:06}` valid for the spec's lifetime.
    pub fn issue_token(&mut self, prefix: &str, now: SimTime) -> String {
        let n = self.state.next_id();
        self.record_token(format!("{prefix}{n:06}"), now)
    }

    /// Issues an access token `value(n)` valid for the spec's lifetime.
    pub fn issue_token_with(&mut self, value: fn(u64) -> String, now: SimTime) -> String {
        let n = self.state.next_id();
        self.record_token(value(n), now)
    }

    fn record_token(&mut self, value: String, now: SimTime) -> String {
        let lifetime = self.spec.auth.lifetime_s;
        self.state
            .issued
            .insert(value.clone(), now.plus_ms(lifetime * 1000));
        value
    }

    /// Whether an access token was issued and has not expired at `now`:
    /// `None` if unknown, `Some(false)` if expired.
    pub fn token_state(&self, token: &str, now: SimTime) -> Option<bool> {
        self.state.issued.get(token).map(|exp| now < *exp)
    }

    /// Whether the mock treats a device token as invalid in the send being
    /// answered (a refusal counted against `count` is spent).
    pub fn token_invalid(&mut self, token: &str) -> bool {
        self.state.refuse(token)
            || self
                .spec
                .tokens
                .invalid_prefixes
                .iter()
                .any(|p| token.starts_with(p.as_str()))
    }

    /// Answers one request at calendar time `now`: a control request
    /// ([`super::control`]) or a vendor request, which is journaled.
    pub fn handle(&mut self, req: &HttpRequest, now: SimTime) -> HttpResponse {
        if let Some(resp) = super::control::handle(self, req, now) {
            return resp;
        }
        let resp = self.handle_vendor(req, now);
        self.journal.record(req, &resp, now);
        resp
    }

    /// Answers one vendor request: route, fault, checks, handler.
    fn handle_vendor(&mut self, req: &HttpRequest, now: SimTime) -> HttpResponse {
        let path = req.path.split('?').next().unwrap_or("");
        let Some(ri) = self
            .spec
            .routes
            .iter()
            .position(|r| r.method == req.method && r.path == path)
        else {
            // A near miss names the closest route: what a person pointing a
            // client at the mock needs to see.
            let routes: Vec<String> = self
                .spec
                .routes
                .iter()
                .map(|r| format!("{} {}", r.method, r.path))
                .collect();
            let asked = format!("{} {}", req.method, path);
            let detail = match crate::scenario::diag::did_you_mean(
                &asked,
                routes.iter().map(String::as_str),
            ) {
                Some(close) => format!("no route for {asked}; did you mean {close}?"),
                None => format!("no route for {asked}; routes: {}", routes.join(", ")),
            };
            return self.render(&Reply::with("not_found", vec![("detail", detail)]));
        };
        let is_send = self.spec.routes[ri].handler == "send";
        let fault = self.state.faults.iter_mut().find(|f| {
            f.active(now)
                && (is_send || !f.kind.sends_only())
                && f.device_token
                    .as_ref()
                    .is_none_or(|t| is_send && contains(&req.body, t.as_bytes()))
        });
        let fault = fault.map(|f| {
            f.consume();
            (f.kind.clone(), f.device_token.is_some())
        });
        let (fault, per_device) = match fault {
            Some((kind, per_device)) => (Some(kind), per_device),
            None => (None, false),
        };
        match &fault {
            Some(FaultKind::RateLimited { retry_after_s }) => {
                // A vendor that documents a per-device rate answers it in its
                // own words; the others only know their app-wide limit.
                let name = if per_device && self.spec.responses.contains_key("device_rate_limited")
                {
                    "device_rate_limited"
                } else {
                    "rate_limited"
                };
                return self.render_named(name, &[("retry_after", retry_after_s.to_string())]);
            }
            Some(FaultKind::DailyQuota) => return self.render_named("daily_quota", &[]),
            Some(FaultKind::ServerError) => return self.render_named("server_error", &[]),
            Some(FaultKind::Garbage(Garbage::Empty)) => {
                return HttpResponse::new(200, vec![], Vec::new())
            }
            Some(FaultKind::Garbage(Garbage::Html)) => {
                let page = b"<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center></body></html>";
                return HttpResponse::new(
                    502,
                    vec![("content-type".into(), "text/html".into())],
                    page.to_vec(),
                );
            }
            _ => {}
        }
        let resp = self.answer(ri, req, now);
        match fault {
            Some(FaultKind::Slow { latency_ms }) => {
                resp.with_header(LATENCY_HEADER, latency_ms.to_string())
            }
            Some(FaultKind::Garbage(Garbage::Truncated)) => {
                let mut cut = resp;
                cut.body.truncate(cut.body.len() / 2);
                cut
            }
            _ => resp,
        }
    }

    /// Starts a fault at `now`.
    pub fn inject(&mut self, spec: &FaultSpec, now: SimTime) {
        if spec.kind == FaultKind::AuthExpired {
            self.state.issued.clear();
            return;
        }
        self.state
            .faults
            .push(ActiveFault::start(self.vendor, spec, now));
    }

    /// The answer without faults: route `ri`'s checks, then its handler.
    fn answer(&mut self, ri: usize, req: &HttpRequest, now: SimTime) -> HttpResponse {
        let parsed = Parsed {
            req,
            form: if is_form(req) {
                parse_form(&req.body)
            } else {
                BTreeMap::new()
            },
            json: if is_json(req) {
                json_of(&req.body).ok()
            } else {
                None
            },
        };
        let route = &self.spec.routes[ri];
        for check in &route.checks {
            if let Some(name) = self.refusal(check, &parsed, now) {
                return self.render_named(name, &[("detail", check.detail.clone())]);
            }
        }
        let reply = match handler(self.vendor, &route.handler) {
            Some(h) => h(self, &parsed, now),
            None => Reply::unknown_handler(&route.handler),
        };
        self.render(&reply)
    }

    /// The response a check answers with, if the request fails it.
    fn refusal<'c>(&self, check: &'c Check, p: &Parsed<'_>, now: SimTime) -> Option<&'c str> {
        if check.when.as_ref().is_some_and(|g| !guard_matches(g, p)) {
            return None;
        }
        if let Some(source) = &check.access_token {
            let token = match source.as_str() {
                "bearer" => bearer(p.req),
                header => p.req.header(header),
            };
            return match token.and_then(|t| self.token_state(t, now)) {
                Some(true) => None,
                Some(false) => Some(check.expired.as_deref().unwrap_or(&check.fail)),
                None => Some(&check.fail),
            };
        }
        (!passes(check, p)).then_some(check.fail.as_str())
    }

    /// Renders a reply.
    pub fn render(&self, reply: &Reply) -> HttpResponse {
        let vars: Vec<(&str, String)> = reply.vars.iter().map(|(k, v)| (*k, v.clone())).collect();
        self.render_named(reply.name, &vars)
    }

    fn render_named(&self, name: &str, vars: &[(&str, String)]) -> HttpResponse {
        let Some(spec) = self.spec.responses.get(name) else {
            return missing(name);
        };
        render(spec, &self.spec.credentials.app_id, vars)
    }
}

fn missing(name: &str) -> HttpResponse {
    let body = format!("pushsim mock file has no response {name:?}");
    HttpResponse::new(
        500,
        vec![("content-type".into(), "text/plain".into())],
        body.into_bytes(),
    )
}

fn is_form(req: &HttpRequest) -> bool {
    req.header("content-type")
        .is_some_and(|c| c.starts_with("application/x-www-form-urlencoded"))
}

fn is_json(req: &HttpRequest) -> bool {
    req.header("content-type")
        .is_some_and(|c| c.starts_with("application/json"))
}

/// Whether a request passes a check.
fn passes(check: &Check, p: &Parsed<'_>) -> bool {
    let text_ok = |v: &str| {
        check.max_chars.is_none_or(|max| v.chars().count() <= max)
            && check.equals.as_deref().is_none_or(|e| v == e)
            && check
                .starts_with
                .as_deref()
                .is_none_or(|s| v.starts_with(s))
    };
    if let Some(h) = &check.header {
        return match p.req.header(h) {
            Some(v) => text_ok(v),
            None => check.optional,
        };
    }
    if let Some(f) = &check.form {
        return match p.form.get(f) {
            Some(v) => !v.is_empty() && text_ok(v),
            None => check.optional,
        };
    }
    if let Some(path) = &check.json {
        let Some(body) = &p.json else { return false };
        return match at(body, path) {
            None | Some(Value::Null) => check.optional,
            Some(v) => {
                check.kind.is_none_or(|k| has_type(v, k))
                    && v.as_str().is_none_or(text_ok)
                    && within_limits(check, v)
            }
        };
    }
    false
}

/// `max_items` (array or object length).
fn within_limits(check: &Check, v: &Value) -> bool {
    let items = match v {
        Value::Array(a) => a.len(),
        Value::Object(o) => o.len(),
        _ => 0,
    };
    check.max_items.is_none_or(|max| items <= max)
}

/// The size of a message's payload as the vendors limit it (FCM and Huawei:
/// 4096 bytes): the compact JSON of the message without its recipients, since
/// a thousand Huawei tokens alone outweigh 4K.
pub fn payload_bytes(message: &serde_json::Map<String, Value>, recipients: &[&str]) -> usize {
    let payload: serde_json::Map<String, Value> = message
        .iter()
        .filter(|(k, _)| !recipients.contains(&k.as_str()))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    serde_json::to_vec(&payload).map_or(usize::MAX, |b| b.len())
}

/// The payload limit of FCM and Huawei, bytes.
pub const PAYLOAD_BYTES_MAX: usize = 4096;

/// Whether a request is one a check's guard selects.
fn guard_matches(g: &Guard, p: &Parsed<'_>) -> bool {
    let value: Option<String> = if let Some(h) = &g.header {
        p.req.header(h).map(str::to_string)
    } else if let Some(f) = &g.form {
        p.form.get(f).cloned()
    } else if let Some(path) = &g.json {
        match p.json.as_ref().and_then(|b| at(b, path)) {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) => Some(s.clone()),
            Some(v) => Some(v.to_string()),
        }
    } else {
        None
    };
    let hit = value.is_some_and(|v| g.equals.as_deref().is_none_or(|e| v == e));
    hit != g.not
}

fn has_type(v: &Value, kind: JsonType) -> bool {
    match kind {
        JsonType::String => v.is_string(),
        JsonType::NonEmptyString => v.as_str().is_some_and(|s| !s.is_empty()),
        JsonType::StringMap => v
            .as_object()
            .is_some_and(|o| o.values().all(Value::is_string)),
        JsonType::NonEmptyArray => v.as_array().is_some_and(|a| !a.is_empty()),
        JsonType::Object => v.is_object(),
        JsonType::Integer => v.is_i64() || v.is_u64(),
        JsonType::JsonObjectString => v
            .as_str()
            .and_then(|s| serde_json::from_str::<Value>(s).ok())
            .is_some_and(|v| v.is_object()),
    }
}

/// Renders a response spec with `{var}` substitution (and `{app_id}`).
fn render(spec: &ResponseSpec, app_id: &str, vars: &[(&str, String)]) -> HttpResponse {
    let fill = |s: &str| {
        let mut out = s.replace("{app_id}", app_id);
        for (k, v) in vars {
            out = out.replace(&format!("{{{k}}}"), v);
        }
        out
    };
    let mut headers: Vec<(String, String)> = spec
        .headers
        .iter()
        .map(|(k, v)| (k.clone(), fill(v)))
        .collect();
    let body = match &spec.body {
        None => Vec::new(),
        Some(v) => {
            headers.push((
                "content-type".into(),
                "application/json; charset=UTF-8".into(),
            ));
            serde_json::to_vec(&fill_value(v, &fill)).expect("a JSON value serializes")
        }
    };
    HttpResponse::new(spec.status, headers, body)
}

fn fill_value(v: &Value, fill: &dyn Fn(&str) -> String) -> Value {
    match v {
        // "{#var}" renders the variable as a JSON number.
        Value::String(s) if s.starts_with("{#") && s.ends_with('}') => {
            let text = fill(&format!("{{{}}}", &s[2..s.len() - 1]));
            text.parse::<i64>()
                .map(Value::from)
                .unwrap_or(Value::String(text))
        }
        // "{@var}" renders the variable as raw JSON (a list of tokens, …).
        Value::String(s) if s.starts_with("{@") && s.ends_with('}') => {
            let text = fill(&format!("{{{}}}", &s[2..s.len() - 1]));
            serde_json::from_str(&text).unwrap_or(Value::String(text))
        }
        Value::String(s) => Value::String(fill(s)),
        Value::Array(a) => Value::Array(a.iter().map(|v| fill_value(v, fill)).collect()),
        Value::Object(o) => Value::Object(
            o.iter()
                .map(|(k, v)| (k.clone(), fill_value(v, fill)))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// Whether `needle` occurs in `hay`.
fn contains(hay: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && hay.windows(needle.len()).any(|w| w == needle)
}
