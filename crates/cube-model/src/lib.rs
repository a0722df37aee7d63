//! Wire types of the ConnectyCube REST and chat API: ids, sessions, users, dialogs, messages,
//! errors, filters, and the roles table.
//!
//! This crate does no I/O: no sockets, files, environment, clock or randomness. Decoding is
//! tolerant where real clients differ (ids as numbers or strings, id lists as arrays or comma
//! strings, `user_tags` as a string or an array); encoding is exact and stable.
//!
//! ```
//! use cube_model::{Dialog, DialogType, IdList, UserId, UserEnvelope, Action};
//!
//! // Ids as numbers or strings, lists as arrays or comma strings.
//! let ids: IdList<UserId> = serde_json::from_str(r#""6, 7""#).unwrap();
//! assert_eq!(ids.as_slice(), [UserId(6), UserId(7)]);
//! assert_eq!(serde_json::to_string(&ids).unwrap(), "[6,7]");
//!
//! // The client accepts `{"user": {...}}` and the bare object alike.
//! let wrapped: UserEnvelope = serde_json::from_str(r#"{"user":{"id":"5","user_tags":["a","b"]}}"#).unwrap();
//! let bare: UserEnvelope = serde_json::from_str(r#"{"id":5,"user_tags":"a,b"}"#).unwrap();
//! assert_eq!(wrapped, bare);
//!
//! // The roles table decides what a user may do in a dialog.
//! let dialog = Dialog::new("5f1e6a0c3d9e4a0001a1b2c3".parse().unwrap(), UserId(5), DialogType::Group)
//!     .with_occupants([UserId(5), UserId(6)]);
//! assert!(dialog.can(UserId(5), Action::DeleteDialogForEveryone));
//! assert!(!dialog.can(UserId(6), Action::DeleteDialogForEveryone));
//! assert_eq!(
//!     dialog.refusal_reason(UserId(6), Action::DeleteDialogForEveryone),
//!     Some("Only the dialog owner can delete it for everyone"),
//! );
//! ```
#![deny(missing_docs)]

mod de;
pub mod dialog;
pub mod error;
pub mod filter;
pub mod ids;
pub mod message;
pub mod page;
pub mod results;
pub mod roles;
#[cfg(feature = "schemars")]
mod schema;
pub mod session;
pub mod time;
pub mod user;

pub use dialog::{Dialog, DialogType, MessageStatus, Permissions};
pub use error::{ErrorBody, FORBIDDEN_NEED_USER, SESSION_NOT_FOUND};
pub use filter::{Filter, FilterError, FilterValue, ListStyle, Op, Query, Sort};
pub use ids::{AppId, DialogId, IdError, IdList, MessageId, ObjectId, UserId};
pub use message::{Attachment, Message, Reactions};
pub use page::Page;
pub use results::{
    DeleteResult, DialogDeleteResult, IdGroup, MessageDeleteResult, NotificationSettings,
    NotificationsEnvelope, SystemMessageResponse, UnreadCounts,
};
pub use roles::{Action, Decision, Role, decide, refusal_reason, role_in};
pub use session::{Session, SessionEnvelope};
pub use time::{TimeError, format_unix, parse_iso};
pub use user::{User, UserEnvelope};
