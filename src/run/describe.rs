//! One-line renderings of plan actions, for the trace and `explain`.

use crate::core::io::ApiRequest;
use crate::core::model::{Conversation, Mentions, MsgKind};
use crate::scenario::plan::Action;

fn conv(c: &Option<Conversation>) -> String {
    match c {
        Some(c) => c.to_string(),
        None => "app".into(),
    }
}

/// Renders an action the way a scenario author would say it.
pub fn action(a: &Action) -> String {
    match a {
        Action::Login(d) => format!("login {d}"),
        Action::Logout { device, unbind } => match unbind {
            Some(u) => format!("logout {device} unbind={u}"),
            None => format!("logout {device}"),
        },
        Action::Background { device, badge } => match badge {
            Some(b) => format!("background {device} badge={b}"),
            None => format!("background {device}"),
        },
        Action::Foreground(d) => format!("foreground {d}"),
        Action::Disconnect(d) => format!("disconnect {d}"),
        Action::Reconnect(d) => format!("reconnect {d}"),
        Action::Kill(d) => format!("kill {d}"),
        Action::BindToken { device, cert, .. } => format!("bind_token {device} cert={cert}"),
        Action::Unregister(d) => format!("unregister {d}"),
        Action::InvalidateToken { vendor, count, .. } => match count {
            None => format!("invalidate_token at {}", vendor.name()),
            Some(n) => format!(
                "invalidate_token at {} for the next {n} send(s)",
                vendor.name()
            ),
        },
        Action::VendorFault { vendor, fault } => {
            let scope = match (fault.duration_ms, fault.count) {
                (Some(ms), Some(n)) => format!(" for {} s, at most {n} requests", ms / 1000),
                (Some(ms), None) => format!(" for {} s", ms / 1000),
                (None, Some(n)) => format!(" for {n} requests"),
                (None, None) => String::new(),
            };
            let device = if fault.device_token.is_some() {
                " (one device's rate)"
            } else {
                ""
            };
            format!(
                "vendor_fault {} at {}{device}{scope}",
                fault.kind.name(),
                vendor.name()
            )
        }
        Action::Wait => "wait".into(),
        Action::Api(req) => api(req),
    }
}

fn api(req: &ApiRequest) -> String {
    match req {
        ApiRequest::Send(m) => {
            let kind = match m.kind {
                MsgKind::Text => "",
                MsgKind::Image => " image",
                MsgKind::Custom => " custom",
                MsgKind::CallInvite => " call_invite",
                MsgKind::Control => " control",
            };
            let mut s = format!("send{kind} {} {} → {} {:?}", m.id, m.from, m.to, m.text);
            match &m.mentions {
                Mentions::None => {}
                Mentions::All => s.push_str(" @all"),
                Mentions::Users(us) => s.push_str(&format!(" @[{}]", us.join(", "))),
            }
            if m.force_push {
                s.push_str(" force_push");
            }
            if m.silent {
                s.push_str(" silent");
            }
            if let Some(t) = &m.template {
                s.push_str(&format!(" template {:?}", t.name));
            }
            if let Some(t) = m.call_timeout_s {
                s.push_str(&format!(" timeout {t}s"));
            }
            s
        }
        ApiRequest::SetRemind {
            user,
            conversation,
            remind,
        } => {
            format!("set_remind {user} {} {}", conv(conversation), remind.name())
        }
        ApiRequest::ClearRemind { user, conversation } => {
            format!("clear_remind {user} {conversation}")
        }
        ApiRequest::Read { user, conversation } => format!("read {user} {conversation}"),
        ApiRequest::SetDnd {
            user,
            conversation,
            window,
            duration,
        } => {
            let mut s = format!("set_dnd {user} {}", conv(conversation));
            if let Some(w) = window {
                s.push_str(&format!(" window={w:?}"));
            }
            if let Some(d) = duration {
                s.push_str(&format!(" duration={d}"));
            }
            s
        }
        ApiRequest::SetTemplate {
            name,
            title,
            content,
        } => format!("create_template {name:?} title={title:?} content={content:?}"),
        ApiRequest::SetPushRule {
            user,
            online_platforms,
            not_to_receive,
        } => {
            let names = |ps: &[crate::core::model::Platform]| {
                ps.iter().map(|p| p.name()).collect::<Vec<_>>().join(",")
            };
            format!(
                "set_push_rule {user} online [{}] → no push to [{}]",
                names(online_platforms),
                names(not_to_receive)
            )
        }
        ApiRequest::SetNickname { user, nickname } => {
            format!("set_nickname {user} {}", nickname.as_deref().unwrap_or("-"))
        }
        ApiRequest::SetLanguage { user, language } => {
            format!("set_language {user} {}", language.as_deref().unwrap_or("-"))
        }
        ApiRequest::CreateGroup { group, members } => {
            format!("create_group {group} [{}]", members.join(", "))
        }
        ApiRequest::GetSettings { user, query } => {
            format!("get_settings {user} {query}")
        }
    }
}
