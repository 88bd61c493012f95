//! The badge a push carries (BDG-01, BDG-06, A-06, A-20).
//!
//! Counted per user, not per device: `badge = baseline + n`, where `n` counts the
//! messages pushed to the user since the user last came online on any device
//! (a message pushed to two devices counts once: the easemob badge is the number
//! of offline messages, EM-I) and `baseline` is the last value a client reported
//! (tencent's doBackground, BDG-02; default 0). Under `badge.model: offline_count`
//! a login (which syncs) resets both (BDG-06); under `unread_base_plus_one`
//! (tencent, zego) only the app's next report does — the server decides
//! which, this type only counts.
//! Suppressed messages do not count unless `badge.counts_suppressed`.
//!
//! Only pushes the vendor accepted count (BDG-06, A-20, Settled readings). A
//! push is counted when it is decided, so the next message's badge includes
//! pushes still on their way (the server cannot know their fate yet), and
//! refunded when every job of that message to the user ended refused or given
//! up — unless the count was reset in between ([`Badge::epoch`]). A push retried
//! and finally accepted therefore counts once.

use super::model::Conversation;
use super::profile::BadgeModel;
use std::collections::BTreeMap;

/// The server's unread count (BDG-05, `badge.model: unread_rooms` or
/// `unread_notifications`, matrix): notifying messages by conversation since
/// the last read receipt (the `read` step).
#[derive(Clone, PartialEq, Eq, Debug, Default)]
pub struct Unread {
    /// Unread notifying messages per conversation (as the user sees it).
    by_conv: BTreeMap<Conversation, u32>,
}

impl Unread {
    /// A message in `conv` notified the user.
    pub fn note(&mut self, conv: Conversation) {
        *self.by_conv.entry(conv).or_default() += 1;
    }

    /// A read receipt for `conv`: everything in it is read (BDG-05). Returns
    /// how many unread messages it cleared.
    pub fn read(&mut self, conv: &Conversation) -> u32 {
        self.by_conv.remove(conv).unwrap_or(0)
    }

    /// The badge under `model`: conversations with something unread, or
    /// unread messages.
    pub fn value(&self, model: BadgeModel) -> u32 {
        match model {
            BadgeModel::UnreadRooms => self.by_conv.len() as u32,
            _ => self.by_conv.values().sum(),
        }
    }
}

/// Per-user badge state.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct Badge {
    /// Last client-reported value.
    pub baseline: u32,
    /// Messages pushed since the user last came online.
    pub n: u32,
    /// Bumped at every reset (login, report): a refund for a push counted
    /// before the reset must not take from the new count.
    pub epoch: u32,
}

impl Badge {
    /// A message was pushed to (at least one device of) the user; returns the
    /// value every push of that message carries.
    pub fn count_push(&mut self) -> u32 {
        self.n = self.n.saturating_add(1);
        self.value()
    }

    /// Every push of a message counted by [`Badge::count_push`] in `epoch` was
    /// refused or given up: it was never sent, so it does not count (BDG-06).
    pub fn refund(&mut self, epoch: u32) {
        if epoch == self.epoch {
            self.n = self.n.saturating_sub(1);
        }
    }

    /// A message was suppressed but the profile counts it (A-20 knob).
    pub fn count_suppressed(&mut self) {
        self.n = self.n.saturating_add(1);
    }

    /// The value the next push would carry without this message.
    pub fn value(&self) -> u32 {
        self.baseline.saturating_add(self.n)
    }

    /// A device of the user logged in and synced (BDG-06).
    pub fn reset_on_login(&mut self) {
        self.report(0);
    }

    /// A client reported its badge (BDG-02, BDG-06): new baseline, count restarts.
    pub fn report(&mut self, value: u32) {
        *self = Badge {
            baseline: value,
            n: 0,
            epoch: self.epoch.wrapping_add(1),
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Applies `ops` (`p` push, `s` suppressed, `l` login, `rN` report N) and
    /// checks the values the pushes carried.
    fn check_badges(ops: &str, counts_suppressed: bool, expect: &[u32]) {
        let mut b = Badge::default();
        let mut got = Vec::new();
        for op in ops.split_whitespace() {
            match op {
                "p" => got.push(b.count_push()),
                // a push refused by the vendor, counted in the current epoch
                "x" => {
                    b.count_push();
                    b.refund(b.epoch);
                }
                "s" if counts_suppressed => b.count_suppressed(),
                "s" => {}
                "l" => b.reset_on_login(),
                r => b.report(r[1..].parse().unwrap()),
            }
        }
        assert_eq!(got, expect, "{ops}");
    }

    #[test]
    fn bdg_01_bdg_06_counts_pushes_since_last_online() {
        check_badges("p p l p", false, &[1, 2, 1]);
    }

    #[test]
    fn a_20_suppressed_messages_do_not_count() {
        check_badges("p s s p", false, &[1, 2]);
        check_badges("p s s p", true, &[1, 4]);
    }

    #[test]
    fn bdg_02_reported_baseline_plus_one_per_push() {
        check_badges("r5 p p l p", false, &[6, 7, 1]);
    }

    #[test]
    fn bdg_06_a_20_a_refused_push_does_not_count() {
        check_badges("x p p", false, &[1, 2]);
    }

    #[test]
    fn bdg_06_a_refund_across_a_reset_leaves_the_new_count_alone() {
        let mut b = Badge::default();
        b.count_push();
        let before = b.epoch;
        b.reset_on_login();
        assert_eq!(b.count_push(), 1);
        b.refund(before); // the push counted before the login was refused later
        assert_eq!(b.value(), 1);
    }

    /// BDG-05: two messages in one room and one in another are two unread
    /// rooms (Synapse's default) or three unread notifications.
    #[test]
    fn bdg_05_unread_rooms_vs_notifications() {
        let mut u = Unread::default();
        let (a, b) = (
            Conversation::User("alice".into()),
            Conversation::Group("g1".into()),
        );
        let mut rooms = Vec::new();
        let mut notes = Vec::new();
        for conv in [&a, &a, &b] {
            u.note(conv.clone());
            rooms.push(u.value(BadgeModel::UnreadRooms));
            notes.push(u.value(BadgeModel::UnreadNotifications));
        }
        assert_eq!(rooms, [1, 1, 2]);
        assert_eq!(notes, [1, 2, 3]);
    }
}
