//! One function per endpoint, grouped by area; `super::dispatch` matches and calls them.

pub(super) mod dialogs;
pub(super) mod messages;
pub(super) mod sessions;
pub(super) mod users;
