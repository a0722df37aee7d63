//! `POST /chat/Dialog`: create a dialog (the creator becomes its owner and an occupant).

use std::collections::BTreeMap;

use cube_model::{Dialog, DialogType, Permissions, UserId};
use http::{Method, StatusCode};
use serde_json::{Map, Value};

use crate::Endpoint;
use crate::codec::{self, Body, MAX_IDS};
use crate::error::{FromHttpRequestError, IntoHttpError};
use crate::metadata::{AuthKind, Metadata};
use crate::params::Fields;

/// The new dialog's fields.
///
/// `occupants_ids` and `admins_ids` are sent as the SDK sends them, one `"6, 7"` string; they
/// are read as arrays, `"6,7"` or `"6, 7"` (and form bodies, `occupants_ids=1,2&type=3`).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Request {
    /// `type` (required).
    pub dialog_type: DialogType,
    /// `name` (required by the server for broadcast, group and public dialogs).
    pub name: Option<String>,
    /// `occupants_ids` (required by the server for group and private dialogs).
    pub occupants_ids: Vec<UserId>,
    /// `admins_ids`.
    pub admins_ids: Vec<UserId>,
    /// `description`.
    pub description: Option<String>,
    /// `photo`.
    pub photo: Option<String>,
    /// `extensions`, values as strings.
    pub extensions: Option<BTreeMap<String, String>>,
    /// `permissions`.
    pub permissions: Option<Permissions>,
}

impl Request {
    /// A dialog of `dialog_type` with `occupants_ids`.
    pub fn new(dialog_type: DialogType, occupants_ids: impl IntoIterator<Item = UserId>) -> Self {
        Request {
            dialog_type,
            name: None,
            occupants_ids: occupants_ids.into_iter().collect(),
            admins_ids: Vec::new(),
            description: None,
            photo: None,
            extensions: None,
            permissions: None,
        }
    }

    /// Sets `name`.
    pub fn with_name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
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

    /// Sets `admins_ids`.
    pub fn with_admins(mut self, ids: impl IntoIterator<Item = UserId>) -> Self {
        self.admins_ids = ids.into_iter().collect();
        self
    }

    /// Adds one `extensions` entry.
    pub fn with_extension(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.extensions
            .get_or_insert_with(BTreeMap::new)
            .insert(key.into(), value.into());
        self
    }

    /// Sets `permissions`.
    pub fn with_permissions(mut self, p: Permissions) -> Self {
        self.permissions = Some(p);
        self
    }
}

impl Endpoint for Request {
    const METADATA: Metadata = Metadata {
        name: "create_dialog",
        method: Method::POST,
        path: "/chat/Dialog",
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
        body.insert("type".into(), self.dialog_type.code().into());
        if let Some(name) = &self.name {
            body.insert("name".into(), name.as_str().into());
        }
        if !self.occupants_ids.is_empty() {
            body.insert(
                "occupants_ids".into(),
                super::join_comma_space(&self.occupants_ids).into(),
            );
        }
        if !self.admins_ids.is_empty() {
            body.insert(
                "admins_ids".into(),
                super::join_comma_space(&self.admins_ids).into(),
            );
        }
        if let Some(v) = &self.description {
            body.insert("description".into(), v.as_str().into());
        }
        if let Some(v) = &self.photo {
            body.insert("photo".into(), v.as_str().into());
        }
        if let Some(ext) = &self.extensions {
            body.insert("extensions".into(), super::extensions_json(ext));
        }
        if let Some(p) = &self.permissions {
            body.insert("permissions".into(), super::permissions_json(p));
        }
        codec::build_request(
            &Self::METADATA,
            base_url,
            &[],
            token,
            &[],
            "",
            Body::Json(Value::Object(body)),
        )
    }

    fn try_from_http_request<B: AsRef<[u8]>>(
        req: &http::Request<B>,
        _path_args: &[String],
    ) -> Result<Self, FromHttpRequestError> {
        let params = codec::request_params(req)?;
        let f = Fields::new(&params);
        Ok(Request {
            dialog_type: f.required("type", "a dialog type number")?,
            name: f.string("name")?,
            occupants_ids: f
                .list("occupants_ids", "user ids", MAX_IDS)?
                .unwrap_or_default(),
            admins_ids: f
                .list("admins_ids", "user ids", MAX_IDS)?
                .unwrap_or_default(),
            description: f.string("description")?,
            photo: f.string("photo")?,
            extensions: super::read_extensions(&f)?.filter(|e| !e.is_empty()),
            permissions: super::read_permissions(&f)?,
        })
    }
}

json_response!(
    /// The created dialog: `201` and the bare dialog object.
    dialog: Dialog,
    StatusCode::CREATED
);
