//! The client's error: which call failed, and whether the request left this process.

use std::fmt;

use cube_rest::{ApiError, Endpoint, FromHttpResponseError, IntoHttpError, Metadata};

use crate::chat::ChatError;

/// The REST call an error belongs to: its method and path template (`PUT /chat/Dialog/{id}`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Call {
    /// The endpoint's name in cube-rest (`update_dialog`).
    pub name: &'static str,
    /// The HTTP method.
    pub method: &'static str,
    /// The path template, without `.json`.
    pub path: &'static str,
}

impl Call {
    /// The call of endpoint `E`.
    pub fn of<E: Endpoint>() -> Self {
        Self::from_metadata(&E::METADATA)
    }

    /// The call described by `meta`.
    pub fn from_metadata(meta: &Metadata) -> Self {
        Call {
            name: meta.name,
            method: method_str(&meta.method),
            path: meta.path,
        }
    }
}

/// The static name of a method (the metadata only holds the standard ones).
fn method_str(m: &http::Method) -> &'static str {
    match *m {
        http::Method::GET => "GET",
        http::Method::POST => "POST",
        http::Method::PUT => "PUT",
        http::Method::DELETE => "DELETE",
        http::Method::PATCH => "PATCH",
        http::Method::HEAD => "HEAD",
        _ => "OTHER",
    }
}

impl fmt::Display for Call {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.method, self.path)
    }
}

/// Why a request could not be built (nothing was sent).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BuildError {
    /// cube-rest refused to build the HTTP request (an empty id list, a bad header value).
    #[error("the request could not be encoded")]
    Encode(#[source] IntoHttpError),
    /// The session request could not be signed.
    #[error("the session request could not be signed")]
    Sign(#[source] cube_auth::SignError),
    /// The call needs a session and the client has none.
    #[error("no session: create one first")]
    NoSession,
    /// The call needs a user session and the current session has no user.
    #[error("the session has no user: log in first")]
    NoUser,
    /// The client's configuration is unusable (a bad URL, a TLS setup failure).
    #[error("invalid client configuration: {0}")]
    Config(String),
}

/// An error of a cube-client call.
///
/// The variants tell apart what the caller can do about it: a [`Error::Build`] request never
/// left the process; a [`Error::Timeout`] or [`Error::Transport`] request may have reached the
/// server; a [`Error::Decode`] answer came but could not be read; an [`Error::Api`] answer is
/// the server's refusal, with its status and body.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The request was not sent.
    #[error("{call}: request not sent")]
    Build {
        /// The call.
        call: Call,
        /// Why.
        #[source]
        source: BuildError,
    },
    /// No answer in time; the request may have been processed.
    #[error("{call}: timed out")]
    Timeout {
        /// The call.
        call: Call,
    },
    /// The connection failed; the request may have been sent.
    #[error("{call}: transport failed")]
    Transport {
        /// The call.
        call: Call,
        /// The HTTP client's error.
        #[source]
        source: reqwest::Error,
    },
    /// The server answered with a 2xx body that is not what the endpoint returns.
    #[error("{call}: unreadable response")]
    Decode {
        /// The call.
        call: Call,
        /// The decoding error.
        #[source]
        source: Box<FromHttpResponseError>,
    },
    /// The server refused the request.
    #[error("{call}: refused")]
    Api {
        /// The call.
        call: Call,
        /// The status and error body.
        #[source]
        source: Box<ApiError>,
    },
    /// A chat operation failed.
    #[error("chat failed")]
    Chat(#[source] ChatError),
}

impl Error {
    /// The REST call that failed (`None` for chat errors).
    pub fn call(&self) -> Option<Call> {
        match self {
            Error::Build { call, .. }
            | Error::Timeout { call }
            | Error::Transport { call, .. }
            | Error::Decode { call, .. }
            | Error::Api { call, .. } => Some(*call),
            Error::Chat(_) => None,
        }
    }

    /// The server's refusal, when that is what this is.
    pub fn api_error(&self) -> Option<&ApiError> {
        match self {
            Error::Api { source, .. } => Some(source),
            _ => None,
        }
    }

    /// The HTTP status of a refusal.
    pub fn status(&self) -> Option<u16> {
        self.api_error().map(|e| e.status.as_u16())
    }

    /// True when trying again later may succeed: timeouts, transport failures, 429 and
    /// 502/503/504 refusals, and chat connection losses. (The client already retried what was
    /// safe to retry under its policy.)
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::Timeout { .. } | Error::Transport { .. } => true,
            Error::Api { source, .. } => {
                cube_rest::retry::is_retryable_status(source.status.as_u16())
            }
            Error::Chat(e) => e.is_retryable(),
            Error::Build { .. } | Error::Decode { .. } => false,
        }
    }

    /// True when the request certainly did not reach the server.
    pub fn is_not_sent(&self) -> bool {
        matches!(self, Error::Build { .. })
    }

    /// True for a 401 "Required session does not exist" that renewal could not fix.
    pub fn is_session_expired(&self) -> bool {
        self.api_error().is_some_and(ApiError::is_session_expired)
    }

    pub(crate) fn build(call: Call, source: BuildError) -> Self {
        Error::Build { call, source }
    }
}

impl From<ChatError> for Error {
    fn from(e: ChatError) -> Self {
        Error::Chat(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_name_the_call_and_classify() {
        let call = Call::of::<cube_rest::chat::update_dialog::Request>();
        assert_eq!(call.to_string(), "PUT /chat/Dialog/{id}");
        let refused = Error::Api {
            call,
            source: Box::new(ApiError::from_parts(
                http::StatusCode::FORBIDDEN,
                br#"{"errors":{"base":["nope"]}}"#,
            )),
        };
        assert_eq!(refused.to_string(), "PUT /chat/Dialog/{id}: refused");
        assert_eq!(refused.status(), Some(403));
        assert!(!refused.is_retryable());
        let busy = Error::Api {
            call,
            source: Box::new(ApiError::from_parts(
                http::StatusCode::SERVICE_UNAVAILABLE,
                b"",
            )),
        };
        assert!(busy.is_retryable());
        let unsent = Error::build(call, BuildError::NoSession);
        assert!(unsent.is_not_sent());
        assert!(!unsent.is_retryable());
        assert!(Error::Timeout { call }.is_retryable());
    }
}
