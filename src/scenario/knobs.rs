//! Profile knob overrides: RULES.md §12 dotted names mapped onto
//! [`Profile`] fields. An unknown knob is a load error, and so is a §12 knob
//! the reference profiles do not implement.

use super::file::Value;
use crate::core::model::Vendor;
use crate::core::profile::*;

/// Knobs a scenario may override, with the values each accepts.
pub(crate) const KNOBS: &[(&str, &str)] = &[
    ("presence.background_connected", "online | offline"),
    ("presence.do_background_push", "true | false"),
    ("presence.heartbeat_timeout_s", "an integer ≥ 1"),
    ("presence.heartbeat_interval_s", "an integer ≥ 1"),
    (
        "presence.push_online_ttl_days",
        "an integer ≥ 0 (0 = never expires)",
    ),
    (
        "multi.policy",
        "all_offline | any_offline | per_device | platform_rule",
    ),
    ("multi.targets", "offline_only | all_tokens"),
    ("multi.max_per_platform", "an integer ≥ 0 (0 = no limit)"),
    ("multi.kick_scope", "same_platform | all"),
    ("token.logout_unbind", "true | false"),
    ("token.logout_always_unbinds", "true | false"),
    ("token.unique_across_users", "true | false"),
    ("token.invalid_removes", "true | false"),
    ("settings.window_equal_means", "all_day | midnight_off"),
    ("settings.window_scope", "app_only_reject | ignore"),
    ("settings.duration_unit", "ms | min | s"),
    (
        "settings.precedence",
        "conversation_overrides | most_restrictive | push_rule_kind",
    ),
    ("settings.dnd_blocks_mentions", "true | false"),
    ("msg.custom_requires_desc", "true | false"),
    ("msg.push_custom", "true | false"),
    ("msg.mention_all", "anyone | creator"),
    ("msg.push_chatroom", "true | false"),
    ("msg.force_push", "true | false"),
    ("msg.force_bypasses_remind_type", "true | false"),
    (
        "badge.model",
        "offline_count | unread_base_plus_one | unread_rooms | unread_notifications",
    ),
    ("badge.counts_suppressed", "true | false"),
    ("settings.timezone", "user | app"),
    (
        "vendor.order",
        "a list of vendors, e.g. [fcm, xiaomi, huawei, meizu, oppo, vivo, honor]",
    ),
];

/// The [`Profile`] field a knob sets: its last segment (`multi.kick_scope`),
/// or its family and last segment (`multi.policy` → `multi_policy`), or
/// `token.logout_unbind`'s `logout_unbind_default`.
fn field_of(knob: &str) -> [String; 3] {
    let (family, last) = knob.split_once('.').unwrap_or(("", knob));
    [
        last.to_string(),
        format!("{family}_{last}"),
        format!("{last}_default"),
    ]
}

/// Every knob's value in each preset, as a Markdown table (scenarios/README.md
/// includes it; `tests/tidy.rs` keeps it current). A knob whose field is not
/// found shows `?`, which the tidy test refuses.
pub fn presets_table() -> String {
    let presets: Vec<(String, serde_json::Value)> = Profile::NAMES
        .iter()
        .filter_map(|n| Profile::by_name(n).map(|p| (n.to_string(), serde_json::json!(p))))
        .collect();
    let mut s = String::from("| knob |");
    for (name, _) in &presets {
        s.push_str(&format!(" `{name}` |"));
    }
    s.push_str("\n|---|");
    s.push_str(&"---|".repeat(presets.len()));
    s.push('\n');
    for (knob, _) in KNOBS {
        s.push_str(&format!("| `{knob}` |"));
        for (_, p) in &presets {
            let value = field_of(knob)
                .iter()
                .find_map(|f| p.get(f))
                .map_or("?".to_string(), |v| match v {
                    serde_json::Value::String(t) => t.clone(),
                    serde_json::Value::Array(items) => items
                        .iter()
                        .map(|i| i.as_str().map_or(i.to_string(), String::from))
                        .collect::<Vec<_>>()
                        .join(", "),
                    other => other.to_string(),
                });
            s.push_str(&format!(" {value} |"));
        }
        s.push('\n');
    }
    s
}

/// Parses `multi.policy` / `app.multi_device_push` values.
pub(crate) fn multi_policy(s: &str) -> Option<MultiPolicy> {
    match s {
        "all_offline" => Some(MultiPolicy::AllOffline),
        "any_offline" => Some(MultiPolicy::AnyOffline),
        "per_device" => Some(MultiPolicy::PerDevice),
        "platform_rule" => Some(MultiPolicy::PlatformRule),
        _ => None,
    }
}

/// Sets `knob` to `value` on `p`. On failure returns the message and a hint.
pub(crate) fn apply(
    p: &mut Profile,
    knob: &str,
    value: &Value,
) -> Result<(), (String, Option<String>)> {
    let Some((_, expected)) = KNOBS.iter().find(|(k, _)| *k == knob) else {
        let help = match super::diag::did_you_mean(knob, KNOBS.iter().map(|(k, _)| *k)) {
            Some(s) => format!("did you mean `{s}`?"),
            None => format!(
                "knobs: {}",
                KNOBS.iter().map(|(k, _)| *k).collect::<Vec<_>>().join(", ")
            ),
        };
        return Err((format!("unknown profile knob `{knob}`"), Some(help)));
    };
    let bad = || {
        (
            format!("invalid value for `{knob}`"),
            Some(format!("expected {expected}")),
        )
    };
    let b = || match value {
        Value::Bool(b) => Ok(*b),
        _ => Err(bad()),
    };
    let n = || match value {
        Value::Int(n) if *n >= 1 && *n <= u32::MAX as i128 => Ok(*n as u32),
        _ => Err(bad()),
    };
    let s = || match value {
        Value::Str(s) => Ok(s.as_str()),
        _ => Err(bad()),
    };
    match knob {
        "presence.background_connected" => {
            p.background_connected = match s()? {
                "online" => BackgroundConnected::Online,
                "offline" => BackgroundConnected::Offline,
                _ => return Err(bad()),
            }
        }
        "presence.do_background_push" => p.do_background_push = b()?,
        "presence.heartbeat_timeout_s" => p.heartbeat_timeout_s = n()?,
        "presence.heartbeat_interval_s" => p.heartbeat_interval_s = n()?,
        "presence.push_online_ttl_days" => {
            p.push_online_ttl_days = match value {
                Value::Int(i) if *i >= 0 && *i <= i128::from(u32::MAX) => *i as u32,
                _ => return Err(bad()),
            }
        }
        "multi.policy" => p.multi_policy = multi_policy(s()?).ok_or_else(bad)?,
        "multi.targets" => {
            p.multi_targets = match s()? {
                "offline_only" => MultiTargets::OfflineOnly,
                "all_tokens" => MultiTargets::AllTokens,
                _ => return Err(bad()),
            }
        }
        "multi.max_per_platform" => {
            p.max_per_platform = match value {
                Value::Int(i) if *i >= 0 && *i <= i128::from(u32::MAX) => *i as u32,
                _ => return Err(bad()),
            }
        }
        "multi.kick_scope" => {
            p.kick_scope = match s()? {
                "same_platform" => KickScope::SamePlatform,
                "all" => KickScope::All,
                _ => return Err(bad()),
            }
        }
        "token.logout_unbind" => p.logout_unbind_default = b()?,
        "token.logout_always_unbinds" => p.logout_always_unbinds = b()?,
        "token.unique_across_users" => p.unique_across_users = b()?,
        "token.invalid_removes" => p.invalid_removes = b()?,
        "settings.window_equal_means" => {
            p.window_equal_means = match s()? {
                "all_day" => WindowEqualMeans::AllDay,
                "midnight_off" => WindowEqualMeans::MidnightOff,
                _ => return Err(bad()),
            }
        }
        "settings.window_scope" => {
            p.window_scope = match s()? {
                "app_only_reject" => WindowScope::AppOnlyReject,
                "ignore" => WindowScope::Ignore,
                _ => return Err(bad()),
            }
        }
        "settings.duration_unit" => {
            p.duration_unit = match s()? {
                "ms" => DurationUnit::Ms,
                "min" => DurationUnit::Min,
                "s" => DurationUnit::S,
                _ => return Err(bad()),
            }
        }
        "settings.precedence" => {
            p.precedence = match s()? {
                "conversation_overrides" => Precedence::ConversationOverrides,
                "most_restrictive" => Precedence::MostRestrictive,
                "push_rule_kind" => Precedence::PushRuleKind,
                _ => return Err(bad()),
            }
        }
        "settings.dnd_blocks_mentions" => p.dnd_blocks_mentions = b()?,
        "msg.custom_requires_desc" => p.custom_requires_desc = b()?,
        "msg.push_custom" => p.push_custom = b()?,
        "msg.mention_all" => {
            p.mention_all = match s()? {
                "anyone" => MentionAll::Anyone,
                "creator" => MentionAll::Creator,
                _ => return Err(bad()),
            }
        }
        "msg.push_chatroom" => p.push_chatroom = b()?,
        "msg.force_push" => p.force_push = b()?,
        "msg.force_bypasses_remind_type" => p.force_bypasses_remind_type = b()?,
        "badge.model" => {
            p.badge_model = match s()? {
                "offline_count" => BadgeModel::OfflineCount,
                "unread_base_plus_one" => BadgeModel::UnreadBasePlusOne,
                "unread_rooms" => BadgeModel::UnreadRooms,
                "unread_notifications" => BadgeModel::UnreadNotifications,
                _ => return Err(bad()),
            }
        }
        "badge.counts_suppressed" => p.badge_counts_suppressed = b()?,
        "settings.timezone" => {
            p.timezone = match s()? {
                "user" => TimezoneSource::User,
                "app" => TimezoneSource::App,
                _ => return Err(bad()),
            }
        }
        "vendor.order" => {
            let Value::Seq(items) = value else {
                return Err(bad());
            };
            let mut order = Vec::new();
            for item in items {
                let v = match item {
                    Value::Str(s) => Vendor::parse(&s.to_ascii_lowercase()).ok_or_else(bad)?,
                    _ => return Err(bad()),
                };
                if order.contains(&v) {
                    return Err((format!("`{knob}` lists {} twice", v.name()), None));
                }
                order.push(v);
            }
            p.vendor_order = order;
        }
        _ => unreachable!("every KNOBS entry has an arm"),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_listed_knob_applies() {
        for (knob, _) in KNOBS {
            let mut p = Profile::easemob();
            let r1 = apply(&mut p, knob, &Value::Bool(true));
            let r2 = apply(&mut p, knob, &Value::Int(5));
            let r3 = apply(&mut p, knob, &Value::Seq(vec![Value::Str("fcm".into())]));
            assert!(
                r1.is_ok()
                    || r2.is_ok()
                    || r3.is_ok()
                    || apply(&mut p, knob, &Value::Str("x".into())).is_err()
            );
        }
        let mut p = Profile::easemob();
        apply(
            &mut p,
            "settings.window_equal_means",
            &Value::Str("midnight_off".into()),
        )
        .unwrap();
        assert_eq!(p.window_equal_means, WindowEqualMeans::MidnightOff);
        let e = apply(
            &mut p,
            "settings.window_equal_mean",
            &Value::Str("x".into()),
        )
        .unwrap_err();
        assert_eq!(
            e.1.as_deref(),
            Some("did you mean `settings.window_equal_means`?")
        );
    }
}
