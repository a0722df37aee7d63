//! `POST /session`: create an application or user session, signed (3.x SDKs) or not (6.x).

use cube_auth::{AppCredentials, AuthKey, SessionCredentials, SignError, Signing};
use cube_model::{AppId, Session, SessionEnvelope};
use http::{Method, StatusCode};
use serde_json::{Map, Value};

use crate::codec::{self, Body};
use crate::error::{FromHttpRequestError, FromHttpResponseError, IntoHttpError};
use crate::metadata::{AuthKind, Metadata};
use crate::params::Fields;
use crate::{Endpoint, EndpointResponse};

/// The signature part of a signed session request (wire.md §3.3).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SignedPart {
    /// The nonce the client drew.
    pub nonce: i64,
    /// The client's clock, in Unix seconds.
    pub timestamp: i64,
    /// The hex HMAC of the sorted parameter string.
    pub signature: String,
}

impl SignedPart {
    /// A signature part.
    pub fn new(nonce: i64, timestamp: i64, signature: impl Into<String>) -> Self {
        SignedPart {
            nonce,
            timestamp,
            signature: signature.into(),
        }
    }
}

/// The body of `POST /session`.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Request {
    /// The application.
    pub application_id: AppId,
    /// The application's auth key.
    pub auth_key: AuthKey,
    /// Who the session is for.
    pub credentials: SessionCredentials,
    /// `nonce`, `timestamp` and `signature`, when the request is signed.
    pub signed: Option<SignedPart>,
    /// A `timestamp` sent without a signature (the current REST documentation does this).
    pub timestamp: Option<i64>,
    /// Server side: every parameter as received, for signature verification with
    /// `cube_auth::verify_session_request`; empty on requests built by a client.
    pub raw_params: Map<String, Value>,
}

impl Request {
    /// An unsigned request, as current SDKs send it.
    pub fn new(
        application_id: AppId,
        auth_key: impl Into<AuthKey>,
        credentials: SessionCredentials,
    ) -> Self {
        Request {
            application_id,
            auth_key: auth_key.into(),
            credentials,
            signed: None,
            timestamp: None,
            raw_params: Map::new(),
        }
    }

    /// A signed request: the signature is computed with the application's secret (cube-auth).
    pub fn signed(
        app_id: AppId,
        auth_key: impl Into<AuthKey>,
        credentials: SessionCredentials,
        secret: &cube_auth::AuthSecret,
        signing: Signing,
    ) -> Result<Self, SignError> {
        let auth_key = auth_key.into();
        let app =
            AppCredentials::new(app_id.get(), auth_key.clone()).with_auth_secret(secret.clone());
        let body = credentials.signed_body(&app, signing)?;
        let signature = body
            .get("signature")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        Ok(Request {
            signed: Some(SignedPart::new(
                i64::from(signing.nonce.value()),
                signing.timestamp,
                signature,
            )),
            ..Request::new(app_id, auth_key, credentials)
        })
    }

    /// The JSON body, in the JS SDK's key order (`signature` last).
    pub fn body(&self) -> Map<String, Value> {
        let mut out = Map::new();
        out.insert("application_id".into(), self.application_id.get().into());
        out.insert("auth_key".into(), self.auth_key.expose().into());
        if let Some(s) = &self.signed {
            out.insert("nonce".into(), s.nonce.into());
            out.insert("timestamp".into(), s.timestamp.into());
        } else if let Some(ts) = self.timestamp {
            out.insert("timestamp".into(), ts.into());
        }
        super::write_credentials(&self.credentials, false, &mut out);
        if let Some(s) = &self.signed {
            out.insert("signature".into(), s.signature.as_str().into());
        }
        out
    }
}

impl Endpoint for Request {
    const METADATA: Metadata = Metadata {
        name: "create_session",
        method: Method::POST,
        path: "/session",
        auth: AuthKind::None,
        text_response: false,
    };
    type Response = Response;

    fn try_into_http_request(
        &self,
        base_url: &str,
        token: Option<&str>,
    ) -> Result<http::Request<Vec<u8>>, IntoHttpError> {
        codec::build_request(
            &Self::METADATA,
            base_url,
            &[],
            token,
            &[],
            "",
            Body::Json(Value::Object(self.body())),
        )
    }

    fn try_from_http_request<B: AsRef<[u8]>>(
        req: &http::Request<B>,
        _path_args: &[String],
    ) -> Result<Self, FromHttpRequestError> {
        let params = codec::request_params(req)?;
        let f = Fields::new(&params);
        let application_id = f.required("application_id", "an application id")?;
        let auth_key = AuthKey::new(f.required_string("auth_key")?);
        let credentials = super::read_credentials(&f, false)?;
        let timestamp: Option<i64> = f.parse("timestamp", "a unix timestamp")?;
        let signed = match f.string("signature")? {
            Some(signature) => Some(SignedPart {
                nonce: f.required("nonce", "an integer")?,
                timestamp: timestamp.ok_or_else(|| FromHttpRequestError::missing("timestamp"))?,
                signature,
            }),
            None => None,
        };
        Ok(Request {
            application_id,
            auth_key,
            credentials,
            timestamp: if signed.is_some() { None } else { timestamp },
            signed,
            raw_params: params,
        })
    }
}

/// The created session: `201 {"session": {...}}` (a bare session object is accepted too).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Response {
    /// The session, with its token.
    pub session: Session,
}

impl Response {
    /// A response with `session`.
    pub fn new(session: Session) -> Self {
        Response { session }
    }
}

impl EndpointResponse for Response {
    fn try_into_http_response(&self) -> Result<http::Response<Vec<u8>>, IntoHttpError> {
        codec::json_response(
            StatusCode::CREATED,
            &SessionEnvelope::new(self.session.clone()),
        )
    }

    fn try_from_http_response<B: AsRef<[u8]>>(
        resp: &http::Response<B>,
    ) -> Result<Self, FromHttpResponseError> {
        codec::decode_json::<SessionEnvelope, B>(resp).map(|e| Response::new(e.session))
    }
}
