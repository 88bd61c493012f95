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
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// A mock's wiremock server is reset after this many requests: wiremock keeps
/// a copy of every request a mock matched (recording off or not), so a long run
/// would otherwise grow without bound. The model, with its bounded journal, is
/// what remembers.
pub const TRIM_EVERY: u64 = 1_000;

/// Why the mocks could not start.
#[derive(Debug, thiserror::Error)]
pub enum FleetError {
    /// A mock file is missing or broken.
    #[error(transparent)]
    Spec(#[from] SpecError),
    /// The async runtime wiremock needs could not start.
    #[error("cannot start a runtime for wiremock: {0}")]
    Runtime(std::io::Error),
    /// The bounded shell could not listen.
    #[error("cannot serve a mock on loopback: {0}")]
    Listen(std::io::Error),
}

/// Which shell serves the models.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ShellKind {
    /// wiremock `MockServer`s, trimmed between steps (runs, tests).
    Wiremock,
    /// The bounded hyper shell (`mocks serve`, [`super::bounded`]).
    Bounded,
}

enum Server {
    Wiremock(wiremock::MockServer),
    Bounded(super::bounded::Bounded),
}

impl Server {
    fn uri(&self) -> String {
        match self {
            Server::Wiremock(s) => s.uri(),
            Server::Bounded(b) => b.uri(),
        }
    }
}

struct Running {
    server: Server,
    shell: Shell,
    model: Arc<Mutex<Model>>,
    credentials: Credentials,
    /// `shell.served` when the server was last reset.
    trimmed_at: AtomicU64,
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
        MockFleet::start_with(vendors, Arc::new(|| SimTime(0)), ShellKind::Wiremock)
    }

    /// Starts a mock for each vendor with a fallback clock and a shell.
    pub fn start_with(
        vendors: &[Vendor],
        fallback: Fallback,
        kind: ShellKind,
    ) -> Result<MockFleet, FleetError> {
        MockFleet::start_at(vendors, fallback, kind, None)
    }

    /// [`MockFleet::start_with`] on fixed addresses: with `at = Some((host,
    /// port))` the bounded shells listen on `host`, the i-th vendor on
    /// `port + i` (`mocks serve --host/--port`, for a SUT configured once).
    pub fn start_at(
        vendors: &[Vendor],
        fallback: Fallback,
        kind: ShellKind,
        at: Option<(&str, u16)>,
    ) -> Result<MockFleet, FleetError> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .map_err(FleetError::Runtime)?;
        let mut mocks = BTreeMap::new();
        for (i, &vendor) in vendors.iter().enumerate() {
            let spec = MockSpec::load(vendor)?;
            let credentials = spec.credentials(vendor);
            let model = Arc::new(Mutex::new(Model::new(vendor, spec)));
            let shell = Shell {
                model: model.clone(),
                fallback: fallback.clone(),
                served: Arc::new(AtomicU64::new(0)),
            };
            let server = match kind {
                ShellKind::Wiremock => Server::Wiremock(runtime.block_on(async {
                    // No request log: a long run must not grow memory.
                    let server = wiremock::MockServer::builder()
                        .disable_request_recording()
                        .start()
                        .await;
                    mount(&server, &shell).await;
                    server
                })),
                ShellKind::Bounded => {
                    let addr = match at {
                        Some((host, 0)) => format!("{host}:0"),
                        Some((host, port)) => {
                            let port = u16::try_from(usize::from(port) + i).map_err(|_| {
                                FleetError::Listen(std::io::Error::other(format!(
                                    "port {port} + {i} is over 65535"
                                )))
                            })?;
                            format!("{host}:{port}")
                        }
                        None => "127.0.0.1:0".to_string(),
                    };
                    Server::Bounded(
                        super::bounded::Bounded::start_on(shell.clone(), &addr)
                            .map_err(FleetError::Listen)?,
                    )
                }
            };
            mocks.insert(
                vendor,
                Running {
                    server,
                    shell,
                    model,
                    credentials,
                    trimmed_at: AtomicU64::new(0),
                },
            );
        }
        Ok(MockFleet {
            mocks,
            _runtime: runtime,
        })
    }

    /// Resets the wiremock server of every mock that answered [`TRIM_EVERY`]
    /// requests since its last reset, dropping wiremock's copies of them.
    ///
    /// Call it only when no request is in flight (the runner does, when the
    /// world is quiet): between wiremock's reset and the new mount a request
    /// would find no mock and get wiremock's empty 404. `mocks serve`, whose
    /// clients send when they like, uses the bounded shell instead.
    pub fn trim(&self) -> usize {
        let mut n = 0;
        for r in self.mocks.values() {
            let served = r.shell.served.load(Ordering::Relaxed);
            if served - r.trimmed_at.load(Ordering::Relaxed) >= TRIM_EVERY {
                self.reset_one(r, served);
                n += 1;
            }
        }
        n
    }

    fn reset_one(&self, r: &Running, served: u64) {
        if let Server::Wiremock(server) = &r.server {
            self._runtime.block_on(async {
                server.reset().await;
                mount(server, &r.shell).await;
            });
        }
        r.trimmed_at.store(served, Ordering::Relaxed);
    }

    /// What a vendor's mock received: its journal after `since`, as the control
    /// route shows it (shared with the journal, not copied).
    pub fn journal(
        &self,
        vendor: Vendor,
        since: u64,
    ) -> Vec<std::sync::Arc<super::journal::Entry>> {
        match self.mocks.get(&vendor).map(|r| r.model.lock()) {
            Some(Ok(m)) => m.journal.since(since).cloned().collect(),
            _ => Vec::new(),
        }
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

    /// Per cert of `plan`, the credentials this fleet accepts with the
    /// scenario's app options applied (its options win; "" leaves a field out).
    pub fn cert_credentials(
        &self,
        plan: &crate::scenario::plan::Plan,
    ) -> BTreeMap<String, Credentials> {
        plan.server
            .certs
            .iter()
            .map(|(name, v)| {
                let mut creds = self.credentials(*v);
                for (k, value) in plan.cert_options.get(name).into_iter().flatten() {
                    creds.options.insert(k.clone(), value.clone());
                }
                (name.clone(), creds)
            })
            .collect()
    }

    /// Makes a device token invalid at a vendor (the user uninstalled the
    /// app), for the next `count` sends to it or for good.
    pub fn invalidate_token(
        &self,
        vendor: Vendor,
        token: &str,
        count: Option<std::num::NonZeroU32>,
    ) {
        if let Some(r) = self.mocks.get(&vendor) {
            if let Ok(mut m) = r.model.lock() {
                m.state.invalidate(token, count);
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

    /// Sets every mock's calendar clock (requests without an `x-pushsim-now`
    /// header are answered and journaled at it): conformance moves it with
    /// the system under test's clock.
    pub fn set_clock(&self, now: SimTime) {
        for r in self.mocks.values() {
            if let Ok(mut m) = r.model.lock() {
                m.clock = Some(now);
            }
        }
    }

    /// The vendors running.
    pub fn vendors(&self) -> impl Iterator<Item = Vendor> + '_ {
        self.mocks.keys().copied()
    }
}

/// Mounts the one catch-all mock whose responder is the vendor's model.
async fn mount(server: &wiremock::MockServer, shell: &Shell) {
    wiremock::Mock::given(wiremock::matchers::any())
        .respond_with(shell.clone())
        .mount(server)
        .await;
}
