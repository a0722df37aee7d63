//! `GET /chat/Dialog/{id}/notifications`: whether push notifications are on for a dialog.

use cube_model::DialogId;
use http::Method;

use crate::Endpoint;
use crate::codec::{self, Body};
use crate::error::{FromHttpRequestError, IntoHttpError};
use crate::metadata::{AuthKind, Metadata};
use crate::params::path_one;

/// The dialog's id, in the path.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Request {
    /// The dialog.
    pub id: DialogId,
}

impl Request {
    /// Reads the settings of dialog `id`.
    pub fn new(id: DialogId) -> Self {
        Request { id }
    }
}

impl Endpoint for Request {
    const METADATA: Metadata = Metadata {
        name: "get_notifications",
        method: Method::GET,
        path: "/chat/Dialog/{id}/notifications",
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
        codec::build_request(
            &Self::METADATA,
            base_url,
            &[&id],
            token,
            &[],
            "",
            Body::Empty,
        )
    }

    fn try_from_http_request<B: AsRef<[u8]>>(
        _req: &http::Request<B>,
        path_args: &[String],
    ) -> Result<Self, FromHttpRequestError> {
        Ok(Request {
            id: path_one(path_args, 0, "id", "a dialog id")?,
        })
    }
}

/// `200 {"notifications": {"enabled": 1|0}}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Response {
    /// Whether notifications are on.
    pub enabled: bool,
}

impl Response {
    /// A response saying `enabled`.
    pub fn new(enabled: bool) -> Self {
        Response { enabled }
    }
}

impl crate::EndpointResponse for Response {
    fn try_into_http_response(&self) -> Result<http::Response<Vec<u8>>, IntoHttpError> {
        codec::json_response(
            http::StatusCode::OK,
            &cube_model::NotificationsEnvelope::new(self.enabled),
        )
    }

    fn try_from_http_response<B: AsRef<[u8]>>(
        resp: &http::Response<B>,
    ) -> Result<Self, crate::FromHttpResponseError> {
        codec::decode_json::<cube_model::NotificationsEnvelope, B>(resp)
            .map(|e| Response::new(e.notifications.enabled))
    }
}
