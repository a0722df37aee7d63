//! `POST /login`: attach a user to the current application session (the token is unchanged).

use cube_auth::SessionCredentials;
use cube_model::{User, UserEnvelope};
use http::{Method, StatusCode};
use serde_json::{Map, Value};

use crate::codec::{self, Body};
use crate::error::{FromHttpRequestError, FromHttpResponseError, IntoHttpError};
use crate::metadata::{AuthKind, Metadata};
use crate::params::Fields;
use crate::{Endpoint, EndpointResponse};

/// The credentials, sent unwrapped: `{"login":..,"password":..}`, `{"email":..,..}` or
/// `{"provider":..,"keys"|"firebase_phone"|"firebase_email":{..}}`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Request {
    /// Who logs in; [`SessionCredentials::Application`] is refused by the server parser.
    pub credentials: SessionCredentials,
}

impl Request {
    /// A login with `credentials`.
    pub fn new(credentials: SessionCredentials) -> Self {
        Request { credentials }
    }
}

impl Endpoint for Request {
    const METADATA: Metadata = Metadata {
        name: "create_login",
        method: Method::POST,
        path: "/login",
        auth: AuthKind::AppSession,
        text_response: false,
    };
    type Response = Response;

    fn try_into_http_request(
        &self,
        base_url: &str,
        token: Option<&str>,
    ) -> Result<http::Request<Vec<u8>>, IntoHttpError> {
        if matches!(self.credentials, SessionCredentials::Application) {
            return Err(IntoHttpError::InvalidField {
                field: "credentials",
                reason: "a login needs user credentials",
            });
        }
        let mut body = Map::new();
        super::write_credentials(&self.credentials, true, &mut body);
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
        let credentials = super::read_credentials(&Fields::new(&params), true)?;
        if matches!(credentials, SessionCredentials::Application) {
            return Err(FromHttpRequestError::missing("login"));
        }
        Ok(Request { credentials })
    }
}

/// The logged-in user: `202 {"user": {...}}` (a bare user object is accepted too).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Response {
    /// The user now attached to the session.
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
        codec::json_response(StatusCode::ACCEPTED, &UserEnvelope::new(self.user.clone()))
    }

    fn try_from_http_response<B: AsRef<[u8]>>(
        resp: &http::Response<B>,
    ) -> Result<Self, FromHttpResponseError> {
        codec::decode_json::<UserEnvelope, B>(resp).map(|e| Response::new(e.user))
    }
}
