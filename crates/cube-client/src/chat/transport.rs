//! The byte pipes under a chat connection: WebSocket (subprotocol `xmpp`), plain TCP, TCP
//! upgraded with STARTTLS, or TCP with direct TLS. They only move bytes; cube-xmpp's state
//! machine does the protocol.

use std::sync::Arc;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message as WsMessage;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use cube_xmpp::Framing;

use super::ChatError;
use crate::config::ChatTransport;

type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;
type Tls = tokio_rustls::client::TlsStream<TcpStream>;

/// An open transport.
pub(crate) enum Transport {
    /// RFC 7395: one element per text frame.
    WebSocket(Box<Ws>),
    /// RFC 6120 on plain TCP.
    Tcp(TcpStream),
    /// RFC 6120 on TLS (direct, or after STARTTLS).
    Tls(Box<Tls>),
}

impl std::fmt::Debug for Transport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Transport::WebSocket(_) => "Transport::WebSocket",
            Transport::Tcp(_) => "Transport::Tcp",
            Transport::Tls(_) => "Transport::Tls",
        })
    }
}

/// The TLS settings for `wss://`, `xmpps://` and STARTTLS: the webpki roots unless the caller
/// gave its own.
pub(crate) fn tls_config(
    custom: Option<&Arc<rustls::ClientConfig>>,
) -> Result<Arc<rustls::ClientConfig>, ChatError> {
    if let Some(c) = custom {
        return Ok(c.clone());
    }
    let mut roots = rustls::RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(|e| ChatError::Config(format!("tls: {e}")))?
    .with_root_certificates(roots)
    .with_no_client_auth();
    Ok(Arc::new(config))
}

impl Transport {
    /// Opens the transport within `timeout`.
    pub(crate) async fn connect(
        target: &ChatTransport,
        timeout: Duration,
        tls: Option<&Arc<rustls::ClientConfig>>,
    ) -> Result<Self, ChatError> {
        tokio::time::timeout(timeout, Self::connect_inner(target, tls))
            .await
            .map_err(|_| ChatError::Timeout("connecting"))?
    }

    async fn connect_inner(
        target: &ChatTransport,
        tls: Option<&Arc<rustls::ClientConfig>>,
    ) -> Result<Self, ChatError> {
        match target {
            ChatTransport::WebSocket { url } => {
                let mut req = url
                    .as_str()
                    .into_client_request()
                    .map_err(|e| ChatError::WebSocket(Box::new(e)))?;
                req.headers_mut().insert(
                    "sec-websocket-protocol",
                    http::HeaderValue::from_static("xmpp"),
                );
                let connector = if url.starts_with("wss://") {
                    Some(tokio_tungstenite::Connector::Rustls(tls_config(tls)?))
                } else {
                    None
                };
                let (ws, _resp) =
                    tokio_tungstenite::connect_async_tls_with_config(req, None, false, connector)
                        .await
                        .map_err(|e| ChatError::WebSocket(Box::new(e)))?;
                Ok(Transport::WebSocket(Box::new(ws)))
            }
            ChatTransport::Tcp {
                host,
                port,
                tls: use_tls,
            } => {
                let addr = format!("{host}:{port}");
                let tcp = TcpStream::connect(&addr)
                    .await
                    .map_err(|source| ChatError::Connect {
                        addr: addr.clone(),
                        source,
                    })?;
                let _ = tcp.set_nodelay(true);
                if !use_tls {
                    return Ok(Transport::Tcp(tcp));
                }
                let name = rustls::pki_types::ServerName::try_from(host.clone())
                    .map_err(|e| ChatError::Config(format!("tls server name {host:?}: {e}")))?;
                let stream = tokio_rustls::TlsConnector::from(tls_config(tls)?)
                    .connect(name, tcp)
                    .await
                    .map_err(|source| ChatError::Connect { addr, source })?;
                Ok(Transport::Tls(Box::new(stream)))
            }
        }
    }

    /// STARTTLS: the TLS handshake on the plain TCP stream after `<proceed/>`, within
    /// `timeout`, verifying the certificate for `host`.
    pub(crate) async fn starttls(
        self,
        host: &str,
        timeout: Duration,
        tls: Option<&Arc<rustls::ClientConfig>>,
    ) -> Result<Self, ChatError> {
        let Transport::Tcp(tcp) = self else {
            return Err(ChatError::Stream(
                "starttls on a transport that is not plain tcp".into(),
            ));
        };
        let name = rustls::pki_types::ServerName::try_from(host.to_owned())
            .map_err(|e| ChatError::Config(format!("tls server name {host:?}: {e}")))?;
        let connect = tokio_rustls::TlsConnector::from(tls_config(tls)?).connect(name, tcp);
        let stream = tokio::time::timeout(timeout, connect)
            .await
            .map_err(|_| ChatError::Timeout("the starttls handshake"))?
            .map_err(|source| ChatError::Connect {
                addr: host.to_owned(),
                source,
            })?;
        Ok(Transport::Tls(Box::new(stream)))
    }

    /// The framing the state machine must use.
    pub(crate) fn framing(&self) -> Framing {
        match self {
            Transport::WebSocket(_) => Framing::WebSocket,
            Transport::Tcp(_) | Transport::Tls(_) => Framing::Tcp,
        }
    }

    /// Writes one chunk (one WebSocket text frame).
    pub(crate) async fn send(&mut self, bytes: Vec<u8>) -> Result<(), ChatError> {
        let lost = |source| ChatError::Connect {
            addr: "chat server".into(),
            source,
        };
        match self {
            Transport::WebSocket(ws) => {
                let text = String::from_utf8(bytes)
                    .map_err(|_| ChatError::Stream("outgoing frame is not utf-8".into()))?;
                ws.send(WsMessage::text(text))
                    .await
                    .map_err(|e| ChatError::WebSocket(Box::new(e)))
            }
            Transport::Tcp(s) => s.write_all(&bytes).await.map_err(lost),
            Transport::Tls(s) => {
                s.write_all(&bytes).await.map_err(lost)?;
                s.flush().await.map_err(lost)
            }
        }
    }

    /// Reads the next chunk; `None` when the peer closed the transport.
    ///
    /// Cancel-safe: a chunk is either returned or stays in the transport.
    pub(crate) async fn recv(&mut self, buf: &mut [u8]) -> Option<Result<Vec<u8>, ChatError>> {
        let lost = |source| ChatError::Connect {
            addr: "chat server".into(),
            source,
        };
        match self {
            Transport::WebSocket(ws) => loop {
                match ws.next().await? {
                    Ok(WsMessage::Text(t)) => return Some(Ok(t.as_bytes().to_vec())),
                    Ok(WsMessage::Binary(b)) => return Some(Ok(b.to_vec())),
                    Ok(WsMessage::Close(_)) => return None,
                    Ok(_) => {}
                    Err(e) => return Some(Err(ChatError::WebSocket(Box::new(e)))),
                }
            },
            Transport::Tcp(s) => match s.read(buf).await {
                Ok(0) => None,
                Ok(n) => Some(Ok(buf[..n].to_vec())),
                Err(e) => Some(Err(lost(e))),
            },
            Transport::Tls(s) => match s.read(buf).await {
                Ok(0) => None,
                Ok(n) => Some(Ok(buf[..n].to_vec())),
                Err(e) => Some(Err(lost(e))),
            },
        }
    }

    /// Ends the transport (after the stream close was written).
    pub(crate) async fn shutdown(&mut self) {
        match self {
            Transport::WebSocket(ws) => {
                let _ = ws.close(None).await;
            }
            Transport::Tcp(s) => {
                let _ = s.shutdown().await;
            }
            Transport::Tls(s) => {
                let _ = s.shutdown().await;
            }
        }
    }
}
