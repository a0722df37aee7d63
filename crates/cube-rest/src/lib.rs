//! Every ConnectyCube REST endpoint declared once: http::Request builders for clients and parsers for servers, without I/O.
#![deny(missing_docs)]
