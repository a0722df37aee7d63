//! Chat messages (`/chat/Message`) and their attachments and reactions.

use std::collections::BTreeMap;

use serde::de::{Deserializer, Error as _};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::de;
use crate::ids::{DialogId, MessageId, UserId, deserialize_ids};

/// One attachment of a message (`attachments[]`).
///
/// Known keys are typed; any other key is kept in `extra` so that nothing is lost.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[non_exhaustive]
pub struct Attachment {
    /// Kind: `image`, `video`, `audio`, `file`, ... (`type`).
    #[serde(
        rename = "type",
        default,
        deserialize_with = "de::opt_text",
        skip_serializing_if = "Option::is_none"
    )]
    pub kind: Option<String>,
    /// Blob id.
    #[serde(
        default,
        deserialize_with = "de::opt_text",
        skip_serializing_if = "Option::is_none"
    )]
    pub id: Option<String>,
    /// Blob uid.
    #[serde(
        default,
        deserialize_with = "de::opt_text",
        skip_serializing_if = "Option::is_none"
    )]
    pub uid: Option<String>,
    /// URL of the content.
    #[serde(
        default,
        deserialize_with = "de::opt_text",
        skip_serializing_if = "Option::is_none"
    )]
    pub url: Option<String>,
    /// File name.
    #[serde(
        default,
        deserialize_with = "de::opt_text",
        skip_serializing_if = "Option::is_none"
    )]
    pub name: Option<String>,
    /// Size in bytes.
    #[serde(
        default,
        deserialize_with = "de::opt_u64",
        skip_serializing_if = "Option::is_none"
    )]
    pub size: Option<u64>,
    /// MIME type (`content-type`).
    #[serde(
        rename = "content-type",
        default,
        deserialize_with = "de::opt_text",
        skip_serializing_if = "Option::is_none"
    )]
    pub content_type: Option<String>,
    /// Width in pixels.
    #[serde(
        default,
        deserialize_with = "de::opt_u64",
        skip_serializing_if = "Option::is_none"
    )]
    pub width: Option<u64>,
    /// Height in pixels.
    #[serde(
        default,
        deserialize_with = "de::opt_u64",
        skip_serializing_if = "Option::is_none"
    )]
    pub height: Option<u64>,
    /// Duration in seconds (audio, video).
    #[serde(
        default,
        deserialize_with = "de::opt_f64",
        skip_serializing_if = "Option::is_none"
    )]
    pub duration: Option<f64>,
    /// Inline data (e.g. a location as JSON text).
    #[serde(
        default,
        deserialize_with = "de::opt_text",
        skip_serializing_if = "Option::is_none"
    )]
    pub data: Option<String>,
    /// Any other key, kept as it came.
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
}

impl Attachment {
    /// An attachment of the given kind (`image`, `file`, ...).
    pub fn new(kind: impl Into<String>) -> Self {
        Attachment {
            kind: Some(kind.into()),
            ..Attachment::default()
        }
    }

    /// Sets the blob uid.
    pub fn with_uid(mut self, v: impl Into<String>) -> Self {
        self.uid = Some(v.into());
        self
    }

    /// Sets the URL.
    pub fn with_url(mut self, v: impl Into<String>) -> Self {
        self.url = Some(v.into());
        self
    }

    /// Sets the blob id.
    pub fn with_id(mut self, v: impl Into<String>) -> Self {
        self.id = Some(v.into());
        self
    }

    /// Sets the file name.
    pub fn with_name(mut self, v: impl Into<String>) -> Self {
        self.name = Some(v.into());
        self
    }

    /// Sets the MIME type.
    pub fn with_content_type(mut self, v: impl Into<String>) -> Self {
        self.content_type = Some(v.into());
        self
    }

    /// Sets the size in bytes.
    pub fn with_size(mut self, v: u64) -> Self {
        self.size = Some(v);
        self
    }
}

/// Reads attachments from an array, or from an object keyed by index (`{"0": {...}}`, the form
/// of form-encoded requests), ordered by index; null is an empty list.
pub fn attachments_from_json(v: Value) -> Result<Vec<Attachment>, serde_json::Error> {
    match v {
        Value::Null => Ok(Vec::new()),
        Value::Array(items) => items.into_iter().map(serde_json::from_value).collect(),
        Value::Object(map) => {
            let mut keyed: Vec<(u64, String, Value)> = map
                .into_iter()
                .map(|(k, v)| (k.trim().parse().unwrap_or(u64::MAX), k, v))
                .collect();
            keyed.sort_by(|a, b| (a.0, &a.1).cmp(&(b.0, &b.1)));
            keyed
                .into_iter()
                .map(|(_, _, v)| serde_json::from_value(v))
                .collect()
        }
        other => Err(serde_json::Error::custom(format!(
            "attachments must be an array or an object, got {other}"
        ))),
    }
}

fn deserialize_attachments<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Attachment>, D::Error> {
    attachments_from_json(Value::deserialize(d)?).map_err(D::Error::custom)
}

/// Reactions summary of a message (`reactions`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[non_exhaustive]
pub struct Reactions {
    /// The reader's own reactions.
    #[serde(default, deserialize_with = "string_list")]
    pub own: Vec<String>,
    /// Count per reaction.
    #[serde(default, deserialize_with = "count_map")]
    pub total: BTreeMap<String, u64>,
}

fn string_list<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    match Value::deserialize(d)? {
        Value::Null => Ok(Vec::new()),
        Value::Array(items) => Ok(items.into_iter().map(de::value_to_text).collect()),
        v => Ok(vec![de::value_to_text(v)]),
    }
}

fn count_map<'de, D: Deserializer<'de>>(d: D) -> Result<BTreeMap<String, u64>, D::Error> {
    match Value::deserialize(d)? {
        Value::Null => Ok(BTreeMap::new()),
        Value::Object(map) => map
            .into_iter()
            .map(|(k, v)| {
                de::value_to_u64(&v)
                    .map(|n| (k, n))
                    .ok_or_else(|| D::Error::custom("a reaction count must be a number"))
            })
            .collect(),
        _ => Err(D::Error::custom("reaction totals must be an object")),
    }
}

/// A chat message as the API returns it.
///
/// Custom top-level keys (any key that is not a known field) are kept in `custom`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[non_exhaustive]
pub struct Message {
    /// The message id (`_id`).
    #[serde(rename = "_id")]
    pub id: MessageId,
    /// The dialog the message belongs to.
    #[serde(
        default,
        deserialize_with = "crate::ids::deserialize_opt_id",
        skip_serializing_if = "Option::is_none"
    )]
    pub chat_dialog_id: Option<DialogId>,
    /// The text.
    #[serde(
        default,
        deserialize_with = "de::opt_text",
        skip_serializing_if = "Option::is_none"
    )]
    pub message: Option<String>,
    /// When it was sent, in Unix seconds.
    #[serde(default, deserialize_with = "de::i64_or_zero")]
    pub date_sent: i64,
    /// The sender.
    #[serde(default, deserialize_with = "crate::ids::user_id_or_zero")]
    pub sender_id: UserId,
    /// The recipient of a private message (`0` in group dialogs).
    #[serde(
        default,
        deserialize_with = "crate::ids::deserialize_opt_id",
        skip_serializing_if = "Option::is_none"
    )]
    pub recipient_id: Option<UserId>,
    /// Users who read the message.
    #[serde(default, deserialize_with = "deserialize_ids")]
    pub read_ids: Vec<UserId>,
    /// Users the message was delivered to.
    #[serde(default, deserialize_with = "deserialize_ids")]
    pub delivered_ids: Vec<UserId>,
    /// View count (broadcast and public dialogs).
    #[serde(
        default,
        deserialize_with = "de::opt_u64",
        skip_serializing_if = "Option::is_none"
    )]
    pub views_count: Option<u64>,
    /// Attachments.
    #[serde(default, deserialize_with = "deserialize_attachments")]
    pub attachments: Vec<Attachment>,
    /// Reactions summary.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reactions: Option<Reactions>,
    /// Whether the reader has read it, `0` or `1` on the wire.
    #[serde(
        default,
        deserialize_with = "de::opt_bool",
        serialize_with = "de::ser_opt_bool_as_int",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "schemars", schemars(with = "Option<crate::schema::Flag>"))]
    pub read: Option<bool>,
    /// Creation time, ISO-8601 as the server sent it.
    #[serde(
        default,
        deserialize_with = "de::opt_text",
        skip_serializing_if = "Option::is_none"
    )]
    pub created_at: Option<String>,
    /// Last update time, ISO-8601 as the server sent it.
    #[serde(
        default,
        deserialize_with = "de::opt_text",
        skip_serializing_if = "Option::is_none"
    )]
    pub updated_at: Option<String>,
    /// Custom top-level keys (`customParam`, `send_to_chat`, ...), kept as they came.
    #[serde(flatten)]
    pub custom: BTreeMap<String, Value>,
}

impl Message {
    /// A message with its id, dialog, sender, text and send time; everything else empty.
    pub fn new(
        id: MessageId,
        chat_dialog_id: DialogId,
        sender_id: UserId,
        text: impl Into<String>,
        date_sent: i64,
    ) -> Self {
        Message {
            id,
            chat_dialog_id: Some(chat_dialog_id),
            message: Some(text.into()),
            date_sent,
            sender_id,
            recipient_id: None,
            read_ids: Vec::new(),
            delivered_ids: Vec::new(),
            views_count: None,
            attachments: Vec::new(),
            reactions: None,
            read: None,
            created_at: None,
            updated_at: None,
            custom: BTreeMap::new(),
        }
    }

    /// Sets the recipient (private dialogs; `UserId(0)` in groups).
    pub fn with_recipient(mut self, id: UserId) -> Self {
        self.recipient_id = Some(id);
        self
    }

    /// Adds an attachment.
    pub fn with_attachment(mut self, a: Attachment) -> Self {
        self.attachments.push(a);
        self
    }

    /// Sets the read and delivered lists.
    pub fn with_read_delivered(
        mut self,
        read_ids: Vec<UserId>,
        delivered_ids: Vec<UserId>,
    ) -> Self {
        self.read_ids = read_ids;
        self.delivered_ids = delivered_ids;
        self
    }

    /// Sets the read flag.
    pub fn with_read(mut self, read: bool) -> Self {
        self.read = Some(read);
        self
    }

    /// Adds a custom top-level key.
    pub fn with_custom(mut self, key: impl Into<String>, value: impl Into<Value>) -> Self {
        self.custom.insert(key.into(), value.into());
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
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const MID: &str = "5f1e6b113d9e4a0001a1b2c4";
    const DID: &str = "5f1e6a0c3d9e4a0001a1b2c3";

    #[test]
    fn attachments_decode_from_an_array_or_an_indexed_object() {
        let from_object: Message = serde_json::from_value(json!({
            "_id": MID,
            "attachments": {"1": {"type": "file", "size": "10"}, "0": {"type": "image", "width": 3}, "10": {"type": "audio"}, "2": {"type": "video"}}
        }))
        .unwrap();
        let kinds: Vec<_> = from_object
            .attachments
            .iter()
            .map(|a| a.kind.as_deref())
            .collect();
        assert_eq!(
            kinds,
            [Some("image"), Some("file"), Some("video"), Some("audio")]
        );
        assert_eq!(from_object.attachments[1].size, Some(10));
        assert_eq!(from_object.attachments[0].width, Some(3));
        let v = serde_json::to_value(&from_object).unwrap();
        assert!(v["attachments"].is_array());
        assert!(
            serde_json::from_value::<Message>(json!({"_id": MID, "attachments": "x"})).is_err()
        );
    }

    #[test]
    fn attachments_keep_unknown_keys_and_content_type() {
        let a: Attachment = serde_json::from_value(json!({
            "type": "image", "id": 77, "content-type": "image/png", "duration": "1.5",
            "data": {"lat": 1}, "custom": [1, 2]
        }))
        .unwrap();
        assert_eq!(a.id.as_deref(), Some("77"));
        assert_eq!(a.content_type.as_deref(), Some("image/png"));
        assert_eq!(a.duration, Some(1.5));
        assert_eq!(a.data.as_deref(), Some(r#"{"lat":1}"#));
        assert_eq!(a.extra.get("custom"), Some(&json!([1, 2])));
        let v = serde_json::to_value(&a).unwrap();
        assert_eq!(v["content-type"], json!("image/png"));
        assert_eq!(v["custom"], json!([1, 2]));
    }

    #[test]
    fn custom_keys_are_kept_and_known_keys_are_typed() {
        let m: Message = serde_json::from_value(json!({
            "_id": MID, "chat_dialog_id": DID, "message": "hi", "date_sent": "1704164645",
            "sender_id": "5", "recipient_id": 0, "read_ids": "5, 6", "delivered_ids": [5],
            "read": "1", "views_count": 3, "customParam": "v", "send_to_chat": 1,
            "reactions": {"own": ["🔥"], "total": {"🔥": "2"}}
        }))
        .unwrap();
        assert_eq!(m.date_sent, 1_704_164_645);
        assert_eq!(m.sender_id, UserId(5));
        assert_eq!(m.recipient_id, Some(UserId(0)));
        assert_eq!(m.read_ids, vec![UserId(5), UserId(6)]);
        assert_eq!(m.read, Some(true));
        assert_eq!(m.reactions.as_ref().map(|r| r.total["🔥"]), Some(2));
        assert_eq!(m.custom.len(), 2);
        assert_eq!(m.custom["customParam"], json!("v"));
        let v = serde_json::to_value(&m).unwrap();
        assert_eq!(v["read"], json!(1));
        assert_eq!(v["send_to_chat"], json!(1));
        assert_eq!(v["read_ids"], json!([5, 6]));
    }

    #[test]
    fn a_message_needs_a_valid_id() {
        assert!(serde_json::from_value::<Message>(json!({"message": "x"})).is_err());
        assert!(serde_json::from_value::<Message>(json!({"_id": "x"})).is_err());
        assert!(
            serde_json::from_value::<Message>(json!({"_id": MID, "chat_dialog_id": 5})).is_err()
        );
    }

    #[test]
    fn builders_fill_the_fields() {
        let m = Message::new(
            MID.parse().unwrap(),
            DID.parse().unwrap(),
            UserId(5),
            "hi",
            7,
        )
        .with_recipient(UserId(0))
        .with_attachment(
            Attachment::new("image")
                .with_uid("u")
                .with_url("https://x/y.png"),
        )
        .with_read(false)
        .with_custom("k", 1);
        let v = serde_json::to_value(&m).unwrap();
        assert_eq!(
            v["attachments"],
            json!([{"type": "image", "uid": "u", "url": "https://x/y.png"}])
        );
        assert_eq!(v["read"], json!(0));
        assert_eq!(v["k"], json!(1));
        assert_eq!(v["chat_dialog_id"], json!(DID));
    }
}
