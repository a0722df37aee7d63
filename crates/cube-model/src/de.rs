//! Tolerant decoding helpers shared by the wire types.
//!
//! Real clients and servers disagree on scalar types (ids as numbers or strings, flags as
//! booleans or `0`/`1`); these helpers accept every form seen on the wire and are used through
//! `#[serde(deserialize_with = "...")]`. Encoding never goes through them: it stays exact.

use std::collections::BTreeMap;

use serde::de::{Deserializer, Error as _};
use serde::{Deserialize, Serializer};
use serde_json::Value;

/// Reads any JSON value; the common first step of every tolerant decoder.
fn value<'de, D: Deserializer<'de>>(d: D) -> Result<Value, D::Error> {
    Value::deserialize(d)
}

/// Interprets a JSON value as an unsigned integer: a number (integral) or a numeric string.
pub(crate) fn value_to_u64(v: &Value) -> Option<u64> {
    match v {
        Value::Number(n) => n.as_u64().or_else(|| {
            n.as_f64()
                .filter(|f| f.fract() == 0.0 && *f >= 0.0 && *f <= u64::MAX as f64)
                .map(|f| f as u64)
        }),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// Interprets a JSON value as a signed integer: a number (integral) or a numeric string.
pub(crate) fn value_to_i64(v: &Value) -> Option<i64> {
    match v {
        Value::Number(n) => n.as_i64().or_else(|| {
            n.as_f64()
                .filter(|f| f.fract() == 0.0 && f.abs() <= i64::MAX as f64)
                .map(|f| f as i64)
        }),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// Interprets a JSON value as a flag: `true`/`false`, `0`/`1`, `"0"`/`"1"`, `"true"`/`"false"`.
pub(crate) fn value_to_bool(v: &Value) -> Option<bool> {
    match v {
        Value::Bool(b) => Some(*b),
        Value::Number(n) => n.as_f64().map(|f| f != 0.0),
        Value::String(s) => match s.trim() {
            "1" | "true" | "TRUE" | "True" => Some(true),
            "0" | "false" | "FALSE" | "False" | "" => Some(false),
            _ => None,
        },
        _ => None,
    }
}

/// Turns any JSON value into text: strings as they are, anything else as its compact JSON.
pub(crate) fn value_to_text(v: Value) -> String {
    match v {
        Value::String(s) => s,
        other => other.to_string(),
    }
}

/// Describes a JSON value's kind for error messages.
fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// `Option<String>`: null is `None`; numbers and other values are kept as their JSON text.
pub(crate) fn opt_text<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(match value(d)? {
        Value::Null => None,
        v => Some(value_to_text(v)),
    })
}

/// `Option<u64>`: number or numeric string; null and `""` are `None`.
pub(crate) fn opt_u64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    match value(d)? {
        Value::Null => Ok(None),
        Value::String(s) if s.trim().is_empty() => Ok(None),
        v => value_to_u64(&v).map(Some).ok_or_else(|| {
            D::Error::custom(format!("expected an unsigned integer, got {}", kind(&v)))
        }),
    }
}

/// `u64`: number or numeric string; null is `0`.
pub(crate) fn u64_or_zero<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    opt_u64(d).map(Option::unwrap_or_default)
}

/// `Option<i64>`: number or numeric string; null and `""` are `None`.
pub(crate) fn opt_i64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    match value(d)? {
        Value::Null => Ok(None),
        Value::String(s) if s.trim().is_empty() => Ok(None),
        v => value_to_i64(&v)
            .map(Some)
            .ok_or_else(|| D::Error::custom(format!("expected an integer, got {}", kind(&v)))),
    }
}

/// `i64`: number or numeric string; null is `0`.
pub(crate) fn i64_or_zero<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    opt_i64(d).map(Option::unwrap_or_default)
}

/// `Option<f64>`: number or numeric string; null and `""` are `None`.
pub(crate) fn opt_f64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
    match value(d)? {
        Value::Null => Ok(None),
        Value::String(s) if s.trim().is_empty() => Ok(None),
        Value::Number(n) => Ok(n.as_f64()),
        Value::String(s) => s
            .trim()
            .parse::<f64>()
            .ok()
            .filter(|f| f.is_finite())
            .map(Some)
            .ok_or_else(|| D::Error::custom("expected a number")),
        v => Err(D::Error::custom(format!(
            "expected a number, got {}",
            kind(&v)
        ))),
    }
}

/// `Option<bool>` from `true`/`false`, `0`/`1` or their string forms; null is `None`.
pub(crate) fn opt_bool<'de, D: Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
    match value(d)? {
        Value::Null => Ok(None),
        v => value_to_bool(&v)
            .map(Some)
            .ok_or_else(|| D::Error::custom(format!("expected a flag, got {}", kind(&v)))),
    }
}

/// `bool` from `true`/`false`, `0`/`1` or their string forms; null is `false`.
pub(crate) fn bool_flag<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    opt_bool(d).map(Option::unwrap_or_default)
}

/// Encodes a flag as the number `0` or `1`, as the API does.
#[allow(clippy::trivially_copy_pass_by_ref)] // serde's serialize_with hands us `&T`
pub(crate) fn ser_bool_as_int<S: Serializer>(b: &bool, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_u8(u8::from(*b))
}

/// Encodes an optional flag as `0`, `1` or null.
#[allow(clippy::ref_option, clippy::trivially_copy_pass_by_ref)] // serde hands us `&T`
pub(crate) fn ser_opt_bool_as_int<S: Serializer>(
    b: &Option<bool>,
    s: S,
) -> Result<S::Ok, S::Error> {
    match b {
        Some(b) => s.serialize_u8(u8::from(*b)),
        None => s.serialize_none(),
    }
}

/// Map of string to string; non-string values are stringified, null is an empty map.
pub(crate) fn string_map<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<BTreeMap<String, String>, D::Error> {
    match value(d)? {
        Value::Null => Ok(BTreeMap::new()),
        Value::Object(map) => Ok(map
            .into_iter()
            .filter(|(_, v)| !v.is_null())
            .map(|(k, v)| (k, value_to_text(v)))
            .collect()),
        v => Err(D::Error::custom(format!(
            "expected an object, got {}",
            kind(&v)
        ))),
    }
}
