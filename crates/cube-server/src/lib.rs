//! A local ConnectyCube-compatible server: the REST API and XMPP chat on SQLite, with roles and privileges.
#![deny(missing_docs)]
