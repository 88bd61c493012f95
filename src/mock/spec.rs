//! `mocks/<vendor>.yaml`: the declarative part of a vendor mock — the
//! credentials it accepts, its routes, what each route checks before the
//! vendor's model sees the request, and the vendor's real responses.
//!
//! The files are compiled in, so `pushsim` needs no files at run time; a test
//! loads every file and checks that every response a route or a model names
//! exists.

use crate::core::model::Vendor;
use crate::vendor::Credentials;
use serde::Deserialize;
use serde_json::Value;
use std::collections::BTreeMap;

/// The compiled-in mock files.
const FILES: &[(Vendor, &str)] = &[
    (Vendor::Fcm, include_str!("../../mocks/fcm.yaml")),
    (Vendor::Huawei, include_str!("../../mocks/huawei.yaml")),
    (Vendor::Honor, include_str!("../../mocks/honor.yaml")),
    (Vendor::Xiaomi, include_str!("../../mocks/xiaomi.yaml")),
    (Vendor::Oppo, include_str!("../../mocks/oppo.yaml")),
    (Vendor::Vivo, include_str!("../../mocks/vivo.yaml")),
    (Vendor::Meizu, include_str!("../../mocks/meizu.yaml")),
];

/// Key files the mock files refer to as `file:keys/…`.
const KEYS: &[(&str, &str)] = &[
    (
        "keys/fcm-test-key.pem",
        include_str!("../../mocks/keys/fcm-test-key.pem"),
    ),
    (
        "keys/fcm-test-key.pub.pem",
        include_str!("../../mocks/keys/fcm-test-key.pub.pem"),
    ),
];

/// One vendor's mock file.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MockSpec {
    /// Vendor name (`fcm`, …).
    pub vendor: String,
    /// What the mock is faithful to, and its sources.
    pub about: String,
    /// What the mock accepts; the pipeline is given the same.
    pub credentials: CredentialSpec,
    /// Device tokens the mock treats as invalid from the start.
    #[serde(default)]
    pub tokens: TokenSpec,
    /// Access-token lifetime.
    pub auth: AuthSpec,
    /// App configuration the pipeline is given (channel id, classification, …);
    /// a scenario's cert `options` override it.
    #[serde(default)]
    pub app: BTreeMap<String, String>,
    /// Routes, matched by method and exact path.
    pub routes: Vec<Route>,
    /// Named responses.
    pub responses: BTreeMap<String, ResponseSpec>,
}

/// Credentials; a value `file:keys/x.pem` names a key file under `mocks/`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CredentialSpec {
    /// Project / app id.
    pub app_id: String,
    /// OAuth client id / service-account email.
    pub client_id: String,
    /// Secret or private key.
    pub secret: String,
    /// Key id (FCM `private_key_id`).
    #[serde(default)]
    pub key_id: String,
    /// The public key the mock verifies signatures with.
    #[serde(default)]
    pub verify_key: String,
    /// App package.
    pub package: String,
}

/// Tokens the mock knows.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenSpec {
    /// A device token starting with one of these is unregistered.
    #[serde(default)]
    pub invalid_prefixes: Vec<String>,
}

/// Auth settings.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuthSpec {
    /// Lifetime of an issued access token, seconds.
    pub lifetime_s: i64,
}

/// A route.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Route {
    /// Name, for diagnostics.
    pub name: String,
    /// HTTP method.
    pub method: String,
    /// Exact path; `{app_id}` is replaced by the credentials' app id.
    pub path: String,
    /// The model function that answers once the checks pass.
    pub handler: String,
    /// Checks, in order; the first that fails answers.
    #[serde(default)]
    pub checks: Vec<Check>,
}

/// One check of a request. Exactly one of `header`, `form`, `json`,
/// `access_token` names what is checked.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Check {
    /// The access token the mock issued, read from `bearer` (the
    /// `Authorization: Bearer` header) or from the header of that name. It must
    /// be one the mock issued and has not expired: vendors authenticate before
    /// they read the body, so a forged token with a bad body gets the auth
    /// error, not a parameter error.
    #[serde(default)]
    pub access_token: Option<String>,
    /// The response for an issued token that has expired (default: `fail`).
    #[serde(default)]
    pub expired: Option<String>,
    /// The check applies only to requests this guard matches.
    #[serde(default)]
    pub when: Option<Guard>,
    /// A header (case-insensitive).
    #[serde(default)]
    pub header: Option<String>,
    /// A field of a form body.
    #[serde(default)]
    pub form: Option<String>,
    /// A dotted path into a JSON body.
    #[serde(default)]
    pub json: Option<String>,
    /// The value must equal this.
    #[serde(default)]
    pub equals: Option<String>,
    /// The value must start with this.
    #[serde(default)]
    pub starts_with: Option<String>,
    /// The JSON value must have this type.
    #[serde(default, rename = "type")]
    pub kind: Option<JsonType>,
    /// The JSON array (or object) has at most this many items (entries).
    #[serde(default)]
    pub max_items: Option<usize>,
    /// The string (form field or JSON string) has at most this many characters.
    #[serde(default)]
    pub max_chars: Option<usize>,
    /// Absence is fine (the other conditions apply when present).
    #[serde(default)]
    pub optional: bool,
    /// The response when the check fails.
    pub fail: String,
    /// The `{detail}` of that response.
    pub detail: String,
}

/// Which requests a check applies to: those where the named field is present
/// (and equals `equals`, if given); `not` inverts the match.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Guard {
    /// A header (case-insensitive).
    #[serde(default)]
    pub header: Option<String>,
    /// A field of a form body.
    #[serde(default)]
    pub form: Option<String>,
    /// A dotted path into a JSON body (`null` counts as absent).
    #[serde(default)]
    pub json: Option<String>,
    /// The value (a string, or a number's decimal text) must equal this.
    #[serde(default)]
    pub equals: Option<String>,
    /// Inverts the match.
    #[serde(default)]
    pub not: bool,
}

/// JSON types a check can require.
#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum JsonType {
    /// A string.
    String,
    /// A non-empty string.
    NonEmptyString,
    /// An object whose values are all strings.
    StringMap,
    /// A non-empty array.
    NonEmptyArray,
    /// An object.
    Object,
    /// An integer.
    Integer,
    /// A string holding a JSON object.
    JsonObjectString,
}

/// A response; strings in `headers` and `body` may hold `{var}` placeholders.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResponseSpec {
    /// Status code.
    pub status: u16,
    /// Extra headers.
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    /// JSON body; absent = empty body.
    #[serde(default)]
    pub body: Option<Value>,
}

/// Why a mock file is unusable.
#[derive(Debug, thiserror::Error)]
pub enum SpecError {
    /// No file for this vendor.
    #[error("no mock for vendor {0} yet")]
    NoMock(&'static str),
    /// The YAML does not parse.
    #[error("mocks/{vendor}.yaml: {error}")]
    Yaml {
        /// Vendor.
        vendor: &'static str,
        /// Parser error (with line and column).
        error: serde_yaml::Error,
    },
    /// A `file:` reference names no known key file.
    #[error("mocks/{vendor}.yaml: unknown key file {file}")]
    KeyFile {
        /// Vendor.
        vendor: &'static str,
        /// The reference.
        file: String,
    },
}

impl MockSpec {
    /// The spec of `vendor`, with `file:` references resolved.
    pub fn load(vendor: Vendor) -> Result<MockSpec, SpecError> {
        let text = FILES
            .iter()
            .find(|(v, _)| *v == vendor)
            .map(|(_, t)| *t)
            .ok_or(SpecError::NoMock(vendor.name()))?;
        let mut spec: MockSpec = serde_yaml::from_str(text).map_err(|error| SpecError::Yaml {
            vendor: vendor.name(),
            error,
        })?;
        for field in [
            &mut spec.credentials.secret,
            &mut spec.credentials.verify_key,
        ] {
            if let Some(file) = field.strip_prefix("file:") {
                let key = KEYS.iter().find(|(name, _)| *name == file).ok_or_else(|| {
                    SpecError::KeyFile {
                        vendor: vendor.name(),
                        file: file.to_string(),
                    }
                })?;
                *field = key.1.to_string();
            }
        }
        let app_id = spec.credentials.app_id.clone();
        for r in &mut spec.routes {
            r.path = r.path.replace("{app_id}", &app_id);
        }
        Ok(spec)
    }

    /// Vendors that have a mock file.
    pub fn vendors() -> impl Iterator<Item = Vendor> {
        FILES.iter().map(|(v, _)| *v)
    }

    /// The credentials the pipeline is given for this vendor.
    pub fn credentials(&self, vendor: Vendor) -> Credentials {
        let c = &self.credentials;
        Credentials {
            vendor,
            app_id: c.app_id.clone(),
            client_id: c.client_id.clone(),
            secret: c.secret.clone(),
            key_id: c.key_id.clone(),
            package: c.package.clone(),
            options: self.app.clone(),
        }
    }
}
