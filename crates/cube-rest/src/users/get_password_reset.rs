//! `GET /users/password/reset`: ask for a password-reset mail, the documented REST form (`?email=`).
//!
//! The same operation as [`create_password_reset`](super::create_password_reset) with the
//! address in the query string; an empty `200`. The local server sends no mail.

use http::Method;

use crate::Endpoint;
use crate::codec::{self, Body};
use crate::error::{FromHttpRequestError, IntoHttpError};
use crate::metadata::{AuthKind, Metadata};
use crate::params::Fields;
use crate::query::QueryBuilder;

/// `?email=..`.
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
        name: "get_password_reset",
        method: Method::GET,
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
        let mut q = QueryBuilder::new();
        q.scalar("email", &self.email);
        codec::build_request(
            &Self::METADATA,
            base_url,
            &[],
            token,
            &[],
            &q.finish(),
            Body::Empty,
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
