//! The async Rust SDK for ConnectyCube: sessions that renew themselves, users, dialogs, messages
//! and real-time chat that reconnects.
//!
//! ```no_run
//! use cube_client::{Client, Query, UserParams};
//! use cube_client::chat::ChatEvent;
//! use futures_util::TryStreamExt;
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! // The cloud by default; `.local(..)` points at `cube serve`.
//! let client = Client::builder(385, "DFBMs9-8NlwQbfY")
//!     .local("http://127.0.0.1:8080", "ws://127.0.0.1:5291", "localhost")
//!     .build()?;
//! client.create_app_session().await?;
//! let bob = client
//!     .users()
//!     .sign_up(UserParams::new().with_login("bob").with_password("bob-secret-1"))
//!     .await?;
//! client.create_user_session("alice", "alice-secret-1").await?;
//!
//! // REST: typed calls, lists as streams that page by themselves.
//! let group = client.dialogs().create_group("Team", [bob.id]).await?;
//! let dialogs: Vec<_> = client.dialogs().list(Query::new()).try_collect().await?;
//!
//! // Chat: one stream of events; reconnects resume or catch up, each message once.
//! let (chat, mut events) = client.connect_chat().await?;
//! chat.send_to_dialog(group.id, "Hello team")?;
//! while let Some(event) = events.recv().await {
//!     if let ChatEvent::Message(m) = event {
//!         println!("{:?}: {:?}", m.sender_id, m.body);
//!     }
//! }
//! # Ok(())
//! # }
//! ```
//!
//! What the client does for you:
//! - **Sessions renew themselves**: a call answered `401 Required session does not exist` makes
//!   the client create a new session with the credentials it holds and send the call again,
//!   once; the chat connection logs in with the new token when it reconnects.
//! - **Errors say what failed**: [`Error`] names the call (`PUT /chat/Dialog/{id}`) and tells
//!   apart "not sent", "timed out", "transport failed (may have been sent)", "unreadable
//!   answer" and "refused by the server" ([`ApiError`]), with [`Error::is_retryable`].
//! - **Retries are safe**: only idempotent requests are retried after a timeout or a 429/5xx,
//!   with backoff and jitter ([`RetryPolicy`]).
//! - **Lists page by themselves**: `list` calls return `Stream`s fetching pages of at most 100.
//! - **Chat reconnects and never gets stuck** ([`chat::Backoff`]), resumes the stream when the
//!   server allows it (XEP-0198), otherwise fetches what was missed from history, and delivers
//!   each message once.
//! - **The roles table is here too**: [`Client::can`] answers as the server would.
//!
//! Every call runs in a `tracing` span named `cube_call` with the endpoint, method and path;
//! no token or password is ever logged.
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
