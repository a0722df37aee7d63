//! HMAC signatures over a string to sign, and the nonce that makes each one unique.

use std::fmt;

use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};

use crate::secret::AuthSecret;

/// The hash function of the HMAC (`config.hash` in the JS SDK; SHA-1 unless configured).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Hash {
    /// HMAC-SHA1, 40 hex digits: what every SDK uses by default.
    #[default]
    Sha1,
    /// HMAC-SHA256, 64 hex digits: the JS SDK's `hash: 'sha256'` option.
    Sha256,
}

impl Hash {
    /// The hash whose hex digest has this many digits, if any.
    pub fn from_hex_len(len: usize) -> Option<Self> {
        match len {
            40 => Some(Self::Sha1),
            64 => Some(Self::Sha256),
            _ => None,
        }
    }
}

/// The random number that makes a signed session request unique (`nonce`).
///
/// The JS SDK draws it from 0..=9999; the caller draws it (this crate has no RNG).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Nonce(pub u32);

impl Nonce {
    /// Wraps a number drawn by the caller.
    pub fn new(value: u32) -> Self {
        Self(value)
    }

    /// The number itself.
    pub fn value(self) -> u32 {
        self.0
    }
}

impl fmt::Display for Nonce {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// Signs `string_to_sign` with the secret: lowercase hex of its HMAC.
///
/// The string is fed as its UTF-8 bytes, unencoded, exactly as the JS SDK does.
pub fn sign(secret: &AuthSecret, string_to_sign: &str, hash: Hash) -> String {
    hex::encode(mac(
        secret.expose().as_bytes(),
        string_to_sign.as_bytes(),
        hash,
    ))
}

/// The raw HMAC of `message` under `key`.
pub(crate) fn mac(key: &[u8], message: &[u8], hash: Hash) -> Vec<u8> {
    // HMAC takes keys of any length (long ones are hashed), so `new_from_slice` cannot fail.
    match hash {
        Hash::Sha1 => {
            let mut mac =
                Hmac::<sha1::Sha1>::new_from_slice(key).expect("HMAC accepts any key length");
            mac.update(message);
            mac.finalize().into_bytes().to_vec()
        }
        Hash::Sha256 => {
            let mut mac =
                Hmac::<sha2::Sha256>::new_from_slice(key).expect("HMAC accepts any key length");
            mac.update(message);
            mac.finalize().into_bytes().to_vec()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc_2202_and_4231_known_answers() {
        // RFC 2202 test case 2 and RFC 4231 test case 2: key "Jefe".
        let secret = AuthSecret::new("Jefe");
        let msg = "what do ya want for nothing?";
        assert_eq!(
            sign(&secret, msg, Hash::Sha1),
            "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79"
        );
        assert_eq!(
            sign(&secret, msg, Hash::Sha256),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn hash_from_hex_len() {
        assert_eq!(Hash::from_hex_len(40), Some(Hash::Sha1));
        assert_eq!(Hash::from_hex_len(64), Some(Hash::Sha256));
        assert_eq!(Hash::from_hex_len(0), None);
        assert_eq!(Hash::default(), Hash::Sha1);
    }
}
