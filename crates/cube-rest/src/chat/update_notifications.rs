//! `PUT /chat/Dialog/{id}/notifications`: turn push notifications of a dialog on or off.

use cube_model::DialogId;
use http::Method;
use serde_json::json;

use crate::Endpoint;
use crate::codec::{self, Body};
use crate::error::{FromHttpRequestError, IntoHttpError};
use crate::metadata::{AuthKind, Metadata};
use crate::params::{Fields, path_one};

/// The dialog's id in the path and `{"enabled": 1|0}`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Request {
    /// The dialog.
    pub id: DialogId,
    /// Whether notifications should be on.
    pub enabled: bool,
}

impl Request {
    /// Sets notifications of dialog `id` to `enabled`.
    pub fn new(id: DialogId, enabled: bool) -> Self {
        Request { id, enabled }
    }
}

impl Endpoint for Request {
    const METADATA: Metadata = Metadata {
        name: "update_notifications",
        method: Method::PUT,
        path: "/chat/Dialog/{id}/notifications",
        auth: AuthKind::UserSession,
        text_response: false,
    };
    type Response = super::get_notifications::Response;

    fn try_into_http_request(
        &self,
        base_url: &str,
        token: Option<&str>,
    ) -> Result<http::Request<Vec<u8>>, IntoHttpError> {
        let id = self.id.to_string();
        let body = json!({ "enabled": u8::from(self.enabled) });
        codec::build_request(
            &Self::METADATA,
            base_url,
            &[&id],
            token,
            &[],
            "",
            Body::Json(body),
        )
    }

    fn try_from_http_request<B: AsRef<[u8]>>(
        req: &http::Request<B>,
        path_args: &[String],
    ) -> Result<Self, FromHttpRequestError> {
        let id = path_one(path_args, 0, "id", "a dialog id")?;
        let params = codec::request_params(req)?;
        let enabled = Fields::new(&params)
            .flag("enabled")?
            .ok_or_else(|| FromHttpRequestError::missing("enabled"))?;
        Ok(Request { id, enabled })
    }
}

/// The settings after the change: the same shape as [`super::get_notifications::Response`].
pub type Response = super::get_notifications::Response;
