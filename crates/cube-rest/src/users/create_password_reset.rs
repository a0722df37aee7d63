//! `POST /users/password/reset`: ask for a password-reset mail (what `users.resetPassword` sends).
//!
//! `{"email": ".."}`, answered with an empty `200` (the SDK reads it as text). The local
//! server sends no mail: it answers `200` whether or not a user has that address, so the
//! answer never tells which addresses are registered.

use http::Method;
use serde_json::json;

use crate::Endpoint;
use crate::codec::{self, Body};
use crate::error::{FromHttpRequestError, IntoHttpError};
use crate::metadata::{AuthKind, Metadata};
use crate::params::Fields;

/// `{"email": ".."}`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Request {
    /// The address of the account.
    pub email: String,
}

impl Request {
    /// A reset for the account of `email`.
    pub fn new(email: impl Into<String>) -> Self {
        Request {
            email: email.into(),
        }
    }
}

impl Endpoint for Request {
    const METADATA: Metadata = Metadata {
        name: "create_password_reset",
        method: Method::POST,
        path: "/users/password/reset",
        auth: AuthKind::AppSession,
        text_response: true,
    };
    type Response = Response;

    fn try_into_http_request(
        &self,
        base_url: &str,
        token: Option<&str>,
    ) -> Result<http::Request<Vec<u8>>, IntoHttpError> {
        codec::build_request(
            &Self::METADATA,
            base_url,
            &[],
            token,
            &[],
            "",
            Body::Json(json!({ "email": self.email })),
        )
    }

    fn try_from_http_request<B: AsRef<[u8]>>(
        req: &http::Request<B>,
        _path_args: &[String],
    ) -> Result<Self, FromHttpRequestError> {
        let params = codec::request_params(req)?;
        Ok(Request {
            email: Fields::new(&params).required_string("email")?,
        })
    }
}

empty_response!();
