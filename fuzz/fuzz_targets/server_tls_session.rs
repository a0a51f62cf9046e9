#![no_main]

// The body lives in the core crate (sansftp::server::testing) so that `cargo test`
// replays this target's corpus through the very same code (tests/fuzz_corpora.rs).
libfuzzer_sys::fuzz_target!(|data: &[u8]| sansftp::fuzzing::server_tls_session(data));
