//! Devices as the server sees them: session, connection, app state and binding
//! (RULES.md §2), presence (PRS-01..08) and the per-platform kick (MDV-03..05).
//!
//! Presence is what the server *believes*: a silently dropped connection stays
//! online until the shell reports `ConnectionLost` after its heartbeat timeout
//! (PRS-07, A-22). Nothing here emits outputs; `server.rs` does.

use super::model::{AppState, DeviceKey, Platform, Vendor};
use super::profile::{BackgroundConnected, KickScope, Profile};

/// A device's session (RULES.md §2).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Session {
    /// Logged in (connected or not: a killed app keeps its login, PRS-05/06).
    LoggedIn,
    /// Explicitly logged out (TOK-06, PRS-08).
    LoggedOut,
    /// Kicked by a newer login; its binding is suspended (MDV-05, TOK-09, A-21).
    Kicked,
}

/// A push binding (TOK-01): cert, vendor of the cert, token.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Binding {
    /// Console cert name.
    pub cert: String,
    /// Vendor the cert names (VND-01).
    pub vendor: Vendor,
    /// Vendor token.
    pub token: String,
    /// Server-wide generation number, so late vendor feedback hits only this binding.
    pub generation: u32,
}

/// One device the server knows of.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Device {
    /// `user/name`.
    pub key: DeviceKey,
    /// Platform of the latest login.
    pub platform: Platform,
    /// Session.
    pub session: Session,
    /// Whether the server holds a live connection (or believes so, PRS-07).
    pub connected: bool,
    /// Last reported app state.
    pub app_state: AppState,
    /// Order of the device's newest login (MDV-04 kicks the smallest). Every
    /// login renews it, a reconnect after a kill included (MDV-06: an auto-login
    /// is a new login); a killed, never-logged-out device's session dates from
    /// its last login.
    pub login_seq: u64,
    /// The binding, if any. Suspended (kept, unused) while `session == Kicked`.
    pub binding: Option<Binding>,
    /// The rule that removed the last binding (TOK-05/06/07/08/10), for reasons.
    pub unbound_by: Option<&'static str>,
    /// When the server last lost contact (connection lost or logout), while it
    /// has none (PRS-09).
    pub offline_since: Option<crate::core::time::SimTime>,
}

/// What the server believes about a device right now.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Presence {
    /// Foreground with a live connection (PRS-02).
    OnlineForeground,
    /// Background with a live connection that counts as online (PRS-03).
    OnlineBackground,
    /// Not online: disconnected, killed, logged out, kicked, or background-pushable (PRS-04..06).
    Offline,
}

impl Device {
    /// A device at its first login.
    pub fn new(key: DeviceKey, platform: Platform) -> Device {
        Device {
            key,
            platform,
            session: Session::LoggedOut,
            connected: false,
            app_state: AppState::Foreground,
            login_seq: 0,
            binding: None,
            unbound_by: None,
            offline_since: None,
        }
    }

    /// Presence under `profile` (PRS-01..06).
    pub fn presence(&self, profile: &Profile) -> Presence {
        if !self.connected || self.session != Session::LoggedIn {
            return Presence::Offline;
        }
        match self.app_state {
            AppState::Foreground => Presence::OnlineForeground,
            AppState::Background
                if profile.background_connected == BackgroundConnected::Online
                    && !profile.do_background_push =>
            {
                Presence::OnlineBackground
            }
            AppState::Background => Presence::Offline,
        }
    }

    /// Whether the device is online (PRS-01).
    pub fn is_online(&self, profile: &Profile) -> bool {
        self.presence(profile) != Presence::Offline
    }

    /// The binding usable for a push: present and not suspended by a kick.
    pub fn active_binding(&self) -> Option<&Binding> {
        match self.session {
            Session::Kicked => None,
            Session::LoggedIn | Session::LoggedOut => self.binding.as_ref(),
        }
    }
}

/// Devices a login of `new` must kick (MDV-03/04): while the logged-in devices
/// in the kick scope (same platform, or all under `KickScope::All`) number
/// `max_per_platform` or more, the earliest-logged-in one goes (0: no limit,
/// nobody goes). `others` are the
/// user's other devices; a re-login of a logged-in device never kicks (it is not
/// a new device). Returns indices into `others`, earliest first.
pub fn kick_victims(others: &[&Device], new_platform: Platform, profile: &Profile) -> Vec<usize> {
    if profile.max_per_platform == 0 {
        return Vec::new();
    }
    let mut live: Vec<(u64, usize)> = others
        .iter()
        .enumerate()
        .filter(|(_, d)| d.session == Session::LoggedIn)
        .filter(|(_, d)| profile.kick_scope == KickScope::All || d.platform == new_platform)
        .map(|(i, d)| (d.login_seq, i))
        .collect();
    live.sort_unstable();
    let keep = (profile.max_per_platform - 1) as usize;
    let n_kick = live.len().saturating_sub(keep);
    live.into_iter().take(n_kick).map(|(_, i)| i).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn device(name: &str, platform: Platform, session: Session, seq: u64) -> Device {
        Device {
            session,
            login_seq: seq,
            connected: session == Session::LoggedIn,
            ..Device::new(DeviceKey::new("bob", name), platform)
        }
    }

    /// Which of `others` (names) a new login on `platform` kicks.
    fn check_kick(profile: &Profile, others: &[Device], platform: Platform, expect: &[&str]) {
        let refs: Vec<&Device> = others.iter().collect();
        let got: Vec<&str> = kick_victims(&refs, platform, profile)
            .into_iter()
            .map(|i| others[i].key.name.as_str())
            .collect();
        assert_eq!(got, expect);
    }

    fn check_presence(profile: &Profile, d: &Device, expect: Presence) {
        assert_eq!(d.presence(profile), expect, "{d:?}");
    }

    #[test]
    fn prs_02_prs_03_foreground_and_background_connected_are_online() {
        let p = Profile::easemob();
        let mut d = device("phone", Platform::Android, Session::LoggedIn, 1);
        check_presence(&p, &d, Presence::OnlineForeground);
        d.app_state = AppState::Background;
        check_presence(&p, &d, Presence::OnlineBackground);
        let sendbird_like = Profile {
            background_connected: BackgroundConnected::Offline,
            ..Profile::easemob()
        };
        check_presence(&sendbird_like, &d, Presence::Offline);
    }

    #[test]
    fn prs_05_prs_06_connection_lost_or_killed_is_offline_and_kept_logged_in() {
        let p = Profile::easemob();
        let mut d = device("phone", Platform::Android, Session::LoggedIn, 1);
        d.connected = false;
        check_presence(&p, &d, Presence::Offline);
        assert_eq!(d.session, Session::LoggedIn);
    }

    #[test]
    fn mdv_05_kicked_device_binding_is_suspended() {
        let mut d = device("phone", Platform::Android, Session::Kicked, 1);
        d.binding = Some(Binding {
            cert: "fcm".into(),
            vendor: Vendor::Fcm,
            token: "t".into(),
            generation: 1,
        });
        assert!(d.active_binding().is_none());
        d.session = Session::LoggedIn;
        assert!(
            d.active_binding().is_some(),
            "TOK-09: re-login re-activates"
        );
    }

    #[test]
    fn mdv_03_mdv_04_fifth_login_kicks_earliest_same_platform_only() {
        let p = Profile::easemob();
        let others = vec![
            device("a2", Platform::Android, Session::LoggedIn, 2),
            device("a1", Platform::Android, Session::LoggedIn, 1),
            device("i1", Platform::Ios, Session::LoggedIn, 0),
            device("a3", Platform::Android, Session::LoggedIn, 3),
            device("a4", Platform::Android, Session::LoggedIn, 4),
        ];
        check_kick(&p, &others, Platform::Android, &["a1"]);
        check_kick(&p, &others, Platform::Ios, &[]);
        check_kick(&p, &others[..3], Platform::Android, &[]);
    }

    #[test]
    fn mdv_04_logged_out_and_kicked_devices_do_not_count() {
        let p = Profile {
            max_per_platform: 1,
            ..Profile::easemob()
        };
        let others = vec![
            device("a1", Platform::Android, Session::LoggedOut, 1),
            device("a2", Platform::Android, Session::Kicked, 2),
        ];
        check_kick(&p, &others, Platform::Android, &[]);
        let single = Profile {
            max_per_platform: 1,
            kick_scope: KickScope::All,
            ..Profile::easemob()
        };
        check_kick(
            &single,
            &[device("w", Platform::Web, Session::LoggedIn, 7)],
            Platform::Android,
            &["w"],
        );
    }
}
