//! Query strings and form bodies: the bracketed parser (server side) and the serializer that
//! writes what the official JS SDK writes (client side, wire.md §2.3, without its bugs).
//!
//! Parsing turns `a=1&b[gt]=2&c[]=3&c[]=4&d[in][]=5` into a JSON object whose leaves are strings:
//! `{"a":"1","b":{"gt":"2"},"c":["3","4"],"d":{"in":["5"]}}`. Endpoints then read that tree with
//! the same tolerant accessors they use for JSON bodies, so form-encoded POST bodies (old iOS SDK)
//! and JSON bodies are handled by one code path.

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_decode_str, utf8_percent_encode};
use serde_json::{Map, Value};

/// Most `key=value` pairs accepted in one query string or form body.
pub const MAX_PAIRS: usize = 4096;

/// Most bracket levels accepted in one key (`a[b][c][]` has three).
pub const MAX_DEPTH: usize = 6;

/// What `encodeURIComponent` leaves alone: ASCII letters, digits and `-_.!~*'()`.
const COMPONENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'!')
    .remove(b'~')
    .remove(b'*')
    .remove(b'\'')
    .remove(b'(')
    .remove(b')');

/// Encodes one key or value exactly as JavaScript's `encodeURIComponent` does.
pub fn encode_component(s: &str) -> String {
    utf8_percent_encode(s, COMPONENT).to_string()
}

/// Why a query string or form body could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum QueryError {
    /// A key or value is not valid UTF-8 once percent-decoded.
    #[error("parameter `{key}` is not valid utf-8 once decoded")]
    NotUtf8 {
        /// The raw (still encoded) key.
        key: String,
    },
    /// More pairs than [`MAX_PAIRS`].
    #[error("more than {max} parameters")]
    TooManyPairs {
        /// The limit.
        max: usize,
    },
    /// A key nests deeper than [`MAX_DEPTH`].
    #[error("parameter `{key}` nests deeper than {max} levels")]
    TooDeep {
        /// The decoded key.
        key: String,
        /// The limit.
        max: usize,
    },
    /// The same name is used both as a plain value and as a list or object (`a=1&a[b]=2`).
    #[error("parameter `{key}` is used with two different shapes")]
    Conflict {
        /// The decoded key.
        key: String,
    },
}

/// Decodes one component: `+` is a space (form encoding), then percent-decoding.
fn decode(raw: &str) -> Option<String> {
    let plus = raw.replace('+', " ");
    percent_decode_str(&plus)
        .decode_utf8()
        .ok()
        .map(std::borrow::Cow::into_owned)
}

/// One step of a bracketed key.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Seg {
    /// `[name]`, or the root name.
    Key(String),
    /// `[]`: append to a list.
    Push,
}

/// Splits `a[b][]` into `[Key(a), Key(b), Push]`; a key with unbalanced brackets is one literal name.
fn split_key(key: &str) -> Vec<Seg> {
    let Some(open) = key.find('[') else {
        return vec![Seg::Key(key.to_owned())];
    };
    if open == 0 {
        return vec![Seg::Key(key.to_owned())];
    }
    let mut segs = vec![Seg::Key(key[..open].to_owned())];
    let mut rest = &key[open..];
    while !rest.is_empty() {
        let Some(inner) = rest.strip_prefix('[') else {
            return vec![Seg::Key(key.to_owned())];
        };
        let Some(close) = inner.find(']') else {
            return vec![Seg::Key(key.to_owned())];
        };
        let name = &inner[..close];
        segs.push(if name.is_empty() {
            Seg::Push
        } else {
            Seg::Key(name.to_owned())
        });
        rest = &inner[close + 1..];
    }
    segs
}

/// Splits a query string into percent-decoded `(key, value)` pairs, brackets kept in the keys.
///
/// This is the input of `cube_model::filter::Query::parse`; `+` and `%20` are spaces.
pub fn pairs(input: &str) -> Result<Vec<(String, String)>, QueryError> {
    let mut out = Vec::new();
    for piece in input.split('&').filter(|p| !p.is_empty()) {
        if out.len() >= MAX_PAIRS {
            return Err(QueryError::TooManyPairs { max: MAX_PAIRS });
        }
        let (raw_key, raw_value) = piece.split_once('=').unwrap_or((piece, ""));
        let not_utf8 = || QueryError::NotUtf8 {
            key: raw_key.to_owned(),
        };
        let key = decode(raw_key).ok_or_else(not_utf8)?;
        let value = decode(raw_value).ok_or_else(not_utf8)?;
        if !key.is_empty() {
            out.push((key, value));
        }
    }
    Ok(out)
}

/// Encodes a bracketed key (`extensions[my key][]`): names as `encodeURIComponent`, brackets raw.
pub fn encode_key(key: &str) -> String {
    let mut out = String::with_capacity(key.len());
    let mut rest = key;
    while let Some(i) = rest.find(['[', ']']) {
        out.push_str(&encode_component(&rest[..i]));
        out.push_str(&rest[i..=i]);
        rest = &rest[i + 1..];
    }
    out.push_str(&encode_component(rest));
    out
}

/// Parses a query string or form body (`a=1&b[c]=2&d[]=3`) into a JSON object of strings.
///
/// Brackets may arrive raw or percent-encoded; `+` and `%20` are spaces; a repeated plain key keeps
/// the last value; empty pieces (`a=1&&b=2`) are skipped and a piece without `=` has the value `""`.
pub fn parse(input: &str) -> Result<Map<String, Value>, QueryError> {
    let mut root = Map::new();
    let mut pairs = 0usize;
    for piece in input.split('&') {
        if piece.is_empty() {
            continue;
        }
        pairs += 1;
        if pairs > MAX_PAIRS {
            return Err(QueryError::TooManyPairs { max: MAX_PAIRS });
        }
        let (raw_key, raw_value) = piece.split_once('=').unwrap_or((piece, ""));
        let key = decode(raw_key).ok_or_else(|| QueryError::NotUtf8 {
            key: raw_key.to_owned(),
        })?;
        let value = decode(raw_value).ok_or_else(|| QueryError::NotUtf8 {
            key: raw_key.to_owned(),
        })?;
        if key.is_empty() {
            continue;
        }
        let segs = split_key(&key);
        if segs.len() > MAX_DEPTH + 1 {
            return Err(QueryError::TooDeep {
                key,
                max: MAX_DEPTH,
            });
        }
        insert(&mut root, &segs, Value::String(value), &key)?;
    }
    Ok(root)
}

/// Inserts `value` at `segs` under `map`; `segs[0]` is always a `Key`.
fn insert(
    map: &mut Map<String, Value>,
    segs: &[Seg],
    value: Value,
    full_key: &str,
) -> Result<(), QueryError> {
    let conflict = || QueryError::Conflict {
        key: full_key.to_owned(),
    };
    let (Some(Seg::Key(name)), rest) = (segs.first(), segs.get(1..).unwrap_or_default()) else {
        return Err(conflict());
    };
    if rest.is_empty() {
        if matches!(map.get(name), Some(Value::Array(_) | Value::Object(_))) {
            return Err(conflict());
        }
        map.insert(name.clone(), value);
        return Ok(());
    }
    match &rest[0] {
        Seg::Push => {
            let entry = map
                .entry(name.clone())
                .or_insert_with(|| Value::Array(Vec::new()));
            let Value::Array(list) = entry else {
                return Err(conflict());
            };
            let after = &rest[1..];
            if after.is_empty() {
                list.push(value);
                return Ok(());
            }
            // `a[][b]=..`: each `[]` starts a new element, as PHP does.
            let mut element = Map::new();
            let mut next = vec![Seg::Key(String::new())];
            next.extend_from_slice(after);
            insert(&mut element, &next, value, full_key)?;
            let inner = element.remove("").unwrap_or(Value::Null);
            list.push(inner);
            Ok(())
        }
        Seg::Key(_) => {
            let entry = map
                .entry(name.clone())
                .or_insert_with(|| Value::Object(Map::new()));
            let Value::Object(child) = entry else {
                return Err(conflict());
            };
            insert(child, rest, value, full_key)
        }
    }
}

/// A value to serialize into a query string or form body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QueryValue {
    /// A scalar, written as `key=value`.
    Scalar(String),
    /// A list: comma-joined (`key=a%2Cb`, string-sorted as the JS SDK does) or, in array mode and at
    /// the top level, one `key[]=v` per element.
    List(Vec<String>),
    /// Nested keys, written `key[sub]=...`.
    Map(Vec<(String, QueryValue)>),
}

impl From<&str> for QueryValue {
    fn from(s: &str) -> Self {
        QueryValue::Scalar(s.to_owned())
    }
}

impl From<String> for QueryValue {
    fn from(s: String) -> Self {
        QueryValue::Scalar(s)
    }
}

/// Builds a query string the way the JS SDK does (wire.md §2.3): brackets raw, names and values
/// `encodeURIComponent`-encoded, every `key=value` piece sorted as a whole string.
///
/// Unlike the SDK it never writes `undefined` or `null`: absent values are simply not pushed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct QueryBuilder {
    array_mode: bool,
    pieces: Vec<String>,
}

impl QueryBuilder {
    /// A builder in the default mode: nested lists are comma-joined (`type[in]=2%2C3`).
    pub fn new() -> Self {
        Self::default()
    }

    /// A builder in array mode (`users.getV2`): nested lists are written `id[in][]=5&id[in][]=6`.
    pub fn array_mode() -> Self {
        QueryBuilder {
            array_mode: true,
            pieces: Vec::new(),
        }
    }

    /// Adds `key=value`.
    pub fn scalar(&mut self, key: &str, value: impl std::fmt::Display) -> &mut Self {
        self.push(key, QueryValue::Scalar(value.to_string()))
    }

    /// Adds `key=value` when `value` is `Some`.
    pub fn opt(&mut self, key: &str, value: Option<impl std::fmt::Display>) -> &mut Self {
        if let Some(v) = value {
            self.scalar(key, v);
        }
        self
    }

    /// Adds any value under the top-level name `key`.
    pub fn push(&mut self, key: &str, value: QueryValue) -> &mut Self {
        let name = encode_component(key);
        self.write(&name, &value, 0);
        self
    }

    fn write(&mut self, prefix: &str, value: &QueryValue, level: usize) {
        match value {
            QueryValue::Scalar(s) => self
                .pieces
                .push(format!("{prefix}={}", encode_component(s))),
            QueryValue::List(items) if self.array_mode || level == 0 => {
                let mut items = items.clone();
                items.sort();
                for item in items {
                    self.pieces
                        .push(format!("{prefix}[]={}", encode_component(&item)));
                }
            }
            QueryValue::List(items) => {
                let mut items = items.clone();
                items.sort();
                self.pieces
                    .push(format!("{prefix}={}", encode_component(&items.join(","))));
            }
            QueryValue::Map(entries) => {
                for (k, v) in entries {
                    let key = format!("{prefix}[{}]", encode_component(k));
                    self.write(&key, v, level + 1);
                }
            }
        }
    }

    /// Adds an already bracketed key (`date_sent[lt]`, `id[in][]`) with one value.
    pub fn pair(&mut self, key: &str, value: &str) -> &mut Self {
        self.pieces
            .push(format!("{}={}", encode_key(key), encode_component(value)));
        self
    }

    /// True when nothing was added.
    pub fn is_empty(&self) -> bool {
        self.pieces.is_empty()
    }

    /// The query string, pieces sorted and joined with `&` (no leading `?`).
    pub fn finish(&self) -> String {
        let mut pieces = self.pieces.clone();
        pieces.sort();
        pieces.join("&")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn parses_brackets_lists_and_encodings() {
        let m = parse("a=1&b[gt]=2&c[]=3&c[]=4&d[in][]=5&e=x+y%20z&f%5Bin%5D=1%2C2&&g").unwrap();
        assert_eq!(
            Value::Object(m),
            json!({"a":"1","b":{"gt":"2"},"c":["3","4"],"d":{"in":["5"]},"e":"x y z","f":{"in":"1,2"},"g":""})
        );
    }

    #[test]
    fn malformed_brackets_are_literal_names_and_conflicts_are_errors() {
        let m = parse("a[b=1&[x]=2").unwrap();
        assert_eq!(Value::Object(m), json!({"a[b":"1","[x]":"2"}));
        assert!(matches!(
            parse("a=1&a[b]=2"),
            Err(QueryError::Conflict { .. })
        ));
        assert!(matches!(
            parse("a[b]=1&a=2"),
            Err(QueryError::Conflict { .. })
        ));
        assert!(matches!(parse("a=%FF"), Err(QueryError::NotUtf8 { .. })));
        assert!(matches!(
            parse("a[1][2][3][4][5][6][7]=1"),
            Err(QueryError::TooDeep { .. })
        ));
    }

    #[test]
    fn push_then_key_builds_list_of_objects() {
        let m = parse("a[][b]=1&a[][b]=2").unwrap();
        assert_eq!(Value::Object(m), json!({"a":[{"b":"1"},{"b":"2"}]}));
    }

    #[test]
    fn serializes_like_the_js_sdk() {
        let mut q = QueryBuilder::new();
        q.scalar("limit", 100)
            .push(
                "type",
                QueryValue::Map(vec![(
                    "in".into(),
                    QueryValue::List(vec!["2".into(), "3".into()]),
                )]),
            )
            .push(
                "name",
                QueryValue::Map(vec![("ctn".into(), "Te am".into())]),
            )
            .scalar("sort_desc", "last_message_date_sent");
        assert_eq!(
            q.finish(),
            "limit=100&name[ctn]=Te%20am&sort_desc=last_message_date_sent&type[in]=2%2C3"
        );

        let mut q = QueryBuilder::array_mode();
        q.push(
            "id",
            QueryValue::Map(vec![(
                "in".into(),
                QueryValue::List(vec!["10".into(), "5".into(), "6".into()]),
            )]),
        );
        assert_eq!(q.finish(), "id[in][]=10&id[in][]=5&id[in][]=6");
        assert_eq!(encode_component("a&b=c/d é"), "a%26b%3Dc%2Fd%20%C3%A9");
        assert_eq!(encode_key("extensions[my key][]"), "extensions[my%20key][]");
        assert_eq!(
            pairs("a[in][]=1&&b=x+y%2C").unwrap(),
            [
                ("a[in][]".to_owned(), "1".to_owned()),
                ("b".to_owned(), "x y,".to_owned())
            ]
        );
    }
}
