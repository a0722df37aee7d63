//! JSON Schema of the types whose serde impls are written by hand (feature `schemars`).
//!
//! Each schema describes what this crate *writes* (encoding is exact); decoding is more liberal
//! than the schema says (ids as strings, lists as comma strings), as the type docs explain.
//! `cargo xtask codegen` puts these schemas in `docs/openapi.json`.

use std::borrow::Cow;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};

use crate::dialog::{DialogType, MessageStatus};
use crate::error::ErrorBody;
use crate::ids::{AppId, DialogId, IdList, MessageId, ObjectId, UserId};
use crate::results::UnreadCounts;

/// The pattern of a 24-hex object id as this crate writes it.
const OBJECT_ID_PATTERN: &str = "^[0-9a-f]{24}$";

macro_rules! named_schema {
    ($ty:ty, $name:literal, $schema:tt) => {
        impl JsonSchema for $ty {
            fn schema_name() -> Cow<'static, str> {
                Cow::Borrowed($name)
            }

            fn schema_id() -> Cow<'static, str> {
                Cow::Borrowed(concat!("cube_model::", $name))
            }

            fn json_schema(_: &mut SchemaGenerator) -> Schema {
                json_schema!($schema)
            }
        }
    };
}

named_schema!(AppId, "AppId", {
    "description": "An application id, a positive number.",
    "type": "integer",
    "minimum": 0
});

named_schema!(UserId, "UserId", {
    "description": "A user id; `0` means \"no user\" (application sessions, group recipients).",
    "type": "integer",
    "minimum": 0
});

named_schema!(ObjectId, "ObjectId", {
    "description": "A 12-byte object id as 24 lowercase hexadecimal digits.",
    "type": "string",
    "pattern": OBJECT_ID_PATTERN
});

named_schema!(DialogId, "DialogId", {
    "description": "A chat dialog id: 24 lowercase hexadecimal digits.",
    "type": "string",
    "pattern": OBJECT_ID_PATTERN
});

named_schema!(MessageId, "MessageId", {
    "description": "A chat message id: 24 lowercase hexadecimal digits.",
    "type": "string",
    "pattern": OBJECT_ID_PATTERN
});

named_schema!(DialogType, "DialogType", {
    "description": "The dialog type: 1 broadcast, 2 group, 3 private, 4 public (other numbers may appear).",
    "type": "integer",
    "minimum": 0,
    "maximum": 255
});

named_schema!(MessageStatus, "MessageStatus", {
    "description": "Delivery state of a message: `sent`, `delivered` or `read` (other values may appear).",
    "type": "string",
    "examples": ["sent", "delivered", "read"]
});

named_schema!(ErrorBody, "ErrorBody", {
    "description": "An error answer: messages keyed by field (`base` for general ones), or a plain list.",
    "type": "object",
    "properties": {
        "errors": {
            "anyOf": [
                {
                    "type": "object",
                    "additionalProperties": { "type": "array", "items": { "type": "string" } }
                },
                { "type": "array", "items": { "type": "string" } }
            ]
        }
    },
    "required": ["errors"]
});

named_schema!(UnreadCounts, "UnreadCounts", {
    "description": "Unread messages: `total`, and one count per asked dialog keyed by its id.",
    "type": "object",
    "properties": {
        "total": { "type": "integer", "minimum": 0 }
    },
    "required": ["total"],
    "additionalProperties": { "type": "integer", "minimum": 0 }
});

impl<T: JsonSchema> JsonSchema for IdList<T> {
    fn inline_schema() -> bool {
        true
    }

    fn schema_name() -> Cow<'static, str> {
        format!("IdList_of_{}", T::schema_name()).into()
    }

    fn schema_id() -> Cow<'static, str> {
        format!("cube_model::IdList<{}>", T::schema_id()).into()
    }

    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "array",
            "items": generator.subschema_for::<T>()
        })
    }
}

/// A flag written as the number `0` or `1` (`enabled`, `read`).
pub(crate) struct Flag;

impl JsonSchema for Flag {
    fn inline_schema() -> bool {
        true
    }

    fn schema_name() -> Cow<'static, str> {
        Cow::Borrowed("Flag")
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({ "type": "integer", "enum": [0, 1] })
    }
}

/// A list written as one comma string (`user_tags`: `"iphone,apple"`).
pub(crate) struct CommaList;

impl JsonSchema for CommaList {
    fn inline_schema() -> bool {
        true
    }

    fn schema_name() -> Cow<'static, str> {
        Cow::Borrowed("CommaList")
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "Items joined with commas, e.g. `\"iphone,apple\"`.",
            "type": "string"
        })
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;
    use crate::{Dialog, Message, SessionEnvelope, User, UserEnvelope};

    fn schema<T: JsonSchema>() -> Value {
        let generator = schemars::generate::SchemaSettings::draft2020_12()
            .for_serialize()
            .into_generator();
        generator.into_root_schema_for::<T>().to_value()
    }

    #[test]
    fn hand_written_types_have_their_wire_shape() {
        assert_eq!(schema::<UserId>()["type"], "integer");
        assert_eq!(schema::<DialogId>()["pattern"], OBJECT_ID_PATTERN);
        assert_eq!(schema::<IdList<UserId>>()["type"], "array");
        assert_eq!(schema::<ErrorBody>()["required"], json!(["errors"]));
    }

    #[test]
    fn derived_types_reference_their_fields() {
        let user = schema::<User>();
        assert_eq!(
            user["properties"]["user_tags"]["type"],
            json!(["string", "null"])
        );
        assert!(user["required"].as_array().unwrap().contains(&json!("id")));
        let envelope = schema::<UserEnvelope>();
        assert_eq!(envelope["required"], json!(["user"]));
        let session = schema::<SessionEnvelope>();
        assert!(session["$defs"]["Session"].is_object());
        let dialog = schema::<Dialog>();
        assert!(dialog["properties"]["_id"].is_object());
        let message = schema::<Message>();
        assert!(message["properties"]["read"].is_object());
    }
}
