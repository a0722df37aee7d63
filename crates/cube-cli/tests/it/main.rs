//! Integration tests of the `cube` binary.

mod serve;
