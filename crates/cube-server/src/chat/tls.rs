//! TLS for the TCP listener: a rustls server configuration (ring provider) from PEM files.

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

/// Runs the TLS handshake on an accepted socket (direct TLS); none if it fails or stalls.
pub async fn accept(config: Arc<ServerConfig>, stream: TcpStream) -> Option<Box<dyn Io>> {
    let acceptor = TlsAcceptor::from(config);
    match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(stream)).await {
        Ok(Ok(tls)) => Some(Box::new(tls)),
        _ => None,
    }
}
