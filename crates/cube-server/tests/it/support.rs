//! A test server and a small JSON-over-HTTP client.

use std::sync::Arc;

use cube_server::clock::ManualClock;
use cube_server::{RunningServer, Server, ServerConfig};
use reqwest::Method;
use serde_json::{Value, json};

pub const APP: i64 = 1;
pub const KEY: &str = "test-auth-key";
pub const SECRET: &str = "test-auth-secret";

/// An HTTP answer: status, headers, JSON body (or `Value::String` for non-JSON, `Null` if empty).
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
}

impl Answer {
    /// Panics unless the status is `status`.
    #[track_caller]
    pub fn expect(self, status: u16) -> Self {
        assert_eq!(
            self.status, status,
            "unexpected status; body: {}",
            self.body
        );
        self
    }

    /// Panics unless the status is 2xx.
    #[track_caller]
    pub fn ok(self) -> Self {
        assert!(
            (200..300).contains(&self.status),
            "expected 2xx, got {}: {}",
            self.status,
            self.body
        );
        self
    }

    /// Panics unless this is a 4xx with an `errors` body.
    #[track_caller]
    pub fn refused(self) -> Self {
        assert!(
            (400..500).contains(&self.status),
            "expected 4xx, got {}: {}",
            self.status,
            self.body
        );
        assert!(
            self.body.get("errors").is_some(),
            "no errors body: {}",
            self.body
        );
        self
    }
}

pub struct TestServer {
    pub server: RunningServer,
    pub clock: ManualClock,
    pub http: reqwest::Client,
    pub base: String,
}

pub fn config(clock: &ManualClock) -> ServerConfig {
    let mut c = ServerConfig::ephemeral().with_app(APP, KEY, SECRET);
    c.clock = Arc::new(clock.clone());
    c
}

impl TestServer {
    pub async fn start() -> Self {
        Self::with_config(|c| c).await
    }

    pub async fn with_config(f: impl FnOnce(ServerConfig) -> ServerConfig) -> Self {
        let clock = ManualClock::new(1_795_000_000_000);
        let server = Server::start(f(config(&clock)))
            .await
            .expect("server starts");
        Self::attach(server, clock)
    }

    pub fn attach(server: RunningServer, clock: ManualClock) -> Self {
        let base = server.rest_url();
        TestServer {
            server,
            clock,
            http: reqwest::Client::new(),
            base,
        }
    }

    pub async fn raw(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        content_type: Option<&str>,
        body: Vec<u8>,
    ) -> Answer {
        let mut req = self.http.request(method, format!("{}{path}", self.base));
        if let Some(t) = token {
            req = req.header("CB-Token", t);
        }
        if let Some(ct) = content_type {
            req = req.header("Content-Type", ct);
        }
        let resp = req.body(body).send().await.expect("request sent");
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let bytes = resp.bytes().await.expect("body read");
        let body = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes)
                .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()))
        };
        Answer {
            status,
            headers,
            body,
        }
    }

    pub async fn json(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: &Value,
    ) -> Answer {
        self.raw(
            method,
            path,
            token,
            Some("application/json"),
            body.to_string().into_bytes(),
        )
        .await
    }

    pub async fn get(&self, path: &str, token: &str) -> Answer {
        self.raw(Method::GET, path, Some(token), None, Vec::new())
            .await
    }

    pub async fn post(&self, path: &str, token: &str, body: Value) -> Answer {
        self.json(Method::POST, path, Some(token), &body).await
    }

    pub async fn put(&self, path: &str, token: &str, body: Value) -> Answer {
        self.json(Method::PUT, path, Some(token), &body).await
    }

    /// DELETE with an optional form body (`force=1`), as the JS SDK sends it.
    pub async fn delete(&self, path: &str, token: &str, form: &str) -> Answer {
        self.raw(
            Method::DELETE,
            path,
            Some(token),
            Some("application/x-www-form-urlencoded; charset=UTF-8"),
            form.as_bytes().to_vec(),
        )
        .await
    }

    /// An application session token.
    pub async fn app_token(&self) -> String {
        let a = self
            .json(
                Method::POST,
                "/session.json",
                None,
                &json!({"application_id": APP, "auth_key": KEY}),
            )
            .await
            .expect(201);
        a.body["session"]["token"]
            .as_str()
            .expect("token")
            .to_owned()
    }

    /// A user session (the user is created on the fly): (token, user id).
    pub async fn user(&self, login: &str) -> (String, i64) {
        let a = self
            .json(
                Method::POST,
                "/session.json",
                None,
                &json!({"application_id": APP, "auth_key": KEY, "user": {"login": login, "password": format!("{login}-pass1")}}),
            )
            .await
            .expect(201);
        let token = a.body["session"]["token"]
            .as_str()
            .expect("token")
            .to_owned();
        let id = a.body["session"]["user_id"].as_i64().expect("user id");
        (token, id)
    }

    /// Creates a dialog as `token` and returns its id.
    pub async fn dialog(&self, token: &str, body: Value) -> String {
        let a = self
            .post("/chat/Dialog.json", token, body)
            .await
            .expect(201);
        a.body["_id"].as_str().expect("dialog id").to_owned()
    }

    /// Sends a message to a dialog and returns its id.
    pub async fn message(&self, token: &str, dialog: &str, text: &str) -> String {
        let a = self
            .post(
                "/chat/Message.json",
                token,
                json!({"chat_dialog_id": dialog, "message": text}),
            )
            .await
            .expect(201);
        a.body["_id"].as_str().expect("message id").to_owned()
    }
}
