//! `POST /chat/Message/system`: send a system message (delivered over chat, not stored).

use std::collections::BTreeMap;

use cube_model::{SystemMessageResponse, UserId};
use http::{Method, StatusCode};
use serde_json::{Map, Value};

use crate::Endpoint;
use crate::codec::{self, Body};
use crate::error::{FromHttpRequestError, IntoHttpError};
use crate::metadata::{AuthKind, Metadata};
use crate::params::Fields;

/// `{"recipientId": 6, ...extra}`: the recipient and any extra parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Request {
    /// `recipientId`.
    pub recipient_id: UserId,
    /// Every other top-level key, kept as it came.
    pub extra: BTreeMap<String, Value>,
}

impl Request {
    /// A system message to `recipient_id`.
    pub fn new(recipient_id: UserId) -> Self {
        Request {
            recipient_id,
            extra: BTreeMap::new(),
        }
    }

    /// Adds an extra parameter.
    pub fn with_param(mut self, key: impl Into<String>, value: impl Into<Value>) -> Self {
        let key = key.into();
        if key != "recipientId" {
            self.extra.insert(key, value.into());
        }
        self
    }
}

impl Endpoint for Request {
    const METADATA: Metadata = Metadata {
        name: "create_system_message",
        method: Method::POST,
        path: "/chat/Message/system",
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
        body.insert("recipientId".into(), self.recipient_id.get().into());
        for (k, v) in &self.extra {
            if k != "recipientId" {
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
        let recipient_id = Fields::new(&params).required("recipientId", "a user id")?;
        let extra = params
            .into_iter()
            .filter(|(k, _)| k != "recipientId")
            .collect();
        Ok(Request {
            recipient_id,
            extra,
        })
    }
}

json_response!(
    /// `201 {"messageId", "recipientId", "extensionParams"}`.
    result: SystemMessageResponse,
    StatusCode::CREATED
);
