//! sansftp's FTP server on [`async-io`](async_io) and [`futures-lite`](futures_lite):
//! it runs under smol, async-std, or a plain `block_on`.
//!
//! ```
//! use std::time::Duration;
//! use sansftp::server::{Config, User};
//! use sansftp_async::Server;
//! use sansftp_storage::MemoryFs;
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
//! or async-std task, a `block_on`) runs the server. Only [`async_io`] (sockets,
//! timers; its reactor thread is shared by smol and async-std) and the [`blocking`]
//! thread pool (storage calls, file reads and writes) are used.
//!
//! Transfers move data in 256 KiB blocks through one buffer per transfer, handed to
//! the thread pool and back, never allocated per block; listings and in-memory files
//! go to the socket straight from their `Bytes`. An idle session holds a 1 KiB read
//! buffer and its `Session`.
//!
//! # Not in the core yet
//!
//! Shutting down sends `421 Server shutting down` to idle sessions from here: the core
//! has no input for "the server is stopping" yet.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod auth;
mod limits;
mod ports;
mod server;
mod session;
mod shutdown;
mod throttles;
mod transfer;

pub use auth::{BoxFuture, UserManager};
pub use server::{Builder, Server};
pub use shutdown::ShutdownHandle;
