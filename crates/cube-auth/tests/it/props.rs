//! Properties: parameter order never changes the signature, any change to a signed value
//! always does, and the server verifies exactly what a client signed.

use cube_auth::{
    AppCredentials, AuthSecret, Hash, MemoryReplayStore, Nonce, Params, SessionCredentials,
    Signing, VerifyError, sign, verify_session_request,
};
use proptest::prelude::*;
use proptest::sample::Index;
use serde_json::Value;

/// A top-level parameter: a scalar, or a nested object of strings.
#[derive(Debug, Clone)]
enum Param {
    Scalar(String),
    Nested(Vec<(String, String)>),
}

/// Values never contain `&`: with it, `{a:"1&b=2"}` and `{a:"1",b:"2"}` give the same
/// string to sign, an ambiguity of the JS algorithm itself rather than of this crate.
const VALUE: &str = "[^&]{0,8}";

fn param() -> impl Strategy<Value = Param> {
    prop_oneof![
        VALUE.prop_map(Param::Scalar),
        prop::collection::btree_map("[a-z]{1,4}", VALUE, 0..4)
            .prop_map(|m| Param::Nested(m.into_iter().collect())),
    ]
}

/// Keys have no `=`, `[` or `&`, so each `key=` prefix in the string to sign is unique.
fn params() -> impl Strategy<Value = Vec<(String, Param)>> {
    prop::collection::btree_map("[a-z_]{1,6}", param(), 1..7).prop_map(|m| m.into_iter().collect())
}

fn to_params(entries: &[(String, Param)], reverse_nested: bool) -> Params {
    let mut params = Params::new();
    for (key, value) in entries {
        match value {
            Param::Scalar(s) => params.insert(key.as_str(), s.as_str()),
            Param::Nested(pairs) => {
                let mut pairs: Vec<(&str, &str)> = pairs
                    .iter()
                    .map(|(k, v)| (k.as_str(), v.as_str()))
                    .collect();
                if reverse_nested {
                    pairs.reverse();
                }
                params.insert_object(key.as_str(), pairs);
            }
        }
    }
    params
}

/// Replaces the character at `at` (or appends one to an empty string).
fn mutate(value: &mut String, at: Index, with: char) -> bool {
    let chars: Vec<char> = value.chars().collect();
    if chars.is_empty() {
        value.push(with);
        return true;
    }
    let i = at.index(chars.len());
    if chars[i] == with {
        return false;
    }
    *value = chars
        .iter()
        .enumerate()
        .map(|(j, &c)| if j == i { with } else { c })
        .collect();
    true
}

fn secret() -> AuthSecret {
    AuthSecret::new("Kz8dsH-f7zUxnHg")
}

fn credentials() -> impl Strategy<Value = SessionCredentials> {
    let text = "\\PC{0,12}";
    prop_oneof![
        Just(SessionCredentials::Application),
        (text, text).prop_map(|(l, p)| SessionCredentials::login(l, p.as_str())),
        (text, text).prop_map(|(e, p)| SessionCredentials::email(e, p.as_str())),
        text.prop_map(|t| SessionCredentials::facebook(t.as_str())),
        (text, text).prop_map(|(t, s)| SessionCredentials::twitter(t.as_str(), s.as_str())),
        (text, text).prop_map(|(p, t)| SessionCredentials::firebase_phone(p, t.as_str())),
        (text, text).prop_map(|(p, t)| SessionCredentials::firebase_email(p, t.as_str())),
        proptest::option::of(text).prop_map(SessionCredentials::guest),
    ]
}

fn app() -> impl Strategy<Value = AppCredentials> {
    (
        prop_oneof![any::<u64>().prop_map(|n| n.to_string()), "[0-9a-z]{1,8}"],
        any::<bool>(),
        "[A-Za-z0-9_-]{1,16}",
    )
        .prop_map(|(id, as_number, key)| {
            let app = match (as_number, id.parse::<u64>()) {
                (true, Ok(n)) => AppCredentials::new(n, key.as_str()),
                _ => AppCredentials::new(id, key.as_str()),
            };
            app.with_auth_secret("Kz8dsH-f7zUxnHg")
        })
}

/// The paths of every string in a body except `signature`: `(key, None)` or `(key, Some(sub))`.
fn string_paths(body: &Value) -> Vec<(String, Option<String>)> {
    let mut paths = Vec::new();
    for (key, value) in body.as_object().into_iter().flatten() {
        match value {
            Value::String(_) if key != "signature" => paths.push((key.clone(), None)),
            Value::Object(object) => paths.extend(
                object
                    .iter()
                    .filter(|(_, v)| v.is_string())
                    .map(|(sub, _)| (key.clone(), Some(sub.clone()))),
            ),
            _ => {}
        }
    }
    paths
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn parameter_order_never_changes_the_signature(
        (entries, shuffled) in params().prop_flat_map(|v| (Just(v.clone()), Just(v).prop_shuffle())),
    ) {
        let a = to_params(&entries, false);
        let b = to_params(&shuffled, true);
        prop_assert_eq!(a.string_to_sign(), b.string_to_sign());
        prop_assert_eq!(
            sign(&secret(), &a.string_to_sign(), Hash::Sha1),
            sign(&secret(), &b.string_to_sign(), Hash::Sha1)
        );
    }

    #[test]
    fn changing_any_signed_value_changes_the_signature(
        entries in params(),
        entry in any::<Index>(),
        sub in any::<Index>(),
        at in any::<Index>(),
        with in any::<char>().prop_filter("not &", |c| *c != '&'),
    ) {
        let mut mutated = entries.clone();
        let i = entry.index(mutated.len());
        let changed = match &mut mutated[i].1 {
            Param::Scalar(s) => mutate(s, at, with),
            Param::Nested(pairs) if pairs.is_empty() => false,
            Param::Nested(pairs) => {
                let j = sub.index(pairs.len());
                mutate(&mut pairs[j].1, at, with)
            }
        };
        prop_assume!(changed);
        let before = to_params(&entries, false).string_to_sign();
        let after = to_params(&mutated, false).string_to_sign();
        prop_assert_ne!(&before, &after);
        for hash in [Hash::Sha1, Hash::Sha256] {
            prop_assert_ne!(sign(&secret(), &before, hash), sign(&secret(), &after, hash));
        }
    }

    #[test]
    fn the_server_verifies_what_a_client_signed_and_nothing_else(
        app in app(),
        creds in credentials(),
        nonce in 0u32..10_000,
        timestamp in 0i64..4_000_000_000,
        skew in -3600i64..=3600,
        sha256 in any::<bool>(),
        path in any::<Index>(),
        at in any::<Index>(),
        with in any::<char>(),
    ) {
        let hash = if sha256 { Hash::Sha256 } else { Hash::Sha1 };
        let signing = Signing::new(Nonce(nonce), timestamp).with_hash(hash);
        let body = creds.signed_body(&app, signing).unwrap();
        let now = timestamp + skew;

        let mut store = MemoryReplayStore::new();
        prop_assert_eq!(verify_session_request(&body, &secret(), now, &mut store), Ok(()));
        let replayed = verify_session_request(&body, &secret(), now, &mut store);
        prop_assert!(matches!(replayed, Err(VerifyError::Replayed { .. })), "{:?}", replayed);

        let paths = string_paths(&body);
        let (key, sub) = &paths[path.index(paths.len())];
        let mut mutated = body.clone();
        let slot = match sub {
            None => &mut mutated[key.as_str()],
            Some(sub) => &mut mutated[key.as_str()][sub.as_str()],
        };
        let mut text = slot.as_str().unwrap().to_owned();
        prop_assume!(mutate(&mut text, at, with));
        *slot = Value::String(text);
        let mut fresh = MemoryReplayStore::new();
        prop_assert_eq!(
            verify_session_request(&mutated, &secret(), now, &mut fresh),
            Err(VerifyError::BadSignature)
        );
    }
}
