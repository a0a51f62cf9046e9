//! # sansftp
//!
//! The protocol core of an FTP client and server, written as pure state machines with no
//! IO at all ("sans-IO"): no sockets, files, clocks, threads or sleeps. Bytes and time go
//! in, bytes, requests and deadlines come out. Thin adapters (`sansftp-async`,
//! `sansftp-blocking`) drive it on real sockets.
//!
//! This crate holds the codec and the building blocks both roles share:
//!
//! | module | what it owns |
//! |---|---|
//! | [`code`] | [`Code`], a validated reply code, and [`Mask`] (`"2xx"`) |
//! | [`reply`] | [`Reply`], the incremental reply decoder and the reply encoder |
//! | [`command`] | [`Command`], the server's line decoder and the client's encoder |
//! | [`error`] | [`Error`], the one root of every error, and the seed's error types |
//! | [`path`] | virtual POSIX paths that can never leave a user's root |
//! | [`listing`] | [`Entry`], LIST/MLSD parsers and formatters |
//! | [`time`] | a small UTC calendar type for listings and MDTM |
//! | [`addr`] | PASV/EPSV replies and PORT/EPRT arguments |
//! | [`ascii`] | `TYPE A` line-ending converters (CRLF on the wire), for both roles |
//! | [`throttle`] | a token bucket driven by instants passed in |
//! | [`client`] | [`client::Session`], the sans-IO client: operations as small state machines |
//! | [`server`] | [`server::Session`], the sans-IO server, its `Config`, users and requests |
//!
//! ```
//! use sansftp::reply::Decoder;
//!
//! let mut decoder = Decoder::new();
//! decoder.push(b"220-Welcome\r\n220 ready\r\n");
//! let reply = decoder.next_reply().unwrap().unwrap();
//! assert_eq!(reply.code().value(), 220);
//! assert_eq!(reply.lines().len(), 2);
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod addr;
pub mod ascii;
pub mod buffer;
pub mod client;
pub mod code;
pub mod command;
pub mod error;
mod line;
pub mod listing;
pub mod path;
pub mod reply;
pub mod server;
mod snippet;
pub mod throttle;
pub mod time;

/// Bodies of the fuzz targets in `fuzz/`, shared with the corpus replay test. Behind the
/// `testing` feature; not covered by semver.
#[cfg(any(test, feature = "testing"))]
pub mod fuzzing;

pub use code::{Code, Mask};
pub use command::Command;
pub use error::{Error, NoAvailablePort, PathIoError, PathIsNotAbsolute, StatusCodeError};
pub use listing::Entry;
pub use reply::Reply;

/// `Result` with sansftp's root [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
