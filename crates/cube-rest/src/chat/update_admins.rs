//! `PUT /chat/Dialog/{id}/admins`: add or remove dialog admins (the owner only).

use cube_model::{Dialog, DialogId, UserId};
use http::{Method, StatusCode};
use serde_json::{Map, Value, json};

use crate::Endpoint;
use crate::codec::{self, Body, MAX_IDS};
use crate::error::{FromHttpRequestError, IntoHttpError};
use crate::metadata::{AuthKind, Metadata};
use crate::params::{Fields, path_one};

/// `{"push_all":{"admins_ids":[..]}}` and/or `{"pull_all":{"admins_ids":[..]}}`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Request {
    /// The dialog.
    pub id: DialogId,
    /// Users to make admins.
    pub push: Vec<UserId>,
    /// Users to demote.
    pub pull: Vec<UserId>,
}

impl Request {
    /// Makes `ids` admins of dialog `id`.
    pub fn add(id: DialogId, ids: impl IntoIterator<Item = UserId>) -> Self {
        Request {
            id,
            push: ids.into_iter().collect(),
            pull: Vec::new(),
        }
    }

    /// Removes `ids` from the admins of dialog `id`.
    pub fn remove(id: DialogId, ids: impl IntoIterator<Item = UserId>) -> Self {
        Request {
            id,
            push: Vec::new(),
            pull: ids.into_iter().collect(),
        }
    }
}

fn admins(ids: &[UserId]) -> Value {
    json!({ "admins_ids": ids.iter().map(|i| i.get()).collect::<Vec<_>>() })
}

impl Endpoint for Request {
    const METADATA: Metadata = Metadata {
        name: "update_admins",
        method: Method::PUT,
        path: "/chat/Dialog/{id}/admins",
        auth: AuthKind::UserSession,
        text_response: false,
    };
    type Response = Response;

    fn try_into_http_request(
        &self,
        base_url: &str,
        token: Option<&str>,
    ) -> Result<http::Request<Vec<u8>>, IntoHttpError> {
        let mut body = Map::new();
        if !self.push.is_empty() {
            body.insert("push_all".into(), admins(&self.push));
        }
        if !self.pull.is_empty() {
            body.insert("pull_all".into(), admins(&self.pull));
        }
        let id = self.id.to_string();
        codec::build_request(
            &Self::METADATA,
            base_url,
            &[&id],
            token,
            &[],
            "",
            Body::Json(Value::Object(body)),
        )
    }

    fn try_from_http_request<B: AsRef<[u8]>>(
        req: &http::Request<B>,
        path_args: &[String],
    ) -> Result<Self, FromHttpRequestError> {
        let id = path_one(path_args, 0, "id", "a dialog id")?;
        let params = codec::request_params(req)?;
        let f = Fields::new(&params);
        let read = |key: &'static str| -> Result<Vec<UserId>, FromHttpRequestError> {
            match f.object(key)? {
                Some(o) => Ok(o
                    .list("admins_ids", "user ids", MAX_IDS)?
                    .unwrap_or_default()),
                None => Ok(Vec::new()),
            }
        };
        Ok(Request {
            id,
            push: read("push_all")?,
            pull: read("pull_all")?,
        })
    }
}

json_response!(
    /// The updated dialog: `200` and the bare dialog object.
    dialog: Dialog,
    StatusCode::OK
);
