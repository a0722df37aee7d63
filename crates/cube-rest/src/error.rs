//! Errors of this layer: building requests, parsing them on the server, decoding responses, and
//! the server's refusals ([`ApiError`]).

use std::fmt;

use cube_model::ErrorBody;
use http::{Method, StatusCode};

use crate::query::QueryError;

/// The exact message of a 401 that means "your token is unknown or expired".
pub use cube_model::SESSION_NOT_FOUND as SESSION_EXPIRED_MESSAGE;

/// A typed request or response could not be turned into an HTTP message.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum IntoHttpError {
    /// The base URL, path or a header value is not valid for an HTTP message.
    #[error("invalid http message")]
    Http(#[source] http::Error),
    /// A header value (token, auth key) contains bytes a header cannot carry.
    #[error("header `{name}` has a value that cannot be sent")]
    InvalidHeader {
        /// The header name.
        name: &'static str,
    },
    /// The body could not be serialized.
    #[error("body could not be serialized")]
    Json(#[source] serde_json::Error),
    /// A field holds a value the endpoint cannot send (an empty id list, for example).
    #[error("field `{field}` cannot be sent: {reason}")]
    InvalidField {
        /// The field name.
        field: &'static str,
        /// Why.
        reason: &'static str,
    },
}

impl From<http::Error> for IntoHttpError {
    fn from(e: http::Error) -> Self {
        IntoHttpError::Http(e)
    }
}

impl From<serde_json::Error> for IntoHttpError {
    fn from(e: serde_json::Error) -> Self {
        IntoHttpError::Json(e)
    }
}

/// An HTTP request could not be parsed into a typed request (server side).
///
/// [`FromHttpRequestError::error_response`] gives the status and body to answer with.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FromHttpRequestError {
    /// No endpoint has this path.
    #[error("no endpoint at {path}")]
    NotFound {
        /// The request path.
        path: String,
    },
    /// The path exists but not with this method.
    #[error("{method} is not allowed on {path}")]
    MethodNotAllowed {
        /// The request method.
        method: Method,
        /// The request path.
        path: String,
        /// The methods the path accepts.
        allowed: Vec<Method>,
    },
    /// A path parameter (an id) is not valid; answered as 404, the resource cannot exist.
    #[error("path parameter `{param}` is invalid: {reason}")]
    InvalidPathParam {
        /// The template's parameter name.
        param: &'static str,
        /// Why.
        reason: String,
    },
    /// The body claims to be JSON (or looks like it) but is not.
    #[error("body is not valid json")]
    BadJson(#[source] serde_json::Error),
    /// The JSON body is valid but not an object.
    #[error("body must be a json object")]
    NotAnObject,
    /// The query string or form body could not be read.
    #[error("query string or form body is malformed")]
    BadQuery(#[source] QueryError),
    /// The body is larger than the limit.
    #[error("body of {actual} bytes exceeds the limit of {limit}")]
    TooLarge {
        /// The limit in bytes.
        limit: usize,
        /// The body's size in bytes.
        actual: usize,
    },
    /// A required field is absent.
    #[error("field `{field}` is required")]
    MissingField {
        /// The field name (nested fields as `user.login`).
        field: String,
    },
    /// A field is present but unusable.
    #[error("field `{field}` is invalid: {reason}")]
    InvalidField {
        /// The field name (nested fields as `push_all.occupants_ids`).
        field: String,
        /// Why, as a lowercase phrase (`must be a number`).
        reason: String,
    },
    /// A list has more elements than allowed.
    #[error("field `{field}` has more than {max} elements")]
    TooManyItems {
        /// The field name.
        field: String,
        /// The limit.
        max: usize,
    },
}

impl FromHttpRequestError {
    /// A [`FromHttpRequestError::MissingField`].
    pub(crate) fn missing(field: impl Into<String>) -> Self {
        FromHttpRequestError::MissingField {
            field: field.into(),
        }
    }

    /// A [`FromHttpRequestError::InvalidField`].
    pub(crate) fn invalid(field: impl Into<String>, reason: impl Into<String>) -> Self {
        FromHttpRequestError::InvalidField {
            field: field.into(),
            reason: reason.into(),
        }
    }

    /// The HTTP status the server should answer with.
    pub fn status(&self) -> StatusCode {
        match self {
            FromHttpRequestError::NotFound { .. }
            | FromHttpRequestError::InvalidPathParam { .. } => StatusCode::NOT_FOUND,
            FromHttpRequestError::MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
            FromHttpRequestError::BadJson(_)
            | FromHttpRequestError::NotAnObject
            | FromHttpRequestError::BadQuery(_) => StatusCode::BAD_REQUEST,
            FromHttpRequestError::TooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            FromHttpRequestError::MissingField { .. }
            | FromHttpRequestError::InvalidField { .. }
            | FromHttpRequestError::TooManyItems { .. } => StatusCode::UNPROCESSABLE_ENTITY,
        }
    }

    /// The status and `{"errors":...}` body the server should answer with.
    ///
    /// Validation problems (422) are keyed by field, as ConnectyCube does
    /// (`{"errors":{"login":["is required"]}}`); everything else goes under `base`.
    pub fn error_response(&self) -> (StatusCode, ErrorBody) {
        let body = match self {
            FromHttpRequestError::NotFound { .. }
            | FromHttpRequestError::InvalidPathParam { .. } => ErrorBody::base_message("Not found"),
            FromHttpRequestError::MethodNotAllowed { .. } => {
                ErrorBody::base_message("Method not allowed")
            }
            FromHttpRequestError::BadJson(e) => {
                ErrorBody::base_message(format!("Malformed JSON body: {e}"))
            }
            FromHttpRequestError::NotAnObject => {
                ErrorBody::base_message("Body must be a JSON object")
            }
            FromHttpRequestError::BadQuery(e) => {
                ErrorBody::base_message(format!("Malformed parameters: {e}"))
            }
            FromHttpRequestError::TooLarge { limit, .. } => {
                ErrorBody::base_message(format!("Request body is larger than {limit} bytes"))
            }
            FromHttpRequestError::MissingField { field } => ErrorBody::field(field, "is required"),
            FromHttpRequestError::InvalidField { field, reason } => {
                ErrorBody::field(field, reason.clone())
            }
            FromHttpRequestError::TooManyItems { field, max } => {
                ErrorBody::field(field, format!("has more than {max} elements"))
            }
        };
        (self.status(), body)
    }

    /// The whole HTTP answer: [`FromHttpRequestError::error_response`] as JSON, with an `Allow`
    /// header on 405.
    pub fn to_http_response(&self) -> http::Response<Vec<u8>> {
        let (status, body) = self.error_response();
        let mut resp = error_http_response(status, &body);
        if let FromHttpRequestError::MethodNotAllowed { allowed, .. } = self {
            let allow = allowed
                .iter()
                .map(Method::as_str)
                .collect::<Vec<_>>()
                .join(", ");
            if let Ok(value) = http::HeaderValue::from_str(&allow) {
                resp.headers_mut().insert(http::header::ALLOW, value);
            }
        }
        resp
    }
}

/// An error answer: `status` and `body` as JSON (a raw body is sent as it is).
pub fn error_http_response(status: StatusCode, body: &ErrorBody) -> http::Response<Vec<u8>> {
    let mut resp = http::Response::new(body.to_bytes());
    *resp.status_mut() = status;
    if !matches!(body, ErrorBody::Raw(_)) {
        resp.headers_mut().insert(
            http::header::CONTENT_TYPE,
            http::HeaderValue::from_static(crate::codec::JSON_RESPONSE_CONTENT_TYPE),
        );
    }
    resp
}

impl From<QueryError> for FromHttpRequestError {
    fn from(e: QueryError) -> Self {
        FromHttpRequestError::BadQuery(e)
    }
}

/// The server refused the request: its status and its decoded error body.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    /// The HTTP status (never 2xx).
    pub status: StatusCode,
    /// The body: `{"errors":{...}}`, `{"errors":[...]}` or the raw text.
    pub body: ErrorBody,
}

impl ApiError {
    /// Builds an error from a status and a body as received.
    pub fn from_parts(status: StatusCode, body: &[u8]) -> Self {
        ApiError {
            status,
            body: ErrorBody::from_bytes(body),
        }
    }

    /// True for 401 with exactly "Required session does not exist": the token must be renewed.
    pub fn is_session_expired(&self) -> bool {
        self.status == StatusCode::UNAUTHORIZED && self.body.is_session_not_found()
    }

    /// Every message of the body, `field message` for field-keyed errors.
    pub fn messages(&self) -> Vec<String> {
        self.body.messages()
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "server answered {}", self.status)?;
        let messages = self.messages();
        if !messages.is_empty() {
            write!(f, ": {}", messages.join("; "))?;
        }
        Ok(())
    }
}

impl std::error::Error for ApiError {}

/// An HTTP response could not be turned into a typed response (client side).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FromHttpResponseError {
    /// The server answered with a non-2xx status.
    #[error(transparent)]
    Api(ApiError),
    /// A 2xx body that should be JSON of the expected shape is not.
    #[error("response body ({status}) is not the expected json")]
    Deserialization {
        /// The response status.
        status: StatusCode,
        /// The JSON error.
        #[source]
        source: serde_json::Error,
    },
}

impl FromHttpResponseError {
    /// The server's refusal, when that is what this is.
    pub fn api_error(&self) -> Option<&ApiError> {
        match self {
            FromHttpResponseError::Api(e) => Some(e),
            FromHttpResponseError::Deserialization { .. } => None,
        }
    }
}

impl From<ApiError> for FromHttpResponseError {
    fn from(e: ApiError) -> Self {
        FromHttpResponseError::Api(e)
    }
}
