//! `PUT /chat/Message/{ids}`: mark messages read or delivered, or edit a message's text.

use cube_model::{DialogId, MessageId};
use http::Method;
use serde_json::{Map, Value};

use crate::Endpoint;
use crate::codec::{self, Body, MAX_IDS};
use crate::error::{FromHttpRequestError, IntoHttpError};
use crate::metadata::{AuthKind, Metadata};
use crate::params::{Fields, path_list};

/// The ids in the path (`a,b`) and `{"read":1,"delivered":1,"message":..,"chat_dialog_id":..}`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Request {
    /// The messages, at least one and at most [`MAX_IDS`].
    pub ids: Vec<MessageId>,
    /// `chat_dialog_id`: the dialog the messages are in.
    pub chat_dialog_id: Option<DialogId>,
    /// `read=1`: mark them read by the current user.
    pub read: bool,
    /// `delivered=1`: mark them delivered to the current user.
    pub delivered: bool,
    /// `message`: the new text (own messages only).
    pub message: Option<String>,
}

impl Request {
    /// An update of `ids` that changes nothing yet.
    pub fn new(ids: impl IntoIterator<Item = MessageId>) -> Self {
        Request {
            ids: ids.into_iter().collect(),
            chat_dialog_id: None,
            read: false,
            delivered: false,
            message: None,
        }
    }

    /// Marks `ids` of `dialog` read.
    pub fn read(ids: impl IntoIterator<Item = MessageId>, dialog: DialogId) -> Self {
        Request {
            read: true,
            chat_dialog_id: Some(dialog),
            ..Request::new(ids)
        }
    }

    /// Marks `ids` of `dialog` delivered.
    pub fn delivered(ids: impl IntoIterator<Item = MessageId>, dialog: DialogId) -> Self {
        Request {
            delivered: true,
            chat_dialog_id: Some(dialog),
            ..Request::new(ids)
        }
    }

    /// Replaces the text of message `id`.
    pub fn edit(id: MessageId, text: impl Into<String>) -> Self {
        Request {
            message: Some(text.into()),
            ..Request::new([id])
        }
    }

    /// Sets `chat_dialog_id`.
    pub fn with_dialog(mut self, dialog: DialogId) -> Self {
        self.chat_dialog_id = Some(dialog);
        self
    }
}

impl Endpoint for Request {
    const METADATA: Metadata = Metadata {
        name: "update_messages",
        method: Method::PUT,
        path: "/chat/Message/{ids}",
        auth: AuthKind::UserSession,
        text_response: true,
    };
    type Response = Response;

    fn try_into_http_request(
        &self,
        base_url: &str,
        token: Option<&str>,
    ) -> Result<http::Request<Vec<u8>>, IntoHttpError> {
        if self.ids.is_empty() {
            return Err(IntoHttpError::InvalidField {
                field: "ids",
                reason: "at least one id is needed",
            });
        }
        let mut body = Map::new();
        if self.read {
            body.insert("read".into(), 1.into());
        }
        if self.delivered {
            body.insert("delivered".into(), 1.into());
        }
        if let Some(text) = &self.message {
            body.insert("message".into(), text.as_str().into());
        }
        if let Some(d) = self.chat_dialog_id {
            body.insert("chat_dialog_id".into(), d.to_string().into());
        }
        let ids = super::join_path(&self.ids);
        codec::build_request(
            &Self::METADATA,
            base_url,
            &[&ids],
            token,
            &[],
            "",
            Body::Json(Value::Object(body)),
        )
    }

    fn try_from_http_request<B: AsRef<[u8]>>(
        req: &http::Request<B>,
        path_args: &[String],
    ) -> Result<Self, FromHttpRequestError> {
        let ids = path_list(
            path_args.first().map_or("", String::as_str),
            "ids",
            "message ids",
            MAX_IDS,
        )?;
        let params = codec::request_params(req)?;
        let f = Fields::new(&params);
        Ok(Request {
            ids,
            chat_dialog_id: f.parse("chat_dialog_id", "a dialog id")?,
            read: f.flag("read")?.unwrap_or(false),
            delivered: f.flag("delivered")?.unwrap_or(false),
            message: f.string("message")?,
        })
    }
}

empty_response!();
