//! A local ConnectyCube-compatible server: the REST API and XMPP chat on SQLite, with roles and privileges.
//!
//! Start one in-process on ephemeral ports with a throw-away database, use it, stop it:
//!
//! ```no_run
//! # async fn run() -> Result<(), cube_server::StartError> {
//! use cube_server::{Server, ServerConfig};
//!
//! let server = Server::start(ServerConfig::ephemeral().with_app(1, "auth-key", "auth-secret")).await?;
//! let rest = server.rest_url(); // http://127.0.0.1:PORT
//! let chat = server.ws_addr(); // XMPP over WebSocket
//! # let _ = (rest, chat);
//! server.shutdown().await;
//! # Ok(()) }
//! ```
//!
//! Inside: [`store`] (SQLite with group commit), [`domain`] (synchronous functions per area over
//! a connection, including the roles check [`domain::dialogs::require`]), [`service::Service`]
//! (sessions for every credential kind, passwords, caches, events), [`http`] (the REST surface
//! over cube-rest's endpoint table) and [`chat`] (XMPP over WebSocket and TCP).
#![deny(missing_docs)]

pub mod chat;
pub mod clock;
pub mod domain;
pub mod http;
pub mod ids;
pub mod providers;
mod server;
pub mod service;
pub mod store;

pub use server::{
    AppSpec, DEFAULT_TOKEN_LIFETIME, RunningServer, Server, ServerConfig, StartError,
};
pub use service::{Event, PasswordParams, Service};
pub use store::Location;
