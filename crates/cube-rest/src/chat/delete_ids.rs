//! The wire shape shared by the id-list deletes (`DELETE /chat/Dialog/{ids}`,
//! `DELETE /chat/Message/{ids}`): ids in the path, `force=1` in a form body (or, tolerated,
//! the query string), and a text answer that may hold a per-id result object.

use std::fmt::Display;
use std::str::FromStr;

use http::StatusCode;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::codec::{self, Body, MAX_IDS};
use crate::error::{FromHttpRequestError, FromHttpResponseError, IntoHttpError};
use crate::metadata::Metadata;
use crate::params::{Fields, path_list};

/// Builds the request: `ids` joined into the path, `force=1` as a form body when set.
pub(super) fn build_request<I: Display>(
    meta: &Metadata,
    ids: &[I],
    force: bool,
    base_url: &str,
    token: Option<&str>,
) -> Result<http::Request<Vec<u8>>, IntoHttpError> {
    if ids.is_empty() {
        return Err(IntoHttpError::InvalidField {
            field: "ids",
            reason: "at least one id is needed",
        });
    }
    let ids = super::join_path(ids);
    let body = if force {
        Body::Form("force=1".to_owned())
    } else {
        Body::Empty
    };
    codec::build_request(meta, base_url, &[&ids], token, &[], "", body)
}

/// Parses the ids (`noun` names them in errors, e.g. "dialog ids") and `force`.
pub(super) fn parse_request<I: FromStr, B: AsRef<[u8]>>(
    req: &http::Request<B>,
    path_args: &[String],
    noun: &str,
) -> Result<(Vec<I>, bool), FromHttpRequestError> {
    let ids = path_list(
        path_args.first().map_or("", String::as_str),
        "ids",
        noun,
        MAX_IDS,
    )?;
    let params = codec::request_params(req)?;
    let force = Fields::new(&params).flag("force")?.unwrap_or(false);
    Ok((ids, force))
}

/// An empty `200` without a result, the result object with one.
pub(super) fn build_response<R: Serialize>(
    result: Option<&R>,
) -> Result<http::Response<Vec<u8>>, IntoHttpError> {
    match result {
        None => codec::empty_response(),
        Some(r) => codec::json_response(StatusCode::OK, r),
    }
}

/// Any 2xx is success; the result is decoded whenever the body holds it.
pub(super) fn parse_response<R: DeserializeOwned, B: AsRef<[u8]>>(
    resp: &http::Response<B>,
) -> Result<Option<R>, FromHttpResponseError> {
    codec::check_status(resp)?;
    Ok(codec::lenient_json(resp.body().as_ref()))
}
