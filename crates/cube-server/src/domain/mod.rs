//! Domain logic: synchronous functions over a SQLite connection, one module per area.
//!
//! Each function takes `&rusqlite::Connection` and runs inside whatever transaction the caller
//! holds (the store's writer batches them), so the chat side can call the same functions to
//! save messages and check roles.

pub mod apps;
pub mod dialogs;
pub mod error;
pub mod history;
pub mod messages;
pub mod query;
pub mod sessions;
pub mod time;
pub mod users;

pub use error::{Error, Result};
