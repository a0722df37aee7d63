//! The server side: verifying a signed `POST /session` request.

use std::collections::{BTreeMap, HashSet};

use serde_json::Value;
use subtle::ConstantTimeEq;

use crate::credentials::ApplicationId;
use crate::error::{MalformedError, VerifyError};
use crate::params::Params;
use crate::secret::AuthSecret;
use crate::signature::{Hash, Nonce, mac};

/// How far a request's timestamp may be from the server's clock, either way: 60 minutes.
pub const TIMESTAMP_WINDOW_SECS: i64 = 3600;

/// Remembers the (nonce, timestamp) pairs each application has used.
///
/// The server provides the storage; [`MemoryReplayStore`] is an in-memory one.
pub trait ReplayStore {
    /// Records the pair and answers `true` if it is new, or `false` if it was seen before.
    ///
    /// A store that cannot answer (a storage error) should answer `false`: refusing a
    /// session is safer than accepting a replay.
    fn check_and_insert(&mut self, app_id: &str, nonce: Nonce, timestamp: i64) -> bool;
}

/// An in-memory [`ReplayStore`] that forgets pairs too old to pass the timestamp check.
#[derive(Debug, Clone, Default)]
pub struct MemoryReplayStore {
    /// Pairs by timestamp, so that old ones are dropped in one split.
    seen: BTreeMap<i64, HashSet<(String, Nonce)>>,
    /// The newest timestamp recorded, the only notion of time this store has.
    newest: Option<i64>,
}

impl MemoryReplayStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// How many pairs the store holds.
    pub fn len(&self) -> usize {
        self.seen.values().map(HashSet::len).sum()
    }

    /// Whether the store holds no pair.
    pub fn is_empty(&self) -> bool {
        self.seen.is_empty()
    }

    /// Forgets every pair whose timestamp is outside the window of `now` (Unix seconds).
    ///
    /// Such pairs fail the timestamp check before the store is asked, so forgetting them
    /// cannot let a replay through.
    pub fn prune(&mut self, now: i64) {
        self.forget_before(now.saturating_sub(TIMESTAMP_WINDOW_SECS));
    }

    fn forget_before(&mut self, oldest_kept: i64) {
        self.seen = self.seen.split_off(&oldest_kept);
    }
}

impl ReplayStore for MemoryReplayStore {
    fn check_and_insert(&mut self, app_id: &str, nonce: Nonce, timestamp: i64) -> bool {
        // Every accepted timestamp is within the window of the server's clock at the time, so
        // `now >= newest - window` and any still-acceptable timestamp is `>= now - window >=
        // newest - 2 * window`: older pairs can be forgotten without a clock.
        let newest = self.newest.map_or(timestamp, |n| n.max(timestamp));
        self.newest = Some(newest);
        self.forget_before(newest.saturating_sub(2 * TIMESTAMP_WINDOW_SECS));
        self.seen
            .entry(timestamp)
            .or_default()
            .insert((app_id.to_owned(), nonce))
    }
}

/// Whether a received session body is the signed form (it has a `signature`).
pub fn is_signed(body: &Value) -> bool {
    body.get("signature").is_some()
}

/// Verifies a signed `POST /session` JSON body against the application's secret.
///
/// The string to sign is recomputed from every received parameter except `signature`
/// (nested objects flattened as `user[login]=…`), so a body signed by any client verifies
/// whatever its key order. The signature may be HMAC-SHA1 or HMAC-SHA256 (told apart by
/// its length) and is compared in constant time. The timestamp must be within
/// [`TIMESTAMP_WINDOW_SECS`] of `now_unix`, and the (nonce, timestamp) pair must be new
/// to `replay`, which records it; the pair is recorded only once everything else passed.
pub fn verify_session_request(
    body: &Value,
    secret: &AuthSecret,
    now_unix: i64,
    replay: &mut impl ReplayStore,
) -> Result<(), VerifyError> {
    verify_session_params(&Params::from_json(body)?, secret, now_unix, replay)
}

/// Verifies signed session parameters, for example from a form-encoded body
/// ([`Params::from_form_pairs`]); see [`verify_session_request`].
pub fn verify_session_params(
    params: &Params,
    secret: &AuthSecret,
    now_unix: i64,
    replay: &mut impl ReplayStore,
) -> Result<(), VerifyError> {
    let signature = match params.get("signature") {
        None => return Err(VerifyError::MissingSignature),
        Some(Value::String(s)) => s.as_str(),
        Some(_) => return Err(invalid("signature", "a hex string").into()),
    };
    let app_id = params
        .get("application_id")
        .ok_or(MalformedError::Missing("application_id"))?;
    let app_id = ApplicationId::from_json(app_id).ok_or(invalid("application_id", "an id"))?;
    let nonce = params
        .get("nonce")
        .ok_or(MalformedError::Missing("nonce"))?;
    let nonce = integer(nonce)
        .and_then(|n| u32::try_from(n).ok())
        .map(Nonce)
        .ok_or(invalid("nonce", "an integer in 0..=4294967295"))?;
    let timestamp = params
        .get("timestamp")
        .ok_or(MalformedError::Missing("timestamp"))?;
    let timestamp = integer(timestamp).ok_or(invalid("timestamp", "an integer"))?;

    if now_unix.abs_diff(timestamp) > TIMESTAMP_WINDOW_SECS.unsigned_abs() {
        return Err(VerifyError::TimestampOutOfWindow {
            timestamp,
            now: now_unix,
            window_secs: TIMESTAMP_WINDOW_SECS,
        });
    }

    let mut signed = params.clone();
    signed.remove("signature");
    if !signature_matches(secret, &signed.string_to_sign(), signature) {
        return Err(VerifyError::BadSignature);
    }

    if !replay.check_and_insert(&app_id.to_text(), nonce, timestamp) {
        return Err(VerifyError::Replayed { nonce, timestamp });
    }
    Ok(())
}

/// Whether `received` (hex, either case) is the HMAC of `string_to_sign`, in constant time.
fn signature_matches(secret: &AuthSecret, string_to_sign: &str, received: &str) -> bool {
    let Some(hash) = Hash::from_hex_len(received.len()) else {
        return false;
    };
    let Ok(received) = hex::decode(received) else {
        return false;
    };
    let expected = mac(secret.expose().as_bytes(), string_to_sign.as_bytes(), hash);
    expected.ct_eq(&received).into()
}

/// An integer given as a JSON integer or a string of decimal digits (form bodies).
fn integer(value: &Value) -> Option<i64> {
    match value {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.parse().ok(),
        _ => None,
    }
}

fn invalid(name: &'static str, expected: &'static str) -> MalformedError {
    MalformedError::Invalid { name, expected }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::credentials::{AppCredentials, SessionCredentials, Signing};

    const NOW: i64 = 1_704_164_645;

    fn app() -> AppCredentials {
        AppCredentials::new(385, "DFBMs9-8NlwQbfY").with_auth_secret("Kz8dsH-f7zUxnHg")
    }

    fn secret() -> AuthSecret {
        AuthSecret::new("Kz8dsH-f7zUxnHg")
    }

    fn body(nonce: u32, timestamp: i64) -> Value {
        SessionCredentials::login("alice", "alicePass1")
            .signed_body(&app(), Signing::new(Nonce(nonce), timestamp))
            .unwrap()
    }

    fn verify(body: &Value, store: &mut MemoryReplayStore) -> Result<(), VerifyError> {
        verify_session_request(body, &secret(), NOW, store)
    }

    #[test]
    fn accepts_a_fresh_signed_body_once() {
        let mut store = MemoryReplayStore::new();
        let b = body(1234, NOW);
        assert_eq!(verify(&b, &mut store), Ok(()));
        assert_eq!(
            verify(&b, &mut store),
            Err(VerifyError::Replayed {
                nonce: Nonce(1234),
                timestamp: NOW
            })
        );
        // Same nonce, another timestamp: a different pair.
        assert_eq!(verify(&body(1234, NOW - 1), &mut store), Ok(()));
    }

    #[test]
    fn timestamp_window_is_inclusive_of_60_minutes() {
        let mut store = MemoryReplayStore::new();
        assert_eq!(verify(&body(1, NOW - 3600), &mut store), Ok(()));
        assert_eq!(verify(&body(2, NOW + 3600), &mut store), Ok(()));
        assert_eq!(
            verify(&body(3, NOW - 3601), &mut store),
            Err(VerifyError::TimestampOutOfWindow {
                timestamp: NOW - 3601,
                now: NOW,
                window_secs: 3600
            })
        );
        assert!(matches!(
            verify(&body(4, NOW + 3601), &mut store),
            Err(VerifyError::TimestampOutOfWindow { .. })
        ));
        assert!(matches!(
            verify(&body(5, i64::MIN), &mut store),
            Err(VerifyError::TimestampOutOfWindow { .. })
        ));
    }

    #[test]
    fn a_bad_signature_does_not_burn_the_nonce() {
        let mut store = MemoryReplayStore::new();
        let good = body(77, NOW);
        let mut bad = good.clone();
        bad["signature"] = json!("0".repeat(40));
        assert_eq!(verify(&bad, &mut store), Err(VerifyError::BadSignature));
        assert_eq!(verify(&good, &mut store), Ok(()));
    }

    #[test]
    fn accepts_uppercase_hex_and_sha256() {
        let mut store = MemoryReplayStore::new();
        let mut upper = body(10, NOW);
        let sig = upper["signature"].as_str().unwrap().to_uppercase();
        upper["signature"] = json!(sig);
        assert_eq!(verify(&upper, &mut store), Ok(()));

        let sha256 = SessionCredentials::Application
            .signed_body(&app(), Signing::new(Nonce(11), NOW).with_hash(Hash::Sha256))
            .unwrap();
        assert_eq!(sha256["signature"].as_str().unwrap().len(), 64);
        assert_eq!(verify(&sha256, &mut store), Ok(()));
    }

    #[test]
    fn key_order_of_the_body_does_not_matter() {
        let mut store = MemoryReplayStore::new();
        let b = body(12, NOW);
        let reordered: serde_json::Map<String, Value> = b
            .as_object()
            .unwrap()
            .iter()
            .rev()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        assert_eq!(verify(&Value::Object(reordered), &mut store), Ok(()));
    }

    #[test]
    fn tells_what_is_missing_or_malformed() {
        let mut store = MemoryReplayStore::new();
        let unsigned = SessionCredentials::Application.unsigned_body(&app());
        assert!(!is_signed(&unsigned));
        assert_eq!(
            verify(&unsigned, &mut store),
            Err(VerifyError::MissingSignature)
        );
        assert_eq!(
            verify(&json!("x"), &mut store),
            Err(VerifyError::Malformed(MalformedError::NotAnObject))
        );
        for (field, value) in [
            ("nonce", json!(-1)),
            ("nonce", json!("abc")),
            ("timestamp", json!(1.5)),
            ("application_id", json!(true)),
            ("signature", json!(5)),
        ] {
            let mut b = body(13, NOW);
            b[field] = value;
            assert!(
                matches!(verify(&b, &mut store), Err(VerifyError::Malformed(_))),
                "{field}"
            );
        }
        for field in ["nonce", "timestamp", "application_id"] {
            let mut b = body(14, NOW);
            b.as_object_mut().unwrap().remove(field);
            assert_eq!(
                verify(&b, &mut store),
                Err(VerifyError::Malformed(MalformedError::Missing(field)))
            );
        }
        let mut odd = body(15, NOW);
        odd["signature"] = json!("xyz");
        assert_eq!(verify(&odd, &mut store), Err(VerifyError::BadSignature));
        odd["signature"] = json!("g".repeat(40));
        assert_eq!(verify(&odd, &mut store), Err(VerifyError::BadSignature));
    }

    #[test]
    fn verifies_form_encoded_parameters() {
        let mut params =
            SessionCredentials::login("alice", "p").signed_params(&app(), Nonce(16), NOW);
        let signature = crate::sign(&secret(), &params.string_to_sign(), Hash::Sha1);
        params.insert("signature", signature.clone());
        let nonce = "16".to_owned();
        let timestamp = NOW.to_string();
        let form = Params::from_form_pairs([
            ("application_id", "385"),
            ("auth_key", "DFBMs9-8NlwQbfY"),
            ("nonce", nonce.as_str()),
            ("timestamp", timestamp.as_str()),
            ("user[login]", "alice"),
            ("user[password]", "p"),
            ("signature", signature.as_str()),
        ])
        .unwrap();
        let mut store = MemoryReplayStore::new();
        assert_eq!(
            verify_session_params(&form, &secret(), NOW, &mut store),
            Ok(())
        );
    }

    #[test]
    fn memory_store_separates_apps_and_prunes_old_pairs() {
        let mut store = MemoryReplayStore::new();
        assert!(store.check_and_insert("1", Nonce(5), NOW));
        assert!(store.check_and_insert("2", Nonce(5), NOW));
        assert!(!store.check_and_insert("1", Nonce(5), NOW));
        assert_eq!(store.len(), 2);
        // A pair two windows older than the newest can no longer pass the timestamp check.
        assert!(store.check_and_insert("1", Nonce(6), NOW + 2 * TIMESTAMP_WINDOW_SECS + 1));
        assert_eq!(store.len(), 1);
        store.prune(NOW + 10 * TIMESTAMP_WINDOW_SECS);
        assert!(store.is_empty());
    }

    #[test]
    fn memory_store_keeps_pairs_that_could_still_verify() {
        let mut store = MemoryReplayStore::new();
        // A client whose clock is a full window ahead must not make the store forget a pair
        // from a full window behind, which is still acceptable to the verifier.
        assert!(store.check_and_insert("1", Nonce(1), NOW - TIMESTAMP_WINDOW_SECS));
        assert!(store.check_and_insert("1", Nonce(2), NOW + TIMESTAMP_WINDOW_SECS));
        assert!(!store.check_and_insert("1", Nonce(1), NOW - TIMESTAMP_WINDOW_SECS));
    }
}
