//! ConnectyCube session credentials, signatures and their server-side verification, without I/O.
//!
//! Clients build the body of `POST /session` from [`AppCredentials`] and
//! [`SessionCredentials`]: unsigned, as current SDKs send it, or signed with HMAC-SHA1 (or
//! SHA-256) over the sorted parameter string, as the 3.x SDK and the REST documentation do
//! (wire.md §3.3). The server recomputes the same string from whatever body it received and
//! checks the signature, the timestamp window and nonce reuse ([`verify_session_request`]).
//!
//! This crate reads no clock and draws no random numbers: the nonce and timestamp are
//! parameters.
//!
//! ```
//! use cube_auth::{
//!     AppCredentials, MemoryReplayStore, Nonce, SessionCredentials, Signing,
//!     verify_session_request,
//! };
//!
//! let app = AppCredentials::new(385, "DFBMs9-8NlwQbfY").with_auth_secret("Kz8dsH-f7zUxnHg");
//! let body = SessionCredentials::login("alice", "alicePass1")
//!     .signed_body(&app, Signing::new(Nonce::new(1234), 1_704_164_645))?;
//! assert_eq!(body["signature"], "377d1a2297682a4b298fccef81b011cc01f23e67");
//!
//! // The server side, with its own clock reading and nonce storage.
//! let secret = app.auth_secret.as_ref().expect("configured above");
//! let mut seen = MemoryReplayStore::new();
//! assert!(verify_session_request(&body, secret, 1_704_164_700, &mut seen).is_ok());
//! assert!(verify_session_request(&body, secret, 1_704_164_700, &mut seen).is_err());
//! # Ok::<(), cube_auth::SignError>(())
//! ```
#![deny(missing_docs)]

mod credentials;
mod error;
mod params;
mod secret;
mod signature;
mod verify;

pub use credentials::{AppCredentials, ApplicationId, Provider, SessionCredentials, Signing};
pub use error::{MalformedError, SignError, VerifyError};
pub use params::{Params, string_to_sign};
pub use secret::{AuthKey, AuthSecret, Password, Token};
pub use signature::{Hash, Nonce, sign};
pub use verify::{
    MemoryReplayStore, ReplayStore, TIMESTAMP_WINDOW_SECS, is_signed, verify_session_params,
    verify_session_request,
};
