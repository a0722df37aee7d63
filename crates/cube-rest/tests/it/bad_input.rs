//! Hostile input never panics the server side and always gets a 4xx answer.

use cube_rest::{EndpointKind, parse_request};
use proptest::prelude::*;
use serde_json::Value;

use crate::support::server_request;

fn method() -> impl Strategy<Value = &'static str> {
    proptest::sample::select(vec![
        "GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS",
    ])
}

/// A path built from real templates with arbitrary segments, or plain garbage.
fn path() -> impl Strategy<Value = String> {
    let templates: Vec<&'static str> = EndpointKind::ALL
        .iter()
        .map(|k| k.metadata().path)
        .collect();
    prop_oneof![
        (
            proptest::sample::select(templates),
            "[a-zA-Z0-9%,._ -]{0,40}",
            any::<bool>()
        )
            .prop_map(|(t, arg, json)| {
                let arg = arg.replace(' ', "%20");
                let filled: Vec<String> = t
                    .split('/')
                    .map(|s| {
                        if s.starts_with('{') {
                            arg.clone()
                        } else {
                            s.to_owned()
                        }
                    })
                    .collect();
                let p = filled.join("/");
                if json { format!("{p}.json") } else { p }
            }),
        "(/[a-zA-Z0-9%.,_-]{0,12}){1,5}",
    ]
}

fn query() -> impl Strategy<Value = String> {
    "[a-zA-Z0-9%\\[\\]=&+,._-]{0,80}"
}

fn content_type() -> impl Strategy<Value = Option<&'static str>> {
    proptest::option::of(proptest::sample::select(vec![
        "application/json",
        "application/x-www-form-urlencoded",
        "text/plain",
    ]))
}

/// JSON of any shape, nested a little.
fn json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::from),
        "\\PC{0,10}".prop_map(Value::from),
    ];
    leaf.prop_recursive(3, 24, 6, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..6).prop_map(Value::from),
            proptest::collection::btree_map("[a-z_]{1,8}", inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// Keys the endpoints read, so that wrong types reach the field parsers.
const KEYS: [&str; 24] = [
    "application_id",
    "auth_key",
    "user",
    "provider",
    "keys",
    "firebase_phone",
    "nonce",
    "timestamp",
    "signature",
    "login",
    "password",
    "type",
    "name",
    "occupants_ids",
    "admins_ids",
    "extensions",
    "permissions",
    "push_all",
    "pull_all",
    "enabled",
    "chat_dialog_id",
    "attachments",
    "recipientId",
    "force",
];

fn checked(req: &http::Request<Vec<u8>>) -> Result<(), TestCaseError> {
    if let Err(e) = parse_request(req) {
        let (status, body) = e.error_response();
        prop_assert!(status.is_client_error(), "{e:?} -> {status}");
        prop_assert!(!body.messages().is_empty());
        prop_assert!(!e.to_string().is_empty());
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn arbitrary_requests_get_typed_answers(
        m in method(), p in path(), q in query(), ct in content_type(),
        body in proptest::collection::vec(any::<u8>(), 0..200),
    ) {
        let uri = if q.is_empty() { p } else { format!("{p}?{q}") };
        let Ok(uri) = uri.parse::<http::Uri>() else { return Ok(()) };
        let mut b = http::Request::builder().method(m).uri(uri);
        if let Some(ct) = ct {
            b = b.header("content-type", ct);
        }
        checked(&b.body(body).expect("request"))?;
    }

    #[test]
    fn wrong_json_types_get_typed_answers(
        kind in proptest::sample::select(EndpointKind::ALL.to_vec()),
        fields in proptest::collection::btree_map(proptest::sample::select(KEYS.to_vec()), json(), 0..8),
        top in json(),
        use_top in any::<bool>(),
    ) {
        let meta = kind.metadata();
        let path = meta.path.replace("{id}", "5f1e6a0c3d9e4a0001a1b2c3").replace("{ids}", "5f1e6a0c3d9e4a0001a1b2c3");
        let path = path.replace("/users/5f1e6a0c3d9e4a0001a1b2c3", "/users/5");
        let body = if use_top {
            top
        } else {
            Value::Object(fields.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())
        };
        let bytes = serde_json::to_vec(&body).expect("json");
        let req = server_request(meta.method.as_str(), &path, &[("content-type", "application/json")], &bytes);
        checked(&req)?;
    }
}
