//! `PUT /chat/Message`: mark every message of a dialog read or delivered (no ids in the path).
//!
//! The server documentation's "omitting ids marks all messages of the dialog" form of
//! [`update_messages`](super::update_messages): `{"chat_dialog_id": .., "read": 1}` or
//! `{.., "delivered": 1}`, answered with an empty `200`. Editing text needs message ids.

use cube_model::DialogId;
use http::Method;
use serde_json::{Map, Value};

use crate::Endpoint;
use crate::codec::{self, Body};
use crate::error::{FromHttpRequestError, IntoHttpError};
use crate::metadata::{AuthKind, Metadata};
use crate::params::Fields;

/// `{"chat_dialog_id": .., "read": 1, "delivered": 1}`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Request {
    /// `chat_dialog_id`: the dialog whose messages are marked.
    pub chat_dialog_id: DialogId,
    /// `read=1`: mark them read by the current user (and delivered).
    pub read: bool,
    /// `delivered=1`: mark them delivered to the current user.
    pub delivered: bool,
}

impl Request {
    /// Marks every message of `dialog` read.
    pub fn read(dialog: DialogId) -> Self {
        Request {
            chat_dialog_id: dialog,
            read: true,
            delivered: false,
        }
    }

    /// Marks every message of `dialog` delivered.
    pub fn delivered(dialog: DialogId) -> Self {
        Request {
            chat_dialog_id: dialog,
            read: false,
            delivered: true,
        }
    }
}

impl Endpoint for Request {
    const METADATA: Metadata = Metadata {
        name: "update_dialog_messages",
        method: Method::PUT,
        path: "/chat/Message",
        auth: AuthKind::UserSession,
        text_response: true,
    };
    type Response = Response;

    fn try_into_http_request(
        &self,
        base_url: &str,
        token: Option<&str>,
    ) -> Result<http::Request<Vec<u8>>, IntoHttpError> {
        let mut body = Map::new();
        if self.read {
            body.insert("read".into(), 1.into());
        }
        if self.delivered {
            body.insert("delivered".into(), 1.into());
        }
        body.insert(
            "chat_dialog_id".into(),
            self.chat_dialog_id.to_string().into(),
        );
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
        Ok(Request {
            chat_dialog_id: f.required("chat_dialog_id", "a dialog id")?,
            read: f.flag("read")?.unwrap_or(false),
            delivered: f.flag("delivered")?.unwrap_or(false),
        })
    }
}

empty_response!();
