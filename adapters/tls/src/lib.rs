//! FTPS for sansftp's adapters, on [rustls]: what every adapter needs besides moving
//! bytes through a TLS stream.
//!
//! - [`ServerTls`]: a certificate and key (from PEM), and for each FTP session a
//!   [`SessionTls`] whose resumption store and ticket key only that session's
//!   connections use, so that "this data connection resumed a session" means "resumed
//!   *this control connection's* session" ([`resumed`]).
//! - [`ClientTls`]: whom the client trusts (the system's roots, a CA file, or nothing,
//!   explicitly), one [`rustls::ClientConfig`] for the control connection and every
//!   data connection, so that data connections resume the control session.
//!
//! The protocol (when to upgrade, what must be protected, what a missing
//! `close_notify` means) is the `sansftp` core's; this crate holds no FTP decision.
//!
//! ```
//! use sansftp_tls::{ClientTls, ServerTls};
//!
//! let (cert, key) = sansftp_tls::testing::self_signed(&["localhost"]);
//! let server = ServerTls::from_pem(cert.as_bytes(), key.as_bytes()).unwrap();
//! let session = server.session().unwrap();
//! assert!(!std::sync::Arc::ptr_eq(&session.control(), &server.session().unwrap().control()));
//! let client = ClientTls::builder().ca_pem(cert.as_bytes()).unwrap().build().unwrap();
//! assert!(client.server_name("localhost").is_ok());
//! ```
#![warn(missing_docs)]

mod client;
mod error;
mod pem;
mod server;
#[cfg(feature = "testing")]
pub mod testing;

pub use client::{ClientTls, ClientTlsBuilder};
pub use error::{TlsError, UNTRUSTED, handshake_failed, is_truncation, read_error};
pub use server::{ServerTls, SessionTls, resumed};

pub use rustls;

/// The crypto provider sansftp uses: *ring* (see the crate's `Cargo.toml` for why).
pub fn provider() -> std::sync::Arc<rustls::crypto::CryptoProvider> {
    std::sync::Arc::new(rustls::crypto::ring::default_provider())
}
