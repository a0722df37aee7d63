//! `DELETE /users/{id}`: delete the current user's account.

use cube_model::UserId;
use http::Method;

use crate::Endpoint;
use crate::codec::{self, Body};
use crate::error::{FromHttpRequestError, IntoHttpError};
use crate::metadata::{AuthKind, Metadata};
use crate::params::path_one;

/// The user's id, in the path.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Request {
    /// The user to delete (the server allows only the session's own user).
    pub id: UserId,
}

impl Request {
    /// Deletes user `id`.
    pub fn new(id: UserId) -> Self {
        Request { id }
    }
}

impl Endpoint for Request {
    const METADATA: Metadata = Metadata {
        name: "delete_user",
        method: Method::DELETE,
        path: "/users/{id}",
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
            id: path_one(path_args, 0, "id", "a user id")?,
        })
    }
}

empty_response!();
