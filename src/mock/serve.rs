//! `pushsim mocks serve`: the wiremocked vendors standalone on loopback, so a
//! person can point any push implementation at them by hand. The manifest says
//! where each vendor listens and what it accepts.

use super::fleet::MockFleet;
use super::spec::MockSpec;
use crate::core::model::Vendor;
use serde_json::{json, Value};

/// The manifest printed on stdout: per vendor, its base URL, the credentials
/// and app config it accepts, its routes, and which device tokens it rejects.
pub fn manifest(fleet: &MockFleet) -> Value {
    let mut vendors = serde_json::Map::new();
    for vendor in fleet.vendors() {
        let Ok(spec) = MockSpec::load(vendor) else {
            continue;
        };
        vendors.insert(vendor.name().to_string(), describe(fleet, vendor, &spec));
    }
    let control: Vec<Value> = super::control::ROUTES
        .iter()
        .map(|(method, path, about)| json!({"method": method, "path": path, "about": about}))
        .collect();
    json!({
        "about": "pushsim mock vendors over plain HTTP on loopback. Point a client's vendor host at a vendor's base_url (see `stands_in_for`); TLS is not served. The calendar time is, in order: an `x-pushsim-now: <ms since epoch>` request header, a clock set with PUT /__pushsim/clock, the wall clock.",
        "control_routes": {
            "about": "Every mock answers these under its own base_url, before its vendor API; they are not journaled and never meet a fault.",
            "routes": control,
        },
        "vendors": vendors,
    })
}

fn describe(fleet: &MockFleet, vendor: Vendor, spec: &MockSpec) -> Value {
    let c = &spec.credentials;
    let routes: Vec<Value> = spec
        .routes
        .iter()
        .map(|r| json!({"name": r.name, "method": r.method, "path": r.path}))
        .collect();
    let mut credentials = json!({
        "app_id": c.app_id,
        "client_id": c.client_id,
        "secret": c.secret,
        "package": c.package,
    });
    if !c.key_id.is_empty() {
        credentials["key_id"] = json!(c.key_id);
    }
    if vendor == Vendor::Fcm {
        // A Google service-account key file whose token_uri points at the mock:
        // firebase-admin and google-auth read it as is.
        credentials["service_account_json"] = json!({
            "type": "service_account",
            "project_id": c.app_id,
            "private_key_id": c.key_id,
            "private_key": c.secret,
            "client_email": c.client_id,
            "token_uri": format!("{}/token", fleet.base_url(vendor)),
        });
    }
    let (real_hosts, hint) = stands_in_for(vendor);
    json!({
        "base_url": fleet.base_url(vendor),
        "about": spec.about.trim(),
        "stands_in_for": real_hosts,
        "pointing_a_client": hint,
        "app": {
            "about": "App settings the mock expects requests to carry on the app's behalf (a scenario's cert `options` override them); keys not sent say so in mocks/<vendor>.yaml.",
            "settings": spec.app,
        },
        "credentials": credentials,
        "routes": routes,
        "access_token_lifetime_s": spec.auth.lifetime_s,
        "device_tokens": {
            "valid": "any other non-empty token (FCM: at least 8 characters, no spaces)",
            "invalid_prefixes": spec.tokens.invalid_prefixes,
        },
    })
}

/// The vendor's real hosts this mock replaces (VENDORS.md), and how to point a
/// client at it.
fn stands_in_for(vendor: Vendor) -> (&'static [&'static str], &'static str) {
    match vendor {
        Vendor::Fcm => (
            &["https://fcm.googleapis.com", "https://oauth2.googleapis.com/token"],
            "Use credentials.service_account_json as the key file: its token_uri points at this mock, which accepts a JWT whose aud is either Google's token URL or that token_uri, with or without kid. Send to {base_url}/v1/projects/{app_id}/messages:send.",
        ),
        Vendor::Huawei => (
            &["https://push-api.cloud.huawei.com", "https://oauth-login.cloud.huawei.com"],
            "Client credentials at {base_url}/oauth2/v3/token (client_id, secret); send to {base_url}/v1/{app_id}/messages:send. Huawei's server demos take both hosts as configuration.",
        ),
        Vendor::Honor => (
            &["https://push-api.cloud.hihonor.com", "https://iam.developer.hihonor.com"],
            "Client credentials at {base_url}/auth/token; send to {base_url}/api/v1/{app_id}/sendMessage with a `timestamp` header.",
        ),
        Vendor::Xiaomi => (
            &["https://api.xmpush.xiaomi.com"],
            "`Authorization: key=<secret>` on every request; form-encoded sends to {base_url}/v3/message/regid, with `extra.channel_id` one of app.settings.registered_channels.",
        ),
        Vendor::Oppo => (
            &["https://api.push.oppomobile.com"],
            "Auth at {base_url}/server/v1/auth (sign = sha256(app_key + timestamp + master_secret)); sends to {base_url}/server/v1/message/notification/unicast with auth_token.",
        ),
        Vendor::Vivo => (
            &["https://api-push.vivo.com.cn"],
            "Auth at {base_url}/message/auth (sign = md5(appId + appKey + timestamp + appSecret)); sends to {base_url}/message/send with the authToken header and a unique requestId.",
        ),
        Vendor::Meizu => (
            &["https://api-push.meizu.com", "http://server-api-push.meizu.com"],
            "Every form is signed: md5 of the parameters sorted by name as name=value, then the secret; sends to {base_url}/garcia/api/server/push/varnished/pushByPushId.",
        ),
    }
}
