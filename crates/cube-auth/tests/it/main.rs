//! Integration tests of cube-auth: the published signature vectors, the captured SDK
//! requests, and properties of signing and verification.

mod golden;
mod props;
mod vectors;
