//! sansftp's FTP server and client on [`async-io`](async_io) and [`futures-lite`](futures_lite):
//! it runs under smol, async-std, or a plain `block_on`.
//!
//! ```
//! use std::time::Duration;
//! use sansftp_async::{Config, MemoryFs, Server, User};
//!
//! # fn main() -> Result<(), sansftp::Error> {
//! futures_lite::future::block_on(async {
//!     let config = Config::new().user(User::new("alice", "secret"));
//!     let server = Server::builder(MemoryFs::new())
//!         .config(config)
//!         .bind("127.0.0.1:0") // port 0: the OS picks one
//!         .await?;
//!     println!("listening on {}", server.local_addr());
//!     // From anywhere (another task, a signal handler): stop accepting, give running
//!     // transfers 10 s, then close. Here at once, so that the example ends.
//!     server.shutdown_handle().shutdown(Duration::from_secs(10));
//!     server.run().await // or: smol::spawn(server.run()), async_std::task::spawn(...)
//! })
//! # }
//! ```
//!
//! # How it is driven
//!
//! All protocol decisions live in the sans-IO [`sansftp::server::Session`]; this crate
//! only moves bytes. Each control connection gets a driver future (quinn/str0m style)
//! that loops: read the control socket into a small reused buffer, feed the session,
//! drain its outputs and act on them, then wait for whichever comes first of control
//! bytes, the running transfer's next step, the session's deadline
//! ([`Session::poll_timeout`](sansftp::server::Session::poll_timeout)) or shutdown.
//!
//! The crate spawns nothing on the caller's runtime: [`Server::run`] drives an internal
//! [`async_executor::Executor`] holding every session, so whoever polls `run` (a smol
//! or async-std task, a `block_on`) runs the server, together with the threads the
//! server starts for that executor ([`Builder::threads`]; by default one thread per
//! available core, the polling one included). Only [`async_io`] (sockets, timers; its
//! reactor thread is shared by smol and async-std) and the [`blocking`] thread pool
//! (storage calls, file reads and writes that may block) are used besides. Control loops
//! and socket copies run on those threads, each session on the one that had the fewest
//! sessions when it connected; a transfer yields after every block, so one fast client
//! cannot starve the others on its thread.
//!
//! A transfer is a future of its own, polled by its session's loop beside the control
//! connection: it opens the file (a failure answers `550` before any connection is
//! touched), accepts on the passive listener (only from the client's host) or connects
//! for `PORT`/`EPRT`, reports that, then moves the bytes. `ABOR`, the data-connection
//! timeout and the shutdown deadline drop it, which closes its socket and discards an
//! uncommitted upload; an upload is committed only after the client closed the data
//! connection cleanly *and* the session asks for it with `Output::CommitUpload`, at the
//! end of its commit grace (a killed client's control end of file arrives within it and
//! drops the upload instead). While bytes move, the transfer counts them into the
//! core's `Transfer::progress` (one atomic add per block), which the session reads when
//! its deadline fires, so its stall timeout ends a transfer whose peer stopped reading
//! or writing. What to open and how its bytes move come from
//! [`sansftp_storage::Plan`] (sendfile, splice, the buffers, bytes in memory; opened
//! inline or on the pool as [`sansftp_storage::opens_inline`] says), `TYPE A`
//! conversion and the speed limits' pace from the core (`Transfer::flow`), and
//! `server::Held` keeps the passive listener, the running transfer and the upload
//! waiting for its commit (`Held::act` does the outputs that need no IO).
//!
//! Data moves in 512 KiB blocks (16 KiB under a speed limit) through two buffers per
//! transfer that travel to the thread pool and back, so the pool reads or writes one
//! block while the socket moves the other, and nothing is allocated per block. A binary
//! upload without a speed limit into a local file (on Linux) is moved by `splice(2)`
//! from the socket through a pipe into the file, on the session's own thread, without
//! a copy through this process; into other storages a pool thread reads the socket and
//! writes each block, once per burst of data. Listings
//! and in-memory files go to the socket straight from their `Bytes`. An idle session
//! holds a 1 KiB read buffer and its `Session` (about 9 KiB all told).
//!
//! Control sockets get `TCP_NODELAY` (a `150` and a `226` in quick succession must not
//! wait for a delayed ACK) and, on Unix, `SO_OOBINLINE` (clients such as Python's
//! `ftplib` send `ABOR` as TCP urgent data).
//!
//! Passive ports come from the core's [`PortPool`](sansftp::server::PortPool);
//! connection counts and the four levels of speed limits from the core's
//! [`Limits`](sansftp::server::Limits), held by each session
//! ([`Session::with_limits`](sansftp::server::Session::with_limits)). The control
//! listener's backlog is [`Builder::backlog`] (1,024 by default).
//!
//! Protocol decisions stay in the core: on shutdown the session is told
//! ([`Session::shutdown`](sansftp::server::Session::shutdown)) and says `421` itself once
//! its transfer is over; the shutdown deadline only drops what is left. User manager and
//! storage calls race the session's deadline
//! ([`Config::request_timeout`](sansftp::server::Config::request_timeout)); a call that
//! loses is left to finish unheard.
//!
//! # FTPS
//!
//! [`Builder::tls`] offers explicit FTPS (`AUTH TLS`, RFC 4217) with a
//! [`ServerTls`] certificate, [`Builder::implicit_tls`] makes the listener TLS from the
//! first byte; [`Client::connect_tls`] connects with a [`ClientTls`]. The core decides
//! when to upgrade, what must be protected and what a close without `close_notify`
//! means; each connection here is plaintext or a [futures-rustls](futures_rustls)
//! stream over the same socket. Each server session has its own resumption state
//! (`ServerTls::session`), so a data connection that resumes a session proves it
//! belongs to its control connection. TLS data moves through the same buffers as
//! plaintext, never through sendfile or the upload drain.
//!
//! # Client
//!
//! [`Client`] speaks to any FTP server with aioftp's operations as `async fn`s (the
//! same names as `sansftp-blocking`'s client): login, listings (`MLSD`, falling back to
//! `LIST`; eager or as a [`ListStream`]), `stat`, directories, rename and remove, and
//! transfers, either as a [`DataStream`] (`AsyncRead`/`AsyncWrite`) or to and from
//! local files and whole trees. Passive or active, `TYPE I` or `A`, resume with `REST`,
//! connect and socket timeouts, and [`SpeedLimits`] that can change while it runs. Like
//! the server it only moves bytes: the [`sansftp::client::Session`] core decides.
//!
//! ```no_run
//! use std::time::Duration;
//! use sansftp_async::{Client, ClientOptions};
//!
//! # async fn example() -> Result<(), sansftp::Error> {
//! let options = ClientOptions::new().socket_timeout(Duration::from_secs(30));
//! let mut client = Client::connect_with("ftp.example.com:21", options).await?;
//! client.login_anonymous().await?;
//! for item in client.list("/pub", false).await? {
//!     println!("{} {:?}", item.path_str(), item.entry.size);
//! }
//! client.download("/pub/archive.tar.gz", "archive.tar.gz").await?;
//! client.quit().await
//! # }
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod auth;
mod client;
mod conn;
mod net;
mod proxy;
mod running;
mod server;
mod session;
mod shards;
mod shared;
mod shutdown;
mod throttles;
mod transfer;

pub use auth::{BoxFuture, UserManager};
pub use client::{Client, ClientOptions, DataStream, ListStream, SpeedLimits};
pub use server::{Builder, Server};
pub use shutdown::ShutdownHandle;

// What a server needs, so that one dependency embeds it.
pub use sansftp::Error;
pub use sansftp::server::{AuthRequest, AuthResult, Config, DEFAULT_BACKLOG, Permission, User};
pub use sansftp_storage::{LocalFs, MemoryFs, Storage, UploadMode};
pub use sansftp_tls::{ClientTls, ServerTls};
