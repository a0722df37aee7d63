//! `PUT /chat/Message/{id}/reactions`: add, remove or replace the current user's reaction to a message.
//!
//! `{"add": "🔥"}`, `{"remove": "🔥"}` or both (`updateReaction` in the SDK), answered with an
//! empty `200`. A user has one reaction type per message: adding another replaces it.

use cube_model::MessageId;
use http::Method;
use serde_json::{Map, Value};

use crate::Endpoint;
use crate::codec::{self, Body};
use crate::error::{FromHttpRequestError, IntoHttpError};
use crate::metadata::{AuthKind, Metadata};
use crate::params::{Fields, path_one};

/// The message in the path and `{"add": .., "remove": ..}`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Request {
    /// The message.
    pub id: MessageId,
    /// `add`: the reaction to add (an emoji).
    pub add: Option<String>,
    /// `remove`: the reaction to take back.
    pub remove: Option<String>,
}

impl Request {
    /// Adds `reaction` to message `id`.
    pub fn add(id: MessageId, reaction: impl Into<String>) -> Self {
        Request {
            id,
            add: Some(reaction.into()),
            remove: None,
        }
    }

    /// Removes `reaction` from message `id`.
    pub fn remove(id: MessageId, reaction: impl Into<String>) -> Self {
        Request {
            id,
            add: None,
            remove: Some(reaction.into()),
        }
    }

    /// Replaces `old` with `new` on message `id`.
    pub fn replace(id: MessageId, new: impl Into<String>, old: impl Into<String>) -> Self {
        Request {
            id,
            add: Some(new.into()),
            remove: Some(old.into()),
        }
    }
}

impl Endpoint for Request {
    const METADATA: Metadata = Metadata {
        name: "update_reactions",
        method: Method::PUT,
        path: "/chat/Message/{id}/reactions",
        auth: AuthKind::UserSession,
        text_response: true,
    };
    type Response = Response;

    fn try_into_http_request(
        &self,
        base_url: &str,
        token: Option<&str>,
    ) -> Result<http::Request<Vec<u8>>, IntoHttpError> {
        if self.add.is_none() && self.remove.is_none() {
            return Err(IntoHttpError::InvalidField {
                field: "add",
                reason: "give a reaction to add or to remove",
            });
        }
        let mut body = Map::new();
        if let Some(r) = &self.add {
            body.insert("add".into(), r.as_str().into());
        }
        if let Some(r) = &self.remove {
            body.insert("remove".into(), r.as_str().into());
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
        let id = path_one(path_args, 0, "id", "a message id")?;
        let params = codec::request_params(req)?;
        let f = Fields::new(&params);
        let add = f.string("add")?.filter(|s| !s.is_empty());
        let remove = f.string("remove")?.filter(|s| !s.is_empty());
        if add.is_none() && remove.is_none() {
            return Err(FromHttpRequestError::missing("add"));
        }
        Ok(Request { id, add, remove })
    }
}

empty_response!();
