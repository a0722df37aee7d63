//! Every ConnectyCube REST endpoint declared once: `http::Request` builders for clients and
//! parsers for servers, without I/O.
//!
//! Each endpoint is a module (`chat::create_dialog`, `users::get_user`, ...) holding a `Request`
//! and a `Response`, after ruma's model:
//!
//! - the client calls [`Endpoint::try_into_http_request`] and decodes the answer with
//!   [`EndpointResponse::try_from_http_response`] (a non-2xx answer is an [`ApiError`]);
//! - the server calls [`parse_request`] to get an [`AnyRequest`], matches on it, and answers
//!   with [`EndpointResponse::try_into_http_response`], or with
//!   [`FromHttpRequestError::error_response`] when the request did not parse.
//!
//! ```
//! use cube_rest::{AnyRequest, Endpoint, EndpointResponse, chat::get_notifications};
//!
//! let id = "5f1e6a0c3d9e4a0001a1b2c3".parse().unwrap();
//! let req = get_notifications::Request::new(id)
//!     .try_into_http_request("http://127.0.0.1:8080", Some("token"))
//!     .unwrap();
//! assert_eq!(req.uri(), "http://127.0.0.1:8080/chat/Dialog/5f1e6a0c3d9e4a0001a1b2c3/notifications.json");
//!
//! // The server side of the same request.
//! let AnyRequest::GetNotifications(parsed) = cube_rest::parse_request(&req).unwrap() else {
//!     unreachable!()
//! };
//! assert_eq!(parsed.id, id);
//! let resp = get_notifications::Response::new(true).try_into_http_response().unwrap();
//! let back = get_notifications::Response::try_from_http_response(&resp).unwrap();
//! assert!(back.enabled);
//! ```
#![deny(missing_docs)]

#[macro_use]
mod macros;

pub mod chat;
mod codec;
mod endpoint;
mod error;
pub mod fields;
mod listing;
mod metadata;
pub mod paging;
mod params;
pub mod query;
pub mod retry;
mod router;
pub mod session;
pub mod users;

pub use codec::{
    FORM_CONTENT_TYPE, HEADER_AUTH_KEY, HEADER_SDK, HEADER_TOKEN, JSON_CONTENT_TYPE,
    JSON_RESPONSE_CONTENT_TYPE, MAX_BODY_BYTES, MAX_IDS, SDK_HEADER_VALUE, auth_key, header_str,
    token,
};
pub use endpoint::{Endpoint, EndpointResponse};
pub use error::{
    ApiError, FromHttpRequestError, FromHttpResponseError, IntoHttpError, SESSION_EXPIRED_MESSAGE,
    error_http_response,
};
pub use metadata::{AuthKind, Metadata};
pub use router::{AnyRequest, EndpointKind, Route, parse_request, route};
