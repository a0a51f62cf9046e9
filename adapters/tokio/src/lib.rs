//! sansftp's FTP server and client on [tokio]: each session a task on the caller's
//! runtime, tokio's own sockets and timers, file work on its blocking pool.
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
//! connection: it opens the file ([`sansftp_storage::Plan::open`]: inline when
//! [`sansftp_storage::opens_inline`] says so, otherwise on `spawn_blocking`; a failure
//! answers `550` before any connection is touched), accepts on the passive listener
//! (only from the client's host) or connects for `PORT`/`EPRT`, reports that, then
//! moves the bytes the way the plan says. `ABOR`, the data-connection timeout and the
//! shutdown deadline drop it, which closes its socket and discards an uncommitted
//! upload; an upload is committed only when the session says so
//! (`Output::CommitUpload`). `TYPE A` conversion, the speed limits' pace and the byte
//! count come from the core (`Transfer::flow`), and `server::Held` keeps the passive
//! listener, the running transfer and the upload waiting for its commit (`Held::act`
//! does the outputs that need no IO).
//!
//! Data moves in 512 KiB blocks (smaller under a speed limit) through two buffers per
//! transfer that travel to the blocking pool and back. On Linux a binary download of
//! a file on disk goes by `sendfile(2)` ([`sansftp_storage::sendfile`]) and a binary
//! upload into a local file by `splice(2)` (socket -> pipe -> file,
//! [`sansftp_storage::splice`]), both on the session's worker through
//! `TcpStream::try_io`, without a copy through this process.
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
//!
//! # Client
//!
//! [`Client`] has the methods of `sansftp_async::Client` and `sansftp_blocking::Client`
//! (aioftp's names): `connect`, `login`, `list`, `upload_stream`, `download`, ... A
//! server embedded beside a client, on one runtime:
//!
//! ```
//! use std::time::Duration;
//! use sansftp_tokio::{Client, Config, MemoryFs, Server, User};
//! use tokio::io::{AsyncReadExt, AsyncWriteExt};
//!
//! #[tokio::main]
//! async fn main() -> Result<(), sansftp::Error> {
//!     let config = Config::new().user(User::new("alice", "secret"));
//!     let server = Server::builder(MemoryFs::new()).config(config).bind("127.0.0.1:0").await?;
//!     let addr = server.local_addr();
//!     let stop = server.shutdown_handle();
//!     let running = tokio::spawn(server.run());
//!
//!     let mut client = Client::connect(addr).await?;
//!     client.login("alice", "secret").await?;
//!     client.make_directory("/docs/2026", true).await?;
//!
//!     let mut upload = client.upload_stream("/docs/2026/hello.txt", 0).await?;
//!     upload.write_all(b"hello, world\n").await?;
//!     upload.finish().await?;
//!
//!     let mut names = Vec::new();
//!     let mut entries = client.list_stream("/docs", true).await?;
//!     while let Some(item) = entries.next().await {
//!         names.push(item?.path_str().into_owned());
//!     }
//!     assert_eq!(names, ["/docs/2026", "/docs/2026/hello.txt"]);
//!
//!     let mut text = String::new();
//!     let mut download = client.download_stream("/docs/2026/hello.txt", 7).await?;
//!     download.read_to_string(&mut text).await?;
//!     download.finish().await?;
//!     assert_eq!(text, "world\n");
//!
//!     client.quit().await?;
//!     stop.shutdown(Duration::ZERO);
//!     running.await.expect("the server task ran to its end")
//! }
//! ```
//!
//! Each client call finishes whatever operation is still pending, starts one
//! [`Operation`](sansftp::client::Operation) and does what the core's
//! [`Driver`](sansftp::client::Driver) says until it ends: the client decides nothing.
//! Calls are cancel-safe: a future dropped at any `await` (by `select!` or
//! `tokio::time::timeout`), or a [`DataStream`] or [`ListStream`] dropped midway, leaves
//! the client usable; its next call drives the abandoned operation to its end.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod auth;
mod client;
mod conn;
mod proxy;
mod server;
mod session;
mod shared;
mod shutdown;
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
