//! `GET /users/v2`: search users with filters, sort and `offset`/`limit` paging.

use cube_model::{ListStyle, Page, Query, User};
use http::{Method, StatusCode};

use crate::codec::{self, Body};
use crate::error::{FromHttpRequestError, FromHttpResponseError, IntoHttpError};
use crate::listing;
use crate::metadata::{AuthKind, Metadata};
use crate::query::QueryBuilder;
use crate::{Endpoint, EndpointResponse};

/// Filters (`login=alice`, `id[in][]=5`, `created_at[gt]=..`), `sort_asc|sort_desc`, `offset`,
/// `limit`, written in the SDK's array mode (`id[in][]=5&id[in][]=6`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Request {
    /// Filters, sort and paging (`offset` and `limit`).
    pub query: Query,
}

impl Request {
    /// A search with `query`.
    pub fn new(query: Query) -> Self {
        Request { query }
    }
}

impl Endpoint for Request {
    const METADATA: Metadata = Metadata {
        name: "list_users",
        method: Method::GET,
        path: "/users/v2",
        auth: AuthKind::AppSession,
        text_response: false,
    };
    type Response = Response;

    fn try_into_http_request(
        &self,
        base_url: &str,
        token: Option<&str>,
    ) -> Result<http::Request<Vec<u8>>, IntoHttpError> {
        let mut q = QueryBuilder::array_mode();
        listing::write_query(&self.query, ListStyle::Brackets, &mut q);
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

/// `200 {"limit", "skip", "total_entries", "items": [user, ...]}`, items not wrapped.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Response {
    /// The page of users.
    pub page: Page<User>,
}

impl Response {
    /// A response with `page`.
    pub fn new(page: Page<User>) -> Self {
        Response { page }
    }
}

impl EndpointResponse for Response {
    fn try_into_http_response(&self) -> Result<http::Response<Vec<u8>>, IntoHttpError> {
        codec::json_response(StatusCode::OK, &self.page)
    }

    fn try_from_http_response<B: AsRef<[u8]>>(
        resp: &http::Response<B>,
    ) -> Result<Self, FromHttpResponseError> {
        codec::decode_json(resp).map(Response::new)
    }
}
