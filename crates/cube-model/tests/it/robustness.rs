//! Arbitrary input never panics: decoding returns a value or an error.

use cube_model::{
    Dialog, DialogDeleteResult, DialogId, DialogType, ErrorBody, IdList, Message, ObjectId, Page,
    Query, SessionEnvelope, UnreadCounts, User, UserEnvelope, UserId, parse_iso,
};
use proptest::collection::vec;
use proptest::prelude::*;
use serde_json::Value;

fn json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        "[0-9a-f, ]{0,26}".prop_map(Value::from),
        ".{0,8}".prop_map(Value::from),
    ];
    leaf.prop_recursive(3, 24, 6, |inner| {
        let key = prop_oneof![
            Just("_id".to_owned()),
            Just("id".to_owned()),
            Just("type".to_owned()),
            Just("user".to_owned()),
            Just("session".to_owned()),
            Just("errors".to_owned()),
            Just("attachments".to_owned()),
            Just("occupants_ids".to_owned()),
            Just("user_tags".to_owned()),
            Just("items".to_owned()),
            "[a-z_]{1,6}",
        ];
        prop_oneof![
            vec(inner.clone(), 0..4).prop_map(Value::from),
            proptest::collection::btree_map(key, inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn decode_all(v: &Value) {
    let _ = serde_json::from_value::<User>(v.clone());
    let _ = serde_json::from_value::<UserEnvelope>(v.clone());
    let _ = serde_json::from_value::<SessionEnvelope>(v.clone());
    let _ = serde_json::from_value::<Dialog>(v.clone());
    let _ = serde_json::from_value::<Message>(v.clone());
    let _ = serde_json::from_value::<Page<Dialog>>(v.clone());
    let _ = serde_json::from_value::<DialogDeleteResult>(v.clone());
    let _ = serde_json::from_value::<UnreadCounts>(v.clone());
    let _ = serde_json::from_value::<DialogType>(v.clone());
    let _ = serde_json::from_value::<IdList<UserId>>(v.clone());
    let _ = serde_json::from_value::<IdList<DialogId>>(v.clone());
    let e = ErrorBody::from_value(v.clone());
    let _ = e.messages();
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn arbitrary_json_never_panics(v in json()) {
        decode_all(&v);
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in vec(any::<u8>(), 0..64)) {
        let e = ErrorBody::from_bytes(&bytes);
        let _ = e.to_bytes();
        let s = String::from_utf8_lossy(&bytes);
        let _ = s.parse::<ObjectId>();
        let _ = s.parse::<UserId>();
        let _ = s.parse::<IdList<UserId>>();
        let _ = parse_iso(&s);
    }

    #[test]
    fn arbitrary_text_never_panics(s in ".{0,40}", iso in "[0-9T:. +zZ-]{0,30}") {
        let _ = parse_iso(&s);
        let _ = parse_iso(&iso);
        let _ = s.parse::<ObjectId>();
    }

    #[test]
    fn arbitrary_query_pairs_never_panic(pairs in vec(("[a-z_\\[\\]]{0,12}", ".{0,8}"), 0..8)) {
        if let Ok(q) = Query::parse(pairs.iter().map(|(k, v)| (k, v))) {
            let _ = q.to_pairs(cube_model::ListStyle::Brackets);
        }
    }
}
