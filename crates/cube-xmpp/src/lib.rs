//! The ConnectyCube chat protocol (XMPP): JIDs, a bounded streaming stanza codec, SASL and
//! negotiation state machines, without I/O.
//!
//! Layers, bottom up:
//! * [`jid`]: addresses with ConnectyCube's conventions;
//! * [`element`] and [`codec`]: an element tree, the bounded streaming parser for TCP and
//!   WebSocket framings, and the exact writer;
//! * typed stanzas and payloads, each `TryFrom<Element>` and `Into<Element>`;
//! * [`sasl`]: PLAIN and SCRAM-SHA-1, client and server side;
//! * [`client`] and [`server`]: negotiation and session state machines fed with bytes and
//!   time, polled for bytes, events and timeouts (the quinn-proto shape).
//!
//! Nothing here reads the clock, the network, files or a random source: time is a number of
//! milliseconds and randomness is passed in by the caller.
#![deny(missing_docs)]

mod macros;

pub mod client;
pub mod codec;
mod conn;
pub mod element;
pub mod error;
pub mod ids;
pub mod jid;
pub mod nonza;
pub mod ns;
pub mod sasl;
pub mod server;
pub mod stanza;
pub mod stream_error;

pub use client::{ClientConfig, ClientConnection, ClientEvent, ResumeState, SendError};
pub use codec::{Encoder, Frame, Framing, Limits, ParseError, StreamHeader, StreamParser};
pub use conn::CloseReason;
pub use element::{Element, Node};
pub use error::DecodeError;
pub use jid::{Jid, JidError};
pub use nonza::{Packet, Sasl, Sm, StreamFeatures};
pub use server::{
    AuthGrant, DetachedSession, ServerConfig, ServerConnection, ServerEvent, ServerState,
};
pub use stanza::{ExtraParams, Iq, Message, Presence, Stanza};
pub use stream_error::{StreamError, StreamErrorCondition};
