//! Id newtypes: applications, users, dialogs and messages, and tolerant lists of ids.
//!
//! Numeric ids ([`AppId`], [`UserId`]) decode from a JSON number or a numeric string and encode
//! as a number. Dialog and message ids are 24-hex [`ObjectId`]s and travel as strings. Lists of
//! ids ([`IdList`]) decode from a JSON array (of numbers or strings), `"1,2"` or `"1, 2"`.

use std::fmt;
use std::str::FromStr;

use serde::de::{Deserializer, Error as _};
use serde::{Deserialize, Serialize, Serializer};
use serde_json::Value;

/// Why a piece of text is not a valid id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum IdError {
    /// The text is not a non-negative decimal integer.
    #[error("not a numeric id: {0:?}")]
    NotNumeric(String),
    /// The text is not 24 hexadecimal digits.
    #[error("not a 24-hex object id: {0:?}")]
    NotObjectId(String),
    /// A JSON value of a type that cannot hold an id.
    #[error("an id cannot be {0}")]
    WrongType(&'static str),
}

macro_rules! numeric_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
        pub struct $name(pub u64);

        impl $name {
            /// The raw number.
            pub const fn get(self) -> u64 {
                self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(&self.0, f)
            }
        }

        impl FromStr for $name {
            type Err = IdError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                let t = s.trim();
                if t.is_empty() || !t.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(IdError::NotNumeric(s.to_owned()));
                }
                t.parse().map($name).map_err(|_| IdError::NotNumeric(s.to_owned()))
            }
        }

        impl From<u64> for $name {
            fn from(v: u64) -> Self {
                $name(v)
            }
        }

        impl From<$name> for u64 {
            fn from(v: $name) -> u64 {
                v.0
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_u64(self.0)
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let v = Value::deserialize(d)?;
                FromJson::from_json(&v).map_err(D::Error::custom)
            }
        }

        impl FromJson for $name {
            fn from_json(v: &Value) -> Result<Self, IdError> {
                match v {
                    Value::Number(_) => crate::de::value_to_u64(v)
                        .map($name)
                        .ok_or_else(|| IdError::NotNumeric(v.to_string())),
                    Value::String(s) => s.parse(),
                    other => Err(IdError::WrongType(json_kind(other))),
                }
            }
        }
    };
}

numeric_id!(
    /// An application id (`application_id`), a positive number.
    AppId
);
numeric_id!(
    /// A user id (`id`, `user_id`, `sender_id`, `occupants_ids`...); `0` means "no user".
    UserId
);

impl UserId {
    /// Whether this is the `0` placeholder that the API uses for "no user" (app sessions,
    /// `recipient_id` of group messages).
    pub const fn is_none(self) -> bool {
        self.0 == 0
    }
}

/// Decoding of one id from a JSON value (number or string).
pub trait FromJson: Sized {
    /// Reads an id from a JSON number or string.
    fn from_json(v: &Value) -> Result<Self, IdError>;
}

fn json_kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// A 12-byte BSON-style object id, written as 24 lowercase hexadecimal digits.
///
/// Layout: 4 bytes of Unix seconds (big endian), 5 random bytes, 3 bytes of counter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ObjectId(pub [u8; 12]);

impl ObjectId {
    /// Builds an id from its parts; only the low 3 bytes of `counter` are kept.
    ///
    /// There is no randomness inside: the caller passes `random` (and the clock's `unix_secs`).
    pub const fn from_parts(unix_secs: u32, random: [u8; 5], counter: u32) -> Self {
        let t = unix_secs.to_be_bytes();
        let c = counter.to_be_bytes();
        ObjectId([
            t[0], t[1], t[2], t[3], random[0], random[1], random[2], random[3], random[4], c[1],
            c[2], c[3],
        ])
    }

    /// The raw 12 bytes.
    pub const fn bytes(&self) -> [u8; 12] {
        self.0
    }

    /// The creation time embedded in the id, in Unix seconds.
    pub const fn timestamp(&self) -> u32 {
        u32::from_be_bytes([self.0[0], self.0[1], self.0[2], self.0[3]])
    }

    /// The 3-byte counter embedded in the id.
    pub const fn counter(&self) -> u32 {
        u32::from_be_bytes([0, self.0[9], self.0[10], self.0[11]])
    }
}

impl fmt::Display for ObjectId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for b in self.0 {
            write!(f, "{b:02x}")?;
        }
        Ok(())
    }
}

impl FromStr for ObjectId {
    type Err = IdError;

    /// Parses 24 hexadecimal digits (either case; surrounding whitespace is ignored).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim().as_bytes();
        if t.len() != 24 {
            return Err(IdError::NotObjectId(s.to_owned()));
        }
        let mut out = [0u8; 12];
        for (i, pair) in t.chunks_exact(2).enumerate() {
            let hi = hex_digit(pair[0]).ok_or_else(|| IdError::NotObjectId(s.to_owned()))?;
            let lo = hex_digit(pair[1]).ok_or_else(|| IdError::NotObjectId(s.to_owned()))?;
            out[i] = (hi << 4) | lo;
        }
        Ok(ObjectId(out))
    }
}

fn hex_digit(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

impl Serialize for ObjectId {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for ObjectId {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = Value::deserialize(d)?;
        ObjectId::from_json(&v).map_err(D::Error::custom)
    }
}

impl FromJson for ObjectId {
    fn from_json(v: &Value) -> Result<Self, IdError> {
        match v {
            Value::String(s) => s.parse(),
            other => Err(IdError::WrongType(json_kind(other))),
        }
    }
}

macro_rules! object_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(pub ObjectId);

        impl $name {
            /// The underlying object id.
            pub const fn object_id(self) -> ObjectId {
                self.0
            }

            /// The creation time embedded in the id, in Unix seconds.
            pub const fn timestamp(&self) -> u32 {
                self.0.timestamp()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(&self.0, f)
            }
        }

        impl FromStr for $name {
            type Err = IdError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                s.parse().map($name)
            }
        }

        impl From<ObjectId> for $name {
            fn from(v: ObjectId) -> Self {
                $name(v)
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                self.0.serialize(s)
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                ObjectId::deserialize(d).map($name)
            }
        }

        impl FromJson for $name {
            fn from_json(v: &Value) -> Result<Self, IdError> {
                ObjectId::from_json(v).map($name)
            }
        }
    };
}

object_id!(
    /// A chat dialog id (`_id` of a dialog, `chat_dialog_id`).
    DialogId
);
object_id!(
    /// A chat message id (`_id` of a message, `last_message_id`, `pinned_messages_ids`).
    MessageId
);

/// Parses a comma-separated list of ids: `"1,2"`, `"1, 2"`; empty items are skipped.
pub fn parse_id_list<T: FromStr<Err = IdError>>(s: &str) -> Result<Vec<T>, IdError> {
    s.split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(str::parse)
        .collect()
}

/// Joins ids with a separator: `", "` for what the JS SDK sends on dialog create and unread
/// counts, `","` for filters and search.
pub fn join_ids<T: fmt::Display>(ids: &[T], sep: &str) -> String {
    let mut out = String::new();
    for (i, id) in ids.iter().enumerate() {
        if i > 0 {
            out.push_str(sep);
        }
        out.push_str(&id.to_string());
    }
    out
}

/// Reads a list of ids from any JSON form seen on the wire.
///
/// Accepted: an array of numbers or strings, a comma string (`"1,2"`, `"1, 2"`, `""`), a single
/// number, and null (an empty list).
pub fn ids_from_json<T: FromJson + FromStr<Err = IdError>>(v: &Value) -> Result<Vec<T>, IdError> {
    match v {
        Value::Null => Ok(Vec::new()),
        Value::Array(items) => items.iter().map(T::from_json).collect(),
        Value::String(s) => parse_id_list(s),
        Value::Number(_) => T::from_json(v).map(|id| vec![id]),
        other => Err(IdError::WrongType(json_kind(other))),
    }
}

/// `deserialize_with` adapter: a `Vec` of ids in any form [`ids_from_json`] accepts.
pub fn deserialize_ids<'de, D, T>(d: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: FromJson + FromStr<Err = IdError>,
{
    let v = Value::deserialize(d)?;
    ids_from_json(&v).map_err(D::Error::custom)
}

/// A list of ids that decodes tolerantly (array, `"1,2"`, `"1, 2"`) and encodes as a JSON array.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct IdList<T>(pub Vec<T>);

impl<T> IdList<T> {
    /// The ids.
    pub fn as_slice(&self) -> &[T] {
        &self.0
    }

    /// Consumes the list into its ids.
    pub fn into_vec(self) -> Vec<T> {
        self.0
    }

    /// Whether the list has no ids.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The number of ids.
    pub fn len(&self) -> usize {
        self.0.len()
    }
}

impl<T: fmt::Display> IdList<T> {
    /// Joins the ids with `sep` (see [`join_ids`]).
    pub fn join(&self, sep: &str) -> String {
        join_ids(&self.0, sep)
    }
}

impl<T> From<Vec<T>> for IdList<T> {
    fn from(v: Vec<T>) -> Self {
        IdList(v)
    }
}

impl<T> FromIterator<T> for IdList<T> {
    fn from_iter<I: IntoIterator<Item = T>>(iter: I) -> Self {
        IdList(iter.into_iter().collect())
    }
}

impl<T: FromStr<Err = IdError>> FromStr for IdList<T> {
    type Err = IdError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        parse_id_list(s).map(IdList)
    }
}

impl<T: Serialize> Serialize for IdList<T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(s)
    }
}

impl<'de, T: FromJson + FromStr<Err = IdError>> Deserialize<'de> for IdList<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        deserialize_ids(d).map(IdList)
    }
}

/// `deserialize_with` adapter for an optional id: null and `""` are `None`.
pub fn deserialize_opt_id<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: FromJson,
{
    match Value::deserialize(d)? {
        Value::Null => Ok(None),
        Value::String(s) if s.trim().is_empty() => Ok(None),
        v => T::from_json(&v).map(Some).map_err(D::Error::custom),
    }
}

/// A user id where null, `""` and absence all mean `0` (app sessions, group recipients).
pub(crate) fn user_id_or_zero<'de, D: Deserializer<'de>>(d: D) -> Result<UserId, D::Error> {
    deserialize_opt_id(d).map(Option::unwrap_or_default)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn numeric_ids_decode_from_numbers_and_strings_and_encode_as_numbers() {
        for v in [json!(5), json!("5"), json!(" 5 "), json!(5.0)] {
            let id: UserId = serde_json::from_value(v.clone()).expect("decodes");
            assert_eq!(id, UserId(5), "{v}");
        }
        assert_eq!(serde_json::to_string(&UserId(5)).unwrap(), "5");
        assert_eq!(serde_json::to_string(&AppId(385)).unwrap(), "385");
        for v in [
            json!(-1),
            json!("x"),
            json!(""),
            json!(1.5),
            json!(null),
            json!([1]),
            json!(true),
        ] {
            assert!(serde_json::from_value::<UserId>(v.clone()).is_err(), "{v}");
        }
        assert!("18446744073709551616".parse::<UserId>().is_err());
        assert_eq!(
            "18446744073709551615".parse::<UserId>(),
            Ok(UserId(u64::MAX))
        );
    }

    #[test]
    fn object_id_layout_matches_the_sdk_example() {
        let id: ObjectId = "65937d254b854839d7000000".parse().unwrap();
        assert_eq!(id.timestamp(), 1_704_164_645);
        assert_eq!(id.counter(), 0);
        let built = ObjectId::from_parts(1_704_164_645, [0x4b, 0x85, 0x48, 0x39, 0xd7], 0);
        assert_eq!(built, id);
        assert_eq!(built.to_string(), "65937d254b854839d7000000");
        let c = ObjectId::from_parts(0, [0; 5], 0x0102_0304);
        assert_eq!(
            c.counter(),
            0x02_0304,
            "only the low 3 bytes of the counter are kept"
        );
    }

    #[test]
    fn object_ids_are_24_hex_digits() {
        let upper: DialogId = "5F1E6A0C3D9E4A0001A1B2C3".parse().unwrap();
        assert_eq!(upper.to_string(), "5f1e6a0c3d9e4a0001a1b2c3");
        for bad in [
            "",
            "5f1e6a0c3d9e4a0001a1b2c",
            "5f1e6a0c3d9e4a0001a1b2c3a",
            "zz1e6a0c3d9e4a0001a1b2c3",
            "é1e6a0c3d9e4a0001a1b2c",
        ] {
            assert!(bad.parse::<ObjectId>().is_err(), "{bad}");
        }
        assert!(serde_json::from_value::<MessageId>(json!(5)).is_err());
        let m: MessageId = serde_json::from_value(json!("5f1e6b113d9e4a0001a1b2c4")).unwrap();
        assert_eq!(
            serde_json::to_value(m).unwrap(),
            json!("5f1e6b113d9e4a0001a1b2c4")
        );
    }

    #[test]
    fn id_lists_accept_every_wire_form() {
        let want = IdList(vec![UserId(6), UserId(7)]);
        for v in [
            json!([6, 7]),
            json!(["6", "7"]),
            json!([6, "7"]),
            json!("6,7"),
            json!("6, 7"),
            json!(" 6 ,7, "),
        ] {
            assert_eq!(
                serde_json::from_value::<IdList<UserId>>(v.clone()).unwrap(),
                want,
                "{v}"
            );
        }
        assert_eq!(
            serde_json::from_value::<IdList<UserId>>(json!(6)).unwrap(),
            IdList(vec![UserId(6)])
        );
        assert_eq!(
            serde_json::from_value::<IdList<UserId>>(json!("")).unwrap(),
            IdList(vec![])
        );
        assert_eq!(
            serde_json::from_value::<IdList<UserId>>(json!(null)).unwrap(),
            IdList(vec![])
        );
        assert!(serde_json::from_value::<IdList<UserId>>(json!("6,x")).is_err());
        assert!(serde_json::from_value::<IdList<UserId>>(json!({"0": 6})).is_err());
        assert_eq!(serde_json::to_value(&want).unwrap(), json!([6, 7]));
        assert_eq!(want.join(", "), "6, 7");
        assert_eq!(want.join(","), "6,7");
        assert_eq!("6, 7".parse::<IdList<UserId>>(), Ok(want));
    }

    #[test]
    fn optional_ids_treat_null_and_empty_as_none() {
        #[derive(Deserialize)]
        struct T {
            #[serde(default, deserialize_with = "deserialize_opt_id")]
            id: Option<MessageId>,
        }
        for v in [json!({}), json!({"id": null}), json!({"id": ""})] {
            assert_eq!(serde_json::from_value::<T>(v).unwrap().id, None);
        }
        assert!(serde_json::from_value::<T>(json!({"id": "nope"})).is_err());
    }
}
