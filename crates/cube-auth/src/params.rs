//! The parameters of a session request and the string the signature is computed over.

use std::cmp::Ordering;

use serde_json::{Map, Value};

use crate::error::MalformedError;

/// The top-level parameters of a session request, in the order they go into the body.
///
/// Values are JSON values as the body carries them: scalars (`nonce=1234`) and objects
/// (`user[login]=alice`). The order only matters for the body; the string to sign sorts.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Params(Map<String, Value>);

impl Params {
    /// An empty parameter set.
    pub fn new() -> Self {
        Self::default()
    }

    /// The parameters of a received JSON body, which must be an object.
    pub fn from_json(body: &Value) -> Result<Self, MalformedError> {
        match body {
            Value::Object(map) => Ok(Self(map.clone())),
            _ => Err(MalformedError::NotAnObject),
        }
    }

    /// The parameters of a form-encoded or query-string request (`user[login]=alice`).
    ///
    /// A `name[sub]` key becomes the entry `sub` of the object `name`, which is how it is
    /// signed; every value is a string.
    pub fn from_form_pairs<I, K, V>(pairs: I) -> Result<Self, MalformedError>
    where
        I: IntoIterator<Item = (K, V)>,
        K: AsRef<str>,
        V: Into<String>,
    {
        let mut map = Map::new();
        for (key, value) in pairs {
            let key = key.as_ref();
            let value = Value::String(value.into());
            match split_nested_key(key) {
                Some((name, sub)) => {
                    let entry = map
                        .entry(name.to_owned())
                        .or_insert_with(|| Value::Object(Map::new()));
                    let Value::Object(object) = entry else {
                        return Err(MalformedError::Duplicate(name.to_owned()));
                    };
                    if object.insert(sub.to_owned(), value).is_some() {
                        return Err(MalformedError::Duplicate(key.to_owned()));
                    }
                }
                None => {
                    if map.insert(key.to_owned(), value).is_some() {
                        return Err(MalformedError::Duplicate(key.to_owned()));
                    }
                }
            }
        }
        Ok(Self(map))
    }

    /// Appends (or replaces) a top-level parameter.
    pub fn insert(&mut self, key: impl Into<String>, value: impl Into<Value>) {
        self.0.insert(key.into(), value.into());
    }

    /// Appends a nested parameter object (`name[sub]=value` for each pair), in the given order.
    pub fn insert_object<'a>(
        &mut self,
        name: impl Into<String>,
        entries: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) {
        let object = entries
            .into_iter()
            .map(|(k, v)| (k.to_owned(), Value::String(v.to_owned())))
            .collect::<Map<_, _>>();
        self.0.insert(name.into(), Value::Object(object));
    }

    /// The parameter named `key`.
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.0.get(key)
    }

    /// Removes the parameter named `key`, keeping the order of the others.
    pub fn remove(&mut self, key: &str) -> Option<Value> {
        self.0.shift_remove(key)
    }

    /// The parameters in body order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Value)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v))
    }

    /// How many top-level parameters there are.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there is no parameter at all.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The string the signature is computed over (see [`string_to_sign`]).
    pub fn string_to_sign(&self) -> String {
        string_to_sign(self)
    }

    /// The JSON object of the body, in insertion order.
    pub fn to_json(&self) -> Value {
        Value::Object(self.0.clone())
    }

    /// The JSON object of the body, in insertion order.
    pub fn into_json(self) -> Value {
        Value::Object(self.0)
    }
}

impl From<Params> for Value {
    fn from(params: Params) -> Self {
        params.into_json()
    }
}

/// The string to sign, computed as the JS SDK's `signParams` does (wire.md §3.3).
///
/// Each top-level parameter becomes one element: `k=value` for a scalar, or for an object
/// its `k[sub]=value` strings sorted and joined with `&`. The elements are sorted by UTF-16
/// code units (JavaScript's default sort) and joined with `&`. Nothing is URL-encoded.
/// Values are converted as JavaScript's `String(value)` would. The caller leaves out
/// `signature`.
pub fn string_to_sign(params: &Params) -> String {
    let mut elements = params
        .iter()
        .map(|(key, value)| match value {
            Value::Object(object) => {
                let mut parts = object
                    .iter()
                    .map(|(sub, v)| format!("{key}[{sub}]={}", js_string(v)))
                    .collect::<Vec<_>>();
                js_sort(&mut parts);
                parts.join("&")
            }
            Value::Array(items) => {
                // `typeof [] === 'object'`: the indices are the sub-keys.
                let mut parts = items
                    .iter()
                    .enumerate()
                    .map(|(i, v)| format!("{key}[{i}]={}", js_string(v)))
                    .collect::<Vec<_>>();
                js_sort(&mut parts);
                parts.join("&")
            }
            // JavaScript throws on a top-level null; signing it like a nested one is the
            // only total choice, and no JS client can produce such a body anyway.
            scalar => format!("{key}={}", js_string(scalar)),
        })
        .collect::<Vec<_>>();
    js_sort(&mut elements);
    elements.join("&")
}

/// Splits `name[sub]` into `("name", "sub")`; anything else is a flat key.
fn split_nested_key(key: &str) -> Option<(&str, &str)> {
    let open = key.find('[')?;
    let inner = key.strip_suffix(']')?;
    (open > 0).then(|| (&key[..open], &inner[open + 1..]))
}

/// Sorts as JavaScript's default `Array.prototype.sort` does: by UTF-16 code units.
pub(crate) fn js_sort(strings: &mut [String]) {
    strings.sort_by(|a, b| js_cmp(a, b));
}

/// Compares two strings by UTF-16 code units, as JavaScript does.
fn js_cmp(a: &str, b: &str) -> Ordering {
    a.encode_utf16().cmp(b.encode_utf16())
}

/// What JavaScript's `String(value)` gives for a value that came from JSON.
fn js_string(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Number(n) => js_number(n),
        Value::Bool(b) => b.to_string(),
        Value::Null => "null".to_owned(),
        // `Array.prototype.toString`: elements joined by commas, null as the empty string.
        Value::Array(items) => items
            .iter()
            .map(|v| match v {
                Value::Null => String::new(),
                v => js_string(v),
            })
            .collect::<Vec<_>>()
            .join(","),
        Value::Object(_) => "[object Object]".to_owned(),
    }
}

/// JavaScript's `Number.prototype.toString` for a JSON number.
fn js_number(n: &serde_json::Number) -> String {
    if n.is_i64() || n.is_u64() {
        return n.to_string();
    }
    let Some(f) = n.as_f64() else {
        return n.to_string();
    };
    if f == 0.0 {
        return "0".to_owned();
    }
    let magnitude = f.abs();
    if (1e-6..1e21).contains(&magnitude) {
        // Rust's shortest round-trip form without an exponent matches JavaScript here.
        format!("{f}")
    } else {
        // JavaScript writes `1e+21` where Rust writes `1e21`.
        let formatted = format!("{f:e}");
        match formatted.split_once('e') {
            Some((mantissa, exp)) if !exp.starts_with('-') => format!("{mantissa}e+{exp}"),
            _ => formatted,
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn params(value: Value) -> Params {
        Params::from_json(&value).unwrap()
    }

    #[test]
    fn sorts_by_utf16_code_units_like_javascript() {
        // U+FF61 < U+1F600 by code point, but 😀 is the surrogate pair D83D DE00 < FF61.
        let mut v = vec!["\u{FF61}".to_owned(), "😀".to_owned(), "a".to_owned()];
        js_sort(&mut v);
        assert_eq!(v, ["a", "😀", "\u{FF61}"]);
    }

    #[test]
    fn nested_objects_stay_one_element() {
        let p = params(json!({"b": 1, "a": {"y": "2", "x": "1"}, "a0": 3}));
        // "a0=3" sorts before "a[x]=..." because '0' < '['.
        assert_eq!(p.string_to_sign(), "a0=3&a[x]=1&a[y]=2&b=1");
    }

    #[test]
    fn sorts_whole_elements_not_keys() {
        // '=' (0x3D) sorts after '0' (0x30) and before '_' (0x5F).
        let p = params(json!({"a_b": "2", "a": "1", "a0": "0"}));
        assert_eq!(p.string_to_sign(), "a0=0&a=1&a_b=2");
    }

    #[test]
    fn values_convert_as_javascript_string() {
        let p = params(json!({
            "t": true, "n": null, "f": 1.5, "big": 1e21, "tiny": 1e-7, "whole": 2.0,
            "o": {"arr": [1, null, "x"], "obj": {"k": 1}, "null": null},
        }));
        assert_eq!(
            p.string_to_sign(),
            "big=1e+21&f=1.5&n=null&o[arr]=1,,x&o[null]=null&o[obj]=[object Object]\
             &t=true&tiny=1e-7&whole=2"
        );
    }

    #[test]
    fn arrays_sign_by_index_and_empty_objects_as_empty_elements() {
        let p = params(json!({"k": ["b", "a"], "e": {}}));
        assert_eq!(p.string_to_sign(), "&k[0]=b&k[1]=a");
    }

    #[test]
    fn from_json_requires_an_object() {
        assert_eq!(
            Params::from_json(&json!([1])),
            Err(MalformedError::NotAnObject)
        );
    }

    #[test]
    fn form_pairs_group_nested_keys() {
        let p = Params::from_form_pairs([
            ("application_id", "385"),
            ("user[login]", "alice"),
            ("nonce", "1"),
            ("user[password]", "p"),
        ])
        .unwrap();
        assert_eq!(
            p.to_json(),
            json!({"application_id": "385", "user": {"login": "alice", "password": "p"}, "nonce": "1"})
        );
        assert_eq!(
            p.string_to_sign(),
            "application_id=385&nonce=1&user[login]=alice&user[password]=p"
        );
    }

    #[test]
    fn form_pairs_reject_duplicates() {
        assert_eq!(
            Params::from_form_pairs([("a", "1"), ("a", "2")]),
            Err(MalformedError::Duplicate("a".into()))
        );
        assert_eq!(
            Params::from_form_pairs([("u", "1"), ("u[x]", "2")]),
            Err(MalformedError::Duplicate("u".into()))
        );
        assert_eq!(
            Params::from_form_pairs([("u[x]", "1"), ("u[x]", "2")]),
            Err(MalformedError::Duplicate("u[x]".into()))
        );
    }

    #[test]
    fn split_nested_key_cases() {
        assert_eq!(split_nested_key("user[login]"), Some(("user", "login")));
        assert_eq!(split_nested_key("a[b][c]"), Some(("a", "b][c")));
        assert_eq!(split_nested_key("[x]"), None);
        assert_eq!(split_nested_key("plain"), None);
        assert_eq!(split_nested_key("a[b"), None);
    }

    #[test]
    fn remove_keeps_order() {
        let mut p = params(json!({"a": 1, "signature": "x", "b": 2}));
        assert_eq!(p.remove("signature"), Some(json!("x")));
        assert_eq!(
            serde_json::to_string(&p.to_json()).unwrap(),
            r#"{"a":1,"b":2}"#
        );
    }
}
