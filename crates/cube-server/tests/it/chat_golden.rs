//! The official JS SDK's client frames (golden-xmpp-transcripts.json: plain, scram, sm,
//! reconnect) replayed against the real WebSocket listener: login and bind complete, and the
//! frames that follow are served without a stream error.
//!
//! Every C->S frame is sent verbatim except the SCRAM client-final message, which depends on
//! the server's nonce and is recomputed (from the transcript's own client nonce and password).
#![allow(clippy::many_single_char_names)]

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use cube_server::domain::dialogs::{self, Actor, NewDialog};
use cube_xmpp::client::ClientConfig;
use cube_xmpp::sasl::{Password, ScramClient};
use cube_xmpp::{Framing, Jid};
use serde_json::{Value, json};

use super::chat_client::{Client, Socket, Via, WAIT};
use super::support::TestServer;

const TRANSCRIPTS: &str = include_str!("data/golden-xmpp-transcripts.json");
const DOMAIN: &str = "chat.connectycube.com";
const APP: i64 = 385;
const KEY: &str = "golden-auth-key";
const PASSWORD: &str = "USER_TOKEN_0123456789abcdef";
const DIALOG: &str = "5f1e6a0c3d9e4a0001a1b2c3";

/// A server with the transcripts' fixtures: app 385, users 5 and 6, the group dialog.
async fn golden_server() -> TestServer {
    let t = TestServer::with_config(|mut c| {
        DOMAIN.clone_into(&mut c.domain);
        c.with_app(APP, KEY, "golden-auth-secret")
    })
    .await;
    for i in 1..=6 {
        let a = t
            .json(
                reqwest::Method::POST,
                "/session.json",
                None,
                &json!({"application_id": APP, "auth_key": KEY,
                        "user": {"login": format!("golden{i}"), "password": PASSWORD}}),
            )
            .await
            .expect(201);
        assert_eq!(a.body["session"]["user_id"], json!(i), "fixture user ids");
    }
    let now = t.server.service().now();
    t.server
        .service()
        .write(move |c| {
            let input = NewDialog {
                dialog_type: 2,
                name: Some("golden".into()),
                occupants_ids: vec![6],
                ..NewDialog::default()
            };
            let actor = Actor {
                app_id: APP,
                user_id: 5,
            };
            dialogs::create(c, actor, &input, DIALOG, false, now)
        })
        .await
        .expect("golden dialog");
    t
}

async fn recv(socket: &mut Socket) -> String {
    let got = tokio::time::timeout(WAIT, socket.recv())
        .await
        .expect("server answers in time")
        .expect("socket open");
    String::from_utf8(got).expect("utf-8")
}

/// The next frame that is not a stream management ack request.
async fn next_frame(socket: &mut Socket) -> String {
    loop {
        let f = recv(socket).await;
        if !f.starts_with("<r ") {
            return f;
        }
    }
}

fn element_name(xml: &str) -> &str {
    let rest = xml.trim_start().trim_start_matches('<');
    let end = rest
        .find(|c: char| c.is_whitespace() || c == '>' || c == '/')
        .unwrap_or(rest.len());
    &rest[..end]
}

fn sasl_text(xml: &str) -> Vec<u8> {
    let start = xml.find('>').map_or(0, |i| i + 1);
    let end = xml.rfind("</").unwrap_or(xml.len());
    B64.decode(&xml[start..end]).expect("base64 sasl payload")
}

/// The frame the SDK would send as its SCRAM client-final message for this server-first.
fn scram_response(client_first: &str, server_first: &[u8]) -> String {
    let nonce = client_first.rsplit("r=").next().expect("client nonce");
    let mut client = ScramClient::new("5-385", Password::new(PASSWORD), nonce).expect("scram");
    assert_eq!(
        String::from_utf8_lossy(&client.client_first()),
        client_first
    );
    let fin = client
        .handle_server_first(server_first)
        .expect("server-first");
    format!(
        r#"<response xmlns="urn:ietf:params:xml:ns:xmpp-sasl" mechanism="SCRAM-SHA-1">{}</response>"#,
        B64.encode(fin)
    )
}

/// The peer (user 6), connected with cube-xmpp's client to watch what the replay routes.
async fn peer(t: &TestServer) -> Client {
    let jid = Jid::new(Some("6-385"), DOMAIN, None).expect("jid");
    let cfg = ClientConfig::new(jid, Password::new(PASSWORD), Framing::WebSocket)
        .with_stream_to("127.0.0.1")
        .with_ping(None, 20_000);
    Client::try_connect(t, Via::Ws, cfg)
        .await
        .expect("peer login")
}

async fn replay(name: &str) {
    let all: Value = serde_json::from_str(TRANSCRIPTS).expect("transcripts");
    let scenario = &all[name];
    let frames = scenario["transcript"].as_array().expect("frames");
    let mut client_first = String::new();
    let t = golden_server().await;
    let mut watcher = peer(&t).await;
    let mut socket = Socket::open(&t, Via::Ws).await;
    let mut bound = 0;
    let mut bound_here = false;
    let mut server_first = Vec::new();
    let mut i = 0;
    while i < frames.len() {
        let f = &frames[i];
        i += 1;
        if f["dir"] != "C->S" {
            continue;
        }
        let label = f["label"].as_str().unwrap_or_default();
        let mut xml = f["xml"].as_str().expect("xml").to_owned();
        if xml.starts_with("<open") && bound_here {
            // The SDK's reconnect: a new socket, full SASL again.
            socket = Socket::open(&t, Via::Ws).await;
            bound_here = false;
        }
        if xml.starts_with("<auth") && xml.contains("SCRAM-SHA-1") {
            client_first = String::from_utf8(sasl_text(&xml)).expect("client-first");
        }
        if xml.starts_with("<response") {
            xml = scram_response(&client_first, &server_first);
        }
        assert!(socket.send(xml.as_bytes()).await, "{name}: send {xml}");
        // Read what the SDK waited for during negotiation: the S->C frames that follow.
        let expected: Vec<&str> = frames[i..]
            .iter()
            .take_while(|x| x["dir"] == "S->C")
            .filter_map(|x| x["xml"].as_str())
            .collect();
        if label != "connect" && !label.starts_with("RECONNECT") {
            continue;
        }
        for want in expected {
            let got = next_frame(&mut socket).await;
            let (w, g) = (element_name(want), element_name(&got));
            assert_eq!(g, w, "{name}: expected {want}, got {got}");
            if g == "challenge" {
                server_first = sasl_text(&got);
            }
            if g == "iq" && got.contains("<jid>") {
                assert!(
                    got.contains("<jid>5-385@chat.connectycube.com/"),
                    "{name}: bound jid in {got}"
                );
                bound += 1;
                bound_here = true;
            }
            if g == "open" {
                assert!(got.contains(r#"from="chat.connectycube.com""#), "{got}");
            }
        }
    }
    let expected_binds = if name == "reconnect" { 2 } else { 1 };
    assert_eq!(bound, expected_binds, "{name}: binds");
    // The last frame was `<close/>`: the server closes too, without a stream error.
    let rest = socket.read_to_close().await;
    assert!(!rest.contains("stream:error"), "{name}: {rest}");
    assert!(rest.contains("<close"), "{name}: {rest}");
    // The 1:1 message of each scenario reached user 6.
    let got = watcher.expect_body().await;
    assert_eq!(
        got.from
            .and_then(|f| f.user_id())
            .map(cube_model::UserId::get),
        Some(5)
    );
    watcher.close().await;
}

#[tokio::test]
async fn js_sdk_plain_frames_log_in_bind_and_chat() {
    replay("plain").await;
}

#[tokio::test]
async fn js_sdk_scram_frames_log_in_bind_and_chat() {
    replay("scram").await;
}

#[tokio::test]
async fn js_sdk_stream_management_frames_are_served() {
    replay("sm").await;
}

#[tokio::test]
async fn js_sdk_reconnect_frames_log_in_twice() {
    replay("reconnect").await;
}
