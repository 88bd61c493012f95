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
//! Push templates (CNT-03), created through the API: a message naming a template
//! that exists (`em_push_template.name`) takes title and body from it, above the
//! sender's `em_push_title`/`em_push_content`; a template named `default`, once
//! created, replaces the built-in title/body of messages that name none, below the
//! sender's overrides. This is the documented order "display attributes < default
//! template < message extension fields < custom template" (Agora "Set display
//! content"; Easemob "推送模板的优先级高于调用 API 设置通知栏的推送内容").
//! Patterns fill `{0}`…`{n}` from the message's `title_args`/`content_args`,
//! `{$msg}` with the body by kind, `{$fromNickname}` and `{$dynamicFrom}` with the
//! sender's id (no nicknames are modelled). An index with no argument stays as
//! written, and a message naming an unknown template gets the other rules [gap].
//!
//! Vendor-specific fields (channel id, category, notify id) are left to the
//! vendor adapters. Nothing here decides *whether* to push.

use super::model::{Conversation, Message, MsgKind, Notification};
use std::collections::BTreeMap;

/// A push template (CNT-03): title and content patterns.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct PushTemplate {
    /// Title pattern.
    pub title: String,
    /// Content pattern.
    pub content: String,
}

/// The app's templates by name.
pub type Templates = BTreeMap<String, PushTemplate>;

/// The name of the template that applies to messages naming none.
pub const DEFAULT_TEMPLATE: &str = "default";

/// Fills a template pattern (see the module doc).
fn fill(
    pattern: &str,
    args: &[String],
    msg: &Message,
    language: Option<&str>,
    nickname: Option<&str>,
) -> String {
    let mut out = String::with_capacity(pattern.len());
    let mut rest = pattern;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let tail = &rest[open..];
        let Some(close) = tail.find('}') else {
            break;
        };
        let key = &tail[1..close];
        let value = match key {
            "$msg" => Some(kind_body(msg, language)),
            "$fromNickname" => Some(nickname.unwrap_or(&msg.from)),
            "$dynamicFrom" => Some(msg.from.as_str()),
            n => n
                .parse::<usize>()
                .ok()
                .and_then(|i| args.get(i))
                .map(String::as_str),
        };
        out.push_str(value.unwrap_or(&tail[..=close]));
        rest = &tail[close + 1..];
    }
    out.push_str(rest);
    out
}

/// The notification `msg` produces for recipient user `to`, whose preferred
/// language is `language`, carrying `badge`; `nickname` is the sender's push
/// nickname (CNT-06), shown instead of the sender's id.
pub fn notification(
    msg: &Message,
    to: &str,
    language: Option<&str>,
    badge: u32,
    templates: &Templates,
    nickname: Option<&str>,
) -> Notification {
    let group = match &msg.to {
        Conversation::Group(g) | Conversation::ChatRoom(g) => Some(g),
        Conversation::User(_) => None,
    };
    let custom = msg
        .template
        .as_ref()
        .and_then(|r| templates.get(&r.name).map(|t| (t, r)));
    let default = templates.get(DEFAULT_TEMPLATE);
    let (title, body) = match custom {
        Some((t, r)) => (
            fill(&t.title, &r.title_args, msg, language, nickname),
            fill(&t.content, &r.content_args, msg, language, nickname),
        ),
        None => {
            let title = match (&msg.push_title, default, group) {
                (Some(t), _, _) => t.clone(),
                (None, Some(d), _) => fill(&d.title, &[], msg, language, nickname),
                (None, None, Some(g)) => g.clone(),
                (None, None, None) => nickname.unwrap_or(&msg.from).to_string(),
            };
            let body = match (&msg.push_content, default) {
                (None, Some(d)) => fill(&d.content, &[], msg, language, nickname),
                _ => body(msg, language).to_string(),
            };
            (title, body)
        }
    };
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
    kind_body(msg, language)
}

/// The body without the sender's override: translation, else by kind.
fn kind_body<'m>(msg: &'m Message, language: Option<&str>) -> &'m str {
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
        let n = notification(msg, "bob", language, 3, &Templates::new(), None);
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

    fn templates() -> Templates {
        let t = |title: &str, content: &str| PushTemplate {
            title: title.into(),
            content: content.into(),
        };
        Templates::from([
            (
                "order".to_string(),
                t("Order {0}", "{$fromNickname}: {1} ({$msg}) {2}"),
            ),
            (
                DEFAULT_TEMPLATE.to_string(),
                t("You have a new message", "{$msg}"),
            ),
        ])
    }

    #[test]
    fn cnt_03_custom_template_fills_args_and_beats_sender_overrides() {
        let mut m = Message::text(3, "alice", Conversation::User("bob".into()), "hi");
        m.push_title = Some("ignored".into());
        m.template = Some(Box::new(crate::core::model::TemplateRef {
            name: "order".into(),
            title_args: vec!["#42".into()],
            content_args: vec!["x".into(), "shipped".into()],
        }));
        let n = notification(&m, "bob", None, 1, &templates(), None);
        assert_eq!(
            (n.title.as_str(), n.body.as_str()),
            ("Order #42", "alice: shipped (hi) {2}")
        );
    }

    #[test]
    fn cnt_03_default_template_applies_below_sender_overrides_and_unknown_falls_back() {
        let mut m = Message::text(4, "alice", Conversation::User("bob".into()), "hi");
        let n = notification(&m, "bob", None, 1, &templates(), None);
        assert_eq!(
            (n.title.as_str(), n.body.as_str()),
            ("You have a new message", "hi")
        );
        m.push_content = Some("override".into());
        let n = notification(&m, "bob", None, 1, &templates(), None);
        assert_eq!(
            (n.title.as_str(), n.body.as_str()),
            ("You have a new message", "override")
        );
        m.template = Some(Box::new(crate::core::model::TemplateRef {
            name: "nope".into(),
            title_args: vec![],
            content_args: vec![],
        }));
        let n = notification(&m, "bob", None, 1, &Templates::new(), None);
        assert_eq!((n.title.as_str(), n.body.as_str()), ("alice", "override"));
    }

    #[test]
    fn cnt_06_push_nickname_replaces_the_sender_id_in_titles_and_templates() {
        let m = Message::text(3, "alice", Conversation::User("bob".into()), "hi");
        let n = notification(&m, "bob", None, 1, &Templates::new(), Some("Alice W."));
        assert_eq!((n.title.as_str(), n.body.as_str()), ("Alice W.", "hi"));
        assert_eq!(
            n.payload.get("f").map(String::as_str),
            Some("alice"),
            "the payload keeps the id"
        );
        let g = Message::text(4, "alice", Conversation::Group("g1".into()), "hi");
        let n = notification(&g, "bob", None, 1, &Templates::new(), Some("Alice W."));
        assert_eq!(n.title, "g1", "a group title stays the group");
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
