//! Every response body of the captured SDK traffic decodes into its model type and, where the
//! body is a model object, encodes back to the same JSON.

use cube_model::{
    Dialog, DialogDeleteResult, ErrorBody, Message, MessageDeleteResult, Page, SessionEnvelope,
    SystemMessageResponse, UnreadCounts, User, UserEnvelope,
};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

const GOLDEN: &str = include_str!("../data/golden-requests.jsonl");

struct Capture {
    op: String,
    method: String,
    path: String,
    status: u64,
    body: Value,
}

fn captures() -> Vec<Capture> {
    GOLDEN
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let v: Value = serde_json::from_str(l).expect("golden line is JSON");
            Capture {
                op: v["op"].as_str().unwrap_or_default().to_owned(),
                method: v["method"].as_str().unwrap_or_default().to_owned(),
                path: v["path"].as_str().unwrap_or_default().to_owned(),
                status: v["response_status"].as_u64().unwrap_or_default(),
                body: v["response_body"].clone(),
            }
        })
        .collect()
}

/// Decodes `body` as `T`, encodes it again and checks that nothing changed.
fn exact<T: DeserializeOwned + Serialize>(op: &str, body: &Value) -> T {
    let t: T = serde_json::from_value(body.clone()).unwrap_or_else(|e| panic!("{op}: {e}\n{body}"));
    let back = serde_json::to_value(&t).expect("encodes");
    assert_eq!(&back, body, "{op}: re-encoding changed the body");
    t
}

#[test]
fn every_golden_response_decodes() {
    let mut checked = 0;
    for c in captures() {
        let p = c.path.trim_end_matches(".json");
        let body = &c.body;
        if c.status >= 400 {
            let e: ErrorBody = serde_json::from_value(body.clone()).expect("error body");
            assert!(!e.messages().is_empty(), "{}", c.op);
            assert_eq!(
                serde_json::to_value(&e).expect("encodes"),
                *body,
                "{}",
                c.op
            );
            checked += 1;
            continue;
        }
        if body.as_str() == Some("") {
            continue;
        }
        match (c.method.as_str(), p) {
            (_, "/session") => {
                exact::<SessionEnvelope>(&c.op, body);
            }
            ("POST", "/login" | "/users") => {
                exact::<UserEnvelope>(&c.op, body);
            }
            ("PUT", p) if p.starts_with("/users/") => {
                // The stand-in server echoes the request's extra keys; they are not user fields.
                let e: UserEnvelope = serde_json::from_value(body.clone()).expect(&c.op);
                assert_eq!(e.user.full_name.as_deref(), Some("Alice Two"));
            }
            ("GET", p) if p == "/users" || p.starts_with("/users/by_") || p == "/users/5" => {
                // The deprecated v1 list wraps each user; the envelope takes both forms.
                let page: Page<UserEnvelope> = serde_json::from_value(body.clone()).expect(&c.op);
                assert_eq!(page.total_entries, Some(1));
                assert_eq!(page.items[0].user.id, cube_model::UserId(5));
            }
            ("GET", "/users/online") if body.get("users").is_some() => {
                let users: Vec<User> = serde_json::from_value(body["users"].clone()).expect(&c.op);
                assert_eq!(users.len(), 2);
            }
            ("GET", p) if p.ends_with("/occupants") => {
                exact::<Page<User>>(
                    &c.op,
                    &serde_json::json!({
                        "skip": 0, "limit": 0, "items": body["items"].clone()
                    }),
                );
            }
            ("GET", "/users/v2") => {
                let page = exact::<Page<User>>(&c.op, body);
                assert_eq!(page.total_entries, Some(1));
            }
            ("GET", "/chat/Dialog") => {
                exact::<Page<Dialog>>(&c.op, body);
            }
            ("POST", "/chat/Dialog") => {
                exact::<Dialog>(&c.op, body);
            }
            ("PUT" | "POST", p)
                if p.starts_with("/chat/Dialog/") && !p.ends_with("notifications") =>
            {
                exact::<Dialog>(&c.op, body);
            }
            ("DELETE", p) if p.starts_with("/chat/Dialog/") => {
                exact::<DialogDeleteResult>(&c.op, body);
            }
            ("GET", "/chat/Message") => {
                let page = exact::<Page<Message>>(&c.op, body);
                assert_eq!(page.total_entries, None);
            }
            ("POST", "/chat/Message") => {
                let m = exact::<Message>(&c.op, body);
                if c.op.contains("custom") {
                    assert_eq!(m.custom.get("customParam"), Some(&Value::from("v")));
                    assert_eq!(m.attachments.len(), 1);
                }
            }
            ("DELETE", p) if p.starts_with("/chat/Message/") => {
                exact::<MessageDeleteResult>(&c.op, body);
            }
            ("GET", "/chat/Message/unread") => {
                let u = exact::<UnreadCounts>(&c.op, body);
                assert_eq!(u.total, 3);
            }
            ("POST", "/chat/Message/system") => {
                exact::<SystemMessageResponse>(&c.op, body);
            }
            _ => continue,
        }
        checked += 1;
    }
    assert!(checked >= 40, "only {checked} captures checked");
}
