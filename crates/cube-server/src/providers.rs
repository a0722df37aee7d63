//! Identity checks that leave the process: the provider verification URLs (Facebook,
//! Twitter), Firebase ID tokens (JWT RS256 against a key set file) and the custom identity
//! provider (server-semantics §1.4).
//!
//! The outgoing HTTP is plain HTTP/1.1 (loopback in development and tests) through hyper's
//! connection API, so no second HTTP client enters the tree.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use http_body_util::{BodyExt, Full, Limited};
use hyper_util::rt::TokioIo;
use serde::Deserialize;
use serde_json::Value;

use crate::domain::apps::IdentityProvider;

/// How long a remote check may take.
const REMOTE_TIMEOUT: Duration = Duration::from_secs(10);

/// The largest remote answer read.
const MAX_REMOTE_BODY: usize = 1 << 20;

/// A failed remote check.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ProviderError {
    /// The configured URL is not a plain `http://` URL.
    #[error("invalid provider url {0}")]
    BadUrl(String),
    /// The remote could not be reached or did not answer in time.
    #[error("provider unreachable: {0}")]
    Unreachable(String),
    /// The remote answered with a non-success status.
    #[error("provider answered {status}")]
    Status {
        /// HTTP status.
        status: u16,
        /// The body, as text.
        body: String,
    },
    /// The remote's answer is not what was expected.
    #[error("unexpected provider answer: {0}")]
    BadAnswer(String),
    /// A token did not verify.
    #[error("invalid token: {0}")]
    InvalidToken(String),
}

/// A remote answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteResponse {
    /// HTTP status.
    pub status: u16,
    /// Body bytes.
    pub body: Vec<u8>,
}

/// Sends one HTTP/1.1 request to a plain `http://` URL and reads the answer.
pub async fn fetch(
    method: &str,
    url: &str,
    headers: &BTreeMap<String, String>,
    body: Option<Vec<u8>>,
) -> Result<RemoteResponse, ProviderError> {
    tokio::time::timeout(REMOTE_TIMEOUT, fetch_inner(method, url, headers, body))
        .await
        .map_err(|_| ProviderError::Unreachable("timed out".into()))?
}

async fn fetch_inner(
    method: &str,
    url: &str,
    headers: &BTreeMap<String, String>,
    body: Option<Vec<u8>>,
) -> Result<RemoteResponse, ProviderError> {
    let uri: http::Uri = url.parse().map_err(|_| ProviderError::BadUrl(url.into()))?;
    if uri.scheme_str() != Some("http") {
        return Err(ProviderError::BadUrl(url.into()));
    }
    let authority = uri
        .authority()
        .ok_or_else(|| ProviderError::BadUrl(url.into()))?
        .clone();
    let port = authority.port_u16().unwrap_or(80);
    let stream = tokio::net::TcpStream::connect((authority.host(), port))
        .await
        .map_err(|e| ProviderError::Unreachable(e.to_string()))?;
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|e| ProviderError::Unreachable(e.to_string()))?;
    tokio::spawn(async move {
        let _ = conn.await;
    });
    let path = uri
        .path_and_query()
        .map_or("/", http::uri::PathAndQuery::as_str);
    let method = http::Method::from_bytes(method.as_bytes())
        .map_err(|_| ProviderError::BadUrl(url.into()))?;
    let mut builder = http::Request::builder()
        .method(method)
        .uri(path)
        .header(http::header::HOST, authority.as_str());
    for (k, v) in headers {
        builder = builder.header(k.as_str(), v.as_str());
    }
    if body.is_some() {
        builder = builder.header(http::header::CONTENT_TYPE, "application/json");
    }
    let request = builder
        .body(Full::new(bytes::Bytes::from(body.unwrap_or_default())))
        .map_err(|e| ProviderError::BadUrl(e.to_string()))?;
    let response = sender
        .send_request(request)
        .await
        .map_err(|e| ProviderError::Unreachable(e.to_string()))?;
    let status = response.status().as_u16();
    let collected = Limited::new(response.into_body(), MAX_REMOTE_BODY)
        .collect()
        .await
        .map_err(|e| ProviderError::Unreachable(e.to_string()))?;
    Ok(RemoteResponse {
        status,
        body: collected.to_bytes().to_vec(),
    })
}

/// Percent-encodes a query component.
fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

fn with_query(url: &str, pairs: &[(&str, &str)]) -> String {
    let mut out = url.to_owned();
    for (i, (k, v)) in pairs.iter().enumerate() {
        let sep = if i == 0 && !url.contains('?') {
            '?'
        } else {
            '&'
        };
        out.push(sep);
        out.push_str(&encode(k));
        out.push('=');
        out.push_str(&encode(v));
    }
    out
}

/// The user a social provider vouches for.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ProviderUser {
    /// The provider's user id.
    #[serde(deserialize_with = "id_string")]
    pub id: String,
    /// Display name.
    #[serde(default)]
    pub name: Option<String>,
    /// Email.
    #[serde(default)]
    pub email: Option<String>,
}

fn id_string<'de, D: serde::Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    match Value::deserialize(d)? {
        Value::String(s) if !s.is_empty() => Ok(s),
        Value::Number(n) => Ok(n.to_string()),
        other => Err(serde::de::Error::custom(format!("invalid id {other}"))),
    }
}

/// Asks a provider verification URL (`GET url?token=..[&secret=..]`) whose user the token is.
pub async fn verify_social(
    url: &str,
    token: &str,
    secret: Option<&str>,
) -> Result<ProviderUser, ProviderError> {
    let mut pairs = vec![("token", token)];
    if let Some(secret) = secret {
        pairs.push(("secret", secret));
    }
    let answer = fetch("GET", &with_query(url, &pairs), &BTreeMap::new(), None).await?;
    if !(200..300).contains(&answer.status) {
        return Err(ProviderError::Status {
            status: answer.status,
            body: String::from_utf8_lossy(&answer.body).into_owned(),
        });
    }
    serde_json::from_slice(&answer.body).map_err(|e| ProviderError::BadAnswer(e.to_string()))
}

/// The claims of a verified Firebase ID token that matter here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FirebaseClaims {
    /// The Firebase user id (`sub`).
    pub subject: String,
    /// `phone_number`, for phone sign-in.
    pub phone_number: Option<String>,
    /// `email`, for email sign-in.
    pub email: Option<String>,
    /// `name`, if present.
    pub name: Option<String>,
}

#[derive(Deserialize)]
struct JwtHeader {
    alg: String,
    #[serde(default)]
    kid: Option<String>,
}

#[derive(Deserialize)]
struct Jwk {
    #[serde(default)]
    kid: Option<String>,
    kty: String,
    n: String,
    e: String,
}

#[derive(Deserialize)]
struct Jwks {
    keys: Vec<Jwk>,
}

#[derive(Deserialize)]
struct Claims {
    iss: String,
    aud: String,
    exp: i64,
    #[serde(default)]
    iat: Option<i64>,
    sub: String,
    #[serde(default)]
    phone_number: Option<String>,
    #[serde(default)]
    email: Option<String>,
    #[serde(default)]
    name: Option<String>,
}

/// Verifies a Firebase ID token (RS256) against a JSON Web Key Set and a project id, at
/// `now` unix seconds.
pub fn verify_firebase(
    token: &str,
    project_id: &str,
    jwks: &[u8],
    now: i64,
) -> Result<FirebaseClaims, ProviderError> {
    let bad = |m: &str| ProviderError::InvalidToken(m.to_owned());
    let mut parts = token.split('.');
    let (Some(head), Some(body), Some(sig), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(bad("not a JWT"));
    };
    let header: JwtHeader = serde_json::from_slice(
        &URL_SAFE_NO_PAD
            .decode(head)
            .map_err(|_| bad("bad header encoding"))?,
    )
    .map_err(|_| bad("bad header"))?;
    if header.alg != "RS256" {
        return Err(bad("algorithm must be RS256"));
    }
    let keys: Jwks =
        serde_json::from_slice(jwks).map_err(|e| ProviderError::BadAnswer(e.to_string()))?;
    let signature = URL_SAFE_NO_PAD
        .decode(sig)
        .map_err(|_| bad("bad signature encoding"))?;
    let signed = &token.as_bytes()[..head.len() + 1 + body.len()];
    let verified = keys
        .keys
        .iter()
        .filter(|k| k.kty == "RSA")
        .filter(|k| header.kid.is_none() || k.kid == header.kid)
        .any(|k| {
            let (Ok(n), Ok(e)) = (URL_SAFE_NO_PAD.decode(&k.n), URL_SAFE_NO_PAD.decode(&k.e))
            else {
                return false;
            };
            ring::signature::RsaPublicKeyComponents { n, e }
                .verify(
                    &ring::signature::RSA_PKCS1_2048_8192_SHA256,
                    signed,
                    &signature,
                )
                .is_ok()
        });
    if !verified {
        return Err(bad("signature does not verify"));
    }
    let claims: Claims = serde_json::from_slice(
        &URL_SAFE_NO_PAD
            .decode(body)
            .map_err(|_| bad("bad payload encoding"))?,
    )
    .map_err(|_| bad("bad claims"))?;
    if claims.aud != project_id
        || claims.iss != format!("https://securetoken.google.com/{project_id}")
    {
        return Err(bad("token is for another project"));
    }
    if claims.exp <= now {
        return Err(bad("token expired"));
    }
    if claims.iat.is_some_and(|iat| iat > now + 300) {
        return Err(bad("token issued in the future"));
    }
    if claims.sub.is_empty() {
        return Err(bad("token has no subject"));
    }
    Ok(FirebaseClaims {
        subject: claims.sub,
        phone_number: claims.phone_number,
        email: claims.email,
        name: claims.name,
    })
}

/// What the custom identity provider says about a user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExternalIdentity {
    /// The provider's user id (`uid` mapping).
    pub uid: String,
    /// Login, if mapped.
    pub login: Option<String>,
    /// Email, if mapped.
    pub email: Option<String>,
    /// Full name, if mapped.
    pub full_name: Option<String>,
}

fn substitute(template: &str, login: &str, password: &str) -> String {
    template
        .replace("#{login}", login)
        .replace("#{password}", password)
}

/// The value at a `#{a.b.c}` path of a JSON answer, as text.
fn extract(answer: &Value, template: &str) -> Option<String> {
    let path = template.trim().strip_prefix("#{")?.strip_suffix('}')?;
    let mut v = answer;
    for part in path.split('.') {
        v = v.get(part)?;
    }
    match v {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// Asks the custom identity provider to vouch for `login` (the user's token) and maps its answer.
///
/// A failure is told as ConnectyCube tells it: "Bad Authentication data. Unauthorized on remote
/// side. Status: 404.With empty response" (the `Status` error carries status and body).
pub async fn verify_custom(
    idp: &IdentityProvider,
    login: &str,
    password: &str,
) -> Result<ExternalIdentity, ProviderError> {
    let params: Vec<(String, String)> = if idp.request_params.is_empty() {
        vec![("token".to_owned(), login.to_owned())]
    } else {
        idp.request_params
            .iter()
            .map(|(k, v)| (k.clone(), substitute(v, login, password)))
            .collect()
    };
    let headers: BTreeMap<String, String> = idp
        .headers
        .iter()
        .map(|(k, v)| (k.clone(), substitute(v, login, password)))
        .collect();
    let answer = if idp.method.eq_ignore_ascii_case("POST") {
        let body: serde_json::Map<String, Value> = params
            .into_iter()
            .map(|(k, v)| (k, Value::String(v)))
            .collect();
        fetch(
            "POST",
            &idp.url,
            &headers,
            Some(Value::Object(body).to_string().into_bytes()),
        )
        .await?
    } else {
        let pairs: Vec<(&str, &str)> = params
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        fetch("GET", &with_query(&idp.url, &pairs), &headers, None).await?
    };
    if !(200..300).contains(&answer.status) {
        return Err(ProviderError::Status {
            status: answer.status,
            body: String::from_utf8_lossy(&answer.body).into_owned(),
        });
    }
    let json: Value = serde_json::from_slice(&answer.body)
        .map_err(|e| ProviderError::BadAnswer(format!("not JSON: {e}")))?;
    let map = |key: &str, default: &str| {
        let template = idp.response_params.get(key).map_or(default, String::as_str);
        extract(&json, template)
    };
    let uid =
        map("uid", "#{uid}").ok_or_else(|| ProviderError::BadAnswer("no uid in answer".into()))?;
    Ok(ExternalIdentity {
        uid,
        login: map("login", "#{login}"),
        email: map("email", "#{email}"),
        full_name: map("full_name", "#{full_name}"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_building_and_extraction() {
        assert_eq!(
            with_query("http://h/v", &[("token", "a b&")]),
            "http://h/v?token=a%20b%26"
        );
        assert_eq!(
            with_query("http://h/v?x=1", &[("t", "1")]),
            "http://h/v?x=1&t=1"
        );
        let v: Value = serde_json::json!({"user": {"id": 42, "name": "n"}});
        assert_eq!(extract(&v, "#{user.id}").as_deref(), Some("42"));
        assert_eq!(extract(&v, "#{user.nope}"), None);
        assert_eq!(substitute("#{login}:#{password}", "l", "p"), "l:p");
    }

    #[test]
    fn firebase_rejects_garbage() {
        let jwks = br#"{"keys":[]}"#;
        assert!(verify_firebase("a.b", "p", jwks, 0).is_err());
        let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"HS256"}"#);
        assert!(verify_firebase(&format!("{header}.e30.AA"), "p", jwks, 0).is_err());
        let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"RS256"}"#);
        assert!(verify_firebase(&format!("{header}.e30.AA"), "p", jwks, 0).is_err());
    }

    #[tokio::test]
    async fn unreachable_and_bad_urls() {
        assert!(matches!(
            fetch("GET", "https://example.com/", &BTreeMap::new(), None).await,
            Err(ProviderError::BadUrl(_))
        ));
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        drop(listener);
        assert!(matches!(
            fetch(
                "GET",
                &format!("http://127.0.0.1:{port}/"),
                &BTreeMap::new(),
                None
            )
            .await,
            Err(ProviderError::Unreachable(_))
        ));
    }
}
