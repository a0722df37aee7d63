//! Wire types of the ConnectyCube REST and chat API: ids, sessions, users, dialogs, messages,
//! errors, filters, and the roles table.
//!
//! This crate does no I/O: no sockets, files, environment, clock or randomness. Decoding is
//! tolerant where real clients differ (ids as numbers or strings, id lists as arrays or comma
//! strings, `user_tags` as a string or an array); encoding is exact and stable.
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
pub use roles::{Action, Decision, Role, decide, refusal_reason};
pub use session::{Session, SessionEnvelope};
pub use time::{TimeError, format_unix, parse_iso};
pub use user::{User, UserEnvelope};
