//! `GET /users/online`: the users connected to chat now, or only their number.

use cube_model::User;
use http::{Method, StatusCode};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::codec::{self, Body};
use crate::error::{FromHttpRequestError, FromHttpResponseError, IntoHttpError};
use crate::metadata::{AuthKind, Metadata};
use crate::params::Fields;
use crate::query::QueryBuilder;
use crate::{Endpoint, EndpointResponse};

/// `limit` and `offset` (`listOnline`), or `count=true` (`getOnlineCount`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Request {
    /// Page size.
    pub limit: Option<u64>,
    /// Users to skip.
    pub offset: Option<u64>,
    /// Ask for the number of online users only.
    pub count: bool,
}

impl Request {
    /// The first page of online users, at the server's default size.
    pub fn new() -> Self {
        Request::default()
    }

    /// The number of online users (`count=true`).
    pub fn count() -> Self {
        Request {
            count: true,
            ..Request::default()
        }
    }

    /// Sets `limit` and `offset`.
    pub fn with_page(mut self, limit: u64, offset: u64) -> Self {
        self.limit = Some(limit);
        self.offset = Some(offset);
        self
    }
}

impl Endpoint for Request {
    const METADATA: Metadata = Metadata {
        name: "list_online",
        method: Method::GET,
        path: "/users/online",
        auth: AuthKind::AppSession,
        text_response: false,
    };
    type Response = Response;

    fn try_into_http_request(
        &self,
        base_url: &str,
        token: Option<&str>,
    ) -> Result<http::Request<Vec<u8>>, IntoHttpError> {
        let mut q = QueryBuilder::new();
        if self.count {
            q.scalar("count", "true");
        }
        q.opt("limit", self.limit).opt("offset", self.offset);
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
        let f = Fields::new(&params);
        Ok(Request {
            limit: f.parse("limit", "a non-negative integer")?,
            offset: f.parse("offset", "a non-negative integer")?,
            count: f.flag("count")?.unwrap_or(false),
        })
    }
}

/// The online users, or only their number when `count=true` was asked.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Response {
    /// `200 {"users": [user, ...]}` (bare user objects).
    Users(Vec<User>),
    /// `200 {"count": n}`.
    Count(u64),
}

#[derive(Serialize, Deserialize)]
struct UsersBody {
    users: Vec<User>,
}

impl EndpointResponse for Response {
    fn try_into_http_response(&self) -> Result<http::Response<Vec<u8>>, IntoHttpError> {
        match self {
            Response::Users(users) => codec::json_response(
                StatusCode::OK,
                &UsersBody {
                    users: users.clone(),
                },
            ),
            Response::Count(n) => {
                codec::json_response(StatusCode::OK, &serde_json::json!({ "count": n }))
            }
        }
    }

    fn try_from_http_response<B: AsRef<[u8]>>(
        resp: &http::Response<B>,
    ) -> Result<Self, FromHttpResponseError> {
        let value: Value = codec::decode_json(resp)?;
        if value.get("users").is_none() {
            if let Some(n) = value.get("count").and_then(Value::as_u64) {
                return Ok(Response::Count(n));
            }
        }
        serde_json::from_value::<UsersBody>(value)
            .map(|b| Response::Users(b.users))
            .map_err(|source| FromHttpResponseError::Deserialization {
                status: resp.status(),
                source,
            })
    }
}
