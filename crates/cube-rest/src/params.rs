//! Tolerant, typed reading of request parameters (server side).
//!
//! Parameters arrive as a JSON object, whether they came from a JSON body (numbers, arrays,
//! nested objects) or from a query string or form body (strings everywhere, `a[]` lists,
//! `a[0]` index-keyed objects). [`Fields`] reads both the same way: ids as numbers or strings,
//! lists as arrays, `"1,2"`, `"1, 2"` or index-keyed objects, flags as `1`/`0`/`true`/`false`.

use std::str::FromStr;

use serde_json::{Map, Value};

use crate::error::FromHttpRequestError;

type Result<T> = std::result::Result<T, FromHttpRequestError>;

/// A view over one level of parameters, naming nested fields `outer.inner` in errors.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Fields<'a> {
    map: &'a Map<String, Value>,
    prefix: Option<&'a str>,
}

/// A scalar as text: strings as they are, numbers and booleans printed.
fn scalar_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

impl<'a> Fields<'a> {
    /// The top level.
    pub(crate) fn new(map: &'a Map<String, Value>) -> Self {
        Fields { map, prefix: None }
    }

    /// The field's name as errors report it.
    pub(crate) fn name(&self, field: &str) -> String {
        match self.prefix {
            Some(p) => format!("{p}.{field}"),
            None => field.to_owned(),
        }
    }

    /// The raw value; JSON `null` counts as present.
    pub(crate) fn raw(&self, field: &str) -> Option<&'a Value> {
        self.map.get(field)
    }

    /// The raw value; absent and `null` are both `None`.
    pub(crate) fn get(&self, field: &str) -> Option<&'a Value> {
        self.map.get(field).filter(|v| !v.is_null())
    }

    /// A string field; numbers and booleans are accepted and printed.
    pub(crate) fn string(&self, field: &str) -> Result<Option<String>> {
        match self.get(field) {
            None => Ok(None),
            Some(v) => scalar_text(v)
                .map(Some)
                .ok_or_else(|| FromHttpRequestError::invalid(self.name(field), "must be a string")),
        }
    }

    /// A required string field.
    pub(crate) fn required_string(&self, field: &str) -> Result<String> {
        self.string(field)?
            .ok_or_else(|| FromHttpRequestError::missing(self.name(field)))
    }

    /// A field parsed with `FromStr` from a string or a number (ids, integers).
    pub(crate) fn parse<T: FromStr>(&self, field: &str, what: &str) -> Result<Option<T>> {
        match self.get(field) {
            None => Ok(None),
            Some(v) => {
                let text = scalar_text(v).ok_or_else(|| {
                    FromHttpRequestError::invalid(self.name(field), format!("must be {what}"))
                })?;
                text.trim().parse::<T>().map(Some).map_err(|_| {
                    FromHttpRequestError::invalid(self.name(field), format!("must be {what}"))
                })
            }
        }
    }

    /// A required [`Fields::parse`] field.
    pub(crate) fn required<T: FromStr>(&self, field: &str, what: &str) -> Result<T> {
        self.parse(field, what)?
            .ok_or_else(|| FromHttpRequestError::missing(self.name(field)))
    }

    /// A flag: `1`, `0`, `true`, `false`, as numbers, booleans or strings.
    pub(crate) fn flag(&self, field: &str) -> Result<Option<bool>> {
        let invalid = || FromHttpRequestError::invalid(self.name(field), "must be 1 or 0");
        match self.get(field) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(Value::Number(n)) => match n.as_i64() {
                Some(0) => Ok(Some(false)),
                Some(1) => Ok(Some(true)),
                _ => Err(invalid()),
            },
            Some(Value::String(s)) => match s.trim() {
                "1" | "true" => Ok(Some(true)),
                "0" | "false" | "" => Ok(Some(false)),
                _ => Err(invalid()),
            },
            Some(_) => Err(invalid()),
        }
    }

    /// A nested object (JSON object, or `a[b]=..` keys of a query or form body).
    pub(crate) fn object(&self, field: &'a str) -> Result<Option<Fields<'a>>> {
        match self.get(field) {
            None => Ok(None),
            Some(Value::Object(map)) => Ok(Some(Fields {
                map,
                prefix: Some(field),
            })),
            Some(_) => Err(FromHttpRequestError::invalid(
                self.name(field),
                "must be an object",
            )),
        }
    }

    /// A list of scalars: a JSON array, `"1,2"`, `"1, 2"`, a single number, or an index-keyed
    /// object (`a[0]=1&a[1]=2`); each element parsed with `FromStr`, at most `max` of them.
    pub(crate) fn list<T: FromStr>(
        &self,
        field: &str,
        what: &str,
        max: usize,
    ) -> Result<Option<Vec<T>>> {
        let Some(value) = self.get(field) else {
            return Ok(None);
        };
        parse_list(value, &self.name(field), what, max).map(Some)
    }
}

/// The texts of a list value in any accepted shape.
fn list_texts(value: &Value, name: &str, max: usize) -> Result<Vec<String>> {
    let bad = || FromHttpRequestError::invalid(name, "must be a list");
    let too_many = || FromHttpRequestError::TooManyItems {
        field: name.to_owned(),
        max,
    };
    match value {
        Value::Array(items) => {
            if items.len() > max {
                return Err(too_many());
            }
            items
                .iter()
                .map(|v| scalar_text(v).ok_or_else(bad))
                .collect()
        }
        Value::String(s) => {
            let parts: Vec<String> = s
                .split(',')
                .map(str::trim)
                .filter(|p| !p.is_empty())
                .map(str::to_owned)
                .collect();
            if parts.len() > max {
                return Err(too_many());
            }
            Ok(parts)
        }
        Value::Number(n) => Ok(vec![n.to_string()]),
        Value::Object(map) => {
            if map.len() > max {
                return Err(too_many());
            }
            let mut indexed = Vec::with_capacity(map.len());
            for (k, v) in map {
                let index: usize = k.parse().map_err(|_| bad())?;
                indexed.push((index, scalar_text(v).ok_or_else(bad)?));
            }
            indexed.sort_by_key(|(i, _)| *i);
            Ok(indexed.into_iter().map(|(_, v)| v).collect())
        }
        Value::Null | Value::Bool(_) => Err(bad()),
    }
}

/// Parses a list value (see [`Fields::list`]).
pub(crate) fn parse_list<T: FromStr>(
    value: &Value,
    name: &str,
    what: &str,
    max: usize,
) -> Result<Vec<T>> {
    list_texts(value, name, max)?
        .iter()
        .map(|t| {
            t.trim().parse::<T>().map_err(|_| {
                FromHttpRequestError::invalid(name, format!("must be a list of {what}"))
            })
        })
        .collect()
}

/// Parses a comma list of ids from a path segment (`a,b`, `a, b`).
pub(crate) fn path_list<T: FromStr>(
    arg: &str,
    param: &'static str,
    what: &str,
    max: usize,
) -> Result<Vec<T>> {
    let parts: Vec<&str> = arg
        .split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .collect();
    if parts.is_empty() {
        return Err(FromHttpRequestError::InvalidPathParam {
            param,
            reason: "is empty".to_owned(),
        });
    }
    if parts.len() > max {
        return Err(FromHttpRequestError::TooManyItems {
            field: param.to_owned(),
            max,
        });
    }
    parts
        .iter()
        .map(|p| {
            p.parse::<T>()
                .map_err(|_| FromHttpRequestError::InvalidPathParam {
                    param,
                    reason: format!("must be {what}"),
                })
        })
        .collect()
}

/// Parses a single path parameter.
pub(crate) fn path_one<T: FromStr>(
    args: &[String],
    index: usize,
    param: &'static str,
    what: &str,
) -> Result<T> {
    let arg = args
        .get(index)
        .ok_or_else(|| FromHttpRequestError::InvalidPathParam {
            param,
            reason: "is missing".to_owned(),
        })?;
    arg.trim()
        .parse::<T>()
        .map_err(|_| FromHttpRequestError::InvalidPathParam {
            param,
            reason: format!("must be {what}"),
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn map(v: Value) -> Map<String, Value> {
        match v {
            Value::Object(m) => m,
            _ => unreachable!(),
        }
    }

    #[test]
    fn lists_in_every_shape() {
        let m = map(json!({
            "a": [1, "2"], "b": "3,4", "c": "5, 6", "d": {"1": "8", "0": "7"}, "e": 9, "f": "",
            "g": [true], "h": "x"
        }));
        let f = Fields::new(&m);
        let get = |k| f.list::<u64>(k, "ids", 10).unwrap().unwrap();
        assert_eq!(get("a"), [1, 2]);
        assert_eq!(get("b"), [3, 4]);
        assert_eq!(get("c"), [5, 6]);
        assert_eq!(get("d"), [7, 8]);
        assert_eq!(get("e"), [9]);
        assert!(get("f").is_empty());
        assert!(f.list::<u64>("g", "ids", 10).is_err());
        assert!(f.list::<u64>("h", "ids", 10).is_err());
        assert!(matches!(
            f.list::<u64>("a", "ids", 1),
            Err(FromHttpRequestError::TooManyItems { .. })
        ));
        assert_eq!(f.list::<u64>("zz", "ids", 1).unwrap(), None);
    }

    #[test]
    fn scalars_and_flags() {
        let m = map(
            json!({"n": "12", "m": 13, "t": "true", "o": 1, "z": "0", "bad": [1], "nul": null,
                           "o2": {"x": "1"}}),
        );
        let f = Fields::new(&m);
        assert_eq!(f.parse::<u64>("n", "a number").unwrap(), Some(12));
        assert_eq!(f.required::<u64>("m", "a number").unwrap(), 13);
        assert_eq!(f.flag("t").unwrap(), Some(true));
        assert_eq!(f.flag("o").unwrap(), Some(true));
        assert_eq!(f.flag("z").unwrap(), Some(false));
        assert!(f.flag("bad").is_err());
        assert_eq!(f.string("nul").unwrap(), None);
        assert!(matches!(
            f.required_string("nope"),
            Err(FromHttpRequestError::MissingField { .. })
        ));
        let inner = f.object("o2").unwrap().unwrap();
        match inner.parse::<u64>("x", "a number") {
            Ok(Some(1)) => {}
            other => panic!("{other:?}"),
        }
        match inner.required_string("y") {
            Err(FromHttpRequestError::MissingField { field }) => assert_eq!(field, "o2.y"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn path_lists() {
        assert_eq!(
            path_list::<u64>("1, 2,3", "ids", "ids", 5).unwrap(),
            [1, 2, 3]
        );
        assert!(path_list::<u64>(",", "ids", "ids", 5).is_err());
        assert!(path_list::<u64>("1,x", "ids", "ids", 5).is_err());
        assert!(path_list::<u64>("1,2", "ids", "ids", 1).is_err());
    }
}
