//! The mock vendors of one run: one wiremock MockServer per vendor, each with
//! a fresh model, so runs share no state and replay identically.

use super::fault::FaultSpec;
use super::model::Model;
use super::shell::{Fallback, Shell};
use super::spec::{MockSpec, SpecError};
use crate::core::model::Vendor;
use crate::core::time::SimTime;
use crate::vendor::Credentials;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

/// Why the mocks could not start.
#[derive(Debug, thiserror::Error)]
pub enum FleetError {
    /// A mock file is missing or broken.
    #[error(transparent)]
    Spec(#[from] SpecError),
    /// The async runtime wiremock needs could not start.
    #[error("cannot start a runtime for wiremock: {0}")]
    Runtime(std::io::Error),
}

struct Running {
    server: wiremock::MockServer,
    model: Arc<Mutex<Model>>,
    credentials: Credentials,
}

/// The running mocks.
pub struct MockFleet {
    mocks: BTreeMap<Vendor, Running>,
    // Declared last: dropped after the servers.
    _runtime: tokio::runtime::Runtime,
}

impl MockFleet {
    /// Starts a mock for each vendor; requests without a time header are
    /// answered at the epoch.
    pub fn start(vendors: &[Vendor]) -> Result<MockFleet, FleetError> {
        MockFleet::start_with(vendors, Arc::new(|| SimTime(0)))
    }

    /// Starts a mock for each vendor with a fallback clock.
    pub fn start_with(vendors: &[Vendor], fallback: Fallback) -> Result<MockFleet, FleetError> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .map_err(FleetError::Runtime)?;
        let mut mocks = BTreeMap::new();
        for &vendor in vendors {
            let spec = MockSpec::load(vendor)?;
            let credentials = spec.credentials(vendor);
            let model = Arc::new(Mutex::new(Model::new(vendor, spec)));
            let shell = Shell {
                model: model.clone(),
                fallback: fallback.clone(),
            };
            let server = runtime.block_on(async {
                // Not pooled, no request log: a long run must not grow memory.
                let server = wiremock::MockServer::builder()
                    .disable_request_recording()
                    .start()
                    .await;
                wiremock::Mock::given(wiremock::matchers::any())
                    .respond_with(shell)
                    .mount(&server)
                    .await;
                server
            });
            mocks.insert(
                vendor,
                Running {
                    server,
                    model,
                    credentials,
                },
            );
        }
        Ok(MockFleet {
            mocks,
            _runtime: runtime,
        })
    }

    fn get(&self, vendor: Vendor) -> &Running {
        self.mocks
            .get(&vendor)
            .unwrap_or_else(|| panic!("mock for {} was not started", vendor.name()))
    }

    /// The base URL (`http://127.0.0.1:port`) of a vendor's mock.
    pub fn base_url(&self, vendor: Vendor) -> String {
        self.get(vendor).server.uri()
    }

    /// The credentials the mock accepts for a vendor.
    pub fn credentials(&self, vendor: Vendor) -> Credentials {
        self.get(vendor).credentials.clone()
    }

    /// Makes a device token invalid at a vendor (the user uninstalled the app).
    pub fn invalidate_token(&self, vendor: Vendor, token: &str) {
        if let Some(r) = self.mocks.get(&vendor) {
            if let Ok(mut m) = r.model.lock() {
                m.state.invalid.insert(token.to_string());
            }
        }
    }

    /// Starts a fault at a vendor at calendar time `now`.
    pub fn fault(&self, vendor: Vendor, spec: &FaultSpec, now: SimTime) {
        if let Some(r) = self.mocks.get(&vendor) {
            if let Ok(mut m) = r.model.lock() {
                m.inject(spec, now);
            }
        }
    }

    /// The vendors running.
    pub fn vendors(&self) -> impl Iterator<Item = Vendor> + '_ {
        self.mocks.keys().copied()
    }
}
