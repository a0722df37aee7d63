//! TLS for the TCP listener: a rustls server configuration (ring provider) from PEM files,
//! direct TLS on accepted sockets and the STARTTLS upgrade of a plain stream.

use std::io;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpStream;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::{self, ServerConfig};

use super::TlsFiles;
use super::transport::Io;

/// How long a TLS handshake may take.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(15);

/// Reads the certificate chain and key and builds the server configuration.
pub fn server_config(files: &TlsFiles) -> io::Result<Arc<ServerConfig>> {
    let cert_pem = std::fs::read(&files.cert)?;
    let key_pem = std::fs::read(&files.key)?;
    let certs = rustls_pemfile::certs(&mut cert_pem.as_slice()).collect::<Result<Vec<_>, _>>()?;
    if certs.is_empty() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            "no certificate in the certificate file",
        ));
    }
    let key = rustls_pemfile::private_key(&mut key_pem.as_slice())?.ok_or_else(|| {
        io::Error::new(io::ErrorKind::InvalidData, "no private key in the key file")
    })?;
    let config =
        ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
            .with_safe_default_protocol_versions()
            .map_err(io::Error::other)?
            .with_no_client_auth()
            .with_single_cert(certs, key)
            .map_err(io::Error::other)?;
    Ok(Arc::new(config))
}

/// What a client sends first on the TCP port.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hello {
    /// A TLS ClientHello (record type 22): direct TLS.
    Tls,
    /// Anything else (an XMPP stream header): plain XMPP, STARTTLS offered.
    Xmpp,
}

/// Waits for the client's first byte without consuming it; none if the client closes or
/// stays silent for `wait`.
pub async fn sniff(stream: &TcpStream, wait: Duration) -> Option<Hello> {
    let mut first = [0u8; 1];
    match tokio::time::timeout(wait, stream.peek(&mut first)).await {
        Ok(Ok(1)) if first[0] == 0x16 => Some(Hello::Tls),
        Ok(Ok(1)) => Some(Hello::Xmpp),
        _ => None,
    }
}

/// Runs the TLS handshake on an accepted socket (direct TLS); none if it fails or stalls.
pub async fn accept(config: Arc<ServerConfig>, stream: TcpStream) -> Option<Box<dyn Io>> {
    handshake(config, stream).await
}

/// Runs the TLS handshake on a plain stream after `<proceed/>` (STARTTLS); none if it fails
/// or stalls.
pub async fn upgrade(config: Arc<ServerConfig>, stream: Box<dyn Io>) -> Option<Box<dyn Io>> {
    handshake(config, stream).await
}

async fn handshake<S: Io + 'static>(config: Arc<ServerConfig>, stream: S) -> Option<Box<dyn Io>> {
    let acceptor = TlsAcceptor::from(config);
    match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(stream)).await {
        Ok(Ok(tls)) => Some(Box::new(tls)),
        _ => None,
    }
}
