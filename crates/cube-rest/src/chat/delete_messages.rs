//! `DELETE /chat/Message/{ids}`: delete messages for the current user, or with `force` for
//! everyone.

use cube_model::{MessageDeleteResult, MessageId};
use http::Method;

use super::delete_ids;
use crate::error::{FromHttpRequestError, FromHttpResponseError, IntoHttpError};
use crate::metadata::{AuthKind, Metadata};
use crate::{Endpoint, EndpointResponse};

/// The ids in the path (`a,b`) and `force=1` in a form body (or, tolerated, the query string).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Request {
    /// The messages, at least one and at most [`crate::MAX_IDS`].
    pub ids: Vec<MessageId>,
    /// Delete for everyone, not just for the current user.
    pub force: bool,
}

impl Request {
    /// Deletes `ids` for the current user.
    pub fn new(ids: impl IntoIterator<Item = MessageId>) -> Self {
        Request {
            ids: ids.into_iter().collect(),
            force: false,
        }
    }

    /// Sets `force`.
    pub fn with_force(mut self, force: bool) -> Self {
        self.force = force;
        self
    }
}

impl Endpoint for Request {
    const METADATA: Metadata = Metadata {
        name: "delete_messages",
        method: Method::DELETE,
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
        delete_ids::build_request(&Self::METADATA, &self.ids, self.force, base_url, token)
    }

    fn try_from_http_request<B: AsRef<[u8]>>(
        req: &http::Request<B>,
        path_args: &[String],
    ) -> Result<Self, FromHttpRequestError> {
        let (ids, force) = delete_ids::parse_request(req, path_args, "message ids")?;
        Ok(Request { ids, force })
    }
}

/// `200 {"SuccessfullyDeleted":{"ids":[..]},"NotFound":..,"WrongPermissions":..}`.
///
/// The official SDK reads this endpoint as text, so any 2xx body is success; the result is
/// decoded whenever the body holds it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Response {
    /// The per-id outcome, when the server sent it.
    pub result: Option<MessageDeleteResult>,
}

impl Response {
    /// A response with `result`.
    pub fn new(result: MessageDeleteResult) -> Self {
        Response {
            result: Some(result),
        }
    }
}

impl EndpointResponse for Response {
    fn try_into_http_response(&self) -> Result<http::Response<Vec<u8>>, IntoHttpError> {
        delete_ids::build_response(self.result.as_ref())
    }

    fn try_from_http_response<B: AsRef<[u8]>>(
        resp: &http::Response<B>,
    ) -> Result<Self, FromHttpResponseError> {
        Ok(Response {
            result: delete_ids::parse_response(resp)?,
        })
    }
}
