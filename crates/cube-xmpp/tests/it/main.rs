//! Integration tests for cube-xmpp.

mod codec_props;
mod golden;
mod support;
