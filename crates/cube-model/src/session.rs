//! Sessions (`/session`, `/login`) and the `{"session": {...}}` envelope.

use serde::de::{Deserializer, Error as _};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::de;
use crate::ids::{AppId, UserId};
use crate::user::User;

/// A session as `POST /session` and `GET /session` return it.
///
/// `user_id` is `0` (or absent) for an application session and the user's id for a user session.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[non_exhaustive]
pub struct Session {
    /// The session's object id (`_id`), as the server sent it.
    #[serde(
        rename = "_id",
        default,
        deserialize_with = "de::opt_text",
        skip_serializing_if = "Option::is_none"
    )]
    pub object_id: Option<String>,
    /// The session's numeric id.
    #[serde(default, deserialize_with = "de::u64_or_zero")]
    pub id: u64,
    /// The application this session belongs to.
    pub application_id: AppId,
    /// The logged-in user, or `0` for an application session.
    #[serde(default, deserialize_with = "crate::ids::user_id_or_zero")]
    pub user_id: UserId,
    /// The nonce of a signed session request (null for unsigned ones).
    #[serde(default, deserialize_with = "de::opt_i64")]
    pub nonce: Option<i64>,
    /// The session token, sent back in the `CB-Token` header.
    pub token: String,
    /// The session's timestamp, in Unix seconds.
    #[serde(default, deserialize_with = "de::i64_or_zero")]
    pub ts: i64,
    /// Creation time, ISO-8601 as the server sent it.
    #[serde(default, deserialize_with = "de::opt_text")]
    pub created_at: Option<String>,
    /// Last update time, ISO-8601 as the server sent it.
    #[serde(default, deserialize_with = "de::opt_text")]
    pub updated_at: Option<String>,
    /// The session's user, when the server includes it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<User>,
}

impl Session {
    /// A session with the required fields; `user_id` 0 makes it an application session.
    pub fn new(application_id: AppId, user_id: UserId, token: impl Into<String>) -> Self {
        Session {
            object_id: None,
            id: 0,
            application_id,
            user_id,
            nonce: None,
            token: token.into(),
            ts: 0,
            created_at: None,
            updated_at: None,
            user: None,
        }
    }

    /// Whether a user is logged in on this session (`user_id` is not 0).
    pub fn is_user_session(&self) -> bool {
        !self.user_id.is_none()
    }

    /// Sets the object id (`_id`).
    pub fn with_object_id(mut self, v: impl Into<String>) -> Self {
        self.object_id = Some(v.into());
        self
    }

    /// Sets the numeric id.
    pub fn with_id(mut self, id: u64) -> Self {
        self.id = id;
        self
    }

    /// Sets the nonce.
    pub fn with_nonce(mut self, nonce: i64) -> Self {
        self.nonce = Some(nonce);
        self
    }

    /// Sets the timestamp (Unix seconds).
    pub fn with_ts(mut self, ts: i64) -> Self {
        self.ts = ts;
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

    /// Attaches the session's user.
    pub fn with_user(mut self, user: User) -> Self {
        self.user = Some(user);
        self
    }
}

/// The `{"session": {...}}` envelope of the session endpoints.
///
/// Decoding also accepts the bare session object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[non_exhaustive]
pub struct SessionEnvelope {
    /// The session.
    pub session: Session,
}

impl SessionEnvelope {
    /// Wraps a session.
    pub fn new(session: Session) -> Self {
        SessionEnvelope { session }
    }
}

impl From<Session> for SessionEnvelope {
    fn from(session: Session) -> Self {
        SessionEnvelope { session }
    }
}

impl<'de> Deserialize<'de> for SessionEnvelope {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let mut v = Value::deserialize(d)?;
        let inner = match v.get_mut("session") {
            Some(s) if s.is_object() => s.take(),
            _ => v,
        };
        Session::deserialize(inner)
            .map(SessionEnvelope::new)
            .map_err(D::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn app_and_user_sessions() {
        let app: SessionEnvelope = serde_json::from_value(json!({"session": {
            "application_id": 385, "user_id": 0, "token": "t", "nonce": null
        }}))
        .unwrap();
        assert!(!app.session.is_user_session());
        let absent: Session =
            serde_json::from_value(json!({"application_id": "385", "token": "t"})).unwrap();
        assert!(!absent.is_user_session());
        assert_eq!(absent.application_id, AppId(385));
        let user: SessionEnvelope = serde_json::from_value(json!({
            "application_id": 385, "user_id": "5", "token": "t", "nonce": "4321", "ts": "1704164645",
            "user": {"id": 5}
        }))
        .unwrap();
        assert!(user.session.is_user_session());
        assert_eq!(user.session.nonce, Some(4321));
        assert_eq!(user.session.ts, 1_704_164_645);
        assert_eq!(user.session.user.map(|u| u.id), Some(UserId(5)));
    }

    #[test]
    fn encoding_keeps_the_api_field_order() {
        let s = Session::new(AppId(385), UserId(0), "tok")
            .with_object_id("65941c2541d1b400e8d2b1a0")
            .with_id(111)
            .with_ts(1_704_164_645);
        let text = serde_json::to_string(&SessionEnvelope::new(s)).unwrap();
        assert_eq!(
            text,
            r#"{"session":{"_id":"65941c2541d1b400e8d2b1a0","id":111,"application_id":385,"user_id":0,"nonce":null,"token":"tok","ts":1704164645,"created_at":null,"updated_at":null}}"#
        );
    }

    #[test]
    fn a_session_needs_a_token_and_an_application() {
        assert!(serde_json::from_value::<Session>(json!({"application_id": 1})).is_err());
        assert!(serde_json::from_value::<Session>(json!({"token": "t"})).is_err());
        assert!(serde_json::from_value::<SessionEnvelope>(json!("x")).is_err());
    }
}
