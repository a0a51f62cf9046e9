//! The FTP server core: [`Session`], one per control connection, as a sans-IO state
//! machine; its [`Config`] with [`User`]s and [`Permission`]s; and the requests it makes
//! of the adapter that drives it.
//!
//! # The contract
//!
//! The session never touches a socket, a file or a clock. The adapter:
//!
//! - writes [`Output::Send`] bytes to the control connection and feeds what it reads to
//!   [`Session::handle_control`];
//! - answers [`Output::Auth`] with [`Session::complete_auth`] (a user manager, possibly
//!   async; [`Config::answer`] is the in-memory one);
//! - answers [`Output::Storage`] with [`Session::complete_storage`], mapping failures to
//!   a [`StorageError`] (the session picks the reply code: `550`, `452`, `451`, ...);
//! - answers [`Output::OpenPassive`] with [`Session::complete_passive`];
//! - runs each [`Output::Transfer`]: opens the file, gets the data connection, moves the
//!   bytes itself (TYPE A through [`ascii`]), and reports [`Session::data_connected`],
//!   then [`Session::data_done`] or [`Session::data_failed`];
//! - calls [`Session::handle_timeout`] at [`Session::poll_timeout`];
//! - closes everything on [`Output::Close`].
//!
//! Listings are formatted here (they are protocol): the adapter returns [`Entry`] values
//! and gets the `LIST`/`NLST`/`MLSD` body back as [`TransferKind::SendData`].
//!
//! Speed limits are configuration only: the adapter owns the throttles (the server-wide
//! and per-user ones are shared between sessions) and sizes them with
//! [`Config::speed_limits`] for the [`Transfer::user`].
//!
//! ```
//! use std::sync::Arc;
//! use std::time::Instant;
//! use sansftp::server::{Config, Output, Session, User};
//!
//! let config = Arc::new(Config::new().user(User::anonymous()));
//! let now = Instant::now();
//! let mut s = Session::new(config.clone(), "127.0.0.1:5000".parse().unwrap(),
//!                          "127.0.0.1:21".parse().unwrap(), now);
//! s.handle_control(b"USER anonymous\r\n", now);
//! let mut wire = Vec::new();
//! while let Some(out) = s.poll_output() {
//!     match out {
//!         Output::Send(bytes) => wire.extend_from_slice(&bytes),
//!         Output::Auth { id, request } => s.complete_auth(id, config.answer(&request), now),
//!         _ => {}
//!     }
//! }
//! assert_eq!(wire, b"220 welcome\r\n230 Login successful\r\n");
//! ```
//!
//! [`Entry`]: crate::listing::Entry

pub mod ascii;
mod commands;
mod completion;
mod config;
mod request;
mod session;
#[doc(hidden)]
pub mod testing;
mod texts;

pub use config::{Config, Permission, SpeedLimits, User};
pub use request::{
    AuthRequest, AuthResult, DataChannel, Event, Output, RequestId, StorageError, StorageOp,
    StorageOutcome, Transfer, TransferError, TransferKind,
};
pub use session::Session;
