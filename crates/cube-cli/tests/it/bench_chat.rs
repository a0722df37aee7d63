//! `cube bench setup` and `cube bench chat` against a real `cube serve` on loopback: every
//! message is delivered once and counted, and failures end the run with a non-zero exit
//! instead of a hang.

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::process::{Child, Command, Output, Stdio};

use serde_json::Value;

/// A started `cube serve`, stopped when dropped (also when a test fails).
struct Server {
    child: Child,
    rest: String,
    tcp: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn serve() -> Server {
    let mut child = Command::new(env!("CARGO_BIN_EXE_cube"))
        .args(["serve", "--http", "127.0.0.1:0", "--ws", "127.0.0.1:0"])
        .args(["--tcp", "127.0.0.1:0", "--db", ":memory:"])
        .args(["--app", "1:bench-key:bench-secret"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("cube serve starts");
    let stdout = child.stdout.take().expect("stdout");
    let (mut rest, mut tcp) = (String::new(), String::new());
    for line in BufReader::new(stdout).lines() {
        let line = line.expect("a line");
        if let Some(r) = line.strip_prefix("rest ") {
            r.clone_into(&mut rest);
        } else if let Some(t) = line.strip_prefix("tcp ") {
            t.clone_into(&mut tcp);
        } else if line == "ready" {
            break;
        }
    }
    assert!(!rest.is_empty() && !tcp.is_empty(), "no addresses printed");
    Server { child, rest, tcp }
}

fn cube(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_cube"))
        .args(args)
        .env("RUST_BACKTRACE", "0")
        .output()
        .expect("cube runs")
}

fn text(out: &Output) -> String {
    format!(
        "status {}\nstdout:\n{}\nstderr:\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// Signs up `users` users (with a group dialog when `group`); the ids file and the room.
fn setup(server: &Server, dir: &std::path::Path, count: usize, group: bool) -> (String, String) {
    let ids = dir.join(format!("ids-{count}-{group}.txt"));
    let ids = ids.to_str().expect("utf-8 path").to_owned();
    let users = count.to_string();
    let mut args = vec![
        "bench",
        "setup",
        "--url",
        &server.rest,
        "--app-id",
        "1",
        "--auth-key",
        "bench-key",
        "--users",
        &users,
        "--ids-out",
        &ids,
    ];
    if group {
        args.push("--group");
    }
    let out = cube(&args);
    assert!(out.status.success(), "{}", text(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("user-pattern {id}-1"), "{stdout}");
    let room = stdout
        .lines()
        .find_map(|l| l.strip_prefix("room "))
        .unwrap_or_default()
        .to_owned();
    assert_eq!(group, !room.is_empty(), "{stdout}");
    assert_eq!(
        std::fs::read_to_string(&ids).unwrap().lines().count(),
        count
    );
    (ids, room)
}

/// Runs `cube bench chat --json` with `args`; the exit and the JSON line.
fn bench(server: &Server, ids: &str, args: &[&str]) -> (Output, Value) {
    let mut all = vec![
        "bench",
        "chat",
        "--addr",
        &server.tcp,
        "--ids",
        ids,
        "--user-pattern",
        "{id}-1",
        "--password-pattern",
        "bench-pw-{i}",
        "--timeout",
        "30",
        "--json",
    ];
    all.extend_from_slice(args);
    let out = cube(&all);
    let line = String::from_utf8_lossy(&out.stdout);
    let json: Value = serde_json::from_str(line.trim())
        .unwrap_or_else(|e| panic!("one JSON line ({e}): {}", text(&out)));
    (out, json)
}

#[test]
fn every_message_is_delivered_once_one_to_one_in_a_group_and_with_history() {
    let server = serve();
    let dir = tempfile::tempdir().unwrap();

    let (ids, _) = setup(&server, dir.path(), 4, false);
    for extra in [&[][..], &["--save-to-history"][..]] {
        let mut args = vec!["--pairs", "2", "--messages", "25", "--window", "4"];
        args.extend_from_slice(extra);
        let (out, json) = bench(&server, &ids, &args);
        assert!(out.status.success(), "{}", text(&out));
        assert_eq!(json["mode"], "1:1");
        assert_eq!(json["ok"], true);
        assert_eq!(json["expected"], 50);
        assert_eq!(json["delivered"], 50);
        assert_eq!(json["sent"], 50);
        assert_eq!(json["duplicates"], 0);
        assert_eq!(json["errors"], 0);
        assert_eq!(json["save_to_history"], !extra.is_empty());
        assert!(json["p50_ms"].as_f64().unwrap() <= json["p99_ms"].as_f64().unwrap());
    }

    let (ids, room) = setup(&server, dir.path(), 4, true);
    let args = [
        "--group",
        "2",
        "--receivers",
        "2",
        "--room",
        &room,
        "--messages",
        "10",
        "--window",
        "3",
    ];
    let (out, json) = bench(&server, &ids, &args);
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(json["mode"], "group");
    // 2 senders x 10 messages, each to both receivers.
    assert_eq!(json["expected"], 40);
    assert_eq!(json["delivered"], 40);
    assert_eq!(json["sent"], 20);
    assert_eq!(json["ok"], true);
}

#[test]
fn a_refused_login_ends_the_run_with_an_error() {
    let server = serve();
    let dir = tempfile::tempdir().unwrap();
    let (ids, _) = setup(&server, dir.path(), 2, false);
    let out = cube(&[
        "bench",
        "chat",
        "--addr",
        &server.tcp,
        "--ids",
        &ids,
        "--user-pattern",
        "{id}-1",
        "--password-pattern",
        "wrong-password-{i}",
        "--pairs",
        "1",
        "--messages",
        "5",
        "--timeout",
        "30",
    ]);
    assert!(!out.status.success(), "{}", text(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("logging in"), "{}", text(&out));
}

#[test]
fn a_server_that_never_answers_ends_the_run_at_the_timeout() {
    // Accepts connections (the OS completes the handshake) and never reads or writes.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let out = cube(&[
        "bench",
        "chat",
        "--addr",
        &addr,
        "--pairs",
        "2",
        "--messages",
        "5",
        "--timeout",
        "1",
        "--json",
    ]);
    assert!(!out.status.success(), "{}", text(&out));
    let json: Value = serde_json::from_slice(&out.stdout).expect("the JSON line");
    assert_eq!(json["ok"], false);
    assert_eq!(json["delivered"], 0);
    assert!(
        json["failure"]
            .as_str()
            .unwrap_or_default()
            .contains("logged in"),
        "{json}"
    );
    drop(listener);
}
