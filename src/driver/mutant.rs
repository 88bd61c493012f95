//! Deliberately broken variants of the reference (`pushsim serve --mutant
//! NAME`): each one is a bug a real push service could ship. Conformance
//! against a mutant must fail at least one scenario; the test that runs them
//! all prints the kill rate and fails on a survivor, which is how the corpus
//! proves it catches bugs.
//!
//! A mutant rewrites what the reference is told — its setup (a knob the
//! profile gets wrong, zones lost) or a step (a setting dropped on the floor)
//! — or, for Retry-After, how long the dispatcher waits. The decision core
//! itself stays one, unbroken implementation.

use super::protocol::Setup;
use crate::core::io::ApiRequest;
use crate::core::profile::{BackgroundConnected, MultiPolicy};
use crate::core::time::Zone;
use crate::scenario::plan::Action;

/// One broken variant.
pub struct Mutant {
    /// `--mutant` name.
    pub name: &'static str,
    /// The bug, in a user's words, and the rule it breaks.
    pub bug: &'static str,
    /// What it does to the setup.
    pub setup: fn(&mut Setup),
    /// What it does to each step.
    pub step: fn(&mut Action),
    /// A fixed rate-limit wait replacing the vendor's Retry-After.
    pub rate_wait_ms: Option<i64>,
}

fn same_setup(_: &mut Setup) {}
fn same_step(_: &mut Action) {}

/// Every mutant, in the order reports list them.
pub const MUTANTS: &[Mutant] = &[
    Mutant {
        name: "midnight_ignored",
        bug: "a DND window that crosses midnight stops at midnight (DNDW-04)",
        setup: same_setup,
        step: |a| {
            if let Action::Api(ApiRequest::SetDnd { window: Some(w), .. }) = a {
                if let Some((start, end)) = w.split_once('-') {
                    if end.trim() < start.trim() {
                        *w = format!("{}-23:59", start.trim());
                    }
                }
            }
        },
        rate_wait_ms: None,
    },
    Mutant {
        name: "window_in_utc",
        bug: "DND windows are read in UTC, not the user's or app's zone (DNDW-05, A-01)",
        setup: |s| {
            let utc = Zone::parse("UTC").expect("UTC parses");
            s.server.app_zone = utc;
            for zone in s.server.users.values_mut() {
                *zone = Some(utc);
            }
        },
        step: same_step,
        rate_wait_ms: None,
    },
    Mutant {
        name: "background_offline",
        bug: "an app in the background counts as offline and gets pushes (PRS-03)",
        setup: |s| s.server.profile.background_connected = BackgroundConnected::Offline,
        step: same_step,
        rate_wait_ms: None,
    },
    Mutant {
        name: "logout_keeps_binding",
        bug: "logout never unbinds the token, so a logged-out device is still pushed (TOK-06)",
        setup: |s| {
            s.server.profile.logout_unbind_default = false;
            s.server.profile.logout_always_unbinds = false;
        },
        step: |a| {
            if let Action::Logout { unbind, .. } = a {
                *unbind = Some(false);
            }
        },
        rate_wait_ms: None,
    },
    Mutant {
        name: "conversation_remind_ignored",
        bug: "a conversation's own remind type is accepted and then ignored (RT-03)",
        setup: same_setup,
        step: |a| {
            if let Action::Api(ApiRequest::SetRemind {
                conversation: Some(_),
                ..
            }) = a
            {
                *a = Action::Wait;
            }
        },
        rate_wait_ms: None,
    },
    Mutant {
        name: "duration_ignored",
        bug: "a DND duration is accepted and then ignored (DNDD-03)",
        setup: same_setup,
        step: |a| {
            if let Action::Api(ApiRequest::SetDnd { duration, window, .. }) = a {
                if duration.is_some_and(|d| d > 0) {
                    *duration = None;
                    if window.is_none() {
                        *a = Action::Wait;
                    }
                }
            }
        },
        rate_wait_ms: None,
    },
    Mutant {
        name: "invalid_token_kept",
        bug: "a token the vendor calls invalid stays bound and is pushed again (TOK-08)",
        setup: |s| s.server.profile.invalid_removes = false,
        step: same_step,
        rate_wait_ms: None,
    },
    Mutant {
        name: "retry_after_ignored",
        bug: "a rate-limited push is retried after 1 s whatever Retry-After says",
        setup: same_setup,
        step: same_step,
        rate_wait_ms: Some(1_000),
    },
    Mutant {
        name: "mention_breaks_dnd",
        bug: "a mention gets through DND where the profile says DND blocks it (DNDX-02)",
        setup: |s| s.server.profile.dnd_blocks_mentions = false,
        step: same_step,
        rate_wait_ms: None,
    },
    Mutant {
        name: "force_push_ignored",
        bug: "force push is not honoured: DND and remind type still hold it back (MSG-09)",
        setup: same_setup,
        step: |a| {
            if let Action::Api(ApiRequest::Send(m)) = a {
                m.force_push = false;
            }
        },
        rate_wait_ms: None,
    },
    Mutant {
        name: "silent_pushed",
        bug: "a message sent silently is pushed anyway (MSG-08)",
        setup: same_setup,
        step: |a| {
            if let Action::Api(ApiRequest::Send(m)) = a {
                m.silent = false;
            }
        },
        rate_wait_ms: None,
    },
    Mutant {
        name: "every_device_pushed",
        bug: "every offline device is pushed even while another device of the user is online (MDV-01)",
        setup: |s| {
            if s.server.profile.multi_policy == MultiPolicy::AllOffline {
                s.server.profile.multi_policy = MultiPolicy::PerDevice;
            }
        },
        step: same_step,
        rate_wait_ms: None,
    },
];

/// The mutant named `name`.
pub fn find(name: &str) -> Option<&'static Mutant> {
    MUTANTS.iter().find(|m| m.name == name)
}
