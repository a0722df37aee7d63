//! `PUT /users/{id}`: update the current user's profile (a password change needs `old_password`).

use cube_model::{User, UserEnvelope, UserId};
use http::{Method, StatusCode};
use serde_json::{Map, Value};

use super::UserParams;
use crate::codec::{self, Body};
use crate::error::{FromHttpRequestError, FromHttpResponseError, IntoHttpError};
use crate::metadata::{AuthKind, Metadata};
use crate::params::path_one;
use crate::{Endpoint, EndpointResponse};

/// The user's id in the path and `{"user": {...}}` with the fields to change.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Request {
    /// The user to update (the server allows only the session's own user).
    pub id: UserId,
    /// The fields to change.
    pub user: UserParams,
}

impl Request {
    /// Updates user `id` with `user`.
    pub fn new(id: UserId, user: UserParams) -> Self {
        Request { id, user }
    }
}

impl Endpoint for Request {
    const METADATA: Metadata = Metadata {
        name: "update_user",
        method: Method::PUT,
        path: "/users/{id}",
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
        let mut body = Map::new();
        body.insert("user".into(), Value::Object(self.user.to_json()));
        codec::build_request(
            &Self::METADATA,
            base_url,
            &[&id],
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
        let id = path_one(path_args, 0, "id", "a user id")?;
        let params = codec::request_params(req)?;
        Ok(Request {
            id,
            user: super::read_user_object(&params)?,
        })
    }
}

/// The updated user: `200 {"user": {...}}` (a bare user object is accepted too).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Response {
    /// The user after the update.
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
