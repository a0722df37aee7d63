//! A local ConnectyCube-compatible server: the REST API and XMPP chat on SQLite, with roles and privileges.
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
