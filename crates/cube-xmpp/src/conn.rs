//! Pieces shared by the client and server state machines: the wire (parser, encoder and
//! outgoing queue), stream management counters, the entropy expander and close reasons.

use std::collections::VecDeque;

use hmac::{Hmac, Mac};
use sha1::Sha1;

use crate::codec::{Encoder, Framing, Limits, StreamHeader, StreamParser};
use crate::element::Element;
use crate::nonza::SaslCondition;
use crate::stanza::Stanza;
use crate::stream_error::StreamError;

/// Why a connection ended.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum CloseReason {
    /// The peer closed the stream (`</stream:stream>` or `<close/>`).
    PeerClosed,
    /// `close()` was called.
    LocalClosed,
    /// `connection_lost()` was called: the transport went away.
    ConnectionLost,
    /// Nothing was heard from the peer in time (negotiation, keepalive or acknowledgement).
    Timeout,
    /// This side sent a stream error (bad input, policy, or a caller's decision).
    LocalError(StreamError),
    /// The peer sent a stream error.
    PeerError(StreamError),
    /// SASL failed (client side): wrong credentials or a refused mechanism.
    AuthFailed {
        /// The server's condition.
        condition: SaslCondition,
        /// The server's text, if any.
        text: Option<String>,
    },
    /// The negotiation could not be completed: no usable mechanism, a bad SCRAM server
    /// signature, a bind error, STARTTLS refused or required and not used.
    Negotiation(String),
}

/// An HMAC-SHA1 counter-mode expander over the caller's entropy: every id and nonce a
/// connection needs, without a random source of its own.
#[derive(Clone)]
pub(crate) struct Entropy {
    key: Hmac<Sha1>,
    counter: u64,
}

impl std::fmt::Debug for Entropy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Entropy").finish_non_exhaustive()
    }
}

impl Entropy {
    pub(crate) fn new(seed: &[u8; 32]) -> Self {
        // HMAC takes keys of any length.
        let Ok(key) = Hmac::<Sha1>::new_from_slice(seed) else {
            unreachable!("hmac accepts keys of any length")
        };
        Self { key, counter: 0 }
    }

    pub(crate) fn bytes(&mut self, n: usize) -> Vec<u8> {
        let mut out = Vec::with_capacity(n + 20);
        while out.len() < n {
            let mut mac = self.key.clone();
            mac.update(&self.counter.to_be_bytes());
            self.counter += 1;
            out.extend_from_slice(&mac.finalize().into_bytes());
        }
        out.truncate(n);
        out
    }

    /// `2 * n` lowercase hex characters.
    pub(crate) fn hex(&mut self, n: usize) -> String {
        hex::encode(self.bytes(n))
    }

    /// `n` base-36 characters (xmpp.js style ids).
    pub(crate) fn base36(&mut self, n: usize) -> String {
        const ALPHABET: &[u8] = b"0123456789abcdefghijklmnopqrstuvwxyz";
        self.bytes(n)
            .into_iter()
            .map(|b| ALPHABET[usize::from(b) % 36] as char)
            .collect()
    }
}

/// The parser, the encoder and the outgoing queue of one connection.
#[derive(Debug)]
pub(crate) struct Wire {
    pub parser: StreamParser,
    pub encoder: Encoder,
    out: VecDeque<Vec<u8>>,
}

impl Wire {
    pub(crate) fn new(framing: Framing, limits: Limits) -> Self {
        Self {
            parser: StreamParser::new(framing, limits),
            encoder: Encoder::new(framing),
            out: VecDeque::new(),
        }
    }

    /// A fresh parser after a STARTTLS upgrade: the plaintext stream and any bytes buffered
    /// after `<starttls/>` or `<proceed/>` are forgotten (RFC 6120 §5.4.3.3).
    pub(crate) fn reset_parser(&mut self) {
        let limits = self.parser.limits();
        self.parser = StreamParser::new(self.framing(), limits);
    }

    pub(crate) fn framing(&self) -> Framing {
        self.encoder.framing()
    }

    pub(crate) fn open(&mut self, header: &StreamHeader) {
        let mut buf = Vec::with_capacity(256);
        self.encoder.open(header, &mut buf);
        self.out.push_back(buf);
    }

    pub(crate) fn close(&mut self) {
        let mut buf = Vec::with_capacity(64);
        self.encoder.close(&mut buf);
        self.out.push_back(buf);
    }

    pub(crate) fn element(&mut self, el: &Element) {
        let mut buf = Vec::with_capacity(256);
        self.encoder.element(el, &mut buf);
        self.out.push_back(buf);
    }

    /// One WebSocket frame, or everything queued as one TCP chunk.
    pub(crate) fn poll_transmit(&mut self) -> Option<Vec<u8>> {
        let first = self.out.pop_front()?;
        if self.framing() == Framing::WebSocket || self.out.is_empty() {
            return Some(first);
        }
        let mut chunk = first;
        while let Some(next) = self.out.pop_front() {
            chunk.extend_from_slice(&next);
        }
        Some(chunk)
    }

    pub(crate) fn has_pending(&self) -> bool {
        !self.out.is_empty()
    }
}

/// XEP-0198 counters of one side.
#[derive(Debug, Default)]
pub(crate) struct SmCounters {
    pub enabled: bool,
    /// Stanzas received since enabling (the `h` this side reports).
    pub inbound: u32,
    /// The peer's last `h`: how many of our stanzas it has handled.
    pub acked: u32,
    /// Our stanzas sent since enabling and not yet acknowledged, oldest first.
    pub unacked: VecDeque<Stanza>,
    /// An `<r/>` was sent and not yet answered.
    pub request_outstanding: bool,
}

impl SmCounters {
    /// Applies the peer's `h`; returns the stanzas it newly acknowledges.
    pub(crate) fn on_ack(&mut self, h: u32) -> Vec<Stanza> {
        let newly = h.wrapping_sub(self.acked);
        // A count "behind" ours (wrapped past half the space) is a stale ack: ignore it.
        if newly > u32::MAX / 2 {
            return Vec::new();
        }
        let n = (newly as usize).min(self.unacked.len());
        self.acked = self.acked.wrapping_add(n as u32);
        self.unacked.drain(..n).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entropy_is_deterministic_and_spread() {
        let mut a = Entropy::new(&[7; 32]);
        let mut b = Entropy::new(&[7; 32]);
        assert_eq!(a.hex(12), b.hex(12));
        assert_ne!(a.hex(12), a.hex(12));
        assert_eq!(a.hex(30).len(), 60);
        assert_eq!(a.base36(10).len(), 10);
    }

    #[test]
    fn acks_release_in_order_and_ignore_stale_counts() {
        let mut sm = SmCounters {
            enabled: true,
            ..SmCounters::default()
        };
        for i in 0..3 {
            sm.unacked.push_back(Stanza::Presence(
                crate::stanza::Presence::available().with_id(i.to_string()),
            ));
        }
        assert_eq!(sm.on_ack(2).len(), 2);
        assert_eq!(sm.on_ack(1).len(), 0);
        assert_eq!(sm.on_ack(9).len(), 1);
        assert_eq!(sm.acked, 3);
    }
}
