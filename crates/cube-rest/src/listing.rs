//! Filters, sort and paging of list requests ([`cube_model::Query`]) on both sides of the wire.

use cube_model::{FilterError, FilterValue, ListStyle, Query};

use crate::codec::MAX_IDS;
use crate::error::FromHttpRequestError;
use crate::query::{self, QueryBuilder};

/// Writes `q` into `out`; list values are string-sorted first, as the JS SDK sorts arrays.
pub(crate) fn write_query(q: &Query, style: ListStyle, out: &mut QueryBuilder) {
    let mut q = q.clone();
    for f in &mut q.filters {
        if let FilterValue::Many(values) = &mut f.value {
            values.sort();
        }
    }
    for (key, value) in q.to_pairs(style) {
        out.pair(&key, &value);
    }
}

/// A filter error as a 422 keyed by the offending parameter.
fn filter_error(e: FilterError) -> FromHttpRequestError {
    let field = match &e {
        FilterError::UnknownOp { key, .. }
        | FilterError::BadNumber { key, .. }
        | FilterError::BadFlag { key, .. }
        | FilterError::BadKey(key) => key.clone(),
        FilterError::BadValue { field, .. } => field.clone(),
        _ => "base".to_owned(),
    };
    FromHttpRequestError::invalid(field, e.to_string())
}

/// Keys whose value the JS SDK may stringify from `null` (wire.md §9.12): ignored when `"null"`.
const PAGING_KEYS: [&str; 6] = ["limit", "skip", "offset", "count", "sort_asc", "sort_desc"];

/// Reads the query string of `req` as a [`Query`]; a list longer than [`MAX_IDS`] is refused.
///
/// The JS SDK's stringified `undefined` (any key) and `null` (paging keys) are ignored: they
/// mean the caller gave no value (wire.md §9.12).
pub(crate) fn read_query<B>(req: &http::Request<B>) -> Result<Query, FromHttpRequestError> {
    let mut pairs = query::pairs(req.uri().query().unwrap_or(""))?;
    pairs.retain(|(k, v)| v != "undefined" && !(v == "null" && PAGING_KEYS.contains(&k.as_str())));
    let q = Query::parse(pairs).map_err(filter_error)?;
    for f in &q.filters {
        if f.values().len() > MAX_IDS {
            return Err(FromHttpRequestError::TooManyItems {
                field: f.field.clone(),
                max: MAX_IDS,
            });
        }
    }
    Ok(q)
}

/// Removes the equality filter `field` and parses it as `T`.
pub(crate) fn take_parsed<T: std::str::FromStr>(
    q: &mut Query,
    field: &str,
    what: &str,
) -> Result<Option<T>, FromHttpRequestError> {
    match q.take_eq(field) {
        None => Ok(None),
        Some(v) => v
            .trim()
            .parse()
            .map(Some)
            .map_err(|_| FromHttpRequestError::invalid(field, format!("must be {what}"))),
    }
}

/// Removes the equality filter `field` and reads it as a `1`/`0` flag.
pub(crate) fn take_flag(q: &mut Query, field: &str) -> Result<Option<bool>, FromHttpRequestError> {
    match q.take_eq(field).as_deref().map(str::trim) {
        None => Ok(None),
        Some("1" | "true") => Ok(Some(true)),
        Some("0" | "false" | "") => Ok(Some(false)),
        Some(_) => Err(FromHttpRequestError::invalid(field, "must be 1 or 0")),
    }
}
