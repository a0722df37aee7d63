//! `PUT /chat/Dialog/{id}`: rename, re-describe or re-configure a dialog, and add or remove
//! occupants, admins and pinned messages.

use std::collections::BTreeMap;

use cube_model::{Dialog, DialogId, Permissions};
use http::{Method, StatusCode};
use serde_json::{Map, Value};

use super::IdChanges;
use crate::Endpoint;
use crate::codec::{self, Body};
use crate::error::{FromHttpRequestError, IntoHttpError};
use crate::metadata::{AuthKind, Metadata};
use crate::params::{Fields, path_one};

/// The dialog's id in the path and the changes as JSON (lists stay JSON arrays).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Request {
    /// The dialog.
    pub id: DialogId,
    /// New `name`.
    pub name: Option<String>,
    /// New `description`.
    pub description: Option<String>,
    /// New `photo`.
    pub photo: Option<String>,
    /// New `extensions`; an empty map resets them (sent as `null`).
    pub extensions: Option<BTreeMap<String, String>>,
    /// New `permissions`.
    pub permissions: Option<Permissions>,
    /// `push_all`: ids to add.
    pub push_all: IdChanges,
    /// `pull_all`: ids to remove.
    pub pull_all: IdChanges,
}

impl Request {
    /// An update of dialog `id` that changes nothing yet.
    pub fn new(id: DialogId) -> Self {
        Request {
            id,
            name: None,
            description: None,
            photo: None,
            extensions: None,
            permissions: None,
            push_all: IdChanges::new(),
            pull_all: IdChanges::new(),
        }
    }

    /// Sets `name`.
    pub fn with_name(mut self, v: impl Into<String>) -> Self {
        self.name = Some(v.into());
        self
    }

    /// Sets `description`.
    pub fn with_description(mut self, v: impl Into<String>) -> Self {
        self.description = Some(v.into());
        self
    }

    /// Sets `photo`.
    pub fn with_photo(mut self, v: impl Into<String>) -> Self {
        self.photo = Some(v.into());
        self
    }

    /// Sets `extensions` (empty resets them).
    pub fn with_extensions(mut self, ext: BTreeMap<String, String>) -> Self {
        self.extensions = Some(ext);
        self
    }

    /// Sets `permissions`.
    pub fn with_permissions(mut self, p: Permissions) -> Self {
        self.permissions = Some(p);
        self
    }

    /// Sets `push_all`.
    pub fn with_push_all(mut self, c: IdChanges) -> Self {
        self.push_all = c;
        self
    }

    /// Sets `pull_all`.
    pub fn with_pull_all(mut self, c: IdChanges) -> Self {
        self.pull_all = c;
        self
    }
}

impl Endpoint for Request {
    const METADATA: Metadata = Metadata {
        name: "update_dialog",
        method: Method::PUT,
        path: "/chat/Dialog/{id}",
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
        for (key, value) in [
            ("name", &self.name),
            ("description", &self.description),
            ("photo", &self.photo),
        ] {
            if let Some(v) = value {
                body.insert(key.into(), v.as_str().into());
            }
        }
        if let Some(ext) = &self.extensions {
            body.insert("extensions".into(), super::extensions_json(ext));
        }
        if let Some(p) = &self.permissions {
            body.insert("permissions".into(), super::permissions_json(p));
        }
        if !self.push_all.is_empty() {
            body.insert("push_all".into(), Value::Object(self.push_all.to_json()));
        }
        if !self.pull_all.is_empty() {
            body.insert("pull_all".into(), Value::Object(self.pull_all.to_json()));
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
        Ok(Request {
            id,
            name: f.string("name")?,
            description: f.string("description")?,
            photo: f.string("photo")?,
            extensions: super::read_extensions(&f)?,
            permissions: super::read_permissions(&f)?,
            push_all: IdChanges::read(&f, "push_all")?,
            pull_all: IdChanges::read(&f, "pull_all")?,
        })
    }
}

json_response!(
    /// The updated dialog: `200` and the bare dialog object.
    dialog: Dialog,
    StatusCode::OK
);
