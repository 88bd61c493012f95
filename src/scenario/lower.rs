//! `ScenarioFile` → [`Plan`]: resolves the profile, zones, certs and devices,
//! then (in `steps.rs`) the timeline and the expectations. Every semantic error
//! is collected with the position of the key it is about; nothing is defaulted
//! silently.

use super::at::parse_instant;
use super::diag::{did_you_mean, list, Diagnostic};
use super::file::{ProfileFile, ScenarioFile};
use super::knobs;
use super::plan::{DeviceDecl, Plan};
use super::tree::{Node, Path, Pos};
use crate::core::io::ServerConfig;
use crate::core::model::{DeviceKey, GroupId, Platform, UserId, Vendor};
use crate::core::profile::Profile;
use crate::core::time::{SimTime, Zone};
use chrono::{DateTime, Offset};
use std::collections::{BTreeMap, BTreeSet};

/// Lowering context: the file, its tree (the position index) and the errors so far.
pub(crate) struct Cx<'a> {
    pub(crate) file: &'a str,
    pub(crate) tree: &'a Node,
    pub(crate) diags: Vec<Diagnostic>,
    /// Declared users.
    pub(crate) users: BTreeSet<UserId>,
    /// Declared devices.
    pub(crate) devices: BTreeMap<DeviceKey, DeviceDecl>,
    /// Groups known so far (declared, then created by earlier steps).
    pub(crate) groups: BTreeSet<GroupId>,
    /// Certs: name → vendor (declared and implicit).
    pub(crate) certs: BTreeMap<String, Vendor>,
    /// The resolved profile.
    pub(crate) profile: Profile,
    /// `start`.
    pub(crate) start: SimTime,
    /// The offset of `start`, in which clock times are read.
    pub(crate) display_zone: Zone,
    /// The app's named zone (`app.timezone`), to warn when a clock time is
    /// read across its daylight-saving change.
    pub(crate) app_zone: Option<Zone>,
    /// Warnings so far.
    pub(crate) warnings: Vec<Diagnostic>,
}

impl Cx<'_> {
    fn push(&mut self, pos: Pos, p: &Path, msg: String, help: Option<String>) {
        let d = self.diagnostic(pos, p, msg, help, false);
        self.diags.push(d);
    }

    fn diagnostic(
        &self,
        pos: Pos,
        p: &Path,
        msg: String,
        help: Option<String>,
        warning: bool,
    ) -> Diagnostic {
        let message = if p.0.is_empty() {
            msg
        } else {
            format!("{p}: {msg}")
        };
        Diagnostic {
            path: self.file.to_string(),
            line: pos.line,
            column: pos.col,
            message,
            help,
            warning,
        }
    }
    /// A rule id of the catalogue; an unknown one is an error at `p` with a
    /// suggestion.
    pub(crate) fn rule_id(&mut self, p: &Path, id: &str) -> Option<&'static str> {
        if let Ok(i) = super::rules::RULE_IDS.binary_search(&id) {
            return Some(super::rules::RULE_IDS[i]);
        }
        let help = did_you_mean(id, super::rules::RULE_IDS.iter().copied())
            .map(|s| format!("did you mean {s}?"))
            .unwrap_or_else(|| {
                "`pushsim rules` lists every rule id (PRS-01, DNDW-04, E-01, …)".into()
            });
        self.err(p, format!("unknown rule id `{id}`"), Some(help));
        None
    }

    /// A warning about the value at `p`: reported, and the file still loads.
    pub(crate) fn warn(&mut self, p: &Path, msg: impl Into<String>, help: Option<String>) {
        let pos = self.tree.pos_of(&p.0);
        let w = self.diagnostic(pos, p, msg.into(), help, true);
        self.warnings.push(w);
    }
    /// An error about the value at `p`.
    pub(crate) fn err(&mut self, p: &Path, msg: impl Into<String>, help: Option<String>) {
        let pos = self.tree.pos_of(&p.0);
        self.push(pos, p, msg.into(), help);
    }
    /// An error about the key that ends `p`.
    pub(crate) fn err_key(&mut self, p: &Path, msg: impl Into<String>, help: Option<String>) {
        let pos = self.tree.key_pos_of(&p.0);
        self.push(pos, p, msg.into(), help);
    }

    /// A declared user.
    /// A vendor by name; an unknown one is an error at `p` with a suggestion.
    pub(crate) fn vendor(&mut self, p: &Path, name: &str) -> Option<Vendor> {
        let v = Vendor::parse(name);
        if v.is_none() {
            bad_vendor(self, p, name);
        }
        v
    }

    pub(crate) fn user(&mut self, p: &Path, name: &str) -> Option<UserId> {
        if self.users.contains(name) {
            return Some(name.to_string());
        }
        let help = did_you_mean(name, self.users.iter().map(String::as_str))
            .map(|s| format!("did you mean `{s}`?"))
            .or_else(|| {
                Some(format!(
                    "declared users: {}",
                    list(&self.users.iter().collect::<Vec<_>>(), 12)
                ))
            });
        let help = if name.contains('/') {
            Some("this names a device; a user is just `alice`".into())
        } else {
            help
        };
        self.err(p, format!("undeclared user `{name}`"), help);
        None
    }

    /// A declared device, written `user/device`.
    pub(crate) fn device(&mut self, p: &Path, text: &str) -> Option<DeviceKey> {
        if let Some(k) = DeviceKey::parse(text) {
            if self.devices.contains_key(&k) {
                return Some(k);
            }
        }
        let own: Vec<String> = match DeviceKey::parse(text) {
            Some(k) => self
                .devices
                .keys()
                .filter(|d| d.user == k.user)
                .map(|d| d.to_string())
                .collect(),
            None => self
                .devices
                .keys()
                .filter(|d| d.user == text)
                .map(|d| d.to_string())
                .collect(),
        };
        let all: Vec<String> = self.devices.keys().map(|d| d.to_string()).collect();
        let help = if DeviceKey::parse(text).is_none() && self.users.contains(text) {
            if own.is_empty() {
                format!("a device is named `user/device`; user `{text}` declares no devices")
            } else {
                format!("a device is named `user/device`: {}", list(&own, 12))
            }
        } else if let Some(s) = did_you_mean(text, all.iter().map(String::as_str)) {
            format!("did you mean `{s}`?")
        } else if all.is_empty() {
            "no devices are declared (users.NAME.devices)".to_string()
        } else {
            format!(
                "declared devices: {}",
                list(if own.is_empty() { &all } else { &own }, 12)
            )
        };
        self.err(p, format!("undeclared device `{text}`"), Some(help));
        None
    }
}

/// Lowers a structurally valid file. `steps`/`expect` entries that failed to
/// read are simply absent (their errors are already reported).
pub(crate) fn lower(
    file: &str,
    id: String,
    tree: &Node,
    f: ScenarioFile,
) -> (Option<Plan>, Vec<Diagnostic>) {
    let root = Path::default();
    let mut cx = Cx {
        file,
        tree,
        diags: Vec::new(),
        users: BTreeSet::new(),
        devices: BTreeMap::new(),
        groups: BTreeSet::new(),
        certs: BTreeMap::new(),
        profile: Profile::easemob(),
        start: SimTime(0),
        display_zone: Zone::parse("+00:00").expect("UTC parses"),
        app_zone: None,
        warnings: Vec::new(),
    };

    if let Some(v) = f.version.filter(|v| *v != 1) {
        cx.err(
            &root.key("version"),
            format!("unsupported version {v}"),
            Some("only `version: 1` exists".into()),
        );
    }
    let rules = f.rules.clone().unwrap_or_default();
    if rules.is_empty() && f.rules.is_some() {
        cx.err(
            &root.key("rules"),
            "list at least one rule id",
            Some("ids come from RULES.md, e.g. [DNDW-04]".into()),
        );
    }
    for (i, r) in rules.iter().enumerate() {
        cx.rule_id(&root.key("rules").idx(i), r);
    }

    // Time.
    let start_text = f.start.clone().unwrap_or_default();
    match DateTime::parse_from_rfc3339(start_text.trim()) {
        // A fractional second would make a step at `"21:00"` on the start's
        // own minute fall before the start, so it ran a day later; years
        // past 9999 do not print as RFC 3339.
        Ok(dt) if dt.timestamp_subsec_millis() != 0 => cx.err(
            &root.key("start"),
            format!("`{start_text}` has a fraction of a second"),
            Some("start on a whole second; put sub-second timing into steps (`at: +500ms`)".into()),
        ),
        Ok(dt) if !(1970..=9000).contains(&chrono::Datelike::year(&dt)) => cx.err(
            &root.key("start"),
            format!("`{start_text}` is outside the years 1970 to 9000"),
            None,
        ),
        Ok(dt) => {
            cx.start = SimTime(dt.timestamp_millis());
            cx.display_zone = Zone::Fixed(dt.offset().fix());
        }
        Err(_) => cx.err(
            &root.key("start"),
            format!("cannot read `{start_text}` as a time"),
            Some("expected RFC 3339 with an offset, e.g. 2026-03-01T21:00:00+08:00".into()),
        ),
    }
    debug_assert!(parse_instant(&start_text).is_none_or(|t| t == cx.start));
    let tick_ms = f.tick_ms.unwrap_or(10);
    if !(1..=1000).contains(&tick_ms) {
        cx.err(
            &root.key("tick_ms"),
            format!("tick_ms {tick_ms} is out of range"),
            Some("expected 1..=1000".into()),
        );
    }

    // Profile.
    let profile_path = root.key("profile");
    let mut knob_policy = None;
    let base = match &f.profile {
        None => Some("easemob".to_string()),
        Some(ProfileFile::Name(n)) => Some(n.clone()),
        Some(ProfileFile::Custom { base, .. }) => {
            Some(base.clone().unwrap_or_else(|| "easemob".into()))
        }
    };
    if let Some(name) = base {
        let p = if matches!(f.profile, Some(ProfileFile::Custom { .. })) {
            profile_path.key("base")
        } else {
            profile_path.clone()
        };
        match Profile::by_name(&name) {
            Some(prof) => cx.profile = prof,
            None => {
                let help = did_you_mean(&name, Profile::NAMES.iter().copied())
                    .map(|s| format!("did you mean `{s}`?"))
                    .unwrap_or_else(|| format!("profiles: {}", Profile::NAMES.join(", ")));
                cx.err(&p, format!("unknown profile `{name}`"), Some(help));
            }
        }
    }
    if let Some(ProfileFile::Custom { knobs, .. }) = &f.profile {
        for (knob, value) in knobs {
            let p = profile_path.key(knob);
            match knobs::apply(&mut cx.profile, knob, value) {
                Ok(()) => {
                    if knob == "multi.policy" {
                        knob_policy = Some(cx.profile.multi_policy);
                    }
                }
                Err((msg, help)) if msg.starts_with("invalid value") => cx.err(&p, msg, help),
                Err((msg, help)) => cx.err_key(&p, msg, help),
            }
        }
    }

    // App.
    let app = root.key("app");
    if let Some(mdp) = &f.app.multi_device_push {
        let p = app.key("multi_device_push");
        match knobs::multi_policy(mdp) {
            Some(pol) if knob_policy.is_some_and(|k| k != pol) => cx.err(
                &p,
                "contradicts the profile's `multi.policy` override",
                Some("set the policy in one place".into()),
            ),
            Some(pol) => cx.profile.multi_policy = pol,
            None => cx.err(
                &p,
                format!("unknown policy `{mdp}`"),
                Some("expected all_offline | any_offline | per_device".into()),
            ),
        }
    }
    let app_zone = match &f.app.timezone {
        None => cx.display_zone,
        Some(tz) => zone(&mut cx, &app.key("timezone"), tz).unwrap_or(cx.display_zone),
    };
    cx.app_zone = matches!(app_zone, Zone::Iana(_)).then_some(app_zone);
    let mut cert_options = BTreeMap::new();
    for (name, cert) in &f.app.certs.0 {
        match Vendor::parse(&cert.vendor) {
            Some(v) => {
                cx.certs.insert(name.clone(), v);
                let known = crate::vendor::options(v);
                let mut opts = BTreeMap::new();
                for (key, value) in &cert.options.0 {
                    let kp = app.key("certs").key(name).key("options").key(key);
                    if known.contains(&key.as_str()) {
                        opts.insert(key.clone(), value.clone());
                    } else {
                        let help = match did_you_mean(key, known.iter().copied()) {
                            Some(k) => format!("did you mean `{k}`?"),
                            None if known.is_empty() => format!("{} takes no options", v.name()),
                            None => format!("{} options: {}", v.name(), known.join(", ")),
                        };
                        cx.err_key(
                            &kp,
                            format!("unknown {} option `{key}`", v.name()),
                            Some(help),
                        );
                    }
                }
                if !opts.is_empty() {
                    cert_options.insert(name.clone(), opts);
                }
            }
            None => bad_vendor(
                &mut cx,
                &app.key("certs").key(name).key("vendor"),
                &cert.vendor,
            ),
        }
    }

    // Users and devices.
    let mut user_zones = BTreeMap::new();
    let users_path = root.key("users");
    for (name, _) in &f.users.0 {
        if valid_name(&mut cx, &users_path.key(name), name, "user") {
            cx.users.insert(name.clone());
        }
    }
    let declared_certs = cx.certs.clone();
    for (name, user) in &f.users.0 {
        let up = users_path.key(name);
        let user = user.as_ref();
        let tz = user
            .and_then(|u| u.timezone.as_ref())
            .and_then(|tz| zone(&mut cx, &up.key("timezone"), tz));
        user_zones.insert(name.clone(), tz);
        for (dname, dev) in user.map(|u| u.devices.0.as_slice()).unwrap_or_default() {
            let dp = up.key("devices").key(dname);
            if !valid_name(&mut cx, &dp, dname, "device") {
                continue;
            }
            let dev = dev.as_ref();
            let field =
                |f: fn(&super::file::DeviceFile) -> Option<&String>| dev.and_then(f).cloned();
            let platform = match field(|d| d.platform.as_ref()) {
                None => Platform::Android,
                Some(s) => Platform::parse(&s).unwrap_or_else(|| {
                    let names: Vec<_> = Platform::ALL.iter().map(|p| p.name()).collect();
                    cx.err(
                        &dp.key("platform"),
                        format!("unknown platform `{s}`"),
                        Some(format!("expected one of: {}", names.join(", "))),
                    );
                    Platform::Android
                }),
            };
            let vendor = field(|d| d.vendor.as_ref()).and_then(|s| {
                let v = Vendor::parse(&s);
                if v.is_none() {
                    bad_vendor(&mut cx, &dp.key("vendor"), &s);
                }
                v
            });
            let vendor = match dev.and_then(|d| d.services.as_ref()) {
                None => vendor,
                Some(services) => probe(&mut cx, &dp, dev, services),
            };
            let cert = device_cert(
                &mut cx,
                &dp,
                &declared_certs,
                field(|d| d.cert.as_ref()),
                vendor,
            );
            let key = DeviceKey::new(name, dname);
            let token = field(|d| d.token.as_ref()).unwrap_or_else(|| default_token(name, dname));
            let auto_bind = dev.and_then(|d| d.auto_bind).unwrap_or(true);
            cx.devices.insert(
                key.clone(),
                DeviceDecl {
                    key,
                    platform,
                    cert,
                    token,
                    auto_bind,
                },
            );
        }
    }
    // Groups.
    let mut groups = BTreeMap::new();
    let gp = root.key("groups");
    for (g, members) in &f.groups.0 {
        let p = gp.key(g);
        if !valid_name(&mut cx, &p, g, "group") {
            continue;
        }
        let is_list = matches!(
            tree.at(&p.0).map(|n| &n.kind),
            Some(super::tree::Kind::Seq(_))
        );
        let mp = if is_list { p.clone() } else { p.key("members") };
        let m = members_of(&mut cx, &mp, &members.0);
        cx.groups.insert(g.clone());
        groups.insert(g.clone(), m);
    }

    let (steps, expect) = super::steps::lower_timeline(&mut cx, &f);

    let server = ServerConfig {
        profile: cx.profile.clone(),
        app_zone,
        certs: cx.certs.clone(),
        users: user_zones,
        groups,
    };
    let plan = Plan {
        path: file.to_string(),
        id,
        name: f.name.clone().unwrap_or_default(),
        about: f.about.clone().unwrap_or_default(),
        rules,
        tags: f.tags.clone(),
        seed: f.seed.unwrap_or(1),
        start: cx.start,
        display_zone: cx.display_zone,
        tick_ms,
        server,
        devices: cx.devices.values().cloned().collect(),
        steps,
        expect,
        cert_options,
        warnings: std::mem::take(&mut cx.warnings),
    };
    (Some(plan), cx.diags)
}

/// Checks a user/device/group name: non-empty, no `/`, no surrounding
/// spaces, nothing invisible (`alice` and `alice` + U+200B must not be two
/// users that look the same in every report).
fn valid_name(cx: &mut Cx<'_>, p: &Path, name: &str, what: &str) -> bool {
    let invisible = name
        .chars()
        .find(|&c| crate::outcome::invisible(c) || c.is_control());
    if name.is_empty() || name.contains('/') || name.trim() != name || invisible.is_some() {
        let shown = crate::outcome::escape_invisible(name);
        cx.err_key(
            p,
            format!("invalid {what} name `{shown}`"),
            Some("names are non-empty and contain no `/`, no surrounding spaces and no invisible or control characters".into()),
        );
        return false;
    }
    true
}

/// A list of declared, distinct users.
pub(crate) fn members_of(cx: &mut Cx<'_>, p: &Path, names: &[String]) -> Vec<UserId> {
    let mut out: Vec<UserId> = Vec::new();
    for (i, m) in names.iter().enumerate() {
        let mp = p.idx(i);
        if out.contains(m) {
            cx.err(&mp, format!("`{m}` is listed twice"), None);
        } else if let Some(u) = cx.user(&mp, m) {
            out.push(u);
        }
    }
    out
}

fn bad_vendor(cx: &mut Cx<'_>, p: &Path, s: &str) {
    let names: Vec<_> = Vendor::ALL.iter().map(|v| v.name()).collect();
    let help = did_you_mean(s, names.iter().copied())
        .map(|n| format!("did you mean `{n}`?"))
        .unwrap_or_else(|| format!("expected one of: {}", names.join(", ")));
    cx.err(p, format!("unknown vendor `{s}`"), Some(help));
}

fn zone(cx: &mut Cx<'_>, p: &Path, text: &str) -> Option<Zone> {
    let z = Zone::parse(text);
    if z.is_none() {
        cx.err(
            p,
            format!("unknown time zone `{text}`"),
            Some("expected an IANA name such as Asia/Shanghai or an offset such as +08:00".into()),
        );
    }
    z
}

/// VND-02/03: the vendor an SDK supporting `services` registers with — the
/// first of them in the profile's `vendor.order`; `None` when none is (the SDK
/// keeps its long connection and binds nothing) or on an error (reported).
fn probe(
    cx: &mut Cx<'_>,
    dp: &Path,
    dev: Option<&super::file::DeviceFile>,
    services: &[String],
) -> Option<Vendor> {
    let sp = dp.key("services");
    let conflict = dev.is_some_and(|d| d.vendor.is_some() || d.cert.is_some());
    if conflict {
        cx.err(
            &sp,
            "`services` picks the vendor by the profile's probe order; drop `vendor`/`cert`",
            None,
        );
    }
    let mut parsed = Vec::new();
    for (i, s) in services.iter().enumerate() {
        match Vendor::parse(s) {
            Some(v) => parsed.push(v),
            None => bad_vendor(cx, &sp.idx(i), s),
        }
    }
    if conflict || parsed.len() != services.len() {
        return None;
    }
    cx.profile.pick_vendor(&parsed)
}

/// The cert a device binds with (see scenarios/README.md, `devices`).
fn device_cert(
    cx: &mut Cx<'_>,
    dp: &Path,
    declared: &BTreeMap<String, Vendor>,
    cert: Option<String>,
    vendor: Option<Vendor>,
) -> Option<String> {
    match (cert, vendor) {
        (Some(c), v) => {
            match (declared.get(&c), v) {
                (Some(cv), Some(v)) if *cv != v => cx.err(
                    &dp.key("vendor"),
                    format!("cert `{c}` is a {} cert, not {}", cv.name(), v.name()),
                    Some("drop `vendor:` or pick a cert of that vendor".into()),
                ),
                (None, Some(v)) => cx.err(
                    &dp.key("cert"),
                    format!("cert `{c}` is not declared in app.certs"),
                    Some(format!(
                        "declare it (`app.certs.{c}: {{ vendor: {} }}`), or drop `vendor:` to bind with an unknown cert (rejected at run time, E-53)",
                        v.name()
                    )),
                ),
                _ => {}
            }
            Some(c)
        }
        (None, Some(v)) => {
            let of_vendor: Vec<&String> = declared
                .iter()
                .filter(|(_, cv)| **cv == v)
                .map(|(n, _)| n)
                .collect();
            match of_vendor.as_slice() {
                [one] => Some((*one).clone()),
                [] => {
                    let name = v.name().to_string();
                    match cx.certs.get(&name) {
                        Some(other) if *other != v => {
                            cx.err(&dp.key("vendor"), format!("the implicit cert `{name}` would clash with app cert `{name}` ({})", other.name()), Some("name the cert with `cert:`".into()));
                            None
                        }
                        _ => {
                            cx.certs.insert(name.clone(), v);
                            Some(name)
                        }
                    }
                }
                many => {
                    cx.err(
                        &dp.key("vendor"),
                        format!(
                            "several app certs are {} certs: {}",
                            v.name(),
                            list(many, 12)
                        ),
                        Some("name one with `cert:`".into()),
                    );
                    None
                }
            }
        }
        (None, None) => None,
    }
}

/// A device's token when the scenario gives none: `tok-<user>-<device>`,
/// lengthened to the 8 characters the FCM mock requires of a well-formed
/// token (`tok-u-a` would silently turn a scenario into an invalid-token case).
pub(crate) fn default_token(user: &str, device: &str) -> String {
    let token = format!("tok-{user}-{device}");
    if token.chars().count() < MIN_TOKEN_CHARS {
        format!("{token}-token")
    } else {
        token
    }
}

/// The shortest token the FCM mock treats as well formed (`src/mock/fcm.rs`).
const MIN_TOKEN_CHARS: usize = 8;

#[cfg(test)]
mod token_tests {
    #[test]
    fn default_tokens_are_long_enough_for_every_mock() {
        assert_eq!(super::default_token("bob", "phone"), "tok-bob-phone");
        assert_eq!(super::default_token("u", "a"), "tok-u-a-token");
    }
}
