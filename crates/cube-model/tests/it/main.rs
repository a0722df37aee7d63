//! Integration tests of cube-model: golden responses, the roles table, JSON round-trips.

mod golden;
