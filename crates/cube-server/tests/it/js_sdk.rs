//! The official ConnectyCube JS SDK (connectycube@6.1.2, unchanged) against the in-process
//! server: `interop/js/smoke.js` signs up two users, creates dialogs, chats over WebSocket,
//! sends a read marker and reads history over REST.
#![allow(clippy::many_single_char_names)]

use std::path::PathBuf;
use std::process::Command;

use super::support::{APP, KEY, TestServer};

fn interop_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../interop/js")
}

#[tokio::test]
async fn official_js_sdk_smoke_script_passes() {
    let dir = interop_dir();
    assert!(
        dir.join("node_modules/connectycube").is_dir(),
        "the JS SDK is not installed: run `npm ci` in {}",
        dir.display()
    );
    let t = TestServer::start().await;
    let ws = t.server.ws_addr().expect("ws listener");
    let mut cmd = Command::new("node");
    cmd.arg("smoke.js")
        .current_dir(&dir)
        .env("CUBE_API_URL", t.server.rest_url())
        .env("CUBE_WS_URL", format!("ws://{ws}"))
        .env("CUBE_APP_ID", APP.to_string())
        .env("CUBE_AUTH_KEY", KEY)
        .env("CUBE_CHAT_DOMAIN", "localhost")
        .env("CUBE_JS_SUFFIX", "it");
    // The server keeps running on this runtime while node runs on a blocking thread.
    let output = tokio::task::spawn_blocking(move || cmd.output())
        .await
        .expect("join")
        .expect("node runs (Node.js must be installed)");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "smoke.js failed ({}):\n{stdout}\n{stderr}",
        output.status
    );
    assert!(stdout.contains(r#""ok":true"#), "{stdout}");
}
