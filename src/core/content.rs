//! Notification content for a push (RULES.md §9.1, CNT-01..05), easemob style.
//!
//! The choice, in order of precedence:
//! - **title**: the sender's `em_push_title` (CNT-02); else the group id for a
//!   group (or chat-room) message; else the sender's user id (single chat).
//! - **body**: the sender's `em_push_content` (CNT-02); else the translation in
//!   the recipient's preferred language, if the message carries one (CNT-05);
//!   else by kind (CNT-01): text → the text, image → `[image]`, custom → its
//!   `desc` or `[custom message]`, call invite → `[call invite]`.
//! - **payload** (CNT-04): `t` recipient user, `f` sender, `m` message id
//!   (`m7`), `g` group id (groups only), and `e` = the sender's pass-through
//!   payload as a JSON object string when it is not empty.
//! - **badge**: the user's count from `badge.rs` (BDG-06).
//!
//! Vendor-specific fields (channel id, category, notify id) are left to the
//! vendor adapters. Nothing here decides *whether* to push.

use super::model::{Conversation, Message, MsgKind, Notification};
use std::collections::BTreeMap;

/// The notification `msg` produces for recipient user `to`, whose preferred
/// language is `language`, carrying `badge`.
pub fn notification(msg: &Message, to: &str, language: Option<&str>, badge: u32) -> Notification {
    let group = match &msg.to {
        Conversation::Group(g) | Conversation::ChatRoom(g) => Some(g),
        Conversation::User(_) => None,
    };
    let title = match (&msg.push_title, group) {
        (Some(t), _) => t.clone(),
        (None, Some(g)) => g.clone(),
        (None, None) => msg.from.clone(),
    };
    let body = body(msg, language).to_string();
    let mut payload = BTreeMap::new();
    payload.insert("t".to_string(), to.to_string());
    payload.insert("f".to_string(), msg.from.clone());
    let mut m = String::with_capacity(11);
    m.push('m');
    push_decimal(&mut m, msg.id.0);
    payload.insert("m".to_string(), m);
    if let Some(g) = group {
        payload.insert("g".to_string(), g.clone());
    }
    if !msg.payload.is_empty() {
        let e = serde_json::to_string(&msg.payload).expect("a string map serializes");
        payload.insert("e".to_string(), e);
    }
    Notification {
        title,
        body,
        badge: Some(badge),
        payload,
        ..Notification::default()
    }
}

/// Appends `n` in decimal without the formatting machinery (hot path).
fn push_decimal(s: &mut String, n: u32) {
    let mut digits = [0u8; 10];
    let mut i = digits.len();
    let mut n = n;
    loop {
        i -= 1;
        digits[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    s.extend(digits[i..].iter().map(|&d| d as char));
}

/// The body text (see the module doc for the order).
pub fn body<'m>(msg: &'m Message, language: Option<&str>) -> &'m str {
    if let Some(c) = &msg.push_content {
        return c;
    }
    if let Some(t) = language.and_then(|l| msg.translations.get(l)) {
        return t;
    }
    match msg.kind {
        MsgKind::Text => &msg.text,
        MsgKind::Image => "[image]",
        MsgKind::Custom => msg.desc.as_deref().unwrap_or("[custom message]"),
        MsgKind::CallInvite => "[call invite]",
        MsgKind::Control => "",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Builds the notification of `msg` for `bob` and checks title, body and payload.
    fn check_content(
        msg: &Message,
        language: Option<&str>,
        title: &str,
        body: &str,
        payload: &str,
    ) {
        let n = notification(msg, "bob", language, 3);
        let kv: Vec<String> = n.payload.iter().map(|(k, v)| format!("{k}={v}")).collect();
        assert_eq!(
            (n.title.as_str(), n.body.as_str(), kv.join(" ")),
            (title, body, payload.to_string())
        );
        assert_eq!(n.badge, Some(3));
    }

    #[test]
    fn cnt_04_single_chat_title_is_sender_and_payload_has_t_f_m() {
        let m = Message::text(7, "alice", Conversation::User("bob".into()), "hi");
        check_content(&m, None, "alice", "hi", "f=alice m=m7 t=bob");
    }

    #[test]
    fn cnt_04_group_title_is_group_and_payload_has_g() {
        let m = Message::text(8, "alice", Conversation::Group("g1".into()), "hi all");
        check_content(&m, None, "g1", "hi all", "f=alice g=g1 m=m8 t=bob");
    }

    #[test]
    fn cnt_02_sender_overrides_title_and_content_and_e_carries_payload() {
        let mut m = Message::text(9, "alice", Conversation::User("bob".into()), "hi");
        m.push_title = Some("Alice".into());
        m.push_content = Some("You have mail".into());
        m.payload.insert("k".into(), "v".into());
        m.translations.insert("en".into(), "hello".into());
        check_content(
            &m,
            Some("en"),
            "Alice",
            "You have mail",
            "e={\"k\":\"v\"} f=alice m=m9 t=bob",
        );
    }

    #[test]
    fn cnt_05_translation_in_preferred_language_else_original() {
        let mut m = Message::text(1, "alice", Conversation::User("bob".into()), "你好");
        m.translations.insert("en".into(), "hello".into());
        m.translations.insert("ja".into(), "こんにちは".into());
        check_content(&m, Some("en"), "alice", "hello", "f=alice m=m1 t=bob");
        check_content(&m, Some("fr"), "alice", "你好", "f=alice m=m1 t=bob");
    }

    #[test]
    fn cnt_01_placeholders_by_kind() {
        let mut m = Message::text(2, "alice", Conversation::User("bob".into()), "");
        m.kind = MsgKind::Image;
        check_content(&m, None, "alice", "[image]", "f=alice m=m2 t=bob");
        m.kind = MsgKind::Custom;
        check_content(&m, None, "alice", "[custom message]", "f=alice m=m2 t=bob");
        m.desc = Some("New order".into());
        check_content(&m, None, "alice", "New order", "f=alice m=m2 t=bob");
    }
}
