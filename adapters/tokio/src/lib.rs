//! sansftp's FTP server on [tokio]: each session a task on the caller's runtime,
//! tokio's own sockets and timers, file work on its blocking pool.
//!
//! ```
//! use std::time::Duration;
//! use sansftp_tokio::{Config, MemoryFs, Server, User};
//!
//! #[tokio::main]
//! async fn main() -> Result<(), sansftp::Error> {
//!     let config = Config::new().user(User::new("alice", "secret"));
//!     let server = Server::builder(MemoryFs::new())
//!         .config(config)
//!         .bind("127.0.0.1:0") // port 0: the OS picks one
//!         .await?;
//!     println!("listening on {}", server.local_addr());
//!     // From anywhere (another task, a signal handler): stop accepting, give running
//!     // transfers 10 s, then close. Here at once, so that the example ends.
//!     server.shutdown_handle().shutdown(Duration::from_secs(10));
//!     server.run().await // or: tokio::spawn(server.run())
//! }
//! ```
//!
//! # How it is driven
//!
//! All protocol decisions live in the sans-IO [`sansftp::server::Session`]; this crate
//! only moves bytes, wraps TLS and waits. [`Server::run`] accepts and spawns one task
//! per control connection (`tokio::spawn`, so a multi-thread runtime spreads the
//! sessions over its workers). Each task loops: read the control socket into a small
//! buffer, feed the session, drain its outputs and act on them, then wait
//! (`tokio::select!`) for whichever comes first of control bytes, the running
//! transfer's next step, the session's deadline
//! ([`Session::poll_timeout`](sansftp::server::Session::poll_timeout)) or shutdown.
//!
//! A transfer is a future of its own, polled by its session's loop beside the control
//! connection: it opens the file (inline when
//! [`Storage::opens_quickly`], otherwise on `spawn_blocking`; a failure answers `550`
//! before any connection is touched), accepts on the passive listener (only from the
//! client's host) or connects for `PORT`/`EPRT`, reports that, then moves the bytes.
//! `ABOR`, the data-connection timeout and the shutdown deadline drop it, which closes
//! its socket and discards an uncommitted upload; an upload is committed only when the
//! session says so (`Output::CommitUpload`). What to open, `TYPE A` conversion, the
//! speed limits' pace and the byte count come from the core (`Transfer::file`,
//! `Transfer::flow`), and `server::Held` keeps the passive listener, the running
//! transfer and the upload waiting for its commit.
//!
//! Data moves in 512 KiB blocks (smaller under a speed limit) through two buffers per
//! transfer that travel to the blocking pool and back. On Linux a binary download of
//! a file on disk goes by `sendfile(2)` and a binary upload into a local file by
//! `splice(2)` (socket -> pipe -> file, [`sansftp_storage::splice`]), both on the
//! session's worker through `TcpStream::try_io`, without a copy through this process.
//!
//! Control sockets get `TCP_NODELAY` and, on Unix, `SO_OOBINLINE` (clients such as
//! Python's `ftplib` send `ABOR` as TCP urgent data). The control listener's backlog
//! is [`Builder::backlog`] (1,024 by default). There is no `Builder::threads`: the
//! runtime's workers are the caller's to choose.
//!
//! # FTPS
//!
//! [`Builder::tls`] offers explicit FTPS (`AUTH TLS`, RFC 4217) with a
//! [`ServerTls`] certificate, [`Builder::implicit_tls`] makes the listener TLS from the
//! first byte. The core decides when to upgrade, what must be protected and what a
//! close without `close_notify` means; each connection here is plaintext or a
//! [tokio-rustls](tokio_rustls) stream over the same socket. Each session has its own
//! resumption state (`ServerTls::session`), so a data connection that resumes a
//! session proves it belongs to its control connection. TLS data moves through the
//! buffers, never through sendfile or splice.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod auth;
mod client;
mod conn;
mod proxy;
#[cfg(target_os = "linux")]
mod sendfile;
mod server;
mod session;
mod shared;
mod shutdown;
#[cfg(target_os = "linux")]
mod splice;
mod transfer;
mod wait;

pub use auth::{BoxFuture, UserManager};
pub use client::{Client, ClientOptions, DataStream, ListStream, SpeedLimits};
pub use server::{Builder, Server};
pub use shutdown::ShutdownHandle;

// What a server needs, so that one dependency embeds it.
pub use sansftp::Error;
pub use sansftp::server::{AuthRequest, AuthResult, Config, DEFAULT_BACKLOG, Permission, User};
pub use sansftp_storage::{LocalFs, MemoryFs, Storage, UploadMode};
pub use sansftp_tls::{ClientTls, ServerTls};
