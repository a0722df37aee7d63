//! Integration tests of cube-rest: golden captures, round-trips and hostile input.

mod bad_input;
mod errors;
mod golden;
mod roundtrip;
mod support;
