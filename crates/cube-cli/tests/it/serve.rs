//! `cube serve` keeps the start-up contract of DESIGN.md: flags and `CUBE_*` variables, port 0,
//! one line per bound address, then `ready`.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};

/// A started `cube serve`, stopped when dropped (also when a test fails).
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The lines printed up to `ready`, and the running child.
fn start(args: &[&str], env: &[(&str, &str)]) -> (Vec<String>, Running) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_cube"));
    cmd.arg("serve")
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = Running(cmd.spawn().expect("cube starts"));
    let stdout = child.0.stdout.take().expect("stdout");
    let mut lines = Vec::new();
    for line in BufReader::new(stdout).lines() {
        let line = line.expect("a line");
        let done = line == "ready";
        lines.push(line);
        if done {
            break;
        }
    }
    (lines, child)
}

fn field<'a>(lines: &'a [String], prefix: &str) -> &'a str {
    lines
        .iter()
        .find_map(|l| l.strip_prefix(prefix))
        .unwrap_or_else(|| panic!("no {prefix:?} line in {lines:?}"))
}

fn http_get(addr: &str, path: &str) -> String {
    let mut s = TcpStream::connect(addr).expect("connects");
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    out
}

#[test]
fn prints_each_bound_address_then_ready_and_serves() {
    let (lines, child) = start(
        &[
            "--http",
            "127.0.0.1:0",
            "--ws",
            "127.0.0.1:0",
            "--tcp",
            "127.0.0.1:0",
            "--db",
            ":memory:",
        ],
        &[],
    );
    assert_eq!(lines.last().map(String::as_str), Some("ready"));
    // No application given and none stored: a development one is created and shown.
    assert!(
        lines[0].starts_with("created development application: id 1 auth_key "),
        "{lines:?}"
    );
    let rest = field(&lines, "rest http://").to_owned();
    let ws = field(&lines, "ws ws://").to_owned();
    let tcp = field(&lines, "tcp ").to_owned();
    for addr in [&rest, &ws, &tcp] {
        let port: u16 = addr.rsplit(':').next().unwrap().parse().unwrap();
        assert_ne!(port, 0, "{addr}");
    }
    let answer = http_get(&rest, "/session.json");
    assert!(answer.starts_with("HTTP/1.1 401"), "{answer}");
    assert!(answer.contains(r#"{"errors":{"base":["Required session does not exist"]}}"#));
    TcpStream::connect(&tcp).expect("the chat TCP listener accepts");
    drop(child);
}

#[test]
fn environment_variables_configure_it() {
    let (lines, child) = start(
        &[],
        &[
            ("CUBE_HTTP", "127.0.0.1:0"),
            ("CUBE_WS", "127.0.0.1:0"),
            ("CUBE_TCP", "127.0.0.1:0"),
            ("CUBE_DB", ":memory:"),
            (
                "CUBE_APP",
                "42:env-key:env-secret,43:other-key:other-secret",
            ),
        ],
    );
    assert_eq!(lines.last().map(String::as_str), Some("ready"));
    // Applications were given: no development application.
    assert!(
        !lines.iter().any(|l| l.contains("development")),
        "{lines:?}"
    );
    let rest = field(&lines, "rest http://").to_owned();
    let mut s = TcpStream::connect(&rest).unwrap();
    let body = r#"{"application_id":43,"auth_key":"other-key"}"#;
    write!(
        s,
        "POST /session.json HTTP/1.1\r\nHost: {rest}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut answer = String::new();
    s.read_to_string(&mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 201"), "{answer}");
    drop(child);
}

#[test]
fn bad_flags_are_refused_before_starting() {
    let out = Command::new(env!("CARGO_BIN_EXE_cube"))
        .args(["serve", "--app", "not-an-app", "--db", ":memory:"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("ID:AUTH_KEY:AUTH_SECRET"), "{err}");
}
