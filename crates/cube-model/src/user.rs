//! Users (`/users`) and the `{"user": {...}}` envelope.

use serde::de::{Deserializer, Error as _};
use serde::{Deserialize, Serialize, Serializer};
use serde_json::Value;

use crate::de;
use crate::ids::UserId;

/// A ConnectyCube user as the API returns it.
///
/// Every field but `id` may be null or absent on the wire. `user_tags` decodes from a comma
/// string or an array and is encoded as a comma string (`"iphone,apple"`); `custom_data` is a
/// string, and any other JSON found there is kept as its JSON text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[non_exhaustive]
pub struct User {
    /// The user's id.
    pub id: UserId,
    /// Display name.
    #[serde(default, deserialize_with = "de::opt_text")]
    pub full_name: Option<String>,
    /// E-mail address.
    #[serde(default, deserialize_with = "de::opt_text")]
    pub email: Option<String>,
    /// Login name (3 to 70 characters).
    #[serde(default, deserialize_with = "de::opt_text")]
    pub login: Option<String>,
    /// Phone number.
    #[serde(default, deserialize_with = "de::opt_text")]
    pub phone: Option<String>,
    /// Web site.
    #[serde(default, deserialize_with = "de::opt_text")]
    pub website: Option<String>,
    /// Creation time, ISO-8601 as the server sent it.
    #[serde(default, deserialize_with = "de::opt_text")]
    pub created_at: Option<String>,
    /// Last update time, ISO-8601 as the server sent it.
    #[serde(default, deserialize_with = "de::opt_text")]
    pub updated_at: Option<String>,
    /// Time of the user's last request, ISO-8601 as the server sent it.
    #[serde(default, deserialize_with = "de::opt_text")]
    pub last_request_at: Option<String>,
    /// Deprecated numeric external id.
    #[serde(default, deserialize_with = "de::opt_u64")]
    pub external_user_id: Option<u64>,
    /// External id (from the application's own user base).
    #[serde(default, deserialize_with = "de::opt_text")]
    pub external_id: Option<String>,
    /// Facebook id.
    #[serde(default, deserialize_with = "de::opt_text")]
    pub facebook_id: Option<String>,
    /// Twitter id.
    #[serde(default, deserialize_with = "de::opt_text")]
    pub twitter_id: Option<String>,
    /// Free-form data; the API stores a string (often JSON text).
    #[serde(default, deserialize_with = "de::opt_text")]
    pub custom_data: Option<String>,
    /// Deprecated avatar blob id.
    #[serde(default, deserialize_with = "de::opt_u64")]
    pub blob_id: Option<u64>,
    /// Avatar (a blob uid or URL).
    #[serde(default, deserialize_with = "de::opt_text")]
    pub avatar: Option<String>,
    /// Tags; `None` when the server sends null.
    #[serde(
        default,
        deserialize_with = "deserialize_tags",
        serialize_with = "serialize_tags"
    )]
    #[cfg_attr(
        feature = "schemars",
        schemars(with = "Option<crate::schema::CommaList>")
    )]
    pub user_tags: Option<Vec<String>>,
    /// Time zone offset in minutes.
    #[serde(default, deserialize_with = "de::opt_i64")]
    pub timezone: Option<i64>,
    /// Whether this is a guest user (guest sessions); absent for regular users.
    #[serde(
        default,
        deserialize_with = "de::opt_bool",
        skip_serializing_if = "Option::is_none"
    )]
    pub is_guest: Option<bool>,
}

impl User {
    /// A user with only an id; every other field is `None`.
    pub fn new(id: UserId) -> Self {
        User {
            id,
            full_name: None,
            email: None,
            login: None,
            phone: None,
            website: None,
            created_at: None,
            updated_at: None,
            last_request_at: None,
            external_user_id: None,
            external_id: None,
            facebook_id: None,
            twitter_id: None,
            custom_data: None,
            blob_id: None,
            avatar: None,
            user_tags: None,
            timezone: None,
            is_guest: None,
        }
    }

    /// Sets the display name.
    pub fn with_full_name(mut self, v: impl Into<String>) -> Self {
        self.full_name = Some(v.into());
        self
    }

    /// Sets the e-mail address.
    pub fn with_email(mut self, v: impl Into<String>) -> Self {
        self.email = Some(v.into());
        self
    }

    /// Sets the login.
    pub fn with_login(mut self, v: impl Into<String>) -> Self {
        self.login = Some(v.into());
        self
    }

    /// Sets the phone number.
    pub fn with_phone(mut self, v: impl Into<String>) -> Self {
        self.phone = Some(v.into());
        self
    }

    /// Sets the web site.
    pub fn with_website(mut self, v: impl Into<String>) -> Self {
        self.website = Some(v.into());
        self
    }

    /// Sets the external id.
    pub fn with_external_id(mut self, v: impl Into<String>) -> Self {
        self.external_id = Some(v.into());
        self
    }

    /// Sets the custom data string.
    pub fn with_custom_data(mut self, v: impl Into<String>) -> Self {
        self.custom_data = Some(v.into());
        self
    }

    /// Sets the avatar.
    pub fn with_avatar(mut self, v: impl Into<String>) -> Self {
        self.avatar = Some(v.into());
        self
    }

    /// Sets the tags.
    pub fn with_tags<I, S>(mut self, tags: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.user_tags = Some(tags.into_iter().map(Into::into).collect());
        self
    }

    /// Sets the time zone offset in minutes.
    pub fn with_timezone(mut self, minutes: i64) -> Self {
        self.timezone = Some(minutes);
        self
    }

    /// Sets the creation and update times (ISO-8601).
    pub fn with_timestamps(
        mut self,
        created_at: impl Into<String>,
        updated_at: impl Into<String>,
    ) -> Self {
        self.created_at = Some(created_at.into());
        self.updated_at = Some(updated_at.into());
        self
    }

    /// Sets the time of the last request (ISO-8601).
    pub fn with_last_request_at(mut self, v: impl Into<String>) -> Self {
        self.last_request_at = Some(v.into());
        self
    }

    /// Marks the user as a guest (or not).
    pub fn with_guest(mut self, is_guest: bool) -> Self {
        self.is_guest = Some(is_guest);
        self
    }
}

/// Splits a tag string on commas, trimming each tag and dropping empty ones.
pub fn parse_tags(s: &str) -> Vec<String> {
    s.split(',')
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Joins tags as the API writes them: `"iphone,apple"`.
pub fn join_tags(tags: &[String]) -> String {
    tags.join(",")
}

/// Tags as a comma string or an array of strings (numbers are stringified); null is `None`.
pub(crate) fn tags_from_json(v: Value) -> Result<Option<Vec<String>>, &'static str> {
    match v {
        Value::Null => Ok(None),
        Value::String(s) => Ok(Some(parse_tags(&s))),
        Value::Array(items) => {
            let mut out = Vec::with_capacity(items.len());
            for item in items {
                match item {
                    Value::Null => {}
                    Value::Object(_) | Value::Array(_) => return Err("a tag must be a string"),
                    other => out.extend(parse_tags(&de::value_to_text(other))),
                }
            }
            Ok(Some(out))
        }
        _ => Err("tags must be a string or an array"),
    }
}

fn deserialize_tags<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Vec<String>>, D::Error> {
    tags_from_json(Value::deserialize(d)?).map_err(D::Error::custom)
}

#[allow(clippy::ref_option)] // serde's serialize_with hands us `&Option<T>`
fn serialize_tags<S: Serializer>(tags: &Option<Vec<String>>, s: S) -> Result<S::Ok, S::Error> {
    match tags {
        Some(tags) => s.serialize_str(&join_tags(tags)),
        None => s.serialize_none(),
    }
}

/// The `{"user": {...}}` envelope of sign-up, login and user reads.
///
/// Decoding also accepts the bare user object (the seed's examples show it unwrapped).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[non_exhaustive]
pub struct UserEnvelope {
    /// The user.
    pub user: User,
}

impl UserEnvelope {
    /// Wraps a user.
    pub fn new(user: User) -> Self {
        UserEnvelope { user }
    }
}

impl From<User> for UserEnvelope {
    fn from(user: User) -> Self {
        UserEnvelope { user }
    }
}

impl<'de> Deserialize<'de> for UserEnvelope {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let mut v = Value::deserialize(d)?;
        let inner = match v.get_mut("user") {
            Some(u) if u.is_object() => u.take(),
            _ => v,
        };
        User::deserialize(inner)
            .map(UserEnvelope::new)
            .map_err(D::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn tags_decode_from_a_string_or_an_array_and_encode_as_a_string() {
        let want = Some(vec!["iphone".to_owned(), "apple".to_owned()]);
        for v in [
            json!("iphone,apple"),
            json!("iphone, apple"),
            json!(["iphone", "apple"]),
            json!(["iphone, apple"]),
        ] {
            let u: User = serde_json::from_value(json!({"id": 1, "user_tags": v})).unwrap();
            assert_eq!(u.user_tags, want, "{v}");
        }
        let u = User::new(UserId(1)).with_tags(["iphone", "apple"]);
        assert_eq!(
            serde_json::to_value(&u).unwrap()["user_tags"],
            json!("iphone,apple")
        );
        let u: User = serde_json::from_value(json!({"id": 1, "user_tags": null})).unwrap();
        assert_eq!(u.user_tags, None);
        assert!(serde_json::from_value::<User>(json!({"id": 1, "user_tags": {"a": 1}})).is_err());
    }

    #[test]
    fn custom_data_keeps_any_json_as_text() {
        let u: User = serde_json::from_value(json!({"id": 1, "custom_data": {"k": 1}})).unwrap();
        assert_eq!(u.custom_data.as_deref(), Some(r#"{"k":1}"#));
        let u: User = serde_json::from_value(json!({"id": 1, "custom_data": "{\"k\":1}"})).unwrap();
        assert_eq!(u.custom_data.as_deref(), Some(r#"{"k":1}"#));
        let u: User = serde_json::from_value(json!({"id": 1, "custom_data": 7})).unwrap();
        assert_eq!(u.custom_data.as_deref(), Some("7"));
    }

    #[test]
    fn scalars_are_tolerant() {
        let u: User = serde_json::from_value(json!({
            "id": "5", "external_user_id": "77", "blob_id": 3, "facebook_id": 1234,
            "timezone": "-300", "is_guest": 1, "unknown_key": "ignored"
        }))
        .unwrap();
        assert_eq!(u.id, UserId(5));
        assert_eq!(u.external_user_id, Some(77));
        assert_eq!(u.blob_id, Some(3));
        assert_eq!(u.facebook_id.as_deref(), Some("1234"));
        assert_eq!(u.timezone, Some(-300));
        assert_eq!(u.is_guest, Some(true));
        assert!(serde_json::from_value::<User>(json!({"full_name": "no id"})).is_err());
    }

    #[test]
    fn a_new_user_encodes_nulls_like_the_api_and_no_is_guest() {
        let v = serde_json::to_value(User::new(UserId(5)).with_login("alice")).unwrap();
        assert_eq!(v["login"], json!("alice"));
        assert_eq!(v["phone"], json!(null));
        assert_eq!(v["user_tags"], json!(null));
        assert!(v.get("is_guest").is_none());
        let v = serde_json::to_value(User::new(UserId(5)).with_guest(true)).unwrap();
        assert_eq!(v["is_guest"], json!(true));
    }

    #[test]
    fn the_envelope_accepts_wrapped_and_bare_users() {
        let wrapped: UserEnvelope = serde_json::from_value(json!({"user": {"id": 5}})).unwrap();
        let bare: UserEnvelope = serde_json::from_value(json!({"id": 5, "login": "a"})).unwrap();
        assert_eq!(wrapped.user.id, UserId(5));
        assert_eq!(bare.user.login.as_deref(), Some("a"));
        assert_eq!(
            serde_json::to_value(&wrapped).unwrap()["user"]["id"],
            json!(5)
        );
        assert!(serde_json::from_value::<UserEnvelope>(json!({"user": "x"})).is_err());
        assert!(serde_json::from_value::<UserEnvelope>(json!(1)).is_err());
    }
}
