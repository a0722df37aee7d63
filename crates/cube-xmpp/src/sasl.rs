//! SASL mechanisms, both sides: PLAIN (RFC 4616) and SCRAM-SHA-1 (RFC 5802, without channel
//! binding). Nonces are passed in; nothing here draws randomness.
//!
//! Usernames are used as given (no SASLprep): ConnectyCube authcids are `{user_id}-{app_id}`.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use hmac::{Hmac, Mac};
use sha1::{Digest, Sha1};
use subtle::ConstantTimeEq;

type HmacSha1 = Hmac<Sha1>;

/// The mechanism names.
pub mod mechanism {
    /// RFC 4616 PLAIN.
    pub const PLAIN: &str = "PLAIN";
    /// RFC 5802 SCRAM-SHA-1.
    pub const SCRAM_SHA_1: &str = "SCRAM-SHA-1";
}

/// A password or session token; `Debug` never shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct Password(String);

impl Password {
    /// Wraps a secret.
    pub fn new(secret: impl Into<String>) -> Self {
        Self(secret.into())
    }

    /// The secret itself.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl From<&str> for Password {
    fn from(s: &str) -> Self {
        Self::new(s)
    }
}

impl From<String> for Password {
    fn from(s: String) -> Self {
        Self(s)
    }
}

/// Why a SASL exchange failed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SaslError {
    /// A message does not have the mechanism's syntax.
    #[error("malformed sasl message: {0}")]
    Malformed(&'static str),
    /// The server's nonce does not extend the client's.
    #[error("the server nonce does not extend the client nonce")]
    NonceMismatch,
    /// Channel binding was requested; it is not supported.
    #[error("channel binding is not supported")]
    ChannelBindingUnsupported,
    /// The iteration count is zero or unreasonably large.
    #[error("unacceptable scram iteration count {0}")]
    Iterations(u32),
    /// The client's proof is wrong: bad password.
    #[error("the client proof does not match the stored credentials")]
    InvalidProof,
    /// The server's signature is wrong: the server does not know the password.
    #[error("the server signature does not match")]
    ServerSignatureMismatch,
    /// The server reported an error in its final message.
    #[error("the server refused: {0}")]
    ServerError(String),
    /// A step was called out of order.
    #[error("sasl step out of order")]
    OutOfOrder,
}

/// The credentials carried by a PLAIN `<auth>`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlainCredentials {
    /// Authorization identity (the JS SDK sends it empty).
    pub authzid: String,
    /// Authentication identity: `{user_id}-{app_id}`.
    pub authcid: String,
    /// The password or session token.
    pub password: Password,
}

/// PLAIN initial response: `authzid NUL authcid NUL password`.
pub fn plain_encode(authzid: &str, authcid: &str, password: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(authzid.len() + authcid.len() + password.len() + 2);
    out.extend_from_slice(authzid.as_bytes());
    out.push(0);
    out.extend_from_slice(authcid.as_bytes());
    out.push(0);
    out.extend_from_slice(password.as_bytes());
    out
}

/// Parses a PLAIN initial response.
pub fn plain_decode(data: &[u8]) -> Result<PlainCredentials, SaslError> {
    let text = std::str::from_utf8(data).map_err(|_| SaslError::Malformed("plain: not utf-8"))?;
    let mut parts = text.split('\0');
    let (Some(authzid), Some(authcid), Some(password), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(SaslError::Malformed(
            "plain: expected three NUL-separated fields",
        ));
    };
    if authcid.is_empty() {
        return Err(SaslError::Malformed("plain: empty authcid"));
    }
    Ok(PlainCredentials {
        authzid: authzid.to_owned(),
        authcid: authcid.to_owned(),
        password: Password::new(password),
    })
}

/// What a server stores to verify SCRAM-SHA-1 without keeping the password (RFC 5802 §3).
#[derive(Clone, PartialEq, Eq)]
pub struct ScramCredentials {
    /// The salt.
    pub salt: Vec<u8>,
    /// The PBKDF2 iteration count.
    pub iterations: u32,
    /// `H(ClientKey)`.
    pub stored_key: [u8; 20],
    /// `HMAC(SaltedPassword, "Server Key")`.
    pub server_key: [u8; 20],
}

impl fmt::Debug for ScramCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ScramCredentials")
            .field("salt", &hex::encode(&self.salt))
            .field("iterations", &self.iterations)
            .field("stored_key", &"***")
            .field("server_key", &"***")
            .finish()
    }
}

impl ScramCredentials {
    /// Derives the stored credentials from a password (at sign-up or password change).
    pub fn derive(password: &str, salt: &[u8], iterations: u32) -> Self {
        let salted = hi(password.as_bytes(), salt, iterations);
        let client_key = hmac(&salted, b"Client Key");
        Self {
            salt: salt.to_vec(),
            iterations,
            stored_key: Sha1::digest(client_key).into(),
            server_key: hmac(&salted, b"Server Key"),
        }
    }
}

fn hmac(key: &[u8], data: &[u8]) -> [u8; 20] {
    let mut mac = HmacSha1::new_from_slice(key).unwrap_or_else(|_| unreachable_hmac());
    mac.update(data);
    mac.finalize().into_bytes().into()
}

/// HMAC accepts keys of any length; this is never reached.
fn unreachable_hmac() -> HmacSha1 {
    unreachable!("hmac accepts keys of any length")
}

/// `Hi()`: PBKDF2-HMAC-SHA1 with a single output block.
fn hi(password: &[u8], salt: &[u8], iterations: u32) -> [u8; 20] {
    let keyed = HmacSha1::new_from_slice(password).unwrap_or_else(|_| unreachable_hmac());
    let mut mac = keyed.clone();
    mac.update(salt);
    mac.update(&1u32.to_be_bytes());
    let mut u: [u8; 20] = mac.finalize().into_bytes().into();
    let mut out = u;
    for _ in 1..iterations {
        let mut mac = keyed.clone();
        mac.update(&u);
        u = mac.finalize().into_bytes().into();
        for (o, x) in out.iter_mut().zip(u.iter()) {
            *o ^= x;
        }
    }
    out
}

fn xor(a: &[u8; 20], b: &[u8; 20]) -> [u8; 20] {
    let mut out = [0u8; 20];
    for i in 0..20 {
        out[i] = a[i] ^ b[i];
    }
    out
}

/// `saslname` escaping: `=` as `=3D`, `,` as `=2C`.
fn escape_username(name: &str) -> String {
    name.replace('=', "=3D").replace(',', "=2C")
}

fn unescape_username(name: &str) -> Result<String, SaslError> {
    let mut out = String::with_capacity(name.len());
    let mut rest = name;
    while let Some(at) = rest.find('=') {
        out.push_str(&rest[..at]);
        match rest.get(at..at + 3) {
            Some("=3D") => out.push('='),
            Some("=2C") => out.push(','),
            _ => return Err(SaslError::Malformed("scram: bad escape in username")),
        }
        rest = &rest[at + 3..];
    }
    out.push_str(rest);
    Ok(out)
}

/// Splits `k=v,k=v` into attribute pairs.
fn attributes(msg: &str) -> impl Iterator<Item = (char, &str)> {
    msg.split(',').filter_map(|part| {
        let mut chars = part.chars();
        let key = chars.next()?;
        let rest = chars.as_str().strip_prefix('=')?;
        Some((key, rest))
    })
}

fn attribute(msg: &str, key: char) -> Option<&str> {
    attributes(msg).find(|(k, _)| *k == key).map(|(_, v)| v)
}

fn valid_nonce(nonce: &str) -> bool {
    !nonce.is_empty()
        && nonce
            .bytes()
            .all(|b| (0x21..=0x7e).contains(&b) && b != b',')
}

/// The most PBKDF2 iterations a client accepts (a hostile server could ask for billions).
const MAX_ITERATIONS: u32 = 1_000_000;

/// The client side of SCRAM-SHA-1.
#[derive(Clone)]
pub struct ScramClient {
    username: String,
    password: Password,
    client_nonce: String,
    client_first_bare: String,
    server_signature: Option<[u8; 20]>,
}

impl fmt::Debug for ScramClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ScramClient")
            .field("username", &self.username)
            .finish_non_exhaustive()
    }
}

impl ScramClient {
    /// Starts an exchange for `username` with a fresh printable `client_nonce` (the JS SDK uses
    /// 32 hex characters).
    pub fn new(username: &str, password: Password, client_nonce: &str) -> Result<Self, SaslError> {
        if !valid_nonce(client_nonce) {
            return Err(SaslError::Malformed(
                "scram: client nonce must be printable, without ','",
            ));
        }
        let client_first_bare = format!("n={},r={client_nonce}", escape_username(username));
        Ok(Self {
            username: username.to_owned(),
            password,
            client_nonce: client_nonce.to_owned(),
            client_first_bare,
            server_signature: None,
        })
    }

    /// The client-first message: `n,,n=user,r=nonce`.
    pub fn client_first(&self) -> Vec<u8> {
        format!("n,,{}", self.client_first_bare).into_bytes()
    }

    /// Answers the server-first message with the client-final message (with the proof).
    pub fn handle_server_first(&mut self, server_first: &[u8]) -> Result<Vec<u8>, SaslError> {
        let server_first = std::str::from_utf8(server_first)
            .map_err(|_| SaslError::Malformed("scram: server-first not utf-8"))?;
        if server_first.starts_with("m=") {
            return Err(SaslError::Malformed("scram: mandatory extension"));
        }
        let nonce = attribute(server_first, 'r').ok_or(SaslError::Malformed("scram: no nonce"))?;
        let salt = attribute(server_first, 's').ok_or(SaslError::Malformed("scram: no salt"))?;
        let iterations = attribute(server_first, 'i')
            .and_then(|i| i.parse::<u32>().ok())
            .ok_or(SaslError::Malformed("scram: no iteration count"))?;
        if !nonce.starts_with(&self.client_nonce) || nonce.len() == self.client_nonce.len() {
            return Err(SaslError::NonceMismatch);
        }
        if iterations == 0 || iterations > MAX_ITERATIONS {
            return Err(SaslError::Iterations(iterations));
        }
        let salt = B64
            .decode(salt)
            .map_err(|_| SaslError::Malformed("scram: salt is not base64"))?;
        let without_proof = format!("c=biws,r={nonce}");
        let auth_message = format!("{},{server_first},{without_proof}", self.client_first_bare);
        let salted = hi(self.password.expose().as_bytes(), &salt, iterations);
        let client_key = hmac(&salted, b"Client Key");
        let stored_key: [u8; 20] = Sha1::digest(client_key).into();
        let server_key = hmac(&salted, b"Server Key");
        let client_signature = hmac(&stored_key, auth_message.as_bytes());
        let proof = xor(&client_key, &client_signature);
        self.server_signature = Some(hmac(&server_key, auth_message.as_bytes()));
        Ok(format!("{without_proof},p={}", B64.encode(proof)).into_bytes())
    }

    /// Checks the server-final message (`v=`) sent with `<success>`.
    pub fn verify_server_final(&self, server_final: &[u8]) -> Result<(), SaslError> {
        let expected = self.server_signature.ok_or(SaslError::OutOfOrder)?;
        let text = std::str::from_utf8(server_final)
            .map_err(|_| SaslError::Malformed("scram: server-final not utf-8"))?;
        if let Some(e) = attribute(text, 'e') {
            return Err(SaslError::ServerError(e.to_owned()));
        }
        let v = attribute(text, 'v').ok_or(SaslError::Malformed("scram: no verifier"))?;
        let v = B64
            .decode(v)
            .map_err(|_| SaslError::Malformed("scram: verifier is not base64"))?;
        if bool::from(v.as_slice().ct_eq(&expected)) {
            Ok(())
        } else {
            Err(SaslError::ServerSignatureMismatch)
        }
    }
}

/// The client-first message as the server reads it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScramClientFirst {
    /// The authentication identity (unescaped).
    pub authcid: String,
    /// The authorization identity from the GS2 header, if any.
    pub authzid: Option<String>,
}

/// The server side of SCRAM-SHA-1.
#[derive(Clone)]
pub struct ScramServer {
    server_nonce: String,
    gs2_header: String,
    client_first_bare: String,
    nonce: String,
    server_first: String,
    credentials: Option<ScramCredentials>,
}

impl fmt::Debug for ScramServer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ScramServer")
            .field("nonce", &self.nonce)
            .finish_non_exhaustive()
    }
}

impl ScramServer {
    /// Starts an exchange; `server_nonce` (printable, no `,`) extends the client's nonce.
    pub fn new(server_nonce: &str) -> Result<Self, SaslError> {
        if !valid_nonce(server_nonce) {
            return Err(SaslError::Malformed(
                "scram: server nonce must be printable, without ','",
            ));
        }
        Ok(Self {
            server_nonce: server_nonce.to_owned(),
            gs2_header: String::new(),
            client_first_bare: String::new(),
            nonce: String::new(),
            server_first: String::new(),
            credentials: None,
        })
    }

    /// Reads the client-first message; the caller then looks up the credentials of `authcid`.
    pub fn handle_client_first(
        &mut self,
        client_first: &[u8],
    ) -> Result<ScramClientFirst, SaslError> {
        let text = std::str::from_utf8(client_first)
            .map_err(|_| SaslError::Malformed("scram: client-first not utf-8"))?;
        let (cb, rest) = text
            .split_once(',')
            .ok_or(SaslError::Malformed("scram: no gs2 header"))?;
        match cb {
            "n" | "y" => {}
            c if c.starts_with("p=") => return Err(SaslError::ChannelBindingUnsupported),
            _ => return Err(SaslError::Malformed("scram: bad channel binding flag")),
        }
        let (authzid_raw, bare) = rest
            .split_once(',')
            .ok_or(SaslError::Malformed("scram: no gs2 header"))?;
        let authzid = match authzid_raw {
            "" => None,
            a => Some(unescape_username(
                a.strip_prefix("a=")
                    .ok_or(SaslError::Malformed("scram: bad authzid"))?,
            )?),
        };
        if bare.starts_with("m=") {
            return Err(SaslError::Malformed("scram: mandatory extension"));
        }
        let user = attribute(bare, 'n').ok_or(SaslError::Malformed("scram: no username"))?;
        let nonce = attribute(bare, 'r').ok_or(SaslError::Malformed("scram: no nonce"))?;
        if !valid_nonce(nonce) {
            return Err(SaslError::Malformed("scram: bad client nonce"));
        }
        let authcid = unescape_username(user)?;
        if authcid.is_empty() {
            return Err(SaslError::Malformed("scram: empty username"));
        }
        self.gs2_header = format!("{cb},{authzid_raw},");
        bare.clone_into(&mut self.client_first_bare);
        self.nonce = format!("{nonce}{}", self.server_nonce);
        Ok(ScramClientFirst { authcid, authzid })
    }

    /// The server-first message for these stored credentials.
    pub fn server_first(&mut self, credentials: ScramCredentials) -> Vec<u8> {
        self.server_first = format!(
            "r={},s={},i={}",
            self.nonce,
            B64.encode(&credentials.salt),
            credentials.iterations
        );
        self.credentials = Some(credentials);
        self.server_first.clone().into_bytes()
    }

    /// Verifies the client-final message; on success, the server-final message (`v=…`) to
    /// send with `<success>`.
    pub fn handle_client_final(&self, client_final: &[u8]) -> Result<Vec<u8>, SaslError> {
        let creds = self.credentials.as_ref().ok_or(SaslError::OutOfOrder)?;
        let text = std::str::from_utf8(client_final)
            .map_err(|_| SaslError::Malformed("scram: client-final not utf-8"))?;
        let (without_proof, proof) = text
            .rsplit_once(",p=")
            .ok_or(SaslError::Malformed("scram: no proof"))?;
        let cbind = attribute(without_proof, 'c').ok_or(SaslError::Malformed("scram: no c="))?;
        let cbind = B64
            .decode(cbind)
            .map_err(|_| SaslError::Malformed("scram: c= is not base64"))?;
        if cbind != self.gs2_header.as_bytes() {
            return Err(SaslError::Malformed(
                "scram: channel binding does not match",
            ));
        }
        if attribute(without_proof, 'r') != Some(self.nonce.as_str()) {
            return Err(SaslError::NonceMismatch);
        }
        let proof = B64
            .decode(proof)
            .map_err(|_| SaslError::Malformed("scram: proof is not base64"))?;
        let proof: [u8; 20] = proof
            .try_into()
            .map_err(|_| SaslError::Malformed("scram: proof has the wrong length"))?;
        let auth_message = format!(
            "{},{},{without_proof}",
            self.client_first_bare, self.server_first
        );
        let client_signature = hmac(&creds.stored_key, auth_message.as_bytes());
        let client_key = xor(&proof, &client_signature);
        let stored: [u8; 20] = Sha1::digest(client_key).into();
        if !bool::from(stored.ct_eq(&creds.stored_key)) {
            return Err(SaslError::InvalidProof);
        }
        let server_signature = hmac(&creds.server_key, auth_message.as_bytes());
        Ok(format!("v={}", B64.encode(server_signature)).into_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 5802 §5.
    #[test]
    fn rfc5802_test_vector_both_sides() {
        let mut client =
            ScramClient::new("user", Password::new("pencil"), "fyko+d2lbbFgONRv9qkxdawL").unwrap();
        assert_eq!(
            client.client_first(),
            b"n,,n=user,r=fyko+d2lbbFgONRv9qkxdawL"
        );
        let mut server = ScramServer::new("3rfcNHYJY1ZVvWVs7j").unwrap();
        let first = server.handle_client_first(&client.client_first()).unwrap();
        assert_eq!(first.authcid, "user");
        let salt = B64.decode("QSXCR+Q6sek8bf92").unwrap();
        let server_first = server.server_first(ScramCredentials::derive("pencil", &salt, 4096));
        assert_eq!(
            server_first,
            b"r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096"
        );
        let client_final = client.handle_server_first(&server_first).unwrap();
        assert_eq!(
            String::from_utf8(client_final.clone()).unwrap(),
            "c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts="
        );
        let server_final = server.handle_client_final(&client_final).unwrap();
        assert_eq!(server_final, b"v=rmF9pqV8S7suAoZWja4dJRkFsKQ=");
        client.verify_server_final(&server_final).unwrap();
    }

    #[test]
    fn wrong_password_is_refused_and_a_lying_server_is_caught() {
        let salt = b"0123456789abcdef";
        let mut client = ScramClient::new("5-385", Password::new("bad"), "abc").unwrap();
        let mut server = ScramServer::new("SRV").unwrap();
        server.handle_client_first(&client.client_first()).unwrap();
        let sf = server.server_first(ScramCredentials::derive("good", salt, 16));
        let cf = client.handle_server_first(&sf).unwrap();
        assert_eq!(
            server.handle_client_final(&cf),
            Err(SaslError::InvalidProof)
        );
        assert_eq!(
            client.verify_server_final(b"v=rmF9pqV8S7suAoZWja4dJRkFsKQ="),
            Err(SaslError::ServerSignatureMismatch)
        );
    }

    #[test]
    fn plain_round_trip() {
        let data = plain_encode("", "5-385", "USER_TOKEN_0123456789abcdef");
        assert_eq!(
            B64.encode(&data),
            "ADUtMzg1AFVTRVJfVE9LRU5fMDEyMzQ1Njc4OWFiY2RlZg=="
        );
        let creds = plain_decode(&data).unwrap();
        assert_eq!(creds.authcid, "5-385");
        assert_eq!(creds.password.expose(), "USER_TOKEN_0123456789abcdef");
        assert_eq!(format!("{:?}", creds.password), "***");
        assert!(plain_decode(b"a\0b").is_err());
    }

    #[test]
    fn usernames_are_escaped() {
        assert_eq!(escape_username("a=b,c"), "a=3Db=2Cc");
        assert_eq!(unescape_username("a=3Db=2Cc").unwrap(), "a=b,c");
        assert!(unescape_username("a=4").is_err());
    }
}
