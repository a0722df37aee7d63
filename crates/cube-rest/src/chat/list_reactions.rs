//! `GET /chat/Message/{id}/reactions`: who reacted to a message, by reaction.

use std::collections::BTreeMap;

use cube_model::{MessageId, UserId};
use http::{Method, StatusCode};

use crate::Endpoint;
use crate::codec::{self, Body};
use crate::error::{FromHttpRequestError, IntoHttpError};
use crate::metadata::{AuthKind, Metadata};
use crate::params::path_one;

/// The message, in the path.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Request {
    /// The message.
    pub id: MessageId,
}

impl Request {
    /// Lists the reactions to message `id`.
    pub fn new(id: MessageId) -> Self {
        Request { id }
    }
}

impl Endpoint for Request {
    const METADATA: Metadata = Metadata {
        name: "list_reactions",
        method: Method::GET,
        path: "/chat/Message/{id}/reactions",
        auth: AuthKind::UserSession,
        text_response: false,
    };
    type Response = Response;

    fn try_into_http_request(
        &self,
        base_url: &str,
        token: Option<&str>,
    ) -> Result<http::Request<Vec<u8>>, IntoHttpError> {
        let id = self.id.to_string();
        codec::build_request(
            &Self::METADATA,
            base_url,
            &[&id],
            token,
            &[],
            "",
            Body::Empty,
        )
    }

    fn try_from_http_request<B: AsRef<[u8]>>(
        _req: &http::Request<B>,
        path_args: &[String],
    ) -> Result<Self, FromHttpRequestError> {
        Ok(Request {
            id: path_one(path_args, 0, "id", "a message id")?,
        })
    }
}

json_response!(
    /// `200 {"🔥": [5, 6], ...}`: the users of each reaction.
    reactions: BTreeMap<String, Vec<UserId>>,
    StatusCode::OK
);
