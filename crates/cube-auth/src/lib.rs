//! ConnectyCube session signatures (HMAC-SHA1), nonces, credentials and their server-side verification, without I/O.
#![deny(missing_docs)]
