//! The ConnectyCube chat protocol (XMPP): JIDs, a bounded streaming stanza codec, SASL and negotiation state machines, without I/O.
#![deny(missing_docs)]
