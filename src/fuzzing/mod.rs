//! Entry points shared by the cargo-fuzz targets in `fuzz/` and the corpus replay test in
//! `tests/fuzz_corpora.rs`, so stable CI runs every corpus file through the same code the
//! fuzzer exercises. Each function must never panic on any input; the assertions inside
//! check properties (round trips, invariants) and panic only when one is broken.

mod addr;
mod command;
mod errors;
mod listing;
mod reply;

pub use crate::client::testing::client_session;
pub use crate::server::testing::{server_session, server_tls_session};
pub use addr::addr;
pub use command::command_line;
pub use errors::errors;
pub use listing::listing;
pub use reply::reply_decoder;

/// A fuzz target's body: takes any bytes, panics only when a checked property breaks.
pub type Target = fn(&[u8]);

/// Every fuzz target by name, as `fuzz/fuzz_targets/<name>.rs` and `fuzz/corpus/<name>/`.
pub const TARGETS: &[(&str, Target)] = &[
    ("reply_decoder", reply_decoder),
    ("command_line", command_line),
    ("listing", listing),
    ("addr", addr),
    ("errors", errors),
    ("server_session", server_session),
    ("server_tls_session", server_tls_session),
    ("client_session", client_session),
];
