//! The byte movers under a chat connection: a WebSocket (one XMPP element per text message,
//! RFC 7395) or a byte stream (TCP, or TLS over TCP, RFC 6120).

use std::io;

use axum::extract::ws::{Message as WsMessage, WebSocket};
use futures_util::SinkExt;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

/// A byte stream a chat connection can run on (TCP or TLS).
pub trait Io: AsyncRead + AsyncWrite + Unpin + Send {}

impl<T: AsyncRead + AsyncWrite + Unpin + Send> Io for T {}

/// One connection's transport.
pub enum Transport {
    /// XMPP over WebSocket.
    Ws(Box<WebSocket>),
    /// XMPP over a byte stream.
    Stream(Box<dyn Io>),
}

impl std::fmt::Debug for Transport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Ws(_) => "Transport::Ws",
            Self::Stream(_) => "Transport::Stream",
        })
    }
}

impl Transport {
    /// Receives the next bytes into `buf` (cleared first); `false` when the peer is gone.
    ///
    /// Cancel-safe: nothing is lost when the future is dropped before it completes.
    pub async fn recv(&mut self, buf: &mut Vec<u8>) -> io::Result<bool> {
        buf.clear();
        match self {
            Self::Ws(ws) => loop {
                match ws.recv().await {
                    None | Some(Ok(WsMessage::Close(_))) => return Ok(false),
                    Some(Ok(WsMessage::Text(t))) => {
                        buf.extend_from_slice(t.as_bytes());
                        return Ok(true);
                    }
                    Some(Ok(WsMessage::Binary(b))) => {
                        buf.extend_from_slice(&b);
                        return Ok(true);
                    }
                    Some(Ok(WsMessage::Ping(_) | WsMessage::Pong(_))) => {}
                    Some(Err(e)) => return Err(io::Error::other(e)),
                }
            },
            Self::Stream(s) => {
                buf.resize(16 * 1024, 0);
                let n = s.read(buf).await?;
                buf.truncate(n);
                Ok(n > 0)
            }
        }
    }

    /// Sends several chunks (one WebSocket message each) and flushes once.
    pub async fn send_all(&mut self, chunks: Vec<Vec<u8>>) -> io::Result<()> {
        match self {
            Self::Ws(ws) => {
                for bytes in chunks {
                    let text = String::from_utf8(bytes)
                        .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?;
                    ws.feed(WsMessage::Text(text.into()))
                        .await
                        .map_err(io::Error::other)?;
                }
                ws.flush().await.map_err(io::Error::other)
            }
            Self::Stream(s) => {
                for bytes in chunks {
                    s.write_all(&bytes).await?;
                }
                s.flush().await
            }
        }
    }

    /// Ends the transport (a WebSocket close frame, or a TCP shutdown).
    pub async fn shutdown(&mut self) {
        match self {
            Self::Ws(ws) => {
                let _ = ws.send(WsMessage::Close(None)).await;
            }
            Self::Stream(s) => {
                let _ = s.shutdown().await;
            }
        }
    }

    /// The byte stream, for a STARTTLS upgrade; none for WebSocket.
    pub fn into_stream(self) -> Option<Box<dyn Io>> {
        match self {
            Self::Stream(s) => Some(s),
            Self::Ws(_) => None,
        }
    }
}
