//! Integration tests of the `cube` binary.

mod bench_chat;
mod serve;
