//! Integration tests of cube-client against cube-server on 127.0.0.1 (ephemeral ports,
//! in-memory database), and of its chat layer against Prosody.

mod chat;
mod prosody;
mod proxy;
mod renewal;
mod rest;
mod support;
