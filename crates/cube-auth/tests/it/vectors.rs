//! The 12 vectors of `signature-vectors.json` (copied from `shared/protocol/`), computed by the
//! 3.35.3 JS SDK's own `signParams` and cross-checked with Node and Python.

use cube_auth::{
    AppCredentials, ApplicationId, AuthSecret, Hash, MemoryReplayStore, Nonce, Params,
    SessionCredentials, Signing, sign, string_to_sign, verify_session_request,
};
use serde::Deserialize;
use serde_json::{Map, Value};

#[derive(Debug, Deserialize)]
struct File {
    vectors: Vec<Vector>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Vector {
    name: String,
    app_id: ApplicationId,
    auth_key: String,
    auth_secret: String,
    nonce: u32,
    timestamp: i64,
    params: Map<String, Value>,
    #[serde(rename = "string_to_sign")]
    string_to_sign: String,
    #[serde(rename = "signature_hmac_sha1_hex")]
    sha1: String,
    #[serde(rename = "signature_hmac_sha256_hex_if_config_hash_sha256")]
    sha256: String,
    #[serde(rename = "request_body_json")]
    body: String,
}

impl Vector {
    fn app(&self) -> AppCredentials {
        AppCredentials::new(self.app_id.clone(), self.auth_key.as_str())
            .with_auth_secret(self.auth_secret.as_str())
    }

    /// The parameters as the SDK's message object holds them, in body order.
    fn params(&self) -> Params {
        let mut params = Params::new();
        params.insert(
            "application_id",
            serde_json::to_value(&self.app_id).unwrap(),
        );
        params.insert("auth_key", self.auth_key.as_str());
        params.insert("nonce", self.nonce);
        params.insert("timestamp", self.timestamp);
        for (k, v) in &self.params {
            params.insert(k.as_str(), v.clone());
        }
        params
    }

    /// The typed credentials this vector's parameters stand for, when there is one.
    ///
    /// The bare `provider: firebase_phone` vector (what 3.35.3 sent after dropping the
    /// Firebase object) has no typed form: it only exists as received JSON.
    fn credentials(&self) -> Option<SessionCredentials> {
        let str_at = |object: &str, key: &str| -> Option<String> {
            Some(self.params.get(object)?.get(key)?.as_str()?.to_owned())
        };
        if let Some(user) = self.params.get("user") {
            if user.get("guest").is_some() {
                return Some(SessionCredentials::guest(str_at("user", "full_name")));
            }
            let password = str_at("user", "password")?;
            return Some(match str_at("user", "login") {
                Some(login) => SessionCredentials::login(login, password),
                None => SessionCredentials::email(str_at("user", "email")?, password),
            });
        }
        match self.params.get("provider").and_then(Value::as_str) {
            None => Some(SessionCredentials::Application),
            Some("facebook") => Some(SessionCredentials::facebook(str_at("keys", "token")?)),
            Some("twitter") => Some(SessionCredentials::twitter(
                str_at("keys", "token")?,
                str_at("keys", "secret")?,
            )),
            Some("firebase_phone") => Some(SessionCredentials::firebase_phone(
                str_at("firebase_phone", "project_id")?,
                str_at("firebase_phone", "access_token")?,
            )),
            Some(other) => panic!("vector {:?}: unexpected provider {other}", self.name),
        }
    }
}

fn vectors() -> Vec<Vector> {
    let file: File = serde_json::from_str(include_str!("../data/signature-vectors.json")).unwrap();
    assert_eq!(file.vectors.len(), 12, "the file has 12 vectors");
    file.vectors
}

#[test]
fn string_to_sign_matches_every_vector() {
    for v in vectors() {
        assert_eq!(string_to_sign(&v.params()), v.string_to_sign, "{}", v.name);
    }
}

#[test]
fn sha1_and_sha256_signatures_match_every_vector() {
    for v in vectors() {
        let secret = AuthSecret::new(v.auth_secret.as_str());
        assert_eq!(
            sign(&secret, &v.string_to_sign, Hash::Sha1),
            v.sha1,
            "{}",
            v.name
        );
        assert_eq!(
            sign(&secret, &v.string_to_sign, Hash::Sha256),
            v.sha256,
            "{}",
            v.name
        );
    }
}

#[test]
fn typed_credentials_build_the_exact_signed_body() {
    let mut typed = 0;
    for v in vectors() {
        let Some(creds) = v.credentials() else {
            continue;
        };
        typed += 1;
        let params = creds.signed_params(&v.app(), Nonce(v.nonce), v.timestamp);
        assert_eq!(params.string_to_sign(), v.string_to_sign, "{}", v.name);

        let body = creds
            .signed_body(&v.app(), Signing::new(Nonce(v.nonce), v.timestamp))
            .unwrap();
        assert_eq!(serde_json::to_string(&body).unwrap(), v.body, "{}", v.name);

        let sha256 = creds
            .signed_body(
                &v.app(),
                Signing::new(Nonce(v.nonce), v.timestamp).with_hash(Hash::Sha256),
            )
            .unwrap();
        assert_eq!(sha256["signature"], v.sha256.as_str(), "{}", v.name);
    }
    assert_eq!(
        typed, 11,
        "every vector but the bare firebase_phone one is typed"
    );
}

#[test]
fn every_vector_body_verifies_on_the_server_side() {
    let mut store = MemoryReplayStore::new();
    for v in vectors() {
        let body: Value = serde_json::from_str(&v.body).unwrap();
        let secret = AuthSecret::new(v.auth_secret.as_str());
        assert_eq!(
            verify_session_request(&body, &secret, v.timestamp + 59 * 60, &mut store),
            Ok(()),
            "{}",
            v.name
        );
        let wrong = AuthSecret::new(format!("{}x", v.auth_secret));
        let mut fresh = MemoryReplayStore::new();
        assert!(
            verify_session_request(&body, &wrong, v.timestamp, &mut fresh).is_err(),
            "{}",
            v.name
        );
    }
}
