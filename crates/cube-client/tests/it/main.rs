//! Integration tests of cube-client against cube-server on 127.0.0.1.
