//! The raw test client, shared with the blocking adapter's tests (`sansftp-conformance`).

pub use sansftp_conformance::ftp::{Ftp as Client, TIMEOUT, code};
