//! Small response bodies: multi-delete results, unread counts, notification settings and the
//! system-message answer.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use serde::de::{Deserializer, Error as _};
use serde::ser::SerializeMap;
use serde::{Deserialize, Serialize, Serializer};
use serde_json::Value;

use crate::de;
use crate::ids::{DialogId, FromJson, IdError, MessageId, UserId, deserialize_ids};

/// A list of ids inside a multi-delete result (`{"ids": [...]}`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "schemars", schemars(rename = "IdGroup_of_{T}"))]
pub struct IdGroup<T> {
    /// The ids.
    #[serde(
        default = "Vec::<T>::new",
        deserialize_with = "deserialize_ids",
        bound(deserialize = "T: FromJson + FromStr<Err = IdError>")
    )]
    pub ids: Vec<T>,
}

impl<T> Default for IdGroup<T> {
    fn default() -> Self {
        IdGroup { ids: Vec::new() }
    }
}

/// The answer to a multi-delete (`DELETE /chat/Dialog/a,b`, `DELETE /chat/Message/a,b`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "schemars", schemars(rename = "DeleteResult_of_{T}"))]
#[serde(bound(deserialize = "T: FromJson + FromStr<Err = IdError>"))]
#[non_exhaustive]
pub struct DeleteResult<T> {
    /// Ids that were deleted.
    #[serde(rename = "SuccessfullyDeleted", default)]
    pub successfully_deleted: IdGroup<T>,
    /// Ids that do not exist (or that the caller cannot see).
    #[serde(rename = "NotFound", default)]
    pub not_found: IdGroup<T>,
    /// Ids the caller may not delete.
    #[serde(rename = "WrongPermissions", default)]
    pub wrong_permissions: IdGroup<T>,
}

impl<T> Default for DeleteResult<T> {
    fn default() -> Self {
        DeleteResult {
            successfully_deleted: IdGroup::default(),
            not_found: IdGroup::default(),
            wrong_permissions: IdGroup::default(),
        }
    }
}

impl<T> DeleteResult<T> {
    /// An empty result.
    pub fn new() -> Self {
        DeleteResult::default()
    }

    /// Builds a result from the three lists.
    pub fn from_lists(deleted: Vec<T>, not_found: Vec<T>, wrong_permissions: Vec<T>) -> Self {
        DeleteResult {
            successfully_deleted: IdGroup { ids: deleted },
            not_found: IdGroup { ids: not_found },
            wrong_permissions: IdGroup {
                ids: wrong_permissions,
            },
        }
    }

    /// Whether every id was deleted.
    pub fn all_deleted(&self) -> bool {
        self.not_found.ids.is_empty() && self.wrong_permissions.ids.is_empty()
    }
}

/// Result of deleting dialogs.
pub type DialogDeleteResult = DeleteResult<DialogId>;
/// Result of deleting messages.
pub type MessageDeleteResult = DeleteResult<MessageId>;

/// Unread message counts (`GET /chat/Message/unread`), flat on the wire:
/// `{"total": 5, "<dialog id>": 3, ...}`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct UnreadCounts {
    /// Unread messages over all the asked dialogs.
    pub total: u64,
    /// Unread messages per dialog.
    pub per_dialog: BTreeMap<DialogId, u64>,
}

impl UnreadCounts {
    /// Counts from a per-dialog map; `total` is their sum.
    pub fn from_per_dialog(per_dialog: BTreeMap<DialogId, u64>) -> Self {
        UnreadCounts {
            total: per_dialog.values().fold(0u64, |a, n| a.saturating_add(*n)),
            per_dialog,
        }
    }
}

impl Serialize for UnreadCounts {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(1 + self.per_dialog.len()))?;
        m.serialize_entry("total", &self.total)?;
        for (id, n) in &self.per_dialog {
            m.serialize_entry(&id.to_string(), n)?;
        }
        m.end()
    }
}

impl<'de> Deserialize<'de> for UnreadCounts {
    /// Keys that are not dialog ids are ignored; a count that is not a number is an error.
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let Value::Object(map) = Value::deserialize(d)? else {
            return Err(D::Error::custom("unread counts must be an object"));
        };
        let mut out = UnreadCounts::default();
        for (k, v) in map {
            let n = de::value_to_u64(&v).ok_or_else(|| {
                D::Error::custom(format!("unread count of {k:?} is not a number"))
            })?;
            if k == "total" {
                out.total = n;
            } else if let Ok(id) = k.parse::<DialogId>() {
                out.per_dialog.insert(id, n);
            }
        }
        Ok(out)
    }
}

/// Push notification settings of a dialog (`{"enabled": 1}`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[non_exhaustive]
pub struct NotificationSettings {
    /// Whether notifications are on; `0`/`1` on the wire.
    #[serde(
        deserialize_with = "de::bool_flag",
        serialize_with = "de::ser_bool_as_int"
    )]
    #[cfg_attr(feature = "schemars", schemars(with = "crate::schema::Flag"))]
    pub enabled: bool,
}

impl NotificationSettings {
    /// Settings with `enabled`.
    pub fn new(enabled: bool) -> Self {
        NotificationSettings { enabled }
    }
}

/// The `{"notifications": {"enabled": 1}}` envelope of the notification endpoints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[non_exhaustive]
pub struct NotificationsEnvelope {
    /// The settings.
    pub notifications: NotificationSettings,
}

impl NotificationsEnvelope {
    /// Wraps settings.
    pub fn new(enabled: bool) -> Self {
        NotificationsEnvelope {
            notifications: NotificationSettings::new(enabled),
        }
    }
}

/// The answer to `POST /chat/Message/system`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[non_exhaustive]
pub struct SystemMessageResponse {
    /// Id of the system message.
    #[serde(rename = "messageId")]
    pub message_id: MessageId,
    /// Its recipient.
    #[serde(rename = "recipientId")]
    pub recipient_id: UserId,
    /// The extra parameters that were sent with it (values as strings).
    #[serde(
        rename = "extensionParams",
        default,
        deserialize_with = "de::string_map"
    )]
    pub extension_params: BTreeMap<String, String>,
}

impl SystemMessageResponse {
    /// A response with the given id, recipient and parameters.
    pub fn new(
        message_id: MessageId,
        recipient_id: UserId,
        extension_params: BTreeMap<String, String>,
    ) -> Self {
        SystemMessageResponse {
            message_id,
            recipient_id,
            extension_params,
        }
    }
}

impl fmt::Display for UnreadCounts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} unread", self.total)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const A: &str = "5f1e6a0c3d9e4a0001a1b2c3";
    const B: &str = "ffffffffffffffffffffffff";

    #[test]
    fn delete_results_use_the_api_keys() {
        let r = DialogDeleteResult::from_lists(
            vec![A.parse().unwrap()],
            vec![B.parse().unwrap()],
            vec![],
        );
        assert_eq!(
            serde_json::to_string(&r).unwrap(),
            format!(
                r#"{{"SuccessfullyDeleted":{{"ids":["{A}"]}},"NotFound":{{"ids":["{B}"]}},"WrongPermissions":{{"ids":[]}}}}"#
            )
        );
        assert!(!r.all_deleted());
        let partial: MessageDeleteResult =
            serde_json::from_value(json!({"SuccessfullyDeleted": {"ids": A}})).unwrap();
        assert_eq!(partial.successfully_deleted.ids.len(), 1);
        assert!(partial.all_deleted());
    }

    #[test]
    fn unread_counts_are_flat() {
        let u: UnreadCounts =
            serde_json::from_value(json!({"total": 5, A: 3, B: "2", "bbb": 9})).unwrap();
        assert_eq!(u.total, 5);
        assert_eq!(
            u.per_dialog.len(),
            2,
            "keys that are not dialog ids are skipped"
        );
        assert_eq!(u.per_dialog[&A.parse().unwrap()], 3);
        assert_eq!(
            serde_json::to_value(&u).unwrap(),
            json!({"total": 5, A: 3, B: 2})
        );
        assert!(serde_json::from_value::<UnreadCounts>(json!({"total": "x"})).is_err());
        assert!(serde_json::from_value::<UnreadCounts>(json!([1])).is_err());
        let summed = UnreadCounts::from_per_dialog(BTreeMap::from([
            (A.parse().unwrap(), 2),
            (B.parse().unwrap(), 3),
        ]));
        assert_eq!(summed.total, 5);
    }

    #[test]
    fn notification_flags_are_numbers() {
        let e = NotificationsEnvelope::new(true);
        assert_eq!(
            serde_json::to_string(&e).unwrap(),
            r#"{"notifications":{"enabled":1}}"#
        );
        for v in [json!(true), json!(1), json!("1")] {
            let s: NotificationSettings = serde_json::from_value(json!({"enabled": v})).unwrap();
            assert!(s.enabled);
        }
        for v in [json!(false), json!(0), json!("0")] {
            let s: NotificationSettings = serde_json::from_value(json!({"enabled": v})).unwrap();
            assert!(!s.enabled);
        }
        assert!(
            serde_json::from_value::<NotificationSettings>(json!({"enabled": "maybe"})).is_err()
        );
    }

    #[test]
    fn system_message_response_uses_camel_case() {
        let r = SystemMessageResponse::new(
            "5f1e6b113d9e4a0001a1b2c6".parse().unwrap(),
            UserId(6),
            BTreeMap::from([("param1".to_owned(), "x".to_owned())]),
        );
        assert_eq!(
            serde_json::to_value(&r).unwrap(),
            json!({"messageId": "5f1e6b113d9e4a0001a1b2c6", "recipientId": 6, "extensionParams": {"param1": "x"}})
        );
        let back: SystemMessageResponse = serde_json::from_value(
            json!({"messageId": "5f1e6b113d9e4a0001a1b2c6", "recipientId": "6", "extensionParams": {"n": 1}}),
        )
        .unwrap();
        assert_eq!(back.extension_params["n"], "1");
    }
}
