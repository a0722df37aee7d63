//! `DELETE /chat/Dialog/clearHistory/{id}`: hide a dialog's messages so far from the current user or, with `force`, delete them for everyone.
//!
//! With `force=1` the roles of deleting another's message for everyone apply (admins and the
//! owner; not regular users). The SDK reads the answer as text: an empty `200`.

use cube_model::DialogId;
use http::Method;

use crate::Endpoint;
use crate::codec::{self, Body};
use crate::error::{FromHttpRequestError, IntoHttpError};
use crate::metadata::{AuthKind, Metadata};
use crate::params::{Fields, path_one};

/// The dialog in the path and `force=1` in a form body (or, tolerated, the query string).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Request {
    /// The dialog.
    pub id: DialogId,
    /// Delete the messages for everyone, not just hide them from the current user.
    pub force: bool,
}

impl Request {
    /// Clears the history of dialog `id` for the current user.
    pub fn new(id: DialogId) -> Self {
        Request { id, force: false }
    }

    /// Sets `force`.
    pub fn with_force(mut self, force: bool) -> Self {
        self.force = force;
        self
    }
}

impl Endpoint for Request {
    const METADATA: Metadata = Metadata {
        name: "clear_history",
        method: Method::DELETE,
        path: "/chat/Dialog/clearHistory/{id}",
        auth: AuthKind::UserSession,
        text_response: true,
    };
    type Response = Response;

    fn try_into_http_request(
        &self,
        base_url: &str,
        token: Option<&str>,
    ) -> Result<http::Request<Vec<u8>>, IntoHttpError> {
        let id = self.id.to_string();
        let body = if self.force {
            Body::Form("force=1".to_owned())
        } else {
            Body::Empty
        };
        codec::build_request(&Self::METADATA, base_url, &[&id], token, &[], "", body)
    }

    fn try_from_http_request<B: AsRef<[u8]>>(
        req: &http::Request<B>,
        path_args: &[String],
    ) -> Result<Self, FromHttpRequestError> {
        let id = path_one(path_args, 0, "id", "a dialog id")?;
        let params = codec::request_params(req)?;
        Ok(Request {
            id,
            force: Fields::new(&params).flag("force")?.unwrap_or(false),
        })
    }
}

empty_response!();
