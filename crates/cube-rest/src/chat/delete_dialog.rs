//! `DELETE /chat/Dialog/{ids}`: leave (or, with `force`, delete for everyone) one or many dialogs.

use cube_model::{DialogDeleteResult, DialogId};
use http::Method;

use super::delete_ids;
use crate::error::{FromHttpRequestError, FromHttpResponseError, IntoHttpError};
use crate::metadata::{AuthKind, Metadata};
use crate::{Endpoint, EndpointResponse};

/// The ids in the path (`a,b`) and `force=1` in a form body (or, tolerated, the query string).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Request {
    /// The dialogs, at least one and at most [`crate::MAX_IDS`].
    pub ids: Vec<DialogId>,
    /// Delete for every occupant (owner only), not just leave.
    pub force: bool,
}

impl Request {
    /// Deletes `ids` for the current user.
    pub fn new(ids: impl IntoIterator<Item = DialogId>) -> Self {
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
        name: "delete_dialog",
        method: Method::DELETE,
        path: "/chat/Dialog/{ids}",
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
        let (ids, force) = delete_ids::parse_request(req, path_args, "dialog ids")?;
        Ok(Request { ids, force })
    }
}

/// A text endpoint: a single delete answers an empty `200`, a multi-delete the
/// `{"SuccessfullyDeleted":{"ids":[..]},"NotFound":..,"WrongPermissions":..}` object.
///
/// The client knows which from its own request (one id or many); decoding reads the object
/// whenever the body holds one, so a server that always answers it is understood too.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Response {
    /// The per-id outcome, when the server sent it.
    pub result: Option<DialogDeleteResult>,
}

impl Response {
    /// The empty answer to a single delete.
    pub fn empty() -> Self {
        Response { result: None }
    }

    /// The answer to a multi-delete.
    pub fn with_result(result: DialogDeleteResult) -> Self {
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
