//! `DELETE /chat/Dialog/{id}/block`: unblock users of a public or broadcast dialog (admins and the owner).
//!
//! The counterpart of [`block_users`](super::block_users), shaped like the other `DELETE`s:
//! `user_ids=5%2C6` in a form body (the query string is read too), answered with an empty `200`.
//! Unblocking does not subscribe the user again.

use cube_model::{DialogId, UserId};
use http::Method;

use crate::Endpoint;
use crate::codec::{self, Body};
use crate::error::{FromHttpRequestError, IntoHttpError};
use crate::metadata::{AuthKind, Metadata};
use crate::params::{Fields, path_one};
use crate::query::encode_component;

/// The dialog in the path and `user_ids=5,6` in a form body.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Request {
    /// The dialog.
    pub id: DialogId,
    /// The users to unblock, at least one and at most [`crate::MAX_IDS`].
    pub user_ids: Vec<UserId>,
}

impl Request {
    /// Unblocks `user_ids` in dialog `id`.
    pub fn new(id: DialogId, user_ids: impl IntoIterator<Item = UserId>) -> Self {
        Request {
            id,
            user_ids: user_ids.into_iter().collect(),
        }
    }
}

impl Endpoint for Request {
    const METADATA: Metadata = Metadata {
        name: "unblock_users",
        method: Method::DELETE,
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
        let form = format!(
            "user_ids={}",
            encode_component(&super::join_path(&self.user_ids))
        );
        codec::build_request(
            &Self::METADATA,
            base_url,
            &[&id],
            token,
            &[],
            "",
            Body::Form(form),
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
