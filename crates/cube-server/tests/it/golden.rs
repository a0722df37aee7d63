//! The official JS SDK's captured requests (protocol/golden-requests.jsonl) replayed against the
//! server: 6.1.2's whole REST flow with its own bodies, queries and headers (tokens and ids
//! swapped for live ones), and 3.35.3's signed session requests verbatim, signatures included.
#![allow(clippy::many_single_char_names)]

use std::collections::BTreeMap;

use cube_server::clock::Clock as _;
use reqwest::Method;
use serde_json::{Value, json};

use crate::support::TestServer;

const GOLDEN: &str = include_str!("data/golden-requests.jsonl");

/// The capture's application (signature-vectors.json).
const APP: i64 = 385;
const KEY: &str = "DFBMs9-8NlwQbfY";
const SECRET: &str = "Kz8dsH-f7zUxnHg";
/// The capture's clock: 2024-01-02T03:04:05Z.
const CAPTURED_AT_MS: i64 = 1_704_164_645_000;

const DIALOG: &str = "5f1e6a0c3d9e4a0001a1b2c3";
const MESSAGE: &str = "5f1e6b113d9e4a0001a1b2c4";
const MESSAGE2: &str = "5f1e6b113d9e4a0001a1b2c9";

fn captures(sdk: &str) -> Vec<Value> {
    GOLDEN
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter(|r| r["sdk"].as_str().unwrap().ends_with(sdk))
        .collect()
}

async fn server() -> TestServer {
    TestServer::with_config(|mut c| {
        c.apps.clear();
        c = c.with_app(APP, KEY, SECRET);
        c
    })
    .await
}

async fn send(
    t: &TestServer,
    r: &Value,
    token: Option<&str>,
    swap: &BTreeMap<&str, String>,
) -> (u16, Value) {
    let apply = |s: &str| {
        swap.iter()
            .fold(s.to_owned(), |acc, (from, to)| acc.replace(from, to))
    };
    let mut url = format!("{}{}", t.base, apply(r["path"].as_str().unwrap()));
    let query = r["raw_query"].as_str().unwrap_or_default();
    if !query.is_empty() {
        url = format!("{url}?{}", apply(query));
    }
    let method = Method::from_bytes(r["method"].as_str().unwrap().as_bytes()).unwrap();
    let mut req = t.http.request(method, url);
    for (name, value) in r["headers"].as_object().unwrap() {
        let value = value.as_str().unwrap();
        match name.as_str() {
            "host" | "content-length" | "connection" | "accept-encoding" => {}
            "cb-token" => {
                if let Some(token) = token {
                    req = req.header("CB-Token", token);
                }
            }
            _ => req = req.header(name, value),
        }
    }
    let body = apply(r["body_raw"].as_str().unwrap_or_default());
    let resp = req.body(body).send().await.unwrap();
    let status = resp.status().as_u16();
    let bytes = resp.bytes().await.unwrap();
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

#[tokio::test]
async fn signed_session_requests_of_3_35_3_verify_byte_for_byte() {
    let t = server().await;
    t.clock.set_millis(CAPTURED_AT_MS);
    let mut statuses = BTreeMap::new();
    for r in captures("3.35.3") {
        if r["path"] != "/session.json" {
            continue;
        }
        let (status, body) = send(&t, &r, None, &BTreeMap::new()).await;
        statuses.insert(r["seq"].as_i64().unwrap(), (status, body));
    }
    // Application, login, email, odd characters and guest sessions: the signatures verify.
    for seq in [1, 2, 3, 7, 8] {
        assert_eq!(statuses[&seq].0, 201, "seq {seq}: {}", statuses[&seq].1);
    }
    // Providers that this app does not configure, and firebase_phone, which 3.x drops.
    for seq in [4, 5, 6] {
        assert_eq!(statuses[&seq].0, 422, "seq {seq}: {}", statuses[&seq].1);
    }
    // An explicit timestamp from 2020: outside the 60-minute window.
    assert_eq!(statuses[&9].0, 422);
    // The same signed request again is a replay.
    let first = captures("3.35.3").into_iter().next().unwrap();
    assert_eq!(send(&t, &first, None, &BTreeMap::new()).await.0, 422);
    // An hour and more later, even a fresh nonce would be out of the window.
    t.clock.advance_millis(3_601_000);
    assert!(t.clock.now_secs() > 1_704_164_645 + 3600);
}

#[tokio::test]
async fn the_6_1_2_rest_flow_replays() {
    let t = server().await;
    // Users 1..=9; alice is 5, as in the capture.
    for i in 1..=9 {
        let (login, email) = if i == 5 {
            ("alice".to_owned(), "alice@example.com".to_owned())
        } else {
            (format!("user{i}"), format!("user{i}@example.com"))
        };
        let r = t
            .json(
                Method::POST,
                "/users.json",
                None,
                &json!({"user": {"login": login, "email": email, "password": "alicePass1"}}),
            )
            .await;
        // Sign-up without a session needs the CB-AuthKey header.
        assert_eq!(r.status, 401);
        let resp = t
            .http
            .post(format!("{}/users.json", t.base))
            .header("CB-AuthKey", KEY)
            .json(&json!({"user": {"login": login, "email": email, "password": "alicePass1"}}))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status().as_u16(), 201);
    }
    let mut swap: BTreeMap<&str, String> = BTreeMap::new();
    let mut app_token: Option<String> = None;
    let mut user_token: Option<String> = None;
    let mut results: Vec<(i64, String, u16, Value)> = Vec::new();
    let flow = captures("6.1.2");
    // Deleting the current user (seq 25) would end the session the rest of the flow uses: last.
    let (last, rest): (Vec<Value>, Vec<Value>) = flow.into_iter().partition(|r| r["seq"] == 25);
    for r in rest.iter().chain(last.iter()) {
        let seq = r["seq"].as_i64().unwrap();
        let token = match r["headers"]["cb-token"].as_str() {
            Some(t) if t.starts_with("APP_TOKEN") => app_token.clone(),
            Some(t) if t.starts_with("USER_TOKEN") || t.starts_with("FRESH") => user_token.clone(),
            Some(other) => Some(other.to_owned()),
            None => None,
        };
        let (status, body) = send(&t, r, token.as_deref(), &swap).await;
        if status == 201 {
            if let Some(s) = body.get("session") {
                let tok = s["token"].as_str().unwrap().to_owned();
                if s["user_id"] == 0 {
                    app_token = Some(tok);
                } else {
                    user_token = Some(tok);
                }
            }
            // The first dialog and messages created stand for the capture's ids.
            if r["path"] == "/chat/Dialog.json" && !swap.contains_key(DIALOG) {
                swap.insert(DIALOG, body["_id"].as_str().unwrap().to_owned());
            } else if r["path"] == "/chat/Message.json" {
                let key = if swap.contains_key(MESSAGE) {
                    MESSAGE2
                } else {
                    MESSAGE
                };
                swap.entry(key)
                    .or_insert_with(|| body["_id"].as_str().unwrap().to_owned());
            }
        }
        results.push((seq, r["op"].as_str().unwrap().to_owned(), status, body));
    }
    for (seq, op, status, body) in &results {
        assert!(*status < 500, "seq {seq} {op}: {status} {body}");
    }
    let status = |seq: i64| results.iter().find(|r| r.0 == seq).map(|r| r.2).unwrap();
    // Everything this server implements answers 2xx in the SDK's own shapes: sessions, login,
    // users v2, the deprecated `users.get(id)`, dialogs (comma-string and array ids, filters
    // with operators, `occupants_ids[all]`, the `limit=undefined` quirk), notifications,
    // occupants, deletes, messages by recipient, read/delivered/edit, deletes, unread counts,
    // system messages, online users, password reset, clearHistory, and finally deleting the
    // current user.
    for seq in [
        1, 2, 3, 4, 5, 6, 7, 8, 13, 14, 15, 16, 18, 19, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 33,
        34, 35, 36, 37, 38, 40, 41, 42, 45, 46, 47, 48, 49, 53, 54, 55, 56, 58, 59, 61, 62,
    ] {
        let (_, op, code, body) = results.iter().find(|r| r.0 == seq).unwrap();
        assert!((200..300).contains(code), "seq {seq} {op}: {code} {body}");
    }
    // The reactions come after the flow deleted their message (58, 59): routed, and a 404 of
    // the message, not of the route.
    for seq in 63..=66 {
        let (_, op, code, body) = results.iter().find(|r| r.0 == seq).unwrap();
        assert_eq!(*code, 404, "seq {seq} {op}: {body}");
        assert_eq!(
            body["errors"]["base"][0], "Message not found",
            "seq {seq} {op}"
        );
    }
    // Unconfigured providers are refused with a reason; stale and unknown tokens get the 401
    // the SDK's renewal keys on.
    for seq in [9, 10, 11, 12] {
        assert_eq!(status(seq), 422, "seq {seq}");
    }
    for seq in [72, 74, 75] {
        assert_eq!(status(seq), 401, "seq {seq}");
        let body = &results.iter().find(|r| r.0 == seq).unwrap().3;
        assert_eq!(body["errors"]["base"][0], "Required session does not exist");
    }
}
