//! The FTP server core: [`Session`], one per control connection, as a sans-IO state
//! machine; its [`Config`] with [`User`]s and [`Permission`]s; and the requests it makes
//! of the adapter that drives it.
//!
//! # The contract
//!
//! The session never touches a socket, a file or a clock. The adapter:
//!
//! - makes one [`ServerState`] per server (its [`Config`], [`Limits`] and [`PortPool`])
//!   and a [`ServerState::session`] ([`Session::with_limits`]) per accepted control
//!   connection (the session refuses it with `421` when the server is full,
//!   refuses a login over the user's limit with `530`, texts in [`Config`], and frees
//!   its slots itself); [`Session::new`] is the same without limits;
//! - writes [`Output::Send`] bytes to the control connection and feeds what it reads to
//!   [`Session::handle_control`]; a write blocked for [`Config::stall_timeout`] means
//!   the client is gone ([`Session::control_closed`]);
//! - answers [`Output::Auth`] with [`Session::complete_auth`] (a user manager, possibly
//!   async; [`Config::answer`] is the in-memory one);
//! - answers [`Output::Storage`] with [`Session::complete_storage`], mapping failures to
//!   a [`StorageError`] (the session picks the reply code: `550`, `452`, `451`, ...);
//! - answers [`Output::OpenPassive`] with [`Session::complete_passive`];
//! - runs each [`Output::Transfer`]: opens the file, gets the data connection, moves the
//!   bytes itself, and reports [`Session::data_connected`], then [`Session::data_done`]
//!   or [`Session::data_failed`]. [`Transfer::file`] says what to open and
//!   [`Transfer::flow`] gives the IO-free rest of moving the bytes: `TYPE A`
//!   conversion, block sizes and the pace [`Transfer::throttles`] allow, and the running
//!   count of bytes moved ([`Transfer::progress`], once per block is plenty), which the
//!   session reads at each [`Session::handle_timeout`] (or [`Session::data_progress`]
//!   reports): the session aborts a transfer whose count did not grow for
//!   [`Config::stall_timeout`] (`426`, the session goes on);
//! - for an upload, keeps the file uncommitted when the data connection ends, reports
//!   [`Session::data_done`] and goes on reading the control connection as usual: the
//!   session waits [`Config::commit_grace`] (a deadline), since a killed client closes
//!   both connections at once and a data end of file alone does not prove a complete
//!   upload. Only on [`Output::CommitUpload`] does it commit, answering
//!   [`Session::upload_committed`] (`226`, or `451`/`552`; unanswered for
//!   [`Config::request_timeout`], the session answers `451` itself); on
//!   [`Output::AbortTransfer`] or [`Output::Close`] it drops the file (discarded).
//!   A passive accept keeps only connections the [`Transfer`] [`accepts`](Transfer::accepts)
//!   (the client's host);
//! - calls [`Session::handle_timeout`] at [`Session::poll_timeout`], also while a request
//!   or a transfer runs (every deadline, in one table: [`Session::handle_timeout`]);
//! - calls [`Session::shutdown`] when the server stops gracefully (the session says
//!   `421` once nothing runs); [`Session::shutdown_by`] also cuts what still runs at a
//!   hard deadline (or the adapter drops the session then);
//! - closes everything on [`Output::Close`].
//!
//! [`Held`] keeps the adapter's side of this (its passive listener, its running
//! transfer, the upload waiting for its commit) as the outputs say, matching request
//! ids, and reports what a transfer did ([`DataEvent`]).
//!
//! Listings are formatted here (they are protocol): the adapter returns [`Entry`] values
//! and gets the `LIST`/`NLST`/`MLSD` body back as [`TransferKind::SendData`].
//!
//! The audit trail: the session emits [`Output::Audit`] for every login, logout, failed
//! login, upload (complete or aborted), download, deletion, rename, `MKD` and `RMD`; the
//! adapter hands each to [`Config::audit`] when set.
//!
//! Speed limits: a [`Session::with_limits`] session hands each transfer its
//! [`TransferThrottles`] (the server-wide and per-user ones shared between sessions,
//! sized from [`Config::speed_limits`]); the adapter waits on them.
//!
//! # Replies chosen where the RFCs leave room
//!
//! | situation | reply |
//! |---|---|
//! | any command but USER/PASS/ACCT/QUIT/REIN/SYST/NOOP/FEAT/HELP/HOST/OPTS/AUTH/PBSZ/PROT before login | `530` |
//! | `AUTH`, `CCC` (no TLS in the core yet) | `502`; `PBSZ`, `PROT` other than `C`: `503` |
//! | `PASS` when logged in / `ACCT` / `ALLO` | `202` |
//! | `HOST` after `USER` | `503` |
//! | `PASV` on an IPv6 control connection, or after `EPSV ALL`; `PORT`/`EPRT` after `EPSV ALL` | `501` |
//! | `EPSV 1` on IPv6, `EPSV 2` on IPv4, `EPRT` with an unknown protocol | `522` |
//! | `PORT`/`EPRT` to another host / to a port below 1024 (RFC 2577) | `501` / `504` |
//! | passive port range exhausted | `425` (the session goes on) and [`Event::NoAvailablePort`] |
//! | transfer with no `PASV`/`PORT` before it, data connection timeout, data connection from another host | `425` |
//! | `ABOR` during a transfer / with none | `426` then `226` / `225` |
//! | `MLSD` of a file | `501` |
//! | `MFMT` with a malformed time / `HASH`, `MFMT` of a directory / `OPTS HASH` with an unknown algorithm / another `SITE` than `HELP`, `CHMOD` | `501` / `550` / `504` / `504` |
//! | a path with NUL (or too long) | `501`, `553` when it names something to create |
//! | storage errors | [`StorageError::reply_code`]: `550`, `452`, `451`, `502` for what the backend cannot do at all ([`StorageError::Unsupported`]: `APPE` or a directory's rename on an object store); `553` for an upload into a missing directory, `552` for a full disk during an upload |
//! | idle timeout | `421`, then close |
//! | a connected transfer that moves no byte for [`Config::stall_timeout`] | `426` (the session goes on) and [`Event::DataStalled`] |
//! | a connection over [`Config::max_connections`] / a login over [`User::max_connections`] | `421` [`Config::server_full_text`], close / `530` [`Config::user_limit_text`] |
//! | a connection over [`Config::max_connections_per_ip`] / from an address banned after [`Config::max_login_failures`] failed logins (also its next `USER`/`PASS`) | `421` [`Config::address_limit_text`] / [`Config::banned_text`], close |
//! | a failed login | `530` after [`Config::login_failure_delay`]; [`Event::LoginFailed`] (`login failed for USER from IP`) |
//! | [`Session::shutdown`] | `421 Server shutting down`, then close, once the running transfer or request is over |
//! | a storage request unanswered for [`Config::request_timeout`] | `451` (the session goes on); an auth request: `421`, then close; a passive request: `425` |
//! | more than [`Config::max_pipelined`] commands waiting | `421`, then close |
//!
//! `REST` applies to the next `RETR`/`STOR`/`APPE`; `PASV`, `EPSV`, `PORT`, `EPRT` and
//! `TYPE` in between keep it (clients send those in either order), anything else clears
//! it. `STOU` names the file `<hint or "file">.<n>` and tries another `n` when the
//! storage reports [`StorageError::AlreadyExists`].
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
//! s.handle_control(b"USER anonymous\r\nPASS me@example.com\r\n", now);
//! let mut wire = Vec::new();
//! while let Some(out) = s.poll_output() {
//!     match out {
//!         Output::Send(bytes) => wire.extend_from_slice(&bytes),
//!         Output::Auth { id, request } => s.complete_auth(id, config.answer(&request), now),
//!         _ => {}
//!     }
//! }
//! assert_eq!(wire, b"220 welcome\r\n331 Password required for anonymous\r\n230 Login successful\r\n");
//! ```
//!
//! [`Entry`]: crate::listing::Entry

pub use crate::ascii;
mod abuse;
mod audit;
mod commands;
mod completion;
mod config;
mod data;
mod facts;
mod held;
mod limits;
mod manager;
mod ports;
mod proxy;
mod request;
mod session;
mod state;
/// Test harness (an in-memory driver, sample users and files), for this crate's tests, its
/// fuzz targets and other crates' tests. Behind the `testing` feature; not covered by semver.
#[cfg(any(test, feature = "testing"))]
pub mod testing;
mod texts;
mod timers;
mod tls;
mod user;

pub use abuse::{AddressGuard, AddressLimits, AddressRefusal};
pub use audit::{Audit, AuditAction, AuditSink};
pub use config::{Config, SpeedLimits};
pub use data::{Flow, MIN_LIMITED_BLOCK, Progress, TransferFile, WriteMode};
pub use held::{DataConnection, DataEvent, Held, Left, Passive};
pub use limits::{
    ConnectionGuard, Limits, SessionThrottles, SharedThrottle, TransferThrottles, UserGuard,
};
pub use manager::{BoxFuture, UserManager};
pub use ports::{PortLease, PortPool};
pub use proxy::{
    MAX_V1_HEADER, MAX_V2_HEADER, ProxiedConnection, ProxyHeader, ProxyHeaderReader,
    parse_proxy_header,
};
pub use request::{
    AuthRequest, AuthResult, DataChannel, Event, HashAlgorithm, Output, RequestId, StorageError,
    StorageOp, StorageOutcome, Transfer, TransferError, TransferKind,
};
pub use session::Session;
pub use state::{DEFAULT_BACKLOG, ServerState, Stopping, bind_first};
pub use tls::{DataTls, TlsPolicy};
pub use user::{Permission, User};
