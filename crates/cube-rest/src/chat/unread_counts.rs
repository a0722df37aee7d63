//! `GET /chat/Message/unread`: count unread messages, in total and per dialog.

use cube_model::{DialogId, UnreadCounts};
use http::{Method, StatusCode};

use crate::Endpoint;
use crate::codec::{self, Body, MAX_IDS};
use crate::error::{FromHttpRequestError, IntoHttpError};
use crate::metadata::{AuthKind, Metadata};
use crate::params::Fields;
use crate::query::QueryBuilder;

/// `chat_dialog_ids=a, b` (the SDK joins with a comma and a space); none means every dialog.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Request {
    /// The dialogs to count; empty for all of the user's dialogs.
    pub chat_dialog_ids: Vec<DialogId>,
}

impl Request {
    /// Counts for `ids` (empty for every dialog).
    pub fn new(ids: impl IntoIterator<Item = DialogId>) -> Self {
        Request {
            chat_dialog_ids: ids.into_iter().collect(),
        }
    }
}

impl Endpoint for Request {
    const METADATA: Metadata = Metadata {
        name: "unread_counts",
        method: Method::GET,
        path: "/chat/Message/unread",
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
        if !self.chat_dialog_ids.is_empty() {
            q.scalar(
                "chat_dialog_ids",
                super::join_comma_space(&self.chat_dialog_ids),
            );
        }
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
            chat_dialog_ids: Fields::new(&params)
                .list("chat_dialog_ids", "dialog ids", MAX_IDS)?
                .unwrap_or_default(),
        })
    }
}

json_response!(
    /// `200 {"total": n, "<dialog id>": n, ...}`.
    counts: UnreadCounts,
    StatusCode::OK
);
