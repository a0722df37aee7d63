//! `GET /chat/Dialog/{id}/occupants`: page through the users subscribed to a public dialog.

use cube_model::{DialogId, Page, User};
use http::{Method, StatusCode};

use crate::Endpoint;
use crate::codec::{self, Body};
use crate::error::{FromHttpRequestError, IntoHttpError};
use crate::metadata::{AuthKind, Metadata};
use crate::params::{Fields, path_one};
use crate::query::QueryBuilder;

/// The dialog's id in the path, `limit` and `skip` in the query.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Request {
    /// The dialog.
    pub id: DialogId,
    /// Page size.
    pub limit: Option<u64>,
    /// Entries to skip.
    pub skip: Option<u64>,
}

impl Request {
    /// The first page of dialog `id`'s occupants, server-sized.
    pub fn new(id: DialogId) -> Self {
        Request {
            id,
            limit: None,
            skip: None,
        }
    }

    /// Sets `limit` and `skip`.
    pub fn with_page(mut self, limit: u64, skip: u64) -> Self {
        self.limit = Some(limit);
        self.skip = Some(skip);
        self
    }
}

impl Endpoint for Request {
    const METADATA: Metadata = Metadata {
        name: "list_occupants",
        method: Method::GET,
        path: "/chat/Dialog/{id}/occupants",
        auth: AuthKind::UserSession,
        text_response: false,
    };
    type Response = Response;

    fn try_into_http_request(
        &self,
        base_url: &str,
        token: Option<&str>,
    ) -> Result<http::Request<Vec<u8>>, IntoHttpError> {
        let id = self.id.to_string();
        let mut q = QueryBuilder::new();
        q.opt("limit", self.limit).opt("skip", self.skip);
        codec::build_request(
            &Self::METADATA,
            base_url,
            &[&id],
            token,
            &[],
            &q.finish(),
            Body::Empty,
        )
    }

    fn try_from_http_request<B: AsRef<[u8]>>(
        req: &http::Request<B>,
        path_args: &[String],
    ) -> Result<Self, FromHttpRequestError> {
        let id = path_one(path_args, 0, "id", "a dialog id")?;
        let params = codec::request_params(req)?;
        let f = Fields::new(&params);
        Ok(Request {
            id,
            limit: f.parse("limit", "a non-negative integer")?,
            skip: f.parse("skip", "a non-negative integer")?,
        })
    }
}

json_response!(
    /// `200 {"items": [user, ...]}` (paging fields when the server sends them).
    page: Page<User>,
    StatusCode::OK
);
