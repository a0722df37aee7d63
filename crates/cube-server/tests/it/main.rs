//! Integration tests: real HTTP against the server on 127.0.0.1 with ephemeral ports.

mod bad_input;
mod chat_basic;
mod chat_client;
mod chat_faults;
mod chat_golden;
mod chat_rules;
mod chat_sm;
mod dialogs;
mod golden;
mod js_sdk;
mod messages;
mod openapi;
mod providers;
mod restart;
mod roles;
mod sessions;
mod support;
mod users;
