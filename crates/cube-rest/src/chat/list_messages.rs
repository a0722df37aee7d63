//! `GET /chat/Message`: page through a dialog's history, with filters and sort.

use cube_model::{DialogId, ListStyle, Message, Page, Query};
use http::{Method, StatusCode};

use crate::Endpoint;
use crate::codec::{self, Body};
use crate::error::{FromHttpRequestError, IntoHttpError};
use crate::listing;
use crate::metadata::{AuthKind, Metadata};
use crate::query::QueryBuilder;

/// `chat_dialog_id`, filters (`date_sent[lt]`, `_id[nin]`...), `sort_asc|sort_desc`, `limit`,
/// `skip`, `mark_as_read` and `preview`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Request {
    /// The dialog.
    pub chat_dialog_id: DialogId,
    /// Filters, sort and paging (`limit`, `skip`).
    pub query: Query,
    /// Mark the returned messages as read (the server's default); `false` sends `mark_as_read=0`.
    pub mark_as_read: bool,
    /// `preview=1`: a non-member's look at the last messages, when the dialog allows it.
    pub preview: bool,
}

impl Request {
    /// The messages of `chat_dialog_id` matching `query`.
    pub fn new(chat_dialog_id: DialogId, query: Query) -> Self {
        Request {
            chat_dialog_id,
            query,
            mark_as_read: true,
            preview: false,
        }
    }

    /// Sets `mark_as_read`.
    pub fn with_mark_as_read(mut self, v: bool) -> Self {
        self.mark_as_read = v;
        self
    }

    /// Sets `preview`.
    pub fn with_preview(mut self, v: bool) -> Self {
        self.preview = v;
        self
    }
}

impl Endpoint for Request {
    const METADATA: Metadata = Metadata {
        name: "list_messages",
        method: Method::GET,
        path: "/chat/Message",
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
        q.scalar("chat_dialog_id", self.chat_dialog_id);
        if !self.mark_as_read {
            q.scalar("mark_as_read", 0);
        }
        if self.preview {
            q.scalar("preview", 1);
        }
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
        let mut query = listing::read_query(req)?;
        let chat_dialog_id = listing::take_parsed(&mut query, "chat_dialog_id", "a dialog id")?
            .ok_or_else(|| FromHttpRequestError::missing("chat_dialog_id"))?;
        let mark_as_read = listing::take_flag(&mut query, "mark_as_read")?.unwrap_or(true);
        let preview = listing::take_flag(&mut query, "preview")?.unwrap_or(false);
        Ok(Request {
            chat_dialog_id,
            query,
            mark_as_read,
            preview,
        })
    }
}

json_response!(
    /// `200 {"skip", "limit", "items": [message, ...]}` (no `total_entries`).
    page: Page<Message>,
    StatusCode::OK
);
