//! `POST /users`: sign up a user, with a session token or, without a session, the `CB-AuthKey`.

use cube_model::{User, UserEnvelope};
use http::{Method, StatusCode};
use serde_json::{Map, Value};

use super::UserParams;
use crate::codec::{self, Body, HEADER_AUTH_KEY};
use crate::error::{FromHttpRequestError, FromHttpResponseError, IntoHttpError};
use crate::metadata::{AuthKind, Metadata};
use crate::{Endpoint, EndpointResponse};

/// `{"user": {...}}`, plus the application's auth key when signing up without a session.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Request {
    /// The new user's fields (login or email, password, profile).
    pub user: UserParams,
    /// Sent as the `CB-AuthKey` header, and only when no token is given (wire.md §2.4).
    pub auth_key: Option<String>,
}

impl Request {
    /// A sign-up with `user`.
    pub fn new(user: UserParams) -> Self {
        Request {
            user,
            auth_key: None,
        }
    }

    /// Signs up without a session, authenticated by the application's auth key.
    pub fn with_auth_key(mut self, auth_key: impl Into<String>) -> Self {
        self.auth_key = Some(auth_key.into());
        self
    }
}

impl Endpoint for Request {
    const METADATA: Metadata = Metadata {
        name: "create_user",
        method: Method::POST,
        path: "/users",
        auth: AuthKind::AuthKeyOrSession,
        text_response: false,
    };
    type Response = Response;

    fn try_into_http_request(
        &self,
        base_url: &str,
        token: Option<&str>,
    ) -> Result<http::Request<Vec<u8>>, IntoHttpError> {
        let mut body = Map::new();
        body.insert("user".into(), Value::Object(self.user.to_json()));
        let auth_key = match (token, &self.auth_key) {
            (None, Some(key)) => vec![(HEADER_AUTH_KEY, key.as_str())],
            _ => Vec::new(),
        };
        codec::build_request(
            &Self::METADATA,
            base_url,
            &[],
            token,
            &auth_key,
            "",
            Body::Json(Value::Object(body)),
        )
    }

    fn try_from_http_request<B: AsRef<[u8]>>(
        req: &http::Request<B>,
        _path_args: &[String],
    ) -> Result<Self, FromHttpRequestError> {
        let params = codec::request_params(req)?;
        Ok(Request {
            user: super::read_user_object(&params)?,
            auth_key: codec::auth_key(req).map(str::to_owned),
        })
    }
}

/// The new user: `201 {"user": {...}}` (a bare user object is accepted too).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Response {
    /// The created user.
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
        codec::json_response(StatusCode::CREATED, &UserEnvelope::new(self.user.clone()))
    }

    fn try_from_http_response<B: AsRef<[u8]>>(
        resp: &http::Response<B>,
    ) -> Result<Self, FromHttpResponseError> {
        codec::decode_json::<UserEnvelope, B>(resp).map(|e| Response::new(e.user))
    }
}
