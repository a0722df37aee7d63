//! A local ConnectyCube-compatible server: the REST API and XMPP chat on SQLite, with roles and privileges.
#![deny(missing_docs)]

pub mod clock;
pub mod domain;
pub mod ids;
pub mod providers;
pub mod service;
pub mod store;
