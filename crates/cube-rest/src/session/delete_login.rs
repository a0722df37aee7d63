//! `DELETE /login`: log the user out; the token stays valid as an application session.

use http::Method;

use crate::Endpoint;
use crate::codec::{self, Body};
use crate::error::{FromHttpRequestError, IntoHttpError};
use crate::metadata::{AuthKind, Metadata};

/// `DELETE /login` has no parameters.
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
        name: "delete_login",
        method: Method::DELETE,
        path: "/login",
        auth: AuthKind::UserSession,
        text_response: true,
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

empty_response!();
