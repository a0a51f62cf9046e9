//! A blocking FTP server and client on `std::net`: the [`sansftp`] protocol core driven
//! by plain threads, serving a [`Storage`] backend
//! ([`Server`]) or talking to any FTP server ([`Client`]).
//!
//! ```
//! use std::io::{BufRead, BufReader};
//! use std::net::TcpStream;
//! use sansftp_blocking::{Config, MemoryFs, Server, User};
//!
//! # fn main() -> Result<(), sansftp_blocking::Error> {
//! let storage = MemoryFs::new().with_file("/hello.txt", "hello");
//! let config = Config::new().user(User::new("alice", "secret"));
//! let server = Server::builder(storage).config(config).bind("127.0.0.1:0")?;
//! let running = server.spawn();
//!
//! let control = TcpStream::connect(running.local_addr())?;
//! let mut greeting = String::new();
//! BufReader::new(control).read_line(&mut greeting)?;
//! assert!(greeting.starts_with("220"));
//!
//! running.shutdown()?;
//! # Ok(())
//! # }
//! ```
//!
//! # How it runs
//!
//! One thread accepts control connections. Each session gets a thread that owns its
//! [`Session`](sansftp::server::Session) and blocks on a single channel, into which
//! everything that can happen to the session is sent:
//!
//! - bytes a small reader thread read from the control socket (a few chunks of
//!   read-ahead at most, so a flooding client is held back by TCP);
//! - the progress of transfers (connected, done, failed), run on a thread of their own
//!   (kept for the session's next transfer) so that `ABOR`, `STAT`, `NOOP` and `QUIT`
//!   are answered while data moves;
//! - the server's shutdown.
//!
//! The session's deadline ([`Session::poll_timeout`](sansftp::server::Session::poll_timeout))
//! is the channel's receive timeout. So a finished transfer wakes the session at once
//! (a read timeout on the control socket would make every transfer wait for it), and
//! nothing is ever polled. Storage calls and the [`UserManager`] run on a worker thread
//! of the session, one at a time, so a slow one delays only that session, and one that
//! hangs is given up at [`Config::request_timeout`](sansftp::server::Config::request_timeout)
//! (the session answers the command; the worker is left to its call and a fresh one
//! serves the next). With that timeout set to `None` they run on the session's thread
//! instead, saving two thread switches per call (some 15-30 µs on loopback), and a hung
//! one holds its session until it returns. The configuration's own users (no custom
//! [`UserManager`]) are always looked up on the session's thread. Threads whose task
//! ended wait up to 10 s for another instead of ending. On shutdown the session is told
//! ([`Session::shutdown`](sansftp::server::Session::shutdown)) and says `421` once its
//! transfer is over; the shutdown deadline closes whatever is left.
//!
//! A transfer opens its file first (a missing file is answered before any connection),
//! then accepts on the passive listener, dropping connections from any host but the
//! client's, or connects to the `PORT` address; the core times out the wait
//! ([`Config::data_wait_timeout`](sansftp::server::Config::data_wait_timeout)) and the
//! session then wakes the blocked `accept` with a connection of its own. `ABOR` shuts the
//! data socket down; an aborted upload is never committed. An upload whose data
//! connection ends cleanly goes back to the session thread uncommitted; it commits only
//! on `Output::CommitUpload`, which the session sends at the end of its commit grace
//! (a killed client's control end of file, which the reader thread reports, arrives
//! within it and drops the upload instead). The transfer thread counts the bytes it
//! moves into the core's `Transfer::progress` (once per block); the session reads it
//! when its deadline passes, so its stall timeout ends a transfer whose peer stopped
//! reading or writing (its socket is shut down, which wakes the blocked call). The
//! shutdown deadline is the session's too (`Session::shutdown_by`).
//! Control writes time out after the same stall timeout. Sessions hold their own
//! connection and per-user limits; the control listener's backlog is
//! [`Builder::backlog`] (1,024 by default).
//!
//! Bytes move without the core: binary downloads of files with `sendfile(2)` on Linux
//! (std's `io::copy` does not use it from a file to a socket), everything else through one
//! 256 KiB buffer per transfer, converting line endings for `TYPE A` and sleeping as the
//! speed limits require. Control sockets get `SO_OOBINLINE` (on Unix), so an `ABOR` sent
//! as TCP urgent data, as Python's `ftplib` does, arrives whole.
//!
//! # FTPS
//!
//! [`Builder::tls`] offers `AUTH TLS` (RFC 4217) and [`Builder::implicit_tls`] makes the
//! listener implicit; [`Client::connect_tls`] is the client's side. The core decides
//! when TLS starts and what it must protect; this crate runs rustls. The control
//! connection's `ServerConnection` is shared by the reader thread (which feeds it, and
//! so runs the handshake) and the session's thread (which writes through it), see the
//! `tls` module. Data connections under `PROT P` run their handshake on the transfer
//! thread after the `150`, move no file byte before the session has accepted that it
//! resumed the control session, never use sendfile, and end with `close_notify` both
//! ways; an upload cut without one is reported truncated (`426`, not committed).
//!
//! # Client
//!
//! [`Client`] runs the client core on the calling thread: each method is one whole
//! operation (login, listing, `stat`, `mkdir -p`, recursive removal, transfers), with
//! file transfers as [`DataStream`]s (`Read`/`Write`) or straight to and from local
//! files and directory trees ([`Client::upload`], [`Client::download`]). Options
//! ([`ClientOptions`]): passive or active mode, connect and socket timeouts, speed
//! limits (changeable while running through [`SpeedLimits`]). [`Client`]'s docs have a
//! complete example.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod client;
mod msg;
mod proxy;
mod server;
mod session;
mod shared;
mod threads;
mod tls;
mod transfer;
mod users;

pub use client::{Client, ClientOptions, DataStream, ListStream, SpeedLimits};
pub use server::{Builder, RunningServer, Server, ShutdownHandle};
pub use users::UserManager;

// What a server needs, so that one dependency embeds it.
pub use sansftp::Error;
pub use sansftp::server::{AuthRequest, AuthResult, Config, DEFAULT_BACKLOG, Permission, User};
pub use sansftp_storage::{LocalFs, MemoryFs, Storage, UploadMode};
