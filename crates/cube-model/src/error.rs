//! Error bodies of the REST API, in every shape the real API sends.

use std::collections::BTreeMap;

use serde::de::Deserializer;
use serde::ser::SerializeMap;
use serde::{Deserialize, Serialize, Serializer};
use serde_json::Value;

/// The base message of a 401 for an unknown or expired token; clients renew on this exact text.
pub const SESSION_NOT_FOUND: &str = "Required session does not exist";

/// The base message of a 403 for an endpoint that needs a user session.
pub const FORBIDDEN_NEED_USER: &str = "Forbidden. Need user.";

/// The key of messages that are not about one field.
pub const BASE: &str = "base";

/// An error response body.
///
/// Shapes: `{"errors":{"base":["..."]}}` and `{"errors":{"login":["..."]}}` ([`ErrorBody::Fields`]),
/// `{"errors":["..."]}` ([`ErrorBody::List`]), any other JSON ([`ErrorBody::Other`]) and bytes that
/// are not JSON at all ([`ErrorBody::Raw`], only from [`ErrorBody::from_bytes`]).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorBody {
    /// Messages keyed by field, `base` for general ones.
    Fields(BTreeMap<String, Vec<String>>),
    /// A plain list of messages.
    List(Vec<String>),
    /// JSON of another shape, kept as it came.
    Other(Value),
    /// A body that is not JSON, kept as text (lossy for invalid UTF-8).
    Raw(String),
}

impl ErrorBody {
    /// `{"errors":{"base":[msg]}}`.
    pub fn base_message(msg: impl Into<String>) -> Self {
        ErrorBody::Fields(BTreeMap::from([(BASE.to_owned(), vec![msg.into()])]))
    }

    /// `{"errors":{field:[msg]}}`.
    pub fn field(field: impl Into<String>, msg: impl Into<String>) -> Self {
        ErrorBody::Fields(BTreeMap::from([(field.into(), vec![msg.into()])]))
    }

    /// The 401 body for an unknown or expired token.
    pub fn session_not_found() -> Self {
        ErrorBody::base_message(SESSION_NOT_FOUND)
    }

    /// The 403 body for an endpoint that needs a user session.
    pub fn forbidden_need_user() -> Self {
        ErrorBody::base_message(FORBIDDEN_NEED_USER)
    }

    /// Adds one more message for `field` (turning a list into `base` messages first).
    pub fn with_field(self, field: impl Into<String>, msg: impl Into<String>) -> Self {
        let mut map = match self {
            ErrorBody::Fields(map) => map,
            ErrorBody::List(list) if !list.is_empty() => BTreeMap::from([(BASE.to_owned(), list)]),
            _ => BTreeMap::new(),
        };
        map.entry(field.into()).or_default().push(msg.into());
        ErrorBody::Fields(map)
    }

    /// Decodes a response body; never fails (non-JSON bytes become [`ErrorBody::Raw`]).
    pub fn from_bytes(bytes: &[u8]) -> Self {
        match serde_json::from_slice::<Value>(bytes) {
            Ok(v) => ErrorBody::from_value(v),
            Err(_) => ErrorBody::Raw(String::from_utf8_lossy(bytes).into_owned()),
        }
    }

    /// Encodes the body: JSON for every shape but [`ErrorBody::Raw`], which is sent as it came.
    pub fn to_bytes(&self) -> Vec<u8> {
        match self {
            ErrorBody::Raw(s) => s.clone().into_bytes(),
            other => serde_json::to_vec(other).unwrap_or_default(),
        }
    }

    /// Classifies a JSON value.
    pub fn from_value(v: Value) -> Self {
        let Value::Object(mut top) = v else {
            return ErrorBody::Other(v);
        };
        if top.len() == 1 {
            match top.get("errors") {
                Some(Value::Object(fields)) => {
                    let mut out = BTreeMap::new();
                    for (k, v) in fields {
                        match v {
                            Value::Array(items) if items.iter().all(Value::is_string) => {
                                out.insert(
                                    k.clone(),
                                    items
                                        .iter()
                                        .filter_map(|i| i.as_str().map(str::to_owned))
                                        .collect(),
                                );
                            }
                            Value::String(s) => {
                                out.insert(k.clone(), vec![s.clone()]);
                            }
                            _ => return ErrorBody::Other(Value::Object(top)),
                        }
                    }
                    return ErrorBody::Fields(out);
                }
                Some(Value::Array(items)) if items.iter().all(Value::is_string) => {
                    return ErrorBody::List(
                        items
                            .iter()
                            .filter_map(|i| i.as_str().map(str::to_owned))
                            .collect(),
                    );
                }
                Some(Value::String(s)) => return ErrorBody::List(vec![s.clone()]),
                _ => {}
            }
        }
        ErrorBody::Other(Value::Object(std::mem::take(&mut top)))
    }

    /// The `base` messages (empty unless the body is keyed by field and has `base`).
    pub fn base(&self) -> &[String] {
        match self {
            ErrorBody::Fields(map) => map.get(BASE).map_or(&[], Vec::as_slice),
            _ => &[],
        }
    }

    /// Every message as one string each: `base` and list messages as they are, field messages
    /// as `"<field> <message>"`, other JSON as its text, raw bodies as they are (if not empty).
    pub fn messages(&self) -> Vec<String> {
        match self {
            ErrorBody::Fields(map) => {
                let mut out: Vec<String> = self.base().to_vec();
                for (k, msgs) in map {
                    if k != BASE {
                        out.extend(msgs.iter().map(|m| format!("{k} {m}")));
                    }
                }
                out
            }
            ErrorBody::List(list) => list.clone(),
            ErrorBody::Other(v) => vec![v.to_string()],
            ErrorBody::Raw(s) if s.trim().is_empty() => Vec::new(),
            ErrorBody::Raw(s) => vec![s.clone()],
        }
    }

    /// Whether the first `base` message is exactly [`SESSION_NOT_FOUND`].
    pub fn is_session_not_found(&self) -> bool {
        self.base().first().is_some_and(|m| m == SESSION_NOT_FOUND)
    }
}

impl std::fmt::Display for ErrorBody {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.messages().join("; "))
    }
}

impl Serialize for ErrorBody {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            ErrorBody::Fields(map) => {
                let mut m = s.serialize_map(Some(1))?;
                m.serialize_entry("errors", map)?;
                m.end()
            }
            ErrorBody::List(list) => {
                let mut m = s.serialize_map(Some(1))?;
                m.serialize_entry("errors", list)?;
                m.end()
            }
            ErrorBody::Other(v) => v.serialize(s),
            ErrorBody::Raw(text) => s.serialize_str(text),
        }
    }
}

impl<'de> Deserialize<'de> for ErrorBody {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Value::deserialize(d).map(ErrorBody::from_value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn every_real_shape_decodes() {
        let base =
            ErrorBody::from_bytes(br#"{"errors":{"base":["Required session does not exist"]}}"#);
        assert_eq!(base, ErrorBody::session_not_found());
        assert!(base.is_session_not_found());
        assert_eq!(base.base(), [SESSION_NOT_FOUND]);

        let field = ErrorBody::from_bytes(br#"{"errors":{"login":["has already been taken"]}}"#);
        assert_eq!(field, ErrorBody::field("login", "has already been taken"));
        assert!(field.base().is_empty());
        assert_eq!(field.messages(), ["login has already been taken"]);

        let list = ErrorBody::from_bytes(br#"{"errors":["Unauthorized"]}"#);
        assert_eq!(list, ErrorBody::List(vec!["Unauthorized".into()]));
        assert_eq!(list.messages(), ["Unauthorized"]);
        assert!(!list.is_session_not_found());

        let single = ErrorBody::from_bytes(br#"{"errors":{"login":"taken"}}"#);
        assert_eq!(single, ErrorBody::field("login", "taken"));

        let other = ErrorBody::from_bytes(br#"{"message":"boom","code":5}"#);
        assert!(matches!(other, ErrorBody::Other(_)));
        assert_eq!(
            serde_json::to_value(&other).unwrap(),
            json!({"message": "boom", "code": 5})
        );

        let raw = ErrorBody::from_bytes(b"<html>502</html>");
        assert_eq!(raw, ErrorBody::Raw("<html>502</html>".into()));
        assert_eq!(raw.to_bytes(), b"<html>502</html>");
        assert!(ErrorBody::from_bytes(b" ").messages().is_empty());
    }

    #[test]
    fn encoding_is_exact() {
        assert_eq!(
            String::from_utf8(ErrorBody::forbidden_need_user().to_bytes()).unwrap(),
            r#"{"errors":{"base":["Forbidden. Need user."]}}"#
        );
        assert_eq!(
            serde_json::to_string(&ErrorBody::List(vec!["Token is required".into()])).unwrap(),
            r#"{"errors":["Token is required"]}"#
        );
        let two = ErrorBody::base_message("Bad")
            .with_field("login", "is too short")
            .with_field("login", "is invalid");
        assert_eq!(
            serde_json::to_string(&two).unwrap(),
            r#"{"errors":{"base":["Bad"],"login":["is too short","is invalid"]}}"#
        );
        assert_eq!(
            two.messages(),
            ["Bad", "login is too short", "login is invalid"]
        );
        assert_eq!(two.to_string(), "Bad; login is too short; login is invalid");
    }

    #[test]
    fn mixed_types_are_kept_as_other() {
        for v in [
            json!({"errors": {"base": [1]}}),
            json!({"errors": [1, "x"]}),
            json!({"errors": ["x"], "status": 1}),
            json!([1]),
            json!("text"),
        ] {
            let e = ErrorBody::from_value(v.clone());
            assert!(matches!(e, ErrorBody::Other(_)), "{v}");
            assert_eq!(serde_json::to_value(&e).unwrap(), v);
        }
    }
}
