//! `POST /chat/Message`: store a message in a dialog's history (and, with `send_to_chat`,
//! deliver it over chat).

use std::collections::BTreeMap;

use cube_model::{Attachment, DialogId, Message, UserId, message::attachments_from_json};
use http::{Method, StatusCode};
use serde_json::{Map, Value};

use crate::Endpoint;
use crate::codec::{self, Body};
use crate::error::{FromHttpRequestError, IntoHttpError};
use crate::metadata::{AuthKind, Metadata};
use crate::params::Fields;

/// Most attachments accepted on one message.
pub const MAX_ATTACHMENTS: usize = 100;

/// Keys with a meaning of their own; every other top-level key is a custom parameter.
const KNOWN: [&str; 6] = [
    "chat_dialog_id",
    "recipient_id",
    "message",
    "attachments",
    "send_to_chat",
    "markable",
];

/// Where the message goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// `chat_dialog_id`: a dialog.
    Dialog(DialogId),
    /// `recipient_id`: a user (the private dialog is found or created).
    Recipient(UserId),
}

/// The message, its target, attachments, delivery flags and custom top-level fields.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Request {
    /// The dialog or the recipient.
    pub target: Target,
    /// `message`: the text.
    pub message: Option<String>,
    /// `attachments` (an array; an index-keyed object is read too).
    pub attachments: Vec<Attachment>,
    /// `send_to_chat=1`: also deliver it over chat, not only store it.
    pub send_to_chat: bool,
    /// `markable=1`: ask for read and delivery markers.
    pub markable: bool,
    /// Any other top-level keys, kept as they came.
    pub custom: BTreeMap<String, Value>,
}

impl Request {
    /// A message with `text` to `target`.
    pub fn new(target: Target, text: impl Into<String>) -> Self {
        Request {
            target,
            message: Some(text.into()),
            attachments: Vec::new(),
            send_to_chat: false,
            markable: false,
            custom: BTreeMap::new(),
        }
    }

    /// Adds an attachment.
    pub fn with_attachment(mut self, a: Attachment) -> Self {
        self.attachments.push(a);
        self
    }

    /// Sets `send_to_chat`.
    pub fn with_send_to_chat(mut self, v: bool) -> Self {
        self.send_to_chat = v;
        self
    }

    /// Sets `markable`.
    pub fn with_markable(mut self, v: bool) -> Self {
        self.markable = v;
        self
    }

    /// Adds a custom top-level field (ignored if it is one of the known keys).
    pub fn with_custom(mut self, key: impl Into<String>, value: impl Into<Value>) -> Self {
        let key = key.into();
        if !KNOWN.contains(&key.as_str()) {
            self.custom.insert(key, value.into());
        }
        self
    }
}

impl Endpoint for Request {
    const METADATA: Metadata = Metadata {
        name: "create_message",
        method: Method::POST,
        path: "/chat/Message",
        auth: AuthKind::UserSession,
        text_response: false,
    };
    type Response = Response;

    fn try_into_http_request(
        &self,
        base_url: &str,
        token: Option<&str>,
    ) -> Result<http::Request<Vec<u8>>, IntoHttpError> {
        let mut body = Map::new();
        match self.target {
            Target::Dialog(id) => body.insert("chat_dialog_id".into(), id.to_string().into()),
            Target::Recipient(id) => body.insert("recipient_id".into(), id.get().into()),
        };
        if let Some(text) = &self.message {
            body.insert("message".into(), text.as_str().into());
        }
        if self.send_to_chat {
            body.insert("send_to_chat".into(), 1.into());
        }
        if self.markable {
            body.insert("markable".into(), 1.into());
        }
        if !self.attachments.is_empty() {
            body.insert(
                "attachments".into(),
                serde_json::to_value(&self.attachments)?,
            );
        }
        for (k, v) in &self.custom {
            if !KNOWN.contains(&k.as_str()) {
                body.insert(k.clone(), v.clone());
            }
        }
        codec::build_request(
            &Self::METADATA,
            base_url,
            &[],
            token,
            &[],
            "",
            Body::Json(Value::Object(body)),
        )
    }

    fn try_from_http_request<B: AsRef<[u8]>>(
        req: &http::Request<B>,
        _path_args: &[String],
    ) -> Result<Self, FromHttpRequestError> {
        let params = codec::request_params(req)?;
        let f = Fields::new(&params);
        let target = match (
            f.parse::<DialogId>("chat_dialog_id", "a dialog id")?,
            f.parse::<UserId>("recipient_id", "a user id")?,
        ) {
            (Some(id), _) => Target::Dialog(id),
            (None, Some(id)) => Target::Recipient(id),
            (None, None) => return Err(FromHttpRequestError::missing("chat_dialog_id")),
        };
        let attachments = match f.get("attachments") {
            None => Vec::new(),
            Some(v) => {
                let count = match v {
                    Value::Array(a) => a.len(),
                    Value::Object(o) => o.len(),
                    _ => 0,
                };
                if count > MAX_ATTACHMENTS {
                    return Err(FromHttpRequestError::TooManyItems {
                        field: "attachments".into(),
                        max: MAX_ATTACHMENTS,
                    });
                }
                attachments_from_json(v.clone())
                    .map_err(|e| FromHttpRequestError::invalid("attachments", e.to_string()))?
            }
        };
        let custom = params
            .iter()
            .filter(|(k, _)| !KNOWN.contains(&k.as_str()))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        Ok(Request {
            target,
            message: f.string("message")?,
            attachments,
            send_to_chat: f.flag("send_to_chat")?.unwrap_or(false),
            markable: f.flag("markable")?.unwrap_or(false),
            custom,
        })
    }
}

json_response!(
    /// The stored message: `201` and the bare message object.
    message: Message,
    StatusCode::CREATED
);
