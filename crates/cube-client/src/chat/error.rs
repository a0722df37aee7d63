//! Errors of the chat connection.

/// A chat operation failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ChatError {
    /// The chat URL or TLS setup is unusable.
    #[error("invalid chat configuration: {0}")]
    Config(String),
    /// The connection could not be established or was lost.
    #[error("connection to {addr} failed")]
    Connect {
        /// Where to.
        addr: String,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The WebSocket handshake or transport failed.
    #[error("websocket failed")]
    WebSocket(#[source] Box<tokio_tungstenite::tungstenite::Error>),
    /// No answer in time.
    #[error("timed out while {0}")]
    Timeout(&'static str),
    /// The server refused the credentials.
    #[error("authentication refused: {0}")]
    AuthFailed(String),
    /// The server ended the stream with an error or sent something unreadable.
    #[error("stream failed: {0}")]
    Stream(String),
    /// The connection is closed (by `disconnect`, or for good after a refusal).
    #[error("not connected")]
    NotConnected,
    /// The client has no session user to connect as.
    #[error("no user to connect as: create a user session first")]
    NoUser,
    /// The server answered a request with an error stanza.
    #[error("server answered with an error: {condition}")]
    Refused {
        /// The error condition (`forbidden`, `item-not-found`, ...).
        condition: String,
        /// The error text, if any.
        text: Option<String>,
    },
}

impl ChatError {
    /// True when connecting again later may succeed.
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            ChatError::Connect { .. }
                | ChatError::WebSocket(_)
                | ChatError::Timeout(_)
                | ChatError::Stream(_)
        )
    }
}
