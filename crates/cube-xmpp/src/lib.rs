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
//!
//! # Example: a client and a server negotiating in memory
//!
//! ```
//! use cube_model::{AppId, UserId};
//! use cube_xmpp::sasl::Password;
//! use cube_xmpp::{
//!     AuthGrant, ClientConfig, ClientConnection, ClientEvent, Framing, Jid, Message,
//!     ServerConfig, ServerConnection, ServerEvent, Stanza,
//! };
//!
//! let me = Jid::user(UserId(5), AppId(385), "localhost").unwrap();
//! let config = ClientConfig::new(me, Password::new("token"), Framing::WebSocket)
//!     .with_mechanisms(false, true);
//! let mut client = ClientConnection::new(config, [1; 32], 0);
//! let mut server =
//!     ServerConnection::new(ServerConfig::new("localhost", Framing::WebSocket), [2; 32], 0);
//! let mut received = Vec::new();
//! for _ in 0..20 {
//!     while let Some(frame) = client.poll_transmit() {
//!         server.handle_input(&frame, 0);
//!     }
//!     while let Some(event) = server.poll_event() {
//!         match event {
//!             ServerEvent::Authenticate { password, .. } if password.expose() == "token" => {
//!                 server.accept_auth(AuthGrant::new());
//!             }
//!             ServerEvent::Stanza(s) => received.push(s),
//!             _ => {}
//!         }
//!     }
//!     while let Some(frame) = server.poll_transmit() {
//!         client.handle_input(&frame, 0);
//!     }
//!     while let Some(event) = client.poll_event() {
//!         if let ClientEvent::Online { .. } = event {
//!             let peer = Jid::user(UserId(6), AppId(385), "localhost").unwrap();
//!             client.send(Message::chat(peer, "hello")).unwrap();
//!         }
//!     }
//! }
//! assert!(matches!(received.last(), Some(Stanza::Message(m)) if m.body.as_deref() == Some("hello")));
//! ```
#![deny(missing_docs)]

mod macros;

pub mod client;
pub mod codec;
mod conn;
pub mod element;
pub mod error;
mod intern;
pub mod jid;
pub mod nonza;
pub mod ns;
pub mod sasl;
pub mod server;
pub mod stanza;
pub mod stream_error;

pub use client::{
    ClientConfig, ClientConnection, ClientEvent, ResumeState, SendError, StartTlsUse,
};
pub use codec::{Encoder, Frame, Framing, Limits, ParseError, StreamHeader, StreamParser};
pub use conn::CloseReason;
pub use element::{Element, Node};
pub use error::DecodeError;
pub use jid::{Jid, JidError};
pub use nonza::{Packet, Sasl, Sm, StreamFeatures, Tls};
pub use server::{
    AuthGrant, DetachedSession, ServerConfig, ServerConnection, ServerEvent, ServerState,
    StartTlsOffer,
};
pub use stanza::{ExtraParams, Iq, Message, Presence, Stanza};
pub use stream_error::{StreamError, StreamErrorCondition};
