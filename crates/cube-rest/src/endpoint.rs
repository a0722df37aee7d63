//! The two traits every endpoint implements, after ruma's `OutgoingRequest`/`IncomingRequest`.

use crate::error::{FromHttpRequestError, FromHttpResponseError, IntoHttpError};
use crate::metadata::Metadata;

/// A typed request of one endpoint, convertible to and from `http::Request` (client and server).
pub trait Endpoint: Sized {
    /// The endpoint's method, path template and auth.
    const METADATA: Metadata;

    /// The typed answer.
    type Response: EndpointResponse;

    /// Client side: the HTTP request, with `.json` suffix and the SDK headers (wire.md §2.4).
    ///
    /// `base_url` is e.g. `https://api.connectycube.com` or `http://127.0.0.1:8080`; `token` is
    /// sent as `CB-Token` when given.
    fn try_into_http_request(
        &self,
        base_url: &str,
        token: Option<&str>,
    ) -> Result<http::Request<Vec<u8>>, IntoHttpError>;

    /// Server side: the typed request, given the `{param}` values that routing extracted
    /// (see [`crate::route`]).
    fn try_from_http_request<B: AsRef<[u8]>>(
        req: &http::Request<B>,
        path_args: &[String],
    ) -> Result<Self, FromHttpRequestError>;
}

/// A typed response of one endpoint, convertible to and from `http::Response`.
pub trait EndpointResponse: Sized {
    /// Server side: the HTTP response, status and body as ConnectyCube answers.
    fn try_into_http_response(&self) -> Result<http::Response<Vec<u8>>, IntoHttpError>;

    /// Client side: the typed response; a non-2xx status is [`FromHttpResponseError::Api`].
    fn try_from_http_response<B: AsRef<[u8]>>(
        resp: &http::Response<B>,
    ) -> Result<Self, FromHttpResponseError>;
}
