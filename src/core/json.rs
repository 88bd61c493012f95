//! How the core's values look in JSON (the driver protocol, `docs/driver-protocol.md`).
//!
//! Values people write as text travel as that text — `bob/phone`,
//! `group:g1`, `m3`, `Asia/Shanghai`, `22:00-07:00` — so a system under test
//! reads the same spelling as a scenario file. Instants are integers: calendar
//! milliseconds since the Unix epoch, as the mocks' `/__pushsim/clock` takes them.
//! Everything else derives serde with snake_case names next to its type.

use super::model::{Conversation, DeviceKey, MsgId};
use super::settings::DndWindow;
use super::time::Zone;
use schemars::{json_schema, JsonSchema, Schema, SchemaGenerator};
use serde::{de, Deserialize, Deserializer, Serialize, Serializer};
use std::borrow::Cow;

impl Conversation {
    /// Parses `user:alice`, `group:g1` or `chatroom:r1`.
    pub fn parse(text: &str) -> Option<Conversation> {
        let (kind, id) = text.split_once(':')?;
        if id.is_empty() {
            return None;
        }
        match kind {
            "user" => Some(Conversation::User(id.into())),
            "group" => Some(Conversation::Group(id.into())),
            "chatroom" => Some(Conversation::ChatRoom(id.into())),
            _ => None,
        }
    }
}

impl MsgId {
    /// Parses `m3`.
    pub fn parse(text: &str) -> Option<MsgId> {
        text.strip_prefix('m')?.parse().ok().map(MsgId)
    }
}

/// Serde and schema for a value written as text: `Display` out, `parse` in.
macro_rules! as_text {
    ($ty:ty, $parse:expr, $what:literal, $example:literal) => {
        impl Serialize for $ty {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_str(self)
            }
        }
        impl<'de> Deserialize<'de> for $ty {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let text = String::deserialize(d)?;
                let parse: fn(&str) -> Option<$ty> = $parse;
                parse(&text).ok_or_else(|| {
                    de::Error::custom(format!("{text:?} is not {} (e.g. {:?})", $what, $example))
                })
            }
        }
        impl JsonSchema for $ty {
            fn schema_name() -> Cow<'static, str> {
                stringify!($ty).into()
            }
            fn json_schema(_: &mut SchemaGenerator) -> Schema {
                json_schema!({"type": "string", "description": $what, "examples": [$example]})
            }
        }
    };
}

as_text!(
    DeviceKey,
    DeviceKey::parse,
    "a device, `user/device`",
    "bob/phone"
);
as_text!(
    Conversation,
    Conversation::parse,
    "a conversation, `user:ID`, `group:ID` or `chatroom:ID`",
    "group:g1"
);
as_text!(MsgId, MsgId::parse, "a message id, `m` and a number", "m3");
as_text!(
    Zone,
    Zone::parse,
    "a time zone: an IANA name or a UTC offset",
    "Asia/Shanghai"
);
as_text!(
    DndWindow,
    |t| DndWindow::parse(t).ok(),
    "a daily window `HH:MM-HH:MM` (end before start crosses midnight)",
    "22:00-07:00"
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_values_round_trip_and_bad_text_says_what_was_expected() {
        let c: Conversation = serde_json::from_str("\"group:g1\"").unwrap();
        assert_eq!(c, Conversation::Group("g1".into()));
        assert_eq!(serde_json::to_string(&c).unwrap(), "\"group:g1\"");
        let d: DeviceKey = serde_json::from_str("\"bob/phone\"").unwrap();
        assert_eq!(d, DeviceKey::new("bob", "phone"));
        assert_eq!(serde_json::to_string(&MsgId(12)).unwrap(), "\"m12\"");
        let e = serde_json::from_str::<Conversation>("\"team:x\"").unwrap_err();
        assert!(e.to_string().contains("`user:ID`"), "{e}");
        let w: DndWindow = serde_json::from_str("\"22:00-07:00\"").unwrap();
        assert_eq!((w.start_min, w.end_min), (1320, 420));
        assert!(serde_json::from_str::<DndWindow>("\"25:00-07:00\"").is_err());
    }
}
