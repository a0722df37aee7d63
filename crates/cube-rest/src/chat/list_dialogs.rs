//! `GET /chat/Dialog`: list the dialogs the user is in, with filters, sort and paging.

use cube_model::{Dialog, ListStyle, Page, Query};
use http::{Method, StatusCode};
use serde_json::Value;

use crate::codec::{self, Body};
use crate::error::{FromHttpRequestError, FromHttpResponseError, IntoHttpError};
use crate::listing;
use crate::metadata::{AuthKind, Metadata};
use crate::query::QueryBuilder;
use crate::{Endpoint, EndpointResponse};

/// Filters (`type[in]=2,3`, `name[ctn]=..`, `updated_at[gt]=..`), `sort_asc|sort_desc`,
/// `limit`, `skip` and `count`, written as the SDK writes them (`type[in]=2%2C3`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Request {
    /// Filters, sort, paging (`limit`, `skip`) and the `count` flag.
    pub query: Query,
}

impl Request {
    /// A listing with `query`.
    pub fn new(query: Query) -> Self {
        Request { query }
    }
}

impl Endpoint for Request {
    const METADATA: Metadata = Metadata {
        name: "list_dialogs",
        method: Method::GET,
        path: "/chat/Dialog",
        auth: AuthKind::UserSession,
        text_response: false,
    };
    type Response = Response;

    fn try_into_http_request(
        &self,
        base_url: &str,
        token: Option<&str>,
    ) -> Result<http::Request<Vec<u8>>, IntoHttpError> {
        let mut q = QueryBuilder::new();
        listing::write_query(&self.query, ListStyle::Comma, &mut q);
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
        Ok(Request {
            query: listing::read_query(req)?,
        })
    }
}

/// A page of dialogs, or only their number when `count=1` was asked.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Response {
    /// `200 {"total_entries", "skip", "limit", "items": [dialog, ...]}`.
    Page(Page<Dialog>),
    /// `200 {"items_count": n}`, the answer to `count=1`.
    Count(u64),
}

impl EndpointResponse for Response {
    fn try_into_http_response(&self) -> Result<http::Response<Vec<u8>>, IntoHttpError> {
        match self {
            Response::Page(page) => codec::json_response(StatusCode::OK, page),
            Response::Count(n) => {
                codec::json_response(StatusCode::OK, &serde_json::json!({ "items_count": n }))
            }
        }
    }

    fn try_from_http_response<B: AsRef<[u8]>>(
        resp: &http::Response<B>,
    ) -> Result<Self, FromHttpResponseError> {
        let value: Value = codec::decode_json(resp)?;
        if value.get("items").is_none() {
            if let Some(n) = value.get("items_count").and_then(Value::as_u64) {
                return Ok(Response::Count(n));
            }
        }
        serde_json::from_value(value)
            .map(Response::Page)
            .map_err(|source| FromHttpResponseError::Deserialization {
                status: resp.status(),
                source,
            })
    }
}
