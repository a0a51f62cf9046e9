//! The client conformance suite.
