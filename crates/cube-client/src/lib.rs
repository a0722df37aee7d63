//! The async Rust SDK for ConnectyCube: sessions that renew themselves, users, dialogs, messages and real-time chat that reconnects.
#![deny(missing_docs)]
