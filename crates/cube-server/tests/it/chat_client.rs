//! A small chat test client over real sockets: cube-xmpp's `ClientConnection` state machine on
//! a WebSocket (tokio-tungstenite) or a TCP stream, plus raw-frame clients for bad input.
#![allow(clippy::many_single_char_names)]

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::time::Duration;

use cube_xmpp::client::{ClientConfig, ClientConnection, ClientEvent, ResumeState};
use cube_xmpp::sasl::Password;
use cube_xmpp::stanza::{ExtraParams, Message, MessageType};
use cube_xmpp::{CloseReason, Framing, Jid, Stanza};
use futures_util::{SinkExt, StreamExt};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::Instant;
use tokio_rustls::rustls::pki_types::ServerName;
use tokio_rustls::rustls::{ClientConfig as TlsConfig, RootCertStore};
use tokio_tungstenite::tungstenite::Message as WsMessage;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

use super::support::{APP, TestServer};

/// How long a test waits for something the server should send before failing.
pub const WAIT: Duration = Duration::from_secs(10);

/// The chat domain of test servers.
pub const DOMAIN: &str = "localhost";

/// Which listener.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Via {
    Ws,
    Tcp,
    /// Direct TLS on the TCP listener (servers started with a certificate).
    Tls,
}

pub const BOTH: [Via; 2] = [Via::Ws, Via::Tcp];

type WsStream = tokio_tungstenite::WebSocketStream<TcpStream>;

/// A connected socket of either kind.
pub enum Socket {
    Ws(Box<WsStream>),
    Tcp(TcpStream),
    Tls(Box<tokio_rustls::client::TlsStream<TcpStream>>),
    /// Taken apart (while a STARTTLS handshake runs).
    Gone,
}

/// The PEM files of the test certificate (CN and SAN `localhost`, self-signed).
pub fn tls_files() -> cube_server::chat::TlsFiles {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/it/data");
    cube_server::chat::TlsFiles {
        cert: dir.join("chat-tls-cert.pem"),
        key: dir.join("chat-tls-key.pem"),
    }
}

/// A TLS client that trusts only the test certificate.
fn tls_connector() -> tokio_rustls::TlsConnector {
    let pem = std::fs::read(tls_files().cert).expect("test certificate");
    let mut roots = RootCertStore::empty();
    for cert in rustls_pemfile::certs(&mut pem.as_slice()) {
        roots.add(cert.expect("pem")).expect("root");
    }
    let config = TlsConfig::builder_with_provider(std::sync::Arc::new(
        tokio_rustls::rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .expect("protocols")
    .with_root_certificates(roots)
    .with_no_client_auth();
    tokio_rustls::TlsConnector::from(std::sync::Arc::new(config))
}

impl Socket {
    pub async fn open(server: &TestServer, via: Via) -> Socket {
        match via {
            Via::Ws => {
                let addr = server.server.ws_addr().expect("ws listener");
                let stream = TcpStream::connect(addr).await.expect("ws connect");
                let mut req = format!("ws://{addr}/")
                    .into_client_request()
                    .expect("request");
                req.headers_mut()
                    .insert("Sec-WebSocket-Protocol", "xmpp".parse().expect("header"));
                let (ws, resp) = tokio_tungstenite::client_async(req, stream)
                    .await
                    .expect("websocket handshake");
                assert_eq!(
                    resp.headers()
                        .get("sec-websocket-protocol")
                        .and_then(|v| v.to_str().ok()),
                    Some("xmpp")
                );
                Socket::Ws(Box::new(ws))
            }
            Via::Tcp => {
                let addr: SocketAddr = server.server.tcp_addr().expect("tcp listener");
                Socket::Tcp(TcpStream::connect(addr).await.expect("tcp connect"))
            }
            Via::Tls => {
                let addr: SocketAddr = server.server.tcp_addr().expect("tcp listener");
                let tcp = TcpStream::connect(addr).await.expect("tcp connect");
                let tls = tls_connector()
                    .connect(ServerName::try_from("localhost").expect("name"), tcp)
                    .await
                    .expect("tls handshake");
                Socket::Tls(Box::new(tls))
            }
        }
    }

    /// Sends bytes (one WebSocket text frame).
    pub async fn send(&mut self, bytes: &[u8]) -> bool {
        match self {
            Socket::Ws(ws) => ws
                .send(WsMessage::Text(
                    String::from_utf8_lossy(bytes).into_owned().into(),
                ))
                .await
                .is_ok(),
            Socket::Tcp(s) => s.write_all(bytes).await.is_ok(),
            Socket::Tls(s) => s.write_all(bytes).await.is_ok() && s.flush().await.is_ok(),
            Socket::Gone => false,
        }
    }

    /// The next received bytes; `None` when the socket is closed.
    pub async fn recv(&mut self) -> Option<Vec<u8>> {
        match self {
            Socket::Ws(ws) => loop {
                match ws.next().await? {
                    Ok(WsMessage::Text(t)) => return Some(t.as_bytes().to_vec()),
                    Ok(WsMessage::Binary(b)) => return Some(b.to_vec()),
                    Ok(WsMessage::Close(_)) | Err(_) => return None,
                    Ok(_) => {}
                }
            },
            Socket::Tcp(s) => read_some(s).await,
            Socket::Tls(s) => read_some(s.as_mut()).await,
            Socket::Gone => None,
        }
    }

    /// Everything received until the server closes the socket (bounded by [`WAIT`]).
    pub async fn read_to_close(&mut self) -> String {
        let mut all = Vec::new();
        let deadline = Instant::now() + WAIT;
        loop {
            let got = tokio::time::timeout_at(deadline, self.recv())
                .await
                .unwrap_or_else(|_| {
                    panic!(
                        "server did not close the socket; got so far: {}",
                        String::from_utf8_lossy(&all)
                    )
                });
            match got {
                Some(b) => all.extend_from_slice(&b),
                None => break,
            }
        }
        String::from_utf8_lossy(&all).into_owned()
    }
}

async fn read_some(s: &mut (impl AsyncReadExt + Unpin)) -> Option<Vec<u8>> {
    let mut buf = vec![0; 16 * 1024];
    match s.read(&mut buf).await {
        Ok(0) | Err(_) => None,
        Ok(n) => {
            buf.truncate(n);
            Some(buf)
        }
    }
}

pub fn user_jid(user: i64) -> Jid {
    Jid::new(Some(&format!("{user}-{APP}")), DOMAIN, None).expect("jid")
}

pub fn room_jid(dialog: &str) -> Jid {
    Jid::new(
        Some(&format!("{APP}_{dialog}")),
        &format!("muc.{DOMAIN}"),
        None,
    )
    .expect("room jid")
}

/// A chat client driven by cube-xmpp's client state machine.
pub struct Client {
    pub socket: Socket,
    pub machine: ClientConnection,
    pub events: VecDeque<ClientEvent>,
    pub jid: Option<Jid>,
    epoch: Instant,
}

fn entropy() -> [u8; 32] {
    let mut seed = [0u8; 32];
    getrandom::fill(&mut seed).expect("entropy");
    seed
}

impl Client {
    pub fn config(user: i64, password: &str, via: Via) -> ClientConfig {
        let framing = match via {
            Via::Ws => Framing::WebSocket,
            Via::Tcp | Via::Tls => Framing::Tcp,
        };
        ClientConfig::new(user_jid(user), Password::new(password), framing)
            .with_stream_to("127.0.0.1")
            .with_ping(None, 20_000)
    }

    /// Connects and negotiates; `Err` with the reason when the server refuses.
    pub async fn try_connect(
        server: &TestServer,
        via: Via,
        config: ClientConfig,
    ) -> Result<Client, CloseReason> {
        let socket = Socket::open(server, via).await;
        let epoch = Instant::now();
        let machine = ClientConnection::new(config, entropy(), 0);
        let mut c = Client {
            socket,
            machine,
            events: VecDeque::new(),
            jid: None,
            epoch,
        };
        let deadline = Instant::now() + WAIT;
        loop {
            c.flush().await;
            while let Some(ev) = c.machine.poll_event() {
                c.events.push_back(ev);
            }
            let mut rest = VecDeque::new();
            while let Some(ev) = c.events.pop_front() {
                match ev {
                    ClientEvent::Online { jid, .. } => {
                        c.jid = Some(jid);
                        rest.extend(c.events.drain(..));
                        c.events = rest;
                        return Ok(c);
                    }
                    ClientEvent::Closed(reason) => return Err(reason),
                    ClientEvent::StartTls => c.starttls().await,
                    other => rest.push_back(other),
                }
            }
            c.events = rest;
            assert!(Instant::now() < deadline, "negotiation did not finish");
            c.pump(deadline).await;
        }
    }

    pub async fn connect(server: &TestServer, via: Via, user: i64, password: &str) -> Client {
        Self::try_connect(server, via, Self::config(user, password, via))
            .await
            .expect("chat login")
    }

    /// After `<proceed/>`: the TLS handshake on the plain socket, then the stream restarts.
    async fn starttls(&mut self) {
        let Socket::Tcp(plain) = std::mem::replace(&mut self.socket, Socket::Gone) else {
            panic!("STARTTLS on a socket that is not plain TCP");
        };
        let tls = tls_connector()
            .connect(ServerName::try_from("localhost").expect("name"), plain)
            .await
            .expect("tls handshake after proceed");
        self.socket = Socket::Tls(Box::new(tls));
        let now = self.now();
        self.machine.tls_established(now);
        self.flush().await;
    }

    fn now(&self) -> u64 {
        u64::try_from(self.epoch.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    async fn flush(&mut self) {
        while let Some(bytes) = self.machine.poll_transmit() {
            if std::env::var_os("CHAT_DEBUG").is_some() {
                eprintln!("C->S {}", String::from_utf8_lossy(&bytes));
            }
            if !self.socket.send(&bytes).await {
                self.machine.connection_lost();
            }
        }
    }

    /// Waits for input or the machine's timer, up to `deadline`.
    async fn pump(&mut self, deadline: Instant) {
        let timer = self
            .machine
            .poll_timeout()
            .map_or(deadline, |t| self.epoch + Duration::from_millis(t))
            .min(deadline);
        tokio::select! {
            got = self.socket.recv() => {
                let now = self.now();
                match got {
                    Some(b) => {
                        if std::env::var_os("CHAT_DEBUG").is_some() {
                            eprintln!("S->C {}", String::from_utf8_lossy(&b));
                        }
                        self.machine.handle_input(&b, now);
                    }
                    None => self.machine.connection_lost(),
                }
            }
            () = tokio::time::sleep_until(timer) => {
                let now = self.now();
                self.machine.handle_timeout(now);
            }
        }
        self.flush().await;
        while let Some(ev) = self.machine.poll_event() {
            self.events.push_back(ev);
        }
    }

    pub fn send(&mut self, stanza: impl Into<Stanza>) {
        self.machine.send(stanza).expect("client online");
    }

    /// Sends and writes it out now.
    pub async fn send_now(&mut self, stanza: impl Into<Stanza>) {
        self.send(stanza);
        self.flush().await;
    }

    /// The next event matching `f` (others before it are dropped); panics after [`WAIT`].
    pub async fn next_event<T>(&mut self, mut f: impl FnMut(&ClientEvent) -> Option<T>) -> T {
        let deadline = Instant::now() + WAIT;
        loop {
            while let Some(ev) = self.events.pop_front() {
                if let Some(t) = f(&ev) {
                    return t;
                }
            }
            assert!(Instant::now() < deadline, "expected event did not arrive");
            self.pump(deadline).await;
        }
    }

    /// The next stanza matching `f`.
    pub async fn expect<T>(&mut self, mut f: impl FnMut(&Stanza) -> Option<T>) -> T {
        self.next_event(|ev| match ev {
            ClientEvent::Stanza(s) => f(s),
            _ => None,
        })
        .await
    }

    /// The next message with a body.
    pub async fn expect_body(&mut self) -> Message {
        self.expect(|s| match s {
            Stanza::Message(m) if m.body.is_some() => Some(m.clone()),
            _ => None,
        })
        .await
    }

    /// Waits until the server has processed everything sent so far (an iq round trip on the
    /// same stream); other events stay queued.
    pub async fn sync(&mut self) {
        let id = format!("sync-{}", self.now());
        let ping = cube_xmpp::stanza::Iq::get(id.clone(), cube_xmpp::stanza::IqPayload::Ping);
        self.send_now(ping).await;
        let deadline = Instant::now() + WAIT;
        let mut kept = VecDeque::new();
        loop {
            while let Some(ev) = self.events.pop_front() {
                if matches!(&ev, ClientEvent::Stanza(Stanza::Iq(iq)) if iq.id == id) {
                    kept.extend(self.events.drain(..));
                    self.events = kept;
                    return;
                }
                kept.push_back(ev);
            }
            assert!(Instant::now() < deadline, "no answer to the sync ping");
            self.pump(deadline).await;
        }
    }

    /// Everything received until nothing more can arrive: syncs first.
    pub async fn drain(&mut self) -> Vec<Stanza> {
        self.sync().await;
        let mut out = Vec::new();
        for ev in self.events.drain(..) {
            if let ClientEvent::Stanza(s) = ev {
                out.push(s);
            }
        }
        out
    }

    /// Closes the stream cleanly and waits for the server to close the socket.
    pub async fn close(mut self) {
        // The machine acknowledges what it handled before closing (stream management), so
        // the server keeps nothing of this session for the next connection.
        self.machine.close();
        self.flush().await;
        let _ = tokio::time::timeout(WAIT, self.socket.read_to_close()).await;
    }

    /// Drops the socket without closing the stream; the state to resume with.
    pub fn drop_socket(mut self) -> Option<ResumeState> {
        self.machine.connection_lost();
        self.machine.resume_state()
    }
}

/// A chat message to a user with `save_to_history` and a dialog id when given.
pub fn chat(to: i64, body: &str, id: &str, dialog: Option<&str>, save: bool) -> Message {
    let mut p = ExtraParams::new();
    if save {
        p = p.with("save_to_history", "1");
    }
    if let Some(d) = dialog {
        p = p.with("dialog_id", d);
    }
    Message::chat(user_jid(to), body)
        .with_id(id)
        .with_extra_params(p)
}

/// A group message to a dialog's room.
pub fn group(dialog: &str, body: &str, id: &str, save: bool) -> Message {
    let mut p = ExtraParams::new();
    if save {
        p = p.with("save_to_history", "1");
    }
    Message::groupchat(room_jid(dialog), body)
        .with_id(id)
        .with_extra_params(p)
}

/// The error of an error message with this id, if that is what the stanza is.
pub fn error_of(s: &Stanza, id: &str) -> Option<cube_xmpp::stanza::StanzaError> {
    match s {
        Stanza::Message(m)
            if m.message_type() == MessageType::Error && m.id.as_deref() == Some(id) =>
        {
            m.error.clone()
        }
        _ => None,
    }
}

/// A fresh 24-hex message id.
pub fn oid(n: u32) -> String {
    format!("65937d25{:016x}", u64::from(n) << 8 | 0xab)
}
