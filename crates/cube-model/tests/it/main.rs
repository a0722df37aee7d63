//! Integration tests of cube-model: golden responses, the roles table, JSON round-trips and
//! decoding of arbitrary input.

mod golden;
mod robustness;
mod roles_table;
mod roundtrip;
