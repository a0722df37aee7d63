//! The HTTP plumbing shared by every endpoint: building client requests with the SDK headers,
//! reading server-side parameters from the query string, form body or JSON body, and encoding
//! and decoding responses.

use http::header::{CONTENT_TYPE, HeaderValue};
use http::{Method, StatusCode};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use crate::error::{ApiError, FromHttpRequestError, FromHttpResponseError, IntoHttpError};
use crate::metadata::Metadata;
use crate::query;

/// Largest request body the server side parses (1 MiB).
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// Most ids accepted in one list (path or body).
pub const MAX_IDS: usize = 1000;

/// The `CB-Token` header: the session token.
pub const HEADER_TOKEN: &str = "cb-token";
/// The `CB-AuthKey` header: the application's auth key, for sign-up without a session.
pub const HEADER_AUTH_KEY: &str = "cb-authkey";
/// The `CB-SDK` header naming the client.
pub const HEADER_SDK: &str = "cb-sdk";

/// The value of `CB-SDK` this crate sends.
pub const SDK_HEADER_VALUE: &str = concat!("Rust cube ", env!("CARGO_PKG_VERSION"));

/// Content type of GET and DELETE requests (the SDK sends it even without a body).
pub const FORM_CONTENT_TYPE: &str = "application/x-www-form-urlencoded; charset=UTF-8";
/// Content type of POST and PUT requests.
pub const JSON_CONTENT_TYPE: &str = "application/json;charset=utf-8";
/// Content type of JSON responses.
pub const JSON_RESPONSE_CONTENT_TYPE: &str = "application/json; charset=utf-8";

/// Path segment characters left unencoded: unreserved ones and `,` (id lists go in raw).
const PATH_SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~')
    .remove(b',');

/// Encodes a path argument (an id or a comma list of ids).
pub(crate) fn encode_path_arg(s: &str) -> String {
    utf8_percent_encode(s, PATH_SEGMENT).to_string()
}

/// The body a client request carries.
#[derive(Debug)]
pub(crate) enum Body {
    /// No body (GET, DELETE without parameters, POST subscribe).
    Empty,
    /// A JSON body.
    Json(Value),
    /// A form-encoded body (DELETE parameters, as the SDK sends them).
    Form(String),
}

/// Builds a client request for `meta` with the SDK headers (wire.md §2.4).
pub(crate) fn build_request(
    meta: &Metadata,
    base_url: &str,
    path_args: &[&str],
    token: Option<&str>,
    extra_headers: &[(&'static str, &str)],
    query: &str,
    body: Body,
) -> Result<http::Request<Vec<u8>>, IntoHttpError> {
    let encoded: Vec<String> = path_args.iter().map(|a| encode_path_arg(a)).collect();
    let encoded: Vec<&str> = encoded.iter().map(String::as_str).collect();
    let mut uri = format!(
        "{}{}",
        base_url.trim_end_matches('/'),
        meta.fill_path(&encoded)
    );
    if !query.is_empty() {
        uri.push('?');
        uri.push_str(query);
    }
    let content_type = if matches!(meta.method, Method::POST | Method::PUT) {
        JSON_CONTENT_TYPE
    } else {
        FORM_CONTENT_TYPE
    };
    let mut builder = http::Request::builder()
        .method(meta.method.clone())
        .uri(uri)
        .header(CONTENT_TYPE, content_type)
        .header(HEADER_SDK, SDK_HEADER_VALUE);
    if let Some(token) = token {
        let value = HeaderValue::from_str(token)
            .map_err(|_| IntoHttpError::InvalidHeader { name: "CB-Token" })?;
        builder = builder.header(HEADER_TOKEN, value);
    }
    for (name, value) in extra_headers {
        let value =
            HeaderValue::from_str(value).map_err(|_| IntoHttpError::InvalidHeader { name })?;
        builder = builder.header(*name, value);
    }
    let bytes = match body {
        Body::Empty => Vec::new(),
        Body::Json(v) => serde_json::to_vec(&v)?,
        Body::Form(s) => s.into_bytes(),
    };
    Ok(builder.body(bytes)?)
}

/// A header's value as text, when present and valid.
pub fn header_str<'r, B>(req: &'r http::Request<B>, name: &str) -> Option<&'r str> {
    req.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

/// The `CB-Token` of a request, if any.
pub fn token<B>(req: &http::Request<B>) -> Option<&str> {
    header_str(req, HEADER_TOKEN)
}

/// The `CB-AuthKey` of a request, if any.
pub fn auth_key<B>(req: &http::Request<B>) -> Option<&str> {
    header_str(req, HEADER_AUTH_KEY)
}

/// Checks the body size limit.
pub(crate) fn check_size(body: &[u8]) -> Result<(), FromHttpRequestError> {
    if body.len() > MAX_BODY_BYTES {
        return Err(FromHttpRequestError::TooLarge {
            limit: MAX_BODY_BYTES,
            actual: body.len(),
        });
    }
    Ok(())
}

/// Parses a body as JSON; it must be an object.
pub(crate) fn parse_json_object(body: &[u8]) -> Result<Map<String, Value>, FromHttpRequestError> {
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(FromHttpRequestError::NotAnObject),
        Err(e) => Err(FromHttpRequestError::BadJson(e)),
    }
}

/// Reads every parameter of a request into one JSON object (server side).
///
/// - the query string is always read;
/// - a non-empty body is read as JSON when the content type says JSON (or is absent and the
///   body starts with `{`), otherwise as a form body (DELETE parameters, the old iOS SDK);
/// - body values win over query values of the same name.
pub(crate) fn request_params<B: AsRef<[u8]>>(
    req: &http::Request<B>,
) -> Result<Map<String, Value>, FromHttpRequestError> {
    let mut params = query::parse(req.uri().query().unwrap_or(""))?;
    let body = req.body().as_ref();
    check_size(body)?;
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(params);
    }
    let content_type = header_str(req, CONTENT_TYPE.as_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    let is_json = if content_type.contains("json") {
        true
    } else if content_type.contains("x-www-form-urlencoded") {
        false
    } else {
        body.iter()
            .find(|b| !b.is_ascii_whitespace())
            .is_some_and(|b| *b == b'{')
    };
    let from_body = if is_json {
        parse_json_object(body)?
    } else {
        let text = std::str::from_utf8(body).map_err(|_| {
            FromHttpRequestError::BadQuery(query::QueryError::NotUtf8 { key: String::new() })
        })?;
        query::parse(text)?
    };
    params.extend(from_body);
    Ok(params)
}

/// A JSON response with `status`.
pub(crate) fn json_response<T: Serialize + ?Sized>(
    status: StatusCode,
    body: &T,
) -> Result<http::Response<Vec<u8>>, IntoHttpError> {
    let bytes = serde_json::to_vec(body)?;
    Ok(http::Response::builder()
        .status(status)
        .header(CONTENT_TYPE, JSON_RESPONSE_CONTENT_TYPE)
        .body(bytes)?)
}

/// An empty 200 response (text endpoints).
pub(crate) fn empty_response() -> Result<http::Response<Vec<u8>>, IntoHttpError> {
    Ok(http::Response::builder()
        .status(StatusCode::OK)
        .body(Vec::new())?)
}

/// Fails with [`FromHttpResponseError::Api`] unless the status is 2xx.
pub(crate) fn check_status<B: AsRef<[u8]>>(
    resp: &http::Response<B>,
) -> Result<(), FromHttpResponseError> {
    if resp.status().is_success() {
        Ok(())
    } else {
        Err(ApiError::from_parts(resp.status(), resp.body().as_ref()).into())
    }
}

/// Decodes a 2xx JSON body as `T`.
pub(crate) fn decode_json<T: DeserializeOwned, B: AsRef<[u8]>>(
    resp: &http::Response<B>,
) -> Result<T, FromHttpResponseError> {
    check_status(resp)?;
    serde_json::from_slice(resp.body().as_ref()).map_err(|source| {
        FromHttpResponseError::Deserialization {
            status: resp.status(),
            source,
        }
    })
}

/// Reads a text endpoint's body as `T` when it is such JSON; anything else is `None`.
pub(crate) fn lenient_json<T: DeserializeOwned>(body: &[u8]) -> Option<T> {
    serde_json::from_slice(body).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(method: Method, uri: &str, ct: Option<&str>, body: &str) -> http::Request<Vec<u8>> {
        let mut b = http::Request::builder().method(method).uri(uri);
        if let Some(ct) = ct {
            b = b.header(CONTENT_TYPE, ct);
        }
        b.body(body.as_bytes().to_vec()).unwrap()
    }

    #[test]
    fn params_merge_query_and_bodies() {
        let r = req(
            Method::DELETE,
            "/x?force=0&a=1",
            Some(FORM_CONTENT_TYPE),
            "force=1",
        );
        let p = request_params(&r).unwrap();
        assert_eq!(Value::Object(p), serde_json::json!({"force":"1","a":"1"}));

        let r = req(Method::POST, "/x", None, " {\"a\":[1]}");
        assert_eq!(
            Value::Object(request_params(&r).unwrap()),
            serde_json::json!({"a":[1]})
        );

        let r = req(Method::POST, "/x", None, "occupants_ids=1,2&type=3");
        assert_eq!(
            Value::Object(request_params(&r).unwrap()),
            serde_json::json!({"occupants_ids":"1,2","type":"3"})
        );

        let r = req(Method::POST, "/x", Some(JSON_CONTENT_TYPE), "[1]");
        assert!(matches!(
            request_params(&r),
            Err(FromHttpRequestError::NotAnObject)
        ));
        let r = req(Method::POST, "/x", Some(JSON_CONTENT_TYPE), "{");
        assert!(matches!(
            request_params(&r),
            Err(FromHttpRequestError::BadJson(_))
        ));
    }

    #[test]
    fn oversized_bodies_are_refused() {
        let big = "a".repeat(MAX_BODY_BYTES + 1);
        let r = req(Method::POST, "/x", None, &big);
        assert!(matches!(
            request_params(&r),
            Err(FromHttpRequestError::TooLarge { .. })
        ));
    }
}
