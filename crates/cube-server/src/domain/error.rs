//! What a domain operation can refuse, each mapping to one HTTP status and errors body.

use std::collections::BTreeMap;

use crate::store::StoreError;

/// The exact text clients key their session renewal on.
pub const SESSION_MISSING: &str = "Required session does not exist";

/// The exact text for an application session calling a user endpoint.
pub const NEED_USER: &str = "Forbidden. Need user.";

/// A refused or failed domain operation.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Unknown or expired session token (401).
    #[error("required session does not exist")]
    SessionMissing,
    /// Bad credentials (401).
    #[error("unauthorized: {0}")]
    Unauthorized(String),
    /// An application session called an endpoint that needs a user (403).
    #[error("forbidden, need user")]
    NeedUser,
    /// The caller's role does not allow the action (403).
    #[error("forbidden: {0}")]
    Forbidden(String),
    /// The thing does not exist, or the caller may not know it does (404).
    #[error("not found: {0}")]
    NotFound(String),
    /// Malformed request (400), keyed by field or `base`.
    #[error("bad request")]
    BadRequest(BTreeMap<String, Vec<String>>),
    /// Validation failed (422), keyed by field or `base`.
    #[error("unprocessable")]
    Unprocessable(BTreeMap<String, Vec<String>>),
    /// Too many requests (429); retry after that many seconds.
    #[error("too many requests")]
    TooManyRequests {
        /// Seconds until a retry may succeed.
        retry_after: u64,
    },
    /// Storage failed.
    #[error("storage failed")]
    Store(#[from] StoreError),
    /// Something that should not happen did.
    #[error("internal error: {0}")]
    Internal(String),
}

impl From<rusqlite::Error> for Error {
    fn from(e: rusqlite::Error) -> Self {
        Self::Store(StoreError::Sqlite(e))
    }
}

impl Error {
    /// A 422 naming one field.
    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        let mut map = BTreeMap::new();
        map.insert(field.to_owned(), vec![message.into()]);
        Self::Unprocessable(map)
    }

    /// A 400 naming one field.
    pub fn bad(field: &str, message: impl Into<String>) -> Self {
        let mut map = BTreeMap::new();
        map.insert(field.to_owned(), vec![message.into()]);
        Self::BadRequest(map)
    }

    /// A 404 for a thing of this kind.
    pub fn not_found(what: &str) -> Self {
        Self::NotFound(format!("{what} not found"))
    }

    /// The HTTP status this error answers with.
    pub fn status(&self) -> u16 {
        match self {
            Self::SessionMissing | Self::Unauthorized(_) => 401,
            Self::NeedUser | Self::Forbidden(_) => 403,
            Self::NotFound(_) => 404,
            Self::BadRequest(_) => 400,
            Self::Unprocessable(_) => 422,
            Self::TooManyRequests { .. } => 429,
            Self::Store(_) | Self::Internal(_) => 500,
        }
    }

    /// The `{"errors": ...}` body.
    pub fn body(&self) -> serde_json::Value {
        let base = |m: &str| serde_json::json!({ "errors": { "base": [m] } });
        match self {
            Self::SessionMissing => base(SESSION_MISSING),
            Self::NeedUser => base(NEED_USER),
            Self::Unauthorized(m) | Self::Forbidden(m) | Self::NotFound(m) | Self::Internal(m) => {
                base(m)
            }
            Self::BadRequest(map) | Self::Unprocessable(map) => {
                serde_json::json!({ "errors": map })
            }
            Self::TooManyRequests { .. } => base("Too Many Requests"),
            Self::Store(_) => base("Internal server error"),
        }
    }
}

/// Domain results.
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn session_missing_body_is_exact() {
        let e = Error::SessionMissing;
        assert_eq!(e.status(), 401);
        assert_eq!(
            e.body().to_string(),
            r#"{"errors":{"base":["Required session does not exist"]}}"#
        );
        assert_eq!(
            Error::NeedUser.body().to_string(),
            r#"{"errors":{"base":["Forbidden. Need user."]}}"#
        );
    }

    #[test]
    fn field_errors_are_keyed() {
        let e = Error::invalid("login", "has already been taken.");
        assert_eq!(e.status(), 422);
        assert_eq!(
            e.body().to_string(),
            r#"{"errors":{"login":["has already been taken."]}}"#
        );
    }
}
