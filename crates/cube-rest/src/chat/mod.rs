//! Chat over REST: dialogs (`/chat/Dialog`) and messages (`/chat/Message`).

use std::collections::BTreeMap;

use cube_model::{MessageId, Permissions, UserId};
use serde_json::{Map, Value};

use crate::codec::MAX_IDS;
use crate::error::FromHttpRequestError;
use crate::params::Fields;

pub mod block_users;
pub mod clear_history;
pub mod create_dialog;
pub mod create_message;
pub mod create_system_message;
pub mod delete_dialog;
mod delete_ids;
pub mod delete_messages;
pub mod get_notifications;
pub mod list_dialogs;
pub mod list_messages;
pub mod list_occupants;
pub mod list_reactions;
pub mod subscribe;
pub mod unblock_users;
pub mod unread_counts;
pub mod unsubscribe;
pub mod update_admins;
pub mod update_dialog;
pub mod update_dialog_messages;
pub mod update_messages;
pub mod update_notifications;
pub mod update_reactions;

/// Ids to add (`push_all`) or remove (`pull_all`) in a dialog update.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct IdChanges {
    /// `occupants_ids`.
    pub occupants_ids: Vec<UserId>,
    /// `admins_ids`.
    pub admins_ids: Vec<UserId>,
    /// `pinned_messages_ids`.
    pub pinned_messages_ids: Vec<MessageId>,
}

impl IdChanges {
    /// No change.
    pub fn new() -> Self {
        IdChanges::default()
    }

    /// Sets `occupants_ids`.
    pub fn with_occupants(mut self, ids: impl IntoIterator<Item = UserId>) -> Self {
        self.occupants_ids = ids.into_iter().collect();
        self
    }

    /// Sets `admins_ids`.
    pub fn with_admins(mut self, ids: impl IntoIterator<Item = UserId>) -> Self {
        self.admins_ids = ids.into_iter().collect();
        self
    }

    /// Sets `pinned_messages_ids`.
    pub fn with_pinned(mut self, ids: impl IntoIterator<Item = MessageId>) -> Self {
        self.pinned_messages_ids = ids.into_iter().collect();
        self
    }

    /// True when no list has an id.
    pub fn is_empty(&self) -> bool {
        self.occupants_ids.is_empty()
            && self.admins_ids.is_empty()
            && self.pinned_messages_ids.is_empty()
    }

    /// The object, non-empty lists only, as JSON arrays (what the SDK sends for updates).
    pub(crate) fn to_json(&self) -> Map<String, Value> {
        let mut out = Map::new();
        if !self.occupants_ids.is_empty() {
            out.insert(
                "occupants_ids".into(),
                ids_json(&self.occupants_ids, |i| i.get().into()),
            );
        }
        if !self.admins_ids.is_empty() {
            out.insert(
                "admins_ids".into(),
                ids_json(&self.admins_ids, |i| i.get().into()),
            );
        }
        if !self.pinned_messages_ids.is_empty() {
            out.insert(
                "pinned_messages_ids".into(),
                ids_json(&self.pinned_messages_ids, |i| i.to_string().into()),
            );
        }
        out
    }

    /// Reads `push_all` or `pull_all` from a body.
    pub(crate) fn read(f: &Fields<'_>, key: &'static str) -> Result<Self, FromHttpRequestError> {
        let Some(obj) = f.object(key)? else {
            return Ok(IdChanges::default());
        };
        Ok(IdChanges {
            occupants_ids: obj
                .list("occupants_ids", "user ids", MAX_IDS)?
                .unwrap_or_default(),
            admins_ids: obj
                .list("admins_ids", "user ids", MAX_IDS)?
                .unwrap_or_default(),
            pinned_messages_ids: obj
                .list("pinned_messages_ids", "message ids", MAX_IDS)?
                .unwrap_or_default(),
        })
    }
}

/// Reads a non-empty `user_ids` list (block lists).
pub(crate) fn required_user_ids(f: &Fields<'_>) -> Result<Vec<UserId>, FromHttpRequestError> {
    let ids: Vec<UserId> = f
        .list("user_ids", "user ids", MAX_IDS)?
        .ok_or_else(|| FromHttpRequestError::missing(f.name("user_ids")))?;
    if ids.is_empty() {
        return Err(FromHttpRequestError::invalid(
            f.name("user_ids"),
            "at least one id is needed",
        ));
    }
    Ok(ids)
}

fn ids_json<T>(ids: &[T], f: impl Fn(&T) -> Value) -> Value {
    Value::Array(ids.iter().map(f).collect())
}

/// Joins ids as the SDK does for dialog creation and unread counts: `"6, 7"`.
pub(crate) fn join_comma_space<T: std::fmt::Display>(ids: &[T]) -> String {
    ids.iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

/// Joins ids for a path segment: `a,b`.
pub(crate) fn join_path<T: std::fmt::Display>(ids: &[T]) -> String {
    ids.iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(",")
}

/// Reads `extensions`: an object of scalars (values cast to strings, as the server stores them);
/// `null` means "reset" and reads as an empty map.
pub(crate) fn read_extensions(
    f: &Fields<'_>,
) -> Result<Option<BTreeMap<String, String>>, FromHttpRequestError> {
    match f.raw("extensions") {
        None => Ok(None),
        Some(Value::Null) => Ok(Some(BTreeMap::new())),
        Some(Value::Object(map)) => Ok(Some(
            map.iter()
                .map(|(k, v)| {
                    let text = match v {
                        Value::String(s) => s.clone(),
                        Value::Null => String::new(),
                        other => other.to_string(),
                    };
                    (k.clone(), text)
                })
                .collect(),
        )),
        Some(_) => Err(FromHttpRequestError::invalid(
            f.name("extensions"),
            "must be an object",
        )),
    }
}

/// Writes `extensions` (an empty map as `null`, which resets them).
pub(crate) fn extensions_json(ext: &BTreeMap<String, String>) -> Value {
    if ext.is_empty() {
        return Value::Null;
    }
    Value::Object(
        ext.iter()
            .map(|(k, v)| (k.clone(), Value::from(v.as_str())))
            .collect(),
    )
}

/// Reads `permissions` (`{"allow_preview": true|1}`).
pub(crate) fn read_permissions(
    f: &Fields<'_>,
) -> Result<Option<Permissions>, FromHttpRequestError> {
    let Some(p) = f.object("permissions")? else {
        return Ok(None);
    };
    Ok(Some(match p.flag("allow_preview")? {
        Some(allow) => Permissions::allow_preview(allow),
        None => Permissions::default(),
    }))
}

/// Writes `permissions` as the SDK passes them through (`{"allow_preview": true}`).
pub(crate) fn permissions_json(p: &Permissions) -> Value {
    let mut out = Map::new();
    if let Some(allow) = p.allow_preview {
        out.insert("allow_preview".into(), allow.into());
    }
    Value::Object(out)
}
