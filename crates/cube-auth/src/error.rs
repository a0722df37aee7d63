//! The errors of signing and verifying session requests.

use crate::signature::Nonce;

/// Why a session request could not be signed on the client side.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SignError {
    /// Signing was asked for but the application credentials carry no auth secret.
    #[error("cannot sign the session request: the application has no auth secret")]
    MissingSecret,
}

/// Why a received session request is not well-formed enough to be verified.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MalformedError {
    /// The body is not a JSON object.
    #[error("the session request body is not an object")]
    NotAnObject,
    /// A parameter the signed form requires is absent.
    #[error("missing parameter `{0}`")]
    Missing(&'static str),
    /// A parameter has the wrong type or an unusable value.
    #[error("parameter `{name}` is not {expected}")]
    Invalid {
        /// The parameter's name.
        name: &'static str,
        /// What the parameter should have been.
        expected: &'static str,
    },
    /// A form-encoded parameter appears twice, or both flat and nested.
    #[error("parameter `{0}` is given more than once")]
    Duplicate(String),
}

/// Why the server refuses a signed session request.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum VerifyError {
    /// The request has no `signature` parameter (the unsigned form of current SDKs).
    #[error("the session request is not signed")]
    MissingSignature,
    /// The signature does not match the parameters and the application's secret.
    #[error("the session signature does not match")]
    BadSignature,
    /// The timestamp is further from the server's clock than the allowed window.
    #[error("timestamp {timestamp} is more than {window_secs} s away from the server time {now}")]
    TimestampOutOfWindow {
        /// The request's timestamp, in Unix seconds.
        timestamp: i64,
        /// The server's time, in Unix seconds.
        now: i64,
        /// The allowed distance, in seconds.
        window_secs: i64,
    },
    /// This (nonce, timestamp) pair was already used by the application.
    #[error("nonce {nonce} with timestamp {timestamp} was already used")]
    Replayed {
        /// The repeated nonce.
        nonce: Nonce,
        /// The repeated timestamp.
        timestamp: i64,
    },
    /// The request cannot be verified because it is malformed.
    #[error("malformed session request")]
    Malformed(#[from] MalformedError),
}
