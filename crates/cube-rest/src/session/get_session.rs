//! `GET /session`: read the session of the current token.

use cube_model::{Session, SessionEnvelope};
use http::{Method, StatusCode};

use crate::codec::{self, Body};
use crate::error::{FromHttpRequestError, FromHttpResponseError, IntoHttpError};
use crate::metadata::{AuthKind, Metadata};
use crate::{Endpoint, EndpointResponse};

/// `GET /session` has no parameters: the token says which session.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Request {}

impl Request {
    /// The request.
    pub fn new() -> Self {
        Request {}
    }
}

impl Endpoint for Request {
    const METADATA: Metadata = Metadata {
        name: "get_session",
        method: Method::GET,
        path: "/session",
        auth: AuthKind::AppSession,
        text_response: false,
    };
    type Response = Response;

    fn try_into_http_request(
        &self,
        base_url: &str,
        token: Option<&str>,
    ) -> Result<http::Request<Vec<u8>>, IntoHttpError> {
        codec::build_request(&Self::METADATA, base_url, &[], token, &[], "", Body::Empty)
    }

    fn try_from_http_request<B: AsRef<[u8]>>(
        _req: &http::Request<B>,
        _path_args: &[String],
    ) -> Result<Self, FromHttpRequestError> {
        Ok(Request {})
    }
}

/// The session: `200 {"session": {...}}` (a bare session object is accepted too).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Response {
    /// The session.
    pub session: Session,
}

impl Response {
    /// A response with `session`.
    pub fn new(session: Session) -> Self {
        Response { session }
    }
}

impl EndpointResponse for Response {
    fn try_into_http_response(&self) -> Result<http::Response<Vec<u8>>, IntoHttpError> {
        codec::json_response(StatusCode::OK, &SessionEnvelope::new(self.session.clone()))
    }

    fn try_from_http_response<B: AsRef<[u8]>>(
        resp: &http::Response<B>,
    ) -> Result<Self, FromHttpResponseError> {
        codec::decode_json::<SessionEnvelope, B>(resp).map(|e| Response::new(e.session))
    }
}
