//! Integration tests for cube-xmpp.

mod codec_props;
mod golden;
mod machines;
mod server_golden;
mod stanza_props;
mod stanzas;
mod support;
