//! Chat dialogs (`/chat/Dialog`): the dialog object, its type and its permissions.

use std::collections::BTreeMap;
use std::fmt;

use serde::de::{Deserializer, Error as _};
use serde::{Deserialize, Serialize, Serializer};
use serde_json::Value;

use crate::de;
use crate::ids::{DialogId, MessageId, UserId, deserialize_ids};

/// The kind of a dialog, a number on the wire (server documentation numbering).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DialogType {
    /// 1: every user of the application receives; only admins send.
    Broadcast,
    /// 2: a group of occupants.
    Group,
    /// 3: exactly two users.
    Private,
    /// 4: anyone may subscribe.
    Public,
    /// Any other number the server may define.
    Other(u8),
}

impl DialogType {
    /// The number used on the wire.
    pub const fn code(self) -> u8 {
        match self {
            DialogType::Broadcast => 1,
            DialogType::Group => 2,
            DialogType::Private => 3,
            DialogType::Public => 4,
            DialogType::Other(n) => n,
        }
    }

    /// The type for a wire number (unknown numbers become `Other`).
    pub const fn from_code(n: u8) -> Self {
        match n {
            1 => DialogType::Broadcast,
            2 => DialogType::Group,
            3 => DialogType::Private,
            4 => DialogType::Public,
            n => DialogType::Other(n),
        }
    }

    /// Whether membership is an explicit occupant list (group and private dialogs).
    pub const fn has_occupants(self) -> bool {
        matches!(self, DialogType::Group | DialogType::Private)
    }
}

impl From<u8> for DialogType {
    fn from(n: u8) -> Self {
        DialogType::from_code(n)
    }
}

impl From<DialogType> for u8 {
    fn from(t: DialogType) -> u8 {
        t.code()
    }
}

impl fmt::Display for DialogType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.code(), f)
    }
}

impl std::str::FromStr for DialogType {
    type Err = std::num::ParseIntError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        s.trim().parse::<u8>().map(DialogType::from_code)
    }
}

impl Serialize for DialogType {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u8(self.code())
    }
}

impl<'de> Deserialize<'de> for DialogType {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = Value::deserialize(d)?;
        de::value_to_u64(&v)
            .and_then(|n| u8::try_from(n).ok())
            .map(DialogType::from_code)
            .ok_or_else(|| D::Error::custom(format!("invalid dialog type {v}")))
    }
}

/// Delivery state of a dialog's last message (`last_message_status`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum MessageStatus {
    /// `sent`.
    Sent,
    /// `delivered`.
    Delivered,
    /// `read`.
    Read,
    /// Any other value the server may send.
    Other(String),
}

impl MessageStatus {
    /// The wire string.
    pub fn as_str(&self) -> &str {
        match self {
            MessageStatus::Sent => "sent",
            MessageStatus::Delivered => "delivered",
            MessageStatus::Read => "read",
            MessageStatus::Other(s) => s,
        }
    }
}

impl From<&str> for MessageStatus {
    fn from(s: &str) -> Self {
        match s {
            "sent" => MessageStatus::Sent,
            "delivered" => MessageStatus::Delivered,
            "read" => MessageStatus::Read,
            other => MessageStatus::Other(other.to_owned()),
        }
    }
}

impl Serialize for MessageStatus {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for MessageStatus {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = Value::deserialize(d)?;
        Ok(MessageStatus::from(de::value_to_text(v).as_str()))
    }
}

/// Dialog permissions (`permissions`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[non_exhaustive]
pub struct Permissions {
    /// Whether non-members may preview the last messages (`preview=1`).
    #[serde(
        default,
        deserialize_with = "de::opt_bool",
        skip_serializing_if = "Option::is_none"
    )]
    pub allow_preview: Option<bool>,
}

impl Permissions {
    /// Permissions with `allow_preview` set.
    pub fn allow_preview(allow: bool) -> Self {
        Permissions {
            allow_preview: Some(allow),
        }
    }
}

/// A chat dialog as the API returns it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[non_exhaustive]
pub struct Dialog {
    /// The dialog's id (`_id`).
    #[serde(rename = "_id")]
    pub id: DialogId,
    /// The owner (creator).
    #[serde(default, deserialize_with = "crate::ids::user_id_or_zero")]
    pub user_id: UserId,
    /// The dialog type.
    #[serde(rename = "type")]
    pub dialog_type: DialogType,
    /// Name (absent for private dialogs).
    #[serde(
        default,
        deserialize_with = "de::opt_text",
        skip_serializing_if = "Option::is_none"
    )]
    pub name: Option<String>,
    /// Description.
    #[serde(default, deserialize_with = "de::opt_text")]
    pub description: Option<String>,
    /// Photo (a blob uid or URL).
    #[serde(default, deserialize_with = "de::opt_text")]
    pub photo: Option<String>,
    /// Occupants (group and private dialogs).
    #[serde(default, deserialize_with = "deserialize_ids")]
    pub occupants_ids: Vec<UserId>,
    /// Number of occupants (public dialogs).
    #[serde(
        default,
        deserialize_with = "de::opt_u64",
        skip_serializing_if = "Option::is_none"
    )]
    pub occupants_count: Option<u64>,
    /// Admins (at most 5).
    #[serde(default, deserialize_with = "deserialize_ids")]
    pub admins_ids: Vec<UserId>,
    /// Pinned messages.
    #[serde(default, deserialize_with = "deserialize_ids")]
    pub pinned_messages_ids: Vec<MessageId>,
    /// Text of the last message.
    #[serde(default, deserialize_with = "de::opt_text")]
    pub last_message: Option<String>,
    /// When the last message was sent, in Unix seconds.
    #[serde(default, deserialize_with = "de::opt_i64")]
    pub last_message_date_sent: Option<i64>,
    /// Id of the last message.
    #[serde(default, deserialize_with = "crate::ids::deserialize_opt_id")]
    pub last_message_id: Option<MessageId>,
    /// Sender of the last message.
    #[serde(default, deserialize_with = "crate::ids::deserialize_opt_id")]
    pub last_message_user_id: Option<UserId>,
    /// Delivery state of the last message (only when it is the reader's own).
    #[serde(default)]
    pub last_message_status: Option<MessageStatus>,
    /// Messages the reader has not read yet.
    #[serde(
        default,
        deserialize_with = "de::opt_u64",
        skip_serializing_if = "Option::is_none"
    )]
    pub unread_messages_count: Option<u64>,
    /// The MUC room (`{app}_{dialog}@muc.{domain}`); null for private dialogs.
    #[serde(default, deserialize_with = "de::opt_text")]
    pub xmpp_room_jid: Option<String>,
    /// Custom fields; values are strings (other JSON is stringified).
    #[serde(
        default,
        deserialize_with = "de::string_map",
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub extensions: BTreeMap<String, String>,
    /// Permissions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub permissions: Option<Permissions>,
    /// Creation time, ISO-8601 as the server sent it.
    #[serde(default, deserialize_with = "de::opt_text")]
    pub created_at: Option<String>,
    /// Last update time, ISO-8601 as the server sent it.
    #[serde(default, deserialize_with = "de::opt_text")]
    pub updated_at: Option<String>,
}

impl Dialog {
    /// A dialog with its id, owner and type; lists empty, everything else `None`.
    pub fn new(id: DialogId, owner: UserId, dialog_type: DialogType) -> Self {
        Dialog {
            id,
            user_id: owner,
            dialog_type,
            name: None,
            description: None,
            photo: None,
            occupants_ids: Vec::new(),
            occupants_count: None,
            admins_ids: Vec::new(),
            pinned_messages_ids: Vec::new(),
            last_message: None,
            last_message_date_sent: None,
            last_message_id: None,
            last_message_user_id: None,
            last_message_status: None,
            unread_messages_count: None,
            xmpp_room_jid: None,
            extensions: BTreeMap::new(),
            permissions: None,
            created_at: None,
            updated_at: None,
        }
    }

    /// Sets the name.
    pub fn with_name(mut self, v: impl Into<String>) -> Self {
        self.name = Some(v.into());
        self
    }

    /// Sets the description.
    pub fn with_description(mut self, v: impl Into<String>) -> Self {
        self.description = Some(v.into());
        self
    }

    /// Sets the photo.
    pub fn with_photo(mut self, v: impl Into<String>) -> Self {
        self.photo = Some(v.into());
        self
    }

    /// Sets the occupants.
    pub fn with_occupants(mut self, ids: impl IntoIterator<Item = UserId>) -> Self {
        self.occupants_ids = ids.into_iter().collect();
        self
    }

    /// Sets the admins.
    pub fn with_admins(mut self, ids: impl IntoIterator<Item = UserId>) -> Self {
        self.admins_ids = ids.into_iter().collect();
        self
    }

    /// Sets the MUC room JID.
    pub fn with_xmpp_room_jid(mut self, v: impl Into<String>) -> Self {
        self.xmpp_room_jid = Some(v.into());
        self
    }

    /// Adds one extension field.
    pub fn with_extension(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.extensions.insert(key.into(), value.into());
        self
    }

    /// Sets the permissions.
    pub fn with_permissions(mut self, p: Permissions) -> Self {
        self.permissions = Some(p);
        self
    }

    /// Sets the creation and update times (ISO-8601).
    pub fn with_timestamps(
        mut self,
        created_at: impl Into<String>,
        updated_at: impl Into<String>,
    ) -> Self {
        self.created_at = Some(created_at.into());
        self.updated_at = Some(updated_at.into());
        self
    }

    /// Whether `user` is in `occupants_ids`.
    pub fn is_occupant(&self, user: UserId) -> bool {
        self.occupants_ids.contains(&user)
    }

    /// Whether `user` is in `admins_ids`.
    pub fn is_admin(&self, user: UserId) -> bool {
        self.admins_ids.contains(&user)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn did() -> DialogId {
        "5f1e6a0c3d9e4a0001a1b2c3".parse().unwrap()
    }

    #[test]
    fn dialog_types_use_the_server_numbering() {
        for (n, t) in [
            (1, DialogType::Broadcast),
            (2, DialogType::Group),
            (3, DialogType::Private),
            (4, DialogType::Public),
            (5, DialogType::Other(5)),
        ] {
            assert_eq!(serde_json::from_value::<DialogType>(json!(n)).unwrap(), t);
            assert_eq!(
                serde_json::from_value::<DialogType>(json!(n.to_string())).unwrap(),
                t
            );
            assert_eq!(serde_json::to_value(t).unwrap(), json!(n));
            assert_eq!(t.to_string().parse::<DialogType>().unwrap(), t);
        }
        for bad in [json!(256), json!(-1), json!("x"), json!(null), json!(2.5)] {
            assert!(
                serde_json::from_value::<DialogType>(bad.clone()).is_err(),
                "{bad}"
            );
        }
    }

    #[test]
    fn occupants_decode_in_every_list_form() {
        for v in [json!([5, 6]), json!("5,6"), json!("5, 6"), json!(["5", 6])] {
            let d: Dialog = serde_json::from_value(json!({
                "_id": did().to_string(), "user_id": 5, "type": 2, "occupants_ids": v, "admins_ids": null
            }))
            .unwrap();
            assert_eq!(d.occupants_ids, vec![UserId(5), UserId(6)]);
            assert!(d.admins_ids.is_empty());
        }
    }

    #[test]
    fn extensions_and_permissions_are_tolerant() {
        let d: Dialog = serde_json::from_value(json!({
            "_id": did().to_string(), "user_id": "5", "type": "4",
            "extensions": {"color": "red", "level": 3, "flag": true, "gone": null},
            "permissions": {"allow_preview": 1},
            "last_message_id": "", "last_message_user_id": null, "last_message_status": "read",
            "last_message_date_sent": "1704164645", "occupants_count": "12"
        }))
        .unwrap();
        assert_eq!(d.dialog_type, DialogType::Public);
        assert_eq!(d.extensions.get("level").map(String::as_str), Some("3"));
        assert_eq!(d.extensions.get("flag").map(String::as_str), Some("true"));
        assert!(!d.extensions.contains_key("gone"));
        assert_eq!(d.permissions, Some(Permissions::allow_preview(true)));
        assert_eq!(d.last_message_id, None);
        assert_eq!(d.last_message_status, Some(MessageStatus::Read));
        assert_eq!(d.last_message_date_sent, Some(1_704_164_645));
        assert_eq!(d.occupants_count, Some(12));
        let v = serde_json::to_value(&d).unwrap();
        assert_eq!(v["extensions"]["level"], json!("3"));
        assert_eq!(v["permissions"], json!({"allow_preview": true}));
    }

    #[test]
    fn a_new_dialog_encodes_like_the_api() {
        let d = Dialog::new(did(), UserId(5), DialogType::Private);
        let v = serde_json::to_value(&d).unwrap();
        assert!(v.get("name").is_none(), "private dialogs have no name");
        for key in [
            "description",
            "photo",
            "last_message",
            "last_message_id",
            "xmpp_room_jid",
        ] {
            assert_eq!(v[key], json!(null), "{key}");
        }
        assert_eq!(v["occupants_ids"], json!([]));
        assert_eq!(v["type"], json!(3));
        assert_eq!(v["_id"], json!("5f1e6a0c3d9e4a0001a1b2c3"));
    }

    #[test]
    fn message_status_keeps_unknown_values() {
        let s: MessageStatus = serde_json::from_value(json!("seen")).unwrap();
        assert_eq!(s, MessageStatus::Other("seen".into()));
        assert_eq!(serde_json::to_value(&s).unwrap(), json!("seen"));
    }
}
