//! A serde `Deserializer` over the position-keeping [`Node`] tree, so the serde
//! structs of `file.rs` (with `deny_unknown_fields`) can be read from it and
//! every error carries the key path and the position of the node it is about.
//!
//! Scalars follow YAML 1.2's core schema: only plain scalars are null, bool or
//! numbers; any scalar reads as a string where a string is expected.

use super::diag::{did_you_mean, list};
use super::tree::{is_null_text, Kind, Node, Path, Pos};
use serde::de::{self, DeserializeSeed, IntoDeserializer, Unexpected, Visitor};
use std::fmt;

/// A deserialization error; position and path are filled in by the innermost
/// node that sees it.
#[derive(Debug)]
pub(crate) struct DeError {
    pub(crate) message: String,
    pub(crate) help: Option<String>,
    pub(crate) pos: Option<Pos>,
    pub(crate) path: Option<Path>,
}

impl fmt::Display for DeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for DeError {}

/// (key, a key of the mapping it was found in, where it goes instead).
const MISPLACED: &[(&str, &str, &str)] = &[
    (
        "group",
        "text",
        "a group message names its group in `to`: `send: { from: alice, to: { group: g1 }, text: … }`",
    ),
    (
        "chatroom",
        "text",
        "a chat-room message names its room in `to`: `send: { from: alice, to: { chatroom: r1 }, text: … }`",
    ),
    (
        "max_devices_per_platform",
        "certs",
        "the device limit is a profile knob: `profile: { base: easemob, multi.max_per_platform: 2 }`",
    ),
    (
        "knobs",
        "profile",
        "knobs go under `profile`, beside the preset: `profile: { base: matrix, badge.model: unread_notifications }`",
    ),
];

impl DeError {
    fn new(message: String, help: Option<String>) -> DeError {
        DeError {
            message,
            help,
            pos: None,
            path: None,
        }
    }
}

impl de::Error for DeError {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        DeError::new(msg.to_string(), None)
    }
    fn unknown_field(field: &str, expected: &'static [&'static str]) -> Self {
        // A key people put in the wrong place: say where it goes.
        let misplaced = MISPLACED
            .iter()
            .find(|(key, context, _)| *key == field && expected.contains(context));
        if let Some((_, _, hint)) = misplaced {
            return DeError::new(format!("unknown key `{field}`"), Some((*hint).to_string()));
        }
        let help = match did_you_mean(field, expected.iter().copied()) {
            Some(s) => format!("did you mean `{s}`?"),
            None if expected.is_empty() => "no keys are allowed here".to_string(),
            None => format!("expected one of: {}", list(expected, 40)),
        };
        DeError::new(format!("unknown key `{field}`"), Some(help))
    }
    fn missing_field(field: &'static str) -> Self {
        DeError::new(format!("missing key `{field}`"), None)
    }
    fn duplicate_field(field: &'static str) -> Self {
        DeError::new(format!("duplicate key `{field}`"), None)
    }
    fn unknown_variant(variant: &str, expected: &'static [&'static str]) -> Self {
        let help = match did_you_mean(variant, expected.iter().copied()) {
            Some(s) => format!("did you mean `{s}`?"),
            None => format!("expected one of: {}", list(expected, 40)),
        };
        DeError::new(format!("unknown value `{variant}`"), Some(help))
    }
}

/// Deserializes `T` from `node`, which sits at `path`.
pub(crate) fn from_node<'de, T: de::Deserialize<'de>>(
    node: &'de Node,
    path: &Path,
) -> Result<T, DeError> {
    T::deserialize(NodeDe {
        node,
        path: path.clone(),
    })
}

/// The deserializer for one node.
pub(crate) struct NodeDe<'a> {
    node: &'a Node,
    path: Path,
}

impl<'a> NodeDe<'a> {
    /// Fills in position and path on an error that has none yet.
    fn locate<T>(&self, r: Result<T, DeError>) -> Result<T, DeError> {
        r.map_err(|mut e| {
            if e.pos.is_none() {
                e.pos = Some(self.node.pos);
                e.path = Some(self.path.clone());
            }
            e
        })
    }

    fn unexpected(&self) -> Unexpected<'a> {
        match &self.node.kind {
            Kind::Scalar { text, plain: true } if is_null_text(text) => Unexpected::Unit,
            Kind::Scalar { text, plain: true } if text == "true" || text == "false" => {
                Unexpected::Bool(text == "true")
            }
            Kind::Scalar { text, .. } => Unexpected::Str(text),
            Kind::Seq(_) => Unexpected::Seq,
            Kind::Map(_) => Unexpected::Map,
        }
    }

    fn invalid<V: Visitor<'a>, T>(&self, v: &V) -> Result<T, DeError> {
        let e = de::Error::invalid_type(self.unexpected(), v);
        self.locate(Err(e))
    }

    fn plain(&self) -> Option<&'a str> {
        match &self.node.kind {
            Kind::Scalar { text, plain: true } => Some(text),
            _ => None,
        }
    }

    fn visit_seq<V: Visitor<'a>>(&self, items: &'a [Node], v: V) -> Result<V::Value, DeError> {
        let r = v.visit_seq(SeqAcc {
            items,
            next: 0,
            path: &self.path,
        });
        self.locate(r)
    }

    fn visit_map<V: Visitor<'a>>(
        &self,
        entries: &'a [super::tree::Entry],
        v: V,
    ) -> Result<V::Value, DeError> {
        let r = v.visit_map(MapAcc {
            entries,
            next: 0,
            path: &self.path,
        });
        self.locate(r)
    }
}

fn parse_int(t: &str) -> Option<i128> {
    let (neg, body) = match t.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, t.strip_prefix('+').unwrap_or(t)),
    };
    let v = if let Some(hex) = body.strip_prefix("0x") {
        i128::from_str_radix(hex, 16).ok()?
    } else if let Some(oct) = body.strip_prefix("0o") {
        i128::from_str_radix(oct, 8).ok()?
    } else if !body.is_empty() && body.bytes().all(|b| b.is_ascii_digit()) {
        body.parse::<i128>().ok()?
    } else {
        return None;
    };
    Some(if neg { -v } else { v })
}

fn parse_float(t: &str) -> Option<f64> {
    let looks = t.bytes().any(|b| b.is_ascii_digit())
        && t.bytes()
            .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E' | b'+' | b'-'));
    if looks {
        t.parse().ok()
    } else {
        None
    }
}

macro_rules! int_method {
    ($name:ident) => {
        fn $name<V: Visitor<'a>>(self, v: V) -> Result<V::Value, DeError> {
            match self.plain().and_then(parse_int) {
                Some(n) if n >= 0 && n <= u64::MAX as i128 => {
                    let r = v.visit_u64(n as u64);
                    self.locate(r)
                }
                Some(n) if n < 0 && n >= i64::MIN as i128 => {
                    let r = v.visit_i64(n as i64);
                    self.locate(r)
                }
                Some(_) => self.locate(Err(de::Error::custom("integer out of range"))),
                None => self.invalid(&v),
            }
        }
    };
}

impl<'a> de::Deserializer<'a> for NodeDe<'a> {
    type Error = DeError;

    fn deserialize_any<V: Visitor<'a>>(self, v: V) -> Result<V::Value, DeError> {
        let r = match &self.node.kind {
            Kind::Seq(items) => return self.visit_seq(items, v),
            Kind::Map(entries) => return self.visit_map(entries, v),
            Kind::Scalar { text, plain: false } => v.visit_str(text),
            Kind::Scalar { text, plain: true } => {
                if is_null_text(text) {
                    v.visit_unit()
                } else if text == "true" || text == "false" {
                    v.visit_bool(text == "true")
                } else if let Some(n) = parse_int(text) {
                    if let Ok(u) = u64::try_from(n) {
                        v.visit_u64(u)
                    } else if let Ok(i) = i64::try_from(n) {
                        v.visit_i64(i)
                    } else {
                        v.visit_str(text)
                    }
                } else if let Some(f) = parse_float(text) {
                    v.visit_f64(f)
                } else {
                    v.visit_str(text)
                }
            }
        };
        self.locate(r)
    }

    fn deserialize_bool<V: Visitor<'a>>(self, v: V) -> Result<V::Value, DeError> {
        match self.plain() {
            Some(t @ ("true" | "false")) => {
                let r = v.visit_bool(t == "true");
                self.locate(r)
            }
            _ => self.invalid(&v),
        }
    }

    int_method!(deserialize_i8);
    int_method!(deserialize_i16);
    int_method!(deserialize_i32);
    int_method!(deserialize_i64);
    int_method!(deserialize_u8);
    int_method!(deserialize_u16);
    int_method!(deserialize_u32);
    int_method!(deserialize_u64);

    fn deserialize_f32<V: Visitor<'a>>(self, v: V) -> Result<V::Value, DeError> {
        self.deserialize_f64(v)
    }

    fn deserialize_f64<V: Visitor<'a>>(self, v: V) -> Result<V::Value, DeError> {
        match self
            .plain()
            .and_then(|t| parse_int(t).map(|n| n as f64).or_else(|| parse_float(t)))
        {
            Some(f) => {
                let r = v.visit_f64(f);
                self.locate(r)
            }
            None => self.invalid(&v),
        }
    }

    fn deserialize_str<V: Visitor<'a>>(self, v: V) -> Result<V::Value, DeError> {
        match &self.node.kind {
            Kind::Scalar { text, .. } if !self.node.is_null() => {
                let r = v.visit_borrowed_str(text);
                self.locate(r)
            }
            _ => self.invalid(&v),
        }
    }

    fn deserialize_string<V: Visitor<'a>>(self, v: V) -> Result<V::Value, DeError> {
        self.deserialize_str(v)
    }

    fn deserialize_char<V: Visitor<'a>>(self, v: V) -> Result<V::Value, DeError> {
        self.deserialize_str(v)
    }

    fn deserialize_identifier<V: Visitor<'a>>(self, v: V) -> Result<V::Value, DeError> {
        self.deserialize_str(v)
    }

    fn deserialize_bytes<V: Visitor<'a>>(self, v: V) -> Result<V::Value, DeError> {
        self.invalid(&v)
    }

    fn deserialize_byte_buf<V: Visitor<'a>>(self, v: V) -> Result<V::Value, DeError> {
        self.invalid(&v)
    }

    fn deserialize_option<V: Visitor<'a>>(self, v: V) -> Result<V::Value, DeError> {
        let r = if self.node.is_null() {
            v.visit_none()
        } else {
            v.visit_some(NodeDe {
                node: self.node,
                path: self.path.clone(),
            })
        };
        self.locate(r)
    }

    fn deserialize_unit<V: Visitor<'a>>(self, v: V) -> Result<V::Value, DeError> {
        if self.node.is_null() {
            let r = v.visit_unit();
            self.locate(r)
        } else {
            self.invalid(&v)
        }
    }

    fn deserialize_unit_struct<V: Visitor<'a>>(
        self,
        _: &'static str,
        v: V,
    ) -> Result<V::Value, DeError> {
        self.deserialize_unit(v)
    }

    fn deserialize_newtype_struct<V: Visitor<'a>>(
        self,
        _: &'static str,
        v: V,
    ) -> Result<V::Value, DeError> {
        let r = v.visit_newtype_struct(NodeDe {
            node: self.node,
            path: self.path.clone(),
        });
        self.locate(r)
    }

    fn deserialize_seq<V: Visitor<'a>>(self, v: V) -> Result<V::Value, DeError> {
        match &self.node.kind {
            Kind::Seq(items) => self.visit_seq(items, v),
            _ => self.invalid(&v),
        }
    }

    fn deserialize_tuple<V: Visitor<'a>>(self, _: usize, v: V) -> Result<V::Value, DeError> {
        self.deserialize_seq(v)
    }

    fn deserialize_tuple_struct<V: Visitor<'a>>(
        self,
        _: &'static str,
        _: usize,
        v: V,
    ) -> Result<V::Value, DeError> {
        self.deserialize_seq(v)
    }

    fn deserialize_map<V: Visitor<'a>>(self, v: V) -> Result<V::Value, DeError> {
        match &self.node.kind {
            Kind::Map(entries) => self.visit_map(entries, v),
            _ => self.invalid(&v),
        }
    }

    fn deserialize_struct<V: Visitor<'a>>(
        self,
        _: &'static str,
        _: &'static [&'static str],
        v: V,
    ) -> Result<V::Value, DeError> {
        self.deserialize_map(v)
    }

    fn deserialize_enum<V: Visitor<'a>>(
        self,
        _: &'static str,
        _: &'static [&'static str],
        v: V,
    ) -> Result<V::Value, DeError> {
        match &self.node.kind {
            Kind::Scalar { text, .. } if !self.node.is_null() => {
                let r = v.visit_enum(text.as_str().into_deserializer());
                self.locate(r)
            }
            _ => self.invalid(&v),
        }
    }

    fn deserialize_ignored_any<V: Visitor<'a>>(self, v: V) -> Result<V::Value, DeError> {
        let r = v.visit_unit();
        self.locate(r)
    }
}

struct SeqAcc<'a, 'p> {
    items: &'a [Node],
    next: usize,
    path: &'p Path,
}

impl<'a> de::SeqAccess<'a> for SeqAcc<'a, '_> {
    type Error = DeError;
    fn next_element_seed<T: DeserializeSeed<'a>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, DeError> {
        let Some(node) = self.items.get(self.next) else {
            return Ok(None);
        };
        let path = self.path.idx(self.next);
        self.next += 1;
        seed.deserialize(NodeDe { node, path }).map(Some)
    }
    fn size_hint(&self) -> Option<usize> {
        Some(self.items.len() - self.next)
    }
}

struct MapAcc<'a, 'p> {
    entries: &'a [super::tree::Entry],
    next: usize,
    path: &'p Path,
}

impl<'a> de::MapAccess<'a> for MapAcc<'a, '_> {
    type Error = DeError;
    fn next_key_seed<K: DeserializeSeed<'a>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, DeError> {
        let Some(e) = self.entries.get(self.next) else {
            return Ok(None);
        };
        // Key errors (unknown key) point at the key and name the enclosing mapping.
        let r = seed.deserialize(de::value::BorrowedStrDeserializer::<DeError>::new(&e.key));
        r.map(Some).map_err(|mut err| {
            if err.pos.is_none() {
                err.pos = Some(e.key_pos);
                err.path = Some(self.path.clone());
            }
            err
        })
    }
    fn next_value_seed<V: DeserializeSeed<'a>>(&mut self, seed: V) -> Result<V::Value, DeError> {
        let e = &self.entries[self.next];
        self.next += 1;
        seed.deserialize(NodeDe {
            node: &e.value,
            path: self.path.key(&e.key),
        })
    }
    fn size_hint(&self) -> Option<usize> {
        Some(self.entries.len() - self.next)
    }
}
