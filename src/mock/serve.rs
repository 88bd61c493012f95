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
    json!({
        "about": "pushsim mock vendors. Requests may carry `x-pushsim-now: <ms since epoch>` to set the calendar time; without it the wall clock is used.",
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
    json!({
        "base_url": fleet.base_url(vendor),
        "about": spec.about.trim(),
        "credentials": credentials,
        "routes": routes,
        "access_token_lifetime_s": spec.auth.lifetime_s,
        "device_tokens": {
            "valid": "any other non-empty token (FCM: at least 8 characters, no spaces)",
            "invalid_prefixes": spec.tokens.invalid_prefixes,
        },
    })
}
