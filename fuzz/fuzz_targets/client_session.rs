#![no_main]

// The body lives in the core crate (sansftp::client::testing) so that `cargo test`
// replays this target's corpus through the very same code (tests/fuzz_corpora.rs).
libfuzzer_sys::fuzz_target!(|data: &[u8]| sansftp::fuzzing::client_session(data));
