//! The position-keeping parse: YAML text → a tree of [`Node`]s, each with the
//! 1-based line and column it starts at (yaml-rust2's event parser with markers).
//!
//! The tree is both what `file.rs` deserializes from and the position index
//! `lower.rs` looks key paths up in, so every diagnostic has a real position.

use std::collections::BTreeMap;
use std::fmt;
use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser};
use yaml_rust2::scanner::{Marker, TScalarStyle};

/// Deepest nesting accepted (a scenario needs about 6 levels).
const DEPTH_MAX: usize = 64;
/// Most nodes accepted, aliases expanded (a guard against alias bombs; the
/// scale benchmark, 10,000 devices and 100,000 messages, needs about 1.1 million).
const NODES_MAX: usize = 4_000_000;
/// Most scalar bytes accepted, aliases expanded: one anchor on a 1 MB string
/// repeated through a few levels of aliases would otherwise fill memory while
/// the node count stays small.
const BYTES_MAX: usize = 64 << 20;

/// A 1-based line and column.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) struct Pos {
    pub(crate) line: u32,
    pub(crate) col: u32,
}

impl Pos {
    /// The first character of the file.
    pub(crate) const START: Pos = Pos { line: 1, col: 1 };

    fn of(m: Marker) -> Pos {
        let clamp = |v: usize| u32::try_from(v).unwrap_or(u32::MAX);
        Pos {
            line: clamp(m.line().max(1)),
            col: clamp(m.col()).saturating_add(1),
        }
    }
}

/// A YAML node.
#[derive(Clone, Debug)]
pub(crate) struct Node {
    /// Where the node starts (a mapping: its first key).
    pub(crate) pos: Pos,
    /// What it holds.
    pub(crate) kind: Kind,
}

/// The three node kinds.
#[derive(Clone, Debug)]
pub(crate) enum Kind {
    /// A scalar; `plain` when unquoted (only plain scalars can be null, bool or numbers).
    Scalar { text: String, plain: bool },
    /// A sequence.
    Seq(Vec<Node>),
    /// A mapping with string keys, in file order, without duplicates.
    Map(Vec<Entry>),
}

/// One mapping entry.
#[derive(Clone, Debug)]
pub(crate) struct Entry {
    /// The key.
    pub(crate) key: String,
    /// Where the key is.
    pub(crate) key_pos: Pos,
    /// The value.
    pub(crate) value: Node,
}

impl Node {
    /// Whether this is a plain null scalar (`~`, `null`, or nothing).
    pub(crate) fn is_null(&self) -> bool {
        matches!(&self.kind, Kind::Scalar { text, plain: true } if is_null_text(text))
    }
    /// The mapping's entries, if this is a mapping.
    pub(crate) fn entries(&self) -> Option<&[Entry]> {
        match &self.kind {
            Kind::Map(e) => Some(e),
            _ => None,
        }
    }
    /// The value under `key`, if this is a mapping holding it.
    pub(crate) fn get(&self, key: &str) -> Option<&Entry> {
        self.entries()?.iter().find(|e| e.key == key)
    }
    /// The node at `path`, or `None` where the path leaves the tree.
    pub(crate) fn at(&self, path: &[Seg]) -> Option<&Node> {
        let mut n = self;
        for seg in path {
            n = match (seg, &n.kind) {
                (Seg::Key(k), Kind::Map(_)) => &n.get(k)?.value,
                (Seg::Idx(i), Kind::Seq(items)) => items.get(*i)?,
                _ => return None,
            };
        }
        Some(n)
    }
    /// Position of the value at `path`, else of its nearest existing ancestor.
    pub(crate) fn pos_of(&self, path: &[Seg]) -> Pos {
        (0..=path.len())
            .rev()
            .find_map(|n| self.at(&path[..n]))
            .map_or(Pos::START, |n| n.pos)
    }
    /// Position of the key that ends `path` (for "unknown/extra key" errors),
    /// else the value's position.
    pub(crate) fn key_pos_of(&self, path: &[Seg]) -> Pos {
        if let Some((Seg::Key(k), parent)) = path.split_last() {
            if let Some(e) = self.at(parent).and_then(|p| p.get(k)) {
                return e.key_pos;
            }
        }
        self.pos_of(path)
    }
}

/// Whether a plain scalar reads as null in YAML 1.2's core schema.
pub(crate) fn is_null_text(t: &str) -> bool {
    matches!(t, "" | "~" | "null" | "Null" | "NULL")
}

/// One step of a key path.
#[derive(Clone, PartialEq, Eq, Debug)]
pub(crate) enum Seg {
    /// A mapping key.
    Key(String),
    /// A sequence index (0-based, as written in messages: `steps[3]`).
    Idx(usize),
}

/// A key path such as `steps[3].send.to`.
#[derive(Clone, PartialEq, Eq, Debug, Default)]
pub(crate) struct Path(pub(crate) Vec<Seg>);

impl Path {
    /// This path plus a key.
    pub(crate) fn key(&self, k: &str) -> Path {
        let mut p = self.clone();
        p.0.push(Seg::Key(k.to_string()));
        p
    }
    /// This path plus an index.
    pub(crate) fn idx(&self, i: usize) -> Path {
        let mut p = self.clone();
        p.0.push(Seg::Idx(i));
        p
    }
}

impl fmt::Display for Path {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, seg) in self.0.iter().enumerate() {
            match seg {
                Seg::Key(k) if i == 0 => write!(f, "{k}")?,
                Seg::Key(k) => write!(f, ".{k}")?,
                Seg::Idx(n) => write!(f, "[{n}]")?,
            }
        }
        Ok(())
    }
}

/// A problem found while building the tree.
#[derive(Debug)]
pub(crate) struct TreeError {
    pub(crate) pos: Pos,
    pub(crate) message: String,
    pub(crate) help: Option<String>,
}

enum Frame {
    Seq {
        pos: Pos,
        anchor: usize,
        items: Vec<Node>,
    },
    Map {
        pos: Pos,
        anchor: usize,
        entries: Vec<Entry>,
        /// Key → index in `entries`: duplicate detection in O(log n), not
        /// O(n) per key (300k keys took minutes).
        index: BTreeMap<String, usize>,
        key: Option<(String, Pos)>,
        bad_key: bool,
    },
}

#[derive(Default)]
struct Builder {
    stack: Vec<Frame>,
    anchors: BTreeMap<usize, Node>,
    docs: Vec<Node>,
    errors: Vec<TreeError>,
    n_nodes: usize,
    n_bytes: usize,
    fatal: bool,
}

impl Builder {
    fn error(&mut self, pos: Pos, message: impl Into<String>, help: Option<&str>) {
        self.errors.push(TreeError {
            pos,
            message: message.into(),
            help: help.map(str::to_string),
        });
    }

    /// Scalar bytes under `n` (keys included).
    fn bytes(n: &Node) -> usize {
        match &n.kind {
            Kind::Scalar { text, .. } => text.len(),
            Kind::Seq(items) => items.iter().map(Builder::bytes).sum(),
            Kind::Map(es) => es
                .iter()
                .map(|e| e.key.len() + Builder::bytes(&e.value))
                .sum(),
        }
    }

    fn size(n: &Node) -> usize {
        match &n.kind {
            Kind::Scalar { .. } => 1,
            Kind::Seq(items) => 1 + items.iter().map(Builder::size).sum::<usize>(),
            Kind::Map(es) => {
                1 + es
                    .iter()
                    .map(|e| 1 + Builder::size(&e.value))
                    .sum::<usize>()
            }
        }
    }

    /// A finished node goes into its parent (or becomes a document).
    fn complete(&mut self, node: Node, anchor: usize) {
        if anchor != 0 {
            self.anchors.insert(anchor, node.clone());
        }
        let top = match self.stack.last_mut() {
            None => {
                self.docs.push(node);
                return;
            }
            Some(top) => top,
        };
        match top {
            Frame::Seq { items, .. } => items.push(node),
            Frame::Map {
                entries,
                index,
                key,
                bad_key,
                ..
            } => match key.take() {
                None if *bad_key => {
                    // The value of a key we already reported; skip it.
                    *bad_key = false;
                }
                None => match node.kind {
                    Kind::Scalar { text, .. } => *key = Some((text, node.pos)),
                    _ => {
                        *bad_key = true;
                        let pos = node.pos;
                        self.error(pos, "a mapping key must be a plain string", None);
                    }
                },
                Some((k, key_pos)) => {
                    if let Some(first) = index.get(&k).map(|&i| &entries[i]) {
                        let line = first.key_pos.line;
                        let msg = format!("duplicate key `{k}` (first given on line {line})");
                        self.error(key_pos, msg, Some("each key may appear once in a mapping"));
                    } else {
                        index.insert(k.clone(), entries.len());
                        entries.push(Entry {
                            key: k,
                            key_pos,
                            value: node,
                        });
                    }
                }
            },
        }
    }
}

impl MarkedEventReceiver for Builder {
    fn on_event(&mut self, ev: Event, mark: Marker) {
        if self.fatal {
            return;
        }
        let pos = Pos::of(mark);
        self.n_nodes += 1;
        if self.n_nodes > NODES_MAX {
            self.fatal = true;
            self.error(
                pos,
                "the file is too large (more than four million YAML nodes)",
                None,
            );
            return;
        }
        match ev {
            Event::Scalar(text, style, anchor, tag) => {
                self.n_bytes += text.len();
                let mut plain = style == TScalarStyle::Plain;
                if let Some(tag) = tag {
                    // yaml-rust2 resolves `!!str` to its full name.
                    let is_str = tag.suffix == "str"
                        && (tag.handle == "!!" || tag.handle == "tag:yaml.org,2002:");
                    if is_str {
                        plain = false;
                    } else {
                        let t = format!("{}{}", tag.handle, tag.suffix);
                        self.error(pos, format!("YAML tag `{t}` is not supported"), None);
                    }
                }
                self.complete(
                    Node {
                        pos,
                        kind: Kind::Scalar { text, plain },
                    },
                    anchor,
                );
            }
            Event::SequenceStart(anchor, _) | Event::MappingStart(anchor, _)
                if self.stack.len() >= DEPTH_MAX =>
            {
                let _ = anchor;
                self.fatal = true;
                self.error(pos, format!("nesting deeper than {DEPTH_MAX} levels"), None);
            }
            Event::SequenceStart(anchor, _) => self.stack.push(Frame::Seq {
                pos,
                anchor,
                items: Vec::new(),
            }),
            Event::MappingStart(anchor, _) => self.stack.push(Frame::Map {
                pos,
                anchor,
                entries: Vec::new(),
                index: BTreeMap::new(),
                key: None,
                bad_key: false,
            }),
            // A finished collection gives back its spare capacity: a step's
            // two-entry mapping otherwise keeps room for four, and a
            // 150,000-step file holds 150,000 of them.
            Event::SequenceEnd | Event::MappingEnd => match self.stack.pop() {
                Some(Frame::Seq {
                    pos,
                    anchor,
                    mut items,
                }) => {
                    items.shrink_to_fit();
                    self.complete(
                        Node {
                            pos,
                            kind: Kind::Seq(items),
                        },
                        anchor,
                    )
                }
                Some(Frame::Map {
                    pos,
                    anchor,
                    mut entries,
                    ..
                }) => {
                    entries.shrink_to_fit();
                    let pos = entries.first().map_or(pos, |e| e.key_pos);
                    self.complete(
                        Node {
                            pos,
                            kind: Kind::Map(entries),
                        },
                        anchor,
                    )
                }
                None => {}
            },
            Event::Alias(id) => match self.anchors.get(&id) {
                Some(n) if self.n_bytes + Builder::bytes(n) > BYTES_MAX => {
                    self.fatal = true;
                    self.error(
                        pos,
                        format!(
                            "aliases expand to more than {} MiB of text",
                            BYTES_MAX >> 20
                        ),
                        Some("a scenario needs far less; expand fewer aliases"),
                    );
                }
                Some(n) => {
                    let mut n = n.clone();
                    self.n_bytes += Builder::bytes(&n);
                    self.n_nodes += Builder::size(&n);
                    if self.n_nodes > NODES_MAX {
                        self.fatal = true;
                        self.error(
                            pos,
                            "aliases expand to more than four million YAML nodes",
                            None,
                        );
                        return;
                    }
                    n.pos = pos;
                    self.complete(n, 0);
                }
                None => self.error(pos, "alias to an unknown anchor", None),
            },
            Event::Nothing
            | Event::StreamStart
            | Event::StreamEnd
            | Event::DocumentStart
            | Event::DocumentEnd => {}
        }
    }
}

/// The first character YAML cannot carry (YAML 1.2 §5.1), with its position.
/// A NUL byte above all: the YAML reader stops at it, so everything after it —
/// the `expect:` list, say — would silently not exist.
fn unprintable(text: &str) -> Option<(Pos, char)> {
    let (mut line, mut col) = (1u32, 1u32);
    for c in text.chars() {
        let printable = matches!(c,
            '\t' | '\n' | '\r' | '\u{20}'..='\u{7e}' | '\u{85}' | '\u{a0}'..='\u{d7ff}'
            | '\u{e000}'..='\u{fefe}' | '\u{ff00}'..='\u{fffd}' | '\u{10000}'..='\u{10ffff}');
        if !printable {
            return Some((Pos { line, col }, c));
        }
        if c == '\n' {
            (line, col) = (line.saturating_add(1), 1);
        } else {
            col = col.saturating_add(1);
        }
    }
    None
}

/// Parses `text` into its single document. A syntax error is one error;
/// duplicate keys and unsupported constructs are reported all together.
/// What to look at for a YAML syntax error reported on `line` (1-based):
/// a tab in the indentation up to there (YAML forbids it), else the usual
/// causes, which are often on the line before the one the parser names.
fn syntax_help(text: &str, line: usize) -> String {
    // The scanner may stop on the line before the tab (`found a tab`).
    let tabbed = text.lines().take(line + 1).enumerate().find(|(_, l)| {
        l.chars()
            .take_while(|c| c.is_whitespace())
            .any(|c| c == '\t')
    });
    match tabbed {
        Some((i, _)) => format!(
            "line {} is indented with a tab; YAML indents with spaces only",
            i + 1
        ),
        None => "look at this line and the one before: indentation, a missing `:` or space after it, an unclosed [ { or quote; a value with `: ` or ` #` needs quotes".into(),
    }
}

pub(crate) fn parse(text: &str) -> Result<Node, Vec<TreeError>> {
    // A byte-order mark may open the file (editors on Windows write one).
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    if let Some((pos, c)) = unprintable(text) {
        return Err(vec![TreeError {
            pos,
            message: format!("character U+{:04X} cannot appear in a YAML file", c as u32),
            help: Some(
                "YAML carries tabs, line breaks and printable characters only; write it as an escape in a double-quoted string (\"\\u0000\")".into(),
            ),
        }]);
    }
    let mut b = Builder::default();
    let mut parser = Parser::new_from_str(text);
    if let Err(e) = parser.load(&mut b, true) {
        let pos = Pos::of(*e.marker());
        return Err(vec![TreeError {
            pos,
            message: format!("YAML syntax: {}", e.info()),
            help: Some(syntax_help(text, pos.line as usize)),
        }]);
    }
    if !b.errors.is_empty() {
        return Err(b.errors);
    }
    let mut docs = b.docs.into_iter();
    match (docs.next(), docs.next()) {
        (None, _) => Err(vec![TreeError {
            pos: Pos::START,
            message: "the file is empty".into(),
            help: Some(
                "a scenario is a mapping with at least `name`, `about`, `rules` and `start`".into(),
            ),
        }]),
        (Some(_), Some(second)) => Err(vec![TreeError {
            pos: second.pos,
            message: "a scenario file holds one YAML document; found a second one".into(),
            help: Some("remove the `---` line, or split the file".into()),
        }]),
        (Some(doc), None) => Ok(doc),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(k: &str) -> Seg {
        Seg::Key(k.into())
    }

    #[test]
    fn positions_are_one_based_and_mappings_start_at_their_first_key() {
        let t = parse("a: b\nc:\n  - d\n  - {e: f}\n").unwrap();
        assert_eq!(t.pos, Pos { line: 1, col: 1 });
        assert_eq!(t.pos_of(&[key("a")]), Pos { line: 1, col: 4 });
        assert_eq!(t.pos_of(&[key("c"), Seg::Idx(0)]), Pos { line: 3, col: 5 });
        assert_eq!(
            t.pos_of(&[key("c"), Seg::Idx(1), key("e")]),
            Pos { line: 4, col: 9 }
        );
        assert_eq!(
            t.key_pos_of(&[key("c"), Seg::Idx(1), key("e")]),
            Pos { line: 4, col: 6 }
        );
        // A path that leaves the tree falls back to its nearest ancestor.
        assert_eq!(t.pos_of(&[key("c"), Seg::Idx(7)]), Pos { line: 3, col: 3 });
    }

    #[test]
    fn duplicate_keys_are_all_reported() {
        let errs = parse("a: 1\nb: 2\na: 3\nm: {x: 1, x: 2}\n").unwrap_err();
        let got: Vec<_> = errs
            .iter()
            .map(|e| (e.pos.line, e.pos.col, e.message.as_str()))
            .collect();
        assert_eq!(
            got,
            vec![
                (3, 1, "duplicate key `a` (first given on line 1)"),
                (4, 11, "duplicate key `x` (first given on line 4)")
            ]
        );
    }

    #[test]
    fn syntax_errors_and_second_documents_have_positions() {
        let e = parse("a: [b\n").unwrap_err();
        assert!(
            e[0].message.starts_with("YAML syntax: "),
            "{}",
            e[0].message
        );
        assert!(e[0].pos.line >= 1);
        let e = parse("a: 1\n---\nb: 2\n").unwrap_err();
        assert_eq!((e[0].pos.line, e[0].pos.col), (3, 1));
    }

    /// Issue 10: a NUL byte made the YAML reader stop, so the `expect:` list
    /// after it vanished and a failing scenario passed.
    #[test]
    fn a_nul_byte_is_an_error_at_its_position_not_the_end_of_the_file() {
        let e = parse("name: x\nabout: \0y\nexpect: [1]\n").unwrap_err();
        assert_eq!((e[0].pos.line, e[0].pos.col), (2, 8));
        assert!(e[0].message.contains("U+0000"), "{}", e[0].message);
        let e = parse("a: 1\r\nb: \u{7}\r\n").unwrap_err();
        assert_eq!((e[0].pos.line, e[0].pos.col), (2, 4));
    }

    #[test]
    fn a_leading_byte_order_mark_is_skipped_and_a_later_one_refused() {
        let t = parse("\u{feff}name: x\n").unwrap();
        assert!(t.at(&[key("name")]).is_some());
        let e = parse("name: x\u{feff}\n").unwrap_err();
        assert_eq!((e[0].pos.line, e[0].pos.col), (1, 8));
    }

    /// Issue 10: a 1 MB anchor through levels of aliases filled memory (the
    /// guard counted nodes, not bytes).
    #[test]
    fn an_alias_bomb_of_long_strings_is_refused_by_size() {
        let mut text = format!("a0: &a0 \"{}\"\n", "x".repeat(1 << 20));
        for level in 1..7 {
            let refs = vec![format!("*a{}", level - 1); 9].join(", ");
            text.push_str(&format!("a{level}: &a{level} [{refs}]\n"));
        }
        let e = parse(&text).unwrap_err();
        assert!(e[0].message.contains("MiB of text"), "{}", e[0].message);
    }

    /// Issue 10: duplicate-key detection was quadratic (100k keys: 30 s).
    #[test]
    fn a_mapping_with_many_keys_parses_in_linear_time() {
        let text: String = (0..300_000).map(|i| format!("k{i}: {i}\n")).collect();
        // The quadratic version needed minutes here (a hang, not a speed
        // figure); this takes a fraction of a second.
        let doc = parse(&text).unwrap();
        assert_eq!(doc.entries().unwrap().len(), 300_000);
    }

    #[test]
    fn aliases_expand() {
        let t = parse("a: &x {p: 1}\nb: *x\n").unwrap();
        assert!(t.at(&[key("b"), key("p")]).is_some());
    }
}
