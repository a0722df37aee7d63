//! Server-made identifiers: session tokens and 24-hex object ids.

use std::sync::atomic::{AtomicU32, Ordering};

use crate::clock::Clock;

/// Random bytes from the operating system's CSPRNG.
///
/// The OS generator failing is not something a server can recover from, so this panics then.
pub fn random_bytes<const N: usize>() -> [u8; N] {
    let mut buf = [0u8; N];
    getrandom::fill(&mut buf).expect("the operating system's random generator failed");
    buf
}

/// A fresh session token: 40 lowercase hex characters (160 random bits).
pub fn session_token() -> String {
    hex(&random_bytes::<20>())
}

/// Lowercase hex of `bytes`.
pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(out, "{b:02x}");
    }
    out
}

/// Makes MongoDB-style object ids: 4 bytes of seconds, 5 random bytes fixed per process, a
/// 3-byte counter; ids made later sort later (within one second, by the counter).
#[derive(Debug)]
pub struct ObjectIds {
    process: [u8; 5],
    counter: AtomicU32,
}

impl Default for ObjectIds {
    fn default() -> Self {
        Self::new()
    }
}

impl ObjectIds {
    /// A generator with a random process part and counter start.
    pub fn new() -> Self {
        let r = random_bytes::<8>();
        Self {
            process: [r[0], r[1], r[2], r[3], r[4]],
            counter: AtomicU32::new(u32::from_be_bytes([0, r[5], r[6], r[7]])),
        }
    }

    /// The next id at the clock's time.
    pub fn next(&self, clock: &dyn Clock) -> String {
        let secs = clock.now_secs().clamp(0, i64::from(u32::MAX)) as u32;
        let count = self.counter.fetch_add(1, Ordering::Relaxed) & 0x00ff_ffff;
        let mut raw = [0u8; 12];
        raw[..4].copy_from_slice(&secs.to_be_bytes());
        raw[4..9].copy_from_slice(&self.process);
        raw[9..].copy_from_slice(&count.to_be_bytes()[1..]);
        hex(&raw)
    }
}

/// Whether `s` looks like a 24-hex object id.
pub fn is_object_id(s: &str) -> bool {
    s.len() == 24 && s.bytes().all(|b| b.is_ascii_hexdigit())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::ManualClock;

    #[test]
    fn tokens_are_40_hex_and_distinct() {
        let a = session_token();
        let b = session_token();
        assert_eq!(a.len(), 40);
        assert!(
            a.bytes()
                .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase())
        );
        assert_ne!(a, b);
    }

    #[test]
    fn object_ids_are_24_hex_and_increase() {
        let ids = ObjectIds::new();
        let clock = ManualClock::new(1_704_164_645_000);
        let a = ids.next(&clock);
        let b = ids.next(&clock);
        assert!(is_object_id(&a));
        assert_ne!(a, b);
        assert!(a.starts_with("65937d25"));
        assert!(!is_object_id("xyz"));
    }
}
