//! Users: sign-up, reads, search, profile updates and deletion.

use cube_auth::Password;
use serde_json::{Map, Value};

use crate::error::FromHttpRequestError;
use crate::params::Fields;

pub mod create_password_reset;
pub mod create_user;
pub mod delete_user;
pub mod get_password_reset;
pub mod get_user;
pub mod list_online;
pub mod list_users;
pub mod update_user;

/// Most tags accepted in `tag_list`.
pub const MAX_TAGS: usize = 100;

/// The `user` object of sign-up (`POST /users`) and profile update (`PUT /users/{id}`).
///
/// Every field is optional on the wire; the server decides which are required.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct UserParams {
    /// `login`.
    pub login: Option<String>,
    /// `email`.
    pub email: Option<String>,
    /// `password` (the new one, on update).
    pub password: Option<Password>,
    /// `old_password`, required by the server to change a password.
    pub old_password: Option<Password>,
    /// `full_name`.
    pub full_name: Option<String>,
    /// `phone`.
    pub phone: Option<String>,
    /// `website`.
    pub website: Option<String>,
    /// `custom_data`, an opaque string (often JSON text).
    pub custom_data: Option<String>,
    /// `tag_list`: the user's tags (stored and answered as `user_tags`).
    pub tag_list: Option<Vec<String>>,
    /// `external_user_id` (deprecated by ConnectyCube).
    pub external_user_id: Option<u64>,
    /// `external_id`.
    pub external_id: Option<String>,
    /// `facebook_id`.
    pub facebook_id: Option<String>,
    /// `twitter_id`.
    pub twitter_id: Option<String>,
    /// `avatar`.
    pub avatar: Option<String>,
    /// `blob_id` (deprecated by ConnectyCube).
    pub blob_id: Option<u64>,
    /// `timezone`, in minutes.
    pub timezone: Option<i64>,
}

macro_rules! with_string {
    ($($(#[$doc:meta])* $fn:ident => $field:ident,)+) => {
        $(
            $(#[$doc])*
            pub fn $fn(mut self, v: impl Into<String>) -> Self {
                self.$field = Some(v.into());
                self
            }
        )+
    };
}

impl UserParams {
    /// No fields set.
    pub fn new() -> Self {
        UserParams::default()
    }

    with_string! {
        /// Sets `login`.
        with_login => login,
        /// Sets `email`.
        with_email => email,
        /// Sets `full_name`.
        with_full_name => full_name,
        /// Sets `phone`.
        with_phone => phone,
        /// Sets `website`.
        with_website => website,
        /// Sets `custom_data`.
        with_custom_data => custom_data,
        /// Sets `external_id`.
        with_external_id => external_id,
        /// Sets `facebook_id`.
        with_facebook_id => facebook_id,
        /// Sets `twitter_id`.
        with_twitter_id => twitter_id,
        /// Sets `avatar`.
        with_avatar => avatar,
    }

    /// Sets `password`.
    pub fn with_password(mut self, v: impl Into<Password>) -> Self {
        self.password = Some(v.into());
        self
    }

    /// Sets `old_password` (needed with `password` on update).
    pub fn with_old_password(mut self, v: impl Into<Password>) -> Self {
        self.old_password = Some(v.into());
        self
    }

    /// Sets `tag_list`.
    pub fn with_tags<I: IntoIterator<Item = S>, S: Into<String>>(mut self, tags: I) -> Self {
        self.tag_list = Some(tags.into_iter().map(Into::into).collect());
        self
    }

    /// Sets `timezone`, in minutes.
    pub fn with_timezone(mut self, minutes: i64) -> Self {
        self.timezone = Some(minutes);
        self
    }

    /// The JSON object, keys in the JS SDK's order; `tag_list` as an array as the SDK sends it.
    pub(crate) fn to_json(&self) -> Map<String, Value> {
        let mut out = Map::new();
        let mut put = |k: &str, v: Option<Value>| {
            if let Some(v) = v {
                out.insert(k.to_owned(), v);
            }
        };
        let s = |v: &Option<String>| v.as_deref().map(Value::from);
        put("login", s(&self.login));
        put("email", s(&self.email));
        put(
            "old_password",
            self.old_password.as_ref().map(|p| p.expose().into()),
        );
        put(
            "password",
            self.password.as_ref().map(|p| p.expose().into()),
        );
        put("full_name", s(&self.full_name));
        put("phone", s(&self.phone));
        put("website", s(&self.website));
        put("custom_data", s(&self.custom_data));
        put(
            "tag_list",
            self.tag_list
                .as_ref()
                .map(|t| Value::Array(t.iter().map(|s| Value::from(s.as_str())).collect())),
        );
        put("external_user_id", self.external_user_id.map(Value::from));
        put("external_id", s(&self.external_id));
        put("facebook_id", s(&self.facebook_id));
        put("twitter_id", s(&self.twitter_id));
        put("avatar", s(&self.avatar));
        put("blob_id", self.blob_id.map(Value::from));
        put("timezone", self.timezone.map(Value::from));
        out
    }

    /// Reads the `user` object (JSON, or `user[login]=..` form keys); tags as an array or a
    /// comma string.
    pub(crate) fn from_fields(u: &Fields<'_>) -> Result<Self, FromHttpRequestError> {
        let tag_list = match u.get("tag_list") {
            None => None,
            Some(v) => Some(
                crate::params::parse_list::<String>(v, &u.name("tag_list"), "tags", MAX_TAGS)?
                    .into_iter()
                    .filter(|t| !t.is_empty())
                    .collect(),
            ),
        };
        Ok(UserParams {
            login: u.string("login")?,
            email: u.string("email")?,
            password: u.string("password")?.map(Password::new),
            old_password: u.string("old_password")?.map(Password::new),
            full_name: u.string("full_name")?,
            phone: u.string("phone")?,
            website: u.string("website")?,
            custom_data: match u.get("custom_data") {
                // Tolerated: a JSON object or array where the SDK would send its text.
                Some(v @ (Value::Object(_) | Value::Array(_))) => Some(v.to_string()),
                _ => u.string("custom_data")?,
            },
            tag_list,
            external_user_id: u.parse("external_user_id", "a number")?,
            external_id: u.string("external_id")?,
            facebook_id: u.string("facebook_id")?,
            twitter_id: u.string("twitter_id")?,
            avatar: u.string("avatar")?,
            blob_id: u.parse("blob_id", "a number")?,
            timezone: u.parse("timezone", "a number of minutes")?,
        })
    }
}

/// Reads the `user` object of a body; errors name its fields without the `user.` prefix, as
/// ConnectyCube does (`{"errors":{"login":[..]}}`).
pub(crate) fn read_user_object(
    params: &Map<String, Value>,
) -> Result<UserParams, FromHttpRequestError> {
    match params.get("user") {
        Some(Value::Object(user)) => UserParams::from_fields(&Fields::new(user)),
        Some(Value::Null) | None => Err(FromHttpRequestError::missing("user")),
        Some(_) => Err(FromHttpRequestError::invalid("user", "must be an object")),
    }
}
