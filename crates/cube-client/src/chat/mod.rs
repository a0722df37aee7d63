//! Real-time chat over XMPP: connection, events, sending, reconnect.

mod error;

pub use error::ChatError;
