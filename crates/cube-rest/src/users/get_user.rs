//! `GET /users/{id}`: read one user.

use cube_model::{User, UserEnvelope, UserId};
use http::{Method, StatusCode};

use crate::codec::{self, Body};
use crate::error::{FromHttpRequestError, FromHttpResponseError, IntoHttpError};
use crate::metadata::{AuthKind, Metadata};
use crate::params::path_one;
use crate::{Endpoint, EndpointResponse};

/// The user's id, in the path.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Request {
    /// The user to read.
    pub id: UserId,
}

impl Request {
    /// Reads user `id`.
    pub fn new(id: UserId) -> Self {
        Request { id }
    }
}

impl Endpoint for Request {
    const METADATA: Metadata = Metadata {
        name: "get_user",
        method: Method::GET,
        path: "/users/{id}",
        auth: AuthKind::AppSession,
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
            id: path_one(path_args, 0, "id", "a user id")?,
        })
    }
}

/// The user: `200 {"user": {...}}` (a bare user object is accepted too).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Response {
    /// The user.
    pub user: User,
}

impl Response {
    /// A response with `user`.
    pub fn new(user: User) -> Self {
        Response { user }
    }
}

impl EndpointResponse for Response {
    fn try_into_http_response(&self) -> Result<http::Response<Vec<u8>>, IntoHttpError> {
        codec::json_response(StatusCode::OK, &UserEnvelope::new(self.user.clone()))
    }

    fn try_from_http_response<B: AsRef<[u8]>>(
        resp: &http::Response<B>,
    ) -> Result<Self, FromHttpResponseError> {
        codec::decode_json::<UserEnvelope, B>(resp).map(|e| Response::new(e.user))
    }
}
