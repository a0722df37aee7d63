//! The async Rust SDK for ConnectyCube: sessions that renew themselves, users, dialogs, messages
//! and real-time chat that reconnects.
#![deny(missing_docs)]

pub mod chat;
mod client;
mod config;
mod dialogs;
mod error;
mod messages;
mod paging;
mod users;

pub use client::{Client, identity_provider_credentials};
pub use config::{
    CLOUD_API_URL, CLOUD_CHAT_DOMAIN, CLOUD_CHAT_TLS_URL, CLOUD_CHAT_URL, ChatTransport,
    ClientBuilder, Clock, Config, Endpoints, Nonces, RandomNonces, SystemClock,
};
pub use dialogs::Dialogs;
pub use error::{BuildError, Call, Error};
pub use messages::Messages;
pub use users::Users;

pub use cube_auth::{AuthKey, AuthSecret, Nonce, Password, SessionCredentials, Token};
pub use cube_model::{
    Action, AppId, Attachment, Decision, Dialog, DialogId, DialogType, Message, MessageId, Page,
    Query, Role, Session, Sort, User, UserId, decide,
};
pub use cube_rest::ApiError;
pub use cube_rest::retry::RetryPolicy;
pub use cube_rest::users::UserParams;

/// The wire types (cube-model): filters, results, ids.
pub use cube_model as model;
/// The endpoint requests (cube-rest), for calls with every option.
pub use cube_rest as rest;
/// The chat protocol (cube-xmpp): stanzas and the connection state machine.
pub use cube_xmpp as xmpp;
