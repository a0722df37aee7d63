//! `POST /chat/Dialog/{id}/block`: block users of a public or broadcast dialog (admins and the owner).
//!
//! The SDK has no call for block lists and the server documentation only names the route
//! (`chat/dialog/{id}/block`, in a commented-out section), so the shape is this crate's choice:
//! the dialog in the path and `{"user_ids": [5, 6]}` in a JSON body, answered with an empty
//! `200`. [`unblock_users`](super::unblock_users) is the same path with `DELETE`. A blocked user
//! can no longer send to the dialog, subscribe to it or read its history, and is unsubscribed.

use cube_model::{DialogId, UserId};
use http::Method;
use serde_json::json;

use crate::Endpoint;
use crate::codec::{self, Body};
use crate::error::{FromHttpRequestError, IntoHttpError};
use crate::metadata::{AuthKind, Metadata};
use crate::params::{Fields, path_one};

/// The dialog in the path and `{"user_ids": [..]}`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Request {
    /// The dialog.
    pub id: DialogId,
    /// The users to block, at least one and at most [`crate::MAX_IDS`].
    pub user_ids: Vec<UserId>,
}

impl Request {
    /// Blocks `user_ids` in dialog `id`.
    pub fn new(id: DialogId, user_ids: impl IntoIterator<Item = UserId>) -> Self {
        Request {
            id,
            user_ids: user_ids.into_iter().collect(),
        }
    }
}

impl Endpoint for Request {
    const METADATA: Metadata = Metadata {
        name: "block_users",
        method: Method::POST,
        path: "/chat/Dialog/{id}/block",
        auth: AuthKind::UserSession,
        text_response: true,
    };
    type Response = Response;

    fn try_into_http_request(
        &self,
        base_url: &str,
        token: Option<&str>,
    ) -> Result<http::Request<Vec<u8>>, IntoHttpError> {
        if self.user_ids.is_empty() {
            return Err(IntoHttpError::InvalidField {
                field: "user_ids",
                reason: "at least one id is needed",
            });
        }
        let id = self.id.to_string();
        let ids: Vec<u64> = self.user_ids.iter().map(|u| u.get()).collect();
        codec::build_request(
            &Self::METADATA,
            base_url,
            &[&id],
            token,
            &[],
            "",
            Body::Json(json!({ "user_ids": ids })),
        )
    }

    fn try_from_http_request<B: AsRef<[u8]>>(
        req: &http::Request<B>,
        path_args: &[String],
    ) -> Result<Self, FromHttpRequestError> {
        let id = path_one(path_args, 0, "id", "a dialog id")?;
        let params = codec::request_params(req)?;
        Ok(Request {
            id,
            user_ids: super::required_user_ids(&Fields::new(&params))?,
        })
    }
}

empty_response!();
